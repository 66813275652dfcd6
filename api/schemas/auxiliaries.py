"""Bodies for hiring and for every later command on an auxiliary's record (Art. 7-18)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from api.schemas.common import (
    Code,
    CommandBody,
    Day,
    Flag,
    FreeText,
    PhoneNumber,
    RequestBody,
    ResidentId,
    ShortText,
    Whole,
)
from api.schemas.lifecycle import LifecyclePublic
from domain.commands import auxiliary as commands
from domain.values import (
    LABELS_ZH,
    AssessmentGrade,
    AuxiliaryStatus,
    CommendationKind,
    CostCategory,
    CredentialKind,
    CredentialStatus,
    EmploymentForm,
    Gender,
    InsuranceKind,
    LevelChangeReason,
    PostCategory,
    PostType,
    ReferralOutcome,
    SanctionKind,
    SeparationReason,
)

Level = Annotated[
    Whole, Field(ge=1, le=99, description="Level in the organ's level scheme (Art. 11)")
]
Year = Annotated[Whole, Field(ge=1990, le=2100)]
Money = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, description="Yuan")]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class HireCreate(CommandBody):
    """Hire an auxiliary into the token's organ (personnel department, Art. 8, 9)."""

    model_config = _examples(
        {
            "unit": "320602-001",
            "supervisor_id": "602010",
            "supervisor_name": "王建国",
            "employment_form": "direct_contract",
            "dispatch_agency": None,
            "contract_start": "2026-01-01",
            "contract_end": "2028-12-31",
            "post_type": "patrol",
            "level": 1,
            "name": "李明",
            "gender": "male",
            "resident_id": "320699199001011233",
            "phone": "19900001234",
            "address": "南通市崇川区人民路1号",
            "effective": "2026-01-01",
            "basis": "通公政〔2026〕1号",
        }
    )

    unit: Code
    supervisor_id: Code
    supervisor_name: ShortText
    employment_form: EmploymentForm
    dispatch_agency: ShortText | None = None
    contract_start: Day
    contract_end: Day
    post_type: PostType
    level: Level
    name: ShortText
    gender: Gender
    resident_id: ResidentId
    phone: PhoneNumber
    address: ShortText
    override_reason: FreeText | None = None
    """Why the hire goes ahead although the answer was ``prior_record_elsewhere``."""

    def command(self) -> commands.Hire:
        """The domain command."""
        return commands.Hire(
            unit=self.unit,
            supervisor_id=self.supervisor_id,
            supervisor_name=self.supervisor_name,
            employment_form=self.employment_form,
            dispatch_agency=self.dispatch_agency,
            contract_start=self.contract_start,
            contract_end=self.contract_end,
            post_type=self.post_type,
            level=self.level,
            name=self.name,
            gender=self.gender,
            resident_id=self.resident_id,
            phone=self.phone,
            address=self.address,
            override_reason=self.override_reason,
        )


class ContractRenewalCreate(CommandBody):
    """Renew the contract to a later end date (Art. 8)."""

    model_config = _examples({"contract_end": "2030-12-31", "basis": "续签合同"})
    contract_end: Day

    def command(self) -> commands.RenewContract:
        """The domain command."""
        return commands.RenewContract(contract_end=self.contract_end)


class PostChangeCreate(CommandBody):
    """Move the auxiliary to another post type (Art. 9)."""

    model_config = _examples({"post_type": "traffic", "effective": "2026-03-01"})
    post_type: PostType

    def command(self) -> commands.ChangePost:
        """The domain command."""
        return commands.ChangePost(post_type=self.post_type)


class TransferCreate(CommandBody):
    """Transfer to another unit of the same organ, with a new supervisor (Art. 9, 10)."""

    model_config = _examples(
        {"unit": "320602-002", "supervisor_id": "602020", "supervisor_name": "赵强"}
    )
    unit: Code
    supervisor_id: Code
    supervisor_name: ShortText

    def command(self) -> commands.Transfer:
        """The domain command."""
        return commands.Transfer(
            unit=self.unit, supervisor_id=self.supervisor_id, supervisor_name=self.supervisor_name
        )


