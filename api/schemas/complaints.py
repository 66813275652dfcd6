"""Bodies of the public complaint intake, its receipt and tracking, and complaint handling."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.common import (
    Code,
    CommandBody,
    Day,
    FreeText,
    Moment,
    PhoneNumber,
    RecordedPublic,
    RequestBody,
    ResidentId,
    ShortText,
    Whole,
    WorkId,
)
from domain.commands import complaint as commands
from domain.complaint import MAX_ALLEGATIONS
from domain.values import (
    ComplaintChannel,
    ComplaintStatus,
    FindingResult,
    NotificationMethod,
    OutboundChannel,
    ReviewOutcome,
)


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ComplaintCreate(RequestBody):
    """A complaint or report about an auxiliary (Art. 17), from anyone, without credentials.

    Name the auxiliary by the number on the work ID (``work_id``), or by name and unit
    (``auxiliary_name`` and ``unit``, the code or name of the unit served in on the incident
    date).
    """

    model_config = ConfigDict(
        json_schema_extra={
            # The work ID of the first auxiliary of `auxledger demo` (any size, seed 1), so
            # "Try it out" in /docs files a complaint against the ledger `scripts/run` loads.
            "examples": [
                {
                    "work_id": "NTFJ0600000000",
                    "incident_at": "2026-11-20T09:30:00+08:00",
                    "incident_place": "南通市崇川区人民路与青年路路口",
                    "allegations": ["执勤时态度恶劣，言语粗暴"],
                    "complainant_name": "张三",
                    "complainant_phone": "19900001111",
                    "contact_text": "工作日白天可电话联系",
                }
            ]
        }
    )

    work_id: WorkId | None = Field(
        default=None, description="The number on the work ID, in any case (read in capitals)"
    )
    auxiliary_name: ShortText | None = Field(default=None, description="With `unit`")
    unit: ShortText | None = Field(
        default=None,
        description="Code or name of the unit served in on the incident date, with a name",
    )
    incident_at: Moment = Field(description="When it happened, with a time zone")
    incident_place: ShortText
    allegations: list[FreeText] = Field(min_length=1, max_length=MAX_ALLEGATIONS)
    complainant_name: ShortText | None = None
    complainant_phone: PhoneNumber | None = None
    complainant_resident_id: ResidentId | None = None
    complainant_address: ShortText | None = None
    contact_text: FreeText | None = None

    @model_validator(mode="after")
    def _names_one_auxiliary(self) -> Self:
        by_work_id = self.work_id is not None
        by_name = self.auxiliary_name is not None or self.unit is not None
        if by_work_id == by_name:
            raise ValueError("name the auxiliary either by work_id or by auxiliary_name and unit")
        if by_name and (self.auxiliary_name is None or self.unit is None):
            raise ValueError("naming the auxiliary by name needs both auxiliary_name and unit")
        return self


class ReceiptEventPublic(BaseModel):
    """The intake event as recorded."""

    originator_id: UUID
    originator_version: int
    hash: str = Field(description="Hex SHA-256 of the exact signed record")
    leaf_hash: str = Field(description="Hex RFC 9162 leaf hash: SHA-256(0x00 ‖ record)")


class ReceiptPublic(BaseModel):
    """The signed receipt of an intake: keep it; the tracking code is shown only here."""

    complaint_id: UUID
    tracking_code: str = Field(
        description="XXXX-XXXX-XXXX-XXXX-C: 16 Crockford base32 symbols and a check symbol, "
        "shown only in this answer; the ledger keeps only its hash"
    )
    event: ReceiptEventPublic
    key_id: str = Field(description="8 hex digits: the C2SP key id of the signing key")
    recorded_at: str = Field(
        description="ISO 8601 instant (UTC) the intake was recorded, as signed"
    )
    signature: str = Field(
        description="Base64 Ed25519 over b'auxledger/receipt/v1\\n' ‖ canonical JSON of every "
        "other field (docs/api.md)"
    )


class InclusionPublic(BaseModel):
    """An RFC 9162 inclusion proof of a leaf in the tree of a checkpoint."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str] = Field(description="Base64 node hashes, leaf to root")
    checkpoint: str = Field(description="The signed checkpoint (C2SP note) the proof is against")


class FindingPublic(BaseModel):
    """The finding on one allegation."""

    allegation_number: int
    result: FindingResult


