"""The complaints workbench: the queue, every command as a form, refusals in Chinese, and
nothing recorded by a refused or forged form."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.console.web import cst_date, shown
from api.routers import complaints as complaint_routes
from api.routers import queries as query_routes
from domain.values import china_date
from tests.api.conftest import ORGAN, UNIT, World, catch_up, new_token, receive_complaint
from tests.console.conftest import (
    CLOSED_HISTORY,
    event_count,
    page_text,
    sign_in,
    take_unnamed,
)

LAST: dict[str, int] = {}


def act(client: TestClient, world: World, csrf: str, slug: str, **fields: str) -> object:
    """Post one command's form as the page offers it (reading the page records accesses, so
    the event count before the post is kept in ``LAST``)."""
    page = client.get(f"/console/complaints/{world.complaint}").text
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    LAST["before"] = event_count(world)
    return client.post(
        f"/console/complaints/{world.complaint}/{slug}",
        data={"csrf": csrf, "version": version, **fields},
        follow_redirects=False,
    )


def offered(page: str) -> list[str]:
    """The command forms a complaint page offers, by their Chinese names, in the page's order."""
    return re.findall(r"<summary>(.*?)</summary>", page)


def status_of(client: TestClient, world: World) -> str:
    html = client.get(f"/console/complaints/{world.complaint}").text
    return html.split("<h1>投诉详情 · ", 1)[1].split("</h1>", 1)[0]


