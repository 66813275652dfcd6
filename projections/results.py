"""Typed, JSON-serialisable results of the queries.

Every result is a frozen dataclass with ``to_json()``: dates and instants as ISO 8601 text,
UUIDs as text, money and ratios as decimal text (never floats), nested results as objects.
``Page`` wraps a page of results with the total count.

Invariants kept here:

- No result type has a field for personal data; timeline entries carry decoded event fields
  but name the personal ones in ``personal_fields`` so the HTTP edge can mask them by role.
- ``to_json()`` output contains only JSON types (str, int, bool, None, lists, dicts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, Self, TypeVar
from uuid import UUID

__all__ = [
    "AccountabilityRow",
    "ActiveSanction",
    "AssessmentRow",
    "AssessmentSummary",
    "AuxiliaryAsOf",
    "AuxiliaryColumns",
    "AuxiliaryGap",
    "AuxiliaryRef",
    "CloseTimeRow",
    "ComplaintDetail",
    "ComplaintSummary",
    "ContractEnding",
    "CredentialAsOf",
    "CredentialHolder",
    "Deadlines",
    "EarlyWarningAlert",
    "FindingRow",
    "LevelCount",
    "LifecycleWarning",
    "MisconductRow",
    "Page",
    "PayAgainstWage",
    "PersonnelStatus",
    "QuotaUse",
    "RatioRow",
    "ResponsibilityOn",
    "ReviewRow",
    "RuleFlag",
    "RuleSetStatus",
    "SanctionAsOf",
    "Timeline",
    "TimelineEntry",
    "UnmatchedComplaint",
    "UnreturnedCredential",
    "UnsanctionedFinding",
    "json_ready",
]

T = TypeVar("T")


_AS_IS: frozenset[type] = frozenset({str, int, bool, float, type(None)})
"""Exact types already in JSON form (a subclass, such as a ``StrEnum``, takes the long way)."""


def json_ready(value: Any) -> Any:
    """A value in JSON types: ISO dates, text UUIDs and decimals, dicts for dataclasses."""
    kind = type(value)
    if kind in _AS_IS:  # the common cases first: a timeline converts ~30 values per event
        return value
    if kind is dict:
        return {str(k): json_ready(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [json_ready(v) for v in value]
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return json_ready(value.value)
    if isinstance(value, bytes):
        return value.hex()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_json = getattr(value, "to_json", None)
        if to_json is not None:
            return to_json()
        return {f.name: json_ready(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_ready(v) for v in value]
    return str(value)


class _Json:
    """``to_json()`` for dataclasses: every field, JSON-ready; ``from_row`` builds one from a
    read-model row."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {name: json_ready(getattr(self, name)) for name in _field_names(type(self))}

    @classmethod
    def from_row(cls, row: Mapping[str, Any], **computed: Any) -> Self:
        """One from a read-model row: each field is the row's column of that name, unless
        ``computed`` gives its value (a conversion such as ``int(...)``, or a value worked
        out). A ``computed`` name that is no field is refused, a field the row lacks too."""
        names = _field_names(cls)
        unknown = computed.keys() - set(names)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        return cls(**{name: computed[name] if name in computed else row[name] for name in names})


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, looked up once per class."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES.setdefault(cls, tuple(f.name for f in dataclasses.fields(cls)))
    return names


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results, with the total over all pages."""

    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, -(-self.total // self.page_size))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "items": [json_ready(i) for i in self.items],
            "page": self.page,
            "page_size": self.page_size,
            "total": self.total,
            "pages": self.pages,
        }


# --------------------------------------------------------------------------- personnel


@dataclasses.dataclass(frozen=True)
class ActiveSanction(_Json):
    """A sanction in force whose term has not ended."""

    sanction_id: str
    kind: str
    effective: date
    until: date | None
    document_number: str | None = None
    """The decision document number (文书编号); None for decisions recorded before it was
    required (Art. 18)."""


@dataclasses.dataclass(frozen=True)
class PersonnelStatus(_Json):
    """One auxiliary's current record (personnel status)."""

    auxiliary_id: UUID
    name: str
    organ: str
    unit: str
    unit_since: date
    supervisor_id: str | None
    supervisor_name: str | None
    post_type: str
    post_category: str
    level: int
    employment_form: str
    contract_start: date
    contract_end: date
    hired_on: date
    status: str
    separated_on: date | None
    active_sanctions: tuple[ActiveSanction, ...]
    sanctions_in_force: int
    commendations: int
    complaints: int
    last_health_check: date | None
    version: int


@dataclasses.dataclass(frozen=True)
class AuxiliaryRef(_Json):
    """An auxiliary found by name and unit (no personal data)."""

    auxiliary_id: UUID
    organ: str
    unit: str
    name: str


