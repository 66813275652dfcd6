"""An auxiliary police officer (辅警): employment, assignments, levels, credentials, welfare,
commendations, sanctions and separation (Art. 2, 7-18).

Invariants kept here:

- Only the organ's personnel department, acting at organ level, records a hire; a unit-level
  actor is refused (Art. 8). Every later command is by an actor of the auxiliary's organ.
- A hire names one of the six post types of Art. 9; the kinds of work of Art. 2 are refused.
- The resident ID number passes GB 11643-1999 on the recording date, and its holder is at
  least ``MIN_HIRING_AGE`` and under ``MAX_HIRING_AGE`` on the hiring date (``HiringAgeError``,
  Art. 8: a lawful employment relationship); the birth date is read from the number. A
  correction of the number is held to the same ages on the record's hiring date, separated
  or not: a correction cannot make the record one of an unlawful hire.
- Labour dispatch names a dispatch agency; a direct contract names none (Art. 8).
- The contract ends after it starts, and the hire takes effect within the contract.
- A level lies within the policy's level scheme (Art. 11); a promotion raises the level in
  effect, a demotion lowers it, a correction changes it.
- An active auxiliary always has exactly one unit: the hire places them in their first unit
  with their first supervisor; a transfer moves them to another registered unit of the same
  organ with a new supervisor (Art. 10). A supervisor may be released, which leaves the
  auxiliary without one: a compliance gap that is allowed and reported, not refused.
- Units, supervisors, posts and levels are effective-dated histories: ``responsibility_on(d)``
  answers from them, honouring backdated records, ties going to the later recording.
- No effective date precedes the hire's effective date. Separation takes effect on the first
  day the auxiliary is no longer employed, strictly after the hire and after every assignment,
  post or level change already recorded, and not before the effective date of any other fact
  recorded for the auxiliary (a sanction, appeal, statement, commendation, credential, ...);
  the auxiliary is employed on ``d`` exactly when ``hired_on <= d < separated_on``. Complaints
  are records of their own and are not compared.
- At most one credential of a kind is active at a time, and a serial is issued once in the
  whole ledger, never again after its return or revocation (Art. 12): the auxiliary refuses its
  own serials (``SerialAlreadyIssuedError``), and a ``CredentialSerial`` claim, whose id is
  derived from the kind and serial and which is saved with the issue, refuses everyone else's.
  A credential is revoked or returned only while held; a revoked one may still be returned.
  After separation no credential counts as active; unreturned ones remain listed.
- Cost advances refer to a recorded duty injury and are positive amounts in yuan (Art. 14).
- Sanctions are imposed, appealed and revoked only by the discipline office (Art. 18).
  A sanction id is used once. A suspension makes the auxiliary suspended until reinstated or
  until that suspension is revoked or overturned; a second suspension while suspended is
  refused. A termination has no term and must be followed by a separation for dismissal, which
  in turn needs a termination in force and not under a pending appeal (after separation the
  appeal could not be decided). An appeal is lodged once per sanction, against a sanction in
  force; an overturned appeal lifts the sanction.
- The steps of a sanction keep their order in time: an appeal and a revocation not before the
  sanction, an appeal's decision not before the appeal, a reinstatement not before the
  suspension it ends. The sanction keeps the appeal's date (``Sanction.appealed_on``, set from
  the appeal's effective date) to judge the decision by, and a suspension the date of the
  reinstatement that ended it (``Sanction.ended_on``); ``Sanction.stands_on(d)`` says whether a
  sanction stood on a day.
- A sanction decision states the facts found, the reasons, the article relied on (one that
  allows sanctions), the decision document number (文书编号) and at least one evidence
  reference (``domain.decisions``). Decisions recorded before these were required replay with
  them empty (``SanctionImposed`` version 1).
- The auxiliary's statement and defence (陈述申辩) attaches to a case by the id of the sanction
  proposed: ``StatementHeard`` or ``StatementWaived`` (with the written waiver's reference) is
  recorded once per case, before that sanction is imposed and not after it; imposing a
  sanction without one raises ``StatementMissingError``. The statement's text is personal
  data of the auxiliary.
- An appeal is recorded by the discipline office and decided by the police inspectorate: a
  role and a person other than the ones that imposed the sanction (``SameDeciderError``;
  ``domain.decisions.same_person`` says who is the same person).
- A referral's reference is used once; its outcomes (accepted, declined, judgement) are events
  on it. A declining or a judgement is final; an acceptance comes at most once and before
  them. Outcomes may still be recorded after separation.
- Only a labour-dispatch auxiliary is returned to the dispatch agency, with grounds
  (``ReturnedToAgency``, a separation: same date rule, the quota slot is released);
  ``NotLabourDispatchError`` otherwise. A plain separation cannot give that reason.
- After separation, only credential returns and revocations, appeal decisions, referral
  outcomes and corrections are accepted; everything else raises ``AuxiliarySeparatedError``.
  An appeal pending at a resignation is still decided: upheld, a serious sanction that stood
  on the separation date makes the separation one for cause, as if it had not been appealed.
- A correction is a new event pointing at the event (version and record hash) that recorded the
  value now in force; only the whitelisted fields are correctable; old events are never edited.
  Corrections of phone, address and resident ID number are ``PersonalDataCorrected`` events,
  whose value is personal data; the others are ``Corrected`` events.
- What the record's state allows is decided in one place, ``Auxiliary.state_refusal``
  (separated, suspended, labour dispatch, the probation, an open leave): every command on the
  record raises its answer, and ``open_commands`` (what a page offers) reads it, adding only
  whether a command that names something on the record (a sanction, a credential …) has
  anything to act on (``subjects``: the very things such a command accepts in its field, what
  a page offers there); so what is offered is never refused for the state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.authority import require_organ, require_organ_level, require_role, require_unit
from domain.checks import (
    MUST_BE_TEXT,
    UUID_REQUIRED,
    WHOLE_NUMBER,
    amount_of_money,
    boolean,
    free_text,
    identifier,
    integer,
    member,
    opaque_token,
    optional_plain_date,
    optional_short_text,
    phone_number,
    plain_date,
    short_text,
)
from domain.checks import year as calendar_year
from domain.decisions import (
    Statement,
    document_number,
    evidence_references,
    same_person,
    sanction_article,
)
from domain.errors import (
    AuxiliarySeparatedError,
    CredentialAlreadyActiveError,
    CredentialNotHeldError,
    DateInFutureError,
    DomainError,
    DuplicateRecordError,
    HiringAgeError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NotCorrectableError,
    NotLabourDispatchError,
    OutsideScopeError,
    OverlappingLeaveError,
    SameDeciderError,
    SerialAlreadyIssuedError,
    StatementMissingError,
    UnknownCredentialError,
    UnknownInjuryError,
    UnknownReferralError,
    UnknownSanctionError,
    UnknownUnitError,
)
from domain.events import LedgerCreated, LedgerEvent, Recording
from domain.history import Timeline
from domain.identity import age_on, birth_date_of, validate_resident_id
from domain.lifecycle import MAX_TRAINING_HOURS, Leave, Probation, Training
from domain.organ import Organ
from domain.values import (
    ID_NAMESPACE,
    Actor,
    AppealStatus,
    AssessmentGrade,
    AuxiliaryStatus,
    CommendationKind,
    CostCategory,
    CredentialKind,
    CredentialStatus,
    EmploymentForm,
    Gender,
    InsuranceKind,
    LeaveKind,
    LevelChangeReason,
    PostCategory,
    PostType,
    ReferralOutcome,
    Responsibility,
    Role,
    SanctionKind,
    SanctionStatus,
    SeparationReason,
    TrainingKind,
    parse_post_type,
    post_category,
    zh_day,
)

if TYPE_CHECKING:
    from domain.commands import auxiliary as commands
    from domain.commands import lifecycle as lifecycle_commands

__all__ = [
    "CORRECTABLE_FIELDS",
    "MAX_HIRING_AGE",
    "MIN_HIRING_AGE",
    "PERSONAL_CORRECTABLE_FIELDS",
    "RECORD_COMMANDS",
    "Auxiliary",
    "Commendation",
    "Correction",
    "CostAdvance",
    "CredentialRecord",
    "CredentialSerial",
    "DutyInjury",
    "HealthCheck",
    "Infringement",
    "InsuranceEnrolment",
    "Referral",
    "Sanction",
]

CORRECTABLE_FIELDS: tuple[str, ...] = (
    "name",
    "gender",
    "contract_start",
    "contract_end",
    "dispatch_agency",
)
"""Fields a ``Corrected`` event may correct."""

PERSONAL_CORRECTABLE_FIELDS: tuple[str, ...] = ("phone", "address", "resident_id")
"""Fields a ``PersonalDataCorrected`` event may correct (its value is personal data)."""

MIN_HIRING_AGE = 18
"""The least age (周岁) of a person hired, on the hiring date. Art. 8 has the organ set the
recruitment standards and employ "依法建立劳动关系", but the measures name no age. The Labour
Law (劳动法) Art. 15 forbids employing anyone under 16; an auxiliary assists police work, so the
ledger takes the age of majority, 18 (民法典 Art. 17), as its floor."""

MAX_HIRING_AGE = 60
"""The age (周岁) from which a person is no longer hired, on the hiring date. The measures name
no upper age either; the ledger takes 60, the statutory retirement age of men before the
gradual raise that began in 2025."""

MAX_LINKED_FINDINGS = 100
_FINDING_REF = re.compile(r"([0-9a-fA-F-]{32,36}):([0-9]{1,4})")


@dataclass(frozen=True)
class CredentialRecord:
    """A work ID, uniform or insignia issued to the auxiliary (Art. 12)."""

    kind: CredentialKind
    serial: str
    issued_on: date
    status: CredentialStatus


@dataclass(frozen=True)
class InsuranceEnrolment:
    """An insurance or housing-fund enrolment (Art. 13)."""

    kind: InsuranceKind
    insurer: str
    policy_number: str
    start: date
    end: date | None


@dataclass(frozen=True)
class HealthCheck:
    """A periodic health check (Art. 13); ``fit`` and ``details`` are personal data."""

    checked_on: date
    fit: bool
    details: str


@dataclass(frozen=True)
class CostAdvance:
    """A cost of a duty injury advanced by the organ (Art. 14)."""

    category: CostCategory
    amount: Decimal
    effective: date


@dataclass(frozen=True)
class DutyInjury:
    """An injury on duty (Art. 14); ``medical_details`` are personal data."""

    injury_id: str
    occurred_on: date
    medical_details: str
    advances: tuple[CostAdvance, ...]

    @property
    def advanced_total(self) -> Decimal:
        """The sum of all costs advanced for this injury."""
        return sum((a.amount for a in self.advances), Decimal(0))


@dataclass(frozen=True)
class Infringement:
    """An unlawful infringement against the auxiliary or their relatives (Art. 15)."""

    occurred_on: date
    description: str
    referred_to: str | None


@dataclass(frozen=True)
class Commendation:
    """A commendation or award (Art. 16)."""

    kind: CommendationKind
    issuing_body: str
    effective: date


@dataclass(frozen=True)
class Sanction:
    """A sanction imposed under Art. 18, with where it stands now."""

    sanction_id: str
    kind: SanctionKind
    effective: date
    until: date | None
    linked_findings: tuple[str, ...]
    status: SanctionStatus
    appeal: AppealStatus
    imposed_by: Actor | None = None
    """Who imposed it (an appeal is decided by another role and person)."""
    document_number: str | None = None
    """The decision document number (文书编号); None for decisions recorded before it was
    required."""
    appealed_on: date | None = None
    """The effective date of the appeal (``SanctionAppealed``), if one was lodged."""
    ended_on: date | None = None
    """For a suspension, the effective date of the reinstatement that ended it."""

    def stands_on(self, day: date) -> bool:
        """Whether the sanction stood on ``day``: in force, in effect by then, its term not
        ended (``until`` later than ``day``), and, for a suspension, not yet ended by a
        reinstatement. An appeal pending is the caller's to judge."""
        return (
            self.status is SanctionStatus.in_force
            and self.effective <= day
            and (self.until is None or self.until > day)
            and (self.ended_on is None or self.ended_on > day)
        )


