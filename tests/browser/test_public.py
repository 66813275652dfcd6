"""The public pages end to end in chromium, on SQLite and PostgreSQL: a member of the public
files a complaint through the form, keeps and checks the receipt in the browser (a receipt
with one changed character fails), and tracks it until the result is shown."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.commands.complaint import (
    Accept,
    Acknowledge,
    Assign,
    ComplaintCommand,
    NotifyComplainant,
    RecordFinding,
)
from domain.values import Actor, china_date
from ledger.log import MerkleLog
from ledger.records import Envelope
from tests.browser.conftest import LiveServer, assert_accessible, screenshot, watch_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

DEMO_WORK_ID = "NTFJ0600000000"  # the demo's first auxiliary (organ 320600), for any size
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z*~$=U]$")
NO_WEBCRYPTO_ED25519 = """
(() => {
  const importKey = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, data, algorithm, ...rest) => {
    const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
    if (String(name).toLowerCase() === "ed25519") {
      return Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"));
    }
    return importKey(format, data, algorithm, ...rest);
  };
})();
"""


def log_size(live: LiveServer) -> int:
    """How many events the ledger holds."""
    return int(live.ledger.recorder.max_notification_id() or 0)


def fill_complaint(page: Page, live: LiveServer, **fields: str) -> None:
    """Open the form and fill it in as a member of the public would (fields override)."""
    values = {
        "incident_date": "2026-11-20",
        "incident_time": "09:30",
        "incident_place": "人民路与青年路路口",
        "work_id": DEMO_WORK_ID,
        "allegation-1": "执勤时态度恶劣，言语粗暴",
        "allegation-2": "查验证件时未出示工作证件",
        "complainant_name": "测试投诉人",
        "complainant_phone": "19900001111",
        **fields,
    }
    page.goto(live.url("/"))
    for name, value in values.items():
        page.locator(f"#{name}").fill(value)


def file_complaint(page: Page, live: LiveServer) -> dict[str, Any]:
    """File a complaint through the form; the receipt as the page offers it for keeping."""
    fill_complaint(page, live)
    page.get_by_role("button", name="提交投诉").click()
    page.get_by_role("heading", name="投诉已提交").wait_for()
    receipt: dict[str, Any] = json.loads(page.locator("#receipt-text").input_value())
    assert page.locator("#tracking-code").inner_text().strip() == receipt["tracking_code"]
    assert CODE.match(receipt["tracking_code"])
    return receipt


def run_check(page: Page) -> str:
    """Press 核验回执 and wait for the verdict; its text."""
    page.get_by_role("button", name="核验回执").click()
    status = page.locator("#check-status")
    status.filter(has_text="核验").filter(has_not_text="正在").wait_for()
    return status.inner_text()


def test_file_check_and_track_a_complaint(page: Page, live: LiveServer, tmp_path: Path) -> None:
    before = log_size(live)
    receipt = file_complaint(page, live)
    assert log_size(live) == before + 1
    screenshot(page, f"{live.backend}-public-receipt")
    assert_accessible(page, "the receipt page")

    # Copy, download and print.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.base_url)
    page.get_by_role("button", name="复制查询码").click()
    page.locator("#copy-status").filter(has_text="已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == receipt["tracking_code"]
    with page.expect_download() as download:
        page.get_by_role("button", name="下载回执文件").click()
    kept = tmp_path / "receipt.json"
    download.value.save_as(kept)
    assert json.loads(kept.read_text(encoding="utf-8")) == receipt
    page.emulate_media(media="print")
    assert page.locator("#tracking-code").is_visible()
    assert not page.get_by_role("button", name="核验回执").is_visible()
    assert not page.locator(".site-header nav").is_visible()
    page.emulate_media(media="screen")

    # The browser checks the receipt: signature, inclusion proof, checkpoint signature.
    verdict = run_check(page)
    assert "核验通过" in verdict, page.locator("#check-steps").inner_text()
    steps = page.locator("#check-steps li.ok")
    assert steps.count() == 3
    # The log position is told counting from 1 (leaf_index counts from 0).
    index = MerkleLog(live.ledger.ledger_recorder).position_of_event(
        UUID(receipt["complaint_id"]), 1
    )
    assert index is not None
    assert f"这次投诉是日志第 {index + 1} 条" in steps.nth(1).inner_text()
    # The code went in a body: no URL the page asked for holds it (access logs keep URLs).
    asked = watch_of(page).requests
    assert any(u.endswith("/v1/complaints/track") for u in asked), asked
    symbols = receipt["tracking_code"].replace("-", "")
    assert not [u for u in asked if symbols in u.replace("-", "").upper()], asked
    assert "浏览器内置的 Ed25519" in steps.first.inner_text()
    screenshot(page, f"{live.backend}-public-receipt-checked")

    # Track it: received, with the dates to expect.
    page.get_by_role("button", name="查看处理进度").click()
    assert page.locator("#complaint-status").inner_text() == "已接收"
    expected = page.locator(".expected").inner_text()
    assert "签收您的投诉：最迟" in expected and "调查并得出结论：最迟" in expected
    assert_accessible(page, "the tracking page")


def test_a_receipt_with_one_changed_character_fails_the_check(
    page: Page, live: LiveServer, tmp_path: Path
) -> None:
    receipt = file_complaint(page, live)
    kept = tmp_path / "回执.json"
    kept.write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
    page.goto(live.url("/check"))
    page.locator("#receipt-file").set_input_files(kept)  # the kept file, chosen
    box = page.locator("#receipt-text")
    page.locator("#check-status").filter(has_text="已读入回执文件").wait_for()
    assert json.loads(box.input_value()) == receipt
    assert "核验通过" in run_check(page)
    changes = {
        name: _one_changed(receipt[name])
        for name in ("recorded_at", "complaint_id", "tracking_code", "signature")
    }
    for field, value in changes.items():
        assert sum(a != b for a, b in zip(value, receipt[field], strict=True)) == 1
        box.fill(json.dumps({**receipt, field: value}, ensure_ascii=False))
        verdict = run_check(page)
        assert "核验未通过" in verdict, (field, page.locator("#check-steps").inner_text())
        assert page.locator("#check-steps li.bad").count() >= 1
    screenshot(page, f"{live.backend}-public-check-failed")
    box.fill("{不是回执")
    assert "核验未通过" in run_check(page)
    assert "JSON" in page.locator("#check-steps").inner_text()


def test_an_empty_receipt_file_is_told_as_empty(
    page: Page, live: LiveServer, tmp_path: Path
) -> None:
    """An empty file is said to be empty, not to hold bad JSON; an empty box, that there is
    nothing to check; text that is not JSON still says so."""
    empty = tmp_path / "投诉回执-2026-11-20.json"
    empty.write_bytes(b"")
    page.goto(live.url("/check"))
    page.locator("#receipt-file").set_input_files(empty)
    status = page.locator("#check-status")
    status.filter(has_text="文件为空").wait_for()
    assert "已读入" not in status.inner_text()
    assert "核验未通过" in run_check(page)
    told = page.locator("#check-steps").inner_text()
    assert "文件为空，请选择提交投诉时下载的回执文件" in told and "JSON" not in told
    assert page.locator("#check-steps li").count() == 1
    page.locator("#receipt-text").fill("   ")  # typed over: no longer the empty file
    assert "核验未通过" in run_check(page)
    told = page.locator("#check-steps").inner_text()
    assert "还没有回执内容" in told and "文件为空" not in told and "JSON" not in told
    page.locator("#receipt-text").fill("{不是回执")
    assert "核验未通过" in run_check(page)
    assert "JSON 格式有误" in page.locator("#check-steps").inner_text()
    assert_accessible(page, "the check page refusing an empty file")


def test_the_check_uses_the_vendored_ed25519_without_web_crypto_ed25519(
    page: Page, live: LiveServer
) -> None:
    page.add_init_script(NO_WEBCRYPTO_ED25519)
    receipt = file_complaint(page, live)
    assert "核验通过" in run_check(page), page.locator("#check-steps").inner_text()
    assert "noble-ed25519" in page.locator("#check-steps li.ok").first.inner_text()
    page.locator("#receipt-text").fill(
        json.dumps({**receipt, "signature": _one_changed(receipt["signature"])})
    )
    assert "核验未通过" in run_check(page)
    loaded = [u for u in watch_of(page).requests if u.endswith("/noble-ed25519/index.js")]
    assert loaded, "the vendored Ed25519 was not loaded"


def test_a_refused_complaint_is_told_in_chinese_and_records_nothing(
    page: Page, live: LiveServer
) -> None:
    before = log_size(live)
    watch_of(page).expect_refusal(422)
    page.set_viewport_size({"width": 390, "height": 844})
    fill_complaint(
        page, live, work_id="", **{"allegation-1": "", "allegation-2": "", "incident_place": ""}
    )
    page.get_by_role("button", name="提交投诉").click()
    errors = page.locator("#form-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "请填写辅警的工作证号" in text and "请至少写一项投诉事项" in text
    assert "请填写事发地点" in text
    assert page.locator("#work_id").get_attribute("aria-invalid") == "true"
    assert page.locator("#incident_date").input_value() == "2026-11-20"  # kept as typed
    screenshot(page, f"{live.backend}-public-complaint-refused")
    assert_accessible(page, "the refused form")

    page.locator("#work_id").fill("NTFJ9999999999")
    page.locator("#allegation-1").fill("执勤时态度恶劣")
    page.locator("#incident_place").fill("人民路")
    page.get_by_role("button", name="提交投诉").click()
    page.locator("#work_id-error").filter(has_text="没有找到事发当天在岗的这位辅警").wait_for()
    assert log_size(live) == before


def test_the_fullest_form_the_page_allows_is_filed(page: Page, live: LiveServer) -> None:
    """Every box filled to its maxlength with Chinese (9 bytes each, percent-encoded) stays
    under the server's body limit: the complaint is recorded, not refused as too large."""
    fill_complaint(page, live)
    for box in page.locator("form.public-form input[type=text], form.public-form textarea").all():
        name = box.get_attribute("id") or ""
        if name in ("work_id", "auxiliary_name", "unit"):
            continue  # the auxiliary stays named by work ID
        box.fill("测" * int(box.get_attribute("maxlength") or "0"))
    before = log_size(live)
    page.get_by_role("button", name="提交投诉").click()
    page.get_by_role("heading", name="投诉已提交").wait_for()
    assert log_size(live) == before + 1


