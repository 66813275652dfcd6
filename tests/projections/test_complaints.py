"""The complaint registry: state, deadlines, overdue items, notices, findings, time to close."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.policy import ComplaintPolicy, Policy, WorkingCalendar
from domain.values import CHINA_STANDARD_TIME
from projections import (
    ComplaintQueries,
    InvalidDateRangeQueryError,
    InvalidFilterValueError,
    UnknownRecordError,
)
from projections.results import CloseTimeRow, Deadlines
from tests.projections import dataset as ds
from tests.projections.conftest import Built


def queries(built: Built, policy: Policy | None = None) -> ComplaintQueries:
    return ComplaintQueries(built.models, clock=lambda: ds.NOW, policy=policy)


def by_id(built: Built) -> dict[object, object]:
    return {c.complaint_id: c for c in queries(built).registry(page_size=10).items}


def test_registry_newest_first_with_state_and_attribution(built: Built) -> None:
    page = queries(built).registry()
    assert [c.complaint_id for c in page.items] == [ds.C6, ds.C5, ds.C4, ds.C3, ds.C2, ds.C1]
    assert page.total == 6
    c = {x.complaint_id: x for x in page.items}
    assert [c[k].status for k in (ds.C1, ds.C2, ds.C3, ds.C4, ds.C5, ds.C6)] == [
        "closed",
        "concluded",
        "closed",
        "received",
        "closed",
        "not_accepted",
    ]
    # Attributed to who answered on the incident date: C1 before X1's transfer.
    assert (c[ds.C1].unit, c[ds.C1].supervisor_id, c[ds.C1].supervisor_name) == (
        "A01-U1",
        "S1",
        "张警官",
    )
    assert (c[ds.C2].unit, c[ds.C2].supervisor_id) == ("A01-U2", "S2")
    assert (c[ds.C6].unit, c[ds.C6].supervisor_id, c[ds.C6].auxiliary_name) == (
        "A01-U1",
        None,
        "乙贰",
    )
    assert (c[ds.C1].incident_on, c[ds.C1].received_on, c[ds.C1].allegations) == (
        date(2024, 1, 10),
        date(2024, 1, 11),
        2,
    )
    assert (c[ds.C3].round_no, c[ds.C3].reopened, c[ds.C3].closed_on, c[ds.C3].days_to_close) == (
        2,
        1,
        date(2024, 5, 15),
        44,
    )
    assert (c[ds.C1].days_to_close, c[ds.C5].days_to_close, c[ds.C2].days_to_close) == (
        24,
        21,
        None,
    )
    assert (c[ds.C2].acknowledged_on, c[ds.C2].concluded_on, c[ds.C2].notified_on) == (
        date(2024, 3, 5),
        date(2024, 3, 20),
        None,
    )
    assert c[ds.C6].declined_on == date(2024, 9, 3)


def test_deadlines_under_the_default_policy(built: Built) -> None:
    c = by_id(built)
    expected = {
        # Received Thursday 2024-01-11: acknowledge by Friday, conclude in 30 days.
        ds.C1: Deadlines(
            date(2024, 1, 12), date(2024, 2, 10), date(2024, 2, 6), date(2024, 2, 10), (), ()
        ),
        # Received Friday 2024-03-01: acknowledged Tuesday, a working day late.
        ds.C2: Deadlines(
            date(2024, 3, 4),
            date(2024, 3, 31),
            date(2024, 3, 25),
            None,
            ("notify",),
            ("acknowledge",),
        ),
        # Reopened 2024-05-01: conclusion due 30 days after the reopening.
        ds.C3: Deadlines(date(2024, 4, 2), date(2024, 5, 31), date(2024, 5, 15), None, (), ()),
        ds.C4: Deadlines(
            date(2024, 6, 4), date(2024, 7, 3), None, None, ("acknowledge", "conclude"), ()
        ),
        # Received Friday 2024-08-02: the acknowledgement was due on Monday.
        ds.C5: Deadlines(date(2024, 8, 5), date(2024, 9, 1), date(2024, 8, 25), None, (), ()),
        # Declined: nothing to conclude; the complainant was due to be told by 2024-09-08.
        ds.C6: Deadlines(date(2024, 9, 3), None, date(2024, 9, 8), None, ("notify",), ()),
    }
    for complaint_id, deadlines in expected.items():
        assert c[complaint_id].deadlines == deadlines, complaint_id  # type: ignore[attr-defined]


def test_deadlines_follow_a_configured_policy_and_calendar(built: Built) -> None:
    policy = Policy(
        complaints=ComplaintPolicy(
            acknowledge_working_days=2, conclude_days=10, notify_days_after_finding=1
        ),
        calendar=WorkingCalendar(holidays=frozenset({date(2024, 3, 4)})),
    )
    page = queries(built, policy).registry(page_size=10)
    c2 = next(c for c in page.items if c.complaint_id == ds.C2)
    # Friday 2024-03-01 + 2 working days, Monday being a holiday: Wednesday 2024-03-06.
    assert c2.deadlines.acknowledge_due == date(2024, 3, 6)
    assert c2.deadlines.late == ("conclude",)  # concluded 2024-03-20, due 2024-03-11
    assert c2.deadlines.notify_due == date(2024, 3, 21)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "closed"}, [ds.C5, ds.C3, ds.C1]),
        ({"unit": "A01-U1"}, [ds.C6, ds.C1]),
        ({"auxiliary_id": ds.X1}, [ds.C4, ds.C3, ds.C2, ds.C1]),
        (
            {"received_from": date(2024, 3, 1), "received_to": date(2024, 6, 3)},
            [ds.C4, ds.C3, ds.C2],
        ),
        ({"organ": "B02"}, []),
    ],
)
def test_registry_filters(built: Built, filters: dict[str, object], expected: list[object]) -> None:
    page = queries(built).registry(**filters)  # type: ignore[arg-type]
    assert [c.complaint_id for c in page.items] == expected
    assert page.total == len(expected)


def test_overdue_and_not_notified(built: Built) -> None:
    q = queries(built)
    overdue = q.overdue()
    assert [c.complaint_id for c in overdue.items] == [ds.C2, ds.C4, ds.C6]
    assert [c.deadlines.overdue for c in overdue.items] == [
        ("notify",),
        ("acknowledge", "conclude"),
        ("notify",),
    ]
    assert overdue.total == 3
    assert [c.complaint_id for c in q.overdue(page=2, page_size=2).items] == [ds.C6]
    assert [c.complaint_id for c in q.overdue(unit="A01-U1").items] == [ds.C6]
    told = q.not_notified()
    assert [c.complaint_id for c in told.items] == [ds.C2, ds.C6]
    assert told.total == 2
    assert q.not_notified(organ="B02").items == []


@pytest.mark.parametrize(
    "day", [date(2024, 1, 12), date(2024, 3, 4), date(2024, 3, 26), date(2024, 6, 5), ds.TODAY]
)
def test_overdue_selects_exactly_the_complaints_with_an_overdue_deadline(
    built: Built, day: date
) -> None:
    clock = lambda: datetime.combine(day, time(12), CHINA_STANDARD_TIME)  # noqa: E731
    q = ComplaintQueries(built.models, clock=clock)
    expected = [c.complaint_id for c in q.registry(page_size=10).items if c.deadlines.overdue]
    found = [c.complaint_id for c in q.overdue(page_size=10).items]
    assert sorted(found, key=str) == sorted(expected, key=str)


def test_nothing_is_overdue_before_the_deadlines(built: Built) -> None:
    early = ComplaintQueries(built.models, clock=lambda: ds.NOW.replace(year=2024, month=3, day=4))
    # On 2024-03-04 C2 is still within its acknowledgement deadline; nothing else is open.
    assert [c.complaint_id for c in early.overdue().items] == []


def test_findings_per_allegation(built: Built) -> None:
    q = queries(built)
    latest = q.findings()
    assert [(f.complaint_id, f.allegation_number, f.result) for f in latest.items] == [
        (ds.C1, 1, "sustained"),
        (ds.C1, 2, "not_sustained"),
        (ds.C2, 1, "sustained"),
        (ds.C3, 1, "unfounded"),
        (ds.C5, 1, "sustained"),
        (ds.C5, 2, "sustained"),
        (ds.C5, 3, "sustained"),
    ]
    assert all(f.latest for f in latest.items)
    every = q.findings(latest_only=False)
    assert every.total == 8
    c3 = [(f.round_no, f.result, f.latest) for f in every.items if f.complaint_id == ds.C3]
    assert c3 == [(1, "partly_sustained", False), (2, "unfounded", True)]
    assert q.findings(result="sustained").total == 5
    assert [f.complaint_id for f in q.findings(start=date(2024, 8, 1)).items] == [ds.C5] * 3
    assert q.findings(auxiliary_id=ds.X1).total == 4
    assert q.findings(unit="A01-U1").total == 2


def test_one_complaint_with_its_findings(built: Built) -> None:
    detail = queries(built).complaint(ds.C3)
    assert detail.complaint.complaint_id == ds.C3
    assert [(f.round_no, f.result, f.latest, f.effective) for f in detail.findings] == [
        (1, "partly_sustained", False, date(2024, 4, 10)),
        (2, "unfounded", True, date(2024, 5, 10)),
    ]
    assert queries(built).complaint(str(ds.C4)).findings == ()


def test_time_to_close(built: Built) -> None:
    q = queries(built)
    assert q.time_to_close() == [CloseTimeRow("A01", None, 3, Decimal("29.7"), Decimal("24.0"), 44)]
    assert q.time_to_close(by_unit=True) == [
        CloseTimeRow("A01", "A01-U1", 1, Decimal("24.0"), Decimal("24.0"), 24),
        CloseTimeRow("A01", "A01-U2", 2, Decimal("32.5"), Decimal("32.5"), 44),
    ]
    assert q.time_to_close(start=date(2024, 5, 1), end=date(2024, 6, 30)) == [
        CloseTimeRow("A01", None, 1, Decimal("44.0"), Decimal("44.0"), 44)
    ]
    assert q.time_to_close(organ="B02") == []


def test_complaint_queries_refuse_bad_input(built: Built) -> None:
    q = queries(built)
    with pytest.raises(InvalidFilterValueError, match="filter status must be one of received"):
        q.registry(status="lost")
    with pytest.raises(InvalidDateRangeQueryError, match="starts on 2024-05-01, after it ends"):
        q.registry(received_from=date(2024, 5, 1), received_to=date(2024, 4, 1))
    with pytest.raises(InvalidDateRangeQueryError):
        q.time_to_close(start=date(2024, 5, 1), end=date(2024, 4, 1))
    with pytest.raises(InvalidFilterValueError, match="filter result must be one of"):
        q.findings(result="guilty")
    with pytest.raises(UnknownRecordError, match="no complaint"):
        q.complaint(uuid4())
    with pytest.raises(UnknownRecordError):
        q.complaint(ds.C1, organ="B02")
    with pytest.raises(UnknownRecordError, match="no auxiliary"):
        q.registry(auxiliary_id=uuid4())
    with pytest.raises(UnknownRecordError, match="no auxiliary"):
        q.registry(auxiliary_id=ds.X4, organ="A01")
