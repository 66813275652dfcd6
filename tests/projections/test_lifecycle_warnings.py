"""Life-cycle warnings (Art. 8, 9, 13): the ``lifecycle_warnings`` report of
``ComplianceQueries`` on the hand-built data set with the life-cycle facts of
``dataset.record_lifecycle``, on both backends.

On 2024-12-31: X1 is on annual leave four days past its planned end; X2 has no passed
pre-service training (one failed) and a probation running to 2025-01-31; X3 has no training
and a probation past its last day (2023-09-19) without an outcome; X4 is separated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from domain.commands.auxiliary import Correct, Separate, Transfer
from domain.commands.lifecycle import CompleteProbation, EndLeave, RecordTraining
from domain.values import CHINA_STANDARD_TIME
from ledger.records import Envelope
from projections import InvalidFilterValueError, run_report
from projections.lifecycle import PROBATION
from projections.queries import ComplianceQueries, LifecycleQueries
from tests.projections import dataset as ds
from tests.projections.conftest import Built

# The report is one UNION ALL with a literal column: each backend types and orders it.
pytestmark = pytest.mark.both_backends


def _queries(built: Built, today: date = ds.TODAY) -> ComplianceQueries:
    now = datetime.combine(today, time(12), CHINA_STANDARD_TIME).astimezone(UTC)
    return ComplianceQueries(built.models, clock=lambda: now)


def _rows(built: Built, **filters: object) -> list[tuple[object, str, date, int]]:
    page = _queries(built).lifecycle_warnings(**filters)  # type: ignore[arg-type]
    return [(r.auxiliary_id, r.rule, r.due, r.days_overdue) for r in page.items]


def test_each_rule_met_is_one_row_by_the_date_it_was_due(lifecycle: Built) -> None:
    assert _rows(lifecycle) == [
        (ds.X3, "pre_service_training_missing", date(2023, 3, 20), 652),
        (ds.X2, "pre_service_training_missing", date(2023, 4, 1), 640),
        (ds.X3, "probation_overdue", date(2023, 9, 19), 469),
        (ds.X1, "leave_past_plan", date(2024, 12, 27), 4),
    ]
    assert _rows(lifecycle, rule="leave_past_plan", unit="A01-U2") == [
        (ds.X1, "leave_past_plan", date(2024, 12, 27), 4)
    ]
    assert _rows(lifecycle, unit="A01-U1") == [  # X1 moved to A01-U2 in 2024
        (ds.X2, "pre_service_training_missing", date(2023, 4, 1), 640)
    ]
    q = _queries(lifecycle)
    assert q.lifecycle_warnings(page_size=1, page=2).total == 4
    with pytest.raises(InvalidFilterValueError, match="rule"):
        q.lifecycle_warnings(rule="overdue")


def test_on_a_past_date_only_what_was_due_then(lifecycle: Built) -> None:
    # The day of X3's last probation day is not yet overdue; the next day is. X1's leave
    # had not started; X4 was still employed and had no pre-service training either.
    on_last_day = _rows(lifecycle, on=date(2023, 9, 19), rule="probation_overdue")
    assert on_last_day == []
    assert _rows(lifecycle, on=date(2023, 9, 20), rule="probation_overdue") == [
        (ds.X3, "probation_overdue", date(2023, 9, 19), 1)
    ]
    missing = _rows(lifecycle, on=date(2023, 9, 20), rule="pre_service_training_missing")
    assert [row[0] for row in missing] == [ds.X3, ds.X2, ds.X4]
    assert _rows(lifecycle, on=date(2024, 12, 20), rule="leave_past_plan") == []


def test_a_passed_training_counts_from_its_last_day(lifecycle: Built) -> None:
    # X2 failed its pre-service training in 2023; it passes one that ends 2024-12-20, and
    # another later (the first still counts).
    ledger, models = lifecycle.ledger, lifecycle.models
    course: dict[str, Any] = {"course": "岗前培训班", "hours": 80, "kind": "pre_service"}
    for start, end in ((date(2024, 12, 10), date(2024, 12, 20)), (date(2024, 12, 28), ds.TODAY)):
        ds.backdated(
            ledger, ds.X2, end, RecordTraining(**course, start=start, end=end, passed=True)
        )
    models.catch_up("personnel")
    rule = "pre_service_training_missing"
    assert ds.X2 in [row[0] for row in _rows(lifecycle, on=date(2024, 12, 19), rule=rule)]
    assert ds.X2 not in [row[0] for row in _rows(lifecycle, on=date(2024, 12, 20), rule=rule)]
    assert [row[0] for row in _rows(lifecycle, rule=rule)] == [ds.X3]
    gaps = LifecycleQueries(models, clock=lambda: ds.NOW).training_missing()
    assert [g.auxiliary_id for g in gaps.items] == [ds.X3]


def test_a_page_past_the_end_still_has_the_total(lifecycle: Built) -> None:
    q = _queries(lifecycle)
    last = q.lifecycle_warnings(page_size=3, page=2)
    assert (len(last.items), last.total) == (1, 4)
    past = q.lifecycle_warnings(page_size=3, page=3)
    assert (past.items, past.total) == ([], 4)
    assert q.lifecycle_warnings(on=date(2020, 1, 1)).total == 0


def test_a_failed_probation_warns_until_the_separation_and_a_return_ends_the_leave(
    lifecycle: Built,
) -> None:
    ledger, models = lifecycle.ledger, lifecycle.models
    ds.backdated(ledger, ds.X2, ds.TODAY, CompleteProbation(passed=False))
    ds.backdated(ledger, ds.X1, ds.TODAY, EndLeave(leave_id="L-1"))
    models.catch_up("personnel")
    assert _rows(lifecycle, rule="probation_failed") == [(ds.X2, "probation_failed", ds.TODAY, 0)]
    assert _rows(lifecycle, rule="leave_past_plan") == []  # back on the 31st
    ds.aux(ledger, ds.X2, date(2025, 1, 1), Separate(reason="probation_failed"))
    models.catch_up("personnel")
    later = _queries(lifecycle, date(2025, 1, 2)).lifecycle_warnings()
    assert ds.X2 not in {r.auxiliary_id for r in later.items}  # separated: nothing owed
    assert _rows(lifecycle, rule="probation_failed") == [  # on the 31st it was still owed
        (ds.X2, "probation_failed", ds.TODAY, 0)
    ]


def test_a_probation_row_follows_its_auxiliarys_unit_name_and_separation(
    lifecycle: Built,
) -> None:
    """The report reads a probation's organ, unit, name and employment dates from its own
    row: they follow the auxiliary's transfer, corrected name and separation recorded after
    the probation began."""
    ledger, models = lifecycle.ledger, lifecycle.models
    moved = Transfer(unit="A01-U1", supervisor_id="S1", supervisor_name="王警官")
    ds.aux(ledger, ds.X3, date(2025, 1, 1), moved)
    ds.at(ledger, date(2025, 1, 1))
    ledger.correct_auxiliary(
        ds.X3,
        Correct(field="name", value="丙叁", reason="录入错误"),
        Envelope(ds.PER_A, effective=date(2025, 1, 1)),
    )
    models.catch_up("personnel")
    in_u1 = _queries(lifecycle, date(2025, 1, 2)).lifecycle_warnings(
        rule="probation_overdue", unit="A01-U1"
    )
    assert [(r.auxiliary_id, r.name, r.unit) for r in in_u1.items] == [(ds.X3, "丙叁", "A01-U1")]
    ds.aux(ledger, ds.X3, date(2025, 1, 3), Separate(reason="resigned"))
    models.catch_up("personnel")
    assert _queries(lifecycle, date(2025, 1, 3)).lifecycle_warnings(unit="A01-U1").total == 1
    with models.db.read() as s:
        copied = s.query(
            "SELECT p.auxiliary_id FROM {rm_probation} p JOIN {rm_auxiliary} a "
            "ON a.auxiliary_id = p.auxiliary_id WHERE p.organ = a.organ AND p.unit = a.unit "
            "AND p.name = a.name AND p.hired_on = a.hired_on "
            "AND (p.separated_on = a.separated_on OR (p.separated_on IS NULL "
            "AND a.separated_on IS NULL))",
            tables=(PROBATION,),
        )
        every = s.query("SELECT auxiliary_id FROM {rm_probation}", tables=(PROBATION,))
    assert len(copied) == len(every) == 3


def test_the_report_exports_with_its_articles(lifecycle: Built) -> None:
    report = run_report(
        lifecycle.models, "lifecycle_warnings", {"rule": "probation_overdue"}, clock=lambda: ds.NOW
    )
    assert (report.total, report.article) == (1, "Art. 8, 9, 13")
    assert report.to_csv().splitlines()[0] == (
        "auxiliary_id,name,organ,unit,post_type,status,rule,due,days_overdue"
    )
