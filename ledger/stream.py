"""Reading the application sequence for followers (projections), every event checked.

``read_checked(app, after, limit)`` returns the next events after a notification id, in the
ledger's order, each one checked before it is decoded. A failure raises the named
``IntegrityViolation``: a follower stops loudly rather than apply an unchecked or altered
event.

Two ways of checking, with the same outcome for the caller:

- small batches: each row through the application's ``RecordMapper`` (format, header,
  registered key valid at its position, Ed25519 signature);
- large batches (``BATCH_PROOF_MINIMUM`` rows or more): each row's format and header, its
  key registered, and its bytes equal to its leaf in the Merkle log; then the leaves of the
  whole stretch, folded onto the stored frontier before it, must give the root of a stored
  checkpoint whose signature is verified (once per checkpoint). One signature check then
  covers every event of the stretch; any altered, moved, inserted or missing event changes
  a leaf or the root and fails the batch.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from ledger import merkle
from ledger.application import LedgerApplication
from ledger.errors import IntegrityViolation, RecordMismatchError, UnknownKeyError
from ledger.log import MerkleLog
from ledger.note import NoteError, open_checkpoint
from ledger.record import parse_record

BATCH_PROOF_MINIMUM = 64
"""From this many rows on, a batch is checked against a signed checkpoint."""
LEAF_SPAN_LIMIT = 200_000
"""A batch whose rows spread over more leaves than this is checked row by row instead."""


@dataclass(frozen=True)
class CheckedEvent:
    """A stored event (with its notification id) and its decoded, checked domain event."""

    notification: Notification
    event: Any

    @property
    def notification_id(self) -> int:
        """Position in the application sequence."""
        return self.notification.id


class _VerifiedCheckpoints:
    """Roots of checkpoints whose signatures this process has verified, by tree size."""

    def __init__(self) -> None:
        self.roots: dict[int, bytes] = {}
        self.lock = threading.Lock()


_CHECKPOINTS: weakref.WeakKeyDictionary[LedgerApplication, _VerifiedCheckpoints] = (
    weakref.WeakKeyDictionary()
)


def read_checked(
    app: LedgerApplication,
    after: int,
    limit: int,
    *,
    stop: int | None = None,
    topics: Sequence[str] = (),
) -> list[CheckedEvent]:
    """Up to ``limit`` checked events with notification id > ``after`` (and <= ``stop``)."""
    notifications = app.recorder.select_notifications(
        start=after, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
    )
    mapper = app.record_mapper
    if len(notifications) >= BATCH_PROOF_MINIMUM:
        checked = _check_against_checkpoint(app, notifications)
        if checked is not None:
            return [
                CheckedEvent(n, mapper.decode_payload(n, payload))
                for n, payload in zip(notifications, checked, strict=True)
            ]
    return [CheckedEvent(n, mapper.to_domain_event(n)) for n in notifications]


def _check_against_checkpoint(
    app: LedgerApplication, rows: Sequence[Notification]
) -> list[bytes] | None:
    """Payloads of rows proven by the Merkle log; None to fall back to row-by-row checks."""
    log = MerkleLog(app.ledger_recorder)
    ring = app.keyring()
    indexes = log.leaf_indexes([n.id for n in rows])
    payloads: list[bytes] = []
    positions: list[int] = []
    for row in rows:
        where: dict[str, Any] = {
            "originator_id": row.originator_id,
            "originator_version": row.originator_version,
            "position": row.id,
        }
        record = parse_record(row.state)
        if (
            str(record.originator_id) != str(row.originator_id)
            or record.originator_version != row.originator_version
            or record.topic != row.topic
        ):
            raise RecordMismatchError("row disagrees with its signed header", **where)
        if ring.lookup(record.key_id) is None:
            raise UnknownKeyError(f"signed by unregistered key {record.key_id.hex()}", **where)
        index = indexes.get(row.id)
        if index is None:
            raise IntegrityViolation(
                "the event has no leaf in the Merkle log", kind="unlogged_event", **where
            )
        positions.append(index)
        payloads.append(record.payload)
    start, end = positions[0], positions[-1] + 1
    if positions != sorted(positions) or end - start > LEAF_SPAN_LIMIT:
        return None
    checkpoint = log.checkpoint_at_or_after(end)
    if checkpoint is None or checkpoint.tree_size - start > LEAF_SPAN_LIMIT:
        return None
    size = checkpoint.tree_size
    root = _verified_root(app, log, size)
    leaves = log.leaf_hashes(start, size)
    if len(leaves) != size - start:
        raise IntegrityViolation(
            f"the Merkle log is missing leaves between {start} and {size}",
            kind="missing_node",
            position=start,
        )
    for row, index in zip(rows, positions, strict=True):
        if leaves[index - start] != merkle.leaf_hash(bytes(row.state)):
            raise IntegrityViolation(
                "the event's bytes do not hash to its leaf in the Merkle log",
                kind="leaf_mismatch",
                originator_id=row.originator_id,
                originator_version=row.originator_version,
                position=index,
            )
    frontier = log.frontier_at(start)
    for leaf in leaves:
        frontier.append(leaf)
    if frontier.root() != root:
        raise IntegrityViolation(
            f"the log's leaves up to {size} do not give the signed checkpoint's root",
            kind="root_mismatch",
            position=size - 1,
        )
    return payloads


def _verified_root(app: LedgerApplication, log: MerkleLog, size: int) -> bytes:
    """The root of the stored checkpoint of ``size`` leaves, its signature verified."""
    cache = _CHECKPOINTS.setdefault(app, _VerifiedCheckpoints())
    with cache.lock:
        known = cache.roots.get(size)
    if known is not None:
        return known
    stored = log.checkpoint_at(size)
    if stored is None:
        raise IntegrityViolation(f"no checkpoint for tree size {size}", kind="checkpoint_missing")
    ring = app.keyring()
    status = ring.lookup(stored.key_id)
    try:
        checkpoint = open_checkpoint(
            stored.note,
            [status.public.verifier] if status is not None else [],
            origin=app.settings.log_origin,
        )
    except NoteError as e:
        raise IntegrityViolation(
            f"the checkpoint for tree size {size} does not verify: {e}",
            kind="checkpoint_signature",
            position=size - 1,
        ) from None
    if checkpoint.size != size:
        raise IntegrityViolation(
            f"the checkpoint row for size {size} holds a note for {checkpoint.size}",
            kind="checkpoint_mismatch",
            position=size - 1,
        )
    with cache.lock:
        if len(cache.roots) > 10_000:
            cache.roots.clear()
        cache.roots[size] = checkpoint.root
    return checkpoint.root


def max_notification_id(app: LedgerApplication) -> int:
    """The last notification id in the sequence (0 when empty)."""
    return app.recorder.max_notification_id() or 0
