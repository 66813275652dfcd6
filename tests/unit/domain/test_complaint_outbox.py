"""Notifications to the complainant through the outbox: queued by the office, attempts
recorded by the delivery worker, at most one outcome per message."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.auxiliary import Auxiliary
from domain.commands.complaint import QueueNotification, RecordDelivery, RecordDeliveryFailure
from domain.complaint import Complaint
from domain.errors import (
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NoContactForChannelError,
    NotAuthorisedError,
    OutsideScopeError,
)
from domain.values import Actor, DeliveryOutcome, MessageStatus, OutboundChannel

from .support import COMPLAINTS, ORGAN_CODE, OTHER_ORGAN, cst, rec, refused
from .test_complaint import MAR_12, handled, receive

WORKER = Actor("outbox-worker", "system", ORGAN_CODE, None)
MESSAGE = UUID(int=501)
QUEUE = QueueNotification(message_id=MESSAGE, channel="sms", text="您反映的问题已办结")


def failure(attempt: int, *, retry: bool = True) -> RecordDeliveryFailure:
    return RecordDeliveryFailure(
        message_id=MESSAGE,
        attempt=attempt,
        adapter="log",
        reason="provider_unreachable",
        retry_at=cst(MAR_12, 12) if retry else None,
    )


def delivery(attempt: int, outcome: str = "not_sent_log_only") -> RecordDelivery:
    return RecordDelivery(message_id=MESSAGE, attempt=attempt, adapter="log", outcome=outcome)


@pytest.fixture
def notified(auxiliary: Auxiliary) -> Complaint:
    return handled(receive(auxiliary), upto="notified")


def test_a_message_is_queued_tried_again_and_delivered_once(notified: Complaint) -> None:
    notified.queue_notification(rec(COMPLAINTS, MAR_12), QUEUE)
    (message,) = notified.messages
    assert (message.channel, message.status, message.attempts) == (
        OutboundChannel.sms,
        MessageStatus.queued,
        0,
    )
    notified.record_delivery_failure(rec(WORKER, MAR_12), failure(1))
    message = notified.message(MESSAGE)
    assert message is not None
    assert (message.status, message.retry_at) == (MessageStatus.retrying, cst(MAR_12, 12))
    notified.record_delivery(rec(WORKER, MAR_12), delivery(2))
    message = notified.message(MESSAGE)
    assert message is not None
    assert message.status is MessageStatus.delivered
    assert message.outcome is DeliveryOutcome.not_sent_log_only
    assert message.attempts == 2
    refused(
        notified, InvalidTransitionError, notified.record_delivery, rec(WORKER, MAR_12), delivery(3)
    )
    refused(
        notified,
        InvalidTransitionError,
        notified.record_delivery_failure,
        rec(WORKER, MAR_12),
        failure(3),
    )
    names = [type(e).__name__ for e in notified.collect_events()]
    assert names == ["NotificationQueued", "NotificationFailed", "NotificationDelivered"]


def test_a_message_given_up_takes_no_more_attempts(notified: Complaint) -> None:
    notified.queue_notification(rec(COMPLAINTS, MAR_12), QUEUE)
    notified.record_delivery_failure(rec(WORKER, MAR_12), failure(1, retry=False))
    message = notified.message(MESSAGE)
    assert message is not None
    assert message.status is MessageStatus.failed
    refused(
        notified, InvalidTransitionError, notified.record_delivery, rec(WORKER, MAR_12), delivery(2)
    )


def test_attempts_are_numbered_in_order(notified: Complaint) -> None:
    notified.queue_notification(rec(COMPLAINTS, MAR_12), QUEUE)
    refused(notified, InvalidFieldError, notified.record_delivery, rec(WORKER, MAR_12), delivery(2))
    refused(
        notified, InvalidFieldError, notified.record_delivery, rec(WORKER, MAR_12), delivery(True)
    )  # type: ignore[arg-type]
    unknown = RecordDelivery(message_id=UUID(int=9), attempt=1, adapter="log", outcome="sent")
    refused(notified, InvalidFieldError, notified.record_delivery, rec(WORKER, MAR_12), unknown)


def test_a_retry_lies_after_the_attempt(notified: Complaint) -> None:
    notified.queue_notification(rec(COMPLAINTS, MAR_12), QUEUE)
    early = RecordDeliveryFailure(
        message_id=MESSAGE, attempt=1, adapter="log", reason="busy", retry_at=cst(MAR_12, 9)
    )
    refused(
        notified,
        InvalidDateRangeError,
        notified.record_delivery_failure,
        rec(WORKER, MAR_12),
        early,
    )


def test_only_the_organs_worker_records_attempts(notified: Complaint) -> None:
    notified.queue_notification(rec(COMPLAINTS, MAR_12), QUEUE)
    refused(
        notified, NotAuthorisedError, notified.record_delivery, rec(COMPLAINTS, MAR_12), delivery(1)
    )
    elsewhere = Actor("outbox-worker", "system", OTHER_ORGAN, None)
    refused(
        notified, OutsideScopeError, notified.record_delivery, rec(elsewhere, MAR_12), delivery(1)
    )


def test_only_the_complaints_office_queues_once_a_result_exists(auxiliary: Auxiliary) -> None:
    open_complaint = handled(receive(auxiliary), upto="assigned")
    refused(
        open_complaint,
        InvalidTransitionError,
        open_complaint.queue_notification,
        rec(COMPLAINTS, MAR_12),
        QUEUE,
    )
    notified = handled(receive(auxiliary), upto="notified")
    refused(notified, NotAuthorisedError, notified.queue_notification, rec(WORKER, MAR_12), QUEUE)
    bad = QueueNotification(message_id=MESSAGE, channel="pigeon", text="x")
    refused(notified, InvalidFieldError, notified.queue_notification, rec(COMPLAINTS, MAR_12), bad)
    notified.queue_notification(rec(COMPLAINTS, MAR_12 + timedelta(days=1)), QUEUE)
    refused(
        notified, DuplicateRecordError, notified.queue_notification, rec(COMPLAINTS, MAR_12), QUEUE
    )


def test_a_channel_needs_the_contact_it_uses(auxiliary: Auxiliary) -> None:
    no_phone = handled(receive(auxiliary, complainant_phone=None), upto="notified")
    error = refused(
        no_phone,
        NoContactForChannelError,
        no_phone.queue_notification,
        rec(COMPLAINTS, MAR_12),
        QUEUE,
    )
    assert "telephone" in str(error)
    letter = QueueNotification(message_id=MESSAGE, channel="letter", text="书面告知")
    no_phone.queue_notification(rec(COMPLAINTS, MAR_12), letter)
    no_address = handled(receive(auxiliary, complainant_address=None), upto="notified")
    refused(
        no_address,
        NoContactForChannelError,
        no_address.queue_notification,
        rec(COMPLAINTS, MAR_12),
        letter,
    )
