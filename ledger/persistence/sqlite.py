"""The SQLite recorder: the library's, appending every batch to the Merkle log in the same
transaction, and the factory that creates the ledger file owner-only.

Invariants:
- Writers are serialised by the database write lock, taken by the first INSERT (the
  library's events insert), so the head row read after it is current, leaf order is commit
  order and equals notification-id order.
- A batch's new data keys are stored only if each subject has no key or exactly this one:
  checked by reading the row back in the same transaction (SQLite does not name the
  constraint a write broke, so the check is made, not inferred from an error), and only if
  each is wrapped by the master key ``ledger_master_key`` records (else the same
  ``SubjectKeyConflictError``: another process rotated the master key; seal again).
- An erasure destroys exactly one live key or fails (``SubjectKeyMissingError``), by the
  UPDATE's row count; the transaction then stores nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from ledger.persistence.errors import LogNotConfiguredError, SubjectKeyMissingError
from ledger.persistence.head_guard import GuardedRecorder, frontier_root
from ledger.persistence.log_append import LogConfig, log_signer, plan_append
from ledger.persistence.schema import (
    CHECKPOINTS,
    HEAD,
    LEAVES,
    MASTER_CHECK,
    NODES,
    SUBJECT_KEYS,
    sqlite_create_statements,
)
from ledger.privacy import SubjectKeyConflictError


def now_text() -> str:
    """The time now, as SQLite's ledger tables store it (ISO 8601, UTC)."""
    return datetime.now(tz=UTC).isoformat()


