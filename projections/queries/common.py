"""What every query class shares: argument checks, ``_Where``, and ``ReadModelQueries``.

The query classes live beside this module, one per question (``personnel``, ``complaints``,
``responsibility``, ``early_warning``, ``compliance``); ``projections.queries`` re-exports
them. Each is built from a ``ReadModels`` (or a ledger) with an injectable clock and
policy; every query takes ``organ=`` so a caller scoped to one organ sees only it.

Invariants kept here (by every query class):

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.policy import Policy
from domain.values import AuxiliaryStatus, china_date
from ledger.application import LedgerApplication
from projections.db import Session, sql
from projections.errors import (
    InvalidDateRangeQueryError,
    InvalidFilterValueError,
    PageSizeError,
    UnknownRecordError,
)
from projections.personnel import AUXILIARY
from projections.results import FindingRow
from projections.service import ReadModels
from projections.tables import Table

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "RESIDENT_ID_SHAPE",
    "SEARCH_MAX",
    "Clock",
    "ReadModelQueries",
    "check_choice",
    "check_date",
    "check_page",
    "check_period",
    "check_search",
    "check_uuid",
    "check_whole",
    "like_pattern",
]

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
MAX_DAYS_AHEAD = 366
"""The most days after ``on`` a report looking ahead (contracts, probations, reviews due)
may be asked about."""

Clock = Callable[[], datetime]

_TOTAL = "page_total_"
"""The column a page counted in its own statement carries the total in (no table's column)."""


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


def check_whole(name: str, value: object, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``, else ``InvalidFilterValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidFilterValueError(name, f"must be a whole number from {low} to {high}")
    return value


def check_choice(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    """The value if it is one of ``allowed`` (or None), else ``InvalidFilterValueError``.

    ``allowed`` may be a value set (a ``StrEnum`` class): its members are its values."""
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


class _Where:
    """AND-ed conditions with their parameters."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.params: list[Any] = []

    @classmethod
    def employed(cls, organ: str | None = None, unit: str | None = None) -> _Where:
        """Auxiliaries (``{rm_auxiliary} a``) employed now: not separated (a suspended one
        still is), in the organ and current unit asked about."""
        where = cls()
        where.add("a.status <> %s", AuxiliaryStatus.separated.value)
        where.eq("a.organ", organ)
        where.eq("a.unit", unit)
        return where

    @classmethod
    def employed_on(
        cls, day: date, organ: str | None = None, unit: str | None = None, *, alias: str = "a"
    ) -> _Where:
        """Auxiliaries (``{rm_auxiliary} a``, or a table under ``alias`` with the same
        ``hired_on``, ``separated_on``, ``organ`` and current ``unit``) employed on ``day``:
        hired on or before it and not separated by it, in the organ and unit asked about."""
        where = cls()
        where.add(f"{alias}.hired_on <= %s", day)
        where.add(f"({alias}.separated_on IS NULL OR {alias}.separated_on > %s)", day)
        where.eq(f"{alias}.organ", organ)
        where.eq(f"{alias}.unit", unit)
        return where

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

    def day_asked(self, on: date | None) -> date:
        """The date a report is asked about, checked (``on``), or today when none is given."""
        return check_date("on", on) if on is not None else self.today()

    def days_ahead(self, on: date | None, within_days: int) -> tuple[date, date]:
        """The date asked about (``day_asked``) and the last day a report looks ahead to,
        ``within_days`` (checked: 1 to ``MAX_DAYS_AHEAD``) after it."""
        day = self.day_asked(on)
        days = check_whole("within_days", within_days, 1, MAX_DAYS_AHEAD)
        return day, day + timedelta(days=days)

    @contextmanager
    def _reading(self, organ: str | None = None, unit: str | None = None) -> Iterator[Session]:
        """One read transaction, once the organ (and unit) asked about are known to exist."""
        with self.db.read() as s:
            self._check_scope(s, organ, unit)
            yield s

    @staticmethod
    def _page_rows(
        s: Session,
        *,
        columns: str,
        source: str,
        where: _Where,
        order: str,
        page: int,
        page_size: int,
        tables: Sequence[Table],
        count_source: str | None = None,
        source_params: Sequence[Any] = (),
        count_with_page: bool = False,
        first: str | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of ``SELECT columns source where ORDER BY order``, and the total count
        (over ``count_source`` when the page's joins are not needed to count); the rows are
        decoded with ``tables``, those the columns come from. ``source_params`` are the
        parameters the source itself takes (a join on a value, a union), before the where
        clause's; a ``count_source`` takes the same.

        ``count_with_page``: for a query that finds a few rows through indexes and sorts
        them, which no index gives in order: the rows are found once (a materialised
        ``WITH``, planned on its own, so that the planner does not walk an index in the
        page's order through every row to stop after a page), then counted
        (``count(*) OVER ()``), sorted and paged: one pass instead of two. ``order`` then
        names the result's columns, without table aliases. A page past the end has no row
        to carry the count; only then is it counted apart. ``first``: a materialised ``WITH``
        before it (``name AS MATERIALIZED (SELECT ...)``) that the source reads, planned on
        its own too; its parameters lead ``source_params``."""
        params = [*source_params, *where.params]
        lead = "" if first is None else sql("WITH", first)
        if count_with_page:
            rows = s.query(
                sql(
                    "WITH" if first is None else sql(lead, ","),
                    "found AS MATERIALIZED (SELECT",
                    columns,
                    source,
                    where.sql(),
                    ") SELECT *, count(*) OVER () AS",
                    _TOTAL,
                    "FROM found ORDER BY",
                    order,
                    "LIMIT %s OFFSET %s",
                ),
                [*params, page_size, (page - 1) * page_size],
                tables=tables,
            )
            if rows:
                total = int(rows[0][_TOTAL])
                for row in rows:
                    del row[_TOTAL]
                return rows, total
            if page == 1:
                return rows, 0
            # Past the end: no rows, and a count apart.
            total = s.scalar(sql(lead, "SELECT count(*)", source, where.sql()), params)
            return rows, int(total or 0)
        total = s.scalar(sql(lead, "SELECT count(*)", count_source or source, where.sql()), params)
        rows = s.query(
            sql(
                lead,
                "SELECT",
                columns,
                source,
                where.sql(),
                "ORDER BY",
                order,
                "LIMIT %s OFFSET %s",
            ),
            [*params, page_size, (page - 1) * page_size],
            tables=tables,
        )
        return rows, int(total or 0)

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
            sql("SELECT", _STATUS_COLUMNS, "FROM {rm_auxiliary} WHERE auxiliary_id = %s"),
            [key],
            tables=(AUXILIARY,),
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


_FINDING_COLUMNS = (
    "f.complaint_id, f.auxiliary_id, f.organ, f.unit, f.allegation_number, f.round_no, "
    "f.result, f.effective, f.latest"
)
_FINDING_FROM = "FROM {rm_finding} f"
"""Findings carry their complaint's auxiliary and attribution: no join needed."""


def _finding(r: dict[str, Any]) -> FindingRow:
    return FindingRow.from_row(
        r,
        allegation_number=int(r["allegation_number"]),
        round_no=int(r["round_no"]),
        latest=bool(r["latest"]),
    )
