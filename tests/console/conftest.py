"""Console fixtures: the API's world (both backends) and helpers to act as a signed-in person."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.commands.complaint import TakeComplaint
from domain.values import Actor
from ledger.records import Envelope
from tests.api.conftest import (  # noqa: F401 - fixtures
    ORGAN,
    World,
    accesses,
    app,
    client,
    event_count,
    world,
)

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
CLOSED_HISTORY = (
    "接收投诉",
    "签收投诉",
    "受理投诉",
    "指派调查人员",
    "作出调查结论",
    "告知投诉人",
    "结案",
)
"""The history of a complaint worked from receipt to closure, as the console labels it."""


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


def page_text(response: Any) -> str:
    """The HTML of a page answer (asserting it is one)."""
    assert response.headers["content-type"].startswith("text/html"), response.headers
    return str(response.text)


def take_unnamed(of: World) -> UUID:
    """A 110 complaint the office took about an auxiliary it could not yet name."""
    return of.ledger.take_complaint(
        TakeComplaint(
            channel="hotline_110",
            outside_reference="110-20260105-0815",
            subject_description="骑电动车的辅警",
            incident_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
            incident_place="人民路与青年路路口",
            allegations=["执勤时态度恶劣"],
        ),
        Envelope(Actor("setup-complaints", "complaints", ORGAN, None)),
    ).originator_id