def test_the_office_handles_a_complaint_from_receipt_to_closure(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    queue = page_text(client.get("/console/complaints"))
    assert f"/console/complaints/{world.complaint}" in queue and "已接收" in queue
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert "张三" in page and "执勤时态度恶劣" in page  # the office reads the contact in clear
    assert offered(page) == ["签收", "登记撤回"]  # what a received complaint allows
    today = china_date(datetime.now(tz=UTC)).isoformat()
    steps = [
        ("acknowledge", {}, "已签收"),
        ("accept", {"category": "执勤态度"}, "已受理"),
        ("assign", {"investigator_id": "602099", "due": today}, "调查中"),
        (
            "record-finding",
            {
                "allegation_number": "1",
                "result": "sustained",
                "reasoning": "经调取执法记录仪视频，情况属实",
            },
            "已查结",
        ),
        (
            "notify-complainant",
            {"method": "phone", "notified_on": today, "summary": "已电话告知调查结果"},
            "已告知",
        ),
        ("close", {}, "已结案"),
    ]
    for slug, fields, status in steps:
        answer = act(client, world, csrf, slug, **fields)
        assert answer.status_code == 303, (slug, answer.text)  # type: ignore[attr-defined]
        assert event_count(world) == LAST["before"] + 1
        assert status_of(client, world) == status, slug
    done = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert "属实" in done and "经调取执法记录仪视频" in done
    for label in CLOSED_HISTORY:
        assert label in done
    assert "签名有效" in done
    proof = client.get(f"/console/complaints/{world.complaint}/proof/1.json")
    assert proof.status_code == 200 and proof.json()["inclusion"]["verified_by_server"]


def test_a_command_the_domain_refuses_is_shown_in_chinese_and_records_nothing(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    answer = act(client, world, csrf, "close")
    after = event_count(world)
    assert answer.status_code == 409  # type: ignore[attr-defined]
    html = page_text(answer)
    assert "未能办理" in html and "未记录任何内容" in html
    assert "当前状态不允许此操作" in html or "尚未将处理结果告知投诉人" in html
    # the page shown again reads the complaint (one access record); the command left nothing
    assert after == LAST["before"] + 1


def test_a_form_that_fails_its_checks_names_the_field_in_chinese(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    answer = act(client, world, csrf, "decline", reason="")
    assert event_count(world) == LAST["before"] + 1  # the page's read only
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "请检查：原因" in page_text(answer)
    future = act(client, world, csrf, "acknowledge", effective="2099-01-01")
    assert event_count(world) == LAST["before"] + 1
    assert future.status_code == 422 and "日期不能晚于今天" in page_text(future)  # type: ignore[attr-defined]


def test_a_form_without_its_csrf_token_is_refused_and_leaves_no_event(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.tokens["complaints"])
    before = event_count(world)
    answer = client.post(f"/console/complaints/{world.complaint}/acknowledge", data={})
    assert answer.status_code == 403 and "表单已失效" in page_text(answer)
    forged = client.post(
        f"/console/complaints/{world.complaint}/acknowledge", data={"csrf": "x" * 43}
    )
    assert forged.status_code == 403
    assert event_count(world) == before
    assert status_of(client, world) == "已接收"


def test_other_roles_see_no_office_forms_and_a_forced_post_gets_403(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["discipline"])
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert "执勤时态度恶劣" in page and "张三" not in page  # masked for discipline
    assert offered(page) == []  # its one command decides a review: none is pending
    assert "已接收：暂无可办理的事项。下一步：签收（由投诉受理部门办理）。" in page
    assert "/acknowledge" not in page
    before = event_count(world)
    forced = client.post(f"/console/complaints/{world.complaint}/acknowledge", data={"csrf": csrf})
    assert forced.status_code == 403 and "您的角色无权进行此操作" in page_text(forced)
    assert event_count(world) == before


def test_an_inspector_states_a_reason_before_reading_a_complaint(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    ask = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert "说明查阅事由" in ask and "执勤时态度恶劣" not in ask
    page = page_text(
        client.post(
            f"/console/complaints/{world.complaint}/reason", data={"csrf": csrf, "reason": "督察"}
        )
    )
    assert "执勤时态度恶劣" in page and "张三" in page  # an inspector with a reason, as the API


def test_the_queue_puts_overdue_complaints_first_and_marks_them(
    client: TestClient, world: World
) -> None:
    old = receive_complaint(
        world.ledger,
        world.other_unit_auxiliary,
        date(2026, 1, 3),
        channel="hotline_12389",
        incident_at=datetime(2026, 1, 2, 8, 0, tzinfo=UTC),
        incident_place="青年路",
        allegations=["未按规定着装"],
    )
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/complaints"))
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    assert f"/console/complaints/{old}" in rows[0] and 'class="overdue"' in rows[0]
    assert "已逾期" in rows[0] and "赵强" in rows[0]
    assert f"/console/complaints/{world.complaint}" in rows[1] and "已逾期" not in rows[1]
    assert "其中 <strong>1</strong> 件已逾期" in html
    refused = client.get("/console/complaints?status=nonsense")
    assert refused.status_code == 200 and "筛选条件的取值不允许" in refused.text


def test_the_history_names_who_recorded_each_step_by_the_tokens_label(
    client: TestClient, world: World
) -> None:
    named = new_token(world.ledger, "complaints", "投诉办 王警官", issued_by="t").secret
    csrf = sign_in(client, named)
    assert act(client, world, csrf, "acknowledge").status_code == 303  # type: ignore[attr-defined]
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    history = page.split('id="h-history"', 1)[1]
    assert "投诉办 王警官" in history and "public-intake" in history


def test_an_unnamed_complaint_shows_its_channel_and_no_auxiliary(
    client: TestClient, world: World
) -> None:
    taken = take_unnamed(world)
    sign_in(client, world.tokens["complaints"])
    page = page_text(client.get(f"/console/complaints/{taken}"))
    assert "110报警电话" in page and "110-20260105-0815" in page
    assert "尚未确认被投诉辅警" in page and "未具名：骑电动车的辅警" in page


def test_the_complaint_page_names_the_organ_and_unit_it_is_attributed_to(
    client: TestClient, world: World
) -> None:
    """责任归属 reads as the organ's registration names the organ and the unit, each with its
    code, not as bare codes; an unnamed complaint's taking organ likewise."""
    sign_in(client, world.tokens["complaints"])
    named = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert f"<dt>责任归属</dt><dd>{ORGAN}局（{ORGAN}） / {UNIT}所（{UNIT}）" in named
    unnamed = page_text(client.get(f"/console/complaints/{take_unnamed(world)}"))
    assert f"<dt>责任归属</dt><dd>{ORGAN}局（{ORGAN}）（尚未确认被投诉辅警）</dd>" in unnamed


def by_api(client: TestClient, world: World, *steps: tuple[str, dict[str, object]]) -> None:
    """Each step, a command's slug and body, sent on the complaint through the API (a decision
    of a review by the inspectorate, the rest by the complaints office)."""
    for slug, payload in steps:
        role = "inspector" if slug == "decide-review" else "complaints"
        answer = client.post(
            f"/v1/complaints/{world.complaint}/{slug}", headers=world.headers(role), json=payload
        )
        assert answer.status_code == 200, (slug, answer.text)


def decline_and_tell(client: TestClient, world: World) -> None:
    """The office declines the complaint and tells the complainant, through the API."""
    today = china_date(datetime.now(tz=UTC)).isoformat()
    by_api(
        client,
        world,
        ("acknowledge", {}),
        ("decline", {"reason": "不属于辅警管理范围"}),
        ("notify-complainant", {"method": "sms", "notified_on": today, "summary": "不予受理"}),
    )


def ask_for_review(client: TestClient, world: World) -> None:
    """The office declines the complaint, tells the complainant, and asks for a review (复查)
    on their behalf, through the API."""
    decline_and_tell(client, world)
    by_api(client, world, ("request-review", {"reasons": "投诉人不服"}))


def test_each_form_is_offered_to_the_roles_its_command_admits(
    client: TestClient, world: World
) -> None:
    ask_for_review(client, world)
    office = TestClient(client.app)
    csrf = sign_in(office, world.tokens["complaints"])
    page = page_text(office.get(f"/console/complaints/{world.complaint}"))
    assert "/close" in page and "/decide-review" not in page
    LAST["before"] = event_count(world)
    forced = office.post(
        f"/console/complaints/{world.complaint}/decide-review",
        data={"csrf": csrf, "outcome": "upheld", "reasons": "维持"},
    )
    assert forced.status_code == 403 and "您的角色无权进行此操作" in page_text(forced)
    assert event_count(world) == LAST["before"]
    # the inspectorate, after its reason, decides the review from its one form
    inspector = TestClient(client.app)
    csrf = sign_in(inspector, world.tokens["inspector"])
    inspector.post(
        f"/console/complaints/{world.complaint}/reason", data={"csrf": csrf, "reason": "复查"}
    )
    page = page_text(inspector.get(f"/console/complaints/{world.complaint}"))
    assert page.count("<summary>") == 1 and "/decide-review" in page
    assert "/acknowledge" not in page and "/subject" not in page
    answer = act(inspector, world, csrf, "decide-review", outcome="upheld", reasons="复查后维持")
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    assert event_count(world) == LAST["before"] + 1
    review = world.ledger.complaint(world.complaint).review  # type: ignore[arg-type]
    assert review is not None and review.outcome == "upheld"
    # the discipline office is admitted to the route too; a decided review is no longer
    # offered, and a decision posted anyway (at the record's version) is refused
    discipline = TestClient(client.app)
    csrf = sign_in(discipline, world.tokens["discipline"])
    page = page_text(discipline.get(f"/console/complaints/{world.complaint}"))
    assert "/decide-review" not in page
    version = world.ledger.complaint(world.complaint).version  # type: ignore[arg-type]
    before = event_count(world)
    again = discipline.post(
        f"/console/complaints/{world.complaint}/decide-review",
        data={"csrf": csrf, "version": str(version), "outcome": "changed", "reasons": "改变"},
    )
    assert again.status_code == 409 and "未记录任何内容" in page_text(again)
    assert "当前状态（已告知）下不能作出复查决定" in page_text(again)
    assert event_count(world) == before + 1  # the page shown again: one read


def _chinese(text: str) -> bool:
    """Chinese words, with no Latin letter (a field's or a command's English name)."""
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not re.search(r"[A-Za-z]", text)


def _forms(page: str) -> dict[str, str]:
    """Each command form of a complaint page by its slug."""
    found = re.findall(
        r'<form method="post" action="/console/complaints/[^/"]+/([a-z-]+)"(.*?)</form>',
        page,
        re.S,
    )
    return dict(found)


def test_every_complaint_form_has_chinese_buttons_and_labels(
    client: TestClient, world: World
) -> None:
    """Each form, in a state that offers it: the complaint is worked from receipt through a
    review to its reopening, and every role's page read at each state."""
    today = china_date(datetime.now(tz=UTC)).isoformat()
    browsers = {}
    for role in ("complaints", "inspector", "discipline"):
        browsers[role] = TestClient(client.app)
        csrf = sign_in(browsers[role], world.tokens[role])
        browsers[role].post(
            f"/console/complaints/{world.complaint}/reason", data={"csrf": csrf, "reason": "复查"}
        )
    seen: set[str] = set()
    for step in (
        None,
        ("acknowledge", {}),
        ("accept", {"category": "执勤态度"}),
        ("record-finding", {"allegation_number": 1, "result": "sustained", "reasoning": "属实"}),
        ("notify-complainant", {"method": "sms", "notified_on": today, "summary": "属实"}),
        ("request-review", {"reasons": "投诉人不服"}),
        ("decide-review", {"outcome": "upheld", "reasons": "维持"}),
        ("close", {}),
    ):
        if step is not None:
            by_api(client, world, step)
        for role, browser in browsers.items():
            page = page_text(browser.get(f"/console/complaints/{world.complaint}"))
            for slug, form in _forms(page).items():
                button = re.findall(r'<button type="submit">(.*?)</button>', form)
                assert len(button) == 1 and _chinese(button[0]), (role, slug, button)
                labels = [
                    re.sub(r"<[^>]+>", "", t)
                    for t in re.findall(r"<label[^>]*>(.*?)</label>", form, re.S)
                ]
                for label in labels:
                    assert _chinese(label), (role, slug, label)
                seen.add(slug)
            assert "message_id" not in page
    assert seen == {command.slug for command in complaint_routes.COMMANDS}


def test_the_review_and_notification_forms_name_their_own_fields(
    client: TestClient, world: World
) -> None:
    decline_and_tell(client, world)
    csrf = sign_in(client, world.tokens["complaints"])
    forms = _forms(page_text(client.get(f"/console/complaints/{world.complaint}")))
    assert ">复查申请理由<" in forms["request-review"] and "处理理由" not in forms["request-review"]
    by_api(client, world, ("request-review", {"reasons": "投诉人不服"}))
    forms = _forms(page_text(client.get(f"/console/complaints/{world.complaint}")))
    assert "request-review" not in forms  # asked once per result
    queue = forms["queue-notification"]
    assert ">告知方式<" in queue and ">告知内容<" in queue and "投诉渠道" not in queue
    assert 'name="message_id"' not in queue
    answer = act(
        client,
        world,
        csrf,
        "queue-notification",
        channel="sms",
        text="复查申请已收到",
        message_id="not-a-uuid",  # a crafted id is not read: the server makes one
    )
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    assert event_count(world) == LAST["before"] + 1
    done = page_text(client.get(answer.headers["location"]))  # type: ignore[attr-defined]
    assert "已完成：排队告知投诉人" in done
    inspector = TestClient(client.app)
    csrf = sign_in(inspector, world.tokens["inspector"])
    inspector.post(
        f"/console/complaints/{world.complaint}/reason", data={"csrf": csrf, "reason": "复查"}
    )
    decide = _forms(page_text(inspector.get(f"/console/complaints/{world.complaint}")))
    assert ">复查结论<" in decide["decide-review"] and "司法处理结果" not in decide["decide-review"]
    refused = act(inspector, world, csrf, "decide-review", outcome="upheld", reasons="")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "请检查：复查理由" in page_text(refused)


def test_what_a_role_may_not_read_is_said_in_chinese_on_the_page(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.tokens["discipline"])
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    facts = page.split('id="h-facts"', 1)[1].split("</section>", 1)[0]
    assert "<dt>联系方式说明</dt><dd>（已按角色隐去）</dd>" in facts
    assert "[withheld]" not in page and "工作日白天可电话联系" not in page
    # the API's answer keeps its documented placeholder
    api = client.get(f"/v1/complaints/{world.complaint}", headers=world.headers("discipline"))
    assert api.json()["contact_text"] == "[withheld]"
    assert shown("[erased]") == "（个人信息已删除）" and shown("[sealed]") == "（个人信息未解密）"


def test_the_queue_keeps_a_declined_complaint_until_the_complainant_is_told(
    client: TestClient, world: World
) -> None:
    """Not accepting is a result the complainant must be told within the policy's days
    (Art. 17): the queue keeps the complaint, due and overdue, until the notice."""
    declined = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="青年路"
    )
    office = world.headers("complaints")
    for slug, payload in (
        ("acknowledge", {"effective": "2026-01-06"}),
        ("decline", {"reason": "不属于辅警管理范围", "effective": "2026-01-07"}),
    ):
        answer = client.post(f"/v1/complaints/{declined}/{slug}", headers=office, json=payload)
        assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/complaints"))
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    assert f"/console/complaints/{declined}" in rows[0], "a declined complaint left the queue"
    assert "不予受理" in rows[0] and "已逾期" in rows[0]
    assert "2026年01月12日" in rows[0]  # told within 5 days of the decision
    told = client.post(
        f"/v1/complaints/{declined}/notify-complainant",
        headers=office,
        json={"method": "phone", "notified_on": "2026-01-09", "summary": "已电话告知不予受理"},
    )
    assert told.status_code == 200, told.text
    catch_up(world.ledger)
    assert f"/console/complaints/{declined}" not in client.get("/console/complaints").text


def test_the_queue_names_the_step_overdue(client: TestClient, world: World) -> None:
    """已逾期 says which step is late: 签收 and 调查办结 of a complaint never acknowledged,
    调查办结 of one under investigation, 告知结果 of a result the complainant was not told."""
    never = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="青年路"
    )
    open_one = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="工农路"
    )
    untold = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="人民路"
    )
    office = world.headers("complaints")
    for complaint, slug, payload in (
        (open_one, "acknowledge", {"effective": "2026-01-06"}),
        (open_one, "accept", {"category": "执勤态度", "effective": "2026-01-06"}),
        (untold, "acknowledge", {"effective": "2026-01-06"}),
        (untold, "decline", {"reason": "不属于辅警管理范围", "effective": "2026-01-07"}),
    ):
        answer = client.post(f"/v1/complaints/{complaint}/{slug}", headers=office, json=payload)
        assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/complaints"))
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]

    def marker(complaint: object) -> str:
        row = next(r for r in rows if f"/console/complaints/{complaint}" in r)
        return re.sub(r"<[^>]+>", "", re.split(r"<td[^>]*>", row)[-1]).strip()

    assert marker(never) == "已逾期：签收、调查办结"
    assert marker(open_one) == "已逾期：调查办结"
    assert marker(untold) == "已逾期：告知结果"


