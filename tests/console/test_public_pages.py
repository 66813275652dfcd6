"""The public pages without a browser: the complaint form, the tracking page and its review
form, as a member of the public sends them (the CSRF token of the page, the form's own key).
Refusals are told in Chinese next to what they concern, and record nothing."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from api import tracking_code as codes
from api.app import create_app
from api.console.public import receipt_file_name
from api.console.web import cst_date
from domain.values import china_date
from tests.api.conftest import World, api_settings, catch_up, event_count
from tests.api.test_public import COMPLAINT
from tests.console.conftest import csrf_of, page_text

FORM_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def complaint_form(**overrides: Any) -> dict[str, Any]:
    """A valid complaint about the world's first auxiliary, as the public form sends it."""
    return {
        "incident_date": "2026-11-20",
        "incident_time": "09:30",
        "incident_place": "人民路与青年路路口",
        "work_id": "NTFJ0602000001",
        "auxiliary_name": "",
        "unit": "",
        "allegation": ["执勤时态度恶劣，言语粗暴", "", ""],
        "complainant_name": "测试投诉人",
        "complainant_phone": "19900001111",
        "complainant_address": "",
        "contact_text": "",
        **overrides,
    }


def form_page(client: TestClient) -> tuple[str, str]:
    """The complaint form's CSRF token and idempotency key, as the page gives them."""
    page = page_text(client.get("/"))
    key = FORM_KEY.search(page)
    assert key is not None
    return csrf_of(page), key.group(1)


def send_complaint(client: TestClient, *, key: str | None = None, **overrides: Any) -> Any:
    """Send the complaint form (with the page's key unless ``key`` is given)."""
    csrf, page_key = form_page(client)
    data = {"csrf": csrf, "idempotency_key": key or page_key, **complaint_form(**overrides)}
    return client.post("/complaint", data=data)


def test_a_work_id_typed_in_small_letters_is_found(client: TestClient, world: World) -> None:
    before = event_count(world)
    answer = send_complaint(client, work_id=" ntfj0602000001 ")
    assert answer.status_code == 201, answer.text
    assert "投诉已提交" in page_text(answer)
    assert event_count(world) == before + 1


def field_error(page: str, name: str) -> str:
    """The message shown under a field of the form ('' if none)."""
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error">([^<]*)</p>', page)
    return found.group(1) if found else ""


def test_a_refusal_is_shown_on_the_field_it_names(client: TestClient, world: World) -> None:
    """Invisible or direction-changing characters, or a telephone number with too few
    digits, are told on their own field (an allegation by its box), not on the work ID."""
    before = event_count(world)
    for overrides, name, told in (
        ({"incident_place": "人民路\u202e口路"}, "incident_place", "事发地点中有看不见的字符"),
        ({"complainant_name": "测试\u200b投诉人"}, "complainant_name", "您的姓名中有看不见的字符"),
        (
            {"allegation": ["", "执勤时态度恶劣", "未出示\u2066证件"]},
            "allegations",
            "投诉事项三中有看不见的字符",
        ),
        ({"complainant_phone": "1 - 2"}, "complainant_phone", "联系电话应有5到20位数字"),
    ):
        answer = send_complaint(client, **overrides)
        assert answer.status_code == 422, answer.text
        page = page_text(answer)
        assert told in field_error(page, name), (name, page)
        assert field_error(page, "work_id") == ""
        assert "\u202e" not in field_error(page, name)
    assert event_count(world) == before


