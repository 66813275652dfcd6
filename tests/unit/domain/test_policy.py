"""Local policy: documented defaults, rule sets, deadlines and the working calendar."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidFieldError, InvalidPolicyError, LevelOutOfSchemeError
from domain.policy import (
    NANTONG_2018,
    NANTONG_2023,
    ComplaintPolicy,
    EarlyWarningPolicy,
    HealthCheckPolicy,
    LevelScheme,
    Policy,
    RuleSet,
    WorkingCalendar,
    add_months,
)
from domain.values import ComplaintStatus


def test_defaults_are_the_documented_ones() -> None:
    policy = Policy.default()
    assert policy == Policy()
    assert (policy.levels.lowest, policy.levels.highest) == (1, 10)
    assert policy.rules == (NANTONG_2023,)
    assert (
        RuleSet(
            "nantong-2023",
            "南通市公安机关警务辅助人员管理实施办法",
            "通政规〔2023〕1号",
            date(2023, 3, 1),
            date(2027, 12, 31),
        )
        == NANTONG_2023
    )
    assert policy.complaints == ComplaintPolicy(1, 30, 5)
    assert policy.early_warning == EarlyWarningPolicy("ew-2026.1", 12, 3, 2)
    assert policy.health == HealthCheckPolicy(12)
    assert policy.calendar == WorkingCalendar(frozenset(), frozenset())


@pytest.mark.parametrize("level", [1, 5, 10])
def test_levels_within_the_scheme_pass(level: int) -> None:
    assert LevelScheme().check(level) == level
    assert level in LevelScheme()


@pytest.mark.parametrize("level", [0, 11, -1, True, "3", 2.0, None])
def test_levels_outside_the_scheme_are_refused(level: object) -> None:
    with pytest.raises(LevelOutOfSchemeError) as info:
        LevelScheme().check(level)
    assert "1 to 10" in str(info.value)
    assert level not in LevelScheme()


def test_a_twelve_level_scheme_is_configurable() -> None:
    scheme = LevelScheme(1, 12)
    assert scheme.check(12) == 12
    assert list(scheme.levels()) == list(range(1, 13))


@pytest.mark.parametrize(("lowest", "highest"), [(0, 10), (5, 4)])
def test_inconsistent_level_schemes_are_refused(lowest: int, highest: int) -> None:
    with pytest.raises(InvalidPolicyError):
        LevelScheme(lowest, highest)


def test_rule_set_covers_its_period_inclusive() -> None:
    assert not NANTONG_2023.covers(date(2023, 2, 28))
    assert NANTONG_2023.covers(date(2023, 3, 1))
    assert NANTONG_2023.covers(date(2027, 12, 31))
    assert not NANTONG_2023.covers(date(2028, 1, 1))


def test_rule_for_falls_back_to_the_only_rule_set_outside_its_period() -> None:
    policy = Policy.default()
    assert policy.rule_for(date(2024, 6, 1)) is NANTONG_2023
    assert policy.rule_for(date(2022, 6, 1)) is NANTONG_2023
    assert policy.rule_for(date(2028, 6, 1)) is NANTONG_2023


def test_rule_for_picks_the_rule_set_in_force_on_the_date() -> None:
    later = RuleSet(
        "nantong-2028", "后续办法", "通政规〔2028〕1号", date(2028, 1, 1), date(2032, 12, 31)
    )
    policy = Policy(rules=(later, NANTONG_2023, NANTONG_2018))
    assert policy.rule_for(date(2020, 5, 1)) is NANTONG_2018
    assert policy.rule_for(date(2023, 2, 28)) is NANTONG_2018
    assert policy.rule_for(date(2023, 3, 1)) is NANTONG_2023
    assert policy.rule_for(date(2028, 1, 1)) is later
    assert policy.rule_for(date(2040, 1, 1)) is later  # latest started, flagged by projections
    assert policy.rule_for(date(2010, 1, 1)) is NANTONG_2018  # before all: the earliest


def test_overlapping_rule_sets_resolve_to_the_latest_starting() -> None:
    amendment = RuleSet(
        "nantong-2023-a1", "修订", "通政规〔2025〕3号", date(2025, 7, 1), date(2027, 12, 31)
    )
    policy = Policy(rules=(NANTONG_2023, amendment))
    assert policy.rule_for(date(2025, 6, 30)) is NANTONG_2023
    assert policy.rule_for(date(2025, 7, 1)) is amendment


def test_policy_refuses_no_rules_or_duplicate_ids() -> None:
    with pytest.raises(InvalidPolicyError):
        Policy(rules=())
    with pytest.raises(InvalidPolicyError):
        Policy(rules=(NANTONG_2023, NANTONG_2023))
    with pytest.raises(InvalidPolicyError):
        RuleSet("x", "t", "d", date(2024, 1, 2), date(2024, 1, 1))


# 2024 National Day: 10-01..10-07 off; Sunday 09-29 and Saturday 10-12 are working days (调休).
NATIONAL_DAY_2024 = WorkingCalendar(
    holidays=frozenset(date(2024, 10, d) for d in range(1, 8)),
    extra_working_days=frozenset({date(2024, 9, 29), date(2024, 10, 12)}),
)


def test_weekends_are_not_working_days_unless_made_up() -> None:
    plain = WorkingCalendar()
    assert plain.is_working_day(date(2024, 9, 27))  # Friday
    assert not plain.is_working_day(date(2024, 9, 28))  # Saturday
    assert not plain.is_working_day(date(2024, 9, 29))  # Sunday
    assert NATIONAL_DAY_2024.is_working_day(date(2024, 9, 29))
    assert not NATIONAL_DAY_2024.is_working_day(date(2024, 10, 1))  # Tuesday, holiday


def test_add_working_days_skips_weekends_and_holidays() -> None:
    plain = WorkingCalendar()
    assert plain.add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 30)
    assert plain.add_working_days(date(2024, 9, 27), 0) == date(2024, 9, 27)
    assert NATIONAL_DAY_2024.add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert NATIONAL_DAY_2024.add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert NATIONAL_DAY_2024.add_working_days(date(2024, 10, 11), 1) == date(2024, 10, 12)


def test_add_working_days_refuses_negative_counts() -> None:
    with pytest.raises(InvalidFieldError):
        WorkingCalendar().add_working_days(date(2024, 9, 27), -1)


def test_a_day_cannot_be_both_holiday_and_working_day() -> None:
    day = date(2024, 10, 1)
    with pytest.raises(InvalidPolicyError):
        WorkingCalendar(frozenset({day}), frozenset({day}))


def test_complaint_deadlines() -> None:
    complaints = ComplaintPolicy()
    assert complaints.acknowledge_due(date(2024, 9, 30), NATIONAL_DAY_2024) == date(2024, 10, 8)
    assert complaints.conclude_due(date(2024, 3, 1)) == date(2024, 3, 31)
    assert complaints.notify_due(date(2024, 3, 31)) == date(2024, 4, 5)
    with pytest.raises(InvalidPolicyError):
        ComplaintPolicy(conclude_days=-1)


MAR_1, MAR_20, APR_10, APR_15 = (
    date(2024, 3, 1),
    date(2024, 3, 20),
    date(2024, 4, 10),
    date(2024, 4, 15),
)
"""A Friday receipt, a result, a reopening and a review's due date."""


