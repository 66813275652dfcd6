"""Bodies of the life-cycle commands: probation, training and leave (Art. 8, 9, 13), and
how the auxiliary's record shows them (``LifecyclePublic``).

The record's life-cycle fields state what is recorded, never today's date: a leave is open
until its return is recorded (and a leave's start is never in the future), and whether a
probation is past its last day is for the reader to compare (the console does, the
``lifecycle_warnings`` report does). None of them changes the status or the headcount.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Code, CommandBody, Day, Flag, ShortText, Whole
from domain.commands.lifecycle import (
    CompleteProbation,
    EndLeave,
    RecordTraining,
    StartLeave,
    StartProbation,
)
from domain.values import LeaveKind, TrainingKind

if TYPE_CHECKING:
    from domain.auxiliary import Auxiliary


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ProbationStart(CommandBody):
    """Record the probation from ``effective`` to its last day ``until`` (Art. 8, 9)."""

    model_config = _examples({"until": "2026-06-30", "effective": "2026-01-01"})
    until: Day

    def command(self) -> StartProbation:
        """The domain command."""
        return StartProbation(until=self.until)


class ProbationOutcome(CommandBody):
    """Record the probation's outcome, decided on ``effective`` (Art. 9)."""

    model_config = _examples({"passed": True, "basis": "试用期考核合格"})
    passed: Flag

    def command(self) -> CompleteProbation:
        """The domain command."""
        return CompleteProbation(passed=self.passed)


class TrainingCreate(CommandBody):
    """Record a training course attended (Art. 9)."""

    model_config = _examples(
        {
            "course": "新录用辅警岗前培训",
            "kind": "pre_service",
            "hours": 120,
            "start": "2026-01-05",
            "end": "2026-01-23",
            "passed": True,
        }
    )
    course: ShortText
    kind: TrainingKind
    hours: Whole
    start: Day
    end: Day
    passed: Flag

    def command(self) -> RecordTraining:
        """The domain command."""
        return RecordTraining(
            course=self.course,
            kind=self.kind,
            hours=self.hours,
            start=self.start,
            end=self.end,
            passed=self.passed,
        )


class LeaveStart(CommandBody):
    """Record a leave starting on ``effective`` (Art. 13)."""

    model_config = _examples({"leave_id": "L-2026-001", "kind": "annual", "planned_end": None})
    leave_id: Code
    kind: LeaveKind
    planned_end: Day | None = None

    def command(self) -> StartLeave:
        """The domain command."""
        return StartLeave(leave_id=self.leave_id, kind=self.kind, planned_end=self.planned_end)


class LeaveEnd(CommandBody):
    """Record the return from a leave; ``effective`` is the first day back (Art. 13)."""

    model_config = _examples({"leave_id": "L-2026-001"})
    leave_id: Code

    def command(self) -> EndLeave:
        """The domain command."""
        return EndLeave(leave_id=self.leave_id)


# ------------------------------------------------------------------ the record's view


class ProbationPublic(BaseModel):
    """The probation (试用期, Art. 8, 9): its days, and its outcome once decided."""

    start: date
    until: date = Field(description="The probation's last day")
    passed: bool | None = Field(description="None until the outcome is recorded")
    decided_on: date | None
    separation_owed: bool = Field(
        description="The probation failed and no separation is recorded yet"
    )


class LeavePublic(BaseModel):
    """The open leave (Art. 13): started, its return not yet recorded."""

    leave_id: str
    kind: LeaveKind
    start: date
    planned_end: date | None = Field(description="The last day planned, if one was given")


class TrainingSummary(BaseModel):
    """The trainings recorded (Art. 9), summed up; each one is an event of the timeline."""

    records: int
    passed: int
    hours_passed: int = Field(description="Hours of the trainings passed")
    pre_service_passed: bool = Field(description="A pre-service training (岗前培训) was passed")
    pre_service_completed_on: date | None = Field(
        description="The last day of the first pre-service training passed"
    )
    last_end: date | None = Field(description="The last day of the latest training")


class LifecyclePublic(BaseModel):
    """Leave, probation and training as the auxiliary's record shows them."""

    on_leave: bool = Field(
        description="A leave is open (Art. 13); the status and the headcount do not change"
    )
    leave: LeavePublic | None
    probation: ProbationPublic | None
    training: TrainingSummary

    @classmethod
    def of(cls, auxiliary: Auxiliary) -> LifecyclePublic:
        """The life-cycle fields of ``auxiliary``'s current record."""
        open_leave = (
            next((x for x in auxiliary.leaves if x.returned_on is None), None)
            if auxiliary.on_leave
            else None
        )
        p = auxiliary.probation
        trainings = auxiliary.trainings
        passed = [t for t in trainings if t.passed]
        pre_service = sorted(t.end for t in passed if t.kind is TrainingKind.pre_service)
        return cls(
            on_leave=auxiliary.on_leave,
            leave=None
            if open_leave is None
            else LeavePublic(
                leave_id=open_leave.leave_id,
                kind=open_leave.kind,
                start=open_leave.start,
                planned_end=open_leave.planned_end,
            ),
            probation=None
            if p is None
            else ProbationPublic(
                start=p.start,
                until=p.until,
                passed=p.passed,
                decided_on=p.decided_on,
                separation_owed=auxiliary.separation_owed,
            ),
            training=TrainingSummary(
                records=len(trainings),
                passed=len(passed),
                hours_passed=sum(t.hours for t in passed),
                pre_service_passed=bool(pre_service),
                pre_service_completed_on=pre_service[0] if pre_service else None,
                last_end=max((t.end for t in trainings), default=None),
            ),
        )
