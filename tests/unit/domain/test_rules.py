"""Rules as data: parsing a rule file's mapping, consistency of periods, 2018 vs 2023, expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.commands.rules import LoadRuleSet
from domain.errors import (
    DuplicateRecordError,
    InvalidRuleSetError,
    LevelOutOfSchemeError,
    NotAuthorisedError,
)
from domain.events import recording
from domain.policy import (
    NANTONG_2018,
    NANTONG_2023,
    LevelScheme,
    Policy,
    RuleExpiry,
)
from domain.rules import Rules, parse_rule_set
from domain.values import Actor

from .support import PERSONNEL

ADMIN = Actor(actor_id="op-1", role="admin", organ="ledger", unit=None)
AT = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def rule_file(**changes: Any) -> dict[str, Any]:
    """A valid rule file's mapping (as tomllib gives it), with changes."""
    data: dict[str, Any] = {
        "format": 1,
        "id": "nantong-2023",
        "title": "南通市公安机关警务辅助人员管理实施办法",
        "document": "通政规〔2023〕1号",
        "effective_from": date(2023, 3, 1),
        "effective_until": date(2027, 12, 31),
        "levels": {"lowest": 1, "highest": 12},
        "complaints": {
            "acknowledge_working_days": 2,
            "conclude_days": 20,
            "notify_days_after_finding": 3,
        },
        "early_warning": {
            "rule_version": "ew-2027.1",
            "window_months": 6,
            "max_complaints": 2,
            "max_sustained": 1,
        },
        "health": {"max_age_months": 24},
        "calendar": {
            "holidays": [date(2024, 10, d) for d in range(1, 8)],
            "extra_working_days": [date(2024, 9, 29), date(2024, 10, 12)],
        },
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


DEFAULT = Policy.default()


def rec(effective: date, policy: Policy = DEFAULT, actor: Actor = ADMIN) -> Any:
    return recording(actor=actor, at=AT, effective=effective, basis=None, policy=policy)


def test_a_full_rule_file_gives_every_part() -> None:
    rule = parse_rule_set(rule_file())
    assert (rule.rule_id, rule.effective_from, rule.effective_until) == (
        "nantong-2023",
        date(2023, 3, 1),
        date(2027, 12, 31),
    )
    assert rule.levels == LevelScheme(1, 12)
    assert rule.complaints is not None and rule.complaints.conclude_days == 20
    assert rule.early_warning is not None and rule.early_warning.rule_version == "ew-2027.1"
    assert rule.health is not None and rule.health.max_age_months == 24
    assert rule.calendar is not None
    assert not rule.calendar.is_working_day(date(2024, 10, 1))
    assert rule.calendar.is_working_day(date(2024, 9, 29))


def test_json_dates_as_iso_strings_are_read() -> None:
    rule = parse_rule_set(rule_file(effective_from="2023-03-01", effective_until="2027-12-31"))
    assert rule.effective_from == date(2023, 3, 1)


def test_parts_left_out_are_the_policy_s_own() -> None:
    data = rule_file(levels=None, complaints=None, early_warning=None, health=None, calendar=None)
    rule = parse_rule_set(data)
    assert (rule.levels, rule.complaints, rule.early_warning, rule.health, rule.calendar) == (
        None,
        None,
        None,
        None,
        None,
    )
    base = Policy(levels=LevelScheme(1, 7))
    assert rule.completed(base).levels == LevelScheme(1, 7)


def test_every_problem_is_listed_and_the_rule_set_refused_whole() -> None:
    data = rule_file(
        format=2,
        id="Nantong 2023",
        effective_from=date(2028, 1, 1),
        levels={"lowest": 0, "highest": 12},
        complaints={"acknowledge_working_days": -1, "conclude_days": 30},
        health={"max_age_months": 12, "max_age_month": 6},
        colour="blue",
    )
    with pytest.raises(InvalidRuleSetError) as info:
        parse_rule_set(data)
    problems = info.value.problems
    assert "unknown key 'colour'" in problems
    assert any(p.startswith("format must be 1") for p in problems)
    assert any(p.startswith("id must be") for p in problems)
    assert "effective_from must not be later than effective_until" in problems
    assert "levels.lowest must be between 1 and 99" in problems
    assert "complaints.notify_days_after_finding is missing" in problems
    assert "health has no key 'max_age_month'" in problems
    assert len(problems) == 7
    assert str(info.value).startswith("rule set refused (7 problems): ")
    assert str(info.value).endswith("; and 2 more")


def test_calendar_days_are_checked() -> None:
    data = rule_file(
        calendar={
            "holidays": [date(2024, 10, 1), date(2024, 10, 1), date(2029, 1, 1), "1 Oct"],
            "extra_working_days": [date(2024, 10, 1), date(2024, 10, 8)],
        }
    )
    with pytest.raises(InvalidRuleSetError) as info:
        parse_rule_set(data)
    assert set(info.value.problems) == {
        "calendar.holidays[3] must be a calendar date (YYYY-MM-DD)",
        "calendar.holidays lists a day more than once",
        "2024-10-01 is both a holiday and an extra working day",
        "extra working day 2024-10-01 is not a Saturday or Sunday",
        "extra working day 2024-10-08 is not a Saturday or Sunday",
        "calendar day 2029-01-01 lies outside the rule set's period",
    }


def test_the_shipped_2018_period_judges_facts_before_2023_03_01() -> None:
    policy = Policy.default().with_rule_sets((NANTONG_2018, NANTONG_2023))
    assert policy.rule_for(date(2023, 2, 28)).rule_id == "nantong-2018"
    assert policy.rule_for(date(2023, 3, 1)).rule_id == "nantong-2023"
    assert rec(date(2020, 5, 1), policy).rule_id == "nantong-2018"
    assert rec(date(2024, 5, 1), policy).rule_id == "nantong-2023"


def test_a_decision_is_judged_by_the_parts_in_force_on_its_effective_date() -> None:
    later = parse_rule_set(rule_file())  # levels 1-12 from 2023-03-01
    policy = Policy.default().with_rule_sets((NANTONG_2018, later))
    assert rec(date(2024, 5, 1), policy).policy.levels == LevelScheme(1, 12)
    before = rec(date(2022, 5, 1), policy).policy
    assert before.levels == LevelScheme(1, 10)  # the 2018 set fixes none: the defaults
    with pytest.raises(LevelOutOfSchemeError):
        before.levels.check(12)
    assert rec(date(2024, 5, 1), policy).policy.complaints.conclude_days == 20
    assert rec(date(2022, 5, 1), policy).policy.complaints.conclude_days == 30


def test_without_loaded_rule_sets_the_default_policy_is_unchanged() -> None:
    policy = Policy.default()
    assert policy.with_rule_sets(()) is policy
    assert policy.in_force(date(2020, 1, 1)) is policy


def load(rules: Rules | None, data: dict[str, Any], on: date = date(2026, 12, 3)) -> Rules:
    cmd = LoadRuleSet.from_mapping(data)
    r = rec(on)
    rules = rules or Rules.open(r)
    rules.load(r, cmd)
    return rules


def test_rules_record_holds_the_latest_content_of_each_rule_set() -> None:
    rules = load(
        None,
        rule_file(
            id="nantong-2018",
            effective_from=date(2018, 1, 10),
            effective_until=date(2023, 2, 28),
            calendar=None,
        ),
    )
    rules = load(rules, rule_file())
    amended = rule_file(health={"max_age_months": 6})
    load(rules, amended)
    assert [r.rule_id for r in rules.rule_sets()] == ["nantong-2018", "nantong-2023"]
    latest = rules.rule_sets()[1]
    assert latest.health is not None and latest.health.max_age_months == 6
    assert [(rule_id, version) for rule_id, version, _, _ in rules.loads] == [
        ("nantong-2018", 2),
        ("nantong-2023", 3),
        ("nantong-2023", 4),
    ]
    event = rules.pending_events[-1]
    assert isinstance(event, Rules.RuleSetLoaded)
    assert event.rule_set() == latest


def test_loading_the_same_content_again_is_refused() -> None:
    rules = load(None, rule_file())
    with pytest.raises(DuplicateRecordError):
        load(rules, rule_file())


@pytest.mark.parametrize(
    ("start", "end", "accepted"),
    [
        (date(2028, 1, 1), date(2032, 12, 31), True),  # after: disjoint
        (date(2025, 7, 1), date(2027, 12, 31), True),  # within: an amendment for a while
        (date(2025, 7, 1), date(2026, 6, 30), True),  # within
        (date(2020, 1, 1), date(2030, 1, 1), True),  # around it (it is then the amendment)
        (date(2027, 7, 1), date(2030, 12, 31), False),  # partly over the end
        (date(2020, 1, 1), date(2024, 1, 1), False),  # partly over the start
        (date(2023, 3, 1), date(2024, 12, 31), False),  # same first day
    ],
)
def test_periods_must_be_disjoint_or_nested(start: date, end: date, accepted: bool) -> None:
    rules = load(None, rule_file(calendar=None))
    other = rule_file(id="other", effective_from=start, effective_until=end, calendar=None)
    if accepted:
        load(rules, other)
        assert len(rules.rule_sets()) == 2
    else:
        with pytest.raises(InvalidRuleSetError) as info:
            load(rules, other)
        assert "nantong-2023" in str(info.value)
        assert len(rules.rule_sets()) == 1


def test_only_the_admin_role_loads_rule_sets() -> None:
    with pytest.raises(NotAuthorisedError):
        Rules.open(rec(date(2026, 12, 3), actor=PERSONNEL))


def test_expiry_is_warned_from_90_days_before_the_end() -> None:
    policy = Policy.default().with_rule_sets((NANTONG_2018, NANTONG_2023))
    assert policy.expiring(date(2027, 10, 1)) is None  # 91 days left
    warning = policy.expiring(date(2027, 10, 2))
    assert warning == RuleExpiry("nantong-2023", date(2027, 12, 31), 90)
    assert "nantong-2023 ends on 2027-12-31 (90 days)" in warning.message()
    assert not warning.expired
    gone = policy.expiring(date(2028, 1, 5))
    assert gone is not None and gone.expired and gone.days_left == -5
    assert "no rule set is in force" in gone.message()
    # 2018's end is followed by 2023's start: no warning before 2023-03-01.
    assert policy.expiring(date(2023, 1, 15)) is None


def test_no_expiry_warning_when_a_successor_is_loaded() -> None:
    successor = parse_rule_set(
        rule_file(
            id="nantong-2028",
            effective_from=date(2028, 1, 1),
            effective_until=date(2032, 12, 31),
            calendar=None,
        )
    )
    policy = Policy.default().with_rule_sets((NANTONG_2023, successor))
    assert policy.expiring(date(2027, 12, 1)) is None
    warning = policy.expiring(date(2032, 11, 1))
    assert warning is not None and warning.rule_id == "nantong-2028"


def test_built_in_rule_sets_keep_the_days_no_loaded_one_claims() -> None:
    base = Policy.default()  # NANTONG_2023 only
    only_2018 = base.with_rule_sets((NANTONG_2018,))
    assert [r.rule_id for r in only_2018.rules] == ["nantong-2023", "nantong-2018"]
    assert only_2018.rule_for(date(2024, 1, 1)).rule_id == "nantong-2023"
    assert only_2018.rule_for(date(2022, 1, 1)).rule_id == "nantong-2018"
    amendment = parse_rule_set(
        rule_file(id="amend-2025", effective_from=date(2025, 7, 1), calendar=None)
    )
    nested = base.with_rule_sets((amendment,))
    assert {r.rule_id for r in nested.rules} == {"nantong-2023", "amend-2025"}
    replaced = base.with_rule_sets((parse_rule_set(rule_file(id="city-2023", calendar=None)),))
    assert [r.rule_id for r in replaced.rules] == ["city-2023"]  # same first day: it goes
    same_id = base.with_rule_sets((parse_rule_set(rule_file()),))
    assert [r.rule_id for r in same_id.rules] == ["nantong-2023"]
    assert same_id.rules[0].levels == LevelScheme(1, 12)
