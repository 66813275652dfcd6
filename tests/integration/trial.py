"""The trial organ 320699 that the bundle and the privacy tests record into: its actors, the
service clock, one synthetic person's resident ID and phone, the set-up of the organ, and a
complaint taken by its public intake."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.commands.auxiliary import Hire
from domain.commands.organ import RegisterOrgan
from domain.identity import resident_id_check_char
from domain.values import Actor
from ledger.records import AuxLedger, Envelope
from tests import builders

ORGAN = "320699"
UNIT = "320699-U1"
ADMIN = Actor(actor_id="dpo", role="admin", organ="ledger", unit=None)
ROOT = Actor(actor_id="root", role="admin", organ=ORGAN, unit=None)
PERSONNEL = Actor(actor_id="hr-1", role="personnel", organ=ORGAN, unit=None)
ESTABLISHMENT = Actor(actor_id="est-1", role="establishment", organ=ORGAN, unit=None)
INTAKE = Actor(actor_id="public-intake", role="public", organ=ORGAN, unit=None)
WHEN = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
HIRED_ON = date(2026, 11, 1)

ID17 = "32069919880305417"
RESIDENT_ID = ID17 + resident_id_check_char(ID17)
PHONE = "19977553311"


def set_up(ledger: AuxLedger) -> AuxLedger:
    """The organ with one unit and five places, effective ``HIRED_ON``; the clock at ``WHEN``."""
    ledger.clock = lambda: WHEN
    builders.set_up_organ(
        ledger,
        RegisterOrgan(code=ORGAN, name="试验公安局", region="试验市"),
        [(UNIT, "试验派出所")],
        5,
        admin=ROOT,
        establishment=ESTABLISHMENT,
        effective=HIRED_ON,
    )
    return ledger


def hire_command(auxiliary_id: UUID, **overrides: Any) -> Hire:
    """The synthetic patrol auxiliary 王小明 of the trial unit, with this person's resident ID
    and phone; ``overrides`` replace or add fields."""
    return builders.hire_command(
        **{
            "auxiliary_id": auxiliary_id,
            "unit": UNIT,
            "name": "王小明",
            "resident_id": RESIDENT_ID,
            "phone": PHONE,
            **overrides,
        }
    )


def complain(ledger: AuxLedger, auxiliary_id: UUID, **overrides: Any) -> UUID:
    """A complaint about ``auxiliary_id`` taken by the public intake; its id. ``overrides``
    replace or add fields of the complaint."""
    complaint_id = uuid4()
    ledger.receive_complaint(
        builders.complaint_command(
            complaint_id=complaint_id, auxiliary_id=auxiliary_id, **overrides
        ),
        Envelope(INTAKE),
    )
    return complaint_id
