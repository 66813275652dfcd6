"""Separation, and what may still be recorded after it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

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
    ImposeSanction,
    IssueCredential,
    RecordDutyInjury,
    RecordHealthCheck,
    RecordInfringement,
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
from domain.errors import (
    AuxiliarySeparatedError,
    InvalidDateRangeError,
    InvalidFieldError,
    NotAuthorisedError,
)
from domain.events import Recording
from domain.organ import Organ
from domain.values import AuxiliaryStatus, CredentialStatus, SeparationReason

from .decision_support import DECISION, INSPECTOR, heard
from .support import (
    DAY,
    DISCIPLINE,
    PERSONNEL,
    UNIT_A_ACTOR,
    UNIT_B,
    rec,
    refused,
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
    auxiliary.impose_sanction(
        rec(DISCIPLINE, FEB_1),
        ImposeSanction(
            sanction_id="S-1", kind="warning", until=None, linked_findings=[], **DECISION
        ),
    )
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


def _after_separation_commands(
    auxiliary: Auxiliary, organ: Organ
) -> list[tuple[Callable[..., object], Recording, AuxiliaryCommand, dict[str, Any]]]:
    personnel = rec(PERSONNEL)
    discipline = rec(DISCIPLINE)
    inspector = rec(INSPECTOR)
    return [
        (auxiliary.renew_contract, personnel, RenewContract(contract_end=date(2030, 1, 1)), {}),
        (auxiliary.change_post, personnel, ChangePost(post_type="traffic"), {}),
        (
            auxiliary.transfer,
            personnel,
            Transfer(unit=UNIT_B, supervisor_id="PO-2", supervisor_name="乙"),
            {"organ": organ},
        ),
        (
            auxiliary.assign_supervisor,
            personnel,
            AssignSupervisor(supervisor_id="PO-2", supervisor_name="乙"),
            {},
        ),
        (auxiliary.release_supervisor, personnel, ReleaseSupervisor(reason="r"), {}),
        (auxiliary.evaluate, personnel, Evaluate(year=2024, grade="competent"), {}),
        (auxiliary.change_level, personnel, ChangeLevel(level=2, reason="promotion"), {}),
        (auxiliary.issue_credential, personnel, IssueCredential(kind="uniform", serial="U-1"), {}),
        (
            auxiliary.enrol_insurance,
            personnel,
            EnrolInsurance(kind="medical", insurer="i", policy_number="p", start=FEB_1, end=None),
            {},
        ),
        (
            auxiliary.record_health_check,
            personnel,
            RecordHealthCheck(checked_on=FEB_1, fit=True, details="d"),
            {},
        ),
        (
            auxiliary.record_duty_injury,
            personnel,
            RecordDutyInjury(injury_id="INJ-2", occurred_on=FEB_1, medical_details="d"),
            {},
        ),
        (
            auxiliary.advance_cost,
            personnel,
            AdvanceCost(injury_id="INJ-1", category="medical", amount=Decimal(10)),
            {},
        ),
        (
            auxiliary.record_infringement,
            personnel,
            RecordInfringement(occurred_on=FEB_1, description="d", referred_to=None),
            {},
        ),
        (auxiliary.commend, personnel, Commend(kind="citation", issuing_body="b"), {}),
        (
            auxiliary.impose_sanction,
            discipline,
            ImposeSanction(
                sanction_id="S-2", kind="warning", until=None, linked_findings=[], **DECISION
            ),
            {},
        ),
        (auxiliary.appeal_sanction, discipline, AppealSanction(sanction_id="S-1", grounds="g"), {}),
        (auxiliary.decide_appeal, inspector, DecideAppeal(sanction_id="S-1", upheld=True), {}),
        (
            auxiliary.hear_statement,
            discipline,
            HearStatement(sanction_id="S-3", heard_on=FEB_1, heard_by="h", statement="s"),
            {},
        ),
        (
            auxiliary.waive_statement,
            discipline,
            WaiveStatement(sanction_id="S-3", waiver_reference="w"),
            {},
        ),
        (auxiliary.revoke_sanction, discipline, RevokeSanction(sanction_id="S-1", reason="r"), {}),
        (auxiliary.reinstate, discipline, Reinstate(reason="r"), {}),
        (
            auxiliary.refer_for_prosecution,
            discipline,
            ReferForProsecution(reference="r", summary="s"),
            {},
        ),
        (auxiliary.separate, personnel, Separate(reason="retired"), {}),
        (auxiliary.return_to_agency, personnel, ReturnToAgency(return_grounds="g"), {}),
    ]


def test_everything_else_is_refused_after_separation(separated: Auxiliary, organ: Organ) -> None:
    commands = _after_separation_commands(separated, organ)
    assert len(commands) == 24
    for command, attribution, arguments, context in commands:
        error = refused(
            separated, AuxiliarySeparatedError, command, attribution, arguments, **context
        )
        assert "has separated" in str(error)


def test_separation_is_later_than_the_hire_and_every_change(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.separate,
        rec(PERSONNEL, date(2024, 1, 2)),
        Separate(reason="resigned"),
    )
    auxiliary.change_level(rec(PERSONNEL, FEB_20), ChangeLevel(level=2, reason="promotion"))
    auxiliary.collect_events()
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.separate,
        rec(PERSONNEL, FEB_20),
        Separate(reason="resigned"),
    )
    auxiliary.separate(rec(PERSONNEL, DAY), Separate(reason="resigned"))
    assert auxiliary.separated_on == DAY


def test_separation_reason_is_a_closed_set(auxiliary: Auxiliary) -> None:
    error = refused(
        auxiliary, InvalidFieldError, auxiliary.separate, rec(PERSONNEL), Separate(reason="fired")
    )
    assert error.field == "reason"


def test_only_the_personnel_department_records_separation(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        NotAuthorisedError,
        auxiliary.separate,
        rec(UNIT_A_ACTOR),
        Separate(reason="resigned"),
    )
