"""The discipline office decides a case on the dossier in a real browser (Debian's chromium),
on SQLite and PostgreSQL: it hears the auxiliary's statement and defence, then opens 作出处分,
fills it (the evidence one entry per line), submits, and sees it done and the sanction listed;
a sanction links a sustained finding named by its complaint's day of receipt, and that name
opens the complaint; the dossier offers only what the auxiliary's state allows (a stale form
refused); the return from leave is a choice of the open leave. Each page is checked as in
``test_staff`` (nothing leaves 127.0.0.1, no console error, no sideways scrolling, axe, a
screenshot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from api.console.web import cst_date
from domain.commands.auxiliary import Separate
from domain.commands.complaint import Accept, Acknowledge, RecordFinding
from domain.commands.lifecycle import StartLeave
from domain.values import Actor, china_date
from ledger.records import Envelope
from tests.browser.conftest import DEMO_ORGAN, LiveServer, watch_of
from tests.browser.test_staff import (
    OFFICE,
    act,
    check,
    demo_auxiliaries,
    events,
    new_complaint,
    offered,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_discipline_office_imposes_a_sanction_after_the_statement(
    page: Page, live: LiveServer
) -> None:
    auxiliary = demo_auxiliaries(live)[5]
    sign_in(page, live, "discipline")
    page.goto(live.url(f"/console/auxiliaries/{auxiliary.auxiliary_id}"))
    page.wait_for_selector("#h-actions")
    assert "须先以同一处分编号听取辅警的陈述申辩" in page.inner_text(
        "section[aria-labelledby=h-actions]"
    )
    assert page.locator("details.action[open]").count() == 0  # every form collapsed
    check(page, live, "dossier-actions")
    sanction = f"SAN-BROWSER-{live.backend}"
    before = events(live)
    act(
        page,
        "听取陈述申辩",
        {"sanction_id": sanction, "heard_by": "纪检监察室 张华", "statement": "对事实无异议"},
    )
    act(
        page,
        "作出处分",
        {
            "sanction_id": sanction,
            "kind": "warning",
            "facts": "执勤时未按规定着装，经查属实",
            "reasons": "违反辅警日常管理制度，情节较轻",
            "article": "Art. 18",
            "document_number": "通公纪〔2026〕88号",
            "evidence": "询问笔录\n执法记录仪视频 0305-01",
        },
    )
    listed = page.inner_text("section[aria-labelledby=h-sanctions]")
    assert sanction in listed and "通公纪〔2026〕88号" in listed and "警告" in listed
    assert events(live) > before
    check(page, live, "dossier-decided")


def test_a_sanction_links_a_finding_by_the_day_received_and_opens_its_complaint(
    page: Page, live: LiveServer
) -> None:
    """The finding is offered as 收到于……的投诉 第1项, the sanction's 关联调查结论 names the
    complaint the same way, never by its id, and the name opens the complaint's page."""
    auxiliary = demo_auxiliaries(live)[6]
    complaint = new_complaint(live, auxiliary.auxiliary_id, "青年路与人民路路口")
    for command in (
        Acknowledge(),
        Accept(category="执勤态度"),
        RecordFinding(allegation_number=1, result="sustained", reasoning="经查属实"),
    ):
        live.ledger.command_complaint(complaint, command, Envelope(OFFICE))
    live.catch_up()
    received = cst_date(live.ledger.complaint(complaint).received_on)
    named = f"收到于{received}的投诉"
    sign_in(page, live, "discipline")
    page.goto(live.url(f"/console/auxiliaries/{auxiliary.auxiliary_id}"))
    page.wait_for_selector("#h-actions")
    sanction = f"SAN-LINK-{live.backend}"
    act(
        page,
        "听取陈述申辩",
        {"sanction_id": sanction, "heard_by": "纪检监察室 张华", "statement": "无异议"},
    )
    form = page.locator("details.action", has=page.locator("summary:text-is('作出处分')"))
    form.locator("summary").click()
    for field, value in {
        "sanction_id": sanction,
        "facts": "执勤时态度恶劣，经查属实",
        "reasons": "违反辅警日常管理制度",
        "document_number": "通公纪〔2026〕89号",
        "evidence": "询问笔录",
    }.items():
        form.locator(f"[name='{field}']").fill(value)
    form.locator("[name='kind']").select_option("warning")
    form.locator("[name='article']").select_option("Art. 18")
    form.get_by_label(f"{named} 第1项“执勤时态度恶劣”").check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".notice.good")
    part = page.locator("section[aria-labelledby=h-sanctions]")
    assert f"{named} 第1项" in part.inner_text()
    assert str(complaint)[:8] not in part.inner_text()
    check(page, live, "dossier-linked-finding")
    part.get_by_role("link", name=named).first.click()
    page.wait_for_url(f"**/console/complaints/{complaint}")


