"""No cache may keep an answer of the API (issue 14, finding j (iii)).

Records, reports, lists, receipts and tracking pages hold personal data: every response
carries ``Cache-Control: no-store`` — authenticated or public, success or problem, GET or HEAD.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import RESIDENT_ID, World
from tests.api.test_public import COMPLAINT


def test_every_kind_of_answer_says_no_store(client: TestClient, world: World) -> None:
    personnel = world.headers("personnel")
    inspector = {**world.headers("inspector"), "X-Access-Reason": "inspection"}
    receipt = client.post("/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": "ns-1"})
    replay = client.post("/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": "ns-1"})
    assert receipt.status_code == 201 and replay.status_code == 201
    code = receipt.json()["tracking_code"]
    answers = {
        "intake receipt": receipt,
        "intake replay": replay,
        "tracking": client.get(f"/v1/complaints/track/{code}"),
        "tracking, unknown": client.get("/v1/complaints/track/NOT-A-CODE"),
        "intake refused": client.post("/v1/complaints", json={**COMPLAINT, "allegations": []}),
        "credential check": client.get("/v1/credentials/NTFJ0602000001"),
        "checkpoint": client.get("/v1/ledger/checkpoint"),
        "record": client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=personnel),
        "record, HEAD": client.head(f"/v1/auxiliaries/{world.auxiliary}", headers=personnel),
        "complaint": client.get(f"/v1/complaints/{world.complaint}", headers=inspector),
        "timeline": client.get(f"/v1/auxiliaries/{world.auxiliary}/timeline", headers=inspector),
        "list": client.get("/v1/auxiliaries", headers=personnel),
        "list CSV": client.get("/v1/auxiliaries?format=csv", headers=personnel),
        "report": client.get("/v1/reports/personnel-status", headers=inspector),
        "report CSV": client.get("/v1/reports/early-warning?format=csv", headers=inspector),
        "lookup": client.post(
            "/v1/auxiliaries/lookup", json={"resident_id": RESIDENT_ID}, headers=personnel
        ),
        "command": client.post(
            f"/v1/auxiliaries/{world.auxiliary}/commend",
            json={"kind": "citation", "issuing_body": "南通市公安局"},
            headers=personnel,
        ),
        "token issued": client.post(
            "/v1/admin/tokens",
            json={"role": "inspector", "label": "督察 B", "expires_in_days": 7},
            headers=world.headers("admin"),
        ),
        "no token": client.get("/v1/auxiliaries"),
        "wrong role": client.get("/v1/admin/tokens", headers=personnel),
        "not found": client.get("/v1/nowhere"),
    }
    assert answers["record"].status_code == 200 and answers["token issued"].status_code == 201
    assert answers["lookup"].json()["total"] == 1  # world.auxiliary: one post at a time
    missing = {
        what: (r.status_code, r.headers.get("cache-control"))
        for what, r in answers.items()
        if r.headers.get("cache-control") != "no-store"
    }
    assert not missing
