"""The public intake is no oracle of names, units and work IDs (issue 14, finding e).

The request's own fields are checked before the auxiliary is looked up, so a bad field gets
the same answer whether or not the auxiliary named exists; and every failure to find the one
auxiliary meant (no such work ID or name, several of that name, not employed on the incident
date, a reused Idempotency-Key) answers alike for a real and a wrong name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import ORGAN, OTHER_UNIT, UNIT, World, catch_up, hire, last_event_id
from tests.api.test_public import COMPLAINT

BY_NAME: dict[str, Any] = {
    **{k: v for k, v in COMPLAINT.items() if k != "work_id"},
    "auxiliary_name": "李明",
    "unit": f"{UNIT}所",
}
REAL = {"by work ID": COMPLAINT, "by name and unit": BY_NAME}
WRONG = {
    "by work ID": {**COMPLAINT, "work_id": "NTFJ0602999999"},
    "by name and unit": {**BY_NAME, "auxiliary_name": "无此人"},
}


def _answer(client: TestClient, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = client.post("/v1/complaints", json=body, headers=headers)
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.status_code,
        response.text,
    )
    answer: dict[str, Any] = response.json()
    answer.pop("request_id")
    return {**answer, "http_status": response.status_code}


def test_own_fields_are_refused_before_the_lookup(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    future = (datetime.now(tz=UTC) + timedelta(days=2)).isoformat()
    bad_fields: dict[str, tuple[dict[str, Any], str]] = {
        "incident in the future": ({"incident_at": future}, "date_in_future"),
        "blank place": ({"incident_place": "   "}, "invalid_field"),
        "blank allegation": ({"allegations": ["  "]}, "invalid_field"),
        "bad resident ID": (
            {"complainant_resident_id": "110105194912310021"},
            "invalid_resident_id",
        ),
    }
    for way, body in REAL.items():
        for what, (change, code) in bad_fields.items():
            real = _answer(client, {**body, **change})
            wrong = _answer(client, {**WRONG[way], **change})
            assert real["code"] == code, (way, what, real)
            assert wrong == real, (way, what)
    assert last_event_id(world) == before


def test_every_failure_to_find_the_auxiliary_answers_alike(
    client: TestClient, world: World
) -> None:
    # A second 李明 in another unit, and an incident before anyone's hire (2025-01-02).
    hire(world.ledger, ORGAN, OTHER_UNIT, "NTFJ0602000009")
    catch_up(world.ledger)
    before_hire = "2024-06-01T09:30:00+08:00"
    before = last_event_id(world)
    for way, body in REAL.items():
        wrong = _answer(client, WRONG[way])
        assert wrong["code"] == "unknown_auxiliary" and wrong["http_status"] == 422
        # real, but not employed on the incident date (was: no_responsibility)
        assert _answer(client, {**body, "incident_at": before_hire}) == wrong, way
        assert _answer(client, {**WRONG[way], "incident_at": before_hire}) == wrong, way
    # two of this name in the unit (was: ambiguous_auxiliary) answer like none
    hire(world.ledger, ORGAN, UNIT, "NTFJ0602000010")
    catch_up(world.ledger)
    assert _answer(client, BY_NAME) == _answer(client, WRONG["by name and unit"])
    assert _answer(client, BY_NAME)["code"] == "unknown_auxiliary"
    assert last_event_id(world) > before  # the hires; the intakes stored nothing:
    settled = last_event_id(world)
    _answer(client, BY_NAME)
    assert last_event_id(world) == settled


def test_a_reused_idempotency_key_answers_alike_for_real_and_wrong_names(
    client: TestClient, world: World
) -> None:
    key = {"Idempotency-Key": "oracle-probe-0001"}
    first = client.post("/v1/complaints", json=COMPLAINT, headers=key)
    assert first.status_code == 201, first.text
    after = last_event_id(world)
    real_other = {**BY_NAME, "auxiliary_name": "赵强", "unit": f"{OTHER_UNIT}所"}
    real = _answer(client, real_other, **key)
    wrong = _answer(client, WRONG["by name and unit"], **key)
    assert real["code"] == "idempotency_key_reused" and real["http_status"] == 409
    assert wrong == real
    assert last_event_id(world) == after
    # and the other name is real: without the key it is filed
    assert client.post("/v1/complaints", json=real_other).status_code == 201
