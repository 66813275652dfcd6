"""Probation, training and leave of an auxiliary (Art. 8, 9, 13)."""

from __future__ import annotations

from datetime import date

from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import Separate
from domain.commands.lifecycle import (
    CompleteProbation,
    EndLeave,
    RecordTraining,
    StartLeave,
    StartProbation,
)
from domain.errors import (
    AuxiliarySeparatedError,
    DateInFutureError,
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NotAuthorisedError,
    OutsideScopeError,
    OverlappingLeaveError,
)
from domain.lifecycle import Leave, Probation, Training
from domain.values import AuxiliaryStatus, LeaveKind, TrainingKind

from .support import (
    DAY,
    HIRE_DAY,
    PERSONNEL,
    UNIT_A_ACTOR,
    UNIT_B_ACTOR,
    rec,
    refused,
)

UNTIL = date(2024, 4, 1)


def _probation(auxiliary: Auxiliary) -> None:
    auxiliary.start_probation(rec(PERSONNEL, HIRE_DAY), StartProbation(until=UNTIL))


# ------------------------------------------------------------------------ probation


def test_a_probation_runs_from_its_start_to_its_last_day(auxiliary: Auxiliary) -> None:
    _probation(auxiliary)
    assert auxiliary.probation == Probation(HIRE_DAY, UNTIL)
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.ProbationStarted)
    assert (event.effective, event.probation_until) == (HIRE_DAY, UNTIL)


def test_a_probation_is_recorded_once(auxiliary: Auxiliary) -> None:
    _probation(auxiliary)
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.start_probation,
        rec(PERSONNEL),
        StartProbation(until=date(2024, 5, 1)),
    )


def test_a_probation_ends_after_it_starts_and_before_the_contract(auxiliary: Auxiliary) -> None:
    for until in (HIRE_DAY, date(2023, 12, 31), date(2026, 12, 31), date(2027, 1, 1)):
        refused(
            auxiliary,
            InvalidDateRangeError,
            auxiliary.start_probation,
            rec(PERSONNEL, HIRE_DAY),
            StartProbation(until=until),
        )


def test_only_the_personnel_department_records_a_probation(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        NotAuthorisedError,
        auxiliary.start_probation,
        rec(UNIT_A_ACTOR, HIRE_DAY),
        StartProbation(until=UNTIL),
    )


def test_a_probation_has_one_outcome_on_or_after_its_start(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.complete_probation,
        rec(PERSONNEL),
        CompleteProbation(passed=True),
    )
    auxiliary.start_probation(rec(PERSONNEL, DAY), StartProbation(until=date(2024, 6, 1)))
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.complete_probation,
        rec(PERSONNEL, date(2024, 2, 29)),
        CompleteProbation(passed=True),
    )
    refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.complete_probation,
        rec(PERSONNEL, DAY),
        CompleteProbation(passed=1),  # type: ignore[arg-type]
    )
    auxiliary.complete_probation(rec(PERSONNEL, DAY), CompleteProbation(passed=True))
    assert auxiliary.probation == Probation(DAY, date(2024, 6, 1), True, DAY)
    assert not auxiliary.separation_owed
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.complete_probation,
        rec(PERSONNEL, DAY),
        CompleteProbation(passed=False),
    )


def test_a_failed_probation_owes_a_separation_which_may_name_it(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.separate,
        rec(PERSONNEL, date(2024, 3, 15)),
        Separate(reason="probation_failed"),
    )
    _probation(auxiliary)
    auxiliary.complete_probation(rec(PERSONNEL, DAY), CompleteProbation(passed=False))
    assert auxiliary.separation_owed
    auxiliary.separate(rec(PERSONNEL, date(2024, 3, 15)), Separate(reason="probation_failed"))
    assert auxiliary.status is AuxiliaryStatus.separated
    assert not auxiliary.separation_owed


# ------------------------------------------------------------------------- training


def _training(**overrides: object) -> RecordTraining:
    fields: dict[str, object] = {
        "course": "新录用辅警岗前培训",
        "kind": "pre_service",
        "hours": 120,
        "start": date(2023, 12, 4),
        "end": date(2023, 12, 22),
        "passed": True,
        **overrides,
    }
    return RecordTraining(**fields)  # type: ignore[arg-type]


def test_a_training_is_recorded_and_may_precede_the_hire(auxiliary: Auxiliary) -> None:
    auxiliary.record_training(rec(PERSONNEL), _training())
    assert auxiliary.trainings == (
        Training(
            "新录用辅警岗前培训",
            TrainingKind.pre_service,
            120,
            date(2023, 12, 4),
            date(2023, 12, 22),
            True,
        ),
    )


