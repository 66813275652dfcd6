"""Where the wrapped data keys live: the ledger's own database, one store per backend.

Invariants:
- A subject has at most one row; ``insert_missing`` never replaces a key (``OR IGNORE`` /
  ``ON CONFLICT DO NOTHING``), and an erased key stays erased (``wrapped`` NULL).
- ``rewrap`` re-wraps every live key and the master-key check value in one transaction, or
  changes nothing (``SealedFieldError`` naming the subject whose key does not unwrap).
- The recorders store a batch's new keys only under the recorded master key id (the
  PostgreSQL statements read it share-locked in the same statement as the insert).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from psycopg.sql import SQL, Identifier

from ledger.persistence.postgres import PostgresLedgerRecorder
from ledger.persistence.schema import MASTER_CHECK, SUBJECT_KEYS
from ledger.persistence.sqlite import SQLiteLedgerRecorder, now_text
from ledger.privacy import MasterKey, SubjectKeyStore


class SQLiteSubjectKeyStore(SubjectKeyStore):
    """Wrapped data keys in the SQLite ledger file."""

    def __init__(self, recorder: SQLiteLedgerRecorder) -> None:
        self.datastore = recorder.datastore

    def fetch(self, subjects: Iterable[UUID]) -> dict[UUID, bytes | None]:
        """Wrapped keys by subject (None when erased)."""
        wanted = [s.hex for s in subjects]
        found: dict[UUID, bytes | None] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" for _ in chunk)
                c.execute(
                    f"SELECT subject_id, wrapped FROM {SUBJECT_KEYS} "  # noqa: S608
                    f"WHERE subject_id IN ({marks})",
                    chunk,
                )
                for row in c.fetchall():
                    found[UUID(hex=row[0])] = None if row[1] is None else bytes(row[1])
        return found

    def insert_missing(self, rows: Mapping[UUID, tuple[bytes, str]]) -> None:
        """Insert wrapped keys for subjects without a row."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT OR IGNORE INTO {SUBJECT_KEYS} "  # noqa: S608
                "(subject_id, wrapped, master_key_id, created_at) VALUES (?, ?, ?, ?)",
                [(s.hex, w, k, now_text()) for s, (w, k) in rows.items()],
            )

    def check_value(self) -> tuple[str, bytes] | None:
        """Stored master key id and check value."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT master_key_id, check_value FROM {MASTER_CHECK} WHERE id = 1")  # noqa: S608
            row = c.fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def set_check_value(self, key_id: str, check: bytes) -> None:
        """Store the check value once."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {MASTER_CHECK} VALUES (1, ?, ?)",  # noqa: S608
                (key_id, check),
            )

    def rewrap(self, old: MasterKey, new: MasterKey) -> int:
        """Re-wrap every live key under ``new``; one transaction."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(
                f"UPDATE {MASTER_CHECK} SET master_key_id = ?, check_value = ? WHERE id = 1",  # noqa: S608
                (new.key_id, new.check_value()),
            )
            c.execute(f"SELECT subject_id, wrapped FROM {SUBJECT_KEYS} WHERE wrapped IS NOT NULL")  # noqa: S608
            rows = c.fetchall()
            updates = []
            for row in rows:
                subject = UUID(hex=row[0])
                key = old.unwrap_or_fail(subject, bytes(row[1]))
                updates.append((new.wrap(subject, key), new.key_id, row[0]))
            c.executemany(
                f"UPDATE {SUBJECT_KEYS} SET wrapped = ?, master_key_id = ? WHERE subject_id = ?",  # noqa: S608
                updates,
            )
        return len(updates)


class PostgresSubjectKeyStore(SubjectKeyStore):
    """Wrapped data keys in the PostgreSQL schema."""

    def __init__(self, recorder: PostgresLedgerRecorder) -> None:
        self.datastore = recorder.datastore
        schema = Identifier(recorder.datastore.schema)
        self._keys = SQL("{}.{}").format(schema, Identifier(SUBJECT_KEYS))
        self._check = SQL("{}.{}").format(schema, Identifier(MASTER_CHECK))

    def fetch(self, subjects: Iterable[UUID]) -> dict[UUID, bytes | None]:
        """Wrapped keys by subject (None when erased)."""
        wanted = list(subjects)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT subject_id, wrapped FROM {} WHERE subject_id = ANY(%s)").format(
                    self._keys
                ),
                (wanted,),
            )
            return {
                row["subject_id"]: None if row["wrapped"] is None else bytes(row["wrapped"])
                for row in curs.fetchall()
            }

    def insert_missing(self, rows: Mapping[UUID, tuple[bytes, str]]) -> None:
        """Insert wrapped keys for subjects without a row."""
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                SQL(
                    "INSERT INTO {} (subject_id, wrapped, master_key_id, created_at) "
                    "VALUES (%s, %s, %s, now()) ON CONFLICT (subject_id) DO NOTHING"
                ).format(self._keys),
                [(s, w, k) for s, (w, k) in rows.items()],
            )

    def check_value(self) -> tuple[str, bytes] | None:
        """Stored master key id and check value."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT master_key_id, check_value FROM {} WHERE id = 1").format(self._check)
            )
            row = curs.fetchone()
        return None if row is None else (str(row["master_key_id"]), bytes(row["check_value"]))

    def set_check_value(self, key_id: str, check: bytes) -> None:
        """Store the check value once."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("INSERT INTO {} VALUES (1, %s, %s) ON CONFLICT (id) DO NOTHING").format(
                    self._check
                ),
                (key_id, check),
            )

    def rewrap(self, old: MasterKey, new: MasterKey) -> int:
        """Re-wrap every live key under ``new``; one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("UPDATE {} SET master_key_id = %s, check_value = %s WHERE id = 1").format(
                    self._check
                ),
                (new.key_id, new.check_value()),
            )
            curs.execute(
                SQL(
                    "SELECT subject_id, wrapped FROM {} WHERE wrapped IS NOT NULL FOR UPDATE"
                ).format(self._keys)
            )
            updates = [
                (
                    new.wrap(
                        row["subject_id"],
                        old.unwrap_or_fail(row["subject_id"], bytes(row["wrapped"])),
                    ),
                    new.key_id,
                    row["subject_id"],
                )
                for row in curs.fetchall()
            ]
            curs.executemany(
                SQL("UPDATE {} SET wrapped = %s, master_key_id = %s WHERE subject_id = %s").format(
                    self._keys
                ),
                updates,
            )
        return len(updates)


def subject_key_store(
    recorder: SQLiteLedgerRecorder | PostgresLedgerRecorder,
) -> SubjectKeyStore:
    """The data-key store for the recorder's backend."""
    if isinstance(recorder, PostgresLedgerRecorder):
        return PostgresSubjectKeyStore(recorder)
    return SQLiteSubjectKeyStore(recorder)
