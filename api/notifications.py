"""The delivery worker of the outbox: it sends queued notifications to complainants through
an adapter and records every attempt as a signed event (issue 13, item 4).

``NotificationQueued`` events (the complaints office's ``queue_notification``) become rows of
``rm_outbox`` (the complainant projection). ``DeliveryWorker.run_once`` takes the due rows
and, for each, reads the complaint (a checked read; the contact is opened in memory only),
hands an ``OutgoingMessage`` to the ``NotificationAdapter`` the setting
``AUXLEDGER_NOTIFY_ADAPTER`` names, and records the adapter's ``DeliveryResult`` through
``AuxLedger.command_complaint`` as ``NotificationDelivered`` or ``NotificationFailed``, acting
as ``Role.system`` of the complaint's organ.

Invariants kept here:

- One worker delivers at a time, across processes and hosts: a worker works only while it
  holds the leader lock ``notification-delivery`` (``ReadModels.leader_lock``, as projection
  workers do). Before each message it reads the complaint's record, not the outbox row: a
  message with an outcome on record (the read model may lag) is skipped, so a message is
  handed to the adapter at most once per recorded attempt. A crash between the adapter's
  call and the recording can repeat that attempt; the message id goes to the adapter as the
  provider's idempotency key.
- The outcome recorded is the adapter's own: the log-only adapter reports
  ``not_sent_log_only`` (sms, letter) or ``pending_staff_call`` (phone), never ``sent``.
- A failure is tried again after ``BACKOFF_SECONDS`` (1 min, 5 min, 30 min, 2 h); after
  ``MAX_ATTEMPTS`` attempts, or at once for a permanent failure (no contact, the complainant's
  data erased), it is given up (``retry_at`` None).
- Logs carry ids, the channel, the outcome and exception types; never a contact, a text or an
  exception's message. ``OutgoingMessage``'s repr leaves the contact out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from uuid import UUID

from domain.commands.complaint import RecordDelivery, RecordDeliveryFailure
from domain.values import Actor, DeliveryOutcome, MessageStatus, OutboundChannel, Role
from ledger.errors import ConcurrencyConflictError
from ledger.privacy import ERASED, SEALED
from ledger.records import AuxLedger, Envelope, utc_now
from projections.db import (
    LeaderLock,
    PostgresDatabase,
    PostgresLeaderLock,
    SQLiteDatabase,
    SQLiteLeaderLock,
)
from projections.queries.outbox import OutboxRow, due_messages
from projections.service import ReadModels

__all__ = [
    "ADAPTERS",
    "BACKOFF_SECONDS",
    "LOCK_NAME",
    "MAX_ATTEMPTS",
    "WORKER_ACTOR_ID",
    "DeliveryCounts",
    "DeliveryResult",
    "DeliveryWorker",
    "LogOnlyAdapter",
    "NotificationAdapter",
    "OutgoingMessage",
    "adapter_named",
    "delivery_lock",
]

log = logging.getLogger("auxledger.notifications")

LOCK_NAME = "notification-delivery"
WORKER_ACTOR_ID = "notification-worker"
BACKOFF_SECONDS = (60, 300, 1800, 7200)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1


@dataclass(frozen=True)
class OutgoingMessage:
    """What an adapter gets: ids, channel, text and the contact, opened in memory only."""

    message_id: UUID
    complaint_id: UUID
    channel: OutboundChannel
    text: str = field(repr=False)
    attempt: int
    phone: str | None = field(repr=False, default=None)
    address: str | None = field(repr=False, default=None)


@dataclass(frozen=True)
class DeliveryResult:
    """An adapter's answer: an outcome (``DeliveryOutcome``), or a failure with a reason
    code, permanent (give up) or not (try again later)."""

    outcome: DeliveryOutcome | None
    provider_reference: str | None = None
    reason: str | None = None
    permanent: bool = False

    @classmethod
    def done(cls, outcome: DeliveryOutcome, reference: str | None = None) -> DeliveryResult:
        """The attempt came to ``outcome``."""
        return cls(outcome=outcome, provider_reference=reference)

    @classmethod
    def failed(cls, reason: str, *, permanent: bool = False) -> DeliveryResult:
        """The attempt failed for ``reason`` (a code such as ``provider_unreachable``)."""
        return cls(outcome=None, reason=reason, permanent=permanent)


class NotificationAdapter(Protocol):
    """Sends one message by its channel; ``name`` is recorded with every attempt."""

    name: str

    def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        """Send ``message`` (or say why not); never log its contact or text."""
        ...


class LogOnlyAdapter:
    """Sends nothing: writes one log line of ids and channel, and says so truthfully.

    An sms or a letter comes to ``not_sent_log_only``; a phone call, which only a person
    makes, to ``pending_staff_call`` (staff call, then record ``notify_complainant``).
    """

    name = "log"

    def deliver(self, message: OutgoingMessage) -> DeliveryResult:
        """Log that the message was not sent, and report it."""
        if message.channel is OutboundChannel.phone:
            outcome = DeliveryOutcome.pending_staff_call
            said = "phone call left for staff; nothing sent"
        else:
            outcome = DeliveryOutcome.not_sent_log_only
            said = "not sent: log-only adapter"
        log.info(
            "notification %s of complaint %s by %s (attempt %d): %s",
            message.message_id,
            message.complaint_id,
            message.channel.value,
            message.attempt,
            said,
        )
        return DeliveryResult.done(outcome)


ADAPTERS: Mapping[str, Callable[[], NotificationAdapter]] = {"log": LogOnlyAdapter}
"""The adapters ``AUXLEDGER_NOTIFY_ADAPTER`` may name (``api.settings.NOTIFY_ADAPTERS``)."""


def adapter_named(name: str) -> NotificationAdapter:
    """The adapter of this name (``ApiSettings`` checked the name)."""
    return ADAPTERS[name]()


def delivery_lock(models: ReadModels) -> LeaderLock:
    """The lock a delivery worker holds while it works: an advisory lock of its own on
    PostgreSQL, an ``flock`` beside the ledger on SQLite (as a projection's leader lock)."""
    if isinstance(models.db, PostgresDatabase):
        return PostgresLeaderLock(
            models.ledger.settings.database.conninfo(), models.db.lock_key(f"leader:{LOCK_NAME}")
        )
    assert isinstance(models.db, SQLiteDatabase)
    return SQLiteLeaderLock(Path(f"{models.db.path}.{LOCK_NAME}.leader"))


@dataclass
class DeliveryCounts:
    """What one pass did."""

    led: bool = False
    delivered: int = 0
    failed: int = 0
    skipped: int = 0


class DeliveryWorker:
    """Drains the outbox while it holds the delivery lock."""

    def __init__(
        self,
        ledger: AuxLedger,
        models: ReadModels,
        adapter: NotificationAdapter,
        *,
        clock: Callable[[], datetime] = utc_now,
        lock: LeaderLock | None = None,
    ) -> None:
        self.ledger = ledger
        self.models = models
        self.adapter = adapter
        self.clock = clock
        self.lock = lock if lock is not None else delivery_lock(models)

    def run_once(self, limit: int = 50) -> DeliveryCounts:
        """One pass: if this worker leads, try every due message (at most ``limit``)."""
        counts = DeliveryCounts()
        if not self.lock.acquire():
            return counts
        counts.led = True
        for row in due_messages(self.models, self.clock(), limit):
            kind = self._attempt(row)
            setattr(counts, kind, getattr(counts, kind) + 1)
        return counts

    def run(self, stop: threading.Event, interval: float = 5.0) -> None:
        """Pass after pass until ``stop`` is set; a failed pass is logged and retried."""
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                except Exception as e:  # the loop outlives one bad pass
                    log.warning(
                        "notification delivery pass failed", extra={"error": type(e).__name__}
                    )
                    self.lock.release()
                stop.wait(interval)
        finally:
            self.lock.release()

    def close(self) -> None:
        """Stop leading."""
        self.lock.release()

    # ------------------------------------------------------------------ one message

    def _attempt(self, row: OutboxRow) -> str:
        complaint = self.ledger.complaint(row.complaint_id)
        message = complaint.message(row.message_id)
        now = self.clock()
        if (
            message is None
            or message.status not in (MessageStatus.queued, MessageStatus.retrying)
            or (message.retry_at is not None and message.retry_at > now)
        ):
            return "skipped"  # the read model lags the record: the record decides
        attempt = message.attempts + 1
        contact = (
            complaint.complainant_address
            if message.channel is OutboundChannel.letter
            else complaint.complainant_phone
        )
        if not contact or contact in (ERASED, SEALED):
            result = DeliveryResult.failed("no_contact", permanent=True)
        else:
            outgoing = OutgoingMessage(
                message_id=message.message_id,
                complaint_id=complaint.id,
                channel=message.channel,
                text=message.text,
                attempt=attempt,
                phone=None if message.channel is OutboundChannel.letter else contact,
                address=contact if message.channel is OutboundChannel.letter else None,
            )
            try:
                result = self.adapter.deliver(outgoing)
            except Exception as e:  # a failed attempt
                log.warning("notification adapter raised", extra={"error": type(e).__name__})
                result = DeliveryResult.failed("adapter_error")
        actor = Actor(WORKER_ACTOR_ID, Role.system.value, complaint.organ, None)
        if result.outcome is not None:
            command: RecordDelivery | RecordDeliveryFailure = RecordDelivery(
                message_id=message.message_id,
                attempt=attempt,
                adapter=self.adapter.name,
                outcome=result.outcome,
                provider_reference=result.provider_reference,
            )
            kind = "delivered"
        else:
            give_up = result.permanent or attempt >= MAX_ATTEMPTS
            command = RecordDeliveryFailure(
                message_id=message.message_id,
                attempt=attempt,
                adapter=self.adapter.name,
                reason=result.reason or "failed",
                retry_at=None if give_up else now + timedelta(seconds=BACKOFF_SECONDS[attempt - 1]),
            )
            kind = "failed"
        self._record(row.complaint_id, command, actor)
        return kind

    def _record(
        self, complaint_id: UUID, command: RecordDelivery | RecordDeliveryFailure, actor: Actor
    ) -> None:
        """Record the attempt; a staff command saved on the complaint at the same moment
        makes the worker read it again and record once more (the attempt stays valid)."""
        for tries_left in (2, 1, 0):
            try:
                self.ledger.command_complaint(complaint_id, command, Envelope(actor=actor))
            except ConcurrencyConflictError:
                if not tries_left:
                    raise
            else:
                return
