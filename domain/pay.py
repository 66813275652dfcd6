"""Pay: the organ's pay schedule by level and the local average wage (Art. 7).

Invariants kept here:

- An organ has one pay schedule record (``PaySchedule.id_for(organ_code)``), opened and kept by
  the organ's personnel department.
- A year's schedule gives a monthly amount for every level of the policy's level scheme and for
  no other level, keyed by the level as a decimal string; amounts are positive yuan with at
  most two decimal places, and rise strictly with the level (Art. 7: levels show real gaps).
- Setting a year again supersedes the earlier schedule for that year; both stay on record.
- A region has one local-average-wage record (``LocalAverageWage.id_for(region)``), kept by the
  personnel department or the establishment authority of any organ; the figure for a year is a
  positive annual amount, and a later figure for the same year supersedes the earlier one.
- The floor for the auxiliaries' average wage in year Y is the local average wage of year Y-1
  (Art. 7); it is unknown until that figure is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.authority import require_organ, require_role
from domain.checks import amount_of_money, identifier, short_text
from domain.checks import year as calendar_year
from domain.errors import InvalidFieldError, InvalidPayScheduleError
from domain.events import LedgerCreated, LedgerEvent, Recording
from domain.policy import Policy
from domain.values import ID_NAMESPACE, Role

if TYPE_CHECKING:
    from domain.commands.pay import RecordAverageWage, SetPaySchedule

__all__ = ["LocalAverageWage", "PaySchedule"]


def _schedule(monthly_by_level: object, policy: Policy) -> dict[str, Decimal]:
    if not isinstance(monthly_by_level, Mapping):
        raise InvalidFieldError(
            "monthly_by_level",
            "must map levels (as text) to amounts",
            zh="须逐一列明各层级对应的月薪金额",
        )
    by_level: dict[int, Decimal] = {}
    for key, amount in monthly_by_level.items():
        if not isinstance(key, str) or not key.isascii() or not key.isdigit():
            raise InvalidFieldError(
                "monthly_by_level", "keys must be levels written as digits", zh="层级须以数字表示"
            )
        level = int(key)
        if level not in policy.levels:
            raise InvalidPayScheduleError(
                f"level {level} is outside the level scheme "
                f"{policy.levels.lowest}-{policy.levels.highest} (Art. 11)"
            )
        if level in by_level:
            raise InvalidPayScheduleError(f"level {level} is given more than once")
        by_level[level] = amount_of_money(f"monthly_by_level[{level}]", amount)
    missing = [lvl for lvl in policy.levels.levels() if lvl not in by_level]
    if missing:
        raise InvalidPayScheduleError(
            "every level of the scheme needs an amount; missing: "
            + ", ".join(str(lvl) for lvl in missing)
        )
    levels = list(policy.levels.levels())
    for lower, higher in pairwise(levels):
        if by_level[higher] <= by_level[lower]:
            raise InvalidPayScheduleError(
                f"the amount for level {higher} must be higher than for level {lower}: "
                "levels must show a real gap in pay (Art. 7)"
            )
    return {str(lvl): by_level[lvl] for lvl in levels}


class PaySchedule(Aggregate):
    """An organ's monthly pay by level, year by year (Art. 7)."""

    def __init__(self) -> None:
        self.organ: str = ""
        self._schedules: dict[int, dict[int, Decimal]] = {}

    class Event(LedgerEvent):
        """Base of the pay schedule's events."""

    class Opened(Event, LedgerCreated):
        """The organ's pay schedule record was opened."""

        organ: str

        def apply(self, aggregate: PaySchedule) -> None:
            aggregate.organ = self.organ

    class ScheduleSet(Event):
        """The monthly pay by level for a year was set (Art. 7)."""

        year: int
        monthly_by_level: dict[str, Decimal]

        def apply(self, aggregate: PaySchedule) -> None:
            aggregate._schedules[self.year] = {
                int(level): amount for level, amount in self.monthly_by_level.items()
            }

    @staticmethod
    def id_for(organ_code: str) -> UUID:
        """The id of the pay schedule of the organ with the given code."""
        return uuid5(ID_NAMESPACE, "pay-schedule:" + organ_code)

    @classmethod
    def open(cls, rec: Recording, *, organ_code: str) -> PaySchedule:
        """Open the organ's pay schedule record (personnel department of that organ)."""
        code = identifier("organ_code", organ_code)
        _authorise(rec, code)
        return cls._create(cls.Opened, id=cls.id_for(code), **rec.fields(), organ=code)

    def set_schedule(self, rec: Recording, cmd: SetPaySchedule) -> None:
        """Set the monthly pay by level for a year (personnel department, Art. 7)."""
        _authorise(rec, self.organ)
        checked_year = calendar_year("year", cmd.year)
        self.trigger_event(
            self.ScheduleSet,
            **rec.fields(),
            year=checked_year,
            monthly_by_level=_schedule(cmd.monthly_by_level, rec.policy),
        )

    @property
    def years(self) -> tuple[int, ...]:
        """Years with a schedule, in order."""
        return tuple(sorted(self._schedules))

    def schedule_for(self, year: int) -> dict[int, Decimal] | None:
        """Monthly amount by level for a year, or None if no schedule was set."""
        schedule = self._schedules.get(year)
        return dict(schedule) if schedule is not None else None

    def monthly(self, year: int, level: int) -> Decimal | None:
        """The monthly amount for a level in a year, or None if unknown."""
        return self._schedules.get(year, {}).get(level)