@dataclasses.dataclass(frozen=True)
class CredentialHolder(_Json):
    """Who a credential serial was issued to, and whether it is valid now (Art. 12)."""

    kind: str
    serial: str
    auxiliary_id: UUID
    organ: str
    issued_on: date
    credential_status: str
    holder_status: str
    active: bool


@dataclasses.dataclass(frozen=True)
class TimelineEntry(_Json):
    """One stored event of an auxiliary's record, with its verification result."""

    position: int
    originator_id: UUID
    originator_version: int
    event: str
    topic: str
    recorded_at: datetime | None
    effective: date | None
    actor: dict[str, Any] | None
    basis: str | None
    rule_id: str | None
    key_id: str | None
    hash: str
    verified: bool
    failure: str | None
    failure_detail: str | None
    fields: dict[str, Any]
    personal_fields: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Timeline(_Json):
    """An auxiliary's complete history, in log order."""

    auxiliary_id: UUID
    entries: tuple[TimelineEntry, ...]

    @property
    def verified(self) -> bool:
        """True when every entry verified."""
        return all(e.verified for e in self.entries)


@dataclasses.dataclass(frozen=True)
class CredentialAsOf(_Json):
    """A credential as the record stood for a date."""

    kind: str
    serial: str
    issued_on: date
    status: str


@dataclasses.dataclass(frozen=True)
class SanctionAsOf(_Json):
    """A sanction as the record stood for a date."""

    sanction_id: str
    kind: str
    effective: date
    until: date | None
    status: str
    appeal: str


@dataclasses.dataclass(frozen=True)
class AuxiliaryAsOf(_Json):
    """An auxiliary's record replayed from its events for a date (see docs/projections.md)."""

    auxiliary_id: UUID
    on: date
    recorded_by: datetime | None
    events_applied: int
    events_total: int
    last_version_applied: int
    skipped: tuple[int, ...]
    name: str
    organ: str
    employed: bool
    unit: str | None
    supervisor_id: str | None
    supervisor_name: str | None
    post_type: str | None
    post_category: str | None
    level: int | None
    employment_form: str
    contract_start: date
    contract_end: date
    hired_on: date
    separated_on: date | None
    status: str
    commendations: int
    sanctions: tuple[SanctionAsOf, ...]
    credentials: tuple[CredentialAsOf, ...]
    health_checks: int
    corrections: int


# --------------------------------------------------------------------------- complaints


@dataclasses.dataclass(frozen=True)
class Deadlines(_Json):
    """A complaint's deadlines under the complaint policy, and which are missed."""

    acknowledge_due: date
    conclude_due: date | None
    notify_due: date | None
    investigator_due: date | None
    overdue: tuple[str, ...]
    late: tuple[str, ...]
    review_due: date | None = None
    """The due date of the current round's review (复查), once one was asked for."""


@dataclasses.dataclass(frozen=True)
class ComplaintSummary(_Json):
    """A row of the complaint registry."""

    complaint_id: UUID
    auxiliary_id: UUID | None
    auxiliary_name: str | None
    organ: str
    unit: str | None
    supervisor_id: str | None
    supervisor_name: str | None
    channel: str
    incident_on: date
    received_on: date
    status: str
    allegations: int
    round_no: int
    acknowledged_on: date | None
    accepted_on: date | None
    declined_on: date | None
    concluded_on: date | None
    notified_on: date | None
    closed_on: date | None
    withdrawn_on: date | None
    reopened: int
    days_to_close: int | None
    deadlines: Deadlines
    outside_reference: str | None
    referring_organ: str | None
    taken_by: str | None
    matched: bool
    matched_on: date | None
    review_requested_on: date | None
    review_decided_on: date | None


@dataclasses.dataclass(frozen=True)
class UnmatchedComplaint(ComplaintSummary):
    """A complaint that names no auxiliary yet, with what matching it needs: the incident's
    place (its day is ``incident_on``) and the subject as the complainant described them."""

    incident_place: str
    subject_description: str | None


@dataclasses.dataclass(frozen=True)
class FindingRow(_Json):
    """A finding on one allegation."""

    complaint_id: UUID
    auxiliary_id: UUID
    organ: str
    unit: str
    allegation_number: int
    round_no: int
    result: str
    effective: date
    latest: bool


@dataclasses.dataclass(frozen=True)
class ComplaintDetail(_Json):
    """A complaint with every finding per allegation (latest and earlier rounds)."""

    complaint: ComplaintSummary
    findings: tuple[FindingRow, ...]


# --------------------------------------------------------------------------- responsibility


@dataclasses.dataclass(frozen=True)
class ResponsibilityOn(_Json):
    """Who answered for an auxiliary on a date (Art. 10, 17)."""

    auxiliary_id: UUID
    on: date
    employed: bool
    organ: str
    unit: str | None
    unit_name: str | None
    supervisor_id: str | None
    supervisor_name: str | None


