"""The complaints office takes a complaint from any channel in the console, gets its tracking
code once, and names the auxiliary of an unnamed complaint later: refusals in Chinese next to
the field, the values kept, nothing recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api import tracking_code as codes
from api.receipts import tracking_hash
from domain.complaint import check_channel
from domain.errors import InvalidFieldError
from domain.values import ComplaintChannel
from tests.api.conftest import OTHER_ORGAN, UNIT, World, catch_up
from tests.console.conftest import csrf_of, event_count, page_text, sign_in, take_unnamed

CODE = re.compile(r'id="tracking-code"[^>]*>([^<]+)</output>')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


def intake_form(**overrides: str | list[str]) -> dict[str, Any]:
    """A valid 12389 intake of an unnamed subject, as the form sends it."""
    fields: dict[str, Any] = {
        "channel": "hotline_12389",
        "outside_reference": "12389-20260105-0042",
        "work_id": "",
        "subject_description": "骑电动车、穿反光背心的男性辅警",
        "incident_date": "2026-01-05",
        "incident_time": "09:30",
        "incident_place": "人民路与青年路路口",
        "allegation": ["执勤时态度恶劣", "", ""],
        "complainant_name": "测试投诉人",
        "complainant_phone": "19900002222",
        "complainant_resident_id": "",
        "complainant_address": "",
        "contact_text": "",
        **overrides,
    }
    return fields


def post_intake(client: TestClient, csrf: str, **overrides: Any) -> Any:
    page = page_text(client.get("/console/intake"))
    key = FORM_KEY.search(page)
    assert key is not None
    data = {"csrf": csrf, "form_key": key.group(1), **intake_form(**overrides)}
    return client.post("/console/intake", data=data, follow_redirects=False)


def test_the_office_takes_a_telephone_complaint_and_reads_out_its_code(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    form = page_text(client.get("/console/intake"))
    assert "登记投诉" in form and "12389" in form and "转办" in form
    assert 'id="incident_date" name="incident_date" type="date" min="1950-01-01"' in form
    before = event_count(world)
    answer = post_intake(client, csrf)
    assert answer.status_code == 201, answer.text
    page = page_text(answer)
    found = CODE.search(page)
    assert found, page
    code = found.group(1)
    assert "投诉已登记" in page and "只在这里显示" in page
    assert event_count(world) == before + 1
    complaint_id = UUID(page.split('href="/console/complaints/', 1)[1].split('"', 1)[0])
    complaint = world.ledger.complaint(complaint_id)
    assert complaint.channel.value == "hotline_12389"
    assert complaint.outside_reference == "12389-20260105-0042"
    assert complaint.subject_description == "骑电动车、穿反光背心的男性辅警"
    assert complaint.incident_at == datetime(2026, 1, 5, 1, 30, tzinfo=UTC)
    assert complaint.complainant_phone == "19900002222"
    assert complaint.tracking_hash == tracking_hash(codes.parse(code).canonical)
    # The complainant follows it on the public tracking page with that code.
    catch_up(world.ledger)
    tracked = client.get(f"/v1/complaints/track/{code}")
    assert tracked.status_code == 200 and tracked.json()["complaint_id"] == str(complaint_id)


def test_the_walk_in_channel_reads_as_the_domain_labels_it(
    client: TestClient, world: World
) -> None:
    """One word for a complaint made in person at the office, the domain's label (来访), on
    every page and message that names the channel, never 当面 beside it."""
    label = ComplaintChannel.walk_in.label_zh
    assert label == "来访"
    csrf = sign_in(client, world.tokens["complaints"])
    form = page_text(client.get("/console/intake"))
    queue = page_text(client.get("/console/complaints"))
    refused = page_text(post_intake(client, csrf, channel="walk_in"))
    for page in (form, queue, refused):
        assert "当面" not in page
    assert "信访、来访或转办收到的投诉" in form
    assert f'<option value="walk_in">{label}</option>' in form
    assert "12389、110、信访必填；来访投诉不填" in form
    assert "（12389、110、信访、来访、转办）" in queue
    assert "来访投诉没有外部编号" in refused
    with pytest.raises(InvalidFieldError) as refusal:
        check_channel("walk_in", "12389-1", None)
    assert refusal.value.zh is not None and "当面" not in refusal.value.zh
    assert refusal.value.zh.startswith(label)


def test_a_named_referral_is_attributed_at_the_incident_date(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    answer = post_intake(
        client,
        csrf,
        channel="referral",
        outside_reference="",
        referring_organ="南通市纪委监委",
        work_id="NTFJ0602000001",
        subject_description="",
    )
    assert answer.status_code == 201, answer.text
    complaint_id = UUID(answer.text.split('href="/console/complaints/', 1)[1].split('"', 1)[0])
    complaint = world.ledger.complaint(complaint_id)
    assert complaint.auxiliary_id == world.auxiliary and complaint.unit == UNIT
    assert complaint.referring_organ == "南通市纪委监委"


def test_refused_forms_say_why_next_to_the_field_keep_the_values_and_record_nothing(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"outside_reference": ""}, "outside_reference", "须填写外部编号"),
        ({"channel": "walk_in"}, "outside_reference", "来访投诉没有外部编号"),
        ({"referring_organ": "南通市信访局"}, "referring_organ", "只有转办的投诉填写转办机关"),
        ({"channel": ""}, "channel", "请选择投诉渠道"),
        ({"subject_description": ""}, "work_id", "不知道的，请描述其特征"),
        ({"work_id": "NTFJ0602000001"}, "work_id", "两项只填一项"),
        (
            {"work_id": "NTFJ0699999999", "subject_description": ""},
            "work_id",
            "没有持此工作证号的在职辅警",
        ),
        ({"complainant_phone": "电话"}, "complainant_phone", "电话只能包含数字"),
        ({"incident_date": "2999-01-01"}, "incident_date", "不能晚于今天"),
        ({"incident_date": "1900-01-01"}, "incident_date", "事发日期不能早于1950年1月1日"),
        ({"allegation": ["", "", ""]}, "allegations", "请至少写一项投诉事项"),
    ]
    for overrides, name, message in cases:
        before = event_count(world)
        answer = post_intake(client, csrf, **overrides)
        assert answer.status_code in (409, 422), (overrides, answer.status_code)
        page = page_text(answer)
        error = page.split(f'id="{name}-error">', 1)
        assert len(error) == 2, (overrides, page)
        assert message in error[1].split("</p>", 1)[0], (overrides, error[1][:200])
        assert 'value="人民路与青年路路口"' in page  # what was typed comes back
        if "allegation" not in overrides:
            assert "执勤时态度恶劣</textarea>" in page
        assert "tracking-code" not in page
        assert event_count(world) == before, overrides


def test_every_fields_refusal_is_told_at_once(client: TestClient, world: World) -> None:
    """A date in the future does not hide the other fields' refusals (the body model's and
    the domain's): each is told beside its field together, and nothing is recorded."""
    csrf = sign_in(client, world.tokens["complaints"])
    before = event_count(world)
    answer = post_intake(
        client,
        csrf,
        incident_date="2999-01-01",
        complainant_phone="电话",
        complainant_name="测试\u200b投诉人",
    )
    assert answer.status_code == 422, answer.text
    page = page_text(answer)
    for name, message in (
        ("incident_date", "不能晚于今天"),
        ("complainant_phone", "电话只能包含数字"),
        ("complainant_name", "投诉人姓名中有看不见的字符"),
    ):
        error = page.split(f'id="{name}-error">', 1)
        assert len(error) == 2, (name, page)
        assert message in error[1].split("</p>", 1)[0], (name, error[1][:200])
    assert len(re.findall(r'class="field-error" id="', page)) == 3
    assert "tracking-code" not in page
    assert event_count(world) == before


