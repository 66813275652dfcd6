"""The receipt-checking snippet of docs/api.md works against the running API, as printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from projections.service import ProjectionSupervisor
from tests.api.conftest import World
from tests.api.test_public import COMPLAINT

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _script(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    script = re.search(r"`verify_receipt.py`.*?```python\n(.*?)```", text, re.S)
    assert script is not None
    (tmp_path / "verify_receipt.py").write_text(script.group(1), encoding="utf-8")


def _verify(tmp_path: Path, files: Iterable[str]) -> subprocess.CompletedProcess[str]:
    """Run the documented script in ``tmp_path`` on ``files`` (its answer, not checked)."""
    return subprocess.run(
        [sys.executable, "verify_receipt.py", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def _run_script(
    client: TestClient, tmp_path: Path, receipt: dict[str, Any], world: World
) -> dict[str, Any]:
    """Track the receipt's complaint right after filing (the projection workers run, as
    beside ``serve``; the lookup waits for them) and run the documented script."""
    files = {
        "receipt.json": receipt,
        "keys.json": client.get("/v1/ledger/keys").json(),
        "track.json": client.post(
            "/v1/complaints/track", json={"tracking_code": receipt["tracking_code"]}
        ).json(),
    }
    for name, value in files.items():
        (tmp_path / name).write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    run = _verify(tmp_path, files)
    assert run.returncode == 0, run.stderr
    assert "all verify" in run.stdout
    return files


def test_the_documented_script_verifies_across_a_key_rotation(
    client: TestClient, world: World, tmp_path: Path, workers: ProjectionSupervisor
) -> None:
    """Right after a rotation the newest checkpoint has two signature lines (docs/formats.md)."""
    _script(tmp_path)
    receipt = client.post("/v1/complaints", json=COMPLAINT).json()
    world.ledger.rotate_key("test")
    files = _run_script(client, tmp_path, receipt, world)
    note = files["track.json"]["inclusion"]["checkpoint"]
    assert len(note.split("\n\n", 1)[1].splitlines()) == 2


def test_the_documented_verification_script_verifies_a_real_receipt(
    client: TestClient, world: World, tmp_path: Path, workers: ProjectionSupervisor
) -> None:
    _script(tmp_path)
    receipt = client.post("/v1/complaints", json=COMPLAINT).json()
    files = _run_script(client, tmp_path, receipt, world)
    receipt["recorded_at"] = "2020-01-01T00:00:00+00:00"
    (tmp_path / "receipt.json").write_text(json.dumps(receipt), encoding="utf-8")
    forged = _verify(tmp_path, files)
    assert forged.returncode != 0 and "InvalidSignature" in forged.stderr


def test_the_readme_prints_the_same_receipt_check_as_docs_api() -> None:
    """README.md and docs/api.md both print the commands and the script; only docs/api.md's
    copy is run above, so the two must not drift apart."""

    def snippet(path: Path) -> str:
        text = path.read_text(encoding="utf-8")
        found = re.search(r"```sh\nscripts/run &.*?```python\n.*?```", text, re.S)
        assert found is not None, path
        return found.group(0)

    assert snippet(DOCS.parents[1] / "README.md") == snippet(DOCS)