def test_a_form_without_its_csrf_token_records_nothing(page: Page, live: LiveServer) -> None:
    before = log_size(live)
    watch_of(page).expect_refusal(403)
    fill_complaint(page, live)
    page.locator("input[name=csrf]").evaluate("input => input.remove()")
    page.get_by_role("button", name="提交投诉").click()
    page.locator(".notice.bad").filter(has_text="没有被接收").wait_for()
    assert log_size(live) == before
    assert page.locator("#work_id").input_value() == DEMO_WORK_ID  # nothing lost
    page.get_by_role("button", name="提交投诉").click()  # the form now has a good token
    page.get_by_role("heading", name="投诉已提交").wait_for()
    assert log_size(live) == before + 1


def test_the_tracking_page_shows_the_result_once_the_complainant_is_told(
    page: Page, live: LiveServer
) -> None:
    receipt = file_complaint(page, live)
    complaint_id = UUID(receipt["complaint_id"])
    handler = Actor("browser-complaints", "complaints", "320600", None)
    today = china_date(datetime.now(tz=UTC))  # the ledger's "today": China Standard Time
    steps: list[ComplaintCommand] = [
        Acknowledge(),
        Accept(category="执勤态度"),
        Assign(investigator_id="DC6001", due=today),
        RecordFinding(allegation_number=1, result="sustained", reasoning="属实"),
        RecordFinding(allegation_number=2, result="unfounded", reasoning="无据"),
        NotifyComplainant(method="phone", notified_on=today, summary="已电话告知"),
    ]
    for command in steps:
        live.ledger.command_complaint(complaint_id, command, Envelope(handler))
    page.goto(live.url("/track"))
    page.locator("#code").fill(receipt["tracking_code"])
    page.get_by_role("button", name="查询").click()
    assert page.locator("#complaint-status").inner_text() == "已告知"
    result = page.get_by_role("region", name="处理结果")
    assert "已电话告知" in result.inner_text()
    rows = result.locator("tbody tr")
    assert rows.nth(0).inner_text().split() == ["第1项", "属实"]
    assert rows.nth(1).inner_text().split() == ["第2项", "查无实据"]
    assert_accessible(page, "the tracking page with a result")
    screenshot(page, f"{live.backend}-public-track-result")