class ComplaintResultPublic(BaseModel):
    """What the complainant was told (Art. 17)."""

    notified_on: Day
    method: NotificationMethod
    summary: str
    findings: list[FindingPublic]


class ReviewPublic(BaseModel):
    """The review (复查) of the result, as the complainant sees it."""

    requested_on: date
    due: date = Field(description="The last day for the decision")
    outcome: ReviewOutcome | None = Field(description="None while pending")
    outcome_zh: str | None
    decided_on: date | None


class ComplaintTrackPublic(BaseModel):
    """Where a complaint stands, for whoever holds its tracking code."""

    complaint_id: UUID
    status: ComplaintStatus
    status_zh: str = Field(description="The status in Chinese")
    received_on: date
    expected: list[ExpectedDatePublic] = Field(
        description="The dates the next steps are due (policy deadlines), in Chinese"
    )
    review: ReviewPublic | None = Field(description="The review (复查) of this round's result")
    review_until: date | None = Field(
        description="The last day a review may be asked for; None when none may be"
    )
    result: ComplaintResultPublic | None = Field(
        description="Present once the complainant has been told the result"
    )
    inclusion: InclusionPublic | None = Field(
        description="The intake event's inclusion proof against the latest checkpoint"
    )


class ExpectedDatePublic(BaseModel):
    """A step still to come and the day it is due."""

    step: str = Field(description="The step, in Chinese")
    due: date


class TrackRequestPublic(RequestBody):
    """The tracking code, in a body: ``POST /v1/complaints/track`` keeps it out of URLs."""

    model_config = _examples({"tracking_code": "XXXX-XXXX-XXXX-XXXX-C"})
    tracking_code: str = Field(
        max_length=80,
        description="The code on the receipt, in any case, with or without hyphens",
    )


class ReviewRequestPublic(RequestBody):
    """Ask for a review (复查) of the result, with the reasons (personal data, sealed)."""

    model_config = _examples({"reasons": "对第2项结论不服，有新的目击者"})
    reasons: FreeText

    def command(self) -> commands.RequestReview:
        """The domain command."""
        return commands.RequestReview(reasons=self.reasons)


class AllegationPublic(BaseModel):
    """One numbered allegation."""

    number: int
    text: str


class ResponsibilityPublic(BaseModel):
    """Who answered for the auxiliary on the incident date (Art. 10, 17)."""

    organ: str
    unit: str
    supervisor_id: str | None
    supervisor_name: str | None


class ComplaintPublic(BaseModel):
    """A complaint's record for the complaints office, inspectors and discipline."""

    id: UUID
    version: int
    status: ComplaintStatus
    channel: str
    auxiliary_id: UUID | None = Field(description="None while the complaint names no auxiliary")
    responsibility: ResponsibilityPublic | None = Field(
        description="Who answered for the auxiliary on the incident date; None while unnamed"
    )
    incident_at: datetime
    incident_place: str
    allegations: list[AllegationPublic]
    received_on: date
    due: date | None = Field(
        description="The date the investigator was given in the current round; None until an"
        " investigator is assigned, and again after a reopening until one is assigned anew"
    )
    round: int
    findings: list[FindingPublic]
    complainant_name: str | None
    complainant_phone: str | None
    complainant_resident_id: str | None
    complainant_address: str | None
    contact_text: str | None
    personal_fields_in_clear: list[str]
    # Complaints from every channel (POST /v1/complaints/intake)
    organ: str = Field(description="The organ that answers for it (the taking office's if unnamed)")
    matched: bool = Field(description="Whether it names the auxiliary it is about")
    subject_description: str | None = Field(description="What was said of an unnamed subject")
    outside_reference: str | None = Field(description="The outside system's reference number")
    referring_organ: str | None = Field(description="The organ that referred it (a referral)")


class AcknowledgementCreate(CommandBody):
    """Acknowledge receipt."""

    model_config = _examples({"effective": "2026-11-21"})

    def command(self) -> commands.Acknowledge:
        """The domain command."""
        return commands.Acknowledge()


class AcceptanceCreate(CommandBody):
    """Accept for investigation, with a category."""

    model_config = _examples({"category": "执勤态度"})
    category: ShortText

    def command(self) -> commands.Accept:
        """The domain command."""
        return commands.Accept(category=self.category)


