"""Complaints about auxiliaries (Art. 17): intake, attribution, handling, notification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

import pytest

from domain.auxiliary import Auxiliary
from domain.commands import complaint as commands
from domain.commands.auxiliary import Separate
from domain.complaint import Complaint, Finding
from domain.errors import (
    ComplainantNotNotifiedError,
    DateInFutureError,
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidResidentIdError,
    InvalidTransitionError,
    NaiveDatetimeError,
    NoResponsibilityError,
    NotAuthorisedError,
    OutsideScopeError,
    UnknownAllegationError,
)
from domain.organ import Organ
from domain.policy import Policy
from domain.values import (
    Actor,
    Allegation,
    ComplaintChannel,
    ComplaintStatus,
    FindingResult,
    Responsibility,
)

from .refusals import Refusal, refusals
from .support import (
    ANONYMOUS,
    COMPLAINANT_ID,
    COMPLAINT_ID,
    COMPLAINTS,
    DAY,
    ORGAN_CODE,
    OTHER_COMPLAINTS,
    PERSONNEL,
    PUBLIC,
    UNIT_A,
    UNIT_B,
    cst,
    move_to_unit_b,
    rec,
    refused,
    refused_creation,
    replay,
    synthetic_resident_id,
)

INCIDENT_AT = cst(date(2024, 2, 25), hour=21, minute=30)
MAR_2 = date(2024, 3, 2)
MAR_5 = date(2024, 3, 5)
MAR_10 = date(2024, 3, 10)
MAR_12 = date(2024, 3, 12)
MAR_20 = date(2024, 3, 20)
COMPLAINANT_RID = synthetic_resident_id(born=date(1980, 7, 1), sequence=456)


def receiving(
    auxiliary: Auxiliary,
    /,
    *,
    actor: Actor = PUBLIC,
    effective: date = DAY,
    at: datetime | None = None,
    id: Any = COMPLAINT_ID,
    complainant_id: Any = COMPLAINANT_ID,
    **overrides: Any,
) -> Callable[[], Complaint]:
    """A valid receipt with overrides, to run (the attribution is checked when it runs)."""
    fields: dict[str, Any] = {
        "channel": "online",
        "incident_at": INCIDENT_AT,
        "incident_place": "测试市测试广场",
        "allegations": ["态度粗暴", "未出示工作证件"],
        "complainant_name": "测试投诉人",
        "complainant_phone": "13700000003",
        "complainant_resident_id": COMPLAINANT_RID,
        "complainant_address": "测试市测试小区3号",
        "contact_text": "工作日晚上联系",
        "tracking_hash": "b3" * 32,
        **overrides,
    }
    return lambda: Complaint.receive(
        rec(actor, effective, at),
        commands.ReceiveComplaint(auxiliary_id=auxiliary.id, **fields),
        id=id,
        auxiliary=auxiliary,
        complainant_id=complainant_id,
    )


def receive(auxiliary: Auxiliary, /, **overrides: Any) -> Complaint:
    complaint = receiving(auxiliary, **overrides)()
    complaint.collect_events()
    return complaint


HAPPY_PATH: list[tuple[str, date, commands.ComplaintCommand]] = [
    ("acknowledged", MAR_2, commands.Acknowledge()),
    ("accepted", MAR_2, commands.Accept(category="执法态度")),
    ("assigned", MAR_2, commands.Assign(investigator_id="INV-7", due=date(2024, 4, 1))),
    (
        "found_1",
        MAR_5,
        commands.RecordFinding(
            allegation_number=1, result="sustained", reasoning="执法记录仪显示言语不当"
        ),
    ),
    (
        "concluded",
        MAR_10,
        commands.RecordFinding(allegation_number=2, result="unfounded", reasoning="无证据"),
    ),
    (
        "notified",
        MAR_12,
        commands.NotifyComplainant(
            method="sms", notified_on=MAR_12, summary="第1项属实，已处理；第2项查无实据"
        ),
    ),
    ("closed", MAR_12, commands.Close()),
]
"""The steps of a complaint handled to its end: each step's name, day and command."""


