"""Who sees which personal data in clear, and the masks everyone else sees.

- auxiliary: ``resident_id``, ``phone``, ``address`` in clear for ``personnel``;
- complaint: ``complainant_name``, ``complainant_phone``, ``complainant_address``,
  ``contact_text`` in clear for ``complaints`` (the resident ID number stays masked);
- any record: every personal field in clear for an ``inspector`` who gives a reason
  (``X-Access-Reason`` header or ``?reason=``).

Everyone else who may read the record sees masks: resident ID ``320***********1234``, phone
``199****1234``, names and addresses cut to their first characters, free text withheld.
Values already replaced by the ledger (``[erased]`` after an erasure, ``[sealed]`` without
the master key) pass through unchanged.

Invariants:
- The disclosure decision names exactly the fields shown in clear; that list is what the
  access record stores (never the values).
- A mask never reveals more than the first three and last four characters of an identifier,
  or the first character of a name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from domain.values import Actor, Role

ERASED = "[erased]"
SEALED = "[sealed]"
WITHHELD = "[withheld]"

_CLEAR: Mapping[tuple[str, str], frozenset[str]] = {
    ("auxiliary", Role.personnel.value): frozenset({"resident_id", "phone", "address"}),
    ("complaint", Role.complaints.value): frozenset(
        {"complainant_name", "complainant_phone", "complainant_address", "contact_text"}
    ),
}


def mask_resident_id(value: str) -> str:
    """``320***********1234``: the first three and last four characters."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """``199****1234`` for a mobile number; otherwise every digit but the last four starred."""
    digits = [c for c in value if c.isdigit()]
    if len(digits) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    keep = 4
    seen = 0
    out = []
    for c in reversed(value):
        if c.isdigit():
            seen += 1
            out.append(c if seen <= keep else "*")
        else:
            out.append(c)
    return "".join(reversed(out))


def mask_name(value: str) -> str:
    """The first character, then stars."""
    return value[:1] + "*" * max(1, len(value) - 1)


def mask_address(value: str) -> str:
    """The first six characters (city and district), then stars."""
    return value[:6] + "***" if len(value) > 6 else "***"


_MASKS: Mapping[str, Callable[[str], str]] = {
    "resident_id": mask_resident_id,
    "complainant_resident_id": mask_resident_id,
    "phone": mask_phone,
    "complainant_phone": mask_phone,
    "address": mask_address,
    "complainant_address": mask_address,
    "complainant_name": mask_name,
}


def mask(field: str, value: str | None) -> str | None:
    """The masked form of one personal field's value."""
    if value is None or value in (ERASED, SEALED):
        return value
    masker = _MASKS.get(field)
    return masker(value) if masker else WITHHELD


@dataclass(frozen=True)
class Disclosure:
    """The personal fields of one record as this actor may see them."""

    values: dict[str, str | None]
    clear: tuple[str, ...]


def disclose(
    record_type: str, actor: Actor, reason: str | None, values: Mapping[str, str | None]
) -> Disclosure:
    """Apply the table above to the personal fields of one record."""
    if actor.role == Role.inspector.value and reason:
        clear = frozenset(values)
    else:
        clear = _CLEAR.get((record_type, actor.role), frozenset())
    shown = {
        name: (value if name in clear else mask(name, value)) for name, value in values.items()
    }
    revealed = tuple(sorted(n for n in clear if n in values and values[n] is not None))
    return Disclosure(values=shown, clear=revealed)
