"""No CSV the API writes can be taken for a formula (issue 14, finding f; OWASP CSV injection).

Names that look like formulas are recorded through the real commands (HTTP, signed and
logged), then every kind of CSV that shows them is read back with ``csv``.
"""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from projections.reports import csv_safe
from tests.api.bodies import hire_body
from tests.api.conftest import UNIT, World, catch_up

LINK = '=HYPERLINK("http://x","y")'
PLUS = "+cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"


def _rows(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, str]]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def _hire(client: TestClient, world: World) -> str:
    body = hire_body(supervisor_name=AT, name=LINK)
    hired = client.post("/v1/auxiliaries", json=body, headers=world.headers("personnel"))
    assert hired.status_code == 201, hired.text
    auxiliary_id: str = hired.json()["originator_id"]
    issued = client.post(
        f"/v1/auxiliaries/{auxiliary_id}/issue-credential",
        json={"kind": "work_id", "serial": "NTFJ0602000077", "effective": "2026-01-02"},
        headers=world.headers("personnel"),
    )
    assert issued.status_code == 200, issued.text
    return auxiliary_id


def test_formula_like_names_come_back_as_text_in_every_csv(
    client: TestClient, world: World
) -> None:
    auxiliary_id = _hire(client, world)
    catch_up(world.ledger)  # the intake finds the work ID in a read model
    filed = client.post(
        "/v1/complaints",
        json={
            "work_id": "NTFJ0602000077",
            "incident_at": "2026-11-20T09:30:00+08:00",
            "incident_place": "人民路与青年路路口",
            "allegations": ["执勤时态度恶劣"],
        },
    )
    assert filed.status_code == 201, filed.text
    finding = client.post(
        "/v1/misconduct-findings",
        json={
            "official_id": "602099",
            "official_name": MINUS,
            "official_role": "supervisor",
            "unit": UNIT,
            "kind": "neglect_of_duty",
            "summary": "未履行带辅责任",
            "decision": "诫勉谈话",
        },
        headers=world.headers("discipline"),
    )
    assert finding.status_code == 201, finding.text
    catch_up(world.ledger)
    personnel = world.headers("personnel")

    for url in ("/v1/auxiliaries?format=csv", "/v1/reports/personnel-status?format=csv"):
        row = next(r for r in _rows(client, url, personnel) if r["auxiliary_id"] == auxiliary_id)
        assert row["name"] == "'" + LINK, url
        assert row["supervisor_name"] == "'" + AT, url
    for url in ("/v1/complaints?format=csv", "/v1/reports/complaint-registry?format=csv"):
        rows = _rows(client, url, world.headers("complaints"))
        row = next(r for r in rows if r["auxiliary_id"] == auxiliary_id)
        assert row["auxiliary_name"] == "'" + LINK, url
        assert row["supervisor_name"] == "'" + AT, url
    rows = _rows(client, "/v1/reports/misconduct-findings?format=csv", world.headers("discipline"))
    assert [r["official_name"] for r in rows if r["official_id"] == "602099"] == ["'" + MINUS]
    # The same text as JSON is as it was recorded: only the CSV cell is guarded.
    listed = client.get("/v1/auxiliaries", headers=personnel).json()["items"]
    assert [i["name"] for i in listed if i["auxiliary_id"] == auxiliary_id] == [LINK]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (LINK, "'" + LINK),
        (PLUS, "'" + PLUS),
        (MINUS, "'" + MINUS),
        (AT, "'" + AT),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("-3", "-3"),
        ("-0.25", "-0.25"),
        ("+86", "+86"),
        ("李明", "李明"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_csv_safe(cell: str, written: str) -> None:
    assert csv_safe(cell) == written
