"""A dossier form that names something on the record (a sanction, a leave, a credential, a
referral) offers it as a choice of exactly what the command may act on
(``Auxiliary.subjects``), each labelled as a person knows it, starting at 请选择 and keeping
the choice after a refusal; the value sent is the id the command always took, and a crafted
post of another is refused by the domain, in Chinese."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.console.web import cst_date
from tests.console.conftest import World, page_text, sign_in
from tests.console.test_dossier_forms import (
    SANCTION,
    TODAY,
    _notice_and_form,
    dossier,
    send,
    version,
)

DAY = cst_date(TODAY)


def options(html: str, slug: str, field: str) -> list[tuple[str, str]]:
    """The (value, label) of every option of one form's select, 请选择 first."""
    found = re.search(rf'<select id="{slug}-{field}"[^>]*>(.*?)</select>', html, re.S)
    assert found is not None, f"no choice of {field} in {slug}"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))


def _impose(client: TestClient, world: World, csrf: str, sanction_id: str) -> None:
    waived = {"sanction_id": sanction_id, "waiver_reference": "放弃书"}
    assert send(client, world, csrf, "waive-statement", **waived).status_code == 303
    imposed = send(
        client, world, csrf, "impose-sanction", **{**SANCTION, "sanction_id": sanction_id}
    )
    assert imposed.status_code == 303, imposed.text


def test_two_sanctions_one_appealed_are_offered_to_the_steps_each_allows(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    _impose(client, world, csrf, "SAN-1")
    _impose(client, world, csrf, "SAN-2")
    appealed = send(client, world, csrf, "appeal-sanction", sanction_id="SAN-2", grounds="不服")
    assert appealed.status_code == 303, appealed.text

    page = dossier(client, world)
    first = ("SAN-1", f"SAN-1 · 警告 · {DAY}起")
    second = ("SAN-2", f"SAN-2 · 警告 · {DAY}起")
    assert options(page, "appeal-sanction", "sanction_id") == [("", "请选择"), first]
    assert options(page, "revoke-sanction", "sanction_id") == [("", "请选择"), first, second]
    # A new sanction's id is the officer's to give: still typed.
    assert '<input id="impose-sanction-sanction_id" name="sanction_id"' in page

    record = version(world)  # a crafted post of the appealed one: the domain refuses it
    crafted = send(client, world, csrf, "appeal-sanction", sanction_id="SAN-2", grounds="不服")
    assert crafted.status_code == 409 and "未能办理" in page_text(crafted)
    unknown = send(client, world, csrf, "appeal-sanction", sanction_id="SAN-9", grounds="不服")
    assert unknown.status_code in (404, 409, 422), unknown.status_code
    notice, form = _notice_and_form(unknown, "appeal-sanction")
    assert "未能办理" in notice, notice
    assert '<option value="SAN-9"' not in form  # not on the record: never offered
    assert version(world) == record

    inspector = TestClient(client.app)
    csrf = sign_in(inspector, world.tokens["inspector"])
    path = f"/console/auxiliaries/{world.auxiliary}"
    page = page_text(inspector.post(f"{path}/reason", data={"csrf": csrf, "reason": "申诉复核"}))
    assert options(page, "decide-appeal", "sanction_id") == [("", "请选择"), second]


def test_a_refused_post_keeps_the_sanction_chosen(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    _impose(client, world, csrf, "SAN-1")
    record = version(world)
    refused = send(client, world, csrf, "revoke-sanction", sanction_id="SAN-1")  # no reason
    assert refused.status_code == 422
    notice, form = _notice_and_form(refused, "revoke-sanction")
    assert "撤销理由" in notice
    assert f'<option value="SAN-1" selected>SAN-1 · 警告 · {DAY}起</option>' in form
    assert version(world) == record


def test_an_open_leave_is_offered_for_the_return_and_kept_after_a_refusal(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    started = send(client, world, csrf, "start-leave", leave_id="L-1", kind="sick")
    assert started.status_code == 303, started.text
    page = dossier(client, world)
    leave = ("L-1", f"休假 L-1 · 病假 · {DAY}起")
    assert options(page, "end-leave", "leave_id") == [("", "请选择"), leave]

    record = version(world)
    same_day = send(client, world, csrf, "end-leave", leave_id="L-1")  # back the day it began
    assert same_day.status_code == 422, same_day.status_code
    notice, form = _notice_and_form(same_day, "end-leave")
    assert "未能办理" in notice
    assert f'<option value="L-1" selected>{leave[1]}</option>' in form
    crafted = send(client, world, csrf, "end-leave", leave_id="L-9", effective=TODAY)
    assert crafted.status_code in (404, 409, 422) and "未能办理" in page_text(crafted)
    assert version(world) == record


def test_credentials_injuries_and_referrals_are_offered_by_what_identifies_them(
    client: TestClient, world: World
) -> None:
    personnel = TestClient(client.app)
    csrf = sign_in(personnel, world.tokens["personnel"])
    issued = send(personnel, world, csrf, "issue-credential", kind="uniform", serial="NTFZ0001")
    assert issued.status_code == 303, issued.text
    page = dossier(personnel, world)
    held = ("NTFZ0001", "服装 NTFZ0001（有效）")
    revocable = options(page, "revoke-credential", "serial")
    assert revocable[0] == ("", "请选择") and held in revocable
    assert options(page, "return-credential", "serial") == revocable
    assert '<input id="issue-credential-serial" name="serial"' in page  # a new one: typed
    injured = send(
        personnel,
        world,
        csrf,
        "record-duty-injury",
        injury_id="INJ-1",
        occurred_on=TODAY,
        medical_details="右踝扭伤",
    )
    assert injured.status_code == 303, injured.text
    page = dossier(personnel, world)
    injuries = options(page, "advance-cost", "injury_id")
    assert injuries == [("", "请选择"), ("INJ-1", f"负伤 INJ-1 · {DAY}")]  # no medical details

    csrf = sign_in(client, world.tokens["discipline"])
    referred = send(
        client, world, csrf, "refer-for-prosecution", reference="通公移〔2026〕3号", summary="涉嫌"
    )
    assert referred.status_code == 303, referred.text
    page = dossier(client, world)
    assert options(page, "record-referral-outcome", "reference") == [
        ("", "请选择"),
        ("通公移〔2026〕3号", f"通公移〔2026〕3号 · {DAY}移送"),
    ]
