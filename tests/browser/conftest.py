"""Browser tests: Debian's chromium, driven by Playwright, against a real server.

- ``live``: one real ``uvicorn`` server per backend (SQLite file, PostgreSQL schema) for the
  whole session, in a thread of this process, on a free 127.0.0.1 port, over a fresh ledger
  holding the synthetic demo data (``load_demo``, seed 1, as ``scripts/run`` loads it), with
  one token per role of the demo organ and the projection workers running as under ``serve``.
- ``browser``: ``/usr/bin/chromium`` (``AUXLEDGER_TEST_CHROMIUM`` to use another), never
  Playwright's own download, headless, with a fresh user-data-dir for the session.
- ``page``: a new tab with no cookies that records every request (one that goes anywhere but
  the live server is stopped, and fails the test) and every console error or uncaught page
  error (each fails the test).
- ``assert_accessible(page)``: runs the vendored axe-core in the page; serious or critical
  violations fail the test.
- ``screenshot(page, name)``: saves a PNG under ``test-artifacts/screenshots/`` (git-ignored).

Without chromium or the ``playwright`` package the tests skip with a loud warning; under
``CI=true`` they fail instead (``scripts/test`` installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from api.app import create_app
from api.demo import load_demo
from ledger.access import issue_token
from ledger.config import Settings
from ledger.records import AuxLedger
from projections.service import ProjectionSupervisor, ReadModels
from tests.api.conftest import ROLES, api_settings, catch_up
from tests.conftest import PostgresServer, make_settings, new_schema
from tests.serving import free_port

if TYPE_CHECKING:
    from playwright.sync_api import (
        BrowserContext,
        ConsoleMessage,
        Page,
        Playwright,
        Response,
        Route,
    )

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("AUXLEDGER_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "api" / "console" / "static" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_ORGAN = "320602"  # scripts/run's demo organ and unit
DEMO_UNIT = "320602-001"
DEMO_OFFICERS = 60
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _missing(message: str) -> None:
    """Fail under CI=true; elsewhere skip, loudly."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message} (scripts/test installs it)", pytrace=False)
    warnings.warn(f"SKIPPING THE BROWSER TESTS: {message}; run scripts/test", stacklevel=1)
    pytest.skip(message)


@dataclass
class LiveServer:
    """A real server over a demo ledger on one backend."""

    backend: str
    base_url: str
    ledger: AuxLedger
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + path

    def catch_up(self) -> None:
        """Bring every read model up to the ledger's head now (not at the workers' next poll)."""
        catch_up(self.ledger)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One live server per backend for the whole session."""
    backend: str = request.param
    home = tmp_path_factory.mktemp(f"live-{backend}")
    if backend == "sqlite":
        url = f"sqlite:///{home / 'ledger.sqlite'}"
    else:
        server: PostgresServer | None = request.getfixturevalue("postgres_server")
        if server is None:
            pytest.skip("PostgreSQL not available (see the warning above)")
        url = server.url(new_schema())
    settings = make_settings(home, url)
    ledger = AuxLedger(settings, create_tables=True)
    ledger.initialise("browser-test")
    load_demo(ledger, officers=DEMO_OFFICERS, seed=1)
    tokens = {
        role: issue_token(
            ledger,
            role=role,
            organ=DEMO_ORGAN,
            unit=DEMO_UNIT if role == "unit" else None,
            label=f"browser {role}",
            issued_by="browser-test",
        ).secret
        for role in ROLES
    }
    catch_up(ledger)
    models = ReadModels(ledger)
    supervisor = ProjectionSupervisor(models, poll_interval=0.2)
    supervisor.start()
    app = create_app(api_settings(settings, ledger_organ=DEMO_ORGAN))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server_ = uvicorn.Server(config)
    thread = threading.Thread(target=server_.run, name=f"live-{backend}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server_.started:
        assert thread.is_alive(), "the live server stopped while starting"
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.05)
    try:
        yield LiveServer(backend, f"http://127.0.0.1:{port}", ledger, settings, tokens)
    finally:
        server_.should_exit = True
        thread.join(timeout=30)
        supervisor.stop()
        models.close()
        ledger.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver for the session."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    """Debian's chromium, headless, with a fresh user-data-dir (one context per session)."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=DESKTOP,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Watch:
    """What a page asked for and complained about."""

    origin: str
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    documents: dict[str, int] = field(default_factory=dict)
    """Status of each page (document) answered, by URL."""
    refusals: set[int] = field(default_factory=set)
    """Statuses a test expects a page to answer with (a refused form): Chromium reports such
    a page as a failed load in the console, which then is not an error of the page."""

    def expect_refusal(self, status: int) -> None:
        """Accept pages answering with this status (e.g. 422 for a form sent back to fix)."""
        self.refusals.add(status)

    def is_expected(self, text: str, url: str) -> bool:
        """A console message that only reports a page answered with an expected status."""
        status = self.documents.get(url)
        return (
            status in self.refusals
            and text.startswith("Failed to load resource")
            and f"status of {status} " in text
        )

    def problems(self) -> list[str]:
        """Requests that left the live server, and console or page errors."""
        return [f"request outside the server: {u}" for u in self.outside] + [
            f"console error: {e}" for e in self.errors
        ]


