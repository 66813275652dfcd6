"""Deciding cases on the dossier (Art. 18): every command on an auxiliary's record as a form for
the roles of its API route, recorded through the API's own call; a refusal is told in Chinese
with the problem's status and records nothing, nor does a form without its CSRF token, a form
of another role or an oversight token's form."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from api.console.staff_dossier import ACTION_LABELS, FORMS
from api.console.staff_fields import field_rows
from api.console.web import cst_date
from api.routers import auxiliaries as auxiliary_routes
from domain.values import Actor, china_date
from tests.api.conftest import (
    CITY,
    catch_up,
    new_token,
    place_under_city,
    sustain_first_allegation,
)
from tests.console.conftest import World, accesses, event_count, page_text, sign_in

TODAY = china_date(datetime.now(tz=UTC)).isoformat()
FORM_ACTION = re.compile(r'<form method="post" action="/console/auxiliaries/[^/"]+/([a-z-]+)"')
DISCIPLINE_FORMS = ["听取陈述申辩", "书面放弃陈述申辩", "作出处分", "移送司法机关"]
"""The discipline office's forms on an auxiliary in post with no sanction or referral."""
DISCIPLINE_FORMS_LATER = ["登记申诉", "撤销处分", "恢复执勤", "登记移送结果"]
"""Its forms that need a sanction, a suspension or a referral on the record first."""
SANCTION = {
    "sanction_id": "SAN-1",
    "kind": "warning",
    "facts": "执勤时未按规定着装，经查属实",
    "reasons": "违反辅警日常管理制度，情节较轻",
    "article": "Art. 18",
    "document_number": "通公纪〔2026〕12号",
    "evidence": "询问笔录\n\n  执法记录仪视频 0305-01  \n",
}


def dossier(client: TestClient, world: World) -> str:
    return page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))


def actions(html: str) -> list[str]:
    """The command forms a dossier page offers, by their slugs (the reason form is none)."""
    return [slug for slug in FORM_ACTION.findall(html) if slug != "reason"]


def send(client: TestClient, world: World, csrf: str, slug: str, **fields: str) -> Any:
    """Post one command's form with the version the page shows, as the browser would."""
    html = dossier(client, world)
    version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
    return client.post(
        f"/console/auxiliaries/{world.auxiliary}/{slug}",
        data={"csrf": csrf, "version": version, **fields},
        follow_redirects=False,
    )


def version(world: World) -> int:
    assert world.auxiliary is not None
    return world.ledger.auxiliary(world.auxiliary).version


def timeline(client: TestClient, world: World) -> list[dict[str, Any]]:
    """The record's events as the API's timeline gives them to personnel."""
    answer = client.get(
        f"/v1/auxiliaries/{world.auxiliary}/timeline", headers=world.headers("personnel")
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["entries"])


