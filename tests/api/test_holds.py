"""The API of hire checks across organs and legal holds: problem+json, nothing stored on a
refusal, nothing personal in it (issue 13, items 6 and 7). A correction of a resident ID
number is refused as a hire of that number would be."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi.testclient import TestClient

from domain.commands.auxiliary import Separate
from domain.identity import resident_id_check_char
from ledger.records import Envelope
from tests import builders
from tests.api.bodies import hire_body
from tests.api.conftest import (
    OTHER_ORGAN,
    OTHER_ORGAN_RESIDENT_ID,
    PHONE,
    RESIDENT_ID,
    World,
    actor,
    problem,
)
from tests.holds import end_erasure_blockers

HIRE = hire_body(
    contract_start="2025-01-01", effective="2025-02-01", resident_id=OTHER_ORGAN_RESIDENT_ID
)
"""A hire of the person the other organ employs (``world.other_organ_auxiliary``)."""


def _dismiss_elsewhere(world: World) -> None:
    aux = world.other_organ_auxiliary
    assert aux is not None
    builders.impose_sanction(
        world.ledger,
        aux,
        Envelope(actor("discipline", OTHER_ORGAN), effective=date(2025, 1, 10)),
        sanction_id="S-9",
        kind="termination",
    )
    world.ledger.command_auxiliary(
        aux,
        Separate(reason="dismissed"),
        Envelope(actor("personnel", OTHER_ORGAN), effective=date(2025, 1, 20)),
    )


def test_a_hire_after_a_dismissal_elsewhere_is_refused_then_overridden(
    client: TestClient, world: World
) -> None:
    _dismiss_elsewhere(world)
    head = world.ledger.ledger_recorder.max_notification_id()
    refused = client.post("/v1/auxiliaries", headers=world.headers("personnel"), json=HIRE)
    body = problem(refused, 409, "prior_record_elsewhere")
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"{OTHER_ORGAN} {OTHER_ORGAN}局" in body["detail"]
    for personal in (
        OTHER_ORGAN_RESIDENT_ID,
        PHONE,
        "李明",
        "人民路",
        "dismiss",
        "termination",
        "S-9",
    ):
        assert personal not in refused.text
    assert str(world.other_organ_auxiliary) not in refused.text
    assert world.ledger.ledger_recorder.max_notification_id() == head  # nothing stored

    hired = client.post(
        "/v1/auxiliaries",
        headers=world.headers("personnel"),
        json={**HIRE, "override_reason": "已向原单位核实，同意录用"},
    )
    assert hired.status_code == 201, hired.text
    record = world.ledger.auxiliary(UUID(hired.json()["originator_id"]))
    assert record.prior_record_override == ((OTHER_ORGAN,), "已向原单位核实，同意录用")


def test_a_hire_of_a_person_employed_elsewhere_is_refused_and_stores_nothing(
    client: TestClient, world: World
) -> None:
    head = world.ledger.ledger_recorder.max_notification_id()
    occupied = world.ledger.organ(world.ledger.auxiliary(world.auxiliary).organ).occupied  # type: ignore[arg-type]
    for body in (HIRE, {**HIRE, "override_reason": "已核实"}):  # no override: one post at a time
        refused = client.post("/v1/auxiliaries", headers=world.headers("personnel"), json=body)
        detail = problem(refused, 409, "already_employed")["detail"]
        assert f"{OTHER_ORGAN} {OTHER_ORGAN}局" in detail and "Art. 5, 8" in detail
        for personal in (OTHER_ORGAN_RESIDENT_ID, PHONE, "李明", "人民路"):
            assert personal not in refused.text
        assert str(world.other_organ_auxiliary) not in refused.text
    assert world.ledger.ledger_recorder.max_notification_id() == head  # nothing stored
    assert world.ledger.organ(world.ledger.auxiliary(world.auxiliary).organ).occupied == occupied  # type: ignore[arg-type]

    # Once the other organ's record is separated, the person may be hired here.
    world.ledger.command_auxiliary(
        world.other_organ_auxiliary,  # type: ignore[arg-type]
        Separate(reason="resigned"),
        Envelope(actor("personnel", OTHER_ORGAN), effective=date(2025, 1, 20)),
    )
    hired = client.post("/v1/auxiliaries", headers=world.headers("personnel"), json=HIRE)
    assert hired.status_code == 201, hired.text


def test_a_corrected_resident_id_is_refused_as_its_hire_would_be(
    client: TestClient, world: World
) -> None:
    url = f"/v1/auxiliaries/{world.auxiliary}/correct"
    child_body = "32069920150101" + "123"
    child = child_body + resident_id_check_char(child_body)  # 9 on the hiring date
    head = world.ledger.ledger_recorder.max_notification_id()
    for number, status, code in (
        (OTHER_ORGAN_RESIDENT_ID, 409, "already_employed"),
        (child, 422, "hiring_age"),
    ):
        refused = client.post(
            url,
            headers=world.headers("personnel"),
            json={"field": "resident_id", "value": number, "reason": "录入错误"},
        )
        detail = problem(refused, status, code)["detail"]
        for personal in (number, RESIDENT_ID, PHONE, "李明"):
            assert personal not in refused.text
        assert "2015" not in detail and "1990" not in detail  # no birth year
        assert str(world.other_organ_auxiliary) not in refused.text
        if code == "already_employed":
            assert f"{OTHER_ORGAN} {OTHER_ORGAN}局" in detail and "Art. 5, 8" in detail
        else:
            assert "corrected resident ID number" in detail and "hiring date" in detail
    assert world.ledger.ledger_recorder.max_notification_id() == head  # nothing stored
    assert world.ledger.auxiliary(world.auxiliary).resident_id == RESIDENT_ID  # type: ignore[arg-type]


def test_a_hold_blocks_erasure_until_released(client: TestClient, world: World) -> None:
    aux = world.auxiliary
    assert aux is not None
    end_erasure_blockers(world.ledger, aux)
    base = f"/v1/auxiliaries/{aux}"
    hold = {"hold_id": "LH-1", "reason": "民事诉讼证据保全", "reference": "(2026)苏0602民初118号"}
    problem(
        client.post(f"{base}/place-legal-hold", headers=world.headers("personnel"), json=hold),
        403,
        "role_not_allowed",
    )
    placed = client.post(f"{base}/place-legal-hold", headers=world.headers("discipline"), json=hold)
    assert placed.status_code == 200, placed.text
    listed = client.get(f"{base}/legal-holds", headers=world.headers("inspector")).json()
    assert listed["blocking_erasure"] == [{"kind": "legal_hold", "id": "LH-1"}]
    assert listed["holds"][0]["standing"] is True

    erase = {"auxiliary_id": str(aux), "reason": "依申请删除个人信息"}
    held = client.post("/v1/admin/erasures", headers=world.headers("admin"), json=erase)
    body = problem(held, 409, "legal_hold")
    assert "legal_hold LH-1" in body["detail"]
    for personal in (RESIDENT_ID, PHONE, "李明"):
        assert personal not in held.text
    assert world.ledger.auxiliary(aux).phone == PHONE  # the key is intact

    released = client.post(
        f"{base}/release-legal-hold",
        headers=world.headers("inspector"),
        json={"hold_id": "LH-1", "reason": "诉讼终结"},
    )
    assert released.status_code == 200, released.text
    erased = client.post("/v1/admin/erasures", headers=world.headers("admin"), json=erase)
    assert erased.status_code == 201, erased.text
