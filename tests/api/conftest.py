"""API fixtures: a small world of organs, units, auxiliaries and tokens, on both backends.

The world is laid down through the application's own commands (no back door), then the
read models are caught up, and the app is built with ``create_app`` exactly as ``serve``
does it (production mode, so placeholder secrets would be refused).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from domain.commands.auxiliary import IssueCredential
from domain.commands.complaint import ReceiveComplaint
from domain.commands.misconduct import RecordMisconduct
from domain.commands.organ import RegisterOrgan, RegisterUnit, SetParent, SetQuota
from domain.values import Actor
from ledger.access import TOKEN_ROLES, IssuedToken, RecordAccess, issue_token, revoke_token
from ledger.config import Settings
from ledger.log import MerkleLog
from ledger.records import AuxLedger, Envelope
from projections.service import ProjectionSupervisor, ReadModels
from tests import builders

ORGAN = "320602"
OTHER_ORGAN = "320612"
UNIT = "320602-001"
OTHER_UNIT = "320602-002"
CITY = "320600"
"""The city bureau that ``place_under_city`` sets above ORGAN."""
ROLES = TOKEN_ROLES
"""Every role a token may carry: the world holds one token of each, in each organ."""
RESIDENT_ID = builders.RESIDENT_ID
OTHER_UNIT_RESIDENT_ID = builders.other_resident_id(2)
OTHER_ORGAN_RESIDENT_ID = builders.other_resident_id(3)
_PEOPLE = itertools.count()
"""Numbers the people ``hire`` hires when no number is given."""
PHONE = builders.PHONE


def actor(role: str, organ: str = ORGAN, unit: str | None = None) -> Actor:
    """A ledger actor for setting up the world."""
    return Actor(actor_id=f"setup-{role}", role=role, organ=organ, unit=unit)


@dataclass
class World:
    """What the tests act on."""

    ledger: AuxLedger
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    auxiliary: UUID | None = None
    other_unit_auxiliary: UUID | None = None
    other_organ_auxiliary: UUID | None = None
    complaint: UUID | None = None
    finding: UUID | None = None

    def headers(self, who: str) -> dict[str, str]:
        """Authorization header for a named token (a role, or a special token)."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def hire(
    ledger: AuxLedger,
    organ: str,
    unit: str,
    serial: str | None,
    name: str = "李明",
    resident_id: str | None = None,
) -> UUID:
    """Hire an auxiliary and issue a work ID (none if ``serial`` is None); ``resident_id``, or
    a person no one employs yet (one person holds one post at a time, Art. 5, 8)."""
    if resident_id is None:
        resident_id = builders.other_resident_id(100 + next(_PEOPLE) % 800)
    personnel = actor("personnel", organ)
    recorded = builders.hire(
        ledger, organ, personnel, date(2025, 1, 2), unit=unit, name=name, resident_id=resident_id
    )
    if serial is None:
        return recorded.originator_id
    ledger.command_auxiliary(
        recorded.originator_id,
        IssueCredential(kind="work_id", serial=serial),
        Envelope(personnel, effective=date(2025, 1, 2)),
    )
    return recorded.originator_id


