"""Compliance reports (issue item 6): quota, levels, pay, and the gaps each article
forbids (supervision, insurance, health checks, credentials, sanctions, rule periods), and
the life-cycle warnings (probation, leave, pre-service training; Art. 8, 9, 13).

The shared checks and invariants are in ``projections.queries.common``. Life-cycle warnings
on day D concern the auxiliaries employed on D (``hired_on <= D < separated_on``), one row
per rule met:

- ``probation_overdue``: the probation's last day is before D and no outcome was decided by
  D; due on the last day.
- ``probation_failed``: the probation failed on or before D (employed on D: the separation
  is owed); due on the decision's date.
- ``leave_past_plan``: a leave covers D (``leave_from <= D < returned_on``, an open leave
  every later day) and its planned last day is before D; due on that day.
- ``pre_service_training_missing``: no passed pre-service training ending on or before D;
  due on the hire (training comes before duty: practice, not a rule of the measures).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domain.policy import add_months
from domain.values import AuxiliaryStatus, LifecycleWarningRule
from projections.complaints import COMPLAINT_FLAGS, FINDING
from projections.db import Session, sql
from projections.errors import InvalidFilterValueError
from projections.personnel import (
    AUXILIARY,
    AVERAGE_WAGE,
    CREDENTIAL,
    HEADCOUNT,
    ORGAN,
    PAY,
    PERSONNEL_FLAGS,
)
from projections.queries.common import (
    _FINDING_FROM,
    DEFAULT_PAGE_SIZE,
    ReadModelQueries,
    _Where,
    check_choice,
    check_page,
)
from projections.results import (
    AuxiliaryGap,
    LevelCount,
    LifecycleWarning,
    Page,
    PayAgainstWage,
    QuotaUse,
    RuleFlag,
    UnreturnedCredential,
    UnsanctionedFinding,
)

__all__ = ["ComplianceQueries"]

_NOT_SEPARATED = (AuxiliaryStatus.active.value, AuxiliaryStatus.suspended.value)


class ComplianceQueries(ReadModelQueries):
    """Compliance reports (issue item 6), each naming its article."""

    def quota_use(self, *, organ: str | None = None) -> list[QuotaUse]:
        """Staffing quota against slots held, per organ (Art. 5, 8)."""
        with self._reading(organ) as s:
            rows = self._organs(s, organ, "organ, organ_name, quota, headcount")
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

    @staticmethod
    def _organs(s: Session, organ: str | None, columns: str) -> list[dict[str, Any]]:
        """``columns`` of the organs asked about (``organ``, or every one), by code."""
        where = _Where()
        where.eq("organ", organ)
        return s.query(
            sql("SELECT", columns, "FROM {rm_organ}", where.sql(), "ORDER BY organ"),
            where.params,
            tables=(ORGAN,),
        )

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
                tables=(HEADCOUNT,),
            )
        }

    def level_distribution(self, *, organ: str | None = None) -> list[LevelCount]:
        """Auxiliaries not separated, per organ and level; every level of the scheme (Art. 11)."""
        with self._reading(organ) as s:
            counts = self._levels(s, organ)
            organs = [r["organ"] for r in self._organs(s, organ, "organ")]
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
        with self._reading(organ) as s:
            counts = self._levels(s, organ)
            organs = self._organs(s, organ, "organ, region")
            pay = {
                (r["organ"], int(r["level"])): r["monthly"]
                for r in s.query(
                    "SELECT organ, level, monthly FROM {rm_pay} WHERE year = %s",
                    [chosen],
                    tables=(PAY,),
                )
            }
            wages = {
                r["region"]: r["annual"]
                for r in s.query(
                    "SELECT region, annual FROM {rm_average_wage} WHERE year = %s",
                    [chosen - 1],
                    tables=(AVERAGE_WAGE,),
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
        with self._reading(organ) as s:
            condition.eq("organ", organ)
            rows, total = self._page_rows(
                s,
                columns=sql(
                    "auxiliary_id, name, organ, unit, post_type, status,", since, "AS since"
                ),
                source="FROM {rm_auxiliary} a",
                where=condition,
                order=order,
                page=page,
                page_size=page_size,
                tables=(AUXILIARY,),
            )
        items = []
        for r in rows:
            since_value = r["since"]
            if isinstance(since_value, str):
                since_value = date.fromisoformat(since_value)
            due_on = due({**r, "since": since_value}) if due else None
            items.append(
                AuxiliaryGap.from_row(
                    r,
                    since=since_value,
                    due=due_on,
                    days_overdue=(today - due_on).days if due_on is not None else None,
                )
            )
        return Page(items, page, page_size, total)

    def without_supervisor(
        self, *, organ: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[AuxiliaryGap]:
        """Auxiliaries not separated who have no supervising officer (Art. 10)."""
        where = _Where.employed()
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
        day = self.day_asked(on)
        where = _Where.employed()
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
        day = self.day_asked(on)
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
        holders = _Where()
        holders.add("a.status = %s", AuxiliaryStatus.separated.value)
        holders.add("a.credentials_out > %s", 0)
        holders.eq("a.organ", organ)
        with self._reading(organ) as s:
            # First the few separated auxiliaries with something out (the index on status and
            # credentials_out, and the statistics that tell PostgreSQL they are few), then
            # their credentials by the primary key. As a plain join the planner read every
            # credential to hash it: p95 58 ms at 100,001 auxiliaries, against 12 this way
            # (docs/benchmarks.md).
            where = _Where()
            where.add("k.credential_status <> %s", "returned")
            rows, total = self._page_rows(
                s,
                first=sql(
                    "holders AS MATERIALIZED (SELECT a.auxiliary_id, a.name, a.organ, a.unit,",
                    "a.separated_on FROM {rm_auxiliary} a",
                    holders.sql(),
                    ")",
                ),
                columns="h.auxiliary_id, h.name, h.organ, h.unit, h.separated_on, k.kind, "
                "k.serial, k.credential_status",
                source="FROM holders h JOIN {rm_credential} k ON k.auxiliary_id = h.auxiliary_id",
                source_params=holders.params,
                where=where,
                order="separated_on, auxiliary_id, kind, serial",
                count_with_page=True,
                page=page,
                page_size=page_size,
                tables=(AUXILIARY, CREDENTIAL),
            )
        items = [
            UnreturnedCredential.from_row(
                r,
                days_since_separation=(today - r["separated_on"]).days,
            )
            for r in rows
        ]
        return Page(items, page, page_size, total)

    def sustained_without_sanction(
        self, *, organ: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[UnsanctionedFinding]:
        """Sustained findings (latest per allegation) that no sanction refers to (Art. 18)."""
        page, page_size = check_page(page, page_size)
        today = self.today()
        with self._reading(organ) as s:
            where = _Where()
            where.add("f.latest = %s", True)
            where.add("f.sustained = %s", True)
            where.add(
                "NOT EXISTS (SELECT 1 FROM {rm_sanction_link} l WHERE "
                "l.complaint_id = f.complaint_id AND l.allegation_number = f.allegation_number)"
            )
            where.eq("f.organ", organ)
            rows, total = self._page_rows(
                s,
                columns="f.complaint_id, f.allegation_number, f.result, f.effective, "
                "f.auxiliary_id, a.name, f.organ, f.unit",
                source=sql(
                    _FINDING_FROM, "LEFT JOIN {rm_auxiliary} a ON a.auxiliary_id = f.auxiliary_id"
                ),
                count_source=_FINDING_FROM,
                where=where,
                order="f.effective, f.complaint_id, f.allegation_number",
                page=page,
                page_size=page_size,
                tables=(FINDING, AUXILIARY),
            )
        items = [
            UnsanctionedFinding.from_row(
                r,
                allegation_number=int(r["allegation_number"]),
                days_since=(today - r["effective"]).days,
            )
            for r in rows
        ]
        return Page(items, page, page_size, total)

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
        with self._reading(organ) as s:
            rows, total = self._page_rows(
                s,
                columns="*",
                source=sql("FROM (", union, ") u"),
                source_params=[*where.params, *where.params],
                where=_Where(),
                order="log_position",
                page=page,
                page_size=page_size,
                tables=(PERSONNEL_FLAGS, COMPLAINT_FLAGS),
            )
        items = [RuleFlag.from_row(r, log_position=int(r["log_position"])) for r in rows]
        return Page(items, page, page_size, total)

    # ------------------------------------------------------------------ life cycle

    def lifecycle_warnings(
        self,
        *,
        on: date | None = None,
        rule: str | None = None,
        organ: str | None = None,
        unit: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[LifecycleWarning]:
        """Employed auxiliaries whose probation, leave or pre-service training needs action
        on ``on`` (default: today), one row per rule met (Art. 8, 9, 13); by the date the
        action was due, the rule, organ, unit and name."""
        day = self.day_asked(on)
        chosen = check_choice("rule", rule, LifecycleWarningRule)
        page, page_size = check_page(page, page_size)
        # (rule, FROM, the alias whose auxiliary columns it reads, due column, condition, its
        # parameters); the rule names are the value set's own constants, never input. Each
        # condition is one an index answers. A probation row carries its auxiliary's organ,
        # unit, name and employment dates (kept with rm_auxiliary), and the pre-service rule
        # is rm_auxiliary's own column: so the 11,601 rows of the 100,000-officer demo are
        # found, counted and sorted without a join (the join of every row found to its
        # auxiliary cost 50-60 ms); only the few leaves are joined, and the page's posts and
        # statuses are read for its rows alone.
        parts: tuple[tuple[LifecycleWarningRule, str, str, str, str, list[Any]], ...] = (
            (
                LifecycleWarningRule.probation_overdue,
                "{rm_probation} p",
                "p",
                "p.probation_until",
                "p.probation_until < %s AND (p.passed IS NULL OR p.decided_on > %s)",
                [day, day],
            ),
            (
                LifecycleWarningRule.probation_failed,
                "{rm_probation} p",
                "p",
                "p.decided_on",
                "p.passed = %s AND p.decided_on <= %s",
                [False, day],
            ),
            (
                LifecycleWarningRule.leave_past_plan,
                "{rm_leave} l JOIN {rm_auxiliary} a ON a.auxiliary_id = l.auxiliary_id",
                "a",
                "l.planned_end",
                "l.leave_from <= %s AND (l.returned_on IS NULL OR l.returned_on > %s) "
                "AND l.planned_end IS NOT NULL AND l.planned_end < %s",
                [day, day, day],
            ),
            (
                LifecycleWarningRule.pre_service_training_missing,
                "{rm_auxiliary} a",
                "a",
                "a.hired_on",
                "(a.pre_service_passed_to IS NULL OR a.pre_service_passed_to > %s)",
                [day],
            ),
        )
        found: list[str] = []
        params: list[Any] = []
        for name, source, alias, due, condition, values in parts:
            if chosen is not None and name.value != chosen:
                continue
            scope = _Where.employed_on(day, organ, unit, alias=alias)
            found.append(
                sql(
                    f"SELECT {alias}.auxiliary_id, {alias}.name, {alias}.organ, {alias}.unit,",
                    f"'{name.value}' AS rule, {due} AS due FROM",
                    source,
                    "WHERE",
                    condition,
                    scope.sql("AND"),
                )
            )
            params.extend([*values, *scope.params])
        with self._reading(organ, unit) as s:
            rows, total = self._page_rows(
                s,
                columns="*",
                source=sql("FROM (", " UNION ALL ".join(found), ") w"),
                source_params=params,
                where=_Where(),
                order="due, rule, organ, unit, name, auxiliary_id",
                count_with_page=True,
                page=page,
                page_size=page_size,
                tables=(AUXILIARY,),  # the rule and the due date are no table's columns
            )
            if rows:
                among, ids = s.in_list("auxiliary_id", sorted({r["auxiliary_id"] for r in rows}))
                shown = sql(
                    "SELECT auxiliary_id, post_type, status FROM {rm_auxiliary} WHERE", among
                )
                now = {a["auxiliary_id"]: a for a in s.query(shown, ids, tables=(AUXILIARY,))}
                for r in rows:
                    r["post_type"] = now[r["auxiliary_id"]]["post_type"]
                    r["status"] = now[r["auxiliary_id"]]["status"]
        items = []
        for r in rows:
            due_on = r["due"]
            if isinstance(due_on, str):  # SQLite: a column of the union, not of a table
                due_on = date.fromisoformat(due_on)
            items.append(
                LifecycleWarning.from_row(
                    r,
                    due=due_on,
                    days_overdue=(day - due_on).days,
                )
            )
        return Page(items, page, page_size, total)
