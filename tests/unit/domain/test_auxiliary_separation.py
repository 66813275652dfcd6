"""Separation, and what may still be recorded after it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import (
    AdvanceCost,
    AppealSanction,
    AssignSupervisor,
    AuxiliaryCommand,
    ChangeLevel,
    ChangePost,
    Commend,
    Correct,
    DecideAppeal,
    EnrolInsurance,
    Evaluate,
    HearStatement,
    IssueCredential,
    RecordDutyInjury,
    RecordHealthCheck,
    RecordInfringement,
    RecordReferralOutcome,
    ReferForProsecution,
    Reinstate,
    ReleaseSupervisor,
    RenewContract,
    ReturnCredential,
    ReturnToAgency,
    RevokeCredential,
    RevokeSanction,
    Separate,
    Transfer,
    WaiveStatement,
)
from domain.commands.lifecycle import (
    CompleteProbation,
    EndLeave,
    RecordTraining,
    StartLeave,
    StartProbation,
)
from domain.errors import (
    AuxiliarySeparatedError,
    InvalidDateRangeError,
    InvalidFieldError,
    NotAuthorisedError,
)
from domain.organ import Organ
from domain.values import Actor, AuxiliaryStatus, CredentialStatus, SeparationReason

from .decision_support import INSPECTOR, heard, sanction
from .refusals import Refusal, refusals
from .support import (
    DAY,
    DISCIPLINE,
    PERSONNEL,
    UNIT_A_ACTOR,
    UNIT_B,
    rec,
)

FEB_1 = date(2024, 2, 1)
FEB_20 = date(2024, 2, 20)


@pytest.fixture
def separated(auxiliary: Auxiliary) -> Auxiliary:
    """An auxiliary with a work ID, an injury and a sanction, separated from 20 February."""
    auxiliary.issue_credential(
        rec(PERSONNEL, FEB_1), IssueCredential(kind="work_id", serial="NT-000123")
    )
    auxiliary.record_duty_injury(
        rec(PERSONNEL, FEB_1),
        RecordDutyInjury(injury_id="INJ-1", occurred_on=FEB_1, medical_details="d"),
    )
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction())
    auxiliary.separate(rec(PERSONNEL, FEB_20), Separate(reason="resigned"))
    auxiliary.collect_events()
    return auxiliary


def test_separate(auxiliary: Auxiliary) -> None:
    auxiliary.separate(rec(PERSONNEL, FEB_20), Separate(reason="contract_ended"))
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
        rec(PERSONNEL), RevokeCredential(kind="work_id", serial="NT-000123", reason="离职")
    )
    separated.return_credential(
        rec(PERSONNEL), ReturnCredential(kind="work_id", serial="NT-000123")
    )
    assert separated.credentials[0].status is CredentialStatus.returned
    assert separated.unreturned_credentials() == ()


def test_corrections_may_still_be_recorded(separated: Auxiliary) -> None:
    separated.correct(
        rec(PERSONNEL),
        Correct(field="name", value="测试辅警乙", reason="录入错误"),
        target_version=1,
        target_hash="sha256:" + "ab" * 32,
    )
    assert separated.name == "测试辅警乙"


ALLOWED_AFTER_SEPARATION = {RevokeCredential, ReturnCredential, RecordReferralOutcome}
"""The auxiliary commands still accepted after separation (corrections are no
``AuxiliaryCommand``: the service finds the event a correction points at first)."""

REFUSED_AFTER_SEPARATION: list[tuple[Actor, AuxiliaryCommand]] = [
    (PERSONNEL, RenewContract(contract_end=date(2030, 1, 1))),
    (PERSONNEL, ChangePost(post_type="traffic")),
    (PERSONNEL, Transfer(unit=UNIT_B, supervisor_id="PO-2", supervisor_name="乙")),
    (PERSONNEL, AssignSupervisor(supervisor_id="PO-2", supervisor_name="乙")),
    (PERSONNEL, ReleaseSupervisor(reason="r")),
    (PERSONNEL, Evaluate(year=2024, grade="competent")),
    (PERSONNEL, ChangeLevel(level=2, reason="promotion")),
    (PERSONNEL, IssueCredential(kind="uniform", serial="U-1")),
    (
        PERSONNEL,
        EnrolInsurance(kind="medical", insurer="i", policy_number="p", start=FEB_1, end=None),
    ),
    (PERSONNEL, RecordHealthCheck(checked_on=FEB_1, fit=True, details="d")),
    (PERSONNEL, RecordDutyInjury(injury_id="INJ-2", occurred_on=FEB_1, medical_details="d")),
    (PERSONNEL, AdvanceCost(injury_id="INJ-1", category="medical", amount=Decimal(10))),
    (PERSONNEL, RecordInfringement(occurred_on=FEB_1, description="d", referred_to=None)),
    (PERSONNEL, Commend(kind="citation", issuing_body="b")),
    (PERSONNEL, StartProbation(until=date(2024, 6, 1))),
    (PERSONNEL, CompleteProbation(passed=True)),
    (
        PERSONNEL,
        RecordTraining(course="c", kind="in_service", hours=8, start=FEB_1, end=FEB_1, passed=True),
    ),
    (PERSONNEL, StartLeave(leave_id="L-1", kind="annual", planned_end=DAY)),
    (PERSONNEL, EndLeave(leave_id="L-1")),
    (DISCIPLINE, sanction(sanction_id="S-2")),
    (DISCIPLINE, AppealSanction(sanction_id="S-1", grounds="g")),
    (INSPECTOR, DecideAppeal(sanction_id="S-1", upheld=True)),
    (DISCIPLINE, HearStatement(sanction_id="S-3", heard_on=FEB_1, heard_by="h", statement="s")),
    (DISCIPLINE, WaiveStatement(sanction_id="S-3", waiver_reference="w")),
    (DISCIPLINE, RevokeSanction(sanction_id="S-1", reason="r")),
    (DISCIPLINE, Reinstate(reason="r")),
    (DISCIPLINE, ReferForProsecution(reference="r", summary="s")),
    (PERSONNEL, Separate(reason="retired")),
    (PERSONNEL, ReturnToAgency(return_grounds="g")),
]
"""Every other auxiliary command, with who would run it."""


def _auxiliary_commands(cls: type[AuxiliaryCommand] = AuxiliaryCommand) -> set[type]:
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
    auxiliary.change_level(rec(PERSONNEL, FEB_20), ChangeLevel(level=2, reason="promotion"))
    auxiliary.collect_events()


@refusals(
    separation_is_later_than_the_hire=Refusal(
        PERSONNEL, Separate(reason="resigned"), InvalidDateRangeError, effective=date(2024, 1, 2)
    ),
    separation_is_later_than_every_change=Refusal(
        PERSONNEL,
        Separate(reason="resigned"),
        InvalidDateRangeError,
        effective=FEB_20,
        given=_level_changed_on_feb_20,
    ),
    separation_reason_is_a_closed_set=Refusal(
        PERSONNEL, Separate(reason="fired"), InvalidFieldError, field="reason"
    ),
    only_the_personnel_department_records_separation=Refusal(
        UNIT_A_ACTOR, Separate(reason="resigned"), NotAuthorisedError
    ),
)
def test_separation_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_separation_after_the_last_change(auxiliary: Auxiliary) -> None:
    _level_changed_on_feb_20(auxiliary)
    auxiliary.separate(rec(PERSONNEL, DAY), Separate(reason="resigned"))
    assert auxiliary.separated_on == DAY
