"""Oversight over HTTP (issue 13, item 2): a city bureau's oversight tokens read a district
bureau's records with a reason, every read recorded; they change nothing there; a personnel
token never crosses organs; the organ tree refuses unknown parents and cycles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as cli
from domain.commands.organ import RegisterOrgan, SetParent
from domain.values import Actor
from ledger.access import AccessEntry, access_entries, load_token, token_id
from ledger.records import Envelope
from tests.api.conftest import (
    CITY,
    ORGAN,
    OTHER_ORGAN,
    World,
    api_settings,
    assert_refused,
    catch_up,
    event_count,
    new_token,
    problem,
)
from tests.api.test_tokens import cli_env  # noqa: F401 - fixture


def _city(client: TestClient, world: World) -> dict[str, dict[str, str]]:
    """Register the city bureau, place the district bureau (ORGAN) under it over HTTP, and
    issue the city's tokens."""
    world.ledger.register_organ(
        RegisterOrgan(code=CITY, name="南通市公安局", region="南通市"),
        Envelope(Actor(actor_id="setup", role="admin", organ=CITY, unit=None)),
    )
    placed = client.put(
        f"/v1/organs/{ORGAN}/parent", headers=world.headers("admin"), json={"parent": CITY}
    )
    assert placed.status_code == 200, placed.text
    organ = client.get(f"/v1/organs/{ORGAN}", headers=world.headers("admin")).json()
    assert organ["parent"] == CITY
    tokens: dict[str, dict[str, str]] = {}
    for name, role, oversight in (
        ("inspector", "inspector", True),
        ("discipline", "discipline", True),
        ("plain-inspector", "inspector", False),
        ("personnel", "personnel", False),
        ("admin", "admin", False),
    ):
        secret = new_token(world.ledger, role, name, organ=CITY, oversight=oversight).secret
        tokens[name] = {"Authorization": f"Bearer {secret}"}
    return tokens


def test_an_oversight_token_reads_an_organ_below_with_a_reason(
    client: TestClient, world: World
) -> None:
    city = _city(client, world)
    path = f"/v1/auxiliaries/{world.auxiliary}"
    before = event_count(world)
    for who in ("inspector", "discipline"):
        problem(client.get(path, headers=city[who]), 422, "reason_required")
    assert event_count(world) == before  # a refused read records nothing
    read = client.get(path, headers=city["discipline"], params={"reason": "专项督察 2026-7"})
    assert read.status_code == 200, read.text
    assert read.json()["organ"] == ORGAN
    entries = [e for rid, e in access_entries(world.ledger)[0] if rid == str(world.auxiliary)]
    assert entries[-1].organ == CITY and entries[-1].reason == "专项督察 2026-7"
    assert entries[-1].role == "discipline"
    # The timeline too: with a reason only, recorded.
    timeline = f"{path}/timeline"
    problem(client.get(timeline, headers=city["inspector"]), 422, "reason_required")
    history = client.get(timeline, headers=city["inspector"], params={"reason": "专项督察"})
    assert history.status_code == 200 and history.json()["entries"], history.text
    entries = [e for rid, e in access_entries(world.ledger)[0] if rid == str(world.auxiliary)]
    assert entries[-1].organ == CITY and entries[-1].role == "inspector"
    assert entries[-1].purpose.endswith("/timeline") and entries[-1].reason == "专项督察"
    problem(
        client.get(timeline, headers=city["plain-inspector"], params={"reason": "x"}),
        404,
        "not_found",
    )
    # Not below the city: as if it did not exist.
    other = f"/v1/auxiliaries/{world.other_organ_auxiliary}?reason=check"
    problem(client.get(other, headers=city["inspector"]), 404, "not_found")


def test_without_oversight_or_as_personnel_a_token_stays_in_its_organ(
    client: TestClient, world: World
) -> None:
    city = _city(client, world)
    path = f"/v1/auxiliaries/{world.auxiliary}?reason=check"
    for who in ("plain-inspector", "personnel"):
        problem(client.get(path, headers=city[who]), 404, "not_found")
    refused = client.post(
        "/v1/admin/tokens",
        headers=city["admin"],
        json={"role": "personnel", "label": "人事", "oversight": True},
    )
    problem(refused, 422, "oversight")
    granted = client.post(
        "/v1/admin/tokens",
        headers=city["admin"],
        json={"role": "auditor", "label": "审计", "oversight": True},
    )
    assert granted.status_code == 201 and granted.json()["oversight"] is True