def build_world(ledger: AuxLedger, settings: Settings) -> World:
    """Two organs, three auxiliaries, a complaint, a misconduct finding and every token."""
    world = World(ledger=ledger, settings=settings)
    for organ, units in ((ORGAN, (UNIT, OTHER_UNIT)), (OTHER_ORGAN, (f"{OTHER_ORGAN}-001",))):
        admin = actor("admin", organ)
        ledger.register_organ(
            RegisterOrgan(code=organ, name=f"{organ}局", region="南通市"), Envelope(admin)
        )
        for unit in units:
            ledger.command_organ(organ, RegisterUnit(code=unit, name=f"{unit}所"), Envelope(admin))
        ledger.command_organ(organ, SetQuota(quota=20), Envelope(actor("establishment", organ)))
    world.auxiliary = hire(ledger, ORGAN, UNIT, "NTFJ0602000001", resident_id=RESIDENT_ID)
    # Three people: one person holds one post at a time (Art. 5, 8).
    world.other_unit_auxiliary = hire(
        ledger, ORGAN, OTHER_UNIT, "NTFJ0602000002", "赵强", OTHER_UNIT_RESIDENT_ID
    )
    world.other_organ_auxiliary = hire(
        ledger,
        OTHER_ORGAN,
        f"{OTHER_ORGAN}-001",
        "NTFJ0612000001",
        resident_id=OTHER_ORGAN_RESIDENT_ID,
    )
    world.complaint = receive_complaint(
        ledger,
        world.auxiliary,
        complainant_name="张三",
        complainant_phone="19900001111",
        contact_text="工作日白天可电话联系",
    )
    world.finding = ledger.record_misconduct(
        RecordMisconduct(
            official_id="602010",
            official_name="王建国",
            official_role="supervisor",
            organ=ORGAN,
            unit=UNIT,
            kind="neglect_of_duty",
            summary="未履行带辅责任",
            decision="诫勉谈话",
        ),
        Envelope(actor("discipline")),
    ).originator_id
    for role in ROLES:
        unit = UNIT if role == "unit" else None
        world.tokens[role] = new_token(ledger, role, role, unit=unit).secret
        other_unit = f"{OTHER_ORGAN}-001" if role == "unit" else None
        world.tokens[f"other-organ-{role}"] = new_token(
            ledger, role, role, organ=OTHER_ORGAN, unit=other_unit
        ).secret
    world.tokens["other-unit"] = new_token(ledger, "unit", "unit 2", unit=OTHER_UNIT).secret
    revoked = new_token(ledger, "admin", "old", issued_by="t")
    revoke_token(ledger, revoked.token.id, reason="left", revoked_by="test")
    world.tokens["revoked"] = revoked.secret
    long_ago = datetime.now(tz=UTC) - timedelta(days=30)
    world.tokens["expired"] = new_token(
        ledger, "admin", "expired", now=long_ago, expires_at=long_ago + timedelta(days=1)
    ).secret
    catch_up(ledger)
    return world


def receive_complaint(
    ledger: AuxLedger, auxiliary_id: UUID | None, effective: date | None = None, **overrides: Any
) -> UUID:
    """A complaint about ``auxiliary_id`` received online through ORGAN's public intake: one
    allegation at a crossing on 2026-01-05, no complainant unless ``overrides`` name one
    (they replace or add fields of ``ReceiveComplaint``)."""
    fields: dict[str, Any] = {
        "auxiliary_id": auxiliary_id,
        "channel": "online",
        "incident_at": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        "incident_place": "人民路与青年路路口",
        "allegations": ["执勤时态度恶劣"],
        **overrides,
    }
    public = Actor("public-intake", "public", ORGAN, None)
    recorded = ledger.receive_complaint(
        ReceiveComplaint(**fields), Envelope(public, effective=effective)
    )
    return recorded.originator_id


def new_token(
    ledger: AuxLedger,
    role: str,
    label: str,
    *,
    organ: str = ORGAN,
    unit: str | None = None,
    issued_by: str = "test",
    **extra: Any,
) -> IssuedToken:
    """Issue a token of ``role`` in ``organ`` (no unit unless named); ``extra`` goes to
    ``issue_token`` as it is (a holder, ``oversight``, the times)."""
    return issue_token(
        ledger, role=role, organ=organ, unit=unit, label=label, issued_by=issued_by, **extra
    )


def place_under_city(of: World) -> None:
    """Register the city bureau CITY and place ORGAN under it (read models caught up)."""
    of.ledger.register_organ(
        RegisterOrgan(code=CITY, name="南通市公安局", region="南通市"),
        Envelope(Actor(actor_id="setup", role="admin", organ=CITY, unit=None)),
    )
    of.ledger.set_organ_parent(
        ORGAN,
        SetParent(parent=CITY),
        Envelope(Actor(actor_id="setup", role="admin", organ=ORGAN, unit=None)),
    )
    catch_up(of.ledger)


