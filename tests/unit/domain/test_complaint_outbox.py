"""Notifications to the complainant through the outbox: queued by the office, attempts
recorded by the delivery worker, at most one outcome per message."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
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

from .refusals import Refusal, refusals
from .support import COMPLAINTS, ORGAN_CODE, OTHER_ORGAN, cst, rec
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


def _queued(complaint: Complaint, day: date = MAR_12) -> None:
    complaint.queue_notification(rec(COMPLAINTS, day), QUEUE)
    complaint.collect_events()


def _delivered(complaint: Complaint) -> None:
    _queued(complaint)
    complaint.record_delivery_failure(rec(WORKER, MAR_12), failure(1))
    complaint.record_delivery(rec(WORKER, MAR_12), delivery(2))
    complaint.collect_events()


def _given_up(complaint: Complaint) -> None:
    _queued(complaint)
    complaint.record_delivery_failure(rec(WORKER, MAR_12), failure(1, retry=False))
    complaint.collect_events()


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
    names = [type(e).__name__ for e in notified.collect_events()]
    assert names == ["NotificationQueued", "NotificationFailed", "NotificationDelivered"]


def test_a_message_given_up_has_failed(notified: Complaint) -> None:
    _given_up(notified)
    message = notified.message(MESSAGE)
    assert message is not None
    assert message.status is MessageStatus.failed


@refusals(
    no_attempt_after_the_delivery=Refusal(
        WORKER, delivery(3), InvalidTransitionError, effective=MAR_12, given=_delivered
    ),
    no_failure_after_the_delivery=Refusal(
        WORKER, failure(3), InvalidTransitionError, effective=MAR_12, given=_delivered
    ),
    a_message_given_up_takes_no_more_attempts=Refusal(
        WORKER, delivery(2), InvalidTransitionError, effective=MAR_12, given=_given_up
    ),
    **{
        f"attempts_are_numbered_in_order-{attempt!r}": Refusal(
            WORKER, delivery(attempt), InvalidFieldError, effective=MAR_12, given=_queued
        )
        for attempt in (2, True)
    },
    an_attempt_is_of_a_known_message=Refusal(
        WORKER,
        RecordDelivery(message_id=UUID(int=9), attempt=1, adapter="log", outcome="sent"),
        InvalidFieldError,
        effective=MAR_12,
        given=_queued,
    ),
    a_retry_lies_after_the_attempt=Refusal(
        WORKER,
        RecordDeliveryFailure(
            message_id=MESSAGE, attempt=1, adapter="log", reason="busy", retry_at=cst(MAR_12, 9)
        ),
        InvalidDateRangeError,
        effective=MAR_12,
        given=_queued,
    ),
    only_the_worker_records_attempts=Refusal(
        COMPLAINTS, delivery(1), NotAuthorisedError, effective=MAR_12, given=_queued
    ),
    only_the_organs_worker_records_attempts=Refusal(
        Actor("outbox-worker", "system", OTHER_ORGAN, None),
        delivery(1),
        OutsideScopeError,
        effective=MAR_12,
        given=_queued,
    ),
    only_the_complaints_office_queues=Refusal(WORKER, QUEUE, NotAuthorisedError, effective=MAR_12),
    the_channel_is_checked=Refusal(
        COMPLAINTS,
        QueueNotification(message_id=MESSAGE, channel="pigeon", text="x"),
        InvalidFieldError,
        effective=MAR_12,
    ),
    a_message_is_queued_once=Refusal(
        COMPLAINTS,
        QUEUE,
        DuplicateRecordError,
        effective=MAR_12,
        given=partial(_queued, day=MAR_12 + timedelta(days=1)),
    ),
)
def test_outbox_refusals(notified: Complaint, refusal: Refusal) -> None:
    refusal.check(notified)


def test_a_message_is_queued_once_a_result_exists(auxiliary: Auxiliary) -> None:
    open_complaint = handled(receive(auxiliary), upto="assigned")
    Refusal(COMPLAINTS, QUEUE, InvalidTransitionError, effective=MAR_12).check(open_complaint)


def test_a_channel_needs_the_contact_it_uses(auxiliary: Auxiliary) -> None:
    no_phone = handled(receive(auxiliary, complainant_phone=None), upto="notified")
    Refusal(COMPLAINTS, QUEUE, NoContactForChannelError, says="telephone", effective=MAR_12).check(
        no_phone
    )
    letter = QueueNotification(message_id=MESSAGE, channel="letter", text="书面告知")
    no_phone.queue_notification(rec(COMPLAINTS, MAR_12), letter)
    no_address = handled(receive(auxiliary, complainant_address=None), upto="notified")
    Refusal(COMPLAINTS, letter, NoContactForChannelError, effective=MAR_12).check(no_address)
