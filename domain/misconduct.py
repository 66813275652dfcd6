"""A finding of misconduct by an official in managing auxiliaries (Art. 19).

Accountability runs both ways: officials who abuse power, neglect duty or practise favouritism
in managing auxiliaries are recorded too.

Invariants kept here:

- Only the discipline office of the official's organ records a finding or amends its decision.
- The official is a supervising officer or a manager; the kind is one of the three of Art. 19.
- A decision is amended by a new event with a reason; the earlier decision stays on record, and
  an amendment must change the decision.
- An amendment is dated no earlier than the finding and the latest amendment before it
  (``InvalidDateRangeError``, Art. 19): the command checks it against ``decision_history``, so
  a ledger already holding an amendment out of order replays unchanged.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.authority import require_organ, require_role
from domain.checks import (
    UUID_REQUIRED,
    free_text,
    identifier,
    member,
    optional_identifier,
    short_text,
)
from domain.errors import InvalidDateRangeError, InvalidFieldError
from domain.events import LedgerCreated, LedgerEvent, Recording
from domain.values import MisconductKind, OfficialRole, Role

if TYPE_CHECKING:
    from domain.commands.misconduct import AmendDecision, RecordMisconduct

__all__ = ["MisconductFinding"]


def _authorise(rec: Recording, organ: str, action: str) -> None:
    require_role(rec.actor, (Role.discipline,), action=action, article="Art. 19")
    require_organ(rec.actor, organ)


class MisconductFinding(Aggregate):
    """Misconduct of an official in managing auxiliaries, and the decision on it (Art. 19)."""

    def __init__(self) -> None:
        self.official_id: str = ""
        self.official_name: str = ""
        self.official_role: OfficialRole = OfficialRole.supervisor
        self.organ: str = ""
        self.unit: str | None = None
        self.kind: MisconductKind = MisconductKind.neglect_of_duty
        self.summary: str = ""
        self.decision: str = ""
        self.decision_history: list[tuple[date, str]] = []

    class Event(LedgerEvent):
        """Base of the misconduct finding's events."""

    class Recorded(Event, LedgerCreated):
        """Misconduct of an official was found and a decision taken (Art. 19)."""

        official_id: str
        official_name: str
        official_role: str
        organ: str
        unit: str | None
        kind: str
        summary: str
        decision: str

        def apply(self, aggregate: MisconductFinding) -> None:
            aggregate.official_id = self.official_id
            aggregate.official_name = self.official_name
            aggregate.official_role = OfficialRole(self.official_role)
            aggregate.organ = self.organ
            aggregate.unit = self.unit
            aggregate.kind = MisconductKind(self.kind)
            aggregate.summary = self.summary
            aggregate.decision = self.decision
            aggregate.decision_history.append((self.effective, self.decision))

    class DecisionAmended(Event):
        """The decision was amended, with the reason."""

        decision: str
        reason: str

        def apply(self, aggregate: MisconductFinding) -> None:
            aggregate.decision = self.decision
            aggregate.decision_history.append((self.effective, self.decision))

    @classmethod
    def record(cls, rec: Recording, cmd: RecordMisconduct, *, id: UUID) -> MisconductFinding:
        """Record a finding of misconduct (discipline office of the official's organ)."""
        organ_code = identifier("organ", cmd.organ)
        _authorise(rec, organ_code, "record an official's misconduct")
        if not isinstance(id, UUID):
            raise UUID_REQUIRED.refuse("id")
        return cls._create(
            cls.Recorded,
            id=id,
            **rec.fields(),
            official_id=identifier("official_id", cmd.official_id),
            official_name=short_text("official_name", cmd.official_name),
            official_role=member(OfficialRole, "official_role", cmd.official_role).value,
            organ=organ_code,
            unit=optional_identifier("unit", cmd.unit),
            kind=member(MisconductKind, "kind", cmd.kind).value,
            summary=free_text("summary", cmd.summary),
            decision=free_text("decision", cmd.decision),
        )

    def amend_decision(self, rec: Recording, cmd: AmendDecision) -> None:
        """Amend the decision, giving the reason (discipline office)."""
        _authorise(rec, self.organ, "amend a misconduct decision")
        checked = free_text("decision", cmd.decision)
        if checked == self.decision:
            raise InvalidFieldError(
                "decision", "equals the decision in force", zh="与现行处理决定相同，无需变更"
            )
        latest = max(day for day, _ in self.decision_history)
        if rec.effective < latest:
            raise InvalidDateRangeError(
                f"the amendment precedes the decision in force, dated {latest.isoformat()}: "
                "a decision is amended after the finding and its last amendment (Art. 19)",
                zh="变更日期早于现行处理决定的日期：处理决定只能在调查结论及上一次变更之后变更（第十九条）",
            )
        self.trigger_event(
            self.DecisionAmended,
            **rec.fields(),
            decision=checked,
            reason=free_text("reason", cmd.reason),
        )
