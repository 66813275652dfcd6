"""What every read-model projection shares: topics, dispatch, and the rule-period flags.

A projection is an ``eventsourcing.projection.Projection`` whose view is a tracking recorder
(``projections.views``). It follows the events of the aggregates it names (``aggregates``;
the topics are derived from their event classes), dispatches each event to the handler
registered for its class (``@handles``: mypy checks that the handler's event parameter
accepts the classes it names), and records every event judged under a rule set that does not
cover its effective date (Art. 20) in its own flags table.

Invariants kept here:

- A handler is a pure function of (state, event, position): no clock, no I/O other than the
  ``State`` it is given, no personal-data attribute read. Replaying the same events gives the
  same rows, whatever the batch boundaries.
- Every event of a followed aggregate is applied in the ledger's order, once; an event class
  without a handler changes nothing but its rule-period check.
- ``process_event`` (the library's one-event-one-transaction path, used by
  ``ProjectionRunner``) and the batch path run the same handlers and the same writes.

Direction of calls: this module uses ``projections.views`` (a projection binds its view and
hands it events); the view sees a projection only through ``views.ProjectionTables`` and never
imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar, TypeAlias, TypeVar, overload
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from eventsourcing.utils import get_topic

from domain.events import LedgerEvent
from domain.policy import Policy, RuleSet
from projections.state import Row, State
from projections.tables import Column, Table
from projections.views import ReadModelView

__all__ = ["ReadModelProjection", "event_name", "handles", "rule_flags_table"]

P = TypeVar("P", bound="ReadModelProjection")
E = TypeVar("E")
E2 = TypeVar("E2")
_F = TypeVar("_F", bound=Callable[..., None])
Handler: TypeAlias = Callable[[P, State, E, int], None]
"""A projection's method applying an event of class ``E``: ``(self, state, event, position)``."""


@overload
def handles(event_class: type[E], /) -> Callable[[Handler[P, E]], Handler[P, E]]: ...
@overload
def handles(
    first: type[E], second: type[E2], /
) -> Callable[[Handler[P, E | E2]], Handler[P, E | E2]]: ...
@overload
def handles(*event_classes: type[E]) -> Callable[[Handler[P, E]], Handler[P, E]]: ...
def handles(*event_classes: type[Any]) -> Callable[[_F], _F]:
    """Register the decorated method as the handler of these event classes.

    The mapping event class -> handler is checked by mypy: the method's event parameter must
    accept every class named (one class: that class or a base of it; two: their union or a
    common base; more: a common base of all).
    """

    def mark(method: _F) -> _F:
        method.__handles__ = event_classes  # type: ignore[attr-defined]
        return method

    return mark


def event_name(event: object) -> str:
    """The event's class name within its aggregate, e.g. ``Auxiliary.Hired``."""
    return type(event).__qualname__


def rule_flags_table(name: str) -> Table:
    """The table of events whose effective date lies outside the rule they were judged by."""
    return Table(
        name,
        (
            Column("log_position", "int", nullable=False),
            Column("originator_id", "uuid", nullable=False),
            Column("originator_version", "int", nullable=False),
            Column("event", "text", nullable=False),
            Column("organ", "text"),
            Column("effective", "date", nullable=False),
            Column("rule_id", "text", nullable=False),
            Column("rule_from", "date"),
            Column("rule_until", "date"),
            Column("reason", "text", nullable=False),
        ),
        key=("log_position",),
        mode="append",
        indexes=(("organ", "effective"),),
    )


def _topics(aggregates: tuple[type[Aggregate], ...]) -> tuple[str, ...]:
    found: list[str] = []
    for aggregate in aggregates:
        for value in vars(aggregate).values():
            if isinstance(value, type) and issubclass(value, LedgerEvent):
                found.append(get_topic(value))
    return tuple(sorted(set(found)))


