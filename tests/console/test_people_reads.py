"""Lists and reports naming people, read in the console under the API's rule: an inspector
states the reason first (a reason page, kept for the visit) and every read is one access
record, made by the API's own functions; reports of counts need no reason."""

from __future__ import annotations

from fastapi.testclient import TestClient

from projections.reports import REPORTS
from tests.api.conftest import World
from tests.console.conftest import accesses, event_count, page_text, sign_in

NAMING = "personnel_status"
CHARTED = "early_warning"
COUNTS = "quota_use"


def _state(client: TestClient, path: str, csrf: str, reason: str = "专项督察") -> str:
    stated = client.post(path, data={"csrf": csrf, "reason": reason})
    assert stated.status_code == 200, stated.text  # followed to the page it was asked for
    return page_text(stated)


def test_an_inspector_gives_a_reason_for_a_report_naming_people_and_each_read_is_recorded(
    client: TestClient, world: World
) -> None:
    assert REPORTS[NAMING].names_people
    csrf = sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    for path in (f"/console/reports/{NAMING}", f"/console/reports/{NAMING}/csv"):
        asked = client.get(path)
        assert asked.status_code == 200
        html = page_text(asked)  # the CSV too: the reason page, never the rows
        assert "说明查阅事由" in html and f'action="/console/reports/{NAMING}/reason"' in html
        assert "李明" not in html and "<table>" not in html
    assert event_count(world) == before  # nothing read, nothing recorded

    page = _state(client, f"/console/reports/{NAMING}/reason", csrf)
    assert "李明" in page and "说明查阅事由" not in page
    assert event_count(world) == before + 1
    access = accesses(world)[-1]
    assert (access.record_type, access.record_id) == ("report", NAMING)
    assert access.reason == "专项督察" and access.role == "inspector"
    assert access.purpose == f"GET /console/reports/{NAMING}"
    assert access.fields == sorted(REPORTS[NAMING].person_columns)

    csv = client.get(f"/console/reports/{NAMING}/csv")  # the reason is kept for the visit
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "李明" in csv.text
    assert event_count(world) == before + 2
    assert accesses(world)[-1].purpose == f"GET /console/reports/{NAMING}/csv"


def test_reports_of_counts_need_no_reason_and_record_nothing(
    client: TestClient, world: World
) -> None:
    assert not REPORTS[COUNTS].names_people
    sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    page = page_text(client.get(f"/console/reports/{COUNTS}"))
    assert "<table>" in page and "说明查阅事由" not in page
    csv = client.get(f"/console/reports/{COUNTS}/csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert event_count(world) == before


def test_other_roles_read_reports_naming_people_as_on_the_api(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.tokens["personnel"])
    before = event_count(world)
    page = page_text(client.get("/console/reports/personnel_status"))
    assert "李明" in page and "说明查阅事由" not in page
    assert event_count(world) == before  # the API records no per-read access for them


def test_charts_naming_people_wait_for_the_reason(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    html = page_text(client.get("/console/reports"))
    assert "触发预警的次数" not in html and "各层级辅警人数" in html
    assert html.count("<svg") == 3  # findings by unit, levels, quota: counts only
    assert f'href="/console/reports/{CHARTED}">预警名单</a>' in html
    assert event_count(world) == before
    _state(client, f"/console/reports/{CHARTED}/reason", csrf)
    after_reason = event_count(world)
    html = page_text(client.get("/console/reports"))
    assert "触发预警的次数" in html
    assert event_count(world) == after_reason + 1  # the chart's read, recorded once
    assert accesses(world)[-1].purpose == "GET /console/reports"


def test_a_reason_form_without_csrf_or_reason_keeps_nothing(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    for path in (f"/console/reports/{NAMING}/reason", "/console/search/reason"):
        refused = client.post(path, data={"reason": "专项督察"})
        assert refused.status_code == 403 and "表单已失效" in page_text(refused)
        empty = client.post(path, data={"csrf": csrf, "reason": " "})
        assert empty.status_code == 422 and "须说明事由" in page_text(empty)
    assert "说明查阅事由" in page_text(client.get(f"/console/reports/{NAMING}"))
    assert "说明查阅事由" in page_text(client.get("/console/search"))
    assert event_count(world) == before


def test_an_inspectors_search_asks_the_reason_and_records_each_list(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    asked = page_text(client.get("/console/search"))
    assert "说明查阅事由" in asked and "李明" not in asked
    assert event_count(world) == before
    found = _state(client, "/console/search/reason", csrf)
    assert "李明" in found and "赵强" in found
    assert event_count(world) == before + 1
    access = accesses(world)[-1]
    assert (access.record_type, access.record_id) == ("report", "personnel_status")
    assert access.reason == "专项督察" and access.purpose == "GET /v1/auxiliaries"
    searched = page_text(client.post("/console/search", data={"csrf": csrf, "q": "李"}))
    assert "李明" in searched and "赵强" not in searched
    assert event_count(world) == before + 2


def test_an_inspectors_complaint_queue_asks_the_reason_and_records_each_view(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    asked = page_text(client.get("/console/complaints"))
    assert "说明查阅事由" in asked and f"/console/complaints/{world.complaint}" not in asked
    assert event_count(world) == before
    queue = _state(client, "/console/complaints/reason", csrf)
    assert f"/console/complaints/{world.complaint}" in queue and "须说明事由" not in queue
    assert event_count(world) == before + 1
    access = accesses(world)[-1]
    assert (access.record_type, access.record_id) == ("report", "complaint_registry")
    assert access.purpose == "GET /v1/complaints" and access.reason == "专项督察"
