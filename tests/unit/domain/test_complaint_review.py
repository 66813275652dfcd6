"""Review (复查) of a complaint's notified result: who may ask, until when, who decides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.auxiliary import Auxiliary
from domain.commands.complaint import DecideReview, Reopen, RequestReview
from domain.complaint import Complaint
from domain.errors import (
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NotAuthorisedError,
    OutsideScopeError,
    ReviewerNotIndependentError,
    ReviewWindowClosedError,
)
from domain.values import Actor, ComplaintStatus, ReviewOutcome

from .refusals import Refusal, refusals
from .support import (
    COMPLAINANT_ID,
    COMPLAINTS,
    DISCIPLINE,
    INSPECTOR,
    OTHER_INSPECTOR,
    OTHER_ORGAN,
    PUBLIC,
    rec,
)
from .test_complaint import MAR_12, handled, receive

ASK = RequestReview(reasons="对第2项结论不服，有新的目击者")
DECIDE = DecideReview(outcome="upheld", reasons="复查后维持原结论")


@pytest.fixture
def notified(auxiliary: Auxiliary) -> Complaint:
    return handled(receive(auxiliary), upto="notified")


def test_the_complainant_asks_and_the_inspectorate_decides(notified: Complaint) -> None:
    notified.request_review(rec(PUBLIC, MAR_12 + timedelta(days=3)), ASK)
    review = notified.review
    assert review is not None
    assert review.requested_on == date(2024, 3, 15)
    assert review.due == date(2024, 4, 14)  # 30 days (ReviewPolicy)
    assert review.requested_by_role == "public"
    assert review.outcome is None
    notified.decide_review(rec(INSPECTOR, date(2024, 4, 1)), DECIDE)
    review = notified.review
    assert review is not None
    assert review.outcome is ReviewOutcome.upheld
    assert review.decided_on == date(2024, 4, 1)
    assert review.decided_by_role == "inspector"
    assert notified.status is ComplaintStatus.complainant_notified
    events = notified.collect_events()
    assert [type(e).__name__ for e in events] == ["ReviewRequested", "ReviewDecided"]
    assert events[0].due == date(2024, 4, 14)


def test_a_closed_complaint_is_not_reopened_while_its_review_is_pending(
    auxiliary: Auxiliary,
) -> None:
    """A new round would leave the review with no result to decide on, pending for ever: it
    is decided first, then the office may reopen."""
    closed = handled(receive(auxiliary), upto="closed")
    closed.request_review(rec(COMPLAINTS, MAR_12 + timedelta(days=30)), ASK)
    closed.collect_events()
    reopen = Reopen(reason="投诉人提供新证据")
    with pytest.raises(InvalidTransitionError) as refused:
        closed.reopen(rec(COMPLAINTS, date(2024, 4, 12)), reopen)
    assert refused.value.zh is not None and "复查尚未作出决定" in refused.value.zh
    assert closed.collect_events() == [] and closed.status is ComplaintStatus.closed
    closed.decide_review(rec(INSPECTOR, date(2024, 4, 13)), DECIDE)  # still decidable
    closed.reopen(rec(COMPLAINTS, date(2024, 4, 14)), reopen)
    assert closed.status is not ComplaintStatus.closed and closed.round == 2


def test_the_request_reasons_are_personal_to_the_complainant(notified: Complaint) -> None:
    assert Complaint.ReviewRequested.personal_fields == ("reasons",)
    assert Complaint.ReviewRequested.personal_subject == "complainant_id"
    notified.request_review(rec(COMPLAINTS, MAR_12), ASK)
    (event,) = notified.collect_events()
    assert event.complainant_id == COMPLAINANT_ID


def test_the_office_may_ask_on_the_complainants_behalf_after_closure(
    auxiliary: Auxiliary,
) -> None:
    closed = handled(receive(auxiliary), upto="closed")
    closed.request_review(rec(COMPLAINTS, MAR_12 + timedelta(days=30)), ASK)
    assert closed.review is not None


def _asked(complaint: Complaint, day: date = MAR_12) -> None:
    complaint.request_review(rec(PUBLIC, day), ASK)
    complaint.collect_events()


def _asked_on_the_20th(complaint: Complaint) -> None:
    _asked(complaint, date(2024, 3, 20))


def _decided(complaint: Complaint) -> None:
    _asked_on_the_20th(complaint)
    complaint.decide_review(rec(INSPECTOR, date(2024, 3, 20)), DECIDE)
    complaint.collect_events()


@refusals(
    the_window_closes_thirty_days_after_notification=Refusal(
        PUBLIC,
        ASK,
        ReviewWindowClosedError,
        says="2024-04-11",
        effective=MAR_12 + timedelta(days=31),
    ),
    one_review_per_result=Refusal(
        PUBLIC, ASK, DuplicateRecordError, effective=MAR_12, given=_asked
    ),
    an_inspector_does_not_ask=Refusal(INSPECTOR, ASK, NotAuthorisedError, effective=MAR_12),
    only_the_public_of_the_organ_asks=Refusal(
        Actor("public-intake", "public", OTHER_ORGAN, None),
        ASK,
        OutsideScopeError,
        effective=MAR_12,
    ),
    a_request_gives_reasons=Refusal(
        PUBLIC, RequestReview(reasons="  "), InvalidFieldError, effective=MAR_12
    ),
    the_office_that_decided_may_not_review_itself=Refusal(
        COMPLAINTS, DECIDE, ReviewerNotIndependentError, effective=MAR_12, given=_asked
    ),
    the_public_does_not_decide=Refusal(
        PUBLIC, DECIDE, NotAuthorisedError, effective=MAR_12, given=_asked
    ),
    another_organs_inspectorate_does_not_decide=Refusal(
        OTHER_INSPECTOR, DECIDE, OutsideScopeError, effective=MAR_12, given=_asked
    ),
    a_decision_needs_a_pending_review=Refusal(
        INSPECTOR, DECIDE, InvalidTransitionError, effective=MAR_12
    ),
    a_decision_follows_the_request=Refusal(
        INSPECTOR,
        DECIDE,
        InvalidDateRangeError,
        effective=date(2024, 3, 19),
        given=_asked_on_the_20th,
    ),
    the_outcome_is_a_closed_set=Refusal(
        INSPECTOR,
        DecideReview(outcome="overturned", reasons="x"),
        InvalidFieldError,
        effective=date(2024, 3, 20),
        given=_asked_on_the_20th,
    ),
    a_review_is_decided_once=Refusal(
        INSPECTOR, DECIDE, InvalidTransitionError, effective=MAR_12, given=_decided
    ),
)
def test_review_refusals(notified: Complaint, refusal: Refusal) -> None:
    refusal.check(notified)


def test_no_review_before_a_result_was_told(auxiliary: Auxiliary) -> None:
    concluded = handled(receive(auxiliary), upto="concluded")
    Refusal(PUBLIC, ASK, InvalidTransitionError, effective=MAR_12).check(concluded)


def test_discipline_may_decide_and_change_the_result(notified: Complaint) -> None:
    notified.request_review(rec(PUBLIC, MAR_12), ASK)
    notified.decide_review(
        rec(DISCIPLINE, MAR_12), DecideReview(outcome="changed", reasons="第2项应认定属实")
    )
    review = notified.review
    assert review is not None and review.outcome is ReviewOutcome.changed
