"""The complaints office takes complaints from every channel; unnamed ones are matched later."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from ledger.stream import max_notification_id
from projections.service import ProjectionSupervisor
from tests.api.conftest import ORGAN, UNIT, World, assert_refused, problem

INTAKE = "/v1/complaints/intake"


def body(**overrides: Any) -> dict[str, Any]:
    """A valid 12389 intake of an unnamed subject, with overrides (None removes a field)."""
    fields: dict[str, Any] = {
        "channel": "hotline_12389",
        "outside_reference": "12389-20260105-0042",
        "subject_description": "骑电动车、穿反光背心的男性辅警",
        "incident_at": "2026-01-05T09:30:00+08:00",
        "incident_place": "人民路与青年路路口",
        "allegations": ["执勤时态度恶劣"],
        "complainant_phone": "19900002222",
        **overrides,
    }
    return {k: v for k, v in fields.items() if v is not None}


def test_take_unnamed_then_match_by_work_id(client: TestClient, world: World) -> None:
    office = world.headers("complaints")
    taken = client.post(INTAKE, json=body(), headers=office)
    assert taken.status_code == 201, taken.text
    complaint_id = taken.json()["originator_id"]
    assert taken.headers["Location"] == f"/v1/complaints/{complaint_id}"

    record = client.get(f"/v1/complaints/{complaint_id}", headers=office).json()
    assert record["channel"] == "hotline_12389"
    assert record["outside_reference"] == "12389-20260105-0042"
    assert record["matched"] is False and record["auxiliary_id"] is None
    assert record["responsibility"] is None and record["organ"] == ORGAN
    assert record["complainant_phone"] == "19900002222"

    finding = client.post(f"/v1/complaints/{complaint_id}/acknowledge", json={}, headers=office)
    assert finding.status_code == 200, finding.text
    matched = client.post(
        f"/v1/complaints/{complaint_id}/match-subject",
        json={"work_id": "NTFJ0602000001"},
        headers={**office, "If-Match": '"2"'},
    )
    assert matched.status_code == 200, matched.text
    assert matched.headers["ETag"] == '"3"'
    record = client.get(f"/v1/complaints/{complaint_id}", headers=office).json()
    assert record["matched"] is True and record["auxiliary_id"] == str(world.auxiliary)
    assert record["responsibility"]["unit"] == UNIT

    again = client.post(
        f"/v1/complaints/{complaint_id}/match-subject",
        json={"work_id": "NTFJ0602000001"},
        headers=office,
    )
    problem(again, 409, "subject_already_named")


def test_match_takes_the_work_id_in_any_case_as_the_intake_does(
    client: TestClient, world: World
) -> None:
    office = world.headers("complaints")
    complaint_id = client.post(INTAKE, json=body(), headers=office).json()["originator_id"]
    matched = client.post(
        f"/v1/complaints/{complaint_id}/match-subject",
        json={"work_id": " ntfj0602000001 "},
        headers=office,
    )
    assert matched.status_code == 200, matched.text
    complaint = world.ledger.complaint(UUID(complaint_id))
    assert complaint.auxiliary_id == world.auxiliary and complaint.unit == UNIT


def test_a_named_referral(client: TestClient, world: World) -> None:
    taken = client.post(
        INTAKE,
        json=body(
            channel="referral",
            outside_reference=None,
            referring_organ="南通市纪委监委",
            subject_description=None,
            work_id="NTFJ0602000001",
        ),
        headers=world.headers("complaints"),
    )
    assert taken.status_code == 201, taken.text
    complaint = world.ledger.complaint(UUID(taken.json()["originator_id"]))
    assert complaint.referring_organ == "南通市纪委监委"
    assert complaint.auxiliary_id == world.auxiliary and complaint.unit == UNIT


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"channel": "fax"}, 422, "validation"),
        ({"outside_reference": None}, 422, "invalid_field"),
        ({"channel": "walk_in"}, 422, "invalid_field"),
        ({"channel": "referral", "outside_reference": None}, 422, "invalid_field"),
        ({"referring_organ": "南通市信访局"}, 422, "invalid_field"),
        ({"outside_reference": "12389 0042"}, 422, "invalid_field"),
        ({"subject_description": None}, 422, "validation"),
        ({"work_id": "NTFJ0602000001"}, 422, "validation"),
        ({"subject_description": None, "work_id": "NTFJ0699999999"}, 422, "unknown_auxiliary"),
        (
            {
                "incident_at": "2024-06-01T09:30:00+08:00",
                "subject_description": None,
                "work_id": "NTFJ0602000001",
            },
            422,
            "no_responsibility",
        ),
    ],
)
def test_refused_intakes_answer_a_problem_and_store_nothing(
    client: TestClient, world: World, overrides: dict[str, Any], status: int, code: str
) -> None:
    before = max_notification_id(world.ledger)
    answer = client.post(INTAKE, json=body(**overrides), headers=world.headers("complaints"))
    problem(answer, status, code)
    assert max_notification_id(world.ledger) == before


def test_only_the_complaints_office_takes_or_matches(client: TestClient, world: World) -> None:
    before = max_notification_id(world.ledger)
    match = f"/v1/complaints/{world.complaint}/match-subject"
    work_id = {"work_id": "NTFJ0602000001"}
    assert_refused(
        client,
        "POST",
        [
            (INTAKE, world.headers("personnel"), body(), 403, "role_not_allowed"),
            (match, world.headers("discipline"), work_id, 403, "role_not_allowed"),
            # The public intake's complaint names its auxiliary already.
            (match, world.headers("complaints"), work_id, 409, "subject_already_named"),
        ],
    )
    assert max_notification_id(world.ledger) == before


def test_an_unmatched_complaint_refuses_findings_and_is_listed(
    client: TestClient, world: World, workers: ProjectionSupervisor
) -> None:
    office = world.headers("complaints")
    complaint_id = client.post(INTAKE, json=body(), headers=office).json()["originator_id"]
    for step, payload in (("acknowledge", {}), ("accept", {"category": "执勤态度"})):
        assert client.post(f"/v1/complaints/{complaint_id}/{step}", json=payload, headers=office)
    before = max_notification_id(world.ledger)
    refused = client.post(
        f"/v1/complaints/{complaint_id}/record-finding",
        json={"allegation_number": 1, "result": "sustained", "reasoning": "属实"},
        headers=office,
    )
    problem(refused, 409, "subject_not_matched")
    assert max_notification_id(world.ledger) == before
    wait_for_workers(workers)
    listed = client.get("/v1/reports/complaints-unmatched", headers=office)
    assert listed.status_code == 200, listed.text
    assert [r["complaint_id"] for r in listed.json()["rows"]] == [complaint_id]


def wait_for_workers(workers: ProjectionSupervisor) -> None:
    """Until the read models have applied every stored event."""
    deadline = time.monotonic() + 30
    while not all(s.lag == 0 for s in workers.status()):
        assert time.monotonic() < deadline, "the projection workers did not catch up"
        time.sleep(0.05)
