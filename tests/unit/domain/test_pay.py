"""Pay schedules by level and the local average wage (Art. 7)."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid5

import pytest

from domain.commands.pay import RecordAverageWage, SetPaySchedule
from domain.errors import (
    InvalidFieldError,
    InvalidPayScheduleError,
    NotAuthorisedError,
    OutsideScopeError,
)
from domain.pay import LocalAverageWage, PaySchedule
from domain.values import ID_NAMESPACE, Actor

from .support import (
    ESTABLISHMENT,
    ORGAN_CODE,
    OTHER_PERSONNEL,
    PERSONNEL,
    UNIT_A_ACTOR,
    E,
    rec,
    refused,
    refused_creation,
)

SCALE = {str(level): Decimal(4000 + 300 * level) for level in range(1, 11)}


@pytest.fixture
def schedule() -> PaySchedule:
    schedule = PaySchedule.open(rec(PERSONNEL), organ_code=ORGAN_CODE)
    schedule.collect_events()
    return schedule


def test_open_pay_schedule() -> None:
    schedule = PaySchedule.open(rec(PERSONNEL), organ_code=ORGAN_CODE)
    assert schedule.id == PaySchedule.id_for(ORGAN_CODE)
    assert schedule.id == uuid5(ID_NAMESPACE, "pay-schedule:" + ORGAN_CODE)
    assert schedule.organ == ORGAN_CODE
    assert schedule.years == ()


def test_only_the_organs_personnel_department_opens_it() -> None:
    refused_creation(
        NotAuthorisedError, PaySchedule.open, rec(ESTABLISHMENT), organ_code=ORGAN_CODE
    )
    refused_creation(
        OutsideScopeError, PaySchedule.open, rec(OTHER_PERSONNEL), organ_code=ORGAN_CODE
    )


def test_set_schedule(schedule: PaySchedule) -> None:
    schedule.set_schedule(rec(PERSONNEL), SetPaySchedule(year=2024, monthly_by_level=SCALE))
    assert schedule.years == (2024,)
    assert schedule.monthly(2024, 3) == Decimal(4900)
    assert schedule.monthly(2024, 11) is None
    assert schedule.monthly(2023, 3) is None
    assert schedule.schedule_for(2024) == {int(k): v for k, v in SCALE.items()}
    [event] = schedule.collect_events()
    assert isinstance(event, PaySchedule.ScheduleSet)
    assert list(event.monthly_by_level) == [str(n) for n in range(1, 11)]


def test_a_later_schedule_for_the_same_year_supersedes(schedule: PaySchedule) -> None:
    schedule.set_schedule(rec(PERSONNEL), SetPaySchedule(year=2024, monthly_by_level=SCALE))
    raised = {k: v + 100 for k, v in SCALE.items()}
    schedule.set_schedule(rec(PERSONNEL), SetPaySchedule(year=2024, monthly_by_level=raised))
    assert schedule.monthly(2024, 1) == Decimal(4400)
    assert len(schedule.collect_events()) == 2


def refused_schedule(
    schedule: PaySchedule,
    error: type[E],
    monthly_by_level: object = SCALE,
    *,
    actor: Actor = PERSONNEL,
    year: int = 2024,
) -> E:
    """Setting ``year``'s schedule to ``monthly_by_level`` as ``actor`` is refused with exactly
    ``error``, and nothing is recorded."""
    command = SetPaySchedule(year=year, monthly_by_level=monthly_by_level)  # type: ignore[arg-type]
    return refused(schedule, error, schedule.set_schedule, rec(actor), command)


def test_every_level_needs_an_amount(schedule: PaySchedule) -> None:
    partial = {k: v for k, v in SCALE.items() if k != "7"}
    error = refused_schedule(schedule, InvalidPayScheduleError, partial)
    assert str(error) == "every level of the scheme needs an amount; missing: 7"


def test_levels_outside_the_scheme_are_refused(schedule: PaySchedule) -> None:
    refused_schedule(schedule, InvalidPayScheduleError, {**SCALE, "11": Decimal(9000)})


@pytest.mark.parametrize("same_or_lower", [Decimal(4900), Decimal(4800)])
def test_pay_rises_strictly_with_the_level(schedule: PaySchedule, same_or_lower: Decimal) -> None:
    error = refused_schedule(schedule, InvalidPayScheduleError, {**SCALE, "4": same_or_lower})
    assert str(error) == (
        "the amount for level 4 must be higher than for level 3: "
        "levels must show a real gap in pay (Art. 7)"
    )


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({int(k): v for k, v in SCALE.items()}, "monthly_by_level"),
        ({**SCALE, "1": 4300.0}, "monthly_by_level[1]"),
        ({**SCALE, "1": Decimal(0)}, "monthly_by_level[1]"),
        ([("1", Decimal(1))], "monthly_by_level"),
    ],
)
def test_schedule_entries_are_checked(schedule: PaySchedule, mapping: object, field: str) -> None:
    assert refused_schedule(schedule, InvalidFieldError, mapping).field == field


def test_the_year_is_checked(schedule: PaySchedule) -> None:
    refused_schedule(schedule, InvalidFieldError, year=1800)


def test_only_the_organs_personnel_department_sets_pay(schedule: PaySchedule) -> None:
    refused_schedule(schedule, NotAuthorisedError, actor=UNIT_A_ACTOR)
    refused_schedule(schedule, OutsideScopeError, actor=OTHER_PERSONNEL)


# ----------------------------------------------------------------- local average wage


@pytest.fixture
def wage() -> LocalAverageWage:
    wage = LocalAverageWage.open(rec(PERSONNEL), region="测试市")
    wage.collect_events()
    return wage


def refused_wage(
    wage: LocalAverageWage, error: type[E], amount: object, *, actor: Actor = PERSONNEL
) -> E:
    """Recording 2023's wage as ``amount`` as ``actor`` is refused with exactly ``error``."""
    command = RecordAverageWage(year=2023, annual_amount=amount)  # type: ignore[arg-type]
    return refused(wage, error, wage.record, rec(actor), command)


def test_local_average_wage_and_the_art_7_floor() -> None:
    wage = LocalAverageWage.open(rec(ESTABLISHMENT), region="测试市")
    assert wage.id == LocalAverageWage.id_for("测试市")
    wage.record(rec(PERSONNEL), RecordAverageWage(year=2023, annual_amount=Decimal("98765.00")))
    assert wage.annual(2023) == Decimal("98765.00")
    assert wage.floor_for(2024) == Decimal("98765.00")
    assert wage.floor_for(2023) is None
    wage.record(rec(ESTABLISHMENT), RecordAverageWage(year=2023, annual_amount=Decimal("99000")))
    assert wage.annual(2023) == Decimal(99000)
    events = wage.collect_events()
    assert [type(e).__name__ for e in events] == ["Opened", "WageRecorded", "WageRecorded"]


def test_only_personnel_or_establishment_record_the_wage(wage: LocalAverageWage) -> None:
    refused_creation(NotAuthorisedError, LocalAverageWage.open, rec(UNIT_A_ACTOR), region="r")
    refused_wage(wage, NotAuthorisedError, Decimal(1), actor=UNIT_A_ACTOR)


@pytest.mark.parametrize("amount", [Decimal(-1), Decimal(0), 98765])
def test_the_wage_is_a_positive_decimal(wage: LocalAverageWage, amount: object) -> None:
    assert refused_wage(wage, InvalidFieldError, amount).field == "annual_amount"
