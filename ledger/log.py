"""Reading the Merkle log: tree head, checkpoints, entries, proofs, and streaming scans.

The writing half lives in ``ledger.persistence`` (inside the event-insert transaction).

Invariants:
- Proofs are built from stored perfect nodes: one batched read of at most
  ``2*ceil(log2 n)+2`` rows, never a rebuild.
- A proof request outside the tree (index >= size, first > second, size beyond the log,
  size 0 where none exists) raises ``ProofRequestError`` with a specific message; a wrong
  proof is never returned.
- Scans for verification run inside one read snapshot (PostgreSQL REPEATABLE READ, SQLite
  read transaction) and stream rows (server-side cursor), so memory does not grow with the
  ledger.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import psycopg
from psycopg import IsolationLevel
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composable, Identifier

from ledger import merkle
from ledger.config import Database
from ledger.errors import MalformedRecordError, ProofRequestError
from ledger.persistence import (
    CHECKPOINTS,
    HEAD,
    LEAVES,
    NODES,
    PostgresLedgerRecorder,
    SQLiteLedgerRecorder,
)
from ledger.record import (
    GENESIS_PREVIOUS,
    HASH_SIZE,
    MAGIC,
    MIN_RECORD_SIZE,
    PREVIOUS_HASH_OFFSET,
    as_uuid,
    parse_record,
    record_hash,
)
from ledger.rowcheck import RangeSource

STREAM_BATCH = 2000


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint row: tree size, root, the signed note text and the signing key id."""

    tree_size: int
    root: bytes
    note: str
    key_id: bytes


@dataclass(frozen=True)
class LogRow:
    """One leaf joined with its event (event fields None if the event row is missing)."""

    leaf_index: int
    notification_id: int
    logged_originator_id: UUID
    logged_version: int
    stored_leaf_hash: bytes | None
    originator_id: UUID | None
    originator_version: int | None
    topic: str | None
    state: bytes | None


@dataclass(frozen=True)
class AggregateRow:
    """One event in (originator id, version) order, with its leaf index if it has one."""

    originator_id: UUID
    originator_version: int
    notification_id: int
    leaf_index: int | None
    state: bytes


@dataclass(frozen=True)
class ChainFault:
    """A well-formed event whose version or chain link does not follow its predecessor in
    (originator id, version) order; found by the database (PostgreSQL)."""

    originator_id: UUID
    originator_version: int
    leaf_index: int | None
    expected_version: int


@dataclass(frozen=True)
class ChainLink:
    """What the per-aggregate chain check needs of one event (hashing done by the database
    where it can: PostgreSQL computes SHA-256 and cuts the header server-side)."""

    originator_id: UUID
    originator_version: int
    leaf_index: int | None
    well_formed: bool
    previous_hash: bytes
    record_hash: bytes


@dataclass(frozen=True)
class OrphanEvent:
    """An event row with no leaf in the log."""

    notification_id: int
    originator_id: UUID
    originator_version: int


@dataclass(frozen=True)
class RowCounts:
    """The event and leaf rows of a snapshot, counted (incremental verification)."""

    events: int
    leaves: int
    leaf_bounds: tuple[int, int] | None
    """The smallest and largest leaf index stored, or None without leaves."""


class Cursorish(Protocol):
    """The little we need from a DB-API cursor."""

    def execute(self, statement: Any, params: Any = ...) -> Any:
        """Run a statement."""

    def fetchone(self) -> Any:
        """One row."""

    def fetchall(self) -> Any:
        """All rows."""