def test_the_queue_keeps_a_pending_review_with_its_due_date_until_decided(
    client: TestClient, world: World
) -> None:
    """A closed complaint whose result is under review (复查) is still owed a step: the queue
    shows it with the review's last day, overdue as 复查决定, until the review is decided."""
    reviewed = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="青年路"
    )
    told = {"method": "phone", "notified_on": "2026-01-08", "summary": "已电话告知"}
    steps: list[tuple[str, dict[str, str], str]] = [
        ("acknowledge", {"effective": "2026-01-06"}, "complaints"),
        ("decline", {"reason": "不属于辅警管理范围", "effective": "2026-01-07"}, "complaints"),
        ("notify-complainant", {**told, "effective": "2026-01-08"}, "complaints"),
        ("close", {"effective": "2026-01-09"}, "complaints"),
        ("request-review", {"reasons": "投诉人不服", "effective": "2026-01-12"}, "complaints"),
    ]
    for slug, payload, role in steps:
        answer = client.post(
            f"/v1/complaints/{reviewed}/{slug}", headers=world.headers(role), json=payload
        )
        assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/complaints"))
    row = next(r for r in html.split("<tr")[1:] if f"/console/complaints/{reviewed}" in r)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"<td[^>]*>", row)[1:]]
    assert cells[5:] == ["已结案", "2026年02月11日", "已逾期：复查决定"], cells
    decided = client.post(
        f"/v1/complaints/{reviewed}/decide-review",
        headers=world.headers("discipline"),
        json={"outcome": "upheld", "reasons": "复查后维持"},
    )
    assert decided.status_code == 200, decided.text
    catch_up(world.ledger)
    assert f"/console/complaints/{reviewed}" not in client.get("/console/complaints").text


