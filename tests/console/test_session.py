"""Signing in and out: server-side sessions, their cookie, idle timeout, CSRF on every form."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.app import create_app
from ledger.access import list_tokens, revoke_token, token_hash
from tests.api.conftest import World, api_settings
from tests.console.conftest import csrf_of, event_count, page_text, sign_in


def test_a_token_signs_in_to_a_server_side_session(client: TestClient, world: World) -> None:
    page = client.get("/console")
    answer = client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), "token": world.tokens["complaints"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "auxledger_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert world.tokens["complaints"] not in cookie and value not in world.tokens["complaints"]
    home = page_text(client.get("/console/home"))
    assert "投诉受理部门" in home and "退出登录" in home
    # signed in, /console goes straight on
    again = client.get("/console", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/console/home"


def test_the_cookie_is_secure_when_served_over_https(world: World) -> None:
    app = create_app(api_settings(world.settings))
    with TestClient(app, base_url="https://testserver") as browser:
        page = browser.get("/console")
        answer = browser.post(
            "/console/sign-in",
            data={"csrf": csrf_of(page.text), "token": world.tokens["inspector"]},
            follow_redirects=False,
        )
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "auxledger_session" in c)
        assert "Secure" in cookie


def test_a_wrong_token_is_refused_in_chinese_and_opens_nothing(
    client: TestClient, world: World
) -> None:
    page = client.get("/console")
    answer = client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), "token": "axl_" + "A" * 43},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert "令牌无效" in page_text(answer)
    # What to do next: check what was pasted, else ask the administrator for a new token.
    assert "请联系系统管理员签发新令牌" in page_text(answer)
    assert not any("auxledger_session=" in c for c in answer.headers.get_list("set-cookie"))
    assert client.get("/console/home").status_code == 401
    revoked = client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(client.get("/console").text), "token": world.tokens["revoked"]},
    )
    assert revoked.status_code == 401 and "令牌已被吊销" in revoked.text
    assert "请联系系统管理员签发新令牌" in revoked.text


def test_the_sign_in_page_tells_an_officer_where_a_token_comes_from_without_commands(
    client: TestClient,
) -> None:
    """The page is for officers: who gives a token and whom to ask, no command line."""
    page = page_text(client.get("/console"))
    assert "系统管理员" in page and "联系系统管理员" in page
    assert "auxledger" not in page and "<code>" not in page


def test_sign_in_without_its_csrf_token_is_refused(client: TestClient, world: World) -> None:
    client.get("/console")
    answer = client.post(
        "/console/sign-in", data={"token": world.tokens["admin"]}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "表单已失效" in page_text(answer)
    # a token from another browser's page (no matching nonce cookie) is refused too
    other = TestClient(client.app)
    foreign = csrf_of(other.get("/console").text)
    answer = client.post(
        "/console/sign-in",
        data={"csrf": foreign, "token": world.tokens["admin"]},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert client.get("/console/home").status_code == 401


def test_sign_out_needs_the_csrf_token_and_ends_the_session(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    before = event_count(world)
    refused = client.post("/console/sign-out", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/console/home").status_code == 200
    out = client.post("/console/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console"
    answer = client.get("/console/home")
    assert answer.status_code == 401 and "登录已过期" in page_text(answer)
    assert event_count(world) == before


def test_an_idle_session_ends(world: World) -> None:
    app = create_app(api_settings(world.settings, console_idle_seconds=0.3))
    with TestClient(app) as browser:
        sign_in(browser, world.tokens["inspector"])
        time.sleep(0.5)
        assert browser.get("/console/home").status_code == 401


def test_a_revoked_token_ends_its_sessions_at_once(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["discipline"])
    assert client.get("/console/home").status_code == 200
    wanted = token_hash(world.tokens["discipline"])
    token = next(t for t in list_tokens(world.ledger) if t.token_hash == wanted)
    revoke_token(world.ledger, token.id, reason="left the office", revoked_by="test")
    answer = client.get("/console/home")
    assert answer.status_code == 401 and "令牌已被吊销" in page_text(answer)


def test_every_console_post_is_refused_without_its_csrf_token(
    client: TestClient, world: World
) -> None:
    from fastapi.routing import APIRoute  # noqa: PLC0415

    from api.console.staff import router as staff_router  # noqa: PLC0415

    sign_in(client, world.tokens["complaints"])
    before = event_count(world)
    ids = {
        "auxiliary_id": str(world.auxiliary),
        "complaint_id": str(world.complaint),
        "name": "personnel_status",
    }
    posts = [
        r.path
        for r in staff_router.routes
        if isinstance(r, APIRoute) and "POST" in r.methods and r.path.startswith("/console")
    ]
    assert len(posts) >= 7
    for path in posts:
        url = path.format(slug="acknowledge", **ids)
        answer = client.post(url, data={"reason": "x", "q": "李", "token": "x"})
        assert answer.status_code == 403, (path, answer.status_code)
        # the CSRF refusal, or the role's (a page the role may not use refuses first)
        assert "表单已失效" in answer.text or "无权" in answer.text, path
    assert event_count(world) == before
    assert client.get("/console/home").status_code == 200  # still signed in
