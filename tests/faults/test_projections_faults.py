"""Projection workers under faults, on a private PostgreSQL cluster the tests restart and stop.

Issue 17: projection workers died for good on any connection loss (``pg_ctl restart -m
fast``, a 10-s stop), and nothing took over when the process that ran them died. Here
``auxledger projections run`` processes do the projecting, a thread writes events all along,
and after each fault the read models must catch up by themselves (no restart by hand),
``projections check`` must be clean, and a killed leader's projections must move to the
other process.

Stated times: the workers are caught up at most ``RECOVERY`` seconds after the database is
back (their backoff is capped at 5 s); a standby leads at most ``TAKEOVER`` seconds after
the leader is killed (standbys try every second; the server ends a killed client's session
at once).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from domain.commands.auxiliary import Commend
from ledger.records import AuxLedger, Envelope
from projections import PROJECTIONS, ReadModels
from projections.errors import transient
from tests.conftest import initialised, make_settings
from tests.faults.cluster import PrivateCluster
from tests.integration.tamper import Tamperer
from tests.projections import dataset as ds

AUXLEDGER = str(Path(sys.executable).parent / "auxledger")
RECOVERY = 15.0
TAKEOVER = 5.0


@pytest.fixture(scope="module")
def fault_database(private_cluster: PrivateCluster) -> str:
    """A database on the private cluster for this module's ledgers (one schema per test)."""
    private_cluster.create_database("projections")
    return "projections"