def test_the_queue_reads_every_page_of_the_registry(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry lists the newest first: an open complaint older than a page of newer ones
    is still in the queue."""
    oldest = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="青年路"
    )
    for _ in range(2):
        newer = receive_complaint(world.ledger, world.auxiliary, incident_place="工农路")
        closed = client.post(
            f"/v1/complaints/{newer}/withdraw",
            headers=world.headers("complaints"),
            json={"reason": "投诉人撤回"},
        )
        assert closed.status_code == 200, closed.text
    catch_up(world.ledger)
    registry = query_routes.registry

    def one_a_page(**arguments: Any) -> Any:  # as if the organ had 500 newer complaints
        return registry(**{**arguments, "page_size": 1})

    monkeypatch.setattr(query_routes, "registry", one_a_page)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/complaints"))
    assert f"/console/complaints/{oldest}" in html
    assert f"/console/complaints/{world.complaint}" in html
    assert "共 2 件" in html


def test_the_complaint_page_shows_each_step_due_and_marks_one_passed(
    client: TestClient, world: World
) -> None:
    """The office sees on the complaint itself the last day of each step still due (the
    policy's, as /track tells the complainant), and which have passed."""
    late = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="青年路"
    )
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get(f"/console/complaints/{late}"))
    rules = world.ledger.policy.complaints
    acknowledge = rules.acknowledge_due(date(2026, 1, 6), world.ledger.policy.calendar)
    conclude = rules.conclude_due(date(2026, 1, 6))
    due = html.split('id="deadlines">', 1)[1].split("</dd>", 1)[0]
    assert f"签收：最迟 {cst_date(acknowledge.isoformat())}" in due
    assert f"调查办结：最迟 {cst_date(conclude.isoformat())}" in due
    assert due.count("已超期") == 2


