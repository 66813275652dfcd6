"""Contracts ending (Art. 8) and annual assessments (Art. 9, 11) on the hand-built data set.

Every contract of the data set ends on 2026-03-09; X4 is separated. The assessments are
recorded on top of the data set (``dataset.record_assessments``) in each test's own ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.commands import auxiliary
from domain.commands.auxiliary import RenewContract
from projections import InvalidFilterValueError, ReadModels, run_report
from projections.personnel import ASSESSMENT, AUXILIARY, GRADE_COUNT, HIRE_COUNT
from projections.queries import LifecycleQueries
from projections.results import AssessmentRow, AssessmentSummary
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand

END = date(2026, 3, 9)


def queries(built: Built) -> LifecycleQueries:
    return LifecycleQueries(built.models, clock=lambda: ds.NOW)


def ending(built: Built, **params: object) -> list[tuple[object, ...]]:
    page = queries(built).contracts_ending(**params)  # type: ignore[arg-type]
    return [(r.auxiliary_id, r.standing, r.days_left, r.days_over) for r in page.items]


# ------------------------------------------------------------------ contracts ending


def test_nothing_ends_within_60_days_of_today(built: Built) -> None:
    page = queries(built).contracts_ending()
    assert page.items == [] and page.total == 0


def test_a_contract_ending_exactly_60_days_after_the_date_is_listed(built: Built) -> None:
    # 2026-01-08 + 60 days = 2026-03-09; the separated X4 is never listed. Same end: by
    # organ, unit and name (code-point order: 丙 before 甲).
    assert ending(built, on=date(2026, 1, 8)) == [
        (ds.X2, "ending", 60, None),
        (ds.X3, "ending", 60, None),
        (ds.X1, "ending", 60, None),
    ]
    assert ending(built, on=date(2026, 1, 7)) == []
    assert len(ending(built, on=date(2026, 1, 7), within_days=61)) == 3


def test_a_contract_ending_today_has_no_days_left_and_yesterday_one_day_over(
    built: Built,
) -> None:
    assert ending(built, on=END, organ="A01", unit="A01-U2") == [
        (ds.X3, "ending", 0, None),
        (ds.X1, "ending", 0, None),
    ]
    assert ending(built, on=date(2026, 3, 10), unit="A01-U1") == [(ds.X2, "past", None, 1)]
    assert ending(built, on=date(2026, 3, 10), standing="ending") == []
    assert len(ending(built, on=date(2026, 3, 10), standing="past")) == 3
    assert ending(built, on=END, standing="past") == []
    row = queries(built).contracts_ending(on=END, unit="A01-U1").items[0]
    assert (row.name, row.contract_start, row.contract_end, row.employment_form) == (
        "乙贰",
        date(2023, 4, 1),
        END,
        "labour_dispatch",
    )


def test_contracts_ending_refuses_bad_arguments(built: Built) -> None:
    q = queries(built)
    for bad in (0, 367, True, "60"):
        with pytest.raises(InvalidFilterValueError, match="within_days"):
            q.contracts_ending(within_days=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidFilterValueError, match="standing"):
        q.contracts_ending(standing="soon")
    with pytest.raises(InvalidFilterValueError, match="on"):
        run_report(built.models, "contracts_ending", {"on": "2026-02-30"})


def test_a_renewal_moves_the_auxiliary_out_of_the_report(fresh: Built) -> None:
    fresh.models.rebuild()
    assert len(ending(fresh, on=date(2026, 3, 1))) == 3
    ds.aux(fresh.ledger, ds.X1, ds.TODAY, RenewContract(contract_end=date(2029, 3, 9)))
    fresh.models.catch_up("personnel")
    assert ending(fresh, on=date(2026, 3, 1)) == [
        (ds.X2, "ending", 8, None),
        (ds.X3, "ending", 8, None),
    ]
    assert ds.X1 not in [r[0] for r in ending(fresh, on=date(2029, 1, 1), standing="past")]


def test_contracts_ending_as_a_report_pages_and_exports(built: Built) -> None:
    report = run_report(
        built.models,
        "contracts_ending",
        {"on": "2026-03-10", "within_days": "30", "page_size": "2"},
        clock=lambda: ds.NOW,
    )
    assert (report.total, len(report.rows), report.article) == (3, 2, "Art. 8")
    assert report.rows[0]["standing"] == "past" and report.rows[0]["days_over"] == 1
    lines = report.to_csv().splitlines()
    assert lines[0] == (
        "auxiliary_id,name,organ,unit,post_type,employment_form,status,contract_start,"
        "contract_end,standing,days_left,days_over"
    )
    assert lines[1].endswith(",2026-03-09,past,,1")


# ------------------------------------------------------------------ assessments


def test_assessments_list_every_employed_auxiliary_and_who_has_none(fresh: Built) -> None:
    ds.record_assessments(fresh.ledger)
    fresh.models.rebuild()
    page = queries(fresh).assessments()  # default: 2023, the last complete year
    assert page.total == 3
    assert page.items == [
        # By unit and name (code-point order); X2 was assessed in A01-U1 and moved after.
        AssessmentRow(
            ds.X3, "丙三", "A01", "A01-U2", "traffic", "active", date(2023, 3, 20), 2023,
            False, None, None, None, None,
        ),
        AssessmentRow(
            ds.X2, "乙贰", "A01", "A01-U2", "call_intake", "active", date(2023, 4, 1), 2023,
            True, "competent", ds.TODAY, "A01-U1", page.items[1].version,
        ),
        AssessmentRow(
            ds.X1, "甲一", "A01", "A01-U2", "patrol", "active", date(2023, 3, 10), 2023,
            True, "excellent", ds.TODAY, "A01-U2", page.items[2].version,
        ),
    ]  # fmt: skip
    assert all(isinstance(r.version, int) for r in page.items[1:])
    q = queries(fresh)
    assert [r.auxiliary_id for r in q.assessments(missing_only=True).items] == [ds.X3]
    assert [r.auxiliary_id for r in q.assessments(grade="competent").items] == [ds.X2]
    # Nobody was hired by the end of 2022; everybody employed owes 2024's.
    assert q.assessments(year=2022).total == 0
    assert [r.assessed for r in q.assessments(year=2024).items] == [False, False, False]
    # The separated X4 owes none: not listed as a gap.
    assert q.assessments(organ="B02").total == 0
    with fresh.models.db.read() as s:
        kept = s.query(
            "SELECT auxiliary_id, organ, unit, grade, effective FROM {rm_assessment} "
            "WHERE year = %s ORDER BY grade",
            [2023],
            tables=(ASSESSMENT,),
        )
    assert [(r["auxiliary_id"], r["organ"], r["unit"], r["grade"]) for r in kept] == [
        (ds.X2, "A01", "A01-U1", "competent"),
        (ds.X1, "A01", "A01-U2", "excellent"),
    ]


def test_assessment_summary_counts_per_unit(fresh: Built) -> None:
    ds.record_assessments(fresh.ledger)
    fresh.models.rebuild()
    assert queries(fresh).assessment_summary() == [
        AssessmentSummary("A01", "A01-U2", "二中队", 2023, 3, 1, 1, 0, 0, 1, Decimal("50.0")),
    ]
    assert queries(fresh).assessment_summary(year=2024) == [
        AssessmentSummary("A01", "A01-U2", "二中队", 2024, 3, 0, 0, 0, 0, 3, None),
    ]
    assert queries(fresh).assessment_summary(organ="B02") == []
    report = run_report(fresh.models, "assessment_summary", {"year": "2023"})
    assert report.rows[0]["excellent_percent"] == "50.0"


def _kept_and_grouped(built: Built, year: int) -> tuple[dict[Any, int], dict[Any, int]]:
    """The summary's counts as the projection keeps them and as grouping every employed
    auxiliary with its grade of ``year`` gives them (what the report read before)."""
    with built.models.db.read() as s:
        due = s.query(
            "SELECT organ, unit, sum(auxiliaries) AS n FROM {rm_hire_count} "
            "WHERE hired_year <= %s GROUP BY organ, unit",
            [year],
            tables=(HIRE_COUNT,),
        )
        graded = s.query(
            "SELECT organ, unit, grade, auxiliaries FROM {rm_grade_count} WHERE year = %s",
            [year],
            tables=(GRADE_COUNT,),
        )
        grouped = s.query(
            "SELECT a.organ, a.unit, s.grade, count(*) AS n FROM {rm_auxiliary} a "
            "LEFT JOIN {rm_assessment} s ON s.auxiliary_id = a.auxiliary_id AND s.year = %s "
            "WHERE a.status <> 'separated' AND a.hired_on <= %s GROUP BY a.organ, a.unit, s.grade",
            [year, date(year, 12, 31)],
            tables=(AUXILIARY, ASSESSMENT),
        )
    kept = {(r["organ"], r["unit"], None): int(r["n"]) for r in due if int(r["n"])}
    kept.update({(r["organ"], r["unit"], r["grade"]): r["auxiliaries"] for r in graded})
    kept = {k: n for k, n in kept.items() if n}
    totals: dict[Any, int] = {}
    for r in grouped:
        due = (r["organ"], r["unit"], None)
        totals[due] = totals.get(due, 0) + int(r["n"])
        if r["grade"] is not None:
            totals[(r["organ"], r["unit"], r["grade"])] = int(r["n"])
    return kept, totals


def test_the_kept_assessment_counts_equal_grouping_the_auxiliaries(fresh: Built) -> None:
    """Through a hire, an assessment, a transfer of an assessed auxiliary (X2) and the
    separation of one (X1), applied as a worker applies them (batch after batch)."""
    ds.record_assessments(fresh.ledger)
    fresh.models.rebuild()
    for year in (2022, 2023, 2024):
        kept, grouped = _kept_and_grouped(fresh, year)
        assert kept == grouped, year
    ds.aux(fresh.ledger, ds.X1, date(2025, 1, 2), auxiliary.Separate(reason="resigned"))
    fresh.models.catch_up("personnel")
    kept, grouped = _kept_and_grouped(fresh, 2023)
    assert kept == grouped == {("A01", "A01-U2", None): 2, ("A01", "A01-U2", "competent"): 1}
    assert queries(fresh).assessment_summary(year=2023) == [
        AssessmentSummary("A01", "A01-U2", "二中队", 2023, 2, 0, 1, 0, 0, 1, Decimal("0.0")),
    ]


def test_assessments_refuse_bad_arguments(built: Built) -> None:
    q = queries(built)
    with pytest.raises(InvalidFilterValueError, match="year"):
        q.assessments(year=99)
    with pytest.raises(InvalidFilterValueError, match="grade"):
        q.assessments(grade="good")
    with pytest.raises(InvalidFilterValueError, match="year"):
        run_report(built.models, "assessment_summary", {"year": "last"})


@contextmanager
def _upgraded(fresh: Built) -> Iterator[ReadModels]:
    """The read models as the new code opens them after the previous version: ``personnel``
    is reset once and caught up; the other projections, whose tables did not change, keep
    their positions."""
    assert fresh.models.position("personnel") > 0
    upgraded = ReadModels(fresh.ledger)
    try:
        assert upgraded.ensure_projection("personnel") is True
        assert upgraded.position("personnel") == 0
        assert upgraded.ensure_projection("personnel") is False  # once
        upgraded.catch_up("personnel")
        yield upgraded
        assert upgraded.position("complaints") == fresh.models.position("complaints") > 0
    finally:
        upgraded.close()


def test_an_existing_ledgers_read_models_pick_the_assessments_up(fresh: Built) -> None:
    """Read models built by the version before ``rm_assessment``: the new code finds the
    table missing while the projection has applied events, so it applies the ledger again."""
    ds.record_assessments(fresh.ledger)
    fresh.models.rebuild()
    by_hand(fresh, "DROP TABLE {rm_assessment}")  # as the previous version left it
    with _upgraded(fresh) as upgraded:
        page = LifecycleQueries(upgraded, clock=lambda: ds.NOW).assessments(year=2023)
        assert [r.grade for r in page.items] == [None, "competent", "excellent"]


def test_a_column_added_since_the_read_models_were_built_brings_the_past_in(
    fresh: Built,
) -> None:
    """Read models built by the version before ``pre_service_passed_to``: the table has
    other columns than its definition, so the projection applies the ledger again (and the
    new index can be created), and the column holds the trainings recorded before."""
    ds.record_lifecycle(fresh.ledger)
    fresh.models.rebuild()
    if fresh.backend == "sqlite":  # it refuses to drop an indexed column; PostgreSQL does
        by_hand(fresh, 'DROP INDEX "rm_auxiliary__pre_service_passed_to"')
    by_hand(fresh, "ALTER TABLE {rm_auxiliary} DROP COLUMN pre_service_passed_to")
    with _upgraded(fresh) as upgraded:
        gaps = LifecycleQueries(upgraded, clock=lambda: ds.NOW).training_missing()
        assert [g.auxiliary_id for g in gaps.items] == [ds.X2, ds.X3]  # X1 passed in 2023
