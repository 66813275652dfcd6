"""Every page in a real browser: nothing leaves 127.0.0.1, no console error, no sideways
scrolling at 1366x768 or 390x844, no serious or critical axe-core violation, a screenshot each;
and no page's HTML names an outside URL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    LiveServer,
    assert_accessible,
    assert_no_horizontal_scroll,
    assert_no_outside_url,
    screenshot,
    watch_of,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The API docs are the same document on either backend (the OpenAPI schema): one is enough.
DOCS_PAGES = {
    "docs": ("/docs", ".swagger-ui .opblock"),
    "redoc": ("/redoc", "#redoc h1"),
}
ONE_BACKEND = pytest.mark.parametrize("live", ["sqlite"], indirect=True)


def check_page(page: Page, live: LiveServer, name: str, path: str, ready: str) -> None:
    """Visit at both sizes: ready, fits, accessible, screenshot."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        answer = page.goto(live.url(path))
        assert answer is not None and answer.ok, (path, answer and answer.status)
        assert_no_outside_url(answer.text(), path)
        page.wait_for_selector(ready, state="attached")
        page.wait_for_load_state("networkidle")
        assert_no_horizontal_scroll(page)
        assert_accessible(page, f"{path} at {label}")
        screenshot(page, f"{live.backend}-{name}-{label}")
    assert not watch_of(page).problems(), watch_of(page).problems()


@ONE_BACKEND
@pytest.mark.parametrize("name", sorted(DOCS_PAGES))
def test_docs_page(page: Page, live: LiveServer, name: str) -> None:
    path, ready = DOCS_PAGES[name]
    check_page(page, live, name, path, ready)


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