def by_office(complaint: Complaint, day: date, /, *actions: commands.ComplaintCommand) -> None:
    """The complaints office runs each of ``actions`` on ``complaint``, recorded on ``day``."""
    for command in actions:
        command.run(complaint, rec(COMPLAINTS, day))


def handled(complaint: Complaint, *, upto: str) -> Complaint:
    """Move a received complaint along the happy path up to a step."""
    for name, day, command in HAPPY_PATH:
        by_office(complaint, day, command)
        if name == upto:
            break
    complaint.collect_events()
    return complaint


@pytest.fixture
def complaint(auxiliary: Auxiliary) -> Complaint:
    return receive(auxiliary)


# ------------------------------------------------------------------------------ intake


def test_receive_attributes_the_complaint(auxiliary: Auxiliary) -> None:
    complaint = receiving(auxiliary)()
    assert complaint.id == COMPLAINT_ID
    assert complaint.status is ComplaintStatus.received
    assert complaint.channel is ComplaintChannel.online
    assert complaint.auxiliary_id == auxiliary.id
    assert complaint.responsibility == Responsibility(ORGAN_CODE, UNIT_A, "PO-1001", "测试警官甲")
    assert complaint.organ == ORGAN_CODE
    assert complaint.allegations == (Allegation(1, "态度粗暴"), Allegation(2, "未出示工作证件"))
    assert complaint.received_at == cst(DAY)
    assert complaint.received_on == DAY
    assert complaint.complainant_resident_id == COMPLAINANT_RID
    [event] = complaint.pending_events
    assert isinstance(event, Complaint.Received)
    assert event.incident_at == INCIDENT_AT
    assert type(event.allegations) is list
    assert event.responsibility == complaint.responsibility


def test_complainant_data_is_marked_personal_to_the_complainant() -> None:
    assert Complaint.Received.personal_fields == (
        "complainant_name",
        "complainant_phone",
        "complainant_resident_id",
        "complainant_address",
        "contact_text",
    )
    assert Complaint.Received.personal_subject == "complainant_id"


def test_an_anonymous_complaint_is_received(auxiliary: Auxiliary) -> None:
    complaint = receive(
        auxiliary, **ANONYMOUS, tracking_hash=None, actor=COMPLAINTS, channel="hotline_12389"
    )
    assert complaint.complainant_name is None
    assert complaint.channel is ComplaintChannel.hotline_12389


def test_attribution_follows_the_incident_date(auxiliary: Auxiliary, organ: Organ) -> None:
    move_to_unit_b(auxiliary, organ, date(2024, 2, 26))
    before = receive(auxiliary)
    after = receive(auxiliary, incident_at=cst(date(2024, 2, 27)))
    assert before.responsibility.unit == UNIT_A
    assert after.responsibility == Responsibility(ORGAN_CODE, UNIT_B, "PO-2002", "测试警官乙")


def test_the_incident_date_is_taken_in_china_standard_time(auxiliary: Auxiliary) -> None:
    # 2 January 00:30 in China is still 1 January in UTC; the hire took effect on 2 January.
    complaint = receive(auxiliary, incident_at=cst(date(2024, 1, 2), hour=0, minute=30))
    assert complaint.responsibility.unit == UNIT_A
    refused_creation(
        NoResponsibilityError,
        receiving(auxiliary, incident_at=cst(date(2024, 1, 1), hour=23, minute=59)),
    )


def test_a_separated_auxiliary_answers_for_incidents_before_the_separation(
    auxiliary: Auxiliary,
) -> None:
    auxiliary.separate(rec(PERSONNEL, date(2024, 2, 26)), Separate(reason="resigned"))
    assert receive(auxiliary).responsibility.unit == UNIT_A
    error = refused_creation(
        NoResponsibilityError,
        receiving(auxiliary, incident_at=cst(date(2024, 2, 26), hour=9)),
    )
    assert "Art. 17" in str(error)


