"""Commands map to application commands (version + hash back); queries come from read models."""

from __future__ import annotations

import csv
import io
from uuid import UUID

from fastapi.testclient import TestClient

from tests import builders
from tests.api.bodies import decision, dispatched_hire_body
from tests.api.conftest import (
    ORGAN,
    OTHER_ORGAN,
    OTHER_UNIT,
    UNIT,
    World,
    assert_refused,
    catch_up,
    problem,
    sustain_first_allegation,
)
from tests.holds import end_erasure_blockers

HIRE = dispatched_hire_body(level=2, effective="2026-01-05")


def test_organ_setup_and_hire_through_the_api(client: TestClient, world: World) -> None:
    admin, establishment = world.headers("admin"), world.headers("establishment")
    # A unit code begins with its organ's code: another organ cannot take it first (the
    # review's finding d: 320681 registered 320602-006, then 320602 got 409).
    before = int(world.ledger.recorder.max_notification_id() or 0)
    for who in ("other-organ-admin", "other-organ-personnel", "other-organ-establishment"):
        body = problem(
            client.post(
                f"/v1/organs/{OTHER_ORGAN}/units",
                headers=world.headers(who),
                json={"code": "320602-009", "name": "冒名所"},
            ),
            422,
            "invalid_field",
        )
        assert f"({OTHER_ORGAN}-…)" in body["detail"]
    assert int(world.ledger.recorder.max_notification_id() or 0) == before
    unit = client.post(
        f"/v1/organs/{ORGAN}/units",
        headers=admin,
        json={"code": "320602-009", "name": "学田派出所"},
    )
    assert unit.status_code == 201, unit.text
    version = unit.json()["originator_version"]
    # A unit code names one unit in the whole ledger.
    body = problem(
        client.post(
            f"/v1/organs/{ORGAN}/units",
            headers=world.headers("personnel"),
            json={"code": "320602-009", "name": "重复所"},
        ),
        409,
        "duplicate_record",
    )
    assert int(world.ledger.recorder.max_notification_id() or 0) == before + 2
    adjusted = client.post(
        f"/v1/organs/{ORGAN}/quota-adjustments",
        headers={**establishment, "If-Match": f'"{version}"'},
        json={"new_quota": 3, "reason": "动态调整"},
    )
    assert adjusted.status_code == 200, adjusted.text
    personnel = world.headers("personnel")
    hired = client.post("/v1/auxiliaries", headers=personnel, json=HIRE)
    assert hired.status_code == 201, hired.text
    new_id = hired.json()["originator_id"]
    assert hired.headers["Location"] == f"/v1/auxiliaries/{new_id}"
    assert hired.json()["topic"] == "domain.auxiliary:Auxiliary.Hired"
    assert hired.json()["hash"] == world.ledger.record_hash(UUID(new_id), 1)
    another = {**HIRE, "resident_id": builders.other_resident_id(10)}
    problem(client.post("/v1/auxiliaries", headers=personnel, json=another), 409, "quota_exceeded")
    organ = client.get(f"/v1/organs/{ORGAN}", headers=personnel).json()
    assert organ["quota"] == 3 and organ["headcount"] == 3
    schedule = {str(level): f"{4200 + 380 * (level - 1)}.00" for level in range(1, 11)}
    paid = client.put(
        f"/v1/organs/{ORGAN}/pay-schedules/2026",
        headers=personnel,
        json={"monthly_by_level": schedule},
    )
    assert paid.status_code == 200, paid.text
    wage = client.post(
        "/v1/average-wages",
        headers=establishment,
        json={"region": "南通市", "year": 2025, "annual_amount": "98765.00"},
    )
    assert wage.status_code == 200, wage.text
    # Another region's floor belongs to that region's organs.
    problem(
        client.post(
            "/v1/average-wages",
            headers=establishment,
            json={"region": "启东市", "year": 2025, "annual_amount": "1.00"},
        ),
        403,
        "outside_scope",
    )