def test_every_fields_refusal_is_told_at_once(client: TestClient, world: World) -> None:
    """A date in the future does not hide a wrong telephone number, nor does a missing work
    ID: the form's own checks, the API's body model and the domain's checks of the intake's
    fields are all told together, each on its field, and nothing is recorded."""
    tomorrow = (china_date(datetime.now(tz=UTC)) + timedelta(days=1)).isoformat()
    before = event_count(world)
    for overrides, told in (
        (
            {"incident_date": tomorrow, "complainant_phone": "电话13800001111"},
            {"incident_date": "事发日期不能晚于今天", "complainant_phone": "联系电话只能包含数字"},
        ),
        (
            {
                "incident_date": tomorrow,
                "complainant_phone": "1 - 2",
                "complainant_name": "测试\u200b投诉人",
            },
            {
                "incident_date": "事发日期不能晚于今天",
                "complainant_phone": "联系电话应有5到20位数字",
                "complainant_name": "您的姓名中有看不见的字符",
            },
        ),
        (
            {
                "work_id": "",
                "incident_place": "人民路\u202e口路",
                "allegation": ["", "执勤时态度恶劣", "未出示\u2066证件"],
                "complainant_phone": "abc",
            },
            {
                "work_id": "请填写辅警的工作证号",
                "incident_place": "事发地点中有看不见的字符",
                "allegations": "投诉事项三中有看不见的字符",
                "complainant_phone": "联系电话只能包含数字",
            },
        ),
    ):
        answer = send_complaint(client, **overrides)
        assert answer.status_code == 422, answer.text
        page = page_text(answer)
        for name, message in told.items():
            assert message in field_error(page, name), (name, overrides)
        shown = re.findall(r'<p class="field-error" id="([a-z_]+)-error">', page)
        assert sorted(shown) == sorted(told), (shown, overrides)
        summary = page.split('id="form-errors"', 1)[1].split("</div>", 1)[0]
        assert summary.count("<li>") == len(told)
    assert event_count(world) == before


def test_a_filed_form_sent_again_changed_comes_back_with_a_new_key(
    client: TestClient, world: World
) -> None:
    """Back, change, send: the earlier complaint stands, the page says so (and where to
    follow it) on no field, and the form comes back under a new key that files once more."""
    csrf, key = form_page(client)
    first = client.post(
        "/complaint", data={"csrf": csrf, "idempotency_key": key, **complaint_form()}
    )
    assert first.status_code == 201, first.text
    before = event_count(world)
    changed = complaint_form(incident_place="青年路")
    again = client.post("/complaint", data={"csrf": csrf, "idempotency_key": key, **changed})
    assert again.status_code == 409, again.text
    page = page_text(again)
    assert "那件投诉已经登记" in page and 'href="/track"' in page
    assert 'class="field-error"' not in page
    assert "青年路" in page  # kept as typed
    assert event_count(world) == before
    new_key = FORM_KEY.search(page)
    assert new_key is not None and new_key.group(1) != key
    filed = client.post(
        "/complaint", data={"csrf": csrf, "idempotency_key": new_key.group(1), **changed}
    )
    assert filed.status_code == 201, filed.text
    assert event_count(world) == before + 1


def filed(client: TestClient, world: World) -> tuple[str, str]:
    """A complaint filed through the API (read models caught up): its id and tracking code."""
    receipt = client.post("/v1/complaints", json=COMPLAINT).json()
    catch_up(world.ledger)
    return receipt["complaint_id"], receipt["tracking_code"]


def tell_result(client: TestClient, world: World, complaint_id: str) -> None:
    """The office declines the complaint and tells the complainant so, today."""
    today = china_date(datetime.now(tz=UTC)).isoformat()
    for slug, payload in (
        ("acknowledge", {}),
        ("decline", {"reason": "不属于辅警管理范围"}),
        ("notify-complainant", {"method": "sms", "notified_on": today, "summary": "不予受理"}),
    ):
        answer = client.post(
            f"/v1/complaints/{complaint_id}/{slug}",
            headers=world.headers("complaints"),
            json=payload,
        )
        assert answer.status_code == 200, answer.text


def ask_review(client: TestClient, code: str, reasons: str) -> Any:
    """Send the tracking page's 申请复查 form."""
    csrf = csrf_of(page_text(client.get("/track")))
    return client.post("/track/review", data={"csrf": csrf, "code": code, "reasons": reasons})


