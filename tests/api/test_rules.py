"""Rules over HTTP (Art. 20): ``GET``/``POST /v1/rules``, the ``rule-sets`` report, the
``/readyz`` expiry warning for operators, and the console's banner. The clock is the API
ledger's, fixed per test (``runtime.ledger().clock``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.console.staff_reports import COLUMNS, TITLES
from api.console.web import _LABELS_BY_NAME
from ledger.records import AuxLedger
from projections.reports import REPORTS
from tests.api.conftest import World, event_count, problem
from tests.console.conftest import page_text, sign_in
from tests.projections.test_workers import wait_for

BEFORE_WARNING = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 2027-12-31 is 424 days away
IN_WARNING = datetime(2027, 11, 1, 2, 0, tzinfo=UTC)  # 60 days before 2027-12-31
AFTER_END = datetime(2028, 1, 5, 2, 0, tzinfo=UTC)

NANTONG_2018 = {
    "format": 1,
    "id": "nantong-2018",
    "title": "南通市公安机关警务辅助人员管理办法",
    "document": "通政办发〔2018〕2号",
    "effective_from": "2018-01-10",
    "effective_until": "2023-02-28",
}
NANTONG_2028 = {
    **NANTONG_2018,
    "id": "nantong-2028",
    "title": "后续办法",
    "document": "通政规〔2028〕1号",
    "effective_from": "2028-01-01",
    "effective_until": "2032-12-31",
}


def at(client: TestClient, when: datetime) -> AuxLedger:
    """Fix the API ledger's clock; return that ledger."""
    ledger: AuxLedger = client.app.state.runtime.ledger()  # type: ignore[attr-defined]
    ledger.clock: Callable[[], datetime] = lambda: when  # type: ignore[method-assign,misc]
    return ledger


def load(client: TestClient, world: World, *rule_sets: dict[str, Any], who: str = "admin") -> Any:
    return client.post("/v1/rules", headers=world.headers(who), json={"rule_sets": list(rule_sets)})


def test_staff_read_the_rule_sets_and_admins_load_them(client: TestClient, world: World) -> None:
    at(client, BEFORE_WARNING)
    body = client.get("/v1/rules", headers=world.headers("personnel")).json()
    assert body["loaded"] is False and body["warning"] is None
    assert [r["rule_id"] for r in body["rule_sets"]] == ["nantong-2023"]
    assert body["rule_sets"][0]["parts"]["levels"] == {"lowest": 1, "highest": 10}

    answer = load(client, world, NANTONG_2018)
    assert answer.status_code == 201, answer.text
    assert answer.headers["ETag"] == '"2"'
    body = client.get("/v1/rules", headers=world.headers("inspector")).json()
    assert body["loaded"] is True
    # The built-in 2023 rule set keeps the days the loaded 2018 one does not claim.
    assert [(r["rule_id"], r["state"]) for r in body["rule_sets"]] == [
        ("nantong-2018", "ended"),
        ("nantong-2023", "in_force"),
    ]
    # The 2018 rule set fixes no part: the ledger's own apply.
    assert body["rule_sets"][0]["parts"]["complaints"]["conclude_days"] == 30


def test_a_refused_load_is_a_problem_and_stores_nothing(client: TestClient, world: World) -> None:
    at(client, BEFORE_WARNING)
    before = event_count(world)
    bad = {**NANTONG_2028, "effective_from": "2031-01-01", "effective_until": "2030-01-01"}
    body = problem(load(client, world, NANTONG_2018, bad), 422, "invalid_rule_set")
    assert body["detail"] == (
        "rule set refused (1 problem): effective_from must not be later than effective_until"
    )
    clash = {**NANTONG_2028, "effective_from": "2022-01-01"}
    body = problem(load(client, world, NANTONG_2018, clash), 422, "invalid_rule_set")
    assert "overlaps nantong-2018 in part" in body["detail"]
    problem(load(client, world, NANTONG_2018, who="other-organ-admin"), 403, "outside_scope")
    problem(load(client, world, NANTONG_2018, who="personnel"), 403, "role_not_allowed")
    assert event_count(world) == before
    assert load(client, world, NANTONG_2018).status_code == 201
    problem(load(client, world, NANTONG_2018), 409, "duplicate_record")


@pytest.mark.usefixtures("workers")
def test_readyz_warns_operators_from_90_days_before_the_rules_end(
    client: TestClient, world: World
) -> None:
    at(client, BEFORE_WARNING)
    assert "warnings" not in client.get("/readyz", headers=world.headers("admin")).json()
    at(client, IN_WARNING)
    ready = client.get("/readyz", headers=world.headers("auditor"))
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["warnings"] == [
        "rule set nantong-2023 ends on 2027-12-31 (60 days) and no rule set follows it; "
        "load the next one"
    ]
    assert client.get("/readyz").json() == {"status": "ready"}  # the public hears nothing
    at(client, AFTER_END)
    assert client.get("/readyz", headers=world.headers("admin")).json()["warnings"] == [
        "no rule set is in force: nantong-2023 ended on 2027-12-31; load the rules now in force"
    ]
    at(client, IN_WARNING)
    assert load(client, world, NANTONG_2028).status_code == 201
    wait_for(
        lambda: (
            client.get("/readyz", headers=world.headers("admin")).json().get("status") == "ready"
        )
    )
    assert "warnings" not in client.get("/readyz", headers=world.headers("admin")).json()


def test_the_rule_sets_report_marks_the_expiring_one(client: TestClient, world: World) -> None:
    at(client, BEFORE_WARNING)
    assert load(client, world, NANTONG_2018).status_code == 201
    answer = client.get(
        "/v1/reports/rule-sets?on=2027-11-01&expiring_only=true",
        headers=world.headers("inspector"),
    )
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [(r["rule_id"], r["state"], r["days_left"], r["expiring"]) for r in rows] == [
        ("nantong-2023", "in_force", 60, True)
    ]
    every = client.get(
        "/v1/reports/rule-sets?on=2026-11-02", headers=world.headers("inspector")
    ).json()["rows"]
    assert [(r["rule_id"], r["expiring"]) for r in every] == [
        ("nantong-2018", False),
        ("nantong-2023", False),
    ]


def test_the_console_shows_staff_a_banner_when_the_rules_end_soon(
    client: TestClient, world: World
) -> None:
    at(client, BEFORE_WARNING)
    sign_in(client, world.tokens["personnel"])
    assert "data-rules-warning" not in page_text(client.get("/console/home"))
    at(client, IN_WARNING)
    html = page_text(client.get("/console/home"))
    assert "规则集 nantong-2023 将于2027年12月31日到期（还剩 60 天）" in html
    at(client, AFTER_END)
    assert "当前没有有效的规则集" in page_text(client.get("/console/home"))


def test_the_rule_sets_report_reads_in_chinese_in_the_console(
    client: TestClient, world: World
) -> None:
    spec = REPORTS["rule_sets"]
    assert TITLES["rule_sets"] == "规则集及到期提醒"
    for column in (*spec.columns, *(p.name for p in spec.params)):
        assert column in COLUMNS, column
    assert set(_LABELS_BY_NAME["RuleSetState"]) == {"in_force", "ended", "not_started"}
    at(client, BEFORE_WARNING)
    sign_in(client, world.tokens["inspector"])
    html = page_text(client.get("/console/reports/rule_sets?on=2027-11-01"))
    table = html.split("<table>", 1)[1]
    assert "通政规〔2023〕1号" in table and "施行中" in table and "有效期至" in table