def _authorise(rec: Recording, organ_code: str) -> None:
    require_role(rec.actor, (Role.personnel,), action="set a pay schedule", article="Art. 7")
    require_organ(rec.actor, organ_code)


class LocalAverageWage(Aggregate):
    """The local average wage of employed workers, year by year, for a region (Art. 7)."""

    def __init__(self) -> None:
        self.region: str = ""
        self._annual: dict[int, Decimal] = {}

    class Event(LedgerEvent):
        """Base of the local average wage's events."""

    class Opened(Event, LedgerCreated):
        """The region's local-average-wage record was opened."""

        region: str

        def apply(self, aggregate: LocalAverageWage) -> None:
            aggregate.region = self.region

    class WageRecorded(Event):
        """The annual local average wage for a year was recorded (Art. 7)."""

        year: int
        annual_amount: Decimal

        def apply(self, aggregate: LocalAverageWage) -> None:
            aggregate._annual[self.year] = self.annual_amount

    @staticmethod
    def id_for(region: str) -> UUID:
        """The id of the local-average-wage record of a region."""
        return uuid5(ID_NAMESPACE, "local-average-wage:" + region)

    @classmethod
    def open(cls, rec: Recording, *, region: str) -> LocalAverageWage:
        """Open a region's record (personnel department or establishment authority)."""
        _authorise_wage(rec)
        checked = short_text("region", region)
        return cls._create(cls.Opened, id=cls.id_for(checked), **rec.fields(), region=checked)

    def record(self, rec: Recording, cmd: RecordAverageWage) -> None:
        """Record the annual local average wage for a year (Art. 7)."""
        _authorise_wage(rec)
        self.trigger_event(
            self.WageRecorded,
            **rec.fields(),
            year=calendar_year("year", cmd.year),
            annual_amount=amount_of_money("annual_amount", cmd.annual_amount),
        )

    def annual(self, year: int) -> Decimal | None:
        """The annual local average wage for a year, or None if not recorded."""
        return self._annual.get(year)

    def floor_for(self, year: int) -> Decimal | None:
        """The annual floor for the auxiliaries' average wage in ``year``: last year's figure."""
        return self._annual.get(year - 1)


def _authorise_wage(rec: Recording) -> None:
    require_role(
        rec.actor,
        (Role.personnel, Role.establishment),
        action="record the local average wage",
        article="Art. 7",
    )