class ReadModelProjection(Projection[ReadModelView]):
    """A projection of some aggregates' events into read-model tables, with tracking."""

    name = "read_model"
    aggregates: ClassVar[tuple[type[Aggregate], ...]] = ()
    extra_topics: ClassVar[tuple[str, ...]] = ()
    """Topics followed besides the ``LedgerEvent`` classes of ``aggregates``."""
    personal_data_read: ClassVar[tuple[type, ...]] = ()
    """Event classes whose personal fields this projection reads (opened for it); every
    other event's personal fields stay sealed in a process that only projects."""
    tables: ClassVar[tuple[Table, ...]] = ()
    flags: ClassVar[Table | None]
    """The rule-period flags table (Art. 20); None for a projection that keeps none."""
    owned_by: ClassVar[dict[type[Aggregate], tuple[str, ...]]] = {}
    """Which ``owned`` tables hold rows of each followed aggregate (for batch prefetching)."""
    _dispatch: ClassVar[dict[type[Any], str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.topics = tuple(sorted({*_topics(cls.aggregates), *cls.extra_topics}))
        dispatch: dict[type[Any], str] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                for event_class in getattr(value, "__handles__", ()):
                    dispatch[event_class] = attr
        cls._dispatch = dispatch

    def __init__(
        self,
        view: ReadModelView,
        *,
        policy: Policy | None = None,
        rules: Callable[[], Sequence[RuleSet]] | None = None,
    ) -> None:
        """``rules`` gives the rule sets in force now (the ledger's loaded ones): asked again
        when an event names a rule set this projection does not know yet."""
        super().__init__(view)
        self.policy = policy or Policy.default()
        self._rules = {r.rule_id: r for r in self.policy.rules}
        self._rule_source = rules
        self._resolved: dict[type[Any], Callable[[State, Any, int], None] | None] = {}
        view.bind(self)

    @property
    def all_tables(self) -> tuple[Table, ...]:
        """The projection's tables and its flags table, if it keeps one."""
        return (*self.tables, *((self.flags,) if self.flags is not None else ()))

    @property
    def tracking_table(self) -> str:
        """The name of this projection's tracking table."""
        return tracking_table_name(self.name)

    # ------------------------------------------------------------------ applying

    def apply(self, state: State, event: Any, position: int) -> None:
        """Apply one event (at its log position) to the state."""
        handler = self._handler(type(event))
        if handler is not None:
            handler(state, event, position)
        if self.flags is not None and isinstance(event, LedgerEvent):
            self._check_rule_period(state, event, position, self.flags)

    def _handler(self, cls: type[Any]) -> Callable[[State, Any, int], None] | None:
        if cls not in self._resolved:
            found = None
            for klass in cls.__mro__:
                attr = self._dispatch.get(klass)
                if attr is not None:
                    found = getattr(self, attr)
                    break
            self._resolved[cls] = found
        return self._resolved[cls]

    def _check_rule_period(
        self, state: State, event: LedgerEvent, position: int, flags: Table
    ) -> None:
        rule = self._rules.get(event.rule_id)
        if rule is None and self._rule_source is not None:
            # A rule set loaded after this projection started (an event never names a rule
            # set before the ledger stored it).
            self._rules = {r.rule_id: r for r in self._rule_source()}
            rule = self._rules.get(event.rule_id)
        effective: date = event.effective
        if rule is not None and rule.covers(effective):
            return
        state.add(
            flags,
            {
                "log_position": position,
                "originator_id": event.originator_id,
                "originator_version": event.originator_version,
                "event": event_name(event),
                "organ": self.organ_of(state, event),
                "effective": effective,
                "rule_id": event.rule_id,
                "rule_from": rule.effective_from if rule else None,
                "rule_until": rule.effective_until if rule else None,
                "reason": "outside_period" if rule else "unknown_rule",
            },
        )

    def prefetch(self, events: Sequence[Any]) -> dict[str, set[Any]]:
        """Per ``owned`` table, the owners a batch of events will touch (read up front)."""
        wanted: dict[str, set[Any]] = {}
        for event in events:
            for aggregate, table_names in self.owned_by.items():
                if isinstance(event, aggregate.Event):
                    for name in table_names:
                        wanted.setdefault(name, set()).add(event.originator_id)
        return wanted

    def organ_of(self, state: State, event: LedgerEvent) -> str | None:
        """The organ whose record the event belongs to (for scoping the flags)."""
        return event.actor.organ

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Apply one event in its own transaction (the library's ``ProjectionRunner`` path)."""
        self.view.apply_events(
            self,
            [(domain_event, tracking.notification_id)],
            application_name=tracking.application_name,
            after=None,
            position=tracking.notification_id,
        )

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def require(row: Row | None, what: str, key: UUID | str) -> Row:
        """The row, or a LookupError saying which record is missing (a projection bug)."""
        if row is None:
            raise LookupError(f"{what} {key} is not in the read model")
        return row


def tracking_table_name(projection: str) -> str:
    """The tracking table of a projection."""
    return f"rm_{projection}_tracking"
