"""Organs and units by name and code ("name（code）") where a staff page names them: the
header, the dossier, the complaints queue, the search, the subject-match page and the
reports' cells and organ chooser; each organ read once a page."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api.console.organ_names import OrganNames
from tests.api.conftest import (
    CITY,
    ORGAN,
    OTHER_ORGAN,
    UNIT,
    World,
    catch_up,
    new_token,
    place_under_city,
)
from tests.console.conftest import page_text, sign_in, take_unnamed

ORGAN_LABEL = f"{ORGAN}局（{ORGAN}）"
UNIT_LABEL = f"{UNIT}所（{UNIT}）"


def _who(page: str) -> str:
    return page.split('class="who">', 1)[1].split("</span>", 1)[0]


def test_the_header_and_home_name_the_organ_and_unit(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["personnel"])
    home = page_text(client.get("/console/home"))
    assert _who(home).endswith(f"· {ORGAN_LABEL}")
    assert f"所属机关 {ORGAN_LABEL}" in home
    unit = TestClient(client.app)
    sign_in(unit, world.tokens["unit"])
    home = page_text(unit.get("/console/home"))
    assert _who(home).endswith(f"· {ORGAN_LABEL} · {UNIT_LABEL}")
    assert f"用辅部门 {UNIT_LABEL}" in home


def test_the_dossier_names_the_organ_and_unit(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["personnel"])
    page = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    header = page.split('id="h-header"', 1)[1].split("</section>", 1)[0]
    assert f"<dt>机关</dt><dd>{ORGAN_LABEL}</dd>" in header
    assert f"<dt>用辅部门</dt><dd>{UNIT_LABEL}</dd>" in header
    responsibility = page.split('id="h-resp"', 1)[1].split("</section>", 1)[0]
    assert f"<dt>机关</dt><dd>{ORGAN_LABEL}</dd>" in responsibility
    as_of = page.split('id="h-asof"', 1)[1].split("</section>", 1)[0]
    assert f"<dt>用辅部门</dt><dd>{UNIT_LABEL}</dd>" in as_of


def test_the_queue_and_the_search_name_the_unit(client: TestClient, world: World) -> None:
    sign_in(client, world.tokens["complaints"])
    queue = page_text(client.get("/console/complaints"))
    row = queue.split(f"/console/complaints/{world.complaint}", 1)[1].split("</tr>", 1)[0]
    assert f'<td data-label="用辅部门">{UNIT_LABEL}</td>' in row
    searcher = TestClient(client.app)
    sign_in(searcher, world.tokens["personnel"])
    found = page_text(searcher.get("/console/search"))
    row = found.split(f"/console/auxiliaries/{world.auxiliary}", 1)[1].split("</tr>", 1)[0]
    assert f"<td>{UNIT_LABEL}</td>" in row


def test_the_subject_page_names_the_organ_and_unit_found(client: TestClient, world: World) -> None:
    complaint_id = take_unnamed(world)
    csrf = sign_in(client, world.tokens["complaints"])
    check = client.post(
        f"/console/complaints/{complaint_id}/subject/check",
        data={"csrf": csrf, "work_id": "NTFJ0602000001"},
    )
    assert check.status_code == 200, check.text
    found = page_text(check).split('id="h-found"', 1)[1].split("</section>", 1)[0]
    assert f"<dt>机关</dt><dd>{ORGAN_LABEL}</dd>" in found
    assert f"<dt>用辅部门</dt><dd>{UNIT_LABEL}</dd>" in found


def test_report_cells_name_organs_and_units_and_the_csv_keeps_codes(
    client: TestClient, world: World
) -> None:
    """On the page a report's 机关, 用辅部门 and 考核时所在部门 read "name（code）"; its CSV
    keeps the API's codes."""
    answer = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/evaluate",
        headers=world.headers("personnel"),
        json={"year": 2025, "grade": "competent"},
    )
    assert answer.status_code == 200, answer.text
    catch_up(world.ledger)
    sign_in(client, world.tokens["personnel"])
    for report in ("personnel_status", "assessments?year=2025"):
        page = page_text(client.get(f"/console/reports/{report}"))
        row = page.split(f"/console/auxiliaries/{world.auxiliary}", 1)[1].split("</tr>", 1)[0]
        assert row.count(f"<td>{ORGAN_LABEL}</td>") == 1, (report, row)
        assert row.count(f"<td>{UNIT_LABEL}</td>") == (2 if "assessments" in report else 1)
    csv = client.get("/console/reports/personnel_status/csv").text
    assert f"{ORGAN},{UNIT}," in csv and "（" not in csv and f"{ORGAN}局" not in csv


def test_the_report_organ_chooser_names_the_organs(client: TestClient, world: World) -> None:
    place_under_city(world)
    secret = new_token(
        world.ledger, "discipline", "市局discipline", organ=CITY, issued_by="t", oversight=True
    ).secret
    sign_in(client, secret)
    page = page_text(client.get("/console/reports/quota_use"))
    chooser = page.split('name="organ"', 1)[1].split("</select>", 1)[0]
    assert f"本机关 南通市公安局（{CITY}）" in chooser
    assert f">下级机关 {ORGAN_LABEL}</option>" in chooser


class _Counted:
    """The real ledger, counting the organs read through it."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.reads: list[str] = []

    def organ(self, code: str) -> Any:
        self.reads.append(code)
        return self.ledger.organ(code)


def test_each_organ_is_read_once_a_page_and_an_unknown_code_reads_as_itself(
    world: World,
) -> None:
    ledger = _Counted(world.ledger)
    names = OrganNames(ledger)
    assert ledger.reads == []  # nothing read until a name is asked for
    rows = [(ORGAN, UNIT)] * 50 + [(OTHER_ORGAN, f"{OTHER_ORGAN}-001")] * 50
    labels = [names.unit(organ, unit) for organ, unit in rows]
    assert labels[0] == UNIT_LABEL and labels[-1] == f"{OTHER_ORGAN}-001所（{OTHER_ORGAN}-001）"
    assert names.organ(ORGAN) == ORGAN_LABEL
    assert ledger.reads == [ORGAN, OTHER_ORGAN]
    assert names.organ("329999") == "329999" and names.unit("329999", "329999-001") == "329999-001"
    assert names.unit(ORGAN, "320602-999") == "320602-999" and names.unit(ORGAN, None) is None
    assert ledger.reads == [ORGAN, OTHER_ORGAN, "329999"]
