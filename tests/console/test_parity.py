"""Access-rule parity: for every role, a console page or action is open exactly when the API
route it stands for admits the role (one place decides: the routers' role tuples)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from projections.reports import REPORTS
from tests.api.conftest import ROLES, World
from tests.console.conftest import event_count, sign_in


def pairs(world: World) -> list[tuple[str, str]]:
    aux, complaint = world.auxiliary, world.complaint
    listed = [
        ("/console/search", "/v1/auxiliaries"),
        (f"/console/auxiliaries/{aux}", f"/v1/auxiliaries/{aux}"),
        (f"/console/auxiliaries/{aux}/proof/1.json", f"/v1/auxiliaries/{aux}/timeline"),
        ("/console/complaints", "/v1/complaints"),
        (f"/console/complaints/{complaint}", f"/v1/complaints/{complaint}"),
        (f"/console/complaints/{complaint}/proof/1.json", f"/v1/complaints/{complaint}/history"),
    ]
    listed += [
        (f"/console/reports/{name}", f"/v1/reports/{name.replace('_', '-')}") for name in REPORTS
    ]
    return listed


def test_every_page_admits_exactly_the_roles_of_its_api_route(
    client: TestClient, world: World
) -> None:
    checked = 0
    for role in ROLES:
        browser = TestClient(client.app)
        csrf = sign_in(browser, world.tokens[role])
        for console_path, api_path in pairs(world):
            api = client.get(api_path, headers=world.headers(role)).status_code
            page = browser.get(console_path).status_code
            assert (api == 403) == (page == 403), (role, console_path, page, api_path, api)
            checked += 1
        # a complaint command: the API's gate and the console's, with a stale version so
        # that an admitted role is refused by the ledger (409) and nothing is recorded
        for slug, body in (
            ("acknowledge", {}),
            ("decide-review", {"outcome": "upheld", "reasons": "维持"}),
        ):
            before = event_count(world)
            api = client.post(
                f"/v1/complaints/{world.complaint}/{slug}",
                json=body,
                headers={**world.headers(role), "If-Match": '"99"'},
            ).status_code
            page = browser.post(
                f"/console/complaints/{world.complaint}/{slug}",
                data={"csrf": csrf, "version": "99", **body},
            ).status_code
            assert (api == 403) == (page == 403), (role, slug, page, api)
            # an admitted role is refused by the ledger; the page shown again is a read at most
            assert event_count(world) - before <= (0 if api == 403 else 1), (role, slug)
        api = client.post(
            f"/v1/complaints/{world.complaint}/acknowledge",
            json={},
            headers={**world.headers(role), "If-Match": '"99"'},
        ).status_code
        shown = browser.get(f"/console/complaints/{world.complaint}")
        if shown.status_code == 200 and "说明查阅事由" not in shown.text:
            assert ("<summary>签收</summary>" in shown.text) == (api != 403), role
    assert checked == len(ROLES) * len(pairs(world))
