"""The outbox of notifications to complainants (``rm_outbox``): what the delivery worker
takes next, and a complaint's messages for its page.

Invariants kept here:

- Reads only: the outbox is written by the complainant projection from signed events, never
  by a query or the worker.
- Due messages are those queued or retrying whose next attempt is due, oldest first, at most
  ``limit``; a message delivered or given up is never due.
- No personal data: the rows hold ids, the channel, statuses and codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from projections.complainant import OUTBOX

if TYPE_CHECKING:
    from projections.service import ReadModels

__all__ = ["OutboxRow", "due_messages", "messages_of"]


@dataclass(frozen=True)
class OutboxRow:
    """One queued notification as the outbox holds it."""

    complaint_id: UUID
    message_id: UUID
    organ: str
    channel: str
    status: str
    attempts: int
    queued_at: datetime
    next_attempt_at: datetime | None
    outcome: str | None
    adapter: str | None
    last_reason: str | None
    finished_at: datetime | None


def _rows(rows: list[dict[str, object]]) -> list[OutboxRow]:
    return [OutboxRow(**row) for row in rows]  # type: ignore[arg-type]


def due_messages(models: ReadModels, now: datetime, limit: int = 50) -> list[OutboxRow]:
    """Messages queued or retrying whose next attempt is due at ``now``, oldest first."""
    with models.db.read() as session:
        rows = session.query(
            "SELECT * FROM {rm_outbox} WHERE status IN ('queued', 'retrying') "
            "AND next_attempt_at <= %s ORDER BY next_attempt_at, message_id LIMIT %s",
            [now, limit],
            tables=(OUTBOX,),
        )
    return _rows(rows)


def messages_of(models: ReadModels, complaint_id: UUID) -> list[OutboxRow]:
    """A complaint's queued notifications, in queueing order."""
    with models.db.read() as session:
        rows = session.query(
            "SELECT * FROM {rm_outbox} WHERE complaint_id = %s ORDER BY queued_at, message_id",
            [complaint_id],
            tables=(OUTBOX,),
        )
    return _rows(rows)
