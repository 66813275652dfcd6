"""Followers read every event checked: row by row, or a large batch against a checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError

from ledger.application import LedgerApplication
from ledger.config import Settings
from ledger.errors import IntegrityViolation
from ledger.log import MerkleLog
from ledger.merkle import leaf_hash
from ledger.stream import BATCH_PROOF_MINIMUM, read_checked
from tests.conftest import initialised, make_settings
from tests.integration.aggregates import Notebook
from tests.integration.tamper import Tamperer

TOPIC = "tests.integration.aggregates:Notebook.PageWritten"


@pytest.fixture
def app(settings: Settings) -> LedgerApplication:
    ledger = initialised(LedgerApplication, settings)
    for b in range(6):
        book = Notebook.open(f"book {b}")
        for p in range(30):
            book.write(f"book {b} page {p}")
        ledger.save(book)
    return ledger


def _fresh(app: LedgerApplication) -> LedgerApplication:
    return LedgerApplication(app.settings)


def test_large_batches_equal_row_by_row_reads(app: LedgerApplication) -> None:
    batch = read_checked(_fresh(app), 0, 150)
    assert len(batch) == 150 >= BATCH_PROOF_MINIMUM
    small = []
    after = 0
    while len(small) < 150:
        chunk = read_checked(_fresh(app), after, 10)
        small.extend(chunk)
        after = chunk[-1].notification_id
    assert [(c.notification_id, vars(c.event)) for c in batch] == [
        (c.notification_id, vars(c.event)) for c in small[:150]
    ]
    pages = read_checked(_fresh(app), 0, 100, topics=[TOPIC])
    assert len(pages) == 100 and all(type(c.event).__name__ == "PageWritten" for c in pages)


def _refusal(app: LedgerApplication, batch: int) -> str:
    """The kind of integrity violation a fresh reader meets reading ``batch`` events."""
    with pytest.raises(IntegrityViolation) as caught:
        read_checked(_fresh(app), 0, batch)
    return caught.value.kind


@pytest.mark.parametrize(
    ("altered", "batch", "kind"),
    [(40, 100, "leaf_mismatch"), (5, 10, "bad_signature")],
    ids=["a large batch checks the leaves", "a small batch still checks each signature"],
)
def test_an_altered_event_fails_the_batch(
    app: LedgerApplication, altered: int, batch: int, kind: str
) -> None:
    row = app.recorder.select_notifications(start=None, limit=altered + 1)[altered]
    Tamperer(app).flip_payload_byte(row.originator_id, row.originator_version)
    assert _refusal(app, batch) == kind


def test_an_event_and_its_leaf_altered_together_fail_the_root(app: LedgerApplication) -> None:
    row = app.recorder.select_notifications(start=None, limit=60)[40]
    tamper = Tamperer(app)
    state = bytearray(row.state)
    state[-80] ^= 1
    tamper.set_state(row.originator_id, row.originator_version, bytes(state))
    index = MerkleLog(app.ledger_recorder).leaf_indexes([row.id])[row.id]
    tamper.sql(
        "UPDATE {nodes} SET hash = ? WHERE level = 0 AND idx = ?",
        (leaf_hash(bytes(state)), index),
    )
    assert _refusal(app, 100) == "root_mismatch"


def test_a_forged_checkpoint_fails_the_batch(app: LedgerApplication) -> None:
    log = MerkleLog(app.ledger_recorder)
    first = read_checked(_fresh(app), 0, 100)
    size = log.leaf_indexes([first[-1].notification_id])[first[-1].notification_id] + 1
    stored = log.checkpoint_at_or_after(size)
    assert stored is not None
    lines = stored.note.split("\n")
    lines[2] = "B" * 43 + "="
    Tamperer(app).replace_checkpoint_note(stored.tree_size, "\n".join(lines))
    assert _refusal(app, 100) == "checkpoint_signature"


def test_a_verification_snapshot_is_not_cut_off_while_it_waits(app: LedgerApplication) -> None:
    # verify --full keeps its snapshot open, idle, while worker processes check leaf ranges;
    # the pool's idle-in-transaction timeout (30 s) must not end it (it did, at 1M events).
    log = MerkleLog(app.ledger_recorder)
    with log.snapshot() as snap:
        if snap._conn is None:
            pytest.skip("SQLite has no idle-in-transaction timeout")
        shown = snap._conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()
        assert shown is not None and shown["idle_in_transaction_session_timeout"] == "0"
        assert snap.head()[0] == log.tree_size()
    with app.ledger_recorder.datastore.transaction(commit=False) as curs:
        curs.execute("SHOW idle_in_transaction_session_timeout")
        row = curs.fetchone()
        assert row["idle_in_transaction_session_timeout"] == "30s"  # only the snapshot is exempt


def test_a_verification_snapshot_is_free_of_the_statement_timeout(
    tmp_path: Path, postgres_url: str
) -> None:
    # The pool's statement timeout (fail fast when the database is unwell) cancelled a
    # verify --full at ten million events: its chain check is one statement over every event.
    settings = make_settings(tmp_path, postgres_url, AUXLEDGER_DATABASE_STATEMENT_TIMEOUT="0.3")
    app = initialised(LedgerApplication, settings)
    try:
        log = MerkleLog(app.ledger_recorder)
        with log.snapshot() as snap:
            assert snap._conn is not None
            snap._conn.execute("SELECT pg_sleep(0.6)")  # twice the timeout, not cancelled
            assert snap.head()[0] == log.tree_size()
        datastore = app.ledger_recorder.datastore
        # The pool's own connections keep the timeout.
        with pytest.raises(OperationalError), datastore.get_connection() as conn:
            conn.execute("SELECT pg_sleep(0.6)")
    finally:
        app.close()


def test_verification_gives_a_fresh_log_planner_statistics_once(app: LedgerApplication) -> None:
    # Without statistics PostgreSQL plans the verification scans badly (2.5x slower).
    log = MerkleLog(app.ledger_recorder)
    first = log.ensure_statistics()
    if not log.is_postgres:
        assert first == []
        return
    tables = {app.ledger_recorder.events_table_name, "ledger_log_leaves", "ledger_log_nodes"}
    datastore = app.ledger_recorder.datastore
    with datastore.get_connection() as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s AND relname = ANY(%s)"
            " AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)",
            (datastore.schema, list(tables)),
        ).fetchall()
    assert {r["relname"] for r in rows} == tables  # analysed now (or by autovacuum before)
    assert set(first) <= tables | {"ledger_checkpoints"}
    assert log.ensure_statistics() == []  # once
