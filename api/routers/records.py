"""The one way a route finds a record named in its path, and records its read.

A record (an auxiliary, a complaint, a misconduct finding) out of the token's scope is
answered as not found, so scope never reveals whether a personal record exists
(``api.deps``). ``Records`` holds the three lookups every such record has -- for a read in
scope, for a command, for a read that an oversight token may make of an organ below its own
(issue 13) -- and the read of the record itself, recorded before it is shown. Each router
keeps its FastAPI dependencies (their path parameter is named after the record) and has
them call these typed methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from fastapi import Response

from api.deps import overseen, refuse_oversight_write, visible
from api.problems import ApiProblem
from api.runtime import Runtime
from domain.values import Actor
from ledger.access import record_access
from ledger.errors import NotFoundError
from ledger.records import AuxLedger


class Placed(Protocol):
    """A record that lies in an organ (and a unit of it)."""

    @property
    def version(self) -> int:
        """The record's version (its ``ETag``)."""

    @property
    def organ(self) -> str:
        """The organ it belongs to."""

    @property
    def unit(self) -> str | None:
        """The unit it belongs to, if any (a ``unit`` token sees only its own)."""


R = TypeVar("R", bound=Placed)
V = TypeVar("V")


@dataclass(frozen=True)
class Records(Generic[R]):
    """The lookups of one kind of record, by its id."""

    record_type: str
    """The access records' record type (``auxiliary``); its words name it in a 404."""
    load: Callable[[AuxLedger, UUID], R]
    """The ledger's checked read, e.g. ``AuxLedger.auxiliary`` (``NotFoundError`` if none)."""

    def _found(self, ledger: AuxLedger, record_id: UUID) -> R | None:
        try:
            return self.load(ledger, record_id)
        except NotFoundError:
            return None

    def _not_found(self, record_id: UUID) -> ApiProblem:
        what = self.record_type.replace("_", " ")
        return ApiProblem("not_found", f"no {what} {record_id} in the token's scope")

    def scoped(self, ledger: AuxLedger, actor: Actor, record_id: UUID) -> R:
        """The record, if it exists and lies in the actor's scope; else 404."""
        record = self._found(ledger, record_id)
        if record is None or not visible(actor, record.organ, record.unit):
            raise self._not_found(record_id)
        return record

    def commanded(self, ledger: AuxLedger, actor: Actor, runtime: Runtime, record_id: UUID) -> R:
        """The record a command is sent to: ``scoped``, except that an oversight token's
        command on an organ below its own answers 403 ``oversight_read_only``."""
        record = self._found(ledger, record_id)
        if record is not None and visible(actor, record.organ, record.unit):
            return record
        if record is not None:
            refuse_oversight_write(runtime, actor, record.organ)
        raise self._not_found(record_id)

    def readable(
        self, ledger: AuxLedger, actor: Actor, runtime: Runtime, record_id: UUID
    ) -> tuple[R, bool]:
        """The record, if it lies in the actor's scope or, for an oversight token, in an
        organ below its own (then True: the read needs a reason); else 404."""
        record = self._found(ledger, record_id)
        if record is not None and visible(actor, record.organ, record.unit):
            return record, False
        if record is not None and overseen(runtime, actor, record.organ):
            return record, True
        raise self._not_found(record_id)

    def read(
        self,
        ledger: AuxLedger,
        actor: Actor,
        readable: tuple[R, bool],
        view: Callable[[R], tuple[V, tuple[str, ...]]],
        *,
        record_id: UUID,
        reason: str | None,
        purpose: str,
        response: Response,
    ) -> V:
        """The record as ``view`` shows it to the actor, its read recorded (with the fields
        shown in clear, and whether it is an oversight read) before anything is answered;
        its version is the ``ETag``."""
        record, below = readable
        shown, clear = view(record)
        record_access(
            ledger,
            actor,
            record_type=self.record_type,
            record_id=record_id,
            fields=clear,
            reason=reason,
            purpose=purpose,
            overseen=below,
        )
        response.headers["ETag"] = f'"{record.version}"'
        return shown