def test_an_unknown_tracking_code_is_told_in_chinese(page: Page, live: LiveServer) -> None:
    watch_of(page).expect_refusal(404)
    page.goto(live.url("/track"))
    page.locator("#code").fill("A" * 52)
    page.get_by_role("button", name="查询").click()
    assert "没有找到这个查询码对应的投诉" in page.locator("#track-error").inner_text()


def _one_changed(text: str) -> str:
    """The text with its last letter or digit replaced by another of the same kind."""
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c.isdigit():
            return text[:i] + ("1" if c != "1" else "2") + text[i + 1 :]
        if c.isalpha() and c.isascii():
            other = "B" if c.upper() != "B" else "C"
            return text[:i] + (other if c.isupper() else other.lower()) + text[i + 1 :]
    raise AssertionError(text)


def test_a_future_date_and_a_wrong_telephone_are_told_together(
    page: Page, live: LiveServer
) -> None:
    """Both refusals at once, each beside its field, and nothing recorded: the person does
    not fix the date only to learn of the telephone number on the next try."""
    before = log_size(live)
    watch_of(page).expect_refusal(422)
    tomorrow = china_date(datetime.now(tz=UTC)) + timedelta(days=1)
    fill_complaint(page, live, incident_date=tomorrow.isoformat(), complainant_phone="电话1380")
    page.get_by_role("button", name="提交投诉").click()
    errors = page.locator("#form-errors")
    errors.wait_for()
    assert errors.locator("li").count() == 2, errors.inner_text()
    for field, told in (
        ("incident_date", "事发日期不能晚于今天"),
        ("complainant_phone", "联系电话只能包含数字"),
    ):
        box = page.locator(f"#{field}")
        assert box.get_attribute("aria-invalid") == "true", field
        assert box.get_attribute("aria-describedby") == f"{field}-error"
        assert told in page.locator(f"#{field}-error").inner_text()
        assert told in errors.inner_text()
    assert page.locator("#complainant_phone").input_value() == "电话1380"  # kept as typed
    assert log_size(live) == before
    assert_accessible(page, "the form refused on two fields")