def test_an_incident_cannot_follow_its_report(auxiliary: Auxiliary) -> None:
    refused_creation(
        DateInFutureError,
        receiving(auxiliary, incident_at=cst(DAY, hour=11)),
    )
    refused_creation(
        NaiveDatetimeError,
        receiving(auxiliary, incident_at=datetime(2024, 2, 25, 21, 30)),
    )


def test_the_incident_is_on_or_before_the_receipt_date(auxiliary: Auxiliary) -> None:
    refused_creation(
        InvalidDateRangeError,
        receiving(
            auxiliary,
            incident_at=cst(DAY, hour=8),
            actor=PUBLIC,
            effective=date(2024, 2, 29),
            at=cst(DAY),
        ),
    )


@pytest.mark.parametrize(
    "allegations", [[], ["a"] * 21, ["态度粗暴", "  "], "态度粗暴", ["x" * 4001]]
)
def test_allegations_number_one_to_twenty(auxiliary: Auxiliary, allegations: object) -> None:
    error = refused_creation(InvalidFieldError, receiving(auxiliary, allegations=allegations))
    assert error.field.startswith("allegations")


def test_twenty_allegations_are_accepted(auxiliary: Auxiliary) -> None:
    complaint = receive(auxiliary, allegations=[f"事项{n}" for n in range(1, 21)])
    assert [a.number for a in complaint.allegations] == list(range(1, 21))


def test_only_the_public_intake_or_complaints_office_receives(auxiliary: Auxiliary) -> None:
    error = refused_creation(NotAuthorisedError, receiving(auxiliary, actor=PERSONNEL))
    assert "Art. 17" in str(error)


def test_the_complainant_resident_id_is_validated_without_echo(auxiliary: Auxiliary) -> None:
    bad = COMPLAINANT_RID[:-1] + ("1" if COMPLAINANT_RID[-1] != "1" else "2")
    error = refused_creation(
        InvalidResidentIdError,
        receiving(auxiliary, complainant_resident_id=bad),
    )
    assert bad not in str(error)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "wechat"}, "channel"),
        ({"incident_place": ""}, "incident_place"),
        ({"complainant_phone": "no phone"}, "complainant_phone"),
        ({"complainant_name": "名" * 201}, "complainant_name"),
        ({"tracking_hash": "has space"}, "tracking_hash"),
        ({"complainant_id": str(COMPLAINANT_ID)}, "complainant_id"),
        ({"id": "c-1"}, "id"),
    ],
)
def test_receive_refuses_malformed_fields(
    auxiliary: Auxiliary, overrides: dict[str, Any], field: str
) -> None:
    error = refused_creation(InvalidFieldError, receiving(auxiliary, **overrides))
    assert error.field == field


# ------------------------------------------------------------------------------ lifecycle


def test_the_whole_lifecycle(complaint: Complaint) -> None:
    complaint.acknowledge(rec(COMPLAINTS, MAR_2), commands.Acknowledge())
    assert complaint.status is ComplaintStatus.acknowledged
    assert complaint.acknowledged_at == cst(MAR_2)
    complaint.accept(rec(COMPLAINTS, MAR_2), commands.Accept(category="执法态度"))
    assert (complaint.status, complaint.category) == (ComplaintStatus.accepted, "执法态度")
    complaint.assign(
        rec(COMPLAINTS, MAR_2), commands.Assign(investigator_id="INV-7", due=date(2024, 4, 1))
    )
    assert complaint.status is ComplaintStatus.under_investigation
    assert (complaint.investigator_id, complaint.due) == ("INV-7", date(2024, 4, 1))
    complaint.record_finding(
        rec(COMPLAINTS, MAR_5),
        commands.RecordFinding(allegation_number=1, result="sustained", reasoning="属实"),
    )
    assert complaint.status is ComplaintStatus.under_investigation
    assert complaint.concluded_at is None
    complaint.record_finding(
        rec(COMPLAINTS, MAR_10),
        commands.RecordFinding(allegation_number=2, result="unfounded", reasoning="无据"),
    )
    assert complaint.status is ComplaintStatus.concluded
    assert (complaint.concluded_at, complaint.concluded_on) == (cst(MAR_10), MAR_10)
    assert {n: f.result for n, f in complaint.findings.items()} == {
        1: FindingResult.sustained,
        2: FindingResult.unfounded,
    }
    complaint.notify_complainant(
        rec(COMPLAINTS, MAR_12),
        commands.NotifyComplainant(method="letter", notified_on=MAR_12, summary="结果如下"),
    )
    assert complaint.status is ComplaintStatus.complainant_notified
    assert complaint.complainant_notified and complaint.notified_on == MAR_12
    complaint.close(rec(COMPLAINTS, MAR_12), commands.Close())
    assert complaint.status is ComplaintStatus.closed
    assert complaint.closed_at == cst(MAR_12)
    events = complaint.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Acknowledged",
        "Accepted",
        "InvestigatorAssigned",
        "FindingRecorded",
        "FindingRecorded",
        "ComplainantNotified",
        "Closed",
    ]


