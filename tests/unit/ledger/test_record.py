"""The signed record format: the verification hot loop's header parser agrees with the full
parser on every well-formed and every malformed record."""

from __future__ import annotations

import struct
from uuid import uuid4

from ledger.errors import MalformedRecordError
from ledger.record import parse_header, parse_record, unsigned_body


def _record() -> bytes:
    body = unsigned_body(
        originator_id=uuid4(),
        originator_version=7,
        previous_hash=bytes(range(32)),
        key_id=b"\x01\x02\x03\x04",
        topic="domain.auxiliary:Auxiliary.Hired",
        payload=b'{"field": "value"}',
    )
    return body + bytes(64)


def _outcome(parse: object, raw: bytes) -> object:
    try:
        return parse(raw)  # type: ignore[operator]
    except MalformedRecordError as e:
        return ("error", e.detail)


def _variants(raw: bytes) -> list[bytes]:
    out = [raw, raw[:-1], raw + b"x", b"", raw[:40], b"XXXX" + raw[4:]]
    out.append(raw[:20] + struct.pack(">Q", 0) + raw[28:])  # version 0
    out.append(raw[:88] + struct.pack(">H", 60000) + raw[90:])  # topic length past the end
    out.append(raw[:90] + b"\xff\xfe" + raw[92:])  # topic not UTF-8
    out.extend(raw[:i] + bytes([raw[i] ^ 0x80]) + raw[i + 1 :] for i in range(0, len(raw), 7))
    return out


def test_parse_header_agrees_with_parse_record() -> None:
    variants = _variants(_record())
    errors = set()
    for raw in variants:
        full = _outcome(parse_record, raw)
        header = _outcome(parse_header, raw)
        if isinstance(full, tuple):
            assert header == full
            errors.add(full[1])
        else:
            assert header == (
                full.originator_id.bytes,  # type: ignore[attr-defined]
                full.originator_version,  # type: ignore[attr-defined]
                full.key_id,  # type: ignore[attr-defined]
                full.topic,  # type: ignore[attr-defined]
            )
    assert len(errors) >= 5, errors  # every kind of malformation is among the variants