class MerkleLog:
    """Queries over the log tables and the events table, for either backend."""

    def __init__(self, recorder: SQLiteLedgerRecorder | PostgresLedgerRecorder) -> None:
        self.recorder = recorder
        self.is_postgres = isinstance(recorder, PostgresLedgerRecorder)
        if isinstance(recorder, PostgresLedgerRecorder):
            schema = recorder.datastore.schema
            self._t: dict[str, Composable] = {
                "events": SQL("{}.{}").format(
                    Identifier(schema), Identifier(recorder.events_table_name)
                ),
                "nodes": SQL("{}.{}").format(Identifier(schema), Identifier(NODES)),
                "leaves": SQL("{}.{}").format(Identifier(schema), Identifier(LEAVES)),
                "head": SQL("{}.{}").format(Identifier(schema), Identifier(HEAD)),
                "checkpoints": SQL("{}.{}").format(Identifier(schema), Identifier(CHECKPOINTS)),
                "enid": SQL("e.notification_id"),
                # Ids as their 16 bytes where a worker only compares them.
                "eoid": SQL("uuid_send(e.originator_id)"),
                "loid": SQL("uuid_send(l.originator_id)"),
            }
        else:
            self._t = {
                "events": SQL(recorder.events_table_name),
                "nodes": SQL(NODES),
                "leaves": SQL(LEAVES),
                "head": SQL(HEAD),
                "checkpoints": SQL(CHECKPOINTS),
                "enid": SQL("e.rowid"),
                "eoid": SQL("e.originator_id"),
                "loid": SQL("l.originator_id"),
            }

    # ------------------------------------------------------------ plumbing

    def _sql(self, template: str) -> Any:
        """Format a template with table names; '?' placeholders become '%s' on PostgreSQL."""
        if self.is_postgres:
            return SQL(template.replace("?", "%s")).format(**self._t)
        return SQL(template).format(**self._t).as_string(None)

    @contextmanager
    def _cursor(self) -> Iterator[Cursorish]:
        recorder = self.recorder
        if isinstance(recorder, PostgresLedgerRecorder):
            with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
                yield curs
        else:
            with recorder.datastore.transaction(commit=False) as curs:
                yield curs

    def _one(self, template: str, params: Sequence[Any] = ()) -> Any:
        with self._cursor() as c:
            c.execute(self._sql(template), list(params))
            return c.fetchone()

    def _all(self, template: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._cursor() as c:
            c.execute(self._sql(template), list(params))
            return list(c.fetchall())

    @staticmethod
    def _get(row: Any, index: int, name: str) -> Any:
        try:
            return row[name]
        except (KeyError, IndexError, TypeError):
            return row[index]

    # ------------------------------------------------------------ head and checkpoints

    def tree_size(self) -> int:
        """The number of leaves in the log."""
        row = self._one("SELECT tree_size FROM {head} WHERE id = 1")
        return 0 if row is None else int(self._get(row, 0, "tree_size"))

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint with the largest tree size, if any."""
        row = self._one(
            "SELECT tree_size, root, note, key_id FROM {checkpoints} "
            "ORDER BY tree_size DESC LIMIT 1"
        )
        return None if row is None else self._checkpoint(row)

    def checkpoint_at(self, tree_size: int) -> StoredCheckpoint | None:
        """The checkpoint for exactly this tree size, if one was kept."""
        row = self._one(
            "SELECT tree_size, root, note, key_id FROM {checkpoints} WHERE tree_size = ?",
            (tree_size,),
        )
        return None if row is None else self._checkpoint(row)

    def _checkpoint(self, row: Any) -> StoredCheckpoint:
        return StoredCheckpoint(
            tree_size=int(self._get(row, 0, "tree_size")),
            root=bytes(self._get(row, 1, "root")),
            note=str(self._get(row, 2, "note")),
            key_id=bytes(self._get(row, 3, "key_id")),
        )

    def leaf_index_of(self, notification_id: int) -> int | None:
        """The log position of an event, by its notification id."""
        row = self._one(
            "SELECT leaf_index FROM {leaves} WHERE notification_id = ?", (notification_id,)
        )
        return None if row is None else int(self._get(row, 0, "leaf_index"))

    def position_of_event(self, originator_id: UUID, version: int) -> int | None:
        """The log position of the event (originator id, version), if logged."""
        oid: Any = originator_id if self.is_postgres else originator_id.hex
        row = self._one(
            "SELECT l.leaf_index FROM {events} e JOIN {leaves} l ON l.notification_id = {enid}"
            " WHERE e.originator_id = ? AND e.originator_version = ?",
            (oid, version),
        )
        return None if row is None else int(self._get(row, 0, "leaf_index"))

    # ------------------------------------------------------------ proofs

    def _check_size(self, size: int, *, name: str) -> int:
        current = self.tree_size()
        if size > current:
            raise ProofRequestError(f"{name} {size} is beyond the log's size {current}")
        return current

    def nodes(self, addresses: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Fetch the given perfect nodes in one query."""
        return self._nodes_and_size(addresses)[0]

    def _nodes_and_size(
        self, addresses: set[tuple[int, int]]
    ) -> tuple[dict[tuple[int, int], bytes], int]:
        """The given perfect nodes and the current tree size, in one query."""
        ordered = sorted(addresses)
        if self.is_postgres:
            rows = self._all(
                "SELECT -1 AS level, -1 AS idx, NULL::bytea AS hash, tree_size AS size "
                "FROM {head} WHERE id = 1 UNION ALL "
                "SELECT n.level, n.idx, n.hash, NULL FROM {nodes} n "
                "JOIN unnest(?::smallint[], ?::bigint[]) AS w(level, idx) "
                "ON n.level = w.level AND n.idx = w.idx",
                ([a[0] for a in ordered], [a[1] for a in ordered]),
            )
        else:
            # A join with the wanted addresses, not "(level, idx) IN (VALUES ...)": SQLite
            # answers that row-value IN by scanning the whole table (O(tree size): 36 ms at
            # 100,000 nodes), the join by one primary-key search per node.
            placeholders = ",".join("(?, ?)" for _ in ordered) or "(NULL, NULL)"
            rows = self._all(
                f"WITH w(level, idx) AS (VALUES {placeholders}) "  # noqa: S608
                "SELECT -1 AS level, -1 AS idx, NULL AS hash, tree_size AS size "
                "FROM {head} WHERE id = 1 UNION ALL "
                "SELECT n.level, n.idx, n.hash, NULL FROM w JOIN {nodes} n "
                "ON n.level = w.level AND n.idx = w.idx",
                [v for a in ordered for v in a],
            )
        nodes: dict[tuple[int, int], bytes] = {}
        size = 0
        for r in rows:
            level = int(self._get(r, 0, "level"))
            if level < 0:
                size = int(self._get(r, 3, "size"))
                continue
            nodes[(level, int(self._get(r, 1, "idx")))] = bytes(self._get(r, 2, "hash"))
        return nodes, size

    def _proof(self, plan: list[merkle.NodeSpec], size: int, *, name: str) -> list[bytes]:
        nodes, current = self._nodes_and_size(merkle.needed_nodes(plan))
        if size > current:
            raise ProofRequestError(f"{name} {size} is beyond the log's size {current}")
        try:
            return merkle.assemble(plan, nodes)
        except merkle.MerkleError as e:
            raise ProofRequestError(f"the log cannot prove this: {e}") from None

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """RFC 9162 inclusion proof for leaf ``index`` in the tree of ``tree_size`` leaves."""
        try:
            plan = merkle.inclusion_plan(index, tree_size)
        except merkle.ProofRequestError as e:
            raise ProofRequestError(str(e)) from None
        return self._proof(plan, tree_size, name="tree size")

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""
        try:
            plan = merkle.consistency_plan(first, second)
        except merkle.ProofRequestError as e:
            raise ProofRequestError(str(e)) from None
        return self._proof(plan, second, name="second size")

    def root_at(self, tree_size: int) -> bytes:
        """The root of the tree of ``tree_size`` leaves, from stored nodes."""
        if tree_size == 0:
            return merkle.EMPTY_ROOT
        self._check_size(tree_size, name="tree size")
        cover = merkle.perfect_cover(0, tree_size)
        nodes = self.nodes(set(cover))
        return merkle.combine_cover([nodes[a] for a in cover])

    def frontier_at(self, tree_size: int) -> merkle.Frontier:
        """The frontier (perfect cover of [0, size)) from stored nodes."""
        if tree_size == 0:
            return merkle.Frontier.empty()
        cover = merkle.perfect_cover(0, tree_size)
        nodes = self.nodes(set(cover))
        missing = [a for a in cover if a not in nodes]
        if missing:
            raise ProofRequestError(f"stored node {missing[0]} of the log is missing")
        return merkle.Frontier(tree_size, [nodes[a] for a in cover])

    # ------------------------------------------------------------ entries

    def entries(self, start: int, end: int) -> list[tuple[int, bytes]]:
        """Leaf data (the exact signed records) for ``start <= index < end``."""
        size = self.tree_size()
        if start < 0 or end < start:
            raise ProofRequestError(f"invalid range start={start} end={end}")
        if end > size:
            raise ProofRequestError(f"end {end} is beyond the log's size {size}")
        rows = self._all(
            "SELECT l.leaf_index, e.state FROM {leaves} l JOIN {events} e ON "
            "{enid} = l.notification_id WHERE l.leaf_index >= ? AND l.leaf_index < ? "
            "ORDER BY l.leaf_index",
            (start, end),
        )
        return [(int(self._get(r, 0, "leaf_index")), bytes(self._get(r, 1, "state"))) for r in rows]

    # ------------------------------------------------------------ followers

    def leaf_indexes(self, notification_ids: Sequence[int]) -> dict[int, int]:
        """Leaf index by notification id (absent for an event with no leaf)."""
        if not notification_ids:
            return {}
        if self.is_postgres:
            rows = self._all(
                "SELECT notification_id, leaf_index FROM {leaves} "
                "WHERE notification_id = ANY(?::bigint[])",
                (list(notification_ids),),
            )
        else:
            low, high = min(notification_ids), max(notification_ids)
            rows = self._all(
                "SELECT notification_id, leaf_index FROM {leaves} "
                "WHERE notification_id >= ? AND notification_id <= ?",
                (low, high),
            )
        wanted = set(notification_ids)
        found = {
            int(self._get(r, 0, "notification_id")): int(self._get(r, 1, "leaf_index"))
            for r in rows
        }
        return {n: i for n, i in found.items() if n in wanted}

    def leaf_hashes(self, start: int, stop: int) -> list[bytes]:
        """Stored leaf hashes of leaves [start, stop), in order (short if any is missing)."""
        rows = self._all(
            "SELECT hash FROM {nodes} WHERE level = 0 AND idx >= ? AND idx < ? ORDER BY idx",
            (start, stop),
        )
        return [bytes(self._get(r, 0, "hash")) for r in rows]

    def checkpoint_at_or_after(self, size: int) -> StoredCheckpoint | None:
        """The smallest stored checkpoint covering at least ``size`` leaves."""
        row = self._one(
            "SELECT tree_size, root, note, key_id FROM {checkpoints} WHERE tree_size >= ? "
            "ORDER BY tree_size LIMIT 1",
            (size,),
        )
        return None if row is None else self._checkpoint(row)

    # ------------------------------------------------------------ range sources

    def range_source(self, database: Database) -> RangeSource:
        """What a worker process needs to read ranges of the log on its own connection."""
        rows = self._sql(
            "SELECT l.leaf_index, l.notification_id, n.hash, {eoid}, "
            "e.originator_version, e.topic, e.state, {loid}, l.originator_version "
            "FROM {leaves} l "
            "LEFT JOIN {events} e ON {enid} = l.notification_id "
            # The range repeated on the nodes: without it PostgreSQL hashes every leaf node
            # of the log for each range (4.5x slower at 1M leaves).
            "LEFT JOIN {nodes} n ON n.level = 0 AND n.idx = l.leaf_index "
            "AND n.idx >= ? AND n.idx < ? "
            "WHERE l.leaf_index >= ? AND l.leaf_index < ? ORDER BY l.leaf_index"
        )
        notes = self._sql(
            "SELECT c.tree_size, c.note, l.notification_id FROM {checkpoints} c "
            "LEFT JOIN {leaves} l ON l.leaf_index = c.tree_size - 1 "
            "WHERE c.tree_size > ? AND c.tree_size <= ? ORDER BY c.tree_size"
        )
        if database.is_postgres:
            return RangeSource(
                "postgres", database.conninfo(), rows.as_string(None), notes.as_string(None)
            )
        return RangeSource("sqlite", str(database.sqlite_path), rows, notes)

    def ensure_statistics(self) -> list[str]:
        """ANALYZE the log's tables that PostgreSQL has no planner statistics for yet.

        A freshly loaded ledger (``auxledger demo``, a restore) has none until autovacuum
        gets to it, and the verification scans then get plans several times slower (30 s
        instead of 13 s at 173,000 events). Statistics change no data. Best effort: a role
        that may not ANALYZE (not the tables' owner) just verifies with the plans it gets.
        Returns the tables analysed. SQLite: nothing to do.
        """
        recorder = self.recorder
        if not isinstance(recorder, PostgresLedgerRecorder):
            return []
        schema = recorder.datastore.schema
        names = [recorder.events_table_name, LEAVES, NODES, CHECKPOINTS]
        analysed: list[str] = []
        with recorder.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s "
                "AND relname = ANY(%s) AND last_analyze IS NULL AND last_autoanalyze IS NULL",
                (schema, names),
            ).fetchall()
            for row in rows:
                name = str(row["relname"] if isinstance(row, dict) else row[0])
                try:
                    with _unbounded(conn):  # 100 s for the nodes of ten million events
                        conn.execute(
                            SQL("ANALYZE {}.{}").format(Identifier(schema), Identifier(name))
                        )
                except psycopg.errors.InsufficientPrivilege:
                    continue
                analysed.append(name)
        return analysed

    # ------------------------------------------------------------ streaming scans

    @contextmanager
    def snapshot(self) -> Iterator[LogSnapshot]:
        """A consistent read snapshot for streaming scans."""
        recorder = self.recorder
        if isinstance(recorder, PostgresLedgerRecorder):
            with recorder.datastore.get_connection() as conn:
                conn.autocommit = False
                conn.isolation_level = IsolationLevel.REPEATABLE_READ
                conn.read_only = True
                try:
                    with _unbounded(conn):
                        yield LogSnapshot(self, conn=conn, cursor=None)
                finally:
                    conn.rollback()
                    conn.read_only = False
                    conn.isolation_level = None
                    conn.autocommit = True
        else:
            with recorder.datastore.transaction(commit=False) as curs:
                yield LogSnapshot(self, conn=None, cursor=curs)


