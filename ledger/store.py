"""Signing, chaining and checking events on their way into and out of the store.

- ``RecordVerifier`` checks one stored row: the record parses, the row's columns equal the
  signed header, the signing key is registered and valid at the row's log position, and the
  Ed25519 signature verifies.
- ``RecordMapper`` is the library's mapper with that check on every read: whatever path
  turns a stored row into a domain event (repository, notification log, projections) goes
  through ``to_domain_event`` and so through the verifier.
- ``SignedEventStore`` adds the per-aggregate hash chain: on write it seals each event with
  the hash of the aggregate's previous record and the active key's signature; on read it
  checks that versions run 1, 2, 3 ... without gaps and that each record points at the hash
  of its predecessor.

Invariants:
- Nothing is stored unsigned or unchained; nothing is returned unchecked. Every failure is a
  named ``IntegrityViolation`` naming originator id, version and position (fail closed).
- A signature already verified in this process is not verified again: the record's SHA-256
  is compared with the set of verified record hashes (an equal hash means equal bytes). The
  set is cleared whenever the key ring changes, so a revocation is never masked.
- A conflicting write (same aggregate, same version) raises ``ConcurrencyConflictError``;
  nothing is half-written and the chain never forks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    IntegrityError,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import get_topic, resolve_topic

from ledger.errors import (
    BadSignatureError,
    ChainBrokenError,
    ConcurrencyConflictError,
    KeyNotValidError,
    MalformedRecordError,
    RecordMismatchError,
    UnknownKeyError,
    VersionGapError,
)
from ledger.keyring import KeyRing
from ledger.keys import SigningKey
from ledger.privacy import (
    ERASED,
    SEALED,
    PersonalDataCipher,
    PersonalDataError,
    Sealed,
    SealedFieldError,
    field_aad,
    personal_subjects,
)
from ledger.record import (
    GENESIS_PREVIOUS,
    SIGNING_PREFIX,
    SignedRecord,
    as_uuid,
    parse_record,
    record_hash,
    unsigned_body,
)

VERIFIED_CACHE_LIMIT = 200_000
CHAIN_HEAD_CACHE_LIMIT = 100_000


def position_of(row: StoredEvent) -> int | None:
    """The notification id of a row read with its position, else None."""
    return row.id if isinstance(row, Notification) else None


class RecordVerifier:
    """Checks single stored rows against the key ring (no chain: see SignedEventStore)."""

    def __init__(self, ring: Callable[[], KeyRing], refresh: Callable[[], KeyRing]) -> None:
        self._ring = ring
        self._refresh = refresh
        self._verified: set[bytes] = set()
        self._lock = threading.Lock()
        self._ring_seen: KeyRing | None = None

    def check(self, row: StoredEvent, *, signature: bool = True) -> SignedRecord:
        """Parse and check one row; raise a named IntegrityViolation if it fails.

        ``signature=False`` checks everything but the Ed25519 signature: for records whose
        bytes the caller authenticates through the hash chain to a record whose signature
        it does check (``SignedEventStore.check_rows``).
        """
        position = position_of(row)
        where: dict[str, Any] = {
            "originator_id": row.originator_id,
            "originator_version": row.originator_version,
            "position": position,
        }
        try:
            record = parse_record(row.state)
        except MalformedRecordError as e:
            raise MalformedRecordError(e.detail, **where) from None
        if record.originator_id != as_uuid(row.originator_id):
            raise RecordMismatchError(
                f"row is filed under another aggregate than its signed header "
                f"({record.originator_id})",
                **where,
            )
        if record.originator_version != row.originator_version:
            raise RecordMismatchError(
                f"row version differs from its signed version {record.originator_version}",
                **where,
            )
        if record.topic != row.topic:
            raise RecordMismatchError("row topic differs from its signed topic", **where)
        ring = self._current_ring()
        status = ring.lookup(record.key_id)
        if status is None:
            ring = self._refreshed_ring()
            status = ring.lookup(record.key_id)
        if status is None:
            raise UnknownKeyError(
                f"signed by key {record.key_id.hex()}, which is not registered", **where
            )
        if position is not None and not status.valid_at(position):
            raise KeyNotValidError(
                f"signed by key {record.key_id.hex()} ({status.status}) outside its "
                "validity in the log",
                **where,
            )
        if signature:
            self.verify_signature(row, record, status.public)
        return record

    def verify_signature(self, row: StoredEvent, record: SignedRecord, public: Any = None) -> None:
        """The record's Ed25519 signature (skipped if these exact bytes were verified)."""
        digest = record.hash
        with self._lock:
            known = digest in self._verified
        if known:
            return
        if public is None:
            status = self._current_ring().lookup(record.key_id)
            if status is None:  # check() refuses unknown keys before this is reached
                raise UnknownKeyError(
                    f"signed by key {record.key_id.hex()}, which is not registered",
                    originator_id=row.originator_id,
                    originator_version=row.originator_version,
                    position=position_of(row),
                )
            public = status.public
        if not public.verify(record.signature, SIGNING_PREFIX + record.raw[:-64]):
            raise BadSignatureError(
                "Ed25519 signature does not verify",
                originator_id=row.originator_id,
                originator_version=row.originator_version,
                position=position_of(row),
            )
        with self._lock:
            if len(self._verified) >= VERIFIED_CACHE_LIMIT:
                self._verified.clear()
            self._verified.add(digest)

    def remember(self, digests: Sequence[bytes]) -> None:
        """Mark records this process just signed and stored as verified."""
        with self._lock:
            if len(self._verified) + len(digests) >= VERIFIED_CACHE_LIMIT:
                self._verified.clear()
            self._verified.update(digests)

    def _current_ring(self) -> KeyRing:
        ring = self._ring()
        if ring is not self._ring_seen:
            with self._lock:
                self._verified.clear()
                self._ring_seen = ring
        return ring

    def _refreshed_ring(self) -> KeyRing:
        self._refresh()
        return self._current_ring()


