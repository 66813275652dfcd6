"""Per-record checks for verification, run in worker processes on every core.

``cryptography``'s Ed25519 verify holds the GIL, so threads give no speed-up; a process pool
does. Each worker receives raw log rows and does everything that concerns one record: the
stored leaf hash, the record format, the header against the row and against the log's own
note of which event sits at that position, the key's validity at that position, and the
signature. The main process only keeps order (leaf indexes, notification ids, the running
Merkle frontier and the checkpoints). This module imports little, so workers start quickly.

Invariants:
- A batch result lists every failure of every row in it; an exception in a worker
  propagates to the caller -- it is never read as "all good".
- Work is submitted with a bounded number of batches in flight, so memory stays flat; a range
  result carries only its failures and O(log n) subtree hashes per checkpoint in it.
- Checks read keys from the ``KeyTable`` they are given. The only per-process state is
  ``WORKER`` in a worker process of the pool (its key table and its read connection, set by
  the pool's initializer); a checker running in the calling process keeps its own key table
  and changes nothing process-wide. ``WORKER.reset()`` forgets both.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import merkle
from ledger.errors import MalformedRecordError
from ledger.record import SIGNATURE_SIZE, SIGNING_PREFIX, parse_header

# (leaf index, notification id, stored leaf hash, row originator id, row version, row topic,
#  state, logged originator id, logged version); ids as UUIDs or as their 16 bytes (the range
#  workers read bytes: making a UUID object per row costs more than the comparisons).
Row = tuple[
    int, int, bytes | None, UUID | bytes | None, int | None, str | None, bytes, UUID | bytes, int
]


def _id(value: UUID | bytes | None) -> UUID | None:
    """For reports: the id as a UUID."""
    if value is None or isinstance(value, UUID):
        return value
    return UUID(bytes=value)


# (kind, detail, originator id, originator version, position)
Failure = tuple[str, str, str | None, int | None, int | None]
# A checkpoint note to check: (tree size, notification id of its last leaf, key id, text, sig)
Note = tuple[int, int, bytes, bytes, bytes]


@dataclass(frozen=True)
class KeyWindow:
    """A key as the workers need it: public bytes and where in the log it may sign."""

    raw: bytes
    activated_at: int | None
    valid_until: int | None
    status: str

    def valid_at(self, position: int) -> bool:
        """True if the key may sign at this notification id."""
        if self.activated_at is None or position < self.activated_at:
            return False
        return self.valid_until is None or position <= self.valid_until


class KeyTable:
    """The key windows by key id, each with its public key parsed once."""

    def __init__(self, keys: Mapping[bytes, KeyWindow] | None = None) -> None:
        self.entries: dict[bytes, tuple[KeyWindow, Ed25519PublicKey]] = {
            key_id: (window, Ed25519PublicKey.from_public_bytes(window.raw))
            for key_id, window in (keys or {}).items()
        }

    def get(self, key_id: bytes) -> tuple[KeyWindow, Ed25519PublicKey] | None:
        """The window and public key of ``key_id``, or None for an unknown key."""
        return self.entries.get(key_id)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self.entries


def _verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def check_row(row: Row, keys: KeyTable) -> list[Failure]:
    """Every per-record check of one log row (see the module docstring)."""
    (
        position,
        notification_id,
        stored_leaf,
        row_oid,
        row_version,
        row_topic,
        state,
        logged_oid,
        logged_version,
    ) = row
    failures: list[Failure] = []
    computed = merkle.leaf_hash(state)
    if stored_leaf is None:
        failures.append(("missing_node", "the stored leaf hash is missing", None, None, position))
    elif stored_leaf != computed:
        failures.append(
            (
                "leaf_mismatch",
                "the event's bytes do not hash to the logged leaf (altered or moved)",
                str(_id(logged_oid)),
                logged_version,
                position,
            )
        )
    try:
        id_bytes, version, key_id, topic = parse_header(state)
    except MalformedRecordError as e:
        failures.append(("malformed_record", e.detail, str(_id(row_oid)), row_version, position))
        return failures
    # The ids are compared as bytes; a UUID is made only to report a failure.
    if not (
        row_oid is not None
        and _raw_id(row_oid) == id_bytes
        and _raw_id(logged_oid) == id_bytes
        and row_version == version
        and logged_version == version
        and row_topic == topic
    ):
        failures.extend(_header_failures(row, UUID(bytes=id_bytes), version, topic))
    entry = keys.get(key_id)
    if entry is None:
        failures.append(
            (
                "unknown_key",
                f"signed by key {key_id.hex()}, which is not registered",
                str(UUID(bytes=id_bytes)),
                version,
                position,
            )
        )
        return failures
    window, key = entry
    if not window.valid_at(notification_id):
        failures.append(
            (
                "key_not_valid",
                f"signed by key {key_id.hex()} ({window.status}) outside its validity",
                str(UUID(bytes=id_bytes)),
                version,
                position,
            )
        )
    if not _verify(key, state[-SIGNATURE_SIZE:], SIGNING_PREFIX + state[:-SIGNATURE_SIZE]):
        failures.append(
            (
                "bad_signature",
                "Ed25519 signature does not verify",
                str(UUID(bytes=id_bytes)),
                version,
                position,
            )
        )
    return failures


def _header_failures(row: Row, oid: UUID, version: int, topic: str) -> list[Failure]:
    """The row and the log's entry against the signed header (only when they differ)."""
    position, _, _, row_id, row_version, row_topic, _, logged_id, logged_version = row
    row_oid, logged_oid = _id(row_id), _id(logged_id)
    failures: list[Failure] = []
    if row_oid != oid:
        failures.append(
            (
                "record_mismatch",
                f"the event is filed under aggregate {row_oid} but was signed for {oid} (moved)",
                str(oid),
                version,
                position,
            )
        )
    if row_version != version:
        failures.append(
            (
                "record_mismatch",
                f"the row says version {row_version} but the event was signed as version "
                f"{version} (renumbered)",
                str(oid),
                version,
                position,
            )
        )
    if row_topic != topic:
        failures.append(
            (
                "record_mismatch",
                "the row's topic differs from the signed topic",
                str(oid),
                version,
                position,
            )
        )
    if logged_oid != oid or logged_version != version:
        failures.append(
            (
                "leaf_mismatch",
                f"the log recorded {logged_oid} version {logged_version} at this position",
                str(oid),
                version,
                position,
            )
        )
    return failures


