"""No personal data in logs or error bodies, ever (issue: personal data protection, item 5).

Every personal field is filled with a marker; the API and the CLI are driven through success
and failure paths; then every captured log record (all loggers, DEBUG and up), every HTTP
error body and everything the CLI printed is scanned for every marker.
"""

from __future__ import annotations

import json
import logging
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli_main
from domain.identity import resident_id_check_char
from tests.api import bodies
from tests.api.conftest import World, api_settings, catch_up
from tests.holds import end_erasure_blockers
from tests.serving import use_environ

_ID17 = "32069919771113987"
MARK_RESIDENT_ID = _ID17 + resident_id_check_char(_ID17)
MARK_PHONE = "19976543219"
MARK_ADDRESS = "MARKADDRESS-QZV 南通市秘密路7号"
MARK_HEALTH = "MARKHEALTH-QZV 血压异常"
MARK_MEDICAL = "MARKMEDICAL-QZV 左腿骨折"
MARK_NAME = "MARKNAME-QZV"
MARK_CONTACT = "MARKCONTACT-QZV 晚上联系"
_CID17 = "32069919650204551"
MARK_COMPLAINANT_ID = _CID17 + resident_id_check_char(_CID17)
MARK_COMPLAINANT_PHONE = "19911223344"
MARK_COMPLAINANT_ADDRESS = "MARKCADDR-QZV 南通市隐私巷3号"
MARKERS = (
    MARK_RESIDENT_ID,
    MARK_PHONE,
    MARK_ADDRESS,
    MARK_HEALTH,
    MARK_MEDICAL,
    MARK_NAME,
    MARK_CONTACT,
    MARK_COMPLAINANT_ID,
    MARK_COMPLAINANT_PHONE,
    MARK_COMPLAINANT_ADDRESS,
)


def _leaks(text: str) -> list[str]:
    return [m for m in MARKERS if m in text or m.split(" ")[0] in text]


@pytest.fixture
def scan_client(world: World) -> TestClient:
    from api.app import create_app  # noqa: PLC0415

    return TestClient(create_app(api_settings(world.settings)), raise_server_exceptions=False)


