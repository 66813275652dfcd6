"""Probation, training and leave through their command routes and reports (Art. 8, 9, 13).

李明 (unit 320602-001) was hired 2025-01-02 with a contract from 2025-01-01 to 2028-12-31.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

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
    ok = _post(
        client,
        world,
        "record-training",
        {
            "course": "新录用辅警岗前培训",
            "kind": "pre_service",
            "hours": 120,
            "start": "2025-01-05",
            "end": "2025-01-20",
            "passed": True,
            "effective": "2025-01-21",
        },
    )
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