class SupervisorAssignmentCreate(CommandBody):
    """Name the responsible supervising officer (Art. 10)."""

    model_config = _examples({"supervisor_id": "602011", "supervisor_name": "陈刚"})
    supervisor_id: Code
    supervisor_name: ShortText

    def command(self) -> commands.AssignSupervisor:
        """The domain command."""
        return commands.AssignSupervisor(
            supervisor_id=self.supervisor_id, supervisor_name=self.supervisor_name
        )


class SupervisorReleaseCreate(CommandBody):
    """End the current supervisor's responsibility, with the reason (Art. 10)."""

    model_config = _examples({"reason": "带辅民警调离"})
    reason: FreeText

    def command(self) -> commands.ReleaseSupervisor:
        """The domain command."""
        return commands.ReleaseSupervisor(reason=self.reason)


class EvaluationCreate(CommandBody):
    """Record the annual assessment (Art. 11)."""

    model_config = _examples({"year": 2025, "grade": "competent"})
    year: Year
    grade: AssessmentGrade

    def command(self) -> commands.Evaluate:
        """The domain command."""
        return commands.Evaluate(year=self.year, grade=self.grade)


class LevelChangeCreate(CommandBody):
    """Promote, demote or correct the level (Art. 11)."""

    model_config = _examples({"level": 2, "reason": "promotion"})
    level: Level
    reason: LevelChangeReason

    def command(self) -> commands.ChangeLevel:
        """The domain command."""
        return commands.ChangeLevel(level=self.level, reason=self.reason)


class CredentialIssueCreate(CommandBody):
    """Issue a work ID, uniform or insignia with its serial (Art. 12)."""

    model_config = _examples({"kind": "work_id", "serial": "NTFJ0602000001"})
    kind: CredentialKind
    serial: Code

    def command(self) -> commands.IssueCredential:
        """The domain command."""
        return commands.IssueCredential(kind=self.kind, serial=self.serial)


class CredentialRevocationCreate(CommandBody):
    """Revoke an issued credential (Art. 12)."""

    model_config = _examples({"kind": "work_id", "serial": "NTFJ0602000001", "reason": "遗失"})
    kind: CredentialKind
    serial: Code
    reason: FreeText

    def command(self) -> commands.RevokeCredential:
        """The domain command."""
        return commands.RevokeCredential(kind=self.kind, serial=self.serial, reason=self.reason)


class CredentialReturnCreate(CommandBody):
    """Record that a credential came back (Art. 12)."""

    model_config = _examples({"kind": "uniform", "serial": "FZ0602000001"})
    kind: CredentialKind
    serial: Code

    def command(self) -> commands.ReturnCredential:
        """The domain command."""
        return commands.ReturnCredential(kind=self.kind, serial=self.serial)


class InsuranceEnrolmentCreate(CommandBody):
    """Record an insurance or housing-fund enrolment (Art. 13)."""

    model_config = _examples(
        {
            "kind": "accident",
            "insurer": "中国人寿南通分公司",
            "policy_number": "YW0602000001",
            "start": "2026-01-01",
            "end": "2026-12-31",
        }
    )
    kind: InsuranceKind
    insurer: ShortText
    policy_number: Code
    start: Day
    end: Day | None = None

    def command(self) -> commands.EnrolInsurance:
        """The domain command."""
        return commands.EnrolInsurance(
            kind=self.kind,
            insurer=self.insurer,
            policy_number=self.policy_number,
            start=self.start,
            end=self.end,
        )


class HealthCheckCreate(CommandBody):
    """Record a periodic health check (Art. 13); fitness and details are personal data."""

    model_config = _examples({"checked_on": "2026-02-10", "fit": True, "details": "体检合格"})
    checked_on: Day
    fit: Flag
    details: FreeText

    def command(self) -> commands.RecordHealthCheck:
        """The domain command."""
        return commands.RecordHealthCheck(
            checked_on=self.checked_on, fit=self.fit, details=self.details
        )