def test_markers_never_reach_logs_or_error_bodies(
    scan_client: TestClient,
    world: World,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = scan_client
    personnel = world.headers("personnel")
    errors: list[str] = []

    def call(method: str, url: str, **kwargs: object) -> dict[str, object]:
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        if response.status_code >= 400:
            errors.append(response.text)
        return response.json() if response.content else {}

    def ok(method: str, url: str, **kwargs: object) -> dict[str, object]:
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 300, (url, response.status_code)
        return response.json() if response.content else {}

    hire_body = bodies.hire_body(
        name="赵一", resident_id=MARK_RESIDENT_ID, phone=MARK_PHONE, address=MARK_ADDRESS
    )
    # Success: hire, health check, duty injury, corrections, complaint intake, reads.
    hired = ok("POST", "/v1/auxiliaries", json=hire_body, headers=personnel)
    auxiliary_id = str(hired.get("originator_id"))
    assert "hash" in hired, hired
    ok(
        "POST",
        f"/v1/auxiliaries/{auxiliary_id}/record-health-check",
        json={
            "checked_on": "2026-06-01",
            "fit": False,
            "details": MARK_HEALTH,
            "effective": "2026-06-01",
        },
        headers=personnel,
    )
    ok(
        "POST",
        f"/v1/auxiliaries/{auxiliary_id}/record-duty-injury",
        json={
            "injury_id": "INJ-1",
            "occurred_on": "2026-07-01",
            "medical_details": MARK_MEDICAL,
            "effective": "2026-07-01",
        },
        headers=personnel,
    )
    ok(
        "POST",
        f"/v1/auxiliaries/{auxiliary_id}/issue-credential",
        json={"kind": "work_id", "serial": "NTFJSCAN0001", "effective": "2026-01-02"},
        headers=personnel,
    )
    catch_up(world.ledger)
    ok(
        "POST",
        "/v1/complaints",
        json={
            "work_id": "NTFJSCAN0001",
            "incident_at": "2026-11-01T09:30:00+08:00",
            "incident_place": "人民路",
            "allegations": ["态度恶劣"],
            "complainant_name": MARK_NAME,
            "complainant_phone": MARK_COMPLAINANT_PHONE,
            "complainant_resident_id": MARK_COMPLAINANT_ID,
            "complainant_address": MARK_COMPLAINANT_ADDRESS,
            "contact_text": MARK_CONTACT,
        },
    )
    for role in ("personnel", "inspector", "discipline", "unit"):
        reading = {**world.headers(role), "X-Access-Reason": "scan"}  # inspectors say why
        ok("GET", f"/v1/auxiliaries/{auxiliary_id}", headers=reading)
        call("GET", f"/v1/auxiliaries/{auxiliary_id}/timeline", headers=reading)
    ok("GET", "/v1/complaints", headers=world.headers("complaints"))

    # Failure paths that carry the markers in the request.
    bad_id = MARK_RESIDENT_ID[:-1] + ("0" if MARK_RESIDENT_ID[-1] != "0" else "1")
    call("POST", "/v1/auxiliaries", json={**hire_body, "resident_id": bad_id}, headers=personnel)
    call(
        "POST",
        "/v1/auxiliaries",
        json={**hire_body, "phone": MARK_PHONE + "x" + MARK_ADDRESS},
        headers=personnel,
    )
    call("POST", "/v1/auxiliaries", json={**hire_body, "unknown": MARK_NAME}, headers=personnel)
    call("POST", "/v1/auxiliaries", json=hire_body, headers=world.headers("unit"))
    call("POST", "/v1/auxiliaries", json=hire_body)
    call(
        "POST",
        "/v1/auxiliaries",
        content=json.dumps(hire_body)[:-5].encode(),
        headers={**personnel, "Content-Type": "application/json"},
    )
    call(
        "POST",
        "/v1/auxiliaries",
        content=json.dumps(hire_body).encode(),
        headers={**personnel, "Content-Type": "text/plain"},
    )
    call(
        "POST",
        "/v1/complaints",
        json={
            "work_id": "NTFJ-NOBODY",
            "incident_at": "2026-11-01T09:30:00+08:00",
            "incident_place": MARK_ADDRESS,
            "allegations": ["态度恶劣"],
            "complainant_name": MARK_NAME,
            "complainant_phone": MARK_COMPLAINANT_PHONE,
        },
    )
    call(
        "POST",
        "/v1/complaints",
        json={
            "work_id": "NTFJSCAN0001",
            "incident_at": "2099-11-01T09:30:00+08:00",
            "incident_place": "人民路",
            "allegations": ["态度恶劣"],
            "complainant_name": MARK_NAME,
            "complainant_resident_id": bad_id,
        },
    )
    call(
        "POST",
        f"/v1/auxiliaries/{auxiliary_id}/correct",
        json={"field": "phone", "value": "not a phone " + MARK_PHONE, "reason": "typo"},
        headers=personnel,
    )
    call(
        "POST",
        f"/v1/auxiliaries/{uuid4()}/record-health-check",
        json={"checked_on": "2026-06-01", "fit": True, "details": MARK_HEALTH},
        headers=personnel,
    )
    assert errors, "the failure paths must have produced error bodies"

    # CLI, success and failure, with the same settings.
    use_environ(world.settings, monkeypatch)
    assert cli_main(["verify", "--full"]) == 0
    # The complaint filed above is open: the erasure is refused naming the hold, then allowed.
    assert cli_main(["erase", "--subject", auxiliary_id, "--reason", "PIPL request"]) == 1
    end_erasure_blockers(world.ledger, UUID(auxiliary_id))
    assert cli_main(["erase", "--subject", auxiliary_id, "--reason", "PIPL request"]) == 0
    assert cli_main(["erase", "--subject", auxiliary_id, "--reason", "again"]) == 1
    assert cli_main(["erase", "--subject", MARK_RESIDENT_ID, "--reason", "x"]) == 2
    assert cli_main(["log", "entries", "--start", "0", "--end", "3"]) == 0
    cli_out, cli_err = capsys.readouterr()

    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {json.dumps(r.__dict__, default=str)}"
        for r in caplog.records
    )
    assert _leaks(logged) == []
    assert _leaks("\n".join(errors)) == []
    assert _leaks(cli_err) == []
    # Log entries print the signed records: personal fields there are ciphertext only.
    assert _leaks(cli_out) == []
    assert caplog.records, "the API must have logged its requests"
