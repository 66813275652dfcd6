"""The staff side in a real browser (Debian's chromium), on SQLite and PostgreSQL: the
complaints officer works a complaint to closure, the complaint page offers only what the
complaint's state allows (a stale form refused), a reopened complaint's deadline reads
alike in the queue and on its page, which step of an overdue complaint is late and a
pending review's last day, the inspector finds a person and reads a
dossier with a reason, scope and roles hold, and a form without its CSRF token is refused.

Every page visited is checked on the way: nothing leaves 127.0.0.1, no console error (the
``page`` fixture), no sideways scrolling at 1366x768 and 390x844, no serious or critical
axe-core violation, and a screenshot is saved."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from api.console.web import cst_date
from domain.commands.complaint import (
    Acknowledge,
    Close,
    Decline,
    NotifyComplainant,
    ReceiveComplaint,
    Reopen,
    RequestReview,
)
from domain.values import Actor, china_date
from ledger.log import MerkleLog
from ledger.records import Envelope
from projections.queries import PersonnelQueries
from projections.service import ReadModels
from tests.browser.conftest import (
    DEMO_ORGAN,
    DEMO_UNIT,
    DESKTOP,
    PHONE,
    LiveServer,
    assert_page_sound,
    watch_of,
)
from tests.console.conftest import CLOSED_HISTORY

if TYPE_CHECKING:
    from playwright.sync_api import Page


def check(page: Page, live: LiveServer, name: str) -> None:
    """The page as it stands fits both sizes, passes axe, and is saved as a screenshot."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        assert_page_sound(page, name, label, f"{live.backend}-staff-{name}-{label}")


def sign_in(page: Page, live: LiveServer, role: str) -> None:
    page.goto(live.url("/console"))
    page.fill("#token", live.tokens[role])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/console/home")


def forced(page: Page, live: LiveServer, path: str, status: int) -> None:
    """Open a URL the person may not see: it answers ``status`` with the Chinese page. The
    browser logs the refused load as a console error; that one expected line is dropped from
    the page's record (any other error still fails the test)."""
    answer = page.goto(live.url(path))
    assert answer is not None and answer.status == status, (path, answer and answer.status)
    expected = f"status of {status}"
    watch = watch_of(page)
    watch.errors[:] = [e for e in watch.errors if not (expected in e and live.url(path) in e)]


def events(live: LiveServer) -> int:
    return MerkleLog(live.ledger.ledger_recorder).tree_size()


def demo_auxiliaries(live: LiveServer, unit: str | None = None) -> list[Any]:
    models = ReadModels(live.ledger)
    try:
        page = PersonnelQueries(models).status(
            organ=DEMO_ORGAN, unit=unit, status="active", page_size=200
        )
        return list(page.items)
    finally:
        models.close()


def new_complaint(live: LiveServer, auxiliary_id: UUID, place: str) -> UUID:
    complaint = live.ledger.receive_complaint(
        ReceiveComplaint(
            auxiliary_id=auxiliary_id,
            channel="online",
            incident_at=datetime.now(tz=UTC),
            incident_place=place,
            allegations=["执勤时态度恶劣", "未出示证件"],
            complainant_name="张三",
            complainant_phone="19900001111",
        ),
        Envelope(Actor("public-intake", "public", DEMO_ORGAN, None)),
    ).originator_id
    live.catch_up()
    return complaint


OFFICE = Actor("cmp-browser", "complaints", DEMO_ORGAN, None)
"""The demo organ's complaints office, recording steps on chosen days."""


def serving_since(live: LiveServer, days: int) -> Any:
    """An active demo auxiliary hired before the day ``days`` ago, so that a complaint about an
    incident then has someone answering for them (tests on the shared server hire people
    today, and the list's first may be one of them)."""
    since = china_date(datetime.now(tz=UTC)) - timedelta(days=days + 1)
    return next(a for a in demo_auxiliaries(live) if a.hired_on < since)


def received_long_ago(live: LiveServer, auxiliary_id: UUID, days: int, place: str) -> UUID:
    """A complaint received ``days`` before today (its incident the day before), untouched."""
    received = china_date(datetime.now(tz=UTC)) - timedelta(days=days)
    return live.ledger.receive_complaint(
        ReceiveComplaint(
            auxiliary_id=auxiliary_id,
            channel="online",
            incident_at=datetime.combine(received - timedelta(days=1), time(9), UTC),
            incident_place=place,
            allegations=["执勤时态度恶劣"],
        ),
        Envelope(Actor("public-intake", "public", DEMO_ORGAN, None), effective=received),
    ).originator_id


