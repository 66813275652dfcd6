"""Find a person: the API's ``?q=`` and the console's search, one search for both."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import RESIDENT_ID, World, problem
from tests.console.conftest import event_count, page_text, sign_in


def names(answer: object) -> list[str]:
    body = answer.json()  # type: ignore[attr-defined]
    return sorted(item["name"] for item in body["items"])


def test_the_api_searches_by_partial_name_and_by_work_id(client: TestClient, world: World) -> None:
    headers = world.headers("personnel")
    assert names(client.get("/v1/auxiliaries?q=李", headers=headers)) == ["李明"]
    assert names(client.get("/v1/auxiliaries?q=强", headers=headers)) == ["赵强"]
    assert names(client.get("/v1/auxiliaries?q=ntfj0602000002", headers=headers)) == ["赵强"]
    assert names(client.get("/v1/auxiliaries?q=%25", headers=headers)) == []
    assert names(client.get("/v1/auxiliaries?q=赵&status=active", headers=headers)) == ["赵强"]
    # the unit token sees only its unit, whatever it searches
    unit = world.headers("unit")
    assert names(client.get("/v1/auxiliaries?q=强", headers=unit)) == []
    assert names(client.get("/v1/auxiliaries?q=李", headers=unit)) == ["李明"]
    csv = client.get("/v1/auxiliaries?q=赵&format=csv", headers=headers)
    assert csv.status_code == 200 and "赵强" in csv.text and "李明" not in csv.text


def test_the_api_refuses_unknown_query_parameters(client: TestClient, world: World) -> None:
    body = problem(
        client.get("/v1/auxiliaries?name=李明", headers=world.headers("personnel")),
        400,
        "unknown_query_parameter",
    )
    assert "name" in body["detail"] and "q" in body["detail"]
    problem(client.get("/v1/ledger/checkpoint?x=1"), 400, "unknown_query_parameter")
    # declared parameters of dependencies still pass (the reason of an inspector's read)
    answer = client.get(
        f"/v1/auxiliaries/{world.auxiliary}?reason=核查", headers=world.headers("inspector")
    )
    assert answer.status_code == 200


def test_the_api_never_takes_a_resident_id_number_as_search_text(
    client: TestClient, world: World
) -> None:
    answer = client.get(f"/v1/auxiliaries?q={RESIDENT_ID}", headers=world.headers("personnel"))
    body = problem(answer, 422, "invalid_filter_value")
    assert RESIDENT_ID not in body["detail"]


def test_the_console_search_finds_by_name_and_work_id(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world.tokens["personnel"])
    page = page_text(client.get("/console/search"))
    assert "李明" in page and "赵强" in page  # the first page of the organ's records
    found = page_text(client.post("/console/search", data={"csrf": csrf, "q": "李"}))
    assert "李明" in found and "赵强" not in found
    assert f"/console/auxiliaries/{world.auxiliary}" in found
    found = page_text(client.post("/console/search", data={"csrf": csrf, "q": "NTFJ0602000002"}))
    assert "赵强" in found and "李明" not in found


def test_the_console_finds_by_resident_id_through_the_blind_index_and_records_it(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    refused = client.post("/console/search", data={"csrf": csrf, "resident_id": RESIDENT_ID})
    assert "督察人员查阅个人记录须说明事由" in page_text(refused)
    assert event_count(world) == before  # nothing recorded without the reason
    found = page_text(
        client.post(
            "/console/search",
            data={"csrf": csrf, "resident_id": RESIDENT_ID, "reason": "投诉核查"},
        )
    )
    assert "李明" in found and "赵强" not in found  # 赵强 is another person
    assert RESIDENT_ID not in found  # the number is not echoed back
    assert event_count(world) == before + 1  # one access record per record found


def test_a_unit_token_searches_only_its_unit_and_has_no_number_lookup(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world.tokens["unit"])
    page = page_text(client.get("/console/search"))
    assert "李明" in page and "赵强" not in page
    assert 'name="resident_id"' not in page
    found = page_text(client.post("/console/search", data={"csrf": csrf, "q": "强"}))
    assert "赵强" not in found and "没有找到" in found
    before = event_count(world)
    refused = client.post("/console/search", data={"csrf": csrf, "resident_id": RESIDENT_ID})
    assert refused.status_code == 403 and "您的角色无权进行此操作" in page_text(refused)
    assert event_count(world) == before


def test_search_without_its_csrf_token_is_refused(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["inspector"])
    before = event_count(world)
    answer = client.post("/console/search", data={"resident_id": RESIDENT_ID, "reason": "投诉核查"})
    assert answer.status_code == 403 and "表单已失效" in page_text(answer)
    assert event_count(world) == before


def test_a_role_without_search_sees_no_link_and_gets_403(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["complaints"])
    home = page_text(client.get("/console/home"))
    assert "/console/search" not in home
    forced = client.get("/console/search")
    assert forced.status_code == 403 and "您的角色无权进行此操作" in page_text(forced)
