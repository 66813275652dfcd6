"""Finding auxiliaries for the public: by work ID, or by name and unit (read models only).

The public intake and the credential check never read the event store to find an
auxiliary: they ask the read models in ``projections`` through this interface, so a lookup
is one indexed query, and no personal data is involved (work-ID serials, names of officers
on duty and unit names are what a member of the public sees on the street).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from projections.service import ReadModels


@dataclass(frozen=True)
class AuxiliaryRef:
    """An auxiliary found for the public: its id and the organ that employs it."""

    auxiliary_id: UUID
    organ: str


@dataclass(frozen=True)
class CredentialCheck:
    """What the public may learn about a work ID (Art. 12): no personal data."""

    work_id: str
    genuine: bool
    active: bool
    status: str
    organ: str | None


class AuxiliaryDirectory(Protocol):
    """The lookups the public endpoints need."""

    def by_work_id(self, work_id: str) -> AuxiliaryRef | None:
        """The auxiliary a work ID was issued to, whatever the ID's status now."""

    def by_name(self, name: str, unit: str) -> list[AuxiliaryRef]:
        """Auxiliaries of this name in the unit named by code or name (current unit)."""

    def credential(self, work_id: str) -> CredentialCheck:
        """Whether a work ID is genuine (issued) and active (held by an employed auxiliary)."""


class ProjectionDirectory:
    """``AuxiliaryDirectory`` over the personnel read model (``rm_credential``, ``rm_unit``,
    ``rm_auxiliary``), read through the projections' own database sessions.

    The projections do not offer these three lookups as queries yet; the SQL below is the
    whole of it and belongs in ``projections.queries.PersonnelQueries`` once it is there.
    """

    CACHE_LIMIT = 50_000

    def __init__(self, models: ReadModels) -> None:
        self.db = models.db
        # A work ID's serial is issued once, to one auxiliary, and an auxiliary stays with its
        # organ (transfers are within the organ), so a found owner never changes: keep it.
        self._owners: dict[str, AuxiliaryRef] = {}
        self._lock = threading.Lock()

    def _work_id_row(self, work_id: str) -> dict[str, Any] | None:
        with self.db.read() as s:
            rows = s.query(
                "SELECT k.auxiliary_id, k.credential_status, k.issued_on, a.organ, a.status "
                "FROM {rm_credential} k JOIN {rm_auxiliary} a ON a.auxiliary_id = k.auxiliary_id "
                "WHERE k.kind = %s AND k.serial = %s ORDER BY k.issued_on DESC",
                ["work_id", work_id],
            )
        return rows[0] if rows else None

    def by_work_id(self, work_id: str) -> AuxiliaryRef | None:
        """The auxiliary a work ID was issued to (the latest issue of that serial)."""
        with self._lock:
            known = self._owners.get(work_id)
        if known is not None:
            return known
        row = self._work_id_row(work_id)
        if row is None:
            return None
        found = AuxiliaryRef(row["auxiliary_id"], row["organ"])
        with self._lock:
            if len(self._owners) >= self.CACHE_LIMIT:
                self._owners.clear()
            self._owners[work_id] = found
        return found

    def by_name(self, name: str, unit: str) -> list[AuxiliaryRef]:
        """Employed auxiliaries of this name whose current unit has this code or name."""
        with self.db.read() as s:
            units = s.query(
                "SELECT organ, unit FROM {rm_unit} WHERE unit = %s OR unit_name = %s", [unit, unit]
            )
            found: list[AuxiliaryRef] = []
            for u in units:
                rows = s.query(
                    "SELECT auxiliary_id, organ FROM {rm_auxiliary} WHERE organ = %s AND unit = %s "
                    "AND name = %s AND status <> %s ORDER BY auxiliary_id",
                    [u["organ"], u["unit"], name, "separated"],
                )
                found.extend(AuxiliaryRef(r["auxiliary_id"], r["organ"]) for r in rows)
        return found

    def credential(self, work_id: str) -> CredentialCheck:
        """Genuine: issued by an organ; active: not revoked or returned, holder employed."""
        row = self._work_id_row(work_id)
        if row is None:
            return CredentialCheck(
                work_id, genuine=False, active=False, status="unknown", organ=None
            )
        active = row["credential_status"] == "active" and row["status"] != "separated"
        return CredentialCheck(
            work_id,
            genuine=True,
            active=active,
            status=str(row["credential_status"]),
            organ=str(row["organ"]),
        )
