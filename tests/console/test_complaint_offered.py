"""The complaint page offers only the commands the complaint's state allows
(``Complaint.open_commands``), the step expected next first and marked, with a Chinese line
saying what the state allows; a command posted anyway is refused by the domain, in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.routers import complaints as complaint_routes
from domain.complaint import HANDLING_COMMANDS
from domain.values import china_date
from tests.api.conftest import World
from tests.console.conftest import event_count, page_text, sign_in, take_unnamed
from tests.console.test_complaints import LAST, act, by_api, decline_and_tell, offered


def _hint(page: str) -> str:
    """The line above the forms (or in their place) saying what the state allows."""
    found = re.search(r'<p class="notice" id="forms-hint">(.*?)</p>', page)
    assert found, "no line on what the state allows"
    return found.group(1)


def _next(page: str) -> list[str]:
    """The forms marked as the step expected next."""
    return re.findall(r'<details class="action next">\s*<summary>(.*?)</summary>', page)


def test_a_received_complaint_offers_acknowledgement_first_and_withdrawal(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.tokens["complaints"])
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == ["签收", "登记撤回"]
    assert _next(page) == ["签收"]
    assert _hint(page) == "已接收：可签收、登记撤回。下一步：签收。"
    for slug in ("/accept", "/decline", "/record-finding", "/close", "/reopen", "/request-review"):
        assert f'{world.complaint}{slug}"' not in page, slug
    by_api(client, world, ("acknowledge", {}))
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == ["受理", "不予受理", "登记撤回"] and _next(page) == ["受理"]
    assert _hint(page) == "已签收：可受理、不予受理、登记撤回。下一步：受理。"


def test_the_step_expected_next_comes_first_out_of_the_process_order(
    client: TestClient, world: World
) -> None:
    """Under investigation the finding is expected, though a reassignment comes before it in
    the process."""
    today = china_date(datetime.now(tz=UTC)).isoformat()
    by_api(
        client,
        world,
        ("acknowledge", {}),
        ("accept", {"category": "执勤态度"}),
        ("assign", {"investigator_id": "602099", "due": today}),
    )
    sign_in(client, world.tokens["complaints"])
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == ["记录调查结论", "指派调查人员", "登记撤回"]
    assert _next(page) == ["记录调查结论"]


def test_a_command_the_state_does_not_offer_posted_anyway_is_refused_in_chinese(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    answer = act(client, world, csrf, "reopen", reason="投诉人提供新证据")
    assert answer.status_code == 409  # type: ignore[attr-defined]
    html = page_text(answer)
    assert "当前状态（已接收）下不能重新办理" in html
    assert "未记录任何内容。" in html and "已填写的内容保留在下方表单中" not in html
    assert "投诉人提供新证据" not in html  # the form is not offered: nothing typed shown
    assert offered(html) == ["签收", "登记撤回"]
    assert event_count(world) == LAST["before"] + 1  # the page shown again: one read


def test_a_closed_complaint_offers_only_what_is_left_and_says_nothing_is_due(
    client: TestClient, world: World
) -> None:
    """Withdrawn and closed: it may be reopened (and the outbox still takes a message);
    nothing is expected next."""
    by_api(client, world, ("withdraw", {"reason": "投诉人撤回"}), ("close", {}))
    sign_in(client, world.tokens["complaints"])
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == ["排队告知投诉人", "重新办理"] and _next(page) == []
    assert _hint(page) == "已结案：可排队告知投诉人、重新办理。"


def test_a_closed_complaint_with_its_review_pending_gives_the_office_nothing_to_do(
    client: TestClient, world: World
) -> None:
    decline_and_tell(client, world)
    by_api(client, world, ("close", {}), ("request-review", {"reasons": "投诉人不服"}))
    office = TestClient(client.app)
    sign_in(office, world.tokens["complaints"])
    page = page_text(office.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == ["排队告知投诉人"]  # reopening waits for the review's decision
    assert "/reopen" not in page
    assert _hint(page) == (
        "已结案：可排队告知投诉人。下一步：作出复查决定（由督察部门、纪检监察部门办理）。"
    )
    inspector = TestClient(client.app)
    csrf = sign_in(inspector, world.tokens["inspector"])
    inspector.post(
        f"/console/complaints/{world.complaint}/reason", data={"csrf": csrf, "reason": "复查"}
    )
    page = page_text(inspector.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == ["作出复查决定"] and _next(page) == ["作出复查决定"]
    by_api(client, world, ("decide-review", {"outcome": "changed", "reasons": "应予受理"}))
    page = page_text(inspector.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == [] and "已结案：暂无可办理的事项。下一步：重新办理" in _hint(page)
    page = page_text(office.get(f"/console/complaints/{world.complaint}"))
    assert offered(page) == ["重新办理", "排队告知投诉人"] and _next(page) == ["重新办理"]


def test_an_unnamed_complaint_links_to_matching_only_while_it_may_be_matched(
    client: TestClient, world: World
) -> None:
    taken = take_unnamed(world)
    sign_in(client, world.tokens["complaints"])
    page = page_text(client.get(f"/console/complaints/{taken}"))
    assert f"/console/complaints/{taken}/subject" in page
    answer = client.post(
        f"/v1/complaints/{taken}/withdraw",
        headers=world.headers("complaints"),
        json={"reason": "投诉人撤回"},
    )
    assert answer.status_code == 200, answer.text
    page = page_text(client.get(f"/console/complaints/{taken}"))
    assert "未具名：骑电动车的辅警" in page and f"/console/complaints/{taken}/subject" not in page
    assert offered(page) == ["结案"] and _next(page) == ["结案"]


def test_every_complaint_form_is_a_command_the_domain_answers_for() -> None:
    """A form whose command ``open_commands`` did not know would never be offered."""
    assert {command.name for command in complaint_routes.COMMANDS} <= set(HANDLING_COMMANDS)
