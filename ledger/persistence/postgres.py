"""The PostgreSQL recorder: the library's, appending every batch to the Merkle log.

Invariants:
- Writers are serialised by the log head row, which a write moves only from the size it
  knew, so leaf order is commit order and equals notification-id order (see
  docs/architecture.md, *Concurrency*).
- A committed batch is covered by a signed checkpoint in the same statement, or (a batch the
  sequencer appended) in the next statement, before the save returns.
- ``select_events`` returns ``Notification`` rows carrying the notification id.
- The library's database-function insert path (``POSTGRES_ENABLE_DB_FUNCTIONS``) does not
  move the log head and is refused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from ledger.note import Checkpoint, signed_checkpoint
from ledger.persistence.errors import (
    LogNotConfiguredError,
    SubjectKeyMissingError,
    sequencer_missing,
    sequencer_refused,
    stale_head,
    subject_key_conflict,
)
from ledger.persistence.group_commit import GroupCommitQueue, groupable
from ledger.persistence.head_guard import GuardedRecorder, HeadNotExtendedError, frontier_root
from ledger.persistence.log_append import LogAppend, LogConfig, log_signer, plan_append
from ledger.persistence.postgres_sql import statements
from ledger.persistence.schema import SUBJECT_KEYS, postgres_create_statements
from ledger.privacy import SubjectKeyConflictError
from ledger.record import as_uuid

log = logging.getLogger("auxledger.ledger")

STALE_HEAD_BACKOFF_SECONDS = 2.0


class _SequencerRefusedError(Exception):
    """The sequencer cannot take this batch; write it on the locked path instead."""


_Columns = tuple[list[UUID], list[int], list[str], list[bytes]]


def _columns(stored_events: Sequence[StoredEvent]) -> _Columns:
    """A batch as four parallel arrays (what both append paths insert with ``unnest``)."""
    return (
        [as_uuid(e.originator_id) for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


def _key_columns(kwargs: dict[str, Any]) -> tuple[list[UUID], list[bytes], list[str]]:
    """A batch's new data keys (``subject_keys``) as parallel arrays: subjects, wrapped
    keys, master key ids."""
    new_keys: Mapping[UUID, tuple[bytes, str]] = kwargs.get("subject_keys") or {}
    return list(new_keys), [w for w, _ in new_keys.values()], [k for _, k in new_keys.values()]


class _PostgresLogReader:
    """The head guard's reads (``head_guard.LogReader``) through a cursor: in the locked
    path's transaction, or on the sequencer's connection after its commit."""

    def __init__(self, curs: Any, latest_checkpoint: str, select_nodes: str) -> None:
        self._curs = curs
        self._latest = latest_checkpoint
        self._nodes = select_nodes

    def latest_checkpoint(self, at_most: int | None) -> tuple[int, str] | None:
        self._curs.execute(self._latest, (at_most if at_most is not None else 2**62,))
        row = self._curs.fetchone()
        return None if row is None else (int(row["tree_size"]), str(row["note"]))

    def nodes(self, addresses: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        ordered = sorted(addresses)
        self._curs.execute(self._nodes, ([a[0] for a in ordered], [a[1] for a in ordered]))
        return {(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in self._curs.fetchall()}


class PostgresLedgerRecorder(GuardedRecorder, PostgresApplicationRecorder):
    """PostgreSQL application recorder that appends every batch to the Merkle log."""

    log_config: LogConfig | None = None

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            msg = "POSTGRES_ENABLE_DB_FUNCTIONS inserts events without moving the Merkle log head"
            raise ProgrammingError(msg)
        self.sql_create_statements += postgres_create_statements(
            datastore.schema, self.events_table_name
        )
        rendered = statements(datastore.schema, self.events_table_name)
        self._sequence_statement = rendered.sequence
        self._insert_checkpoint = rendered.insert_checkpoint
        self._erase_key = rendered.erase_key
        self._erasure_count = rendered.erasure_count
        self._select_head = rendered.select_head
        self._latest_checkpoint = rendered.latest_checkpoint
        self._select_nodes = rendered.select_nodes
        self._append = rendered.append
        self._append_with_keys = rendered.append_with_keys
        self._select_events_with_ids = rendered.select_events_with_ids
        self._sequencer_missing = False
        # How many batches went each way (for tests and the benchmarks' reports).
        self.write_paths: dict[str, int] = {"optimistic": 0, "sequenced": 0, "locked": 0}
        self._select_statements: dict[tuple[bool, bool, bool, bool], str] = {}
        self._head: tuple[int, bytes, bytes] | None = None
        # The size and root of the last tree this process committed or checked: what the
        # head guard checks a head read from the database against first.
        self._known: tuple[int, bytes] | None = None
        self._last_stale = 0.0
        self._group_commit = GroupCommitQueue(self._insert_now)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Store a batch with its leaves, nodes, new head and signed checkpoint, atomically.

        Group commit (``GroupCommitQueue``): threads of this process that save at the same
        time are written in one transaction (one head move, one checkpoint, one commit) by
        whichever of them gets there first; each still gets exactly its own notification ids.
        If the merged write fails, every batch is written again on its own, so one batch's
        conflict never fails another. Batches with special instructions (erasure, key
        activation, tracking) are written alone.

        Unlike the library's method, an error raised after the INSERT (a stale signing key,
        a guard, a bug) happens *inside* the transaction block and rolls it back; the
        library's re-raise-after-exit pattern would have committed the events unlogged.
        """
        if not stored_events:
            return None
        return self._group_commit.submit(stored_events, kwargs)

    def close(self, timeout: float | None = None) -> bool:
        """Refuse new saves and finish the ones already accepted (``GroupCommitQueue``)."""
        return self._group_commit.close(timeout)

    def _insert_now(
        self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> list[int]:
        """One write, by the cheapest of the three paths (see ``_insert_now_guarded``)."""
        try:
            return self._insert_now_guarded(stored_events, kwargs)
        except PersistenceError as e:
            if subject_key_conflict(e):  # by SQLSTATE (errors.py)
                raise SubjectKeyConflictError(
                    "a data subject already has another data key; seal again"
                ) from None
            raise

    def _insert_now_guarded(
        self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> list[int]:
        """Three ways to write, cheapest first.

        1. Optimistic: one statement on top of the head this process last saw, with the
           checkpoint signed in it. Fails (nothing stored) if another process moved the head.
        2. The sequencer (after such a miss, for a while, since other processes are writing):
           the database appends the batch under the head-row lock, which it holds only for
           its own work; the checkpoint for the new root is signed and stored right after,
           in its own statement.
        3. Locked: read the head under its row lock, plan in Python, append and commit. For
           batches with special instructions (erasure, key activation, tracking), a ledger
           without an active key, or a database without the sequencer function.
        """
        special = not groupable(kwargs)
        if time.monotonic() - self._last_stale < STALE_HEAD_BACKOFF_SECONDS:
            self._head = None
        if self._head is not None and not special:
            try:
                ids, self._head = self._write(stored_events, self._head, kwargs)
            except (DataError, IntegrityError) as e:
                self._head = None
                if not stale_head(e):
                    raise
                # Another process moved the head first: let the database sequence for a while.
                self._last_stale = time.monotonic()
            else:
                self.write_paths["optimistic"] += 1
                return ids
        if not special and not self._sequencer_missing:
            try:
                ids = self._sequence(stored_events, kwargs)
            except _SequencerRefusedError:
                pass
            else:
                self.write_paths["sequenced"] += 1
                return ids
        try:
            ids, self._head = self._write(stored_events, None, kwargs)
        except BaseException:
            self._head = None
            raise
        self.write_paths["locked"] += 1
        return ids

    def _sequence(self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> list[int]:
        """Write through the database's sequencer, then sign and store the checkpoint."""
        config, signer = log_signer(self.log_config, kwargs)
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(
                    self._sequence_statement,
                    (
                        *_columns(stored_events),
                        signer.key_id,
                        *_key_columns(kwargs),
                        self.channel_name,
                    ),
                    prepare=True,
                )
                rows = curs.fetchall()
                if rows:
                    # The database computed this root: signed only once shown to extend the
                    # tree this process knows or the latest checkpoint (committed already, so
                    # others may have signed larger ones since), read on this connection. A
                    # refusal leaves the batch stored without a checkpoint and stops this
                    # write with an integrity error.
                    self._guard(config.origin).check(
                        int(rows[0]["out_size"]),
                        bytes(rows[0]["out_root"]),
                        reader=self._log_reader(curs),
                        keys=config.checkpoint_keys(kwargs),
                        known=self._known,
                        committed=True,
                    )
        except PersistenceError as e:
            if sequencer_refused(e):
                raise _SequencerRefusedError from e  # judged there, with the whole key rule
            if sequencer_missing(e):
                self._sequencer_missing = True  # a ledger created before the sequencer
                raise _SequencerRefusedError from e
            raise
        if len(rows) != len(stored_events):
            msg = f"expected {len(stored_events)} notification ids, got {len(rows)}"
            raise ProgrammingError(msg)
        ids_by_event = {
            (row["out_originator_id"], int(row["out_version"])): int(row["out_notification_id"])
            for row in rows
        }
        ids = [
            ids_by_event[(as_uuid(e.originator_id), e.originator_version)] for e in stored_events
        ]
        first = rows[0]
        size, root = int(first["out_size"]), bytes(first["out_root"])
        if frontier_root(size, bytes(first["out_frontier"])) != root:
            raise HeadNotExtendedError(
                "the sequencer's frontier does not give its root: refusing to sign"
            )
        self._known = (size, root)
        self._head = (size, bytes(first["out_frontier"]), bytes(first["out_active"]))
        note = signed_checkpoint(Checkpoint(config.origin, size, root), signer.note_signer())
        # Committed already; the checkpoint follows in its own statement. The save has
        # happened whatever becomes of it: a failure here must not be reported as a failed
        # save (a retry would then collide with the stored events). Any later checkpoint
        # also covers these events, and `verify` counts them as not yet checkpointed.
        try:
            with self.datastore.get_connection() as conn:
                conn.execute(
                    self._insert_checkpoint, (size, root, note, signer.key_id), prepare=True
                )
        except Exception as e:  # not swallowed silently: logged, and visible to verify
            log.warning(
                "checkpoint for tree size %d not stored (%s); the next write's covers it",
                size,
                type(e).__name__,
            )
        return ids

    def _write(
        self,
        stored_events: Sequence[StoredEvent],
        known_head: tuple[int, bytes, bytes] | None,
        kwargs: dict[str, Any],
    ) -> tuple[list[int], tuple[int, bytes, bytes]]:
        """One write. With ``known_head`` (only for plain batches): the one append statement,
        alone in autocommit mode, one round trip. Without: the locked path, where the head
        row is locked and read first and erasures and tracking records are written too."""
        columns = _columns(stored_events)
        with self.datastore.get_connection() as conn:
            if known_head is not None:
                statement, params, plan = self._append_params(
                    stored_events, columns, known_head, kwargs
                )
                with conn.cursor() as curs:
                    curs.execute(statement, params, prepare=True)
                    rows = curs.fetchall()
            else:
                # Pipelined: BEGIN, the head read and lock go in one round trip; the append
                # and COMMIT in a second. The head row stays locked for one round trip.
                append_cursor = conn.cursor()
                try:
                    with conn.pipeline(), conn.transaction(), conn.cursor() as curs:
                        # The library's tracking record, if any (its _insert_events does that).
                        self._insert_events(curs, stored_events, **kwargs)
                        curs.execute(self._select_head, prepare=True)
                        row = curs.fetchone()
                        if row is None:
                            raise LogNotConfiguredError(
                                "the log head row is missing (run `auxledger init`)"
                            )
                        head = (
                            int(row["tree_size"]),
                            bytes(row["frontier"]),
                            bytes(row["active_key_id"]),
                        )
                        config, _ = log_signer(self.log_config, kwargs)
                        self._guard(config.origin).check(
                            head[0],
                            frontier_root(head[0], head[1]),
                            reader=self._log_reader(curs),
                            keys=config.checkpoint_keys(kwargs),
                            known=self._known,
                        )
                        erase: UUID | None = kwargs.get("erase_subject")
                        if erase is not None:
                            curs.execute(self._erase_key, (erase,))
                            if curs.fetchone() is None:
                                raise SubjectKeyMissingError(
                                    f"data subject {erase} has no data key to destroy "
                                    "(unknown or already erased)"
                                )
                        statement, params, plan = self._append_params(
                            stored_events, columns, head, kwargs
                        )
                        append_cursor.execute(statement, params, prepare=True)
                    rows = append_cursor.fetchall()
                finally:
                    append_cursor.close()
        # Committed: the ids come back with the statement.
        ids = [int(row["notification_id"]) for row in rows]
        if len(ids) != len(stored_events):
            msg = f"expected {len(stored_events)} notification ids, got {len(ids)}"
            raise ProgrammingError(msg)
        self._known = (plan.tree_size, plan.root)
        if self._head_guard is not None:
            self._head_guard.remember(plan.checkpoint_note)
        return ids, (plan.tree_size, plan.frontier, plan.active_key_id)

    def _log_reader(self, curs: Any) -> _PostgresLogReader:
        return _PostgresLogReader(curs, self._latest_checkpoint, self._select_nodes)

    def _append_params(
        self,
        stored_events: Sequence[StoredEvent],
        columns: _Columns,
        head: tuple[int, bytes, bytes],
        kwargs: dict[str, Any],
    ) -> tuple[str, dict[str, Any], LogAppend]:
        """The append statement for a batch on top of ``head``, its parameters and plan."""
        plan = plan_append(
            config=self.log_config,
            head=head,
            events=stored_events,
            notification_ids=None,
            kwargs=kwargs,
        )
        params: dict[str, Any] = {
            "size": plan.tree_size,
            "frontier": plan.frontier,
            "key": plan.active_key_id,
            "old_size": head[0],
            "old_key": head[2],
            "oids": columns[0],
            "versions": columns[1],
            "topics": columns[2],
            "states": columns[3],
            "levels": [n[0] for n in plan.nodes],
            "indexes": [n[1] for n in plan.nodes],
            "hashes": [n[2] for n in plan.nodes],
            "root": plan.root,
            "note": plan.checkpoint_note,
            "signer": plan.signer_key_id,
            "channel": self.channel_name,
        }
        subjects, wrapped, masters = _key_columns(kwargs)
        if not subjects:
            return self._append, params, plan
        params["key_subjects"] = subjects
        params["key_wrapped"] = wrapped
        params["key_masters"] = masters
        params["key_count"] = len(subjects)
        return self._append_with_keys, params, plan

    def erasure_count(self) -> int:
        """How many erasures the ledger has recorded (cheap; for cache invalidation)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._erasure_count)
            row = curs.fetchone()
        return 0 if row is None else int(row["erasures"])

    def after_erasure(self) -> None:
        """PostgreSQL keeps dead row versions until vacuum; see docs/privacy.md."""
        with self.datastore.get_connection() as conn:
            conn.execute(
                SQL("VACUUM {}.{}").format(
                    Identifier(self.datastore.schema), Identifier(SUBJECT_KEYS)
                )
            )

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
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
        params: list[Any] = [originator_id]
        if gt is not None:
            params.append(gt)
        if lte is not None:
            params.append(lte)
        if limit is not None:
            params.append(limit)
        shape = (gt is not None, lte is not None, desc, limit is not None)
        statement = self._select_statements.get(shape)
        if statement is None:
            query = self._select_events_with_ids
            if gt is not None:
                query += SQL(" AND originator_version > %s")
            if lte is not None:
                query += SQL(" AND originator_version <= %s")
            query += SQL(
                " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version ASC"
            )
            if limit is not None:
                query += SQL(" LIMIT %s")
            # Rendered once per shape: psycopg then caches the conversion of the string.
            statement = self._select_statements[shape] = query.as_string(None)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]