def test_a_reopened_complaint_is_due_the_same_day_in_the_queue_and_on_its_page(
    client: TestClient, world: World
) -> None:
    """A later round's conclusion is counted from the reopening, on the complaint's page as
    in the queue (``ComplaintPolicy.steps_due``), not left out of the page."""
    reopened = receive_complaint(
        world.ledger, world.other_unit_auxiliary, date(2026, 1, 6), incident_place="青年路"
    )
    office = world.headers("complaints")
    told = {"method": "phone", "notified_on": "2026-01-08", "summary": "已电话告知"}
    for slug, payload in (
        ("acknowledge", {"effective": "2026-01-06"}),
        ("decline", {"reason": "不属于辅警管理范围", "effective": "2026-01-07"}),
        ("notify-complainant", {**told, "effective": "2026-01-08"}),
        ("close", {"effective": "2026-01-09"}),
        ("reopen", {"reason": "复核后认为应予受理", "effective": "2026-02-10"}),
    ):
        answer = client.post(f"/v1/complaints/{reopened}/{slug}", headers=office, json=payload)
        assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    conclude = cst_date(world.ledger.policy.complaints.conclude_due(date(2026, 2, 10)))
    sign_in(client, world.tokens["complaints"])
    queue = page_text(client.get("/console/complaints"))
    row = next(r for r in queue.split("<tr")[1:] if f"/console/complaints/{reopened}" in r)
    assert conclude in row
    page = page_text(client.get(f"/console/complaints/{reopened}"))
    due = page.split('id="deadlines">', 1)[1].split("</dd>", 1)[0]
    assert due.count("最迟") == 1  # acknowledged in the first round: not owed again
    assert f"调查办结：最迟 {conclude}" in due


