"""``auxledger verify --textfile``: the result where node-exporter's textfile collector reads it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.config import Settings
from ledger.records import AuxLedger
from tests.integration.conftest import run_cli
from tests.integration.tamper import Tamperer


def _read(path: Path) -> dict[str, tuple[dict[str, str], float]]:
    """Every sample of the file, parsed by prometheus_client's own text parser."""
    samples = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        assert family.type == "gauge"
        for sample in family.samples:
            assert sample.name not in samples
            samples[sample.name] = (sample.labels, sample.value)
    return samples


def _value(samples: dict[str, tuple[dict[str, str], float]], name: str) -> float:
    return samples[f"auxledger_verify_{name}"][1]


def test_clean_run_writes_result_mode_size_and_success_time(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert run_cli(capsys, "init")[0] == 0
    assert run_cli(capsys, "demo", "--officers", "3")[0] == 0
    folder = tmp_path / "textfile"
    folder.mkdir()
    path = folder / "auxledger-verify.prom"
    before = time.time()
    code, out, _ = run_cli(capsys, "verify", "--json", "--textfile", str(path))
    assert code == 0
    report = json.loads(out)
    samples = _read(path)
    assert {labels["mode"] for labels, _ in samples.values()} == {"incremental"}
    assert _value(samples, "ok") == 1 and _value(samples, "exit_code") == 0
    assert _value(samples, "failures") == 0
    assert _value(samples, "tree_size") == report["tree_size"] > 0
    assert _value(samples, "events_checked") == report["events_checked"]
    assert before <= _value(samples, "last_success_timestamp_seconds") <= time.time()
    assert _value(samples, "last_run_timestamp_seconds") == pytest.approx(
        _value(samples, "last_success_timestamp_seconds")
    )
    assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in folder.iterdir()) == [path.name]  # no temporary file left


def test_failed_run_keeps_the_last_success_time(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    run_cli(capsys, "init")
    run_cli(capsys, "demo", "--officers", "3")
    full = tmp_path / "full.prom"
    assert run_cli(capsys, "verify", "--full", "--textfile", str(full))[0] == 0
    success = _value(_read(full), "last_success_timestamp_seconds")

    ledger = AuxLedger(cli_env)
    victim = ledger.recorder.select_notifications(start=None, limit=20)[10]
    Tamperer(ledger).flip_payload_byte(victim.originator_id, victim.originator_version)
    ledger.close()
    time.sleep(0.01)
    code, _, _ = run_cli(capsys, "verify", "--full", "--textfile", str(full))
    assert code == 1
    samples = _read(full)
    assert {labels["mode"] for labels, _ in samples.values()} == {"full"}
    assert _value(samples, "ok") == 0 and _value(samples, "exit_code") == 1
    assert _value(samples, "failures") >= 1
    assert _value(samples, "last_success_timestamp_seconds") == success
    assert _value(samples, "last_run_timestamp_seconds") > success
    # ... and the next failed run still finds it.
    assert run_cli(capsys, "verify", "--full", "--textfile", str(full))[0] == 1
    assert _value(_read(full), "last_success_timestamp_seconds") == success


def test_run_that_could_not_verify_is_recorded_too(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    run_cli(capsys, "init")
    path = tmp_path / "incremental.prom"
    assert run_cli(capsys, "verify", "--textfile", str(path))[0] == 0
    success = _value(_read(path), "last_success_timestamp_seconds")
    (cli_env.witness_dir / "checkpoint").write_text("not a checkpoint\n")
    code, _, err = run_cli(capsys, "verify", "--textfile", str(path))
    assert code == 2 and "AUXLEDGER_WITNESS_DIR" in err
    samples = _read(path)
    assert _value(samples, "ok") == 0 and _value(samples, "exit_code") == 2
    assert "auxledger_verify_tree_size" not in samples  # nothing was verified
    assert "auxledger_verify_failures" not in samples
    assert _value(samples, "last_success_timestamp_seconds") == success


def test_a_first_run_that_fails_has_no_success_time(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    run_cli(capsys, "init")
    cli_env.witness_dir.mkdir(parents=True, exist_ok=True)
    (cli_env.witness_dir / "checkpoint").write_text("not a checkpoint\n")
    path = tmp_path / "incremental.prom"
    assert run_cli(capsys, "verify", "--textfile", str(path))[0] == 2
    samples = _read(path)
    assert _value(samples, "exit_code") == 2
    assert "auxledger_verify_last_success_timestamp_seconds" not in samples


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing/verify.prom", "does not exist"), ("verify.txt", "must end in .prom")],
)
def test_bad_textfile_path_is_refused_before_verifying(
    cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    message: str,
) -> None:
    run_cli(capsys, "init")
    code, out, err = run_cli(capsys, "verify", "--textfile", str(tmp_path / name))
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and message in lines[0] and out == ""
    assert not (tmp_path / name).exists()
    assert not cli_env.witness_dir.exists()  # nothing verified, no witness written
