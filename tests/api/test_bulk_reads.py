"""Inspectors' bulk reads of people: a reason, and one access record per read (issue 14, g).

An inspector's read of a report or list that names people needs a reason exactly as a
single record does (422 ``reason_required``, nothing shown, nothing recorded), and each read
with one is recorded as one signed ``RecordAccess``. Reports of counts and sums name nobody.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from projections.reports import REPORTS
from tests.api.conftest import World, accesses, last_event_id, problem

NAMING_PEOPLE = {
    "personnel_status",
    "complaint_registry",
    "complaints_overdue",
    "complaints_not_notified",
    "complaint_findings",
    "accountability_by_supervisor",
    "misconduct_findings",
    "early_warning",
    "without_supervisor",
    "unreturned_credentials",
    "duty_without_accident_insurance",
    "health_checks_overdue",
    "sustained_without_sanction",
    "outside_rule_period",
    "contracts_ending",
    "assessments",
    "complaints_unmatched",
    "probations",
    "training_missing",
    "on_leave",
    "lifecycle_warnings",
}
"""Written out by hand: the decision, not a copy of the code's flags."""

COUNTS_ONLY = {
    "complaint_time_to_close",
    "accountability_by_unit",
    "commendation_ratio",
    "quota_use",
    "level_distribution",
    "pay_against_wage",
    "assessment_summary",
    "rule_sets",
    "reviews",
    "reviews_due",
}

LISTS = {"/v1/auxiliaries": "personnel_status", "/v1/complaints": "complaint_registry"}


def _slug(name: str) -> str:
    return name.replace("_", "-")


def _reads() -> list[tuple[str, str, str]]:
    """(url, report name, route recorded) of every read that names people, JSON and CSV."""
    reads = []
    for name in sorted(NAMING_PEOPLE):
        route = f"/v1/reports/{_slug(name)}"
        reads += [(route, name, route), (f"{route}?format=csv", name, route)]
    for path, name in LISTS.items():
        reads += [(path, name, path), (f"{path}?format=csv", name, path)]
    return reads


def test_the_reports_that_name_people_are_the_decided_ones() -> None:
    assert {n for n, spec in REPORTS.items() if spec.names_people} == NAMING_PEOPLE
    assert {n for n, spec in REPORTS.items() if not spec.names_people} == COUNTS_ONLY
    assert all(REPORTS[n].person_columns for n in NAMING_PEOPLE)
    # docs/api.md lists them
    api = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    paragraph = api.split("Reports and lists naming people", 1)[1].split("\n\n", 1)[0]
    listed, counts = paragraph.split("The reports of counts and sums", 1)
    counts = counts.split("name nobody", 1)[0]
    for name in NAMING_PEOPLE:
        assert f"`{_slug(name)}`" in listed and f"`{_slug(name)}`" not in counts, name
    for name in COUNTS_ONLY:
        assert f"`{_slug(name)}`" in counts and f"`{_slug(name)}`" not in listed, name


def test_an_inspector_without_a_reason_reads_no_people_in_bulk(
    client: TestClient, world: World
) -> None:
    before = last_event_id(world)
    blank = {**world.headers("inspector"), "X-Access-Reason": "  "}
    for url, _, _ in _reads():
        for headers in (world.headers("inspector"), blank):
            response = client.get(url, headers=headers)
            body = problem(response, 422, "reason_required")
            assert "X-Access-Reason" in body["detail"]
            assert "李明" not in response.text and "王建国" not in response.text, url
    assert last_event_id(world) == before


def test_each_inspector_read_with_a_reason_is_one_access_record(
    client: TestClient, world: World
) -> None:
    headers = {**world.headers("inspector"), "X-Access-Reason": "inspection 2026-17"}
    for url, name, route in _reads():
        before = last_event_id(world)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        assert last_event_id(world) == before + 1, url
        access = accesses(world)[-1]
        assert access.record_type == "report" and access.record_id == name, url
        assert access.reason == "inspection 2026-17"
        assert access.purpose == f"GET {route}"
        assert access.fields == sorted(REPORTS[name].person_columns)
        assert access.actor_id and access.role == "inspector"
    # with ?reason= too
    before = last_event_id(world)
    query = client.get("/v1/auxiliaries?reason=audit", headers=world.headers("inspector"))
    assert query.status_code == 200 and query.json()["items"][0]["name"]
    assert last_event_id(world) == before + 1 and accesses(world)[-1].reason == "audit"


def test_reports_of_counts_need_no_reason_and_record_nothing(
    client: TestClient, world: World
) -> None:
    before = last_event_id(world)
    for name in sorted(COUNTS_ONLY):
        for url in (f"/v1/reports/{_slug(name)}", f"/v1/reports/{_slug(name)}?format=csv"):
            assert client.get(url, headers=world.headers("inspector")).status_code == 200, url
    assert last_event_id(world) == before


def test_other_roles_read_reports_as_before(client: TestClient, world: World) -> None:
    before = last_event_id(world)
    for url, who in (
        ("/v1/auxiliaries", "personnel"),
        ("/v1/reports/personnel-status?format=csv", "unit"),
        ("/v1/complaints", "complaints"),
        ("/v1/reports/misconduct-findings", "discipline"),
    ):
        assert client.get(url, headers=world.headers(who)).status_code == 200, url
    assert last_event_id(world) == before
