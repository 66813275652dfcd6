"""Contracts ending (Art. 8) and assessments (Art. 9, 11) through the generic report routes.

The world's auxiliaries were hired with contracts ending 2028-12-31; 李明 (unit 320602-001)
and 赵强 (320602-002) are of organ 320602, a third of organ 320612.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from domain.commands.auxiliary import Evaluate
from domain.values import china_date
from ledger.records import Envelope
from tests.api.conftest import World, actor, catch_up, problem

ENDING = "/v1/reports/contracts-ending"
ASSESSMENTS = "/v1/reports/assessments"
SUMMARY = "/v1/reports/assessment-summary"


def _assess(world: World) -> int:
    """李明 assessed excellent for last year; 赵强 not; the other organ's auxiliary competent."""
    year = china_date_today().year - 1
    assert world.auxiliary and world.other_organ_auxiliary
    for organ, auxiliary, grade in (
        ("320602", world.auxiliary, "excellent"),
        ("320612", world.other_organ_auxiliary, "competent"),
    ):
        world.ledger.command_auxiliary(
            auxiliary,
            Evaluate(year=year, grade=grade),
            Envelope(actor("personnel", organ), effective=date(year + 1, 1, 10)),
        )
    catch_up(world.ledger)
    return year


def china_date_today() -> date:
    return china_date(datetime.now(tz=UTC))


def test_contracts_ending_lists_the_organs_auxiliaries_by_their_end(
    client: TestClient, world: World
) -> None:
    headers = world.headers("personnel")
    body = client.get(f"{ENDING}?on=2028-11-01", headers=headers).json()
    # 2028-11-01 + 60 days is after 2028-12-31: both of the organ, none of the other organ.
    assert body["total"] == 2 and body["article"] == "Art. 8"
    assert [(r["name"], r["standing"], r["days_left"]) for r in body["rows"]] == [
        ("李明", "ending", 60),
        ("赵强", "ending", 60),
    ]
    past = client.get(f"{ENDING}?on=2029-01-01&unit=320602-002", headers=headers).json()
    assert [(r["name"], r["standing"], r["days_over"]) for r in past["rows"]] == [
        ("赵强", "past", 1)
    ]
    assert client.get(ENDING, headers=headers).json()["total"] == 0  # today: nothing near
    text = client.get(f"{ENDING}?on=2028-12-31&format=csv", headers=headers).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["name"], r["standing"], r["days_left"], r["days_over"]) for r in rows] == [
        ("李明", "ending", "0", ""),
        ("赵强", "ending", "0", ""),
    ]


def test_contracts_ending_bad_parameters_are_problems(client: TestClient, world: World) -> None:
    headers = world.headers("personnel")
    for query in ("within_days=0", "within_days=367", "standing=soon"):
        body = problem(
            client.get(f"{ENDING}?{query}", headers=headers), 422, "invalid_filter_value"
        )
        assert query.split("=")[0] in body["detail"]
    problem(client.get(f"{ENDING}?on=2028-02-30", headers=headers), 422, "validation")
    problem(client.get(f"{ENDING}?unit=320612-001", headers=headers), 404, "not_found")
    problem(client.get(ENDING, headers=world.headers("unit")), 403, "role_not_allowed")


def test_assessments_show_grades_and_who_has_none(client: TestClient, world: World) -> None:
    year = _assess(world)
    headers = world.headers("personnel")
    body = client.get(ASSESSMENTS, headers=headers).json()
    assert body["parameters"] == {"organ": "320602", "page": 1, "page_size": 50}
    assert [(r["name"], r["year"], r["assessed"], r["grade"]) for r in body["rows"]] == [
        ("李明", year, True, "excellent"),
        ("赵强", year, False, None),
    ]
    missing = client.get(f"{ASSESSMENTS}?missing_only=true", headers=headers).json()
    assert [r["name"] for r in missing["rows"]] == ["赵强"]
    summary = client.get(f"{SUMMARY}?format=csv", headers=world.headers("inspector")).text
    assert summary.splitlines() == [
        "organ,unit,unit_name,year,auxiliaries,excellent,competent,basically_competent,"
        "incompetent,not_assessed,excellent_percent",
        f"320602,320602-001,320602-001所,{year},1,1,0,0,0,0,100.0",
        f"320602,320602-002,320602-002所,{year},1,0,0,0,0,1,",
    ]
    other = client.get(SUMMARY, headers=world.headers("other-organ-discipline")).json()
    assert [(r["organ"], r["competent"]) for r in other["rows"]] == [("320612", 1)]
    problem(client.get(f"{ASSESSMENTS}?grade=good", headers=headers), 422, "invalid_filter_value")


def test_an_inspector_reads_assessments_with_a_reason_only(
    client: TestClient, world: World
) -> None:
    _assess(world)
    inspector = world.headers("inspector")
    for url in (ASSESSMENTS, f"{ENDING}?on=2028-11-01&format=csv"):
        response = client.get(url, headers=inspector)
        problem(response, 422, "reason_required")
        assert "李明" not in response.text
        with_reason = client.get(url, headers={**inspector, "X-Access-Reason": "audit 2026-9"})
        assert with_reason.status_code == 200 and "李明" in with_reason.text
    # the summary names nobody: no reason asked
    assert client.get(SUMMARY, headers=inspector).status_code == 200
