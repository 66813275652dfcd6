"""The signed record: the exact bytes stored for every event, signed, chained and logged.

Layout (all integers unsigned big-endian; documented in docs/formats.md):

    offset    size  field
    0         4     magic b"AXR1"
    4         16    originator id (UUID, 16 raw bytes)
    20        8     originator version
    28        32    previous hash: SHA-256 of the same aggregate's previous record,
                    32 zero bytes for version 1
    60        4     key id of the signing key (C2SP key id)
    64        2     topic length T
    66        T     topic (UTF-8)
    66+T      4     payload length P
    70+T      P     payload (the transcoded event state)
    70+T+P    64    Ed25519 signature over SIGNING_PREFIX || bytes[0 : 70+T+P]

Invariants:
- The record is the ``state`` column of the events table, byte for byte; the row's
  ``originator_id``, ``originator_version`` and ``topic`` columns are copies that must equal
  the signed header (so moving, renumbering or retopicking a row is detected).
- The signature covers every byte before it behind a domain-separation prefix that can
  never be a valid C2SP note text (it contains NUL), so event signatures and checkpoint
  signatures made with the same key cannot be confused.
- The record hash (SHA-256 of the whole record, signature included) is what the next record
  of the aggregate points at, what receipts quote, and what the Merkle leaf is made from
  (leaf hash = SHA-256(0x00 || record)).
- Parsing is strict: exact lengths, no trailing bytes; nothing is re-serialised to verify.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from uuid import UUID

from ledger.errors import MalformedRecordError

MAGIC = b"AXR1"
SIGNING_PREFIX = b"auxledger/event-signature/v1\x00"
GENESIS_PREVIOUS = bytes(32)
SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
HASH_SIZE = 32

_HEADER = struct.Struct(">4s16sQ32s4sH")  # magic, id, version, previous, key id, topic length
_PAYLOAD_LENGTH = struct.Struct(">I")
MIN_RECORD_SIZE = _HEADER.size + _PAYLOAD_LENGTH.size + SIGNATURE_SIZE
PREVIOUS_HASH_OFFSET = struct.calcsize(">4s16sQ")  # after the magic, id and version
MAX_TOPIC = 0xFFFF
MAX_PAYLOAD = 0xFFFFFFFF


@dataclass(frozen=True)
class SignedRecord:
    """A parsed record; ``raw`` is the exact stored bytes."""

    originator_id: UUID
    originator_version: int
    previous_hash: bytes
    key_id: bytes
    topic: str
    payload: bytes
    signature: bytes
    raw: bytes

    @property
    def signed_bytes(self) -> bytes:
        """The bytes the signature covers (prefix included)."""
        return SIGNING_PREFIX + self.raw[:-SIGNATURE_SIZE]

    @property
    def hash(self) -> bytes:
        """SHA-256 of the whole record."""
        return record_hash(self.raw)


def as_uuid(value: UUID | str) -> UUID:
    """An originator id as a UUID (the SQLite recorder hands back text)."""
    return value if isinstance(value, UUID) else UUID(str(value))


def record_hash(raw: bytes) -> bytes:
    """SHA-256 of a record's exact bytes."""
    return hashlib.sha256(raw).digest()


def unsigned_body(
    *,
    originator_id: UUID,
    originator_version: int,
    previous_hash: bytes,
    key_id: bytes,
    topic: str,
    payload: bytes,
) -> bytes:
    """The record without its signature (what gets signed, after the prefix)."""
    if len(previous_hash) != HASH_SIZE:
        raise ValueError("previous hash must be 32 bytes")
    if len(key_id) != KEY_ID_SIZE:
        raise ValueError("key id must be 4 bytes")
    if originator_version < 1:
        raise ValueError("originator version must be at least 1")
    topic_bytes = topic.encode("utf-8")
    if len(topic_bytes) > MAX_TOPIC or len(payload) > MAX_PAYLOAD:
        raise ValueError("topic or payload too long for the record format")
    return b"".join(
        (
            _HEADER.pack(
                MAGIC,
                originator_id.bytes,
                originator_version,
                previous_hash,
                key_id,
                len(topic_bytes),
            ),
            topic_bytes,
            _PAYLOAD_LENGTH.pack(len(payload)),
            payload,
        )
    )


_Layout = tuple[bytes, int, bytes, bytes, str, int, int]


def _layout(raw: bytes) -> _Layout:
    """Every format check of a stored record: ``(originator id bytes, version, previous hash,
    key id, topic, payload start, payload end)``; raises ``MalformedRecordError``."""
    if len(raw) < MIN_RECORD_SIZE:
        raise MalformedRecordError("stored state is too short to be a signed record")
    magic, id_bytes, version, previous, key_id, topic_len = _HEADER.unpack_from(raw, 0)
    if magic != MAGIC:
        raise MalformedRecordError("stored state does not start with the record magic")
    offset = _HEADER.size
    topic_end = offset + topic_len
    if topic_end + _PAYLOAD_LENGTH.size + SIGNATURE_SIZE > len(raw):
        raise MalformedRecordError("record topic length runs past the end of the record")
    try:
        topic = raw[offset:topic_end].decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRecordError("record topic is not valid UTF-8") from None
    (payload_len,) = _PAYLOAD_LENGTH.unpack_from(raw, topic_end)
    payload_start = topic_end + _PAYLOAD_LENGTH.size
    payload_end = payload_start + payload_len
    if payload_end + SIGNATURE_SIZE != len(raw):
        raise MalformedRecordError("record payload length does not match the record size")
    if version < 1:
        raise MalformedRecordError("record version is zero")
    return id_bytes, version, previous, key_id, topic, payload_start, payload_end


def parse_header(raw: bytes) -> tuple[bytes, int, bytes, str]:
    """The checks of ``parse_record`` without building the record: ``(originator id bytes,
    version, key id, topic)`` of a well-formed record. For verification's hot loop."""
    id_bytes, version, _, key_id, topic, _, _ = _layout(raw)
    return id_bytes, version, key_id, topic


def parse_record(raw: bytes) -> SignedRecord:
    """Parse a stored record strictly; raise MalformedRecordError if it is not one."""
    raw = bytes(raw)
    id_bytes, version, previous, key_id, topic, payload_start, payload_end = _layout(raw)
    return SignedRecord(
        originator_id=UUID(bytes=id_bytes),
        originator_version=version,
        previous_hash=previous,
        key_id=key_id,
        topic=topic,
        payload=raw[payload_start:payload_end],
        signature=raw[payload_end:],
        raw=raw,
    )