def upto(step: str) -> Callable[[Complaint], Complaint]:
    """A ``given`` step: the complaint moved along the happy path up to ``step``."""
    return partial(handled, upto=step)


def finding(result: str = "sustained", number: object = 1) -> commands.RecordFinding:
    return commands.RecordFinding(allegation_number=number, result=result, reasoning="r")  # type: ignore[arg-type]


def notice(
    notified_on: date, method: str = "sms", summary: str = "s"
) -> commands.NotifyComplainant:
    return commands.NotifyComplainant(method=method, notified_on=notified_on, summary=summary)


by_the_office = partial(Refusal, COMPLAINTS)
"""A refusal of a command the complaints office runs."""


@refusals(
    close_before_the_complainant_is_told=by_the_office(
        commands.Close(),
        ComplainantNotNotifiedError,
        says="Art. 17",
        has={"code": "complainant_not_notified"},
        given=upto("concluded"),
    ),
    a_received_complaint_cannot_close=by_the_office(commands.Close(), ComplainantNotNotifiedError),
    **{
        f"an_open_complaint_cannot_close-{step}": by_the_office(
            commands.Close(), ComplainantNotNotifiedError, given=upto(step)
        )
        for step in ("acknowledged", "accepted", "assigned", "found_1")
    },
    a_closed_complaint_cannot_close_again=by_the_office(
        commands.Close(),
        InvalidTransitionError,
        has={"from_status": "closed", "command": "close"},
        given=upto("closed"),
    ),
    accept_needs_acknowledgement_first=by_the_office(
        commands.Accept(category="c"),
        InvalidTransitionError,
        has={"from_status": "received", "command": "accept"},
    ),
    acknowledge_once=by_the_office(
        commands.Acknowledge(), InvalidTransitionError, given=upto("acknowledged")
    ),
    notification_waits_for_a_result=by_the_office(
        notice(MAR_10), InvalidTransitionError, effective=MAR_10, given=upto("found_1")
    ),
    the_notification_date_is_not_in_the_future=by_the_office(
        notice(date(2024, 3, 11)), DateInFutureError, effective=MAR_10, given=upto("concluded")
    ),
    the_notification_date_is_not_before_the_result=by_the_office(
        notice(MAR_5), InvalidDateRangeError, effective=MAR_12, given=upto("concluded")
    ),
    findings_need_an_accepted_complaint=by_the_office(
        finding(), InvalidTransitionError, given=upto("acknowledged")
    ),
    **{
        f"a_finding_names_a_known_allegation-{number!r}": by_the_office(
            finding(number=number), UnknownAllegationError, effective=MAR_5, given=upto("accepted")
        )
        for number in (0, 3, True, "1")
    },
    each_allegation_gets_one_finding=by_the_office(
        finding("not_sustained"), DuplicateRecordError, effective=MAR_5, given=upto("found_1")
    ),
    no_finding_after_conclusion=by_the_office(
        finding("not_sustained"), InvalidTransitionError, effective=MAR_10, given=upto("concluded")
    ),
    finding_result_is_a_closed_set=by_the_office(
        finding("maybe"), InvalidFieldError, field="result", effective=MAR_5, given=upto("accepted")
    ),
    a_due_date_is_not_in_the_past=by_the_office(
        commands.Assign(investigator_id="INV-7", due=date(2024, 3, 1)),
        InvalidDateRangeError,
        effective=MAR_2,
        given=upto("accepted"),
    ),
    withdrawal_comes_before_notification=by_the_office(
        commands.Withdraw(reason="r"), InvalidTransitionError, given=upto("notified")
    ),
    a_concluded_complaint_is_told_not_withdrawn=by_the_office(
        commands.Withdraw(reason="r"),
        ComplainantNotNotifiedError,
        says="Art. 17",
        has={"code": "complainant_not_notified"},
        effective=MAR_10,
        given=upto("concluded"),
    ),
    a_declined_complaint_is_told_not_withdrawn=by_the_office(
        commands.Withdraw(reason="r"),
        ComplainantNotNotifiedError,
        says="Art. 17",
        effective=MAR_2,
        given=lambda c: by_office(c, MAR_2, commands.Acknowledge(), commands.Decline(reason="r")),
    ),
    a_step_is_not_dated_before_the_last_step=by_the_office(
        finding(number=2),
        InvalidDateRangeError,
        says="last handling step, on 2024-03-05",
        effective=MAR_2,
        given=upto("found_1"),
    ),
    acceptance_is_not_dated_before_the_acknowledgement=by_the_office(
        commands.Accept(category="c"),
        InvalidDateRangeError,
        effective=MAR_2,
        given=lambda c: by_office(c, MAR_5, commands.Acknowledge()),
    ),
    a_notification_is_not_dated_before_the_day_told=by_the_office(
        notice(MAR_12),
        InvalidDateRangeError,
        says="notified_on",
        effective=MAR_10,
        at=cst(MAR_12),
        given=upto("concluded"),
    ),
    a_close_is_not_dated_before_the_notification=by_the_office(
        commands.Close(), InvalidDateRangeError, effective=MAR_10, given=upto("notified")
    ),
    a_close_is_not_dated_before_the_withdrawal=by_the_office(
        commands.Close(),
        InvalidDateRangeError,
        effective=MAR_2,
        given=lambda c: (
            handled(c, upto="assigned"),
            by_office(c, MAR_5, commands.Withdraw(reason="r")),
        ),
    ),
    a_new_round_is_not_dated_before_the_reopening=by_the_office(
        finding(number=1),
        InvalidDateRangeError,
        says="2024-03-20",
        effective=MAR_12,
        given=lambda c: (
            handled(c, upto="closed"),
            by_office(c, MAR_20, commands.Reopen(reason="r")),
        ),
    ),
    only_a_closed_complaint_reopens=by_the_office(
        commands.Reopen(reason="r"), InvalidTransitionError, given=upto("notified")
    ),
    handling_is_for_the_responsible_organ=Refusal(
        OTHER_COMPLAINTS, commands.Acknowledge(), OutsideScopeError
    ),
    handling_is_not_for_the_public_intake=Refusal(
        PUBLIC,
        commands.Acknowledge(),
        NotAuthorisedError,
        message="only the complaints office may handle a complaint (Art. 17)",
    ),
    handling_is_for_the_complaints_office=Refusal(
        PERSONNEL, commands.Acknowledge(), NotAuthorisedError
    ),
    handling_may_not_precede_the_receipt=by_the_office(
        commands.Acknowledge(), InvalidDateRangeError, effective=date(2024, 2, 29), at=cst(MAR_2)
    ),
)
def test_handling_refusals(complaint: Complaint, refusal: Refusal) -> None:
    refusal.check(complaint)


