"""What every recorded fact carries, and the checks on it.

Every event of every aggregate derives from ``LedgerEvent`` (or ``LedgerCreated`` for the event
that creates an aggregate), so every event has:

- ``actor``: who recorded it (``Actor``: id, role, organ, unit or None);
- ``timestamp``: the instant it was recorded (aware, UTC; the command's ``at``);
- ``effective``: the calendar date in China Standard Time on which the fact takes effect;
- ``basis``: the article or document number it rests on, or None;
- ``rule_id``: the id of the rule set it was judged under (``Policy.rule_for(effective)``).

Invariants kept here:

- ``at`` is timezone-aware; it is stored in UTC.
- ``effective`` is a calendar date, never later than the China-Standard-Time date of ``at``
  unless the command allows future dates.
- ``basis`` is None or short text (at most 200 characters).
- The ``Recording``'s policy is ``policy.in_force(effective)``: a decision is judged by the
  parts of the rule set in force on its effective date, the one ``rule_id`` names.
- Event classes that carry personal data name those attributes in ``personal_fields`` and the
  attribute holding the data subject's id in ``personal_subject``; the ledger encrypts them per
  subject. Classes without personal data leave ``personal_fields`` empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from domain.authority import require_actor
from domain.checks import aware_instant, optional_short_text, plain_date
from domain.errors import DateInFutureError
from domain.policy import Policy
from domain.values import Actor, china_date

__all__ = ["LedgerCreated", "LedgerEvent", "Recording", "recording"]


class LedgerEvent(Aggregate.Event):
    """Base of every event: who recorded it, effective when, on what basis, under which rules."""

    actor: Actor
    effective: date
    basis: str | None
    rule_id: str

    personal_fields: ClassVar[tuple[str, ...]] = ()
    personal_subject: ClassVar[str] = ""


class LedgerCreated(LedgerEvent, Aggregate.Created):
    """Base of every event that creates an aggregate."""


@dataclass(frozen=True)
class Recording:
    """The checked attribution of one command, ready to be put on its event.

    Built once per command by ``recording`` (the application service does it) and passed to
    the aggregate's command method with the command object.
    """

    actor: Actor
    at: datetime
    effective: date
    basis: str | None
    rule_id: str
    policy: Policy = field(repr=False, compare=False)
    """The policy the command is judged under: the parts (level scheme, ...) of the rule set
    in force on ``effective``; not put on events."""

    @property
    def recorded_on(self) -> date:
        """The China-Standard-Time date of the recording instant."""
        return china_date(self.at)

    def fields(self) -> dict[str, Any]:
        """Keyword arguments for ``trigger_event`` / ``_create``."""
        return {
            "actor": self.actor,
            "timestamp": self.at,
            "effective": self.effective,
            "basis": self.basis,
            "rule_id": self.rule_id,
        }


def recording(
    *,
    actor: Actor,
    at: datetime,
    effective: date,
    basis: str | None,
    policy: Policy,
    future_allowed: bool = False,
) -> Recording:
    """Check the attribution common to every command and return it."""
    checked_actor = require_actor(actor)
    instant = aware_instant("at", at)
    day = plain_date("effective", effective)
    if not future_allowed and day > china_date(instant):
        raise DateInFutureError("effective")
    return Recording(
        actor=checked_actor,
        at=instant,
        effective=day,
        basis=optional_short_text("basis", basis),
        rule_id=policy.rule_for(day).rule_id,
        policy=policy.in_force(day),
    )
