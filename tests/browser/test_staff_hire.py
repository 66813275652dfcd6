"""The personnel department hires an auxiliary in a real browser (Debian's chromium), on
SQLite and PostgreSQL: it opens 录用辅警 from its home page, fills the form (the unit and the
value sets as choices), submits, and lands on the new auxiliary's dossier. Each page is
checked as in ``test_staff`` (nothing leaves 127.0.0.1, no console error, no sideways
scrolling, axe, a screenshot)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from api.demo.builders import other_resident_id
from domain.values import china_date
from tests.browser.conftest import DEMO_UNIT, LiveServer
from tests.browser.test_staff import check, events, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_personnel_hires_an_auxiliary_and_lands_on_the_dossier(
    page: Page, live: LiveServer
) -> None:
    today = china_date(datetime.now(tz=UTC))
    sign_in(page, live, "personnel")
    page.click("main a[href='/console/hire']")
    page.wait_for_url("**/console/hire")
    check(page, live, "hire-form")
    before = events(live)
    page.select_option("#hire-unit", DEMO_UNIT)
    page.fill("#hire-supervisor_id", "602010")
    page.fill("#hire-supervisor_name", "王建国")
    page.select_option("#hire-employment_form", "direct_contract")
    page.fill("#hire-contract_start", today.isoformat())
    page.fill("#hire-contract_end", date(today.year + 3, 12, 31).isoformat())
    page.select_option("#hire-post_type", "patrol")
    page.fill("#hire-level", "1")
    page.fill("#hire-name", "孙浏览")
    page.select_option("#hire-gender", "female")
    page.fill("#hire-resident_id", other_resident_id(987 if live.backend == "sqlite" else 988))
    page.fill("#hire-phone", "19900009876")
    page.fill("#hire-address", "南通市崇川区工农路1号")
    page.get_by_role("button", name="录用辅警").click()
    page.wait_for_url("**/console/auxiliaries/*?done=hire")
    assert "已录用" in page.inner_text(".notice.good")
    assert "孙浏览 的档案" in page.inner_text("main h1")
    assert events(live) > before
    check(page, live, "hire-done")
