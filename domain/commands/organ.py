"""Commands on an organ (Art. 4, 5, 10): registering it, its units and its staffing quota."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from domain.events import Recording
    from domain.organ import Organ


@dataclass(frozen=True, kw_only=True)
class RegisterOrgan:
    """Register an organ (administrator or establishment authority, Art. 4)."""

    code: str
    name: str
    region: str


@dataclass(frozen=True, kw_only=True)
class OrganCommand(ABC):
    """A command on a registered organ."""

    claims_unit_code: ClassVar[bool] = False
    """The service saves a ``UnitCode`` claim with the organ (one code, one unit)."""

    @abstractmethod
    def run(self, organ: Organ, rec: Recording) -> None:
        """Let the organ decide (its events stay pending)."""


@dataclass(frozen=True, kw_only=True)
class RegisterUnit(OrganCommand):
    """Register a using unit of this organ (Art. 10)."""

    claims_unit_code: ClassVar[bool] = True

    code: str
    name: str

    def run(self, organ: Organ, rec: Recording) -> None:
        organ.register_unit(rec, self)


@dataclass(frozen=True, kw_only=True)
class SetQuota(OrganCommand):
    """Set the staffing quota for the first time (establishment authority, Art. 5)."""

    quota: int

    def run(self, organ: Organ, rec: Recording) -> None:
        organ.set_quota(rec, self)


@dataclass(frozen=True, kw_only=True)
class AdjustQuota(OrganCommand):
    """Adjust the staffing quota (establishment authority, Art. 5)."""

    new_quota: int
    reason: str

    def run(self, organ: Organ, rec: Recording) -> None:
        organ.adjust_quota(rec, self)


@dataclass(frozen=True, kw_only=True)
class SetParent:
    """Place the organ under its parent organ: a county or district bureau under its city
    bureau (Art. 4). Not an ``OrganCommand``: the service loads the parent's chain upwards,
    which the organ needs to refuse a cycle (``AuxLedger.set_organ_parent``)."""

    parent: str
