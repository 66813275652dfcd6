"""Complaints from every channel (Art. 17): the office's intake, unnamed subjects, matching."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from domain.auxiliary import Auxiliary
from domain.commands import complaint as commands
from domain.complaint import Complaint
from domain.errors import (
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NoResponsibilityError,
    NotAuthorisedError,
    OutsideScopeError,
    SubjectAlreadyNamedError,
    SubjectNotMatchedError,
)
from domain.organ import Organ
from domain.values import Actor, ComplaintChannel, ComplaintStatus, Responsibility

from .refusals import Refusal, refusals
from .support import (
    AUX_ID,
    COMPLAINANT_ID,
    COMPLAINT_ID,
    COMPLAINTS,
    DAY,
    ORGAN_CODE,
    OTHER_COMPLAINTS,
    OTHER_ORGAN,
    PERSONNEL,
    PUBLIC,
    UNIT_A,
    cst,
    move_to_unit_b,
    rec,
    refused,
    refused_creation,
    replay,
)

INCIDENT_AT = cst(date(2024, 2, 25), hour=21, minute=30)
MAR_2 = date(2024, 3, 2)


def taking(
    auxiliary: Auxiliary | None,
    /,
    *,
    actor: Any = COMPLAINTS,
    effective: date = DAY,
    **overrides: Any,
) -> Callable[[], Complaint]:
    """A valid office intake by telephone (12389) with overrides, to run."""
    fields: dict[str, Any] = {
        "channel": "hotline_12389",
        "outside_reference": "12389-20240301-0042",
        "incident_at": INCIDENT_AT,
        "incident_place": "测试市测试广场",
        "allegations": ["态度粗暴"],
        "complainant_name": "测试投诉人",
        "complainant_phone": "19900000003",
        **({} if auxiliary is not None else {"subject_description": "身穿辅警制服的高个男子"}),
        **overrides,
    }
    return lambda: Complaint.take(
        rec(actor, effective),
        commands.TakeComplaint(auxiliary_id=None if auxiliary is None else auxiliary.id, **fields),
        id=COMPLAINT_ID,
        auxiliary=auxiliary,
        complainant_id=COMPLAINANT_ID,
    )


def take(auxiliary: Auxiliary | None, /, **overrides: Any) -> Complaint:
    complaint = taking(auxiliary, **overrides)()
    complaint.collect_events()
    return complaint


MATCH = commands.MatchSubject(auxiliary_id=AUX_ID)
"""Name the fixture's auxiliary as the subject of an unnamed complaint."""


def match(complaint: Complaint, auxiliary: Auxiliary, actor: Actor = COMPLAINTS) -> None:
    """``actor`` names ``auxiliary`` as the subject, on 2 March, as the service runs it."""
    MATCH.run(complaint, rec(actor, MAR_2), auxiliary)


def test_a_named_intake_records_the_channel_and_attributes_as_the_public_intake_does(
    auxiliary: Auxiliary,
) -> None:
    complaint = take(auxiliary)
    assert complaint.channel is ComplaintChannel.hotline_12389
    assert complaint.outside_reference == "12389-20240301-0042"
    assert complaint.referring_organ is None
    assert complaint.matched and complaint.auxiliary_id == auxiliary.id
    assert complaint.responsibility == Responsibility(ORGAN_CODE, UNIT_A, "PO-1001", "测试警官甲")
    assert complaint.organ == ORGAN_CODE and complaint.unit == UNIT_A
    assert complaint.status is ComplaintStatus.received and complaint.received_on == DAY
    assert complaint.tracking_hash is None


