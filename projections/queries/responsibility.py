"""Who answered for whom (issue item 4): responsibility on a date, accountability by
unit and supervisor, misconduct of officials.

The shared checks and invariants are in ``projections.queries.common``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any
from uuid import UUID

from domain.values import MisconductKind
from projections.complaints import COMPLAINT, FINDING
from projections.db import Session, placeholder, sql
from projections.personnel import (
    MISCONDUCT,
    SANCTION,
    SUPERVISOR_HISTORY,
    UNIT,
    UNIT_HISTORY,
)
from projections.queries.common import (
    _FINDING_FROM,
    DEFAULT_PAGE_SIZE,
    ReadModelQueries,
    _Where,
    check_choice,
    check_date,
    check_page,
    check_period,
)
from projections.results import (
    AccountabilityRow,
    MisconductRow,
    Page,
    ResponsibilityOn,
)
from projections.tables import Table

__all__ = ["ResponsibilityQueries"]


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
                unit = _latest(s, UNIT_HISTORY, "unit", key, day)
                supervisor = _latest(
                    s, SUPERVISOR_HISTORY, "supervisor_id, supervisor_name", key, day
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
            s: Session, alias: str, select: str, source: str, where: _Where, table: Table
        ) -> list[dict[str, Any]]:
            group = ", ".join(f"{alias}.{c}" for c in columns)
            return s.query(
                sql("SELECT", group, ",", select, source, where.sql(), "GROUP BY", group),
                where.params,
                tables=(table,),
            )

        with self._reading(organ) as s:
            where = _Where()
            where.add("c.auxiliary_id IS NOT NULL")  # no unit answers for an unnamed one yet
            where.eq("c.organ", organ)
            where.within("c.received_on", first, last)
            for r in grouped(s, "c", "count(*) AS n", "FROM {rm_complaint} c", where, COMPLAINT):
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
                FINDING,
            ):
                entry = counts[tuple(r[c] for c in columns)]
                entry["findings"] += int(r["n"])
                entry["sustained"] += int(r["n_sustained"])
            where = _Where()
            where.eq("x.organ", organ)
            where.within("x.effective", first, last)
            for r in grouped(s, "x", "count(*) AS n", "FROM {rm_sanction} x", where, SANCTION):
                counts[tuple(r[c] for c in columns)]["sanctions"] += int(r["n"])
            units = {
                (r["organ"], r["unit"]): r["unit_name"]
                for r in s.query("SELECT organ, unit, unit_name FROM {rm_unit}", tables=(UNIT,))
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
        kind = check_choice("kind", kind, MisconductKind)
        check_period(start, end)
        where = _Where()
        where.eq("organ", organ)
        where.eq("unit", unit)
        where.eq("official_id", official_id)
        where.eq("kind", kind)
        where.within("effective", start, end)
        with self._reading(organ, unit) as s:
            rows, total = self._page_rows(
                s,
                columns="finding_id, official_id, official_name, official_role, organ, unit, "
                "kind, effective, decision, decision_on, amendments",
                source="FROM {rm_misconduct}",
                where=where,
                order="effective, finding_id",
                page=page,
                page_size=page_size,
                tables=(MISCONDUCT,),
            )
        items = [MisconductRow.from_row(r, amendments=int(r["amendments"])) for r in rows]
        return Page(items, page, page_size, total)


def _latest(
    s: Session, table: Table, columns: str, auxiliary_id: UUID, day: date
) -> dict[str, Any] | None:
    rows = s.query(
        sql(
            "SELECT",
            columns,
            "FROM",
            placeholder(table.name),
            "WHERE auxiliary_id = %s AND effective <= %s",
            "ORDER BY effective DESC, originator_version DESC LIMIT 1",
        ),
        [auxiliary_id, day],
        tables=(table,),
    )
    return rows[0] if rows else None


# --------------------------------------------------------------------------- early warning