def check_note(note: Note, keys: KeyTable) -> list[Failure]:
    """The signature and key validity of one stored checkpoint."""
    tree_size, notification_id, key_id, text, signature = note
    position = tree_size - 1
    entry = keys.get(key_id)
    if entry is None:
        return [
            (
                "checkpoint_signature",
                f"the checkpoint for tree size {tree_size} names unknown key {key_id.hex()}",
                None,
                None,
                position,
            )
        ]
    window, key = entry
    failures: list[Failure] = []
    if not _verify(key, signature, text):
        failures.append(
            (
                "checkpoint_signature",
                f"the checkpoint for tree size {tree_size} has a bad signature",
                None,
                None,
                position,
            )
        )
    if not window.valid_at(notification_id):
        failures.append(
            (
                "key_not_valid",
                f"the checkpoint for tree size {tree_size} is signed by key {key_id.hex()} "
                "outside its validity",
                None,
                None,
                position,
            )
        )
    return failures


def check_batch(rows: list[Row], notes: list[Note], keys: KeyTable) -> list[Failure]:
    """Every failure in a batch of rows and notes."""
    failures: list[Failure] = []
    for row in rows:
        failures.extend(check_row(row, keys))
    for note in notes:
        failures.extend(check_note(note, keys))
    return failures


class WorkerProcess:
    """What a worker process of a checker's pool keeps between tasks: the key table it was
    started with and, for range checks, one read connection. There is one, ``WORKER``, in
    each process; the pool's initializer (``init_worker``) sets it, ``reset()`` forgets it."""

    def __init__(self) -> None:
        self.keys = KeyTable()
        self.connection: Any = None

    def start(self, keys: Mapping[bytes, KeyWindow]) -> None:
        """Begin with these keys and no connection."""
        self.reset()
        self.keys = KeyTable(keys)

    def connect(self, source: RangeSource) -> Any:
        """This process's read connection to ``source`` (opened on first use)."""
        if self.connection is None:
            self.connection = _open(source)
        return self.connection

    def reset(self) -> None:
        """Close the connection (if any) and forget the keys."""
        connection, self.connection = self.connection, None
        self.keys = KeyTable()
        if connection is not None:
            connection.close()


WORKER = WorkerProcess()
"""This process's worker state (used only in a pool's worker processes)."""


def init_worker(keys: dict[bytes, KeyWindow]) -> None:
    """The pool's initializer: load the key windows into this worker process."""
    WORKER.start(keys)


def check_batch_in_worker(rows: list[Row], notes: list[Note]) -> list[Failure]:
    """``check_batch`` with this worker process's keys."""
    return check_batch(rows, notes, WORKER.keys)


