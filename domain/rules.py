"""Rules as data: the rule sets a ledger judges by, loaded by its operators as signed events.

A rule set (``domain.policy.RuleSet``) names a regulation, its period in force and the parts of
local policy it fixes: level scheme, complaint deadlines, early-warning thresholds,
health-check interval, working calendar. ``parse_rule_set`` turns the plain mapping of a rule
file (TOML or JSON, read at the edge) into one; ``Rules`` is the one record per ledger that
holds every rule set loaded, as ``RuleSetLoaded`` events.

Invariants kept here:

- A rule set is refused whole (``InvalidRuleSetError``, listing its first problems): every
  field is checked and every problem collected before anything is decided; unknown keys are
  problems (a misspelt key is not silently ignored).
- Required: ``format`` (1), ``id`` (lower-case letters, digits, hyphens; 1-64), ``title``,
  ``document``, ``effective_from <= effective_until``. The parts are optional: a part left
  out is one the regulation is silent on, and the ledger's own policy applies to it.
- Holidays and make-up working days (调休) lie within the period; no day is both; a make-up
  working day is a Saturday or Sunday; neither list repeats a day.
- Periods of rule sets with different ids are disjoint or nested (an amendment in force for
  part of another's period) and never start on the same day: a partial overlap would leave
  two rule sets claiming the same days with no way to tell which is in force.
- Loading a rule set whose id was loaded before supersedes the earlier content for that id;
  both stay on record. Loading the same content again is refused (``DuplicateRecordError``).
- Only the ledger's admin role loads rule sets; the ``Rules`` record's id is fixed
  (``Rules.ID``) so every process finds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.authority import require_role
from domain.checks import free_text, short_text
from domain.errors import DomainError, DuplicateRecordError, InvalidRuleSetError
from domain.events import LedgerCreated, LedgerEvent, Recording
from domain.policy import (
    ComplaintPolicy,
    EarlyWarningPolicy,
    HealthCheckPolicy,
    LevelScheme,
    RuleSet,
    WorkingCalendar,
)
from domain.values import ID_NAMESPACE, Role

if TYPE_CHECKING:
    from domain.commands.rules import LoadRuleSet

__all__ = ["RULE_FILE_FORMAT", "Rules", "parse_rule_set"]

RULE_FILE_FORMAT = 1
"""The version of the rule-file format this code reads."""

_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,63}")
_TOP = frozenset(
    {
        "format",
        "id",
        "title",
        "document",
        "effective_from",
        "effective_until",
        "notes",
        "levels",
        "complaints",
        "early_warning",
        "health",
        "calendar",
    }
)
_PARTS: dict[str, tuple[str, ...]] = {
    "levels": ("lowest", "highest"),
    "complaints": ("acknowledge_working_days", "conclude_days", "notify_days_after_finding"),
    "early_warning": ("rule_version", "window_months", "max_complaints", "max_sustained"),
    "health": ("max_age_months",),
    "calendar": ("holidays", "extra_working_days"),
}
T = TypeVar("T")


class _Problems:
    """Collects what is wrong with a rule set, so that all of it is refused at once."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        self.found.append(problem)

    def check(self, make: Callable[[], T]) -> T | None:
        """The value ``make`` returns, or None with its domain error noted."""
        try:
            return make()
        except DomainError as e:
            self.add(e.message)
            return None


