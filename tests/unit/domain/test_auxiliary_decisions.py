"""Decisions with reasons (Art. 18): what a sanction states, the statement before it, the
appeal decided by another body and person, referral outcomes, the return to the agency."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import (
    AppealSanction,
    DecideAppeal,
    HearStatement,
    ImposeSanction,
    RecordReferralOutcome,
    ReferForProsecution,
    ReturnToAgency,
    Separate,
    WaiveStatement,
)
from domain.decisions import same_person
from domain.errors import (
    DateInFutureError,
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NotAuthorisedError,
    NotLabourDispatchError,
    SameDeciderError,
    StatementMissingError,
    UnknownReferralError,
)
from domain.organ import Organ
from domain.values import Actor, AuxiliaryStatus, ReferralOutcome, SeparationReason

from .decision_support import DECISION, INSPECTOR, heard, waived
from .support import (
    AUX_ID_2,
    DISCIPLINE,
    ORGAN_CODE,
    PERSONNEL,
    hiring,
    rec,
    refused,
)

FEB_1 = date(2024, 2, 1)
JAN_20 = date(2024, 1, 20)


def _sanction(**overrides: Any) -> ImposeSanction:
    fields: dict[str, Any] = {
        "sanction_id": "S-1",
        "kind": "warning",
        "until": None,
        "linked_findings": [],
        **DECISION,
    }
    fields.update(overrides)
    return ImposeSanction(**fields)


# ------------------------------------------------------------------ what a decision states


def test_a_decision_records_its_facts_reasons_article_number_and_evidence(
    auxiliary: Auxiliary,
) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), _sanction())
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.SanctionImposed)
    assert (event.facts, event.reasons, event.article, event.document_number) == (
        DECISION["facts"],
        DECISION["reasons"],
        "Art. 18",
        "测公纪〔2024〕1号",
    )
    assert event.evidence == DECISION["evidence"]
    assert auxiliary.sanctions["S-1"].document_number == "测公纪〔2024〕1号"
    assert auxiliary.sanctions["S-1"].imposed_by == DISCIPLINE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("facts", ""),
        ("facts", None),
        ("reasons", "   "),
        ("article", "Art. 9"),
        ("article", "第十八条"),
        ("article", None),
        ("document_number", "12号"),
        ("document_number", "通公纪[2024]12号"),
        ("document_number", "通公纪〔2024〕号"),
        ("document_number", "通公纪〔2099〕1号"),
        ("document_number", "通公纪〔1989〕1号"),
        ("document_number", "通公纪〔2024〕0号"),
        ("document_number", "TG〔2024〕1号"),
        ("evidence", []),
        ("evidence", "笔录"),
        ("evidence", ["笔录", "笔录"]),
        ("evidence", [""]),
        ("evidence", [f"e{n}" for n in range(51)]),
    ],
)
def test_a_decision_without_a_valid_statement_of_reasons_is_refused(
    auxiliary: Auxiliary, field: str, value: object
) -> None:
    heard(auxiliary)
    error = refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE, FEB_1),
        _sanction(**{field: value}),
    )
    assert error.field == field


# ------------------------------------------------------------- statement and defence


def test_a_decision_needs_a_statement_heard_or_waived_for_that_case(
    auxiliary: Auxiliary,
) -> None:
    error = refused(
        auxiliary,
        StatementMissingError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE, FEB_1),
        _sanction(),
    )
    assert "Art. 18" in str(error)
    heard(auxiliary, "S-2")  # another case's statement does not count
    refused(
        auxiliary,
        StatementMissingError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE, FEB_1),
        _sanction(),
    )
    waived(auxiliary, "S-1")
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), _sanction())
    assert auxiliary.sanctions["S-1"].kind.value == "warning"


def test_a_statement_is_heard_and_its_text_is_personal_data(auxiliary: Auxiliary) -> None:
    auxiliary.hear_statement(
        rec(DISCIPLINE, JAN_20),
        HearStatement(sanction_id="S-1", heard_on=JAN_20, heard_by="纪检甲", statement="陈述"),
    )
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.StatementHeard)
    assert (event.sanction_id, event.heard_on, event.heard_by) == ("S-1", JAN_20, "纪检甲")
    assert Auxiliary.StatementHeard.personal_fields == ("statement",)
    assert Auxiliary.StatementHeard.personal_subject == "originator_id"


def test_a_waiver_names_the_written_waiver(auxiliary: Auxiliary) -> None:
    auxiliary.waive_statement(
        rec(DISCIPLINE, JAN_20), WaiveStatement(sanction_id="S-1", waiver_reference="放弃书-1")
    )
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.StatementWaived)
    assert (event.sanction_id, event.waiver_reference, event.effective) == (
        "S-1",
        "放弃书-1",
        JAN_20,
    )
    refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.waive_statement,
        rec(DISCIPLINE, JAN_20),
        WaiveStatement(sanction_id="S-2", waiver_reference=""),
    )


def test_a_statement_precedes_the_decision(auxiliary: Auxiliary) -> None:
    heard(auxiliary, day=FEB_1)
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.impose_sanction,
        rec(DISCIPLINE, JAN_20),
        _sanction(),
    )
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), _sanction())
    auxiliary.collect_events()
    for command, arguments in (
        (
            auxiliary.hear_statement,
            HearStatement(sanction_id="S-1", heard_on=FEB_1, heard_by="h", statement="s"),
        ),
        (auxiliary.waive_statement, WaiveStatement(sanction_id="S-1", waiver_reference="w")),
    ):
        refused(auxiliary, InvalidTransitionError, command, rec(DISCIPLINE, FEB_1), arguments)


def test_a_case_has_one_statement_record(auxiliary: Auxiliary) -> None:
    heard(auxiliary)
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.waive_statement,
        rec(DISCIPLINE, FEB_1),
        WaiveStatement(sanction_id="S-1", waiver_reference="w"),
    )
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.hear_statement,
        rec(DISCIPLINE, FEB_1),
        HearStatement(sanction_id="S-1", heard_on=FEB_1, heard_by="h", statement="s"),
    )


def test_statements_are_for_the_discipline_office_within_service(auxiliary: Auxiliary) -> None:
    hearing = HearStatement(sanction_id="S-1", heard_on=JAN_20, heard_by="h", statement="s")
    refused(
        auxiliary, NotAuthorisedError, auxiliary.hear_statement, rec(PERSONNEL, JAN_20), hearing
    )
    refused(
        auxiliary,
        NotAuthorisedError,
        auxiliary.waive_statement,
        rec(INSPECTOR, JAN_20),
        WaiveStatement(sanction_id="S-1", waiver_reference="w"),
    )
    refused(
        auxiliary,
        DateInFutureError,
        auxiliary.hear_statement,
        rec(DISCIPLINE, JAN_20),
        dataclasses.replace(hearing, heard_on=FEB_1),
    )
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.hear_statement,
        rec(DISCIPLINE, JAN_20),
        dataclasses.replace(hearing, heard_on=date(2023, 12, 1)),
    )
    refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.hear_statement,
        rec(DISCIPLINE, JAN_20),
        dataclasses.replace(hearing, statement=""),
    )


# ------------------------------------------------------------------------------ appeals


def _appealed(auxiliary: Auxiliary) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), _sanction())
    auxiliary.appeal_sanction(
        rec(DISCIPLINE, FEB_1), AppealSanction(sanction_id="S-1", grounds="g")
    )
    auxiliary.collect_events()


def test_the_inspectorate_decides_an_appeal_not_the_office_that_imposed(
    auxiliary: Auxiliary,
) -> None:
    _appealed(auxiliary)
    error = refused(
        auxiliary,
        NotAuthorisedError,
        auxiliary.decide_appeal,
        rec(DISCIPLINE),
        DecideAppeal(sanction_id="S-1", upheld=True),
    )
    assert str(error) == "only the police inspectorate may decide an appeal (Art. 18)"
    auxiliary.decide_appeal(rec(INSPECTOR), DecideAppeal(sanction_id="S-1", upheld=True))
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.AppealDecided)
    assert event.actor == INSPECTOR


def test_the_person_who_imposed_does_not_decide_the_appeal(auxiliary: Auxiliary) -> None:
    _appealed(auxiliary)
    # The same token id (the same person) in the inspectorate's role.
    same = Actor(DISCIPLINE.actor_id, "inspector", ORGAN_CODE, None)
    error = refused(
        auxiliary,
        SameDeciderError,
        auxiliary.decide_appeal,
        rec(same),
        DecideAppeal(sanction_id="S-1", upheld=False),
    )
    assert "person who imposed" in str(error)


def test_the_role_that_imposed_does_not_decide_the_appeal(auxiliary: Auxiliary) -> None:
    # A decision recorded by the inspectorate's role (before the roles were split): its
    # appeal cannot be decided by that role again.
    heard(auxiliary)
    auxiliary.trigger_event(
        Auxiliary.SanctionImposed,
        **rec(INSPECTOR, FEB_1).fields(),
        sanction_id="S-1",
        kind="warning",
        until=None,
        linked_findings=[],
        facts=None,
        reasons=None,
        article=None,
        document_number=None,
        evidence=[],
    )
    auxiliary.appeal_sanction(
        rec(DISCIPLINE, FEB_1), AppealSanction(sanction_id="S-1", grounds="g")
    )
    auxiliary.collect_events()
    other = Actor("insp-02", "inspector", ORGAN_CODE, None)
    error = refused(
        auxiliary,
        SameDeciderError,
        auxiliary.decide_appeal,
        rec(other),
        DecideAppeal(sanction_id="S-1", upheld=True),
    )
    assert "role that imposed" in str(error)


@dataclasses.dataclass(frozen=True)
class _HeldActor(Actor):
    """An attribution that names its holder (the person behind a token)."""

    holder: str | None = None


def test_same_person_compares_holders_when_both_name_one_else_token_ids() -> None:
    one = _HeldActor("tok-1", "discipline", ORGAN_CODE, None, holder="P-1")
    same_holder = _HeldActor("tok-2", "inspector", ORGAN_CODE, None, holder="P-1")
    other_holder = _HeldActor("tok-1", "inspector", ORGAN_CODE, None, holder="P-2")
    no_holder = _HeldActor("tok-1", "inspector", ORGAN_CODE, None)
    assert same_person(one, same_holder)
    assert not same_person(one, other_holder)
    assert same_person(one, no_holder)  # one has no holder: the token ids decide
    assert same_person(DISCIPLINE, Actor("disc-01", "inspector", ORGAN_CODE, None))
    assert not same_person(DISCIPLINE, INSPECTOR)


# -------------------------------------------------------------------- referral outcomes


def _referred(auxiliary: Auxiliary, reference: str = "R-1") -> None:
    auxiliary.refer_for_prosecution(
        rec(DISCIPLINE, FEB_1), ReferForProsecution(reference=reference, summary="涉嫌受贿")
    )
    auxiliary.collect_events()


def _outcome(outcome: str, day: date = date(2024, 3, 1), reference: str = "R-1") -> Any:
    return RecordReferralOutcome(
        reference=reference, outcome=outcome, outcome_reference="检-1", decided_on=day
    )


def test_an_accepted_referral_is_judged_and_then_final(auxiliary: Auxiliary) -> None:
    _referred(auxiliary)
    auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome("accepted"))
    assert auxiliary.referrals[0].outcome is ReferralOutcome.accepted
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.record_referral_outcome,
        rec(DISCIPLINE),
        _outcome("accepted"),
    )
    auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome("judgement"))
    events = auxiliary.collect_events()
    assert [e.outcome for e in events] == ["accepted", "judgement"]  # type: ignore[attr-defined]
    referral = auxiliary.referrals[0]
    assert (referral.outcome, referral.outcome_reference, referral.outcome_on) == (
        ReferralOutcome.judgement,
        "检-1",
        date(2024, 3, 1),
    )
    for outcome in ("accepted", "declined", "judgement"):
        refused(
            auxiliary,
            InvalidTransitionError,
            auxiliary.record_referral_outcome,
            rec(DISCIPLINE),
            _outcome(outcome),
        )


def test_a_declined_referral_is_final(auxiliary: Auxiliary) -> None:
    _referred(auxiliary)
    auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome("declined"))
    auxiliary.collect_events()
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.record_referral_outcome,
        rec(DISCIPLINE),
        _outcome("judgement"),
    )


def test_an_outcome_needs_a_known_referral_and_a_date_after_it(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        UnknownReferralError,
        auxiliary.record_referral_outcome,
        rec(DISCIPLINE),
        _outcome("accepted"),
    )
    _referred(auxiliary)
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.record_referral_outcome,
        rec(DISCIPLINE),
        _outcome("accepted", day=JAN_20),
    )
    refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.record_referral_outcome,
        rec(DISCIPLINE),
        _outcome("acquitted"),
    )
    refused(
        auxiliary,
        NotAuthorisedError,
        auxiliary.record_referral_outcome,
        rec(PERSONNEL),
        _outcome("accepted"),
    )


def test_a_referral_reference_is_used_once(auxiliary: Auxiliary) -> None:
    _referred(auxiliary)
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.refer_for_prosecution,
        rec(DISCIPLINE),
        ReferForProsecution(reference="R-1", summary="again"),
    )


def test_outcomes_are_recorded_after_separation(auxiliary: Auxiliary) -> None:
    _referred(auxiliary)
    auxiliary.separate(rec(PERSONNEL, date(2024, 2, 20)), Separate(reason="resigned"))
    auxiliary.collect_events()
    auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome("judgement"))
    assert auxiliary.referrals[0].outcome is ReferralOutcome.judgement


# ------------------------------------------------------------------- return to agency


def test_a_dispatched_auxiliary_is_returned_to_the_agency(organ: Organ) -> None:
    dispatched = hiring(
        organ, id=AUX_ID_2, employment_form="labour_dispatch", dispatch_agency="测试派遣公司"
    )()
    dispatched.collect_events()
    dispatched.return_to_agency(
        rec(PERSONNEL, date(2024, 3, 1)), ReturnToAgency(return_grounds="考核不合格")
    )
    [event] = dispatched.collect_events()
    assert isinstance(event, Auxiliary.ReturnedToAgency)
    assert isinstance(event, Auxiliary.Separated)
    assert (event.reason, event.agency, event.return_grounds) == (
        "returned_to_agency",
        "测试派遣公司",
        "考核不合格",
    )
    assert dispatched.status is AuxiliaryStatus.separated
    assert dispatched.separated_on == date(2024, 3, 1)
    assert dispatched.separation_reason is SeparationReason.returned_to_agency
    assert ReturnToAgency.releases_slot


def test_a_return_to_the_agency_needs_dispatch_grounds_and_a_later_date(
    auxiliary: Auxiliary, organ: Organ
) -> None:
    error = refused(
        auxiliary,
        NotLabourDispatchError,
        auxiliary.return_to_agency,
        rec(PERSONNEL),
        ReturnToAgency(return_grounds="g"),
    )
    assert "Art. 8" in str(error)
    dispatched = hiring(
        organ, id=AUX_ID_2, employment_form="labour_dispatch", dispatch_agency="测试派遣公司"
    )()
    dispatched.collect_events()
    refused(
        dispatched,
        InvalidFieldError,
        dispatched.return_to_agency,
        rec(PERSONNEL),
        ReturnToAgency(return_grounds=""),
    )
    refused(
        dispatched,
        InvalidDateRangeError,
        dispatched.return_to_agency,
        rec(PERSONNEL, date(2024, 1, 2)),
        ReturnToAgency(return_grounds="g"),
    )
    refused(
        dispatched,
        NotAuthorisedError,
        dispatched.return_to_agency,
        rec(DISCIPLINE),
        ReturnToAgency(return_grounds="g"),
    )
    refused(
        dispatched,
        InvalidFieldError,
        dispatched.separate,
        rec(PERSONNEL),
        Separate(reason="returned_to_agency"),
    )
