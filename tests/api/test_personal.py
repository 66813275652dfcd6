"""Personal data: in clear only for roles that need it, masked otherwise, every read recorded."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.personal import mask_address, mask_name, mask_phone, mask_resident_id
from api.problems import ApiProblem
from api.routers.common import access_reason
from tests.api.conftest import PHONE, RESIDENT_ID, World, accesses, problem


def test_masks() -> None:
    assert mask_resident_id("320684199001011234") == "320***********1234"
    assert mask_phone("19912341234") == "199****1234"
    assert mask_phone("+86 513-8512 3456") == "+** ***-**** 3456"
    assert mask_name("张三丰") == "张**"
    assert mask_address("南通市崇川区人民路1号") == "南通市崇川区***"


def test_personnel_sees_the_auxiliary_in_clear(client: TestClient, world: World) -> None:
    body = client.get(
        f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("personnel")
    ).json()
    assert body["resident_id"] == RESIDENT_ID
    assert body["phone"] == PHONE
    assert body["personal_fields_in_clear"] == ["address", "phone", "resident_id"]


@pytest.mark.parametrize("role", ["discipline", "unit"])
def test_other_readers_see_masks(client: TestClient, world: World, role: str) -> None:
    response = client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers(role))
    body = response.json()
    assert body["resident_id"] == mask_resident_id(RESIDENT_ID)
    assert body["phone"] == "199****5678"
    assert body["personal_fields_in_clear"] == []
    assert RESIDENT_ID not in response.text and PHONE not in response.text


def test_inspector_without_a_reason_reads_nothing(client: TestClient, world: World) -> None:
    # Who, what, when and why: an inspector's read of a personal record says why.
    before = len(accesses(world))
    for path in (
        f"/v1/auxiliaries/{world.auxiliary}",
        f"/v1/auxiliaries/{world.auxiliary}/timeline",
        f"/v1/auxiliaries/{world.auxiliary}/as-of?on=2026-01-10",
        f"/v1/complaints/{world.complaint}",
        f"/v1/misconduct-findings/{world.finding}",
        f"/v1/auxiliaries/{world.auxiliary}?reason=%20",
    ):
        response = client.get(path, headers=world.headers("inspector"))
        body = problem(response, 422, "reason_required")
        assert "X-Access-Reason" in body["detail"]
        assert RESIDENT_ID not in response.text and "李明" not in response.text
    assert len(accesses(world)) == before


def test_inspector_with_a_reason_sees_clear_and_the_reason_is_recorded(
    client: TestClient, world: World
) -> None:
    before = len(accesses(world))
    response = client.get(
        f"/v1/auxiliaries/{world.auxiliary}",
        headers={**world.headers("inspector"), "X-Access-Reason": "inspection 2026-17"},
    )
    assert response.json()["resident_id"] == RESIDENT_ID
    recorded = accesses(world)
    assert len(recorded) == before + 1
    access = recorded[-1]
    assert access.role == "inspector" and access.organ == "320602"
    assert access.record_type == "auxiliary" and access.record_id == str(world.auxiliary)
    assert access.fields == ["address", "phone", "resident_id"]
    assert access.reason == "inspection 2026-17"
    assert access.purpose == "GET /v1/auxiliaries/{auxiliary_id}"
    by_query = client.get(
        f"/v1/auxiliaries/{world.auxiliary}?reason=复核投诉", headers=world.headers("inspector")
    )
    assert by_query.json()["phone"] == PHONE
    assert accesses(world)[-1].reason == "复核投诉"
    # A header in UTF-8 is recorded as sent (not as its bytes read as Latin-1) ...
    in_header = client.get(
        f"/v1/auxiliaries/{world.auxiliary}",
        headers={**world.headers("inspector"), "X-Access-Reason": "督察复核".encode()},
    )
    assert in_header.status_code == 200
    assert accesses(world)[-1].reason == "督察复核"
    # ... and one that is not UTF-8 is refused. (Called directly: the test client re-encodes
    # header values as UTF-8, so it cannot send such bytes; a server passes them as Latin-1.)
    with pytest.raises(ApiProblem, match="must be UTF-8 text"):
        access_reason(reason=None, x_access_reason=b"\xff\xfe".decode("latin-1"))


def test_complaints_office_sees_contact_details_others_do_not(
    client: TestClient, world: World
) -> None:
    url = f"/v1/complaints/{world.complaint}"
    office = client.get(url, headers=world.headers("complaints")).json()
    assert office["complainant_name"] == "张三" and office["complainant_phone"] == "19900001111"
    discipline = client.get(url, headers=world.headers("discipline"))
    assert discipline.json()["complainant_name"] == "张*"
    assert discipline.json()["complainant_phone"] == "199****1111"
    assert discipline.json()["contact_text"] == "[withheld]"
    assert "19900001111" not in discipline.text
    assert [a.record_type for a in accesses(world)[-2:]] == ["complaint", "complaint"]


def test_the_auxiliarys_timeline_never_shows_the_complainant(
    client: TestClient, world: World
) -> None:
    response = client.get(
        f"/v1/auxiliaries/{world.auxiliary}/timeline?reason=audit",
        headers=world.headers("inspector"),
    )
    assert response.status_code == 200, response.text
    assert "张三" not in response.text and "19900001111" not in response.text
    assert response.json()["entries"][0]["fields"]["resident_id"] == RESIDENT_ID
    masked = client.get(
        f"/v1/auxiliaries/{world.auxiliary}/timeline", headers=world.headers("inspector")
    )
    assert RESIDENT_ID not in masked.text


def test_no_personal_data_in_logs_or_error_bodies(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="auxledger")
    bad = client.post(
        "/v1/complaints",
        json={
            "work_id": "NTFJ0602000001",
            "incident_at": "2026-11-20T09:30:00+08:00",
            "incident_place": "人民路",
            "allegations": ["态度恶劣"],
            "complainant_name": "王秘密",
            "complainant_resident_id": "110105194912310021",
        },
    )
    body = problem(bad, 422, "invalid_resident_id")
    text = str(body) + caplog.text
    assert "王秘密" not in text and "110105194912310021" not in text
    client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("personnel"))
    assert RESIDENT_ID not in caplog.text and PHONE not in caplog.text
    assert any(
        getattr(r, "route", None) == "/v1/auxiliaries/{auxiliary_id}" for r in caplog.records
    )


def test_as_of_views_and_misconduct_findings_are_recorded_reads(
    client: TestClient, world: World
) -> None:
    before = len(accesses(world))
    as_of = client.get(
        f"/v1/auxiliaries/{world.auxiliary}/as-of?on=2026-01-10&reason=复核",
        headers=world.headers("inspector"),
    )
    assert as_of.status_code == 200, as_of.text
    finding = client.get(
        f"/v1/misconduct-findings/{world.finding}", headers=world.headers("discipline")
    )
    assert finding.status_code == 200, finding.text
    recorded = accesses(world)[before:]
    assert [(a.role, a.record_type, a.record_id, a.reason, a.purpose) for a in recorded] == [
        (
            "inspector",
            "auxiliary",
            str(world.auxiliary),
            "复核",
            "GET /v1/auxiliaries/{auxiliary_id}/as-of",
        ),
        (
            "discipline",
            "misconduct_finding",
            str(world.finding),
            None,
            "GET /v1/misconduct-findings/{finding_id}",
        ),
    ]
    # A read refused for scope records nothing.
    client.get(
        f"/v1/misconduct-findings/{world.finding}", headers=world.headers("other-organ-inspector")
    )
    assert len(accesses(world)) == before + 2