def test_an_oversight_token_changes_nothing_below(client: TestClient, world: World) -> None:
    city = _city(client, world)
    before = event_count(world)
    body: dict[str, Any] = {
        "sanction_id": "SAN-OV-1",
        "kind": "warning",
        "facts": "执勤时态度恶劣，经查属实",
        "reasons": "违反日常管理制度",
        "article": "Art. 18",
        "document_number": "通公纪〔2026〕9号",
        "evidence": ["调查笔录"],
    }
    refused = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/impose-sanction",
        headers={**city["discipline"], "X-Access-Reason": "x"},
        json=body,
    )
    problem(refused, 403, "oversight_read_only")
    assert event_count(world) == before
    # The district's own discipline token still may (after the statement, Art. 18).
    waived = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/waive-statement",
        headers=world.headers("discipline"),
        json={"sanction_id": "SAN-OV-1", "waiver_reference": "放弃陈述申辩声明书"},
    )
    assert waived.status_code == 200, waived.text
    own = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/impose-sanction",
        headers=world.headers("discipline"),
        json=body,
    )
    assert own.status_code == 200, own.text


def test_the_tree_refuses_unknown_parents_and_cycles(client: TestClient, world: World) -> None:
    city = _city(client, world)
    before = event_count(world)
    other_organ = f"/v1/organs/{OTHER_ORGAN}/parent"
    other_admin = world.headers("other-organ-admin")
    assert_refused(
        client,
        "PUT",
        [
            (f"/v1/organs/{CITY}/parent", city["admin"], {"parent": ORGAN}, 409, "organ_cycle"),
            (other_organ, other_admin, {"parent": "329999"}, 422, "unknown_organ"),
            # another organ's admin cannot place it
            (f"/v1/organs/{ORGAN}/parent", city["admin"], {"parent": CITY}, 403, "outside_scope"),
        ],
    )
    assert event_count(world) == before


def test_cli_issues_oversight_only_to_the_oversight_roles(
    client: TestClient,
    world: World,
    cli_env: None,  # noqa: F811 - the fixture imported above
    capsys: pytest.CaptureFixture[str],
) -> None:
    _city(client, world)
    args = ["tokens", "create", "--organ", CITY, "--oversight"]
    assert cli([*args, "--role", "auditor"]) == 0
    out, err = capsys.readouterr()
    token = load_token(world.ledger, token_id(out.strip()))
    assert token is not None and token.oversight and "oversight" in err
    before = event_count(world)
    assert cli([*args, "--role", "personnel"]) != 0
    out, err = capsys.readouterr()
    assert out == "" and "not a personnel token" in err
    assert event_count(world) == before


def _last_read(world: World, record_id: str) -> AccessEntry:
    return [e for rid, e in access_entries(world.ledger)[0] if rid == record_id][-1]


