"""The public pages without a browser: the complaint form, the tracking page and its review
form, as a member of the public sends them (the CSRF token of the page, the form's own key).
Refusals are told in Chinese next to what they concern, and record nothing."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import World, event_count
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
