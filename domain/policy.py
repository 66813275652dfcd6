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
  days; all counts are non-negative. ``ComplaintPolicy.steps_due`` is the one rule of which
  steps a complaint still owes and their last days, for the staff queue, the complaint's
  page and /track alike (see its docstring).
- Review (复查) deadlines are calendar days and non-negative (practice, ``ReviewPolicy``).
- A working day is a weekday that is not a holiday, or a weekend day listed as an extra working
  day (调休).
- A rule set may carry its own parts (level scheme, complaint deadlines, early-warning
  thresholds, health-check interval, working calendar); a part it leaves as None is the
  policy's own. ``Policy.in_force(d)`` is the policy with the parts of ``rule_for(d)``: what a
  decision effective on ``d`` is judged by. Rule sets loaded into a ledger (``domain.rules``)
  are completed with the ledger's base policy, so every part of them is set; a built-in rule
  set stays beside them unless one of them has its id or a clashing period
  (``RuleSet.clash``: periods must be disjoint, or nested without the same first day).
- ``Policy.expiring(today)`` warns from ``EXPIRY_WARNING_DAYS`` before the rule set in force
  ends unless another rule set takes over the next day, and when no rule set is in force.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from domain.errors import InvalidFieldError, InvalidPolicyError, LevelOutOfSchemeError
from domain.values import ComplaintStatus