def test_an_oversight_token_reads_lists_and_reports_below_with_a_reason(
    client: TestClient, world: World
) -> None:
    city = _city(client, world)
    catch_up(world.ledger)
    below = {"organ": ORGAN}
    before = event_count(world)
    for path, who in (
        ("/v1/auxiliaries", "inspector"),
        ("/v1/complaints", "discipline"),
        ("/v1/reports/quota-use", "discipline"),  # counts cross organs too
        ("/v1/reports/complaints-overdue", "inspector"),
    ):
        problem(client.get(path, headers=city[who], params=below), 422, "reason_required")
    assert event_count(world) == before  # a refused read records nothing
    listed = client.get(
        "/v1/auxiliaries", headers=city["inspector"], params={**below, "reason": "专项督察"}
    )
    assert listed.status_code == 200, listed.text
    assert str(world.auxiliary) in {a["auxiliary_id"] for a in listed.json()["items"]}
    assert str(world.other_organ_auxiliary) not in listed.text
    read = _last_read(world, "personnel_status")
    assert (read.organ, read.role, read.reason) == (CITY, "inspector", "专项督察")
    assert read.purpose == f"GET /v1/auxiliaries?organ={ORGAN}"
    csv = client.get(
        "/v1/auxiliaries",
        headers={**city["inspector"], "X-Access-Reason": "x"},
        params={**below, "format": "csv"},
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "李明" in csv.text
    complaints = client.get(
        "/v1/complaints", headers=city["discipline"], params={**below, "reason": "复查"}
    )
    assert complaints.status_code == 200, complaints.text
    assert str(world.complaint) in {c["complaint_id"] for c in complaints.json()["items"]}
    read = _last_read(world, "complaint_registry")
    assert read.role == "discipline" and read.purpose == f"GET /v1/complaints?organ={ORGAN}"
    quota = client.get(
        "/v1/reports/quota-use", headers=city["discipline"], params={**below, "reason": "编制"}
    )
    assert quota.status_code == 200, quota.text
    assert [r["organ"] for r in quota.json()["rows"]] == [ORGAN]
    read = _last_read(world, "quota_use")
    assert read.reason == "编制" and read.purpose == f"GET /v1/reports/quota-use?organ={ORGAN}"
    # Its own organ needs no reason for counts, and is not recorded as oversight.
    own = client.get("/v1/reports/quota-use", headers=city["discipline"])
    assert own.status_code == 200 and ORGAN not in own.text
    # Outside the subtree, or without oversight: as if it did not exist; nothing recorded.
    before = event_count(world)
    outside = {"organ": OTHER_ORGAN, "reason": "x"}
    problem(
        client.get("/v1/auxiliaries", headers=city["inspector"], params=outside), 404, "not_found"
    )
    problem(
        client.get("/v1/reports/quota-use", headers=city["inspector"], params=outside),
        404,
        "not_found",
    )
    for who in ("plain-inspector", "personnel"):
        problem(
            client.get("/v1/auxiliaries", headers=city[who], params={**below, "reason": "x"}),
            404,
            "not_found",
        )
    problem(  # a district token cannot look sideways or up either
        client.get("/v1/auxiliaries", headers=world.headers("inspector"), params=outside),
        404,
        "not_found",
    )
    assert event_count(world) == before


def test_an_oversight_token_reads_a_complaint_below_with_a_reason(
    client: TestClient, world: World
) -> None:
    city = _city(client, world)
    catch_up(world.ledger)
    path = f"/v1/complaints/{world.complaint}"
    before = event_count(world)
    for who in ("discipline", "inspector"):
        problem(client.get(path, headers=city[who]), 422, "reason_required")
        problem(client.get(f"{path}/history", headers=city[who]), 422, "reason_required")
    assert event_count(world) == before
    read = client.get(path, headers=city["discipline"], params={"reason": "信访督办"})
    assert read.status_code == 200, read.text
    assert read.json()["organ"] == ORGAN and read.json()["complainant_name"] != "张三"
    entry = _last_read(world, str(world.complaint))
    assert (entry.organ, entry.role, entry.reason) == (CITY, "discipline", "信访督办")
    history = client.get(f"{path}/history", headers=city["inspector"], params={"reason": "督办"})
    assert history.status_code == 200 and history.json()["entries"], history.text
    entry = _last_read(world, str(world.complaint))
    assert entry.purpose.endswith("/history") and entry.reason == "督办"
    problem(
        client.get(path, headers=city["plain-inspector"], params={"reason": "x"}),
        404,
        "not_found",
    )


def test_the_organ_tree_is_cached_until_an_organ_is_placed_here(world: World) -> None:
    """A placement recorded elsewhere waits for the cache; one made through this process
    counts at once (the route forgets the copy)."""
    county = "320699"
    setup = Actor(actor_id="setup", role="admin", organ=county, unit=None)
    world.ledger.register_organ(
        RegisterOrgan(code=county, name="测试县公安局", region="南通市"), Envelope(setup)
    )
    catch_up(world.ledger)
    app = create_app(api_settings(world.settings, token_cache_seconds=60.0))
    with TestClient(app) as client:
        city = _city(client, world)
        reason = {"reason": "专项督察"}
        listed = client.get(
            "/v1/auxiliaries", headers=city["inspector"], params={"organ": ORGAN, **reason}
        )
        assert listed.status_code == 200, listed.text  # the tree is read, and kept
        world.ledger.set_organ_parent(county, SetParent(parent=ORGAN), Envelope(setup))
        county_list = {"organ": county, **reason}
        cached = client.get("/v1/auxiliaries", headers=city["inspector"], params=county_list)
        problem(cached, 404, "not_found")
        assert "token's scope" in cached.json()["detail"]  # the kept tree, not the read model
        placed = client.put(
            f"/v1/organs/{OTHER_ORGAN}/parent",
            headers=world.headers("other-organ-admin"),
            json={"parent": CITY},
        )
        assert placed.status_code == 200, placed.text
        for organ in (county, OTHER_ORGAN):
            read = client.get(
                "/v1/auxiliaries", headers=city["inspector"], params={"organ": organ, **reason}
            )
            assert read.status_code == 200, read.text