@dataclasses.dataclass(frozen=True)
class AccountabilityRow(_Json):
    """Complaints, findings and sanctions of a period attributed to a unit or supervisor."""

    organ: str
    unit: str | None
    unit_name: str | None
    supervisor_id: str | None
    supervisor_name: str | None
    complaints: int
    findings: int
    sustained_findings: int
    sanctions: int


@dataclasses.dataclass(frozen=True)
class MisconductRow(_Json):
    """A misconduct finding against an official (Art. 19)."""

    finding_id: UUID
    official_id: str
    official_name: str
    official_role: str
    organ: str
    unit: str | None
    kind: str
    effective: date
    decision: str
    decision_on: date
    amendments: int


# --------------------------------------------------------------------------- early warning


@dataclasses.dataclass(frozen=True)
class EarlyWarningAlert(_Json):
    """An auxiliary over an early-warning threshold, naming the rule (an
    ``EarlyWarningRule``) and its version."""

    auxiliary_id: UUID
    name: str
    organ: str
    unit: str
    supervisor_id: str | None
    status: str
    rule: str
    rule_version: str
    threshold: int
    count: int
    window_start: date
    window_end: date
    complaints: int
    sustained_findings: int
    commendations: int
    commendation_ratio: Decimal | None


@dataclasses.dataclass(frozen=True)
class RatioRow(_Json):
    """Commendations against complaints in a window, for a unit."""

    organ: str
    unit: str
    auxiliaries: int
    commendations: int
    complaints: int
    commendation_ratio: Decimal | None


@dataclasses.dataclass(frozen=True)
class CloseTimeRow(_Json):
    """How long complaints closed in a period took, from receipt to closure, in days."""

    organ: str
    unit: str | None
    closed: int
    mean_days: Decimal
    median_days: Decimal
    max_days: int


# --------------------------------------------------------------------------- compliance


@dataclasses.dataclass(frozen=True)
class QuotaUse(_Json):
    """An organ's staffing quota and how much of it is held (Art. 5, 8)."""

    organ: str
    organ_name: str
    quota: int | None
    headcount: int
    available: int | None
    utilisation_percent: Decimal | None
    over_quota: bool


@dataclasses.dataclass(frozen=True)
class LevelCount(_Json):
    """How many auxiliaries (not separated) an organ has at a level (Art. 11)."""

    organ: str
    level: int
    auxiliaries: int


@dataclasses.dataclass(frozen=True)
class PayAgainstWage(_Json):
    """An organ's average auxiliary pay against last year's local average wage (Art. 7)."""

    organ: str
    region: str
    year: int
    auxiliaries: int
    priced: int
    average_monthly: Decimal | None
    average_annual: Decimal | None
    floor_year: int
    floor_annual: Decimal | None
    compliant: bool | None


@dataclasses.dataclass(frozen=True)
class AuxiliaryColumns(_Json):
    """The columns a row about one auxiliary starts with: who, where (organ and current
    unit), the post and the status. The rows of the compliance and life-cycle reports
    extend it with their own columns, after these."""

    auxiliary_id: UUID
    name: str
    organ: str
    unit: str
    post_type: str
    status: str


@dataclasses.dataclass(frozen=True)
class AuxiliaryGap(AuxiliaryColumns):
    """An auxiliary with a compliance gap (no supervisor, no accident cover, check due)."""

    since: date | None
    due: date | None
    days_overdue: int | None


@dataclasses.dataclass(frozen=True)
class UnreturnedCredential(_Json):
    """A credential a separated auxiliary has not handed back (Art. 12)."""

    auxiliary_id: UUID
    name: str
    organ: str
    unit: str
    separated_on: date
    kind: str
    serial: str
    credential_status: str
    days_since_separation: int


@dataclasses.dataclass(frozen=True)
class UnsanctionedFinding(_Json):
    """A sustained finding no sanction decision refers to (Art. 18)."""

    complaint_id: UUID
    allegation_number: int
    result: str
    effective: date
    auxiliary_id: UUID
    name: str | None
    organ: str
    unit: str
    days_since: int


@dataclasses.dataclass(frozen=True)
class RuleFlag(_Json):
    """A record whose effective date lies outside the rule set it was judged by (Art. 20)."""

    log_position: int
    originator_id: UUID
    originator_version: int
    event: str
    organ: str | None
    effective: date
    rule_id: str
    rule_from: date | None
    rule_until: date | None
    reason: str


