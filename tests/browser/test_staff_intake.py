"""The complaints office takes a telephone complaint in a real browser (Debian's chromium),
on SQLite and PostgreSQL: a form missing the 12389 number is told so in Chinese next to the
field, with what was typed kept and nothing recorded; completed, it is recorded and the
tracking code is shown, which then finds the complaint on the public tracking page.

The pages are checked as every staff page is: both sizes, axe, screenshots, nothing leaving
127.0.0.1, no console error but the expected refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import LiveServer, watch_of
from tests.browser.test_staff import check, events, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_office_takes_a_telephone_complaint_after_fixing_the_form(
    page: Page, live: LiveServer
) -> None:
    sign_in(page, live, "complaints")
    page.get_by_role("link", name="登记投诉").first.click()
    page.wait_for_url("**/console/intake")
    check(page, live, "intake")

    page.select_option("#channel", "hotline_12389")
    page.fill("#subject_description", "骑电动车、穿反光背心的男性辅警（浏览器测试）")
    page.fill("#incident_date", "2026-01-05")
    page.fill("#incident_time", "09:30")
    page.fill("#incident_place", "人民路与青年路路口（浏览器测试）")
    page.fill("#allegation-1", "执勤时态度恶劣")
    page.fill("#complainant_phone", "19900003333")
    before = events(live)
    watch_of(page).expect_refusal(422)
    page.get_by_role("button", name="登记投诉").click()
    page.wait_for_selector("#outside_reference-error")
    assert "须填写外部编号" in page.inner_text("#outside_reference-error")
    assert page.get_attribute("#outside_reference", "aria-invalid") == "true"
    assert page.input_value("#incident_place") == "人民路与青年路路口（浏览器测试）"
    assert page.input_value("#allegation-1") == "执勤时态度恶劣"
    assert page.input_value("#channel") == "hotline_12389"
    assert events(live) == before
    check(page, live, "intake-refused")

    page.fill("#outside_reference", "12389-20260105-0099")
    page.get_by_role("button", name="登记投诉").click()
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code").strip()
    assert len(code) == 21 and code.count("-") == 4
    assert events(live) == before + 1
    check(page, live, "intake-taken")

    live.catch_up()
    page.goto(live.url("/track"))
    page.fill("#code", code)
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert "已接收" in page.inner_text("main")
