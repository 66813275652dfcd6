"""Decisions with reasons (Art. 18): what a sanction states, the statement before it, the
appeal decided by another body and person, referral outcomes, the return to the agency."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import pytest

from domain.auxiliary import Auxiliary
from domain.commands import auxiliary as commands
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

from .decision_support import DECISION, heard, sanction, waived
from .refusals import Refusal, refusals
from .support import (
    AUX_ID_2,
    DISCIPLINE,
    INSPECTOR,
    ORGAN_CODE,
    PERSONNEL,
    hiring,
    rec,
    refused,
)

FEB_1 = date(2024, 2, 1)
JAN_20 = date(2024, 1, 20)
HEARING = commands.HearStatement(sanction_id="S-1", heard_on=JAN_20, heard_by="h", statement="s")
LATE_HEARING = dataclasses.replace(HEARING, heard_on=FEB_1)
WAIVER = commands.WaiveStatement(sanction_id="S-1", waiver_reference="w")


# ------------------------------------------------------------------ what a decision states


def test_a_decision_records_its_facts_reasons_article_number_and_evidence(
    auxiliary: Auxiliary,
) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction())
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
    auxiliary: Auxiliary, organ: Organ, field: str, value: object
) -> None:
    Refusal(
        DISCIPLINE,
        sanction(**{field: value}),
        InvalidFieldError,
        field=field,
        effective=FEB_1,
        given=heard,
    ).check(auxiliary, organ)


# ------------------------------------------------------------- statement and defence


def _decided(auxiliary: Auxiliary) -> None:
    heard(auxiliary, day=FEB_1)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction())
    auxiliary.collect_events()


by_discipline = partial(Refusal, DISCIPLINE)
"""A refusal of a step the discipline and inspection office takes."""


@refusals(
    a_decision_needs_a_statement_heard_or_waived=by_discipline(
        sanction(), StatementMissingError, says="Art. 18", effective=FEB_1
    ),
    another_cases_statement_does_not_count=by_discipline(
        sanction(), StatementMissingError, effective=FEB_1, given=partial(heard, sanction_id="S-2")
    ),
    a_waiver_names_the_written_waiver=by_discipline(
        commands.WaiveStatement(sanction_id="S-2", waiver_reference=""),
        InvalidFieldError,
        effective=JAN_20,
    ),
    a_statement_precedes_the_decision=by_discipline(
        sanction(), InvalidDateRangeError, effective=JAN_20, given=partial(heard, day=FEB_1)
    ),
    no_statement_is_heard_after_the_decision=by_discipline(
        LATE_HEARING, InvalidTransitionError, effective=FEB_1, given=_decided
    ),
    no_statement_is_waived_after_the_decision=by_discipline(
        WAIVER, InvalidTransitionError, effective=FEB_1, given=_decided
    ),
    a_heard_case_is_not_waived=by_discipline(
        WAIVER, DuplicateRecordError, effective=FEB_1, given=heard
    ),
    a_heard_case_is_not_heard_again=by_discipline(
        LATE_HEARING, DuplicateRecordError, effective=FEB_1, given=heard
    ),
    only_the_discipline_office_hears_statements=Refusal(
        PERSONNEL, HEARING, NotAuthorisedError, effective=JAN_20
    ),
    only_the_discipline_office_records_waivers=Refusal(
        INSPECTOR, WAIVER, NotAuthorisedError, effective=JAN_20
    ),
    a_statement_is_not_heard_in_the_future=by_discipline(
        LATE_HEARING, DateInFutureError, effective=JAN_20
    ),
    a_statement_is_heard_within_service=by_discipline(
        dataclasses.replace(HEARING, heard_on=date(2023, 12, 1)),
        InvalidDateRangeError,
        effective=JAN_20,
    ),
    a_heard_statement_has_a_text=by_discipline(
        dataclasses.replace(HEARING, statement=""), InvalidFieldError, effective=JAN_20
    ),
)
def test_statement_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_a_waived_statement_lets_the_decision_be_made(auxiliary: Auxiliary) -> None:
    heard(auxiliary, "S-2")
    waived(auxiliary, "S-1")
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction())
    assert auxiliary.sanctions["S-1"].kind.value == "warning"


def test_a_statement_is_heard_and_its_text_is_personal_data(auxiliary: Auxiliary) -> None:
    auxiliary.hear_statement(
        rec(DISCIPLINE, JAN_20),
        commands.HearStatement(
            sanction_id="S-1", heard_on=JAN_20, heard_by="纪检甲", statement="陈述"
        ),
    )
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.StatementHeard)
    assert (event.sanction_id, event.heard_on, event.heard_by) == ("S-1", JAN_20, "纪检甲")
    assert Auxiliary.StatementHeard.personal_fields == ("statement",)
    assert Auxiliary.StatementHeard.personal_subject == "originator_id"


def test_a_waiver_is_recorded_with_its_reference(auxiliary: Auxiliary) -> None:
    auxiliary.waive_statement(
        rec(DISCIPLINE, JAN_20),
        commands.WaiveStatement(sanction_id="S-1", waiver_reference="放弃书-1"),
    )
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.StatementWaived)
    assert (event.sanction_id, event.waiver_reference, event.effective) == (
        "S-1",
        "放弃书-1",
        JAN_20,
    )


def test_a_decision_follows_the_statement(auxiliary: Auxiliary) -> None:
    _decided(auxiliary)
    assert auxiliary.sanctions["S-1"].effective == FEB_1


# ------------------------------------------------------------------------------ appeals


def _appealed(auxiliary: Auxiliary) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction())
    auxiliary.appeal_sanction(
        rec(DISCIPLINE, FEB_1), commands.AppealSanction(sanction_id="S-1", grounds="g")
    )
    auxiliary.collect_events()


@refusals(
    the_office_that_imposed_does_not_decide_the_appeal=by_discipline(
        commands.DecideAppeal(sanction_id="S-1", upheld=True),
        NotAuthorisedError,
        message="only the police inspectorate may decide an appeal (Art. 18)",
        given=_appealed,
    ),
    # The same token id (the same person) in the inspectorate's role.
    the_person_who_imposed_does_not_decide_the_appeal=Refusal(
        Actor(DISCIPLINE.actor_id, "inspector", ORGAN_CODE, None),
        commands.DecideAppeal(sanction_id="S-1", upheld=False),
        SameDeciderError,
        says="person who imposed",
        given=_appealed,
    ),
)
def test_appeal_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_the_inspectorate_decides_an_appeal(auxiliary: Auxiliary) -> None:
    _appealed(auxiliary)
    auxiliary.decide_appeal(rec(INSPECTOR), commands.DecideAppeal(sanction_id="S-1", upheld=True))
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.AppealDecided)
    assert event.actor == INSPECTOR


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
        rec(DISCIPLINE, FEB_1), commands.AppealSanction(sanction_id="S-1", grounds="g")
    )
    auxiliary.collect_events()
    other = Actor("insp-02", "inspector", ORGAN_CODE, None)
    error = refused(
        auxiliary,
        SameDeciderError,
        auxiliary.decide_appeal,
        rec(other),
        commands.DecideAppeal(sanction_id="S-1", upheld=True),
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
        rec(DISCIPLINE, FEB_1),
        commands.ReferForProsecution(reference=reference, summary="涉嫌受贿"),
    )
    auxiliary.collect_events()


def _outcome(outcome: str, day: date = date(2024, 3, 1), reference: str = "R-1") -> Any:
    return commands.RecordReferralOutcome(
        reference=reference, outcome=outcome, outcome_reference="检-1", decided_on=day
    )


def _with_outcomes(*outcomes: str) -> Callable[[Auxiliary], None]:
    """Referral R-1 made, then the ``outcomes`` recorded in turn (events collected)."""

    def given(auxiliary: Auxiliary) -> None:
        _referred(auxiliary)
        for outcome in outcomes:
            auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome(outcome))
        auxiliary.collect_events()

    return given


@refusals(
    an_accepted_referral_is_not_accepted_again=by_discipline(
        _outcome("accepted"), InvalidTransitionError, given=_with_outcomes("accepted")
    ),
    **{
        f"a_judged_referral_is_final-{outcome}": Refusal(
            DISCIPLINE,
            _outcome(outcome),
            InvalidTransitionError,
            given=_with_outcomes("accepted", "judgement"),
        )
        for outcome in ("accepted", "declined", "judgement")
    },
    a_declined_referral_is_final=by_discipline(
        _outcome("judgement"), InvalidTransitionError, given=_with_outcomes("declined")
    ),
    an_outcome_needs_a_known_referral=by_discipline(_outcome("accepted"), UnknownReferralError),
    an_outcome_is_decided_after_the_referral=by_discipline(
        _outcome("accepted", day=JAN_20), InvalidDateRangeError, given=_referred
    ),
    an_outcome_is_a_closed_set=by_discipline(
        _outcome("acquitted"), InvalidFieldError, given=_referred
    ),
    only_the_discipline_office_records_an_outcome=Refusal(
        PERSONNEL, _outcome("accepted"), NotAuthorisedError, given=_referred
    ),
    a_referral_reference_is_used_once=by_discipline(
        commands.ReferForProsecution(reference="R-1", summary="again"),
        DuplicateRecordError,
        given=_referred,
    ),
)
def test_referral_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_an_accepted_referral_is_judged(auxiliary: Auxiliary) -> None:
    _referred(auxiliary)
    auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome("accepted"))
    assert auxiliary.referrals[0].outcome is ReferralOutcome.accepted
    auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome("judgement"))
    events = auxiliary.collect_events()
    assert [e.outcome for e in events] == ["accepted", "judgement"]  # type: ignore[attr-defined]
    referral = auxiliary.referrals[0]
    assert (referral.outcome, referral.outcome_reference, referral.outcome_on) == (
        ReferralOutcome.judgement,
        "检-1",
        date(2024, 3, 1),
    )


def test_outcomes_are_recorded_after_separation(auxiliary: Auxiliary) -> None:
    _referred(auxiliary)
    auxiliary.separate(rec(PERSONNEL, date(2024, 2, 20)), commands.Separate(reason="resigned"))
    auxiliary.collect_events()
    auxiliary.record_referral_outcome(rec(DISCIPLINE), _outcome("judgement"))
    assert auxiliary.referrals[0].outcome is ReferralOutcome.judgement


# ------------------------------------------------------------------- return to agency


@pytest.fixture
def dispatched(organ: Organ) -> Auxiliary:
    """A second auxiliary, hired through a labour-dispatch agency (events collected)."""
    auxiliary = hiring(
        organ, id=AUX_ID_2, employment_form="labour_dispatch", dispatch_agency="测试派遣公司"
    )()
    auxiliary.collect_events()
    return auxiliary


def test_a_dispatched_auxiliary_is_returned_to_the_agency(dispatched: Auxiliary) -> None:
    dispatched.return_to_agency(
        rec(PERSONNEL, date(2024, 3, 1)), commands.ReturnToAgency(return_grounds="考核不合格")
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
    assert commands.ReturnToAgency.releases_slot


def test_only_a_dispatched_auxiliary_is_returned_to_an_agency(
    auxiliary: Auxiliary, organ: Organ
) -> None:
    Refusal(
        PERSONNEL,
        commands.ReturnToAgency(return_grounds="g"),
        NotLabourDispatchError,
        says="Art. 8",
    ).check(auxiliary, organ)


@refusals(
    a_return_to_the_agency_needs_grounds=Refusal(
        PERSONNEL, commands.ReturnToAgency(return_grounds=""), InvalidFieldError
    ),
    a_return_to_the_agency_is_later_than_the_hire=Refusal(
        PERSONNEL,
        commands.ReturnToAgency(return_grounds="g"),
        InvalidDateRangeError,
        effective=date(2024, 1, 2),
    ),
    only_the_personnel_department_returns_to_the_agency=by_discipline(
        commands.ReturnToAgency(return_grounds="g"), NotAuthorisedError
    ),
    a_return_to_the_agency_is_no_plain_separation=Refusal(
        PERSONNEL, commands.Separate(reason="returned_to_agency"), InvalidFieldError
    ),
)
def test_return_to_agency_refusals(dispatched: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(dispatched, organ)
