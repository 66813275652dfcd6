"""Levels, contracts, credentials and welfare of an auxiliary (Art. 8, 11-16)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial

import pytest

from domain.auxiliary import (
    Auxiliary,
    CostAdvance,
    CredentialRecord,
    CredentialSerial,
    DutyInjury,
)
from domain.commands import auxiliary as commands
from domain.errors import (
    CredentialAlreadyActiveError,
    CredentialNotHeldError,
    DateInFutureError,
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    LevelOutOfSchemeError,
    NotAuthorisedError,
    OutsideScopeError,
    SerialAlreadyIssuedError,
    UnknownCredentialError,
    UnknownInjuryError,
)
from domain.organ import Organ
from domain.values import (
    AssessmentGrade,
    CommendationKind,
    CostCategory,
    CredentialKind,
    CredentialStatus,
    InsuranceKind,
)

from .refusals import Refusal, refusals
from .support import (
    DAY,
    OTHER_PERSONNEL,
    PERSONNEL,
    UNIT_A_ACTOR,
    UNIT_B_ACTOR,
    rec,
)

FEB_1 = date(2024, 2, 1)


# ------------------------------------------------------------------------ assessment


def test_evaluate_records_the_grade(auxiliary: Auxiliary) -> None:
    auxiliary.evaluate(rec(PERSONNEL), commands.Evaluate(year=2024, grade="excellent"))
    assert auxiliary.evaluations == {2024: AssessmentGrade.excellent}
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.Evaluated)
    assert (event.year, event.grade) == (2024, "excellent")


def _evaluated(auxiliary: Auxiliary) -> None:
    auxiliary.evaluate(rec(PERSONNEL), commands.Evaluate(year=2024, grade="competent"))
    auxiliary.collect_events()


by_personnel = partial(Refusal, PERSONNEL)
"""A refusal of a record the personnel department makes."""


@refusals(
    a_year_is_assessed_once=by_personnel(
        commands.Evaluate(year=2024, grade="excellent"), DuplicateRecordError, given=_evaluated
    ),
    the_assessed_year_lies_in_service_not_before=by_personnel(
        commands.Evaluate(year=2023, grade="competent"), InvalidDateRangeError
    ),
    the_assessed_year_lies_in_service_not_after=by_personnel(
        commands.Evaluate(year=2025, grade="competent"), InvalidDateRangeError
    ),
    the_grade_is_a_closed_set=by_personnel(
        commands.Evaluate(year=2024, grade="good"), InvalidFieldError, field="grade"
    ),
    only_the_personnel_department_assesses=Refusal(
        UNIT_A_ACTOR, commands.Evaluate(year=2024, grade="competent"), NotAuthorisedError
    ),
)
def test_assessment_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


# ---------------------------------------------------------------------------- levels


def test_promotion_and_demotion(auxiliary: Auxiliary) -> None:
    auxiliary.change_level(rec(PERSONNEL, FEB_1), commands.ChangeLevel(level=3, reason="promotion"))
    auxiliary.change_level(rec(PERSONNEL, DAY), commands.ChangeLevel(level=2, reason="demotion"))
    assert auxiliary.level == 2
    assert auxiliary.level_on(date(2024, 1, 31)) == 1
    assert auxiliary.level_on(FEB_1) == 3
    assert auxiliary.level_on(DAY) == 2
    events = auxiliary.collect_events()
    assert [(e.level, e.reason) for e in events] == [(3, "promotion"), (2, "demotion")]  # type: ignore[attr-defined]


def test_a_correction_may_move_either_way(auxiliary: Auxiliary) -> None:
    auxiliary.change_level(rec(PERSONNEL), commands.ChangeLevel(level=4, reason="correction"))
    assert auxiliary.level == 4


def test_a_backdated_promotion_is_judged_against_the_level_then(auxiliary: Auxiliary) -> None:
    auxiliary.change_level(rec(PERSONNEL, DAY), commands.ChangeLevel(level=3, reason="promotion"))
    # Level 2 from 1 February is a promotion over level 1, the level on 1 February.
    auxiliary.change_level(rec(PERSONNEL, FEB_1), commands.ChangeLevel(level=2, reason="promotion"))
    assert auxiliary.level_on(FEB_1) == 2
    assert auxiliary.level == 3


@refusals(
    a_promotion_must_raise_the_level=by_personnel(
        commands.ChangeLevel(level=1, reason="promotion"), InvalidFieldError, field="level"
    ),
    a_demotion_must_lower_the_level=by_personnel(
        commands.ChangeLevel(level=2, reason="demotion"), InvalidFieldError, field="level"
    ),
    a_correction_must_change_the_level=by_personnel(
        commands.ChangeLevel(level=1, reason="correction"), InvalidFieldError, field="level"
    ),
    the_new_level_lies_within_the_scheme=by_personnel(
        commands.ChangeLevel(level=11, reason="promotion"), LevelOutOfSchemeError
    ),
    the_reason_is_a_closed_set=by_personnel(
        commands.ChangeLevel(level=2, reason="seniority"), InvalidFieldError, field="reason"
    ),
    only_the_personnel_department_changes_levels=Refusal(
        UNIT_A_ACTOR, commands.ChangeLevel(level=2, reason="promotion"), NotAuthorisedError
    ),
    a_renewal_must_extend_the_contract=by_personnel(
        commands.RenewContract(contract_end=date(2026, 12, 31)), InvalidDateRangeError
    ),
)
def test_level_and_contract_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


# ---------------------------------------------------------------------------- contract


def test_renew_contract(auxiliary: Auxiliary) -> None:
    auxiliary.renew_contract(
        rec(PERSONNEL), commands.RenewContract(contract_end=date(2029, 12, 31))
    )
    assert auxiliary.contract_end == date(2029, 12, 31)
    assert auxiliary.field_version("contract_end") == 2
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.ContractRenewed)


# ------------------------------------------------------------------------- credentials


REVOKE = commands.RevokeCredential(kind="work_id", serial="NT-000123", reason="r")
RETURN = commands.ReturnCredential(kind="work_id", serial="NT-000123")
"""The revocation and the return of the work ID ``_issue`` issues by default."""


def _issue(auxiliary: Auxiliary, kind: str = "work_id", serial: str = "NT-000123") -> None:
    auxiliary.issue_credential(rec(PERSONNEL), commands.IssueCredential(kind=kind, serial=serial))
    auxiliary.collect_events()


def test_issue_credential(auxiliary: Auxiliary) -> None:
    auxiliary.issue_credential(
        rec(PERSONNEL), commands.IssueCredential(kind="work_id", serial="NT-000123")
    )
    assert auxiliary.active_credentials() == (
        CredentialRecord(CredentialKind.work_id, "NT-000123", DAY, CredentialStatus.active),
    )
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.CredentialIssued)
    assert (event.kind, event.serial) == ("work_id", "NT-000123")


def test_a_serial_is_claimed_for_the_whole_ledger(auxiliary: Auxiliary) -> None:
    auxiliary.issue_credential(
        rec(PERSONNEL), commands.IssueCredential(kind="work_id", serial="NT-000123")
    )
    claim = CredentialSerial.claim(
        rec(PERSONNEL), auxiliary=auxiliary, kind="work_id", serial="NT-000123"
    )
    [event] = claim.collect_events()
    assert isinstance(event, CredentialSerial.Claimed)
    assert (event.kind, event.serial, event.organ, event.auxiliary_id) == (
        "work_id",
        "NT-000123",
        auxiliary.organ,
        auxiliary.id,
    )
    # The id depends on the kind and serial alone: any other auxiliary's claim on the serial
    # is the same aggregate, whose version 1 the event store holds once.
    assert claim.id == CredentialSerial.id_for("work_id", "NT-000123")
    assert claim.id not in {
        CredentialSerial.id_for("uniform", "NT-000123"),
        CredentialSerial.id_for("work_id", "NT-000124"),
    }
    # Only a serial the auxiliary was issued can be claimed for it.
    with pytest.raises(UnknownCredentialError):
        CredentialSerial.claim(
            rec(PERSONNEL), auxiliary=auxiliary, kind="work_id", serial="NT-000124"
        )


def test_revoke_then_reissue(auxiliary: Auxiliary) -> None:
    _issue(auxiliary)
    auxiliary.revoke_credential(
        rec(PERSONNEL),
        commands.RevokeCredential(kind="work_id", serial="NT-000123", reason="遗失补办"),
    )
    assert auxiliary.active_credentials() == ()
    assert [c.status for c in auxiliary.unreturned_credentials()] == [CredentialStatus.revoked]
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.CredentialRevoked) and event.reason == "遗失补办"
    _issue(auxiliary, serial="NT-000124")
    assert [c.serial for c in auxiliary.active_credentials()] == ["NT-000124"]


def test_a_revoked_credential_may_still_be_returned(auxiliary: Auxiliary) -> None:
    _issue(auxiliary)
    auxiliary.revoke_credential(rec(PERSONNEL), REVOKE)
    auxiliary.return_credential(rec(PERSONNEL), RETURN)
    assert auxiliary.unreturned_credentials() == ()
    assert auxiliary.credentials[0].status is CredentialStatus.returned


def _issued_and_revoked(auxiliary: Auxiliary) -> None:
    _issue(auxiliary)
    auxiliary.revoke_credential(rec(PERSONNEL), REVOKE)
    auxiliary.collect_events()


def _issued_and_returned(auxiliary: Auxiliary) -> None:
    _issue(auxiliary)
    auxiliary.return_credential(rec(PERSONNEL), RETURN)
    auxiliary.collect_events()


@refusals(
    one_active_credential_of_a_kind_at_a_time=by_personnel(
        commands.IssueCredential(kind="work_id", serial="NT-000124"),
        CredentialAlreadyActiveError,
        says="Art. 12",
        given=_issue,
    ),
    a_credential_is_revoked_once=by_personnel(
        commands.RevokeCredential(kind="work_id", serial="NT-000123", reason="again"),
        CredentialNotHeldError,
        given=_issued_and_revoked,
    ),
    a_returned_credential_cannot_be_returned=by_personnel(
        RETURN, CredentialNotHeldError, given=_issued_and_returned
    ),
    a_returned_credential_cannot_be_revoked=by_personnel(
        REVOKE, CredentialNotHeldError, given=_issued_and_returned
    ),
    an_unknown_credential_is_not_returned=by_personnel(
        commands.ReturnCredential(kind="insignia", serial="NT-000123"),
        UnknownCredentialError,
        given=_issue,
    ),
    an_unknown_credential_is_not_revoked=by_personnel(
        commands.RevokeCredential(kind="work_id", serial="NT-999999", reason="r"),
        UnknownCredentialError,
        given=_issue,
    ),
    the_credential_kind_is_checked=by_personnel(
        commands.IssueCredential(kind="badge", serial="B-1"), InvalidFieldError, field="kind"
    ),
    the_credential_serial_is_checked=by_personnel(
        commands.IssueCredential(kind="work_id", serial="NT 1"), InvalidFieldError, field="serial"
    ),
    only_the_personnel_department_issues_credentials=Refusal(
        UNIT_A_ACTOR, commands.IssueCredential(kind="work_id", serial="NT-1"), NotAuthorisedError
    ),
    another_organ_may_not_issue_credentials=Refusal(
        OTHER_PERSONNEL, commands.IssueCredential(kind="work_id", serial="NT-1"), OutsideScopeError
    ),
)
def test_credential_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_a_credential_of_another_kind_may_be_issued_while_one_is_active(
    auxiliary: Auxiliary,
) -> None:
    _issue(auxiliary)
    _issue(auxiliary, kind="uniform", serial="U-1")
    assert {c.kind for c in auxiliary.active_credentials()} == {
        CredentialKind.work_id,
        CredentialKind.uniform,
    }


def test_a_serial_is_issued_once(auxiliary: Auxiliary, organ: Organ) -> None:
    error = Refusal(
        PERSONNEL,
        commands.IssueCredential(kind="work_id", serial="NT-000123"),
        SerialAlreadyIssuedError,
        says="returned",
        given=_issued_and_returned,
    ).check(auxiliary, organ)
    assert error.code == "serial_already_issued"


# --------------------------------------------------------------------------- insurance


def test_enrol_insurance(auxiliary: Auxiliary) -> None:
    auxiliary.enrol_insurance(
        rec(PERSONNEL),
        commands.EnrolInsurance(
            kind="accident",
            insurer="测试保险公司",
            policy_number="PA-2024-001",
            start=date(2024, 1, 2),
            end=date(2025, 1, 1),
        ),
    )
    auxiliary.enrol_insurance(
        rec(PERSONNEL),
        commands.EnrolInsurance(
            kind=InsuranceKind.housing_fund,
            insurer="测试公积金中心",
            policy_number="HF-1",
            start=date(2024, 1, 2),
            end=None,
        ),
    )
    assert [(i.kind, i.end) for i in auxiliary.insurance] == [
        (InsuranceKind.accident, date(2025, 1, 1)),
        (InsuranceKind.housing_fund, None),
    ]


# ------------------------------------------------------------------------ health check


def test_record_health_check(auxiliary: Auxiliary) -> None:
    auxiliary.record_health_check(
        rec(PERSONNEL),
        commands.RecordHealthCheck(checked_on=date(2024, 2, 20), fit=True, details="各项指标正常"),
    )
    [check] = auxiliary.health_checks
    assert (check.checked_on, check.fit, check.details) == (date(2024, 2, 20), True, "各项指标正常")
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.HealthChecked)
    assert Auxiliary.HealthChecked.personal_fields == ("fit", "details")


@refusals(
    insurance_must_end_after_it_starts=by_personnel(
        commands.EnrolInsurance(
            kind="medical",
            insurer="测试医保",
            policy_number="M-1",
            start=date(2024, 1, 2),
            end=date(2024, 1, 2),
        ),
        InvalidDateRangeError,
    ),
    insurance_kind_is_a_closed_set=by_personnel(
        commands.EnrolInsurance(
            kind="life", insurer="测试", policy_number="L-1", start=date(2024, 1, 2), end=None
        ),
        InvalidFieldError,
    ),
    a_health_check_cannot_be_in_the_future=by_personnel(
        commands.RecordHealthCheck(checked_on=date(2024, 3, 2), fit=True, details="d"),
        DateInFutureError,
        field="checked_on",
    ),
    health_check_fitness_is_checked=by_personnel(
        commands.RecordHealthCheck(checked_on=date(2024, 2, 20), fit=1, details="d"),
        InvalidFieldError,
        field="fit",
    ),
    health_check_details_are_checked=by_personnel(
        commands.RecordHealthCheck(checked_on=date(2024, 2, 20), fit=True, details="x" * 4001),
        InvalidFieldError,
        field="details",
    ),
)
def test_insurance_and_health_check_refusals(
    auxiliary: Auxiliary, organ: Organ, refusal: Refusal
) -> None:
    refusal.check(auxiliary, organ)


# ------------------------------------------------------------------------ duty injury


def _injure(auxiliary: Auxiliary, injury_id: str = "INJ-1") -> None:
    auxiliary.record_duty_injury(
        rec(UNIT_A_ACTOR),
        commands.RecordDutyInjury(
            injury_id=injury_id, occurred_on=date(2024, 2, 28), medical_details="左腕骨折"
        ),
    )
    auxiliary.collect_events()


def _injury(occurred_on: date = date(2024, 2, 28)) -> commands.RecordDutyInjury:
    """The command recording duty injury INJ-1, occurring on ``occurred_on``."""
    return commands.RecordDutyInjury(
        injury_id="INJ-1", occurred_on=occurred_on, medical_details="d"
    )


def test_duty_injury_and_cost_advances(auxiliary: Auxiliary) -> None:
    _injure(auxiliary)
    auxiliary.advance_cost(
        rec(PERSONNEL),
        commands.AdvanceCost(injury_id="INJ-1", category="medical", amount=Decimal("1250.50")),
    )
    auxiliary.advance_cost(
        rec(PERSONNEL),
        commands.AdvanceCost(injury_id="INJ-1", category="transport", amount=Decimal("80")),
    )
    injury = auxiliary.injuries["INJ-1"]
    assert injury == DutyInjury(
        "INJ-1",
        date(2024, 2, 28),
        "左腕骨折",
        (
            CostAdvance(CostCategory.medical, Decimal("1250.50"), DAY),
            CostAdvance(CostCategory.transport, Decimal("80"), DAY),
        ),
    )
    assert injury.advanced_total == Decimal("1330.50")
    assert Auxiliary.DutyInjuryRecorded.personal_fields == ("medical_details",)


@refusals(
    another_unit_may_not_record_an_injury=Refusal(UNIT_B_ACTOR, _injury(), OutsideScopeError),
    an_injury_id_is_used_once=by_personnel(_injury(), DuplicateRecordError, given=_injure),
    an_injury_occurs_in_service=by_personnel(_injury(date(2024, 1, 1)), InvalidDateRangeError),
    an_injury_does_not_occur_in_the_future=by_personnel(
        _injury(date(2024, 3, 2)), DateInFutureError
    ),
    a_cost_needs_a_recorded_injury=by_personnel(
        commands.AdvanceCost(injury_id="INJ-9", category="medical", amount=Decimal(100)),
        UnknownInjuryError,
    ),
    cost_category_is_a_closed_set=by_personnel(
        commands.AdvanceCost(injury_id="INJ-1", category="meals", amount=Decimal(10)),
        InvalidFieldError,
        field="category",
        given=_injure,
    ),
)
def test_duty_injury_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(-5), Decimal("1.005"), 100.0, 100])
def test_a_cost_is_a_positive_amount_in_fen(
    auxiliary: Auxiliary, organ: Organ, amount: object
) -> None:
    Refusal(
        PERSONNEL,
        commands.AdvanceCost(injury_id="INJ-1", category="medical", amount=amount),
        InvalidFieldError,
        field="amount",
        given=_injure,
    ).check(auxiliary, organ)


# ------------------------------------------------------------------- infringement, awards


def test_record_infringement(auxiliary: Auxiliary) -> None:
    auxiliary.record_infringement(
        rec(UNIT_A_ACTOR),
        commands.RecordInfringement(
            occurred_on=date(2024, 2, 27),
            description="执勤时遭人推搡",
            referred_to="测试市公安局法制大队",
        ),
    )
    auxiliary.record_infringement(
        rec(PERSONNEL),
        commands.RecordInfringement(
            occurred_on=date(2024, 2, 28), description="亲属遭威胁", referred_to=None
        ),
    )
    assert [i.referred_to for i in auxiliary.infringements] == ["测试市公安局法制大队", None]


def test_commend(auxiliary: Auxiliary) -> None:
    auxiliary.commend(
        rec(PERSONNEL), commands.Commend(kind="merit_third", issuing_body="测试市公安局")
    )
    [commendation] = auxiliary.commendations
    assert (commendation.kind, commendation.issuing_body) == (
        CommendationKind.merit_third,
        "测试市公安局",
    )


@refusals(
    an_infringement_occurs_in_service=by_personnel(
        commands.RecordInfringement(
            occurred_on=date(2023, 12, 31), description="d", referred_to=None
        ),
        InvalidDateRangeError,
    ),
    only_the_personnel_department_commends=Refusal(
        UNIT_A_ACTOR,
        commands.Commend(kind="citation", issuing_body="测试派出所甲"),
        NotAuthorisedError,
        message="only the organ's personnel department may record a commendation (Art. 16)",
    ),
    commendation_kind_is_a_closed_set=by_personnel(
        commands.Commend(kind="medal", issuing_body="测试市公安局"), InvalidFieldError
    ),
    no_record_may_take_effect_before_the_hire=by_personnel(
        commands.Commend(kind="citation", issuing_body="测试市公安局"),
        InvalidDateRangeError,
        message="effective date precedes the hire's effective date, 2024-01-02",
        effective=date(2024, 1, 1),
    ),
)
def test_infringement_and_commendation_refusals(
    auxiliary: Auxiliary, organ: Organ, refusal: Refusal
) -> None:
    refusal.check(auxiliary, organ)


def test_counts_summarise_the_records(auxiliary: Auxiliary) -> None:
    _issue(auxiliary)
    _injure(auxiliary)
    auxiliary.commend(
        rec(PERSONNEL), commands.Commend(kind="citation", issuing_body="测试市公安局")
    )
    assert auxiliary.counts == {
        "evaluations": 0,
        "credentials_active": 1,
        "credentials_unreturned": 1,
        "insurance_enrolments": 0,
        "health_checks": 0,
        "duty_injuries": 1,
        "infringements": 0,
        "commendations": 1,
        "sanctions": 0,
        "sanctions_in_force": 0,
        "referrals": 0,
        "corrections": 0,
    }