def test_decline_then_notify_then_close(complaint: Complaint) -> None:
    by_office(
        complaint, MAR_2, commands.Acknowledge(), commands.Decline(reason="不属于辅警履职行为")
    )
    assert complaint.status is ComplaintStatus.not_accepted
    assert complaint.decline_reason == "不属于辅警履职行为"
    refused(complaint, ComplainantNotNotifiedError, by_office, complaint, MAR_2, commands.Close())
    by_office(complaint, MAR_5, notice(MAR_5, "phone", "不予受理"), commands.Close())
    assert complaint.status is ComplaintStatus.closed


def test_steps_on_the_same_day_and_later_are_in_order(complaint: Complaint) -> None:
    handled(complaint, upto="notified")
    by_office(complaint, MAR_12, notice(MAR_12, "letter", "书面告知"))
    by_office(complaint, MAR_20, commands.Close())
    assert complaint.last_step_on == MAR_20
    by_office(complaint, MAR_20, commands.Reopen(reason="r"), finding(number=1))
    assert (complaint.round, complaint.last_step_on) == (2, MAR_20)


def test_out_of_order_steps_already_recorded_replay_unchanged(auxiliary: Auxiliary) -> None:
    """Events recorded before the order was checked (here triggered without their commands)
    replay as they were; only the next command is held to the latest date and notified_on."""
    complaint = receiving(auxiliary)()
    for _, day, command in HAPPY_PATH[:5]:
        by_office(complaint, day, command)
    for day in (MAR_10, MAR_5):  # recorded before the day told, then before the last step
        complaint.trigger_event(
            Complaint.ComplainantNotified,
            **rec(COMPLAINTS, day).fields(),
            method="sms",
            notified_on=MAR_12,
            summary="s",
        )
    rebuilt = replay(list(complaint.collect_events()))
    assert rebuilt == complaint
    assert (rebuilt.last_step_on, rebuilt.notified_on) == (MAR_10, MAR_12)
    refused(rebuilt, InvalidDateRangeError, by_office, rebuilt, date(2024, 3, 11), commands.Close())
    by_office(rebuilt, MAR_12, commands.Close())
    assert rebuilt.status is ComplaintStatus.closed


