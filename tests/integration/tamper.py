"""Raw-SQL tampering helpers: what an attacker with database access could do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from psycopg.rows import tuple_row

from ledger.application import LedgerApplication
from ledger.keys import SigningKey
from ledger.merkle import Frontier, perfect_cover
from ledger.persistence import CHECKPOINTS, HEAD, LEAVES, NODES, PostgresLedgerRecorder
from ledger.record import GENESIS_PREVIOUS, SIGNING_PREFIX, unsigned_body
from tests.integration.aggregates import Notebook


class Tamperer:
    """Executes raw SQL against the ledger's own tables, bypassing every check."""

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app  # kept: its recorder's connection pool closes with it
        self.recorder = app.ledger_recorder
        self.pg = isinstance(self.recorder, PostgresLedgerRecorder)
        if self.pg:
            schema = self.recorder.datastore.schema
            self.events = f'"{schema}"."{self.recorder.events_table_name}"'
            self.nodes = f'"{schema}".{NODES}'
            self.leaves = f'"{schema}".{LEAVES}'
            self.head = f'"{schema}".{HEAD}'
            self.checkpoints = f'"{schema}".{CHECKPOINTS}'
            self.nid = "notification_id"
        else:
            self.events = self.recorder.events_table_name
            self.nodes, self.leaves, self.head, self.checkpoints = NODES, LEAVES, HEAD, CHECKPOINTS
            self.nid = "rowid"

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        if self.pg:
            with self.recorder.datastore.get_connection() as conn, conn.transaction():
                yield conn.cursor(row_factory=tuple_row)
        else:
            with self.recorder.datastore.transaction(commit=True) as c:
                yield c

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        statement = statement.format(
            events=self.events,
            nodes=self.nodes,
            leaves=self.leaves,
            head=self.head,
            checkpoints=self.checkpoints,
            nid=self.nid,
        )
        if self.pg:
            statement = statement.replace("?", "%s")
        with self.cursor() as c:
            c.execute(statement, params)
            try:
                return list(c.fetchall())
            except Exception:
                return []

    def oid(self, originator_id: UUID) -> Any:
        return originator_id if self.pg else originator_id.hex

    def state(self, originator_id: UUID, version: int) -> bytes:
        rows = self.sql(
            "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = ?",
            (self.oid(originator_id), version),
        )
        return bytes(rows[0][0])

    def set_state(self, originator_id: UUID, version: int, state: bytes) -> None:
        self.sql(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self.oid(originator_id), version),
        )

    def flip_payload_byte(
        self, originator_id: UUID, version: int, offset_from_end: int = 80
    ) -> None:
        state = bytearray(self.state(originator_id, version))
        state[len(state) - offset_from_end] ^= 0x01
        self.set_state(originator_id, version, bytes(state))

    def set_topic(self, originator_id: UUID, version: int, topic: str) -> None:
        self.sql(
            "UPDATE {events} SET topic = ? WHERE originator_id = ? AND originator_version = ?",
            (topic, self.oid(originator_id), version),
        )

    def renumber(self, originator_id: UUID, version: int, new_version: int) -> None:
        self.sql(
            "UPDATE {events} SET originator_version = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            (new_version, self.oid(originator_id), version),
        )

    def delete_event(self, originator_id: UUID, version: int) -> None:
        self.sql(
            "DELETE FROM {events} WHERE originator_id = ? AND originator_version = ?",
            (self.oid(originator_id), version),
        )

    def delete_event_and_leaf(self, originator_id: UUID, version: int) -> None:
        """Delete an event and its leaf row, leaving the counts of the two tables equal."""
        nid = self.notification_id(originator_id, version)
        self.delete_event(originator_id, version)
        self.sql("DELETE FROM {leaves} WHERE notification_id = ?", (nid,))

    def delete_aggregate(self, originator_id: UUID) -> None:
        self.sql("DELETE FROM {events} WHERE originator_id = ?", (self.oid(originator_id),))

    def move_event(self, originator_id: UUID, version: int, to: UUID) -> None:
        self.sql(
            "UPDATE {events} SET originator_id = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            (self.oid(to), self.oid(originator_id), version),
        )

    def notification_id(self, originator_id: UUID, version: int) -> int:
        rows = self.sql(
            "SELECT {nid} FROM {events} WHERE originator_id = ? AND originator_version = ?",
            (self.oid(originator_id), version),
        )
        return int(rows[0][0])

    def swap_positions(self, a: tuple[UUID, int], b: tuple[UUID, int]) -> None:
        """Swap the global-order positions (notification ids) of two events."""
        na, nb = self.notification_id(*a), self.notification_id(*b)
        temp = -999 if self.pg else 999_999_999
        col = "notification_id" if self.pg else "rowid"
        self.sql(f"UPDATE {{events}} SET {col} = ? WHERE {col} = ?", (temp, na))
        self.sql(f"UPDATE {{events}} SET {col} = ? WHERE {col} = ?", (na, nb))
        self.sql(f"UPDATE {{events}} SET {col} = ? WHERE {col} = ?", (nb, temp))

    def insert_raw(self, originator_id: UUID, version: int, topic: str, state: bytes) -> None:
        self.sql(
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (self.oid(originator_id), version, topic, state),
        )

    def insert_forged(self, key: SigningKey, title: str) -> UUID:
        """Insert the first record of a new notebook ``title``, correctly chained and signed
        with ``key``, as someone holding that key could; its id."""
        book = Notebook.open(title)
        plain = self.app.mapper.to_stored_event(book.collect_events()[0])
        body = unsigned_body(
            originator_id=book.id,
            originator_version=1,
            previous_hash=GENESIS_PREVIOUS,
            key_id=key.key_id,
            topic=plain.topic,
            payload=plain.state,
        )
        self.insert_raw(book.id, 1, plain.topic, body + key.sign(SIGNING_PREFIX + body))
        return book.id

    def truncate_tail(self, keep: int) -> None:
        """Cut the log (and its events) back to ``keep`` leaves, fixing the head."""
        rows = self.sql("SELECT notification_id FROM {leaves} WHERE leaf_index >= ?", (keep,))
        for (nid,) in rows:
            self.sql("DELETE FROM {events} WHERE {nid} = ?", (nid,))
        self.sql("DELETE FROM {leaves} WHERE leaf_index >= ?", (keep,))
        for level in range(40):
            self.sql(
                "DELETE FROM {nodes} WHERE level = ? AND (idx + 1) * ? > ?",
                (level, 1 << level, keep),
            )
        self.sql("DELETE FROM {checkpoints} WHERE tree_size > ?", (keep,))
        cover = perfect_cover(0, keep) if keep else []
        hashes = [
            bytes(self.sql("SELECT hash FROM {nodes} WHERE level = ? AND idx = ?", (lv, ix))[0][0])
            for lv, ix in cover
        ]
        frontier = Frontier(keep, hashes)
        self.sql(
            "UPDATE {head} SET tree_size = ?, frontier = ? WHERE id = 1",
            (keep, frontier.to_bytes()),
        )

    def set_head(self, tree_size: int, frontier: bytes) -> None:
        """Rewrite the log head row (its size and frontier) and nothing else."""
        self.sql(
            "UPDATE {head} SET tree_size = ?, frontier = ? WHERE id = 1", (tree_size, frontier)
        )

    def head_row(self) -> tuple[int, bytes]:
        [(size, frontier)] = self.sql("SELECT tree_size, frontier FROM {head} WHERE id = 1")
        return int(size), bytes(frontier)

    def replace_checkpoint_note(self, tree_size: int, note: str) -> None:
        self.sql("UPDATE {checkpoints} SET note = ? WHERE tree_size = ?", (note, tree_size))

    # ------------------------------------------------------------------ backups

    def _tables(self) -> list[str]:
        return [self.events, self.nodes, self.leaves, self.head, self.checkpoints]

    def backup(self) -> object:
        """An older copy of the whole database (as an operator's backup would be)."""
        if self.pg:
            names = []
            for i, table in enumerate(self._tables()):
                copy = f'"{self.recorder.datastore.schema}"."backup_{i}"'
                self.sql(f"DROP TABLE IF EXISTS {copy}")
                self.sql(f"CREATE TABLE {copy} AS SELECT * FROM {table}")
                names.append((table, copy))
            return names
        import sqlite3  # noqa: PLC0415

        source = sqlite3.connect(self.recorder.datastore.pool.db_name)
        copy = sqlite3.connect(":memory:")
        source.backup(copy)
        source.close()
        return copy

    def restore(self, backup: object) -> None:
        """Put the older copy back in place of the live database."""
        if self.pg:
            assert isinstance(backup, list)
            for table, copy in backup:
                self.sql(f"DELETE FROM {table}")
                self.sql(f"INSERT INTO {table} SELECT * FROM {copy}")
            return
        import sqlite3  # noqa: PLC0415

        assert isinstance(backup, sqlite3.Connection)
        target = sqlite3.connect(self.recorder.datastore.pool.db_name)
        backup.backup(target)
        target.close()