def _is_local(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True  # built in the page: nothing leaves the browser
    return f"{parts.scheme}://{parts.netloc}" == origin


@pytest.fixture
def page(browser: BrowserContext, live: LiveServer) -> Iterator[Page]:
    """A fresh tab on the live server; any outside request or console error fails the test."""
    browser.clear_cookies()
    tab = browser.new_page()
    tab.set_viewport_size(DESKTOP)
    watch = Watch(origin=live.base_url)

    def route(route: Route) -> None:
        url = route.request.url
        watch.requests.append(url)
        if _is_local(url, watch.origin):
            route.continue_()
        else:
            watch.outside.append(url)
            route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location.get("url", "")
            if not watch.is_expected(message.text, location):
                watch.errors.append(f"{message.text} ({location})")

    def response(answer: Response) -> None:
        if answer.request.resource_type == "document":
            watch.documents[answer.url] = answer.status

    tab.route("**/*", route)
    tab.on("response", response)
    tab.on("console", console)
    tab.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))
    tab.watch = watch  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        tab.close()
    assert not watch.problems(), watch.problems()


def watch_of(page: Page) -> Watch:
    """The request and error record of a ``page`` fixture's tab."""
    found: Watch = page.watch  # type: ignore[attr-defined]
    return found


def assert_accessible(page: Page, context: str = "") -> None:
    """axe-core (vendored) in the page: no serious or critical violation.

    The script is evaluated through the DevTools protocol, so the page's own
    Content-Security-Policy (no inline script) stays in force for everything else.
    """
    page.wait_for_load_state("load")  # the stylesheet too: contrast is judged on it
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    assert not violations, f"axe on {context or page.url}: {violations}"


def assert_no_horizontal_scroll(page: Page) -> None:
    """The page fits the viewport's width: nothing to scroll sideways.

    Measured once the page has loaded: a click that submits a form returns when the new page
    commits, and an element can be found before the stylesheet has arrived; a table laid out
    without it is wider than a phone (seen once in CI under load: 553 px at 390).
    """
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if widths[0] <= widths[1]:
        return
    # Name the culprits: the innermost elements reaching past the right edge.
    wide = page.evaluate(
        """(limit) => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > limit + 0.5)
            .filter(e => !Array.from(e.children).some(
                c => c.getBoundingClientRect().right > limit + 0.5))
            .slice(0, 5)
            .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
                      `${e.className ? '.' + String(e.className).split(' ').join('.') : ''}` +
                      ` right=${Math.round(e.getBoundingClientRect().right)}` +
                      ` text=${(e.textContent || '').trim().slice(0, 60)}`)""",
        widths[1],
    )
    raise AssertionError(
        f"{page.url} scrolls sideways at {page.viewport_size}: {widths}; too wide: {wide}"
    )


OUTSIDE_URL = re.compile(
    # any absolute URL (XML namespaces aside), or a protocol-relative one (another host)
    r"""\b(?:https?|wss?|ftp)://(?!www\.w3\.org/)[^\s"'<>)]*"""
    r"""|\b(?:src|href|action|srcset|poster|data|formaction)\s*=\s*["']?\s*//[^\s"'<>]*"""
    r"""|url\(\s*["']?\s*//[^\s"'<>)]*""",
    re.IGNORECASE,
)


def assert_no_outside_url(html: str, where: str) -> None:
    """A page's HTML names no outside URL at all: no absolute URL (XML namespaces aside) and
    no protocol-relative reference in an attribute or a ``url(...)``."""
    found = [m.group(0) for m in OUTSIDE_URL.finditer(html)]
    assert not found, f"{where} names an outside URL: {found[:5]}"


def screenshot(page: Page, name: str) -> Path:
    """Save a screenshot as a test artefact (the whole page unless it is very long); its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.screenshot(path=str(path), full_page=height <= 4000)
    return path


def assert_page_sound(page: Page, name: str, label: str, shot: str) -> None:
    """The page as it stands at the size ``label``: no sideways scrolling, no serious axe
    violation; saved as the screenshot ``shot``."""
    assert_no_horizontal_scroll(page)
    assert_accessible(page, f"{name} at {label}")
    screenshot(page, shot)