@dataclasses.dataclass(frozen=True)
class ContractEnding(_Json):
    """An employed auxiliary whose contract ends soon or has already ended (Art. 8).

    ``standing`` is ``ending`` (ends on ``on`` or within the days asked about; ``days_left``
    from ``on`` to the last day, 0 when it ends that day) or ``past`` (the last day was before
    ``on``; ``days_over`` since it).
    """

    auxiliary_id: UUID
    name: str
    organ: str
    unit: str
    post_type: str
    employment_form: str
    status: str
    contract_start: date
    contract_end: date
    standing: str
    days_left: int | None
    days_over: int | None


@dataclasses.dataclass(frozen=True)
class AssessmentRow(AuxiliaryColumns):
    """An employed auxiliary's assessment for a year, or its absence (Art. 9, 11).

    ``unit`` is the current unit; ``assessed_unit`` the unit when the assessment was
    recorded. ``grade``, ``effective``, ``assessed_unit`` and ``version`` are empty and
    ``assessed`` false when no assessment is recorded for the year.
    """

    hired_on: date
    year: int
    assessed: bool
    grade: str | None
    effective: date | None
    assessed_unit: str | None
    version: int | None


@dataclasses.dataclass(frozen=True)
class AssessmentSummary(_Json):
    """The grades of a year per organ and current unit (Art. 9, 11): how many employed
    auxiliaries were due an assessment, each grade's count, and how many have none."""

    organ: str
    unit: str
    unit_name: str
    year: int
    auxiliaries: int
    excellent: int
    competent: int
    basically_competent: int
    incompetent: int
    not_assessed: int
    excellent_percent: Decimal | None


@dataclasses.dataclass(frozen=True)
class ProbationRow(AuxiliaryColumns):
    """An employed auxiliary whose probation ends soon, is past its last day without an
    outcome, or failed while the auxiliary is still employed (Art. 8, 9).

    ``standing`` is ``ending`` (``days_left`` to the last day, 0 on it), ``overdue``
    (``days_over`` since the last day) or ``failed`` (``decided_on`` is the decision).
    """

    hired_on: date
    probation_from: date
    probation_until: date
    standing: str
    days_left: int | None
    days_over: int | None
    decided_on: date | None


@dataclasses.dataclass(frozen=True)
class TrainingGap(AuxiliaryColumns):
    """An employed auxiliary with no passed training of a kind (Art. 9, practice);
    ``attempts`` counts the trainings of that kind recorded as not passed."""

    hired_on: date
    training_kind: str
    attempts: int


@dataclasses.dataclass(frozen=True)
class LeaveRow(AuxiliaryColumns):
    """An auxiliary on leave on a date (Art. 13): the leave, its day count so far, and how
    many days past its planned end it runs (None when not past it or none was planned)."""

    leave_id: str
    leave_kind: str
    leave_from: date
    planned_end: date | None
    returned_on: date | None
    days_on_leave: int
    days_past_plan: int | None


@dataclasses.dataclass(frozen=True)
class RuleSetStatus(_Json):
    """A rule set the ledger judges by, on a day: in force, ended or not yet started, how many
    days it has left, and whether the operators are warned (Art. 20)."""

    rule_id: str
    title: str
    document: str
    effective_from: date
    effective_until: date
    state: str
    """``in_force``, ``ended`` or ``not_started`` on the day asked about."""
    days_left: int
    """Days from that day to the last day in force (negative once ended)."""
    expiring: bool
    """The rule set in force ends within the days asked about and nothing follows it, or it
    was the last one and has ended."""


@dataclasses.dataclass(frozen=True)
class LifecycleWarning(AuxiliaryColumns):
    """An auxiliary employed on a date whose life-cycle record needs action (Art. 8, 9, 13).

    ``rule`` is a ``LifecycleWarningRule``; ``due`` is when the action was due: the
    probation's last day (``probation_overdue``), the failed outcome's date
    (``probation_failed``: the separation is owed from then), the leave's planned last day
    (``leave_past_plan``) or the hire (``pre_service_training_missing``: before duty);
    ``days_overdue`` counts the days from ``due`` to the date asked about.
    """

    rule: str
    due: date
    days_overdue: int


@dataclasses.dataclass(frozen=True)
class ReviewRow(_Json):
    """A review (复查) asked for on a complaint's result, as it stands on a date (practice).

    ``review_outcome`` is None while it is undecided; then ``days_left`` counts the days to
    ``review_due`` (0 on it) and ``review_overdue`` is true once that day has passed
    (``days_over`` since it). A decided review has neither count; ``decided_late`` says
    whether the decision came after the due date.
    """

    complaint_id: UUID
    organ: str
    review_no: int
    review_requested_on: date
    review_requested_by: str
    review_due: date
    review_outcome: str | None
    review_decided_on: date | None
    review_overdue: bool
    days_left: int | None
    days_over: int | None
    decided_late: bool
