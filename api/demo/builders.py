"""Commands with synthetic defaults, for whoever needs one ordinary case rather than a drawn
dataset: one valid hire of a patrol auxiliary, one complaint received online, and an organ set
up with its units and quota through ``AuxLedger`` (no back door).

The demo's simulation sets its organs up here; the test suites (``tests/builders.py``) and the
benchmarks (``scripts/benchlib.py``) build their hires and complaints here, passing as
overrides only what they look at, so a change to what a valid hire needs is made here once.

Every value is synthetic; the demo's own people are drawn in ``simulation`` (resident IDs of
the unassigned area 320699), not taken from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from domain.commands.auxiliary import Hire
from domain.commands.complaint import ReceiveComplaint
from domain.commands.organ import RegisterOrgan, RegisterUnit, SetQuota
from domain.identity import resident_id_check_char
from domain.values import Actor
from ledger.records import AuxLedger, Envelope

__all__ = [
    "PHONE",
    "RESIDENT_ID",
    "complaint_command",
    "hire_command",
    "other_resident_id",
    "set_up_organ",
]

RESIDENT_ID = "320699199003071235"
"""A well-formed resident ID number of no real person (the unassigned area 320699, the check
character holds), born 1990-03-07: of hiring age (18 to 59) on every hiring date the tests
and benchmarks use."""
PHONE = "19912345678"


def other_resident_id(sequence: int) -> str:
    """A well-formed resident ID number of no real person (area 320699), one per ``sequence``
    (1-999): another person than ``RESIDENT_ID``'s, for a second auxiliary employed at once."""
    body = f"32069919900101{sequence:03d}"
    return body + resident_id_check_char(body)


def hire_command(**overrides: Any) -> Hire:
    """A valid hire of a direct-contract patrol auxiliary at level 1; ``overrides`` replace or
    add fields (``unit``, ``name``, ``auxiliary_id``, the contract dates...)."""
    fields: dict[str, Any] = {
        "unit": "320600-U1",
        "supervisor_id": "602010",
        "supervisor_name": "王建国",
        "employment_form": "direct_contract",
        "dispatch_agency": None,
        "contract_start": date(2025, 1, 1),
        "contract_end": date(2028, 12, 31),
        "post_type": "patrol",
        "level": 1,
        "name": "李明",
        "gender": "male",
        "resident_id": RESIDENT_ID,
        "phone": PHONE,
        "address": "南通市崇川区人民路1号",
        **overrides,
    }
    return Hire(**fields)


def complaint_command(**overrides: Any) -> ReceiveComplaint:
    """A complaint received online with one allegation; ``auxiliary_id`` is required."""
    fields: dict[str, Any] = {
        "channel": "online",
        "incident_at": datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        "incident_place": "人民路",
        "allegations": ["态度恶劣"],
        "complainant_name": "赵投诉",
        "complainant_phone": "19911112222",
        "contact_text": "晚上联系",
        **overrides,
    }
    return ReceiveComplaint(**fields)


def set_up_organ(
    ledger: AuxLedger,
    organ: RegisterOrgan,
    units: Iterable[tuple[str, str]],
    quota: int,
    *,
    admin: Actor,
    establishment: Actor,
    effective: date | None = None,
    quota_basis: str | None = None,
) -> None:
    """Register ``organ`` and its ``units`` (code, name) as ``admin``, then set its quota as
    ``establishment`` on ``quota_basis`` (the establishment's document, if any); every command
    effective on ``effective`` (today when None)."""
    ledger.register_organ(organ, Envelope(admin, effective=effective))
    for code, name in units:
        ledger.command_organ(
            organ.code, RegisterUnit(code=code, name=name), Envelope(admin, effective=effective)
        )
    ledger.command_organ(
        organ.code,
        SetQuota(quota=quota),
        Envelope(establishment, effective=effective, basis=quota_basis),
    )
