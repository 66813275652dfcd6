"""Probations, training and leave (Art. 8, 9, 13) in the read models, on the hand-built
data set with life-cycle facts recorded on top of it (``dataset.record_lifecycle``), on both
backends: ``rm_probation``, ``rm_training``, ``rm_leave`` and the reports ``probations``,
``training_missing`` and ``on_leave``.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.commands.auxiliary import Separate
from domain.commands.lifecycle import (
    CompleteProbation,
)
from projections import InvalidFilterValueError, ReadModels, run_report
from projections.queries import LifecycleQueries
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand


def queries(built: Built) -> LifecycleQueries:
    return LifecycleQueries(built.models, clock=lambda: ds.NOW)


def test_probations_ending_overdue_and_failed(lifecycle: Built) -> None:
    q = queries(lifecycle)
    rows = [(r.auxiliary_id, r.standing, r.days_left, r.days_over) for r in q.probations().items]
    # By last day: X3's ended 2023-09-19 without an outcome; X2's ends in 31 days; X1 passed.
    assert rows == [(ds.X3, "overdue", None, 469), (ds.X2, "ending", 31, None)]
    assert q.probations(within_days=30).total == 1
    assert [r.auxiliary_id for r in q.probations(standing="ending").items] == [ds.X2]
    assert [r.auxiliary_id for r in q.probations(standing="overdue").items] == [ds.X3]
    assert q.probations(standing="failed").total == 0
    assert q.probations(unit="A01-U1").total == 1


def test_a_failed_probation_is_listed_until_the_separation(lifecycle: Built) -> None:
    ledger, models = lifecycle.ledger, lifecycle.models
    ds.backdated(ledger, ds.X2, ds.TODAY, CompleteProbation(passed=False))
    models.catch_up("personnel")
    [row] = queries(lifecycle).probations(standing="failed").items
    assert (row.auxiliary_id, row.decided_on, row.days_left) == (ds.X2, ds.TODAY, None)
    ds.aux(ledger, ds.X2, date(2025, 1, 1), Separate(reason="probation_failed"))
    models.catch_up("personnel")
    assert queries(lifecycle).probations(standing="failed").total == 0


def test_training_missing_lists_who_has_no_passed_pre_service_training(lifecycle: Built) -> None:
    q = queries(lifecycle)
    rows = [(r.auxiliary_id, r.training_kind, r.attempts) for r in q.training_missing().items]
    # X4 is separated: not listed. X2 failed once.
    assert rows == [(ds.X2, "pre_service", 1), (ds.X3, "pre_service", 0)]
    assert q.training_missing(kind="in_service").total == 3
    with pytest.raises(InvalidFilterValueError, match="kind"):
        q.training_missing(kind="岗前培训")


def test_on_leave_on_a_date(lifecycle: Built) -> None:
    q = queries(lifecycle)
    [row] = q.on_leave().items  # today, 2024-12-31
    assert (row.auxiliary_id, row.leave_kind, row.days_on_leave, row.days_past_plan) == (
        ds.X1,
        "annual",
        12,
        4,
    )
    assert [r.auxiliary_id for r in q.on_leave(on=date(2024, 11, 9)).items] == [ds.X3]
    assert q.on_leave(on=date(2024, 11, 10)).total == 0  # the first day back
    assert q.on_leave(on=date(2024, 10, 31)).total == 0
    assert q.on_leave(kind="sick").total == 0
    assert q.on_leave(on=date(2024, 11, 1), kind="sick").items[0].returned_on == date(2024, 11, 10)


def test_the_reports_export_with_their_articles(lifecycle: Built) -> None:
    models = lifecycle.models
    clock = {"clock": lambda: ds.NOW}
    probations = run_report(models, "probations", {"standing": "overdue"}, **clock)
    assert (probations.total, probations.article) == (1, "Art. 8, 9")
    training = run_report(models, "training_missing", {}, **clock)
    assert training.to_csv().splitlines()[0] == (
        "auxiliary_id,name,organ,unit,post_type,status,hired_on,training_kind,attempts"
    )
    leave = run_report(models, "on_leave", {"on": "2024-12-31"}, **clock)
    assert leave.rows[0]["leave_kind"] == "annual" and leave.article == "Art. 13"


def test_existing_read_models_pick_the_life_cycle_up(lifecycle: Built) -> None:
    """Read models of the version before ``rm_leave``: the table is created and the ledger
    applied again."""
    by_hand(lifecycle, "DROP TABLE {rm_leave}")
    upgraded = ReadModels(lifecycle.ledger)
    try:
        assert upgraded.ensure_projection("personnel") is True
        upgraded.catch_up("personnel")
        assert LifecycleQueries(upgraded, clock=lambda: ds.NOW).on_leave().total == 1
    finally:
        upgraded.close()
