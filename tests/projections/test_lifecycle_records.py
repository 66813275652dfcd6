"""Probations, training and leave (Art. 8, 9, 13) in the read models, on the hand-built
data set with life-cycle facts recorded on top of it (``record_lifecycle``), on both
backends: ``rm_probation``, ``rm_training``, ``rm_leave`` and the reports ``probations``,
``training_missing`` and ``on_leave``.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.commands.auxiliary import AuxiliaryCommand, Separate
from domain.commands.lifecycle import (
    CompleteProbation,
    EndLeave,
    RecordTraining,
    StartLeave,
    StartProbation,
)
from ledger.records import AuxLedger, Envelope
from projections import InvalidFilterValueError, ReadModels, run_report
from projections.queries import LifecycleQueries
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand


def _record(ledger: AuxLedger, aux_id: object, day: date, command: AuxiliaryCommand) -> None:
    ds.at(ledger, ds.TODAY)  # recorded today, effective on ``day``
    ledger.command_auxiliary(aux_id, command, Envelope(ds.PER_A, effective=day))  # type: ignore[arg-type]


def record_lifecycle(ledger: AuxLedger) -> None:
    """X1: probation passed, pre-service training passed, on annual leave since 12-20 (planned
    to 12-27). X2: probation to 2025-01-31 undecided, pre-service training failed. X3:
    probation to 2023-09-19 undecided, no training, sick leave 11-01 to 11-09."""
    _record(ledger, ds.X1, date(2023, 3, 10), StartProbation(until=date(2023, 9, 9)))
    _record(ledger, ds.X1, date(2023, 9, 1), CompleteProbation(passed=True))
    _record(ledger, ds.X2, date(2024, 12, 1), StartProbation(until=date(2025, 1, 31)))
    _record(ledger, ds.X3, date(2023, 3, 20), StartProbation(until=date(2023, 9, 19)))
    training = {"course": "岗前培训班", "hours": 80, "kind": "pre_service"}
    _record(
        ledger,
        ds.X1,
        date(2023, 3, 10),
        RecordTraining(**training, start=date(2023, 3, 1), end=date(2023, 3, 9), passed=True),  # type: ignore[arg-type]
    )
    _record(
        ledger,
        ds.X2,
        date(2023, 4, 1),
        RecordTraining(**training, start=date(2023, 4, 1), end=date(2023, 4, 20), passed=False),  # type: ignore[arg-type]
    )
    _record(
        ledger,
        ds.X1,
        date(2024, 12, 20),
        StartLeave(leave_id="L-1", kind="annual", planned_end=date(2024, 12, 27)),
    )
    _record(ledger, ds.X3, date(2024, 11, 1), StartLeave(leave_id="L-1", kind="sick"))
    _record(ledger, ds.X3, date(2024, 11, 10), EndLeave(leave_id="L-1"))


def queries(built: Built) -> LifecycleQueries:
    return LifecycleQueries(built.models, clock=lambda: ds.NOW)


@pytest.fixture
def lifecycle(fresh: Built) -> Built:
    record_lifecycle(fresh.ledger)
    fresh.models.rebuild()
    return fresh


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
    _record(ledger, ds.X2, ds.TODAY, CompleteProbation(passed=False))
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
