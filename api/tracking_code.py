"""Tracking codes a person can read over the telephone and type (docs/api.md, "Receipts").

A tracking code is 16 Crockford base32 symbols -- 80 secret bits -- and one check symbol,
written in groups: ``XXXX-XXXX-XXXX-XXXX-C``. The alphabet is ``0-9 A-Z`` without
``I L O U`` (so nothing is read as a digit it is not), the check symbol is the 80-bit number
modulo 37 in Crockford's check alphabet (the 32 symbols, then ``* ~ $ = U``).

Reading a code typed or spoken back (``parse``): case does not matter, hyphens and spaces are
dropped, ``I`` and ``L`` read as ``1`` and ``O`` as ``0``. A code with a wrong check symbol is
refused with its own answer (``TrackingCheckError``; the pages say "查询码校验位不符，请核对",
查询码 being the name the public knows the code by) before any lookup, so a mistyped code
costs no database read and is told apart from an unknown one.

Codes of the earlier format (52 RFC 4648 base32 characters: the complaint id and 128 secret
bits) stay valid: ``parse`` recognises them before the Crockford mapping and keeps them as
they were hashed (``Parsed.legacy_id``).

Invariants:
- The check symbol detects every single-symbol substitution and every transposition of two
  adjacent data symbols: 37 is prime and larger than any symbol difference, and neither 32^i
  nor 31 * 32^i is a multiple of it.
- The canonical form (17 symbols, no hyphens) is what is hashed; the grouped form is what is
  shown. Neither is ever logged or put into an error.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from uuid import UUID

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_SYMBOLS = 16
SECRET_BYTES = DATA_SYMBOLS * 5 // 8  # 80 bits
GROUP = 4
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_LEGACY = re.compile(r"[A-Z2-7]{52}")
_LEGACY_SECRET = 16


class TrackingCodeError(ValueError):
    """The text is not a tracking code (wrong length or a symbol outside the alphabet)."""


class TrackingCheckError(TrackingCodeError):
    """The text has the form of a tracking code, but its check symbol does not match."""

    MESSAGE = "the tracking code's check symbol does not match: check the code as typed"
    """The API's detail (problem+json details are English)."""
    MESSAGE_ZH = "查询码校验位不符，请核对"
    """What a page says: the receipt and the pages call the code 查询码."""


@dataclass(frozen=True)
class Parsed:
    """A tracking code read back: its canonical form, and the complaint a legacy code names."""

    canonical: str
    legacy_id: UUID | None = None


def check_symbol(data: str) -> str:
    """Crockford's mod-37 check symbol of the data symbols ``data`` (canonical, no hyphens)."""
    number = 0
    for symbol in data:
        number = number * 32 + _VALUE[symbol]
    return CHECK_ALPHABET[number % 37]


def encode(secret: bytes) -> str:
    """The canonical code (16 data symbols and the check symbol) of 10 secret bytes."""
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"a tracking code takes {SECRET_BYTES} secret bytes")
    number = int.from_bytes(secret, "big")
    data = "".join(
        ALPHABET[(number >> (5 * (DATA_SYMBOLS - 1 - i))) & 31] for i in range(DATA_SYMBOLS)
    )
    return data + check_symbol(data)


def grouped(canonical: str) -> str:
    """``XXXX-XXXX-XXXX-XXXX-C``: how a code is shown, printed and read out."""
    if len(canonical) != DATA_SYMBOLS + 1:
        return canonical  # a legacy code is shown as it was issued
    data = canonical[:DATA_SYMBOLS]
    groups = [data[i : i + GROUP] for i in range(0, DATA_SYMBOLS, GROUP)]
    return "-".join([*groups, canonical[DATA_SYMBOLS:]])


def parse(text: str) -> Parsed:
    """Read a code as typed or spoken back; raise ``TrackingCodeError`` or
    ``TrackingCheckError`` (the check symbol does not match)."""
    squeezed = re.sub(r"[\s\-]+", "", text).upper()
    if _LEGACY.fullmatch(squeezed):
        try:
            raw = base64.b32decode(squeezed + "====")
        except (binascii.Error, ValueError):
            raise TrackingCodeError("not a tracking code") from None
        if len(raw) == 16 + _LEGACY_SECRET:
            return Parsed(squeezed, UUID(bytes=raw[:16]))
        raise TrackingCodeError("not a tracking code")
    if len(squeezed) != DATA_SYMBOLS + 1:
        raise TrackingCodeError("not a tracking code")
    data = squeezed[:DATA_SYMBOLS].translate(_READ_AS)
    check = squeezed[DATA_SYMBOLS]
    check = check if check == "U" else check.translate(_READ_AS)
    if any(symbol not in _VALUE for symbol in data) or check not in CHECK_ALPHABET:
        raise TrackingCodeError("not a tracking code")
    if check_symbol(data) != check:
        raise TrackingCheckError(TrackingCheckError.MESSAGE)
    return Parsed(data + check)