class RowChecker:
    """Checks rows and notes in batches, in worker processes when there is more than one."""

    def __init__(
        self, keys: dict[bytes, KeyWindow], *, workers: int | None = None, batch: int = 400
    ) -> None:
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.batch = batch
        self._keys = dict(keys)
        self._pool: ProcessPoolExecutor | None = None
        self._rows: list[Row] = []
        self._notes: list[Note] = []
        self._futures: list[Future[list[Failure]]] = []
        self._failed: list[Failure] = []
        self._table = KeyTable(self._keys) if self.workers <= 1 else None

    def __enter__(self) -> RowChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_row(self, row: Row) -> None:
        """Queue one log row."""
        self._rows.append(row)
        if len(self._rows) >= self.batch:
            self._flush()

    def add_note(self, note: Note) -> None:
        """Queue one checkpoint."""
        self._notes.append(note)
        if len(self._notes) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if not self._rows and not self._notes:
            return
        rows, notes = self._rows, self._notes
        self._rows, self._notes = [], []
        if self._table is not None:
            self._failed.extend(check_batch(rows, notes, self._table))
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker,
                initargs=(self._keys,),
            )
        self._futures.append(self._pool.submit(check_batch_in_worker, rows, notes))
        while len(self._futures) > 3 * self.workers:
            self._failed.extend(self._futures.pop(0).result())

    def failures(self) -> list[Failure]:
        """Finish everything queued and return every failure."""
        self._flush()
        while self._futures:
            self._failed.extend(self._futures.pop(0).result())
        return list(self._failed)

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass(frozen=True)
class RangeSource:
    """How a worker reads a range of the log itself: backend, where, and the two queries
    (rows of leaves [start, stop) with their events; checkpoints with start < size <= stop).
    Queries use ``?`` placeholders (rewritten for PostgreSQL)."""

    backend: str
    location: str
    rows_sql: str
    notes_sql: str


def _open(source: RangeSource) -> Any:
    if source.backend == "postgres":
        import psycopg  # noqa: PLC0415 - only workers on PostgreSQL need it

        # Short range scans: no parallel workers or JIT competing with the checks for
        # the same cores.
        return psycopg.connect(
            source.location,
            autocommit=True,
            options="-c max_parallel_workers_per_gather=0 -c jit=off",
        )
    import sqlite3  # noqa: PLC0415

    return sqlite3.connect(f"file:{source.location}?mode=ro", uri=True)


def _query(
    worker: WorkerProcess, source: RangeSource, sql: str, params: tuple[int, ...]
) -> Iterator[Any]:
    conn = worker.connect(source)
    if source.backend == "postgres":
        cursor = conn.cursor(name="range_scan", binary=True)
        cursor.itersize = 2000
        with conn.transaction():
            cursor.execute(sql.replace("?", "%s"), params)
            yield from cursor
        return
    cursor = conn.execute(sql, params)
    while True:
        chunk = cursor.fetchmany(2000)
        if not chunk:
            break
        yield from chunk


