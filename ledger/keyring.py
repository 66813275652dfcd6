"""The key registry: signing-key lifecycle kept as signed events in the ledger itself.

A single aggregate (fixed id ``REGISTRY_ID``) records, in order: ``Started`` (the genesis key,
signed by itself), and then ``KeyCreated``, ``KeyActivated``, ``KeyRetired`` and ``KeyRevoked``
events, each signed by the key that was active when it was written. Rotation writes
``KeyCreated(new)``, ``KeyActivated(new)`` and ``KeyRetired(old)`` in one transaction signed
by the old key, so every key is vouched for by its predecessor.

Invariants:
- Validity is judged by log position (notification id), not by any clock inside a record: a
  key signs validly from the position of its activation (the genesis key: of ``Started``)
  through the position of its retirement or revocation, inclusive. A signature at a later
  position is a failure, so a stolen key cannot back-date events past its revocation.
- The genesis key must be a trust anchor (a public key the verifier already holds, e.g. in
  ``AUXLEDGER_KEY_DIR``); a registry rooted in any other key is refused.
- Building the ring checks every registry record (format, header, chain, key validity,
  signature) before believing it; failures are collected, never skipped silently.
- The active key cannot be revoked without rotating first; a revoked or retired key never
  becomes active again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification, StoredEvent

from domain.checks import has_format_character, has_visible_character
from domain.errors import FormatCharacterError
from ledger.errors import (
    BadSignatureError,
    ChainBrokenError,
    IntegrityViolation,
    KeyNotValidError,
    LedgerError,
    RecordMismatchError,
    UnknownKeyError,
    VersionGapError,
)
from ledger.keys import PublicKey
from ledger.record import GENESIS_PREVIOUS, SignedRecord, parse_record

REGISTRY_ID = uuid5(NAMESPACE_URL, "urn:auxledger:key-registry")


class KeyRegistryError(LedgerError):
    """A key lifecycle command is not allowed (revoking the active key, unknown key ...)."""

    code = "key_registry"


class KeyRegistry(Aggregate):
    """The signing-key lifecycle as an event-sourced aggregate."""

    class Started(Aggregate.Created):
        """The ledger's first key, which signs this event itself."""

        vkey: str
        actor: str

        def apply(self, aggregate: Any) -> None:
            """The first key is created and active."""
            public = PublicKey.from_vkey(self.vkey)
            aggregate.status[public.key_id_hex] = "active"
            aggregate.vkeys[public.key_id_hex] = self.vkey
            aggregate.active = public.key_id_hex

    class KeyCreated(Aggregate.Event):
        """A new key was generated and announced."""

        vkey: str
        actor: str

        def apply(self, aggregate: Any) -> None:
            """Record the key as created."""
            public = PublicKey.from_vkey(self.vkey)
            aggregate.status[public.key_id_hex] = "created"
            aggregate.vkeys[public.key_id_hex] = self.vkey

    class KeyActivated(Aggregate.Event):
        """A created key became the signing key."""

        key_id: str
        actor: str

        def apply(self, aggregate: Any) -> None:
            """Mark the key active."""
            aggregate.status[self.key_id] = "active"
            aggregate.active = self.key_id

    class KeyRetired(Aggregate.Event):
        """A key stopped signing (after rotation)."""

        key_id: str
        actor: str

        def apply(self, aggregate: Any) -> None:
            """Mark the key retired."""
            aggregate.status[self.key_id] = "retired"

    class KeyRevoked(Aggregate.Event):
        """A key must not be trusted for anything after this position."""

        key_id: str
        reason: str
        actor: str

        def apply(self, aggregate: Any) -> None:
            """Mark the key revoked."""
            aggregate.status[self.key_id] = "revoked"

    def __init__(self, vkey: str, actor: str) -> None:
        self.status: dict[str, str] = {}
        self.vkeys: dict[str, str] = {}
        self.active = ""

    @classmethod
    def start(cls, first: PublicKey, actor: str) -> KeyRegistry:
        """Create the registry with its genesis key."""
        return cls._create(cls.Started, id=REGISTRY_ID, vkey=first.vkey, actor=actor)

    def rotate(self, new: PublicKey, actor: str) -> None:
        """Announce and activate ``new`` and retire the current key."""
        if new.key_id_hex in self.status:
            raise KeyRegistryError(f"key {new.key_id_hex} is already registered")
        old = self.active
        self.trigger_event(self.KeyCreated, vkey=new.vkey, actor=actor)
        self.trigger_event(self.KeyActivated, key_id=new.key_id_hex, actor=actor)
        self.trigger_event(self.KeyRetired, key_id=old, actor=actor)

    def revoke(self, key_id_hex: str, reason: str, actor: str) -> None:
        """Revoke a key that is not the active one."""
        if key_id_hex not in self.status:
            raise KeyRegistryError(f"key {key_id_hex} is not registered in this ledger")
        if key_id_hex == self.active:
            raise KeyRegistryError(
                f"key {key_id_hex} is the active signing key; rotate first, then revoke it"
            )
        if self.status[key_id_hex] == "revoked":
            raise KeyRegistryError(f"key {key_id_hex} is already revoked")
        text = reason.strip()
        if not has_visible_character(text):
            raise KeyRegistryError("a revocation needs a reason")
        if has_format_character(text):
            raise FormatCharacterError("reason")
        self.trigger_event(self.KeyRevoked, key_id=key_id_hex, reason=text, actor=actor)