def _steps(
    status: ComplaintStatus,
    *,
    reopened_on: date | None = None,
    concluded_on: date | None = None,
    declined_on: date | None = None,
    review_due: date | None = None,
) -> dict[str, date]:
    owed = ComplaintPolicy().steps_due(
        status,
        received_on=MAR_1,
        reopened_on=reopened_on,
        concluded_on=concluded_on,
        declined_on=declined_on,
        review_due=review_due,
        working_calendar=WorkingCalendar(),
    )
    return dict(owed)


S = ComplaintStatus


@pytest.mark.parametrize(
    ("status", "reopened_on", "expected"),
    [
        # First round: acknowledge the next working day (Friday -> Monday), conclude in 30.
        (S.received, None, {"acknowledge": date(2024, 3, 4), "conclude": date(2024, 3, 31)}),
        (S.acknowledged, None, {"conclude": date(2024, 3, 31)}),
        (S.accepted, None, {"conclude": date(2024, 3, 31)}),
        (S.under_investigation, None, {"conclude": date(2024, 3, 31)}),
        # A later round: the conclusion counted from the reopening; acknowledging, owed only
        # by a complaint never acknowledged, from the receipt still.
        (S.received, APR_10, {"acknowledge": date(2024, 3, 4), "conclude": date(2024, 5, 10)}),
        (S.acknowledged, APR_10, {"conclude": date(2024, 5, 10)}),
        (S.accepted, APR_10, {"conclude": date(2024, 5, 10)}),
        (S.under_investigation, APR_10, {"conclude": date(2024, 5, 10)}),
        # Nothing owed once the complainant was told, or withdrew.
        (S.complainant_notified, None, {}),
        (S.closed, APR_10, {}),
        (S.withdrawn, APR_10, {}),
    ],
)
def test_steps_due_by_status_and_round(
    status: ComplaintStatus, reopened_on: date | None, expected: dict[str, date]
) -> None:
    assert _steps(status, reopened_on=reopened_on) == expected


def test_steps_due_tell_the_result_from_that_rounds_result() -> None:
    assert _steps(S.concluded, concluded_on=MAR_20) == {"notify": date(2024, 3, 25)}
    assert _steps(S.concluded, reopened_on=APR_10, concluded_on=APR_15) == {
        "notify": date(2024, 4, 20)
    }
    assert _steps(S.not_accepted, declined_on=MAR_20) == {"notify": date(2024, 3, 25)}
    # A complaint declined, reopened and accepted owes the conclusion, not the notice.
    assert _steps(S.accepted, reopened_on=APR_10, declined_on=MAR_20) == {
        "conclude": date(2024, 5, 10)
    }


def test_steps_due_end_with_a_pending_review() -> None:
    assert list(_steps(S.closed, review_due=APR_15).items()) == [("review", APR_15)]
    assert list(_steps(S.complainant_notified, review_due=APR_15)) == ["review"]


def test_the_conclusion_is_counted_from_the_rounds_start() -> None:
    complaints = ComplaintPolicy(conclude_days=10)
    assert complaints.conclude_from(MAR_1, None) == MAR_1
    assert complaints.conclude_from(MAR_1, APR_10) == APR_10
    assert complaints.conclude_due(complaints.conclude_from(MAR_1, APR_10)) == date(2024, 4, 20)


def test_early_warning_window_and_thresholds() -> None:
    warning = EarlyWarningPolicy()
    assert warning.window_start(date(2024, 3, 1)) == date(2023, 3, 2)
    assert not warning.exceeded(complaints=3, sustained=2)
    assert warning.exceeded(complaints=4, sustained=0)
    assert warning.exceeded(complaints=0, sustained=3)


def test_health_check_due_dates_clamp_to_month_end() -> None:
    assert HealthCheckPolicy().next_due(date(2024, 2, 29)) == date(2025, 2, 28)
    assert HealthCheckPolicy(6).next_due(date(2024, 8, 31)) == date(2025, 2, 28)
    with pytest.raises(InvalidPolicyError):
        HealthCheckPolicy(0)


def test_add_months_both_ways() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 15), -13) == date(2022, 12, 15)
