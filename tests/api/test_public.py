"""Public intake with signed receipts, tracking with inclusion proofs, credential checks."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from api.app import create_app
from api.receipts import make_code, tracking_hash
from domain.commands.auxiliary import RevokeCredential, Separate, Transfer
from domain.values import Actor, china_date
from ledger.records import Envelope
from tests.api.conftest import (
    ORGAN,
    OTHER_UNIT,
    UNIT,
    World,
    actor,
    api_settings,
    catch_up,
    last_event_id,
    problem,
)

COMPLAINT: dict[str, Any] = {
    "work_id": "NTFJ0602000001",
    "incident_at": "2026-11-20T09:30:00+08:00",
    "incident_place": "人民路与青年路路口",
    "allegations": ["执勤时态度恶劣，言语粗暴", "未出示工作证件"],
    "complainant_name": "张三",
    "complainant_phone": "19900001111",
}


def verify_receipt(client: TestClient, receipt: dict[str, Any]) -> None:
    """What docs/api.md tells a complainant to do, with the public endpoints only."""
    keys = {k["key_id"]: k["vkey"] for k in client.get("/v1/ledger/keys").json()}
    raw = base64.b64decode(keys[receipt["key_id"]].split("+", 2)[2])
    assert raw[0] == 0x01
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    fields = {k: v for k, v in receipt.items() if k != "signature"}
    message = b"auxledger/receipt/v1\n" + json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    public.verify(base64.b64decode(receipt["signature"]), message)  # raises if forged


def verify_inclusion(inclusion: dict[str, Any], leaf_hash_hex: str) -> None:
    """RFC 9162 §2.1.3.2 inclusion verification against the checkpoint's root."""
    index, size = inclusion["leaf_index"], inclusion["tree_size"]
    node = bytes.fromhex(leaf_hash_hex)
    fn, sn = index, size - 1
    for proof in (base64.b64decode(h) for h in inclusion["hashes"]):
        if fn % 2 == 1 or fn == sn:
            node = hashlib.sha256(b"\x01" + proof + node).digest()
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = hashlib.sha256(b"\x01" + node + proof).digest()
        fn, sn = fn >> 1, sn >> 1
    lines = inclusion["checkpoint"].split("\n")
    assert int(lines[1]) == size
    assert base64.b64decode(lines[2]) == node


def test_intake_answers_a_receipt_that_verifies(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    response = client.post("/v1/complaints", json=COMPLAINT)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-Z*~$=]", receipt["tracking_code"]
    )
    verify_receipt(client, receipt)
    assert last_event_id(world) == before + 1
    complaint = world.ledger.complaint(UUID(receipt["complaint_id"]))
    assert complaint.tracking_hash == tracking_hash(receipt["tracking_code"].replace("-", ""))
    assert complaint.organ == ORGAN and complaint.responsibility.unit == UNIT
    assert receipt["event"]["hash"] == world.ledger.record_hash(complaint.id, 1)
    forged = {**receipt, "recorded_at": "2020-01-01T00:00:00+00:00"}
    try:
        verify_receipt(client, forged)
    except Exception:
        pass
    else:
        raise AssertionError("a changed receipt must not verify")


