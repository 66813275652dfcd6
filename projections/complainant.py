"""The complainant projection: tracking-code lookup and reviews (复查) with their deadlines.

Follows every ``Complaint`` event and keeps:

- ``rm_tracking``: one row per complaint with a tracking code, its ``tracking_hash`` (the
  hash the intake stored; never the code), so a code that no longer names its complaint
  (``api.tracking_code``: 80 secret bits, no complaint id) is found by one indexed read;
- ``rm_review``: one row per review asked for, with the round, the day asked, the decision's
  due date, and the decision once made (outcome and day), and the organ, for the registry
  and the early warning of overdue reviews.

Invariants kept here:

- A row of ``rm_tracking`` is written once, from ``Received``; the hash is unique per
  complaint as the intake made it.
- ``rm_review`` follows ``ReviewRequested`` and ``ReviewDecided`` exactly: the decided row is
  the latest of the complaint.
- ``rm_outbox``: one row per notification queued for the complainant (the outbox the
  delivery worker drains, ``api.notifications``): channel, status, attempts, when it may be
  tried next, and the outcome; it follows ``NotificationQueued``, ``NotificationFailed`` and
  ``NotificationDelivered`` exactly, so it holds only what the signed events say (no lease or
  claim column: the worker's exclusivity is a leader lock, its truth the complaint's record).
- No personal data: the review's reasons are never read; the outbox holds no contact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.complaint import Complaint
from projections.base import ReadModelProjection, handles
from projections.state import Row, State
from projections.tables import Column, Table

if TYPE_CHECKING:
    from projections.service import ReadModels

__all__ = ["OUTBOX", "REVIEW", "TRACKING", "ComplainantProjection", "complaint_of_hash"]

TRACKING = Table(
    "rm_tracking",
    (
        Column("complaint_id", "uuid", nullable=False),
        Column("tracking_hash", "text", nullable=False),
    ),
    key=("complaint_id",),
    mode="owned",
    owner="complaint_id",
    indexes=(("tracking_hash",),),
)
REVIEW = Table(
    "rm_review",
    (
        Column("complaint_id", "uuid", nullable=False),
        Column("originator_version", "int", nullable=False),
        Column("organ", "text", nullable=False),
        Column("review_no", "int", nullable=False),
        Column("requested_on", "date", nullable=False),
        Column("requested_by_role", "text", nullable=False),
        Column("due", "date", nullable=False),
        Column("outcome", "text"),
        Column("decided_on", "date"),
    ),
    key=("complaint_id", "originator_version"),
    mode="owned",
    owner="complaint_id",
    indexes=(("organ", "due"), ("outcome", "due")),
)
OUTBOX = Table(
    "rm_outbox",
    (
        Column("complaint_id", "uuid", nullable=False),
        Column("message_id", "uuid", nullable=False),
        Column("organ", "text", nullable=False),
        Column("channel", "text", nullable=False),
        Column("status", "text", nullable=False),
        Column("attempts", "int", nullable=False),
        Column("queued_at", "instant", nullable=False),
        Column("next_attempt_at", "instant"),
        Column("outcome", "text"),
        Column("adapter", "text"),
        Column("last_reason", "text"),
        Column("finished_at", "instant"),
    ),
    key=("complaint_id", "message_id"),
    mode="owned",
    owner="complaint_id",
    indexes=(("status", "next_attempt_at"), ("organ", "status")),
)


class ComplainantProjection(ReadModelProjection):
    """Tracking-code lookup and reviews."""

    name = "complainant"
    aggregates = (Complaint,)
    tables: ClassVar[tuple[Table, ...]] = (TRACKING, REVIEW, OUTBOX)
    flags = None
    owned_by: ClassVar[dict[type[Aggregate], tuple[str, ...]]] = {
        Complaint: (TRACKING.name, REVIEW.name, OUTBOX.name),
    }

    @handles(Complaint.Received)
    def _received(self, state: State, e: Complaint.Received, position: int) -> None:
        if e.tracking_hash is not None:
            state.put(TRACKING, {"complaint_id": e.originator_id, "tracking_hash": e.tracking_hash})

    @handles(Complaint.ReviewRequested)
    def _requested(self, state: State, e: Complaint.ReviewRequested, position: int) -> None:
        earlier = len(state.rows_of(REVIEW, e.originator_id))
        state.put(
            REVIEW,
            {
                "complaint_id": e.originator_id,
                "originator_version": e.originator_version,
                "organ": e.actor.organ,
                "review_no": earlier + 1,
                "requested_on": e.effective,
                "requested_by_role": e.actor.role,
                "due": e.due,
                "outcome": None,
                "decided_on": None,
            },
        )

    @handles(Complaint.ReviewDecided)
    def _decided(self, state: State, e: Complaint.ReviewDecided, position: int) -> None:
        rows = state.rows_of(REVIEW, e.originator_id)
        row = self.require(
            max(rows, key=lambda r: r["originator_version"]) if rows else None,
            "review",
            e.originator_id,
        )
        row["outcome"] = e.outcome
        row["decided_on"] = e.effective
        state.put(REVIEW, row)

    # ------------------------------------------------------------------ the outbox

    @handles(Complaint.NotificationQueued)
    def _queued(self, state: State, e: Complaint.NotificationQueued, position: int) -> None:
        state.put(
            OUTBOX,
            {
                "complaint_id": e.originator_id,
                "message_id": e.message_id,
                "organ": e.actor.organ,
                "channel": e.channel,
                "status": "queued",
                "attempts": 0,
                "queued_at": e.timestamp,
                "next_attempt_at": e.timestamp,
                "outcome": None,
                "adapter": None,
                "last_reason": None,
                "finished_at": None,
            },
        )

    def _message(self, state: State, complaint_id: UUID, message_id: UUID) -> Row:
        row = state.get(OUTBOX, (complaint_id, message_id))
        return self.require(row, "outbox message", complaint_id)

    @handles(Complaint.NotificationDelivered)
    def _delivered(self, state: State, e: Complaint.NotificationDelivered, position: int) -> None:
        row = self._message(state, e.originator_id, e.message_id)
        row.update(
            status="delivered",
            attempts=e.attempt,
            next_attempt_at=None,
            outcome=e.outcome,
            adapter=e.adapter,
            finished_at=e.timestamp,
        )
        state.put(OUTBOX, row)

    @handles(Complaint.NotificationFailed)
    def _failed(self, state: State, e: Complaint.NotificationFailed, position: int) -> None:
        row = self._message(state, e.originator_id, e.message_id)
        row.update(
            status="retrying" if e.retry_at is not None else "failed",
            attempts=e.attempt,
            next_attempt_at=e.retry_at,
            adapter=e.adapter,
            last_reason=e.reason,
            finished_at=None if e.retry_at is not None else e.timestamp,
        )
        state.put(OUTBOX, row)


def complaint_of_hash(models: ReadModels, tracking_hash: str) -> UUID | None:
    """The complaint whose intake stored this tracking hash, or None (one indexed read)."""
    with models.db.read() as session:
        rows = session.query(
            "SELECT complaint_id FROM {rm_tracking} WHERE tracking_hash = %s LIMIT 1",
            [tracking_hash],
            tables=(TRACKING,),
        )
    return rows[0]["complaint_id"] if rows else None
