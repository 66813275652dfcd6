"""How the recorders tell database errors apart: by SQLSTATE and constraint name on
PostgreSQL, by a check in the same transaction on SQLite -- never by message text. Every
error here is a real one, from a real PostgreSQL or a real SQLite file."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent
from psycopg import errors as pg
from psycopg.sql import SQL, Identifier

from ledger.application import LedgerApplication
from ledger.config import Settings
from ledger.errors import StaleSigningKeyError
from ledger.log import MerkleLog
from ledger.persistence import (
    HEAD,
    LEAVES,
    MASTER_CHECK,
    NODES,
    SEQUENCER,
    SEQUENCER_FUNCTION,
    SUBJECT_KEYS,
    PostgresLedgerRecorder,
    SQLiteLedgerRecorder,
    SubjectKeyMissingError,
)
from ledger.persistence.errors import (
    SEQUENCER_KEY_CONFLICT,
    SEQUENCER_STALE_KEY,
    sequencer_missing,
    sequencer_refused,
    server_busy,
    sqlstate,
    stale_head,
    subject_key_conflict,
)
from ledger.persistence.postgres import _SequencerRefusedError
from ledger.privacy import SubjectKeyConflictError
from tests.conftest import PostgresServer, initialised, make_settings
from tests.integration.aggregates import Notebook


def _master_id(app: LedgerApplication) -> str:
    """The ledger's recorded master key id: a new data key is stored only under it."""
    key = app.privacy.master(required=True)
    assert key is not None
    return key.key_id


@pytest.fixture
def pg_settings(tmp_path: Path, postgres_url: str) -> Settings:
    return make_settings(tmp_path, postgres_url)


@pytest.fixture
def pg_app(pg_settings: Settings) -> Iterator[LedgerApplication]:
    with closing(initialised(LedgerApplication, pg_settings)) as app:
        yield app


def _pg(app: LedgerApplication) -> PostgresLedgerRecorder:
    recorder = app.ledger_recorder
    assert isinstance(recorder, PostgresLedgerRecorder)
    return recorder


def _events(app: LedgerApplication, title: str) -> list[StoredEvent]:
    book = Notebook.open(title)
    return [app.mapper.to_stored_event(e) for e in book.collect_events()]


def _admin(settings: Settings) -> psycopg.Connection[Any]:
    db = settings.database
    return psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user, password=db.password
    )


def test_a_write_on_a_stale_head_is_told_by_its_sqlstate(
    pg_settings: Settings, pg_app: LedgerApplication
) -> None:
    other = LedgerApplication(pg_settings)
    try:
        pg_app.save(Notebook.open("mine"))  # this process now knows the head
        other.save(Notebook.open("theirs"))  # another moves it
    finally:
        other.close()
    recorder = _pg(pg_app)
    known = recorder._head
    assert known is not None
    events = _events(pg_app, "late")
    with pytest.raises(PersistenceError) as caught:
        recorder._write(events, known, {"signer": pg_app.active_signer()})
    assert sqlstate(caught.value) == pg.DivisionByZero.sqlstate
    assert stale_head(caught.value)
    assert not subject_key_conflict(caught.value)
    assert pg_app.recorder.select_events(events[0].originator_id) == []


def test_a_collision_on_a_log_key_is_a_stale_head_and_on_the_events_key_is_not(
    pg_settings: Settings, pg_app: LedgerApplication
) -> None:
    book = Notebook.open("one")
    pg_app.save(book)
    schema = Identifier(pg_settings.database.schema)
    with _admin(pg_settings) as conn, pytest.raises(pg.UniqueViolation) as on_log:
        conn.execute(
            SQL("INSERT INTO {s}.{t} SELECT * FROM {s}.{t} LIMIT 1").format(
                s=schema, t=Identifier(LEAVES)
            )
        )
    assert on_log.value.diag.constraint_name == f"{LEAVES}_pkey"
    assert stale_head(on_log.value)
    with _admin(pg_settings) as conn, pytest.raises(pg.UniqueViolation) as on_events:
        conn.execute(
            SQL(
                "INSERT INTO {s}.auxledger_events (originator_id, originator_version, topic, "
                "state) SELECT originator_id, originator_version, topic, state "
                "FROM {s}.auxledger_events LIMIT 1"
            ).format(s=schema)
        )
    assert not stale_head(on_events.value)
    # Through the recorder (eventsourcing wraps the driver's error): the same decision.
    again = list(pg_app.recorder.select_events(book.id))
    with pytest.raises(IntegrityError) as wrapped:
        _pg(pg_app)._write(again, None, {"signer": pg_app.active_signer()})
    assert sqlstate(wrapped.value) == pg.UniqueViolation.sqlstate
    assert not stale_head(wrapped.value)