def test_unit_acts_inside_its_own_unit_only(client: TestClient, world: World) -> None:
    unit = world.headers("unit")
    supervisor = {"supervisor_id": "602012", "supervisor_name": "周平"}
    mine = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/assign-supervisor", headers=unit, json=supervisor
    )
    assert mine.status_code == 200, mine.text
    other_unit = f"/v1/auxiliaries/{world.other_unit_auxiliary}/assign-supervisor"
    change_level = f"/v1/auxiliaries/{world.auxiliary}/change-level"
    promotion = {"level": 2, "reason": "promotion"}
    assert_refused(
        client,
        "POST",
        [
            (other_unit, unit, supervisor, 404, "not_found"),
            (change_level, unit, promotion, 403, "role_not_allowed"),
        ],
    )
    transfer = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/transfer",
        headers=world.headers("personnel"),
        json={"unit": OTHER_UNIT, "supervisor_id": "602020", "supervisor_name": "赵强"},
    )
    assert transfer.status_code == 200, transfer.text
    problem(
        client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("unit")),
        404,
        "not_found",
    )


def test_discipline_and_misconduct(client: TestClient, world: World) -> None:
    discipline = world.headers("discipline")
    waived = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/waive-statement",
        headers=discipline,
        json={"sanction_id": "SAN-1", "waiver_reference": "放弃陈述申辩声明书"},
    )
    assert waived.status_code == 200, waived.text
    impose = f"/v1/auxiliaries/{world.auxiliary}/impose-sanction"
    linked = decision(sanction_id="SAN-1", kind="warning", linked_findings=[f"{world.complaint}:1"])
    # A sanction rests on a sustained finding of a complaint about the auxiliary: none yet.
    ungrounded = problem(client.post(impose, headers=discipline, json=linked), 422, "invalid_field")
    assert "not a sustained finding" in ungrounded["detail"]
    sustain_first_allegation(client, world)
    sanction = client.post(impose, headers=discipline, json=linked)
    assert sanction.status_code == 200, sanction.text
    appeal = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/appeal-sanction",
        headers=discipline,
        json={"sanction_id": "SAN-1", "grounds": "事实不清"},
    )
    assert appeal.status_code == 200
    finding_body = {
        "official_id": "602010",
        "official_name": "王建国",
        "official_role": "supervisor",
        "kind": "favouritism",
        "summary": "徇私",
        "decision": "警告",
    }
    recorded = client.post("/v1/misconduct-findings", headers=discipline, json=finding_body)
    assert recorded.status_code == 201, recorded.text
    finding = recorded.json()["originator_id"]
    # A unit must be one of the organ's (else the finding could never be found by unit).
    for unit in ("320612-001", "NOPE-unit"):
        problem(
            client.post(
                "/v1/misconduct-findings", headers=discipline, json={**finding_body, "unit": unit}
            ),
            422,
            "unknown_unit",
        )
    amended = client.post(
        f"/v1/misconduct-findings/{finding}/amend-decision",
        headers={**discipline, "If-Match": '"1"'},
        json={"decision": "记过", "reason": "加重"},
    )
    assert amended.status_code == 200 and amended.json()["originator_version"] == 2
    read = client.get(
        f"/v1/misconduct-findings/{finding}?reason=复核", headers=world.headers("inspector")
    ).json()
    assert [d["decision"] for d in read["decision_history"]] == ["警告", "记过"]
    problem(
        client.get(
            f"/v1/misconduct-findings/{finding}", headers=world.headers("other-organ-inspector")
        ),
        404,
        "not_found",
    )


