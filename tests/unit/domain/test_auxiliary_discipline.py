"""Sanctions, appeals, revocations, reinstatement and referrals (Art. 18)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from domain.auxiliary import Auxiliary, Sanction
from domain.commands import auxiliary as commands
from domain.errors import (
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NotAuthorisedError,
    OutsideScopeError,
    UnknownSanctionError,
)
from domain.organ import Organ
from domain.values import AppealStatus, AuxiliaryStatus, SanctionKind, SanctionStatus

from .decision_support import DECISION, heard, sanction
from .refusals import Refusal, refusals
from .support import (
    COMPLAINT_ID,
    DAY,
    DISCIPLINE,
    INSPECTOR,
    OTHER_DISCIPLINE,
    PERSONNEL,
    rec,
)

FEB_1 = date(2024, 2, 1)
REF = f"{COMPLAINT_ID}:1"


def _impose(auxiliary: Auxiliary, kind: str = "warning") -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction(kind=kind, linked_findings=[REF]))
    auxiliary.collect_events()


def test_impose_sanction(auxiliary: Auxiliary) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(
        rec(DISCIPLINE, FEB_1),
        commands.ImposeSanction(
            sanction_id="S-1",
            kind="demerit",
            until=date(2024, 8, 1),
            linked_findings=[REF, f"{str(COMPLAINT_ID).upper()}:2"],
            **DECISION,
        ),
    )
    assert auxiliary.sanctions["S-1"] == Sanction(
        sanction_id="S-1",
        kind=SanctionKind.demerit,
        effective=FEB_1,
        until=date(2024, 8, 1),
        linked_findings=(REF, f"{COMPLAINT_ID}:2"),
        status=SanctionStatus.in_force,
        appeal=AppealStatus.not_appealed,
        imposed_by=DISCIPLINE,
        document_number=DECISION["document_number"],
    )
    assert auxiliary.status is AuxiliaryStatus.active
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.SanctionImposed)
    assert event.linked_findings == [REF, f"{COMPLAINT_ID}:2"]
    assert type(event.linked_findings) is list


def test_suspension_and_reinstatement(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    assert auxiliary.status is AuxiliaryStatus.suspended
    auxiliary.reinstate(rec(DISCIPLINE), commands.Reinstate(reason="停职期满"))
    assert auxiliary.status is AuxiliaryStatus.active
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.Reinstated)
    # The sanction itself stays on record, in force.
    assert auxiliary.sanctions["S-1"].status is SanctionStatus.in_force


def test_appeal_upheld_keeps_the_sanction(auxiliary: Auxiliary) -> None:
    _impose(auxiliary)
    auxiliary.appeal_sanction(
        rec(DISCIPLINE), commands.AppealSanction(sanction_id="S-1", grounds="事实不清")
    )
    assert auxiliary.sanctions["S-1"].appeal is AppealStatus.pending
    auxiliary.decide_appeal(rec(INSPECTOR), commands.DecideAppeal(sanction_id="S-1", upheld=True))
    sanction = auxiliary.sanctions["S-1"]
    assert (sanction.appeal, sanction.status) == (AppealStatus.upheld, SanctionStatus.in_force)
    events = auxiliary.collect_events()
    assert [type(e) for e in events] == [Auxiliary.SanctionAppealed, Auxiliary.AppealDecided]


def test_appeal_overturned_lifts_a_suspension(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    auxiliary.appeal_sanction(
        rec(DISCIPLINE), commands.AppealSanction(sanction_id="S-1", grounds="程序违法")
    )
    auxiliary.decide_appeal(rec(INSPECTOR), commands.DecideAppeal(sanction_id="S-1", upheld=False))
    sanction = auxiliary.sanctions["S-1"]
    assert (sanction.appeal, sanction.status) == (
        AppealStatus.overturned,
        SanctionStatus.overturned,
    )
    assert auxiliary.status is AuxiliaryStatus.active
    assert auxiliary.sanctions_in_force() == ()


def test_revoke_sanction_lifts_it(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    auxiliary.revoke_sanction(
        rec(DISCIPLINE), commands.RevokeSanction(sanction_id="S-1", reason="处理依据错误")
    )
    assert auxiliary.sanctions["S-1"].status is SanctionStatus.revoked
    assert auxiliary.status is AuxiliaryStatus.active


def test_refer_for_prosecution(auxiliary: Auxiliary) -> None:
    auxiliary.refer_for_prosecution(
        rec(DISCIPLINE),
        commands.ReferForProsecution(reference="测检移〔2024〕1号", summary="涉嫌受贿"),
    )
    [referral] = auxiliary.referrals
    assert (referral.reference, referral.summary, referral.effective) == (
        "测检移〔2024〕1号",
        "涉嫌受贿",
        DAY,
    )


def test_a_termination_waits_for_a_separation(auxiliary: Auxiliary) -> None:
    assert not auxiliary.termination_pending
    _impose(auxiliary, kind="termination")
    assert auxiliary.termination_pending
    auxiliary.separate(rec(PERSONNEL), commands.Separate(reason="dismissed"))
    assert not auxiliary.termination_pending


def _appeal_decided(auxiliary: Auxiliary) -> None:
    _impose(auxiliary)
    auxiliary.appeal_sanction(
        rec(DISCIPLINE), commands.AppealSanction(sanction_id="S-1", grounds="g")
    )
    auxiliary.decide_appeal(rec(INSPECTOR), commands.DecideAppeal(sanction_id="S-1", upheld=True))
    auxiliary.collect_events()


def _appealed(kind: str) -> Callable[[Auxiliary], None]:
    """A ``kind`` sanction S-1 imposed and appealed, the appeal pending (events collected)."""

    def given(auxiliary: Auxiliary) -> None:
        _impose(auxiliary, kind=kind)
        auxiliary.appeal_sanction(
            rec(DISCIPLINE), commands.AppealSanction(sanction_id="S-1", grounds="g")
        )
        auxiliary.collect_events()

    return given


def _revoked(kind: str, *, appealed: bool = False) -> Callable[[Auxiliary], None]:
    """A ``kind`` sanction S-1 imposed (and appealed), then revoked (events collected)."""

    def given(auxiliary: Auxiliary) -> None:
        _impose(auxiliary, kind=kind)
        if appealed:
            auxiliary.appeal_sanction(
                rec(DISCIPLINE), commands.AppealSanction(sanction_id="S-1", grounds="g")
            )
        auxiliary.revoke_sanction(
            rec(DISCIPLINE), commands.RevokeSanction(sanction_id="S-1", reason="r")
        )
        auxiliary.collect_events()

    return given


@refusals(
    only_the_discipline_office_imposes_sanctions=Refusal(
        PERSONNEL,
        sanction(),
        NotAuthorisedError,
        message="only the discipline and inspection office may impose a sanction (Art. 18)",
    ),
    another_organ_may_not_impose_sanctions=Refusal(OTHER_DISCIPLINE, sanction(), OutsideScopeError),
    a_sanction_id_is_used_once=Refusal(
        DISCIPLINE, sanction(kind="criticism"), DuplicateRecordError, given=_impose
    ),
    a_term_ends_after_the_sanction_takes_effect=Refusal(
        DISCIPLINE, sanction(kind="demerit", until=DAY), InvalidDateRangeError
    ),
    a_termination_has_no_term=Refusal(
        DISCIPLINE,
        sanction(kind="termination", until=date(2025, 1, 1)),
        InvalidFieldError,
        field="until",
    ),
    **{
        f"linked_findings_are_complaint_allegation_references-{n}": Refusal(
            DISCIPLINE, sanction(linked_findings=refs), InvalidFieldError, field="linked_findings"
        )
        for n, refs in enumerate(
            [
                ["not-a-ref"],
                [f"{COMPLAINT_ID}:0"],
                [f"{COMPLAINT_ID}"],
                [f"{COMPLAINT_ID}:1", f"{COMPLAINT_ID}:1"],
                "S-1",
                [1],
                [f"{COMPLAINT_ID}:1"] * 101,
            ]
        )
    },
    a_sanction_is_appealed_once=Refusal(
        DISCIPLINE,
        commands.AppealSanction(sanction_id="S-1", grounds="again"),
        InvalidTransitionError,
        given=_appeal_decided,
    ),
    deciding_needs_a_pending_appeal=Refusal(
        INSPECTOR,
        commands.DecideAppeal(sanction_id="S-1", upheld=False),
        InvalidTransitionError,
        given=_impose,
    ),
    an_unknown_sanction_is_not_appealed=Refusal(
        DISCIPLINE, commands.AppealSanction(sanction_id="S-404", grounds="g"), UnknownSanctionError
    ),
    an_unknown_sanction_has_no_appeal_to_decide=Refusal(
        INSPECTOR, commands.DecideAppeal(sanction_id="S-404", upheld=True), UnknownSanctionError
    ),
    an_unknown_sanction_is_not_revoked=Refusal(
        DISCIPLINE, commands.RevokeSanction(sanction_id="S-404", reason="r"), UnknownSanctionError
    ),
    a_sanction_is_revoked_once=Refusal(
        DISCIPLINE,
        commands.RevokeSanction(sanction_id="S-1", reason="again"),
        InvalidTransitionError,
        given=_revoked("suspension"),
    ),
    a_revoked_sanction_is_not_appealed=Refusal(
        DISCIPLINE,
        commands.AppealSanction(sanction_id="S-1", grounds="g"),
        InvalidTransitionError,
        given=_revoked("suspension"),
    ),
    an_appeal_on_a_revoked_sanction_cannot_be_decided=Refusal(
        INSPECTOR,
        commands.DecideAppeal(sanction_id="S-1", upheld=True),
        InvalidTransitionError,
        given=_revoked("warning", appealed=True),
    ),
    only_the_discipline_office_refers_for_prosecution=Refusal(
        PERSONNEL, commands.ReferForProsecution(reference="r", summary="s"), NotAuthorisedError
    ),
    a_dismissal_needs_a_termination=Refusal(
        PERSONNEL, commands.Separate(reason="dismissed"), InvalidTransitionError, says="Art. 18"
    ),
    a_dismissal_waits_for_the_terminations_appeal=Refusal(
        PERSONNEL,
        commands.Separate(reason="dismissed"),
        InvalidTransitionError,
        says="appeal",
        has={"from_status": "appeal pending"},
        given=_appealed("termination"),
    ),
    a_dismissal_needs_a_termination_in_force=Refusal(
        PERSONNEL,
        commands.Separate(reason="dismissed"),
        InvalidTransitionError,
        given=_revoked("termination"),
    ),
)
def test_sanction_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


JAN_25 = date(2024, 1, 25)
FEB_20 = date(2024, 2, 20)


@refusals(
    an_appeal_does_not_precede_the_sanction=Refusal(
        DISCIPLINE,
        commands.AppealSanction(sanction_id="S-1", grounds="g"),
        InvalidDateRangeError,
        effective=JAN_25,
        given=_impose,
    ),
    a_decision_does_not_precede_the_appeal=Refusal(
        INSPECTOR,
        commands.DecideAppeal(sanction_id="S-1", upheld=True),
        InvalidDateRangeError,
        effective=FEB_20,
        given=_appealed("warning"),
    ),
    a_revocation_does_not_precede_the_sanction=Refusal(
        DISCIPLINE,
        commands.RevokeSanction(sanction_id="S-1", reason="r"),
        InvalidDateRangeError,
        effective=JAN_25,
        given=_impose,
    ),
    a_reinstatement_does_not_precede_the_suspension=Refusal(
        DISCIPLINE,
        commands.Reinstate(reason="r"),
        InvalidDateRangeError,
        effective=JAN_25,
        given=partial(_impose, kind="suspension"),
    ),
)
def test_sanction_steps_keep_their_order_in_time(
    auxiliary: Auxiliary, organ: Organ, refusal: Refusal
) -> None:
    refusal.check(auxiliary, organ)


def test_steps_on_the_day_of_the_step_before_are_accepted(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    auxiliary.appeal_sanction(
        rec(DISCIPLINE, FEB_1), commands.AppealSanction(sanction_id="S-1", grounds="g")
    )
    assert auxiliary.sanctions["S-1"].appealed_on == FEB_1
    auxiliary.decide_appeal(
        rec(INSPECTOR, FEB_1), commands.DecideAppeal(sanction_id="S-1", upheld=True)
    )
    auxiliary.reinstate(rec(DISCIPLINE, FEB_1), commands.Reinstate(reason="r"))
    auxiliary.revoke_sanction(
        rec(DISCIPLINE, FEB_1), commands.RevokeSanction(sanction_id="S-1", reason="r")
    )
    assert auxiliary.sanctions["S-1"].status is SanctionStatus.revoked


def test_no_second_suspension_while_suspended(auxiliary: Auxiliary, organ: Organ) -> None:
    error = Refusal(
        DISCIPLINE,
        sanction(sanction_id="S-2", kind="suspension"),
        InvalidTransitionError,
        given=partial(_impose, kind="suspension"),
    ).check(auxiliary, organ)
    assert (error.from_status, error.command) == ("suspended", "impose_sanction")


def test_reinstate_needs_a_suspension(auxiliary: Auxiliary, organ: Organ) -> None:
    error = Refusal(DISCIPLINE, commands.Reinstate(reason="r"), InvalidTransitionError).check(
        auxiliary, organ
    )
    assert error.from_status == "active"
