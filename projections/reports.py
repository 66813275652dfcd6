"""The report registry: every query that lists rows, by name, exportable as JSON and CSV.

``REPORTS`` maps a report name to its ``ReportSpec`` (title, article, parameters, whether it
pages, and the query it runs). ``run_report(source, name, params)`` checks the parameters
(names and values; values may be typed or text, as they come from HTTP or the command line),
runs the query, and returns a ``Report``: column names, rows (flat dicts of JSON values),
and, for paged reports, the page and the total. ``Report.to_json()`` and ``Report.to_csv()``
render it.

Invariants kept here:

- A parameter the report does not declare raises ``UnknownFilterError``; a value that does
  not parse raises ``InvalidFilterValueError``; an unknown report ``UnknownReportError``.
- Every report takes ``organ`` (scope); paged reports take ``page`` and ``page_size``.
- Columns are the same for every run of a report (they come from the row type, nested
  results flattened with dotted names), so an empty report still has its header.
- CSV cells hold text: lists are joined with ``; `` (objects inside them as JSON).
- No CSV cell can be taken for a formula by a spreadsheet (OWASP CSV injection): a cell
  starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``
  (``csv_safe``), unless it is a plain number (``-3``, ``-0.25``), which no spreadsheet runs.
  ``Report.to_csv`` is the one CSV writer (the HTTP API and the command line both use it).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from domain.policy import Policy
from domain.values import (
    AssessmentGrade,
    AuxiliaryStatus,
    ComplaintStatus,
    ContractStanding,
    FindingResult,
    LeaveKind,
    LifecycleWarningRule,
    MisconductKind,
    PostType,
    ProbationStanding,
    TrainingKind,
)
from ledger.application import LedgerApplication
from projections import results as r
from projections.errors import InvalidFilterValueError, UnknownFilterError, UnknownReportError
from projections.queries import (
    ComplaintQueries,
    ComplianceQueries,
    EarlyWarningQueries,
    LifecycleQueries,
    PersonnelQueries,
    ReadModelQueries,
    ResponsibilityQueries,
    RuleQueries,
)
from projections.queries.reviews import REVIEW_STANDINGS, ReviewQueries
from projections.results import Page, json_ready
from projections.service import ReadModels

__all__ = ["REPORTS", "Param", "Report", "ReportSpec", "csv_safe", "run_report"]

Q = TypeVar("Q", bound=ReadModelQueries)


@dataclass(frozen=True)
class Param:
    """A report parameter: name, kind (str, int, date, bool, uuid) and allowed values."""

    name: str
    kind: str = "str"
    choices: tuple[str, ...] = ()
    help: str = ""

    @classmethod
    def one_of(cls, name: str, values: type[StrEnum], help: str = "") -> Param:
        """A text parameter whose allowed values are the members of a value set."""
        return cls(name, choices=tuple(m.value for m in values), help=help)

    def parse(self, value: Any) -> Any:
        """The typed value from a typed or text value."""
        if value is None:
            return None
        try:
            parsed = self._parse(value)
        except (TypeError, ValueError):
            raise InvalidFilterValueError(self.name, f"must be {self._describe()}") from None
        if self.choices and parsed not in self.choices:
            raise InvalidFilterValueError(self.name, f"must be one of {', '.join(self.choices)}")
        return parsed

    def _parse(self, value: Any) -> Any:
        if self.kind == "int":
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if self.kind == "date":
            if isinstance(value, datetime):
                raise TypeError
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes"):
                return True
            if text in ("false", "0", "no"):
                return False
            raise ValueError
        if self.kind == "uuid":
            return value if isinstance(value, UUID) else UUID(str(value))
        if not isinstance(value, str):
            raise TypeError
        return value

    def _describe(self) -> str:
        return {
            "int": "a whole number",
            "date": "a calendar date (YYYY-MM-DD)",
            "bool": "true or false",
            "uuid": "a UUID",
        }.get(self.kind, "text")


@dataclass(frozen=True)
class _Queries:
    personnel: PersonnelQueries
    complaints: ComplaintQueries
    responsibility: ResponsibilityQueries
    early_warning: EarlyWarningQueries
    compliance: ComplianceQueries
    lifecycle: LifecycleQueries
    rules: RuleQueries
    reviews: ReviewQueries


@dataclass(frozen=True)
class ReportSpec:
    """A report: what it answers, its parameters, and the query that answers it."""

    name: str
    title: str
    article: str
    row_type: type[Any]
    params: tuple[Param, ...]
    paged: bool
    run: Callable[[_Queries, dict[str, Any]], Any]
    names_people: bool = True
    """False only for reports of counts and sums per organ or unit: their rows name nobody.
    A report that names people (or identifies them by id) is personal data: an inspector
    reads it for a stated reason, and the read is recorded (``api.routers.queries``)."""

    @property
    def param_names(self) -> tuple[str, ...]:
        """Every parameter name, ``page`` and ``page_size`` included for paged reports."""
        names = ("organ", *(p.name for p in self.params))
        return (*names, "page", "page_size") if self.paged else names

    @property
    def columns(self) -> tuple[str, ...]:
        """The report's column names (nested results flattened as ``outer.inner``)."""
        return _columns(self.row_type)

    @property
    def person_columns(self) -> tuple[str, ...]:
        """The columns that name or identify a person (empty for reports of counts)."""
        if not self.names_people:
            return ()
        return tuple(c for c in self.columns if c in PERSON_COLUMNS)


