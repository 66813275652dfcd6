"""Personnel status (issue item 1): current records, search, credentials, and the
ledger-backed timeline and as-of views.

The shared checks and invariants are in ``projections.queries.common``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.values import (
    AuxiliaryStatus,
    CredentialKind,
    PostType,
)
from projections import history
from projections.complaints import COMPLAINT
from projections.db import Session, sql
from projections.errors import (
    AmbiguousSerialError,
    InvalidFilterValueError,
)
from projections.personnel import AUXILIARY, CREDENTIAL, SANCTION, UNIT
from projections.queries.common import (
    _STATUS_COLUMNS,
    DEFAULT_PAGE_SIZE,
    ReadModelQueries,
    _Where,
    check_choice,
    check_page,
    check_search,
    check_uuid,
    like_pattern,
)
from projections.results import (
    ActiveSanction,
    AuxiliaryAsOf,
    AuxiliaryRef,
    CredentialHolder,
    Page,
    PersonnelStatus,
    Timeline,
)

__all__ = ["PersonnelQueries"]


class PersonnelQueries(ReadModelQueries):
    """Personnel status (issue item 1), plus the ledger-backed timeline and as-of views."""

    def status(
        self,
        *,
        organ: str | None = None,
        unit: str | None = None,
        post: str | None = None,
        level: int | None = None,
        status: str | None = None,
        q: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[PersonnelStatus]:
        """Auxiliaries' current records, filtered, ordered by organ, unit and name.

        ``q`` finds a name containing the text, or the holder of the work ID it names."""
        page, page_size = check_page(page, page_size)
        search = check_search(q)
        post = check_choice("post", post, PostType)
        status = check_choice("status", status, AuxiliaryStatus)
        checked_level = self._level(level)
        where = _Where()
        where.eq("organ", organ)
        where.eq("unit", unit)
        where.eq("post_type", post)
        where.eq("level", checked_level)
        where.eq("status", status)
        if search is not None:
            where.add(
                "(lower(name) LIKE lower(%s) ESCAPE '\\' OR auxiliary_id IN (SELECT "
                "auxiliary_id FROM {rm_credential} WHERE kind = %s AND serial = %s))",
                like_pattern(search),
                CredentialKind.work_id.value,
                search.upper(),
            )
        with self._reading(organ, unit) as s:
            rows, total = self._page_rows(
                s,
                columns=_STATUS_COLUMNS,
                source="FROM {rm_auxiliary}",
                where=where,
                order="organ, unit, name, auxiliary_id",
                page=page,
                page_size=page_size,
                tables=(AUXILIARY,),
            )
            items = self._status_items(s, rows)
        return Page(items, page, page_size, total)

    def auxiliary(self, auxiliary_id: UUID | str, *, organ: str | None = None) -> PersonnelStatus:
        """One auxiliary's current record."""
        with self.db.read() as s:
            row = self._auxiliary_row(s, auxiliary_id, organ)
            return self._status_items(s, [row])[0]

    def by_resident_index(
        self, resident_index: str, *, organ: str | None = None, unit: str | None = None
    ) -> list[PersonnelStatus]:
        """The auxiliaries whose resident ID number has this blind index (newest hire first).

        ``resident_index`` is ``ledger.privacy.blind_index("resident_id", number)``: callers
        hash the number they were given, so no plaintext ID reaches a query or a table. A
        person erased from the ledger is not found. Scoped to an organ (and unit) if given.
        """
        if not isinstance(resident_index, str) or len(resident_index) != 64:
            raise InvalidFilterValueError("resident_index", "must be a blind index (64 hex)")
        where = _Where()
        where.eq("organ", organ)
        where.eq("unit", unit)
        with self._reading(organ, unit) as s:
            rows = s.query(
                sql(
                    "SELECT",
                    _STATUS_COLUMNS,
                    "FROM {rm_auxiliary} WHERE auxiliary_id IN",
                    "(SELECT auxiliary_id FROM {rm_identity} WHERE resident_index = %s)",
                    where.sql("AND"),
                    "ORDER BY hired_on DESC, auxiliary_id",
                ),
                [resident_index, *where.params],
                tables=(AUXILIARY,),
            )
            return self._status_items(s, rows)

    def credential_holder(self, serial: str, *, kind: str = "work_id") -> CredentialHolder | None:
        """Who a work ID (or uniform, insignia) serial was issued to, and whether it is valid.

        Valid (``active``) means issued, neither revoked nor returned, and its holder not
        separated. None when no such serial was issued. No personal data (Art. 12). A serial
        held by more than one auxiliary (issued before serials were claimed once in the whole
        ledger) raises ``AmbiguousSerialError``: none of them, not the newest, is its holder.
        """
        checked_kind = check_choice("kind", kind, CredentialKind)
        if not isinstance(serial, str) or not serial:
            raise InvalidFilterValueError("serial", "must be a credential serial")
        with self.db.read() as s:
            rows = s.query(
                sql(
                    "SELECT k.auxiliary_id, k.issued_on, k.credential_status, a.organ,",
                    "a.status FROM {rm_credential} k",
                    "JOIN {rm_auxiliary} a ON a.auxiliary_id = k.auxiliary_id",
                    "WHERE k.serial = %s AND k.kind = %s ORDER BY k.auxiliary_id LIMIT 2",
                ),
                [serial, checked_kind],
                tables=(CREDENTIAL, AUXILIARY),
            )
        if len(rows) > 1:
            raise AmbiguousSerialError(
                f"this {checked_kind} serial was issued to more than one auxiliary, so it has no "
                "one holder (issued before serials were claimed once in the whole ledger)"
            )
        if not rows:
            return None
        r = rows[0]
        return CredentialHolder(
            kind=str(checked_kind),
            serial=serial,
            auxiliary_id=r["auxiliary_id"],
            organ=r["organ"],
            issued_on=r["issued_on"],
            credential_status=r["credential_status"],
            holder_status=r["status"],
            active=r["credential_status"] == "active"
            and r["status"] != AuxiliaryStatus.separated.value,
        )

    def by_name(self, name: str, unit: str, *, organ: str | None = None) -> list[AuxiliaryRef]:
        """Auxiliaries not separated, of this name, whose current unit has this code or name."""
        for field, value in (("name", name), ("unit", unit)):
            if not isinstance(value, str) or not value:
                raise InvalidFilterValueError(field, "must be text")
        with self._reading(organ) as s:
            where = _Where.employed(organ)
            where.add("(u.unit = %s OR u.unit_name = %s)", unit, unit)
            where.add("a.name = %s", name)
            rows = s.query(
                sql(
                    "SELECT a.auxiliary_id, a.organ, a.unit, a.name FROM {rm_auxiliary} a",
                    "JOIN {rm_unit} u ON u.organ = a.organ AND u.unit = a.unit",
                    where.sql(),
                    "ORDER BY a.organ, a.unit, a.auxiliary_id",
                ),
                where.params,
                tables=(AUXILIARY, UNIT),
            )
        return [AuxiliaryRef(r["auxiliary_id"], r["organ"], r["unit"], r["name"]) for r in rows]

    def timeline(
        self,
        auxiliary_id: UUID | str,
        *,
        organ: str | None = None,
        include_complaints: bool = False,
    ) -> Timeline:
        """The auxiliary's stored events (and its complaints' events), in log order, checked.

        Read from the ledger, not the read model; each entry names its signer (the actor),
        key id, record hash, position and verification result.
        """
        key = check_uuid("auxiliary_id", auxiliary_id)
        with self.db.read() as s:
            known_organ = _known_organ(s, key)
            complaint_ids: list[UUID] = []
            if include_complaints:
                complaint_ids = [
                    r["complaint_id"]
                    for r in s.query(
                        "SELECT complaint_id FROM {rm_complaint} WHERE auxiliary_id = %s "
                        "ORDER BY complaint_id",
                        [key],
                        tables=(COMPLAINT,),
                    )
                ]
        return history.timeline(
            self.models.ledger,
            key,
            organ=organ,
            known_organ=known_organ,
            complaint_ids=complaint_ids,
        )

    def timeline_and_as_of(
        self, auxiliary_id: UUID | str, on: date, *, organ: str | None = None
    ) -> tuple[Timeline, AuxiliaryAsOf | None]:
        """``timeline`` (without complaints) and ``as_of`` for ``on`` from one checked read of
        the auxiliary's events: the answers are those of the two calls (None where ``as_of``
        finds no record on ``on``)."""
        key = check_uuid("auxiliary_id", auxiliary_id)
        with self.db.read() as s:
            known_organ = _known_organ(s, key)
        return history.timeline_and_as_of(
            self.models.ledger, key, on, organ=organ, known_organ=known_organ
        )

    def as_of(
        self,
        auxiliary_id: UUID | str,
        on: date,
        *,
        organ: str | None = None,
        recorded_by: datetime | None = None,
    ) -> AuxiliaryAsOf:
        """The auxiliary's record for date ``on``, replayed from its own events."""
        key = check_uuid("auxiliary_id", auxiliary_id)
        return history.as_of(self.models.ledger, key, on, organ=organ, recorded_by=recorded_by)

    def _status_items(self, s: Session, rows: list[dict[str, Any]]) -> list[PersonnelStatus]:
        ids = [r["auxiliary_id"] for r in rows]
        if not ids:
            return []
        where = _Where()
        where.isin(s, "auxiliary_id", ids)
        complaints = {
            r["auxiliary_id"]: int(r["n"])
            for r in s.query(
                sql(
                    "SELECT auxiliary_id, count(*) AS n FROM {rm_complaint}",
                    where.sql(),
                    "GROUP BY auxiliary_id",
                ),
                where.params,
                tables=(COMPLAINT,),
            )
        }
        where.add("sanction_status = %s", "in_force")
        today = self.today()
        active: dict[UUID, list[ActiveSanction]] = defaultdict(list)
        for r in s.query(
            sql(
                "SELECT auxiliary_id, sanction_id, kind, effective, until_on, document_number "
                "FROM {rm_sanction}",
                where.sql(),
                "ORDER BY effective, sanction_id",
            ),
            where.params,
            tables=(SANCTION,),
        ):
            if r["effective"] <= today and (r["until_on"] is None or r["until_on"] >= today):
                active[r["auxiliary_id"]].append(
                    ActiveSanction(
                        r["sanction_id"],
                        r["kind"],
                        r["effective"],
                        r["until_on"],
                        r["document_number"],
                    )
                )
        return [
            PersonnelStatus.from_row(
                r,
                level=int(r["level"]),
                active_sanctions=tuple(active.get(r["auxiliary_id"], ())),
                sanctions_in_force=int(r["sanctions_in_force"]),
                commendations=int(r["commendations"]),
                complaints=complaints.get(r["auxiliary_id"], 0),
                version=int(r["version"]),
            )
            for r in rows
        ]


# --------------------------------------------------------------------------- complaints


def _known_organ(s: Session, auxiliary_id: UUID) -> str | None:
    """The organ the read model holds the auxiliary under (None: not projected yet)."""
    known = s.query(
        "SELECT organ FROM {rm_auxiliary} WHERE auxiliary_id = %s",
        [auxiliary_id],
        tables=(AUXILIARY,),
    )
    return known[0]["organ"] if known else None
