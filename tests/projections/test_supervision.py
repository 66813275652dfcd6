"""Supervised projection workers: transient errors retried, one leader per projection."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import OperationalError as LibraryOperationalError

from domain.commands.auxiliary import Commend
from ledger.errors import BadSignatureError
from ledger.records import AuxLedger, Envelope
from projections import PROJECTIONS, ProjectionSupervisor, ReadModels
from projections.errors import transient
from tests.conftest import PostgresServer, make_settings
from tests.integration.tamper import Tamperer
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand
from tests.projections.test_workers import clean, wait_for


def _locked_error(tmp_path: Path) -> sqlite3.OperationalError:
    """A real SQLITE_BUSY: a second writer while the first holds the write lock."""
    path = tmp_path / "busy.sqlite"
    first = sqlite3.connect(path, isolation_level=None)
    second = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        first.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as info:
            second.execute("BEGIN IMMEDIATE")
        return info.value
    finally:
        first.close()
        second.close()


def test_transient_errors_are_told_by_class_and_code_never_by_message(tmp_path: Path) -> None:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect("postgresql://nobody@127.0.0.1:1/nowhere", connect_timeout=2)
    assert transient(refused.value) == "connection lost"
    for cls, state in (
        (psycopg.errors.AdminShutdown, "57P01"),
        (psycopg.errors.CannotConnectNow, "57P03"),
        (psycopg.errors.SerializationFailure, "40001"),
        (psycopg.errors.DeadlockDetected, "40P01"),
        (psycopg.errors.ConnectionFailure, "08006"),
    ):
        assert transient(cls()) == f"sqlstate {state}"
        # As eventsourcing wraps it (``raise OperationalError(str(e)) from e``).
        try:
            try:
                raise cls()
            except psycopg.Error as e:
                raise LibraryOperationalError(str(e)) from e
        except LibraryOperationalError as wrapped:
            assert transient(wrapped) == f"sqlstate {state}"
    busy = _locked_error(tmp_path)
    assert transient(busy) == "database is locked"
    # Deterministic: retrying gives the same answer.
    assert transient(psycopg.errors.UndefinedColumn()) is None
    assert transient(psycopg.errors.UniqueViolation()) is None
    assert transient(BadSignatureError("altered", position=3)) is None
    assert transient(RuntimeError("connection lost")) is None
    # The same words without the code are not enough.
    assert transient(sqlite3.OperationalError("database is locked")) is None
    assert transient(LibraryOperationalError("server closed the connection")) is None


@pytest.fixture
def alone(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Built]:
    """The data set in a database of its own: on PostgreSQL the other tests of this process
    keep their schemas in one shared database, and ending every session of a database must
    not end theirs (a live console server, another test's workers)."""
    if backend == "sqlite":
        yield request.getfixturevalue("fresh")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database = f"{server.database}_alone_{secrets.token_hex(3)}"
    with psycopg.connect(server.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        url = server.admin_url.rsplit("/", 1)[0] + "/" + database
        ledger = AuxLedger(make_settings(tmp_path, url), create_tables=True)
        try:
            ledger.initialise("test")
            data = ds.build(ledger)
            models = ReadModels(ledger)
            models.ensure()
            try:
                yield Built(ledger, models, data, backend)
            finally:
                models.close()
        finally:
            ledger.close()
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _lose_connections(built: Built, holder: list[sqlite3.Connection]) -> None:
    """Take the database away from the workers, as a restart or a busy writer does."""
    if built.backend == "postgres":
        # Every other session of this test's own database (``alone``): the workers' pooled,
        # LISTEN and leader-lock connections all end (SQLSTATE 57P01, then "connection lost").
        conninfo = built.ledger.settings.database.conninfo()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    else:
        path = built.ledger.settings.database.sqlite_path
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # the write lock, held until released
        holder.append(conn)


def _commend(built: Built) -> None:
    """One more event. The test's own write may meet a pooled connection the loss killed
    (checking pooled connections before reuse is another change): it tries again."""
    ds.at(built.ledger, ds.TODAY)
    for attempt in range(10):
        try:
            built.ledger.command_auxiliary(
                ds.X1,
                Commend(kind="citation", issuing_body="处"),
                Envelope(ds.PER_A, effective=ds.TODAY),
            )
            return
        except Exception as e:
            if transient(e) is None or attempt == 9:
                raise
            time.sleep(0.2)


@pytest.mark.both_backends
def test_a_worker_retries_transient_errors_and_recovers_by_itself(
    alone: Built, caplog: pytest.LogCaptureFixture
) -> None:
    fresh = alone
    fresh.models.db.lock_timeout = 0.2  # SQLite: busy after 0.2 s, not the default 30 s
    supervisor = ProjectionSupervisor(fresh.models, poll_interval=0.1)
    worker = supervisor.workers["personnel"]
    worker.backoff_first, worker.backoff_cap = 0.1, 0.5
    caplog.set_level(logging.INFO, logger="auxledger.projections")
    supervisor.start()
    held: list[sqlite3.Connection] = []
    try:
        wait_for(lambda: all(s.lag == 0 for s in supervisor.status()))
        _lose_connections(fresh, held)
        if not held:  # PostgreSQL: a new event for the workers to meet the loss with
            _commend(fresh)
        wait_for(lambda: worker.retries >= 1, timeout=20)
        if held:
            # SQLite: the ledger cannot write while the lock is held; the worker meets the
            # lock several times, then it is let go and a new event comes.
            wait_for(lambda: worker.retries >= 3, timeout=20)
            held.pop().rollback()
            _commend(fresh)
        wait_for(
            lambda: all(s.lag == 0 and s.state == "running" for s in supervisor.status()),
            timeout=30,
        )
        assert worker.alive and worker.failure is None
        assert supervisor.failures() == []
    finally:
        for conn in held:
            conn.close()
        supervisor.stop()
    assert clean(fresh.models)
    lines = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("projection personnel")
    ]
    # Once per state change, never once per retry: on SQLite the worker met the lock at least
    # three times in one outage. (On PostgreSQL each dead pooled connection fails once; a
    # round that worked in between is a recovery, and a later failure a new outage.)
    outages = sum("transient database error" in line for line in lines)
    assert outages == sum("recovered after" in line for line in lines) >= 1, lines
    if fresh.backend == "sqlite":
        assert outages == 1 and worker.retries >= 3, lines
    assert lines[-1] == "projection personnel: worker thread ended (stopped)"


def test_a_deterministic_failure_names_the_event_and_stops_only_that_projection(
    fresh: Built, caplog: pytest.LogCaptureFixture
) -> None:
    tamper = Tamperer(fresh.ledger)
    position = tamper.notification_id(ds.X3, 2)
    tamper.flip_payload_byte(ds.X3, 2)
    caplog.set_level(logging.INFO, logger="auxledger.projections")
    supervisor = ProjectionSupervisor(fresh.models, poll_interval=0.1)
    supervisor.start()
    try:
        worker = supervisor.workers["personnel"]
        wait_for(lambda: not worker.alive)
        wait_for(lambda: supervisor.status()[1].lag == 0)
        personnel, complaints, *_others = supervisor.status()
        assert (personnel.state, personnel.alive) == ("failed", False)
        assert (personnel.failed_event_position, personnel.failed_aggregate_id) == (
            position,
            str(ds.X3),
        )
        assert worker.retries == 0  # not retried: the same event fails the same way
        # The complaints projection never reads that event and carries on; the identity
        # projection reads it too and stops on it as well.
        assert (complaints.state, complaints.alive) == ("running", True)
        wait_for(lambda: supervisor.status()[2].state == "failed")
        assert supervisor.status()[2].failed_event_position == position
        assert personnel.problem(max_lag=1000) == (
            f"projection personnel stopped on the event at position {position} "
            f"(of aggregate {ds.X3}) (bad_signature); restart or rebuild it"
        )
        # Another process reads the event from the state table.
        elsewhere = ReadModels(fresh.ledger)
        try:
            kept = elsewhere.status()[0]
            assert (kept.state, kept.failed_event_position, kept.failed_aggregate_id) == (
                "failed",
                position,
                str(ds.X3),
            )
        finally:
            elsewhere.close()
    finally:
        supervisor.stop()
    errors = [
        r
        for r in caplog.records
        if r.levelno == logging.ERROR and r.getMessage().startswith("projection personnel")
    ]
    assert [r.getMessage() for r in errors] == [
        f"projection personnel: stopped on the event at position {position} "
        f"(of aggregate {ds.X3}): bad_signature",
        "projection personnel: worker thread ended (failed)",
    ]
    assert getattr(errors[0], "event_position", None) == position


@pytest.mark.both_backends
def test_one_leader_per_projection_and_a_standby_takes_over(fresh: Built) -> None:
    first_models, second_models = ReadModels(fresh.ledger), ReadModels(fresh.ledger)
    first = ProjectionSupervisor(first_models, poll_interval=0.1, standby_interval=0.2)
    second = ProjectionSupervisor(second_models, poll_interval=0.1, standby_interval=0.2)
    try:
        first.start()
        wait_for(lambda: all(s.state == "running" and s.lag == 0 for s in first.status()))
        second.start()
        wait_for(lambda: all(w.state == "standby" for w in second.workers.values()))
        assert [s.state for s in second.status()] == ["standby"] * len(PROJECTIONS)
        assert all(s.alive for s in second.status())  # the leader elsewhere is alive
        ds.aux(fresh.ledger, ds.X1, ds.TODAY, Commend(kind="citation", issuing_body="处"))
        # The position is committed inside catch_up, ``applied`` counted after it returns:
        # wait for both, not for the lag alone.
        wait_for(
            lambda: (
                all(s.lag == 0 for s in first.status()) and first.workers["personnel"].applied > 0
            )
        )
        assert [w.applied for w in second.workers.values()] == [0] * len(PROJECTIONS)
        # The leader goes: the standby takes over within a second or so.
        first.stop()
        stopped = time.monotonic()
        wait_for(lambda: all(w.state == "running" for w in second.workers.values()), timeout=5)
        took_over = time.monotonic() - stopped
        assert took_over < 2.0, took_over
        ds.aux(fresh.ledger, ds.X1, ds.TODAY, Commend(kind="citation", issuing_body="处"))
        wait_for(
            lambda: (
                all(s.lag == 0 and s.alive for s in second.status())
                and second.workers["personnel"].applied > 0
            )
        )
    finally:
        first.stop()
        second.stop()
        first_models.close()
        second_models.close()
    assert clean(fresh.models)


def test_backoff_doubles_up_to_its_cap_with_jitter(fresh: Built) -> None:
    worker = ProjectionSupervisor(fresh.models).workers["personnel"]
    assert (worker.backoff_first, worker.backoff_cap) == (0.5, 5.0)
    for failures, step in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0), (40, 5.0)):
        waits = {worker._backoff(failures) for _ in range(50)}
        assert all(step / 2 <= w <= step for w in waits), (failures, waits)
        assert len(waits) > 1  # jittered: processes that failed together do not retry together


