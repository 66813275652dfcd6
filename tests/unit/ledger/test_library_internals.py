"""Private names of libraries the code relies on where no public extension point exists.

Each fails when the library renames or reshapes what we call or read, so an upgrade breaks
here, by name, instead of somewhere in a write or a pool under load. Where they are used:

* ``Application._record``, ``_take_snapshots``, ``_notify``: ``LedgerApplication.save``
  (it re-signs once when another process rotated the key; the library's save loses the
  pending events on a failed record).
* ``SQLiteApplicationRecorder._insert_events``: the SQLite ledger recorder stores the
  subject keys and log entries in the same transaction (``ledger.persistence``).
* ``SQLiteTrackingRecorder._insert_tracking`` / ``PostgresTrackingRecorder._insert_tracking``:
  the read-model views write their tracking row in their own transaction
  (``projections.views``).
* psycopg_pool ``ConnectionPool._connect``, ``_lock``, ``_pool``, ``_nconns``,
  ``_nconns_min`` and a connection's ``_pool``: ``LedgerConnectionPool`` fails fast while the
  server is down (``ledger.persistence``).
* The aggregate cache: ``ledger.aggregate_cache`` (its own test).
"""

from __future__ import annotations

import inspect

from eventsourcing.application import Application
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteTrackingRecorder
from psycopg_pool import ConnectionPool


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_application_save_steps_we_call() -> None:
    assert _parameters(Application._record) == ["self", "processing_event"]
    assert _parameters(Application._take_snapshots) == ["self", "processing_event"]
    assert _parameters(Application._notify) == ["self", "recordings"]


def test_the_recorder_methods_we_extend() -> None:
    assert _parameters(SQLiteApplicationRecorder._insert_events)[:3] == [
        "self",
        "c",
        "stored_events",
    ]
    assert _parameters(SQLiteTrackingRecorder._insert_tracking)[2:] == ["tracking"]
    assert _parameters(PostgresTrackingRecorder._insert_tracking)[2:] == ["tracking"]


def test_the_pool_internals_the_ledger_pool_uses() -> None:
    assert _parameters(ConnectionPool._connect) == ["self", "timeout"]
    pool: ConnectionPool = ConnectionPool("host=127.0.0.1 dbname=unused", open=False)
    for name in ("_lock", "_pool", "_nconns", "_nconns_min"):
        assert hasattr(pool, name), name
    assert isinstance(pool._nconns, int) and len(pool._pool) == 0
