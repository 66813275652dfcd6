"""Separation, and what may still be recorded after it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.auxiliary import Auxiliary
from domain.commands import auxiliary as aux_commands
from domain.commands import lifecycle as lifecycle_commands
from domain.errors import (
    AuxiliarySeparatedError,
    InvalidDateRangeError,
    InvalidFieldError,
    NotAuthorisedError,
)
from domain.holds import separated_for_cause
from domain.organ import Organ
from domain.values import Actor, AuxiliaryStatus, CredentialStatus, SeparationReason

from .decision_support import heard, sanction
from .refusals import Refusal, refusals
from .support import (
    AUX_ID_2,
    DAY,
    DISCIPLINE,
    INSPECTOR,
    PERSONNEL,
    UNIT_A_ACTOR,
    UNIT_B,
    cst,
    hire,
    hiring,
    rec,
    replay,
)

FEB_1 = date(2024, 2, 1)
FEB_20 = date(2024, 2, 20)


@pytest.fixture
def separated(auxiliary: Auxiliary) -> Auxiliary:
    """An auxiliary with a work ID, an injury and a sanction, separated from 20 February."""
    auxiliary.issue_credential(
        rec(PERSONNEL, FEB_1), aux_commands.IssueCredential(kind="work_id", serial="NT-000123")
    )
    auxiliary.record_duty_injury(
        rec(PERSONNEL, FEB_1),
        aux_commands.RecordDutyInjury(injury_id="INJ-1", occurred_on=FEB_1, medical_details="d"),
    )
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction())
    auxiliary.separate(rec(PERSONNEL, FEB_20), aux_commands.Separate(reason="resigned"))
    auxiliary.collect_events()
    return auxiliary


def test_separate(auxiliary: Auxiliary) -> None:
    auxiliary.separate(rec(PERSONNEL, FEB_20), aux_commands.Separate(reason="contract_ended"))
    assert auxiliary.status is AuxiliaryStatus.separated
    assert auxiliary.separated_on == FEB_20
    assert auxiliary.separation_reason is SeparationReason.contract_ended
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.Separated) and event.reason == "contract_ended"


def test_separation_ends_responsibility_on_its_effective_date(separated: Auxiliary) -> None:
    assert separated.responsibility_on(date(2024, 2, 19)) is not None
    assert separated.responsibility_on(FEB_20) is None
    assert not separated.employed_on(FEB_20)


def test_credentials_of_a_separated_auxiliary_are_not_active_but_unreturned(
    separated: Auxiliary,
) -> None:
    assert separated.active_credentials() == ()
    [credential] = separated.unreturned_credentials()
    assert credential.serial == "NT-000123"


def test_credentials_may_still_be_returned_and_revoked(separated: Auxiliary) -> None:
    separated.revoke_credential(
        rec(PERSONNEL),
        aux_commands.RevokeCredential(kind="work_id", serial="NT-000123", reason="离职"),
    )
    separated.return_credential(
        rec(PERSONNEL), aux_commands.ReturnCredential(kind="work_id", serial="NT-000123")
    )
    assert separated.credentials[0].status is CredentialStatus.returned
    assert separated.unreturned_credentials() == ()


def test_corrections_may_still_be_recorded(separated: Auxiliary) -> None:
    separated.correct(
        rec(PERSONNEL),
        aux_commands.Correct(field="name", value="测试辅警乙", reason="录入错误"),
        target_version=1,
        target_hash="sha256:" + "ab" * 32,
    )
    assert separated.name == "测试辅警乙"


@pytest.mark.parametrize("upheld", [True, False])
def test_an_appeal_pending_at_the_separation_is_still_decided(
    auxiliary: Auxiliary, upheld: bool
) -> None:
    """A resignation does not end an appeal against a demotion; once decided, upheld keeps the
    sanction and makes the separation one for cause, overturned lifts it."""
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction(kind="demotion"))
    auxiliary.appeal_sanction(
        rec(DISCIPLINE, FEB_1), aux_commands.AppealSanction(sanction_id="S-1", grounds="不服")
    )
    auxiliary.separate(rec(PERSONNEL, FEB_20), aux_commands.Separate(reason="resigned"))
    assert not separated_for_cause(auxiliary)
    auxiliary.decide_appeal(
        rec(INSPECTOR, date(2024, 3, 1)),
        aux_commands.DecideAppeal(sanction_id="S-1", upheld=upheld),
    )
    assert auxiliary.status is AuxiliaryStatus.separated
    assert separated_for_cause(auxiliary) is upheld
    assert [s.sanction_id for s in auxiliary.sanctions_in_force()] == (["S-1"] if upheld else [])


ALLOWED_AFTER_SEPARATION = {
    aux_commands.RevokeCredential,
    aux_commands.ReturnCredential,
    aux_commands.RecordReferralOutcome,
    aux_commands.DecideAppeal,
}
"""The auxiliary commands still accepted after separation (corrections are no
``AuxiliaryCommand``: the service finds the event a correction points at first)."""

REFUSED_AFTER_SEPARATION: list[tuple[Actor, aux_commands.AuxiliaryCommand]] = [
    (PERSONNEL, aux_commands.RenewContract(contract_end=date(2030, 1, 1))),
    (PERSONNEL, aux_commands.ChangePost(post_type="traffic")),
    (PERSONNEL, aux_commands.Transfer(unit=UNIT_B, supervisor_id="PO-2", supervisor_name="乙")),
    (PERSONNEL, aux_commands.AssignSupervisor(supervisor_id="PO-2", supervisor_name="乙")),
    (PERSONNEL, aux_commands.ReleaseSupervisor(reason="r")),
    (PERSONNEL, aux_commands.Evaluate(year=2024, grade="competent")),
    (PERSONNEL, aux_commands.ChangeLevel(level=2, reason="promotion")),
    (PERSONNEL, aux_commands.IssueCredential(kind="uniform", serial="U-1")),
    (
        PERSONNEL,
        aux_commands.EnrolInsurance(
            kind="medical", insurer="i", policy_number="p", start=FEB_1, end=None
        ),
    ),
    (PERSONNEL, aux_commands.RecordHealthCheck(checked_on=FEB_1, fit=True, details="d")),
    (
        PERSONNEL,
        aux_commands.RecordDutyInjury(injury_id="INJ-2", occurred_on=FEB_1, medical_details="d"),
    ),
    (
        PERSONNEL,
        aux_commands.AdvanceCost(injury_id="INJ-1", category="medical", amount=Decimal(10)),
    ),
    (
        PERSONNEL,
        aux_commands.RecordInfringement(occurred_on=FEB_1, description="d", referred_to=None),
    ),
    (PERSONNEL, aux_commands.Commend(kind="citation", issuing_body="b")),
    (PERSONNEL, lifecycle_commands.StartProbation(until=date(2024, 6, 1))),
    (PERSONNEL, lifecycle_commands.CompleteProbation(passed=True)),
    (
        PERSONNEL,
        lifecycle_commands.RecordTraining(
            course="c", kind="in_service", hours=8, start=FEB_1, end=FEB_1, passed=True
        ),
    ),
    (PERSONNEL, lifecycle_commands.StartLeave(leave_id="L-1", kind="annual", planned_end=DAY)),
    (PERSONNEL, lifecycle_commands.EndLeave(leave_id="L-1")),
    (DISCIPLINE, sanction(sanction_id="S-2")),
    (DISCIPLINE, aux_commands.AppealSanction(sanction_id="S-1", grounds="g")),
    (
        DISCIPLINE,
        aux_commands.HearStatement(sanction_id="S-3", heard_on=FEB_1, heard_by="h", statement="s"),
    ),
    (DISCIPLINE, aux_commands.WaiveStatement(sanction_id="S-3", waiver_reference="w")),
    (DISCIPLINE, aux_commands.RevokeSanction(sanction_id="S-1", reason="r")),
    (DISCIPLINE, aux_commands.Reinstate(reason="r")),
    (DISCIPLINE, aux_commands.ReferForProsecution(reference="r", summary="s")),
    (PERSONNEL, aux_commands.Separate(reason="retired")),
    (PERSONNEL, aux_commands.ReturnToAgency(return_grounds="g")),
]
"""Every other auxiliary command, with who would run it."""


def _auxiliary_commands(
    cls: type[aux_commands.AuxiliaryCommand] = aux_commands.AuxiliaryCommand,
) -> set[type]:
    """Every command class the code derives from ``cls`` (in the modules imported here)."""
    return {c for sub in cls.__subclasses__() for c in {sub, *_auxiliary_commands(sub)}}


def test_the_table_names_every_command_not_allowed_after_separation() -> None:
    refused_commands = {type(command) for _, command in REFUSED_AFTER_SEPARATION}
    assert refused_commands == _auxiliary_commands() - ALLOWED_AFTER_SEPARATION


@refusals(
    **{
        type(command).__name__: Refusal(
            actor, command, AuxiliarySeparatedError, says="has separated"
        )
        for actor, command in REFUSED_AFTER_SEPARATION
    }
)
def test_everything_else_is_refused_after_separation(
    separated: Auxiliary, organ: Organ, refusal: Refusal
) -> None:
    refusal.check(separated, organ)


def _level_changed_on_feb_20(auxiliary: Auxiliary) -> None:
    auxiliary.change_level(
        rec(PERSONNEL, FEB_20), aux_commands.ChangeLevel(level=2, reason="promotion")
    )
    auxiliary.collect_events()


@refusals(
    separation_is_later_than_the_hire=Refusal(
        PERSONNEL,
        aux_commands.Separate(reason="resigned"),
        InvalidDateRangeError,
        effective=date(2024, 1, 2),
    ),
    separation_is_later_than_every_change=Refusal(
        PERSONNEL,
        aux_commands.Separate(reason="resigned"),
        InvalidDateRangeError,
        effective=FEB_20,
        given=_level_changed_on_feb_20,
    ),
    separation_reason_is_a_closed_set=Refusal(
        PERSONNEL, aux_commands.Separate(reason="fired"), InvalidFieldError, field="reason"
    ),
    only_the_personnel_department_records_separation=Refusal(
        UNIT_A_ACTOR, aux_commands.Separate(reason="resigned"), NotAuthorisedError
    ),
)
def test_separation_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


MAR_10 = date(2024, 3, 10)


def _on_mar_10(command: aux_commands.AuxiliaryCommand, actor: Actor = PERSONNEL) -> Refusal:
    """A separation on 1 March refused after ``command`` was recorded effective 10 March."""

    def given(auxiliary: Auxiliary) -> None:
        if isinstance(command, aux_commands.ImposeSanction):
            heard(auxiliary, sanction_id=command.sanction_id, day=MAR_10)
        command.run(auxiliary, rec(actor, MAR_10), None)
        auxiliary.collect_events()

    return Refusal(
        PERSONNEL,
        aux_commands.Separate(reason="resigned"),
        InvalidDateRangeError,
        says="before a fact already recorded",
        effective=DAY,
        at=cst(MAR_10),
        given=given,
    )


@refusals(
    a_sanction=_on_mar_10(sanction(), DISCIPLINE),
    a_commendation=_on_mar_10(aux_commands.Commend(kind="citation", issuing_body="测试市公安局")),
    a_credential=_on_mar_10(aux_commands.IssueCredential(kind="work_id", serial="NT-000777")),
    a_statement=_on_mar_10(
        aux_commands.WaiveStatement(sanction_id="S-9", waiver_reference="放弃书-9"), DISCIPLINE
    ),
    a_referral=_on_mar_10(
        aux_commands.ReferForProsecution(reference="测检移〔2024〕9号", summary="s"), DISCIPLINE
    ),
    a_contract_renewal=_on_mar_10(aux_commands.RenewContract(contract_end=date(2030, 1, 1))),
)
def test_separation_is_not_earlier_than_any_fact_on_record(
    auxiliary: Auxiliary, organ: Organ, refusal: Refusal
) -> None:
    refusal.check(auxiliary, organ)


def test_a_return_to_the_agency_is_not_earlier_than_any_fact_on_record(organ: Organ) -> None:
    dispatched = hire(
        organ, id=AUX_ID_2, employment_form="labour_dispatch", dispatch_agency="测试派遣公司"
    )
    dispatched.commend(
        rec(PERSONNEL, MAR_10), aux_commands.Commend(kind="citation", issuing_body="b")
    )
    dispatched.collect_events()
    Refusal(
        PERSONNEL,
        aux_commands.ReturnToAgency(return_grounds="g"),
        InvalidDateRangeError,
        says="before a fact already recorded",
        at=cst(MAR_10),
    ).check(dispatched, organ)


def test_separation_on_the_day_of_the_last_fact_and_after_a_replay(organ: Organ) -> None:
    auxiliary = hiring(organ)()
    auxiliary.commend(
        rec(PERSONNEL, MAR_10), aux_commands.Commend(kind="citation", issuing_body="b")
    )
    replayed = replay(auxiliary.collect_events())
    Refusal(
        PERSONNEL,
        aux_commands.Separate(reason="resigned"),
        InvalidDateRangeError,
        at=cst(MAR_10),
    ).check(replayed, None)
    replayed.separate(rec(PERSONNEL, MAR_10), aux_commands.Separate(reason="resigned"))
    assert replayed.separated_on == MAR_10


def test_separation_after_the_last_change(auxiliary: Auxiliary) -> None:
    _level_changed_on_feb_20(auxiliary)
    auxiliary.separate(rec(PERSONNEL, DAY), aux_commands.Separate(reason="resigned"))
    assert auxiliary.separated_on == DAY


def test_a_refused_separation_names_the_date_to_follow_and_the_earliest_day(
    auxiliary: Auxiliary,
) -> None:
    """办理离职 on the day of a post change: the message names the change, its date and the
    first day a separation may take effect, not only the rule."""
    with pytest.raises(InvalidDateRangeError) as on_hire:
        auxiliary.separate(
            rec(PERSONNEL, date(2024, 1, 2)), aux_commands.Separate(reason="resigned")
        )
    assert "须晚于录用的日期（2024年01月02日），最早为2024年01月03日" in on_hire.value.zh
    auxiliary.change_post(
        rec(PERSONNEL, FEB_20), aux_commands.ChangePost(post_type="technical_support")
    )
    auxiliary.collect_events()
    with pytest.raises(InvalidDateRangeError) as same_day:
        auxiliary.separate(rec(PERSONNEL, FEB_20), aux_commands.Separate(reason="resigned"))
    assert (
        "须晚于最近一次岗位调整的日期（2024年02月20日），最早为2024年02月21日" in same_day.value.zh
    )
    assert "2024-02-20" in str(same_day.value) and "2024-02-21" in str(same_day.value)


def test_a_separation_before_a_recorded_fact_names_its_date(auxiliary: Auxiliary) -> None:
    auxiliary.commend(
        rec(PERSONNEL, MAR_10), aux_commands.Commend(kind="citation", issuing_body="b")
    )
    auxiliary.collect_events()
    with pytest.raises(InvalidDateRangeError) as refused:
        auxiliary.separate(
            rec(PERSONNEL, DAY, at=cst(MAR_10)), aux_commands.Separate(reason="resigned")
        )
    assert "最近一项的生效日期为2024年03月10日" in refused.value.zh
    assert "2024-03-10" in str(refused.value)