def test_tracking_shows_status_result_and_a_proof_that_verifies(
    client: TestClient, world: World
) -> None:
    receipt = client.post("/v1/complaints", json=COMPLAINT).json()
    code = receipt["tracking_code"]
    catch_up(world.ledger)  # a code is found through the complainant read model
    tracked = client.get(f"/v1/complaints/track/{code.lower()}")
    assert tracked.status_code == 200, tracked.text
    body = tracked.json()
    assert body["status"] == "received" and body["result"] is None
    assert body["status_zh"] == "已接收" and body["review_until"] is None
    assert [step["step"] for step in body["expected"]] == ["签收", "调查办结"]
    verify_inclusion(body["inclusion"], receipt["event"]["leaf_hash"])
    checkpoint = client.get("/v1/ledger/checkpoint").text
    assert body["inclusion"]["checkpoint"] == checkpoint
    # the office handles it and tells the complainant; the result becomes visible
    office = world.headers("complaints")
    cid = receipt["complaint_id"]
    today = china_date(datetime.now(tz=UTC)).isoformat()
    for slug, payload in (
        ("acknowledge", {}),
        ("accept", {"category": "执勤态度"}),
        ("record-finding", {"allegation_number": 1, "result": "sustained", "reasoning": "属实"}),
        (
            "record-finding",
            {"allegation_number": 2, "result": "not_sustained", "reasoning": "不属实"},
        ),
    ):
        answer = client.post(f"/v1/complaints/{cid}/{slug}", headers=office, json=payload)
        assert answer.status_code == 200, answer.text
    assert client.get(f"/v1/complaints/track/{code}").json()["result"] is None
    told = client.post(
        f"/v1/complaints/{cid}/notify-complainant",
        headers=office,
        json={"method": "sms", "notified_on": today, "summary": "经调查，第1项属实"},
    )
    assert told.status_code == 200, told.text
    later = client.get(f"/v1/complaints/track/{code}").json()
    assert later["status"] == "complainant_notified"
    assert later["result"]["summary"] == "经调查，第1项属实"
    assert [f["result"] for f in later["result"]["findings"]] == ["sustained", "not_sustained"]
    verify_inclusion(later["inclusion"], receipt["event"]["leaf_hash"])
    assert later["inclusion"]["tree_size"] > body["inclusion"]["tree_size"]
    # review (复查): asked for with the code, decided by the inspectorate, not the office
    assert later["review_until"] is not None and later["review"] is None
    asked = client.post(f"/v1/complaints/track/{code}/review", json={"reasons": "对第2项不服"})
    assert asked.status_code == 201, asked.text
    assert asked.json()["review"]["outcome"] is None
    assert asked.json()["expected"][-1]["step"] == "作出复查意见"
    problem(
        client.post(f"/v1/complaints/track/{code}/review", json={"reasons": "再次申请"}),
        409,
        "duplicate_record",
    )
    decision = {"outcome": "upheld", "reasons": "复查后维持原结论"}
    problem(
        client.post(f"/v1/complaints/{cid}/decide-review", headers=office, json=decision),
        403,
        "role_not_allowed",
    )
    decided = client.post(
        f"/v1/complaints/{cid}/decide-review", headers=world.headers("inspector"), json=decision
    )
    assert decided.status_code == 200, decided.text
    final = client.get(f"/v1/complaints/track/{code}").json()
    assert final["review"]["outcome_zh"] == "维持原结论"
    assert final["review_until"] is None


def test_unknown_or_altered_tracking_codes_are_not_found(client: TestClient, world: World) -> None:
    code = client.post("/v1/complaints", json=COMPLAINT).json()["tracking_code"]
    catch_up(world.ledger)
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    checked = problem(client.get(f"/v1/complaints/track/{altered}"), 422, "tracking_code_check")
    assert checked["detail"].startswith("the tracking code's check symbol does not match")
    assert checked["title"] == "The tracking code's check symbol does not match"
    unknown = make_code(bytes(10))
    problem(client.get(f"/v1/complaints/track/{unknown}"), 404, "not_found")
    problem(client.get("/v1/complaints/track/short"), 404, "not_found")


def test_idempotent_retry_returns_the_same_receipt_and_records_nothing(
    client: TestClient, world: World
) -> None:
    headers = {"Idempotency-Key": "c0ffee-2026-11-20-0001"}
    first = client.post("/v1/complaints", json=COMPLAINT, headers=headers)
    assert first.status_code == 201
    after_first = last_event_id(world)
    again = client.post("/v1/complaints", json=COMPLAINT, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert last_event_id(world) == after_first
    changed = {**COMPLAINT, "incident_place": "另一个地方"}
    problem(
        client.post("/v1/complaints", json=changed, headers=headers), 409, "idempotency_key_reused"
    )
    assert last_event_id(world) == after_first
    other_key = client.post("/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": "k2"})
    assert other_key.json()["complaint_id"] != first.json()["complaint_id"]


def test_intake_names_the_auxiliary_by_name_and_unit(client: TestClient, world: World) -> None:
    by_name = {**COMPLAINT, "auxiliary_name": "李明", "unit": f"{UNIT}所"}
    del by_name["work_id"]
    response = client.post("/v1/complaints", json=by_name)
    assert response.status_code == 201, response.text
    complaint = world.ledger.complaint(UUID(response.json()["complaint_id"]))
    assert complaint.auxiliary_id == world.auxiliary
    for wrong, code in (
        ({**by_name, "auxiliary_name": "无此人"}, "unknown_auxiliary"),
        ({**COMPLAINT, "work_id": "NTFJ9999"}, "unknown_auxiliary"),
        ({**COMPLAINT, "unit": UNIT}, "validation"),
    ):
        problem(client.post("/v1/complaints", json=wrong), 422, code)


