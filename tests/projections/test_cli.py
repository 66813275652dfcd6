"""``auxledger projections rebuild | check | run | status | report``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.cli import main
from projections import PROJECTIONS, ProjectionSupervisor
from tests.integration.tamper import Tamperer
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand
from tests.projections.test_workers import wait_for


@pytest.fixture
def cli_env(
    fresh: Built, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Built:
    """The ``fresh`` ledger, reachable by the command line through the environment."""
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", database_url)
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("AUXLEDGER_WITNESS_DIR", str(tmp_path / "witness"))
    monkeypatch.setenv("AUXLEDGER_LOG_ORIGIN", "test.auxledger.local/ledger")
    return fresh


@pytest.fixture
def workers(cli_env: Built) -> Iterator[ProjectionSupervisor]:
    """Projection workers running in this process (as ``serve`` or ``projections run``)."""
    supervisor = ProjectionSupervisor(cli_env.models, poll_interval=0.1)
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()


def test_rebuild_then_check_is_clean(
    cli_env: Built, capsys: pytest.CaptureFixture[str], workers: ProjectionSupervisor
) -> None:
    head = cli_env.models.head()
    assert main(["projections", "rebuild", "--batch-size", "9"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("personnel: ") and out[0].endswith(f"events applied, position {head}")
    assert out[1].startswith("complaints: ") and out[1].endswith(f"position {head}")
    wait_for(lambda: all(s.state == "running" for s in workers.status()))
    assert main(["projections", "check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("personnel: clean: ") and f"up to position {head}" in out[0]
    assert out[0].endswith(f"; lag 0 (head {head}), running, worker alive")
    assert out[1].startswith("complaints: clean: ")
    assert len(out) == len(PROJECTIONS)


def test_check_says_the_lag_and_fails_while_no_worker_keeps_up(
    cli_env: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 17: "check" said "clean" while the workers were dead and far behind.
    head = cli_env.models.head()
    cli_env.models.catch_up("personnel", until=3)
    assert main(["projections", "check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("personnel: clean: ") and out[0].endswith(
        f"up to position 3; lag {head - 3} (head {head}), stopped, no live worker"
    )
    assert out[1] == (
        "personnel: NOT READY: projection personnel has no live worker (stopped; no heartbeat ever)"
    )
    assert main(["projections", "check", "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is False
    first = body["projections"][0]
    assert (first["ok"], first["lag"], first["alive"], first["state"]) == (
        True,
        head - 3,
        False,
        "stopped",
    )
    # Workers catch up: clean again. A lag beyond the limit alone fails it too.
    supervisor = ProjectionSupervisor(cli_env.models, poll_interval=0.1)
    supervisor.start()
    try:
        wait_for(lambda: all(s.lag == 0 and s.alive for s in supervisor.status()))
        assert main(["projections", "check"]) == 0
        capsys.readouterr()
    finally:
        supervisor.stop()


def test_check_drift_only_prints_the_liveness_but_judges_the_drift_alone(
    cli_env: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    # A restored database before its units start: no live worker, yet the models are clean.
    assert main(["projections", "rebuild"]) == 0
    capsys.readouterr()
    assert main(["projections", "check", "--drift-only"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("personnel: clean: ") and out[0].endswith(", no live worker")
    assert out[1] == (
        "personnel: not judged (--drift-only): projection personnel has no live worker "
        "(stopped; no heartbeat ever)"
    )
    assert main(["projections", "check", "--drift-only", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is True and body["drift_only"] is True
    assert body["projections"][0]["problem"] is not None
    by_hand(cli_env, "UPDATE {rm_auxiliary} SET level = %s WHERE auxiliary_id = %s", (9, ds.X1))
    assert main(["projections", "check", "--drift-only"]) == 1
    assert "personnel: DRIFT: " in capsys.readouterr().out


def test_check_exits_1_listing_the_drift(
    cli_env: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["projections", "rebuild"]) == 0
    by_hand(cli_env, "UPDATE {rm_auxiliary} SET level = %s WHERE auxiliary_id = %s", (9, ds.X1))
    capsys.readouterr()
    assert main(["projections", "check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"personnel: rm_auxiliary [{ds.X1}] level: table has 9, replay has 3"
    assert out[1].startswith("personnel: DRIFT: ")
    assert out[2].startswith("personnel: NOT READY: ")  # no workers in this test
    assert out[3].startswith("complaints: clean: ")
    assert main(["projections", "check", "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is False
    assert body["projections"][0]["differences"] == [
        {
            "projection": "personnel",
            "table": "rm_auxiliary",
            "key": [str(ds.X1)],
            "kind": "changed",
            "column": "level",
            "live": 9,
            "replay": 3,
        }
    ]


def test_status(cli_env: Built, capsys: pytest.CaptureFixture[str]) -> None:
    head = cli_env.models.head()
    assert main(["projections", "status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"personnel    stopped  position 0 head {head} lag {head} STALE (no live worker)"
    )
    main(["projections", "rebuild"])
    capsys.readouterr()
    assert main(["projections", "status", "--json"]) == 0
    statuses = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["lag"], s["stale"]) for s in statuses] == [
        (name, 0, False) for name in PROJECTIONS
    ]


@pytest.mark.parametrize("poll", ["inf", "nan", "-1", "0", "0.05", "3601", "soon"])
def test_run_refuses_a_poll_interval_out_of_range_as_a_usage_error(
    poll: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # No ledger here: a value that got past the parser would fail on that instead.
    monkeypatch.setenv("AUXLEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'none.sqlite'}")
    monkeypatch.setenv("AUXLEDGER_KEY_DIR", str(tmp_path / "keys"))
    assert main(["projections", "run", "--poll", poll]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "--poll" in line


def test_run_stops_loudly_on_a_tampered_event(
    cli_env: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    Tamperer(cli_env.ledger).flip_payload_byte(ds.X3, 2)
    assert main(["projections", "run", "--poll", "0.1", "--projection", "personnel"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "running projections personnel on " + cli_env.backend + "; Ctrl-C to stop"
    # The first batch held the altered event: nothing was applied.
    position = Tamperer(cli_env.ledger).notification_id(ds.X3, 2)
    assert err[1].startswith(
        f"auxledger: projection personnel stopped after position 0 on the event at position "
        f"{position} (of aggregate {ds.X3}): bad_signature: Ed25519 signature does not verify"
    )
    assert main(["projections", "status"]) == 1
    out = capsys.readouterr().out
    assert "personnel    failed" in out
    assert f"STALE -- bad_signature at position 0 on the event at position {position}" in out


def test_report_as_csv_and_json(cli_env: Built, capsys: pytest.CaptureFixture[str]) -> None:
    main(["projections", "rebuild"])
    capsys.readouterr()
    assert main(["projections", "report", "quota_use", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "A01,甲市公安局,3,3,0,100.0,false"
    assert main(["projections", "report", "personnel_status", "--param", "organ=A01"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["report"], body["total"], body["page"]) == ("personnel_status", 3, 1)
    args = ["projections", "report", "personnel_status", "--format", "csv", "--all"]
    assert main([*args, "--param", "page_size=1"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["name"] for r in rows] == ["乙贰", "丙三", "甲一", "丁四"]


def test_report_errors_are_one_line(cli_env: Built, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["projections", "report", "salaries"]) == 1
    assert capsys.readouterr().err.startswith("auxledger: no report 'salaries'; the reports are ")
    assert main(["projections", "report", "quota_use", "--param", "colour=red"]) == 1
    assert capsys.readouterr().err == ("auxledger: unknown filter 'colour'; allowed: organ\n")
    assert main(["projections", "report", "quota_use", "--param", "organ"]) == 1
    assert "is not KEY=VALUE" in capsys.readouterr().err
    assert main(["projections", "rebuild", "--projection", "salaries"]) == 1
    assert "no projection 'salaries'" in capsys.readouterr().err


def test_status_judges_heartbeats_by_the_stale_setting(
    cli_env: Built, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main(["projections", "rebuild"])
    beat = datetime.now(tz=UTC) - timedelta(seconds=50)
    for name in cli_env.models.names():
        cli_env.models.projection(name).view.save_state(
            name, {"state": "running", "worker": "elsewhere:1:1", "heartbeat_at": beat}
        )
    capsys.readouterr()
    assert main(["projections", "status"]) == 0  # 50 s < the default 60 s
    assert capsys.readouterr().out.splitlines()[0].endswith("lag 0 (worker alive)")
    monkeypatch.setenv("AUXLEDGER_PROJECTION_STALE_SECONDS", "30")
    assert main(["projections", "status"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"personnel    stopped  position {cli_env.models.head()} head {cli_env.models.head()} "
        "lag 0 (no live worker)"
    )