class DeclineCreate(CommandBody):
    """Decline (not accepted), with the reason."""

    model_config = _examples({"reason": "不属于辅警管理范围"})
    reason: FreeText

    def command(self) -> commands.Decline:
        """The domain command."""
        return commands.Decline(reason=self.reason)


class InvestigatorAssignmentCreate(CommandBody):
    """Assign (or reassign) an investigator with a due date (may be in the future)."""

    model_config = _examples({"investigator_id": "602099", "due": "2026-12-20"})
    investigator_id: Code
    due: Day

    def command(self) -> commands.Assign:
        """The domain command."""
        return commands.Assign(investigator_id=self.investigator_id, due=self.due)


class FindingCreate(CommandBody):
    """Record the finding on one allegation."""

    model_config = _examples(
        {
            "allegation_number": 1,
            "result": "sustained",
            "reasoning": "经调取执法记录仪视频，情况属实",
        }
    )
    allegation_number: Annotated[Whole, Field(ge=1, le=MAX_ALLEGATIONS)]
    result: FindingResult
    reasoning: FreeText

    def command(self) -> commands.RecordFinding:
        """The domain command."""
        return commands.RecordFinding(
            allegation_number=self.allegation_number, result=self.result, reasoning=self.reasoning
        )


class NotificationCreate(CommandBody):
    """Record that the complainant was told the result (Art. 17)."""

    model_config = _examples(
        {"method": "phone", "notified_on": "2026-12-01", "summary": "已电话告知调查结果"}
    )
    method: NotificationMethod
    notified_on: Day
    summary: FreeText

    def command(self) -> commands.NotifyComplainant:
        """The domain command."""
        return commands.NotifyComplainant(
            method=self.method, notified_on=self.notified_on, summary=self.summary
        )


class WithdrawalCreate(CommandBody):
    """Record the complainant's withdrawal."""

    model_config = _examples({"reason": "投诉人主动撤回"})
    reason: FreeText

    def command(self) -> commands.Withdraw:
        """The domain command."""
        return commands.Withdraw(reason=self.reason)


class ClosureCreate(CommandBody):
    """Close the complaint (only once the complainant was told the result, or it was withdrawn)."""

    model_config = _examples({})

    def command(self) -> commands.Close:
        """The domain command."""
        return commands.Close()


class ReopeningCreate(CommandBody):
    """Reopen a closed complaint; a new round of findings begins."""

    model_config = _examples({"reason": "投诉人提供新证据"})
    reason: FreeText

    def command(self) -> commands.Reopen:
        """The domain command."""
        return commands.Reopen(reason=self.reason)


class ReviewRequestCreate(CommandBody):
    """Ask, on the complainant's behalf, for a review (复查) of the result they were told."""

    model_config = _examples({"reasons": "投诉人电话表示对结论不服"})
    reasons: FreeText

    def command(self) -> commands.RequestReview:
        """The domain command."""
        return commands.RequestReview(reasons=self.reasons)


class ReviewDecisionCreate(CommandBody):
    """Decide a review (复查): uphold or change the result, with the reasons."""

    model_config = _examples({"outcome": "upheld", "reasons": "复查后维持原结论"})
    outcome: ReviewOutcome
    reasons: FreeText

    def command(self) -> commands.DecideReview:
        """The domain command."""
        return commands.DecideReview(outcome=self.outcome, reasons=self.reasons)


class QueueNotificationCreate(CommandBody):
    """Queue a notification to the complainant for the delivery worker (the outbox)."""

    model_config = _examples({"channel": "sms", "text": "您反映的问题已办结，结果已书面寄出"})
    channel: OutboundChannel
    text: FreeText
    message_id: UUID | None = Field(
        default=None, description="The message's id; made by the server when omitted"
    )

    def command(self) -> commands.QueueNotification:
        """The domain command (a new message id when none was given)."""
        return commands.QueueNotification(
            message_id=self.message_id or uuid4(), channel=self.channel, text=self.text
        )


class CredentialCheckPublic(BaseModel):
    """Whether a work ID is genuine and active (Art. 12): no personal data."""

    work_id: str
    genuine: bool = Field(description="The organ issued a work ID with this number")
    active: bool = Field(description="It is valid and its holder is employed")
    status: str = Field(description="active, revoked, returned, or unknown")
    organ: str | None = Field(description="The issuing organ's code")


# ------------------------------------------------------------------ every channel (Art. 17)


