"""Review (复查) of a complaint's notified result: who may ask, until when, who decides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.auxiliary import Auxiliary
from domain.commands.complaint import DecideReview, RequestReview
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

from .support import (
    COMPLAINANT_ID,
    COMPLAINTS,
    DISCIPLINE,
    ORGAN_CODE,
    OTHER_ORGAN,
    PUBLIC,
    rec,
    refused,
)
from .test_complaint import MAR_12, handled, receive

INSPECTOR = Actor("insp-01", "inspector", ORGAN_CODE, None)
OTHER_INSPECTOR = Actor("insp-09", "inspector", OTHER_ORGAN, None)
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


def test_the_window_closes_thirty_days_after_notification(notified: Complaint) -> None:
    error = refused(
        notified,
        ReviewWindowClosedError,
        notified.request_review,
        rec(PUBLIC, MAR_12 + timedelta(days=31)),
        ASK,
    )
    assert "2024-04-11" in str(error)


def test_one_review_per_result(notified: Complaint) -> None:
    notified.request_review(rec(PUBLIC, MAR_12), ASK)
    notified.collect_events()
    refused(notified, DuplicateRecordError, notified.request_review, rec(PUBLIC, MAR_12), ASK)


def test_no_review_before_a_result_was_told(auxiliary: Auxiliary) -> None:
    concluded = handled(receive(auxiliary), upto="concluded")
    refused(concluded, InvalidTransitionError, concluded.request_review, rec(PUBLIC, MAR_12), ASK)


def test_only_the_public_or_the_office_of_the_organ_asks(notified: Complaint) -> None:
    refused(notified, NotAuthorisedError, notified.request_review, rec(INSPECTOR, MAR_12), ASK)
    other_public = Actor("public-intake", "public", OTHER_ORGAN, None)
    refused(notified, OutsideScopeError, notified.request_review, rec(other_public, MAR_12), ASK)
    blank = RequestReview(reasons="  ")
    refused(notified, InvalidFieldError, notified.request_review, rec(PUBLIC, MAR_12), blank)


def test_the_office_that_decided_may_not_review_itself(notified: Complaint) -> None:
    notified.request_review(rec(PUBLIC, MAR_12), ASK)
    notified.collect_events()
    refused(
        notified,
        ReviewerNotIndependentError,
        notified.decide_review,
        rec(COMPLAINTS, MAR_12),
        DECIDE,
    )
    refused(notified, NotAuthorisedError, notified.decide_review, rec(PUBLIC, MAR_12), DECIDE)
    refused(
        notified, OutsideScopeError, notified.decide_review, rec(OTHER_INSPECTOR, MAR_12), DECIDE
    )


def test_discipline_may_decide_and_change_the_result(notified: Complaint) -> None:
    notified.request_review(rec(PUBLIC, MAR_12), ASK)
    notified.decide_review(
        rec(DISCIPLINE, MAR_12), DecideReview(outcome="changed", reasons="第2项应认定属实")
    )
    review = notified.review
    assert review is not None and review.outcome is ReviewOutcome.changed


def test_a_decision_needs_a_pending_review_and_follows_it(notified: Complaint) -> None:
    refused(
        notified, InvalidTransitionError, notified.decide_review, rec(INSPECTOR, MAR_12), DECIDE
    )
    notified.request_review(rec(PUBLIC, date(2024, 3, 20)), ASK)
    notified.collect_events()
    refused(
        notified,
        InvalidDateRangeError,
        notified.decide_review,
        rec(INSPECTOR, date(2024, 3, 19)),
        DECIDE,
    )
    bad = DecideReview(outcome="overturned", reasons="x")
    refused(
        notified, InvalidFieldError, notified.decide_review, rec(INSPECTOR, date(2024, 3, 20)), bad
    )
    notified.decide_review(rec(INSPECTOR, date(2024, 3, 20)), DECIDE)
    notified.collect_events()
    refused(
        notified, InvalidTransitionError, notified.decide_review, rec(INSPECTOR, MAR_12), DECIDE
    )
