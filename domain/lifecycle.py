"""Life-cycle records of an auxiliary kept by ``Auxiliary``: probation, training and leave
(Art. 9, 13), as plain values the aggregate holds and the reads return.

Invariants kept here:

- A probation runs from its start to its last day (``until``) inclusive; it has at most one
  outcome, passed or failed, decided on a date on or after its start.
- A training ran from ``start`` to ``end`` inclusive (``end`` not before ``start``) for a
  positive whole number of hours.
- A leave runs from ``start`` up to, not including, ``returned_on`` (the first day back, as a
  separation's date is the first day not employed); while ``returned_on`` is None the leave
  is open and covers every later day. Two leaves of an auxiliary never cover the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.values import LeaveKind, TrainingKind

__all__ = ["MAX_TRAINING_HOURS", "Leave", "Probation", "Training"]

MAX_TRAINING_HOURS = 2000
"""The most hours one training record may state (a year of full-time schooling)."""


@dataclass(frozen=True)
class Probation:
    """The probation (试用期) and, once decided, its outcome."""

    start: date
    until: date
    passed: bool | None = None
    decided_on: date | None = None

    @property
    def decided(self) -> bool:
        """Whether the outcome is recorded."""
        return self.passed is not None


@dataclass(frozen=True)
class Training:
    """A training course attended (Art. 9)."""

    course: str
    kind: TrainingKind
    hours: int
    start: date
    end: date
    passed: bool


@dataclass(frozen=True)
class Leave:
    """A leave (Art. 13): ``start`` up to, not including, ``returned_on``."""

    leave_id: str
    kind: LeaveKind
    start: date
    planned_end: date | None
    returned_on: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the auxiliary is on this leave on ``day``."""
        return self.start <= day and (self.returned_on is None or day < self.returned_on)
