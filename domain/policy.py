"""Local policy: the numbers the measures leave to configuration, with documented defaults.

The Nantong measures (通政规〔2023〕1号) fix neither the number of levels nor complaint
deadlines nor early-warning thresholds; records.md marks them as practice. They live here as
plain frozen dataclasses that an operator builds from configuration; nothing here reads files,
the environment or the clock.

Invariants kept here:

- A level scheme has ``1 <= lowest <= highest``; a level is valid only within it (Art. 11).
- A rule set has an id, a title, a document number and a period with
  ``effective_from <= effective_until`` (Art. 20: 2023-03-01 to 2027-12-31 for Nantong 2023).
- A policy has at least one rule set and no two share an id.
- ``Policy.rule_for(d)`` answers the rule set in force on ``d``: the latest-starting rule set
  whose period covers ``d``; if none covers it, the latest one that had started by ``d``; if
  none had, the earliest. Events judged under a rule set that does not cover their effective
  date are flagged by projections, never refused here.
- Complaint deadlines: acknowledgement in working days, conclusion and notification in calendar
  days; all counts are non-negative.
- Review (复查) deadlines are calendar days and non-negative (practice, ``ReviewPolicy``).
- A working day is a weekday that is not a holiday, or a weekend day listed as an extra working
  day (调休).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.errors import InvalidFieldError, InvalidPolicyError, LevelOutOfSchemeError

__all__ = [
    "NANTONG_2023",
    "ComplaintPolicy",
    "EarlyWarningPolicy",
    "HealthCheckPolicy",
    "LevelScheme",
    "Policy",
    "ReviewPolicy",
    "RuleSet",
    "WorkingCalendar",
    "add_months",
]


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class LevelScheme:
    """The numbered levels of Art. 11 (records.md: commonly 7-12 levels; local policy)."""

    lowest: int = 1
    highest: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.lowest <= self.highest:
            raise InvalidPolicyError("level scheme needs 1 <= lowest <= highest")

    def __contains__(self, level: object) -> bool:
        try:
            self.check(level)
        except LevelOutOfSchemeError:
            return False
        return True

    def levels(self) -> range:
        """All levels of the scheme, lowest first."""
        return range(self.lowest, self.highest + 1)

    def check(self, level: object) -> int:
        """Return the level if it lies within the scheme, else raise LevelOutOfSchemeError."""
        if (
            isinstance(level, bool)
            or not isinstance(level, int)
            or not self.lowest <= level <= self.highest
        ):
            raise LevelOutOfSchemeError(
                f"level must be a whole number from {self.lowest} to {self.highest} "
                "under the organ's level scheme (Art. 11)"
            )
        return level


@dataclass(frozen=True)
class RuleSet:
    """A regulation whose rules a record is judged under, and its period of validity."""

    rule_id: str
    title: str
    document: str
    effective_from: date
    effective_until: date

    def __post_init__(self) -> None:
        if not self.rule_id or self.effective_from > self.effective_until:
            raise InvalidPolicyError("rule set needs an id and effective_from <= effective_until")

    def covers(self, d: date) -> bool:
        """Whether the rule set is in force on the date."""
        return self.effective_from <= d <= self.effective_until


NANTONG_2023 = RuleSet(
    "nantong-2023",
    "南通市公安机关警务辅助人员管理实施办法",
    "通政规〔2023〕1号",
    date(2023, 3, 1),
    date(2027, 12, 31),
)
"""The Nantong measures, in force 2023-03-01 to 2027-12-31 (Art. 20)."""


@dataclass(frozen=True)
class ComplaintPolicy:
    """Complaint handling deadlines (practice; Art. 17 says only "promptly")."""

    acknowledge_working_days: int = 1
    conclude_days: int = 30
    notify_days_after_finding: int = 5

    def __post_init__(self) -> None:
        if (
            min(self.acknowledge_working_days, self.conclude_days, self.notify_days_after_finding)
            < 0
        ):
            raise InvalidPolicyError("complaint deadlines may not be negative")

    def acknowledge_due(self, received_on: date, working_calendar: WorkingCalendar) -> date:
        """The last day to acknowledge a complaint received on ``received_on``."""
        return working_calendar.add_working_days(received_on, self.acknowledge_working_days)

    def conclude_due(self, received_on: date) -> date:
        """The last day to conclude (find on every allegation of) a complaint."""
        return received_on + timedelta(days=self.conclude_days)

    def notify_due(self, concluded_on: date) -> date:
        """The last day to tell the complainant the result (Art. 17)."""
        return concluded_on + timedelta(days=self.notify_days_after_finding)


@dataclass(frozen=True)
class EarlyWarningPolicy:
    """Thresholds for flagging an auxiliary with repeated complaints (practice)."""

    rule_version: str = "ew-2026.1"
    window_months: int = 12
    max_complaints: int = 3
    max_sustained: int = 2

    def __post_init__(self) -> None:
        if (
            not self.rule_version
            or min(self.window_months, self.max_complaints, self.max_sustained) < 0
        ):
            raise InvalidPolicyError("early-warning policy needs a version and counts >= 0")

    def window_start(self, on: date) -> date:
        """The first day of the look-back window that ends on ``on``."""
        return add_months(on, -self.window_months) + timedelta(days=1)

    def exceeded(self, complaints: int, sustained: int) -> bool:
        """Whether counts within the window exceed a maximum (a warning is due)."""
        return complaints > self.max_complaints or sustained > self.max_sustained


@dataclass(frozen=True)
class HealthCheckPolicy:
    """How old the latest health check may be (Art. 13 says "periodic"; the age is policy)."""

    max_age_months: int = 12

    def __post_init__(self) -> None:
        if self.max_age_months < 1:
            raise InvalidPolicyError("health check age must be at least one month")

    def next_due(self, last_checked_on: date) -> date:
        """The date by which the next health check is due."""
        return add_months(last_checked_on, self.max_age_months)


@dataclass(frozen=True)
class WorkingCalendar:
    """Official holidays and make-up working days (调休), loaded by operators as data."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.holidays & self.extra_working_days:
            raise InvalidPolicyError("a day cannot be both a holiday and an extra working day")

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day."""
        if d in self.extra_working_days:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (``d`` itself is not counted; n = 0 gives ``d``)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidFieldError("n", "must be a whole number of days, zero or more")
        current = d
        while n > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                n -= 1
        return current


@dataclass(frozen=True)
class ReviewPolicy:
    """Review (复查) of a complaint's notified result: when it may be asked, when decided.

    The Nantong measures say nothing of review; the defaults follow the practice of the
    信访工作条例 (2022) Art. 35: a request within 30 days of being told the result, and a
    decision within 30 days of the request.
    """

    request_days: int = 30
    decide_days: int = 30

    def __post_init__(self) -> None:
        if min(self.request_days, self.decide_days) < 0:
            raise InvalidPolicyError("review deadlines may not be negative")

    def request_until(self, notified_on: date) -> date:
        """The last day the complainant may ask for a review of a result told on this day."""
        return notified_on + timedelta(days=self.request_days)

    def decide_due(self, requested_on: date) -> date:
        """The last day to decide a review requested on ``requested_on``."""
        return requested_on + timedelta(days=self.decide_days)


@dataclass(frozen=True)
class Policy:
    """All local policy in one bundle, passed to commands that apply a rule."""

    levels: LevelScheme = field(default_factory=LevelScheme)
    rules: tuple[RuleSet, ...] = (NANTONG_2023,)
    complaints: ComplaintPolicy = field(default_factory=ComplaintPolicy)
    early_warning: EarlyWarningPolicy = field(default_factory=EarlyWarningPolicy)
    health: HealthCheckPolicy = field(default_factory=HealthCheckPolicy)
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    review: ReviewPolicy = field(default_factory=ReviewPolicy)

    def __post_init__(self) -> None:
        if not self.rules:
            raise InvalidPolicyError("policy needs at least one rule set")
        ids = [r.rule_id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise InvalidPolicyError("rule set ids must be unique")

    @classmethod
    def default(cls) -> Policy:
        """The documented defaults: levels 1-10, Nantong 2023, and the default deadlines."""
        return cls()

    def rule_for(self, d: date) -> RuleSet:
        """The rule set a fact effective on ``d`` is judged under (see the module docstring)."""
        by_start = sorted(self.rules, key=lambda r: r.effective_from)
        covering = [r for r in by_start if r.covers(d)]
        if covering:
            return covering[-1]
        started = [r for r in by_start if r.effective_from <= d]
        return started[-1] if started else by_start[0]
