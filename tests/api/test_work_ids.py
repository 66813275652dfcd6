"""Work IDs name one holder in the whole ledger (issue 14, findings a and d).

The security review's takeover: organ 320681's personnel hired someone and issued them the
serial of an active auxiliary of 320602; the public credential check then answered 320681 and
public complaints citing the ID went there. Here the other organ of the test world plays
320681.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.auxiliary import CredentialSerial
from domain.commands.auxiliary import IssueCredential
from domain.events import recording
from domain.values import china_date
from ledger.records import AuxLedger
from tests.api.bodies import hire_body
from tests.api.conftest import (
    ORGAN,
    OTHER_ORGAN,
    UNIT,
    World,
    actor,
    catch_up,
    hire,
    last_event_id,
    problem,
)

HELD = "NTFJ0602000001"  # the work ID of world.auxiliary (organ ORGAN, active)
OTHER_UNIT_OF_OTHER_ORGAN = f"{OTHER_ORGAN}-001"
COMPLAINT: dict[str, Any] = {
    "incident_at": "2026-11-20T09:30:00+08:00",
    "incident_place": "人民路与青年路路口",
    "allegations": ["执勤时态度恶劣"],
    "complainant_phone": "19900001111",
}
HIRE = hire_body(
    unit=OTHER_UNIT_OF_OTHER_ORGAN, supervisor_id="612010", supervisor_name="钱进", name="吴勇"
)


def _issue(client: TestClient, headers: dict[str, str], auxiliary_id: object, serial: str) -> Any:
    return client.post(
        f"/v1/auxiliaries/{auxiliary_id}/issue-credential",
        headers=headers,
        json={"kind": "work_id", "serial": serial},
    )


def _refused_to_another_organ(client: TestClient, world: World, serial: str) -> str:
    """The other organ hires a newcomer and asks for ``serial``: refused (naming the organ that
    holds it, not the serial) with nothing recorded. The newcomer's id."""
    intruder = world.headers("other-organ-personnel")
    hired = client.post("/v1/auxiliaries", headers=intruder, json=HIRE)
    assert hired.status_code == 201, hired.text
    newcomer: str = hired.json()["originator_id"]
    before = last_event_id(world)
    body = problem(_issue(client, intruder, newcomer, serial), 409, "serial_already_issued")
    assert f"organ {ORGAN}" in body["detail"] and serial not in body["detail"]
    assert last_event_id(world) == before  # nothing recorded
    return newcomer


def test_another_organ_cannot_take_over_a_work_id(client: TestClient, world: World) -> None:
    newcomer = _refused_to_another_organ(client, world, HELD)
    assert world.ledger.auxiliary(UUID(newcomer)).credentials == ()
    catch_up(world.ledger)
    check = client.get(f"/v1/credentials/{HELD}").json()
    assert (check["organ"], check["active"]) == (ORGAN, True)
    filed = client.post("/v1/complaints", json={**COMPLAINT, "work_id": HELD})
    assert filed.status_code == 201, filed.text
    complaint = world.ledger.complaint(UUID(filed.json()["complaint_id"]))
    assert complaint.organ == ORGAN and complaint.responsibility.unit == UNIT
    # The intruding organ's complaints office does not see it; the holder's does.
    catch_up(world.ledger)
    theirs = client.get("/v1/complaints", headers=world.headers("other-organ-complaints"))
    ours = client.get("/v1/complaints", headers=world.headers("complaints"))
    complaint_id = str(complaint.id)
    assert complaint_id not in theirs.text and complaint_id in ours.text


def test_a_returned_or_revoked_work_id_is_never_issued_again(
    client: TestClient, world: World
) -> None:
    personnel = world.headers("personnel")
    returned = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/return-credential",
        headers=personnel,
        json={"kind": "work_id", "serial": HELD},
    )
    assert returned.status_code == 200, returned.text
    revoked = client.post(
        f"/v1/auxiliaries/{world.other_unit_auxiliary}/revoke-credential",
        headers=personnel,
        json={"kind": "work_id", "serial": "NTFJ0602000002", "reason": "遗失"},
    )
    assert revoked.status_code == 200, revoked.text
    before = last_event_id(world)
    for auxiliary_id, serial in (
        (world.auxiliary, HELD),  # its own returned serial
        (world.other_unit_auxiliary, HELD),  # a colleague's returned serial
        (world.other_unit_auxiliary, "NTFJ0602000002"),  # its own revoked serial
        (world.auxiliary, "NTFJ0602000002"),
    ):
        problem(_issue(client, personnel, auxiliary_id, serial), 409, "serial_already_issued")
    assert last_event_id(world) == before
    catch_up(world.ledger)
    check = client.get(f"/v1/credentials/{HELD}").json()
    assert (check["organ"], check["status"], check["active"]) == (ORGAN, "returned", False)
    fresh = _issue(client, personnel, world.auxiliary, "NTFJ0602000003")
    assert fresh.status_code == 200, fresh.text