def test_an_unnamed_intake_answers_to_the_taking_office_until_matched() -> None:
    complaint = take(None, actor=OTHER_COMPLAINTS)
    assert not complaint.matched and complaint.auxiliary_id is None
    assert complaint.responsibility is None and complaint.unit is None
    assert complaint.organ == OTHER_ORGAN
    assert complaint.subject_description == "身穿辅警制服的高个男子"
    # Handling goes on meanwhile, by the office that holds it; deadlines run from receipt.
    complaint.acknowledge(rec(OTHER_COMPLAINTS, MAR_2), commands.Acknowledge())
    refused(
        complaint,
        OutsideScopeError,
        complaint.decline,
        rec(COMPLAINTS, MAR_2),
        commands.Decline(reason="x"),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"channel": "hotline_12389", "outside_reference": None}, "outside_reference"),
        ({"channel": "hotline_110", "outside_reference": None}, "outside_reference"),
        ({"channel": "letters_visits", "outside_reference": None}, "outside_reference"),
        ({"channel": "walk_in"}, "outside_reference"),
        ({"channel": "referral", "outside_reference": None}, "referring_organ"),
        ({"referring_organ": "测试市信访局"}, "referring_organ"),
        ({"outside_reference": "12389 0042"}, "outside_reference"),
        ({"subject_description": "多余的描述"}, "subject_description"),
    ],
)
def test_channel_fields_are_checked_per_channel(
    auxiliary: Auxiliary, overrides: dict[str, Any], field: str
) -> None:
    error = refused_creation(InvalidFieldError, taking(auxiliary, **overrides))
    assert error.field == field


def test_an_unnamed_intake_needs_a_description_of_the_subject() -> None:
    error = refused_creation(InvalidFieldError, taking(None, subject_description=None))
    assert error.field == "subject_description"


@pytest.mark.parametrize(
    ("channel", "reference", "referrer"),
    [
        ("online", None, None),
        ("online", "WEB-7", None),
        ("walk_in", None, None),
        ("hotline_110", "110-20240301-9", None),
        ("letters_visits", "通信〔2024〕15号", None),
        ("referral", None, "测试市纪委监委"),
        ("referral", "转-2024-3", "测试市纪委监委"),
    ],
)
def test_every_channel_is_taken(
    auxiliary: Auxiliary, channel: str, reference: str | None, referrer: str | None
) -> None:
    complaint = take(
        auxiliary, channel=channel, outside_reference=reference, referring_organ=referrer
    )
    assert (complaint.channel.value, complaint.outside_reference, complaint.referring_organ) == (
        channel,
        reference,
        referrer,
    )


def test_only_the_complaints_office_takes_a_complaint(auxiliary: Auxiliary) -> None:
    refused_creation(NotAuthorisedError, taking(auxiliary, actor=PUBLIC))
    refused_creation(NotAuthorisedError, taking(auxiliary, actor=PERSONNEL))


def test_a_named_intake_outside_employment_is_refused(auxiliary: Auxiliary) -> None:
    refused_creation(NoResponsibilityError, taking(auxiliary, incident_at=cst(date(2023, 12, 30))))


def test_matching_attributes_at_the_incident_date(auxiliary: Auxiliary, organ: Organ) -> None:
    # Transferred after the incident: the unit of the incident date answers, as at intake.
    move_to_unit_b(auxiliary, organ, date(2024, 2, 27))
    complaint = take(None)
    complaint.acknowledge(rec(COMPLAINTS, MAR_2), commands.Acknowledge())
    match(complaint, auxiliary)
    assert complaint.matched and complaint.auxiliary_id == auxiliary.id
    assert complaint.responsibility == Responsibility(ORGAN_CODE, UNIT_A, "PO-1001", "测试警官甲")
    assert complaint.status is ComplaintStatus.acknowledged
    events = complaint.collect_events()
    assert isinstance(events[-1], Complaint.SubjectMatched)


def test_matching_by_another_organs_office_moves_the_complaint(auxiliary: Auxiliary) -> None:
    complaint = take(None, actor=OTHER_COMPLAINTS)
    match(complaint, auxiliary, OTHER_COMPLAINTS)
    assert complaint.organ == ORGAN_CODE and complaint.unit == UNIT_A
    # From now on the auxiliary's organ handles it.
    complaint.acknowledge(rec(COMPLAINTS, MAR_2), commands.Acknowledge())
    refused(
        complaint,
        OutsideScopeError,
        complaint.withdraw,
        rec(OTHER_COMPLAINTS, MAR_2),
        commands.Withdraw(reason="撤回"),
    )


