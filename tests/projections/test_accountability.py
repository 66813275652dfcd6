"""Responsibility at a date, accountability by unit and supervisor, officials' misconduct,
and early warning."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.commands.auxiliary import AssignSupervisor
from domain.policy import EarlyWarningPolicy, Policy
from projections import (
    EarlyWarningQueries,
    InvalidDateRangeQueryError,
    InvalidFilterValueError,
    ResponsibilityQueries,
    UnknownRecordError,
    check,
)
from projections.results import AccountabilityRow, EarlyWarningAlert, RatioRow, ResponsibilityOn
from tests.projections import dataset as ds
from tests.projections.conftest import Built


def responsibility(built: Built) -> ResponsibilityQueries:
    return ResponsibilityQueries(built.models, clock=lambda: ds.NOW)


def early(built: Built, policy: Policy | None = None) -> EarlyWarningQueries:
    return EarlyWarningQueries(built.models, clock=lambda: ds.NOW, policy=policy)


@pytest.mark.parametrize(
    ("auxiliary", "day", "expected"),
    [
        (ds.X1, date(2024, 1, 10), (True, "A01-U1", "一中队", "S1", "张警官")),
        (ds.X1, date(2024, 1, 15), (True, "A01-U2", "二中队", "S2", "李警官")),
        (ds.X1, date(2023, 3, 9), (False, None, None, None, None)),
        (ds.X2, date(2024, 4, 19), (True, "A01-U1", "一中队", "S1", "张警官")),
        (ds.X2, date(2024, 4, 25), (True, "A01-U1", "一中队", "S3", "赵警官")),  # backdated
        (ds.X2, date(2024, 5, 2), (True, "A01-U1", "一中队", None, None)),
        (ds.X4, date(2024, 2, 29), (True, "B02-U1", "城关派出所", "S9", "王警官")),
        (ds.X4, date(2024, 3, 1), (False, None, None, None, None)),  # first day separated
    ],
)
def test_responsible_on(
    built: Built, auxiliary: object, day: date, expected: tuple[object, ...]
) -> None:
    found = responsibility(built).responsible_on(auxiliary, day)  # type: ignore[arg-type]
    assert isinstance(found, ResponsibilityOn)
    assert (found.employed, found.unit, found.unit_name, found.supervisor_id) == expected[:4]
    assert found.supervisor_name == expected[4]
    assert found.organ == ("B02" if auxiliary == ds.X4 else "A01")


def test_responsible_on_agrees_with_the_domain(built: Built) -> None:
    q = responsibility(built)
    for auxiliary_id in (ds.X1, ds.X2, ds.X3, ds.X4):
        record = built.ledger.auxiliary(auxiliary_id)
        day = date(2023, 3, 1)
        while day <= ds.TODAY:
            expected = record.responsibility_on(day)
            found = q.responsible_on(auxiliary_id, day)
            assert found.employed == (expected is not None)
            if expected is not None:
                assert (found.organ, found.unit, found.supervisor_id, found.supervisor_name) == (
                    expected.organ,
                    expected.unit,
                    expected.supervisor_id,
                    expected.supervisor_name,
                )
            day += timedelta(days=11)


def test_responsible_on_refuses_bad_input(built: Built) -> None:
    q = responsibility(built)
    with pytest.raises(UnknownRecordError):
        q.responsible_on(uuid4(), date(2024, 1, 1))
    with pytest.raises(UnknownRecordError):
        q.responsible_on(ds.X1, date(2024, 1, 1), organ="B02")
    with pytest.raises(InvalidFilterValueError, match="filter on must be a calendar date"):
        q.responsible_on(ds.X1, "2024-01-01")  # type: ignore[arg-type]


def test_accountability_by_unit(built: Built) -> None:
    rows = responsibility(built).accountability(start=date(2024, 1, 1), end=date(2024, 12, 31))
    assert rows == [
        AccountabilityRow("A01", "A01-U1", "一中队", None, None, 2, 2, 1, 1),
        AccountabilityRow("A01", "A01-U2", "二中队", None, None, 4, 5, 4, 2),
    ]
    # The default period is the early-warning window ending today: the same year.
    assert responsibility(built).accountability() == rows
    assert responsibility(built).accountability(organ="B02") == []


def test_accountability_by_supervisor(built: Built) -> None:
    rows = responsibility(built).accountability(
        start=date(2024, 1, 1), end=date(2024, 12, 31), by_supervisor=True
    )
    assert rows == [
        # C6 and SAN2 fall when X2 had no supervisor.
        AccountabilityRow("A01", "A01-U1", "一中队", None, None, 1, 0, 0, 1),
        AccountabilityRow("A01", "A01-U1", "一中队", "S1", "张警官", 1, 2, 1, 0),
        AccountabilityRow("A01", "A01-U2", "二中队", "S2", "李警官", 4, 5, 4, 2),
    ]


def test_accountability_in_a_shorter_period(built: Built) -> None:
    rows = responsibility(built).accountability(start=date(2024, 2, 1), end=date(2024, 3, 31))
    assert rows == [
        # C1's findings (2024-02-01) count against the unit C1 was attributed to.
        AccountabilityRow("A01", "A01-U1", "一中队", None, None, 0, 2, 1, 0),
        AccountabilityRow("A01", "A01-U2", "二中队", None, None, 1, 1, 1, 1),
    ]
    with pytest.raises(InvalidDateRangeQueryError):
        responsibility(built).accountability(start=date(2024, 3, 1), end=date(2024, 2, 1))


def test_misconduct_findings_against_officials(built: Built) -> None:
    q = responsibility(built)
    page = q.misconduct()
    assert page.total == 1
    row = page.items[0]
    assert (row.finding_id, row.official_id, row.official_name, row.official_role) == (
        ds.M1,
        "S1",
        "张警官",
        "supervisor",
    )
    assert (row.organ, row.unit, row.kind, row.effective) == (
        "A01",
        "A01-U1",
        "neglect_of_duty",
        date(2024, 5, 10),
    )
    assert (row.decision, row.decision_on, row.amendments) == ("通报批评", date(2024, 6, 1), 1)
    assert q.misconduct(official_id="S1", unit="A01-U1").total == 1
    assert q.misconduct(organ="B02").total == 0
    assert q.misconduct(kind="favouritism").total == 0
    assert q.misconduct(start=date(2024, 6, 1)).total == 0
    with pytest.raises(InvalidFilterValueError, match="filter kind must be one of"):
        q.misconduct(kind="laziness")


def test_early_warning_names_rule_and_version(built: Built) -> None:
    page = early(built).alerts()
    assert page.total == 2
    alerts = page.items
    window = (date(2024, 1, 1), date(2024, 12, 31))
    expected = {
        ds.X1: EarlyWarningAlert(
            ds.X1,
            "甲一",
            "A01",
            "A01-U2",
            "S2",
            "active",
            "complaints",
            "ew-2026.1",
            3,
            4,
            *window,
            4,
            2,
            1,
            Decimal("0.25"),
        ),
        ds.X3: EarlyWarningAlert(
            ds.X3,
            "丙三",
            "A01",
            "A01-U2",
            "S2",
            "active",
            "sustained_findings",
            "ew-2026.1",
            2,
            3,
            *window,
            1,
            3,
            0,
            Decimal("0.00"),
        ),
    }
    assert alerts == [expected[x] for x in sorted(expected, key=str)]
    second = early(built).alerts(page=2, page_size=1)
    assert (second.items, second.total) == ([alerts[1]], 2)


def test_early_warning_window_and_scope(built: Built) -> None:
    q = early(built)
    # Window 2023-04-01 .. 2024-03-31: X1 has two complaints and two sustained findings.
    assert q.alerts(on=date(2024, 3, 31)).items == []
    later = q.alerts(on=date(2025, 6, 30)).items
    assert [(a.auxiliary_id, a.rule, a.window_start) for a in later] == [
        (ds.X3, "sustained_findings", date(2024, 7, 1))
    ]
    assert q.alerts(organ="B02").total == 0
    assert q.alerts(organ="A01", unit="A01-U1").total == 0
    assert q.alerts(unit="A01-U2").total == 2


def test_early_warning_thresholds_are_configurable(built: Built) -> None:
    policy = Policy(
        early_warning=EarlyWarningPolicy(
            rule_version="ew-test", window_months=12, max_complaints=1, max_sustained=5
        )
    )
    alerts = early(built, policy).alerts().items
    assert [(a.auxiliary_id, a.rule, a.rule_version, a.threshold) for a in alerts] == [
        (ds.X1, "complaints", "ew-test", 1)
    ]


def test_commendation_to_complaint_ratio(built: Built) -> None:
    # Complaints by attribution: C1 and C6 to A01-U1, C2-C5 to A01-U2; X1's commendation was
    # recorded after the transfer (A01-U2). Headcounts are now: X2 | X1, X3 | none (X4 left).
    assert early(built).commendation_ratio() == [
        RatioRow("A01", "A01-U1", 1, 0, 2, Decimal("0.00")),
        RatioRow("A01", "A01-U2", 2, 1, 4, Decimal("0.25")),
    ]
    assert early(built).commendation_ratio(organ="B02") == []
    earlier = early(built).commendation_ratio(on=date(2024, 2, 29), organ="A01")
    assert earlier == [
        RatioRow("A01", "A01-U1", 1, 0, 1, Decimal("0.00")),
        RatioRow("A01", "A01-U2", 2, 1, 0, None),
    ]


def test_a_backdated_assignment_moves_a_recorded_sanction(fresh: Built) -> None:
    fresh.models.rebuild()
    # Recorded today, effective 2024-09-01: S7 answered for X1 when SAN3 took effect.
    assigned = AssignSupervisor(supervisor_id="S7", supervisor_name="钱警官")
    ds.backdated(fresh.ledger, ds.X1, date(2024, 9, 1), assigned)
    fresh.models.catch_up("personnel")
    rows = ResponsibilityQueries(fresh.models, clock=lambda: ds.NOW).accountability(
        start=date(2024, 1, 1), end=date(2024, 12, 31), by_supervisor=True
    )
    assert [r for r in rows if r.unit == "A01-U2"] == [
        AccountabilityRow("A01", "A01-U2", "二中队", "S2", "李警官", 4, 5, 4, 1),
        AccountabilityRow("A01", "A01-U2", "二中队", "S7", "钱警官", 0, 0, 0, 1),
    ]
    assert all(report.ok for report in check(fresh.models))