class Setup:
    """A ledger with the data set on the private cluster, and the environment of its CLI."""

    def __init__(self, cluster: PrivateCluster, database: str, tmp_path: Path) -> None:
        url = cluster.url(database, "t_" + secrets.token_hex(6))
        self.tmp_path = tmp_path
        self.settings = make_settings(tmp_path, url)
        self.ledger = initialised(AuxLedger, self.settings)
        ds.build(self.ledger)
        self.models = ReadModels(self.ledger)
        self.models.ensure()
        self.env = {
            **os.environ,
            "AUXLEDGER_DATABASE_URL": url,
            "AUXLEDGER_KEY_DIR": str(tmp_path / "keys"),
            "AUXLEDGER_WITNESS_DIR": str(tmp_path / "witness"),
            "AUXLEDGER_LOG_ORIGIN": "test.auxledger.local/ledger",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def run_projections(self, label: str) -> tuple[subprocess.Popen[bytes], Path]:
        """``auxledger projections run`` in a process of its own (stderr to a file)."""
        log = self.tmp_path / f"projections-{label}.log"
        with log.open("wb") as err:
            process = subprocess.Popen(
                [AUXLEDGER, "projections", "run", "--poll", "0.2"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        self.processes.append(process)
        return process, log

    def check(self) -> subprocess.CompletedProcess[str]:
        """``auxledger projections check`` as an operator runs it."""
        return subprocess.run(
            [AUXLEDGER, "projections", "check"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def commend(self) -> bool:
        """One more event; False if the database refused it (an outage)."""
        ds.at(self.ledger, ds.TODAY)
        try:
            self.ledger.command_auxiliary(
                ds.X1,
                Commend(kind="citation", issuing_body="处"),
                Envelope(ds.PER_A, effective=ds.TODAY),
            )
        except Exception as e:
            if transient(e) is None:
                raise
            return False
        return True

    def statuses(self) -> list[Any]:
        """Every projection's status as another process sees it (None while unreachable)."""
        try:
            return self.models.status()
        except Exception as e:
            if transient(e) is None:
                raise
            return []

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        self.models.close()
        self.ledger.close()


@pytest.fixture
def setup(cluster_up: PrivateCluster, fault_database: str, tmp_path: Path) -> Iterator[Setup]:
    """The data set on the private cluster; its processes are ended afterwards."""
    built = Setup(cluster_up, fault_database, tmp_path)
    try:
        yield built
    finally:
        built.close()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until ``condition`` held (fail after ``timeout``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - started


def caught_up(setup: Setup) -> bool:
    found = setup.statuses()
    return bool(found) and all(s.lag == 0 and s.alive for s in found)


class Load:
    """A thread that writes an event every 50 ms, counting what the database acknowledged."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.acknowledged = 0
        self.refused = 0
        self._stop = threading.Event()
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self.setup.commend():
                    self.acknowledged += 1
                else:
                    self.refused += 1
                self._stop.wait(0.05)
        except BaseException as e:  # reported by stop()
            self._errors.append(e)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        assert not self._errors, self._errors


def test_workers_ride_out_a_restart_and_a_10_s_stop_and_check_is_clean(
    setup: Setup, cluster_up: PrivateCluster
) -> None:
    process, log = setup.run_projections("one")
    wait_for(lambda: caught_up(setup), 30, "the first catch-up")
    with Load(setup) as load:
        time.sleep(1)
        cluster_up.restart("fast")
        time.sleep(2)
        recovered_restart = wait_for(lambda: caught_up(setup), RECOVERY, "after the restart")
        cluster_up.stop("fast")
        time.sleep(10)
        cluster_up.start()
        back = time.monotonic()
        time.sleep(1)
        wait_for(lambda: caught_up(setup), RECOVERY, "after the 10-s stop")
        recovered_stop = time.monotonic() - back
    assert load.acknowledged > 0 and load.refused > 0  # writes went on around the faults
    wait_for(lambda: caught_up(setup), RECOVERY, "after the load")
    assert process.poll() is None, log.read_text()  # the same process, never restarted
    done = setup.check()
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[:2] for line in lines] == [[name, " clean"] for name in PROJECTIONS]
    assert all(line.endswith(", running, worker alive") and "; lag 0 " in line for line in lines)
    said = log.read_text()
    assert "projection personnel: transient database error (" in said
    assert "projection personnel: recovered after " in said
    assert "stopped on" not in said and "worker thread ended" not in said
    assert recovered_restart < RECOVERY and recovered_stop < RECOVERY


def _leaders(setup: Setup) -> set[int]:
    """The pids of the processes whose heartbeat leads the projections."""
    return {int(str(s.leader).split(":")[1]) for s in setup.statuses() if s.leader}


def _lock_sessions(setup: Setup) -> tuple[int, int]:
    """(leader-lock sessions, advisory locks they hold) on the cluster's database."""
    with psycopg.connect(setup.settings.database.conninfo(), row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT count(*) AS sessions, count(l.pid) AS locks FROM pg_stat_activity a "
            "LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
            "WHERE a.datname = current_database() "
            "AND a.application_name = 'auxledger-projection-leader'"
        ).fetchone()
    assert row is not None
    return int(row["sessions"]), int(row["locks"])


def test_one_of_two_projection_processes_leads_and_the_other_takes_over_a_kill_9(
    setup: Setup,
) -> None:
    first, _ = setup.run_projections("first")
    wait_for(lambda: caught_up(setup) and _leaders(setup) == {first.pid}, 30, "first leads")
    second, second_log = setup.run_projections("second")
    # The second starts, finds every lock taken and stands by: both processes then hold a
    # leader-lock session per projection (waited for: a loaded machine starts it slowly).
    every = len(PROJECTIONS)
    wait_for(lambda: _lock_sessions(setup)[0] == 2 * every, 30, "the second stands by")
    for _ in range(5):
        assert setup.commend()
    wait_for(lambda: caught_up(setup), 10, "the leader applies")
    assert _leaders(setup) == {first.pid}
    # Exactly one lock per projection is granted (the first's), none of the second's
    # sessions holds one.
    assert _lock_sessions(setup) == (2 * every, every)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    killed = time.monotonic()
    wait_for(lambda: _leaders(setup) == {second.pid}, TAKEOVER, "the standby takes over")
    took_over = time.monotonic() - killed
    for _ in range(5):
        assert setup.commend()
    wait_for(lambda: caught_up(setup), 10, "the new leader applies")
    assert second.poll() is None, second_log.read_text()
    done = setup.check()
    assert done.returncode == 0, done.stdout + done.stderr
    assert took_over < TAKEOVER


def test_a_deterministic_failure_names_the_event_and_stops_only_its_projections(
    setup: Setup,
) -> None:
    tamper = Tamperer(setup.ledger)
    position = tamper.notification_id(ds.X3, 2)
    tamper.flip_payload_byte(ds.X3, 2)
    process, log = setup.run_projections("tampered")

    def settled() -> bool:
        found = {s.name: s for s in setup.statuses()}
        return bool(found) and (
            found["personnel"].state == "failed" and found["complaints"].lag == 0
        )

    wait_for(settled, 30, "personnel stops, complaints catch up")
    assert setup.commend()
    wait_for(lambda: setup.statuses()[1].lag == 0, 10, "complaints carry on")
    personnel, complaints, identity, *_others = setup.statuses()
    assert (personnel.failed_event_position, personnel.failed_aggregate_id) == (
        position,
        str(ds.X3),
    )
    assert personnel.error_kind == "bad_signature"
    assert (complaints.state, complaints.alive) == ("running", True)
    assert identity.state == "failed"  # it reads the same altered event
    assert process.poll() is None  # the process keeps the complaints projection going
    said = log.read_text()
    assert (
        f"projection personnel: stopped on the event at position {position} "
        f"(of aggregate {ds.X3}): bad_signature"
    ) in said
    assert "projection personnel: worker thread ended (failed)" in said
    assert "transient database error" not in said  # not retried
    done = setup.check()
    assert done.returncode == 1
    assert (
        f"personnel: NOT READY: projection personnel stopped on the event at position "
        f"{position} (of aggregate {ds.X3}) (bad_signature); restart or rebuild it"
    ) in done.stdout.splitlines()
    assert "complaints: NOT READY" not in done.stdout
