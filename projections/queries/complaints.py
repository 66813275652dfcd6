"""The complaint registry (issue item 3): deadlines, overdue items, notices, findings
and time to close.

The shared checks and invariants are in ``projections.queries.common``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar
from uuid import UUID

from domain.values import (
    ComplaintStatus,
    FindingResult,
)
from projections import history
from projections.complaints import COMPLAINT, FINDING
from projections.db import Session, sql
from projections.errors import UnknownRecordError
from projections.personnel import AUXILIARY
from projections.queries.common import (
    _FINDING_COLUMNS,
    _FINDING_FROM,
    DEFAULT_PAGE_SIZE,
    ReadModelQueries,
    _finding,
    _Where,
    check_choice,
    check_page,
    check_period,
    check_uuid,
)
from projections.results import (
    CloseTimeRow,
    ComplaintDetail,
    ComplaintSummary,
    Deadlines,
    FindingRow,
    Page,
    Timeline,
    UnmatchedComplaint,
)

__all__ = ["ComplaintQueries"]

_S = ComplaintStatus
_OPEN = (
    _S.received.value,
    _S.acknowledged.value,
    _S.accepted.value,
    _S.under_investigation.value,
)
_AWAITING_NOTICE = (_S.concluded.value, _S.not_accepted.value)
"""A result the complainant has not been told: the domain refuses a withdrawal here (Art. 17),
so a complaint leaves this set only by a notification."""

_COMPLAINT_COLUMNS = (
    "c.complaint_id, c.auxiliary_id, a.name AS auxiliary_name, c.organ, c.unit, "
    "c.supervisor_id, c.supervisor_name, c.channel, c.incident_on, c.received_on, c.status, "
    "c.allegations, c.round_no, c.acknowledged_on, c.accepted_on, c.declined_on, c.due, "
    "c.concluded_on, c.notified_on, c.closed_on, c.withdrawn_on, c.reopened_on, c.reopened, "
    "c.outside_reference, c.referring_organ, c.taken_by, c.matched_on, "
    "c.review_requested_on, c.review_due, c.review_decided_on, "
    "c.incident_place, c.subject_description"
)
_Summary = TypeVar("_Summary", bound=ComplaintSummary)

_COMPLAINT_FROM = (
    " FROM {rm_complaint} c LEFT JOIN {rm_auxiliary} a ON a.auxiliary_id = c.auxiliary_id"
)


class ComplaintQueries(ReadModelQueries):
    """The complaint registry (issue item 3): deadlines, overdue items, notices, findings."""

    def deadlines(self, row: dict[str, Any], today: date) -> Deadlines:
        """A complaint's deadlines under the policy, and which are overdue or were missed.

        Acknowledge within N working days of receipt; conclude within N days of receipt (of
        the reopening, after a reopening: ``ComplaintPolicy.conclude_from``); tell the
        complainant within N days of the result (the conclusion, or the decision not to
        accept); decide this round's review (复查) by the due date set when it was asked for.
        ``overdue`` is the steps still owed (``ComplaintPolicy.steps_due``, the rule of the
        complaint's page and /track too) whose last day has passed.
        """
        rules = self.policy.complaints
        status = row["status"]
        acknowledge_due = rules.acknowledge_due(row["received_on"], self.policy.calendar)
        conclude_due = None
        if row["declined_on"] is None or row["reopened_on"] is not None:
            conclude_due = rules.conclude_due(
                rules.conclude_from(row["received_on"], row["reopened_on"])
            )
        result_on = row["concluded_on"] or (
            row["declined_on"] if status == _S.not_accepted.value else None
        )
        notify_due = rules.notify_due(result_on) if result_on is not None else None
        review_due, reviewed = row["review_due"], row["review_decided_on"]
        owed = rules.steps_due(
            ComplaintStatus(status),
            received_on=row["received_on"],
            reopened_on=row["reopened_on"],
            concluded_on=row["concluded_on"],
            declined_on=row["declined_on"],
            review_due=review_due if reviewed is None else None,
            working_calendar=self.policy.calendar,
        )
        late: list[str] = []
        acknowledged = row["acknowledged_on"]
        if acknowledged is not None and acknowledged > acknowledge_due:
            late.append("acknowledge")
        concluded, notified = row["concluded_on"], row["notified_on"]
        if conclude_due is not None and concluded is not None and concluded > conclude_due:
            late.append("conclude")
        if notify_due is not None and notified is not None and notified > notify_due:
            late.append("notify")
        if review_due is not None and reviewed is not None and reviewed > review_due:
            late.append("review")
        return Deadlines(
            acknowledge_due=acknowledge_due,
            conclude_due=conclude_due,
            notify_due=notify_due,
            investigator_due=row["due"],
            overdue=tuple(step for step, due in owed if today > due),
            late=tuple(late),
            review_due=review_due,
        )

    def _summary(self, row: dict[str, Any], today: date, kind: type[_Summary]) -> _Summary:
        closed = row["closed_on"]
        return kind.from_row(
            row,
            allegations=int(row["allegations"]),
            round_no=int(row["round_no"]),
            reopened=int(row["reopened"]),
            days_to_close=(closed - row["received_on"]).days if closed is not None else None,
            deadlines=self.deadlines(row, today),
            matched=row["auxiliary_id"] is not None,
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
        status = check_choice("status", status, ComplaintStatus)
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
            return self._summaries(
                s, where, today, page, page_size, kind=ComplaintSummary, newest_first=True
            )

    def _summaries(
        self,
        s: Session,
        where: _Where,
        today: date,
        page: int,
        page_size: int,
        *,
        kind: type[_Summary],
        newest_first: bool = False,
    ) -> Page[_Summary]:
        """One page of complaint summaries (``kind``) matching ``where``, by receipt date,
        and the total."""
        rows, total = self._page_rows(
            s,
            columns=_COMPLAINT_COLUMNS,
            source=_COMPLAINT_FROM,
            count_source="FROM {rm_complaint} c",
            where=where,
            order="c.received_on DESC, c.complaint_id"
            if newest_first
            else "c.received_on, c.complaint_id",
            page=page,
            page_size=page_size,
            tables=(COMPLAINT, AUXILIARY),
        )
        return Page([self._summary(r, today, kind) for r in rows], page, page_size, total)

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
                tables=(COMPLAINT, AUXILIARY),
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
                tables=(FINDING,),
            )
        return ComplaintDetail(
            complaint=self._summary(rows[0], self.today(), ComplaintSummary),
            findings=tuple(_finding(r) for r in findings),
        )

    def _overdue_condition(self, s: Session, today: date) -> tuple[str, list[Any]]:
        """SQL selecting exactly the complaints ``deadlines`` finds overdue today: one
        clause per step of ``ComplaintPolicy.steps_due``, owed in the same statuses and
        counted from the same day (the conclusion from ``conclude_from``: the reopening if
        there was one, else the receipt; an undecided review by its own due date).

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
            "AND COALESCE(c.reopened_on, c.received_on) <= %s)",  # conclude_from
            "OR (c.status = %s AND c.concluded_on <= %s)",
            "OR (c.status = %s AND c.declined_on <= %s)",
            "OR (c.review_decided_on IS NULL AND c.review_due < %s))",
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
            today,
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
        return self._listing(
            self._overdue_condition,
            organ=organ,
            unit=unit,
            page=page,
            page_size=page_size,
            kind=ComplaintSummary,
        )

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
        return self._listing(
            lambda s, _today: s.in_list("c.status", list(_AWAITING_NOTICE)),
            organ=organ,
            unit=unit,
            page=page,
            page_size=page_size,
            kind=ComplaintSummary,
        )

    def unmatched(
        self,
        *,
        organ: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[UnmatchedComplaint]:
        """Complaints that name no auxiliary yet (taken without a name, not yet matched), of
        every status, oldest receipt first: what the complaints office still has to match,
        each with the incident's place and the subject's description to match it by."""
        return self._listing(
            lambda _s, _today: ("c.auxiliary_id IS NULL", []),
            organ=organ,
            unit=None,
            page=page,
            page_size=page_size,
            kind=UnmatchedComplaint,
        )

    def _listing(
        self,
        condition: Callable[[Session, date], tuple[str, list[Any]]],
        *,
        organ: str | None,
        unit: str | None,
        page: int,
        page_size: int,
        kind: type[_Summary],
    ) -> Page[_Summary]:
        """One page of the complaints of ``organ`` (and ``unit``) that meet ``condition``
        (given the read and today: its SQL and parameters), oldest receipt first."""
        page, page_size = check_page(page, page_size)
        today = self.today()
        with self.db.read() as s:
            where = self._filters(s, organ=organ, unit=unit, auxiliary_id=None)
            sql_condition, params = condition(s, today)
            where.add(sql_condition, *params)
            return self._summaries(s, where, today, page, page_size, kind=kind)

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
        result = check_choice("result", result, FindingResult)
        check_period(start, end)
        with self._reading(organ, unit) as s:
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
            rows, total = self._page_rows(
                s,
                columns=_FINDING_COLUMNS,
                source=_FINDING_FROM,
                where=where,
                order="f.effective, f.complaint_id, f.allegation_number, f.originator_version",
                page=page,
                page_size=page_size,
                tables=(FINDING,),
            )
        return Page([_finding(r) for r in rows], page, page_size, total)

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
        with self._reading(organ) as s:
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
                tables=(COMPLAINT,),
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


def _one_place(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- responsibility
