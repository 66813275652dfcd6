"""Bodies of the life-cycle commands: probation, training and leave (Art. 8, 9, 13)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from api.schemas.common import Code, CommandBody, Day, Flag, ShortText, Whole
from domain.commands.lifecycle import (
    CompleteProbation,
    EndLeave,
    RecordTraining,
    StartLeave,
    StartProbation,
)
from domain.values import LeaveKind, TrainingKind


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