class _SQLiteLogReader:
    """The head guard's reads, in the writing transaction (``head_guard.LogReader``)."""

    def __init__(self, c: SQLiteCursor) -> None:
        self._c = c

    def latest_checkpoint(self, at_most: int | None) -> tuple[int, str] | None:
        self._c.execute(
            f"SELECT tree_size, note FROM {CHECKPOINTS} WHERE tree_size <= ? "  # noqa: S608
            "ORDER BY tree_size DESC LIMIT 1",
            (at_most if at_most is not None else 2**62,),
        )
        row = self._c.fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def nodes(self, addresses: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found: dict[tuple[int, int], bytes] = {}
        for level, index in sorted(addresses):  # a few dozen primary-key probes at most
            self._c.execute(
                f"SELECT hash FROM {NODES} WHERE level = ? AND idx = ?",  # noqa: S608
                (level, index),
            )
            row = self._c.fetchone()
            if row is not None:
                found[(level, index)] = bytes(row[0])
        return found


class SQLiteLedgerRecorder(GuardedRecorder, SQLiteApplicationRecorder):
    """SQLite application recorder that appends every batch to the Merkle log."""

    log_config: LogConfig | None = None
    # The checkpoint note the current thread's write signed (a writing thread's own).
    _signed = threading.local()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert (one transaction); then the checkpoint it signed, now
        committed, is known to the head guard, which need not verify it when it reads it
        back at the next write."""
        self._signed.note = None
        ids = super().insert_events(stored_events, **kwargs)
        note: str | None = self._signed.note
        if note is not None and self._head_guard is not None:
            self._head_guard.remember(note)
        return ids

    def construct_create_table_statements(self) -> list[str]:
        """The library's events table plus the log tables."""
        statements = super().construct_create_table_statements()
        statements += sqlite_create_statements()
        return statements

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        new_keys: Mapping[UUID, tuple[bytes, str]] = kwargs.get("subject_keys") or {}
        if new_keys:
            # SQLite names no constraint in its errors (only SQLITE_CONSTRAINT_PRIMARYKEY and
            # the like), so a key conflict is not inferred from an error: the row is inserted
            # if missing and read back in this transaction, which holds the write lock.
            # A key wrapped by a master key that is no longer the recorded one (another process
            # rotated it since this one wrapped) is refused the same way: the write seals
            # again, and the cipher then reads the new master key or refuses.
            c.execute(f"SELECT master_key_id FROM {MASTER_CHECK} WHERE id = 1")  # noqa: S608
            current = c.fetchone()
            if current is not None and any(k != current[0] for _, k in new_keys.values()):
                raise SubjectKeyConflictError(
                    "a new data key is wrapped by a master key that is no longer the "
                    "ledger's; seal again"
                )
            c.executemany(
                f"INSERT OR IGNORE INTO {SUBJECT_KEYS} "  # noqa: S608
                "(subject_id, wrapped, master_key_id, created_at) VALUES (?, ?, ?, ?)",
                [(subject.hex, w, k, now_text()) for subject, (w, k) in new_keys.items()],
            )
            for subject, (wrapped, _) in new_keys.items():
                c.execute(
                    f"SELECT wrapped FROM {SUBJECT_KEYS} WHERE subject_id = ?",  # noqa: S608
                    (subject.hex,),
                )
                row = c.fetchone()
                if row is None or row[0] is None or bytes(row[0]) != wrapped:
                    raise SubjectKeyConflictError(
                        f"data subject {subject} already has another data key; seal again"
                    )
        erase: UUID | None = kwargs.get("erase_subject")
        if erase is not None:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(
                f"UPDATE {SUBJECT_KEYS} SET wrapped = NULL, erased_at = ? "  # noqa: S608
                "WHERE subject_id = ? AND wrapped IS NOT NULL",
                (now_text(), erase.hex),
            )
            if c.sqlite_cursor.rowcount != 1:
                raise SubjectKeyMissingError(
                    f"data subject {erase} has no data key to destroy (unknown or already erased)"
                )
            c.execute(f"UPDATE {HEAD} SET erasures = erasures + 1 WHERE id = 1")  # noqa: S608
        if stored_events:
            assert ids is not None
            self._append_log(c, stored_events, ids, kwargs)
        return ids

    def erasure_count(self) -> int:
        """How many erasures the ledger has recorded (cheap; for cache invalidation)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT erasures FROM {HEAD} WHERE id = 1")  # noqa: S608
            row = c.fetchone()
        return 0 if row is None else int(row[0])

    def after_erasure(self) -> None:
        """Push destroyed key bytes out of the write-ahead log (best effort)."""
        with self.datastore.get_connection(commit=False) as conn:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _append_log(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        ids: Sequence[int],
        kwargs: dict[str, Any],
    ) -> None:
        c.execute(f"SELECT tree_size, frontier, active_key_id FROM {HEAD} WHERE id = 1")  # noqa: S608
        row = c.fetchone()
        if row is None:
            raise LogNotConfiguredError("the log head row is missing (run `auxledger init`)")
        size, frontier = int(row[0]), bytes(row[1])
        config, _ = log_signer(self.log_config, kwargs)
        # The head read is checked against the latest checkpoint signed, in this transaction
        # (which holds the write lock), before anything is signed over it.
        self._guard(config.origin).check(
            size,
            frontier_root(size, frontier),
            reader=_SQLiteLogReader(c),
            keys=config.checkpoint_keys(kwargs),
        )
        plan = plan_append(
            config=config,
            head=(size, frontier, bytes(row[2])),
            events=stored_events,
            notification_ids=list(ids),
            kwargs=kwargs,
        )
        c.executemany(f"INSERT INTO {NODES} (level, idx, hash) VALUES (?, ?, ?)", plan.nodes)  # noqa: S608
        c.executemany(
            f"INSERT INTO {LEAVES} (leaf_index, notification_id, originator_id, "  # noqa: S608
            "originator_version) VALUES (?, ?, ?, ?)",
            [(i, n, o.hex, v) for i, n, o, v in plan.leaves],
        )
        c.execute(
            f"UPDATE {HEAD} SET tree_size = ?, frontier = ?, active_key_id = ? WHERE id = 1",  # noqa: S608
            (plan.tree_size, plan.frontier, plan.active_key_id),
        )
        c.execute(
            f"INSERT INTO {CHECKPOINTS} (tree_size, root, note, key_id, created_at) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?)",
            (plan.tree_size, plan.root, plan.checkpoint_note, plan.signer_key_id, now_text()),
        )
        self._signed.note = plan.checkpoint_note

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """Like the library's, but each row carries its notification id (position)."""
        statement = f"SELECT rowid, * FROM {self.events_table_name} WHERE originator_id = ? "  # noqa: S608
        params: list[Any] = [
            originator_id.hex if isinstance(originator_id, UUID) else originator_id
        ]
        if gt is not None:
            statement += "AND originator_version > ? "
            params.append(gt)
        if lte is not None:
            statement += "AND originator_version <= ? "
            params.append(lte)
        statement += "ORDER BY originator_version " + ("DESC " if desc else "ASC ")
        if limit is not None:
            statement += "LIMIT ? "
            params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]


SQLITE_FILE_MODE = 0o600
SQLITE_FOLDER_MODE = 0o700


def secure_sqlite_file(path: Path) -> None:
    """Create the ledger's SQLite file readable and writable by its owner only (0600).

    SQLite creates a database's ``-wal``, ``-shm`` and ``-journal`` files with the mode of the
    database file, so creating the database file 0600 before the first connection keeps all
    of them 0600, whatever the umask. A folder this creates is 0700. An existing file keeps
    the mode it has (README: ``chmod 600`` a ledger created before this rule).
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=SQLITE_FOLDER_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        return
    try:
        # os.open's mode passes through the umask; this file is ours and new.
        os.fchmod(fd, SQLITE_FILE_MODE)
    finally:
        os.close(fd)


class SQLiteLedgerFactory(SQLiteFactory):
    """Infrastructure factory whose application recorder appends to the Merkle log."""

    application_recorder_class = SQLiteLedgerRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)  # builds the connection pool; it connects on first use
        name = self.env.get(self.SQLITE_DBNAME)
        if name and not self.datastore.pool.is_sqlite_memory_mode and not name.startswith("file:"):
            secure_sqlite_file(Path(name))