def test_a_form_sent_twice_records_one_complaint_and_shows_the_same_code(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    page = page_text(client.get("/console/intake"))
    key = FORM_KEY.search(page)
    assert key is not None
    data = {"csrf": csrf, "form_key": key.group(1), **intake_form()}
    first = client.post("/console/intake", data=data)
    after_first = event_count(world)
    second = client.post("/console/intake", data=data)
    assert first.status_code == 201 and second.status_code == 200, second.text
    assert event_count(world) == after_first
    first_code, second_code = CODE.search(first.text), CODE.search(second.text)
    assert first_code and second_code and first_code.group(1) == second_code.group(1)
    assert "未重复登记" in second.text
    other = client.post("/console/intake", data={**data, "incident_place": "青年路"})
    assert other.status_code == 409 and "tracking-code" not in other.text
    assert event_count(world) == after_first


def test_only_the_complaints_office_takes_and_a_form_needs_its_csrf_token(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    before = event_count(world)
    forged = client.post("/console/intake", data={"csrf": "x" * 20, **intake_form()})
    assert forged.status_code == 403
    assert event_count(world) == before
    client.cookies.clear()
    sign_in(client, world.tokens["discipline"])
    assert client.get("/console/intake").status_code == 403
    home = page_text(client.get("/console/home"))
    assert "/console/intake" not in home
    queue = page_text(client.get("/console/complaints"))
    assert "/console/reports/complaints_unmatched" in queue and "/console/intake" not in queue
    assert csrf


def test_the_office_finds_the_auxiliary_confirms_the_attribution_then_matches(
    client: TestClient, world: World
) -> None:
    complaint_id = take_unnamed(world)
    csrf = sign_in(client, world.tokens["complaints"])
    queue = page_text(client.get("/console/complaints"))
    assert "/console/intake" in queue and "/console/reports/complaints_unmatched" in queue
    page = page_text(client.get(f"/console/complaints/{complaint_id}"))
    assert f'href="/console/complaints/{complaint_id}/subject"' in page
    subject = page_text(client.get(f"/console/complaints/{complaint_id}/subject"))
    assert "骑电动车的辅警" in subject and "subject/match" not in subject

    before = event_count(world)
    unknown = client.post(
        f"/console/complaints/{complaint_id}/subject/check",
        data={"csrf": csrf, "work_id": "NTFJ0699999999"},
    )
    assert unknown.status_code == 422 and "没有发放过此工作证号" in unknown.text
    assert 'value="NTFJ0699999999"' in unknown.text
    assert event_count(world) == before

    check = client.post(
        f"/console/complaints/{complaint_id}/subject/check",
        data={"csrf": csrf, "work_id": "NTFJ0602000001"},
    )
    assert check.status_code == 200, check.text
    assert "李明" in check.text and UNIT in check.text and "确认是这名辅警" in check.text
    assert event_count(world) == before + 1  # the read of the name, recorded as an access
    assert world.ledger.complaint(complaint_id).auxiliary_id is None

    version = check.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    matched = client.post(
        f"/console/complaints/{complaint_id}/subject/match",
        data={"csrf": csrf, "version": version, "work_id": "NTFJ0602000001"},
        follow_redirects=False,
    )
    assert matched.status_code == 303, matched.text
    assert matched.headers["location"].endswith("?done=match_subject")
    complaint = world.ledger.complaint(complaint_id)
    assert complaint.auxiliary_id == world.auxiliary and complaint.unit == UNIT
    done = page_text(client.get(matched.headers["location"]))
    assert "已完成：确认被投诉辅警" in done

    before = event_count(world)
    again = client.post(
        f"/console/complaints/{complaint_id}/subject/match",
        data={"csrf": csrf, "work_id": "NTFJ0602000001"},
    )
    assert again.status_code == 409 and "未记录任何内容" in again.text
    # What is wrong is said in the domain's Chinese, the English only as a technical note.
    notice = page_text(again).split('class="notice bad" role="alert">', 1)[1].split("</p>")[0]
    chinese, english = notice.split("技术说明（英文）：", 1)
    assert "只有未指明辅警的投诉才需确认被投诉辅警" in chinese and "already names" in english
    assert event_count(world) == before


def test_a_work_id_typed_in_lower_case_is_found_and_matched_as_at_intake(
    client: TestClient, world: World
) -> None:
    complaint_id = take_unnamed(world)
    csrf = sign_in(client, world.tokens["complaints"])
    check = client.post(
        f"/console/complaints/{complaint_id}/subject/check",
        data={"csrf": csrf, "work_id": " ntfj0602000001 "},
    )
    assert check.status_code == 200, check.text
    assert "李明" in check.text and "没有发放过此工作证号" not in check.text
    version = check.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    matched = client.post(
        f"/console/complaints/{complaint_id}/subject/match",
        data={"csrf": csrf, "version": version, "work_id": "ntfj0602000001"},
        follow_redirects=False,
    )
    assert matched.status_code == 303, matched.text
    assert world.ledger.complaint(complaint_id).auxiliary_id == world.auxiliary


def test_a_match_form_without_its_csrf_token_records_nothing(
    client: TestClient, world: World
) -> None:
    complaint_id = take_unnamed(world)
    sign_in(client, world.tokens["complaints"])
    before = event_count(world)
    forged = client.post(
        f"/console/complaints/{complaint_id}/subject/match",
        data={"work_id": "NTFJ0602000001"},
    )
    assert forged.status_code == 403
    assert event_count(world) == before
    assert world.ledger.complaint(complaint_id).auxiliary_id is None
    page = page_text(client.get(f"/console/complaints/{complaint_id}/subject"))
    assert csrf_of(page)


def test_a_complaint_about_another_organs_auxiliary_says_where_it_went(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["complaints"])
    answer = post_intake(client, csrf, work_id="NTFJ0612000001", subject_description="")
    assert answer.status_code == 201, answer.text
    page = page_text(answer)
    assert CODE.search(page) and f"被投诉辅警属于{OTHER_ORGAN}局（{OTHER_ORGAN}）" in page
    assert "已转由该机关办理" in page and 'href="/console/complaints/' not in page
    assert "查看并办理这件投诉" not in page

    complaint_id = take_unnamed(world)
    check = client.post(
        f"/console/complaints/{complaint_id}/subject/check",
        data={"csrf": csrf, "work_id": "NTFJ0612000001"},
    )
    assert check.status_code == 200 and OTHER_ORGAN in check.text
    version = check.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    before = event_count(world)
    matched = client.post(
        f"/console/complaints/{complaint_id}/subject/match",
        data={"csrf": csrf, "version": version, "work_id": "NTFJ0612000001"},
        follow_redirects=False,
    )
    assert matched.status_code == 200, matched.text
    assert "location" not in matched.headers
    done = page_text(matched)
    assert "已完成：确认被投诉辅警" in done and f"{OTHER_ORGAN}局（{OTHER_ORGAN}）" in done
    assert f"/console/complaints/{complaint_id}" not in done
    assert event_count(world) == before + 1
    assert world.ledger.complaint(complaint_id).organ == OTHER_ORGAN


def test_an_invisible_character_is_told_on_its_box_in_chinese(
    client: TestClient, world: World
) -> None:
    """A direction-changing character in the second allegation (or the place) is told next
    to that box, in Chinese, as the public form tells it; nothing recorded, all kept."""
    csrf = sign_in(client, world.tokens["complaints"])
    before = event_count(world)
    answer = post_intake(client, csrf, allegation=["执勤时态度恶劣", "", "未出示\u202e证件"])
    html = page_text(answer)
    assert answer.status_code == 422 and event_count(world) == before
    assert 'id="allegations-error"' in html
    assert "投诉事项三中有看不见的字符或改变文字方向的控制字符" in html
    assert "must not contain" not in html.split('id="form-errors"', 1)[0]  # no bare English
    assert "未出示\u202e证件" in html  # kept in its box
    place = post_intake(client, csrf, incident_place="人民路\u200b路口")
    assert place.status_code == 422 and event_count(world) == before
    assert "事发地点中有看不见的字符" in page_text(place)


def test_a_refusal_above_the_form_marks_its_english_detail_as_a_technical_note(
    client: TestClient, world: World
) -> None:
    """The same form sent again with other values is refused above the form: in Chinese,
    the English detail only as a marked technical note."""
    csrf = sign_in(client, world.tokens["complaints"])
    page = page_text(client.get("/console/intake"))
    key = FORM_KEY.search(page)
    assert key is not None
    first = client.post(
        "/console/intake", data={"csrf": csrf, "form_key": key.group(1), **intake_form()}
    )
    assert first.status_code == 201, first.text
    changed = intake_form(incident_place="工农路")
    again = client.post("/console/intake", data={"csrf": csrf, "form_key": key.group(1), **changed})
    html = page_text(again)
    assert again.status_code == 409
    notice = html.split('class="notice bad" role="alert">', 1)[1].split("</p>", 1)[0]
    english = notice.split("技术说明（英文）：", 1)
    assert len(english) == 2 and "this form was sent" in english[1]
    assert "this form was sent" not in english[0]
