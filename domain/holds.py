"""Prior records across organs, and legal holds on a person's data (issue 13, items 6 and 7).

Two ledger-wide records that protect people and process rather than describe employment:

``PriorRecordMarker`` -- one per person (resident ID number) with an adverse separation
anywhere in the ledger. Its id is derived from the keyed blind index of the number (HMAC under
the blind-index key, computed by the ledger), never from the number: the marker holds only the
auxiliary record ids and the organ codes of those separations. A hire asks for the marker of
the number it records (one primary-key read, the claims pattern of ``CredentialSerial``) and is
refused (``PriorRecordElsewhereError``) unless it carries an override reason, which the new
record keeps in ``Auxiliary.PriorRecordOverridden`` beside the organs it was warned about.

``HireMarker`` -- one per person (resident ID number) hired since hires were marked, keyed
the same way (the blind index, never the number; a separate id space): the record ids and
organ codes of the person's hires. A hire reads it (one primary-key read) and is refused
(``AlreadyEmployedError``, Art. 5, 8) while another record of the person is not separated,
so one person never holds two quota slots; the hire notes itself in the same save, so two
hires of one person racing cannot both commit (the marker's next version is taken once).

``LegalHolds`` -- the holds on one data subject (an auxiliary or a complainant), keyed by the
subject's id. The discipline office, an inspector or an administrator of the organ that holds
the person's record places a hold (reason, reference) and releases it (reason), each an event.
An erasure of the subject is refused while a hold stands, and the erasure appends
``ErasureCleared`` to this record in its own save, so a hold placed at the same moment and the
erasure cannot both commit (the record's next version is taken once).

Invariants kept here:

- An adverse separation is a separation for dismissal (``SeparationReason.dismissed``, which
  itself needs a termination in force and not under a pending appeal, Art. 18), or any
  separation while a serious sanction (demotion, suspension or termination) stands on the
  separation date: in force, in effect, its term (``until``) not ended, a suspension not ended
  by reinstatement, and not under a pending appeal. A dismissal recorded while its
  termination's appeal was pending (before that was refused) is judged by the second rule, so
  it does not count: the finding was never sustained.
- A prior record names only an organ and a record id: no name, date, reason or finding.
  Records of the hiring organ itself count too.
- A hold is placed once per hold id and released once; a released hold stays on record.
- Nothing here holds personal data: reasons and references are the office's own text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Self
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.authority import require_organ, require_role
from domain.checks import UUID_REQUIRED, free_text, identifier, short_text
from domain.errors import DuplicateRecordError, InvalidFieldError, InvalidTransitionError
from domain.events import LedgerCreated, LedgerEvent, Recording
from domain.values import (
    ID_NAMESPACE,
    AppealStatus,
    AuxiliaryStatus,
    Role,
    SanctionKind,
    SanctionStatus,
    SeparationReason,
)

if TYPE_CHECKING:
    from domain.auxiliary import Auxiliary
    from domain.commands.holds import PlaceLegalHold, ReleaseLegalHold

__all__ = [
    "HOLD_ROLES",
    "SERIOUS_SANCTIONS",
    "HireMarker",
    "HoldRecord",
    "LegalHolds",
    "PriorRecordMarker",
    "separated_for_cause",
]

SERIOUS_SANCTIONS = frozenset(
    {SanctionKind.demotion, SanctionKind.suspension, SanctionKind.termination}
)
"""Sanctions whose standing makes a separation adverse (Art. 18)."""

HOLD_ROLES = (Role.discipline, Role.inspector, Role.admin)
"""Who places and releases a legal hold: the offices that answer for discipline and review."""


def separated_for_cause(auxiliary: Auxiliary) -> bool:
    """Whether the auxiliary left by dismissal (its termination not under a pending appeal),
    or while a serious sanction stood on the separation date (``Sanction.stands_on``: in
    force, its term not ended, a suspension not ended by reinstatement) and was not under a
    pending appeal."""
    if auxiliary.status is not AuxiliaryStatus.separated:
        return False
    if auxiliary.separation_reason is SeparationReason.dismissed and not any(
        s.kind is SanctionKind.termination
        and s.status is SanctionStatus.in_force
        and s.appeal is AppealStatus.pending
        for s in auxiliary.sanctions.values()
    ):
        return True
    separated_on = auxiliary.separated_on
    return separated_on is not None and any(
        s.kind in SERIOUS_SANCTIONS
        and s.appeal is not AppealStatus.pending
        and s.stands_on(separated_on)
        for s in auxiliary.sanctions.values()
    )


# --------------------------------------------------------------------------- prior records


class _PersonMarker(Aggregate):
    """What both markers share: one person (by the blind index of their resident ID number),
    the record ids and organ codes of what it marks, an ``Opened`` event for the first and a
    ``Noted`` event for each later one. Each marker keeps its own events and id space."""

    if TYPE_CHECKING:
        Opened: ClassVar[type[LedgerCreated]]
        Noted: ClassVar[type[LedgerEvent]]

        @staticmethod
        def id_for(resident_index: str) -> UUID: ...

    def __init__(self) -> None:
        self.records: dict[UUID, str] = {}

    @classmethod
    def open(cls, rec: Recording, *, resident_index: str, auxiliary: Auxiliary) -> Self:
        """The marker of a person, opened with its first record."""
        return cls._create(
            cls.Opened,
            id=cls.id_for(_index(resident_index)),
            **rec.fields(),
            auxiliary_id=auxiliary.id,
            organ=auxiliary.organ,
        )

    def note(self, rec: Recording, *, auxiliary: Auxiliary) -> None:
        """Add a record of the person (nothing if this record is noted already)."""
        if auxiliary.id in self.records:
            return
        self.trigger_event(
            self.Noted, **rec.fields(), auxiliary_id=auxiliary.id, organ=auxiliary.organ
        )


class PriorRecordMarker(_PersonMarker):
    """The adverse separations of one person (by the blind index of their resident ID
    number), across every organ of the ledger: record ids and organ codes only. Opened by the
    person's first separation for cause, noted by each later one."""

    class Event(LedgerEvent):
        """Base of the marker's events."""

    class Opened(Event, LedgerCreated):
        """The person's first adverse separation in the ledger."""

        auxiliary_id: UUID
        organ: str

        def apply(self, aggregate: PriorRecordMarker) -> None:
            aggregate.records[self.auxiliary_id] = self.organ

    class Noted(Event):
        """Another adverse separation of the same person."""

        auxiliary_id: UUID
        organ: str

        def apply(self, aggregate: PriorRecordMarker) -> None:
            aggregate.records[self.auxiliary_id] = self.organ

    @staticmethod
    def id_for(resident_index: str) -> UUID:
        """The marker's id for a blind index of a resident ID number (64 hex)."""
        return uuid5(ID_NAMESPACE, "prior-record:" + resident_index)