def test_a_conflicting_data_key_is_told_by_its_sqlstate_on_every_path(
    pg_app: LedgerApplication,
) -> None:
    subject = uuid4()
    signer = pg_app.active_signer()
    pg_app.save(
        Notebook.open("first"), subject_keys={subject: (b"wrapped-one", _master_id(pg_app))}
    )
    recorder = _pg(pg_app)
    theirs = {"signer": signer, "subject_keys": {subject: (b"wrapped-two", _master_id(pg_app))}}
    # The one-statement append (optimistic and locked paths): the guard's failing cast.
    assert recorder._head is not None
    with pytest.raises(PersistenceError) as guarded:
        recorder._write(_events(pg_app, "optimistic"), recorder._head, theirs)
    assert sqlstate(guarded.value) == pg.InvalidTextRepresentation.sqlstate
    assert subject_key_conflict(guarded.value)
    assert not stale_head(guarded.value)
    # The sequencer: its own SQLSTATE.
    with pytest.raises(PersistenceError) as sequenced:
        recorder._sequence(_events(pg_app, "sequenced"), theirs)
    assert sqlstate(sequenced.value) == SEQUENCER_KEY_CONFLICT
    assert subject_key_conflict(sequenced.value)
    assert not sequencer_refused(sequenced.value)
    # Either way the caller is told what happened, and nothing was stored.
    size = MerkleLog(recorder).tree_size()
    for stale in (0.0, time.monotonic()):  # optimistic first, then through the sequencer
        recorder._last_stale = stale
        events = _events(pg_app, "refused")
        with pytest.raises(SubjectKeyConflictError):
            recorder.insert_events(events, **theirs)
        assert pg_app.recorder.select_events(events[0].originator_id) == []
    assert MerkleLog(recorder).tree_size() == size


def test_the_sequencer_refuses_a_retired_key_with_its_own_sqlstate(
    pg_app: LedgerApplication,
) -> None:
    old = pg_app.active_signer()
    pg_app.rotate_key("test")
    recorder = _pg(pg_app)
    with pytest.raises(_SequencerRefusedError) as refused:
        recorder._sequence(_events(pg_app, "late"), {"signer": old})
    cause = refused.value.__cause__
    assert cause is not None and sqlstate(cause) == SEQUENCER_STALE_KEY
    assert sequencer_refused(cause) and not subject_key_conflict(cause)


def test_a_sequencer_of_an_earlier_release_is_still_understood(
    pg_settings: Settings, pg_app: LedgerApplication
) -> None:
    """A ledger whose sequencer was created before its refusals had SQLSTATEs of their own
    (RAISE's default P0001, and data_exception): refusals still go to the locked path and
    key conflicts are still key conflicts."""
    legacy = (
        SEQUENCER_FUNCTION.replace("USING ERRCODE = 'LDG03'", "")
        .replace("\n            USING ERRCODE = 'LDG01'", "")
        .replace("USING ERRCODE = 'LDG02'", "USING ERRCODE = 'data_exception'")
    )
    assert "LDG0" not in legacy[legacy.index("CREATE OR REPLACE FUNCTION") :]
    with _admin(pg_settings) as conn:
        conn.execute(
            SQL(legacy).format(
                s=Identifier(pg_settings.database.schema),
                fn=Identifier(SEQUENCER),
                head=Identifier(HEAD),
                events=Identifier("auxledger_events"),
                leaves=Identifier(LEAVES),
                nodes=Identifier(NODES),
                subject_keys=Identifier(SUBJECT_KEYS),
                master_check=Identifier(MASTER_CHECK),
            )
        )
    recorder = _pg(pg_app)
    old = pg_app.active_signer()
    subject = uuid4()
    pg_app.save(
        Notebook.open("first"), subject_keys={subject: (b"wrapped-one", _master_id(pg_app))}
    )
    with pytest.raises(PersistenceError) as conflict:
        recorder._sequence(
            _events(pg_app, "two"),
            {"signer": old, "subject_keys": {subject: (b"wrapped-two", _master_id(pg_app))}},
        )
    assert sqlstate(conflict.value) == pg.DataException.sqlstate
    assert subject_key_conflict(conflict.value)
    pg_app.rotate_key("test")
    with pytest.raises(_SequencerRefusedError) as refused:
        recorder._sequence(_events(pg_app, "late"), {"signer": old})
    assert sqlstate(refused.value) == pg.RaiseException.sqlstate
    recorder._last_stale = time.monotonic()
    with pytest.raises(StaleSigningKeyError):  # judged on the locked path
        recorder.insert_events(_events(pg_app, "late"), signer=old)


