"""The demo's simulated clock: every step of a day is recorded on that day, in order.

A command's effective date defaults to the clock's China date, so a step recorded after
midnight would be effective a day late -- at 100,000 officers the first day has more than
54,000 steps (15 hours of seconds), and an acknowledgement then preceded its complaint."""

from datetime import date

from api.demo.simulation import SECOND_A_STEP, step_instant
from domain.values import china_date

DAY = date(2024, 1, 2)
TICKS = (0, 1, SECOND_A_STEP - 1, SECOND_A_STEP, SECOND_A_STEP + 1, 54_000, 10**6, 10**9)


def test_every_step_of_a_day_is_recorded_on_that_day() -> None:
    assert {china_date(step_instant(DAY, tick)) for tick in TICKS} == {DAY}


def test_steps_are_recorded_in_order() -> None:
    instants = [step_instant(DAY, tick) for tick in TICKS]
    assert instants == sorted(instants)
    assert len(set(instants)) == len(instants)


def test_a_small_day_keeps_a_second_a_step_from_nine() -> None:
    assert step_instant(DAY, 0).isoformat() == "2024-01-02T09:00:00+08:00"
    assert step_instant(DAY, 61).isoformat() == "2024-01-02T09:01:01+08:00"
