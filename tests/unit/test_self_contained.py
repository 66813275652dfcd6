"""The repository stands on its own: nothing in it refers to files outside the checkout.

A clone without anything beside it must pass its own tests, so the RFC 9162 vectors, the
outside contract and the regulation are copied in (``tests/data/rfc9162``, ``docs/contract.md``,
``docs/regulation/``) and no tracked file may point at a sibling folder instead.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A path that leaves the checkout: a parent folder's "shared", or the contract by its old name.
OUTSIDE = re.compile(
    r"\.\./shared\b|/shared/(?:regulation|testdata|notes)\b|(?<![/\w])CONTRACT\.md"
)


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    files = [ROOT / name for name in out.split("\0") if name]
    return [f for f in files if f.is_file() and f.suffix not in {".json", ".png", ".zip"}]


def test_no_tracked_file_refers_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_text_files():
        if path == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, "references outside the repository:\n" + "\n".join(offenders)


def test_copied_material_is_present_with_its_source() -> None:
    vectors = ROOT / "tests" / "data" / "rfc9162"
    assert (vectors / "LICENSE").is_file()
    assert "transparency-dev/merkle" in (vectors / "README.md").read_text()
    assert len(list(vectors.rglob("*.json"))) >= 190
    assert (ROOT / "docs" / "contract.md").is_file()
    for name in ("articles.md", "records.md", "nantong-measures-2023.zh.txt", "README.md"):
        assert (ROOT / "docs" / "regulation" / name).is_file(), name
