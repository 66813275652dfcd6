"""Sanctions, appeals, revocations, reinstatement and referrals (Art. 18)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.auxiliary import Auxiliary, Sanction
from domain.commands.auxiliary import (
    AppealSanction,
    DecideAppeal,
    ImposeSanction,
    ReferForProsecution,
    Reinstate,
    RevokeSanction,
    Separate,
)
from domain.errors import (
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NotAuthorisedError,
    OutsideScopeError,
    UnknownSanctionError,
)
from domain.values import AppealStatus, AuxiliaryStatus, SanctionKind, SanctionStatus

from .decision_support import DECISION, INSPECTOR, heard
from .support import (
    COMPLAINT_ID,
    DAY,
    DISCIPLINE,
    OTHER_DISCIPLINE,
    PERSONNEL,
    rec,
    refused,
)

FEB_1 = date(2024, 2, 1)
REF = f"{COMPLAINT_ID}:1"


def _impose(
    auxiliary: Auxiliary,
    sanction_id: str = "S-1",
    kind: str = "warning",
    until: date | None = None,
    effective: date = FEB_1,
) -> None:
    heard(auxiliary, sanction_id)
    auxiliary.impose_sanction(
        rec(DISCIPLINE, effective),
        ImposeSanction(
            sanction_id=sanction_id, kind=kind, until=until, linked_findings=[REF], **DECISION
        ),
    )
    auxiliary.collect_events()


def test_impose_sanction(auxiliary: Auxiliary) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(
        rec(DISCIPLINE, FEB_1),
        ImposeSanction(
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


def test_only_the_discipline_office_imposes_sanctions(auxiliary: Auxiliary) -> None:
    error = refused(
        auxiliary,
        NotAuthorisedError,
        auxiliary.impose_sanction,
        rec(PERSONNEL),
        ImposeSanction(
            sanction_id="S-1", kind="warning", until=None, linked_findings=[], **DECISION
        ),
    )
    assert str(error) == (
        "only the discipline and inspection office may impose a sanction (Art. 18)"
    )
    refused(
        auxiliary,
        OutsideScopeError,
        auxiliary.impose_sanction,
        rec(OTHER_DISCIPLINE),
        ImposeSanction(
            sanction_id="S-1", kind="warning", until=None, linked_findings=[], **DECISION
        ),
    )


def test_a_sanction_id_is_used_once(auxiliary: Auxiliary) -> None:
    _impose(auxiliary)
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE),
        ImposeSanction(
            sanction_id="S-1", kind="criticism", until=None, linked_findings=[], **DECISION
        ),
    )


def test_a_term_ends_after_the_sanction_takes_effect(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE),
        ImposeSanction(
            sanction_id="S-1", kind="demerit", until=DAY, linked_findings=[], **DECISION
        ),
    )


def test_a_termination_has_no_term(auxiliary: Auxiliary) -> None:
    error = refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE),
        ImposeSanction(
            sanction_id="S-1",
            kind="termination",
            until=date(2025, 1, 1),
            linked_findings=[],
            **DECISION,
        ),
    )
    assert error.field == "until"


@pytest.mark.parametrize(
    "refs",
    [
        ["not-a-ref"],
        [f"{COMPLAINT_ID}:0"],
        [f"{COMPLAINT_ID}"],
        [f"{COMPLAINT_ID}:1", f"{COMPLAINT_ID}:1"],
        "S-1",
        [1],
        [f"{COMPLAINT_ID}:1"] * 101,
    ],
)
def test_linked_findings_are_complaint_allegation_references(
    auxiliary: Auxiliary, refs: object
) -> None:
    error = refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE),
        ImposeSanction(
            sanction_id="S-1", kind="warning", until=None, linked_findings=refs, **DECISION
        ),
    )
    assert error.field == "linked_findings"


def test_suspension_and_reinstatement(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    assert auxiliary.status is AuxiliaryStatus.suspended
    auxiliary.reinstate(rec(DISCIPLINE), Reinstate(reason="停职期满"))
    assert auxiliary.status is AuxiliaryStatus.active
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.Reinstated)
    # The sanction itself stays on record, in force.
    assert auxiliary.sanctions["S-1"].status is SanctionStatus.in_force


def test_no_second_suspension_while_suspended(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    error = refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE),
        ImposeSanction(
            sanction_id="S-2", kind="suspension", until=None, linked_findings=[], **DECISION
        ),
    )
    assert (error.from_status, error.command) == ("suspended", "impose_sanction")


def test_reinstate_needs_a_suspension(auxiliary: Auxiliary) -> None:
    error = refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.reinstate,
        rec(DISCIPLINE),
        Reinstate(reason="r"),
    )
    assert error.from_status == "active"


def test_appeal_upheld_keeps_the_sanction(auxiliary: Auxiliary) -> None:
    _impose(auxiliary)
    auxiliary.appeal_sanction(
        rec(DISCIPLINE), AppealSanction(sanction_id="S-1", grounds="事实不清")
    )
    assert auxiliary.sanctions["S-1"].appeal is AppealStatus.pending
    auxiliary.decide_appeal(rec(INSPECTOR), DecideAppeal(sanction_id="S-1", upheld=True))
    sanction = auxiliary.sanctions["S-1"]
    assert (sanction.appeal, sanction.status) == (AppealStatus.upheld, SanctionStatus.in_force)
    events = auxiliary.collect_events()
    assert [type(e) for e in events] == [Auxiliary.SanctionAppealed, Auxiliary.AppealDecided]


def test_appeal_overturned_lifts_a_suspension(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    auxiliary.appeal_sanction(
        rec(DISCIPLINE), AppealSanction(sanction_id="S-1", grounds="程序违法")
    )
    auxiliary.decide_appeal(rec(INSPECTOR), DecideAppeal(sanction_id="S-1", upheld=False))
    sanction = auxiliary.sanctions["S-1"]
    assert (sanction.appeal, sanction.status) == (
        AppealStatus.overturned,
        SanctionStatus.overturned,
    )
    assert auxiliary.status is AuxiliaryStatus.active
    assert auxiliary.sanctions_in_force() == ()


def test_a_sanction_is_appealed_once(auxiliary: Auxiliary) -> None:
    _impose(auxiliary)
    auxiliary.appeal_sanction(rec(DISCIPLINE), AppealSanction(sanction_id="S-1", grounds="g"))
    auxiliary.decide_appeal(rec(INSPECTOR), DecideAppeal(sanction_id="S-1", upheld=True))
    auxiliary.collect_events()
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.appeal_sanction,
        rec(DISCIPLINE),
        AppealSanction(sanction_id="S-1", grounds="again"),
    )


def test_deciding_needs_a_pending_appeal(auxiliary: Auxiliary) -> None:
    _impose(auxiliary)
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.decide_appeal,
        rec(INSPECTOR),
        DecideAppeal(sanction_id="S-1", upheld=False),
    )


def test_unknown_sanctions_are_refused(auxiliary: Auxiliary) -> None:
    for command, actor, arguments in (
        (auxiliary.appeal_sanction, DISCIPLINE, AppealSanction(sanction_id="S-404", grounds="g")),
        (auxiliary.decide_appeal, INSPECTOR, DecideAppeal(sanction_id="S-404", upheld=True)),
        (auxiliary.revoke_sanction, DISCIPLINE, RevokeSanction(sanction_id="S-404", reason="r")),
    ):
        refused(auxiliary, UnknownSanctionError, command, rec(actor), arguments)


def test_revoke_sanction_lifts_it(auxiliary: Auxiliary) -> None:
    _impose(auxiliary, kind="suspension")
    auxiliary.revoke_sanction(
        rec(DISCIPLINE), RevokeSanction(sanction_id="S-1", reason="处理依据错误")
    )
    assert auxiliary.sanctions["S-1"].status is SanctionStatus.revoked
    assert auxiliary.status is AuxiliaryStatus.active
    auxiliary.collect_events()
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.revoke_sanction,
        rec(DISCIPLINE),
        RevokeSanction(sanction_id="S-1", reason="again"),
    )
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.appeal_sanction,
        rec(DISCIPLINE),
        AppealSanction(sanction_id="S-1", grounds="g"),
    )


def test_an_appeal_on_a_revoked_sanction_cannot_be_decided(auxiliary: Auxiliary) -> None:
    _impose(auxiliary)
    auxiliary.appeal_sanction(rec(DISCIPLINE), AppealSanction(sanction_id="S-1", grounds="g"))
    auxiliary.revoke_sanction(rec(DISCIPLINE), RevokeSanction(sanction_id="S-1", reason="r"))
    auxiliary.collect_events()
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.decide_appeal,
        rec(INSPECTOR),
        DecideAppeal(sanction_id="S-1", upheld=True),
    )


def test_refer_for_prosecution(auxiliary: Auxiliary) -> None:
    auxiliary.refer_for_prosecution(
        rec(DISCIPLINE), ReferForProsecution(reference="测检移〔2024〕1号", summary="涉嫌受贿")
    )
    [referral] = auxiliary.referrals
    assert (referral.reference, referral.summary, referral.effective) == (
        "测检移〔2024〕1号",
        "涉嫌受贿",
        DAY,
    )
    refused(
        auxiliary,
        NotAuthorisedError,
        auxiliary.refer_for_prosecution,
        rec(PERSONNEL),
        ReferForProsecution(reference="r", summary="s"),
    )


def test_a_termination_waits_for_a_separation(auxiliary: Auxiliary) -> None:
    assert not auxiliary.termination_pending
    _impose(auxiliary, kind="termination")
    assert auxiliary.termination_pending
    auxiliary.separate(rec(PERSONNEL), Separate(reason="dismissed"))
    assert not auxiliary.termination_pending


def test_a_dismissal_needs_a_termination_in_force(auxiliary: Auxiliary) -> None:
    error = refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.separate,
        rec(PERSONNEL),
        Separate(reason="dismissed"),
    )
    assert "Art. 18" in str(error)
    _impose(auxiliary, kind="termination")
    auxiliary.revoke_sanction(rec(DISCIPLINE), RevokeSanction(sanction_id="S-1", reason="r"))
    auxiliary.collect_events()
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.separate,
        rec(PERSONNEL),
        Separate(reason="dismissed"),
    )
