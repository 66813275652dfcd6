"""The dossier offers only the commands the auxiliary's state allows
(``Auxiliary.open_commands``), for the roles of each command's route, under a Chinese line
saying what the state allows; a command posted anyway is refused by the domain, in Chinese."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.console.staff_dossier import ACTION_LABELS, CORRECTIONS, FORMS
from domain.auxiliary import RECORD_COMMANDS
from tests.api.conftest import World
from tests.console.conftest import page_text, sign_in
from tests.console.test_dossier_forms import actions, dossier, send, version


def _hint(page: str) -> str:
    """The line above the forms (or in their place) saying what the state allows."""
    found = re.search(r'<p class="notice" id="forms-hint">(.*?)</p>', page)
    assert found, "no line on what the state allows"
    return found.group(1)


def _slugs(*names: str) -> list[str]:
    slugs = {c.name: c.slug for c in (*FORMS.commands, *CORRECTIONS.commands)}
    return [slugs[name] for name in names]


def test_the_page_names_every_command_the_domain_answers_for() -> None:
    tabled = [c.name for c in FORMS.commands] + [c.name for c in CORRECTIONS.commands]
    assert tabled == list(RECORD_COMMANDS)
    assert all(name in ACTION_LABELS for name in RECORD_COMMANDS)


def test_a_separated_auxiliary_is_offered_only_what_a_separated_record_allows(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    page = dossier(client, world)
    assert "change-post" in actions(page) and "start-leave" in actions(page)
    assert "reinstate" not in actions(page)  # personnel's page: not its command
    assert send(client, world, csrf, "separate", reason="resigned").status_code == 303

    page = dossier(client, world)
    assert actions(page) == _slugs("revoke_credential", "return_credential", "correct")
    assert "<summary>调整岗位</summary>" not in page and "<summary>登记休假</summary>" not in page
    assert _hint(page) == "已离职：可收回证件、登记证件交回、更正记录。"

    record = version(world)
    moved = send(client, world, csrf, "change-post", post_type="traffic")  # a page read before
    assert moved.status_code == 409
    assert "未能办理：该辅警已离职" in page_text(moved)
    assert "change-post" not in actions(page_text(moved))
    assert version(world) == record

    unit = TestClient(client.app)
    sign_in(unit, world.tokens["unit"])
    assert actions(dossier(unit, world)) == []
    assert _hint(dossier(unit, world)) == "已离职：暂无可办理的事项。"


def test_an_auxiliary_on_leave_is_offered_the_return_not_a_second_leave(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    started = send(client, world, csrf, "start-leave", leave_id="L-1", kind="sick")
    assert started.status_code == 303, started.text
    page = dossier(client, world)
    assert "start-leave" not in actions(page) and "end-leave" in actions(page)
    assert _hint(page).startswith("在岗（休假中）：可续签劳动合同、")
    assert "登记休假返岗" in _hint(page) and "登记休假、" not in _hint(page)


def test_the_discipline_office_is_offered_the_steps_a_sanction_opens(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    page = dossier(client, world)
    assert actions(page) == _slugs(
        "hear_statement", "waive_statement", "impose_sanction", "refer_for_prosecution"
    )
    assert _hint(page) == "在岗：可听取陈述申辩、书面放弃陈述申辩、作出处分、移送司法机关。"
    waived = {"sanction_id": "SAN-9", "waiver_reference": "放弃书"}
    assert send(client, world, csrf, "waive-statement", **waived).status_code == 303
    suspension = {
        "sanction_id": "SAN-9",
        "kind": "suspension",
        "facts": "执勤时未按规定着装，经查属实",
        "reasons": "违反辅警日常管理制度",
        "article": "Art. 18",
        "document_number": "通公纪〔2026〕19号",
        "evidence": "询问笔录",
    }
    imposed = send(client, world, csrf, "impose-sanction", **suspension)
    assert imposed.status_code == 303, imposed.text
    page = dossier(client, world)
    offered = actions(page)
    assert {"appeal-sanction", "revoke-sanction", "reinstate"} <= set(offered)
    assert "record-referral-outcome" not in offered
    assert _hint(page).startswith("停职：可")

    inspector = TestClient(client.app)
    csrf = sign_in(inspector, world.tokens["inspector"])
    path = f"/console/auxiliaries/{world.auxiliary}"
    page = page_text(inspector.post(f"{path}/reason", data={"csrf": csrf, "reason": "督察"}))
    assert actions(page) == [] and _hint(page) == "停职：暂无可办理的事项。"  # no appeal yet