def declined_told_and_closed(live: LiveServer, complaint: UUID, received: date) -> None:
    """The office declines the complaint on its day of receipt, tells the complainant the
    next day and closes it the day after."""
    told = NotifyComplainant(
        method="phone", notified_on=received + timedelta(days=1), summary="已告知"
    )
    for day, command in (
        (received, Acknowledge()),
        (received, Decline(reason="不属于辅警管理范围")),
        (received + timedelta(days=1), told),
        (received + timedelta(days=2), Close()),
    ):
        live.ledger.command_complaint(complaint, command, Envelope(OFFICE, effective=day))


def queue_row(page: Page, complaint: UUID) -> list[str]:
    """The text of each cell of the complaint's row in the queue."""
    row = page.locator("tr", has=page.locator(f"a[href='/console/complaints/{complaint}']"))
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def act(page: Page, label: str, fill: dict[str, str] | None = None) -> None:
    """Open one command's form on the complaint page, fill it, submit, and see it done."""
    details = page.locator("details.action", has=page.locator(f"summary:text-is('{label}')"))
    details.locator("summary").click()
    for field, value in (fill or {}).items():
        target = details.locator(f"[name='{field}']")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    details.locator("button[type=submit]").click()
    page.wait_for_selector(".notice.good")
    assert f"已完成：{label}" in page.inner_text(".notice.good")


def test_the_complaints_officer_works_a_complaint_to_closure(page: Page, live: LiveServer) -> None:
    auxiliary = demo_auxiliaries(live)[0]
    complaint = new_complaint(live, auxiliary.auxiliary_id, "人民路与青年路路口（浏览器测试）")
    sign_in(page, live, "complaints")
    page.goto(live.url("/console/complaints"))
    check(page, live, "complaints-queue")
    page.click(f"a[href='/console/complaints/{complaint}']")
    assert "张三" in page.inner_text("main")
    check(page, live, "complaint")
    today = china_date(datetime.now(tz=UTC)).isoformat()  # the ledger's "today"
    act(page, "签收")
    act(page, "受理", {"category": "执勤态度"})
    act(page, "指派调查人员", {"investigator_id": "602099", "due": today})
    act(
        page,
        "记录调查结论",
        {
            "allegation_number": "1",
            "result": "sustained",
            "reasoning": "经调取执法记录仪视频，情况属实",
        },
    )
    act(
        page,
        "记录调查结论",
        {
            "allegation_number": "2",
            "result": "not_sustained",
            "reasoning": "已出示证件，有视频为证",
        },
    )
    act(page, "告知投诉人处理结果", {"method": "phone", "summary": "已电话告知调查结果"})
    act(page, "结案")
    assert "投诉详情 · 已结案" in page.inner_text("h1")
    history = page.inner_text("#h-history + div, section[aria-labelledby=h-history]")
    for label in CLOSED_HISTORY:
        assert label in history
    check(page, live, "complaint-closed")


def offered(page: Page) -> list[str]:
    """The command forms the complaint page offers, by their Chinese names, in order."""
    return page.locator("details.action summary").all_inner_texts()


def test_the_complaint_page_offers_only_what_the_state_allows(page: Page, live: LiveServer) -> None:
    """Received: acknowledge (expected next, first and marked) or withdraw; a page gone stale
    is refused on the page, nothing recorded, and offers the new state's forms; withdrawn,
    then closed: reopen (and the outbox), nothing expected next."""
    complaint = new_complaint(live, demo_auxiliaries(live)[4].auxiliary_id, "工农路（浏览器测试）")
    sign_in(page, live, "complaints")
    page.goto(live.url(f"/console/complaints/{complaint}"))
    assert offered(page) == ["签收", "登记撤回"]
    assert page.locator("details.action.next summary").inner_text() == "签收"
    assert page.inner_text("#forms-hint") == "已接收：可签收、登记撤回。下一步：签收。"
    check(page, live, "complaint-offered")
    office = Actor("browser-complaints", "complaints", DEMO_ORGAN, None)
    live.ledger.command_complaint(complaint, Acknowledge(), Envelope(office))  # meanwhile
    acknowledged = live.ledger.complaint(complaint).version
    watch_of(page).expect_refusal(409)
    stale = page.locator("details.action", has=page.locator("summary:text-is('签收')"))
    stale.locator("summary").click()
    stale.locator("button[type=submit]").click()
    page.wait_for_selector(".notice.bad")
    assert "未能办理" in page.inner_text(".notice.bad")
    assert live.ledger.complaint(complaint).version == acknowledged  # nothing recorded
    assert offered(page) == ["受理", "不予受理", "登记撤回"]
    act(page, "登记撤回", {"reason": "投诉人来电撤回投诉"})
    assert offered(page) == ["结案"]
    act(page, "结案")
    assert offered(page) == ["排队告知投诉人", "重新办理"]
    assert page.locator("details.action.next").count() == 0
    assert page.inner_text("#forms-hint") == "已结案：可排队告知投诉人、重新办理。"
    check(page, live, "complaint-closed-offered")


