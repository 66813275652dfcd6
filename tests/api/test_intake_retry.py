"""A retry under an Idempotency-Key is looked for only when the intake fails (issue 17, item
8): the answers stay those of looking for it first, also when the auxiliary can no longer be
found since the first filing."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from domain.commands.auxiliary import Separate
from ledger.records import Envelope
from tests.api.conftest import ORGAN, UNIT, World, actor, catch_up, last_event_id, problem

BY_NAME: dict[str, Any] = {
    "auxiliary_name": "李明",
    "unit": f"{UNIT}所",
    "incident_at": "2026-11-20T09:30:00+08:00",
    "incident_place": "人民路与青年路路口",
    "allegations": ["执勤时态度恶劣，言语粗暴"],
    "complainant_name": "张三",
    "complainant_phone": "19900001111",
}


def test_a_retry_replays_even_when_the_auxiliary_is_no_longer_found(
    client: TestClient, world: World
) -> None:
    headers = {"Idempotency-Key": "retry-after-separation-0001"}
    first = client.post("/v1/complaints", json=BY_NAME, headers=headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    # The auxiliary's separation is recorded, effective before the incident date: a lookup
    # by name and unit (as of that date) no longer finds them.
    assert world.auxiliary is not None
    world.ledger.command_auxiliary(
        world.auxiliary,
        Separate(reason="resigned"),
        Envelope(actor("personnel", ORGAN), effective=date(2026, 11, 15)),
    )
    catch_up(world.ledger)
    after = last_event_id(world)

    again = client.post("/v1/complaints", json=BY_NAME, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same key with another body is refused as before, not answered "unknown auxiliary".
    problem(
        client.post(
            "/v1/complaints", json={**BY_NAME, "incident_place": "另一个地方"}, headers=headers
        ),
        409,
        "idempotency_key_reused",
    )
    # A new key (or none) meets the lookup, which no longer finds the auxiliary.
    for fresh in ({"Idempotency-Key": "retry-after-separation-0002"}, {}):
        problem(
            client.post("/v1/complaints", json=BY_NAME, headers=fresh), 422, "unknown_auxiliary"
        )
    assert last_event_id(world) == after


def test_a_retry_of_a_recorded_intake_writes_nothing(client: TestClient, world: World) -> None:
    headers = {"Idempotency-Key": "retry-writes-nothing-0001"}
    first = client.post("/v1/complaints", json=BY_NAME, headers=headers)
    assert first.status_code == 201, first.text
    after = last_event_id(world)
    for _ in range(3):
        again = client.post("/v1/complaints", json=BY_NAME, headers=headers)
        assert again.status_code == 201, again.text
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
    assert last_event_id(world) == after
