"""An auxiliary's history from the ledger itself: the timeline and the as-of-date view.

Neither uses the read models for facts (only, optionally, to find which complaints name the
auxiliary): the timeline reads the stored rows and checks each one; the as-of view replays
the auxiliary's checked events through the domain aggregate's own ``apply`` methods.

What "as of D" means (``as_of``): the state the record shows for date D -- every fact whose
effective date is on or before D, applied in recording (version) order. In detail:

1. Only events recorded at or before ``recorded_by`` count, when it is given (what the ledger
   knew at that instant); by default every event recorded so far.
2. An event counts if its effective date is on or before D. A backdated event recorded later
   counts (it is a fact about D that is now known), and the aggregate's effective-dated
   histories put it in its place in the past.
3. A correction amends the value recorded by an earlier event, retroactively: it counts
   exactly when the event it corrects counts, whatever its own effective date.
4. An event that refers to an earlier fact that does not count (an appeal against a sanction
   effective after D, a cost advanced for an injury after D) is skipped and listed in
   ``skipped``, never applied half-way.
5. If the hire itself does not count, there is no record for D (``UnknownRecordError``).

Invariants kept here:

- Every row is checked before it is decoded. The timeline shows a row that fails
  (signature, format, key, chain link, version order) as ``verified: false`` with the
  failure's kind, not hidden, and decodes nothing from it. The as-of view refuses to replay
  an aggregate that fails (``IntegrityViolation`` propagates).
- Timeline entries carry every decoded field, and name the event class's personal fields
  (``personal_fields``) so the edge can mask them; this module never logs them.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.auxiliary import Auxiliary
from domain.events import LedgerEvent
from domain.values import post_category
from ledger.application import LedgerApplication
from ledger.errors import IntegrityViolation
from ledger.record import GENESIS_PREVIOUS, parse_record
from ledger.store import position_of
from projections.errors import InvalidFilterValueError, UnknownRecordError
from projections.results import (
    AuxiliaryAsOf,
    CredentialAsOf,
    SanctionAsOf,
    Timeline,
    TimelineEntry,
    json_ready,
)

__all__ = ["as_of", "complaint_history", "timeline", "timeline_and_as_of"]

_COMMON = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "effective",
        "basis",
        "rule_id",
    }
)


def _entries(ledger: LedgerApplication, rows: list[StoredEvent]) -> list[TimelineEntry]:
    return _checked_entries(ledger, rows)[0]


def _checked_entries(
    ledger: LedgerApplication, rows: list[StoredEvent]
) -> tuple[list[TimelineEntry], list[Any] | None]:
    """Each row checked on its own (signature, format, key, chain link, version order) as a
    timeline entry; and the decoded events, or None when any row failed."""
    verifier = ledger.record_mapper.verifier
    assert verifier is not None
    entries = []
    events: list[Any] | None = []
    previous_hash = GENESIS_PREVIOUS
    previous_version = 0
    for row in rows:
        raw = bytes(row.state)
        digest = hashlib.sha256(raw).digest()
        failure: str | None = None
        detail: str | None = None
        key_id: str | None = None
        event: Any = None
        try:
            record = verifier.check(row)
            key_id = record.key_id.hex()
            if record.originator_version != previous_version + 1:
                failure, detail = "version_gap", f"expected version {previous_version + 1}"
            elif record.previous_hash != previous_hash:
                failure = "chain_broken"
                detail = "record does not point at the hash of the aggregate's previous record"
            else:
                event = ledger.record_mapper.decode_payload(row, record.payload)
        except IntegrityViolation as e:
            failure, detail = e.kind, e.detail
            try:
                key_id = parse_record(raw).key_id.hex()
            except IntegrityViolation:
                key_id = None
        previous_hash, previous_version = digest, row.originator_version
        if event is None:
            events = None  # a row that failed: nothing of this aggregate is replayed
        elif events is not None:
            events.append(event)
        fields: dict[str, Any] = {}
        personal: tuple[str, ...] = ()
        if event is not None:
            fields = {k: json_ready(v) for k, v in vars(event).items() if k not in _COMMON}
            personal = tuple(getattr(type(event), "personal_fields", ()))
        actor = getattr(event, "actor", None)
        entries.append(
            TimelineEntry(
                position=position_of(row) or 0,
                originator_id=UUID(str(row.originator_id)),
                originator_version=row.originator_version,
                event=type(event).__qualname__ if event is not None else row.topic.rsplit(":")[-1],
                topic=row.topic,
                recorded_at=getattr(event, "timestamp", None),
                effective=getattr(event, "effective", None),
                actor=json_ready(actor) if actor is not None else None,
                basis=getattr(event, "basis", None),
                rule_id=getattr(event, "rule_id", None),
                key_id=key_id,
                hash=digest.hex(),
                verified=failure is None,
                failure=failure,
                failure_detail=detail,
                fields=fields,
                personal_fields=personal,
            )
        )
    return entries, events


def timeline(
    ledger: LedgerApplication,
    auxiliary_id: UUID,
    *,
    organ: str | None = None,
    known_organ: str | None = None,
    complaint_ids: list[UUID] = (),  # type: ignore[assignment]
) -> Timeline:
    """Every stored event of the auxiliary (and of ``complaint_ids``), in log order, checked."""
    return _timeline(ledger, auxiliary_id, organ, known_organ, complaint_ids)[0]


def _timeline(
    ledger: LedgerApplication,
    auxiliary_id: UUID,
    organ: str | None,
    known_organ: str | None,
    complaint_ids: list[UUID],
) -> tuple[Timeline, list[Any] | None]:
    """The timeline and the auxiliary's own decoded events (None if any of its rows failed)."""
    rows = list(ledger.recorder.select_events(auxiliary_id))
    if not rows or not rows[0].topic.startswith("domain.auxiliary:"):
        raise UnknownRecordError(f"no auxiliary {auxiliary_id}")
    entries, events = _checked_entries(ledger, rows)
    if organ is not None:
        record_organ = known_organ
        if record_organ is None and entries[0].verified:
            record_organ = entries[0].fields.get("organ")
        if record_organ != organ:
            raise UnknownRecordError(f"no auxiliary {auxiliary_id}")
    for complaint_id in complaint_ids:
        entries.extend(_entries(ledger, list(ledger.recorder.select_events(complaint_id))))
    entries.sort(key=lambda e: (e.position, str(e.originator_id), e.originator_version))
    return Timeline(auxiliary_id=auxiliary_id, entries=tuple(entries)), events


