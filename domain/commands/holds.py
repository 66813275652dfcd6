"""Commands on a data subject's legal holds (issue 13, item 7)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.events import Recording
    from domain.holds import LegalHolds


class LegalHoldCommand(ABC):
    """A command on a data subject's legal holds."""

    @abstractmethod
    def run(self, holds: LegalHolds, rec: Recording) -> None:
        """Let the holds record decide (its events stay pending)."""


@dataclass(frozen=True, kw_only=True)
class PlaceLegalHold(LegalHoldCommand):
    """Place a legal hold: the person's data may not be erased while it stands."""

    hold_id: str
    reason: str
    reference: str

    def run(self, holds: LegalHolds, rec: Recording) -> None:
        holds.place(rec, self)


@dataclass(frozen=True, kw_only=True)
class ReleaseLegalHold(LegalHoldCommand):
    """Release a standing legal hold, giving the reason."""

    hold_id: str
    reason: str

    def run(self, holds: LegalHolds, rec: Recording) -> None:
        holds.release(rec, self)
