"""Commands on an auxiliary's record (Art. 7-18): the hire, every later fact, corrections."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from domain.values import (
    AssessmentGrade,
    CommendationKind,
    CostCategory,
    CredentialKind,
    EmploymentForm,
    Gender,
    InsuranceKind,
    LevelChangeReason,
    PostType,
    ReferralOutcome,
    SanctionKind,
    SeparationReason,
)

if TYPE_CHECKING:
    from domain.auxiliary import Auxiliary
    from domain.events import Recording
    from domain.organ import Organ


@dataclass(frozen=True, kw_only=True)
class Hire:
    """Record a hire (the organ's personnel department at organ level, Art. 8, 9).

    The service makes ``auxiliary_id`` when None; the hire takes a slot of the organ's quota.
    """

    unit: str
    supervisor_id: str
    supervisor_name: str
    employment_form: EmploymentForm | str
    dispatch_agency: str | None
    contract_start: date
    contract_end: date
    post_type: PostType | str
    level: int
    name: str
    gender: Gender | str
    resident_id: str
    phone: str
    address: str
    auxiliary_id: UUID | None = None
    override_reason: str | None = None
    """Why the hire goes ahead although a separation for cause of the same person is on record
    (``PriorRecordElsewhereError``); kept in ``Auxiliary.PriorRecordOverridden``."""


@dataclass(frozen=True, kw_only=True)
class Correct:
    """Correct a whitelisted field of the record: a new event pointing at the event that
    recorded the value in force (the service finds its version and record hash)."""

    field: str
    value: str | date
    reason: str


@dataclass(frozen=True, kw_only=True)
class AuxiliaryCommand(ABC):
    """A command on a hired auxiliary's record; what the service needs to know of it is said
    by its class variables."""

    needs_organ: ClassVar[bool] = False
    """The service loads the auxiliary's organ and passes it to ``run``."""
    releases_slot: ClassVar[bool] = False
    """The service gives the auxiliary's quota slot back to the organ, in the same save."""
    claims_serial: ClassVar[bool] = False
    """The service saves a ``CredentialSerial`` claim on the serial just issued."""
    links_findings: ClassVar[bool] = False
    """The service checks that every complaint finding the sanction just imposed links is a
    sustained (or partly sustained) finding of a complaint about this auxiliary."""
    settles_cause: ClassVar[bool] = False
    """Run on a separated record, the command may make the separation one for cause: the
    service notes it in the person's ``PriorRecordMarker`` in the same save."""

    @abstractmethod
    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        """Let the auxiliary decide (its events stay pending)."""


@dataclass(frozen=True, kw_only=True)
class RenewContract(AuxiliaryCommand):
    """Extend the contract to a later end date (personnel department, Art. 8)."""

    contract_end: date

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.renew_contract(rec, self)


@dataclass(frozen=True, kw_only=True)
class ChangePost(AuxiliaryCommand):
    """Move the auxiliary to another post type (personnel department, Art. 9)."""

    post_type: PostType | str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.change_post(rec, self)


@dataclass(frozen=True, kw_only=True)
class Transfer(AuxiliaryCommand):
    """Move the auxiliary to another unit of the organ with a new supervisor (Art. 10)."""

    needs_organ: ClassVar[bool] = True

    unit: str
    supervisor_id: str
    supervisor_name: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        if organ is None:
            raise TypeError("a transfer runs with the auxiliary's organ (needs_organ)")
        auxiliary.transfer(rec, self, organ=organ)


@dataclass(frozen=True, kw_only=True)
class AssignSupervisor(AuxiliaryCommand):
    """Assign the responsible supervising officer (the unit answering then, or personnel)."""

    supervisor_id: str
    supervisor_name: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.assign_supervisor(rec, self)


@dataclass(frozen=True, kw_only=True)
class ReleaseSupervisor(AuxiliaryCommand):
    """Release the supervising officer, leaving the auxiliary without one (Art. 10)."""

    reason: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.release_supervisor(rec, self)


@dataclass(frozen=True, kw_only=True)
class Evaluate(AuxiliaryCommand):
    """Record the annual assessment grade for a year (personnel department, Art. 11)."""

    year: int
    grade: AssessmentGrade | str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.evaluate(rec, self)


@dataclass(frozen=True, kw_only=True)
class ChangeLevel(AuxiliaryCommand):
    """Promote, demote or correct the level (personnel department, Art. 11)."""

    level: int
    reason: LevelChangeReason | str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.change_level(rec, self)


@dataclass(frozen=True, kw_only=True)
class IssueCredential(AuxiliaryCommand):
    """Issue a work ID, uniform or insignia (personnel department, Art. 12)."""

    claims_serial: ClassVar[bool] = True

    kind: CredentialKind | str
    serial: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.issue_credential(rec, self)


@dataclass(frozen=True, kw_only=True)
class RevokeCredential(AuxiliaryCommand):
    """Revoke a credential still held (personnel department; also after separation)."""

    kind: CredentialKind | str
    serial: str
    reason: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.revoke_credential(rec, self)


@dataclass(frozen=True, kw_only=True)
class ReturnCredential(AuxiliaryCommand):
    """Record a credential handed back (personnel department; also after separation)."""

    kind: CredentialKind | str
    serial: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.return_credential(rec, self)


@dataclass(frozen=True, kw_only=True)
class EnrolInsurance(AuxiliaryCommand):
    """Record an insurance or housing-fund enrolment (personnel department, Art. 13)."""

    kind: InsuranceKind | str
    insurer: str
    policy_number: str
    start: date
    end: date | None

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.enrol_insurance(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordHealthCheck(AuxiliaryCommand):
    """Record a periodic health check (personnel department, Art. 13)."""

    checked_on: date
    fit: bool
    details: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.record_health_check(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordDutyInjury(AuxiliaryCommand):
    """Record an injury on duty (the using unit or the personnel department, Art. 14)."""

    injury_id: str
    occurred_on: date
    medical_details: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.record_duty_injury(rec, self)


@dataclass(frozen=True, kw_only=True)
class AdvanceCost(AuxiliaryCommand):
    """Record a medical, transport or nursing cost advanced by the organ (Art. 14)."""

    injury_id: str
    category: CostCategory | str
    amount: Decimal

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.advance_cost(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordInfringement(AuxiliaryCommand):
    """Record an unlawful infringement against the auxiliary or relatives (Art. 15)."""

    occurred_on: date
    description: str
    referred_to: str | None

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.record_infringement(rec, self)


@dataclass(frozen=True, kw_only=True)
class Commend(AuxiliaryCommand):
    """Record a commendation (personnel department, Art. 16)."""

    kind: CommendationKind | str
    issuing_body: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.commend(rec, self)


@dataclass(frozen=True, kw_only=True)
class ImposeSanction(AuxiliaryCommand):
    """Impose a sanction (discipline office, Art. 18): the facts found, the reasons, the
    article relied on, the decision document number (文书编号) and the evidence; the
    auxiliary's statement for this ``sanction_id`` was heard or waived before."""

    links_findings: ClassVar[bool] = True

    sanction_id: str
    kind: SanctionKind | str
    until: date | None
    linked_findings: Sequence[str]
    facts: str
    reasons: str
    article: str
    document_number: str
    evidence: Sequence[str]

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.impose_sanction(rec, self)


@dataclass(frozen=True, kw_only=True)
class AppealSanction(AuxiliaryCommand):
    """Record the auxiliary's appeal against a sanction in force (discipline office)."""

    sanction_id: str
    grounds: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.appeal_sanction(rec, self)


@dataclass(frozen=True, kw_only=True)
class DecideAppeal(AuxiliaryCommand):
    """Decide a pending appeal; overturning it lifts the sanction (the police inspectorate,
    another person than the one who imposed it, Art. 18). Also after a separation, which an
    upheld appeal may make one for cause."""

    settles_cause: ClassVar[bool] = True

    sanction_id: str
    upheld: bool

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.decide_appeal(rec, self)


@dataclass(frozen=True, kw_only=True)
class RevokeSanction(AuxiliaryCommand):
    """Revoke a sanction in force (discipline office, Art. 18)."""

    sanction_id: str
    reason: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.revoke_sanction(rec, self)


@dataclass(frozen=True, kw_only=True)
class Reinstate(AuxiliaryCommand):
    """End a suspension (discipline office, Art. 18)."""

    reason: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.reinstate(rec, self)


@dataclass(frozen=True, kw_only=True)
class ReferForProsecution(AuxiliaryCommand):
    """Record a referral of a suspected crime for prosecution (discipline office, Art. 18)."""

    reference: str
    summary: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.refer_for_prosecution(rec, self)


@dataclass(frozen=True, kw_only=True)
class HearStatement(AuxiliaryCommand):
    """Record the auxiliary's statement and defence (陈述申辩) in the case of the proposed
    sanction ``sanction_id`` (discipline office, Art. 18)."""

    sanction_id: str
    heard_on: date
    heard_by: str
    statement: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.hear_statement(rec, self)


@dataclass(frozen=True, kw_only=True)
class WaiveStatement(AuxiliaryCommand):
    """Record the auxiliary's written waiver of the statement and defence in the case of the
    proposed sanction ``sanction_id`` (discipline office, Art. 18)."""

    sanction_id: str
    waiver_reference: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.waive_statement(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordReferralOutcome(AuxiliaryCommand):
    """Record what became of a referral for prosecution (discipline office, Art. 18)."""

    reference: str
    outcome: ReferralOutcome | str
    outcome_reference: str
    decided_on: date

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.record_referral_outcome(rec, self)


@dataclass(frozen=True, kw_only=True)
class ReturnToAgency(AuxiliaryCommand):
    """Return a labour-dispatch auxiliary to the dispatch agency with grounds (personnel
    department, Art. 8); a separation: ``effective`` is the first day not employed."""

    releases_slot: ClassVar[bool] = True

    return_grounds: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.return_to_agency(rec, self)


@dataclass(frozen=True, kw_only=True)
class Separate(AuxiliaryCommand):
    """Record that the auxiliary left; ``effective`` is the first day not employed."""

    releases_slot: ClassVar[bool] = True

    reason: SeparationReason | str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.separate(rec, self)