class HireMarker(_PersonMarker):
    """The hires of one person (by the blind index of their resident ID number), across every
    organ of the ledger: record ids and organ codes only. Opened by the person's first hire
    since hires were marked, noted by each later one (or a record whose number was corrected
    to it)."""

    class Event(LedgerEvent):
        """Base of the hire marker's events."""

    class Opened(Event, LedgerCreated):
        """The person's first hire marked in the ledger."""

        auxiliary_id: UUID
        organ: str

        def apply(self, aggregate: HireMarker) -> None:
            aggregate.records[self.auxiliary_id] = self.organ

    class Noted(Event):
        """Another hire of the same person (or a record whose number was corrected to it)."""

        auxiliary_id: UUID
        organ: str

        def apply(self, aggregate: HireMarker) -> None:
            aggregate.records[self.auxiliary_id] = self.organ

    @staticmethod
    def id_for(resident_index: str) -> UUID:
        """The marker's id for a blind index of a resident ID number (64 hex)."""
        return uuid5(ID_NAMESPACE, "hire:" + resident_index)


def _index(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidFieldError(
            "resident_index", "must be a blind index (64 hex)", zh="须为64位十六进制的检索索引"
        )
    return value


# --------------------------------------------------------------------------- legal holds


@dataclass(frozen=True)
class HoldRecord:
    """One explicit hold: who placed it, why, and whether it still stands."""

    hold_id: str
    reason: str
    reference: str
    placed_by: str
    placed_role: str
    standing: bool = True
    release_reason: str | None = None


class LegalHolds(Aggregate):
    """The legal holds on one data subject's personal data."""

    def __init__(self) -> None:
        self.subject_id: UUID | None = None
        self.organ: str = ""
        self._holds: dict[str, HoldRecord] = {}
        self.erasures_cleared = 0

    class Event(LedgerEvent):
        """Base of the holds' events."""

    class Opened(Event, LedgerCreated):
        """The holds record of a data subject, kept by the organ that holds their record."""

        subject_id: UUID
        organ: str

        def apply(self, aggregate: LegalHolds) -> None:
            aggregate.subject_id = self.subject_id
            aggregate.organ = self.organ

    class Placed(Event):
        """A hold was placed: the subject's data may not be erased while it stands."""

        hold_id: str
        reason: str
        reference: str

        def apply(self, aggregate: LegalHolds) -> None:
            aggregate._holds[self.hold_id] = HoldRecord(
                hold_id=self.hold_id,
                reason=self.reason,
                reference=self.reference,
                placed_by=self.actor.actor_id,
                placed_role=self.actor.role,
            )

    class Released(Event):
        """A hold was released, with the reason."""

        hold_id: str
        reason: str

        def apply(self, aggregate: LegalHolds) -> None:
            held = aggregate._holds[self.hold_id]
            aggregate._holds[self.hold_id] = replace(
                held, standing=False, release_reason=self.reason
            )

    class ErasureCleared(Event):
        """An erasure found no hold standing here (saved with the erasure itself)."""

        def apply(self, aggregate: LegalHolds) -> None:
            aggregate.erasures_cleared += 1

    @staticmethod
    def id_for(subject_id: UUID) -> UUID:
        """The id of a data subject's holds record."""
        return uuid5(ID_NAMESPACE, f"legal-holds:{subject_id}")

    @classmethod
    def open(cls, rec: Recording, *, subject_id: UUID, organ: str) -> LegalHolds:
        """A new, empty holds record of a data subject of this organ."""
        if not isinstance(subject_id, UUID):
            raise UUID_REQUIRED.refuse("subject_id")
        return cls._create(
            cls.Opened,
            id=cls.id_for(subject_id),
            **rec.fields(),
            subject_id=subject_id,
            organ=identifier("organ", organ),
        )

    @property
    def holds(self) -> tuple[HoldRecord, ...]:
        """Every hold, standing or released, in the order placed."""
        return tuple(self._holds.values())

    def standing(self) -> tuple[HoldRecord, ...]:
        """The holds that still stand."""
        return tuple(h for h in self._holds.values() if h.standing)

    def _authorise(self, rec: Recording, action: str) -> None:
        require_role(rec.actor, HOLD_ROLES, action=action, article=None)
        require_organ(rec.actor, self.organ)

    def place(self, rec: Recording, cmd: PlaceLegalHold) -> None:
        """Place a hold (discipline office, inspector or administrator of the organ)."""
        self._authorise(rec, "place a legal hold")
        hold_id = identifier("hold_id", cmd.hold_id)
        if hold_id in self._holds:
            raise DuplicateRecordError(
                f"legal hold {hold_id} is already recorded", zh="这一编号的法律保全已经登记"
            )
        self.trigger_event(
            self.Placed,
            **rec.fields(),
            hold_id=hold_id,
            reason=free_text("reason", cmd.reason),
            reference=short_text("reference", cmd.reference),
        )

    def release(self, rec: Recording, cmd: ReleaseLegalHold) -> None:
        """Release a standing hold, giving the reason."""
        self._authorise(rec, "release a legal hold")
        hold_id = identifier("hold_id", cmd.hold_id)
        held = self._holds.get(hold_id)
        if held is None:
            raise InvalidFieldError(
                "hold_id", "names no legal hold of this person", zh="此人没有这一编号的法律保全"
            )
        if not held.standing:
            raise InvalidTransitionError("released", "release_legal_hold", "released once")
        self.trigger_event(
            self.Released, **rec.fields(), hold_id=hold_id, reason=free_text("reason", cmd.reason)
        )

    def clear_erasure(self, rec: Recording) -> None:
        """Record that an erasure found no hold standing (refuses if one stands)."""
        if self.standing():
            raise InvalidTransitionError("held", "erase", "a legal hold stands")
        self.trigger_event(self.ErasureCleared, **rec.fields())