def test_further_notifications_are_recorded(complaint: Complaint) -> None:
    handled(complaint, upto="notified")
    by_office(complaint, MAR_12, notice(MAR_12, "letter", "书面告知"))
    assert [n.method.value for n in complaint.notifications] == ["sms", "letter"]


def test_assign_allows_a_future_due_date_and_a_reassignment(complaint: Complaint) -> None:
    handled(complaint, upto="accepted")
    by_office(complaint, MAR_2, commands.Assign(investigator_id="INV-7", due=date(2024, 12, 31)))
    by_office(complaint, MAR_5, commands.Assign(investigator_id="INV-8", due=date(2024, 12, 31)))
    assert complaint.investigator_id == "INV-8"


def test_withdraw_then_close(complaint: Complaint) -> None:
    handled(complaint, upto="assigned")
    by_office(complaint, MAR_5, commands.Withdraw(reason="投诉人已谅解"))
    assert complaint.status is ComplaintStatus.withdrawn
    by_office(complaint, MAR_5, commands.Close())
    assert complaint.status is ComplaintStatus.closed


def test_reopen_starts_a_new_round(complaint: Complaint) -> None:
    handled(complaint, upto="closed")
    by_office(complaint, MAR_12, commands.Reopen(reason="投诉人提出新证据"))
    assert complaint.status is ComplaintStatus.under_investigation
    assert complaint.round == 2
    assert not complaint.complainant_notified
    assert complaint.concluded_at is None and complaint.closed_at is None
    # Findings stay on record and remain the latest until superseded.
    assert complaint.findings[1].result is FindingResult.sustained
    refused(complaint, ComplainantNotNotifiedError, by_office, complaint, MAR_12, commands.Close())

    by_office(
        complaint,
        MAR_12,
        commands.RecordFinding(allegation_number=2, result="sustained", reasoning="新证据"),
    )
    assert complaint.findings[2].result is FindingResult.sustained
    assert complaint.status is ComplaintStatus.under_investigation  # allegation 1 not redone
    by_office(
        complaint,
        MAR_12,
        commands.RecordFinding(allegation_number=1, result="sustained", reasoning="维持"),
    )
    assert complaint.status is ComplaintStatus.concluded
    assert [(f.allegation_number, f.round) for f in complaint.finding_history] == [
        (1, 1),
        (2, 1),
        (2, 2),
        (1, 2),
    ]
    assert complaint.findings[2] == Finding(2, FindingResult.sustained, "新证据", 2, MAR_12, 10)
    by_office(complaint, MAR_12, notice(MAR_12, "sms", "复查结果"), commands.Close())
    assert complaint.status is ComplaintStatus.closed


