"""Bidi controls and zero-width characters over HTTP (issue 14, finding j (ii)).

U+202E in ``incident_place`` was accepted by the public intake, and a reason made only of
zero-width characters satisfied the inspector-reason check.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import World, last_event_id, problem
from tests.api.test_public import COMPLAINT


def test_intake_refuses_bidi_and_zero_width_text(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    for work_id in ("NTFJ0602000001", "NTFJ0602999999"):  # real and wrong: the same answer
        for change in (
            {"incident_place": "人民路\u202e口路年青与"},
            {"allegations": ["执勤时\u200b态度恶劣"]},
            {"complainant_name": "张\u2066三"},
            {"contact_text": "\ufeff工作日白天"},
        ):
            body = problem(
                client.post("/v1/complaints", json={**COMPLAINT, "work_id": work_id, **change}),
                422,
                "format_character",
            )
            assert "\u202e" not in body["detail"] and "人民路" not in body["detail"]
    assert last_event_id(world) == before


def test_commands_refuse_bidi_in_names(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    problem(
        client.post(
            f"/v1/auxiliaries/{world.auxiliary}/commend",
            json={"kind": "citation", "issuing_body": "南通市\u200f公安局"},
            headers=world.headers("personnel"),
        ),
        422,
        "format_character",
    )
    assert last_event_id(world) == before


def test_a_reason_with_no_visible_character_is_no_reason(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    inspector = world.headers("inspector")
    for url in (f"/v1/auxiliaries/{world.auxiliary}", "/v1/auxiliaries"):
        for blank in ("\u200b", "\u200b\u200c\u200d", "\u2060 \ufeff", "\u202e"):
            response = client.get(url, params={"reason": blank}, headers=inspector)
            problem(response, 422, "reason_required")
            header = {**inspector, "X-Access-Reason": blank.encode("utf-8")}
            problem(client.get(url, headers=header), 422, "reason_required")  # type: ignore[arg-type]
        problem(
            client.get(url, params={"reason": "audit\u202e2026"}, headers=inspector),
            422,
            "format_character",
        )
    assert last_event_id(world) == before
    assert client.get("/v1/auxiliaries?reason=audit", headers=inspector).status_code == 200


def test_an_erasure_reason_refuses_bidi_and_erases_nothing(
    client: TestClient, world: World
) -> None:
    before = last_event_id(world)
    problem(
        client.post(
            "/v1/admin/erasures",
            json={"auxiliary_id": str(world.auxiliary), "reason": "依申请\u202e删除"},
            headers=world.headers("admin"),
        ),
        422,
        "format_character",
    )
    assert last_event_id(world) == before
    record = client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("personnel"))
    assert record.json()["phone"] == "19912345678"  # the data key is intact