def test_a_refused_review_request_says_why_beside_the_complaint(
    client: TestClient, world: World
) -> None:
    complaint_id, code = filed(client, world)
    for reasons, status, told in (
        ("对结果不服", 409, "告知您处理结果之后，才可以对结果申请复查"),  # no result told yet
    ):
        before = event_count(world)
        answer = ask_review(client, code, reasons)
        assert answer.status_code == status, answer.text
        page = page_text(answer)
        assert told in page and 'id="complaint-status"' in page
        assert event_count(world) == before
    tell_result(client, world, complaint_id)
    before = event_count(world)
    answer = ask_review(client, code, "对结果\u202e不服")
    assert answer.status_code == 422, answer.text
    page = page_text(answer)
    assert "复查理由中有看不见的字符" in page and 'id="complaint-status"' in page
    assert event_count(world) == before
    assert "复查申请已登记" in page_text(ask_review(client, code, "对结果不服"))
    before = event_count(world)
    again = ask_review(client, code, "再次申请")
    assert again.status_code == 409, again.text
    page = page_text(again)
    assert "已经申请过复查，不能重复申请" in page and 'id="review-outcome"' in page
    assert event_count(world) == before


def test_review_requests_on_the_page_are_rate_limited_like_the_api(world: World) -> None:
    app = create_app(api_settings(world.settings, intake_per_minute=1.0, intake_burst=3))
    with TestClient(app) as client:
        complaint_id, code = filed(client, world)  # takes one of the three
        tell_result(client, world, complaint_id)
        assert ask_review(client, code, "对结果不服").status_code == 200
        assert ask_review(client, code, "再次申请").status_code == 409
        before = event_count(world)
        refused = ask_review(client, code, "再次申请")
    assert refused.status_code == 429, refused.text
    assert "提交太频繁了" in page_text(refused)
    assert event_count(world) == before


def tracked_both_ways(client: TestClient, code: str) -> tuple[dict[str, str], str]:
    """The API's ``expected`` (step -> last day) and the /track page's list of them."""
    api = client.post("/v1/complaints/track", json={"tracking_code": code})
    assert api.status_code == 200, api.text
    csrf = csrf_of(page_text(client.get("/track")))
    page = page_text(client.post("/track", data={"csrf": csrf, "code": code}))
    found = re.search(r'<ul class="expected">(.*?)</ul>', page, re.S)
    return {e["step"]: e["due"] for e in api.json()["expected"]}, found.group(1) if found else ""


def test_the_api_and_the_page_give_the_policy_deadlines(client: TestClient, world: World) -> None:
    """Not the investigator's due date (here past the policy's limit); once the complaint is
    reopened, the conclusion counted from the reopening (``ComplaintPolicy.steps_due``)."""
    complaint_id, code = filed(client, world)
    complaint = world.ledger.complaint(UUID(complaint_id))
    policy_due = world.ledger.policy.complaints.conclude_due(complaint.received_on)
    office = world.headers("complaints")

    def act(slug: str, payload: dict[str, Any]) -> None:
        answer = client.post(f"/v1/complaints/{complaint_id}/{slug}", headers=office, json=payload)
        assert answer.status_code == 200, answer.text

    act("acknowledge", {})
    act("accept", {"category": "执勤态度"})
    act(
        "assign",
        {"investigator_id": "602099", "due": (policy_due + timedelta(days=30)).isoformat()},
    )
    api, page = tracked_both_ways(client, code)
    assert api == {"调查办结": policy_due.isoformat()}
    assert f"调查并得出结论：最迟 {cst_date(policy_due)}" in page
    assert cst_date(policy_due + timedelta(days=30)) not in page
    today = china_date(datetime.now(tz=UTC)).isoformat()
    for number in (1, 2):
        act(
            "record-finding",
            {"allegation_number": number, "result": "sustained", "reasoning": "属实"},
        )
    act("notify-complainant", {"method": "sms", "notified_on": today, "summary": "属实"})
    act("close", {})
    act("reopen", {"reason": "投诉人提供新证据"})
    reopened = world.ledger.complaint(UUID(complaint_id))
    assert reopened.round == 2 and reopened.reopened_on is not None
    again = world.ledger.policy.complaints.conclude_due(reopened.reopened_on)
    api, page = tracked_both_ways(client, code)
    assert api == {"调查办结": again.isoformat()}  # acknowledged in round 1: not owed again
    assert f"调查并得出结论：最迟 {cst_date(again)}" in page