class DutyInjuryCreate(CommandBody):
    """Record an injury on duty (Art. 14); medical details are personal data."""

    model_config = _examples(
        {"injury_id": "INJ-0602-0001", "occurred_on": "2026-02-01", "medical_details": "左腕扭伤"}
    )
    injury_id: Code
    occurred_on: Day
    medical_details: FreeText

    def command(self) -> commands.RecordDutyInjury:
        """The domain command."""
        return commands.RecordDutyInjury(
            injury_id=self.injury_id,
            occurred_on=self.occurred_on,
            medical_details=self.medical_details,
        )


class CostAdvanceCreate(CommandBody):
    """Record a cost the organ advanced for a duty injury (Art. 14)."""

    model_config = _examples(
        {"injury_id": "INJ-0602-0001", "category": "medical", "amount": "1280.50"}
    )
    injury_id: Code
    category: CostCategory
    amount: Money

    def command(self) -> commands.AdvanceCost:
        """The domain command."""
        return commands.AdvanceCost(
            injury_id=self.injury_id, category=self.category, amount=self.amount
        )


class InfringementCreate(CommandBody):
    """Record an unlawful infringement against the auxiliary or relatives (Art. 15)."""

    model_config = _examples(
        {
            "occurred_on": "2026-02-03",
            "description": "执勤时遭人辱骂推搡",
            "referred_to": "治安大队",
        }
    )
    occurred_on: Day
    description: FreeText
    referred_to: ShortText | None = None

    def command(self) -> commands.RecordInfringement:
        """The domain command."""
        return commands.RecordInfringement(
            occurred_on=self.occurred_on, description=self.description, referred_to=self.referred_to
        )


class CommendationCreate(CommandBody):
    """Record a commendation (Art. 16)."""

    model_config = _examples({"kind": "citation", "issuing_body": "南通市公安局崇川分局"})
    kind: CommendationKind
    issuing_body: ShortText

    def command(self) -> commands.Commend:
        """The domain command."""
        return commands.Commend(kind=self.kind, issuing_body=self.issuing_body)


class SanctionCreate(CommandBody):
    """Impose a sanction (Art. 18): the facts found, the reasons, the article relied on, the
    decision document number (文书编号) and the evidence, optionally linked to complaint
    findings. The auxiliary's statement and defence for this ``sanction_id`` must have been
    heard (``hear-statement``) or waived in writing (``waive-statement``) first."""

    model_config = _examples(
        {
            "sanction_id": "SAN-2026-001",
            "kind": "warning",
            "until": "2026-12-31",
            "linked_findings": ["0b9f8a56-8d0c-4a59-9d35-3c2f0d2f5a11:1"],
            "facts": "2026年3月5日执勤时未按规定着装，经查属实",
            "reasons": "违反辅警日常管理制度，情节较轻",
            "article": "Art. 18",
            "document_number": "通公纪〔2026〕12号",
            "evidence": ["询问笔录 2026-03-06", "执法记录仪视频 0305-01"],
        }
    )
    sanction_id: Code
    kind: SanctionKind
    until: Day | None = None
    linked_findings: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    facts: FreeText = Field(description="The facts found (认定事实)")
    reasons: FreeText = Field(description="The reasons for the decision (处理理由)")
    article: Annotated[str, Field(max_length=20)] = Field(
        description="The article of the measures relied on; one that allows sanctions: Art. 18"
    )
    document_number: Annotated[str, Field(max_length=40)] = Field(
        description="The decision document number (文书编号), e.g. 通公纪〔2026〕12号"
    )
    evidence: list[ShortText] = Field(
        min_length=1, max_length=50, description="References to the evidence relied on"
    )

    def command(self) -> commands.ImposeSanction:
        """The domain command."""
        return commands.ImposeSanction(
            sanction_id=self.sanction_id,
            kind=self.kind,
            until=self.until,
            linked_findings=self.linked_findings,
            facts=self.facts,
            reasons=self.reasons,
            article=self.article,
            document_number=self.document_number,
            evidence=self.evidence,
        )