@dataclass(frozen=True)
class Referral:
    """A referral for prosecution (Art. 18), and what became of it."""

    reference: str
    summary: str
    effective: date
    outcome: ReferralOutcome | None = None
    outcome_reference: str | None = None
    outcome_on: date | None = None


@dataclass(frozen=True)
class Correction:
    """A correction of a field, pointing at the event it corrects."""

    version: int
    target_version: int
    target_hash: str
    field: str


def _contract(start: date, end: date, hired_on: date) -> None:
    if end <= start:
        raise InvalidDateRangeError(
            "contract_end must be later than contract_start", zh="劳动合同截止日期须晚于开始日期"
        )
    if not start <= hired_on < end:
        raise InvalidDateRangeError(
            "the hire must take effect within the contract period (start inclusive, end exclusive)",
            zh="录用须在劳动合同期限内生效（含开始日，不含截止日）",
        )


def _hiring_age(resident_id: str, hired_on: date, *, corrected: bool = False) -> str:
    """The number, if its holder is of hiring age on ``hired_on`` (Art. 8); ``corrected``
    when it is the new number of a correction, which the message then names."""
    age = age_on(birth_date_of(resident_id), hired_on)
    if not MIN_HIRING_AGE <= age < MAX_HIRING_AGE:
        if corrected:
            raise HiringAgeError(
                f"by the birth date in the corrected resident ID number, the person was not at "
                f"least {MIN_HIRING_AGE} and under {MAX_HIRING_AGE} years old on the record's "
                "hiring date: a correction cannot make the record one of an unlawful hire (Art. 8)",
                zh=f"按更正后的公民身份号码，此人在录用之日不满{MIN_HIRING_AGE}周岁或已满{MAX_HIRING_AGE}周岁：更正不能使记录成为违规录用（第八条）",
            )
        raise HiringAgeError(
            f"the person hired must be at least {MIN_HIRING_AGE} and under {MAX_HIRING_AGE} "
            "years old on the hiring date, by the birth date in the resident ID number (Art. 8)",
            zh=f"按公民身份号码中的出生日期，受聘人员在录用之日须年满{MIN_HIRING_AGE}周岁且未满{MAX_HIRING_AGE}周岁（第八条）",
        )
    return resident_id


def _dispatch_agency(form: EmploymentForm, agency: object) -> str | None:
    if form is EmploymentForm.labour_dispatch:
        if agency is None:
            raise InvalidFieldError(
                "dispatch_agency",
                "is required for labour dispatch (劳务派遣, Art. 8)",
                zh="劳务派遣用工须填写派遣单位（第八条）",
            )
        return short_text("dispatch_agency", agency)
    if agency is not None:
        raise InvalidFieldError(
            "dispatch_agency",
            "must be empty for a direct contract (聘用, Art. 8)",
            zh="直接聘用的不填派遣单位（第八条）",
        )
    return None


def _linked_findings(value: object) -> list[str]:
    if not isinstance(value, list | tuple):
        raise InvalidFieldError(
            "linked_findings",
            "must be a list of complaint-id:number refs",
            zh="须逐项列出所关联的调查结论",
        )
    if len(value) > MAX_LINKED_FINDINGS:
        raise InvalidFieldError(
            "linked_findings",
            f"may hold at most {MAX_LINKED_FINDINGS} references",
            zh=f"最多关联{MAX_LINKED_FINDINGS}项调查结论",
        )
    refs: list[str] = []
    for item in value:
        match = _FINDING_REF.fullmatch(item) if isinstance(item, str) else None
        try:
            complaint_id = UUID(match.group(1)) if match else None
        except ValueError:
            complaint_id = None
        if match is None or complaint_id is None or int(match.group(2)) < 1:
            raise InvalidFieldError(
                "linked_findings",
                "must hold references of the form <complaint id>:<allegation number>",
                zh="每项须写作“投诉编号:事项序号”",
            )
        ref = f"{complaint_id}:{int(match.group(2))}"
        if ref in refs:
            raise InvalidFieldError(
                "linked_findings", "must not repeat a reference", zh="不得重复关联同一调查结论"
            )
        refs.append(ref)
    return refs


def _require_organ_record(organ: object) -> Organ:
    if not isinstance(organ, Organ):
        raise InvalidFieldError(
            "organ", "must be the organ's record (an Organ aggregate)", zh="须为已登记机关的记录"
        )
    return organ


_ACTIONS: Mapping[str, str] = {
    "renew_contract": "renew a contract",
    "change_post": "change a post",
    "transfer": "transfer an auxiliary between units",
    "assign_supervisor": "assign a supervising officer",
    "release_supervisor": "release a supervising officer",
    "evaluate": "record an assessment",
    "change_level": "change a level",
    "issue_credential": "issue a credential",
    "revoke_credential": "revoke a credential",
    "return_credential": "record a credential's return",
    "enrol_insurance": "record an insurance enrolment",
    "record_health_check": "record a health check",
    "record_duty_injury": "record a duty injury",
    "advance_cost": "advance a duty-injury cost",
    "record_infringement": "record an infringement",
    "commend": "record a commendation",
    "hear_statement": "hear a statement and defence",
    "waive_statement": "record a waived statement",
    "impose_sanction": "impose a sanction",
    "appeal_sanction": "record an appeal",
    "decide_appeal": "decide an appeal",
    "revoke_sanction": "revoke a sanction",
    "reinstate": "reinstate an auxiliary",
    "refer_for_prosecution": "refer a case for prosecution",
    "record_referral_outcome": "record a referral outcome",
    "return_to_agency": "return an auxiliary to the agency",
    "separate": "record a separation",
    "start_probation": "record a probation",
    "complete_probation": "record a probation's outcome",
    "record_training": "record a training",
    "start_leave": "record a leave",
    "end_leave": "record a return from leave",
    "correct": "correct a record",
}
"""Every command on a hired auxiliary's record and what it does, in the words its refusals
use ("nobody may record a leave")."""

RECORD_COMMANDS: tuple[str, ...] = tuple(_ACTIONS)
"""The commands on a hired auxiliary's record (the hire aside), in the order the API's
table lists them: the names ``Auxiliary.state_refusal`` and ``Auxiliary.open_commands``
answer for."""

_AFTER_SEPARATION = frozenset(
    {
        "revoke_credential",
        "return_credential",
        "decide_appeal",
        "record_referral_outcome",
        "correct",
    }
)
"""The commands still accepted once the auxiliary has separated."""

_FINAL_OUTCOMES = frozenset({ReferralOutcome.declined, ReferralOutcome.judgement})
"""A referral's outcomes after which nothing more is recorded on it."""

_SUBJECTS: Mapping[str, Callable[[Auxiliary], tuple[Any, ...]]] = {
    "revoke_credential": lambda a: tuple(
        c for c in a.credentials if c.status is CredentialStatus.active
    ),
    "return_credential": lambda a: a.unreturned_credentials(),
    "advance_cost": lambda a: tuple(a.injuries.values()),
    "appeal_sanction": lambda a: tuple(
        s for s in a.sanctions_in_force() if s.appeal is AppealStatus.not_appealed
    ),
    "decide_appeal": lambda a: tuple(
        s for s in a.sanctions_in_force() if s.appeal is AppealStatus.pending
    ),
    "revoke_sanction": lambda a: a.sanctions_in_force(),
    "record_referral_outcome": lambda a: tuple(
        r for r in a.referrals if r.outcome not in _FINAL_OUTCOMES
    ),
    "end_leave": lambda a: tuple(leave for leave in a.leaves if leave.returned_on is None),
}
"""The commands that name something on the record in a field, each with what it may act on
(``Auxiliary.subjects``)."""


def _overlapping_leave(returned_on: date | None = None) -> OverlappingLeaveError:
    """An open leave (``returned_on`` None), or one whose first day back is later than the
    new leave's start: then the message names that day, the earliest the new one may start."""
    if returned_on is None:
        return OverlappingLeaveError(
            "the auxiliary is on a leave that is still open or ends after this one would start "
            "(Art. 13)",
            zh="该辅警仍在休假，或上一次休假在本次开始之后才结束：休假须先后衔接，不得重叠（第十三条）",
        )
    return OverlappingLeaveError(
        f"the auxiliary is back from the last leave on {returned_on.isoformat()}: a new leave "
        "starts on that day or later (Art. 13)",
        zh=f"上一次休假的返岗日期为{zh_day(returned_on)}，本次休假须自该日或之后开始：休假须先后衔接，不得重叠（第十三条）",
    )