def test_a_training_is_checked(auxiliary: Auxiliary) -> None:
    for error, overrides in (
        (InvalidFieldError, {"kind": "岗前"}),
        (InvalidFieldError, {"hours": 0}),
        (InvalidFieldError, {"hours": 2001}),
        (InvalidFieldError, {"course": ""}),
        (InvalidFieldError, {"passed": "yes"}),
        (InvalidDateRangeError, {"start": date(2024, 1, 5), "end": date(2024, 1, 4)}),
        (DateInFutureError, {"end": date(2024, 3, 2)}),
    ):
        refused(auxiliary, error, auxiliary.record_training, rec(PERSONNEL), _training(**overrides))
    refused(
        auxiliary, NotAuthorisedError, auxiliary.record_training, rec(UNIT_A_ACTOR), _training()
    )


# ---------------------------------------------------------------------------- leave


def test_a_leave_runs_from_its_start_up_to_the_first_day_back(auxiliary: Auxiliary) -> None:
    auxiliary.start_leave(
        rec(UNIT_A_ACTOR, date(2024, 2, 1)),
        StartLeave(leave_id="L-1", kind="annual", planned_end=date(2024, 2, 5)),
    )
    assert auxiliary.on_leave
    assert auxiliary.leave_on(date(2024, 2, 20)) is not None
    auxiliary.end_leave(rec(PERSONNEL, date(2024, 2, 6)), EndLeave(leave_id="L-1"))
    leave = Leave("L-1", LeaveKind.annual, date(2024, 2, 1), date(2024, 2, 5), date(2024, 2, 6))
    assert auxiliary.leaves == (leave,)
    assert not auxiliary.on_leave
    assert auxiliary.leave_on(date(2024, 1, 31)) is None
    assert auxiliary.leave_on(date(2024, 2, 5)) == leave
    assert auxiliary.leave_on(date(2024, 2, 6)) is None


def test_overlapping_leave_is_refused(auxiliary: Auxiliary) -> None:
    auxiliary.start_leave(rec(PERSONNEL, date(2024, 2, 1)), StartLeave(leave_id="L-1", kind="sick"))
    refused(
        auxiliary,
        OverlappingLeaveError,
        auxiliary.start_leave,
        rec(PERSONNEL, date(2024, 2, 20)),
        StartLeave(leave_id="L-2", kind="annual"),
    )
    auxiliary.end_leave(rec(PERSONNEL, date(2024, 2, 10)), EndLeave(leave_id="L-1"))
    for start in (date(2024, 1, 20), date(2024, 2, 9)):
        refused(
            auxiliary,
            OverlappingLeaveError,
            auxiliary.start_leave,
            rec(PERSONNEL, start),
            StartLeave(leave_id="L-2", kind="annual"),
        )
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.start_leave,
        rec(PERSONNEL, date(2024, 2, 10)),
        StartLeave(leave_id="L-1", kind="annual"),
    )
    auxiliary.start_leave(
        rec(PERSONNEL, date(2024, 2, 10)), StartLeave(leave_id="L-2", kind="marriage")
    )
    assert [leave.leave_id for leave in auxiliary.leaves] == ["L-1", "L-2"]


def test_a_return_is_recorded_once_after_the_start(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        InvalidTransitionError,
        auxiliary.end_leave,
        rec(PERSONNEL),
        EndLeave(leave_id="L-1"),
    )
    auxiliary.start_leave(rec(PERSONNEL, date(2024, 2, 1)), StartLeave(leave_id="L-1", kind="sick"))
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.end_leave,
        rec(PERSONNEL, date(2024, 2, 1)),
        EndLeave(leave_id="L-1"),
    )
    refused(
        auxiliary,
        InvalidDateRangeError,
        auxiliary.start_leave,
        rec(PERSONNEL, date(2024, 2, 1)),
        StartLeave(leave_id="L-9", kind="sick", planned_end=date(2024, 1, 31)),
    )
    auxiliary.end_leave(rec(PERSONNEL, date(2024, 2, 3)), EndLeave(leave_id="L-1"))
    refused(
        auxiliary,
        DuplicateRecordError,
        auxiliary.end_leave,
        rec(PERSONNEL, date(2024, 2, 5)),
        EndLeave(leave_id="L-1"),
    )


def test_leave_is_recorded_by_the_unit_of_the_day_or_personnel(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        OutsideScopeError,
        auxiliary.start_leave,
        rec(UNIT_B_ACTOR),
        StartLeave(leave_id="L-1", kind="annual"),
    )
    refused(
        auxiliary,
        InvalidFieldError,
        auxiliary.start_leave,
        rec(PERSONNEL),
        StartLeave(leave_id="L-1", kind="年假"),
    )


def test_no_leave_after_separation(auxiliary: Auxiliary) -> None:
    auxiliary.start_leave(rec(PERSONNEL, date(2024, 2, 1)), StartLeave(leave_id="L-1", kind="sick"))
    auxiliary.separate(rec(PERSONNEL, DAY), Separate(reason="resigned"))
    assert not auxiliary.on_leave
    assert auxiliary.leave_on(DAY) is None
    refused(
        auxiliary,
        AuxiliarySeparatedError,
        auxiliary.end_leave,
        rec(PERSONNEL, DAY),
        EndLeave(leave_id="L-1"),
    )
