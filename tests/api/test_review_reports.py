"""Staff see reviews (复查): the ``reviews`` registry (due date, outcome, overdue) and the
early warning's ``reviews_due`` (due within N days, or overdue), JSON and CSV, scoped to
the reader's organ; the console lists them with Chinese titles."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.values import china_date
from tests.api.conftest import World, catch_up, problem
from tests.api.test_public import COMPLAINT
from tests.console.conftest import sign_in


def _reviewed(client: TestClient, world: World) -> tuple[str, str]:
    """Two complaints told their result, each with a review asked for; the second decided
    (changed) by the inspectorate. Their ids."""
    office = world.headers("complaints")
    today = china_date(datetime.now(tz=UTC)).isoformat()
    ids = []
    for _ in range(2):
        receipt = client.post("/v1/complaints", json=COMPLAINT).json()
        cid = receipt["complaint_id"]
        for slug, payload in (
            ("acknowledge", {}),
            ("decline", {"reason": "不属于辅警管理范围"}),
            ("notify-complainant", {"method": "sms", "notified_on": today, "summary": "不予受理"}),
            ("request-review", {"reasons": "投诉人不服"}),
        ):
            answer = client.post(f"/v1/complaints/{cid}/{slug}", headers=office, json=payload)
            assert answer.status_code == 200, answer.text
        ids.append(cid)
    decided = client.post(
        f"/v1/complaints/{ids[1]}/decide-review",
        headers=world.headers("inspector"),
        json={"outcome": "changed", "reasons": "复查后予以受理"},
    )
    assert decided.status_code == 200, decided.text
    catch_up(world.ledger)
    return ids[0], ids[1]


def _rows(answer: Any) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {row["complaint_id"]: row for row in answer.json()["rows"]}


def test_the_registry_and_the_early_warning_show_reviews_as_they_stand(
    client: TestClient, world: World
) -> None:
    open_id, decided_id = _reviewed(client, world)
    due = world.ledger.complaint(UUID(open_id)).review
    assert due is not None
    office = world.headers("complaints")
    rows = _rows(client.get("/v1/reports/reviews", headers=office))
    assert set(rows) == {open_id, decided_id}
    assert rows[open_id]["review_outcome"] is None and rows[open_id]["review_overdue"] is False
    assert rows[open_id]["review_due"] == due.due.isoformat()
    assert rows[open_id]["days_left"] == (due.due - china_date(datetime.now(tz=UTC))).days
    assert rows[open_id]["review_requested_by"] == "complaints"
    assert rows[decided_id]["review_outcome"] == "changed"
    assert rows[decided_id]["days_left"] is None and rows[decided_id]["decided_late"] is False
    # on a day after the due date the open one is overdue; the decided one is not
    later = (due.due + timedelta(days=3)).isoformat()
    rows = _rows(client.get("/v1/reports/reviews", params={"on": later}, headers=office))
    assert rows[open_id]["review_overdue"] is True and rows[open_id]["days_over"] == 3
    assert rows[decided_id]["review_overdue"] is False
    overdue = client.get(
        "/v1/reports/reviews", params={"on": later, "standing": "overdue"}, headers=office
    )
    assert set(_rows(overdue)) == {open_id}
    changed = client.get("/v1/reports/reviews", params={"standing": "changed"}, headers=office)
    assert set(_rows(changed)) == {decided_id}
    # early warning: due within N days of a day, or overdue; decided ones never
    ahead = (due.due - timedelta(days=10)).isoformat()
    warn = "/v1/reports/reviews-due"
    assert _rows(client.get(warn, params={"on": ahead}, headers=office)) == {}
    near = client.get(warn, params={"on": ahead, "within_days": 10}, headers=office)
    assert set(_rows(near)) == {open_id}
    assert set(_rows(client.get(warn, params={"on": later}, headers=office))) == {open_id}
    problem(
        client.get(warn, params={"within_days": 0}, headers=office), 422, "invalid_filter_value"
    )
    # CSV, and another organ sees none of them
    text = client.get("/v1/reports/reviews", params={"format": "csv"}, headers=office).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert {r["complaint_id"] for r in table} == {open_id, decided_id}
    other = client.get("/v1/reports/reviews", headers=world.headers("other-organ-complaints"))
    assert _rows(other) == {}


def test_the_console_lists_the_review_reports_in_chinese(client: TestClient, world: World) -> None:
    open_id, _ = _reviewed(client, world)
    sign_in(client, world.tokens["complaints"])
    listing = client.get("/console/reports")
    assert "复查申请登记（期限、结论、超期）" in listing.text
    assert "复查即将到期与已超期" in listing.text
    page = client.get("/console/reports/reviews")
    assert page.status_code == 200, page.text
    assert open_id in page.text
    assert "复查意见应作出日期" in page.text and "维持原结论" not in page.text
    assert "变更原结论" in page.text