def timeline_and_as_of(
    ledger: LedgerApplication,
    auxiliary_id: UUID,
    on: date,
    *,
    organ: str | None = None,
    known_organ: str | None = None,
) -> tuple[Timeline, AuxiliaryAsOf | None]:
    """``timeline`` and ``as_of`` from one read of the auxiliary's rows (a dossier shows
    both): the as-of view replays the events the timeline checked, every row on its own;
    when any row failed it reads them again as ``as_of`` does, which refuses the replay.
    None for the as-of view where ``as_of`` answers ``UnknownRecordError`` (no record yet on
    ``on``); the timeline exists, so the auxiliary does."""
    _check_dates(on, None)
    found, events = _timeline(ledger, auxiliary_id, organ, known_organ, [])
    try:
        if events is None:
            return found, as_of(ledger, auxiliary_id, on, organ=organ)
        return found, _replay(auxiliary_id, events, on, organ=organ, recorded_by=None)
    except UnknownRecordError:
        return found, None  # the record did not exist yet on that date


def complaint_history(
    ledger: LedgerApplication, complaint_id: UUID, *, organ: str | None = None
) -> Timeline:
    """Every stored event of one complaint, in log order, each checked like a timeline's.

    ``auxiliary_id`` of the answer is the complaint's auxiliary. Personal fields (the
    complainant's) are in ``fields`` as decoded: the caller masks them by role."""
    rows = list(ledger.recorder.select_events(complaint_id))
    if not rows or not rows[0].topic.startswith("domain.complaint:"):
        raise UnknownRecordError(f"no complaint {complaint_id}")
    entries = _entries(ledger, rows)
    first = entries[0]
    if organ is not None and (not first.verified or _complaint_organ(entries) != organ):
        raise UnknownRecordError(f"no complaint {complaint_id}")
    auxiliary = _complaint_auxiliary(entries)
    return Timeline(
        auxiliary_id=UUID(str(auxiliary)) if auxiliary else complaint_id, entries=tuple(entries)
    )


def _complaint_organ(entries: list[TimelineEntry]) -> str | None:
    """The organ a complaint answers to now: the last attribution recorded (at receipt, or
    when an unnamed complaint was matched), else the organ of the office that took it."""
    organ: str | None = None
    for entry in entries:
        responsibility = entry.fields.get("responsibility")
        if isinstance(responsibility, dict) and responsibility.get("organ"):
            organ = responsibility["organ"]
    if organ is None and entries[0].actor is not None:
        organ = entries[0].actor.get("organ")
    return organ


