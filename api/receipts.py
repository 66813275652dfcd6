"""Complaint receipts and tracking codes (docs/api.md, "Receipts").

A tracking code is 16 Crockford base32 symbols (80 secret bits) and a check symbol, shown
as ``XXXX-XXXX-XXXX-XXXX-C`` (``api.tracking_code``). The ledger stores only
``tracking_hash`` = hex SHA-256(``TRACKING_PREFIX`` ‖ canonical code, without hyphens); the
complainant projection indexes that hash, so a tracking request is one indexed read of the
read model, the complaint's checked read, and a constant-time hash comparison. Codes of the
earlier format (52 base32 characters, whose first half names the complaint) are hashed and
found as before.

With an ``Idempotency-Key`` the complaint id and the secret half are HMAC-SHA256 values of
the server secret over the client, the key (and, for the secret, the canonical request
body): a retry finds the same complaint and rebuilds the identical receipt, while the same
key with another body finds the complaint but not its hash, and is refused.

A receipt is signed with the ledger's active Ed25519 key over
``RECEIPT_PREFIX`` ‖ canonical JSON of every receipt field except ``signature``
(keys sorted, no white space, UTF-8). Ed25519 is deterministic, so the same fields signed by
the same key give the same signature.

Invariants:
- The tracking code is never stored, logged or put in an error; only its hash is kept.
- The signed bytes are domain-separated from event signatures (``auxledger/event-signature``)
  and checkpoint notes (whose text cannot start with this prefix's ``auxledger/receipt``
  line followed by JSON).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from api import tracking_code as codes
from ledger.keys import SigningKey
from ledger.record import SignedRecord

RECEIPT_PREFIX = b"auxledger/receipt/v1\n"
TRACKING_PREFIX = b"auxledger/tracking/v1\n"


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no white space, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def tracking_hash(code: str) -> str:
    """What the ledger stores for a tracking code."""
    return hashlib.sha256(TRACKING_PREFIX + code.encode("ascii")).hexdigest()


def make_legacy_code(complaint_id: UUID, secret_part: bytes) -> str:
    """A tracking code of the earlier format (52 characters; still accepted)."""
    return base64.b32encode(complaint_id.bytes + secret_part).decode("ascii").rstrip("=")


def make_code(secret_part: bytes) -> str:
    """A tracking code, canonical (17 symbols): 80 secret bits and the check symbol."""
    return codes.encode(secret_part[: codes.SECRET_BYTES])


def complaint_of_code(code: str) -> UUID | None:
    """The complaint id a legacy tracking code names, or None."""
    try:
        return codes.parse(code).legacy_id
    except codes.TrackingCodeError:
        return None


def code_matches(code: str, stored_hash: str | None) -> bool:
    """Constant-time check of a presented code (either format) against the stored hash."""
    if stored_hash is None:
        return False
    try:
        canonical = codes.parse(code).canonical
    except codes.TrackingCodeError:
        return False
    return hmac.compare_digest(tracking_hash(canonical), stored_hash)


@dataclass(frozen=True)
class IntakeIdentity:
    """The complaint id and tracking code an intake will use."""

    complaint_id: UUID
    tracking_code: str
    idempotent: bool


def intake_identity(
    secret: bytes, *, client: str, idempotency_key: str | None, body: bytes
) -> IntakeIdentity:
    """Random, or derived from (client, key, body) when an Idempotency-Key is given."""
    if idempotency_key is None:
        complaint_id = uuid4()
        return IntakeIdentity(
            complaint_id, make_code(secrets.token_bytes(codes.SECRET_BYTES)), False
        )
    who = client.encode("utf-8") + b"\x00" + idempotency_key.encode("utf-8")
    id_bytes = bytearray(hmac.digest(secret, b"auxledger/intake-id/v1\x00" + who, "sha256")[:16])
    id_bytes[6] = (id_bytes[6] & 0x0F) | 0x80  # version 8: custom (RFC 9562)
    id_bytes[8] = (id_bytes[8] & 0x3F) | 0x80  # RFC 4122 variant
    complaint_id = UUID(bytes=bytes(id_bytes))
    part = hmac.digest(secret, b"auxledger/intake-code/v1\x00" + who + b"\x00" + body, "sha256")
    return IntakeIdentity(complaint_id, make_code(part), True)


def tracking_code_shown(canonical: str) -> str:
    """How a code is shown on a receipt: grouped ``XXXX-XXXX-XXXX-XXXX-C``."""
    return codes.grouped(canonical)


def leaf_hash_of(record: SignedRecord) -> str:
    """Hex RFC 9162 leaf hash of a record: SHA-256(0x00 ‖ record)."""
    return hashlib.sha256(b"\x00" + record.raw).hexdigest()


def receipt_fields(
    *,
    complaint_id: UUID,
    tracking_code: str,
    record: SignedRecord,
    recorded_at: datetime,
    key_id: str,
) -> dict[str, Any]:
    """Every receipt field but the signature."""
    return {
        "complaint_id": str(complaint_id),
        "tracking_code": tracking_code_shown(tracking_code),
        "event": {
            "originator_id": str(record.originator_id),
            "originator_version": record.originator_version,
            "hash": record.hash.hex(),
            "leaf_hash": leaf_hash_of(record),
        },
        "key_id": key_id,
        "recorded_at": recorded_at.isoformat(),
    }


def sign_receipt(fields: dict[str, Any], signer: SigningKey) -> str:
    """Base64 Ed25519 signature over ``RECEIPT_PREFIX`` ‖ canonical JSON of the fields."""
    return base64.b64encode(signer.sign(RECEIPT_PREFIX + canonical_json(fields))).decode("ascii")
