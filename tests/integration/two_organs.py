"""The two trial organs A and B that the cross-organ hire checks record into (the legal holds
and the prior-record backfill suites): their dates, actors and set-up, and the hire of one
synthetic person, whose resident ID number each suite chooses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain.commands.auxiliary import Hire
from domain.commands.organ import RegisterOrgan
from domain.values import Actor
from ledger.records import AuxLedger, Envelope
from tests import builders

WHEN = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
DAY1, DAY2, DAY3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
A, B = "320699", "320601"
NAMES = {A: "试验甲公安局", B: "试验乙公安局"}
ADMIN = Actor(actor_id="dpo", role="admin", organ=A, unit=None)
NAME, PHONE, ADDRESS = "赵试验", "19977551234", "崇川区试验路7号"


def actor(role: str, organ: str) -> Actor:
    """The organ's office of ``role`` (``personnel``, ``discipline``...)."""
    return Actor(actor_id=f"{role}-{organ}", role=role, organ=organ, unit=None)


def set_up(ledger: AuxLedger, quota: int) -> AuxLedger:
    """Organs A and B, each with its unit ``<code>-U1`` and ``quota`` places, effective DAY1;
    the clock at ``WHEN``."""
    ledger.clock = lambda: WHEN
    for code in (A, B):
        builders.set_up_organ(
            ledger,
            RegisterOrgan(code=code, name=NAMES[code], region="试验市"),
            [(f"{code}-U1", "试验派出所")],
            quota,
            admin=actor("admin", code),
            establishment=actor("establishment", code),
            effective=DAY1,
        )
    return ledger


def hire_command(organ: str, number: str, **overrides: Any) -> Hire:
    """The hire of 赵试验 (resident ID ``number``) into the organ's unit from DAY1, with a new
    auxiliary ID; ``overrides`` replace or add fields."""
    return builders.hire_command(
        **{
            "auxiliary_id": uuid4(),
            "unit": f"{organ}-U1",
            "contract_start": DAY1,
            "contract_end": date(2029, 10, 31),
            "name": NAME,
            "resident_id": number,
            "phone": PHONE,
            "address": ADDRESS,
            **overrides,
        }
    )


def hire(ledger: AuxLedger, organ: str, number: str, **overrides: Any) -> UUID:
    """``hire_command(organ, number, **overrides)`` recorded by the organ's personnel office
    on DAY2: the new auxiliary's ID."""
    command = hire_command(organ, number, **overrides)
    ledger.hire(organ, command, Envelope(actor("personnel", organ), effective=DAY2))
    assert command.auxiliary_id is not None
    return command.auxiliary_id
