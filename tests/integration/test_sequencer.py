"""PostgreSQL writes. The in-database sequencer appends exactly what the Python log code would
have appended, refuses what the other write paths refuse, and several writers taking turns
(each finding the head moved by the other) leave a ledger that verifies clean. Group commit
merges one process's concurrent saves and isolates a conflicting one."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from ledger.application import LedgerApplication
from ledger.config import Settings
from ledger.errors import ConcurrencyConflictError, StaleSigningKeyError
from ledger.log import MerkleLog
from ledger.merkle import Frontier, leaf_hash
from ledger.persistence import CHECKPOINTS, LEAVES, NODES, PostgresLedgerRecorder
from ledger.privacy import SubjectKeyConflictError
from ledger.verify import verify_ledger
from tests.conftest import initialised
from tests.integration.aggregates import Notebook


def _master_id(app: LedgerApplication) -> str:
    """The ledger's recorded master key id: a new data key is stored only under it."""
    key = app.privacy.master(required=True)
    assert key is not None
    return key.key_id


@pytest.fixture
def pg_settings(settings: Settings) -> Settings:
    if settings.database.backend != "postgres":
        pytest.skip("the sequencer is PostgreSQL's")
    return settings


def _recorder(app: LedgerApplication) -> PostgresLedgerRecorder:
    recorder = app.ledger_recorder
    assert isinstance(recorder, PostgresLedgerRecorder)
    return recorder


def _force_sequencer(app: LedgerApplication) -> None:
    """As if another process had just moved the head: the next writes go to the sequencer."""
    _recorder(app)._last_stale = time.monotonic()


def _sequence_raw(app: LedgerApplication, book: Notebook, **kwargs: object) -> None:
    """Hand a new notebook's events straight to the recorder, by way of the sequencer."""
    _force_sequencer(app)
    app.ledger_recorder.insert_events(
        [app.mapper.to_stored_event(e) for e in book.collect_events()], **kwargs
    )


def _rows(settings: Settings, statement: str) -> list[tuple[object, ...]]:
    db = settings.database
    with psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user, password=db.password
    ) as conn:
        query = SQL(statement).format(
            s=Identifier(db.schema),
            nodes=Identifier(NODES),
            leaves=Identifier(LEAVES),
            checkpoints=Identifier(CHECKPOINTS),
        )
        return list(conn.execute(query).fetchall())


def test_writers_taking_turns_are_sequenced_exactly_as_python_would(
    pg_settings: Settings,
) -> None:
    first = initialised(LedgerApplication, pg_settings)
    second = LedgerApplication(pg_settings)
    for turn in range(24):
        app = first if turn % 2 == 0 else second
        books = []
        for b in range(turn % 7 + 1):  # batches of 1..7 aggregates, 1..3 events each
            book = Notebook.open(f"turn {turn} book {b}")
            for p in range(b % 3):
                book.write(f"page {p}")
            books.append(book)
        app.save(*books)
    sequenced = sum(_recorder(a).write_paths["sequenced"] for a in (first, second))
    assert sequenced >= 20, [_recorder(a).write_paths for a in (first, second)]

    # Every node and checkpoint the database wrote is what the Python log code computes.
    states = _rows(
        pg_settings,
        "SELECT e.state FROM {s}.{leaves} l JOIN {s}.auxledger_events e "
        "ON e.notification_id = l.notification_id ORDER BY l.leaf_index",
    )
    frontier = Frontier.empty()
    expected_nodes = set()
    roots = {}
    for (state,) in states:
        expected_nodes.update(frontier.append(leaf_hash(bytes(state))))  # type: ignore[arg-type]
        roots[frontier.size] = frontier.root()
    stored_nodes = {
        (int(level), int(idx), bytes(h))  # type: ignore[call-overload]
        for level, idx, h in _rows(pg_settings, "SELECT level, idx, hash FROM {s}.{nodes}")
    }
    assert stored_nodes == expected_nodes
    checkpoints = _rows(pg_settings, "SELECT tree_size, root FROM {s}.{checkpoints}")
    assert len(checkpoints) >= 24
    for size, root in checkpoints:
        assert roots[int(size)] == bytes(root), size  # type: ignore[call-overload]
    assert MerkleLog(first.ledger_recorder).tree_size() == len(states)

    report = verify_ledger(LedgerApplication(pg_settings), full=True)
    assert report.ok, report.failures


def test_every_sequenced_save_is_checkpointed_before_it_returns(pg_settings: Settings) -> None:
    app = initialised(LedgerApplication, pg_settings)
    log = MerkleLog(app.ledger_recorder)
    for i in range(5):
        _force_sequencer(app)
        app.save(Notebook.open(f"book {i}"))
        latest = log.latest_checkpoint()
        assert latest is not None and latest.tree_size == log.tree_size()
    assert _recorder(app).write_paths["sequenced"] == 5


def test_sequencer_refuses_a_conflicting_data_key_and_stores_nothing(
    pg_settings: Settings,
) -> None:
    app = initialised(LedgerApplication, pg_settings)
    subject = uuid4()
    _force_sequencer(app)
    app.save(Notebook.open("one"), subject_keys={subject: (b"wrapped-one", _master_id(app))})
    size = MerkleLog(app.ledger_recorder).tree_size()
    book = Notebook.open("two")
    with pytest.raises(SubjectKeyConflictError):
        _sequence_raw(
            app,
            book,
            signer=app.active_signer(),
            subject_keys={subject: (b"wrapped-two", _master_id(app))},
        )
    assert app.recorder.select_events(book.id) == []
    assert MerkleLog(app.ledger_recorder).tree_size() == size
    assert _recorder(app).write_paths["sequenced"] == 1