def test_queries_are_paginated_scoped_and_offer_csv(client: TestClient, world: World) -> None:
    # An inspector's read of people in bulk says why (tests/api/test_bulk_reads.py).
    inspector = {**world.headers("inspector"), "X-Access-Reason": "inspection"}
    first = client.get("/v1/auxiliaries?page_size=1", headers=inspector).json()
    assert first["total"] == 2 and len(first["items"]) == 1 and first["pages"] == 2
    assert {i["organ"] for i in first["items"]} == {ORGAN}
    unit_view = client.get(
        f"/v1/auxiliaries?unit={OTHER_UNIT}", headers=world.headers("unit")
    ).json()
    assert [i["unit"] for i in unit_view["items"]] == [UNIT]
    as_csv = client.get("/v1/reports/personnel-status?format=csv", headers=inspector)
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 2 and {r["organ"] for r in rows} == {ORGAN}
    assert "resident_id" not in rows[0]
    unit_csv = client.get("/v1/reports/personnel-status?format=csv", headers=world.headers("unit"))
    assert [r["unit"] for r in csv.DictReader(io.StringIO(unit_csv.text))] == [UNIT]
    registry = client.get("/v1/complaints", headers=world.headers("complaints")).json()
    assert [c["complaint_id"] for c in registry["items"]] == [str(world.complaint)]
    # The lists answer CSV too: the page of the report of the same rows.
    list_csv = client.get(f"/v1/auxiliaries?format=csv&unit={UNIT}", headers=inspector)
    assert list_csv.headers["content-type"].startswith("text/csv")
    assert [r["unit"] for r in csv.DictReader(io.StringIO(list_csv.text))] == [UNIT]
    unit_list_csv = client.get(
        f"/v1/auxiliaries?format=csv&unit={OTHER_UNIT}", headers=world.headers("unit")
    )
    assert [r["unit"] for r in csv.DictReader(io.StringIO(unit_list_csv.text))] == [UNIT]
    registry_csv = client.get("/v1/complaints?format=csv", headers=world.headers("complaints"))
    assert registry_csv.headers["content-type"].startswith("text/csv")
    assert [r["complaint_id"] for r in csv.DictReader(io.StringIO(registry_csv.text))] == [
        str(world.complaint)
    ]
    quota = client.get("/v1/reports/quota-use?format=csv", headers=inspector)
    assert quota.status_code == 200 and ORGAN in quota.text
    overdue = client.get("/v1/reports/complaints-overdue?page_size=5", headers=inspector).json()
    assert overdue["report"] == "complaints_overdue" and overdue["page_size"] == 5
    problem(
        client.get("/v1/reports/early-warning?on=someday", headers=inspector), 422, "validation"
    )
    problem(
        client.get("/v1/auxiliaries?status=dreaming", headers=inspector),
        422,
        "invalid_filter_value",
    )
    on = client.get(
        f"/v1/auxiliaries/{world.auxiliary}/responsibility?on=2026-01-10", headers=inspector
    ).json()
    assert on["unit"] == UNIT
    catch_up(world.ledger)


def test_erasure_by_admin(client: TestClient, world: World) -> None:
    assert world.complaint is not None
    # The complaint is open: a legal hold. Refused, naming it, with nothing personal said.
    admin = world.headers("admin")
    erase = {"complaint_id": str(world.complaint), "reason": "依申请删除个人信息"}
    held = client.post("/v1/admin/erasures", headers=admin, json=erase)
    body = problem(held, 409, "legal_hold")
    assert f"complaint {world.complaint}" in body["detail"]
    complaint = world.ledger.complaint(world.complaint)
    for personal in (complaint.complainant_name, complaint.complainant_phone):
        assert personal is None or personal not in held.text
    end_erasure_blockers(world.ledger, complaint.complainant_id)
    erased = client.post("/v1/admin/erasures", headers=admin, json=erase)
    assert erased.status_code == 201, erased.text
    office = client.get(
        f"/v1/complaints/{world.complaint}", headers=world.headers("complaints")
    ).json()
    assert office["complainant_name"] == "[erased]" and office["complainant_phone"] == "[erased]"
    again = {"complaint_id": str(world.complaint), "reason": "again"}
    elsewhere = {"auxiliary_id": str(world.auxiliary), "reason": "x"}
    assert_refused(
        client,
        "POST",
        [
            ("/v1/admin/erasures", admin, again, 409, "erasure"),
            ("/v1/admin/erasures", world.headers("other-organ-admin"), elsewhere, 404, "not_found"),
        ],
    )