__all__ = [
    "EXPIRY_WARNING_DAYS",
    "NANTONG_2018",
    "NANTONG_2023",
    "ComplaintPolicy",
    "EarlyWarningPolicy",
    "HealthCheckPolicy",
    "LevelScheme",
    "Policy",
    "ReviewPolicy",
    "RuleExpiry",
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
                "under the organ's level scheme (Art. 11)",
                zh=f"层级须为本机关层级序列中{self.lowest}至{self.highest}之间的整数（第十一条）",
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
    levels: LevelScheme | None = None
    complaints: ComplaintPolicy | None = None
    early_warning: EarlyWarningPolicy | None = None
    health: HealthCheckPolicy | None = None
    calendar: WorkingCalendar | None = None

    def __post_init__(self) -> None:
        if not self.rule_id or self.effective_from > self.effective_until:
            raise InvalidPolicyError("rule set needs an id and effective_from <= effective_until")

    def covers(self, d: date) -> bool:
        """Whether the rule set is in force on the date."""
        return self.effective_from <= d <= self.effective_until

    def clash(self, other: RuleSet) -> str | None:
        """Why this rule set and ``other`` (another id) cannot both be in force, or None:
        their periods must be disjoint, or nested without starting on the same day."""
        new = self
        if new.effective_until < other.effective_from or other.effective_until < new.effective_from:
            return None
        if new.effective_from == other.effective_from:
            return (
                f"{new.rule_id} starts on the same day as {other.rule_id} "
                f"({new.effective_from.isoformat()}): which is in force would be undecided"
            )
        outer, inner = (new, other) if new.effective_from < other.effective_from else (other, new)
        if inner.effective_until <= outer.effective_until:
            return None  # nested: the later-starting one is in force for part of the other's
        return (
            f"{new.rule_id} overlaps {other.rule_id} in part "
            f"({inner.effective_from.isoformat()} to {outer.effective_until.isoformat()}): "
            "periods must be disjoint or one within the other"
        )

    def completed(self, base: Policy) -> RuleSet:
        """The rule set with every part it leaves unset taken from ``base``."""
        return replace(
            self,
            levels=base.levels if self.levels is None else self.levels,
            complaints=base.complaints if self.complaints is None else self.complaints,
            early_warning=base.early_warning if self.early_warning is None else self.early_warning,
            health=base.health if self.health is None else self.health,
            calendar=base.calendar if self.calendar is None else self.calendar,
        )


NANTONG_2023 = RuleSet(
    "nantong-2023",
    "南通市公安机关警务辅助人员管理实施办法",
    "通政规〔2023〕1号",
    date(2023, 3, 1),
    date(2027, 12, 31),
)
"""The Nantong measures, in force 2023-03-01 to 2027-12-31 (Art. 20)."""

NANTONG_2018 = RuleSet(
    "nantong-2018",
    "南通市公安机关警务辅助人员管理办法",
    "通政办发〔2018〕2号",
    date(2018, 1, 10),
    date(2023, 2, 28),
)
"""The 2018 measures, issued 2018-01-10 and repealed when the 2023 measures took effect
(Art. 20 of the 2023 measures). Their text is not in ``docs/regulation/``: the start is the
issue date Art. 20 gives, and they set none of the parts here (the policy's own apply)."""

EXPIRY_WARNING_DAYS = 90
"""How many days before the rule set in force ends the operators are warned."""


@dataclass(frozen=True)
class RuleExpiry:
    """The rule set in force is about to end (or ended) with nothing after it."""

    rule_id: str
    effective_until: date
    days_left: int
    """Days from today to the last day in force; negative once it has ended."""

    @property
    def expired(self) -> bool:
        """Whether the rule set already ended (no rule set is in force)."""
        return self.days_left < 0

    def message(self) -> str:
        """One line for operators (no personal data: ids and dates only)."""
        if self.expired:
            return (
                f"no rule set is in force: {self.rule_id} ended on "
                f"{self.effective_until.isoformat()}; load the rules now in force"
            )
        return (
            f"rule set {self.rule_id} ends on {self.effective_until.isoformat()} "
            f"({self.days_left} days) and no rule set follows it; load the next one"
        )


_OPEN_COMPLAINT = frozenset(
    {
        ComplaintStatus.received,
        ComplaintStatus.acknowledged,
        ComplaintStatus.accepted,
        ComplaintStatus.under_investigation,
    }
)
"""A complaint still to be concluded: open, no result reached in this round."""


@dataclass(frozen=True)
class ComplaintPolicy:
    """Complaint handling deadlines (practice; Art. 17 says only "promptly").

    Which steps a complaint still owes, and by when (``steps_due``), whatever the round:

    - acknowledge (签收): owed while the complaint is ``received`` (never acknowledged: a
      reopening returns an acknowledged complaint to a later stage, never to ``received``),
      ``acknowledge_working_days`` working days after the receipt. A reopening by the office
      does not receive the complaint again, so the clock is the receipt's in every round,
      and a complaint once acknowledged never owes it again;
    - conclude (调查办结): owed while the complaint is open (received, acknowledged, accepted,
      under investigation), ``conclude_days`` after the start of the round (``conclude_from``:
      the receipt in the first round, the latest reopening in a later one, when the office
      takes the complaint up again);
    - notify (告知结果): owed while a result is untold (concluded, or not accepted),
      ``notify_days_after_finding`` after that round's result (the conclusion, or the
      decision not to accept);
    - review (复查): owed while this round's review is pending, by the due date the review
      policy set when it was asked for (``ReviewPolicy.decide_due``).
    """

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

    def conclude_from(self, received_on: date, reopened_on: date | None) -> date:
        """The day the current round's conclusion is counted from: the receipt in the first
        round, the latest reopening (``reopened_on``, None while never reopened) in a later
        one."""
        return received_on if reopened_on is None else reopened_on

    def conclude_due(self, counted_from: date) -> date:
        """The last day to conclude (find on every allegation of) a complaint whose round
        started on ``counted_from`` (``conclude_from``)."""
        return counted_from + timedelta(days=self.conclude_days)

    def notify_due(self, concluded_on: date) -> date:
        """The last day to tell the complainant the result (Art. 17)."""
        return concluded_on + timedelta(days=self.notify_days_after_finding)

    def steps_due(
        self,
        status: ComplaintStatus,
        *,
        received_on: date,
        reopened_on: date | None,
        concluded_on: date | None,
        declined_on: date | None,
        review_due: date | None,
        working_calendar: WorkingCalendar,
    ) -> tuple[tuple[str, date], ...]:
        """The steps a complaint in ``status`` still owes and the last day of each, in order
        (``acknowledge``, ``conclude``, ``notify``, ``review``; see the class docstring).

        ``concluded_on`` and ``declined_on`` are the current round's result dates (None if
        none), ``reopened_on`` the latest reopening (None while never reopened), and
        ``review_due`` the due date of this round's review while it is pending (else None).
        """
        steps: list[tuple[str, date]] = []
        if status == ComplaintStatus.received:
            steps.append(("acknowledge", self.acknowledge_due(received_on, working_calendar)))
        if status in _OPEN_COMPLAINT:
            steps.append(
                ("conclude", self.conclude_due(self.conclude_from(received_on, reopened_on)))
            )
        result_on = None
        if status == ComplaintStatus.concluded:
            result_on = concluded_on
        elif status == ComplaintStatus.not_accepted:
            result_on = declined_on
        if result_on is not None:
            steps.append(("notify", self.notify_due(result_on)))
        if review_due is not None:
            steps.append(("review", review_due))
        return tuple(steps)


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
            raise InvalidFieldError(
                "n", "must be a whole number of days, zero or more", zh="须为不小于零的整数天数"
            )
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

    def with_rule_sets(self, rule_sets: tuple[RuleSet, ...]) -> Policy:
        """This policy judged by ``rule_sets``, each completed with this policy's parts, and
        by those of its own rule sets that share no id and no clashing period with them (a
        built-in rule set keeps the days no loaded one claims); an empty tuple keeps the
        policy as it is."""
        if not rule_sets:
            return self
        loaded = tuple(r.completed(self) for r in rule_sets)
        ids = {r.rule_id for r in loaded}
        kept = tuple(
            r
            for r in self.rules
            if r.rule_id not in ids and all(r.clash(other) is None for other in loaded)
        )
        return replace(self, rules=(*kept, *loaded))

    def in_force(self, d: date) -> Policy:
        """The policy a decision effective on ``d`` is judged by: the parts of ``rule_for(d)``
        where it sets them, this policy's own elsewhere."""
        rule = self.rule_for(d)
        parts = {
            name: value
            for name in ("levels", "complaints", "early_warning", "health", "calendar")
            if (value := getattr(rule, name)) is not None and value != getattr(self, name)
        }
        return replace(self, **parts) if parts else self

    def expiring(self, today: date, within_days: int = EXPIRY_WARNING_DAYS) -> RuleExpiry | None:
        """A warning when the rule set in force on ``today`` ends within ``within_days`` and
        no rule set takes over the day after, or when none is in force; else None."""
        rule = self.rule_for(today)
        if today < rule.effective_from:
            return None  # before the earliest rule set: nothing has started to end
        if not rule.covers(today):
            return RuleExpiry(
                rule.rule_id, rule.effective_until, (rule.effective_until - today).days
            )
        end = rule.effective_until
        days_left = (end - today).days
        if days_left > within_days:
            return None
        if end < date.max and any(r.covers(end + timedelta(days=1)) for r in self.rules):
            return None
        return RuleExpiry(rule.rule_id, end, days_left)

    def rule_for(self, d: date) -> RuleSet:
        """The rule set a fact effective on ``d`` is judged under (see the module docstring)."""
        by_start = sorted(self.rules, key=lambda r: r.effective_from)
        covering = [r for r in by_start if r.covers(d)]
        if covering:
            return covering[-1]
        started = [r for r in by_start if r.effective_from <= d]
        return started[-1] if started else by_start[0]
