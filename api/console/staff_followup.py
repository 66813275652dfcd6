"""What a complaint's console page shows after its result: the reviews (复查) asked for and
the notifications queued for the complainant (the outbox).

Invariants:
- Read from the complaint's checked record (the aggregate the page already loaded), never
  from a second source that could disagree with it.
- No contact: a message shows its channel, status, attempts, outcome and dates; never the
  telephone number or address it goes to, nor its text's recipient. A review shows dates,
  roles and the outcome; never the reasons given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.complaint import Complaint

__all__ = ["FollowUp", "MessageLine", "ReviewLine", "follow_up"]


@dataclass(frozen=True)
class ReviewLine:
    """One review round as staff see it on the day."""

    round: int
    requested_on: date
    requested_by_role: str
    due: date
    outcome: str | None
    decided_on: date | None
    decided_by_role: str | None
    overdue: bool
    days_left: int | None


@dataclass(frozen=True)
class MessageLine:
    """One queued notification and how its delivery stands (no contact)."""

    channel: str
    status: str
    attempts: int
    outcome: str | None
    adapter: str | None
    last_reason: str | None
    queued_at: datetime
    retry_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class FollowUp:
    """The reviews and the outbox of one complaint."""

    reviews: list[ReviewLine]
    messages: list[MessageLine]


def follow_up(complaint: Complaint, today: date) -> FollowUp:
    """The complaint's reviews (an undecided one overdue after its due date) and messages."""
    reviews = [
        ReviewLine(
            round=r.round,
            requested_on=r.requested_on,
            requested_by_role=r.requested_by_role,
            due=r.due,
            outcome=r.outcome.value if r.outcome else None,
            decided_on=r.decided_on,
            decided_by_role=r.decided_by_role,
            overdue=r.outcome is None and r.due < today,
            days_left=(r.due - today).days if r.outcome is None and r.due >= today else None,
        )
        for r in complaint.reviews
    ]
    messages = [
        MessageLine(
            channel=m.channel.value,
            status=m.status.value,
            attempts=m.attempts,
            outcome=m.outcome.value if m.outcome else None,
            adapter=m.adapter,
            last_reason=m.last_reason,
            queued_at=m.queued_at,
            retry_at=m.retry_at,
            finished_at=m.finished_at,
        )
        for m in complaint.messages
    ]
    return FollowUp(reviews=reviews, messages=messages)
