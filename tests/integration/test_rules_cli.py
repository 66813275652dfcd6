"""``auxledger rules``: load (all or none, one line and exit 1 on refusal) and list."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from ledger.config import Settings
from ledger.log import MerkleLog
from ledger.records import AuxLedger
from tests.integration.conftest import run_cli

AMENDED = """
format = 1
id = "nantong-2023"
title = "南通市公安机关警务辅助人员管理实施办法"
document = "通政规〔2023〕1号"
effective_from = 2023-03-01
effective_until = 2027-12-31

[calendar]
holidays = [2024-10-01, 2024-10-02, 2024-10-03, 2024-10-04, 2024-10-07]
extra_working_days = [2024-09-29, 2024-10-12]
"""


def _size(settings: Settings) -> int:
    with closing(AuxLedger(settings, personal_data=False)) as ledger:
        return MerkleLog(ledger.ledger_recorder).tree_size()


def test_rules_load_and_list(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, "init")[0] == 0
    code, out, _ = run_cli(capsys, "rules", "list")
    assert code == 0
    assert out.splitlines()[0] == "no rule set loaded: the built-in defaults apply"
    code, out, err = run_cli(capsys, "rules", "load", "--shipped")
    assert (code, err) == (0, "")
    assert out.startswith("loaded nantong-2018, nantong-2023: record ")
    amended = tmp_path / "amended.toml"
    amended.write_text(AMENDED, encoding="utf-8")
    assert run_cli(capsys, "rules", "load", str(amended))[0] == 0
    code, out, _ = run_cli(capsys, "rules", "list", "--json")
    listed = json.loads(out)
    assert listed["loaded"] is True
    assert [
        (r["rule_id"], r["effective_from"], r["effective_until"]) for r in listed["rule_sets"]
    ] == [
        ("nantong-2018", "2018-01-10", "2023-02-28"),
        ("nantong-2023", "2023-03-01", "2027-12-31"),
    ]
    with closing(AuxLedger(cli_env)) as ledger:
        calendar = ledger.policy.in_force(date(2024, 10, 1)).calendar
    assert not calendar.is_working_day(date(2024, 10, 1))


def test_a_refused_load_stores_nothing_and_says_one_line(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, "init")[0] == 0
    before = _size(cli_env)
    good = tmp_path / "good.toml"
    good.write_text(AMENDED, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(AMENDED.replace("2024-10-12", "2024-10-11"), encoding="utf-8")
    code, out, err = run_cli(capsys, "rules", "load", str(good), str(bad))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"auxledger: {bad}: rule set refused (1 problem): ")
    assert "extra working day 2024-10-11 is not a Saturday or Sunday" in err
    broken = tmp_path / "broken.toml"
    broken.write_text("format = \n", encoding="utf-8")
    code, _, err = run_cli(capsys, "rules", "load", str(broken))
    assert code == 1 and "not valid TOML" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, "rules", "load", str(tmp_path / "missing.toml"))
    assert code == 1 and "cannot read it" in err
    code, _, err = run_cli(capsys, "rules", "load")
    assert code == 1 and "rule files or --shipped" in err
    assert run_cli(capsys, "rules", "load", "--shipped")[0] == 0
    code, _, err = run_cli(capsys, "rules", "load", "--shipped")
    assert code == 1 and "is loaded with this content" in err
    assert _size(cli_env) == before + 3