def test_the_log_position_is_told_counting_from_one(client: TestClient, world: World) -> None:
    _, code = filed(client, world)
    inclusion = client.post("/v1/complaints/track", json={"tracking_code": code}).json()[
        "inclusion"
    ]
    csrf = csrf_of(page_text(client.get("/track")))
    page = page_text(client.post("/track", data={"csrf": csrf, "code": code}))
    told = (
        f"登记在签名日志第 {inclusion['leaf_index'] + 1} 条（日志共 {inclusion['tree_size']} 条）"
    )
    assert told in page


def test_a_wrong_check_symbol_is_told_as_the_pages_name_the_code(
    client: TestClient, world: World
) -> None:
    _, code = filed(client, world)
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    csrf = csrf_of(page_text(client.get("/track")))
    answer = client.post("/track", data={"csrf": csrf, "code": altered})
    assert answer.status_code == 422
    assert "查询码校验位不符，请核对" in page_text(answer)
    assert "跟踪码" not in answer.text


def test_the_last_day_to_ask_for_a_review_is_told_as_included(
    client: TestClient, world: World
) -> None:
    """review_until is the last day a review may be asked for: "截至 … （含当日）", not
    "… 前", which reads as the day before."""
    complaint_id, code = filed(client, world)
    tell_result(client, world, complaint_id)
    until = client.post("/v1/complaints/track", json={"tracking_code": code}).json()["review_until"]
    assert until is not None
    csrf = csrf_of(page_text(client.get("/track")))
    page = page_text(client.post("/track", data={"csrf": csrf, "code": code}))
    assert f"截至 {cst_date(until)}（含当日）" in page
    assert "前申请复查" not in page


def test_the_receipt_file_is_named_by_the_china_date() -> None:
    """16:00 UTC and later is the next day in China: the file names the day of filing."""
    assert receipt_file_name("2026-11-27T17:45:34.464105+00:00") == "投诉回执-2026-11-28.json"
    assert receipt_file_name("2026-11-27T15:59:59+00:00") == "投诉回执-2026-11-27.json"


def test_the_receipt_page_offers_the_file_under_that_name(client: TestClient, world: World) -> None:
    answer = send_complaint(client)
    assert answer.status_code == 201, answer.text
    page = html.unescape(page_text(answer))
    found = re.search(r'"recorded_at": "([^"]+)"', page)
    assert found is not None
    assert f'data-download-name="{receipt_file_name(found.group(1))}"' in page


def test_a_client_trying_codes_is_told_to_wait_in_chinese(world: World) -> None:
    app = create_app(api_settings(world.settings, checks_per_minute=1.0, checks_burst=2))
    with TestClient(app) as client:
        csrf = csrf_of(page_text(client.get("/track")))
        for code in ("NOPE", "NOPE-AGAIN"):
            assert client.post("/track", data={"csrf": csrf, "code": code}).status_code == 404
        answer = client.post("/track", data={"csrf": csrf, "code": "NOPE"})
        assert answer.status_code == 429
        assert "查询太频繁了" in page_text(answer)


def test_a_code_not_found_stays_in_its_box_to_be_corrected(client: TestClient) -> None:
    """A well-formed code that finds nothing is told so, and comes back in the box: one
    mistyped group is corrected, not all 21 characters typed again."""
    code = codes.grouped(codes.encode(bytes(10)))
    csrf = csrf_of(page_text(client.get("/track")))
    answer = client.post("/track", data={"csrf": csrf, "code": code})
    page = page_text(answer)
    assert answer.status_code == 404 and "没有找到这个查询码对应的投诉" in page
    assert f'value="{code}"' in page