def test_a_batch_signed_by_a_stale_key_is_refused_on_the_locked_path(
    pg_settings: Settings,
) -> None:
    app = initialised(LedgerApplication, pg_settings)
    old = app.active_signer()
    app.rotate_key("test")
    book = Notebook.open("late")
    with pytest.raises(StaleSigningKeyError):
        _sequence_raw(app, book, signer=old)
    assert app.recorder.select_events(book.id) == []


def test_group_commit_merges_concurrent_saves_and_isolates_a_conflict(
    pg_settings: Settings,
) -> None:
    """Threads of one process saving at once are written together; a conflicting save in
    their midst fails alone, and every other save is stored, in a ledger that verifies."""
    app = initialised(LedgerApplication, pg_settings)
    shared = Notebook.open("contested")
    app.save(shared)
    threads, rounds = 12, 15
    start = threading.Barrier(threads + 2)
    errors: list[BaseException] = []
    outcomes: list[str] = []

    def writer(n: int) -> None:
        try:
            book = Notebook.open(f"writer {n}")
            start.wait()
            app.save(book)
            for r in range(rounds):
                book.write(f"page {r}")
                app.save(book)
        except BaseException as e:
            errors.append(e)

    def contender() -> None:
        mine = app.repository.get(shared.id)
        mine.write("mine")
        start.wait()
        try:
            app.save(mine)
            outcomes.append("saved")
        except ConcurrencyConflictError:
            outcomes.append("conflict")

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    workers += [threading.Thread(target=contender) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    assert sorted(outcomes) == ["conflict", "saved"]
    paths = _recorder(app).write_paths
    saves = 1 + 1 + threads * (rounds + 1) + 1  # init, the shared book, writers, the winner
    assert sum(paths.values()) < saves, paths  # some saves were written together
    assert MerkleLog(app.ledger_recorder).tree_size() == 1 + 1 + threads * (rounds + 1) + 1
    report = verify_ledger(LedgerApplication(pg_settings), full=True)
    assert report.ok, report.failures


def test_writers_of_several_processes_never_deadlock(pg_settings: Settings) -> None:
    """Optimistic writes, sequenced writes and the writers of another process (here: another
    application, with its own recorder and head cache) at once, on the same aggregates too:
    no write waits for the head row while holding an index entry another one needs, so
    PostgreSQL never has a deadlock to break (its counter stays put)."""
    first = initialised(LedgerApplication, pg_settings)
    second = LedgerApplication(pg_settings)
    shared = [Notebook.open(f"shared {i}") for i in range(4)]
    first.save(*shared)

    def deadlocks() -> int:
        rows = _rows(
            pg_settings,
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
        )
        return int(rows[0][0])  # type: ignore[call-overload]

    before = deadlocks()
    errors: list[BaseException] = []
    conflicts: list[int] = []

    def writer(app: LedgerApplication, n: int) -> None:
        try:
            for r in range(30):
                app.save(Notebook.open(f"writer {n} round {r}"))
                book = app.repository.get(shared[(n + r) % len(shared)].id)
                book.write(f"writer {n} round {r}")
                try:
                    app.save(book)
                except ConcurrencyConflictError:
                    conflicts.append(n)
        except BaseException as e:
            errors.append(e)

    workers = [
        threading.Thread(target=writer, args=(app, n)) for n, app in enumerate([first, second] * 4)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    # A backend reports its statistics when it ends at the latest: close every connection
    # that could have been a deadlock's victim before reading the counter.
    first.close()
    second.close()
    for _ in range(10):  # their backends exit (and report) just after the close
        if deadlocks() != before:
            break
        time.sleep(0.1)
    assert deadlocks() == before
    report = verify_ledger(LedgerApplication(pg_settings), full=True)
    assert report.ok, report.failures


def test_a_sequenced_save_whose_checkpoint_fails_is_still_a_save(
    pg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The events are committed before the checkpoint is stored: if storing it fails, the
    save has still happened (reported as saved, logged as a warning, counted by verify as not
    yet checkpointed), and the next write's checkpoint covers it."""
    app = initialised(LedgerApplication, pg_settings)
    recorder = _recorder(app)
    working = recorder._insert_checkpoint
    recorder._insert_checkpoint = "SELECT %s / 0, %s, %s, %s"  # the database refuses it
    book = Notebook.open("committed first")
    _force_sequencer(app)
    with caplog.at_level("WARNING", logger="auxledger.ledger"):
        app.save(book)
    assert [r.originator_version for r in app.recorder.select_events(book.id)] == [1]
    assert "not stored (DataError)" in caplog.text
    report = verify_ledger(LedgerApplication(pg_settings), full=True)
    assert report.ok and report.uncheckpointed == 1, report
    recorder._insert_checkpoint = working
    _force_sequencer(app)
    app.save(Notebook.open("next"))
    report = verify_ledger(LedgerApplication(pg_settings), full=True)
    assert report.ok and report.uncheckpointed == 0, report