class ComplaintIntakeCreate(CommandBody):
    """A complaint the complaints office took from any channel (Art. 17).

    ``channel`` is how it arrived: ``hotline_12389``, ``hotline_110`` and ``letters_visits``
    need ``outside_reference`` (the ticket, incident or 信访 number), ``walk_in`` takes none,
    ``referral`` needs ``referring_organ``. Name the auxiliary by the number on the work ID
    (``work_id``), or, when the complainant could not, describe them in
    ``subject_description`` and match the complaint later (``…/match-subject``).
    """

    model_config = _examples(
        {
            "channel": "hotline_12389",
            "outside_reference": "12389-20261120-0042",
            "subject_description": "骑电动车、穿反光背心的男性辅警",
            "incident_at": "2026-11-20T09:30:00+08:00",
            "incident_place": "南通市崇川区人民路与青年路路口",
            "allegations": ["执勤时态度恶劣，言语粗暴"],
            "complainant_phone": "19900001111",
        },
        {
            "channel": "referral",
            "referring_organ": "南通市纪委监委",
            "work_id": "NTFJ0600000000",
            "incident_at": "2026-11-20T09:30:00+08:00",
            "incident_place": "南通市崇川区人民路与青年路路口",
            "allegations": ["执勤时态度恶劣，言语粗暴"],
        },
    )

    channel: ComplaintChannel
    outside_reference: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = (
        Field(
            default=None,
            description="The outside system's number (12389, 110, 信访, a referral): 1-64 "
            "characters, no white space",
        )
    )
    referring_organ: ShortText | None = Field(default=None, description="A referral's organ")
    work_id: WorkId | None = Field(
        default=None, description="The number on the work ID, in any case (read in capitals)"
    )
    subject_description: FreeText | None = Field(
        default=None, description="What the complainant could tell of an unnamed auxiliary"
    )
    incident_at: Moment = Field(description="When it happened, with a time zone")
    incident_place: ShortText
    allegations: list[FreeText] = Field(min_length=1, max_length=MAX_ALLEGATIONS)
    complainant_name: ShortText | None = None
    complainant_phone: PhoneNumber | None = None
    complainant_resident_id: ResidentId | None = None
    complainant_address: ShortText | None = None
    contact_text: FreeText | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.work_id is None) == (self.subject_description is None):
            raise ValueError(
                "name the auxiliary by work_id, or describe an unnamed one in "
                "subject_description: one of the two"
            )
        return self

    def command(
        self,
        auxiliary_id: UUID | None,
        *,
        tracking_hash: str | None = None,
        complaint_id: UUID | None = None,
    ) -> commands.TakeComplaint:
        """The domain command, with the auxiliary the work ID names (None if unnamed), the
        hash of the tracking code given to the complainant and the complaint's id."""
        return commands.TakeComplaint(
            channel=self.channel,
            outside_reference=self.outside_reference,
            referring_organ=self.referring_organ,
            auxiliary_id=auxiliary_id,
            subject_description=self.subject_description,
            incident_at=self.incident_at,
            incident_place=self.incident_place,
            allegations=self.allegations,
            complainant_name=self.complainant_name,
            complainant_phone=self.complainant_phone,
            complainant_resident_id=self.complainant_resident_id,
            complainant_address=self.complainant_address,
            contact_text=self.contact_text,
            tracking_hash=tracking_hash,
            complaint_id=complaint_id,
        )


class ComplaintTakenPublic(RecordedPublic):
    """The complaint the office took, and the tracking code to give the complainant."""

    tracking_code: str = Field(
        description="XXXX-XXXX-XXXX-XXXX-C: read it out or write it on the receipt; the "
        "complainant follows the complaint with it (GET /v1/complaints/track/{code}). Shown "
        "only in this answer: the ledger keeps its hash, never the code"
    )


class SubjectMatchCreate(CommandBody):
    """Name the auxiliary an unnamed complaint is about, by the number on the work ID."""

    model_config = _examples({"work_id": "NTFJ0600000000"})
    work_id: WorkId = Field(
        description="The number on the work ID, in any case (read in capitals), as at intake"
    )

    def command(self, auxiliary_id: UUID) -> commands.MatchSubject:
        """The domain command, with the auxiliary the work ID names."""
        return commands.MatchSubject(auxiliary_id=auxiliary_id)