def _raw_id(value: Any) -> bytes:
    """An id as read by a range query: 16 bytes (PostgreSQL, ``uuid_send``), or text (SQLite)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, UUID):
        return value.bytes
    return UUID(str(value)).bytes


@dataclass(frozen=True)
class RangeResult:
    """What a worker found in leaves [start, stop): the checks, and what the main process
    needs to keep order and recompute every checkpoint root without reading the leaves.

    ``frontier`` is the compact range (perfect subtree roots, largest first) of the stored leaf
    hashes of the range; ``snapshots`` the same at each checkpoint size inside the range. The
    range starts at a multiple of its power-of-two length, so these subtrees sit exactly
    where they sit in the whole tree.
    """

    start: int
    stop: int
    checked: int
    failures: list[Failure]
    first_notification_id: int | None
    last_notification_id: int | None
    untrusted_from: int | None
    """The first position whose leaf is missing or has no stored hash (no root from there)."""
    frontier: tuple[bytes, ...]
    snapshots: dict[int, tuple[bytes, ...]]


def check_range(
    source: RangeSource, start: int, stop: int, worker: WorkerProcess | None = None
) -> RangeResult:
    """Check leaves [start, stop) and the checkpoints ending inside it, reading them here
    with ``worker``'s connection and keys (this process's ``WORKER`` by default)."""
    worker = WORKER if worker is None else worker
    failures: list[Failure] = []
    checked = 0
    sizes: set[int] = set()
    for r in _query(worker, source, source.notes_sql, (start, stop)):
        tree_size, note, notification_id = int(r[0]), str(r[1]), r[2]
        sizes.add(tree_size)
        failures.extend(_check_stored_note(tree_size, note, notification_id, worker.keys))
    frontier = merkle.Frontier.empty()  # over this range's leaves only
    snapshots: dict[int, tuple[bytes, ...]] = {}
    expected = start
    first_nid: int | None = None
    previous_nid: int | None = None
    untrusted: int | None = None
    for r in _query(worker, source, source.rows_sql, (start, stop, start, stop)):
        position, notification_id = int(r[0]), int(r[1])
        logged_oid = _raw_id(r[7])
        logged_version = int(r[8])
        if position != expected:
            failures.append(
                (
                    "leaf_order",
                    f"leaf index {position} where {expected} was expected "
                    "(leaves missing or renumbered)",
                    None,
                    None,
                    expected,
                )
            )
            untrusted = expected if untrusted is None else untrusted
        expected = position + 1
        if previous_nid is not None and notification_id <= previous_nid:
            failures.append(
                (
                    "leaf_order",
                    f"leaf points at notification {notification_id}, not after "
                    f"{previous_nid}: events were reordered",
                    str(_id(logged_oid)),
                    logged_version,
                    position,
                )
            )
        if first_nid is None:
            first_nid = notification_id
        previous_nid = notification_id
        stored = None if r[2] is None else bytes(r[2])
        if stored is None or len(stored) != merkle.HASH_SIZE:  # check_row reports it
            untrusted = position if untrusted is None else untrusted
            frontier.add(merkle.EMPTY_ROOT)
        else:
            frontier.add(stored)
        if position + 1 in sizes:
            snapshots[position + 1] = frontier.hashes
        if r[6] is None:
            failures.append(
                (
                    "missing_event",
                    "the log has a leaf here but its event row is gone (deleted)",
                    str(_id(logged_oid)),
                    logged_version,
                    position,
                )
            )
            continue
        checked += 1
        row: Row = (
            position,
            notification_id,
            stored,
            None if r[3] is None else _raw_id(r[3]),
            None if r[4] is None else int(r[4]),
            r[5],
            bytes(r[6]),
            logged_oid,
            logged_version,
        )
        failures.extend(check_row(row, worker.keys))
    if expected != stop:
        failures.append(
            (
                "leaf_order",
                f"leaves {expected} to {stop - 1} are missing from the log",
                None,
                None,
                expected,
            )
        )
        untrusted = expected if untrusted is None else untrusted
    return RangeResult(
        start=start,
        stop=stop,
        checked=checked,
        failures=failures,
        first_notification_id=first_nid,
        last_notification_id=previous_nid,
        untrusted_from=untrusted,
        frontier=frontier.hashes,
        snapshots=snapshots,
    )


def _check_stored_note(
    tree_size: int, note: str, notification_id: int | None, keys: KeyTable
) -> list[Failure]:
    from ledger.note import NoteError, split_note  # noqa: PLC0415

    position = tree_size - 1
    try:
        text, lines = split_note(note)
    except NoteError as e:
        return [
            (
                "checkpoint_signature",
                f"checkpoint {tree_size} is malformed: {e}",
                None,
                None,
                position,
            )
        ]
    ours = [line for line in lines if line.key_id in keys]
    if not ours:
        return [
            (
                "checkpoint_signature",
                f"checkpoint {tree_size} is not signed by a ledger key",
                None,
                None,
                position,
            )
        ]
    failures: list[Failure] = []
    for line in ours:
        failures.extend(
            check_note(
                (tree_size, notification_id or 0, line.key_id, text.encode(), line.signature),
                keys,
            )
        )
    return failures


class RangeChecker:
    """Checks the log in leaf ranges, each worker process reading its ranges itself."""

    def __init__(
        self,
        source: RangeSource,
        keys: dict[bytes, KeyWindow],
        *,
        workers: int | None = None,
        chunk: int = 1 << 14,
    ) -> None:
        if chunk <= 0 or chunk & (chunk - 1):
            raise ValueError("the range length must be a power of two (ranges align to subtrees)")
        self.source = source
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.chunk = chunk
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(dict(keys),),
        )
        self._futures: list[Future[RangeResult]] = []

    def __enter__(self) -> RangeChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, start: int, stop: int) -> None:
        """Queue every range of [start, stop) (``start`` a multiple of the range length)."""
        if start % self.chunk:
            raise ValueError("ranges must start on a multiple of the range length")
        for low in range(start, stop, self.chunk):
            self._futures.append(
                self._pool.submit(check_range, self.source, low, min(stop, low + self.chunk))
            )

    def results(self) -> Iterator[RangeResult]:
        """Each range's result, in leaf order, as soon as it and those before it are done."""
        for future in self._futures:
            yield future.result()


def failure_fields(failure: Failure) -> dict[str, Any]:
    """Keyword arguments for a report entry."""
    kind, detail, originator_id, version, position = failure
    return {
        "kind": kind,
        "detail": detail,
        "originator_id": originator_id,
        "originator_version": version,
        "position": position,
    }