class RecordMapper(Mapper[UUID]):
    """The library's mapper; every stored row is checked by the verifier before decoding.

    It also seals the personal fields an event class declares (``personal_fields``) with
    the data key of its ``personal_subject`` before the payload is signed, and opens them
    on the way out (``ERASED`` once the subject's key is destroyed; ``SEALED`` in a process
    without the master key).
    """

    verifier: RecordVerifier | None = None
    privacy: PersonalDataCipher | None = None
    open_only: frozenset[type] | None = None
    """If set, only these event classes' personal fields are opened; the rest read as
    ``SEALED`` (no key is fetched, nothing is decrypted)."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Transcode the event, sealing its personal fields first."""
        cls = type(domain_event)
        fields: tuple[str, ...] = getattr(cls, "personal_fields", ())
        if not any(getattr(domain_event, name, None) is not None for name in fields):
            # Nothing personal in this one (a token issued without a named holder).
            return super().to_stored_event(domain_event)
        if self.privacy is None:
            msg = f"{cls.__qualname__} carries personal data but no cipher is configured"
            raise PersonalDataError(msg)
        topic = get_topic(cls)
        state = dict(vars(domain_event))
        originator_id = as_uuid(state.pop("originator_id"))
        version: int = state.pop("originator_version")
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        subject_attr = getattr(cls, "personal_subject", "")
        subject = originator_id if subject_attr == "originator_id" else state.get(subject_attr)
        if not isinstance(subject, UUID):
            msg = f"{cls.__qualname__} has no UUID data subject to seal its personal fields for"
            raise PersonalDataError(msg)
        for name in fields:
            value = state.get(name)
            if value is None:
                continue
            state[name] = self.privacy.seal(
                subject,
                self.transcoder.encode(value),
                field_aad(subject, originator_id, version, topic, name),
            )
        return StoredEvent(
            originator_id=originator_id,
            originator_version=version,
            topic=topic,
            state=self.transcoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Check the row, then decode its payload."""
        if self.verifier is None:
            msg = "RecordMapper has no verifier: refusing to read an unchecked record"
            raise MalformedRecordError(msg)
        record = self.verifier.check(stored_event)
        return self.decode_payload(stored_event, record.payload)

    def decode_payload(self, row: StoredEvent, payload: bytes) -> DomainEventProtocol[UUID]:
        """Decode an already-checked payload into its domain event, opening sealed fields."""
        cls = resolve_topic(row.topic)
        try:
            state: dict[str, Any] = self.transcoder.decode(payload)
        except Exception as e:
            raise MalformedRecordError(
                f"payload does not decode: {type(e).__name__}",
                originator_id=row.originator_id,
                originator_version=row.originator_version,
                position=position_of(row),
            ) from None
        originator_id = as_uuid(row.originator_id)
        for name, value in list(state.items()):
            if isinstance(value, Sealed):
                state[name] = self._open(cls, row, originator_id, state, name, value)
        convert = find_id_convertor(cls, cast(Any, type(row.originator_id)))
        state["originator_id"] = convert(row.originator_id)
        state["originator_version"] = row.originator_version
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return cast(DomainEventProtocol[UUID], event)

    def _open(
        self,
        cls: type[Any],
        row: StoredEvent,
        originator_id: UUID,
        state: dict[str, Any],
        name: str,
        value: Sealed,
    ) -> Any:
        subject_attr = getattr(cls, "personal_subject", "")
        expected = originator_id if subject_attr == "originator_id" else state.get(subject_attr)
        if name not in getattr(cls, "personal_fields", ()) or value.subject != expected:
            raise SealedFieldError(
                f"sealed field {name!r} does not belong to this event's data subject",
                originator_id=row.originator_id,
                originator_version=row.originator_version,
                position=position_of(row),
            )
        if self.privacy is None or self.privacy.master(required=False) is None:
            return SEALED
        if self.open_only is not None and cls not in self.open_only:
            return SEALED
        try:
            plain = self.privacy.open(
                value,
                field_aad(value.subject, originator_id, row.originator_version, row.topic, name),
            )
        except SealedFieldError as e:
            raise SealedFieldError(
                e.detail,
                originator_id=row.originator_id,
                originator_version=row.originator_version,
                position=position_of(row),
            ) from None
        return ERASED if plain is None else self.transcoder.decode(plain)


class ChainHeads:
    """Record hashes of recently seen (aggregate, version) pairs, a bounded LRU.

    A repository serving a cached aggregate reads only the events after the version it
    holds, so the hash of that version (not only of the newest) must be at hand.
    """

    def __init__(self, limit: int = CHAIN_HEAD_CACHE_LIMIT) -> None:
        self._hashes: OrderedDict[tuple[UUID, int], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, originator_id: UUID, version: int) -> bytes | None:
        """The record hash of ``version`` of the aggregate, if remembered."""
        key = (originator_id, version)
        with self._lock:
            digest = self._hashes.get(key)
            if digest is not None:
                self._hashes.move_to_end(key)
            return digest

    def put(self, originator_id: UUID, version: int, digest: bytes) -> None:
        """Remember the hash of one version."""
        with self._lock:
            self._hashes[(originator_id, version)] = digest
            self._hashes.move_to_end((originator_id, version))
            while len(self._hashes) > self._limit:
                self._hashes.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._hashes.clear()


class SignedEventStore(EventStore[UUID]):
    """Event store that signs and chains on put and checks signature and chain on get."""

    def __init__(
        self,
        mapper: RecordMapper,
        recorder: AggregateRecorder,
        *,
        signer: Callable[[], SigningKey],
    ) -> None:
        super().__init__(mapper=mapper, recorder=recorder)
        self.record_mapper = mapper
        self._signer = signer
        self.heads = ChainHeads()

    # ------------------------------------------------------------------ write

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        """Seal (chain + sign) each event and store the batch in one transaction."""
        signer: SigningKey = kwargs.pop("signer", None) or self._signer()
        privacy = self.record_mapper.privacy
        subjects = personal_subjects(domain_events)
        new_keys: dict[UUID, tuple[bytes, str]] = dict(kwargs.pop("subject_keys", None) or {})
        new_subjects = kwargs.pop("new_subjects", None) or ()
        if subjects:
            if privacy is None:
                raise PersonalDataError("events carry personal data but no cipher is configured")
            new_keys.update(privacy.ensure_keys(subjects, new=new_subjects))
        sealed: list[StoredEvent] = []
        batch_heads: dict[UUID, tuple[int, bytes]] = {}
        for event in domain_events:
            plain = self.mapper.to_stored_event(event)
            originator_id = as_uuid(plain.originator_id)
            version = plain.originator_version
            previous = self._previous_hash(originator_id, version, batch_heads)
            body = unsigned_body(
                originator_id=originator_id,
                originator_version=version,
                previous_hash=previous,
                key_id=signer.key_id,
                topic=plain.topic,
                payload=plain.state,
            )
            raw = body + signer.sign(SIGNING_PREFIX + body)
            batch_heads[originator_id] = (version, record_hash(raw))
            sealed.append(
                StoredEvent(
                    originator_id=originator_id,
                    originator_version=version,
                    topic=plain.topic,
                    state=raw,
                )
            )
        try:
            ids = self.recorder.insert_events(
                sealed, signer=signer, subject_keys=new_keys or None, **kwargs
            )
        except IntegrityError as e:
            if privacy is not None and new_keys:
                privacy.abandon(new_keys)
            raise ConcurrencyConflictError(
                "another writer recorded the same version first; reload and retry"
            ) from e
        except BaseException:
            if privacy is not None and new_keys:
                privacy.abandon(new_keys)
            raise
        if privacy is not None and new_keys:
            privacy.committed(new_keys)
        for originator_id, (version, digest) in batch_heads.items():
            self.heads.put(originator_id, version, digest)
        verifier = self.record_mapper.verifier
        if verifier is not None:
            verifier.remember([record_hash(row.state) for row in sealed])
        recordings: list[Recording[UUID]] = []
        if ids:
            for event, row, notification_id in zip(domain_events, sealed, ids, strict=True):
                recordings.append(
                    Recording(
                        event,
                        Notification(
                            originator_id=row.originator_id,
                            originator_version=row.originator_version,
                            topic=row.topic,
                            state=row.state,
                            id=notification_id,
                        ),
                    )
                )
        return recordings

    def _previous_hash(
        self, originator_id: UUID, version: int, batch: dict[UUID, tuple[int, bytes]]
    ) -> bytes:
        if version == 1:
            return GENESIS_PREVIOUS
        in_batch = batch.get(originator_id)
        if in_batch is not None and in_batch[0] == version - 1:
            return in_batch[1]
        cached = self.heads.get(originator_id, version - 1)
        if cached is not None:
            return cached
        return self._fetch_hash(originator_id, version - 1)

    def _fetch_hash(self, originator_id: UUID, version: int) -> bytes:
        rows = self.recorder.select_events(originator_id, lte=version, desc=True, limit=1)
        if not rows or rows[0].originator_version != version:
            raise VersionGapError(
                f"version {version} is missing, so the next record cannot be chained",
                originator_id=originator_id,
                originator_version=version,
            )
        record = self._verifier().check(rows[0])
        self.heads.put(originator_id, version, record.hash)
        return record.hash

    # ------------------------------------------------------------------- read

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        """Read, check signatures and chain, decode."""
        rows = self.recorder.select_events(
            originator_id=originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )
        checked = self.check_rows(as_uuid(originator_id), rows, gt=gt, desc=desc)
        return iter([self.record_mapper.decode_payload(row, rec.payload) for row, rec in checked])

    def check_rows(
        self,
        originator_id: UUID,
        rows: Sequence[StoredEvent],
        *,
        gt: int | None = None,
        desc: bool = False,
    ) -> list[tuple[StoredEvent, SignedRecord]]:
        """Check every row and the chain between them (and to the known predecessor).

        Every row's format, header, key and key validity are checked. Ascending reads check
        one Ed25519 signature, the newest record's: each record carries the hash of the one
        before it, so the newest signature covers every older record's exact bytes through
        the chain (and the chain's lower end is the genesis value or a hash this process
        already trusts). A break in the chain is then pinned on the record that was changed:
        the older record's own signature is checked before the break is reported.
        Newest-first reads, whose lower end is not linked, check every signature.
        """
        verifier = self._verifier()
        anchored = not desc and len(rows) > 1
        checked = [
            (row, verifier.check(row, signature=not anchored or i == len(rows) - 1))
            for i, row in enumerate(rows)
        ]
        if not checked:
            return checked
        ordered = list(reversed(checked)) if desc else checked
        first_row, first = ordered[0]
        expected_version = first.originator_version
        if not desc:
            expected_version = (gt or 0) + 1
            if first.originator_version != expected_version:
                raise VersionGapError(
                    f"expected version {expected_version} next, found {first.originator_version}",
                    originator_id=originator_id,
                    originator_version=first.originator_version,
                    position=position_of(first_row),
                )
        previous: bytes | None
        if expected_version == 1:
            previous = GENESIS_PREVIOUS
        elif desc:
            previous = None  # a partial newest-first read: the lower end is not linked
        else:
            previous = self.heads.get(originator_id, expected_version - 1)
            if previous is None:
                previous = self._fetch_hash(originator_id, expected_version - 1)
        before: tuple[StoredEvent, SignedRecord] | None = None
        for row, record in ordered:
            if record.originator_version != expected_version:
                raise VersionGapError(
                    f"expected version {expected_version}, found {record.originator_version}",
                    originator_id=originator_id,
                    originator_version=record.originator_version,
                    position=position_of(row),
                )
            if previous is not None and record.previous_hash != previous:
                if anchored and before is not None:
                    verifier.verify_signature(*before)  # the changed record, if it was that
                raise ChainBrokenError(
                    "record does not point at the hash of the aggregate's previous record",
                    originator_id=originator_id,
                    originator_version=record.originator_version,
                    position=position_of(row),
                )
            previous = record.hash
            before = (row, record)
            expected_version += 1
        if anchored:
            verifier.remember([record.hash for _, record in checked])
        last = ordered[-1][1]
        self.heads.put(originator_id, last.originator_version, last.hash)
        return checked

    def _verifier(self) -> RecordVerifier:
        verifier = self.record_mapper.verifier
        if verifier is None:
            msg = "RecordMapper has no verifier: refusing to read an unchecked record"
            raise MalformedRecordError(msg)
        return verifier
