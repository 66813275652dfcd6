"""docs/operations.md: every file it names is in ``deploy/``, every file there is named, and
every ``auxledger`` and script command it shows is one the code accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from api.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
INSTALLED = "/opt/auxledger/.venv/bin/auxledger"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _commands() -> list[str]:
    """Every line of the doc's ``sh`` blocks, continuation lines joined."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", _text(), flags=re.S):
        lines += block.replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_every_deploy_file_it_names_exists_and_every_one_is_named() -> None:
    text = _text()
    named = set(re.findall(r"deploy/[\w./-]*[\w]", text))
    named.discard("deploy/systemd")  # the folder, in `install deploy/systemd/*`
    assert named, "the doc names no deploy/ file"
    missing = {n for n in named if not (ROOT / n).is_file()}
    assert not missing, missing
    present = {str(p.relative_to(ROOT)) for p in (ROOT / "deploy").rglob("*") if p.is_file()}
    assert present - named == set(), present - named


def test_readme_links_it_under_where_to_read_on() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where to read on", 1)[1]
    assert "`docs/operations.md`" in section


def test_every_auxledger_command_it_shows_parses() -> None:
    shown = [line for line in _commands() if INSTALLED in line]
    assert len(shown) >= 2
    for line in shown:
        argv = shlex.split(line.split(INSTALLED, 1)[1])
        build_parser().parse_args(argv)  # exits (fails the test) on a verb or option that is not


def test_the_scripts_are_shown_as_the_tests_run_them() -> None:
    """``backup.sh OUT`` and ``restore.sh BACKUP``: one argument, the URL in the environment."""
    for script in ("backup.sh", "restore.sh"):
        shown = [line for line in _commands() if f"/deploy/{script} " in line]
        assert shown, script
        for line in shown:
            after = shlex.split(line.split(f"/deploy/{script}", 1)[1])
            assert len(after) == 1, line
            if script == "restore.sh":
                assert line.startswith("AUXLEDGER_DATABASE_URL=")