def event_count(of: World) -> int:
    """How many events the ledger holds (the Merkle log's size)."""
    return MerkleLog(of.ledger.ledger_recorder).tree_size()


def last_event_id(of: World) -> int:
    """The notification id of the newest event the ledger holds (0 when it holds none)."""
    return int(of.ledger.recorder.max_notification_id() or 0)


def accesses(of: World) -> list[RecordAccess]:
    """Every ``RecordAccess`` the ledger holds, oldest first."""
    rows = of.ledger.recorder.select_notifications(
        start=None, limit=1000, topics=["ledger.access:RecordAccess.Recorded"]
    )
    return [of.ledger.repository.get(r.originator_id) for r in rows]


def sustain_first_allegation(client: TestClient, world: World) -> str:
    """The complaints office acknowledges and accepts the world's complaint and finds its
    first allegation sustained, through the API; the link a sanction may name to it."""
    office = world.headers("complaints")
    for slug, payload in (
        ("acknowledge", {}),
        ("accept", {"category": "执勤态度"}),
        ("record-finding", {"allegation_number": 1, "result": "sustained", "reasoning": "属实"}),
    ):
        answer = client.post(
            f"/v1/complaints/{world.complaint}/{slug}", headers=office, json=payload
        )
        assert answer.status_code == 200, answer.text
    return f"{world.complaint}:1"


def catch_up(ledger: AuxLedger) -> None:
    """Bring every read model up to the ledger's head (what the serve process's workers do)."""
    models = ReadModels(ledger)
    try:
        models.ensure()
        for name in models.names():
            models.catch_up(name)
    finally:
        models.close()


def api_settings(settings: Settings, **overrides: Any) -> ApiSettings:
    """Production-mode API settings with generous rate limits unless overridden."""
    values: dict[str, Any] = {
        "ledger": settings,
        "environment": "production",
        "intake_per_minute": 100_000.0,
        "intake_burst": 100_000,
        "checks_per_minute": 100_000.0,
        "checks_burst": 100_000,
        "token_cache_seconds": 0.0,
        "ledger_organ": ORGAN,
    }
    values.update(overrides)
    return ApiSettings(**values)


@pytest.fixture
def world(aux_ledger: AuxLedger, settings: Settings) -> World:
    """The world on the current backend."""
    return build_world(aux_ledger, settings)


@pytest.fixture
def app(world: World) -> FastAPI:
    """The app over the world's ledger."""
    return create_app(api_settings(world.settings))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app (lifespan run)."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def workers(world: World) -> Iterator[ProjectionSupervisor]:
    """Projection workers over the world's ledger, caught up (what ``serve`` runs beside the
    API): ``/readyz`` is unready while no live worker keeps a projection up to date."""
    with running_workers(world) as supervisor:
        yield supervisor


@contextmanager
def running_workers(world: World) -> Iterator[ProjectionSupervisor]:
    """``workers`` for any scope: started, caught up, stopped at the end."""
    models = ReadModels(world.ledger)
    models.ensure()
    supervisor = ProjectionSupervisor(models, poll_interval=0.1)
    supervisor.start()
    deadline = time.monotonic() + 30
    while not all(s.alive and s.lag == 0 for s in supervisor.status()):
        assert time.monotonic() < deadline, "the projection workers did not catch up"
        time.sleep(0.05)
    try:
        yield supervisor
    finally:
        supervisor.stop()
        models.close()


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert a problem+json answer with this status and code; return its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == f"/problems/{code}"
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


Refusal = tuple[str, dict[str, str], Any, int, str]
"""A request the API refuses: URL, headers, JSON body (None: no body), status, problem code."""


def assert_refused(client: TestClient, method: str, refusals: Iterable[Refusal]) -> None:
    """Send each refusal with ``method``: each answers its problem+json (see ``problem``)."""
    for url, headers, body, status, code in refusals:
        answer = client.request(method, url, headers=headers, json=body)
        assert answer.status_code == status, (method, url, body, answer.status_code, answer.text)
        problem(answer, status, code)
