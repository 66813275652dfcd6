"""The personnel projection: organs and units, auxiliaries, pay, wages, officials' misconduct.

Follows every event of ``Organ``, ``Auxiliary``, ``PaySchedule``, ``LocalAverageWage`` and
``MisconductFinding`` and keeps:

- ``rm_organ`` / ``rm_unit``: organs with quota and headcount (slots held), their units;
- ``rm_auxiliary``: one row per auxiliary with the current organ, unit, supervisor, post,
  level, employment form, contract, status and counts (personnel status);
- ``rm_unit_history`` / ``rm_supervisor_history``: the effective-dated assignments, one row
  per recording, for "who answered for X on date D" (Art. 10, 17); every sanction row names
  the unit and supervisor in effect on its date, kept right when a backdated assignment is
  recorded later;
- ``rm_assessment``: the annual assessments, one row per auxiliary and year, with the organ
  and unit the auxiliary was in when it was recorded (Art. 9, 11);
- ``rm_credential``, ``rm_insurance``, ``rm_commendation``, ``rm_sanction`` (with the
  decision's 文书编号, null for decisions recorded before it was required) and
  ``rm_sanction_link`` (which findings a sanction decided on, Art. 18);
- ``rm_headcount``: auxiliaries not separated per organ, unit and level (Art. 5, 7, 11);
- ``rm_pay_schedule`` / ``rm_pay`` and ``rm_wage_region`` / ``rm_average_wage`` (Art. 7);
- ``rm_misconduct``: findings against officials (Art. 19);
- ``rm_probation``, ``rm_training``, ``rm_leave``: the life cycle (Art. 8, 9, 13), kept by
  the handlers of ``projections.lifecycle``;
- ``rm_personnel_rule_flags``: events judged under a rule set that does not cover them (Art. 20).

Invariants kept here:

- "Current" unit, supervisor, post and level follow the domain's effective-dated rule: the
  entry with the latest (effective date, recording version) wins, so a backdated record
  recorded later changes the history but not the current value unless it is the latest.
- Status is ``separated`` once a separation is recorded, else ``suspended`` while a
  suspension is in force (until reinstatement, revocation or an overturned appeal), else
  ``active`` -- the same rule as ``Auxiliary.status``.
- ``rm_headcount`` counts, per organ, current unit and current level, the auxiliaries not
  separated: it always equals grouping ``rm_auxiliary`` (a hire adds one; a change of the
  current unit or level moves one; a separation removes one).
- ``rm_hire_count`` (per organ, current unit and year hired) and ``rm_grade_count`` (per
  organ, current unit, year and grade of ``rm_assessment``) count the same auxiliaries, not
  separated, the same way; a transfer moves an auxiliary's grades with it, a separation
  removes them. So the auxiliaries due an assessment for year Y (employed now, hired by the
  year's end) are the hire counts up to Y, and those assessed are the grade counts of Y (an
  assessment's year is never before the hire's: the domain refuses it).
- ``accident_cover_from`` / ``accident_cover_until`` are the last continuous stretch covered by
  the auxiliary's accident insurance (until None: open-ended); on a date after its start,
  cover is exactly "within that stretch" (earlier stretches end before it starts).
- ``pre_service_passed_to`` is the earliest last day of a passed pre-service training (None
  before one): the auxiliary has passed it by day D exactly when it is not None and ``<= D``,
  so the reports that look for the missing ones read an index, not every training.
- ``credentials_out`` counts an auxiliary's credentials not returned (revoked ones included).
- A commendation row and an assessment row name the unit the auxiliary was in when they were
  recorded.
- ``health_reference`` is the date the next health check is counted from: the latest check,
  or the hire while none is recorded (Art. 13).
- No personal data is stored: resident ID numbers, phones and addresses from the hire,
  health-check fitness and details, injury medical details and ``PersonalDataCorrected``
  values are never read. Only the date of a health check is kept.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.auxiliary import Auxiliary, CredentialSerial
from domain.events import LedgerEvent
from domain.holds import HireMarker
from domain.misconduct import MisconductFinding
from domain.organ import Organ, UnitCode
from domain.pay import LocalAverageWage, PaySchedule
from domain.values import (
    AppealStatus,
    AuxiliaryStatus,
    PostType,
    SanctionKind,
    SanctionStatus,
    post_category,
)
from projections.base import handles, rule_flags_table
from projections.lifecycle import LEAVE, PROBATION, TRAINING, LifecycleHandlers
from projections.state import DuplicateRowError, Row, State
from projections.tables import Column, Table

__all__ = ["PersonnelProjection"]

_SanctionEvent = Auxiliary.SanctionAppealed | Auxiliary.AppealDecided | Auxiliary.SanctionRevoked
"""The events that change a sanction already imposed."""

CREDENTIAL_RETURNED = "returned"
ACCIDENT = "accident"


def _c(name: str, kind: str, nullable: bool = True) -> Column:
    return Column(name, kind, nullable)


ORGAN = Table(
    "rm_organ",
    (
        _c("organ_id", "uuid", False),
        _c("organ", "text", False),
        _c("organ_name", "text", False),
        _c("region", "text", False),
        _c("quota", "int"),
        _c("quota_since", "date"),
        _c("headcount", "int", False),
        _c("registered_on", "date", False),
    ),
    key=("organ_id",),
    mode="owned",
    owner="organ_id",
    indexes=(("organ",),),
)
UNIT = Table(
    "rm_unit",
    (
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("unit_name", "text", False),
        _c("registered_on", "date", False),
    ),
    key=("organ", "unit"),
    mode="append",
    indexes=(("unit",),),
)
AUXILIARY = Table(
    "rm_auxiliary",
    (
        _c("auxiliary_id", "uuid", False),
        _c("name", "text", False),
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("unit_since", "date", False),
        _c("supervisor_id", "text"),
        _c("supervisor_name", "text"),
        _c("supervisor_since", "date", False),
        _c("post_type", "text", False),
        _c("post_category", "text", False),
        _c("post_since", "date", False),
        _c("level", "int", False),
        _c("level_since", "date", False),
        _c("employment_form", "text", False),
        _c("contract_start", "date", False),
        _c("contract_end", "date", False),
        _c("hired_on", "date", False),
        _c("status", "text", False),
        _c("suspended_by", "text"),
        _c("separated_on", "date"),
        _c("separation_reason", "text"),
        _c("commendations", "int", False),
        _c("sanctions_in_force", "int", False),
        _c("credentials_out", "int", False),
        _c("last_health_check", "date"),
        _c("health_reference", "date", False),
        _c("accident_cover_from", "date"),
        _c("accident_cover_until", "date"),
        _c("pre_service_passed_to", "date"),
        _c("version", "int", False),
    ),
    key=("auxiliary_id",),
    mode="owned",
    owner="auxiliary_id",
    indexes=(
        ("organ", "unit", "name", "auxiliary_id"),
        ("name", "auxiliary_id"),
        ("status", "post_category"),
        ("status", "credentials_out"),
        ("supervisor_id",),
        ("status", "health_reference"),
        ("contract_end",),
        ("pre_service_passed_to",),
        # Without accident cover on a day: none, ended before it, or starting after it.
        ("accident_cover_from",),
        ("accident_cover_until",),
    ),
    # Separated auxiliaries seldom still hold a credential; without this PostgreSQL takes
    # the two for independent and expects six times the holders there are.
    statistics=(("status", "credentials_out"),),
)
UNIT_HISTORY = Table(
    "rm_unit_history",
    (
        _c("auxiliary_id", "uuid", False),
        _c("originator_version", "int", False),
        _c("effective", "date", False),
        _c("unit", "text", False),
    ),
    key=("auxiliary_id", "originator_version"),
    mode="owned",
    owner="auxiliary_id",
)
SUPERVISOR_HISTORY = Table(
    "rm_supervisor_history",
    (
        _c("auxiliary_id", "uuid", False),
        _c("originator_version", "int", False),
        _c("effective", "date", False),
        _c("supervisor_id", "text"),
        _c("supervisor_name", "text"),
    ),
    key=("auxiliary_id", "originator_version"),
    mode="owned",
    owner="auxiliary_id",
)
CREDENTIAL = Table(
    "rm_credential",
    (
        _c("auxiliary_id", "uuid", False),
        _c("kind", "text", False),
        _c("serial", "text", False),
        _c("issued_on", "date", False),
        _c("credential_status", "text", False),
        _c("status_on", "date", False),
    ),
    key=("auxiliary_id", "kind", "serial"),
    mode="owned",
    owner="auxiliary_id",
    indexes=(("credential_status", "auxiliary_id"), ("serial", "kind")),
)
INSURANCE = Table(
    "rm_insurance",
    (
        _c("auxiliary_id", "uuid", False),
        _c("originator_version", "int", False),
        _c("kind", "text", False),
        _c("insurer", "text", False),
        _c("starts_on", "date", False),
        _c("ends_on", "date"),
    ),
    key=("auxiliary_id", "originator_version"),
    mode="owned",
    owner="auxiliary_id",
    indexes=(("kind", "auxiliary_id"),),
)
COMMENDATION = Table(
    "rm_commendation",
    (
        _c("auxiliary_id", "uuid", False),
        _c("originator_version", "int", False),
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("kind", "text", False),
        _c("issuing_body", "text", False),
        _c("effective", "date", False),
    ),
    key=("auxiliary_id", "originator_version"),
    mode="append",
    indexes=(("effective",),),
)
ASSESSMENT = Table(
    "rm_assessment",
    (
        _c("auxiliary_id", "uuid", False),
        _c("year", "int", False),
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("grade", "text", False),
        _c("effective", "date", False),
        _c("originator_version", "int", False),
    ),
    key=("auxiliary_id", "year"),
    mode="owned",
    owner="auxiliary_id",
    indexes=(("organ", "year"),),
)
"""Annual assessments (Art. 9, 11): the domain records one per auxiliary and year. Owned, not
append-only, so that a transfer or a separation can move the auxiliary's grades in
``rm_grade_count``; a second row for a year is refused by the handler."""
SANCTION = Table(
    "rm_sanction",
    (
        _c("auxiliary_id", "uuid", False),
        _c("sanction_id", "text", False),
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("supervisor_id", "text"),
        _c("supervisor_name", "text"),
        _c("kind", "text", False),
        _c("effective", "date", False),
        _c("until_on", "date"),
        _c("sanction_status", "text", False),
        _c("appeal", "text", False),
        _c("document_number", "text"),
    ),
    key=("auxiliary_id", "sanction_id"),
    mode="owned",
    owner="auxiliary_id",
    indexes=(("effective",),),
)
SANCTION_LINK = Table(
    "rm_sanction_link",
    (
        _c("auxiliary_id", "uuid", False),
        _c("sanction_id", "text", False),
        _c("complaint_id", "uuid", False),
        _c("allegation_number", "int", False),
    ),
    key=("auxiliary_id", "sanction_id", "complaint_id", "allegation_number"),
    mode="append",
    indexes=(("complaint_id", "allegation_number"),),
)


def _counts(name: str, *by: Column) -> Table:
    """A table counting auxiliaries (``auxiliaries``) per organ, unit and ``by``, loaded whole
    and kept by ``_tally``."""
    columns = (_c("organ", "text", False), _c("unit", "text", False), *by)
    return Table(
        name,
        (*columns, _c("auxiliaries", "int", False)),
        key=tuple(c.name for c in columns),
        mode="whole",
    )


HEADCOUNT = _counts("rm_headcount", _c("level", "int", False))
"""Auxiliaries not separated, by current organ, unit and level (kept with ``rm_auxiliary``)."""
HIRE_COUNT = _counts("rm_hire_count", _c("hired_year", "int", False))
"""Auxiliaries not separated, by current organ, unit and the year they were hired: those due
an assessment for year Y are the rows up to Y (kept with ``rm_auxiliary``)."""
GRADE_COUNT = _counts("rm_grade_count", _c("year", "int", False), _c("grade", "text", False))
"""Assessments of auxiliaries not separated, by their current organ and unit, year and grade
(kept with ``rm_assessment``)."""
PAY_SCHEDULE = Table(
    "rm_pay_schedule",
    (_c("schedule_id", "uuid", False), _c("organ", "text", False)),
    key=("schedule_id",),
    mode="whole",
)
PAY = Table(
    "rm_pay",
    (
        _c("organ", "text", False),
        _c("year", "int", False),
        _c("level", "int", False),
        _c("monthly", "money", False),
        _c("set_on", "date", False),
    ),
    key=("organ", "year", "level"),
    mode="whole",
)
WAGE_REGION = Table(
    "rm_wage_region",
    (_c("record_id", "uuid", False), _c("region", "text", False)),
    key=("record_id",),
    mode="whole",
)
AVERAGE_WAGE = Table(
    "rm_average_wage",
    (
        _c("region", "text", False),
        _c("year", "int", False),
        _c("annual", "money", False),
        _c("recorded_on", "date", False),
    ),
    key=("region", "year"),
    mode="whole",
)
MISCONDUCT = Table(
    "rm_misconduct",
    (
        _c("finding_id", "uuid", False),
        _c("official_id", "text", False),
        _c("official_name", "text", False),
        _c("official_role", "text", False),
        _c("organ", "text", False),
        _c("unit", "text"),
        _c("kind", "text", False),
        _c("effective", "date", False),
        _c("decision", "text", False),
        _c("decision_on", "date", False),
        _c("amendments", "int", False),
    ),
    key=("finding_id",),
    mode="owned",
    owner="finding_id",
    indexes=(("organ", "effective"),),
)
PERSONNEL_FLAGS = rule_flags_table("rm_personnel_rule_flags")


def _last_cover(intervals: list[tuple[date, date | None]]) -> tuple[date | None, date | None]:
    """The last continuous stretch covered by the intervals (end None: open-ended).

    Intervals that overlap or meet (an end the day before the next start) are one stretch.
    """
    merged: list[list[date | None]] = []
    for start, end in sorted(intervals, key=lambda i: i[0]):
        if merged:
            last_end = merged[-1][1]
            if last_end is None or start <= last_end + timedelta(days=1):
                if last_end is not None and (end is None or end > last_end):
                    merged[-1][1] = end
                continue
        merged.append([start, end])
    if not merged:
        return None, None
    first, last = merged[-1]
    return first, last


def _tally(state: State, table: Table, key: dict[str, Any], delta: int) -> None:
    """Add ``delta`` to the ``auxiliaries`` of the row with ``key`` of a ``_counts`` table
    (made at 0)."""
    row = state.get(table, table.key_of(key)) or {**key, "auxiliaries": 0}
    row["auxiliaries"] += delta
    state.put(table, row)


def _status(row: Row) -> str:
    if row["separated_on"] is not None:
        return AuxiliaryStatus.separated.value
    if row["suspended_by"] is not None:
        return AuxiliaryStatus.suspended.value
    return AuxiliaryStatus.active.value


class PersonnelProjection(LifecycleHandlers):
    """Organs, auxiliaries, pay and officials' misconduct."""

    name = "personnel"
    # UnitCode, CredentialSerial and HireMarker have no rows of their own (their organ's
    # UnitRegistered, their auxiliary's CredentialIssued and Hired have): followed for the
    # rule-period check every recorded event gets.
    aggregates = (
        Organ,
        UnitCode,
        Auxiliary,
        CredentialSerial,
        HireMarker,
        PaySchedule,
        LocalAverageWage,
        MisconductFinding,
    )
    tables: ClassVar[tuple[Table, ...]] = (
        ORGAN,
        UNIT,
        AUXILIARY,
        UNIT_HISTORY,
        SUPERVISOR_HISTORY,
        CREDENTIAL,
        INSURANCE,
        COMMENDATION,
        ASSESSMENT,
        SANCTION,
        SANCTION_LINK,
        HEADCOUNT,
        HIRE_COUNT,
        GRADE_COUNT,
        PAY_SCHEDULE,
        PAY,
        WAGE_REGION,
        AVERAGE_WAGE,
        MISCONDUCT,
        PROBATION,
        TRAINING,
        LEAVE,
    )
    flags = PERSONNEL_FLAGS
    owned_by: ClassVar[dict[type[Aggregate], tuple[str, ...]]] = {
        Organ: (ORGAN.name,),
        Auxiliary: (
            AUXILIARY.name,
            CREDENTIAL.name,
            SANCTION.name,
            INSURANCE.name,
            UNIT_HISTORY.name,
            SUPERVISOR_HISTORY.name,
            PROBATION.name,
            LEAVE.name,
            ASSESSMENT.name,
        ),
        MisconductFinding: (MISCONDUCT.name,),
    }

    def organ_of(self, state: State, event: LedgerEvent) -> str | None:
        """The organ of the record the event belongs to."""
        key = (event.originator_id,)
        if isinstance(event, Auxiliary.Event):
            row = state.get(AUXILIARY, key)
        elif isinstance(event, Organ.Event):
            row = state.get(ORGAN, key)
        elif isinstance(event, MisconductFinding.Event):
            row = state.get(MISCONDUCT, key)
        elif isinstance(event, PaySchedule.Event):
            row = state.get(PAY_SCHEDULE, key)
        else:
            row = None
        return row["organ"] if row is not None else event.actor.organ

    # ------------------------------------------------------------------ organs

    @handles(Organ.Registered)
    def _organ_registered(self, state: State, e: Organ.Registered, position: int) -> None:
        state.put(
            ORGAN,
            {
                "organ_id": e.originator_id,
                "organ": e.code,
                "organ_name": e.name,
                "region": e.region,
                "quota": None,
                "quota_since": None,
                "headcount": 0,
                "registered_on": e.effective,
            },
        )

    def _organ(self, state: State, e: Organ.Event) -> Row:
        return self.require(state.get(ORGAN, (e.originator_id,)), "organ", e.originator_id)

    @handles(Organ.UnitRegistered)
    def _unit_registered(self, state: State, e: Organ.UnitRegistered, position: int) -> None:
        organ = self._organ(state, e)
        state.add(
            UNIT,
            {
                "organ": organ["organ"],
                "unit": e.unit_code,
                "unit_name": e.unit_name,
                "registered_on": e.effective,
            },
        )

    @handles(Organ.QuotaSet, Organ.QuotaAdjusted)
    def _quota(self, state: State, e: Organ.QuotaSet | Organ.QuotaAdjusted, position: int) -> None:
        organ = self._organ(state, e)
        organ["quota"] = e.quota
        organ["quota_since"] = e.effective
        state.put(ORGAN, organ)

    @handles(Organ.SlotTaken)
    def _slot_taken(self, state: State, e: Organ.SlotTaken, position: int) -> None:
        organ = self._organ(state, e)
        organ["headcount"] += 1
        state.put(ORGAN, organ)

    @handles(Organ.SlotReleased)
    def _slot_released(self, state: State, e: Organ.SlotReleased, position: int) -> None:
        organ = self._organ(state, e)
        organ["headcount"] -= 1
        state.put(ORGAN, organ)

    # ------------------------------------------------------------------ auxiliaries

    def _aux(self, state: State, e: Auxiliary.Event) -> Row:
        row = self.require(state.get(AUXILIARY, (e.originator_id,)), "auxiliary", e.originator_id)
        row["version"] = e.originator_version
        return row

    def _touch(self, state: State, e: Auxiliary.Event) -> Row:
        row = self._aux(state, e)
        state.put(AUXILIARY, row)
        return row

    @handles(Auxiliary.Hired)
    def _hired(self, state: State, e: Auxiliary.Hired, position: int) -> None:
        day = e.effective
        state.put(
            AUXILIARY,
            {
                "auxiliary_id": e.originator_id,
                "name": e.name,
                "organ": e.organ,
                "unit": e.unit,
                "unit_since": day,
                "supervisor_id": e.supervisor_id,
                "supervisor_name": e.supervisor_name,
                "supervisor_since": day,
                "post_type": e.post_type,
                "post_category": post_category(PostType(e.post_type)).value,
                "post_since": day,
                "level": e.level,
                "level_since": day,
                "employment_form": e.employment_form,
                "contract_start": e.contract_start,
                "contract_end": e.contract_end,
                "hired_on": day,
                "status": AuxiliaryStatus.active.value,
                "suspended_by": None,
                "separated_on": None,
                "separation_reason": None,
                "commendations": 0,
                "sanctions_in_force": 0,
                "credentials_out": 0,
                "last_health_check": None,
                "health_reference": day,
                "accident_cover_from": None,
                "accident_cover_until": None,
                "pre_service_passed_to": None,
                "version": e.originator_version,
            },
        )
        self._unit_entry(state, e, e.unit)
        self._supervisor_entry(state, e, e.supervisor_id, e.supervisor_name)
        self._count(state, e.organ, e.unit, e.level, +1)
        _tally(state, HIRE_COUNT, {"organ": e.organ, "unit": e.unit, "hired_year": day.year}, +1)

    @staticmethod
    def _count(state: State, organ: str, unit: str, level: int, delta: int) -> None:
        _tally(state, HEADCOUNT, {"organ": organ, "unit": unit, "level": level}, delta)

    @staticmethod
    def _count_assessed(state: State, aux: Row, unit: str, delta: int) -> None:
        """Count (``delta`` +1) or uncount (-1) the auxiliary ``aux`` in ``unit``: in
        ``rm_hire_count`` and, with each of its grades, in ``rm_grade_count``."""
        organ = aux["organ"]
        hired = {"organ": organ, "unit": unit, "hired_year": aux["hired_on"].year}
        _tally(state, HIRE_COUNT, hired, delta)
        for graded in state.rows_of(ASSESSMENT, aux["auxiliary_id"]):
            key = {"organ": organ, "unit": unit, "year": graded["year"], "grade": graded["grade"]}
            _tally(state, GRADE_COUNT, key, delta)

    def _unit_entry(self, state: State, e: Auxiliary.Event, unit: str) -> None:
        state.put(
            UNIT_HISTORY,
            {
                "auxiliary_id": e.originator_id,
                "originator_version": e.originator_version,
                "effective": e.effective,
                "unit": unit,
            },
        )
        self._attribute_sanctions(state, e.originator_id, since=e.effective)

    def _supervisor_entry(
        self,
        state: State,
        e: Auxiliary.Event,
        supervisor_id: str | None,
        supervisor_name: str | None,
    ) -> None:
        state.put(
            SUPERVISOR_HISTORY,
            {
                "auxiliary_id": e.originator_id,
                "originator_version": e.originator_version,
                "effective": e.effective,
                "supervisor_id": supervisor_id,
                "supervisor_name": supervisor_name,
            },
        )
        self._attribute_sanctions(state, e.originator_id, since=e.effective)

    @staticmethod
    def _answering(state: State, auxiliary_id: UUID, day: date) -> tuple[Row | None, Row | None]:
        """The unit and supervisor entries in effect on ``day`` (latest effective, version)."""

        def in_effect(table: Table) -> Row | None:
            found = [r for r in state.rows_of(table, auxiliary_id) if r["effective"] <= day]
            return max(found, key=lambda r: (r["effective"], r["originator_version"]), default=None)

        return in_effect(UNIT_HISTORY), in_effect(SUPERVISOR_HISTORY)

    def _attribute(self, state: State, sanction: Row) -> bool:
        """Set who answered on the sanction's effective date; True if it changed."""
        unit, supervisor = self._answering(state, sanction["auxiliary_id"], sanction["effective"])
        answer = {
            "unit": unit["unit"] if unit else sanction["unit"],
            "supervisor_id": supervisor["supervisor_id"] if supervisor else None,
            "supervisor_name": supervisor["supervisor_name"] if supervisor else None,
        }
        changed = any(sanction.get(k) != v for k, v in answer.items())
        sanction.update(answer)
        return changed

    def _attribute_sanctions(self, state: State, auxiliary_id: UUID, *, since: date) -> None:
        # A backdated assignment can change who answered on a sanction's date.
        for sanction in state.rows_of(SANCTION, auxiliary_id):
            if sanction["effective"] >= since and self._attribute(state, sanction):
                state.put(SANCTION, sanction)

    @handles(Auxiliary.ContractRenewed)
    def _renewed(self, state: State, e: Auxiliary.ContractRenewed, position: int) -> None:
        row = self._aux(state, e)
        row["contract_end"] = e.contract_end
        state.put(AUXILIARY, row)

    @handles(Auxiliary.PostChanged)
    def _post_changed(self, state: State, e: Auxiliary.PostChanged, position: int) -> None:
        row = self._aux(state, e)
        if e.effective >= row["post_since"]:
            row["post_type"] = e.post_type
            row["post_category"] = post_category(PostType(e.post_type)).value
            row["post_since"] = e.effective
        state.put(AUXILIARY, row)

    @handles(Auxiliary.Transferred)
    def _transferred(self, state: State, e: Auxiliary.Transferred, position: int) -> None:
        row = self._aux(state, e)
        if e.effective >= row["unit_since"]:
            if row["unit"] != e.unit:
                self._count(state, row["organ"], row["unit"], row["level"], -1)
                self._count(state, row["organ"], e.unit, row["level"], +1)
                if row["separated_on"] is None:
                    self._count_assessed(state, row, row["unit"], -1)
                    self._count_assessed(state, row, e.unit, +1)
            row["unit"] = e.unit
            row["unit_since"] = e.effective
        self._current_supervisor(row, e, e.supervisor_id, e.supervisor_name)
        state.put(AUXILIARY, row)
        self.follow_auxiliary(state, row)
        self._unit_entry(state, e, e.unit)
        self._supervisor_entry(state, e, e.supervisor_id, e.supervisor_name)

    @staticmethod
    def _current_supervisor(
        row: Row, e: Auxiliary.Event, supervisor_id: str | None, supervisor_name: str | None
    ) -> None:
        if e.effective >= row["supervisor_since"]:
            row["supervisor_id"] = supervisor_id
            row["supervisor_name"] = supervisor_name
            row["supervisor_since"] = e.effective

    @handles(Auxiliary.SupervisorAssigned)
    def _supervisor_assigned(
        self, state: State, e: Auxiliary.SupervisorAssigned, position: int
    ) -> None:
        row = self._aux(state, e)
        self._current_supervisor(row, e, e.supervisor_id, e.supervisor_name)
        state.put(AUXILIARY, row)
        self._supervisor_entry(state, e, e.supervisor_id, e.supervisor_name)

    @handles(Auxiliary.SupervisorReleased)
    def _supervisor_released(
        self, state: State, e: Auxiliary.SupervisorReleased, position: int
    ) -> None:
        row = self._aux(state, e)
        self._current_supervisor(row, e, None, None)
        state.put(AUXILIARY, row)
        self._supervisor_entry(state, e, None, None)

    @handles(Auxiliary.LevelChanged)
    def _level_changed(self, state: State, e: Auxiliary.LevelChanged, position: int) -> None:
        row = self._aux(state, e)
        if e.effective >= row["level_since"]:
            if row["level"] != e.level:
                self._count(state, row["organ"], row["unit"], row["level"], -1)
                self._count(state, row["organ"], row["unit"], e.level, +1)
            row["level"] = e.level
            row["level_since"] = e.effective
        state.put(AUXILIARY, row)

    @handles(Auxiliary.Evaluated)
    def _evaluated(self, state: State, e: Auxiliary.Evaluated, position: int) -> None:
        row = self._aux(state, e)
        state.put(AUXILIARY, row)
        if state.get(ASSESSMENT, (e.originator_id, e.year)) is not None:
            raise DuplicateRowError(f"rm_assessment already has {e.year} of {e.originator_id}")
        state.put(
            ASSESSMENT,
            {
                "auxiliary_id": e.originator_id,
                "year": e.year,
                "organ": row["organ"],
                "unit": row["unit"],
                "grade": e.grade,
                "effective": e.effective,
                "originator_version": e.originator_version,
            },
        )
        if row["separated_on"] is None:
            key = {"organ": row["organ"], "unit": row["unit"], "year": e.year, "grade": e.grade}
            _tally(state, GRADE_COUNT, key, +1)

    @handles(
        Auxiliary.DutyInjuryRecorded,
        Auxiliary.CostAdvanced,
        Auxiliary.InfringementRecorded,
        Auxiliary.ReferredForProsecution,
        Auxiliary.PersonalDataCorrected,
    )
    def _version_only(self, state: State, e: Auxiliary.Event, position: int) -> None:
        # Nothing these events say is kept (injury details and personal corrections are
        # personal data); the row still records that the auxiliary moved on a version.
        state.put(AUXILIARY, self._aux(state, e))

    @handles(Auxiliary.SanctionAppealed)
    def _appealed(self, state: State, e: Auxiliary.SanctionAppealed, position: int) -> None:
        state.put(AUXILIARY, self._aux(state, e))
        self._sanction_update(state, e, appeal=AppealStatus.pending.value)

    @handles(Auxiliary.CredentialIssued)
    def _credential_issued(
        self, state: State, e: Auxiliary.CredentialIssued, position: int
    ) -> None:
        row = self._aux(state, e)
        row["credentials_out"] += 1
        state.put(AUXILIARY, row)
        state.put(
            CREDENTIAL,
            {
                "auxiliary_id": e.originator_id,
                "kind": e.kind,
                "serial": e.serial,
                "issued_on": e.effective,
                "credential_status": "active",
                "status_on": e.effective,
            },
        )

    @handles(Auxiliary.CredentialRevoked, Auxiliary.CredentialReturned)
    def _credential_changed(
        self,
        state: State,
        e: Auxiliary.CredentialRevoked | Auxiliary.CredentialReturned,
        position: int,
    ) -> None:
        row = self._aux(state, e)
        key = (e.originator_id, e.kind, e.serial)
        credential = self.require(state.get(CREDENTIAL, key), "credential", e.serial)
        returned = isinstance(e, Auxiliary.CredentialReturned)
        if returned and credential["credential_status"] != CREDENTIAL_RETURNED:
            row["credentials_out"] -= 1
        state.put(AUXILIARY, row)
        credential["credential_status"] = CREDENTIAL_RETURNED if returned else "revoked"
        credential["status_on"] = e.effective
        state.put(CREDENTIAL, credential)

    @handles(Auxiliary.InsuranceEnrolled)
    def _insured(self, state: State, e: Auxiliary.InsuranceEnrolled, position: int) -> None:
        row = self._aux(state, e)
        state.put(
            INSURANCE,
            {
                "auxiliary_id": e.originator_id,
                "originator_version": e.originator_version,
                "kind": e.kind,
                "insurer": e.insurer,
                "starts_on": e.start,
                "ends_on": e.end,
            },
        )
        if e.kind == ACCIDENT:
            intervals = [
                (r["starts_on"], r["ends_on"])
                for r in state.rows_of(INSURANCE, e.originator_id)
                if r["kind"] == ACCIDENT
            ]
            row["accident_cover_from"], row["accident_cover_until"] = _last_cover(intervals)
        state.put(AUXILIARY, row)

    @handles(Auxiliary.HealthChecked)
    def _health_checked(self, state: State, e: Auxiliary.HealthChecked, position: int) -> None:
        # Only the date: fitness and details are the auxiliary's personal data.
        row = self._aux(state, e)
        last = row["last_health_check"]
        if last is None or e.checked_on > last:
            row["last_health_check"] = e.checked_on
            row["health_reference"] = e.checked_on
        state.put(AUXILIARY, row)

    @handles(Auxiliary.Commended)
    def _commended(self, state: State, e: Auxiliary.Commended, position: int) -> None:
        row = self._aux(state, e)
        row["commendations"] += 1
        state.put(AUXILIARY, row)
        state.add(
            COMMENDATION,
            {
                "auxiliary_id": e.originator_id,
                "originator_version": e.originator_version,
                "organ": row["organ"],
                "unit": row["unit"],
                "kind": e.kind,
                "issuing_body": e.issuing_body,
                "effective": e.effective,
            },
        )

    @handles(Auxiliary.SanctionImposed)
    def _sanctioned(self, state: State, e: Auxiliary.SanctionImposed, position: int) -> None:
        row = self._aux(state, e)
        row["sanctions_in_force"] += 1
        if e.kind == SanctionKind.suspension.value:
            row["suspended_by"] = e.sanction_id
        row["status"] = _status(row)
        state.put(AUXILIARY, row)
        sanction = {
            "auxiliary_id": e.originator_id,
            "sanction_id": e.sanction_id,
            "organ": row["organ"],
            "unit": row["unit"],
            "supervisor_id": None,
            "supervisor_name": None,
            "kind": e.kind,
            "effective": e.effective,
            "until_on": e.until,
            "document_number": e.document_number,
            "sanction_status": SanctionStatus.in_force.value,
            "appeal": AppealStatus.not_appealed.value,
        }
        self._attribute(state, sanction)
        state.put(SANCTION, sanction)
        for ref in e.linked_findings:
            complaint_id, number = ref.rsplit(":", 1)
            state.add(
                SANCTION_LINK,
                {
                    "auxiliary_id": e.originator_id,
                    "sanction_id": e.sanction_id,
                    "complaint_id": UUID(complaint_id),
                    "allegation_number": int(number),
                },
            )

    def _sanction_update(self, state: State, e: _SanctionEvent, **changes: Any) -> Row:
        key = (e.originator_id, e.sanction_id)
        sanction = self.require(state.get(SANCTION, key), "sanction", e.sanction_id)
        sanction.update(changes)
        state.put(SANCTION, sanction)
        return sanction

    def _lift(self, state: State, e: _SanctionEvent, row: Row, status: str, **changes: Any) -> None:
        self._sanction_update(state, e, sanction_status=status, **changes)
        row["sanctions_in_force"] -= 1
        if row["suspended_by"] == e.sanction_id:
            row["suspended_by"] = None
        row["status"] = _status(row)

    @handles(Auxiliary.AppealDecided)
    def _appeal_decided(self, state: State, e: Auxiliary.AppealDecided, position: int) -> None:
        row = self._aux(state, e)
        if e.upheld:
            self._sanction_update(state, e, appeal=AppealStatus.upheld.value)
        else:
            self._lift(
                state,
                e,
                row,
                SanctionStatus.overturned.value,
                appeal=AppealStatus.overturned.value,
            )
        state.put(AUXILIARY, row)

    @handles(Auxiliary.SanctionRevoked)
    def _sanction_revoked(self, state: State, e: Auxiliary.SanctionRevoked, position: int) -> None:
        row = self._aux(state, e)
        self._lift(state, e, row, SanctionStatus.revoked.value)
        state.put(AUXILIARY, row)

    @handles(Auxiliary.Reinstated)
    def _reinstated(self, state: State, e: Auxiliary.Reinstated, position: int) -> None:
        row = self._aux(state, e)
        row["suspended_by"] = None
        row["status"] = _status(row)
        state.put(AUXILIARY, row)

    @handles(Auxiliary.Separated)
    def _separated(self, state: State, e: Auxiliary.Separated, position: int) -> None:
        row = self._aux(state, e)
        if row["separated_on"] is None:
            self._count(state, row["organ"], row["unit"], row["level"], -1)
            self._count_assessed(state, row, row["unit"], -1)
        row["separated_on"] = e.effective
        row["separation_reason"] = e.reason
        row["status"] = _status(row)
        state.put(AUXILIARY, row)
        self.follow_auxiliary(state, row)

    @handles(Auxiliary.Corrected)
    def _corrected(self, state: State, e: Auxiliary.Corrected, position: int) -> None:
        row = self._aux(state, e)
        if e.field in ("name", "contract_start", "contract_end"):
            row[e.field] = e.value
        state.put(AUXILIARY, row)
        self.follow_auxiliary(state, row)

    # ------------------------------------------------------------------ pay and wages

    @handles(PaySchedule.Opened)
    def _pay_opened(self, state: State, e: PaySchedule.Opened, position: int) -> None:
        state.put(PAY_SCHEDULE, {"schedule_id": e.originator_id, "organ": e.organ})

    @handles(PaySchedule.ScheduleSet)
    def _pay_set(self, state: State, e: PaySchedule.ScheduleSet, position: int) -> None:
        schedule = self.require(
            state.get(PAY_SCHEDULE, (e.originator_id,)), "pay schedule", e.originator_id
        )
        for level, amount in e.monthly_by_level.items():
            state.put(
                PAY,
                {
                    "organ": schedule["organ"],
                    "year": e.year,
                    "level": int(level),
                    "monthly": amount,
                    "set_on": e.effective,
                },
            )

    @handles(LocalAverageWage.Opened)
    def _wage_opened(self, state: State, e: LocalAverageWage.Opened, position: int) -> None:
        state.put(WAGE_REGION, {"record_id": e.originator_id, "region": e.region})

    @handles(LocalAverageWage.WageRecorded)
    def _wage_recorded(self, state: State, e: LocalAverageWage.WageRecorded, position: int) -> None:
        record = self.require(
            state.get(WAGE_REGION, (e.originator_id,)), "wage record", e.originator_id
        )
        state.put(
            AVERAGE_WAGE,
            {
                "region": record["region"],
                "year": e.year,
                "annual": e.annual_amount,
                "recorded_on": e.effective,
            },
        )

    # ------------------------------------------------------------------ misconduct

    @handles(MisconductFinding.Recorded)
    def _misconduct(self, state: State, e: MisconductFinding.Recorded, position: int) -> None:
        state.put(
            MISCONDUCT,
            {
                "finding_id": e.originator_id,
                "official_id": e.official_id,
                "official_name": e.official_name,
                "official_role": e.official_role,
                "organ": e.organ,
                "unit": e.unit,
                "kind": e.kind,
                "effective": e.effective,
                "decision": e.decision,
                "decision_on": e.effective,
                "amendments": 0,
            },
        )

    @handles(MisconductFinding.DecisionAmended)
    def _misconduct_amended(
        self, state: State, e: MisconductFinding.DecisionAmended, position: int
    ) -> None:
        row = self.require(state.get(MISCONDUCT, (e.originator_id,)), "finding", e.originator_id)
        row["decision"] = e.decision
        row["decision_on"] = e.effective
        row["amendments"] += 1
        state.put(MISCONDUCT, row)