def test_the_dossier_offers_only_what_the_auxiliarys_state_allows(
    page: Page, live: LiveServer
) -> None:
    """In post: 调整岗位 among the forms; separated meanwhile, the stale form is refused on the
    page, nothing recorded, and the page offers what a separated record allows."""
    auxiliary = demo_auxiliaries(live)[-1]  # the last: the others' choices stay as they were
    sign_in(page, live, "personnel")
    page.goto(live.url(f"/console/auxiliaries/{auxiliary.auxiliary_id}"))
    assert "调整岗位" in offered(page) and "登记休假" in offered(page)
    assert page.inner_text("#forms-hint").startswith("在岗")
    personnel = Actor("browser-personnel", "personnel", DEMO_ORGAN, None)
    separate = Separate(reason="resigned")
    live.ledger.command_auxiliary(auxiliary.auxiliary_id, separate, Envelope(personnel))
    live.catch_up()
    separated = live.ledger.auxiliary(auxiliary.auxiliary_id).version
    watch_of(page).expect_refusal(409)
    stale = page.locator("details.action", has=page.locator("summary:text-is('调整岗位')"))
    stale.locator("summary").click()
    stale.locator("[name='post_type']").select_option("traffic")
    stale.locator("button[type=submit]").click()
    page.wait_for_selector(".notice.bad")
    assert "未能办理" in page.inner_text(".notice.bad")
    assert live.ledger.auxiliary(auxiliary.auxiliary_id).version == separated  # nothing recorded
    shown = offered(page)
    assert "调整岗位" not in shown and "登记休假" not in shown and shown[-1] == "更正记录"
    assert page.inner_text("#forms-hint") == f"已离职：可{'、'.join(shown)}。"
    check(page, live, "dossier-separated-offered")


def test_the_return_from_leave_chooses_the_open_leave(page: Page, live: LiveServer) -> None:
    """登记休假返岗 offers the open leave as a choice (休假 … · 病假 · …起), starting at 请选择;
    chosen, the return is recorded for that leave."""
    personnel = Actor("browser-personnel", "personnel", DEMO_ORGAN, None)
    begun = china_date(datetime.now(tz=UTC)) - timedelta(days=3)
    auxiliary = next(
        a for a in demo_auxiliaries(live)[7:] if not live.ledger.auxiliary(a.auxiliary_id).leaves
    )
    leave_id = f"L-BROWSER-{live.backend}"
    start = StartLeave(leave_id=leave_id, kind="sick")
    live.ledger.command_auxiliary(
        auxiliary.auxiliary_id, start, Envelope(personnel, effective=begun)
    )
    live.catch_up()
    sign_in(page, live, "personnel")
    page.goto(live.url(f"/console/auxiliaries/{auxiliary.auxiliary_id}"))
    form = page.locator("details.action", has=page.locator("summary:text-is('登记休假返岗')"))
    form.locator("summary").click()
    choice = form.locator("[name='leave_id']")
    label = f"休假 {leave_id} · 病假 · {cst_date(begun)}起"
    assert choice.locator("option").all_inner_texts() == ["请选择", label]
    check(page, live, "dossier-end-leave")
    choice.select_option(label=label)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".notice.good")
    assert "已完成：登记休假返岗" in page.inner_text(".notice.good")
    ended = live.ledger.auxiliary(auxiliary.auxiliary_id).leaves[-1]
    assert ended.leave_id == leave_id and ended.returned_on is not None