class StatementHearingCreate(CommandBody):
    """Record the auxiliary's statement and defence (陈述申辩) in the case of the proposed
    sanction ``sanction_id``, before the decision (Art. 18). The statement is personal data."""

    model_config = _examples(
        {
            "sanction_id": "SAN-2026-001",
            "heard_on": "2026-03-10",
            "heard_by": "纪检监察室 张华",
            "statement": "本人承认未按规定着装，当日制服送洗，请求从轻处理",
        }
    )
    sanction_id: Code
    heard_on: Day
    heard_by: ShortText
    statement: FreeText

    def command(self) -> commands.HearStatement:
        """The domain command."""
        return commands.HearStatement(
            sanction_id=self.sanction_id,
            heard_on=self.heard_on,
            heard_by=self.heard_by,
            statement=self.statement,
        )


class StatementWaiverCreate(CommandBody):
    """Record the auxiliary's written waiver of the statement and defence in the case of the
    proposed sanction ``sanction_id`` (Art. 18); ``effective`` is the day of the waiver."""

    model_config = _examples(
        {"sanction_id": "SAN-2026-001", "waiver_reference": "放弃陈述申辩声明书 2026-03-10"}
    )
    sanction_id: Code
    waiver_reference: ShortText

    def command(self) -> commands.WaiveStatement:
        """The domain command."""
        return commands.WaiveStatement(
            sanction_id=self.sanction_id, waiver_reference=self.waiver_reference
        )


class SanctionAppealCreate(CommandBody):
    """Record an appeal against a sanction (Art. 18)."""

    model_config = _examples({"sanction_id": "SAN-2026-001", "grounds": "事实认定有误"})
    sanction_id: Code
    grounds: FreeText

    def command(self) -> commands.AppealSanction:
        """The domain command."""
        return commands.AppealSanction(sanction_id=self.sanction_id, grounds=self.grounds)


class AppealDecisionCreate(CommandBody):
    """Decide an appeal: upheld keeps the sanction, overturned lifts it (Art. 18)."""

    model_config = _examples({"sanction_id": "SAN-2026-001", "upheld": True})
    sanction_id: Code
    upheld: Flag

    def command(self) -> commands.DecideAppeal:
        """The domain command."""
        return commands.DecideAppeal(sanction_id=self.sanction_id, upheld=self.upheld)


class SanctionRevocationCreate(CommandBody):
    """Revoke a sanction in force (Art. 18)."""

    model_config = _examples({"sanction_id": "SAN-2026-001", "reason": "复查撤销"})
    sanction_id: Code
    reason: FreeText

    def command(self) -> commands.RevokeSanction:
        """The domain command."""
        return commands.RevokeSanction(sanction_id=self.sanction_id, reason=self.reason)


class ReinstatementCreate(CommandBody):
    """Reinstate a suspended auxiliary (Art. 18)."""

    model_config = _examples({"reason": "停职期满"})
    reason: FreeText

    def command(self) -> commands.Reinstate:
        """The domain command."""
        return commands.Reinstate(reason=self.reason)


class ProsecutionReferralCreate(CommandBody):
    """Refer a case for prosecution (Art. 18)."""

    model_config = _examples(
        {"reference": "通检移〔2026〕3号", "summary": "涉嫌受贿，移送检察机关"}
    )
    reference: ShortText = Field(
        description="The referral's document number or reference, as the referring letter "
        "names it; used once, and named again by its outcomes"
    )
    summary: FreeText

    def command(self) -> commands.ReferForProsecution:
        """The domain command."""
        return commands.ReferForProsecution(reference=self.reference, summary=self.summary)


class ReferralOutcomeCreate(CommandBody):
    """Record what became of a referral for prosecution (Art. 18): accepted, declined or a
    judgement, with the deciding body's reference and date. A declining or a judgement is
    final."""

    model_config = _examples(
        {
            "reference": "TJY-2026-3",
            "outcome": "judgement",
            "outcome_reference": "（2026）苏0602刑初88号",
            "decided_on": "2026-09-01",
        }
    )
    reference: ShortText
    outcome: ReferralOutcome
    outcome_reference: ShortText
    decided_on: Day

    def command(self) -> commands.RecordReferralOutcome:
        """The domain command."""
        return commands.RecordReferralOutcome(
            reference=self.reference,
            outcome=self.outcome,
            outcome_reference=self.outcome_reference,
            decided_on=self.decided_on,
        )