def test_a_complaint_that_names_its_auxiliary_is_not_matched(auxiliary: Auxiliary) -> None:
    named = take(auxiliary)
    refused(named, SubjectAlreadyNamedError, match, named, auxiliary)
    unnamed = take(None)
    match(unnamed, auxiliary)
    unnamed.collect_events()
    refused(unnamed, SubjectAlreadyNamedError, match, unnamed, auxiliary)


def _withdrawn(complaint: Complaint) -> None:
    complaint.withdraw(rec(COMPLAINTS, MAR_2), commands.Withdraw(reason="撤回"))


@refusals(
    only_the_complaints_office_matches=Refusal(
        PERSONNEL, MATCH, NotAuthorisedError, effective=MAR_2
    ),
    another_organs_office_does_not_match_ours=Refusal(
        OTHER_COMPLAINTS, MATCH, OutsideScopeError, effective=MAR_2
    ),
    matching_does_not_precede_the_receipt=Refusal(
        COMPLAINTS, MATCH, InvalidDateRangeError, effective=date(2024, 2, 29)
    ),
    a_withdrawn_complaint_is_not_matched=Refusal(
        COMPLAINTS, MATCH, InvalidTransitionError, effective=MAR_2, given=_withdrawn
    ),
)
def test_matching_refusals(auxiliary: Auxiliary, refusal: Refusal) -> None:
    refusal.check(take(None), auxiliary)


def test_matching_outside_employment_is_refused(auxiliary: Auxiliary) -> None:
    complaint = take(None, incident_at=cst(date(2023, 12, 30)))
    refused(complaint, NoResponsibilityError, match, complaint, auxiliary)


def test_a_finding_needs_a_named_auxiliary(auxiliary: Auxiliary) -> None:
    complaint = take(None)
    complaint.acknowledge(rec(COMPLAINTS, MAR_2), commands.Acknowledge())
    complaint.accept(rec(COMPLAINTS, MAR_2), commands.Accept(category="执勤态度"))
    finding = commands.RecordFinding(allegation_number=1, result="sustained", reasoning="属实")
    refused(
        complaint, SubjectNotMatchedError, complaint.record_finding, rec(COMPLAINTS, MAR_2), finding
    )
    match(complaint, auxiliary)
    complaint.record_finding(rec(COMPLAINTS, MAR_2), finding)
    assert complaint.status is ComplaintStatus.concluded


def test_an_intake_and_its_matching_replay_to_the_same_state(auxiliary: Auxiliary) -> None:
    complaint = taking(
        None, channel="referral", outside_reference=None, referring_organ="测试市纪委监委"
    )()
    match(complaint, auxiliary)
    events = complaint.collect_events()
    rebuilt = replay(events)
    for name in (
        "channel",
        "outside_reference",
        "referring_organ",
        "subject_description",
        "auxiliary_id",
        "responsibility",
        "taken_in",
        "organ",
        "unit",
    ):
        assert getattr(rebuilt, name) == getattr(complaint, name), name
    # A receipt recorded before channels existed has no such fields: they read as None.
    received = events[0]
    state = {k: v for k, v in vars(received).items() if k not in ("outside_reference",)}
    old = object.__new__(type(received))
    object.__setattr__(old, "__dict__", state)
    assert old.outside_reference is None


def test_an_office_intake_keeps_the_hash_of_the_tracking_code_it_gave() -> None:
    complaint = take(None, tracking_hash="c4" * 32)
    assert complaint.tracking_hash == "c4" * 32
    rebuilt = replay([*taking(None, tracking_hash="c4" * 32)().collect_events()])
    assert rebuilt.tracking_hash == "c4" * 32


def test_an_office_intake_refuses_a_tracking_hash_that_is_no_token() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        taking(None, tracking_hash="has space")()
    assert refused.value.field == "tracking_hash"
