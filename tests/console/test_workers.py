"""Sessions live in one server: the workers of one ``serve`` share them through a SQLite
file (``SESSIONS_ENV``); another server (another host, or one restarted) does not know them.
A request that lands on such a server gets the Chinese "sign in again" page, never a 500,
and records nothing. Two apps over one ledger stand for two servers, each with its own
session store, or for two workers of one server when they are given one sessions file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.console.staff_session import SESSIONS_ENV, create_sessions_file
from tests.api.conftest import World, api_settings
from tests.console.conftest import csrf_of, event_count, sign_in


def _signed_in_page(answer: object) -> None:
    assert answer.status_code == 401, answer.text  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert "重新登录" in text and 'href="/console"' in text


def test_a_session_unknown_to_this_server_asks_to_sign_in_again(world: World) -> None:
    first = create_app(api_settings(world.settings))
    second = create_app(api_settings(world.settings))
    assert first.state.console_sessions is not second.state.console_sessions
    with TestClient(first) as one, TestClient(second) as other:
        csrf = sign_in(one, world.tokens["inspector"])
        aux, complaint = world.auxiliary, world.complaint
        one.post(f"/console/auxiliaries/{aux}/reason", data={"csrf": csrf, "reason": "核查"})
        other.cookies.update(one.cookies)  # the same browser, its next request on the other
        before = event_count(world)
        for path in (
            "/console/home",
            "/console/search",
            f"/console/auxiliaries/{aux}",
            f"/console/auxiliaries/{aux}/proof/1.json",
            "/console/complaints",
            f"/console/complaints/{complaint}",
            "/console/reports",
            "/console/reports/personnel_status",
            "/console/reports/personnel_status/csv",
            "/console/integrity",
        ):
            _signed_in_page(other.get(path))
        for path, data in (
            ("/console/search", {"csrf": csrf, "q": "李"}),
            (f"/console/auxiliaries/{aux}/reason", {"csrf": csrf, "reason": "核查"}),
            ("/console/search/reason", {"csrf": csrf, "reason": "核查"}),
            (f"/console/complaints/{complaint}/acknowledge", {"csrf": csrf, "version": "1"}),
            ("/console/integrity/verify", {"csrf": csrf}),
            ("/console/sign-out", {"csrf": csrf}),
        ):
            _signed_in_page(other.post(path, data=data))
        assert event_count(world) == before  # nothing read, nothing recorded
        # /console on that worker offers the sign-in form; signing in there works
        assert 'name="token"' in other.get("/console").text
        sign_in(other, world.tokens["inspector"])
        assert other.get("/console/home").status_code == 200
        assert one.get("/console/home").status_code == 200  # the first session still lives


def test_the_sign_in_form_of_one_worker_signs_in_on_another(world: World) -> None:
    first = create_app(api_settings(world.settings))
    second = create_app(api_settings(world.settings))
    with TestClient(first) as one, TestClient(second) as other:
        form = one.get("/console")  # the form and its nonce cookie from one worker
        other.cookies.update(one.cookies)
        answer = other.post(
            "/console/sign-in",
            data={"csrf": csrf_of(form.text), "token": world.tokens["personnel"]},
            follow_redirects=False,
        )
        assert answer.status_code == 303  # the CSRF key is the servers' shared secret
        one.cookies.update(other.cookies)
        _signed_in_page(one.get("/console/home"))  # the session is the other worker's
        assert other.get("/console/home").status_code == 200


def test_two_workers_given_one_sessions_file_share_sessions_and_reasons(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "console-sessions.sqlite"
    create_sessions_file(shared)
    monkeypatch.setenv(SESSIONS_ENV, str(shared))  # as serve sets it for its workers
    first = create_app(api_settings(world.settings))
    second = create_app(api_settings(world.settings))
    with TestClient(first) as one, TestClient(second) as other:
        csrf = sign_in(one, world.tokens["inspector"])
        aux = world.auxiliary
        one.post(f"/console/auxiliaries/{aux}/reason", data={"csrf": csrf, "reason": "核查"})
        other.cookies.update(one.cookies)
        page = other.get(f"/console/auxiliaries/{aux}")  # the reason given on the first
        assert page.status_code == 200 and 'name="reason"' not in page.text
        assert other.post("/console/sign-out", data={"csrf": csrf}).status_code in (200, 303)
        _signed_in_page(one.get("/console/home"))  # signed out on the other: ended here too
