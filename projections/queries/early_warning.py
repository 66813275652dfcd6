"""Early intervention (issue item 5): thresholds over a rolling window, and the
commendation ratio per unit.

The shared checks and invariants are in ``projections.queries.common``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from domain.values import EarlyWarningRule
from projections.complaints import COMPLAINT, FINDING
from projections.db import Session, sql
from projections.personnel import AUXILIARY, COMMENDATION, HEADCOUNT
from projections.queries.common import (
    _FINDING_FROM,
    DEFAULT_PAGE_SIZE,
    ReadModelQueries,
    _Where,
    check_page,
)
from projections.results import (
    EarlyWarningAlert,
    Page,
    RatioRow,
)
from projections.tables import Table

__all__ = ["EarlyWarningQueries"]


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class EarlyWarningQueries(ReadModelQueries):
    """Early intervention (issue item 5): thresholds over a rolling window."""

    def window(self, on: date | None) -> tuple[date, date]:
        """The look-back window ending on ``on`` (today by default), both ends inclusive."""
        last = self.day_asked(on)
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
            # A complaint that names no auxiliary yet counts once it is matched.
            "c.auxiliary_id IS NOT NULL AND c.received_on >= %s AND c.received_on <= %s",
            [first, last],
        )
        sustained_sql, sustained_params = counting(
            "f",
            _FINDING_FROM,
            "f.latest = %s AND f.sustained = %s AND f.effective >= %s AND f.effective <= %s",
            [True, True, first, last],
        )
        with self._reading(organ, unit) as s:
            over = "GROUP BY {alias}.auxiliary_id HAVING count(*) > %s"
            too_many = self._count(
                s,
                sql(complaints_sql, over.format(alias="c")),
                [*complaints_params, rules.max_complaints],
                tables=(COMPLAINT, AUXILIARY),
            )
            too_many_sustained = self._count(
                s,
                sql(sustained_sql, over.format(alias="f")),
                [*sustained_params, rules.max_sustained],
                tables=(FINDING, AUXILIARY),
            )
            listed = [
                (auxiliary_id, rule)
                for auxiliary_id in sorted(set(too_many) | set(too_many_sustained), key=str)
                for rule, found in (
                    (EarlyWarningRule.complaints, too_many),
                    (EarlyWarningRule.sustained_findings, too_many_sustained),
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
                for alias, template, params, into, tables in (
                    ("c", complaints_sql, complaints_params, complaints, (COMPLAINT, AUXILIARY)),
                    ("f", sustained_sql, sustained_params, sustained, (FINDING, AUXILIARY)),
                ):
                    among, values = s.in_list(f"{alias}.auxiliary_id", ids)
                    into.update(
                        self._count(
                            s,
                            sql(template, "AND", among, f"GROUP BY {alias}.auxiliary_id"),
                            [*params, *values],
                            tables=tables,
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
                        tables=(AUXILIARY,),
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
                    tables=(COMMENDATION,),
                )
        alerts = []
        for auxiliary_id, rule in shown:
            row = info[auxiliary_id]
            counts = (complaints.get(auxiliary_id, 0), sustained.get(auxiliary_id, 0))
            praised = commendations.get(auxiliary_id, 0)
            threshold, count = (
                (rules.max_complaints, counts[0])
                if rule is EarlyWarningRule.complaints
                else (rules.max_sustained, counts[1])
            )
            alerts.append(
                EarlyWarningAlert.from_row(
                    row,
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
    def _count(
        s: Session, template: str, params: Sequence[Any], *, tables: Sequence[Table]
    ) -> dict[UUID, int]:
        return {r["auxiliary_id"]: int(r["n"]) for r in s.query(template, params, tables=tables)}

    def commendation_ratio(
        self, *, on: date | None = None, organ: str | None = None
    ) -> list[RatioRow]:
        """Commendations against complaints in the window, per unit, with the unit's headcount.

        Complaints count against the unit they were attributed to, commendations against the
        unit the auxiliary was in when it was recorded; ``auxiliaries`` is the unit's
        headcount now (not separated). Units with none of the three are left out.
        """
        first, last = self.window(on)
        with self._reading(organ) as s:
            scope = _Where()
            scope.eq("x.organ", organ)
            groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
            for index, table, template in (
                (
                    0,
                    HEADCOUNT,
                    "SELECT x.organ, x.unit, sum(x.auxiliaries) AS n FROM {rm_headcount} x",
                ),
                (
                    1,
                    COMMENDATION,
                    "SELECT x.organ, x.unit, count(*) AS n FROM {rm_commendation} x "
                    "WHERE x.effective >= %s AND x.effective <= %s",
                ),
                (
                    2,
                    COMPLAINT,
                    "SELECT x.organ, x.unit, count(*) AS n FROM {rm_complaint} x "
                    "WHERE x.auxiliary_id IS NOT NULL "
                    "AND x.received_on >= %s AND x.received_on <= %s",
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
                    tables=(table,),
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