class AgencyReturnCreate(CommandBody):
    """Return a labour-dispatch auxiliary to the dispatch agency with grounds (Art. 8): a
    separation that releases the quota slot; ``effective`` is the first day not employed."""

    model_config = _examples(
        {"return_grounds": "年度考核不合格，退回派遣单位", "effective": "2026-07-01"}
    )
    return_grounds: FreeText

    def command(self) -> commands.ReturnToAgency:
        """The domain command."""
        return commands.ReturnToAgency(return_grounds=self.return_grounds)


class SeparationCreate(CommandBody):
    """Record the separation; ``effective`` is the first day no longer employed."""

    model_config = _examples({"reason": "resigned", "effective": "2026-06-30"})
    reason: SeparationReason

    def command(self) -> commands.Separate:
        """The domain command."""
        return commands.Separate(reason=self.reason)


class CorrectionCreate(CommandBody):
    """Correct a whitelisted field: a new event pointing at the event it corrects."""

    model_config = _examples(
        {"field": "phone", "value": "19900005678", "reason": "本人申请更正联系电话"}
    )
    field: Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]
    value: Annotated[str, Field(min_length=1, max_length=200)]
    reason: FreeText

    def command(self) -> commands.Correct:
        """The domain command; a contract date's value read as ``YYYY-MM-DD``
        (``ValidationError`` at ``value`` if it is not one), a gender's also as its Chinese
        label."""
        value: str | date = self.value
        if self.field in DATE_CORRECTIONS:
            value = _DATE_VALUE.validate_python({"value": self.value})["value"]
        elif self.field == "gender":  # 男 / 女, as a person types it, or the value itself
            value = _GENDER_BY_LABEL.get(self.value.strip(), self.value)
        return commands.Correct(field=self.field, value=value, reason=self.reason)


_GENDER_BY_LABEL = {label: value for value, label in LABELS_ZH[Gender].items()}
"""A gender's value by its Chinese label (男 → male)."""


DATE_CORRECTIONS = ("contract_start", "contract_end")
"""Correctable fields whose value is a date, sent as ``YYYY-MM-DD``."""


class _DateValue(TypedDict):
    value: Day


_DATE_VALUE = TypeAdapter(_DateValue)


class ResidentLookup(RequestBody):
    """Find an auxiliary by resident ID number (sent in the body, never in a URL)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"resident_id": "320699199001011233"}]}
    )
    resident_id: ResidentId


class CredentialPublic(BaseModel):
    """A credential (Art. 12)."""

    kind: CredentialKind
    serial: str
    issued_on: date
    status: CredentialStatus


class SanctionPublic(BaseModel):
    """A sanction and where it stands (Art. 18)."""

    sanction_id: str
    kind: SanctionKind
    effective: date
    until: date | None
    status: str
    appeal: str
    document_number: str | None = Field(
        default=None, description="The decision document number; None for older decisions"
    )


class AuxiliaryPublic(BaseModel):
    """An auxiliary's current record; personal fields as the reader may see them."""

    id: UUID
    version: int
    organ: str
    unit: str
    status: AuxiliaryStatus
    name: str
    gender: Gender
    hired_on: date
    employment_form: EmploymentForm
    dispatch_agency: str | None
    contract_start: Day
    contract_end: Day
    post_type: PostType
    post_category: PostCategory
    level: int
    supervisor_id: str | None
    supervisor_name: str | None
    separated_on: date | None
    separation_reason: SeparationReason | None
    credentials: list[CredentialPublic]
    sanctions: list[SanctionPublic]
    lifecycle: LifecyclePublic = Field(
        description="Leave, probation and training (Art. 8, 9, 13); not part of the status"
    )
    resident_id: str | None
    phone: str | None
    address: str | None
    personal_fields_in_clear: list[str] = Field(
        description="Which personal fields this answer shows unmasked (recorded as an access)"
    )
