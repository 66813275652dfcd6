"""``auxledger monitor`` against a real ``auxledger serve`` with two real witnesses.

The server, the witnesses and the monitor are separate processes on loopback; the monitor
sees the ledger only through its public HTTP endpoints.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from domain.commands.organ import RegisterOrgan, RegisterUnit
from ledger.config import Settings
from ledger.cosignature import note_text
from ledger.records import AuxLedger, Envelope
from tests.api.conftest import actor
from tests.conftest import initialised, make_settings
from tests.integration.witnesses import (
    AUXLEDGER,
    WitnessProcess,
    free_port,
    keygen,
    start_witness,
    wait_for,
)
from tests.serving import serve_env
from tests.serving import serving as serve_process


@contextmanager
def serving(
    settings: Settings, witnesses: list[WitnessProcess], log: Path, port: int | None = None
) -> Iterator[str]:
    """``auxledger serve`` with these witnesses; yields its base URL."""
    env = serve_env(settings, AUXLEDGER_WITNESSES=" ".join(f"{w.vkey} {w.url}" for w in witnesses))
    with serve_process(env, log, port=port, stop_signal=signal.SIGTERM) as served:
        yield served.base


def _published(base: str) -> str:
    with urllib.request.urlopen(base + "/v1/ledger/checkpoint", timeout=5) as answer:
        return str(answer.read().decode())


def _published_size_and_cosignatures(base: str) -> tuple[int, int]:
    text, lines = note_text(_published(base))
    return int(text.split("\n")[1]), len(lines) - 1


def _write(ledger: AuxLedger, organ: str) -> None:
    admin = actor("admin", organ)
    ledger.register_organ(
        RegisterOrgan(code=organ, name=f"{organ}局", region="南通市"), Envelope(admin)
    )
    ledger.command_organ(organ, RegisterUnit(code=f"{organ}-001", name="一所"), Envelope(admin))


def _head(ledger: AuxLedger) -> int:
    from ledger.log import MerkleLog  # noqa: PLC0415

    latest = MerkleLog(ledger.ledger_recorder).latest_checkpoint()
    assert latest is not None
    return latest.tree_size


def _wait_cosigned(base: str, ledger: AuxLedger, count: int = 2) -> None:
    wait_for(
        lambda: _published_size_and_cosignatures(base) == (_head(ledger), count),
        what=f"the latest checkpoint published with {count} cosignatures",
    )


def monitor(
    base: str, ledger: AuxLedger, state: Path | None, *extra: str, cwd: Path | None = None
) -> tuple[int, str]:
    """``auxledger monitor --once``; without ``state``, no ``--state`` (its default)."""
    status = ledger.keyring().active_key
    assert status is not None
    args = [AUXLEDGER, "monitor", "--url", base, "--log-vkey", status.public.vkey, "--once"]
    done = subprocess.run(
        [*args, *(["--state", str(state)] if state is not None else []), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )
    return done.returncode, done.stdout + done.stderr


def _follow(base: str, ledger: AuxLedger, state: Path, metrics: Path, *extra: str) -> Any:
    """``auxledger monitor --interval`` in the background."""
    status = ledger.keyring().active_key
    assert status is not None
    args = [AUXLEDGER, "monitor", "--url", base, "--log-vkey", status.public.vkey, *extra]
    return subprocess.Popen(
        [*args, "--interval", "0.3", "--state", str(state), "--metrics-file", str(metrics)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _figure(figures: str, name: str) -> float:
    [line] = [x for x in figures.splitlines() if x.startswith(f"auxledger_monitor_{name}{{")]
    return float(line.rsplit(" ", 1)[1])


def _witnesses(tmp_path: Path, ledger: AuxLedger) -> list[WitnessProcess]:
    status = ledger.keyring().active_key
    assert status is not None
    return [
        start_witness(tmp_path / "witnesses", name, [status.public.vkey])
        for name in ("jcy.nantong.example/w1", "jw.nantong.example/w2")
    ]


def test_the_monitor_follows_a_cosigned_ledger(aux_ledger: AuxLedger, tmp_path: Path) -> None:
    witnesses = _witnesses(tmp_path, aux_ledger)
    vkeys = [arg for w in witnesses for arg in ("--witness-vkey", w.vkey)]
    metrics = tmp_path / "textfile" / "auxledger.prom"
    state = tmp_path / "monitor"
    try:
        with serving(aux_ledger.settings, witnesses, tmp_path / "serve.log") as base:
            _write(aux_ledger, "320602")
            _wait_cosigned(base, aux_ledger)
            code, out = monitor(base, aux_ledger, state, *vkeys, "--metrics-file", str(metrics))
            assert code == 0, out
            assert "2 witness cosignature(s)" in out
            figures = metrics.read_text()
            assert "# TYPE auxledger_monitor_consistent gauge" in figures
            assert 'auxledger_monitor_consistent{origin="test.auxledger.local/ledger"' in figures
            assert "} 1\n" in figures.split("auxledger_monitor_consistent{", 1)[1]
            assert "auxledger_monitor_tree_size{" in figures
            _write(aux_ledger, "320612")  # the log grows: a consistency proof is checked
            _wait_cosigned(base, aux_ledger)
            code, out = monitor(base, aux_ledger, state, *vkeys, "--metrics-file", str(metrics))
            assert code == 0, out
            assert f"tree size {_head(aux_ledger)}" in out
            # Without --state (optional, docs/contract.md): a folder per origin in var/monitor.
            assert monitor(base, aux_ledger, None, *vkeys, cwd=tmp_path)[0] == 0
            kept = tmp_path / "var" / "monitor" / "test.auxledger.local%2Fledger" / "checkpoint"
            assert kept.read_text() == (state / "checkpoint").read_text()
            # A witness the ledger does not use: the quorum of three is not met. The checkpoint
            # is consistent, so it is "not yet cosigned" (exit 3), never an inconsistency, and
            # the state is not moved.
            accepted = (state / "checkpoint").read_text()
            _write(aux_ledger, "320613")
            _wait_cosigned(base, aux_ledger)
            _, stranger = keygen(tmp_path / "stranger", "other.example/w")
            code, out = monitor(
                base,
                aux_ledger,
                state,
                *vkeys,
                "--witness-vkey",
                stranger,
                "--metrics-file",
                str(metrics),
            )
            assert code == 3, out
            assert "not yet cosigned: 2 of the 3 required" in out and "INCONSISTENT" not in out
            assert (state / "checkpoint").read_text() == accepted
            figures = metrics.read_text()
            assert _figure(figures, "awaiting_cosignatures") == 1
            assert _figure(figures, "consistent") == 1
            assert not (state / "evidence.log").exists()
            code, out = monitor(base, aux_ledger, state, *vkeys)  # the state still moves on
            assert code == 0, out
            assert (state / "checkpoint").read_text() != accepted
        code, out = monitor(base, aux_ledger, state, *vkeys)  # the server is gone
        assert code == 2 and "could not check" in out
        assert monitor(base, aux_ledger, state, "--witnesses-required", "1")[0] == 2
    finally:
        for w in witnesses:
            w.kill()


def test_the_monitor_fails_against_a_rolled_back_database(tmp_path: Path) -> None:
    database = tmp_path / "ledger.sqlite"
    settings = make_settings(tmp_path, f"sqlite:///{database}")
    ledger = initialised(AuxLedger, settings)
    witnesses = _witnesses(tmp_path, ledger)
    vkeys = [arg for w in witnesses for arg in ("--witness-vkey", w.vkey)]
    state = tmp_path / "monitor"
    backup = tmp_path / "backup.sqlite"
    port = free_port()
    metrics = tmp_path / "follower.prom"
    follower: subprocess.Popen[str] | None = None
    try:
        with serving(settings, witnesses, tmp_path / "serve.log", port) as base:
            _write(ledger, "320602")
            _wait_cosigned(base, ledger)
            assert monitor(base, ledger, state, *vkeys)[0] == 0
            follower = _follow(base, ledger, tmp_path / "follower", metrics, *vkeys)
            with sqlite3.connect(database) as source, sqlite3.connect(backup) as copy:
                source.backup(copy)  # last night's backup
            _write(ledger, "320612")
            _write(ledger, "320613")
            _wait_cosigned(base, ledger)
            assert monitor(base, ledger, state, *vkeys)[0] == 0
            seen = _head(ledger)
        ledger.close()
        with sqlite3.connect(backup) as copy, sqlite3.connect(database) as target:
            copy.backup(target)  # the operator restores the backup
        ledger = AuxLedger(settings)
        assert _head(ledger) < seen
        with serving(settings, witnesses, tmp_path / "serve-restored.log", port) as base:
            # The monitor that kept following through the restart stops by itself.
            assert follower.wait(90) == 1
            out = follower.stdout.read() if follower.stdout else ""
            assert "consistent:" in out and "INCONSISTENT rollback" in out
            assert "could not check" in (follower.stderr.read() if follower.stderr else "")
            figures = metrics.read_text()
            assert _figure(figures, "consistent") == 0 and _figure(figures, "up") == 1
            assert _figure(figures, "inconsistencies_found") == 1
            code, out = monitor(base, ledger, state, *vkeys)
            assert code == 1, out
            assert (
                f"rollback: the ledger shows tree size {_head(ledger)}, smaller than the {seen}"
                in out
            )
            # Writing on past the old size does not help: the witnesses refuse the fork,
            # so the published checkpoint stays the restored one (never cosigned again).
            for organ in ("320614", "320615", "320616"):
                _write(ledger, organ)
            assert _head(ledger) > seen
            wait_for(
                lambda: all("inconsistent" in w.evidence() for w in witnesses),
                timeout=90,
                what="both witnesses to refuse the forked history",
            )
            code, out = monitor(base, ledger, state, *vkeys)
            assert code == 1, out
            assert "rollback" in out
        # Served without witnesses, the forked head itself is published: no consistency proof
        # leads to it from the checkpoint the monitor saw.
        with serving(settings, [], tmp_path / "serve-forked.log", port) as base:
            code, out = monitor(base, ledger, state)
            assert code == 1, out
            assert f"INCONSISTENT inconsistent: tree size {_head(ledger)} does not extend" in out
        evidence = (state / "evidence.log").read_text()
        assert evidence.count("rollback") == 2 and evidence.count("inconsistent") == 1
    finally:
        if follower is not None and follower.poll() is None:
            follower.kill()
            follower.wait(10)
        ledger.close()
        for w in witnesses:
            w.kill()


def _outcome_monitor(state: Path) -> Any:
    from api.verbs.monitor import Monitor  # noqa: PLC0415

    return Monitor(
        url="http://127.0.0.1:1/",
        log_keys=[],
        origin="test.auxledger.local/ledger",
        witness_keys=[],
        required=2,
        state=state,
    )


def test_the_metrics_file_keeps_full_precision(tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families  # noqa: PLC0415

    from api.verbs.monitor import Outcome, write_metrics  # noqa: PLC0415

    outcome = Outcome(ok=True, reachable=True, tree_size=123_456_789_012, cosignatures=2)
    outcome.checked_at = 1764742000.5
    path = tmp_path / "auxledger.prom"
    write_metrics(path, _outcome_monitor(tmp_path / "state"), outcome, 1764741999.25)
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }
    assert values["auxledger_monitor_last_check_timestamp_seconds"] == 1764742000.5
    assert values["auxledger_monitor_last_consistent_timestamp_seconds"] == 1764741999.25
    assert values["auxledger_monitor_tree_size"] == 123_456_789_012
    assert values["auxledger_monitor_consistent"] == 1


def test_the_metrics_file_is_readable_by_node_exporter_whatever_the_umask(
    tmp_path: Path,
) -> None:
    # The shipped units run with UMask=0077; node-exporter reads the file as another user.
    import stat  # noqa: PLC0415

    from api.verbs.monitor import Outcome, write_metrics  # noqa: PLC0415

    path = tmp_path / "auxledger.prom"
    previous = os.umask(0o077)
    try:
        for _ in range(2):  # written, then replaced
            write_metrics(path, _outcome_monitor(tmp_path / "state"), Outcome(), None)
            assert stat.S_IMODE(path.stat().st_mode) == 0o644
    finally:
        os.umask(previous)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_keeping_the_state_fsyncs_the_folder_after_the_rename(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import stat  # noqa: PLC0415

    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monitor = _outcome_monitor(tmp_path / "state")
    monitor._keep("a note\n")
    assert (tmp_path / "state" / "checkpoint").read_text() == "a note\n"
    assert synced == ["file", "folder"]


def test_keeping_the_state_leaves_the_witness_service_out(tmp_path: Path) -> None:
    # The monitor is the outsiders' tool: keeping its state must not import the witness
    # service (ledger.witness) nor the fcntl it locks with. A fresh interpreter, as pytest's
    # own may have imported both already.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from api.verbs.monitor import Monitor\n"
        "monitor = Monitor(url='http://127.0.0.1:1/', log_keys=[], origin='test.auxledger.local/l',"
        f" witness_keys=[], required=2, state=Path({str(tmp_path / 'state')!r}))\n"
        "monitor._keep('a note\\n')\n"
        "print(sorted({'fcntl', 'ledger.witness'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "[]\n"
    assert (tmp_path / "state" / "checkpoint").read_text() == "a note\n"
