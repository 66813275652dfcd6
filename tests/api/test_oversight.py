"""Oversight over HTTP (issue 13, item 2): a city bureau's oversight tokens read a district
bureau's records with a reason, every read recorded; they change nothing there; a personnel
token never crosses organs; the organ tree refuses unknown parents and cycles."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from domain.commands.organ import RegisterOrgan
from domain.values import Actor
from ledger.access import access_entries, issue_token, load_token, token_id
from ledger.log import MerkleLog
from ledger.records import Envelope
from tests.api.conftest import ORGAN, OTHER_ORGAN, World, problem
from tests.api.test_tokens import cli_env  # noqa: F401 - fixture

CITY = "320600"


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
        secret = issue_token(
            world.ledger,
            role=role,
            organ=CITY,
            unit=None,
            label=name,
            issued_by="test",
            oversight=oversight,
        ).secret
        tokens[name] = {"Authorization": f"Bearer {secret}"}
    return tokens


def _size(world: World) -> int:
    return MerkleLog(world.ledger.ledger_recorder).tree_size()


def test_an_oversight_token_reads_an_organ_below_with_a_reason(
    client: TestClient, world: World
) -> None:
    city = _city(client, world)
    path = f"/v1/auxiliaries/{world.auxiliary}"
    before = _size(world)
    for who in ("inspector", "discipline"):
        problem(client.get(path, headers=city[who]), 422, "reason_required")
    assert _size(world) == before  # a refused read records nothing
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
    before = _size(world)
    body: dict[str, Any] = {"sanction_id": "SAN-OV-1", "kind": "warning"}
    refused = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/impose-sanction",
        headers={**city["discipline"], "X-Access-Reason": "x"},
        json=body,
    )
    problem(refused, 403, "oversight_read_only")
    assert _size(world) == before
    # The district's own discipline token still may.
    own = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/impose-sanction",
        headers=world.headers("discipline"),
        json=body,
    )
    assert own.status_code == 200, own.text


def test_the_tree_refuses_unknown_parents_and_cycles(client: TestClient, world: World) -> None:
    city = _city(client, world)
    before = _size(world)
    problem(
        client.put(f"/v1/organs/{CITY}/parent", headers=city["admin"], json={"parent": ORGAN}),
        409,
        "organ_cycle",
    )
    problem(
        client.put(
            f"/v1/organs/{OTHER_ORGAN}/parent",
            headers=world.headers("other-organ-admin"),
            json={"parent": "329999"},
        ),
        422,
        "unknown_organ",
    )
    problem(  # another organ's admin cannot place it
        client.put(f"/v1/organs/{ORGAN}/parent", headers=city["admin"], json={"parent": CITY}),
        403,
        "outside_scope",
    )
    assert _size(world) == before


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
    before = _size(world)
    assert cli([*args, "--role", "personnel"]) != 0
    out, err = capsys.readouterr()
    assert out == "" and "not a personnel token" in err
    assert _size(world) == before
