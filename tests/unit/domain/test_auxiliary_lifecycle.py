"""Probation, training and leave of an auxiliary (Art. 8, 9, 13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain.auxiliary import Auxiliary
from domain.commands import lifecycle as commands
from domain.commands.auxiliary import Separate
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
from domain.organ import Organ
from domain.values import AuxiliaryStatus, LeaveKind, TrainingKind

from .refusals import Refusal, refusals
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
    auxiliary.start_probation(rec(PERSONNEL, HIRE_DAY), commands.StartProbation(until=UNTIL))


# ------------------------------------------------------------------------ probation


def test_a_probation_runs_from_its_start_to_its_last_day(auxiliary: Auxiliary) -> None:
    _probation(auxiliary)
    assert auxiliary.probation == Probation(HIRE_DAY, UNTIL)
    [event] = auxiliary.collect_events()
    assert isinstance(event, Auxiliary.ProbationStarted)
    assert (event.effective, event.probation_until) == (HIRE_DAY, UNTIL)


def _probation_from_day(auxiliary: Auxiliary) -> None:
    auxiliary.start_probation(rec(PERSONNEL, DAY), commands.StartProbation(until=date(2024, 6, 1)))


def _probation_passed(auxiliary: Auxiliary) -> None:
    _probation_from_day(auxiliary)
    auxiliary.complete_probation(rec(PERSONNEL, DAY), commands.CompleteProbation(passed=True))


@refusals(
    a_probation_is_recorded_once=Refusal(
        PERSONNEL,
        commands.StartProbation(until=date(2024, 5, 1)),
        DuplicateRecordError,
        given=_probation,
    ),
    **{
        f"a_probation_ends_after_it_starts_and_before_the_contract-{until}": Refusal(
            PERSONNEL,
            commands.StartProbation(until=until),
            InvalidDateRangeError,
            effective=HIRE_DAY,
        )
        for until in (HIRE_DAY, date(2023, 12, 31), date(2026, 12, 31), date(2027, 1, 1))
    },
    only_the_personnel_department_records_a_probation=Refusal(
        UNIT_A_ACTOR, commands.StartProbation(until=UNTIL), NotAuthorisedError, effective=HIRE_DAY
    ),
    an_outcome_needs_a_probation=Refusal(
        PERSONNEL, commands.CompleteProbation(passed=True), InvalidTransitionError
    ),
    an_outcome_is_not_before_the_probation_starts=Refusal(
        PERSONNEL,
        commands.CompleteProbation(passed=True),
        InvalidDateRangeError,
        effective=date(2024, 2, 29),
        given=_probation_from_day,
    ),
    an_outcome_is_passed_or_not=Refusal(
        PERSONNEL,
        commands.CompleteProbation(passed=1),  # type: ignore[arg-type]
        InvalidFieldError,
        given=_probation_from_day,
    ),
    a_probation_has_one_outcome=Refusal(
        PERSONNEL,
        commands.CompleteProbation(passed=False),
        DuplicateRecordError,
        given=_probation_passed,
    ),
    a_separation_for_a_failed_probation_needs_one=Refusal(
        PERSONNEL,
        Separate(reason="probation_failed"),
        InvalidTransitionError,
        effective=date(2024, 3, 15),
    ),
)
def test_probation_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_a_probation_has_an_outcome_on_or_after_its_start(auxiliary: Auxiliary) -> None:
    _probation_passed(auxiliary)
    assert auxiliary.probation == Probation(DAY, date(2024, 6, 1), True, DAY)
    assert not auxiliary.separation_owed


def test_a_failed_probation_owes_a_separation_which_may_name_it(auxiliary: Auxiliary) -> None:
    _probation(auxiliary)
    auxiliary.complete_probation(rec(PERSONNEL, DAY), commands.CompleteProbation(passed=False))
    assert auxiliary.separation_owed
    auxiliary.separate(rec(PERSONNEL, date(2024, 3, 15)), Separate(reason="probation_failed"))
    assert auxiliary.status is AuxiliaryStatus.separated
    assert not auxiliary.separation_owed


# ------------------------------------------------------------------------- training


def _training(**overrides: object) -> commands.RecordTraining:
    fields: dict[str, object] = {
        "course": "新录用辅警岗前培训",
        "kind": "pre_service",
        "hours": 120,
        "start": date(2023, 12, 4),
        "end": date(2023, 12, 22),
        "passed": True,
        **overrides,
    }
    return commands.RecordTraining(**fields)  # type: ignore[arg-type]


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
        commands.StartLeave(leave_id="L-1", kind="annual", planned_end=date(2024, 2, 5)),
    )
    assert auxiliary.on_leave
    assert auxiliary.leave_on(date(2024, 2, 20)) is not None
    auxiliary.end_leave(rec(PERSONNEL, date(2024, 2, 6)), commands.EndLeave(leave_id="L-1"))
    leave = Leave("L-1", LeaveKind.annual, date(2024, 2, 1), date(2024, 2, 5), date(2024, 2, 6))
    assert auxiliary.leaves == (leave,)
    assert not auxiliary.on_leave
    assert auxiliary.leave_on(date(2024, 1, 31)) is None
    assert auxiliary.leave_on(date(2024, 2, 5)) == leave
    assert auxiliary.leave_on(date(2024, 2, 6)) is None


def _on_sick_leave(back_on: date | None = None) -> Callable[[Auxiliary], None]:
    """Sick leave L-1 from 1 February, back on ``back_on`` (None: still on leave)."""

    def given(auxiliary: Auxiliary) -> None:
        auxiliary.start_leave(
            rec(PERSONNEL, date(2024, 2, 1)), commands.StartLeave(leave_id="L-1", kind="sick")
        )
        if back_on is not None:
            auxiliary.end_leave(rec(PERSONNEL, back_on), commands.EndLeave(leave_id="L-1"))

    return given


@refusals(
    a_leave_may_not_start_during_another=Refusal(
        PERSONNEL,
        commands.StartLeave(leave_id="L-2", kind="annual"),
        OverlappingLeaveError,
        effective=date(2024, 2, 20),
        given=_on_sick_leave(),
    ),
    **{
        f"a_leave_may_not_start_within_an_ended_one-{start}": Refusal(
            PERSONNEL,
            commands.StartLeave(leave_id="L-2", kind="annual"),
            OverlappingLeaveError,
            effective=start,
            given=_on_sick_leave(back_on=date(2024, 2, 10)),
        )
        for start in (date(2024, 1, 20), date(2024, 2, 9))
    },
    a_leave_id_is_used_once=Refusal(
        PERSONNEL,
        commands.StartLeave(leave_id="L-1", kind="annual"),
        DuplicateRecordError,
        effective=date(2024, 2, 10),
        given=_on_sick_leave(back_on=date(2024, 2, 10)),
    ),
    a_return_needs_a_leave=Refusal(
        PERSONNEL, commands.EndLeave(leave_id="L-1"), InvalidTransitionError
    ),
    a_return_is_after_the_start=Refusal(
        PERSONNEL,
        commands.EndLeave(leave_id="L-1"),
        InvalidDateRangeError,
        effective=date(2024, 2, 1),
        given=_on_sick_leave(),
    ),
    a_planned_return_is_after_the_start=Refusal(
        PERSONNEL,
        commands.StartLeave(leave_id="L-9", kind="sick", planned_end=date(2024, 1, 31)),
        InvalidDateRangeError,
        effective=date(2024, 2, 1),
    ),
    a_return_is_recorded_once=Refusal(
        PERSONNEL,
        commands.EndLeave(leave_id="L-1"),
        DuplicateRecordError,
        effective=date(2024, 2, 5),
        given=_on_sick_leave(back_on=date(2024, 2, 3)),
    ),
    leave_is_recorded_by_the_unit_of_the_day_or_personnel=Refusal(
        UNIT_B_ACTOR, commands.StartLeave(leave_id="L-1", kind="annual"), OutsideScopeError
    ),
    the_leave_kind_is_a_closed_set=Refusal(
        PERSONNEL, commands.StartLeave(leave_id="L-1", kind="年假"), InvalidFieldError
    ),
)
def test_leave_refusals(auxiliary: Auxiliary, organ: Organ, refusal: Refusal) -> None:
    refusal.check(auxiliary, organ)


def test_a_leave_may_start_on_the_day_back_from_another(auxiliary: Auxiliary) -> None:
    _on_sick_leave(back_on=date(2024, 2, 10))(auxiliary)
    auxiliary.start_leave(
        rec(PERSONNEL, date(2024, 2, 10)), commands.StartLeave(leave_id="L-2", kind="marriage")
    )
    assert [leave.leave_id for leave in auxiliary.leaves] == ["L-1", "L-2"]


def test_no_leave_after_separation(auxiliary: Auxiliary) -> None:
    auxiliary.start_leave(
        rec(PERSONNEL, date(2024, 2, 1)), commands.StartLeave(leave_id="L-1", kind="sick")
    )
    auxiliary.separate(rec(PERSONNEL, DAY), Separate(reason="resigned"))
    assert not auxiliary.on_leave
    assert auxiliary.leave_on(DAY) is None
    refused(
        auxiliary,
        AuxiliarySeparatedError,
        auxiliary.end_leave,
        rec(PERSONNEL, DAY),
        commands.EndLeave(leave_id="L-1"),
    )


def test_a_refused_return_or_leave_names_the_day_it_must_follow(auxiliary: Auxiliary) -> None:
    """Ending a leave on its first day, or starting one before the last day back, is told
    with the recorded date to follow, so the person knows which date to enter."""
    _on_sick_leave()(auxiliary)
    with pytest.raises(InvalidDateRangeError) as same_day:
        auxiliary.end_leave(rec(PERSONNEL, date(2024, 2, 1)), commands.EndLeave(leave_id="L-1"))
    assert "须晚于休假开始日期（2024年02月01日）" in same_day.value.zh
    assert "2024-02-01" in str(same_day.value)
    auxiliary.end_leave(rec(PERSONNEL, date(2024, 2, 10)), commands.EndLeave(leave_id="L-1"))
    with pytest.raises(OverlappingLeaveError) as early:
        auxiliary.start_leave(
            rec(PERSONNEL, date(2024, 2, 9)), commands.StartLeave(leave_id="L-2", kind="annual")
        )
    assert "上一次休假的返岗日期为2024年02月10日，本次休假须自该日或之后开始" in early.value.zh
    assert "2024-02-10" in str(early.value)