@dataclass(frozen=True)
class Report:
    """A report's result: columns, rows, and paging."""

    name: str
    title: str
    article: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    parameters: dict[str, Any]
    generated_at: datetime
    page: int | None = None
    page_size: int | None = None
    total: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            "report": self.name,
            "title": self.title,
            "article": self.article,
            "generated_at": self.generated_at.isoformat(),
            "parameters": json_ready(self.parameters),
            "columns": list(self.columns),
            "rows": self.rows,
            "page": self.page,
            "page_size": self.page_size,
            "total": self.total if self.total is not None else len(self.rows),
        }

    def to_csv(self, *, header: bool = True) -> str:
        """The rows as CSV text (RFC 4180, with a header line)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if header:
            writer.writerow([csv_safe(c) for c in self.columns])
        for row in self.rows:
            writer.writerow([csv_safe(_cell(row.get(c))) for c in self.columns])
        return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def csv_safe(text: str) -> str:
    """A CSV cell no spreadsheet takes for a formula (OWASP CSV injection).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    ``'``, which spreadsheets read as "this is text"; a plain number such as ``-3`` or
    ``-0.25`` is left as it is (it runs nothing, and stays a number).
    """
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(
            json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, dict) else _cell(v)
            for v in value
        )
    return str(value)


def _columns(row_type: type[Any], prefix: str = "") -> tuple[str, ...]:
    hints = typing.get_type_hints(row_type)
    names: list[str] = []
    for field in dataclasses.fields(row_type):
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            names.extend(_columns(hint, f"{prefix}{field.name}."))  # type: ignore[arg-type]
        else:
            names.append(prefix + field.name)
    return tuple(names)


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict) and key != "fields":
            flat.update(_flatten(item, f"{prefix}{key}."))
        else:
            flat[prefix + key] = item
    return flat


PERSON_COLUMNS = frozenset(
    {
        "auxiliary_id",
        "name",
        "auxiliary_name",
        "supervisor_id",
        "supervisor_name",
        "official_id",
        "official_name",
        "originator_id",
        "subject_description",
    }
)
"""Columns that name a person or identify one by id (or describe one to identify them: an
unnamed complaint's ``subject_description``)."""

P = Param
ORGANISED = (P("unit"),)
PERIOD = (P("start", "date"), P("end", "date"))
ON = P("on", "date")
"""The day a report is asked about (default: today)."""
WITHIN_DAYS = (
    ON,
    P("within_days", "int", help="days after `on` (1 to 366, default 60)"),
)
"""A day and the days after it a life-cycle report looks ahead (``LifecycleQueries``)."""
ASSESSED_YEAR = P("year", "int", help="the assessed year (default: last year)")


def _spec(
    name: str,
    title: str,
    article: str,
    row_type: type[Any],
    params: tuple[Param, ...],
    run: Callable[[_Queries, dict[str, Any]], Any],
    *,
    paged: bool = False,
    names_people: bool = True,
) -> ReportSpec:
    return ReportSpec(name, title, article, row_type, params, paged, run, names_people)


_SPECS = (
    _spec(
        "personnel_status",
        "Personnel status",
        "Art. 9-11, 18",
        r.PersonnelStatus,
        (
            *ORGANISED,
            P.one_of("post", PostType),
            P("level", "int"),
            P.one_of("status", AuxiliaryStatus),
            P("q", help="a name (or part of one) or a work ID"),
        ),
        lambda q, a: q.personnel.status(**a),
        paged=True,
    ),
    _spec(
        "complaint_registry",
        "Complaint registry",
        "Art. 17",
        r.ComplaintSummary,
        (
            *ORGANISED,
            P.one_of("status", ComplaintStatus),
            P("auxiliary_id", "uuid"),
            P("received_from", "date"),
            P("received_to", "date"),
        ),
        lambda q, a: q.complaints.registry(**a),
        paged=True,
    ),
    _spec(
        "complaints_overdue",
        "Complaints with a deadline passed",
        "Art. 17",
        r.ComplaintSummary,
        ORGANISED,
        lambda q, a: q.complaints.overdue(**a),
        paged=True,
    ),
    _spec(
        "complaints_not_notified",
        "Complaints with a result the complainant has not been told",
        "Art. 17",
        r.ComplaintSummary,
        ORGANISED,
        lambda q, a: q.complaints.not_notified(**a),
        paged=True,
    ),
    _spec(
        "complaints_unmatched",
        "Complaints that name no auxiliary yet",
        "Art. 17",
        r.UnmatchedComplaint,
        (),
        lambda q, a: q.complaints.unmatched(**a),
        paged=True,
    ),
    _spec(
        "complaint_findings",
        "Findings per allegation",
        "Art. 17, 18",
        r.FindingRow,
        (
            *ORGANISED,
            P("auxiliary_id", "uuid"),
            P.one_of("result", FindingResult),
            *PERIOD,
            P("latest_only", "bool"),
        ),
        lambda q, a: q.complaints.findings(**a),
        paged=True,
    ),
    _spec(
        "complaint_time_to_close",
        "Time from receipt to closure",
        "Art. 17",
        r.CloseTimeRow,
        (*PERIOD, P("by_unit", "bool")),
        lambda q, a: q.complaints.time_to_close(**a),
        names_people=False,
    ),
    _spec(
        "accountability_by_unit",
        "Complaints, findings and sanctions by unit",
        "Art. 10, 17, 18",
        r.AccountabilityRow,
        PERIOD,
        lambda q, a: q.responsibility.accountability(**a),
        names_people=False,
    ),
    _spec(
        "accountability_by_supervisor",
        "Complaints, findings and sanctions by supervising officer",
        "Art. 10, 17, 18",
        r.AccountabilityRow,
        PERIOD,
        lambda q, a: q.responsibility.accountability(by_supervisor=True, **a),
    ),
    _spec(
        "misconduct_findings",
        "Misconduct findings against officials",
        "Art. 19",
        r.MisconductRow,
        (
            *ORGANISED,
            P("official_id"),
            P.one_of("kind", MisconductKind),
            *PERIOD,
        ),
        lambda q, a: q.responsibility.misconduct(**a),
        paged=True,
    ),
    _spec(
        "early_warning",
        "Early warning",
        "Art. 17, 18",
        r.EarlyWarningAlert,
        (*ORGANISED, ON),
        lambda q, a: q.early_warning.alerts(**a),
        paged=True,
    ),
    _spec(
        "commendation_ratio",
        "Commendations against complaints",
        "Art. 16, 17",
        r.RatioRow,
        (ON,),
        lambda q, a: q.early_warning.commendation_ratio(**a),
        names_people=False,
    ),
    _spec(
        "quota_use",
        "Staffing quota use",
        "Art. 5, 8",
        r.QuotaUse,
        (),
        lambda q, a: q.compliance.quota_use(**a),
        names_people=False,
    ),
    _spec(
        "level_distribution",
        "Level distribution",
        "Art. 11",
        r.LevelCount,
        (),
        lambda q, a: q.compliance.level_distribution(**a),
        names_people=False,
    ),
    _spec(
        "pay_against_wage",
        "Average pay against last year's local average wage",
        "Art. 7",
        r.PayAgainstWage,
        (P("year", "int"),),
        lambda q, a: q.compliance.pay_against_wage(**a),
        names_people=False,
    ),
    _spec(
        "without_supervisor",
        "Auxiliaries without a supervising officer",
        "Art. 10",
        r.AuxiliaryGap,
        (),
        lambda q, a: q.compliance.without_supervisor(**a),
        paged=True,
    ),
    _spec(
        "unreturned_credentials",
        "Separated auxiliaries' credentials not returned",
        "Art. 12",
        r.UnreturnedCredential,
        (),
        lambda q, a: q.compliance.unreturned_credentials(**a),
        paged=True,
    ),
    _spec(
        "duty_without_accident_insurance",
        "Duty posts without accident insurance",
        "Art. 13",
        r.AuxiliaryGap,
        (ON,),
        lambda q, a: q.compliance.duty_without_accident_insurance(**a),
        paged=True,
    ),
    _spec(
        "health_checks_overdue",
        "Health checks overdue",
        "Art. 13",
        r.AuxiliaryGap,
        (ON,),
        lambda q, a: q.compliance.health_checks_overdue(**a),
        paged=True,
    ),
    _spec(
        "sustained_without_sanction",
        "Sustained findings without a sanction decision",
        "Art. 18",
        r.UnsanctionedFinding,
        (),
        lambda q, a: q.compliance.sustained_without_sanction(**a),
        paged=True,
    ),
    _spec(
        "outside_rule_period",
        "Records outside the period of the rule applied",
        "Art. 20",
        r.RuleFlag,
        (),
        lambda q, a: q.compliance.outside_rule_period(**a),
        paged=True,
    ),
    _spec(
        "lifecycle_warnings",
        "Probations overdue or failed without a separation, leaves past their planned end, "
        "no pre-service training",
        "Art. 8, 9, 13",
        r.LifecycleWarning,
        (
            *ORGANISED,
            ON,
            P.one_of("rule", LifecycleWarningRule),
        ),
        lambda q, a: q.compliance.lifecycle_warnings(**a),
        paged=True,
    ),
    _spec(
        "contracts_ending",
        "Contracts ending soon or past their end",
        "Art. 8",
        r.ContractEnding,
        (
            *ORGANISED,
            *WITHIN_DAYS,
            P.one_of("standing", ContractStanding),
        ),
        lambda q, a: q.lifecycle.contracts_ending(**a),
        paged=True,
    ),
    _spec(
        "assessments",
        "Annual assessment grades, and who has none",
        "Art. 9, 11",
        r.AssessmentRow,
        (
            *ORGANISED,
            ASSESSED_YEAR,
            P.one_of("grade", AssessmentGrade),
            P("missing_only", "bool"),
        ),
        lambda q, a: q.lifecycle.assessments(**a),
        paged=True,
    ),
    _spec(
        "assessment_summary",
        "Annual assessment grades per unit",
        "Art. 9, 11",
        r.AssessmentSummary,
        (*ORGANISED, ASSESSED_YEAR),
        lambda q, a: q.lifecycle.assessment_summary(**a),
        names_people=False,
    ),
    _spec(
        "probations",
        "Probations ending soon, overdue without an outcome, or failed",
        "Art. 8, 9",
        r.ProbationRow,
        (
            *ORGANISED,
            *WITHIN_DAYS,
            P.one_of("standing", ProbationStanding),
        ),
        lambda q, a: q.lifecycle.probations(**a),
        paged=True,
    ),
    _spec(
        "training_missing",
        "Employed auxiliaries without a passed training of a kind",
        "Art. 9",
        r.TrainingGap,
        (
            *ORGANISED,
            P.one_of("kind", TrainingKind, help="default pre_service"),
        ),
        lambda q, a: q.lifecycle.training_missing(**a),
        paged=True,
    ),
    _spec(
        "on_leave",
        "Auxiliaries on leave on a date",
        "Art. 13",
        r.LeaveRow,
        (*ORGANISED, ON, P.one_of("kind", LeaveKind)),
        lambda q, a: q.lifecycle.on_leave(**a),
        paged=True,
    ),
    _spec(
        "reviews",
        "Reviews (复查) asked for: due date, outcome, overdue",
        "Art. 17",
        r.ReviewRow,
        (ON, P("standing", choices=REVIEW_STANDINGS)),
        lambda q, a: q.reviews.reviews(**a),
        paged=True,
        names_people=False,
    ),
    _spec(
        "reviews_due",
        "Reviews (复查) due within days, or overdue",
        "Art. 17",
        r.ReviewRow,
        (ON, P("within_days", "int", help="days after `on` (1 to 366, default 7)")),
        lambda q, a: q.reviews.due_within(**a),
        paged=True,
        names_people=False,
    ),
)

_RULE_SPECS = (
    _spec(
        "rule_sets",
        "Rule sets in force, and which ends soon with nothing after it",
        "Art. 20",
        r.RuleSetStatus,
        (
            ON,
            P("within_days", "int", help="warn this many days before the end (default 90)"),
            P("expiring_only", "bool"),
        ),
        lambda q, a: q.rules.rule_sets(**a),
        names_people=False,
    ),
)

REPORTS: Mapping[str, ReportSpec] = {spec.name: spec for spec in (*_SPECS, *_RULE_SPECS)}
"""Every report, by name."""


def run_report(
    source: ReadModels | LedgerApplication,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    policy: Policy | None = None,
) -> Report:
    """Run a report by name with checked parameters; return its rows and columns."""
    spec = REPORTS.get(name)
    if spec is None:
        raise UnknownReportError(f"no report {name!r}; the reports are {', '.join(REPORTS)}")
    models = source if isinstance(source, ReadModels) else ReadModels(source)
    declared = {p.name: p for p in (P("organ"), *spec.params)}
    if spec.paged:
        declared["page"] = P("page", "int")
        declared["page_size"] = P("page_size", "int")
    arguments: dict[str, Any] = {}
    for key, value in (params or {}).items():
        param = declared.get(key)
        if param is None:
            raise UnknownFilterError(key, spec.param_names)
        parsed = param.parse(value)
        if parsed is not None:
            arguments[key] = parsed

    def make(queries: type[Q]) -> Q:
        return queries(models, clock=clock, policy=policy)

    queries = _Queries(
        personnel=make(PersonnelQueries),
        complaints=make(ComplaintQueries),
        responsibility=make(ResponsibilityQueries),
        early_warning=make(EarlyWarningQueries),
        compliance=make(ComplianceQueries),
        lifecycle=make(LifecycleQueries),
        rules=make(RuleQueries),
        reviews=make(ReviewQueries),
    )
    result = spec.run(queries, arguments)
    items = result.items if isinstance(result, Page) else result
    rows = [_flatten(json_ready(item)) for item in items]
    now = (clock or (lambda: datetime.now(tz=UTC)))()
    report = Report(
        name=spec.name,
        title=spec.title,
        article=spec.article,
        columns=spec.columns,
        rows=rows,
        parameters=arguments,
        generated_at=now,
    )
    if isinstance(result, Page):
        report = dataclasses.replace(
            report, page=result.page, page_size=result.page_size, total=result.total
        )
    return report