def _whole(problems: _Problems, field: str, value: object, lowest: int, highest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(f"{field} must be a whole number")
        return lowest
    if not lowest <= value <= highest:
        problems.add(f"{field} must be between {lowest} and {highest}")
        return lowest
    return value


def _day(problems: _Problems, field: str, value: object) -> date | None:
    """A calendar date: a TOML date or an ISO ``YYYY-MM-DD`` string (JSON)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(f"{field} must be a calendar date (YYYY-MM-DD)")
    return None


def _days(problems: _Problems, field: str, value: object) -> list[date]:
    if not isinstance(value, list):
        problems.add(f"{field} must be a list of dates")
        return []
    days = [d for i, v in enumerate(value) if (d := _day(problems, f"{field}[{i}]", v))]
    if len(set(days)) != len(days):
        problems.add(f"{field} lists a day more than once")
    return days


def _section(problems: _Problems, data: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """A part's table, checked for unknown and missing keys; None when the part is left out."""
    if name not in data:
        return None
    section = data[name]
    if not isinstance(section, Mapping):
        problems.add(f"{name} must be a table")
        return None
    keys = _PARTS[name]
    for key in sorted(set(section) - set(keys)):
        problems.add(f"{name} has no key {str(key)[:40]!r}")
    for key in keys:
        if key not in section:
            problems.add(f"{name}.{key} is missing")
    return section if all(k in section for k in keys) else None


def parse_rule_set(data: Mapping[str, Any]) -> RuleSet:
    """The rule set a rule file's mapping describes, or ``InvalidRuleSetError`` listing every
    problem found (the first few in the message)."""
    p = _Problems()
    if not isinstance(data, Mapping):
        raise InvalidRuleSetError(["a rule set must be a table of keys"])
    for key in sorted(set(data) - _TOP, key=str):
        p.add(f"unknown key {str(key)[:40]!r}")
    fmt = data.get("format")
    if fmt != RULE_FILE_FORMAT or isinstance(fmt, bool):
        p.add(f"format must be {RULE_FILE_FORMAT} (the rule-file format this version reads)")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        p.add("id must be 1-64 lower-case letters, digits and inner hyphens")
    title = p.check(lambda: short_text("title", data.get("title")))
    document = p.check(lambda: short_text("document", data.get("document")))
    if "notes" in data:
        p.check(lambda: free_text("notes", data["notes"]))
    start = _day(p, "effective_from", data.get("effective_from"))
    end = _day(p, "effective_until", data.get("effective_until"))
    if start and end and start > end:
        p.add("effective_from must not be later than effective_until")

    levels = complaints = early_warning = health = calendar = None
    if (s := _section(p, data, "levels")) is not None:
        low = _whole(p, "levels.lowest", s["lowest"], 1, 99)
        high = _whole(p, "levels.highest", s["highest"], 1, 99)
        levels = p.check(lambda: LevelScheme(low, high))
    if (s := _section(p, data, "complaints")) is not None:
        complaints = ComplaintPolicy(
            _whole(p, "complaints.acknowledge_working_days", s["acknowledge_working_days"], 0, 60),
            _whole(p, "complaints.conclude_days", s["conclude_days"], 0, 366),
            _whole(
                p, "complaints.notify_days_after_finding", s["notify_days_after_finding"], 0, 366
            ),
        )
    if (s := _section(p, data, "early_warning")) is not None:
        version = s["rule_version"]
        if not isinstance(version, str) or not _VERSION.fullmatch(version):
            p.add("early_warning.rule_version must be 1-64 letters, digits, dots or hyphens")
            version = "invalid"
        early_warning = EarlyWarningPolicy(
            version,
            _whole(p, "early_warning.window_months", s["window_months"], 1, 120),
            _whole(p, "early_warning.max_complaints", s["max_complaints"], 0, 1000),
            _whole(p, "early_warning.max_sustained", s["max_sustained"], 0, 1000),
        )
    if (s := _section(p, data, "health")) is not None:
        health = HealthCheckPolicy(_whole(p, "health.max_age_months", s["max_age_months"], 1, 120))
    if (s := _section(p, data, "calendar")) is not None:
        holidays = _days(p, "calendar.holidays", s["holidays"])
        extra = _days(p, "calendar.extra_working_days", s["extra_working_days"])
        both = set(holidays) & set(extra)
        if both:
            p.add(f"{min(both).isoformat()} is both a holiday and an extra working day")
        for d in extra:
            if d.weekday() < 5:
                p.add(f"extra working day {d.isoformat()} is not a Saturday or Sunday")
        if start and end and start <= end:
            for d in sorted({*holidays, *extra}):
                if not start <= d <= end:
                    p.add(f"calendar day {d.isoformat()} lies outside the rule set's period")
        if not both:
            calendar = WorkingCalendar(frozenset(holidays), frozenset(extra))
    if p.found:
        raise InvalidRuleSetError(p.found)
    assert isinstance(rule_id, str) and title and document and start and end
    return RuleSet(
        rule_id,
        title,
        document,
        start,
        end,
        levels=levels,
        complaints=complaints,
        early_warning=early_warning,
        health=health,
        calendar=calendar,
    )


def _part(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: getattr(value, k) for k in _PARTS[_NAMES[type(value)]]}


_NAMES: dict[type, str] = {
    LevelScheme: "levels",
    ComplaintPolicy: "complaints",
    EarlyWarningPolicy: "early_warning",
    HealthCheckPolicy: "health",
}


class Rules(Aggregate):
    """The rule sets the ledger judges by, as loaded by its operators (one record a ledger)."""

    ID: UUID = uuid5(ID_NAMESPACE, "rules")

    def __init__(self) -> None:
        self._sets: dict[str, RuleSet] = {}
        self._notes: dict[str, str | None] = {}
        self._loaded: list[tuple[str, int, date, str | None]] = []

    class Event(LedgerEvent):
        """Base of the rules record's events."""

    class Opened(Event, LedgerCreated):
        """The ledger's rules record was opened (with its first rule set)."""

        def apply(self, aggregate: Rules) -> None:
            pass

    class RuleSetLoaded(Event):
        """An operator loaded a rule set (or a new content for a rule set id loaded before)."""

        rule_set_id: str
        title: str
        document: str
        effective_from: date
        effective_until: date
        levels: dict[str, Any] | None
        complaints: dict[str, Any] | None
        early_warning: dict[str, Any] | None
        health: dict[str, Any] | None
        holidays: list[date] | None
        extra_working_days: list[date] | None
        notes: str | None
        source_sha256: str | None

        def apply(self, aggregate: Rules) -> None:
            rule = self.rule_set()
            aggregate._sets[rule.rule_id] = rule
            aggregate._notes[rule.rule_id] = self.notes
            aggregate._loaded.append(
                (rule.rule_id, self.originator_version, self.effective, self.source_sha256)
            )

        def rule_set(self) -> RuleSet:
            """The rule set as loaded."""
            calendar = None
            if self.holidays is not None and self.extra_working_days is not None:
                calendar = WorkingCalendar(
                    frozenset(self.holidays), frozenset(self.extra_working_days)
                )
            return RuleSet(
                self.rule_set_id,
                self.title,
                self.document,
                self.effective_from,
                self.effective_until,
                levels=LevelScheme(**self.levels) if self.levels else None,
                complaints=ComplaintPolicy(**self.complaints) if self.complaints else None,
                early_warning=(
                    EarlyWarningPolicy(**self.early_warning) if self.early_warning else None
                ),
                health=HealthCheckPolicy(**self.health) if self.health else None,
                calendar=calendar,
            )

    @classmethod
    def open(cls, rec: Recording) -> Rules:
        """Open the ledger's rules record (admin)."""
        _authorise(rec)
        return cls._create(cls.Opened, id=cls.ID, **rec.fields())

    def load(self, rec: Recording, cmd: LoadRuleSet) -> None:
        """Load a rule set: refused whole if its period clashes with another rule set's, or
        if the same content is loaded already."""
        _authorise(rec)
        new = cmd.rule_set
        if self._sets.get(new.rule_id) == new and self._notes.get(new.rule_id) == cmd.notes:
            raise DuplicateRecordError(
                f"rule set {new.rule_id} is loaded with this content", zh="该规则集已以相同内容载入"
            )
        clashes = [
            why
            for other in self._sets.values()
            if other.rule_id != new.rule_id and (why := new.clash(other)) is not None
        ]
        if clashes:
            raise InvalidRuleSetError(clashes)
        calendar = new.calendar
        self.trigger_event(
            self.RuleSetLoaded,
            **rec.fields(),
            rule_set_id=new.rule_id,
            title=new.title,
            document=new.document,
            effective_from=new.effective_from,
            effective_until=new.effective_until,
            levels=_part(new.levels),
            complaints=_part(new.complaints),
            early_warning=_part(new.early_warning),
            health=_part(new.health),
            holidays=sorted(calendar.holidays) if calendar else None,
            extra_working_days=sorted(calendar.extra_working_days) if calendar else None,
            notes=cmd.notes,
            source_sha256=cmd.source_sha256,
        )

    def rule_sets(self) -> tuple[RuleSet, ...]:
        """Every rule set in its latest content, earliest start first."""
        return tuple(sorted(self._sets.values(), key=lambda r: r.effective_from))

    def notes(self, rule_id: str) -> str | None:
        """The notes loaded with a rule set (what the regulation is silent on, sources)."""
        return self._notes.get(rule_id)

    @property
    def loads(self) -> tuple[tuple[str, int, date, str | None], ...]:
        """Every load: (rule set id, record version, effective date, file SHA-256)."""
        return tuple(self._loaded)


def _authorise(rec: Recording) -> None:
    require_role(rec.actor, (Role.admin,), action="load rule sets", article="Art. 20")
