"""Reading the application sequence for followers (projections), every event checked.

``read_checked(app, after, limit)`` returns the next events after a notification id, in the
ledger's order, each one checked by the application's ``RecordMapper`` (format, header,
registered key valid at its position, Ed25519 signature) before it is decoded. A failure
raises the named ``IntegrityViolation``: a follower stops loudly rather than apply an
unchecked or altered event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification

from ledger.application import LedgerApplication


@dataclass(frozen=True)
class CheckedEvent:
    """A stored event (with its notification id) and its decoded, checked domain event."""

    notification: Notification
    event: Any

    @property
    def notification_id(self) -> int:
        """Position in the application sequence."""
        return self.notification.id


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
    return [CheckedEvent(n, mapper.to_domain_event(n)) for n in notifications]


def max_notification_id(app: LedgerApplication) -> int:
    """The last notification id in the sequence (0 when empty)."""
    return app.recorder.max_notification_id() or 0