@dataclass
class KeyStatus:
    """One key's lifecycle as seen in the registry, with log positions."""

    public: PublicKey
    created_at: int
    created_on: datetime
    activated_at: int | None = None
    activated_on: datetime | None = None
    retired_at: int | None = None
    retired_on: datetime | None = None
    revoked_at: int | None = None
    revoked_on: datetime | None = None
    revocation_reason: str | None = None

    @property
    def status(self) -> str:
        """created, active, retired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.retired_at is not None:
            return "retired"
        if self.activated_at is not None:
            return "active"
        return "created"

    @property
    def valid_until(self) -> int | None:
        """The last position at which the key may sign, None while it is active."""
        ends = [p for p in (self.retired_at, self.revoked_at) if p is not None]
        return min(ends) if ends else None

    def valid_at(self, position: int) -> bool:
        """True if a signature by this key at ``position`` is acceptable."""
        if self.activated_at is None or position < self.activated_at:
            return False
        until = self.valid_until
        return until is None or position <= until


@dataclass
class KeyRing:
    """Every registered key with its validity interval, built from the verified registry."""

    keys: dict[bytes, KeyStatus] = field(default_factory=dict)
    active: bytes | None = None
    registry_version: int = 0
    last_record_hash: bytes = GENESIS_PREVIOUS

    def lookup(self, key_id: bytes) -> KeyStatus | None:
        """The key with this id, if registered."""
        return self.keys.get(key_id)

    @property
    def active_key(self) -> KeyStatus | None:
        """The key currently signing, if any."""
        return self.keys.get(self.active) if self.active is not None else None

    def ordered(self) -> list[KeyStatus]:
        """Keys in the order they were created."""
        return sorted(self.keys.values(), key=lambda k: k.created_at)

    @classmethod
    def build(
        cls,
        rows: Sequence[StoredEvent],
        decode: Callable[[StoredEvent, bytes], Any],
        anchors: Mapping[bytes, PublicKey],
    ) -> tuple[KeyRing, list[IntegrityViolation]]:
        """Replay the registry rows, checking each; return the ring and any failures.

        Replay stops at the first failure: nothing after a bad registry record is believed.
        """
        ring = cls()
        for row in rows:
            try:
                record = _check_registry_row(ring, row, anchors)
            except IntegrityViolation as failure:
                return ring, [failure]
            event = decode(row, record.payload)
            position = row.id if isinstance(row, Notification) else 0
            if record.originator_version == 1 and (
                not isinstance(event, KeyRegistry.Started)
                or PublicKey.from_vkey(event.vkey).key_id != record.key_id
            ):
                return ring, [
                    RecordMismatchError(
                        "the key registry does not start with its genesis key signing itself",
                        originator_id=row.originator_id,
                        originator_version=1,
                        position=position,
                    )
                ]
            ring._apply(event, position)
            ring.registry_version = record.originator_version
            ring.last_record_hash = record.hash
        return ring, []

    def _apply(self, event: Any, position: int) -> None:
        timestamp: datetime = event.timestamp
        if isinstance(event, KeyRegistry.Started):
            public = PublicKey.from_vkey(event.vkey)
            self.keys[public.key_id] = KeyStatus(
                public=public,
                created_at=position,
                created_on=timestamp,
                activated_at=position,
                activated_on=timestamp,
            )
            self.active = public.key_id
        elif isinstance(event, KeyRegistry.KeyCreated):
            public = PublicKey.from_vkey(event.vkey)
            self.keys[public.key_id] = KeyStatus(
                public=public, created_at=position, created_on=timestamp
            )
        elif isinstance(event, KeyRegistry.KeyActivated):
            status = self.keys[bytes.fromhex(event.key_id)]
            status.activated_at = position
            status.activated_on = timestamp
            self.active = status.public.key_id
        elif isinstance(event, KeyRegistry.KeyRetired):
            status = self.keys[bytes.fromhex(event.key_id)]
            status.retired_at = position
            status.retired_on = timestamp
            if self.active == status.public.key_id:
                self.active = None
        elif isinstance(event, KeyRegistry.KeyRevoked):
            status = self.keys[bytes.fromhex(event.key_id)]
            status.revoked_at = position
            status.revoked_on = timestamp
            status.revocation_reason = event.reason
            if self.active == status.public.key_id:
                self.active = None


def _check_registry_row(
    ring: KeyRing, row: StoredEvent, anchors: Mapping[bytes, PublicKey]
) -> SignedRecord:
    originator_id = row.originator_id
    version = row.originator_version
    position = row.id if isinstance(row, Notification) else None
    record = parse_record(row.state)
    if (
        record.originator_id != UUID(str(originator_id))
        or record.originator_version != version
        or record.topic != row.topic
    ):
        raise RecordMismatchError(
            "key registry row disagrees with its signed header",
            originator_id=originator_id,
            originator_version=version,
            position=position,
        )
    if version != ring.registry_version + 1:
        raise VersionGapError(
            f"key registry jumps from version {ring.registry_version} to {version}",
            originator_id=originator_id,
            originator_version=version,
            position=position,
        )
    if record.previous_hash != ring.last_record_hash:
        raise ChainBrokenError(
            "key registry record does not point at its predecessor",
            originator_id=originator_id,
            originator_version=version,
            position=position,
        )
    if version == 1:
        signer = anchors.get(record.key_id)
        if signer is None:
            raise UnknownKeyError(
                f"the key registry is rooted in key {record.key_id.hex()}, "
                "which is not a trusted key (not in AUXLEDGER_KEY_DIR)",
                originator_id=originator_id,
                originator_version=version,
                position=position,
            )
    else:
        status = ring.lookup(record.key_id)
        if status is None:
            raise UnknownKeyError(
                f"key registry record signed by unregistered key {record.key_id.hex()}",
                originator_id=originator_id,
                originator_version=version,
                position=position,
            )
        if position is not None and not status.valid_at(position):
            raise KeyNotValidError(
                f"key registry record signed by key {record.key_id.hex()} outside its validity",
                originator_id=originator_id,
                originator_version=version,
                position=position,
            )
        signer = status.public
    if not signer.verify(record.signature, record.signed_bytes):
        raise BadSignatureError(
            "key registry record signature does not verify",
            originator_id=originator_id,
            originator_version=version,
            position=position,
        )
    return record
