"""A complaint the office takes by telephone, letter or in person gets a tracking code too:
in the 201 answer only, its hash in the ledger, found by the complainant read model."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api import tracking_code as codes
from api.receipts import tracking_hash
from tests.api.conftest import World, catch_up, problem
from tests.api.test_complaint_channels import INTAKE, body

GROUPED = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]")


@pytest.mark.both_backends
def test_an_office_intake_answers_a_tracking_code_the_complainant_can_follow(
    client: TestClient, world: World
) -> None:
    taken = client.post(INTAKE, json=body(), headers=world.headers("complaints"))
    assert taken.status_code == 201, taken.text
    answer = taken.json()
    code = answer["tracking_code"]
    assert GROUPED.fullmatch(code), code
    complaint_id = UUID(answer["originator_id"])

    # Only the hash is kept, on the intake event itself; the code is in no stored row.
    complaint = world.ledger.complaint(complaint_id)
    assert complaint.tracking_hash == tracking_hash(codes.parse(code).canonical)
    stored = world.ledger.recorder.select_events(complaint_id, limit=10)
    for row in stored:
        assert codes.parse(code).canonical.encode() not in row.state
        assert code.encode() not in row.state

    # The complainant projection indexes it: the public tracking finds the complaint.
    catch_up(world.ledger)
    tracked = client.get(f"/v1/complaints/track/{code.lower()}")
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["complaint_id"] == str(complaint_id)
    assert tracked.json()["status"] == "received"


def test_every_office_intake_gets_its_own_code(client: TestClient, world: World) -> None:
    office = world.headers("complaints")
    first = client.post(INTAKE, json=body(), headers=office).json()["tracking_code"]
    walk_in = client.post(
        INTAKE, json=body(channel="walk_in", outside_reference=None), headers=office
    )
    assert walk_in.status_code == 201, walk_in.text
    assert walk_in.json()["tracking_code"] != first


def test_a_refused_office_intake_answers_no_code(client: TestClient, world: World) -> None:
    refused = client.post(
        INTAKE, json=body(outside_reference=None), headers=world.headers("complaints")
    )
    answer = problem(refused, 422, "invalid_field")
    assert "tracking_code" not in answer
