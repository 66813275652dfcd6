"""Questions inspectors ask, answered from the read models (and, for history, the ledger).

Plain Python classes the HTTP API and the CLI call: ``PersonnelQueries``,
``ComplaintQueries``, ``ResponsibilityQueries``, ``EarlyWarningQueries`` and
``ComplianceQueries``, each built from a ``ReadModels`` (or a ledger) with an injectable
clock and policy. Every query takes ``organ=`` so a caller scoped to one organ sees only it.

Invariants kept here:

- Arguments are checked before any SQL runs: an unknown value raises
  ``InvalidFilterValueError``, a start after an end ``InvalidDateRangeQueryError``, a page
  below 1 or a page size outside 1..``MAX_PAGE_SIZE`` ``PageSizeError``, and an organ, unit,
  auxiliary or complaint id that does not exist (or lies outside the caller's ``organ``)
  ``UnknownRecordError`` -- never an empty answer that looks like "none".
- Each query runs in one read transaction; nothing here writes.
- "Today" is the China-Standard-Time date of the injected clock; deadlines and windows come
  from ``domain.policy.Policy`` (complaint deadlines, working calendar, early-warning
  thresholds, health-check age).
- Sustained means a latest finding of ``sustained`` or ``partly_sustained``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from uuid import UUID

from domain.policy import Policy, add_months
from domain.values import (
    AuxiliaryStatus,
    ComplaintStatus,
    CredentialKind,
    FindingResult,
    MisconductKind,
    PostType,
    china_date,
)
from ledger.application import LedgerApplication
from projections import history
from projections.db import Session, placeholder, sql
from projections.errors import (
    AmbiguousSerialError,
    InvalidDateRangeQueryError,
    InvalidFilterValueError,
    PageSizeError,
    UnknownRecordError,
)
from projections.results import (
    AccountabilityRow,
    ActiveSanction,
    AuxiliaryAsOf,
    AuxiliaryGap,
    AuxiliaryRef,
    CloseTimeRow,
    ComplaintDetail,
    ComplaintSummary,
    CredentialHolder,
    Deadlines,
    EarlyWarningAlert,
    FindingRow,
    LevelCount,
    MisconductRow,
    Page,
    PayAgainstWage,
    PersonnelStatus,
    QuotaUse,
    RatioRow,
    ResponsibilityOn,
    RuleFlag,
    Timeline,
    UnreturnedCredential,
    UnsanctionedFinding,
)
from projections.service import ReadModels

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "ComplaintQueries",
    "ComplianceQueries",
    "EarlyWarningQueries",
    "PersonnelQueries",
    "ReadModelQueries",
    "ResponsibilityQueries",
]

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50

_S = ComplaintStatus
_OPEN = (
    _S.received.value,
    _S.acknowledged.value,
    _S.accepted.value,
    _S.under_investigation.value,
)
_AWAITING_NOTICE = (_S.concluded.value, _S.not_accepted.value)
_NOT_SEPARATED = (AuxiliaryStatus.active.value, AuxiliaryStatus.suspended.value)

T = TypeVar("T")
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(tz=UTC)


# --------------------------------------------------------------------------- argument checks


def check_page(page: object, page_size: object) -> tuple[int, int]:
    """A valid (page, page_size), or ``PageSizeError``."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise PageSizeError("page must be a whole number from 1")
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise PageSizeError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise PageSizeError(f"page_size must be from 1 to {MAX_PAGE_SIZE}, not {page_size}")
    return page, page_size