class Auxiliary(Aggregate):
    """An auxiliary police officer's record, from hire to separation."""

    def __init__(self) -> None:
        self.organ: str = ""
        self.hired_on: date = date.min
        self.name: str = ""
        self.gender: Gender = Gender.male
        self.resident_id: str = ""
        self.phone: str = ""
        self.address: str = ""
        self.employment_form: EmploymentForm = EmploymentForm.direct_contract
        self.dispatch_agency: str | None = None
        self.contract_start: date = date.min
        self.contract_end: date = date.min
        self.separated_on: date | None = None
        self.separation_reason: SeparationReason | None = None
        self._suspended_by: str | None = None
        self._units: Timeline[str] = Timeline()
        self._supervisors: Timeline[tuple[str, str] | None] = Timeline()
        self._posts: Timeline[PostType] = Timeline()
        self._levels: Timeline[int] = Timeline()
        self._evaluations: dict[int, AssessmentGrade] = {}
        self._credentials: list[CredentialRecord] = []
        self._insurance: list[InsuranceEnrolment] = []
        self._health_checks: list[HealthCheck] = []
        self._injuries: dict[str, DutyInjury] = {}
        self._infringements: list[Infringement] = []
        self._commendations: list[Commendation] = []
        self._sanctions: dict[str, Sanction] = {}
        self._referrals: list[Referral] = []
        self._statements: dict[str, Statement] = {}
        self._corrections: list[Correction] = []
        self._field_versions: dict[str, int] = {}
        self._probation: Probation | None = None
        self._trainings: list[Training] = []
        self._leaves: dict[str, Leave] = {}
        self.prior_record_override: tuple[tuple[str, ...], str] | None = None
        self._last_fact_on: date = date.min

    def __repr__(self) -> str:
        # The default repr lists every attribute, personal data included.
        return f"Auxiliary(id={self.id!r}, version={self.version}, status={self.status.value})"

    # ----------------------------------------------------------------------------------- events

    class Event(LedgerEvent):
        """Base of the auxiliary's events.

        Every event's ``apply`` also keeps the latest effective date on the record
        (``Auxiliary._last_fact_on``), which a separation may not precede: each subclass's own
        ``apply`` is wrapped when the class is made. It is state only, never a check, so every
        stored event replays as it always did.
        """

        def __init_subclass__(cls, **kwargs: Any) -> None:
            super().__init_subclass__(**kwargs)
            own = cls.__dict__.get("apply")
            if own is None:
                return

            def apply(self: Auxiliary.Event, aggregate: Auxiliary) -> None:
                own(self, aggregate)
                aggregate._last_fact_on = max(aggregate._last_fact_on, self.effective)

            apply.__doc__ = own.__doc__
            cls.apply = apply  # type: ignore[method-assign,assignment]

    class Hired(Event, LedgerCreated):
        """The organ hired the auxiliary (Art. 8, 9)."""

        personal_fields: ClassVar[tuple[str, ...]] = ("resident_id", "phone", "address")
        personal_subject: ClassVar[str] = "originator_id"

        organ: str
        unit: str
        supervisor_id: str
        supervisor_name: str
        employment_form: str
        dispatch_agency: str | None
        contract_start: date
        contract_end: date
        post_type: str
        level: int
        name: str
        gender: str
        resident_id: str
        phone: str
        address: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate.organ = self.organ
            aggregate.hired_on = self.effective
            aggregate.name = self.name
            aggregate.gender = Gender(self.gender)
            aggregate.resident_id = self.resident_id
            aggregate.phone = self.phone
            aggregate.address = self.address
            aggregate.employment_form = EmploymentForm(self.employment_form)
            aggregate.dispatch_agency = self.dispatch_agency
            aggregate.contract_start = self.contract_start
            aggregate.contract_end = self.contract_end
            version = self.originator_version
            aggregate._units.add(self.effective, version, self.unit)
            aggregate._supervisors.add(
                self.effective, version, (self.supervisor_id, self.supervisor_name)
            )
            aggregate._posts.add(self.effective, version, PostType(self.post_type))
            aggregate._levels.add(self.effective, version, self.level)
            for field in (*CORRECTABLE_FIELDS, *PERSONAL_CORRECTABLE_FIELDS):
                aggregate._field_versions[field] = version

    class ContractRenewed(Event):
        """The contract was renewed to a new end date (Art. 8)."""

        contract_end: date

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate.contract_end = self.contract_end
            aggregate._field_versions["contract_end"] = self.originator_version

    class PostChanged(Event):
        """The auxiliary moved to another post type (Art. 9)."""

        post_type: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._posts.add(self.effective, self.originator_version, PostType(self.post_type))

    class Transferred(Event):
        """The auxiliary moved to another unit of the organ, with a new supervisor (Art. 10)."""

        unit: str
        supervisor_id: str
        supervisor_name: str

        def apply(self, aggregate: Auxiliary) -> None:
            version = self.originator_version
            aggregate._units.add(self.effective, version, self.unit)
            aggregate._supervisors.add(
                self.effective, version, (self.supervisor_id, self.supervisor_name)
            )

    class SupervisorAssigned(Event):
        """A responsible supervising officer (带辅责任民警) was assigned (Art. 10)."""

        supervisor_id: str
        supervisor_name: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._supervisors.add(
                self.effective, self.originator_version, (self.supervisor_id, self.supervisor_name)
            )

    class SupervisorReleased(Event):
        """The supervising officer was released, leaving the auxiliary without one (Art. 10)."""

        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._supervisors.add(self.effective, self.originator_version, None)

    class Evaluated(Event):
        """The annual assessment was graded (Art. 11)."""

        year: int
        grade: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._evaluations[self.year] = AssessmentGrade(self.grade)

    class LevelChanged(Event):
        """The auxiliary's level changed (Art. 11)."""

        level: int
        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._levels.add(self.effective, self.originator_version, self.level)

    class CredentialIssued(Event):
        """A work ID, uniform or insignia was issued (Art. 12)."""

        kind: str
        serial: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._credentials.append(
                CredentialRecord(
                    CredentialKind(self.kind), self.serial, self.effective, CredentialStatus.active
                )
            )

    class CredentialRevoked(Event):
        """A credential was revoked: it is no longer valid (Art. 12)."""

        kind: str
        serial: str
        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._set_credential_status(self.kind, self.serial, CredentialStatus.revoked)

    class CredentialReturned(Event):
        """A credential was handed back to the organ (Art. 12)."""

        kind: str
        serial: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._set_credential_status(self.kind, self.serial, CredentialStatus.returned)

    class InsuranceEnrolled(Event):
        """The auxiliary was enrolled in an insurance or the housing fund (Art. 13)."""

        kind: str
        insurer: str
        policy_number: str
        start: date
        end: date | None

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._insurance.append(
                InsuranceEnrolment(
                    InsuranceKind(self.kind), self.insurer, self.policy_number, self.start, self.end
                )
            )

    class HealthChecked(Event):
        """A periodic health check was recorded (Art. 13)."""

        personal_fields: ClassVar[tuple[str, ...]] = ("fit", "details")
        personal_subject: ClassVar[str] = "originator_id"

        checked_on: date
        fit: bool
        details: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._health_checks.append(HealthCheck(self.checked_on, self.fit, self.details))

    class DutyInjuryRecorded(Event):
        """The auxiliary was injured on duty (Art. 14)."""

        personal_fields: ClassVar[tuple[str, ...]] = ("medical_details",)
        personal_subject: ClassVar[str] = "originator_id"

        injury_id: str
        occurred_on: date
        medical_details: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._injuries[self.injury_id] = DutyInjury(
                self.injury_id, self.occurred_on, self.medical_details, ()
            )

    class CostAdvanced(Event):
        """The organ advanced a cost of a duty injury (Art. 14)."""

        injury_id: str
        category: str
        amount: Decimal

        def apply(self, aggregate: Auxiliary) -> None:
            injury = aggregate._injuries[self.injury_id]
            advance = CostAdvance(CostCategory(self.category), self.amount, self.effective)
            aggregate._injuries[self.injury_id] = replace(
                injury, advances=(*injury.advances, advance)
            )

    class InfringementRecorded(Event):
        """An unlawful infringement against the auxiliary or relatives was recorded (Art. 15)."""

        occurred_on: date
        description: str
        referred_to: str | None

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._infringements.append(
                Infringement(self.occurred_on, self.description, self.referred_to)
            )

    class Commended(Event):
        """The auxiliary was commended (Art. 16)."""

        kind: str
        issuing_body: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._commendations.append(
                Commendation(CommendationKind(self.kind), self.issuing_body, self.effective)
            )

    class SanctionImposed(Event):
        """A sanction was imposed (Art. 18), with the facts found, the reasons, the article
        relied on, the decision document number and the evidence (version 2; decisions of
        version 1 replay with these empty)."""

        class_version: ClassVar[int] = 2

        sanction_id: str
        kind: str
        until: date | None
        linked_findings: list[str]
        facts: str | None
        reasons: str | None
        article: str | None
        document_number: str | None
        evidence: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            """A decision recorded before decisions needed reasons states none."""
            for name in ("facts", "reasons", "article", "document_number"):
                state[name] = None
            state["evidence"] = []

        def apply(self, aggregate: Auxiliary) -> None:
            kind = SanctionKind(self.kind)
            aggregate._sanctions[self.sanction_id] = Sanction(
                sanction_id=self.sanction_id,
                kind=kind,
                effective=self.effective,
                until=self.until,
                linked_findings=tuple(self.linked_findings),
                status=SanctionStatus.in_force,
                appeal=AppealStatus.not_appealed,
                imposed_by=self.actor,
                document_number=self.document_number,
            )
            if kind is SanctionKind.suspension:
                aggregate._suspended_by = self.sanction_id

    class SanctionAppealed(Event):
        """The auxiliary appealed against a sanction (Art. 18)."""

        sanction_id: str
        grounds: str

        def apply(self, aggregate: Auxiliary) -> None:
            sanction = aggregate._sanctions[self.sanction_id]
            aggregate._sanctions[self.sanction_id] = replace(
                sanction, appeal=AppealStatus.pending, appealed_on=self.effective
            )

    class AppealDecided(Event):
        """An appeal was decided: upheld keeps the sanction, overturned lifts it (Art. 18)."""

        sanction_id: str
        upheld: bool

        def apply(self, aggregate: Auxiliary) -> None:
            sanction = aggregate._sanctions[self.sanction_id]
            if self.upheld:
                aggregate._sanctions[self.sanction_id] = replace(
                    sanction, appeal=AppealStatus.upheld
                )
            else:
                aggregate._lift(
                    replace(
                        sanction, appeal=AppealStatus.overturned, status=SanctionStatus.overturned
                    )
                )

    class SanctionRevoked(Event):
        """A sanction was revoked (Art. 18)."""

        sanction_id: str
        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            sanction = aggregate._sanctions[self.sanction_id]
            aggregate._lift(replace(sanction, status=SanctionStatus.revoked))

    class Reinstated(Event):
        """A suspension ended and the auxiliary is active again (Art. 18)."""

        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            suspension = aggregate._sanctions.get(aggregate._suspended_by or "")
            if suspension is not None:
                aggregate._sanctions[suspension.sanction_id] = replace(
                    suspension, ended_on=self.effective
                )
            aggregate._suspended_by = None

    class ReferredForProsecution(Event):
        """A suspected crime was referred for prosecution (Art. 18)."""

        reference: str
        summary: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._referrals.append(Referral(self.reference, self.summary, self.effective))

    class Separated(Event):
        """The auxiliary left the organ; ``effective`` is the first day not employed."""

        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate.separated_on = self.effective
            aggregate.separation_reason = SeparationReason(self.reason)

    class StatementHeard(Event):
        """The auxiliary's statement and defence (陈述申辩) in the case of a proposed sanction
        was heard (Art. 18); the statement is personal data."""

        personal_fields: ClassVar[tuple[str, ...]] = ("statement",)
        personal_subject: ClassVar[str] = "originator_id"

        sanction_id: str
        heard_on: date
        heard_by: str
        statement: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._statements[self.sanction_id] = Statement(
                self.sanction_id, self.heard_on, self.heard_by, self.statement, None
            )

    class StatementWaived(Event):
        """The auxiliary waived the statement and defence in writing in the case of a proposed
        sanction (Art. 18); ``effective`` is the day of the waiver."""

        sanction_id: str
        waiver_reference: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._statements[self.sanction_id] = Statement(
                self.sanction_id, self.effective, None, None, self.waiver_reference
            )

    class ReferralOutcomeRecorded(Event):
        """What became of a referral for prosecution: accepted, declined or judged (Art. 18)."""

        reference: str
        outcome: str
        outcome_reference: str
        decided_on: date

        def apply(self, aggregate: Auxiliary) -> None:
            for index, referral in enumerate(aggregate._referrals):
                if referral.reference == self.reference:
                    aggregate._referrals[index] = replace(
                        referral,
                        outcome=ReferralOutcome(self.outcome),
                        outcome_reference=self.outcome_reference,
                        outcome_on=self.decided_on,
                    )

    class ReturnedToAgency(Separated):
        """A labour-dispatch auxiliary was returned to the dispatch agency, with grounds
        (Art. 8): a separation, ``effective`` the first day not employed."""

        agency: str
        return_grounds: str

    class Corrected(Event):
        """A field recorded by an earlier event (``target_version``) was corrected."""

        target_version: int
        target_hash: str
        field: str
        value: str | date
        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._apply_correction(self)

    class PersonalDataCorrected(Corrected):
        """Phone, address or resident ID number corrected; the value is personal data."""

        personal_fields: ClassVar[tuple[str, ...]] = ("value",)
        personal_subject: ClassVar[str] = "originator_id"

    # ------------------------------------------------------------ life-cycle events

    class ProbationStarted(Event):
        """The probation (试用期) runs from ``effective`` to ``probation_until`` (Art. 8, 9)."""

        probation_until: date

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._probation = Probation(self.effective, self.probation_until)

    class ProbationCompleted(Event):
        """The probation's outcome, passed or failed, decided on ``effective`` (Art. 9)."""

        passed: bool

        def apply(self, aggregate: Auxiliary) -> None:
            if aggregate._probation is not None:
                aggregate._probation = replace(
                    aggregate._probation, passed=self.passed, decided_on=self.effective
                )

    class TrainingRecorded(Event):
        """A training course attended (Art. 9)."""

        course: str
        kind: str
        hours: int
        start: date
        end: date
        passed: bool

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._trainings.append(
                Training(
                    self.course,
                    TrainingKind(self.kind),
                    self.hours,
                    self.start,
                    self.end,
                    self.passed,
                )
            )

    class LeaveStarted(Event):
        """A leave starts on ``effective`` (Art. 13)."""

        leave_id: str
        kind: str
        planned_end: date | None

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate._leaves[self.leave_id] = Leave(
                self.leave_id, LeaveKind(self.kind), self.effective, self.planned_end
            )

    class LeaveEnded(Event):
        """The auxiliary is back from a leave; ``effective`` is the first day back (Art. 13)."""

        leave_id: str

        def apply(self, aggregate: Auxiliary) -> None:
            leave = aggregate._leaves[self.leave_id]
            aggregate._leaves[self.leave_id] = replace(leave, returned_on=self.effective)

    class PriorRecordOverridden(Event):
        """The hire went ahead although the person left a post for cause before: the organs
        the hire was warned about (codes only) and the personnel department's reason."""

        organs: list[str]
        reason: str

        def apply(self, aggregate: Auxiliary) -> None:
            aggregate.prior_record_override = (tuple(self.organs), self.reason)

    # ------------------------------------------------------------------------ state helpers

    def _set_credential_status(self, kind: str, serial: str, status: CredentialStatus) -> None:
        for index, credential in enumerate(self._credentials):
            if credential.kind.value == kind and credential.serial == serial:
                self._credentials[index] = replace(credential, status=status)

    def _lift(self, sanction: Sanction) -> None:
        self._sanctions[sanction.sanction_id] = sanction
        if self._suspended_by == sanction.sanction_id:
            self._suspended_by = None

    def _apply_correction(self, event: Auxiliary.Corrected) -> None:
        if event.field == "gender":
            self.gender = Gender(str(event.value))
        else:
            setattr(self, event.field, event.value)
        self._field_versions[event.field] = event.originator_version
        self._corrections.append(
            Correction(
                event.originator_version, event.target_version, event.target_hash, event.field
            )
        )

    # ---------------------------------------------------------------------------- reads

    @property
    def status(self) -> AuxiliaryStatus:
        """Active, suspended or separated."""
        if self.separated_on is not None:
            return AuxiliaryStatus.separated
        if self._suspended_by is not None:
            return AuxiliaryStatus.suspended
        return AuxiliaryStatus.active

    @property
    def unit(self) -> str:
        """The unit after everything recorded so far."""
        latest = self._units.latest()
        return latest.value if latest else ""

    @property
    def supervisor_id(self) -> str | None:
        """The supervising officer's id after everything recorded so far, or None."""
        latest = self._supervisors.latest()
        return latest.value[0] if latest and latest.value else None

    @property
    def supervisor_name(self) -> str | None:
        """The supervising officer's name after everything recorded so far, or None."""
        latest = self._supervisors.latest()
        return latest.value[1] if latest and latest.value else None

    @property
    def post_type(self) -> PostType:
        """The post type after everything recorded so far."""
        latest = self._posts.latest()
        return latest.value if latest else PostType.patrol

    @property
    def post_category(self) -> PostCategory:
        """Duty or civilian, from the post type (Art. 9)."""
        return post_category(self.post_type)

    @property
    def level(self) -> int:
        """The level after everything recorded so far."""
        latest = self._levels.latest()
        return latest.value if latest else 0

    def employed_on(self, d: date) -> bool:
        """Whether the auxiliary was employed on ``d``."""
        return self.hired_on <= d and (self.separated_on is None or d < self.separated_on)

    def responsibility_on(self, d: date) -> Responsibility | None:
        """Organ, unit and supervisor answering for the auxiliary on ``d``; None if not employed."""
        if not self.employed_on(d):
            return None
        unit = self._units.entry_on(d)
        supervisor = self._supervisors.entry_on(d)
        if unit is None or supervisor is None:
            return None
        return Responsibility(
            organ=self.organ,
            unit=unit.value,
            supervisor_id=supervisor.value[0] if supervisor.value else None,
            supervisor_name=supervisor.value[1] if supervisor.value else None,
        )

    def post_on(self, d: date) -> PostType | None:
        """The post type in effect on ``d``, or None if not employed."""
        entry = self._posts.entry_on(d)
        return entry.value if entry and self.employed_on(d) else None

    def level_on(self, d: date) -> int | None:
        """The level in effect on ``d``, or None if not employed."""
        entry = self._levels.entry_on(d)
        return entry.value if entry and self.employed_on(d) else None

    def assignment_history(self) -> tuple[tuple[date, int, str], ...]:
        """(effective, recording version, unit) for every unit assignment, in effective order."""
        return tuple((e.effective, e.sequence, e.value) for e in self._units.entries)

    def supervisor_history(self) -> tuple[tuple[date, int, str | None], ...]:
        """(effective, recording version, supervisor id or None), in effective order."""
        return tuple(
            (e.effective, e.sequence, e.value[0] if e.value else None)
            for e in self._supervisors.entries
        )

    @property
    def evaluations(self) -> dict[int, AssessmentGrade]:
        """Assessment grade by year."""
        return dict(self._evaluations)

    @property
    def credentials(self) -> tuple[CredentialRecord, ...]:
        """Every credential ever issued, with its status."""
        return tuple(self._credentials)

    def active_credentials(self) -> tuple[CredentialRecord, ...]:
        """Credentials valid now; none once the auxiliary has separated (Art. 12)."""
        if self.status is AuxiliaryStatus.separated:
            return ()
        return tuple(c for c in self._credentials if c.status is CredentialStatus.active)

    def unreturned_credentials(self) -> tuple[CredentialRecord, ...]:
        """Credentials not yet handed back (revoked ones included)."""
        return tuple(c for c in self._credentials if c.status is not CredentialStatus.returned)

    @property
    def insurance(self) -> tuple[InsuranceEnrolment, ...]:
        """Insurance and housing-fund enrolments."""
        return tuple(self._insurance)

    @property
    def health_checks(self) -> tuple[HealthCheck, ...]:
        """Health checks in recording order."""
        return tuple(self._health_checks)

    @property
    def injuries(self) -> dict[str, DutyInjury]:
        """Duty injuries by id, with the costs advanced for each."""
        return dict(self._injuries)

    @property
    def infringements(self) -> tuple[Infringement, ...]:
        """Infringements against the auxiliary."""
        return tuple(self._infringements)

    @property
    def commendations(self) -> tuple[Commendation, ...]:
        """Commendations in recording order."""
        return tuple(self._commendations)

    @property
    def sanctions(self) -> dict[str, Sanction]:
        """Sanctions by id, with their current status and appeal status."""
        return dict(self._sanctions)

    def sanctions_in_force(self) -> tuple[Sanction, ...]:
        """Sanctions neither revoked nor overturned."""
        return tuple(s for s in self._sanctions.values() if s.status is SanctionStatus.in_force)

    @property
    def termination_pending(self) -> bool:
        """Whether a termination is in force but the separation is not yet recorded."""
        return self.status is not AuxiliaryStatus.separated and any(
            s.kind is SanctionKind.termination for s in self.sanctions_in_force()
        )

    def _termination_decided(self) -> bool:
        """Whether a termination in force is not under a pending appeal (a dismissal rests on
        it: once separated, the appeal could no longer be decided)."""
        return any(
            s.kind is SanctionKind.termination and s.appeal is not AppealStatus.pending
            for s in self.sanctions_in_force()
        )

    @property
    def referrals(self) -> tuple[Referral, ...]:
        """Referrals for prosecution."""
        return tuple(self._referrals)

    @property
    def counts(self) -> dict[str, int]:
        """How many of each kind of record the auxiliary has, for summaries and reports."""
        return {
            "evaluations": len(self._evaluations),
            "credentials_active": len(self.active_credentials()),
            "credentials_unreturned": len(self.unreturned_credentials()),
            "insurance_enrolments": len(self._insurance),
            "health_checks": len(self._health_checks),
            "duty_injuries": len(self._injuries),
            "infringements": len(self._infringements),
            "commendations": len(self._commendations),
            "sanctions": len(self._sanctions),
            "sanctions_in_force": len(self.sanctions_in_force()),
            "referrals": len(self._referrals),
            "corrections": len(self._corrections),
        }

    @property
    def corrections(self) -> tuple[Correction, ...]:
        """Corrections in recording order."""
        return tuple(self._corrections)

    def field_version(self, field: str) -> int:
        """The version of the event that recorded the value of a correctable field now in force."""
        if field not in self._field_versions:
            raise NotCorrectableError(
                f"{field} is not a correctable field", zh="该字段不在可更正的字段之列"
            )
        return self._field_versions[field]

    # ------------------------------------------------------------------ life-cycle reads

    @property
    def probation(self) -> Probation | None:
        """The probation and its outcome, if one was recorded."""
        return self._probation

    @property
    def separation_owed(self) -> bool:
        """Whether the probation failed and the separation is not yet recorded."""
        return (
            self.separated_on is None
            and self._probation is not None
            and self._probation.passed is False
        )

    @property
    def trainings(self) -> tuple[Training, ...]:
        """Trainings in recording order."""
        return tuple(self._trainings)

    @property
    def leaves(self) -> tuple[Leave, ...]:
        """Leaves in recording order (which is start order: leaves follow one another)."""
        return tuple(self._leaves.values())

    def leave_on(self, d: date) -> Leave | None:
        """The leave the auxiliary is on on ``d``, or None (never after separation)."""
        if not self.employed_on(d):
            return None
        return next((leave for leave in self._leaves.values() if leave.covers(d)), None)

    @property
    def on_leave(self) -> bool:
        """Whether a leave is open: started and the return not yet recorded."""
        return self.separated_on is None and any(
            leave.returned_on is None for leave in self._leaves.values()
        )

    # ---------------------------------------------------------------------------- what is open

    def state_refusal(self, command: str) -> DomainError | None:
        """Why the record as it stands refuses ``command`` (a name of ``RECORD_COMMANDS``;
        ``KeyError`` for another), or None if its state allows it.

        The one state check of every command on the record: each raises what this returns,
        once it has checked the role and the organ, and ``open_commands`` asks it of them
        all, so what a page offers and what a command refuses cannot disagree. The state
        only -- separated (only credential returns and revocations, appeal decisions,
        referral outcomes and corrections after it), suspended (a reinstatement needs it),
        labour dispatch (a return to the agency needs it), the probation (recorded once,
        decided once) and an open leave (no second one); who asks, the fields and the dates
        are each command's own checks.
        """
        action = _ACTIONS[command]
        if self.separated_on is not None and command not in _AFTER_SEPARATION:
            return AuxiliarySeparatedError(
                f"the auxiliary has separated, so nobody may {action}; only credential returns "
                "and revocations, appeal decisions, referral outcomes and corrections may still "
                "be recorded",
                zh="该辅警已离职：此后只能登记证件的收回或吊销、申诉决定、移送司法结果和更正",
            )
        if command == "reinstate" and self.status is not AuxiliaryStatus.suspended:
            return InvalidTransitionError(self.status.value, command, "only a suspension ends")
        if command == "return_to_agency" and (
            self.employment_form is not EmploymentForm.labour_dispatch or not self.dispatch_agency
        ):
            return NotLabourDispatchError(
                "only an auxiliary employed through labour dispatch (劳务派遣) can be returned "
                "to the dispatch agency; a direct-contract auxiliary separates (Art. 8)",
                zh="直接聘用的辅警应办理离职，只有劳务派遣的辅警才能退回派遣单位（第八条）",
            )
        probation = self._probation
        if command == "start_probation" and probation is not None:
            return DuplicateRecordError(
                "a probation is already recorded for the auxiliary", zh="该辅警已登记过试用期"
            )
        if command == "complete_probation" and probation is None:
            return InvalidTransitionError(
                self.status.value, command, "no probation is recorded for the auxiliary"
            )
        if command == "complete_probation" and probation is not None and probation.decided:
            return DuplicateRecordError(
                "the probation's outcome is already recorded", zh="试用期考核结果已经登记"
            )
        if command == "start_leave" and any(
            leave.returned_on is None for leave in self._leaves.values()
        ):
            return _overlapping_leave()
        return None

    def subjects(
        self, command: str
    ) -> tuple[CredentialRecord | DutyInjury | Sanction | Referral | Leave, ...]:
        """What the record holds that ``command`` may act on, where the command names it in a
        field (a credential by its serial, an injury, a sanction, a referral by its reference,
        a leave), in recording order: the active credentials (a revocation), those not yet
        handed back (a return), the injuries (a cost advance), the sanctions in force not yet
        appealed (an appeal), under a pending appeal (its decision), in force (a revocation),
        the referrals without a final outcome, the open leave. Any other value of the field is
        refused by the command's own check of it; empty for a command that names nothing on
        the record. What a page offers in the field (``open_commands`` offers the command only
        when this holds something); the dates are still the command's to check."""
        pick = _SUBJECTS.get(command)
        return pick(self) if pick is not None else ()

    def _has_subject(self, command: str) -> bool:
        """Whether the record holds something ``command`` may act on (``subjects``), where
        the command names it in a field: with none, every value of the field is refused, each
        by the command's own check of it. True for a command that names nothing on the
        record."""
        return command not in _SUBJECTS or bool(self.subjects(command))

    def open_commands(self) -> tuple[str, ...]:
        """The commands the record's state allows, in the order of ``RECORD_COMMANDS``: those
        ``state_refusal`` has nothing against and, for a command that acts on something the
        record holds (a credential, an injury, a sanction, an appeal, a referral, a leave),
        with something to act on. Who may send each is the command's own rule, not this
        answer's; its fields and dates are still the command's to check."""
        return tuple(
            c for c in RECORD_COMMANDS if self.state_refusal(c) is None and self._has_subject(c)
        )

    # ----------------------------------------------------------------------- command helpers

    def _authorise(
        self, rec: Recording, roles: tuple[Role, ...], command: str, article: str | None
    ) -> None:
        """Refuse the command (a name of ``RECORD_COMMANDS``) unless the actor (the role, the
        organ and, for a unit, the unit the auxiliary served on the effective date), then the
        record's state (``state_refusal``) and the effective date allow it. Who asks is
        checked first: a refusal of the state tells something of the record, which an actor
        outside its scope is not told."""
        actor = rec.actor
        require_role(actor, roles, action=_ACTIONS[command], article=article)
        require_organ(actor, self.organ)
        if actor.role_enum is Role.unit:
            responsibility = self.responsibility_on(rec.effective)
            require_unit(actor, responsibility.unit if responsibility else self.unit)
        refusal = self.state_refusal(command)
        if refusal is not None:
            raise refusal
        if rec.effective < self.hired_on:
            raise InvalidDateRangeError(
                f"effective date precedes the hire's effective date, {self.hired_on.isoformat()}",
                zh=f"生效日期早于录用生效日期（{zh_day(self.hired_on)}）",
            )

    def _not_in_future(self, field: str, day: date, rec: Recording) -> date:
        if day > rec.recorded_on:
            raise DateInFutureError(field)
        return day

    def _in_service(self, field: str, day: date) -> date:
        if day < self.hired_on:
            raise InvalidDateRangeError(
                f"{field} precedes the hire's effective date, {self.hired_on.isoformat()}",
                zh=f"所填日期早于录用生效日期（{zh_day(self.hired_on)}）",
            )
        return day

    def _last_change(self) -> tuple[date, str]:
        """The latest effective date of the hire and of every assignment, post or level change
        recorded, a separation must take effect after, and what was recorded on it in Chinese
        (录用, else the latest 调动, 岗位调整, 层级调整 or 带辅民警调整, in that order)."""
        last = max(
            entry.effective
            for timeline in (self._units, self._supervisors, self._posts, self._levels)
            for entry in timeline.entries
        )
        if last == self.hired_on:
            return last, "录用"
        for timeline, label in (
            (self._units, "调动"),
            (self._posts, "岗位调整"),
            (self._levels, "层级调整"),
        ):
            if any(entry.effective == last for entry in timeline.entries[1:]):
                return last, f"最近一次{label}"
        return last, "最近一次带辅民警调整"

    def _separation_date(self, rec: Recording, what: str) -> None:
        """Refuse a separation (``what``) that takes effect before a fact on the record; the
        messages name the date it must follow, and the earliest it may take effect."""
        last, step = self._last_change()
        if rec.effective <= last:
            earliest = last + timedelta(days=1)
            raise InvalidDateRangeError(
                f"{what} takes effect on the first day not employed, so it must be later than "
                "the hire and every assignment, post or level change already recorded: the "
                f"latest, on {last.isoformat()}; the earliest is {earliest.isoformat()}",
                zh=f"离职（或退回派遣单位）自不再在岗的第一天生效，须晚于{step}的日期（{zh_day(last)}），最早为{zh_day(earliest)}；该日尚未到来的，请于当日或之后登记",
            )
        if rec.effective < self._last_fact_on:
            raise InvalidDateRangeError(
                f"{what} must not take effect before a fact already recorded for the auxiliary "
                "(a sanction, statement, commendation, credential or any other): the latest "
                f"takes effect on {self._last_fact_on.isoformat()}",
                zh=f"离职（或退回派遣单位）的生效日期不得早于已记录的任何事项（处分、陈述申辩、表彰、证件等），最近一项的生效日期为{zh_day(self._last_fact_on)}",
            )

    def _credential(self, kind: CredentialKind, serial: str) -> CredentialRecord:
        for credential in self._credentials:
            if credential.kind is kind and credential.serial == serial:
                return credential
        raise UnknownCredentialError(
            f"no {kind.value} with this serial was issued to the auxiliary (Art. 12)",
            zh=f"未向该辅警发放过这一编号的{kind.label_zh}（第十二条）",
        )

    def _sanction(self, sanction_id: object) -> Sanction:
        checked = identifier("sanction_id", sanction_id)
        if checked not in self._sanctions:
            raise UnknownSanctionError(
                f"no sanction {checked} was imposed on the auxiliary",
                zh="该辅警没有这一编号的处理处分",
            )
        return self._sanctions[checked]

    # -------------------------------------------------------------------------------- hire

    @classmethod
    def hire(cls, rec: Recording, cmd: commands.Hire, *, id: UUID, organ: Organ) -> Auxiliary:
        """Record a hire (the organ's personnel department at organ level, Art. 8, 9)."""
        require_role(rec.actor, (Role.personnel,), action="record a hire", article="Art. 8")
        require_organ_level(rec.actor, action="record a hire", article="Art. 8")
        _require_organ_record(organ)
        require_organ(rec.actor, organ.code)
        if not isinstance(id, UUID):
            raise UUID_REQUIRED.refuse("id")
        unit_code = identifier("unit", cmd.unit)
        if not organ.has_unit(unit_code):
            raise UnknownUnitError(
                f"unit {unit_code} is not registered with organ {organ.code} (Art. 10)",
                zh="辅警只能录用到本机关已登记的用辅部门（第十条）",
            )
        form = member(EmploymentForm, "employment_form", cmd.employment_form)
        agency = _dispatch_agency(form, cmd.dispatch_agency)
        start = plain_date("contract_start", cmd.contract_start)
        end = plain_date("contract_end", cmd.contract_end)
        _contract(start, end, rec.effective)
        post = parse_post_type(cmd.post_type)
        checked_level = rec.policy.levels.check(cmd.level)
        return cls._create(
            cls.Hired,
            id=id,
            **rec.fields(),
            organ=organ.code,
            unit=unit_code,
            supervisor_id=identifier("supervisor_id", cmd.supervisor_id),
            supervisor_name=short_text("supervisor_name", cmd.supervisor_name),
            employment_form=form.value,
            dispatch_agency=agency,
            contract_start=start,
            contract_end=end,
            post_type=post.value,
            level=checked_level,
            name=short_text("name", cmd.name),
            gender=member(Gender, "gender", cmd.gender).value,
            resident_id=_hiring_age(
                validate_resident_id(cmd.resident_id, on=rec.recorded_on), rec.effective
            ),
            phone=phone_number("phone", cmd.phone),
            address=short_text("address", cmd.address),
        )

    def override_prior_records(self, rec: Recording, *, organs: list[str], reason: object) -> None:
        """Keep why a hire warned of prior records went ahead (with the hire, same save)."""
        if self.version != 1 or not organs:
            raise InvalidTransitionError(self.status.value, "override_prior_records")
        self.trigger_event(
            self.PriorRecordOverridden,
            **rec.fields(),
            organs=sorted({identifier("organ", o) for o in organs}),
            reason=free_text("override_reason", reason),
        )

    def renew_contract(self, rec: Recording, cmd: commands.RenewContract) -> None:
        """Extend the contract to a later end date (personnel department, Art. 8)."""
        self._authorise(rec, (Role.personnel,), "renew_contract", "Art. 8")
        end = plain_date("contract_end", cmd.contract_end)
        if end <= self.contract_end:
            raise InvalidDateRangeError(
                "a renewed contract must end later than the current one, on "
                f"{self.contract_end.isoformat()}",
                zh=f"续签后的合同截止日期须晚于现合同截止日期（{zh_day(self.contract_end)}）",
            )
        self.trigger_event(self.ContractRenewed, **rec.fields(), contract_end=end)

    # ------------------------------------------------------------------------ life cycle

    def start_probation(self, rec: Recording, cmd: lifecycle_commands.StartProbation) -> None:
        """Record the probation from the effective date to its last day (personnel, Art. 8,
        9): once, within the contract, ending after it starts."""
        self._authorise(rec, (Role.personnel,), "start_probation", "Art. 8")
        until = plain_date("until", cmd.until)
        if until <= rec.effective:
            raise InvalidDateRangeError(
                "the probation must end after it starts", zh="试用期截止日期须晚于开始日期"
            )
        if rec.effective < self.contract_start or until >= self.contract_end:
            raise InvalidDateRangeError(
                "the probation must lie within the contract and end before the contract does",
                zh="试用期须在劳动合同期限内，并在合同截止前结束",
            )
        self.trigger_event(self.ProbationStarted, **rec.fields(), probation_until=until)

    def complete_probation(self, rec: Recording, cmd: lifecycle_commands.CompleteProbation) -> None:
        """Record the probation's outcome (personnel, Art. 9): once, on or after its start.
        A failed probation owes a separation (``separation_owed``)."""
        self._authorise(rec, (Role.personnel,), "complete_probation", "Art. 9")
        passed = boolean("passed", cmd.passed)
        probation = self._probation
        if probation is None:  # pragma: no cover - the state refused it (``state_refusal``)
            raise TypeError("complete_probation runs on a recorded probation")
        if rec.effective < probation.start:
            raise InvalidDateRangeError(
                f"the probation's outcome precedes its start, {probation.start.isoformat()}",
                zh=f"试用期考核结论的日期早于试用期开始日期（{zh_day(probation.start)}）",
            )
        self.trigger_event(self.ProbationCompleted, **rec.fields(), passed=passed)

    def record_training(self, rec: Recording, cmd: lifecycle_commands.RecordTraining) -> None:
        """Record a training course attended (personnel, Art. 9); it may precede the hire
        (pre-service training) but not end in the future."""
        self._authorise(rec, (Role.personnel,), "record_training", "Art. 9")
        kind = member(TrainingKind, "kind", cmd.kind)
        start = plain_date("start", cmd.start)
        end = self._not_in_future("end", plain_date("end", cmd.end), rec)
        if end < start:
            raise InvalidDateRangeError(
                "a training must not end before it starts", zh="培训结束日期不得早于开始日期"
            )
        self.trigger_event(
            self.TrainingRecorded,
            **rec.fields(),
            course=short_text("course", cmd.course),
            kind=kind.value,
            hours=integer("hours", cmd.hours, 1, MAX_TRAINING_HOURS),
            start=start,
            end=end,
            passed=boolean("passed", cmd.passed),
        )

    def start_leave(self, rec: Recording, cmd: lifecycle_commands.StartLeave) -> None:
        """Record a leave from the effective date (personnel or the using unit, Art. 13):
        refused while another leave is open or when it would start before the end of one
        already recorded."""
        self._authorise(rec, (Role.personnel, Role.unit), "start_leave", "Art. 13")
        leave_id = identifier("leave_id", cmd.leave_id)
        kind = member(LeaveKind, "kind", cmd.kind)
        planned_end = optional_plain_date("planned_end", cmd.planned_end)
        if planned_end is not None and planned_end < rec.effective:
            raise InvalidDateRangeError(
                "a leave's planned end must not precede its start",
                zh="休假计划结束日期不得早于开始日期",
            )
        if leave_id in self._leaves:
            raise DuplicateRecordError(
                f"leave {leave_id} is already recorded", zh="这一编号的休假已经登记"
            )
        for leave in self._leaves.values():  # an open one: the state refused it
            if leave.returned_on is not None and rec.effective < leave.returned_on:
                raise _overlapping_leave(leave.returned_on)
        self.trigger_event(
            self.LeaveStarted,
            **rec.fields(),
            leave_id=leave_id,
            kind=kind.value,
            planned_end=planned_end,
        )

    def end_leave(self, rec: Recording, cmd: lifecycle_commands.EndLeave) -> None:
        """Record the return from an open leave; the effective date is the first day back,
        after the leave's start (personnel or the using unit, Art. 13)."""
        self._authorise(rec, (Role.personnel, Role.unit), "end_leave", "Art. 13")
        leave_id = identifier("leave_id", cmd.leave_id)
        leave = self._leaves.get(leave_id)
        if leave is None:
            raise InvalidTransitionError(
                self.status.value, "end_leave", "no leave with this id is recorded"
            )
        if leave.returned_on is not None:
            raise DuplicateRecordError(
                f"the return from leave {leave_id} is already recorded", zh="该次休假的返岗已经登记"
            )
        if rec.effective <= leave.start:
            raise InvalidDateRangeError(
                "the first day back must be later than the leave's start, "
                f"{leave.start.isoformat()}",
                zh=f"返岗日期（返岗第一天）须晚于休假开始日期（{zh_day(leave.start)}）",
            )
        self.trigger_event(self.LeaveEnded, **rec.fields(), leave_id=leave_id)

    # ------------------------------------------------------------------------ assignments

    def change_post(self, rec: Recording, cmd: commands.ChangePost) -> None:
        """Move the auxiliary to another post type (personnel department, Art. 9)."""
        self._authorise(rec, (Role.personnel,), "change_post", "Art. 9")
        post = parse_post_type(cmd.post_type)
        if self.post_on(rec.effective) is post:
            raise InvalidFieldError(
                "post_type",
                "is already the auxiliary's post on that date",
                zh="该辅警在该日期已在此岗位，无需调整",
            )
        self.trigger_event(self.PostChanged, **rec.fields(), post_type=post.value)

    def transfer(self, rec: Recording, cmd: commands.Transfer, *, organ: Organ) -> None:
        """Move the auxiliary to another unit of the organ with a new supervisor (Art. 10)."""
        self._authorise(rec, (Role.personnel,), "transfer", "Art. 9")
        if _require_organ_record(organ).code != self.organ:
            raise OutsideScopeError(
                f"organ {organ.code} is not the auxiliary's organ {self.organ}; a move between "
                "organs is a separation and a new hire",
                zh="调动只在本机关内进行：调往其他机关的，须在本机关离职后由该机关重新录用",
            )
        unit_code = identifier("unit", cmd.unit)
        if not organ.has_unit(unit_code):
            raise UnknownUnitError(
                f"unit {unit_code} is not registered with organ {organ.code} (Art. 10)",
                zh="辅警只能调往本机关已登记的用辅部门（第十条）",
            )
        current = self.responsibility_on(rec.effective)
        if current is not None and current.unit == unit_code:
            raise InvalidFieldError(
                "unit",
                "is already the auxiliary's unit on that date",
                zh="该辅警在该日期已在此用辅部门，无需调动",
            )
        self.trigger_event(
            self.Transferred,
            **rec.fields(),
            unit=unit_code,
            supervisor_id=identifier("supervisor_id", cmd.supervisor_id),
            supervisor_name=short_text("supervisor_name", cmd.supervisor_name),
        )

    def assign_supervisor(self, rec: Recording, cmd: commands.AssignSupervisor) -> None:
        """Assign the responsible supervising officer (the unit answering then, or personnel)."""
        self._authorise(rec, (Role.unit, Role.personnel), "assign_supervisor", "Art. 10")
        checked_id = identifier("supervisor_id", cmd.supervisor_id)
        current = self.responsibility_on(rec.effective)
        if current is not None and current.supervisor_id == checked_id:
            raise InvalidFieldError(
                "supervisor_id",
                "is already the auxiliary's supervisor on that date",
                zh="该民警在该日期已是该辅警的带辅民警",
            )
        self.trigger_event(
            self.SupervisorAssigned,
            **rec.fields(),
            supervisor_id=checked_id,
            supervisor_name=short_text("supervisor_name", cmd.supervisor_name),
        )

    def release_supervisor(self, rec: Recording, cmd: commands.ReleaseSupervisor) -> None:
        """Release the supervising officer, leaving the auxiliary without one (Art. 10)."""
        self._authorise(rec, (Role.unit, Role.personnel), "release_supervisor", "Art. 10")
        checked_reason = free_text("reason", cmd.reason)
        current = self.responsibility_on(rec.effective)
        if current is None or current.supervisor_id is None:
            raise InvalidTransitionError(
                "without a supervisor", "release_supervisor", "no supervisor on that date"
            )
        self.trigger_event(self.SupervisorReleased, **rec.fields(), reason=checked_reason)

    # ------------------------------------------------------------------------ levels

    def evaluate(self, rec: Recording, cmd: commands.Evaluate) -> None:
        """Record the annual assessment grade for a year (personnel department, Art. 11)."""
        self._authorise(rec, (Role.personnel,), "evaluate", "Art. 11")
        assessed = calendar_year("year", cmd.year)
        if not self.hired_on.year <= assessed <= rec.effective.year:
            raise InvalidDateRangeError(
                "the assessed year must lie between the hire's year and the effective date's year",
                zh="考核年度须在录用年度至生效日期所在年度之间",
            )
        checked_grade = member(AssessmentGrade, "grade", cmd.grade)
        if assessed in self._evaluations:
            raise DuplicateRecordError(
                f"an assessment for {assessed} is already recorded",
                zh=f"该辅警{assessed}年度的考核已经登记",
            )
        self.trigger_event(self.Evaluated, **rec.fields(), year=assessed, grade=checked_grade.value)

    def change_level(self, rec: Recording, cmd: commands.ChangeLevel) -> None:
        """Promote, demote or correct the level (personnel department, Art. 11)."""
        self._authorise(rec, (Role.personnel,), "change_level", "Art. 11")
        new_level = rec.policy.levels.check(cmd.level)
        why = member(LevelChangeReason, "reason", cmd.reason)
        before = self.level_on(rec.effective)
        if before is not None:
            if why is LevelChangeReason.promotion and new_level <= before:
                raise InvalidFieldError(
                    "level",
                    "must be higher than the level in effect for a promotion",
                    zh="晋升后的层级须高于现层级",
                )
            if why is LevelChangeReason.demotion and new_level >= before:
                raise InvalidFieldError(
                    "level",
                    "must be lower than the level in effect for a demotion",
                    zh="降级后的层级须低于现层级",
                )
            if new_level == before:
                raise InvalidFieldError(
                    "level", "equals the level in effect on that date", zh="与该日期的现层级相同"
                )
        self.trigger_event(self.LevelChanged, **rec.fields(), level=new_level, reason=why.value)

    # ------------------------------------------------------------------------ credentials

    def issue_credential(self, rec: Recording, cmd: commands.IssueCredential) -> None:
        """Issue a work ID, uniform or insignia (personnel department, Art. 12)."""
        self._authorise(rec, (Role.personnel,), "issue_credential", "Art. 12")
        checked_kind = member(CredentialKind, "kind", cmd.kind)
        checked_serial = identifier("serial", cmd.serial)
        for credential in self._credentials:
            if credential.kind is not checked_kind:
                continue
            if credential.serial == checked_serial:
                raise SerialAlreadyIssuedError(
                    f"this {checked_kind.value} serial was already issued to the auxiliary (now "
                    f"{credential.status.value}); a serial is issued once and never again "
                    "(Art. 12)",
                    zh=f"这一编号的{checked_kind.label_zh}已发给该辅警"
                    f"（现{credential.status.label_zh}）：编号只发放一次，不得再发（第十二条）",
                )
            if credential.status is CredentialStatus.active:
                raise CredentialAlreadyActiveError(
                    f"the auxiliary already holds an active {checked_kind.value}; revoke or "
                    "return it first (Art. 12)",
                    zh=f"该辅警已持有有效的{checked_kind.label_zh}，须先吊销或收回（第十二条）",
                )
        self.trigger_event(
            self.CredentialIssued, **rec.fields(), kind=checked_kind.value, serial=checked_serial
        )

    def revoke_credential(self, rec: Recording, cmd: commands.RevokeCredential) -> None:
        """Revoke a credential still held (personnel department; also after separation)."""
        self._authorise(rec, (Role.personnel,), "revoke_credential", "Art. 12")
        checked_kind = member(CredentialKind, "kind", cmd.kind)
        credential = self._credential(checked_kind, identifier("serial", cmd.serial))
        checked_reason = free_text("reason", cmd.reason)
        if credential.status is not CredentialStatus.active:
            raise CredentialNotHeldError(
                f"this {checked_kind.value} is already {credential.status.value}",
                zh=f"该{checked_kind.label_zh}{credential.status.label_zh}",
            )
        self.trigger_event(
            self.CredentialRevoked,
            **rec.fields(),
            kind=checked_kind.value,
            serial=credential.serial,
            reason=checked_reason,
        )

    def return_credential(self, rec: Recording, cmd: commands.ReturnCredential) -> None:
        """Record a credential handed back (personnel department; also after separation)."""
        self._authorise(rec, (Role.personnel,), "return_credential", "Art. 12")
        checked_kind = member(CredentialKind, "kind", cmd.kind)
        credential = self._credential(checked_kind, identifier("serial", cmd.serial))
        if credential.status is CredentialStatus.returned:
            raise CredentialNotHeldError(
                f"this {checked_kind.value} was already returned",
                zh=f"该{checked_kind.label_zh}已收回",
            )
        self.trigger_event(
            self.CredentialReturned,
            **rec.fields(),
            kind=checked_kind.value,
            serial=credential.serial,
        )

    # ------------------------------------------------------------------- welfare, Art. 13-15

    def enrol_insurance(self, rec: Recording, cmd: commands.EnrolInsurance) -> None:
        """Record an insurance or housing-fund enrolment (personnel department, Art. 13)."""
        self._authorise(rec, (Role.personnel,), "enrol_insurance", "Art. 13")
        checked_kind = member(InsuranceKind, "kind", cmd.kind)
        checked_start = plain_date("start", cmd.start)
        checked_end = optional_plain_date("end", cmd.end)
        if checked_end is not None and checked_end <= checked_start:
            raise InvalidDateRangeError(
                "insurance end must be later than its start", zh="保险截止日期须晚于起始日期"
            )
        self.trigger_event(
            self.InsuranceEnrolled,
            **rec.fields(),
            kind=checked_kind.value,
            insurer=short_text("insurer", cmd.insurer),
            policy_number=short_text("policy_number", cmd.policy_number),
            start=checked_start,
            end=checked_end,
        )

    def record_health_check(self, rec: Recording, cmd: commands.RecordHealthCheck) -> None:
        """Record a periodic health check (personnel department, Art. 13)."""
        self._authorise(rec, (Role.personnel,), "record_health_check", "Art. 13")
        day = self._not_in_future("checked_on", plain_date("checked_on", cmd.checked_on), rec)
        self.trigger_event(
            self.HealthChecked,
            **rec.fields(),
            checked_on=day,
            fit=boolean("fit", cmd.fit),
            details=free_text("details", cmd.details),
        )

    def record_duty_injury(self, rec: Recording, cmd: commands.RecordDutyInjury) -> None:
        """Record an injury on duty (the using unit or the personnel department, Art. 14)."""
        self._authorise(rec, (Role.unit, Role.personnel), "record_duty_injury", "Art. 14")
        checked_id = identifier("injury_id", cmd.injury_id)
        day = plain_date("occurred_on", cmd.occurred_on)
        self._not_in_future("occurred_on", self._in_service("occurred_on", day), rec)
        if checked_id in self._injuries:
            raise DuplicateRecordError(
                f"injury {checked_id} is already recorded", zh="这一编号的因公负伤已经登记"
            )
        self.trigger_event(
            self.DutyInjuryRecorded,
            **rec.fields(),
            injury_id=checked_id,
            occurred_on=day,
            medical_details=free_text("medical_details", cmd.medical_details),
        )

    def advance_cost(self, rec: Recording, cmd: commands.AdvanceCost) -> None:
        """Record a medical, transport or nursing cost advanced by the organ (Art. 14)."""
        self._authorise(rec, (Role.personnel,), "advance_cost", "Art. 14")
        checked_id = identifier("injury_id", cmd.injury_id)
        if checked_id not in self._injuries:
            raise UnknownInjuryError(
                f"no duty injury {checked_id} is recorded for the auxiliary",
                zh="该辅警没有这一编号的因公负伤记录",
            )
        self.trigger_event(
            self.CostAdvanced,
            **rec.fields(),
            injury_id=checked_id,
            category=member(CostCategory, "category", cmd.category).value,
            amount=amount_of_money("amount", cmd.amount),
        )

    def record_infringement(self, rec: Recording, cmd: commands.RecordInfringement) -> None:
        """Record an unlawful infringement against the auxiliary or relatives (Art. 15)."""
        self._authorise(rec, (Role.unit, Role.personnel), "record_infringement", "Art. 15")
        day = plain_date("occurred_on", cmd.occurred_on)
        self._not_in_future("occurred_on", self._in_service("occurred_on", day), rec)
        self.trigger_event(
            self.InfringementRecorded,
            **rec.fields(),
            occurred_on=day,
            description=free_text("description", cmd.description),
            referred_to=optional_short_text("referred_to", cmd.referred_to),
        )

    def commend(self, rec: Recording, cmd: commands.Commend) -> None:
        """Record a commendation (personnel department, Art. 16)."""
        self._authorise(rec, (Role.personnel,), "commend", "Art. 16")
        self.trigger_event(
            self.Commended,
            **rec.fields(),
            kind=member(CommendationKind, "kind", cmd.kind).value,
            issuing_body=short_text("issuing_body", cmd.issuing_body),
        )

    # ------------------------------------------------------------------ discipline, Art. 18

    def impose_sanction(self, rec: Recording, cmd: commands.ImposeSanction) -> None:
        """Impose a sanction (discipline office, Art. 18)."""
        self._authorise(rec, (Role.discipline,), "impose_sanction", "Art. 18")
        checked_id = identifier("sanction_id", cmd.sanction_id)
        checked_kind = member(SanctionKind, "kind", cmd.kind)
        checked_until = optional_plain_date("until", cmd.until)
        refs = _linked_findings(cmd.linked_findings)
        checked_facts = free_text("facts", cmd.facts)
        checked_reasons = free_text("reasons", cmd.reasons)
        checked_article = sanction_article(cmd.article)
        checked_number = document_number(
            "document_number", cmd.document_number, recorded_on=rec.recorded_on
        )
        checked_evidence = evidence_references(cmd.evidence)
        if checked_id in self._sanctions:
            raise DuplicateRecordError(
                f"sanction {checked_id} is already recorded", zh="这一处分编号已经使用"
            )
        if checked_until is not None:
            if checked_kind is SanctionKind.termination:
                raise InvalidFieldError(
                    "until",
                    "must be empty: a termination has no term",
                    zh="解除劳动合同/辞退没有期限，不填期限",
                )
            if checked_until <= rec.effective:
                raise InvalidDateRangeError(
                    "a sanction's term must end after it takes effect",
                    zh="处分期限须晚于处分生效日期",
                )
        if checked_kind is SanctionKind.suspension and self._suspended_by is not None:
            raise InvalidTransitionError(
                self.status.value, "impose_sanction", "the auxiliary is already suspended"
            )
        self._require_statement(checked_id, rec.effective)
        self.trigger_event(
            self.SanctionImposed,
            **rec.fields(),
            sanction_id=checked_id,
            kind=checked_kind.value,
            until=checked_until,
            linked_findings=refs,
            facts=checked_facts,
            reasons=checked_reasons,
            article=checked_article,
            document_number=checked_number,
            evidence=checked_evidence,
        )

    def _require_statement(self, sanction_id: str, decided_on: date) -> None:
        statement = self._statements.get(sanction_id)
        if statement is None:
            raise StatementMissingError(
                f"no statement and defence (陈述申辩) of the auxiliary was heard or waived in "
                f"writing for sanction {sanction_id}; record one before the decision (Art. 18)",
                zh="该处分编号下尚未听取辅警的陈述申辩，也没有其书面放弃：须先登记，再作出处理（第十八条）",
            )
        if statement.heard_on > decided_on:
            raise InvalidDateRangeError(
                "the statement and defence must be heard or waived no later than the decision "
                "takes effect",
                zh="陈述申辩须在处分生效之前（或当日）听取或书面放弃",
            )

    def appeal_sanction(self, rec: Recording, cmd: commands.AppealSanction) -> None:
        """Record the auxiliary's appeal against a sanction in force (discipline office)."""
        self._authorise(rec, (Role.discipline,), "appeal_sanction", "Art. 18")
        sanction = self._sanction(cmd.sanction_id)
        checked_grounds = free_text("grounds", cmd.grounds)
        if sanction.status is not SanctionStatus.in_force:
            raise InvalidTransitionError(sanction.status.value, "appeal_sanction")
        if sanction.appeal is not AppealStatus.not_appealed:
            raise InvalidTransitionError(
                f"appeal {sanction.appeal.value}", "appeal_sanction", "a sanction is appealed once"
            )
        if rec.effective < sanction.effective:
            raise InvalidDateRangeError(
                "an appeal must not precede the sanction it is against, effective "
                f"{sanction.effective.isoformat()}",
                zh=f"申诉日期不得早于所申诉的处分的生效日期（{zh_day(sanction.effective)}）",
            )
        self.trigger_event(
            self.SanctionAppealed,
            **rec.fields(),
            sanction_id=sanction.sanction_id,
            grounds=checked_grounds,
        )

    def decide_appeal(self, rec: Recording, cmd: commands.DecideAppeal) -> None:
        """Decide a pending appeal; overturning it lifts the sanction (the police inspectorate:
        another role and another person than the ones who imposed it, Art. 18). Also after
        the auxiliary has separated: a resignation does not end the appeal, and its outcome
        decides whether the separation was for cause (``domain.holds.separated_for_cause``)."""
        self._authorise(rec, (Role.inspector,), "decide_appeal", "Art. 18")
        sanction = self._sanction(cmd.sanction_id)
        checked_upheld = boolean("upheld", cmd.upheld)
        if sanction.appeal is not AppealStatus.pending:
            raise InvalidTransitionError(
                f"appeal {sanction.appeal.value}", "decide_appeal", "no appeal is pending"
            )
        if sanction.status is not SanctionStatus.in_force:
            raise InvalidTransitionError(sanction.status.value, "decide_appeal")
        if sanction.appealed_on is not None and rec.effective < sanction.appealed_on:
            raise InvalidDateRangeError(
                "an appeal's decision must not precede the appeal, on "
                f"{sanction.appealed_on.isoformat()}",
                zh=f"申诉决定日期不得早于申诉日期（{zh_day(sanction.appealed_on)}）",
            )
        imposer = sanction.imposed_by
        if imposer is not None and imposer.role == rec.actor.role:
            raise SameDeciderError(
                f"the role that imposed sanction {sanction.sanction_id} ({imposer.role}) may "
                "not decide the appeal against it (Art. 18)",
                zh=f"作出该处分的{Role(imposer.role).label_zh}不能决定对该处分的申诉：申诉由其他部门审查（第十八条）",
            )
        if imposer is not None and same_person(imposer, rec.actor):
            raise SameDeciderError(
                f"the person who imposed sanction {sanction.sanction_id} may not decide the "
                "appeal against it (Art. 18)",
                zh="作出该处分的人员不能决定对该处分的申诉：申诉由其他人员审查（第十八条）",
            )
        self.trigger_event(
            self.AppealDecided,
            **rec.fields(),
            sanction_id=sanction.sanction_id,
            upheld=checked_upheld,
        )

    def revoke_sanction(self, rec: Recording, cmd: commands.RevokeSanction) -> None:
        """Revoke a sanction in force (discipline office, Art. 18)."""
        self._authorise(rec, (Role.discipline,), "revoke_sanction", "Art. 18")
        sanction = self._sanction(cmd.sanction_id)
        checked_reason = free_text("reason", cmd.reason)
        if sanction.status is not SanctionStatus.in_force:
            raise InvalidTransitionError(sanction.status.value, "revoke_sanction")
        if rec.effective < sanction.effective:
            raise InvalidDateRangeError(
                "a revocation must not precede the sanction it revokes, effective "
                f"{sanction.effective.isoformat()}",
                zh=f"撤销日期不得早于所撤销的处分的生效日期（{zh_day(sanction.effective)}）",
            )
        self.trigger_event(
            self.SanctionRevoked,
            **rec.fields(),
            sanction_id=sanction.sanction_id,
            reason=checked_reason,
        )

    def reinstate(self, rec: Recording, cmd: commands.Reinstate) -> None:
        """End a suspension (discipline office, Art. 18)."""
        self._authorise(rec, (Role.discipline,), "reinstate", "Art. 18")
        checked_reason = free_text("reason", cmd.reason)
        suspension = self._sanctions.get(self._suspended_by or "")
        if suspension is not None and rec.effective < suspension.effective:
            raise InvalidDateRangeError(
                "a reinstatement must not precede the suspension it ends, effective "
                f"{suspension.effective.isoformat()}",
                zh=f"恢复执勤日期不得早于停职日期（{zh_day(suspension.effective)}）",
            )
        self.trigger_event(self.Reinstated, **rec.fields(), reason=checked_reason)

    def refer_for_prosecution(self, rec: Recording, cmd: commands.ReferForProsecution) -> None:
        """Record a referral of a suspected crime for prosecution (discipline office, Art. 18)."""
        self._authorise(rec, (Role.discipline,), "refer_for_prosecution", "Art. 18")
        checked_reference = short_text("reference", cmd.reference)
        checked_summary = free_text("summary", cmd.summary)
        if any(r.reference == checked_reference for r in self._referrals):
            raise DuplicateRecordError(
                "a referral with this reference is already recorded",
                zh="这一文号的移送司法已经登记",
            )
        self.trigger_event(
            self.ReferredForProsecution,
            **rec.fields(),
            reference=checked_reference,
            summary=checked_summary,
        )

    # ------------------------------------------ statements, referral outcomes (Art. 18)

    def hear_statement(self, rec: Recording, cmd: commands.HearStatement) -> None:
        """Record the auxiliary's statement and defence (陈述申辩) in the case of a proposed
        sanction, before the decision (discipline office, Art. 18)."""
        self._authorise(rec, (Role.discipline,), "hear_statement", "Art. 18")
        checked_id = identifier("sanction_id", cmd.sanction_id)
        day = plain_date("heard_on", cmd.heard_on)
        self._not_in_future("heard_on", self._in_service("heard_on", day), rec)
        heard_by = short_text("heard_by", cmd.heard_by)
        statement = free_text("statement", cmd.statement)
        self._statement_open(checked_id, "hear_statement")
        self.trigger_event(
            self.StatementHeard,
            **rec.fields(),
            sanction_id=checked_id,
            heard_on=day,
            heard_by=heard_by,
            statement=statement,
        )

    def waive_statement(self, rec: Recording, cmd: commands.WaiveStatement) -> None:
        """Record that the auxiliary waived the statement and defence in writing in the case of
        a proposed sanction (discipline office, Art. 18)."""
        self._authorise(rec, (Role.discipline,), "waive_statement", "Art. 18")
        checked_id = identifier("sanction_id", cmd.sanction_id)
        reference = short_text("waiver_reference", cmd.waiver_reference)
        self._statement_open(checked_id, "waive_statement")
        self.trigger_event(
            self.StatementWaived,
            **rec.fields(),
            sanction_id=checked_id,
            waiver_reference=reference,
        )

    def _statement_open(self, sanction_id: str, command: str) -> None:
        if sanction_id in self._sanctions:
            raise InvalidTransitionError(
                "decided", command, "a statement and defence precedes the decision"
            )
        if sanction_id in self._statements:
            raise DuplicateRecordError(
                f"a statement and defence for sanction {sanction_id} is already recorded",
                zh="该处分编号下已登记过陈述申辩（听取或书面放弃）",
            )

    def record_referral_outcome(self, rec: Recording, cmd: commands.RecordReferralOutcome) -> None:
        """Record what became of a referral for prosecution (discipline office, Art. 18); also
        after separation."""
        self._authorise(rec, (Role.discipline,), "record_referral_outcome", "Art. 18")
        checked_reference = short_text("reference", cmd.reference)
        outcome = member(ReferralOutcome, "outcome", cmd.outcome)
        outcome_reference = short_text("outcome_reference", cmd.outcome_reference)
        day = plain_date("decided_on", cmd.decided_on)
        self._not_in_future("decided_on", day, rec)
        referral = next((r for r in self._referrals if r.reference == checked_reference), None)
        if referral is None:
            raise UnknownReferralError(
                "no referral with this reference was recorded",
                zh="该辅警没有这一文号的移送司法记录",
            )
        if day < referral.effective:
            raise InvalidDateRangeError(
                f"decided_on precedes the referral, on {referral.effective.isoformat()}",
                zh=f"司法处理结果的日期早于移送日期（{zh_day(referral.effective)}）",
            )
        if referral.outcome in (ReferralOutcome.declined, ReferralOutcome.judgement):
            raise InvalidTransitionError(
                referral.outcome.value, "record_referral_outcome", "the outcome is final"
            )
        if referral.outcome is outcome:
            raise InvalidTransitionError(
                referral.outcome.value, "record_referral_outcome", "already recorded"
            )
        self.trigger_event(
            self.ReferralOutcomeRecorded,
            **rec.fields(),
            reference=checked_reference,
            outcome=outcome.value,
            outcome_reference=outcome_reference,
            decided_on=day,
        )

    # ---------------------------------------------------------------------- separation

    def separate(self, rec: Recording, cmd: commands.Separate) -> None:
        """Record that the auxiliary left; ``effective`` is the first day not employed."""
        self._authorise(rec, (Role.personnel,), "separate", "Art. 9")
        why = member(SeparationReason, "reason", cmd.reason)
        if why is SeparationReason.returned_to_agency:
            raise InvalidFieldError(
                "reason",
                "returned_to_agency is recorded by a return to the agency (Art. 8)",
                zh="退回派遣单位应通过“退回派遣单位”办理，不作为离职原因登记（第八条）",
            )
        self._separation_date(rec, "separation")
        if why is SeparationReason.dismissed and not self.termination_pending:
            raise InvalidTransitionError(
                self.status.value,
                "separate",
                "a separation for dismissal needs a termination sanction in force (Art. 18)",
            )
        if why is SeparationReason.dismissed and not self._termination_decided():
            raise InvalidTransitionError(
                "appeal pending",
                "separate",
                "the appeal against the termination is pending: the inspectorate decides it "
                "before a separation for dismissal (Art. 18)",
            )
        if why is SeparationReason.probation_failed and not self.separation_owed:
            raise InvalidTransitionError(
                self.status.value,
                "separate",
                "a separation for a failed probation needs a failed probation outcome",
            )
        self.trigger_event(self.Separated, **rec.fields(), reason=why.value)

    def return_to_agency(self, rec: Recording, cmd: commands.ReturnToAgency) -> None:
        """Return a labour-dispatch auxiliary to the dispatch agency with grounds (personnel
        department, Art. 8); a separation, ``effective`` the first day not employed."""
        self._authorise(rec, (Role.personnel,), "return_to_agency", "Art. 8")
        grounds = free_text("return_grounds", cmd.return_grounds)
        self._separation_date(rec, "a return to the agency")
        self.trigger_event(
            self.ReturnedToAgency,
            **rec.fields(),
            reason=SeparationReason.returned_to_agency.value,
            agency=self.dispatch_agency,
            return_grounds=grounds,
        )

    # ---------------------------------------------------------------------- corrections

    def correct(
        self, rec: Recording, cmd: commands.Correct, *, target_version: int, target_hash: str
    ) -> None:
        """Correct a whitelisted field recorded by the event at ``target_version``."""
        self._authorise(rec, (Role.personnel,), "correct", "Art. 9")
        if not isinstance(cmd.field, str) or cmd.field not in _CORRECTION_EVENT:
            allowed = ", ".join((*CORRECTABLE_FIELDS, *PERSONAL_CORRECTABLE_FIELDS))
            raise NotCorrectableError(
                f"only these fields are correctable: {allowed}", zh="只能更正表单所列的字段"
            )
        if isinstance(target_version, bool) or not isinstance(target_version, int):
            raise WHOLE_NUMBER.refuse("target_version")
        if not 1 <= target_version <= self.version:
            raise NotCorrectableError(
                f"target_version {target_version} names no event of this auxiliary "
                f"(versions 1 to {self.version})",
                zh=f"所指的记录版本不存在（该辅警的记录版本为1至{self.version}）",
            )
        in_force = self._field_versions[cmd.field]
        if target_version != in_force:
            raise NotCorrectableError(
                f"the value of {cmd.field} in force was recorded by version {in_force}, "
                f"not by version {target_version}",
                zh="该字段的现值不是由所指的记录版本登记的：更正须指向登记现值的那一版本",
            )
        if cmd.field == "resident_id":
            # The number is who was hired: corrected, it is checked as a hire is (the age, and
            # by the service whether the person is employed elsewhere), so by whom a hire is.
            require_organ_level(rec.actor, action="correct a resident ID number", article="Art. 8")
        checked_hash = opaque_token("target_hash", target_hash)
        checked_value = self._corrected_value(cmd.field, cmd.value, rec)
        self.trigger_event(
            getattr(self, _CORRECTION_EVENT[cmd.field]),
            **rec.fields(),
            target_version=target_version,
            target_hash=checked_hash,
            field=cmd.field,
            value=checked_value,
            reason=free_text("reason", cmd.reason),
        )

    def _corrected_value(self, field: str, value: object, rec: Recording) -> str | date:
        checked: str | date
        if field == "name":
            checked = short_text("value", value)
        elif field == "gender":
            checked = member(Gender, "value", value).value
        elif field == "phone":
            checked = phone_number("value", value)
        elif field == "address":
            checked = short_text("value", value)
        elif field == "resident_id":
            if not isinstance(value, str):
                raise MUST_BE_TEXT.refuse("value")
            checked = _hiring_age(
                validate_resident_id(value, on=rec.recorded_on), self.hired_on, corrected=True
            )
        elif field == "contract_start":
            checked = plain_date("value", value)
            _contract(checked, self.contract_end, self.hired_on)
        elif field == "contract_end":
            checked = plain_date("value", value)
            _contract(self.contract_start, checked, self.hired_on)
        else:  # dispatch_agency
            if self.employment_form is not EmploymentForm.labour_dispatch:
                raise NotCorrectableError(
                    "dispatch_agency is only correctable under labour dispatch (Art. 8)",
                    zh="只有劳务派遣的辅警才有派遣单位可以更正（第八条）",
                )
            checked = short_text("value", value)
        current = getattr(self, field)
        if checked == (current.value if isinstance(current, Gender) else current):
            raise InvalidFieldError(
                "value", "equals the value in force", zh="更正后的值与现记录相同，无需更正"
            )
        return checked


