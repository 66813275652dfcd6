"""The identity projection: a keyed blind index of auxiliaries' resident ID numbers.

Follows ``Auxiliary.Hired``, ``Auxiliary.PersonalDataCorrected`` and the ledger's
``ErasureRecord.Erased`` and keeps ``rm_identity``: one row per auxiliary with
``resident_index``, the HMAC-SHA256 of the normalised resident ID number under the
blind-index key (``ledger.privacy.blind_index``, kind ``resident_id``). Personnel find a
person's records by ID number through it without any plaintext ID in the read model or in a
query: the API computes the same HMAC of the number it was given and looks the HMAC up.

This is the one projection that reads a personal attribute, and only to hash it at once; it
therefore needs the blind-index key and the master key (the resident ID number is sealed in
the event). A process without them cannot build it and stops loudly instead of writing a
wrong index.

Invariants kept here:

- ``resident_index`` is the index of the auxiliary's current resident ID number: the hire's,
  replaced by the latest ``PersonalDataCorrected`` of field ``resident_id``.
- Once the auxiliary's data key is destroyed (erasure), ``resident_index`` is NULL: the
  ``Erased`` event clears it, and a rebuild never sets it, because the sealed number then
  reads as ``[erased]``. The index of an erased person is therefore nowhere in the read
  models, and a live table and a replay agree (``projections check``).
- No rule-period flags: the personnel projection already judges the same events (Art. 20).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.auxiliary import Auxiliary
from domain.events import LedgerEvent
from ledger.privacy import ERASED, SEALED, ErasureRecord
from projections.base import ReadModelProjection, handles
from projections.errors import BlindIndexUnavailableError
from projections.state import State
from projections.tables import Column, Table

__all__ = ["RESIDENT_ID_KIND", "IdentityProjection"]

RESIDENT_ID_KIND = "resident_id"
"""The blind-index kind of resident ID numbers (``PersonalDataCipher.blind_index``)."""

IDENTITY = Table(
    "rm_identity",
    (
        Column("auxiliary_id", "uuid", nullable=False),
        Column("resident_index", "text"),
        Column("index_version", "int", nullable=False),
    ),
    key=("auxiliary_id",),
    mode="owned",
    owner="auxiliary_id",
    indexes=(("resident_index",),),
)


class IdentityProjection(ReadModelProjection):
    """Blind index of resident ID numbers, cleared by erasure."""

    name = "identity"
    aggregates = (Auxiliary,)
    tables: ClassVar[tuple[Table, ...]] = (IDENTITY,)
    flags: ClassVar[Table | None] = None
    owned_by: ClassVar[dict[type[Aggregate], tuple[str, ...]]] = {Auxiliary: (IDENTITY.name,)}
    # The ledger's erasure records are not ``LedgerEvent``s: follow their topic explicitly.
    extra_topics: ClassVar[tuple[str, ...]] = (get_topic(ErasureRecord.Erased),)
    personal_data_read: ClassVar[tuple[type, ...]] = (
        Auxiliary.Hired,
        Auxiliary.PersonalDataCorrected,
    )

    indexer: Callable[[str, str], str] | None = None
    """``blind_index(kind, value)``; set by ``ReadModels`` from the ledger's cipher."""

    def _index(self, value: Any) -> str | None:
        if value == ERASED:
            return None
        if value == SEALED or not isinstance(value, str):
            raise BlindIndexUnavailableError(
                "the identity projection needs the master key to index resident ID numbers "
                "(the number is sealed in this process)"
            )
        if self.indexer is None:
            raise BlindIndexUnavailableError("the identity projection has no blind-index key")
        return self.indexer(RESIDENT_ID_KIND, value)

    @handles(Auxiliary.Hired)
    def _hired(self, state: State, e: Auxiliary.Hired, position: int) -> None:
        state.put(
            IDENTITY,
            {
                "auxiliary_id": e.originator_id,
                "resident_index": self._index(e.resident_id),
                "index_version": e.originator_version,
            },
        )

    @handles(Auxiliary.PersonalDataCorrected)
    def _corrected(self, state: State, e: Auxiliary.PersonalDataCorrected, position: int) -> None:
        if e.field != RESIDENT_ID_KIND:
            return
        row = self.require(state.get(IDENTITY, (e.originator_id,)), "auxiliary", e.originator_id)
        row["resident_index"] = self._index(e.value)
        row["index_version"] = e.originator_version
        state.put(IDENTITY, row)

    @handles(ErasureRecord.Erased)
    def _erased(self, state: State, e: ErasureRecord.Erased, position: int) -> None:
        row = state.get(IDENTITY, (e.subject_id,))
        if row is None:  # a complainant, or an auxiliary hired in another ledger
            return
        row["resident_index"] = None
        state.put(IDENTITY, row)

    def organ_of(self, state: State, event: LedgerEvent) -> str | None:
        """Never used: this projection keeps no flags."""
        return None