def _complaint_auxiliary(entries: list[TimelineEntry]) -> Any:
    """The auxiliary the complaint names, from its receipt or its matching (None if unnamed)."""
    for entry in reversed(entries):
        if entry.fields.get("auxiliary_id"):
            return entry.fields["auxiliary_id"]
    return None


def as_of(
    ledger: LedgerApplication,
    auxiliary_id: UUID,
    on: date,
    *,
    organ: str | None = None,
    recorded_by: datetime | None = None,
) -> AuxiliaryAsOf:
    """The auxiliary's record replayed from its checked events for date ``on``."""
    _check_dates(on, recorded_by)
    events = list(ledger.signed_store.get(auxiliary_id))
    return _replay(auxiliary_id, events, on, organ=organ, recorded_by=recorded_by)


def _check_dates(on: date, recorded_by: datetime | None) -> None:
    if isinstance(on, datetime) or not isinstance(on, date):
        raise InvalidFilterValueError("on", "must be a calendar date (YYYY-MM-DD)")
    if recorded_by is not None and (
        not isinstance(recorded_by, datetime) or recorded_by.utcoffset() is None
    ):
        raise InvalidFilterValueError("recorded_by", "must be a date-time with a time zone")


def _replay(
    auxiliary_id: UUID,
    events: list[Any],
    on: date,
    *,
    organ: str | None,
    recorded_by: datetime | None,
) -> AuxiliaryAsOf:
    """Replay checked events for date ``on`` (the rules in the module docstring)."""
    if not events or not isinstance(events[0], Auxiliary.Hired):
        raise UnknownRecordError(f"no auxiliary {auxiliary_id}")
    if organ is not None and events[0].organ != organ:
        raise UnknownRecordError(f"no auxiliary {auxiliary_id}")
    aggregate: Auxiliary | None = None
    applied: set[int] = set()
    skipped: list[int] = []
    for event in events:
        if not isinstance(event, LedgerEvent):
            continue
        if recorded_by is not None and event.timestamp > recorded_by:
            continue
        if isinstance(event, Auxiliary.Corrected):
            counts = event.target_version in applied
        else:
            counts = event.effective <= on
        if not counts:
            continue
        if aggregate is None:
            if not isinstance(event, Auxiliary.Hired):
                continue
            aggregate = event.mutate(None)
        else:
            # Events left out leave gaps in the versions; align so ``mutate`` accepts the next.
            aggregate.version = event.originator_version - 1
            try:
                event.mutate(aggregate)
            except KeyError:
                skipped.append(event.originator_version)
                continue
        applied.add(event.originator_version)
    if aggregate is None:
        raise UnknownRecordError(f"auxiliary {auxiliary_id} had no record on {on.isoformat()}")
    responsibility = aggregate.responsibility_on(on)
    post = aggregate.post_on(on)
    return AuxiliaryAsOf(
        auxiliary_id=auxiliary_id,
        on=on,
        recorded_by=recorded_by,
        events_applied=len(applied),
        events_total=len(events),
        last_version_applied=max(applied),
        skipped=tuple(skipped),
        name=aggregate.name,
        organ=aggregate.organ,
        employed=aggregate.employed_on(on),
        unit=responsibility.unit if responsibility else None,
        supervisor_id=responsibility.supervisor_id if responsibility else None,
        supervisor_name=responsibility.supervisor_name if responsibility else None,
        post_type=post.value if post else None,
        post_category=post_category(post).value if post else None,
        level=aggregate.level_on(on),
        employment_form=aggregate.employment_form.value,
        contract_start=aggregate.contract_start,
        contract_end=aggregate.contract_end,
        hired_on=aggregate.hired_on,
        separated_on=aggregate.separated_on,
        status=aggregate.status.value,
        commendations=len(aggregate.commendations),
        sanctions=tuple(
            SanctionAsOf(
                sanction_id=s.sanction_id,
                kind=s.kind.value,
                effective=s.effective,
                until=s.until,
                status=s.status.value,
                appeal=s.appeal.value,
            )
            for s in aggregate.sanctions.values()
        ),
        credentials=tuple(
            CredentialAsOf(
                kind=c.kind.value, serial=c.serial, issued_on=c.issued_on, status=c.status.value
            )
            for c in aggregate.credentials
        ),
        health_checks=len(aggregate.health_checks),
        corrections=len(aggregate.corrections),
    )