_CORRECTION_EVENT = MappingProxyType(
    {
        **dict.fromkeys(CORRECTABLE_FIELDS, "Corrected"),
        **dict.fromkeys(PERSONAL_CORRECTABLE_FIELDS, "PersonalDataCorrected"),
    }
)


class CredentialSerial(Aggregate):
    """A credential's serial and the one auxiliary it was issued to (Art. 12).

    Its id is derived from the kind and the serial (``CredentialSerial.id_for``), so a second
    issue of the serial -- to another auxiliary of any organ, or to the same one after it was
    returned or revoked -- would record a second version 1 of it, which the event store
    refuses: the public credential check and complaint intake find one holder for a work ID.
    It is recorded with the auxiliary's ``CredentialIssued``, in the same save, and never
    released: a returned or revoked serial stays claimed for ever.
    """

    def __init__(self) -> None:
        self.kind: str = ""
        self.serial: str = ""
        self.organ: str = ""
        self.auxiliary_id: UUID | None = None

    class Event(LedgerEvent):
        """Base of the serial's events."""

    class Claimed(Event, LedgerCreated):
        """The organ issued a credential with this serial to the auxiliary."""

        kind: str
        serial: str
        organ: str
        auxiliary_id: UUID

        def apply(self, aggregate: CredentialSerial) -> None:
            aggregate.kind = self.kind
            aggregate.serial = self.serial
            aggregate.organ = self.organ
            aggregate.auxiliary_id = self.auxiliary_id

    @staticmethod
    def id_for(kind: CredentialKind | str, serial: str) -> UUID:
        """The id of the claim on a credential serial of this kind."""
        return uuid5(ID_NAMESPACE, f"credential:{CredentialKind(kind).value}:{serial}")

    @classmethod
    def claim(
        cls, rec: Recording, *, auxiliary: Auxiliary, kind: CredentialKind | str, serial: str
    ) -> CredentialSerial:
        """The claim of an auxiliary that has just been issued the credential
        (``Auxiliary.issue_credential``)."""
        checked_kind = member(CredentialKind, "kind", kind)
        checked_serial = identifier("serial", serial)
        if not any(
            c.kind is checked_kind and c.serial == checked_serial for c in auxiliary.credentials
        ):
            raise UnknownCredentialError(
                f"no {checked_kind.value} with this serial was issued to the auxiliary (Art. 12)",
                zh=f"未向该辅警发放过这一编号的{checked_kind.label_zh}（第十二条）",
            )
        return cls._create(
            cls.Claimed,
            id=cls.id_for(checked_kind, checked_serial),
            **rec.fields(),
            kind=checked_kind.value,
            serial=checked_serial,
            organ=auxiliary.organ,
            auxiliary_id=auxiliary.id,
        )
