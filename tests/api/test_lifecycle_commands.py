"""Probation, training and leave through their command routes and reports (Art. 8, 9, 13).

李明 (unit 320602-001) was hired 2025-01-02 with a contract from 2025-01-01 to 2028-12-31.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.bodies import PRE_SERVICE_TRAINING
from tests.api.conftest import World, catch_up, problem

BASE = "/v1/auxiliaries"


def _post(client: TestClient, world: World, action: str, body: dict[str, object]) -> object:
    return client.post(
        f"{BASE}/{world.auxiliary}/{action}", json=body, headers=world.headers("personnel")
    )


def test_probation_training_and_leave_are_recorded_and_reported(
    client: TestClient, world: World
) -> None:
    ok = _post(client, world, "start-probation", {"until": "2025-06-30", "effective": "2025-01-02"})
    assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    ok = _post(client, world, "complete-probation", {"passed": False, "effective": "2025-06-20"})
    assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    training = {**PRE_SERVICE_TRAINING, "effective": "2025-01-21"}
    ok = _post(client, world, "record-training", training)
    assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    ok = _post(
        client,
        world,
        "start-leave",
        {"leave_id": "L-1", "kind": "annual", "effective": "2025-03-03"},
    )
    assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    catch_up(world.ledger)
    headers = world.headers("personnel")
    failed = client.get("/v1/reports/probations?standing=failed", headers=headers).json()
    assert [(r["name"], r["decided_on"]) for r in failed["rows"]] == [("李明", "2025-06-20")]
    missing = client.get("/v1/reports/training-missing", headers=headers).json()
    assert "李明" not in [r["name"] for r in missing["rows"]]
    leave = client.get("/v1/reports/on-leave?on=2025-03-10", headers=headers)
    assert [(r["name"], r["leave_kind"], r["days_on_leave"]) for r in leave.json()["rows"]] == [
        ("李明", "annual", 8)
    ]
    as_csv = client.get("/v1/reports/on-leave?on=2025-03-10&format=csv", headers=headers)
    assert as_csv.text.splitlines()[0].startswith("auxiliary_id,name,organ,unit")


def test_refusals_are_problems_and_leave_nothing_behind(client: TestClient, world: World) -> None:
    start = {"leave_id": "L-1", "kind": "sick", "effective": "2025-03-03"}
    assert _post(client, world, "start-leave", start).status_code == 200  # type: ignore[attr-defined]
    overlap = {"leave_id": "L-2", "kind": "annual", "effective": "2025-03-05"}
    problem(_post(client, world, "start-leave", overlap), 409, "overlapping_leave")
    problem(
        _post(client, world, "complete-probation", {"passed": True, "effective": "2025-03-05"}),
        409,
        "invalid_transition",
    )
    problem(
        _post(client, world, "start-leave", {"leave_id": "L-3", "kind": "年假"}),
        422,
        "validation",
    )
    catch_up(world.ledger)
    body = client.get(
        "/v1/reports/on-leave?on=2025-03-06", headers=world.headers("personnel")
    ).json()
    assert [r["leave_id"] for r in body["rows"]] == ["L-1"]


def test_the_record_shows_leave_probation_and_training_beside_the_status(
    client: TestClient, world: World
) -> None:
    headers = world.headers("personnel")
    before = client.get(f"{BASE}/{world.auxiliary}", headers=headers).json()["lifecycle"]
    assert before == {
        "on_leave": False,
        "leave": None,
        "probation": None,
        "training": {
            "records": 0,
            "passed": 0,
            "hours_passed": 0,
            "pre_service_passed": False,
            "pre_service_completed_on": None,
            "last_end": None,
        },
    }
    steps = (
        ("start-probation", {"until": "2025-06-30", "effective": "2025-01-02"}),
        ("complete-probation", {"passed": False, "effective": "2025-07-02"}),
        *(
            (
                "record-training",
                {
                    "course": course,
                    "kind": kind,
                    "hours": hours,
                    "start": start,
                    "end": end,
                    "passed": passed,
                    "effective": "2025-03-01",
                },
            )
            for course, kind, hours, start, end, passed in (
                ("岗前培训（首期）", "pre_service", 80, "2025-01-03", "2025-01-20", False),
                ("岗前培训（补训）", "pre_service", 40, "2025-02-03", "2025-02-12", True),
                ("交通指挥专项", "specialised", 16, "2025-02-20", "2025-02-21", True),
            )
        ),
        ("start-leave", {"leave_id": "L-1", "kind": "sick", "effective": "2025-03-03"}),
        ("end-leave", {"leave_id": "L-1", "effective": "2025-03-10"}),
        (
            "start-leave",
            {
                "leave_id": "L-2",
                "kind": "annual",
                "planned_end": "2025-08-05",
                "effective": "2025-08-01",
            },
        ),
    )
    for action, body in steps:
        ok = _post(client, world, action, body)
        assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    record = client.get(f"{BASE}/{world.auxiliary}", headers=headers).json()
    assert record["status"] == "active"  # a leave is not a status: the headcount keeps it
    assert record["lifecycle"] == {
        "on_leave": True,
        "leave": {
            "leave_id": "L-2",
            "kind": "annual",
            "start": "2025-08-01",
            "planned_end": "2025-08-05",
        },
        "probation": {
            "start": "2025-01-02",
            "until": "2025-06-30",
            "passed": False,
            "decided_on": "2025-07-02",
            "separation_owed": True,
        },
        "training": {
            "records": 3,
            "passed": 2,
            "hours_passed": 56,
            "pre_service_passed": True,
            "pre_service_completed_on": "2025-02-12",
            "last_end": "2025-02-21",
        },
    }
    ok = _post(client, world, "end-leave", {"leave_id": "L-2", "effective": "2025-08-06"})
    assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    back = client.get(f"{BASE}/{world.auxiliary}", headers=world.headers("unit")).json()
    assert (back["lifecycle"]["on_leave"], back["lifecycle"]["leave"]) == (False, None)


def test_the_unit_records_its_own_auxiliaries_duty_injuries_and_infringements(
    client: TestClient, world: World
) -> None:
    """Arts. 14 and 15: the employing unit records a duty injury or an infringement of the
    auxiliaries it employs, as personnel does; another unit's auxiliary is not found."""
    bodies = {
        "record-duty-injury": {
            "injury_id": "INJ-U-1",
            "occurred_on": "2025-03-01",
            "medical_details": "左腕扭伤",
            "effective": "2025-03-01",
        },
        "record-infringement": {
            "occurred_on": "2025-03-02",
            "description": "执勤时遭人辱骂推搡",
            "referred_to": "治安大队",
            "effective": "2025-03-02",
        },
    }
    unit = world.headers("unit")
    for action, body in bodies.items():
        ours = client.post(f"{BASE}/{world.auxiliary}/{action}", json=body, headers=unit)
        assert ours.status_code == 200, ours.text
        theirs = f"{BASE}/{world.other_unit_auxiliary}/{action}"
        problem(client.post(theirs, json=body, headers=unit), 404, "not_found")
    record = world.ledger.auxiliary(world.auxiliary)  # type: ignore[arg-type]
    assert list(record.injuries) == ["INJ-U-1"]
    assert len(record.infringements) == 1
