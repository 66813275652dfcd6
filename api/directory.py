"""Finding auxiliaries for the public: by work ID, or by name and unit (read models only).

The public intake and the credential check never read the event store to find an
auxiliary: they ask the read models in ``projections`` through this interface, so a lookup
is one indexed query, and no personal data is involved (work-ID serials, names of officers
on duty and unit names are what a member of the public sees on the street).

A name and unit are resolved against the unit history (``rm_unit_history``) as of the
incident date, not against the auxiliary's current unit: the unit named is the one the
public met the auxiliary in. An auxiliary who moved or left since is found all the same, and
one who had not yet joined the unit (or the organ) then is not. Whether the one found was
employed on that date is the domain's check at intake, as for a work ID
(``domain.complaint.responsibility_at_incident``); the lookup only leaves out those whose
separation the read model holds as before the date, so that a namesake who had already left
does not make the name ambiguous.

A work ID names one holder or none: a serial is claimed once in the whole ledger
(``domain.auxiliary.CredentialSerial``), but serials issued before claims existed may have
been issued to several auxiliaries. Such a serial is never resolved to one of them (not the
newest, not a remembered one): the lookup is refused (``ambiguous_work_id``), so no check
answers for the wrong organ and no complaint is routed to it. Nothing is cached: the read
model is the one answer, and a lookup made while it catches up must not outlive it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from api.problems import ApiProblem
from projections.personnel import AUXILIARY, CREDENTIAL, UNIT, UNIT_HISTORY
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
        """The auxiliary a work ID was issued to, whatever the ID's status now; an
        ``ApiProblem`` (``ambiguous_work_id``) if it was issued to more than one."""

    def by_name(self, name: str, unit: str, on: date) -> list[AuxiliaryRef]:
        """Auxiliaries of this name who were in the unit named by code or name on ``on``."""

    def credential(self, work_id: str) -> CredentialCheck:
        """Whether a work ID is genuine (issued) and active (held by an employed auxiliary)."""


class ProjectionDirectory:
    """``AuxiliaryDirectory`` over the personnel read model (``rm_credential``, ``rm_unit``,
    ``rm_auxiliary``, ``rm_unit_history``), read through the projections' own database sessions.

    The projections do not offer these three lookups as queries yet; the SQL below is the
    whole of it and belongs in ``projections.queries.PersonnelQueries`` once it is there.
    """

    def __init__(self, models: ReadModels) -> None:
        self.db = models.db

    def _work_id_row(self, work_id: str) -> dict[str, Any] | None:
        """The one holder's row of a work ID, None if it was never issued; refused if the
        read model holds it for more than one auxiliary (legacy data, see the module)."""
        rows = self.db.lookup(
            "SELECT k.auxiliary_id, k.credential_status, a.organ, a.status "
            "FROM {rm_credential} k JOIN {rm_auxiliary} a ON a.auxiliary_id = k.auxiliary_id "
            "WHERE k.kind = %s AND k.serial = %s ORDER BY k.auxiliary_id LIMIT 2",
            ["work_id", work_id],
            tables=(CREDENTIAL, AUXILIARY),
        )
        if len(rows) > 1:
            raise ApiProblem(
                "ambiguous_work_id",
                "this work ID was issued to more than one auxiliary (before serials were "
                "claimed once), so it can be neither checked nor used to route a complaint; "
                "name the auxiliary by name and unit instead",
            )
        return rows[0] if rows else None

    def by_work_id(self, work_id: str) -> AuxiliaryRef | None:
        """The auxiliary a work ID was issued to (its only holder), or None."""
        row = self._work_id_row(work_id)
        if row is None:
            return None
        return AuxiliaryRef(row["auxiliary_id"], row["organ"])

    def by_name(self, name: str, unit: str, on: date) -> list[AuxiliaryRef]:
        """Auxiliaries of this name whose unit on ``on`` (the latest entry of the unit history
        effective by then) has this code or name, leaving out those separated by then."""
        with self.db.read() as s:
            units = s.query(
                "SELECT organ, unit FROM {rm_unit} WHERE unit = %s OR unit_name = %s",
                [unit, unit],
                tables=(UNIT,),
            )
            found: list[AuxiliaryRef] = []
            for u in units:
                rows = s.query(
                    "SELECT a.auxiliary_id, a.organ FROM {rm_auxiliary} a "
                    "WHERE a.organ = %s AND a.name = %s "
                    "AND (a.separated_on IS NULL OR a.separated_on > %s) "
                    "AND (SELECT h.unit FROM {rm_unit_history} h "
                    "WHERE h.auxiliary_id = a.auxiliary_id AND h.effective <= %s "
                    "ORDER BY h.effective DESC, h.originator_version DESC LIMIT 1) = %s "
                    "ORDER BY a.auxiliary_id",
                    [u["organ"], name, on, on, u["unit"]],
                    tables=(AUXILIARY, UNIT_HISTORY),
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