def check_period(start: date | None, end: date | None) -> None:
    """Refuse a period whose start lies after its end."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
            raise InvalidFilterValueError(name, "must be a calendar date (YYYY-MM-DD)")
    if start is not None and end is not None and start > end:
        raise InvalidDateRangeQueryError(
            f"the period starts on {start.isoformat()}, after it ends on {end.isoformat()}"
        )


def check_choice(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    """The value if it is one of ``allowed`` (or None), else ``InvalidFilterValueError``."""
    if value is None:
        return None
    options = tuple(allowed)
    text = getattr(value, "value", value)
    if not isinstance(text, str) or text not in options:
        raise InvalidFilterValueError(name, f"must be one of {', '.join(options)}")
    return text


SEARCH_MAX = 64
RESIDENT_ID_SHAPE = re.compile(r"^\d{17}[\dXx]$")
"""What a resident ID number looks like: never searched as text (it goes through the blind
index, ``PersonnelQueries.by_resident_index``, so the number reaches no query)."""


def check_search(value: object) -> str | None:
    """A search text: one line of at most ``SEARCH_MAX`` characters, or None if empty.

    A resident ID number is refused: it is looked up through the blind index instead."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidFilterValueError("q", "must be text")
    text = value.strip()
    if not text:
        return None
    if len(text) > SEARCH_MAX or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise InvalidFilterValueError("q", f"must be one line of at most {SEARCH_MAX} characters")
    if RESIDENT_ID_SHAPE.match(text):
        raise InvalidFilterValueError(
            "q",
            "looks like a resident ID number: look it up through the blind index "
            "(POST /v1/auxiliaries/lookup), never as search text",
        )
    return text


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere (its own ``%``, ``_`` and ``\\`` escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def check_uuid(name: str, value: object) -> UUID:
    """A UUID from a UUID or its text form."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    raise InvalidFilterValueError(name, "must be a UUID")


def check_date(name: str, value: object) -> date:
    """A calendar date (not a datetime)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidFilterValueError(name, "must be a calendar date (YYYY-MM-DD)")
    return value


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class _Where:
    """AND-ed conditions with their parameters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, *params: Any) -> None:
        """Add a condition with its parameters."""
        self.parts.append(condition)
        self.params.extend(params)

    def eq(self, column: str, value: Any) -> None:
        """``column = value`` unless the value is None."""
        if value is not None:
            self.add(f"{column} = %s", value)

    def within(self, column: str, start: date | None, end: date | None) -> None:
        """``start <= column <= end`` for the ends that are given."""
        if start is not None:
            self.add(f"{column} >= %s", start)
        if end is not None:
            self.add(f"{column} <= %s", end)

    def isin(self, session: Session, column: str, values: Sequence[Any]) -> None:
        """``column IN (values)`` in the backend's form."""
        condition, params = session.in_list(column, values)
        self.add(condition, *params)

    def sql(self, keyword: str = "WHERE") -> str:
        """The conditions, AND-ed, after ``keyword`` (empty when there are none)."""
        return f" {keyword} " + " AND ".join(self.parts) if self.parts else ""


# --------------------------------------------------------------------------- base


class ReadModelQueries:
    """What every query class shares: the read models, the policy, the clock, scope checks."""

    def __init__(
        self,
        source: ReadModels | LedgerApplication,
        *,
        clock: Clock | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.models = (source if isinstance(source, ReadModels) else ReadModels(source)).ready()
        self.db = self.models.db
        self.policy = policy or self.models.policy
        self.clock = clock or _utc_now

    def today(self) -> date:
        """The China-Standard-Time date of the clock."""
        return china_date(self.clock())

    def _check_scope(self, s: Session, organ: str | None, unit: str | None = None) -> None:
        if organ is not None:
            if not isinstance(organ, str):
                raise InvalidFilterValueError("organ", "must be an organ code")
            if not s.scalar("SELECT count(*) FROM {rm_organ} WHERE organ = %s", [organ]):
                raise UnknownRecordError(f"no organ {organ}")
        if unit is not None:
            if not isinstance(unit, str):
                raise InvalidFilterValueError("unit", "must be a unit code")
            where = _Where()
            where.eq("unit", unit)
            where.eq("organ", organ)
            if not s.scalar(sql("SELECT count(*) FROM {rm_unit}", where.sql()), where.params):
                inside = f" of organ {organ}" if organ else ""
                raise UnknownRecordError(f"no unit {unit}{inside}")

    def _auxiliary_row(self, s: Session, auxiliary_id: object, organ: str | None) -> dict[str, Any]:
        key = check_uuid("auxiliary_id", auxiliary_id)
        rows = s.query(
            sql("SELECT", _STATUS_COLUMNS, "FROM {rm_auxiliary} WHERE auxiliary_id = %s"), [key]
        )
        if not rows or (organ is not None and rows[0]["organ"] != organ):
            raise UnknownRecordError(f"no auxiliary {key}")
        return rows[0]

    def _level(self, level: object) -> int | None:
        if level is None:
            return None
        if isinstance(level, bool) or not isinstance(level, int) or level not in self.policy.levels:
            raise InvalidFilterValueError(
                "level",
                f"must be a whole number from {self.policy.levels.lowest} "
                f"to {self.policy.levels.highest}",
            )
        return level


# --------------------------------------------------------------------------- personnel

_STATUS_COLUMNS = (
    "auxiliary_id, name, organ, unit, unit_since, supervisor_id, supervisor_name, post_type, "
    "post_category, level, employment_form, contract_start, contract_end, hired_on, status, "
    "separated_on, sanctions_in_force, commendations, last_health_check, version"
)


class PersonnelQueries(ReadModelQueries):
    """Personnel status (issue item 1), plus the ledger-backed timeline and as-of views."""

    def status(
        self,
        *,
        organ: str | None = None,
        unit: str | None = None,
        post: str | None = None,
        level: int | None = None,
        status: str | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[PersonnelStatus]:
        """Auxiliaries' current records, filtered, ordered by organ, unit and name.

        ``q`` finds a name containing the text, or the holder of the work ID it names."""
        page, page_size = check_page(page, page_size)
        search = check_search(q)
        post = check_choice("post", post, (p.value for p in PostType))
        status = check_choice("status", status, (s.value for s in AuxiliaryStatus))
        checked_level = self._level(level)
        where = _Where()
        where.eq("organ", organ)
        where.eq("unit", unit)
        where.eq("post_type", post)
        where.eq("level", checked_level)
        where.eq("status", status)
        if search is not None:
            where.add(
                "(lower(name) LIKE lower(%s) ESCAPE '\\' OR auxiliary_id IN (SELECT "
                "auxiliary_id FROM {rm_credential} WHERE kind = %s AND serial = %s))",
                like_pattern(search),
                CredentialKind.work_id.value,
                search.upper(),
            )
        with self.db.read() as s:
            self._check_scope(s, organ, unit)
            total = s.scalar(sql("SELECT count(*) FROM {rm_auxiliary}", where.sql()), where.params)
            rows = s.query(
                sql(
                    "SELECT",
                    _STATUS_COLUMNS,
                    "FROM {rm_auxiliary}",
                    where.sql(),
                    "ORDER BY organ, unit, name, auxiliary_id LIMIT %s OFFSET %s",
                ),
                [*where.params, page_size, (page - 1) * page_size],
            )
            items = self._status_items(s, rows)
        return Page(items, page, page_size, int(total or 0))

    def auxiliary(self, auxiliary_id: UUID | str, *, organ: str | None = None) -> PersonnelStatus:
        """One auxiliary's current record."""
        with self.db.read() as s:
            row = self._auxiliary_row(s, auxiliary_id, organ)
            return self._status_items(s, [row])[0]

    def by_resident_index(
        self, resident_index: str, *, organ: str | None = None, unit: str | None = None
    ) -> list[PersonnelStatus]:
        """The auxiliaries whose resident ID number has this blind index (newest hire first).

        ``resident_index`` is ``ledger.privacy.blind_index("resident_id", number)``: callers
        hash the number they were given, so no plaintext ID reaches a query or a table. A
        person erased from the ledger is not found. Scoped to an organ (and unit) if given.
        """
        if not isinstance(resident_index, str) or len(resident_index) != 64:
            raise InvalidFilterValueError("resident_index", "must be a blind index (64 hex)")
        where = _Where()
        where.eq("organ", organ)
        where.eq("unit", unit)
        with self.db.read() as s:
            self._check_scope(s, organ, unit)
            rows = s.query(
                sql(
                    "SELECT",
                    _STATUS_COLUMNS,
                    "FROM {rm_auxiliary} WHERE auxiliary_id IN",
                    "(SELECT auxiliary_id FROM {rm_identity} WHERE resident_index = %s)",
                    where.sql("AND"),
                    "ORDER BY hired_on DESC, auxiliary_id",
                ),
                [resident_index, *where.params],
            )
            return self._status_items(s, rows)

    def credential_holder(self, serial: str, *, kind: str = "work_id") -> CredentialHolder | None:
        """Who a work ID (or uniform, insignia) serial was issued to, and whether it is valid.

        Valid (``active``) means issued, neither revoked nor returned, and its holder not
        separated. None when no such serial was issued. No personal data (Art. 12). A serial
        held by more than one auxiliary (issued before serials were claimed once in the whole
        ledger) raises ``AmbiguousSerialError``: none of them, not the newest, is its holder.
        """
        checked_kind = check_choice("kind", kind, (k.value for k in CredentialKind))
        if not isinstance(serial, str) or not serial:
            raise InvalidFilterValueError("serial", "must be a credential serial")
        with self.db.read() as s:
            rows = s.query(
                sql(
                    "SELECT k.auxiliary_id, k.issued_on, k.credential_status, a.organ,",
                    "a.status FROM {rm_credential} k",
                    "JOIN {rm_auxiliary} a ON a.auxiliary_id = k.auxiliary_id",
                    "WHERE k.serial = %s AND k.kind = %s ORDER BY k.auxiliary_id LIMIT 2",
                ),
                [serial, checked_kind],
            )
        if len(rows) > 1:
            raise AmbiguousSerialError(
                f"this {checked_kind} serial was issued to more than one auxiliary, so it has no "
                "one holder (issued before serials were claimed once in the whole ledger)"
            )
        if not rows:
            return None
        r = rows[0]
        return CredentialHolder(
            kind=str(checked_kind),
            serial=serial,
            auxiliary_id=r["auxiliary_id"],
            organ=r["organ"],
            issued_on=r["issued_on"],
            credential_status=r["credential_status"],
            holder_status=r["status"],
            active=r["credential_status"] == "active"
            and r["status"] != AuxiliaryStatus.separated.value,
        )

    def by_name(self, name: str, unit: str, *, organ: str | None = None) -> list[AuxiliaryRef]:
        """Auxiliaries not separated, of this name, whose current unit has this code or name."""
        for field, value in (("name", name), ("unit", unit)):
            if not isinstance(value, str) or not value:
                raise InvalidFilterValueError(field, "must be text")
        with self.db.read() as s:
            self._check_scope(s, organ)
            where = _Where()
            where.add("(u.unit = %s OR u.unit_name = %s)", unit, unit)
            where.add("a.name = %s", name)
            where.add("a.status <> %s", AuxiliaryStatus.separated.value)
            where.eq("a.organ", organ)
            rows = s.query(
                sql(
                    "SELECT a.auxiliary_id, a.organ, a.unit, a.name FROM {rm_auxiliary} a",
                    "JOIN {rm_unit} u ON u.organ = a.organ AND u.unit = a.unit",
                    where.sql(),
                    "ORDER BY a.organ, a.unit, a.auxiliary_id",
                ),
                where.params,
            )
        return [AuxiliaryRef(r["auxiliary_id"], r["organ"], r["unit"], r["name"]) for r in rows]

    def timeline(
        self,
        auxiliary_id: UUID | str,
        *,
        organ: str | None = None,
        include_complaints: bool = False,
    ) -> Timeline:
        """The auxiliary's stored events (and its complaints' events), in log order, checked.

        Read from the ledger, not the read model; each entry names its signer (the actor),
        key id, record hash, position and verification result.
        """
        key = check_uuid("auxiliary_id", auxiliary_id)
        with self.db.read() as s:
            known = s.query("SELECT organ FROM {rm_auxiliary} WHERE auxiliary_id = %s", [key])
            complaint_ids: list[UUID] = []
            if include_complaints:
                complaint_ids = [
                    r["complaint_id"]
                    for r in s.query(
                        "SELECT complaint_id FROM {rm_complaint} WHERE auxiliary_id = %s "
                        "ORDER BY complaint_id",
                        [key],
                    )
                ]
        return history.timeline(
            self.models.ledger,
            key,
            organ=organ,
            known_organ=known[0]["organ"] if known else None,
            complaint_ids=complaint_ids,
        )

    def as_of(
        self,
        auxiliary_id: UUID | str,
        on: date,
        *,
        organ: str | None = None,
        recorded_by: datetime | None = None,
    ) -> AuxiliaryAsOf:
        """The auxiliary's record for date ``on``, replayed from its own events."""
        key = check_uuid("auxiliary_id", auxiliary_id)
        return history.as_of(self.models.ledger, key, on, organ=organ, recorded_by=recorded_by)

    def _status_items(self, s: Session, rows: list[dict[str, Any]]) -> list[PersonnelStatus]:
        ids = [r["auxiliary_id"] for r in rows]
        if not ids:
            return []
        where = _Where()
        where.isin(s, "auxiliary_id", ids)
        complaints = {
            r["auxiliary_id"]: int(r["n"])
            for r in s.query(
                sql(
                    "SELECT auxiliary_id, count(*) AS n FROM {rm_complaint}",
                    where.sql(),
                    "GROUP BY auxiliary_id",
                ),
                where.params,
            )
        }
        where.add("sanction_status = %s", "in_force")
        today = self.today()
        active: dict[UUID, list[ActiveSanction]] = defaultdict(list)
        for r in s.query(
            sql(
                "SELECT auxiliary_id, sanction_id, kind, effective, until_on FROM {rm_sanction}",
                where.sql(),
                "ORDER BY effective, sanction_id",
            ),
            where.params,
        ):
            if r["effective"] <= today and (r["until_on"] is None or r["until_on"] >= today):
                active[r["auxiliary_id"]].append(
                    ActiveSanction(r["sanction_id"], r["kind"], r["effective"], r["until_on"])
                )
        return [
            PersonnelStatus(
                auxiliary_id=r["auxiliary_id"],
                name=r["name"],
                organ=r["organ"],
                unit=r["unit"],
                unit_since=r["unit_since"],
                supervisor_id=r["supervisor_id"],
                supervisor_name=r["supervisor_name"],
                post_type=r["post_type"],
                post_category=r["post_category"],
                level=int(r["level"]),
                employment_form=r["employment_form"],
                contract_start=r["contract_start"],
                contract_end=r["contract_end"],
                hired_on=r["hired_on"],
                status=r["status"],
                separated_on=r["separated_on"],
                active_sanctions=tuple(active.get(r["auxiliary_id"], ())),
                sanctions_in_force=int(r["sanctions_in_force"]),
                commendations=int(r["commendations"]),
                complaints=complaints.get(r["auxiliary_id"], 0),
                last_health_check=r["last_health_check"],
                version=int(r["version"]),
            )
            for r in rows
        ]


# --------------------------------------------------------------------------- complaints

_COMPLAINT_COLUMNS = (
    "c.complaint_id, c.auxiliary_id, a.name AS auxiliary_name, c.organ, c.unit, "
    "c.supervisor_id, c.supervisor_name, c.channel, c.incident_on, c.received_on, c.status, "
    "c.allegations, c.round_no, c.acknowledged_on, c.accepted_on, c.declined_on, c.due, "
    "c.concluded_on, c.notified_on, c.closed_on, c.withdrawn_on, c.reopened_on, c.reopened"
)
_COMPLAINT_FROM = (
    " FROM {rm_complaint} c LEFT JOIN {rm_auxiliary} a ON a.auxiliary_id = c.auxiliary_id"
)


class ComplaintQueries(ReadModelQueries):
    """The complaint registry (issue item 3): deadlines, overdue items, notices, findings."""

    def deadlines(self, row: dict[str, Any], today: date) -> Deadlines:
        """A complaint's deadlines under the policy, and which are overdue or were missed.

        Acknowledge within N working days of receipt; conclude within N days of receipt (of
        the reopening, after a reopening); tell the complainant within N days of the result
        (the conclusion, or the decision not to accept).
        """
        rules = self.policy.complaints
        status = row["status"]
        acknowledge_due = rules.acknowledge_due(row["received_on"], self.policy.calendar)
        conclude_due = None
        if row["declined_on"] is None or row["reopened_on"] is not None:
            conclude_due = rules.conclude_due(row["reopened_on"] or row["received_on"])
        result_on = row["concluded_on"] or (
            row["declined_on"] if status == _S.not_accepted.value else None
        )
        notify_due = rules.notify_due(result_on) if result_on is not None else None
        overdue: list[str] = []
        late: list[str] = []
        acknowledged = row["acknowledged_on"]
        if acknowledged is None and status == _S.received.value and today > acknowledge_due:
            overdue.append("acknowledge")
        if acknowledged is not None and acknowledged > acknowledge_due:
            late.append("acknowledge")
        if conclude_due is not None:
            if status in _OPEN and today > conclude_due:
                overdue.append("conclude")
            if row["concluded_on"] is not None and row["concluded_on"] > conclude_due:
                late.append("conclude")
        if notify_due is not None:
            if status in _AWAITING_NOTICE and today > notify_due:
                overdue.append("notify")
            if row["notified_on"] is not None and row["notified_on"] > notify_due:
                late.append("notify")
        return Deadlines(
            acknowledge_due=acknowledge_due,
            conclude_due=conclude_due,
            notify_due=notify_due,
            investigator_due=row["due"],
            overdue=tuple(overdue),
            late=tuple(late),
        )

    def _summary(self, row: dict[str, Any], today: date) -> ComplaintSummary:
        closed = row["closed_on"]
        return ComplaintSummary(
            complaint_id=row["complaint_id"],
            auxiliary_id=row["auxiliary_id"],
            auxiliary_name=row["auxiliary_name"],
            organ=row["organ"],
            unit=row["unit"],
            supervisor_id=row["supervisor_id"],
            supervisor_name=row["supervisor_name"],
            channel=row["channel"],
            incident_on=row["incident_on"],
            received_on=row["received_on"],
            status=row["status"],
            allegations=int(row["allegations"]),
            round_no=int(row["round_no"]),
            acknowledged_on=row["acknowledged_on"],
            accepted_on=row["accepted_on"],
            declined_on=row["declined_on"],
            concluded_on=row["concluded_on"],
            notified_on=row["notified_on"],
            closed_on=closed,
            withdrawn_on=row["withdrawn_on"],
            reopened=int(row["reopened"]),
            days_to_close=(closed - row["received_on"]).days if closed is not None else None,
            deadlines=self.deadlines(row, today),
        )

    def _filters(
        self,
        s: Session,
        *,
        organ: str | None,
        unit: str | None,
        auxiliary_id: UUID | str | None,
        received_from: date | None = None,
        received_to: date | None = None,
    ) -> _Where:
        check_period(received_from, received_to)
        self._check_scope(s, organ, unit)
        where = _Where()
        where.eq("c.organ", organ)
        where.eq("c.unit", unit)
        if auxiliary_id is not None:
            where.eq("c.auxiliary_id", self._auxiliary_row(s, auxiliary_id, organ)["auxiliary_id"])
        where.within("c.received_on", received_from, received_to)
        return where

    def registry(
        self,
        *,
        organ: str | None = None,
        unit: str | None = None,
        status: str | None = None,
        auxiliary_id: UUID | str | None = None,
        received_from: date | None = None,
        received_to: date | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[ComplaintSummary]:
        """Complaints with their state and deadlines, newest receipt first."""
        page, page_size = check_page(page, page_size)
        status = check_choice("status", status, (s.value for s in ComplaintStatus))
        today = self.today()
        with self.db.read() as s:
            where = self._filters(
                s,
                organ=organ,
                unit=unit,
                auxiliary_id=auxiliary_id,
                received_from=received_from,
                received_to=received_to,
            )
            where.eq("c.status", status)
            return self._summaries(s, where, today, page, page_size, newest_first=True)

    def _summaries(
        self,
        s: Session,
        where: _Where,
        today: date,
        page: int,
        page_size: int,
        *,
        newest_first: bool = False,
    ) -> Page[ComplaintSummary]:
        """One page of complaint summaries matching ``where``, by receipt date, and the total."""
        total = s.scalar(sql("SELECT count(*) FROM {rm_complaint} c", where.sql()), where.params)
        rows = s.query(
            sql(
                "SELECT",
                _COMPLAINT_COLUMNS,
                _COMPLAINT_FROM,
                where.sql(),
                "ORDER BY c.received_on DESC, c.complaint_id"
                if newest_first
                else "ORDER BY c.received_on, c.complaint_id",
                "LIMIT %s OFFSET %s",
            ),
            [*where.params, page_size, (page - 1) * page_size],
        )
        return Page([self._summary(r, today) for r in rows], page, page_size, int(total or 0))

    def history(self, complaint_id: UUID | str, *, organ: str | None = None) -> Timeline:
        """A complaint's own stored events, in log order, each checked (personal fields as
        decoded: the caller masks them by role)."""
        key = check_uuid("complaint_id", complaint_id)
        return history.complaint_history(self.models.ledger, key, organ=organ)

    def complaint(self, complaint_id: UUID | str, *, organ: str | None = None) -> ComplaintDetail:
        """One complaint with every finding on every allegation, in recording order."""
        key = check_uuid("complaint_id", complaint_id)
        with self.db.read() as s:
            rows = s.query(
                sql("SELECT", _COMPLAINT_COLUMNS, _COMPLAINT_FROM, "WHERE c.complaint_id = %s"),
                [key],
            )
            if not rows or (organ is not None and rows[0]["organ"] != organ):
                raise UnknownRecordError(f"no complaint {key}")
            findings = s.query(
                sql(
                    "SELECT",
                    _FINDING_COLUMNS,
                    _FINDING_FROM,
                    "WHERE f.complaint_id = %s ORDER BY f.originator_version",
                ),
                [key],
            )
        return ComplaintDetail(
            complaint=self._summary(rows[0], self.today()),
            findings=tuple(_finding(r) for r in findings),
        )

    def _overdue_condition(self, s: Session, today: date) -> tuple[str, list[Any]]:
        """SQL selecting exactly the complaints ``deadlines`` finds overdue today.

        Every deadline is a non-decreasing function of its start date, so "due before today"
        is "started on or before the last such day", found here by walking back from today.
        """
        rules = self.policy.complaints
        acknowledge = _last_start_due_before(
            lambda d: rules.acknowledge_due(d, self.policy.calendar), today
        )
        conclude = _last_start_due_before(rules.conclude_due, today)
        notify = _last_start_due_before(rules.notify_due, today)
        open_in, open_params = s.in_list("c.status", _OPEN)
        condition = sql(
            "((c.status = %s AND c.received_on <= %s)",
            "OR (",
            open_in,
            "AND COALESCE(c.reopened_on, c.received_on) <= %s)",
            "OR (c.status = %s AND c.concluded_on <= %s)",
            "OR (c.status = %s AND c.declined_on <= %s))",
        )
        params = [
            _S.received.value,
            acknowledge,
            *open_params,
            conclude,
            _S.concluded.value,
            notify,
            _S.not_accepted.value,
            notify,
        ]
        return condition, params

    def overdue(
        self,
        *,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[ComplaintSummary]:
        """Complaints with a deadline passed and its step not taken, oldest receipt first."""
        page, page_size = check_page(page, page_size)
        today = self.today()
        with self.db.read() as s:
            where = self._filters(s, organ=organ, unit=unit, auxiliary_id=None)
            condition, params = self._overdue_condition(s, today)
            where.add(condition, *params)
            return self._summaries(s, where, today, page, page_size)

    def not_notified(
        self,
        *,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[ComplaintSummary]:
        """Complaints with a result (concluded or not accepted) but the complainant not told,
        oldest receipt first."""
        page, page_size = check_page(page, page_size)
        today = self.today()
        with self.db.read() as s:
            where = self._filters(s, organ=organ, unit=unit, auxiliary_id=None)
            where.isin(s, "c.status", list(_AWAITING_NOTICE))
            return self._summaries(s, where, today, page, page_size)

    def findings(
        self,
        *,
        organ: str | None = None,
        unit: str | None = None,
        auxiliary_id: UUID | str | None = None,
        result: str | None = None,
        start: date | None = None,
        end: date | None = None,
        latest_only: bool = True,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[FindingRow]:
        """Findings per allegation (the latest for each, or every round's)."""
        page, page_size = check_page(page, page_size)
        result = check_choice("result", result, (r.value for r in FindingResult))
        check_period(start, end)
        with self.db.read() as s:
            self._check_scope(s, organ, unit)
            where = _Where()
            where.eq("f.organ", organ)
            where.eq("f.unit", unit)
            if auxiliary_id is not None:
                found = self._auxiliary_row(s, auxiliary_id, organ)
                where.eq("f.auxiliary_id", found["auxiliary_id"])
            if latest_only:
                where.add("f.latest = %s", True)
            where.eq("f.result", result)
            where.within("f.effective", start, end)
            total = s.scalar(sql("SELECT count(*)", _FINDING_FROM, where.sql()), where.params)
            rows = s.query(
                sql(
                    "SELECT",
                    _FINDING_COLUMNS,
                    _FINDING_FROM,
                    where.sql(),
                    "ORDER BY f.effective, f.complaint_id, f.allegation_number,",
                    "f.originator_version LIMIT %s OFFSET %s",
                ),
                [*where.params, page_size, (page - 1) * page_size],
            )
        return Page([_finding(r) for r in rows], page, page_size, int(total or 0))

    def time_to_close(
        self,
        *,
        organ: str | None = None,
        start: date | None = None,
        end: date | None = None,
        by_unit: bool = False,
    ) -> list[CloseTimeRow]:
        """Days from receipt to closure of complaints closed in the period, per organ (unit)."""
        check_period(start, end)
        group = "c.organ, c.unit" if by_unit else "c.organ"
        with self.db.read() as s:
            self._check_scope(s, organ)
            where = _Where()
            where.add("c.closed_on IS NOT NULL")
            where.eq("c.organ", organ)
            where.within("c.closed_on", start, end)
            # One row per (group, number of days): a histogram, small whatever the volume.
            rows = s.query(
                sql(
                    "SELECT",
                    group,
                    ", c.days_to_close AS days, count(*) AS n FROM {rm_complaint} c",
                    where.sql(),
                    "GROUP BY",
                    group,
                    ", c.days_to_close",
                ),
                where.params,
            )
        groups: dict[tuple[str, str | None], list[tuple[int, int]]] = defaultdict(list)
        for r in rows:
            key = (r["organ"], r["unit"] if by_unit else None)
            groups[key].append((int(r["days"]), int(r["n"])))
        return [
            _close_times(organ_code, unit_code, histogram)
            for (organ_code, unit_code), histogram in sorted(
                groups.items(), key=lambda i: str(i[0])
            )
        ]


def _close_times(organ: str, unit: str | None, histogram: list[tuple[int, int]]) -> CloseTimeRow:
    """Count, mean, median and maximum from (days, how many) pairs."""
    histogram.sort()
    closed = sum(n for _, n in histogram)
    total = sum(days * n for days, n in histogram)

    def nth(index: int) -> int:
        seen = 0
        for days, n in histogram:
            seen += n
            if index < seen:
                return days
        return histogram[-1][0]

    middle = closed // 2
    median = nth(middle) if closed % 2 else (nth(middle - 1) + nth(middle)) / 2
    return CloseTimeRow(
        organ=organ,
        unit=unit,
        closed=closed,
        mean_days=_one_place(total / closed),
        median_days=_one_place(median),
        max_days=histogram[-1][0],
    )


def _last_start_due_before(due: Callable[[date], date], today: date) -> date:
    """The last start date whose deadline ``due(start)`` falls before ``today``."""
    day = today
    for _ in range(3700):
        if due(day) < today:
            return day
        day -= timedelta(days=1)
    return day


_FINDING_COLUMNS = (
    "f.complaint_id, f.auxiliary_id, f.organ, f.unit, f.allegation_number, f.round_no, "
    "f.result, f.effective, f.latest"
)
_FINDING_FROM = "FROM {rm_finding} f"
"""Findings carry their complaint's auxiliary and attribution: no join needed."""


def _finding(r: dict[str, Any]) -> FindingRow:
    return FindingRow(
        complaint_id=r["complaint_id"],
        auxiliary_id=r["auxiliary_id"],
        organ=r["organ"],
        unit=r["unit"],
        allegation_number=int(r["allegation_number"]),
        round_no=int(r["round_no"]),
        result=r["result"],
        effective=r["effective"],
        latest=bool(r["latest"]),
    )


def _one_place(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- responsibility


class ResponsibilityQueries(ReadModelQueries):
    """Who answered for whom, and accountability by unit and supervisor (issue item 4)."""

    def responsible_on(
        self, auxiliary_id: UUID | str, on: date, *, organ: str | None = None
    ) -> ResponsibilityOn:
        """The organ, unit and supervising officer answering for an auxiliary on a date."""
        day = check_date("on", on)
        with self.db.read() as s:
            aux = self._auxiliary_row(s, auxiliary_id, organ)
            key = aux["auxiliary_id"]
            employed = aux["hired_on"] <= day and (
                aux["separated_on"] is None or day < aux["separated_on"]
            )
            unit = supervisor = None
            if employed:
                unit = _latest(s, "rm_unit_history", "unit", key, day)
                supervisor = _latest(
                    s, "rm_supervisor_history", "supervisor_id, supervisor_name", key, day
                )
            unit_name = None
            if unit is not None:
                unit_name = s.scalar(
                    "SELECT unit_name FROM {rm_unit} WHERE organ = %s AND unit = %s",
                    [aux["organ"], unit["unit"]],
                )
        return ResponsibilityOn(
            auxiliary_id=key,
            on=day,
            employed=employed,
            organ=aux["organ"],
            unit=unit["unit"] if unit else None,
            unit_name=unit_name,
            supervisor_id=supervisor["supervisor_id"] if supervisor else None,
            supervisor_name=supervisor["supervisor_name"] if supervisor else None,
        )

    def _period(self, start: date | None, end: date | None) -> tuple[date, date]:
        check_period(start, end)
        last = end or self.today()
        first = start or self.policy.early_warning.window_start(last)
        check_period(first, last)
        return first, last

    def accountability(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        organ: str | None = None,
        by_supervisor: bool = False,
    ) -> list[AccountabilityRow]:
        """Complaints, findings and sanctions of a period grouped by unit (or supervisor).

        Complaints and findings count against the unit and supervisor the complaint was
        attributed to (who answered on the incident date); sanctions against who answered on
        the sanction's effective date. The period defaults to the early-warning window
        ending today; both ends are inclusive.
        """
        first, last = self._period(start, end)
        columns = [
            "organ",
            "unit",
            *(["supervisor_id", "supervisor_name"] if by_supervisor else []),
        ]
        counts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(
            lambda: {"complaints": 0, "findings": 0, "sustained": 0, "sanctions": 0}
        )

        def grouped(
            s: Session, alias: str, select: str, source: str, where: _Where
        ) -> list[dict[str, Any]]:
            group = ", ".join(f"{alias}.{c}" for c in columns)
            return s.query(
                sql("SELECT", group, ",", select, source, where.sql(), "GROUP BY", group),
                where.params,
            )

        with self.db.read() as s:
            self._check_scope(s, organ)
            where = _Where()
            where.eq("c.organ", organ)
            where.within("c.received_on", first, last)
            for r in grouped(s, "c", "count(*) AS n", "FROM {rm_complaint} c", where):
                counts[tuple(r[c] for c in columns)]["complaints"] += int(r["n"])
            where = _Where()
            where.add("f.latest = %s", True)
            where.eq("f.organ", organ)
            where.within("f.effective", first, last)
            for r in grouped(
                s,
                "f",
                "count(*) AS n, sum(CASE WHEN f.sustained THEN 1 ELSE 0 END) AS n_sustained",
                _FINDING_FROM,
                where,
            ):
                entry = counts[tuple(r[c] for c in columns)]
                entry["findings"] += int(r["n"])
                entry["sustained"] += int(r["n_sustained"])
            where = _Where()
            where.eq("x.organ", organ)
            where.within("x.effective", first, last)
            for r in grouped(s, "x", "count(*) AS n", "FROM {rm_sanction} x", where):
                counts[tuple(r[c] for c in columns)]["sanctions"] += int(r["n"])
            units = {
                (r["organ"], r["unit"]): r["unit_name"]
                for r in s.query("SELECT organ, unit, unit_name FROM {rm_unit}")
            }
        return [
            AccountabilityRow(
                organ=k[0],
                unit=k[1],
                unit_name=units.get((k[0], k[1])) if k[1] else None,
                supervisor_id=k[2] if by_supervisor else None,
                supervisor_name=k[3] if by_supervisor else None,
                complaints=v["complaints"],
                findings=v["findings"],
                sustained_findings=v["sustained"],
                sanctions=v["sanctions"],
            )
            for k, v in sorted(counts.items(), key=lambda i: tuple(str(p) for p in i[0]))
        ]

    def misconduct(
        self,
        *,
        organ: str | None = None,
        unit: str | None = None,
        official_id: str | None = None,
        kind: str | None = None,
        start: date | None = None,
        end: date | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[MisconductRow]:
        """Misconduct findings against officials (Art. 19), by effective date."""
        page, page_size = check_page(page, page_size)
        kind = check_choice("kind", kind, (k.value for k in MisconductKind))
        check_period(start, end)
        where = _Where()
        where.eq("organ", organ)
        where.eq("unit", unit)
        where.eq("official_id", official_id)
        where.eq("kind", kind)
        where.within("effective", start, end)
        with self.db.read() as s:
            self._check_scope(s, organ, unit)
            total = s.scalar(sql("SELECT count(*) FROM {rm_misconduct}", where.sql()), where.params)
            rows = s.query(
                sql(
                    "SELECT finding_id, official_id, official_name, official_role, organ, unit,",
                    "kind, effective, decision, decision_on, amendments FROM {rm_misconduct}",
                    where.sql(),
                    "ORDER BY effective, finding_id LIMIT %s OFFSET %s",
                ),
                [*where.params, page_size, (page - 1) * page_size],
            )
        items = [MisconductRow(**{**r, "amendments": int(r["amendments"])}) for r in rows]
        return Page(items, page, page_size, int(total or 0))


def _latest(
    s: Session, table: str, columns: str, auxiliary_id: UUID, day: date
) -> dict[str, Any] | None:
    rows = s.query(
        sql(
            "SELECT",
            columns,
            "FROM",
            placeholder(table),
            "WHERE auxiliary_id = %s AND effective <= %s",
            "ORDER BY effective DESC, originator_version DESC LIMIT 1",
        ),
        [auxiliary_id, day],
    )
    return rows[0] if rows else None


# --------------------------------------------------------------------------- early warning


class EarlyWarningQueries(ReadModelQueries):
    """Early intervention (issue item 5): thresholds over a rolling window."""

    def window(self, on: date | None) -> tuple[date, date]:
        """The look-back window ending on ``on`` (today by default), both ends inclusive."""
        last = check_date("on", on) if on is not None else self.today()
        return self.policy.early_warning.window_start(last), last

    def alerts(
        self,
        *,
        on: date | None = None,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[EarlyWarningAlert]:
        """Auxiliaries whose complaints or sustained findings in the window exceed the policy.

        Complaints count by receipt date; sustained findings (latest finding per allegation
        sustained or partly sustained) by the finding's effective date. One alert per rule
        exceeded, naming the rule and the policy's ``rule_version``, ordered by auxiliary id
        and rule.
        """
        page, page_size = check_page(page, page_size)
        rules = self.policy.early_warning
        first, last = self.window(on)

        def counting(
            alias: str, source: str, condition: str, params: list[Any]
        ) -> tuple[str, list[Any]]:
            # Complaints and findings answer to the auxiliary's organ (transfers stay within
            # it); a unit scope means the auxiliary's current unit.
            scope = _Where()
            scope.eq(f"{alias}.organ", organ)
            join = ""
            if unit is not None:
                join = f"JOIN {{rm_auxiliary}} a ON a.auxiliary_id = {alias}.auxiliary_id"
                scope.eq("a.unit", unit)
            template = sql(
                f"SELECT {alias}.auxiliary_id, count(*) AS n",
                source,
                join,
                "WHERE",
                condition,
                scope.sql("AND"),
            )
            return template, [*params, *scope.params]

        complaints_sql, complaints_params = counting(
            "c",
            "FROM {rm_complaint} c",
            "c.received_on >= %s AND c.received_on <= %s",
            [first, last],
        )
        sustained_sql, sustained_params = counting(
            "f",
            _FINDING_FROM,
            "f.latest = %s AND f.sustained = %s AND f.effective >= %s AND f.effective <= %s",
            [True, True, first, last],
        )
        with self.db.read() as s:
            self._check_scope(s, organ, unit)
            over = "GROUP BY {alias}.auxiliary_id HAVING count(*) > %s"
            too_many = self._count(
                s,
                sql(complaints_sql, over.format(alias="c")),
                [*complaints_params, rules.max_complaints],
            )
            too_many_sustained = self._count(
                s,
                sql(sustained_sql, over.format(alias="f")),
                [*sustained_params, rules.max_sustained],
            )
            listed = [
                (auxiliary_id, rule)
                for auxiliary_id in sorted(set(too_many) | set(too_many_sustained), key=str)
                for rule, found in (
                    ("complaints", too_many),
                    ("sustained_findings", too_many_sustained),
                )
                if auxiliary_id in found
            ]
            shown = listed[(page - 1) * page_size : page * page_size]
            ids = sorted({auxiliary_id for auxiliary_id, _ in shown}, key=str)
            info: dict[UUID, dict[str, Any]] = {}
            complaints: dict[UUID, int] = {}
            sustained: dict[UUID, int] = {}
            commendations: dict[UUID, int] = {}
            if ids:
                for alias, template, params, into in (
                    ("c", complaints_sql, complaints_params, complaints),
                    ("f", sustained_sql, sustained_params, sustained),
                ):
                    among, values = s.in_list(f"{alias}.auxiliary_id", ids)
                    into.update(
                        self._count(
                            s,
                            sql(template, "AND", among, f"GROUP BY {alias}.auxiliary_id"),
                            [*params, *values],
                        )
                    )
                where = _Where()
                where.isin(s, "auxiliary_id", ids)
                info = {
                    r["auxiliary_id"]: r
                    for r in s.query(
                        sql(
                            "SELECT auxiliary_id, name, organ, unit, supervisor_id, status",
                            "FROM {rm_auxiliary}",
                            where.sql(),
                        ),
                        where.params,
                    )
                }
                where.within("effective", first, last)
                commendations = self._count(
                    s,
                    sql(
                        "SELECT auxiliary_id, count(*) AS n FROM {rm_commendation}",
                        where.sql(),
                        "GROUP BY auxiliary_id",
                    ),
                    where.params,
                )
        alerts = []
        for auxiliary_id, rule in shown:
            row = info[auxiliary_id]
            counts = (complaints.get(auxiliary_id, 0), sustained.get(auxiliary_id, 0))
            praised = commendations.get(auxiliary_id, 0)
            threshold, count = (
                (rules.max_complaints, counts[0])
                if rule == "complaints"
                else (rules.max_sustained, counts[1])
            )
            alerts.append(
                EarlyWarningAlert(
                    auxiliary_id=auxiliary_id,
                    name=row["name"],
                    organ=row["organ"],
                    unit=row["unit"],
                    supervisor_id=row["supervisor_id"],
                    status=row["status"],
                    rule=rule,
                    rule_version=rules.rule_version,
                    threshold=threshold,
                    count=count,
                    window_start=first,
                    window_end=last,
                    complaints=counts[0],
                    sustained_findings=counts[1],
                    commendations=praised,
                    commendation_ratio=_ratio(praised, counts[0]),
                )
            )
        return Page(alerts, page, page_size, len(listed))

    @staticmethod
    def _count(s: Session, template: str, params: Sequence[Any]) -> dict[UUID, int]:
        return {r["auxiliary_id"]: int(r["n"]) for r in s.query(template, params)}

    def commendation_ratio(
        self, *, on: date | None = None, organ: str | None = None
    ) -> list[RatioRow]:
        """Commendations against complaints in the window, per unit, with the unit's headcount.

        Complaints count against the unit they were attributed to, commendations against the
        unit the auxiliary was in when it was recorded; ``auxiliaries`` is the unit's
        headcount now (not separated). Units with none of the three are left out.
        """
        first, last = self.window(on)
        with self.db.read() as s:
            self._check_scope(s, organ)
            scope = _Where()
            scope.eq("x.organ", organ)
            groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
            for index, template in (
                (0, "SELECT x.organ, x.unit, sum(x.auxiliaries) AS n FROM {rm_headcount} x"),
                (
                    1,
                    "SELECT x.organ, x.unit, count(*) AS n FROM {rm_commendation} x "
                    "WHERE x.effective >= %s AND x.effective <= %s",
                ),
                (
                    2,
                    "SELECT x.organ, x.unit, count(*) AS n FROM {rm_complaint} x "
                    "WHERE x.received_on >= %s AND x.received_on <= %s",
                ),
            ):
                period = [] if index == 0 else [first, last]
                for r in s.query(
                    sql(
                        template,
                        scope.sql("AND" if period else "WHERE"),
                        "GROUP BY x.organ, x.unit",
                    ),
                    [*period, *scope.params],
                ):
                    groups[(r["organ"], r["unit"])][index] = int(r["n"])
        groups = {k: v for k, v in groups.items() if any(v)}
        return [
            RatioRow(
                organ=organ_code,
                unit=unit_code,
                auxiliaries=n[0],
                commendations=n[1],
                complaints=n[2],
                commendation_ratio=_ratio(n[1], n[2]),
            )
            for (organ_code, unit_code), n in sorted(groups.items())
        ]


# --------------------------------------------------------------------------- compliance


class ComplianceQueries(ReadModelQueries):
    """Compliance reports (issue item 6), each naming its article."""

    def quota_use(self, *, organ: str | None = None) -> list[QuotaUse]:
        """Staffing quota against slots held, per organ (Art. 5, 8)."""
        where = _Where()
        where.eq("organ", organ)
        with self.db.read() as s:
            self._check_scope(s, organ)
            rows = s.query(
                sql(
                    "SELECT organ, organ_name, quota, headcount FROM {rm_organ}",
                    where.sql(),
                    "ORDER BY organ",
                ),
                where.params,
            )
        found = []
        for r in rows:
            quota = None if r["quota"] is None else int(r["quota"])
            held = int(r["headcount"])
            found.append(
                QuotaUse(
                    organ=r["organ"],
                    organ_name=r["organ_name"],
                    quota=quota,
                    headcount=held,
                    available=None if quota is None else quota - held,
                    utilisation_percent=(
                        None
                        if not quota
                        else (Decimal(100 * held) / quota).quantize(
                            Decimal("0.1"), rounding=ROUND_HALF_UP
                        )
                    ),
                    over_quota=quota is not None and held > quota,
                )
            )
        return found

    def _levels(self, s: Session, organ: str | None) -> dict[tuple[str, int], int]:
        """Auxiliaries not separated per (organ, level), from the ``rm_headcount`` aggregate."""
        where = _Where()
        where.eq("organ", organ)
        return {
            (r["organ"], int(r["level"])): int(r["n"])
            for r in s.query(
                sql(
                    "SELECT organ, level, sum(auxiliaries) AS n FROM {rm_headcount}",
                    where.sql(),
                    "GROUP BY organ, level",
                ),
                where.params,
            )
        }

    def level_distribution(self, *, organ: str | None = None) -> list[LevelCount]:
        """Auxiliaries not separated, per organ and level; every level of the scheme (Art. 11)."""
        with self.db.read() as s:
            self._check_scope(s, organ)
            counts = self._levels(s, organ)
            where = _Where()
            where.eq("organ", organ)
            organs = [
                r["organ"]
                for r in s.query(
                    sql("SELECT organ FROM {rm_organ}", where.sql(), "ORDER BY organ"),
                    where.params,
                )
            ]
        return [
            LevelCount(organ=o, level=level, auxiliaries=counts.get((o, level), 0))
            for o in organs
            for level in self.policy.levels.levels()
        ]

    def pay_against_wage(
        self, *, year: int | None = None, organ: str | None = None
    ) -> list[PayAgainstWage]:
        """Average pay of the auxiliaries employed now, priced by ``year``'s schedule, against
        the local average wage of ``year - 1`` for the organ's region (Art. 7)."""
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise InvalidFilterValueError("year", "must be a whole number")
        chosen = year if year is not None else self.today().year
        if not 1900 <= chosen <= 9999:
            raise InvalidFilterValueError("year", "must be a year from 1900 to 9999")
        with self.db.read() as s:
            self._check_scope(s, organ)
            counts = self._levels(s, organ)
            where = _Where()
            where.eq("organ", organ)
            organs = s.query(
                sql("SELECT organ, region FROM {rm_organ}", where.sql(), "ORDER BY organ"),
                where.params,
            )
            pay = {
                (r["organ"], int(r["level"])): r["monthly"]
                for r in s.query(
                    "SELECT organ, level, monthly FROM {rm_pay} WHERE year = %s", [chosen]
                )
            }
            wages = {
                r["region"]: r["annual"]
                for r in s.query(
                    "SELECT region, annual FROM {rm_average_wage} WHERE year = %s", [chosen - 1]
                )
            }
        found = []
        for r in organs:
            code = r["organ"]
            employed = sum(n for (o, _), n in counts.items() if o == code)
            priced = [
                (pay[(code, lv)], n)
                for (o, lv), n in counts.items()
                if o == code and (code, lv) in pay
            ]
            headcount = sum(n for _, n in priced)
            monthly = (
                (sum(amount * n for amount, n in priced) / headcount).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
                if headcount
                else None
            )
            annual = monthly * 12 if monthly is not None else None
            floor = wages.get(r["region"])
            found.append(
                PayAgainstWage(
                    organ=code,
                    region=r["region"],
                    year=chosen,
                    auxiliaries=employed,
                    priced=headcount,
                    average_monthly=monthly,
                    average_annual=annual,
                    floor_year=chosen - 1,
                    floor_annual=floor,
                    compliant=None if annual is None or floor is None else annual >= floor,
                )
            )
        return found

    def _gaps(
        self,
        condition: _Where,
        *,
        organ: str | None,
        since: str,
        page: int,
        page_size: int,
        order: str = "organ, unit, name, auxiliary_id",
        due: Callable[[dict[str, Any]], date | None] | None = None,
    ) -> Page[AuxiliaryGap]:
        page, page_size = check_page(page, page_size)
        today = self.today()
        with self.db.read() as s:
            self._check_scope(s, organ)
            condition.eq("organ", organ)
            total = s.scalar(
                sql("SELECT count(*) FROM {rm_auxiliary} a", condition.sql()), condition.params
            )
            rows = s.query(
                sql(
                    "SELECT auxiliary_id, name, organ, unit, post_type, status,",
                    since,
                    "AS since FROM {rm_auxiliary} a",
                    condition.sql(),
                    "ORDER BY",
                    order,
                    "LIMIT %s OFFSET %s",
                ),
                [*condition.params, page_size, (page - 1) * page_size],
            )
        items = []
        for r in rows:
            since_value = r["since"]
            if isinstance(since_value, str):
                since_value = date.fromisoformat(since_value)
            due_on = due({**r, "since": since_value}) if due else None
            items.append(
                AuxiliaryGap(
                    auxiliary_id=r["auxiliary_id"],
                    name=r["name"],
                    organ=r["organ"],
                    unit=r["unit"],
                    post_type=r["post_type"],
                    status=r["status"],
                    since=since_value,
                    due=due_on,
                    days_overdue=(today - due_on).days if due_on is not None else None,
                )
            )
        return Page(items, page, page_size, int(total or 0))

    def without_supervisor(
        self, *, organ: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[AuxiliaryGap]:
        """Auxiliaries not separated who have no supervising officer (Art. 10)."""
        where = _Where()
        where.add("a.status <> %s", AuxiliaryStatus.separated.value)
        where.add("a.supervisor_id IS NULL")
        return self._gaps(
            where, organ=organ, since="a.supervisor_since", page=page, page_size=page_size
        )

    def duty_without_accident_insurance(
        self,
        *,
        on: date | None = None,
        organ: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[AuxiliaryGap]:
        """Auxiliaries on duty posts not separated, without accident cover on ``on`` (Art. 13).

        Cover is an accident enrolment with ``start <= on`` and no end or ``end >= on``.
        """
        day = check_date("on", on) if on is not None else self.today()
        where = _Where()
        where.add("a.status <> %s", AuxiliaryStatus.separated.value)
        where.add("a.post_category = %s", "duty")
        # The last covered stretch answers for every day from its start on; only a day
        # before it (rare: cover that starts later) needs the enrolments themselves.
        where.add(
            sql(
                "(a.accident_cover_from IS NULL",
                "OR (a.accident_cover_from <= %s AND a.accident_cover_until < %s)",
                "OR (a.accident_cover_from > %s AND NOT EXISTS (SELECT 1 FROM {rm_insurance} i",
                "WHERE i.auxiliary_id = a.auxiliary_id AND i.kind = %s AND i.starts_on <= %s",
                "AND (i.ends_on IS NULL OR i.ends_on >= %s))))",
            ),
            day,
            day,
            day,
            "accident",
            day,
            day,
        )
        return self._gaps(where, organ=organ, since="a.post_since", page=page, page_size=page_size)

    def health_checks_overdue(
        self,
        *,
        on: date | None = None,
        organ: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[AuxiliaryGap]:
        """Auxiliaries not separated whose next health check was due before ``on`` (Art. 13).

        The next check is due ``HealthCheckPolicy.max_age_months`` after the latest one, or
        after the hire when none is recorded.
        """
        day = check_date("on", on) if on is not None else self.today()
        health = self.policy.health
        # The latest date d with next_due(d) < day: next_due is monotonic, so the overdue
        # records are exactly those with their reference date <= cutoff.
        cutoff = add_months(day, -health.max_age_months) - timedelta(days=4)
        while health.next_due(cutoff + timedelta(days=1)) < day:
            cutoff += timedelta(days=1)
        where = _Where()
        where.add("a.status IN (%s, %s)", *_NOT_SEPARATED)
        where.add("a.health_reference <= %s", cutoff)
        return self._gaps(
            where,
            organ=organ,
            since="a.health_reference",
            page=page,
            page_size=page_size,
            order="a.health_reference, a.auxiliary_id",
            due=lambda r: health.next_due(r["since"]),
        )

    def unreturned_credentials(
        self, *, organ: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[UnreturnedCredential]:
        """Credentials separated auxiliaries have not handed back (Art. 12)."""
        page, page_size = check_page(page, page_size)
        today = self.today()
        where = _Where()
        where.add("a.status = %s", AuxiliaryStatus.separated.value)
        where.add("a.credentials_out > %s", 0)
        where.add("k.credential_status <> %s", "returned")
        where.eq("a.organ", organ)
        # Start from the few separated auxiliaries with something out, then their credentials.
        base = sql(
            "FROM {rm_auxiliary} a JOIN {rm_credential} k ON k.auxiliary_id = a.auxiliary_id",
            where.sql(),
        )
        with self.db.read() as s:
            self._check_scope(s, organ)
            total = s.scalar(sql("SELECT count(*)", base), where.params)
            rows = s.query(
                sql(
                    "SELECT a.auxiliary_id, a.name, a.organ, a.unit, a.separated_on, k.kind,",
                    "k.serial, k.credential_status",
                    base,
                    "ORDER BY a.separated_on, a.auxiliary_id, k.kind LIMIT %s OFFSET %s",
                ),
                [*where.params, page_size, (page - 1) * page_size],
            )
        items = [
            UnreturnedCredential(
                **r,
                days_since_separation=(today - r["separated_on"]).days,
            )
            for r in rows
        ]
        return Page(items, page, page_size, int(total or 0))

    def sustained_without_sanction(
        self, *, organ: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[UnsanctionedFinding]:
        """Sustained findings (latest per allegation) that no sanction refers to (Art. 18)."""
        page, page_size = check_page(page, page_size)
        today = self.today()
        with self.db.read() as s:
            self._check_scope(s, organ)
            where = _Where()
            where.add("f.latest = %s", True)
            where.add("f.sustained = %s", True)
            where.add(
                "NOT EXISTS (SELECT 1 FROM {rm_sanction_link} l WHERE "
                "l.complaint_id = f.complaint_id AND l.allegation_number = f.allegation_number)"
            )
            where.eq("f.organ", organ)
            total = s.scalar(sql("SELECT count(*)", _FINDING_FROM, where.sql()), where.params)
            rows = s.query(
                sql(
                    "SELECT f.complaint_id, f.allegation_number, f.result, f.effective,",
                    "f.auxiliary_id, a.name, f.organ, f.unit",
                    _FINDING_FROM,
                    "LEFT JOIN {rm_auxiliary} a ON a.auxiliary_id = f.auxiliary_id",
                    where.sql(),
                    "ORDER BY f.effective, f.complaint_id, f.allegation_number",
                    "LIMIT %s OFFSET %s",
                ),
                [*where.params, page_size, (page - 1) * page_size],
            )
        items = [
            UnsanctionedFinding(
                complaint_id=r["complaint_id"],
                allegation_number=int(r["allegation_number"]),
                result=r["result"],
                effective=r["effective"],
                auxiliary_id=r["auxiliary_id"],
                name=r["name"],
                organ=r["organ"],
                unit=r["unit"],
                days_since=(today - r["effective"]).days,
            )
            for r in rows
        ]
        return Page(items, page, page_size, int(total or 0))

    def outside_rule_period(
        self, *, organ: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[RuleFlag]:
        """Records whose effective date lies outside the rule set they were judged by (Art. 20)."""
        page, page_size = check_page(page, page_size)
        where = _Where()
        where.eq("organ", organ)
        columns = (
            "log_position, originator_id, originator_version, event, organ, effective, "
            "rule_id, rule_from, rule_until, reason"
        )
        union = sql(
            "SELECT",
            columns,
            "FROM {rm_personnel_rule_flags}",
            where.sql(),
            "UNION ALL SELECT",
            columns,
            "FROM {rm_complaints_rule_flags}",
            where.sql(),
        )
        with self.db.read() as s:
            self._check_scope(s, organ)
            params = [*where.params, *where.params]
            total = s.scalar(sql("SELECT count(*) FROM (", union, ") u"), params)
            rows = s.query(
                sql("SELECT * FROM (", union, ") u ORDER BY log_position LIMIT %s OFFSET %s"),
                [*params, page_size, (page - 1) * page_size],
            )
        items = [RuleFlag(**{**r, "log_position": int(r["log_position"])}) for r in rows]
        return Page(items, page, page_size, int(total or 0))