def _legacy_issue(ledger: AuxLedger, organ: str, auxiliary_id: UUID, serial: str) -> None:
    """What ``command_auxiliary(..., IssueCredential(...))`` stored before serials were claimed:
    the auxiliary's ``CredentialIssued`` alone (signed, chained and logged by the application's
    save), with no ``CredentialSerial`` claim -- so a second organ could issue the serial too.
    Ledgers written before the claim existed hold such serials."""
    at = datetime.now(tz=UTC)
    auxiliary = ledger.auxiliary(auxiliary_id)
    auxiliary.issue_credential(
        recording(
            actor=actor("personnel", organ),
            at=at,
            effective=china_date(at),
            basis=None,
            policy=ledger.policy,
        ),
        IssueCredential(kind="work_id", serial=serial),
    )
    ledger.save(auxiliary)


def test_a_work_id_with_two_holders_is_neither_checked_nor_routed(
    client: TestClient, world: World
) -> None:
    legacy = "NTFJ0602000039"
    ours = hire(world.ledger, ORGAN, UNIT, None, "郑伟")
    theirs = hire(world.ledger, OTHER_ORGAN, OTHER_UNIT_OF_OTHER_ORGAN, None, "冯军")
    _legacy_issue(world.ledger, ORGAN, ours, legacy)
    catch_up(world.ledger)
    # One holder: answered (and the intake routes to it).
    assert client.get(f"/v1/credentials/{legacy}").json()["organ"] == ORGAN
    first = client.post("/v1/complaints", json={**COMPLAINT, "work_id": legacy})
    assert first.status_code == 201, first.text
    # The takeover as it was possible before claims: the other organ issues it too, later.
    _legacy_issue(world.ledger, OTHER_ORGAN, theirs, legacy)
    catch_up(world.ledger)
    before = last_event_id(world)
    body = problem(client.get(f"/v1/credentials/{legacy}"), 422, "ambiguous_work_id")
    assert "more than one auxiliary" in body["detail"] and legacy not in body["detail"]
    assert OTHER_ORGAN not in body["detail"] and ORGAN not in body["detail"]
    problem(
        client.post("/v1/complaints", json={**COMPLAINT, "work_id": legacy}),
        422,
        "ambiguous_work_id",
    )
    assert last_event_id(world) == before  # routed nowhere
    # Other work IDs are unaffected.
    assert client.get(f"/v1/credentials/{HELD}").json()["organ"] == ORGAN


def test_a_legacy_work_id_without_a_claim_cannot_be_issued_again(
    client: TestClient, world: World
) -> None:
    legacy = "NTFJ0602000040"
    ours = hire(world.ledger, ORGAN, UNIT, None, "郑伟")
    colleague = hire(world.ledger, ORGAN, UNIT, None, "王强")
    personnel = world.headers("personnel")
    # An issue first, so the ledger has read the issues stored so far; the legacy one comes
    # after it and must still be found.
    primed = _issue(client, personnel, colleague, "NTFJ0602000042")
    assert primed.status_code == 200, primed.text
    _legacy_issue(world.ledger, ORGAN, ours, legacy)  # stored as before claims existed
    claim_id = CredentialSerial.id_for("work_id", legacy)
    assert not world.ledger.exists(claim_id)
    newcomer = _refused_to_another_organ(client, world, legacy)
    intruder = world.headers("other-organ-personnel")
    before = last_event_id(world)  # the refusal recorded nothing
    assert not world.ledger.exists(claim_id)
    assert world.ledger.auxiliary(UUID(newcomer)).credentials == ()
    # Refused within the organ too (another of its auxiliaries), and a fresh serial still goes.
    other = hire(world.ledger, ORGAN, UNIT, None, "孙丽")
    problem(_issue(client, personnel, other, legacy), 409, "serial_already_issued")
    fresh = _issue(client, intruder, newcomer, "NTFJ0681000041")
    assert fresh.status_code == 200, fresh.text
    assert last_event_id(world) > before
    catch_up(world.ledger)
    check = client.get(f"/v1/credentials/{legacy}").json()
    assert (check["organ"], check["active"]) == (ORGAN, True)