def test_a_field_refusal_reads_in_chinese_not_under_the_english_note(
    client: TestClient, world: World
) -> None:
    """The fields a form must fix are named in the notice's Chinese text; only the English
    detail sits under 技术说明（英文）."""
    csrf = sign_in(client, world.tokens["complaints"])
    answer = act(client, world, csrf, "accept", category="")
    html = page_text(answer)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    notice = html.split('class="notice bad" role="alert">', 1)[1].split("</p>", 1)[0]
    chinese, english = notice.split("技术说明（英文）：", 1)
    assert "请检查：类别" in chinese and "请检查" not in english
    assert "category" in english


def test_the_queue_row_of_an_unnamed_complaint_says_so_not_none(
    client: TestClient, world: World
) -> None:
    """A complaint naming no auxiliary yet has no unit: its row says 未具名 and —, never
    Python's ``None``."""
    taken = take_unnamed(world)
    catch_up(world.ledger)
    sign_in(client, world.tokens["complaints"])
    html = page_text(client.get("/console/complaints"))
    row = next(r for r in html.split("<tr")[1:] if f"/console/complaints/{taken}" in r)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"<td[^>]*>", row)[1:]]
    assert cells[1] == "未具名" and cells[2] == "—", cells
    assert "None" not in row


def _refused_form(answer: Any, slug: str) -> str:
    """The refused form (the one that was sent) of a page shown again."""
    html = page_text(answer)
    found = re.search(rf'<form method="post" action="[^"]*/{slug}"(.*?)</form>', html, re.S)
    assert found is not None, html
    return found.group(1)