def test_a_state_table_of_an_older_version_gets_the_new_columns(fresh: Built) -> None:
    by_hand(fresh, "DROP TABLE {rm_projection_state}")
    by_hand(
        fresh,
        "CREATE TABLE {rm_projection_state} (projection text NOT NULL, state text NOT NULL, "
        "worker text, heartbeat_at text, failed_at text, failed_position bigint, "
        "error_kind text, error text, PRIMARY KEY (projection))",
    )
    fresh.models.ensure()
    view = fresh.models.projection("personnel").view
    view.save_state(
        "personnel",
        {"state": "failed", "failed_event_position": 5, "failed_aggregate_id": str(ds.X1)},
    )
    personnel = fresh.models.status()[0]
    assert (personnel.state, personnel.failed_event_position, personnel.failed_aggregate_id) == (
        "failed",
        5,
        str(ds.X1),
    )


@pytest.mark.both_backends
def test_two_projection_processes_one_leads_and_the_other_takes_over_a_kill_9(
    fresh: Built, database_url: str, tmp_path: Path
) -> None:
    # SQLite: the flock beside the ledger; PostgreSQL: the advisory lock (also shown on a
    # private cluster in tests/faults/test_projections_faults.py).
    env = {
        **os.environ,
        "AUXLEDGER_DATABASE_URL": database_url,
        "AUXLEDGER_KEY_DIR": str(tmp_path / "keys"),
        "AUXLEDGER_WITNESS_DIR": str(tmp_path / "witness"),
        "AUXLEDGER_LOG_ORIGIN": "test.auxledger.local/ledger",
    }
    command = [str(Path(sys.executable).parent / "auxledger"), "projections", "run"]
    started: list[subprocess.Popen[bytes]] = []

    def leaders() -> set[int]:
        return {int(str(s.leader).split(":")[1]) for s in fresh.models.status() if s.leader}

    def caught_up() -> bool:
        return all(s.lag == 0 and s.alive for s in fresh.models.status())

    try:
        for _ in range(2):
            started.append(
                subprocess.Popen(
                    [*command, "--poll", "0.2"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            if len(started) == 1:
                wait_for(lambda: caught_up() and leaders() == {started[0].pid}, timeout=30)
        first, second = started
        time.sleep(2)  # the second finds every lock taken
        _commend(fresh)
        wait_for(caught_up)
        assert leaders() == {first.pid}
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed = time.monotonic()
        wait_for(lambda: leaders() == {second.pid}, timeout=5)
        assert time.monotonic() - killed < 5
        _commend(fresh)
        wait_for(caught_up)
        assert second.poll() is None
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
    assert clean(fresh.models)
