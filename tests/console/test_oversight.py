"""Oversight in the console (issue 13): a city bureau's oversight token reads the reports,
the search and the complaints of an organ below with a reason, every read recorded with the
organ read; an organ outside its subtree stays out of reach."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import CITY, OTHER_ORGAN, new_token, place_under_city
from tests.console.conftest import ORGAN, World, accesses, event_count, page_text, sign_in


def _overseer(world: World, role: str) -> str:
    """Place ORGAN under the city bureau and issue the city's oversight token of ``role``."""
    place_under_city(world)
    return new_token(
        world.ledger, role, f"市局{role}", organ=CITY, issued_by="t", oversight=True
    ).secret


def test_a_report_of_an_organ_below_asks_its_reason_and_is_recorded(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, _overseer(world, "discipline"))
    own = page_text(client.get("/console/reports/quota_use"))
    assert 'name="organ"' in own and f'value="{ORGAN}"' in own  # the organ chooser
    path = f"/console/reports/quota_use?organ={ORGAN}"
    before = event_count(world)
    ask = page_text(client.get(path))
    assert "说明查阅事由" in ask and f"下级机关 {ORGAN}" in ask  # counts too: it crosses organs
    assert event_count(world) == before
    kept = client.post(
        f"/console/reports/quota_use/reason?organ={ORGAN}",
        data={"csrf": csrf, "reason": "编制专项检查"},
        follow_redirects=False,
    )
    assert kept.status_code == 303 and kept.headers["location"] == path
    shown = page_text(client.get(path))
    assert f"{ORGAN}局" in shown and "下载 CSV" in shown
    read = accesses(world)[-1]
    assert (read.organ, read.role, read.reason) == (CITY, "discipline", "编制专项检查")
    assert read.purpose == f"GET /console/reports/quota_use?organ={ORGAN}"
    csv = client.get(f"/console/reports/quota_use/csv?organ={ORGAN}")
    assert csv.status_code == 200 and ORGAN in csv.text
    assert accesses(world)[-1].purpose == f"GET /console/reports/quota_use/csv?organ={ORGAN}"
    before = event_count(world)
    assert client.get(f"/console/reports/quota_use?organ={OTHER_ORGAN}").status_code == 404
    assert event_count(world) == before


def test_the_search_covers_the_organs_below_and_opens_their_dossiers(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, _overseer(world, "inspector"))
    client.post("/console/search/reason", data={"csrf": csrf, "reason": "专项督察"})
    form = page_text(client.get("/console/search"))
    assert 'name="organ"' in form and f"下级机关 {ORGAN}" in form
    found = page_text(
        client.post("/console/search", data={"csrf": csrf, "organ": ORGAN, "q": "李明"})
    )
    assert f"/console/auxiliaries/{world.auxiliary}" in found
    read = accesses(world)[-1]
    assert (read.organ, read.reason) == (CITY, "专项督察")
    assert read.purpose == f"GET /v1/auxiliaries?organ={ORGAN}"
    dossier = page_text(client.get(f"/console/auxiliaries/{world.auxiliary}"))
    assert "说明查阅事由" in dossier  # the dossier's own reason flow
    before = event_count(world)
    outside = page_text(
        client.post("/console/search", data={"csrf": csrf, "organ": OTHER_ORGAN, "q": "李明"})
    )
    assert f"/console/auxiliaries/{world.other_organ_auxiliary}" not in outside
    assert 'role="alert"' in outside and event_count(world) == before


def test_a_complaint_below_opens_read_only_after_the_reason(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, _overseer(world, "discipline"))
    path = f"/console/complaints/{world.complaint}"
    before = event_count(world)
    ask = page_text(client.get(path))
    assert "说明查阅事由" in ask and "执勤时态度恶劣" not in ask
    assert event_count(world) == before
    client.post(f"{path}/reason", data={"csrf": csrf, "reason": "信访督办"})
    shown = page_text(client.get(path))
    assert "执勤时态度恶劣" in shown and "张三" not in shown  # the complainant masked
    assert '<form method="post" action="/console/complaints/' not in shown.split("</nav>")[-1]
    read = accesses(world)[-1]
    assert (read.organ, read.role, read.reason) == (CITY, "discipline", "信访督办")
    assert read.record_id == str(world.complaint)


@pytest.mark.parametrize(
    ("kind", "role", "key"),
    [("auxiliaries", "inspector", "auxiliary_id"), ("complaints", "discipline", "complaint_id")],
)
def test_a_record_below_downloads_its_proofs_each_recorded(
    client: TestClient, world: World, kind: str, role: str, key: str
) -> None:
    record = world.auxiliary if kind == "auxiliaries" else world.complaint
    csrf = sign_in(client, _overseer(world, role))
    path = f"/console/{kind}/{record}"
    before = event_count(world)
    ask = client.get(f"{path}/proof/1.json")  # no reason yet: the reason form, nothing read
    assert ask.status_code == 200 and "说明查阅事由" in page_text(ask)
    assert event_count(world) == before
    client.post(f"{path}/reason", data={"csrf": csrf, "reason": "专项督察"})
    shown = page_text(client.get(path))
    assert f'href="{path}/proof/1.json"' in shown
    proof = client.get(f"{path}/proof/1.json")
    assert proof.status_code == 200, proof.text
    assert proof.json()["inclusion"]["verified_by_server"]
    read = accesses(world)[-1]
    assert (read.organ, read.role, read.reason) == (CITY, role, "专项督察")
    assert read.record_id == str(record)
    assert read.purpose == f"GET /console/{kind}/{{{key}}}/proof/{{version}}.json"
    before = event_count(world)
    assert client.get(f"{path}/proof/9999.json").status_code == 404  # refused: nothing kept
    outside = f"/console/{kind}/{world.other_organ_auxiliary}/proof/1.json"
    assert client.get(outside).status_code == 404
    assert event_count(world) == before