def test_the_investigators_date_is_the_rounds_own(complaint: Complaint) -> None:
    """``round_due``: the date given in the current round; a reopening leaves the earlier
    round's date in ``due`` but none as the new round's until it is assigned again."""
    assert complaint.round_due is None
    handled(complaint, upto="closed")  # assigned on 2 March, due 1 April
    assert complaint.round_due == date(2024, 4, 1)
    by_office(complaint, MAR_12, commands.Reopen(reason="投诉人提出新证据"))
    assert complaint.due == date(2024, 4, 1) and complaint.round_due is None
    by_office(complaint, MAR_12, commands.Assign(investigator_id="INV-8", due=date(2024, 4, 20)))
    assert complaint.round_due == date(2024, 4, 20)


def test_a_reopened_round_owes_its_conclusion_from_the_reopening(complaint: Complaint) -> None:
    policy = Policy.default()
    assert complaint.reopened_on is None
    assert complaint.steps_due(policy) == (
        ("acknowledge", date(2024, 3, 4)),  # received Friday: acknowledged by Monday
        ("conclude", date(2024, 3, 31)),
    )
    handled(complaint, upto="closed")
    by_office(complaint, date(2024, 4, 10), commands.Reopen(reason="投诉人提出新证据"))
    assert complaint.reopened_on == date(2024, 4, 10)
    # Acknowledged in the first round: only the conclusion is owed, from the reopening.
    assert complaint.steps_due(policy) == (("conclude", date(2024, 5, 10)),)


def test_a_complaint_never_acknowledged_owes_it_from_the_receipt_after_a_reopening(
    complaint: Complaint,
) -> None:
    by_office(complaint, MAR_2, commands.Withdraw(reason="投诉人撤回"), commands.Close())
    assert complaint.steps_due(Policy.default()) == ()
    by_office(complaint, MAR_20, commands.Reopen(reason="投诉人要求继续办理"))
    assert complaint.status is ComplaintStatus.received
    assert complaint.steps_due(Policy.default()) == (
        ("acknowledge", date(2024, 3, 4)),
        ("conclude", date(2024, 4, 19)),
    )


def test_reopen_a_declined_complaint_returns_to_acknowledged(complaint: Complaint) -> None:
    by_office(
        complaint,
        MAR_2,
        commands.Acknowledge(),
        commands.Decline(reason="r"),
        notice(MAR_2),
        commands.Close(),
    )
    by_office(complaint, MAR_5, commands.Reopen(reason="复核"))
    assert complaint.status is ComplaintStatus.acknowledged
    by_office(complaint, MAR_5, commands.Accept(category="执法态度"))
    assert complaint.status is ComplaintStatus.accepted


def test_replay_rebuilds_the_complaint(auxiliary: Auxiliary) -> None:
    complaint = receiving(auxiliary)()
    by_office(complaint, MAR_2, commands.Acknowledge(), commands.Accept(category="执法态度"))
    by_office(
        complaint,
        MAR_5,
        finding(),
        finding("exonerated", number=2),
        notice(MAR_5, "online"),
        commands.Close(),
    )
    by_office(complaint, MAR_10, commands.Reopen(reason="r"))
    rebuilt = replay(list(complaint.collect_events()))
    assert rebuilt == complaint
    assert (rebuilt.status, rebuilt.round) == (ComplaintStatus.accepted, 2)


def test_the_aggregate_repr_shows_no_personal_data(complaint: Complaint) -> None:
    text = repr(complaint)
    for value in ("测试投诉人", "13700000003", COMPLAINANT_RID, "测试市测试小区3号"):
        assert value not in text
