"""Decisions with reasons over HTTP (Art. 8, 18): refusals are problem+json and store
nothing; the statement before the decision, the appeal by the inspectorate, referral
outcomes and the return to the dispatch agency are recorded through their routes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.bodies import decision, dispatched_hire_body
from tests.api.conftest import ORGAN, World, last_event_id, problem

DECISION = decision(document_number="通公纪〔2026〕7号", evidence=["调查笔录", "执法记录仪视频"])
DISPATCHED = dispatched_hire_body(effective="2026-01-05")


def _post(client: TestClient, world: World, who: str, action: str, body: dict[str, Any]) -> Any:
    return client.post(
        f"/v1/auxiliaries/{world.auxiliary}/{action}", headers=world.headers(who), json=body
    )


def _ok(client: TestClient, world: World, who: str, action: str, body: dict[str, Any]) -> Any:
    """``_post`` that is recorded (200)."""
    answer = _post(client, world, who, action, body)
    assert answer.status_code == 200, answer.text
    return answer


def _sanctions(client: TestClient, world: World) -> list[dict[str, Any]]:
    """The sanctions of ``world.auxiliary``'s record, as the discipline office reads them."""
    record = client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("discipline"))
    return list(record.json()["sanctions"])


def test_a_sanction_needs_its_reasons_and_a_statement_first(
    client: TestClient, world: World
) -> None:
    def impose(sanction: dict[str, Any]) -> Any:
        return _post(client, world, "discipline", "impose-sanction", sanction)

    before = last_event_id(world)
    sanction = {"sanction_id": "SAN-9", "kind": "warning", **DECISION}
    for field in DECISION:
        missing = {k: v for k, v in sanction.items() if k != field}
        problem(impose(missing), 422, "validation")
    body = problem(impose({**sanction, "document_number": "第7号"}), 422, "invalid_field")
    assert body["detail"].startswith("document_number ")
    problem(impose({**sanction, "article": "Art. 9"}), 422, "invalid_field")
    body = problem(impose(sanction), 409, "statement_missing")
    assert "Art. 18" in body["detail"]
    assert last_event_id(world) == before  # nothing stored on any refusal
    statement = {
        "sanction_id": "SAN-9",
        "heard_on": "2026-02-01",
        "heard_by": "纪检监察室 张华",
        "statement": "对事实无异议",
        "effective": "2026-02-01",
    }
    heard = _ok(client, world, "discipline", "hear-statement", statement)
    assert heard.json()["topic"] == "domain.auxiliary:Auxiliary.StatementHeard"
    waiver = {"sanction_id": "SAN-9", "waiver_reference": "放弃书"}
    problem(_post(client, world, "discipline", "waive-statement", waiver), 409, "duplicate_record")
    _ok(client, world, "discipline", "impose-sanction", sanction)
    assert [(s["sanction_id"], s["document_number"]) for s in _sanctions(client, world)] == [
        ("SAN-9", "通公纪〔2026〕7号")
    ]


def test_an_appeal_is_decided_by_the_inspectorate(client: TestClient, world: World) -> None:
    waiver = {"sanction_id": "SAN-8", "waiver_reference": "放弃陈述申辩声明书"}
    _ok(client, world, "discipline", "waive-statement", waiver)
    sanction = {"sanction_id": "SAN-8", "kind": "warning", **DECISION}
    _ok(client, world, "discipline", "impose-sanction", sanction)
    _ok(client, world, "discipline", "appeal-sanction", {"sanction_id": "SAN-8", "grounds": "g"})
    before = last_event_id(world)
    decision = {"sanction_id": "SAN-8", "upheld": False}
    problem(_post(client, world, "discipline", "decide-appeal", decision), 403, "role_not_allowed")
    assert last_event_id(world) == before
    _ok(client, world, "inspector", "decide-appeal", decision)
    assert [(s["status"], s["appeal"]) for s in _sanctions(client, world)] == [
        ("overturned", "overturned")
    ]


def test_referral_outcomes(client: TestClient, world: World) -> None:
    def record(outcome: dict[str, Any]) -> Any:
        return _post(client, world, "discipline", "record-referral-outcome", outcome)

    before = last_event_id(world)
    outcome = {
        "reference": "通检移〔2026〕3号",
        "outcome": "accepted",
        "outcome_reference": "通检受〔2026〕3号",
        "decided_on": "2026-03-01",
        "effective": "2026-03-01",
    }
    problem(record(outcome), 422, "unknown_referral")
    problem(record({**outcome, "outcome": "acquitted"}), 422, "validation")
    assert last_event_id(world) == before
    # The reference as the referring letter names it (a Chinese document number).
    referral = {"reference": "通检移〔2026〕3号", "summary": "涉嫌受贿", "effective": "2026-02-01"}
    _ok(client, world, "discipline", "refer-for-prosecution", referral)
    for step in ("accepted", "judgement"):
        recorded = record({**outcome, "outcome": step})
        assert recorded.status_code == 200, recorded.text
    after = last_event_id(world)
    problem(record({**outcome, "outcome": "declined"}), 409, "invalid_transition")
    assert last_event_id(world) == after


def test_only_a_dispatched_auxiliary_is_returned_to_the_agency(
    client: TestClient, world: World
) -> None:
    personnel = world.headers("personnel")
    before = last_event_id(world)
    body = problem(
        _post(
            client,
            world,
            "personnel",
            "return-to-agency",
            {"return_grounds": "考核不合格", "effective": "2026-03-01"},
        ),
        409,
        "not_labour_dispatch",
    )
    assert "Art. 8" in body["detail"]
    assert last_event_id(world) == before
    hired = client.post("/v1/auxiliaries", headers=personnel, json=DISPATCHED)
    assert hired.status_code == 201, hired.text
    dispatched = hired.json()["originator_id"]
    headcount = client.get(f"/v1/organs/{ORGAN}", headers=personnel).json()["headcount"]
    returned = client.post(
        f"/v1/auxiliaries/{dispatched}/return-to-agency",
        headers=personnel,
        json={"return_grounds": "考核不合格，退回派遣单位", "effective": "2026-03-01"},
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["topic"] == "domain.auxiliary:Auxiliary.ReturnedToAgency"
    record = client.get(f"/v1/auxiliaries/{dispatched}", headers=personnel).json()
    assert (record["status"], record["separation_reason"], record["separated_on"]) == (
        "separated",
        "returned_to_agency",
        "2026-03-01",
    )
    organ = client.get(f"/v1/organs/{ORGAN}", headers=personnel).json()
    assert organ["headcount"] == headcount - 1  # the slot is released like a separation
    problem(
        client.post(
            f"/v1/auxiliaries/{dispatched}/separate",
            headers=personnel,
            json={"reason": "returned_to_agency"},
        ),
        409,
        "auxiliary_separated",
    )