def test_intake_by_name_finds_the_unit_served_in_on_the_incident_date(
    client: TestClient, world: World
) -> None:
    """The unit named is the one the auxiliary served in on the incident date (11-20): a
    move (11-25) and a separation (12-01) since change nothing; the unit moved to is not it."""
    assert world.auxiliary is not None
    personnel = actor("personnel", ORGAN)
    world.ledger.command_auxiliary(
        world.auxiliary,
        Transfer(unit=OTHER_UNIT, supervisor_id="602011", supervisor_name="钱警官"),
        Envelope(personnel, effective=date(2026, 11, 25)),
    )
    world.ledger.command_auxiliary(
        world.auxiliary,
        Separate(reason="resigned"),
        Envelope(personnel, effective=date(2026, 12, 1)),
    )
    catch_up(world.ledger)
    by_name = {**COMPLAINT, "auxiliary_name": "李明", "unit": f"{UNIT}所"}
    del by_name["work_id"]
    before = last_event_id(world)
    unknown = problem(
        client.post("/v1/complaints", json={**by_name, "auxiliary_name": "无此人"}),
        422,
        "unknown_auxiliary",
    )
    for wrong in (
        {**by_name, "unit": f"{OTHER_UNIT}所"},  # where they went, not where they served
        {**by_name, "unit": OTHER_UNIT, "incident_at": "2026-12-02T09:30:00+08:00"},  # left
    ):
        refused = problem(client.post("/v1/complaints", json=wrong), 422, "unknown_auxiliary")
        assert refused["detail"] == unknown["detail"]
    assert last_event_id(world) == before
    for named in (f"{UNIT}所", UNIT):
        response = client.post("/v1/complaints", json={**by_name, "unit": named})
        assert response.status_code == 201, response.text
        complaint = world.ledger.complaint(UUID(response.json()["complaint_id"]))
        assert complaint.auxiliary_id == world.auxiliary
        assert complaint.responsibility is not None
        assert complaint.responsibility.unit == UNIT


