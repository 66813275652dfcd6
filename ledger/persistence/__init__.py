"""Persistence wiring: eventsourcing recorders that also append to the Merkle log.

The library's recorders store the events; these subclasses add, in the *same* transaction,
the Merkle-log append (leaf and completed interior nodes, leaf-to-event mapping, new tree
head) and, in that transaction too, a signed checkpoint for the new tree size -- except for a
batch the PostgreSQL sequencer appended, whose checkpoint is signed and stored in the next
statement, before the save returns. So a committed event is always logged, and covered by a
signed checkpoint at once or within one round trip; a refused or rolled-back write leaves
nothing behind.

Invariants:
- Writers are serialised (PostgreSQL: by the log head row, which a write moves only from the
  size it knew -- see ``PostgresLedgerRecorder``; SQLite: the database write lock, taken by
  the first INSERT), so leaf order is commit order and equals notification-id order.
- The tree head row names the ledger's active signing key; a batch signed by any other key
  is refused (``StaleSigningKeyError``) unless the batch itself activates the first key.
- ``select_events`` returns ``Notification`` rows (a ``StoredEvent`` subclass carrying the
  notification id), so readers can judge each signature by the key valid at its position.
- The library's PostgreSQL database-function insert path (``POSTGRES_ENABLE_DB_FUNCTIONS``)
  does not move the log head and is refused.

Modules: ``schema`` (table names, DDL, the sequencer from ``sequencer.sql``), ``log_append``
(what a batch adds to the log, in Python), ``sqlite`` and ``postgres`` (the recorders),
``postgres_sql`` (the PostgreSQL recorder's statements), ``group_commit``, ``pool`` (the
PostgreSQL connection pool and factory), ``subject_keys`` (the data-key stores) and
``errors`` (this layer's errors, and how database errors are told apart).

Everything other modules use is importable from ``ledger.persistence`` itself; the
eventsourcing ``PERSISTENCE_MODULE`` names ``ledger.persistence:SQLiteLedgerFactory`` and
``ledger.persistence:PostgresLedgerFactory`` (``ledger/config.py``).
"""

from __future__ import annotations

from ledger.persistence.errors import LogNotConfiguredError, SubjectKeyMissingError
from ledger.persistence.group_commit import GROUP_COMMIT_MAX_EVENTS, GroupCommitQueue
from ledger.persistence.log_append import LogAppend, LogConfig, plan_append
from ledger.persistence.pool import (
    CONNECT_TIMEOUT_ENV,
    STATEMENT_TIMEOUT_ENV,
    LedgerConnectionPool,
    PostgresLedgerFactory,
)
from ledger.persistence.postgres import STALE_HEAD_BACKOFF_SECONDS, PostgresLedgerRecorder
from ledger.persistence.schema import (
    CHECKPOINTS,
    HEAD,
    LEAVES,
    MASTER_CHECK,
    NODES,
    SEQUENCER,
    SEQUENCER_FUNCTION,
    SUBJECT_KEYS,
)
from ledger.persistence.sqlite import (
    SQLITE_FILE_MODE,
    SQLITE_FOLDER_MODE,
    SQLiteLedgerFactory,
    SQLiteLedgerRecorder,
    secure_sqlite_file,
)
from ledger.persistence.subject_keys import (
    PostgresSubjectKeyStore,
    SQLiteSubjectKeyStore,
    subject_key_store,
)

__all__ = [
    "CHECKPOINTS",
    "CONNECT_TIMEOUT_ENV",
    "GROUP_COMMIT_MAX_EVENTS",
    "HEAD",
    "LEAVES",
    "MASTER_CHECK",
    "NODES",
    "SEQUENCER",
    "SEQUENCER_FUNCTION",
    "SQLITE_FILE_MODE",
    "SQLITE_FOLDER_MODE",
    "STALE_HEAD_BACKOFF_SECONDS",
    "STATEMENT_TIMEOUT_ENV",
    "SUBJECT_KEYS",
    "GroupCommitQueue",
    "LedgerConnectionPool",
    "LogAppend",
    "LogConfig",
    "LogNotConfiguredError",
    "PostgresLedgerFactory",
    "PostgresLedgerRecorder",
    "PostgresSubjectKeyStore",
    "SQLiteLedgerFactory",
    "SQLiteLedgerRecorder",
    "SQLiteSubjectKeyStore",
    "SubjectKeyMissingError",
    "plan_append",
    "secure_sqlite_file",
    "subject_key_store",
]
