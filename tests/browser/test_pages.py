"""Every page in a real browser: nothing leaves 127.0.0.1, no console error, no sideways
scrolling at 1366x768 or 390x844, no serious or critical axe-core violation, a screenshot each;
and no page's HTML names an outside URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from api.routers.queries import report_readers
from projections.reports import REPORTS
from tests.browser.conftest import (
    DEMO_UNIT,
    DESKTOP,
    PHONE,
    LiveServer,
    assert_no_outside_url,
    assert_page_sound,
    watch_of,
)
from tests.browser.test_public import fill_complaint
from tests.browser.test_staff import demo_auxiliaries, new_complaint, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

# Pages a GET reaches, and a selector that is there once each is ready.
PUBLIC_PAGES = {
    "public-complaint": ("/", "form.public-form"),
    "public-track": ("/track", "#code"),
    "public-check": ("/check", "#receipt-text"),
}
# The API docs are the same document on either backend (the OpenAPI schema): one is enough.
DOCS_PAGES = {
    "docs": ("/docs", ".swagger-ui .opblock"),
    "redoc": ("/redoc", "#redoc h1"),
}
ONE_BACKEND = pytest.mark.parametrize("live", ["sqlite"], indirect=True)


def check_page(
    page: Page, live: LiveServer, name: str, visit: Callable[[], Response | None], ready: str
) -> None:
    """Open the page at both sizes (``visit`` answers the page's own response): ready, no
    outside URL in its HTML, fits, accessible, a screenshot; no outside request or console
    error all along (the ``page`` fixture)."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        answer = visit()
        assert answer is not None and answer.ok, (name, answer and answer.status)
        assert_no_outside_url(answer.text(), name)
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        assert_page_sound(page, name, label, f"{live.backend}-{name}-{label}")
    assert not watch_of(page).problems(), watch_of(page).problems()


def get(page: Page, live: LiveServer, path: str) -> Callable[[], Response | None]:
    """A visit by URL."""
    return lambda: page.goto(live.url(path))


def submit(page: Page, prepare: Callable[[], None], button: str) -> Callable[[], Response | None]:
    """A visit by filling in a form and pressing its button: the page the POST answers."""

    def visit() -> Response | None:
        prepare()
        with page.expect_response(lambda r: r.request.resource_type == "document") as answer:
            page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        return answer.value

    return visit


@pytest.mark.parametrize("name", sorted(PUBLIC_PAGES))
def test_public_page(page: Page, live: LiveServer, name: str) -> None:
    path, ready = PUBLIC_PAGES[name]
    check_page(page, live, name, get(page, live, path), ready)


def test_public_pages_after_a_complaint(page: Page, live: LiveServer) -> None:
    """The receipt page (the answer to the form) and the tracking page of that complaint."""
    check_page(
        page,
        live,
        "public-receipt",
        submit(page, lambda: fill_complaint(page, live), "提交投诉"),
        "#tracking-code",
    )
    code = page.locator("#tracking-code").inner_text().strip()

    def enter_code() -> None:
        page.goto(live.url("/track"))
        page.locator("#code").fill(code)

    check_page(
        page, live, "public-track-status", submit(page, enter_code, "查询"), "#complaint-status"
    )


@ONE_BACKEND
def test_a_missing_page_is_a_chinese_404_page_that_leads_back(page: Page, live: LiveServer) -> None:
    """A mistyped address answers the browser a Chinese page, not the API's English problem:
    a public one leads to the public pages, a staff one to the staff home, never across."""
    watch_of(page).expect_refusal(404)
    for name, path, home, other in (
        ("public-404", "/no-such-page", "/", "/console"),
        ("staff-404", "/console/no-such-page", "/console", "/"),
    ):
        answer = page.goto(live.url(path))
        assert answer is not None and answer.status == 404, name
        assert answer.headers["content-type"].startswith("text/html"), name
        assert page.locator("h1").inner_text() == "未找到该页面或记录"
        assert "no resource at this path" not in page.content()
        links = [a.get_attribute("href") for a in page.locator("main a").all()]
        assert home in links and other not in links, (name, links)
        assert_page_sound(page, name, "desktop", f"{live.backend}-{name}")
        page.locator(f'main a[href="{home}"]').click()
        page.wait_for_load_state()
        assert page.url == live.url(home), name


@ONE_BACKEND
@pytest.mark.parametrize("name", sorted(DOCS_PAGES))
def test_docs_page(page: Page, live: LiveServer, name: str) -> None:
    path, ready = DOCS_PAGES[name]
    check_page(page, live, name, get(page, live, path), ready)


@ONE_BACKEND
def test_swagger_try_it_out_files_the_example_complaint(page: Page, live: LiveServer) -> None:
    """The intake example, sent from /docs as it stands, is accepted (201) by the demo."""
    page.goto(live.url("/docs"))
    operation = page.locator("#operations-public-file_complaint_v1_complaints_post")
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("201"), status.inner_text()
    answered = operation.locator(".live-responses-table").inner_text()
    assert re.search(r'"tracking_code":\s*"', answered), answered


def _report_reader(report: str) -> str:
    """A role that may read the report (not the inspector, who would first give a reason)."""
    roles = [r.value for r in report_readers(report)]
    return next((r for r in roles if r != "inspector"), roles[0])


# Staff pages: (role signed in, path, selector once ready); {auxiliary} and {complaint} are
# a demo auxiliary of the demo unit and a complaint about it. Add a page here when one lands.
STAFF_PAGES: dict[str, tuple[str | None, str, str]] = {
    "staff-signin": (None, "/console", "#token"),
    **{
        f"staff-home-{role}": (role, "/console/home", "main h1")
        for role in ("complaints", "inspector", "personnel", "unit", "discipline", "auditor")
    },
    "staff-search": ("inspector", "/console/search", "main form"),
    "staff-complaints": ("complaints", "/console/complaints", "main h1"),
    "staff-complaint": ("complaints", "/console/complaints/{complaint}", "details.action"),
    "staff-intake": ("complaints", "/console/intake", "main form"),
    "staff-dossier": ("personnel", "/console/auxiliaries/{auxiliary}", "main h1"),
    "staff-dossier-reason": ("inspector", "/console/auxiliaries/{auxiliary}", "main form"),
    "staff-reports": ("discipline", "/console/reports", "main h1"),
    **{
        f"staff-report-{name}": (_report_reader(name), f"/console/reports/{name}", "main h1")
        for name in REPORTS
    },
    "staff-integrity": ("auditor", "/console/integrity", "main h1"),
}


@pytest.fixture(scope="module")
def staff_records(live: LiveServer) -> dict[str, str]:
    """A demo auxiliary of the demo unit and a new complaint about it (once per backend)."""
    auxiliary = demo_auxiliaries(live, DEMO_UNIT)[0].auxiliary_id
    complaint = new_complaint(live, auxiliary, "人民路（页面测试）")
    return {"auxiliary": str(auxiliary), "complaint": str(complaint)}


@pytest.mark.parametrize("name", sorted(STAFF_PAGES))
def test_staff_page(page: Page, live: LiveServer, staff_records: dict[str, str], name: str) -> None:
    role, path, ready = STAFF_PAGES[name]
    if role is not None:
        sign_in(page, live, role)
    check_page(page, live, name, get(page, live, path.format(**staff_records)), ready)