def test_the_discipline_office_hears_the_statement_then_imposes_a_sanction(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    page = dossier(client, world)
    assert '<h2 id="h-actions">办理</h2>' in page
    for label in DISCIPLINE_FORMS:
        assert f"<summary>{label}</summary>" in page, label
    for label in DISCIPLINE_FORMS_LATER:  # nothing on the record yet to act on
        assert f"<summary>{label}</summary>" not in page, label
    assert "作出申诉决定" not in page and "续签劳动合同" not in page
    assert "须先以同一处分编号听取辅警的陈述申辩" in page  # the hint before a sanction
    assert '<details class="action" open>' not in page  # every form collapsed
    heard = send(
        client,
        world,
        csrf,
        "hear-statement",
        sanction_id="SAN-1",
        heard_on=TODAY,
        heard_by="纪检监察室 张华",
        statement="对事实无异议",
    )
    assert heard.status_code == 303, heard.text
    assert heard.headers["location"].endswith("?done=hear_statement")
    imposed = send(client, world, csrf, "impose-sanction", **SANCTION)
    assert imposed.status_code == 303, imposed.text
    done = page_text(client.get(imposed.headers["location"]))
    assert "已完成：作出处分" in done
    sanctions = done.split('id="h-sanctions"', 1)[1].split("</section>", 1)[0]
    assert "警告" in sanctions and "SAN-1" in sanctions and "通公纪〔2026〕12号" in sanctions
    assert world.auxiliary is not None
    sanction = world.ledger.auxiliary(world.auxiliary).sanctions["SAN-1"]
    assert (sanction.kind.value, sanction.document_number) == ("warning", "通公纪〔2026〕12号")
    imposed_event = [e for e in timeline(client, world) if e["event"].endswith("SanctionImposed")]
    # one entry per line, blank lines dropped: the JSON list the API would have been sent
    assert imposed_event[-1]["fields"]["evidence"] == ["询问笔录", "执法记录仪视频 0305-01"]
    assert imposed_event[-1]["fields"]["linked_findings"] == []


def test_a_sanction_without_a_statement_is_refused_in_chinese_and_records_nothing(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    dossier(client, world)
    before, reads, record = event_count(world), len(accesses(world)), version(world)
    answer = send(client, world, csrf, "impose-sanction", **SANCTION)
    assert answer.status_code == 409
    html = page_text(answer)
    assert "未能办理：作出处理前须听取辅警陈述申辩或有其书面放弃（第十八条）" in html
    assert "未记录任何内容" in html
    assert "open>\n    <summary>作出处分</summary>" in html  # the refused form, open
    assert version(world) == record
    # the log grew by the page's own reads (send's and the page shown again), nothing else
    assert event_count(world) - before == len(accesses(world)) - reads


def test_a_refused_form_names_the_field_never_the_value(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    record = version(world)
    statement = "本人对当日的事实有异议"
    heard = {"sanction_id": "SAN-2", "heard_on": TODAY, "statement": statement}
    unnamed = send(client, world, csrf, "hear-statement", **heard)  # no 听取人
    assert unnamed.status_code == 422
    notice, form = _notice_and_form(unnamed, "hear-statement")
    assert "请检查：听取人" in notice and statement not in notice
    # What was typed comes back in the form's own inputs: a statement is not typed twice.
    assert f">{statement}</textarea>" in form and 'value="SAN-2"' in form
    heard.update(heard_by="纪检监察室 张华", statement="本人\u200b对当日的事实有异议")
    invisible = send(client, world, csrf, "hear-statement", **heard)  # refused by the model
    assert invisible.status_code == 422
    notice, form = _notice_and_form(invisible, "hear-statement")
    assert "未能办理：文字中含有不可见字符" in notice
    assert "当日的事实有异议" not in notice and "张华" not in notice
    assert 'value="纪检监察室 张华"' in form
    assert version(world) == record


def _notice_and_form(answer: Any, slug: str) -> tuple[str, str]:
    """The refusal's notice, and the refused form (the one that was sent), of a page."""
    html = page_text(answer)
    notice = re.search(r'<p class="notice bad" role="alert">(.*?)</p>', html, re.S)
    form = re.search(rf'<form method="post" action="[^"]*/{slug}"(.*?)</form>', html, re.S)
    assert notice is not None and form is not None
    return notice.group(1), form.group(1)


def test_a_forged_or_stale_form_is_refused_and_stores_nothing(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    record, path = version(world), f"/console/auxiliaries/{world.auxiliary}/waive-statement"
    waiver = {"sanction_id": "SAN-3", "waiver_reference": "放弃陈述申辩声明书"}
    before = event_count(world)
    forged = client.post(path, data={**waiver, "version": str(record)})  # no CSRF token
    assert forged.status_code == 403 and "表单已失效" in page_text(forged)
    assert event_count(world) == before  # refused before anything was read
    stale = client.post(path, data={**waiver, "csrf": csrf, "version": str(record - 1)})
    assert stale.status_code == 409 and "未能办理：记录已在您读取之后被更新" in page_text(stale)
    assert version(world) == record


def test_the_inspectorate_decides_an_appeal_after_its_reason_and_only_it(
    client: TestClient, world: World
) -> None:
    discipline = TestClient(client.app)
    csrf = sign_in(discipline, world.tokens["discipline"])
    waived = send(
        discipline, world, csrf, "waive-statement", sanction_id="SAN-4", waiver_reference="放弃书"
    )
    assert waived.status_code == 303
    assert (
        send(
            discipline, world, csrf, "impose-sanction", **{**SANCTION, "sanction_id": "SAN-4"}
        ).status_code
        == 303
    )
    appealed = send(
        discipline, world, csrf, "appeal-sanction", sanction_id="SAN-4", grounds="事实不清"
    )
    assert appealed.status_code == 303
    assert "decide-appeal" not in actions(dossier(discipline, world))

    csrf = sign_in(client, world.tokens["inspector"])
    path = f"/console/auxiliaries/{world.auxiliary}"
    asked = page_text(client.get(path))
    assert "说明查阅事由" in asked and actions(asked) == []  # no form before the reason
    before = event_count(world)
    forced = client.post(
        f"{path}/decide-appeal",
        data={
            "csrf": csrf,
            "version": str(version(world)),
            "sanction_id": "SAN-4",
            "upheld": "false",
        },
    )
    assert forced.status_code == 422 and event_count(world) == before  # the reason first
    stated = client.post(f"{path}/reason", data={"csrf": csrf, "reason": "申诉复核"})
    page = page_text(stated)  # followed to the dossier: the reason POST is not a command
    assert "本次查阅事由：申诉复核" in page
    assert actions(page) == ["decide-appeal"]
    assert '<option value="false">撤销原处理</option>' in page
    decided = send(client, world, csrf, "decide-appeal", sanction_id="SAN-4", upheld="false")
    assert decided.status_code == 303, decided.text
    assert "已完成：作出申诉决定" in page_text(client.get(decided.headers["location"]))
    entry = [e for e in timeline(client, world) if e["event"].endswith("AppealDecided")][-1]
    assert entry["fields"]["upheld"] is False  # the JSON boolean, not the text "false"
    assert world.auxiliary is not None
    assert world.ledger.auxiliary(world.auxiliary).sanctions["SAN-4"].status.value == "overturned"


def test_personnel_forms_are_theirs_and_a_post_by_discipline_is_refused(
    client: TestClient, world: World
) -> None:
    personnel = TestClient(client.app)
    csrf = sign_in(personnel, world.tokens["personnel"])
    offered = actions(dossier(personnel, world))
    assert "renew-contract" in offered and "record-health-check" in offered
    assert "impose-sanction" not in offered and "decide-appeal" not in offered
    started = send(
        personnel, world, csrf, "start-probation", until="2025-07-01", effective="2025-01-02"
    )
    assert started.status_code == 303, started.text
    failed = send(personnel, world, csrf, "complete-probation", passed="false")
    assert failed.status_code == 303, failed.text
    record = client.get(f"/v1/auxiliaries/{world.auxiliary}", headers=world.headers("personnel"))
    assert record.json()["lifecycle"]["probation"]["passed"] is False  # the JSON boolean

    csrf = sign_in(client, world.tokens["discipline"])
    assert "renew-contract" not in actions(dossier(client, world))
    before, record = event_count(world), version(world)
    forced = client.post(
        f"/console/auxiliaries/{world.auxiliary}/renew-contract",
        data={"csrf": csrf, "version": str(record), "contract_end": "2030-12-31"},
    )
    assert forced.status_code == 403 and "您的角色无权进行此操作" in page_text(forced)
    assert event_count(world) == before and version(world) == record


def test_an_oversight_read_shows_no_forms_and_its_post_changes_nothing(
    client: TestClient, world: World
) -> None:
    place_under_city(world)
    overseer = new_token(
        world.ledger, "discipline", "市局discipline", organ=CITY, issued_by="t", oversight=True
    ).secret
    csrf = sign_in(client, overseer)
    path = f"/console/auxiliaries/{world.auxiliary}"
    client.post(f"{path}/reason", data={"csrf": csrf, "reason": "专项督察"})
    page = dossier(client, world)
    assert "李明 的档案" in page
    assert actions(page) == [] and '<h2 id="h-actions">' not in page
    before = event_count(world)
    forced = client.post(
        f"{path}/waive-statement",
        data={"csrf": csrf, "sanction_id": "SAN-5", "waiver_reference": "放弃书"},
    )
    assert forced.status_code == 403
    assert event_count(world) == before


def test_a_separated_record_keeps_its_forms_and_the_domain_refuses_in_chinese(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    assert send(client, world, csrf, "separate", reason="resigned").status_code == 303
    record = version(world)
    renewed = send(client, world, csrf, "renew-contract", contract_end="2030-12-31")
    assert renewed.status_code == 409
    assert "未能办理：该辅警已离职" in page_text(renewed)
    assert version(world) == record


def test_every_command_on_the_record_has_a_chinese_form() -> None:
    shown: dict[str, list[Any]] = {}
    for role in ("personnel", "unit", "discipline", "inspector"):
        for form in FORMS.forms(Actor("a", role, "x", None), below=False, failed=None):
            shown[form["name"]] = form["fields"]
    assert sorted(shown) == sorted(c.name for c in auxiliary_routes.COMMANDS)
    for name, fields in shown.items():
        assert not ACTION_LABELS[name].isascii(), name
        for field in fields:  # every field named in Chinese
            assert not field.label.isascii(), (name, field.name)


def test_a_refused_sanction_names_the_field_in_chinese_and_keeps_the_choices(
    client: TestClient, world: World
) -> None:
    """The article is chosen by its Chinese name; every choice starts unchosen (请选择), so an
    untouched list records nothing; refused, the field is named in Chinese and the form comes
    back with the kind and the article that were chosen."""
    csrf = sign_in(client, world.tokens["discipline"])
    html = dossier(client, world)
    kind = re.search(
        r'<select id="impose-sanction-kind"[^>]*>\s*<option value="">请选择</option>', html
    )
    assert kind is not None
    assert '<option value="Art. 18">第十八条</option>' in html
    waived = {"sanction_id": "SAN-1", "waiver_reference": "放弃陈述申辩声明书"}
    assert send(client, world, csrf, "waive-statement", **waived).status_code == 303
    record = version(world)
    wrong = send(
        client, world, csrf, "impose-sanction", **{**SANCTION, "document_number": "第12号"}
    )
    assert wrong.status_code == 422
    notice, form = _notice_and_form(wrong, "impose-sanction")
    assert "（文书编号）" in notice and "第12号" not in notice
    assert "须为正式文书编号" in notice  # what is wrong, in Chinese
    assert '<option value="warning" selected>' in form
    assert '<option value="Art. 18" selected>第十八条</option>' in form
    assert version(world) == record


def test_a_sanction_links_the_sustained_findings_the_dossier_offers(
    client: TestClient, world: World
) -> None:
    """The findings a sanction may rest on are offered by their complaint and allegation, not
    typed as ids; a ticked one is recorded as the API's ``complaint id:allegation``."""
    link = sustain_first_allegation(client, world)
    catch_up(world.ledger)
    csrf = sign_in(client, world.tokens["discipline"])
    offered = dossier(client, world)
    box = 'type="checkbox" id="impose-sanction-linked_findings-1" name="linked_findings"'
    assert f'{box} value="{link}"' in offered
    assert "（属实）" in offered
    assert (
        send(
            client, world, csrf, "waive-statement", sanction_id="SAN-1", waiver_reference="放弃声明"
        ).status_code
        == 303
    )
    imposed = send(client, world, csrf, "impose-sanction", **{**SANCTION, "linked_findings": link})
    assert imposed.status_code == 303, imposed.text
    recorded = [e for e in timeline(client, world) if e["event"].endswith("SanctionImposed")]
    assert recorded[-1]["fields"]["linked_findings"] == [link]


def test_a_linked_finding_and_an_open_complaint_read_by_the_day_received(
    client: TestClient, world: World
) -> None:
    """A complaint is named by the day it was received, never by its id: in the finding a
    sanction may link (收到于……的投诉 第1项, not 受理), in the sanction's 关联调查结论 and
    among what forbids an erasure; linked to its page for a role that opens complaints (the
    discipline office), plain for one that does not (personnel)."""
    assert world.complaint is not None
    link = sustain_first_allegation(client, world)
    catch_up(world.ledger)
    received = cst_date(world.ledger.complaint(world.complaint).received_on)
    href = f'<a href="/console/complaints/{world.complaint}">'
    csrf = sign_in(client, world.tokens["discipline"])
    offered = dossier(client, world)
    assert f"收到于{received}的投诉 第1项“执勤时态度恶劣”（属实）" in offered
    assert "受理的投诉" not in offered
    waived = {"sanction_id": "SAN-1", "waiver_reference": "放弃声明"}
    assert send(client, world, csrf, "waive-statement", **waived).status_code == 303
    imposed = send(client, world, csrf, "impose-sanction", **{**SANCTION, "linked_findings": link})
    assert imposed.status_code == 303, imposed.text
    page = dossier(client, world)
    sanctions = page.split('id="h-sanctions"', 1)[1].split("</section>", 1)[0]
    assert f"关联调查结论：</span>{href}收到于{received}的投诉</a> 第1项" in sanctions
    holds = page.split('id="h-holds"', 1)[1].split("</section>", 1)[0]
    assert f"未办结的投诉（{href}收到于{received}</a>）" in holds
    for part in (sanctions, holds):
        assert f"投诉 {str(world.complaint)[:8]}" not in part
        assert f"投诉 {world.complaint}" not in part
    client.post("/console/sign-out", data={"csrf": csrf})
    sign_in(client, world.tokens["personnel"])
    page = dossier(client, world)
    sanctions = page.split('id="h-sanctions"', 1)[1].split("</section>", 1)[0]
    assert f"关联调查结论：</span>收到于{received}的投诉 第1项" in sanctions
    holds = page.split('id="h-holds"', 1)[1].split("</section>", 1)[0]
    assert f"未办结的投诉（收到于{received}）" in holds
    for part in (sanctions, holds):
        assert str(world.complaint) not in part and str(world.complaint)[:8] not in part


def test_a_separation_is_not_offered_the_reason_that_has_its_own_form(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.tokens["personnel"])
    html = dossier(client, world)
    separate = re.search(r'<select id="separate-reason".*?</select>', html, re.S)
    assert separate is not None
    assert 'value="resigned"' in separate.group(0)
    assert 'value="returned_to_agency"' not in separate.group(0)  # 退回派遣单位: its own form


def test_a_command_refused_in_the_records_state_is_told_in_chinese(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    record = version(world)
    assert "reinstate" not in actions(dossier(client, world))  # not offered: not suspended
    refused = send(client, world, csrf, "reinstate", reason="停职期满")  # posted anyway
    assert refused.status_code == 409
    notice = re.search(r'<p class="notice bad" role="alert">(.*?)</p>', page_text(refused), re.S)
    assert notice is not None
    assert "当前状态（在岗）下不能恢复执勤。" in notice.group(1), notice.group(1)
    assert "未记录任何内容。" in notice.group(1) and "保留在下方" not in notice.group(1)
    assert "reinstate" not in actions(page_text(refused))  # the page offers what the state allows
    appeal = send(client, world, csrf, "appeal-sanction", sanction_id="SAN-1", grounds="不服")
    assert "没有这项处理处分" in page_text(appeal)  # no such sanction: its own message
    assert version(world) == record


def test_dates_out_of_order_are_told_in_chinese(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    waived = {"sanction_id": "SAN-1", "waiver_reference": "放弃陈述申辩声明书"}
    assert send(client, world, csrf, "waive-statement", **waived).status_code == 303
    record = version(world)
    suspended = {**SANCTION, "kind": "suspension", "until": "2020-01-01"}  # ends before it starts
    refused = send(client, world, csrf, "impose-sanction", **suspended)
    assert refused.status_code == 422
    notice, _ = _notice_and_form(refused, "impose-sanction")
    assert "处分期限须晚于处分生效日期。" in notice, notice
    assert version(world) == record


def test_a_decision_reads_in_chinese_on_the_dossier() -> None:
    """The article, the findings a sanction links and a hire's warned organs, as a reader
    names them (not ``Art. 18``, a complaint's uuid or ``organs``)."""
    rows = dict(
        field_rows(
            {
                "event": "Auxiliary.SanctionImposed",
                "fields": {
                    "article": "Art. 18",
                    "linked_findings": ["17207e49-b22c-5712-b8b4-6c765c58204f:1"],
                },
            }
        )
    )
    assert rows["依据条款"] == "第十八条"
    assert rows["关联调查结论"] == "投诉 17207e49 第1项"
    overridden = {"event": "Auxiliary.PriorRecordOverridden", "fields": {"organs": ["320602"]}}
    assert dict(field_rows(overridden))["所涉机关"] == "320602"


def test_a_separation_on_the_day_of_a_post_change_is_told_the_date_to_follow(
    client: TestClient, world: World
) -> None:
    """办理离职 the day a post change took effect: the page names that change and its date and
    the first day a separation may take effect, so the officer knows what to enter."""
    csrf = sign_in(client, world.tokens["personnel"])
    today = china_date(datetime.now(UTC))
    moved = send(client, world, csrf, "change-post", post_type="traffic")
    assert moved.status_code == 303, moved.text
    record = version(world)
    refused = send(client, world, csrf, "separate", reason="resigned")
    assert refused.status_code == 422
    day = f"{today.year}年{today.month:02d}月{today.day:02d}日"
    assert f"须晚于最近一次岗位调整的日期（{day}）" in page_text(refused)
    assert version(world) == record
