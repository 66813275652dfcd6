"""Console fixtures: the API's world (both backends) and helpers to act as a signed-in person."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import (  # noqa: F401 - fixtures
    ORGAN,
    World,
    app,
    client,
    world,
)

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF_FIELD.search(html)
    assert found, "no form with a CSRF token on the page"
    return found.group(1)


def sign_in(browser: TestClient, token: str) -> str:
    """Sign in through the form; return the session's CSRF token."""
    page = browser.get("/console")
    assert page.status_code == 200, page.text
    answer = browser.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), "token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/home"
    home = browser.get("/console/home")
    assert home.status_code == 200, home.text
    return csrf_of(home.text)


def event_count(of: World) -> int:
    """How many events the ledger holds (the Merkle log's size)."""
    from ledger.log import MerkleLog  # noqa: PLC0415

    return MerkleLog(of.ledger.ledger_recorder).tree_size()


def page_text(response: Any) -> str:
    """The HTML of a page answer (asserting it is one)."""
    assert response.headers["content-type"].startswith("text/html"), response.headers
    return str(response.text)


def accesses(of: World) -> list[Any]:
    """Every ``RecordAccess`` the ledger holds, oldest first."""
    rows = of.ledger.recorder.select_notifications(
        start=None, limit=1000, topics=["ledger.access:RecordAccess.Recorded"]
    )
    return [of.ledger.repository.get(r.originator_id) for r in rows]
