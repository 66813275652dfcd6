"""Hiring on the console (``/console/hire``) and correcting a record on the dossier: the API's
own bodies as forms, recorded through the API's own calls, for exactly whom the API route and
the domain admit; a refusal is told in Chinese with the problem's status, names no personal
value, and records nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.console.staff_dossier import correctable
from api.console.staff_hire import HIRE as HIRE_SECTION
from api.console.staff_hire import admit_hire
from api.demo import builders
from domain.commands.auxiliary import Separate
from domain.errors import NotAuthorisedError
from domain.identity import resident_id_check_char
from domain.values import Actor, china_date
from ledger.records import Envelope
from tests.api.conftest import (
    ORGAN,
    OTHER_ORGAN,
    OTHER_UNIT_RESIDENT_ID,
    UNIT,
    actor,
    catch_up,
    hire,
)
from tests.builders import impose_sanction
from tests.console.conftest import World, event_count, page_text, sign_in

TODAY = china_date(datetime.now(tz=UTC))
NEW_PERSON = builders.other_resident_id(741)
"""Someone no record holds yet, of hiring age."""
UNDER_AGE = "320699" + f"{TODAY.year - 16}0101" + "123"
UNDER_AGE += resident_id_check_char(UNDER_AGE)
"""A well-formed number of a person 16 years old."""
NAME, PHONE, ADDRESS = "钱多多", "19900004321", "南通市崇川区青年路99号"
DOSSIER = re.compile(r"^/console/auxiliaries/([0-9a-f-]{36})\?done=hire$")


def hire_form(csrf: str, **overrides: str) -> dict[str, str]:
    """The hire form as a person fills it in (the values a browser sends)."""
    return {
        "csrf": csrf,
        "unit": UNIT,
        "supervisor_id": "602010",
        "supervisor_name": "王建国",
        "employment_form": "direct_contract",
        "dispatch_agency": "",
        "contract_start": TODAY.isoformat(),
        "contract_end": date(TODAY.year + 3, 12, 31).isoformat(),
        "post_type": "patrol",
        "level": "1",
        "name": NAME,
        "gender": "female",
        "resident_id": NEW_PERSON,
        "phone": PHONE,
        "address": ADDRESS,
        "effective": "",
        "basis": "通公政〔2026〕7号",
        **overrides,
    }


def post_hire(client: TestClient, data: dict[str, str]) -> Any:
    return client.post("/console/hire", data=data, follow_redirects=False)


def refusal_of(html: str) -> str:
    """The refusal box of a page (where a message would echo a value)."""
    return html.split('role="alert"', 1)[1].split("未记录任何内容", 1)[0]


def dismissed_elsewhere(world: World, number: str) -> UUID:
    """A record of ``number`` in OTHER_ORGAN, terminated and dismissed (for cause)."""
    aux = hire(world.ledger, OTHER_ORGAN, f"{OTHER_ORGAN}-001", None, resident_id=number)
    discipline = Envelope(actor("discipline", OTHER_ORGAN), effective=date(2025, 2, 1))
    impose_sanction(world.ledger, aux, discipline, sanction_id="S-1", kind="termination")
    world.ledger.command_auxiliary(
        aux,
        Separate(reason="dismissed"),
        Envelope(actor("personnel", OTHER_ORGAN), effective=date(2025, 3, 1)),
    )
    catch_up(world.ledger)
    return aux


def test_personnel_hires_through_the_form_and_lands_on_the_new_dossier(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    home = page_text(client.get("/console/home"))
    assert 'href="/console/hire"' in home and "录用辅警" in home
    page = page_text(client.get("/console/hire"))
    assert '<form method="post" action="/console/hire"' in page
    for label in ("女", "劳务派遣", "巡逻"):  # value sets by their Chinese labels
        assert f">{label}" in page, label
    assert f'<option value="{UNIT}">' in page  # the organ's units as a choice
    assert "继续录用的理由" not in page  # asked only after the warning
    answer = post_hire(client, hire_form(csrf))
    assert answer.status_code == 303, answer.text
    found = DOSSIER.match(answer.headers["location"])
    assert found, answer.headers["location"]
    hired = world.ledger.auxiliary(UUID(found.group(1)))
    assert (hired.name, hired.resident_id, hired.unit, hired.organ) == (
        NAME,
        NEW_PERSON,
        UNIT,
        world.ledger.organ(hired.organ).code,
    )
    catch_up(world.ledger)  # what the projection workers do meanwhile
    dossier = page_text(client.get(answer.headers["location"]))
    assert "已录用" in dossier and f"{NAME} 的档案" in dossier


def test_a_person_dismissed_elsewhere_is_warned_of_then_hired_with_a_reason(
    client: TestClient, world: World
) -> None:
    dismissed_elsewhere(world, NEW_PERSON)
    csrf = sign_in(client, world.tokens["personnel"])
    before = event_count(world)
    warned = post_hire(client, hire_form(csrf))
    assert warned.status_code == 409
    html = page_text(warned)
    alert = refusal_of(html)
    assert "此人曾因故离职" in alert
    assert f"{OTHER_ORGAN} {OTHER_ORGAN}局" in alert  # the organ to ask: code and name
    for told in (NEW_PERSON, NAME, PHONE, ADDRESS, "dismiss", "termination", "2025"):
        assert told not in alert
    assert "继续录用的理由" in html
    reason_box = r'<textarea id="hire-override_reason" name="override_reason"[^>]* required'
    assert re.search(reason_box, html)
    # what was typed stays in the form's own inputs, to be sent again with the reason
    assert re.search(
        f'<input id="hire-resident_id" name="resident_id"[^>]* value="{NEW_PERSON}"', html
    )
    assert f'value="{NAME}"' in html
    assert warned.headers["cache-control"] == "no-store"
    assert event_count(world) == before  # nothing recorded
    reason = "已向该机关核实，系误解除"
    hired = post_hire(client, hire_form(csrf, override_reason=reason))
    assert hired.status_code == 303, hired.text
    found = DOSSIER.match(hired.headers["location"])
    assert found
    aux = world.ledger.auxiliary(UUID(found.group(1)))
    assert aux.prior_record_override == ((OTHER_ORGAN,), reason)
    events = world.ledger.repository.event_store.get(aux.id)
    assert [type(e).__name__ for e in events] == ["Hired", "PriorRecordOverridden"]


def test_a_person_employed_elsewhere_and_an_under_age_person_are_refused_in_chinese(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    before = event_count(world)
    employed = post_hire(client, hire_form(csrf, resident_id=OTHER_UNIT_RESIDENT_ID))
    assert employed.status_code == 409
    alert = refusal_of(page_text(employed))
    assert "此人现仍在所列机关任辅警" in alert
    young = post_hire(client, hire_form(csrf, resident_id=UNDER_AGE))
    assert young.status_code == 422
    alert_young = refusal_of(page_text(young))
    assert "须年满18周岁且未满60周岁" in alert_young
    wrong = post_hire(client, hire_form(csrf, resident_id=NEW_PERSON[:-1] + "X"))
    assert wrong.status_code == 422
    alert_wrong = refusal_of(page_text(wrong))
    assert "公民身份号码" in alert_wrong and "校验码不符" in alert_wrong  # what is wrong
    for alert_text in (alert, alert_young, alert_wrong):
        for personal in (OTHER_UNIT_RESIDENT_ID, UNDER_AGE, NEW_PERSON[:-1], NAME, PHONE, ADDRESS):
            assert personal not in alert_text
    assert event_count(world) == before


def test_only_personnel_of_the_organ_itself_is_offered_and_admitted(
    client: TestClient, world: World
) -> None:
    for token in (world.tokens["unit"], world.tokens["discipline"]):
        csrf = sign_in(client, token)
        assert 'href="/console/hire"' not in page_text(client.get("/console/home"))
        assert client.get("/console/hire").status_code == 403
        before = event_count(world)
        refused = post_hire(client, hire_form(csrf))
        assert refused.status_code == 403
        assert event_count(world) == before
        client.cookies.clear()


def test_a_hire_without_its_csrf_token_records_nothing(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["personnel"])
    before = event_count(world)
    data = hire_form("")
    del data["csrf"]
    assert post_hire(client, data).status_code == 403
    assert event_count(world) == before


def correct(client: TestClient, world: World, csrf: str, **fields: str) -> Any:
    html = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
    return client.post(
        f"/console/auxiliaries/{world.auxiliary}/correct",
        data={"csrf": csrf, "version": version, **fields},
        follow_redirects=False,
    )


def test_personnel_corrects_the_name_and_a_contract_date_on_the_dossier(
    client: TestClient, world: World
) -> None:
    assert world.auxiliary is not None
    csrf = sign_in(client, world.tokens["personnel"])
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    assert "<summary>更正记录</summary>" in page
    assert '<option value="resident_id">公民身份号码</option>' in page
    named = correct(client, world, csrf, field="name", value="李明明", reason="录入错误")
    assert named.status_code == 303, named.text
    assert "已完成：更正记录" in page_text(client.get(named.headers["location"]))
    end = date(2029, 6, 30)
    dated = correct(
        client, world, csrf, field="contract_end", value=end.isoformat(), reason="合同录入错误"
    )
    assert dated.status_code == 303, dated.text
    record = world.ledger.auxiliary(world.auxiliary)
    assert (record.name, record.contract_end) == ("李明明", end)


def test_a_refused_correction_is_told_in_chinese_and_records_nothing(
    client: TestClient, world: World
) -> None:
    assert world.auxiliary is not None
    csrf = sign_in(client, world.tokens["personnel"])
    record = world.ledger.auxiliary(world.auxiliary)
    version = record.version
    organ = correct(client, world, csrf, field="organ", value="320612", reason="调整")
    assert organ.status_code == 422
    assert "未能办理：该字段不能更正" in page_text(organ)
    same = correct(client, world, csrf, field="name", value=record.name, reason="核对")
    assert same.status_code == 422
    html = page_text(same)
    assert "未能办理：" in html and "open>\n    <summary>更正记录</summary>" in html
    assert "更正后的值与现记录相同" in html  # what is wrong, in Chinese
    not_a_day = correct(client, world, csrf, field="contract_end", value="2029-02-30", reason="x")
    assert not_a_day.status_code == 422
    assert "请检查：更正为" in page_text(not_a_day)
    assert world.ledger.auxiliary(world.auxiliary).version == version


def test_a_personnel_actor_of_a_unit_is_offered_neither_the_hire_nor_a_number_correction() -> None:
    """No token names a unit for the personnel role (``ledger.access``), but the command line
    and the domain know such actors: the console follows the domain's organ-level rule
    (Art. 8) rather than the token rules alone."""
    of_unit = Actor("p-unit", "personnel", ORGAN, UNIT)
    of_organ = Actor("p-organ", "personnel", ORGAN, None)
    assert not HIRE_SECTION.open_to(of_unit) and HIRE_SECTION.open_to(of_organ)
    assert "resident_id" not in dict(correctable(of_unit)["field"])
    assert dict(correctable(of_organ)["field"])["resident_id"] == "公民身份号码"
    with pytest.raises(NotAuthorisedError):
        admit_hire(of_unit)


def test_a_gender_is_corrected_as_a_person_types_it(client: TestClient, world: World) -> None:
    assert world.auxiliary is not None
    csrf = sign_in(client, world.tokens["personnel"])
    current = world.ledger.auxiliary(world.auxiliary).gender.value
    other = "女" if current == "male" else "男"
    answer = correct(client, world, csrf, field="gender", value=other, reason="录入错误")
    assert answer.status_code == 303, answer.text
    assert world.ledger.auxiliary(world.auxiliary).gender.value != current


def test_a_labour_dispatch_hire_without_its_agency_names_the_field_in_chinese(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    before = event_count(world)
    answer = post_hire(client, hire_form(csrf, employment_form="labour_dispatch"))
    assert answer.status_code == 422
    box = refusal_of(page_text(answer))
    assert "（派遣单位" in box and "劳务派遣用工须填写派遣单位" in box
    assert '<span lang="en">' in box  # the English detail marked as such
    # a generic check of the domain (checks.short_text) is told in Chinese too, the field
    # named and nothing of what was typed echoed
    hidden = post_hire(client, hire_form(csrf, address="测试路\u200b1号"))
    assert hidden.status_code == 422
    box = refusal_of(page_text(hidden))
    assert "（住址）" in box and "不得含有文字方向控制字符或不可见（零宽）字符：" in box
    assert "测试路" not in box
    assert event_count(world) == before