def test_a_ledger_without_the_sequencer_is_written_on_the_locked_path(
    pg_settings: Settings, pg_app: LedgerApplication
) -> None:
    with _admin(pg_settings) as conn:
        conn.execute(
            SQL("DROP FUNCTION {s}.{fn}").format(
                s=Identifier(pg_settings.database.schema), fn=Identifier(SEQUENCER)
            )
        )
    recorder = _pg(pg_app)
    with pytest.raises(_SequencerRefusedError) as missing:
        recorder._sequence(_events(pg_app, "probe"), {"signer": pg_app.active_signer()})
    cause = missing.value.__cause__
    assert cause is not None and sequencer_missing(cause)
    assert recorder._sequencer_missing
    recorder._sequencer_missing = False
    recorder._last_stale = time.monotonic()
    locked = recorder.write_paths["locked"]
    book = Notebook.open("saved anyway")
    pg_app.save(book)
    assert recorder._sequencer_missing
    assert recorder.write_paths["locked"] == locked + 1
    assert len(pg_app.recorder.select_events(book.id)) == 1


def test_a_server_out_of_connection_slots_is_busy_and_a_closed_port_is_not(
    postgres_server: PostgresServer | None,
) -> None:
    if postgres_server is None:
        pytest.skip("PostgreSQL not available (see the warning above)")
    role = "busy_" + secrets.token_hex(4)
    admin = postgres_server.admin_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT 0").format(Identifier(role)))
    try:
        url = admin.replace("://postgres@", f"://{role}@", 1)
        with pytest.raises(psycopg.OperationalError) as full:
            psycopg.connect(url, connect_timeout=5)
        # libpq gives no SQLSTATE for a refused connection: the one case read from the text.
        assert full.value.sqlstate is None
        assert server_busy(full.value)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(SQL("DROP ROLE {}").format(Identifier(role)))
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    with pytest.raises(psycopg.OperationalError) as down:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=5)
    assert not server_busy(down.value)


# --------------------------------------------------------------------------- SQLite


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[LedgerApplication]:
    app = LedgerApplication(
        make_settings(tmp_path, f"sqlite:///{tmp_path / 'ledger.sqlite'}"), create_tables=True
    )
    app.initialise("test")
    try:
        yield app
    finally:
        app.close()


def test_sqlite_tells_a_key_conflict_by_reading_the_key_back(
    sqlite_app: LedgerApplication,
) -> None:
    recorder = sqlite_app.ledger_recorder
    assert isinstance(recorder, SQLiteLedgerRecorder)
    subject = uuid4()
    sqlite_app.save(
        Notebook.open("first"), subject_keys={subject: (b"wrapped-one", _master_id(sqlite_app))}
    )
    size = MerkleLog(recorder).tree_size()
    events = _events(sqlite_app, "second")
    with pytest.raises(SubjectKeyConflictError):
        recorder.insert_events(
            events,
            signer=sqlite_app.active_signer(),
            subject_keys={subject: (b"wrapped-two", _master_id(sqlite_app))},
        )
    with pytest.raises(SubjectKeyMissingError):  # by the UPDATE's row count
        recorder.insert_events(events, signer=sqlite_app.active_signer(), erase_subject=uuid4())
    assert recorder.select_events(events[0].originator_id) == []
    assert MerkleLog(recorder).tree_size() == size


def test_sqlite_constraint_errors_are_none_of_postgresqls_kinds(
    sqlite_app: LedgerApplication,
) -> None:
    """A real SQLite constraint error (the events' key) carries SQLite's result code, and no
    PostgreSQL classification takes it for a stale head or a key conflict."""
    book = Notebook.open("once")
    sqlite_app.save(book)
    again = list(sqlite_app.recorder.select_events(book.id))
    with pytest.raises(IntegrityError) as caught:
        sqlite_app.recorder.insert_events(again, signer=sqlite_app.active_signer())
    cause = caught.value.__cause__
    assert getattr(cause, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_PRIMARYKEY"
    assert sqlstate(caught.value) is None
    assert not stale_head(caught.value)
    assert not subject_key_conflict(caught.value)
