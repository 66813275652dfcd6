"""Life-cycle reports (issue 13, item 9): contracts ending or past their end (Art. 8), and
the annual assessments of a year, with who has none (Art. 9, 11).

Invariants kept here:

- Both reports are about the auxiliaries employed now: not separated (a suspended auxiliary
  is still employed, and its contract still runs out). A separated auxiliary is never listed.
- A contract's ``contract_end`` is its last day. On day D with N days: ``ending`` when
  ``D <= contract_end <= D + N`` (0 days left on the last day itself), ``past`` when
  ``contract_end < D`` (1 day over the day after). A renewal or a correction of the end moves
  the row with the read model's ``contract_end``.
- An assessment is due for year Y from every auxiliary employed now and hired on or before
  31 December of Y (the domain refuses an assessment for a year before the hire's); the rows
  of those with none recorded say so (``assessed`` false). The summary counts the same
  auxiliaries, per organ and current unit, so its totals equal the detailed report's.
- Probations (Art. 8, 9) of the auxiliaries employed now: on day D with N days, ``ending``
  when no outcome is recorded and ``D <= probation_until <= D + N``, ``overdue`` when none
  is recorded and ``probation_until < D``, ``failed`` when it failed (a separation is owed).
- ``training_missing``: employed auxiliaries with no passed training of the kind asked
  (default pre-service), whatever its date (Art. 9; the requirement itself is practice).
- ``on_leave``: auxiliaries employed on D (``hired_on <= D < separated_on``) with a leave
  covering D (``leave_from <= D < returned_on``, an open leave covering every later day),
  the same rule as ``Auxiliary.leave_on``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.values import (
    AssessmentGrade,
    ContractStanding,
    LeaveKind,
    ProbationStanding,
    TrainingKind,
)
from projections.db import Session, sql
from projections.errors import InvalidFilterValueError
from projections.lifecycle import LEAVE, PROBATION
from projections.personnel import ASSESSMENT, AUXILIARY, GRADE_COUNT, HIRE_COUNT, UNIT
from projections.queries.common import (
    DEFAULT_PAGE_SIZE,
    ReadModelQueries,
    _Where,
    check_choice,
    check_page,
    check_whole,
)
from projections.results import (
    AssessmentRow,
    AssessmentSummary,
    ContractEnding,
    LeaveRow,
    Page,
    ProbationRow,
    TrainingGap,
)

__all__ = ["DEFAULT_WITHIN_DAYS", "LifecycleQueries"]

DEFAULT_WITHIN_DAYS = 60
"""Contracts ending within this many days are listed unless asked otherwise."""

_ASSESSED_FROM = sql(
    "FROM {rm_auxiliary} a LEFT JOIN {rm_assessment} s",
    "ON s.auxiliary_id = a.auxiliary_id AND s.year = %s",
)


class LifecycleQueries(ReadModelQueries):
    """Contracts (Art. 8) and annual assessments (Art. 9, 11) of the auxiliaries employed now."""

    # ------------------------------------------------------------------ contracts

    def contracts_ending(
        self,
        *,
        on: date | None = None,
        within_days: int = DEFAULT_WITHIN_DAYS,
        standing: str | None = None,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[ContractEnding]:
        """Employed auxiliaries whose contract ends on ``on`` or within ``within_days`` after
        it, and those whose contract ended before ``on`` (Art. 8); the ones longest past
        their end first, then by the end date."""
        day, horizon = self.days_ahead(on, within_days)
        chosen = check_choice("standing", standing, ContractStanding)
        page, page_size = check_page(page, page_size)
        where = _Where.employed(organ, unit)
        if chosen == ContractStanding.past.value:
            where.add("contract_end < %s", day)
        else:
            if chosen == ContractStanding.ending.value:
                where.add("contract_end >= %s", day)
            where.add("contract_end <= %s", horizon)
        with self._reading(organ, unit) as s:
            rows, total = self._page_rows(
                s,
                columns="auxiliary_id, name, organ, unit, post_type, employment_form, status, "
                "contract_start, contract_end",
                source="FROM {rm_auxiliary} a",
                where=where,
                order="contract_end, organ, unit, name, auxiliary_id",
                page=page,
                page_size=page_size,
                tables=(AUXILIARY,),
            )
        items = []
        for r in rows:
            end: date = r["contract_end"]
            past = end < day
            items.append(
                ContractEnding.from_row(
                    r,
                    standing=(ContractStanding.past if past else ContractStanding.ending).value,
                    days_left=None if past else (end - day).days,
                    days_over=(day - end).days if past else None,
                )
            )
        return Page(items, page, page_size, total)

    # ------------------------------------------------------------------ assessments

    def _year(self, year: int | None) -> int:
        if year is None:
            return self.today().year - 1  # the last complete year
        return check_whole("year", year, 1900, 9999)

    @staticmethod
    def _due(year: int, organ: str | None, unit: str | None) -> _Where:
        """Who owes an assessment for ``year``: employed now, hired by the year's end."""
        where = _Where.employed(organ, unit)
        where.add("a.hired_on <= %s", date(year, 12, 31))
        return where

    def assessments(
        self,
        *,
        year: int | None = None,
        grade: str | None = None,
        missing_only: bool = False,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[AssessmentRow]:
        """The grade of ``year`` (default: last year) of every auxiliary employed now and
        hired by that year's end, with a row saying so for each one with none recorded
        (Art. 9, 11); by organ, unit and name."""
        chosen_year = self._year(year)
        chosen_grade = check_choice("grade", grade, AssessmentGrade)
        if not isinstance(missing_only, bool):
            raise InvalidFilterValueError("missing_only", "must be true or false")
        page, page_size = check_page(page, page_size)
        where = self._due(chosen_year, organ, unit)
        where.eq("s.grade", chosen_grade)
        if missing_only:
            where.add("s.auxiliary_id IS NULL")
        with self._reading(organ, unit) as s:
            rows, total = self._page_rows(
                s,
                columns="a.auxiliary_id, a.name, a.organ, a.unit, a.post_type, a.status, "
                "a.hired_on, s.grade, s.effective, s.unit AS assessed_unit, s.originator_version",
                source=_ASSESSED_FROM,
                source_params=[chosen_year],
                where=where,
                order="a.organ, a.unit, a.name, a.auxiliary_id",
                page=page,
                page_size=page_size,
                tables=(AUXILIARY, ASSESSMENT),
            )
        items = [
            AssessmentRow.from_row(
                r,
                year=chosen_year,
                assessed=r["grade"] is not None,
                version=None if r["originator_version"] is None else int(r["originator_version"]),
            )
            for r in rows
        ]
        return Page(items, page, page_size, total)

    def assessment_summary(
        self, *, year: int | None = None, organ: str | None = None, unit: str | None = None
    ) -> list[AssessmentSummary]:
        """Per organ and current unit: the auxiliaries due an assessment for ``year``
        (default: last year), each grade's count and how many have none (Art. 9, 11).

        ``excellent_percent`` is the share of ``excellent`` among those assessed (the figure
        a cap on excellent grades is checked against), to one decimal place.
        """
        chosen_year = self._year(year)
        # From the counts the projection keeps (a few rows per unit and year), not from
        # every employed auxiliary: at 100,001 auxiliaries, p95 4 ms instead of 58-60.
        due_where, graded_where = _Where(), _Where()
        for where in (due_where, graded_where):
            where.eq("organ", organ)
            where.eq("unit", unit)
        due_where.add("hired_year <= %s", chosen_year)
        graded_where.add("year = %s", chosen_year)
        with self._reading(organ, unit) as s:
            due = s.query(
                sql(
                    "SELECT organ, unit, sum(auxiliaries) AS n FROM {rm_hire_count}",
                    due_where.sql(),
                    "GROUP BY organ, unit",
                ),
                due_where.params,
                tables=(HIRE_COUNT,),
            )
            graded = s.query(
                sql(
                    "SELECT organ, unit, grade, auxiliaries FROM {rm_grade_count}",
                    graded_where.sql(),
                ),
                graded_where.params,
                tables=(GRADE_COUNT,),
            )
            names = self._unit_names(s, organ)
        units = {(r["organ"], r["unit"]): int(r["n"]) for r in due if int(r["n"])}
        per_unit: dict[tuple[str, str], dict[str, int]] = {}
        for r in graded:
            per_unit.setdefault((r["organ"], r["unit"]), {})[r["grade"]] = r["auxiliaries"]
        found = []
        for (organ_code, unit_code), owed in sorted(units.items()):
            per_grade = per_unit.get((organ_code, unit_code), {})
            grades = {g.value: per_grade.get(g.value, 0) for g in AssessmentGrade}
            assessed = sum(grades.values())
            excellent = grades[AssessmentGrade.excellent.value]
            found.append(
                AssessmentSummary(
                    organ=organ_code,
                    unit=unit_code,
                    unit_name=names.get((organ_code, unit_code), unit_code),
                    year=chosen_year,
                    auxiliaries=owed,
                    excellent=excellent,
                    competent=grades[AssessmentGrade.competent.value],
                    basically_competent=grades[AssessmentGrade.basically_competent.value],
                    incompetent=grades[AssessmentGrade.incompetent.value],
                    not_assessed=owed - assessed,
                    excellent_percent=(
                        None
                        if not assessed
                        else (Decimal(100 * excellent) / assessed).quantize(
                            Decimal("0.1"), rounding=ROUND_HALF_UP
                        )
                    ),
                )
            )
        return found

    @staticmethod
    def _unit_names(s: Session, organ: str | None) -> dict[tuple[str, str], str]:
        where = _Where()
        where.eq("organ", organ)
        rows: list[dict[str, Any]] = s.query(
            sql("SELECT organ, unit, unit_name FROM {rm_unit}", where.sql()),
            where.params,
            tables=(UNIT,),
        )
        return {(r["organ"], r["unit"]): r["unit_name"] for r in rows}

    # ------------------------------------------------------------------ probation

    def probations(
        self,
        *,
        on: date | None = None,
        within_days: int = DEFAULT_WITHIN_DAYS,
        standing: str | None = None,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[ProbationRow]:
        """Employed auxiliaries whose probation ends on ``on`` or within ``within_days``
        after it with no outcome, is past its last day with none, or failed (Art. 8, 9);
        by the last day, organ, unit and name."""
        day, horizon = self.days_ahead(on, within_days)
        chosen = check_choice("standing", standing, ProbationStanding)
        page, page_size = check_page(page, page_size)
        where = _Where.employed(organ, unit)
        if chosen == ProbationStanding.failed.value:
            where.add("p.passed = %s", False)
        elif chosen == ProbationStanding.overdue.value:
            where.add("p.passed IS NULL AND p.probation_until < %s", day)
        elif chosen == ProbationStanding.ending.value:
            where.add("p.passed IS NULL AND p.probation_until >= %s", day)
            where.add("p.probation_until <= %s", horizon)
        else:
            where.add(
                "((p.passed IS NULL AND p.probation_until <= %s) OR p.passed = %s)", horizon, False
            )
        with self._reading(organ, unit) as s:
            rows, total = self._page_rows(
                s,
                columns="a.auxiliary_id, a.name, a.organ, a.unit, a.post_type, a.status, "
                "a.hired_on, p.probation_from, p.probation_until, p.passed, p.decided_on",
                source="FROM {rm_auxiliary} a JOIN {rm_probation} p "
                "ON p.auxiliary_id = a.auxiliary_id",
                where=where,
                order="probation_until, organ, unit, name, auxiliary_id",
                count_with_page=True,
                page=page,
                page_size=page_size,
                tables=(AUXILIARY, PROBATION),
            )
        items = []
        for r in rows:
            until: date = r["probation_until"]
            if r["passed"] is not None:
                standing_now = ProbationStanding.failed
            elif until < day:
                standing_now = ProbationStanding.overdue
            else:
                standing_now = ProbationStanding.ending
            items.append(
                ProbationRow.from_row(
                    r,
                    standing=standing_now.value,
                    days_left=(
                        (until - day).days if standing_now is ProbationStanding.ending else None
                    ),
                    days_over=(
                        (day - until).days if standing_now is ProbationStanding.overdue else None
                    ),
                )
            )
        return Page(items, page, page_size, total)

    # ------------------------------------------------------------------ training

    def training_missing(
        self,
        *,
        kind: str | None = None,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[TrainingGap]:
        """Employed auxiliaries with no passed training of ``kind`` (default: pre-service,
        岗前培训), by organ, unit and name (Art. 9)."""
        chosen = check_choice("kind", kind, TrainingKind) or TrainingKind.pre_service.value
        page, page_size = check_page(page, page_size)
        where = _Where.employed(organ, unit)
        if chosen == TrainingKind.pre_service.value:
            # Kept with the auxiliary and indexed: the few without one, not every training.
            where.add("a.pre_service_passed_to IS NULL")
        else:
            where.add(
                "NOT EXISTS (SELECT 1 FROM {rm_training} t WHERE t.auxiliary_id = a.auxiliary_id "
                "AND t.training_kind = %s AND t.passed = %s)",
                chosen,
                True,
            )
        with self._reading(organ, unit) as s:
            total = s.scalar(
                sql("SELECT count(*) FROM {rm_auxiliary} a", where.sql()), where.params
            )
            rows = s.query(
                sql(
                    "SELECT a.auxiliary_id, a.name, a.organ, a.unit, a.post_type, a.status,",
                    "a.hired_on, (SELECT count(*) FROM {rm_training} f",
                    "WHERE f.auxiliary_id = a.auxiliary_id AND f.training_kind = %s) AS attempts",
                    "FROM {rm_auxiliary} a",
                    where.sql(),
                    "ORDER BY a.organ, a.unit, a.name, a.auxiliary_id LIMIT %s OFFSET %s",
                ),
                [chosen, *where.params, page_size, (page - 1) * page_size],
                tables=(AUXILIARY,),
            )
        items = [
            TrainingGap.from_row(
                r,
                training_kind=chosen,
                attempts=int(r["attempts"]),
            )
            for r in rows
        ]
        return Page(items, page, page_size, int(total or 0))

    # ------------------------------------------------------------------ leave

    def on_leave(
        self,
        *,
        on: date | None = None,
        kind: str | None = None,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[LeaveRow]:
        """Auxiliaries employed on ``on`` (default: today) and on leave that day (Art. 13),
        by the leave's start, organ, unit and name."""
        day = self.day_asked(on)
        chosen = check_choice("kind", kind, LeaveKind)
        page, page_size = check_page(page, page_size)
        where = _Where.employed_on(day, organ, unit)
        where.add("l.leave_from <= %s", day)
        where.add("(l.returned_on IS NULL OR l.returned_on > %s)", day)
        where.eq("l.leave_kind", chosen)
        with self._reading(organ, unit) as s:
            rows, total = self._page_rows(
                s,
                columns="a.auxiliary_id, a.name, a.organ, a.unit, a.post_type, a.status, "
                "l.leave_id, l.leave_kind, l.leave_from, l.planned_end, l.returned_on",
                source="FROM {rm_leave} l JOIN {rm_auxiliary} a ON a.auxiliary_id = l.auxiliary_id",
                where=where,
                order="leave_from, organ, unit, name, auxiliary_id",
                count_with_page=True,
                page=page,
                page_size=page_size,
                tables=(AUXILIARY, LEAVE),
            )
        items = []
        for r in rows:
            planned: date | None = r["planned_end"]
            items.append(
                LeaveRow.from_row(
                    r,
                    days_on_leave=(day - r["leave_from"]).days + 1,
                    days_past_plan=(day - planned).days if planned and planned < day else None,
                )
            )
        return Page(items, page, page_size, total)