@contextmanager
def _unbounded(conn: Any) -> Iterator[None]:
    """A transaction on ``conn`` free of the pool's statement and idle timeouts.

    Those timeouts make a request fail fast when the database is unwell; a verification's
    scans (and the ANALYZE before them) grow with the ledger instead. One statement of
    ``verify --full`` (the chain check over every event) ran past the default 30 s at ten
    million events and cancelled the whole run; the snapshot also stays open, idle, while
    worker processes check their leaf ranges on their own connections. Only this
    transaction is exempt: ``SET LOCAL`` ends with it.
    """
    with conn.transaction():
        conn.execute("SET LOCAL statement_timeout = 0")
        conn.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        yield


class LogSnapshot:
    """Streaming scans inside one read snapshot."""

    def __init__(self, log: MerkleLog, *, conn: Any, cursor: Any) -> None:
        self.log = log
        self._conn = conn
        self._cursor = cursor
        self._n = 0

    def _stream(self, template: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        statement = self.log._sql(template)
        if self._conn is not None:
            self._n += 1
            with self._conn.cursor(name=f"scan{self._n}", row_factory=tuple_row) as curs:
                curs.itersize = STREAM_BATCH
                curs.execute(statement, list(params))
                yield from curs
        else:
            cursor = self._cursor.sqlite_cursor.connection.cursor()
            try:
                cursor.execute(statement, list(params))
                while True:
                    rows = cursor.fetchmany(STREAM_BATCH)
                    if not rows:
                        break
                    yield from rows
            finally:
                cursor.close()

    def _fetchone(self, template: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query that answers one row (an aggregate, a lookup).

        On PostgreSQL not through a server-side cursor as the scans are: a cursor costs
        two more round trips, and PostgreSQL never plans a cursor's query in parallel, so
        a ``count(*)`` over ten million rows took one core 0.4-0.7 s instead of two.
        """
        if self._conn is None:
            return next(iter(self._stream(template, params)), None)
        with self._conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.log._sql(template), list(params))
            return curs.fetchone()

    def head(self) -> tuple[int, bytes]:
        """Tree size and frontier blob of the head row."""
        row = self._fetchone("SELECT tree_size, frontier FROM {head} WHERE id = 1")
        if row is None:
            return 0, b""
        return int(row[0]), bytes(row[1])

    def row_counts(self) -> RowCounts:
        """How many event and leaf rows there are, and the leaves' smallest and largest
        index (two probes of the primary key): one statement, each count a scan PostgreSQL
        may run in parallel (an index-only scan where the visibility map allows). Call it in
        a snapshot of its own on PostgreSQL: it turns JIT off for the rest of the snapshot."""
        if self._conn is not None:
            # Compiling the counts' plan took 35 ms at ten million rows; it saves nothing.
            self._conn.execute("SET LOCAL jit = off")
        row = self._fetchone(
            "SELECT (SELECT count(*) FROM {events}), (SELECT count(*) FROM {leaves}), "
            "(SELECT min(leaf_index) FROM {leaves}), (SELECT max(leaf_index) FROM {leaves})"
        )
        bounds = None if row[2] is None else (int(row[2]), int(row[3]))
        return RowCounts(events=int(row[0]), leaves=int(row[1]), leaf_bounds=bounds)

    def notification_id_at(self, leaf_index: int) -> int | None:
        """The notification id of one leaf."""
        row = self._fetchone(
            "SELECT notification_id FROM {leaves} WHERE leaf_index = ?", (leaf_index,)
        )
        return None if row is None else int(row[0])

    def log_rows(self, start: int = 0) -> Iterator[LogRow]:
        """Leaves from ``start`` in order, each joined with its event and stored leaf hash."""
        for r in self._stream(
            "SELECT l.leaf_index, l.notification_id, n.hash, e.originator_id, "
            "e.originator_version, e.topic, e.state, l.originator_id, l.originator_version "
            "FROM {leaves} l "
            "LEFT JOIN {events} e ON {enid} = l.notification_id "
            "LEFT JOIN {nodes} n ON n.level = 0 AND n.idx = l.leaf_index "
            "WHERE l.leaf_index >= ? ORDER BY l.leaf_index",
            (start,),
        ):
            yield LogRow(
                leaf_index=int(r[0]),
                notification_id=int(r[1]),
                logged_originator_id=as_uuid(r[7]),
                logged_version=int(r[8]),
                stored_leaf_hash=None if r[2] is None else bytes(r[2]),
                originator_id=None if r[3] is None else as_uuid(r[3]),
                originator_version=None if r[4] is None else int(r[4]),
                topic=r[5],
                state=None if r[6] is None else bytes(r[6]),
            )

    def leaf_entries(self, start: int = 0) -> Iterator[tuple[int, int, bytes | None]]:
        """(leaf index, notification id, stored leaf hash) from ``start``, in order: the
        light stream the main process keeps the frontier with while workers check records."""
        for r in self._stream(
            "SELECT l.leaf_index, l.notification_id, n.hash FROM {leaves} l "
            "LEFT JOIN {nodes} n ON n.level = 0 AND n.idx = l.leaf_index "
            "WHERE l.leaf_index >= ? ORDER BY l.leaf_index",
            (start,),
        ):
            yield int(r[0]), int(r[1]), None if r[2] is None else bytes(r[2])

    def orphan_events(self, after_notification_id: int = 0) -> Iterator[OrphanEvent]:
        """Event rows that have no leaf (inserted behind the log's back)."""
        for r in self._stream(
            "SELECT {enid}, e.originator_id, e.originator_version FROM {events} e "
            "LEFT JOIN {leaves} l ON l.notification_id = {enid} "
            "WHERE l.leaf_index IS NULL AND {enid} > ? ORDER BY {enid}",
            (after_notification_id,),
        ):
            yield OrphanEvent(int(r[0]), as_uuid(r[1]), int(r[2]))

    def aggregate_rows(self) -> Iterator[AggregateRow]:
        """Every event in (originator id, version) order, with its leaf index."""
        for r in self._stream(
            "SELECT e.originator_id, e.originator_version, {enid}, l.leaf_index, e.state "
            "FROM {events} e LEFT JOIN {leaves} l ON l.notification_id = {enid} "
            "ORDER BY e.originator_id, e.originator_version"
        ):
            yield AggregateRow(
                originator_id=as_uuid(r[0]),
                originator_version=int(r[1]),
                notification_id=int(r[2]),
                leaf_index=None if r[3] is None else int(r[3]),
                state=bytes(r[4]),
            )

    def chain_links(self) -> Iterator[ChainLink]:
        """Every event's chain fields in (originator id, version) order, parsed here (the
        walk SQLite verifies with; PostgreSQL finds the faults itself: ``chain_faults``)."""
        for row in self.aggregate_rows():
            try:
                record = parse_record(row.state)
            except MalformedRecordError:
                yield ChainLink(
                    row.originator_id,
                    row.originator_version,
                    row.leaf_index,
                    False,
                    b"",
                    record_hash(row.state),
                )
                continue
            yield ChainLink(
                row.originator_id,
                row.originator_version,
                row.leaf_index,
                True,
                record.previous_hash,
                record.hash,
            )

    def chain_faults(self) -> Iterator[ChainFault] | None:
        """The events that break their aggregate's version sequence or hash chain, found by
        the database (PostgreSQL), or None where the caller must walk ``chain_links``.

        Same rule as that walk: in (originator id, version) order each well-formed record
        must have the version after its predecessor's (1 for an aggregate's first) and carry
        the SHA-256 of its predecessor's record (the genesis value for the first). Only the
        faults leave the database, and only they are joined with their leaves.
        """
        if not self.log.is_postgres:
            return None
        return (
            ChainFault(as_uuid(r[0]), int(r[1]), None if r[2] is None else int(r[2]), int(r[3]))
            for r in self._stream(
                "SELECT f.originator_id, f.originator_version, l.leaf_index, f.expected FROM ("
                " SELECT originator_id, originator_version, nid,"
                " coalesce(lag_version, 0) + 1 AS expected,"
                " previous_field = coalesce(lag_hash, ?) AS linked FROM ("
                "  SELECT e.originator_id, e.originator_version, {enid} AS nid,"
                "  substring(e.state from 1 for ?) = ? AND length(e.state) >= ? AS well_formed,"
                "  substring(e.state from ? for ?) AS previous_field,"
                "  lag(e.originator_version) OVER w AS lag_version,"
                "  lag(sha256(e.state)) OVER w AS lag_hash"
                "  FROM {events} e"
                "  WINDOW w AS (PARTITION BY e.originator_id ORDER BY e.originator_version)"
                " ) x WHERE well_formed) f"
                " LEFT JOIN {leaves} l ON l.notification_id = f.nid"
                " WHERE f.originator_version <> f.expected OR NOT f.linked"
                " ORDER BY f.originator_id, f.originator_version",
                (
                    GENESIS_PREVIOUS,
                    len(MAGIC),
                    MAGIC,
                    MIN_RECORD_SIZE,
                    PREVIOUS_HASH_OFFSET + 1,  # SQL counts from 1
                    HASH_SIZE,
                ),
            )
        )

    def node_mismatches(self) -> Iterator[tuple[int, int]] | None:
        """(level, index) of interior nodes that are not the hash of their children, computed
        by the database (PostgreSQL); None where the caller must check in Python."""
        if not self.log.is_postgres:
            return None
        return (
            (int(r[0]), int(r[1]))
            for r in self._stream(
                "SELECT p.level, p.idx FROM {nodes} p "
                "LEFT JOIN {nodes} a ON a.level = p.level - 1 AND a.idx = 2 * p.idx "
                "LEFT JOIN {nodes} b ON b.level = p.level - 1 AND b.idx = 2 * p.idx + 1 "
                "WHERE p.level > 0 AND (a.hash IS NULL OR b.hash IS NULL OR "
                "p.hash <> sha256('\\x01'::bytea || a.hash || b.hash)) "
                "ORDER BY p.level, p.idx"
            )
        )

    def node_counts(self) -> dict[int, tuple[int, int, int]]:
        """Per level: (count, min index, max index) of stored nodes."""
        return {
            int(r[0]): (int(r[1]), int(r[2]), int(r[3]))
            for r in self._stream(
                "SELECT level, count(*), min(idx), max(idx) FROM {nodes} GROUP BY level"
            )
        }

    def nodes_at_level(self, level: int) -> Generator[tuple[int, bytes], None, None]:
        """Stored perfect nodes of one level, by index."""
        for r in self._stream(
            "SELECT idx, hash FROM {nodes} WHERE level = ? ORDER BY idx", (level,)
        ):
            yield int(r[0]), bytes(r[1])

    def max_level(self) -> int:
        """The highest stored node level (-1 if none)."""
        row = self._fetchone("SELECT max(level) FROM {nodes}")
        return -1 if row is None or row[0] is None else int(row[0])

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint with the largest tree size in this snapshot, if any."""
        row = self._fetchone(
            "SELECT tree_size, root, note, key_id FROM {checkpoints} "
            "ORDER BY tree_size DESC LIMIT 1"
        )
        if row is None:
            return None
        return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), bytes(row[3]))

    def checkpoints(self, from_size: int = 0) -> Iterator[StoredCheckpoint]:
        """Stored checkpoints with tree size >= ``from_size``, by size."""
        for r in self._stream(
            "SELECT tree_size, root, note, key_id FROM {checkpoints} WHERE tree_size >= ? "
            "ORDER BY tree_size",
            (from_size,),
        ):
            yield StoredCheckpoint(int(r[0]), bytes(r[1]), str(r[2]), bytes(r[3]))

    def record_hashes(self, wanted: set[tuple[UUID, int]]) -> dict[tuple[UUID, int], bytes]:
        """SHA-256 of the named events' records (absent if the event is gone)."""
        if not wanted:
            return {}
        ordered = sorted(wanted)
        if self.log.is_postgres:
            rows = self._stream(
                "SELECT e.originator_id, e.originator_version, sha256(e.state) FROM {events} e "
                "JOIN unnest(?::uuid[], ?::bigint[]) AS w(oid, v) "
                "ON e.originator_id = w.oid AND e.originator_version = w.v",
                ([o for o, _ in ordered], [v for _, v in ordered]),
            )
            return {(as_uuid(r[0]), int(r[1])): bytes(r[2]) for r in rows}
        found: dict[tuple[UUID, int], bytes] = {}
        for start in range(0, len(ordered), 400):
            chunk = ordered[start : start + 400]
            placeholders = ",".join("(?, ?)" for _ in chunk)  # only placeholders
            for r in self._stream(
                "SELECT originator_id, originator_version, state FROM {events} "  # noqa: S608
                f"WHERE (originator_id, originator_version) IN (VALUES {placeholders})",
                [x for o, v in chunk for x in (o.hex, v)],
            ):
                found[(as_uuid(r[0]), int(r[1]))] = record_hash(bytes(r[2]))
        return found