def test_a_reopened_complaint_is_due_the_same_day_in_the_queue_and_on_its_page(
    page: Page, live: LiveServer
) -> None:
    auxiliary = serving_since(live, 40)
    complaint = received_long_ago(
        live, auxiliary.auxiliary_id, 40, "青年路（浏览器测试：重新办理）"
    )
    today = china_date(datetime.now(tz=UTC))
    declined_told_and_closed(live, complaint, today - timedelta(days=40))
    reopen = Reopen(reason="复核后认为应予受理")
    live.ledger.command_complaint(
        complaint, reopen, Envelope(OFFICE, effective=today - timedelta(days=5))
    )
    live.catch_up()
    due = cst_date(live.ledger.policy.complaints.conclude_due(today - timedelta(days=5)))
    sign_in(page, live, "complaints")
    page.goto(live.url("/console/complaints"))
    assert queue_row(page, complaint)[-2] == due  # 当前期限
    page.goto(live.url(f"/console/complaints/{complaint}"))
    assert page.inner_text("#deadlines").strip() == f"调查办结：最迟 {due}"
    check(page, live, "complaint-reopened")


def test_the_queue_names_the_step_an_overdue_complaint_is_late_on(
    page: Page, live: LiveServer
) -> None:
    auxiliary = serving_since(live, 60)
    late = received_long_ago(live, auxiliary.auxiliary_id, 60, "工农路（浏览器测试：逾期）")
    live.catch_up()
    sign_in(page, live, "complaints")
    page.goto(live.url("/console/complaints"))
    assert queue_row(page, late)[-1] == "已逾期：签收、调查办结"
    check(page, live, "complaints-queue-overdue")


def test_the_queue_keeps_a_closed_complaint_while_its_review_is_pending(
    page: Page, live: LiveServer
) -> None:
    auxiliary = serving_since(live, 60)
    complaint = received_long_ago(live, auxiliary.auxiliary_id, 60, "人民路（浏览器测试：复查）")
    received = china_date(datetime.now(tz=UTC)) - timedelta(days=60)
    declined_told_and_closed(live, complaint, received)
    asked = received + timedelta(days=3)
    live.ledger.command_complaint(
        complaint, RequestReview(reasons="投诉人不服"), Envelope(OFFICE, effective=asked)
    )
    live.catch_up()
    due = cst_date(live.ledger.policy.review.decide_due(asked))
    sign_in(page, live, "complaints")
    page.goto(live.url("/console/complaints"))
    assert queue_row(page, complaint)[-3:] == ["已结案", due, "已逾期：复查决定"]
    check(page, live, "complaints-queue-review")


def test_the_inspector_finds_a_person_and_reads_the_dossier_with_a_reason(
    page: Page, live: LiveServer
) -> None:
    auxiliary = demo_auxiliaries(live)[1]
    number = live.ledger.auxiliary(auxiliary.auxiliary_id).resident_id
    sign_in(page, live, "inspector")
    page.goto(live.url("/console/search"))
    assert "说明查阅事由" in page.inner_text("h1")  # the list names people: a reason first
    page.fill("#reason", "核查群众投诉")
    page.get_by_role("button", name="查找辅警").click()
    page.wait_for_selector("main table")
    check(page, live, "search")
    page.fill("#q", auxiliary.name[1:])  # part of the name
    page.get_by_role("button", name="查找").click()
    assert auxiliary.name in page.inner_text("table")
    page.fill("#resident_id", number)
    page.fill("#reason", "核查群众投诉")
    page.get_by_role("button", name="查找").click()
    assert "按公民身份号码查找的结果" in page.inner_text("main")
    assert number not in page.content()  # the number is not echoed back
    page.click(f"a[href='/console/auxiliaries/{auxiliary.auxiliary_id}']")
    assert "说明查阅事由" in page.inner_text("h1")
    check(page, live, "reason")
    page.fill("#reason", "核查群众投诉")
    page.get_by_role("button", name="查看档案").click()
    page.wait_for_selector("#h-timeline")
    main = page.inner_text("main")
    assert f"{auxiliary.name} 的档案" in main and "录用" in main and "签名有效" in main
    assert "已纳入检查点" in main
    page.fill("#on", auxiliary.hired_on.isoformat())
    page.get_by_role("button", name="查看该日的责任归属与档案状态").click()
    page.wait_for_selector("#h-resp")
    assert "的责任归属" in page.inner_text("#h-resp") and "的档案状态" in page.inner_text("main")
    access = page.inner_text("section[aria-labelledby=h-access]")
    assert "督察部门" in access and "核查群众投诉" in access
    check(page, live, "dossier")
    with page.expect_download() as download:
        page.locator("a[download]").first.click()
    assert download.value.suggested_filename.startswith("proof-")


