"""Commands on an auxiliary's life cycle: probation, training and leave (Art. 9, 13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from domain.commands.auxiliary import AuxiliaryCommand
from domain.values import LeaveKind, TrainingKind

if TYPE_CHECKING:
    from domain.auxiliary import Auxiliary
    from domain.events import Recording
    from domain.organ import Organ

__all__ = ["CompleteProbation", "EndLeave", "RecordTraining", "StartLeave", "StartProbation"]


@dataclass(frozen=True, kw_only=True)
class StartProbation(AuxiliaryCommand):
    """Record the probation from the effective date to its last day ``until`` (personnel
    department, Art. 8, 9)."""

    until: date

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.start_probation(rec, self)


@dataclass(frozen=True, kw_only=True)
class CompleteProbation(AuxiliaryCommand):
    """Record the probation's outcome on the effective date (personnel department, Art. 9)."""

    passed: bool

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.complete_probation(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordTraining(AuxiliaryCommand):
    """Record a training course attended, from ``start`` to ``end`` (personnel department,
    Art. 9)."""

    course: str
    kind: TrainingKind | str
    hours: int
    start: date
    end: date
    passed: bool

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.record_training(rec, self)


@dataclass(frozen=True, kw_only=True)
class StartLeave(AuxiliaryCommand):
    """Record a leave starting on the effective date (personnel department or the using
    unit, Art. 13)."""

    leave_id: str
    kind: LeaveKind | str
    planned_end: date | None = None

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.start_leave(rec, self)


@dataclass(frozen=True, kw_only=True)
class EndLeave(AuxiliaryCommand):
    """Record the return from a leave: the effective date is the first day back (personnel
    department or the using unit, Art. 13)."""

    leave_id: str

    def run(self, auxiliary: Auxiliary, rec: Recording, organ: Organ | None) -> None:
        auxiliary.end_leave(rec, self)
