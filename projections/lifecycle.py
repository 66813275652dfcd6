"""Read-model tables of the life cycle (Art. 8, 9, 13), kept by the personnel projection:

- ``rm_probation``: one row per auxiliary with a probation: its start, last day and outcome;
- ``rm_training``: one row per training recorded, with the unit the auxiliary was in then;
- ``rm_leave``: one row per leave, with its kind, start, planned end and first day back.

``LifecycleHandlers`` is a mixin of ``PersonnelProjection`` (its handlers also move the
auxiliary's ``rm_auxiliary`` version, as every event of the auxiliary does).

Invariants kept here:

- ``passed``/``decided_on`` of a probation are NULL until its outcome is recorded.
- A probation row carries what the life-cycle warnings filter and sort by of its auxiliary:
  ``organ``, current ``unit``, ``name``, ``hired_on``, ``separated_on``, always equal to the
  auxiliary's ``rm_auxiliary`` row (``follow_auxiliary`` after a transfer, a separation and a
  corrected name), so the report finds, counts and sorts its probations without a join.
- A leave row's ``returned_on`` is NULL while the leave is open; the leave covers day D
  exactly when ``leave_from <= D`` and (``returned_on`` is NULL or ``D < returned_on``), the
  domain's ``Leave.covers``.
- Nothing personal is kept (these events carry none).
"""

from __future__ import annotations

from domain.auxiliary import Auxiliary
from domain.values import TrainingKind
from projections.base import ReadModelProjection, handles
from projections.state import Row, State
from projections.tables import Column, Table

__all__ = ["LEAVE", "PROBATION", "TRAINING", "LifecycleHandlers"]

_FOLLOWED = ("organ", "unit", "name", "hired_on", "separated_on")
"""Columns of ``rm_auxiliary`` a probation row carries."""


def _c(name: str, kind: str, nullable: bool = True) -> Column:
    return Column(name, kind, nullable)


PROBATION = Table(
    "rm_probation",
    (
        _c("auxiliary_id", "uuid", False),
        _c("probation_from", "date", False),
        _c("probation_until", "date", False),
        _c("passed", "bool"),
        _c("decided_on", "date"),
        # The auxiliary's, kept equal to rm_auxiliary's (see the invariants).
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("name", "text", False),
        _c("hired_on", "date", False),
        _c("separated_on", "date"),
    ),
    key=("auxiliary_id",),
    mode="owned",
    owner="auxiliary_id",
    # Undecided by last day, failed, decided after a day: what the reports ask.
    indexes=(("probation_until",), ("passed", "probation_until"), ("decided_on",)),
)
TRAINING = Table(
    "rm_training",
    (
        _c("auxiliary_id", "uuid", False),
        _c("originator_version", "int", False),
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("course", "text", False),
        _c("training_kind", "text", False),
        _c("hours", "int", False),
        _c("training_from", "date", False),
        _c("training_to", "date", False),
        _c("passed", "bool", False),
    ),
    key=("auxiliary_id", "originator_version"),
    mode="append",
    indexes=(("auxiliary_id", "training_kind"),),
)
LEAVE = Table(
    "rm_leave",
    (
        _c("auxiliary_id", "uuid", False),
        _c("leave_id", "text", False),
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("leave_kind", "text", False),
        _c("leave_from", "date", False),
        _c("planned_end", "date"),
        _c("returned_on", "date"),
    ),
    key=("auxiliary_id", "leave_id"),
    mode="owned",
    owner="auxiliary_id",
    # Open on a day: returned_on NULL or after it (few rows, unlike leave_from <= day).
    indexes=(("leave_from",), ("returned_on",)),
)


class LifecycleHandlers(ReadModelProjection):
    """Handlers of the life-cycle events, a base of ``PersonnelProjection``."""

    def _touch(self, state: State, e: Auxiliary.Event) -> Row:
        """The auxiliary's ``rm_auxiliary`` row, moved to the event's version and stored."""
        raise NotImplementedError

    @handles(Auxiliary.ProbationStarted)
    def _probation_started(
        self, state: State, e: Auxiliary.ProbationStarted, position: int
    ) -> None:
        aux = self._touch(state, e)
        state.put(
            PROBATION,
            {
                "auxiliary_id": e.originator_id,
                "probation_from": e.effective,
                "probation_until": e.probation_until,
                "passed": None,
                "decided_on": None,
                **{column: aux[column] for column in _FOLLOWED},
            },
        )

    @staticmethod
    def follow_auxiliary(state: State, aux: Row) -> None:
        """Bring the auxiliary's probation row in line with its ``rm_auxiliary`` row ``aux``
        (after a change of its unit, separation or name)."""
        row = state.get(PROBATION, (aux["auxiliary_id"],))
        if row is not None and any(row[column] != aux[column] for column in _FOLLOWED):
            row.update({column: aux[column] for column in _FOLLOWED})
            state.put(PROBATION, row)

    @handles(Auxiliary.ProbationCompleted)
    def _probation_completed(
        self, state: State, e: Auxiliary.ProbationCompleted, position: int
    ) -> None:
        self._touch(state, e)
        key = e.originator_id
        row = self.require(state.get(PROBATION, (key,)), "probation of", key)
        row["passed"] = e.passed
        row["decided_on"] = e.effective
        state.put(PROBATION, row)

    @handles(Auxiliary.TrainingRecorded)
    def _training(self, state: State, e: Auxiliary.TrainingRecorded, position: int) -> None:
        aux = self._touch(state, e)
        if e.kind == TrainingKind.pre_service.value and e.passed:
            # ``aux`` is the row ``_touch`` stored (rows are kept, not copied, until the
            # batch is written), so this change goes with it.
            first = aux["pre_service_passed_to"]
            aux["pre_service_passed_to"] = e.end if first is None else min(first, e.end)
        state.add(
            TRAINING,
            {
                "auxiliary_id": e.originator_id,
                "originator_version": e.originator_version,
                "organ": aux["organ"],
                "unit": aux["unit"],
                "course": e.course,
                "training_kind": e.kind,
                "hours": e.hours,
                "training_from": e.start,
                "training_to": e.end,
                "passed": e.passed,
            },
        )

    @handles(Auxiliary.LeaveStarted)
    def _leave_started(self, state: State, e: Auxiliary.LeaveStarted, position: int) -> None:
        aux = self._touch(state, e)
        state.put(
            LEAVE,
            {
                "auxiliary_id": e.originator_id,
                "leave_id": e.leave_id,
                "organ": aux["organ"],
                "unit": aux["unit"],
                "leave_kind": e.kind,
                "leave_from": e.effective,
                "planned_end": e.planned_end,
                "returned_on": None,
            },
        )

    @handles(Auxiliary.LeaveEnded)
    def _leave_ended(self, state: State, e: Auxiliary.LeaveEnded, position: int) -> None:
        self._touch(state, e)
        row = self.require(state.get(LEAVE, (e.originator_id, e.leave_id)), "leave", e.leave_id)
        row["returned_on"] = e.effective
        state.put(LEAVE, row)