def test_the_inspector_gives_a_reason_before_a_report_naming_people(
    page: Page, live: LiveServer
) -> None:
    sign_in(page, live, "inspector")
    page.goto(live.url("/console/reports/personnel_status"))
    assert "说明查阅事由" in page.inner_text("h1")
    assert page.locator("main table").count() == 0  # nothing shown before the reason
    check(page, live, "report-reason")
    before = events(live)
    page.fill("#reason", "专项督察")
    page.get_by_role("button", name="查看报表").click()
    page.wait_for_selector("main table")
    assert events(live) == before + 1  # one access record for the read, with its reason
    with page.expect_download() as download:
        page.locator("a[download]").first.click()  # the CSV: the same visit's reason
    assert download.value.suggested_filename == "personnel_status.csv"
    assert events(live) == before + 2
    page.goto(live.url("/console/reports/quota_use"))  # counts only: no reason, no record
    page.wait_for_selector("main table")
    assert events(live) == before + 2


def test_a_unit_token_sees_only_its_unit(page: Page, live: LiveServer) -> None:
    mine = {a.name for a in demo_auxiliaries(live, DEMO_UNIT)}
    others = [a for a in demo_auxiliaries(live) if a.unit != DEMO_UNIT and a.name not in mine]
    sign_in(page, live, "unit")
    page.goto(live.url("/console/search"))
    listed = page.inner_text("table")
    assert any(name in listed for name in mine)
    assert others and not any(a.name in listed for a in others)
    page.fill("#q", others[0].name)
    page.get_by_role("button", name="查找").click()
    assert "没有找到" in page.inner_text("main")
    forced(page, live, f"/console/auxiliaries/{others[0].auxiliary_id}", 404)
    assert "未找到" in page.inner_text("h1")


def test_a_role_without_rights_sees_no_forbidden_action_and_gets_403(
    page: Page, live: LiveServer
) -> None:
    sign_in(page, live, "establishment")
    nav = page.inner_text("nav")
    assert "查找辅警" not in nav and "投诉办理" not in nav
    forced(page, live, "/console/search", 403)
    assert "您的角色无权进行此操作" in page.inner_text("h1")
    check(page, live, "forbidden")
    page.goto(live.url("/console/home"))
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/console")
    sign_in(page, live, "discipline")
    complaint = new_complaint(live, demo_auxiliaries(live)[2].auxiliary_id, "崇川路（浏览器测试）")
    page.goto(live.url(f"/console/complaints/{complaint}"))
    # discipline decides a review (复查), and nothing else: none is pending here
    assert page.locator("details.action").count() == 0
    assert "暂无可办理的事项" in page.inner_text("#forms-hint")


def test_a_form_without_its_csrf_token_is_refused_and_leaves_no_event(
    page: Page, live: LiveServer
) -> None:
    complaint = new_complaint(live, demo_auxiliaries(live)[3].auxiliary_id, "青年路（浏览器测试）")
    sign_in(page, live, "complaints")
    page.goto(live.url(f"/console/complaints/{complaint}"))
    details = page.locator("details.action", has=page.locator("summary:text-is('签收')"))
    details.locator("summary").click()
    details.locator("input[name=csrf]").evaluate("e => e.remove()")
    before = events(live)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        details.locator("button[type=submit]").click()
    assert posted.value.status == 403
    page.wait_for_selector("h1:text('表单已失效')")
    watch = watch_of(page)
    watch.errors[:] = [e for e in watch.errors if "status of 403" not in e]
    assert events(live) == before
    page.goto(live.url(f"/console/complaints/{complaint}"))
    assert "投诉详情 · 已接收" in page.inner_text("h1")