def test_a_refused_finding_keeps_the_allegation_it_was_typed_for(
    client: TestClient, world: World
) -> None:
    """The allegation chooser starts at 请选择 (nothing chosen records nothing) and, after a
    refusal, keeps the allegation that was chosen: sending the form again once the reason is
    fixed records the finding on that allegation, not on the first."""
    two = receive_complaint(
        world.ledger,
        world.auxiliary,
        allegations=["执勤时态度恶劣", "拒绝出示证件"],
        incident_place="青年路",
    )
    office = world.headers("complaints")
    for slug, payload in (("acknowledge", {}), ("accept", {"category": "执勤态度"})):
        answer = client.post(f"/v1/complaints/{two}/{slug}", headers=office, json=payload)
        assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    csrf = sign_in(client, world.tokens["complaints"])

    def post(**fields: str) -> Any:
        page = page_text(client.get(f"/console/complaints/{two}"))
        version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
        return client.post(
            f"/console/complaints/{two}/record-finding",
            data={"csrf": csrf, "version": version, **fields},
            follow_redirects=False,
        )

    page = page_text(client.get(f"/console/complaints/{two}"))
    chooser = page.split('id="record-finding-allegation_number"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option[^>]*>", chooser)[0] == '<option value="">'  # 请选择 first
    assert "selected" not in chooser
    finding = {"result": "not_sustained", "reasoning": "经核实\u200b不属实"}
    unchosen = post(allegation_number="", **finding)
    assert unchosen.status_code == 422 and "请检查：事项序号" in page_text(unchosen)
    refused = post(allegation_number="2", **finding)
    assert refused.status_code == 422 and "不可见字符" in page_text(refused)
    form = _refused_form(refused, "record-finding")
    assert '<option value="2" selected>' in form and '<option value="1" selected>' not in form
    assert '<option value="not_sustained" selected>' in form
    assert world.ledger.complaint(two).findings == {}
    again = post(allegation_number="2", result="not_sustained", reasoning="经核实不属实")
    assert again.status_code == 303, page_text(again)
    assert set(world.ledger.complaint(two).findings) == {2}


def test_the_investigator_is_asked_for_by_police_number_and_told_so(
    client: TestClient, world: World
) -> None:
    """指派调查人员 takes the investigator's police number (a code), not a name: the field is
    named for what it takes with a hint, and a name typed there is refused saying what is
    expected (never repeating what was typed), nothing recorded."""
    office = world.headers("complaints")
    for slug, payload in (("acknowledge", {}), ("accept", {"category": "执勤态度"})):
        answer = client.post(
            f"/v1/complaints/{world.complaint}/{slug}", headers=office, json=payload
        )
        assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    csrf = sign_in(client, world.tokens["complaints"])
    form = _forms(page_text(client.get(f"/console/complaints/{world.complaint}")))["assign"]
    label = form.split('<label for="assign-investigator_id">', 1)[1].split("</label>", 1)[0]
    assert label.startswith("调查人员警号") and "警号" in label.split("调查人员警号", 1)[1]
    today = china_date(datetime.now(tz=UTC)).isoformat()
    named = act(client, world, csrf, "assign", investigator_id="王建国", due=today)
    assert named.status_code == 422  # type: ignore[attr-defined]
    assert event_count(world) == LAST["before"] + 1  # the page's read only
    notice = page_text(named).split('class="notice bad" role="alert">', 1)[1].split("</p>", 1)[0]
    chinese = notice.split("技术说明（英文）：", 1)[0]
    assert "请检查：调查人员警号" in chinese and "不能填写姓名" in chinese
    assert "王建国" not in notice


def test_the_office_sees_the_auxiliary_by_name_and_work_id_not_an_id(
    client: TestClient, world: World
) -> None:
    """The complaints office, which reads no dossier, sees the auxiliary complained about by
    name and work ID (as its queue names them, with no access recorded beyond the page's
    one), in the facts and in the history; the history's 责任归属 names the organ and unit.
    Other roles keep the link to the dossier."""
    sign_in(client, world.tokens["complaints"])
    before = event_count(world)
    page = page_text(client.get(f"/console/complaints/{world.complaint}"))
    assert event_count(world) == before + 1  # the page's one access record
    facts = page.split("<dt>被投诉辅警</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert facts == "李明（工作证号 NTFJ0602000001）"
    assert str(world.auxiliary) not in page
    history = page.split('id="h-history"', 1)[1]
    assert "辅警记录编号" not in history
    assert "被投诉辅警：</span>李明（工作证号 NTFJ0602000001）" in history
    assert f"责任归属：</span>{ORGAN}局（{ORGAN}） / {UNIT}所（{UNIT}）" in history
    discipline = TestClient(client.app)
    sign_in(discipline, world.tokens["discipline"])
    read = page_text(discipline.get(f"/console/complaints/{world.complaint}"))
    assert f'<a href="/console/auxiliaries/{world.auxiliary}">查看档案</a>' in read
    assert "李明" not in read.split("<dt>被投诉辅警</dt>", 1)[1].split("</dd>", 1)[0]
    assert f"责任归属：</span>{ORGAN}局（{ORGAN}） / {UNIT}所（{UNIT}）" in read


def test_a_reopened_complaint_labels_findings_by_round_and_drops_the_old_deadline(
    client: TestClient, world: World
) -> None:
    """Reopened, the first round's finding is labelled 第1轮 below the current round's (尚无
    结论 until the new round finds), and the investigator's date of the first round is not
    shown as due; an assignment in the new round shows its own date."""
    office = world.headers("complaints")
    today = china_date(datetime.now(tz=UTC))
    later = (today + timedelta(days=10)).isoformat()
    finding = {"allegation_number": 1, "result": "sustained", "reasoning": "第一轮理由"}
    for slug, payload in (
        ("acknowledge", {}),
        ("accept", {"category": "执勤态度"}),
        ("assign", {"investigator_id": "602099", "due": today.isoformat()}),
        ("record-finding", finding),
        (
            "notify-complainant",
            {"method": "phone", "notified_on": today.isoformat(), "summary": "已电话告知"},
        ),
        ("close", {}),
        ("reopen", {"reason": "复核后认为应重新调查"}),
    ):
        answer = client.post(
            f"/v1/complaints/{world.complaint}/{slug}", headers=office, json=payload
        )
        assert answer.status_code == 200, (slug, answer.text)
    sign_in(client, world.tokens["complaints"])

    def shown() -> tuple[list[str], str]:
        page = page_text(client.get(f"/console/complaints/{world.complaint}"))
        allegations = page.split('id="h-allegations"', 1)[1].split("</section>", 1)[0]
        rounds = [
            re.sub(r"<[^>]+>|\s+", "", item)
            for item in re.findall(r'<li class="round">(.*?)</li>', allegations, re.S)
        ]
        return rounds, page.split('id="deadlines">', 1)[1].split("</dd>", 1)[0]

    rounds, due = shown()
    assert rounds == ["第2轮：尚无结论", "第1轮：属实理由：第一轮理由"]
    assert "调查人员办理期限" not in due
    answer = client.post(
        f"/v1/complaints/{world.complaint}/assign",
        headers=office,
        json={"investigator_id": "602100", "due": later},
    )
    assert answer.status_code == 200, answer.text
    rounds, due = shown()
    assert f"调查人员办理期限：最迟 {cst_date(later)}" in due
    answer = client.post(
        f"/v1/complaints/{world.complaint}/record-finding",
        headers=office,
        json={**finding, "result": "not_sustained", "reasoning": "第二轮理由"},
    )
    assert answer.status_code == 200, answer.text
    rounds, _ = shown()
    assert rounds == ["第2轮：不属实理由：第二轮理由", "第1轮：属实理由：第一轮理由"]