def test_intake_validation_stores_nothing(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    future = (datetime.now(tz=UTC) + timedelta(days=2)).isoformat()
    for changes, code in (
        ({"incident_at": future}, "date_in_future"),
        ({"incident_at": "2026-11-20T09:30:00"}, "validation"),
        ({"complainant_phone": "call me"}, "validation"),
        ({"allegations": []}, "validation"),
        ({"allegations": ["x"] * 21}, "validation"),
        ({"complainant_resident_id": "110105194912310021"}, "invalid_resident_id"),
    ):
        problem(client.post("/v1/complaints", json={**COMPLAINT, **changes}), 422, code)
    body = problem(
        client.post("/v1/complaints", json={**COMPLAINT, "complainant_phone": "19900001111x"}),
        422,
        "validation",
    )
    assert "19900001111" not in json.dumps(body)
    # Instants outside 1950-2100 (at the ends of the calendar a conversion to UTC would
    # overflow), and numbers or bare dates where an instant with a zone is asked for.
    for instant in (
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1949-12-31T23:59:59+08:00",
        1764000000,
        "1764000000",
        "2026-11-20",
    ):
        body = problem(
            client.post("/v1/complaints", json={**COMPLAINT, "incident_at": instant}),
            422,
            "validation",
        )
        assert body["errors"][0]["field"] == "body.incident_at", instant
    assert last_event_id(world) == before


def test_intake_refuses_ambiguous_or_unreadable_json(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    headers = {"content-type": "application/json"}

    def refused(content: bytes, reason: str) -> None:
        body = problem(
            client.post("/v1/complaints", headers=headers, content=content), 400, "malformed_json"
        )
        assert reason in body["detail"], body["detail"]

    text = json.dumps(COMPLAINT, ensure_ascii=False)
    # A repeated key: the last value would silently win over the one the sender saw first.
    refused(
        ('{"work_id": "NTFJ0602999999", ' + text[1:]).encode(),
        "the key 'work_id' appears twice in one object",
    )
    refused(text.replace("人民路", "\udcff").encode("utf-8", "surrogatepass"), "not UTF-8")
    refused(b'{"allegations": ' + b"[" * 40 + b"]" * 40 + b"}", "more than 32 levels deep")
    refused(b'{"incident_place": ' + b"9" * 5000 + b"}", "too many digits")
    refused(text.replace('"人民路', 'NaN, "x": "人民路', 1).encode(), "NaN is not a JSON number")
    problem(
        client.post(
            "/v1/complaints",
            headers={**headers, "Content-Encoding": "gzip"},
            content=gzip.compress(text.encode()),
        ),
        415,
        "unsupported_media_type",
    )
    assert last_event_id(world) == before


def test_intake_rate_limit_answers_429_with_retry_after(world: World) -> None:
    app = create_app(api_settings(world.settings, intake_per_minute=1.0, intake_burst=2))
    with TestClient(app) as client:
        assert client.post("/v1/complaints", json=COMPLAINT).status_code == 201
        assert client.post("/v1/complaints", json=COMPLAINT).status_code == 201
        refused = client.post("/v1/complaints", json=COMPLAINT)
    body = problem(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1
    assert "try again" in body["detail"]


def test_credential_check_without_personal_data(client: TestClient, world: World) -> None:
    genuine = client.get("/v1/credentials/NTFJ0602000001").json()
    assert genuine == {
        "work_id": "NTFJ0602000001",
        "genuine": True,
        "active": True,
        "status": "active",
        "organ": ORGAN,
    }
    fake = client.get("/v1/credentials/NTFJ0000000000").json()
    assert fake["genuine"] is False and fake["active"] is False
    world.ledger.command_auxiliary(
        world.auxiliary,
        RevokeCredential(kind="work_id", serial="NTFJ0602000001", reason="遗失"),
        Envelope(Actor("setup-personnel", "personnel", ORGAN, None)),
    )
    catch_up(world.ledger)
    revoked = client.get("/v1/credentials/NTFJ0602000001").json()
    assert revoked["genuine"] is True and revoked["active"] is False
    assert revoked["status"] == "revoked"


def test_a_work_id_is_read_in_capitals(client: TestClient, world: World) -> None:
    """A work ID typed in small letters (or with spaces around it, in a body) is the same
    work ID: checked and named in a complaint alike."""
    assert client.get("/v1/credentials/ntfj0602000001").json() == {
        "work_id": "NTFJ0602000001",
        "genuine": True,
        "active": True,
        "status": "active",
        "organ": ORGAN,
    }
    response = client.post("/v1/complaints", json={**COMPLAINT, "work_id": " ntfj0602000001 "})
    assert response.status_code == 201, response.text
    complaint = world.ledger.complaint(UUID(response.json()["complaint_id"]))
    assert complaint.auxiliary_id == world.auxiliary


def test_tracking_by_body_answers_as_the_get(client: TestClient, world: World) -> None:
    """POST /v1/complaints/track takes the code in the body (kept out of URLs and access
    logs): the same answer and the same errors as GET /v1/complaints/track/{code}."""
    receipt = client.post("/v1/complaints", json=COMPLAINT).json()
    code = receipt["tracking_code"]
    catch_up(world.ledger)
    before = last_event_id(world)
    got = client.get(f"/v1/complaints/track/{code}")
    posted = client.post("/v1/complaints/track", json={"tracking_code": code.lower()})
    assert posted.status_code == got.status_code == 200, posted.text
    assert posted.json() == got.json()
    verify_inclusion(posted.json()["inclusion"], receipt["event"]["leaf_hash"])
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    unknown = make_code(bytes(10))
    for sent, status, problem_code in (
        (wrong_check, 422, "tracking_code_check"),
        (unknown, 404, "not_found"),
    ):
        by_get = problem(client.get(f"/v1/complaints/track/{sent}"), status, problem_code)
        by_post = problem(
            client.post("/v1/complaints/track", json={"tracking_code": sent}), status, problem_code
        )
        assert by_post["detail"] == by_get["detail"]
    for body in ({"tracking_code": "X" * 81}, {}, {"tracking_code": code, "extra": 1}):
        problem(client.post("/v1/complaints/track", json=body), 422, "validation")
    assert last_event_id(world) == before


def test_the_receipt_schema_describes_the_code_as_it_is(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ReceiptPublic"]
    described = schema["properties"]["tracking_code"]["description"]
    assert "XXXX-XXXX-XXXX-XXXX-C" in described and "52" not in described


def test_tracking_codes_that_find_nothing_are_limited_per_client(world: World) -> None:
    """A complainant following their own code is never limited; a client whose codes name no
    complaint is, after its burst of misses, before any lookup (the found code too, then)."""
    app = create_app(api_settings(world.settings, checks_per_minute=1.0, checks_burst=3))
    with TestClient(app) as client:
        code = client.post("/v1/complaints", json=COMPLAINT).json()["tracking_code"]
        catch_up(world.ledger)
        for _ in range(5):
            assert client.get(f"/v1/complaints/track/{code}").status_code == 200
            found = client.post("/v1/complaints/track", json={"tracking_code": code})
            assert found.status_code == 200
        wrong = code[:-1] + ("0" if code[-1] != "0" else "1")  # a wrong check symbol
        misses = ["NOPE", wrong, make_code(bytes(10))]
        for missed in misses:
            answer = client.post("/v1/complaints/track", json={"tracking_code": missed})
            assert answer.status_code in (404, 422), answer.text
        for path in (f"/v1/complaints/track/{code}", "/v1/complaints/track/NOPE"):
            refused = client.get(path)
            body = problem(refused, 429, "rate_limited")
            assert int(refused.headers["Retry-After"]) >= 1
            assert "tracking codes that name no complaint" in body["detail"]
            assert code not in refused.text
