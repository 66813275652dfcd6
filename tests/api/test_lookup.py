"""Lookup by resident ID number: a keyed blind index, scoped, recorded, gone after erasure."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.commands.auxiliary import Separate
from ledger.records import Envelope
from projections.check import check
from projections.db import sql
from projections.identity import IDENTITY, RESIDENT_ID_KIND
from projections.service import ReadModels
from tests import builders
from tests.api.conftest import (
    ORGAN,
    OTHER_ORGAN,
    OTHER_UNIT,
    RESIDENT_ID,
    UNIT,
    World,
    accesses,
    actor,
    catch_up,
    hire,
    problem,
)
from tests.holds import end_erasure_blockers

URL = "/v1/auxiliaries/lookup"
OTHER_PERSON = "320602198506150011"  # valid check character, nobody has it
PERSON = builders.other_resident_id(5)  # ends in X
"""A person with three records, one at a time (one post at a time, Art. 5, 8)."""


@pytest.fixture
def person(world: World) -> tuple[UUID, UUID, UUID]:
    """PERSON's records: in UNIT (separated), in the other organ (separated), then in
    OTHER_UNIT (employed now), each hired once the one before was separated."""
    records = []
    for organ, unit in ((ORGAN, UNIT), (OTHER_ORGAN, f"{OTHER_ORGAN}-001"), (ORGAN, OTHER_UNIT)):
        records.append(hire(world.ledger, organ, unit, None, "周敏", PERSON))
        if unit != OTHER_UNIT:
            world.ledger.command_auxiliary(
                records[-1],
                Separate(reason="resigned"),
                Envelope(actor("personnel", organ), effective=date(2025, 1, 3)),
            )
    catch_up(world.ledger)
    first, elsewhere, current = records
    return first, elsewhere, current


def _found(client: TestClient, world: World, who: str, number: str) -> list[Any]:
    headers = {**world.headers(who), "X-Access-Reason": "lookup check"}
    response = client.post(URL, headers=headers, json={"resident_id": number})
    assert response.status_code == 200, response.text
    assert number not in response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["auxiliary_id"] for item in body["items"]]


def _identity_rows(world: World) -> list[dict[str, Any]]:
    models = ReadModels(world.ledger)
    try:
        with models.db.read() as s:
            return s.query(sql("SELECT * FROM {rm_identity}"), [], tables=(IDENTITY,))
    finally:
        models.close()


def test_personnel_find_their_organs_records_by_number(
    client: TestClient, world: World, person: tuple[UUID, UUID, UUID]
) -> None:
    first, elsewhere, current = person
    found = _found(client, world, "personnel", PERSON)
    assert sorted(found) == sorted(str(x) for x in (first, current))
    assert _found(client, world, "other-organ-personnel", PERSON) == [str(elsewhere)]
    assert _found(client, world, "personnel", OTHER_PERSON) == []
    # lower-case check character: the same person
    assert len(_found(client, world, "inspector", PERSON.lower())) == 2


def test_the_index_is_a_keyed_hash_never_the_number(
    world: World, person: tuple[UUID, UUID, UUID]
) -> None:
    rows = [r for r in _identity_rows(world) if r["auxiliary_id"] in person]
    assert len(rows) == 3
    expected = world.ledger.privacy.blind_index(RESIDENT_ID_KIND, PERSON)
    assert {r["resident_index"] for r in rows} == {expected}
    assert all(PERSON not in str(r) for r in _identity_rows(world))


def test_every_lookup_is_recorded_without_the_number(
    client: TestClient, world: World, person: tuple[UUID, UUID, UUID]
) -> None:
    first, _, current = person
    before = len(accesses(world))
    _found(client, world, "personnel", PERSON)
    _found(client, world, "personnel", OTHER_PERSON)
    recorded = accesses(world)[before:]
    assert sorted(a.record_id for a in recorded[:2]) == sorted(str(x) for x in (first, current))
    assert recorded[2].record_id == "none found"
    for access in recorded:
        assert access.fields == ["resident_id"]
        assert access.purpose == "POST /v1/auxiliaries/lookup"
        assert PERSON not in repr(vars(access)) and OTHER_PERSON not in repr(vars(access))


def test_bad_numbers_and_wrong_roles_are_refused(client: TestClient, world: World) -> None:
    before = len(accesses(world))
    wrong_check = RESIDENT_ID[:-1] + "1"
    body = problem(
        client.post(URL, headers=world.headers("personnel"), json={"resident_id": wrong_check}),
        422,
        "invalid_resident_id",
    )
    assert wrong_check not in str(body)
    short = client.post(URL, headers=world.headers("personnel"), json={"resident_id": "12345"})
    assert short.status_code == 422 and "12345" not in short.text
    extra = client.post(
        URL, headers=world.headers("personnel"), json={"resident_id": RESIDENT_ID, "x": 1}
    )
    assert extra.status_code == 422 and RESIDENT_ID not in extra.text
    for role in ("unit", "complaints", "discipline", "auditor"):
        problem(
            client.post(URL, headers=world.headers(role), json={"resident_id": RESIDENT_ID}),
            403,
            "role_not_allowed",
        )
    problem(client.post(URL, json={"resident_id": RESIDENT_ID}), 401, "unauthenticated")
    assert len(accesses(world)) == before


def test_an_erased_person_is_no_longer_found_and_the_read_models_check_clean(
    client: TestClient, world: World, person: tuple[UUID, UUID, UUID]
) -> None:
    first, _, current = person
    end_erasure_blockers(world.ledger, first)
    erase = {"auxiliary_id": str(first), "reason": "PIPL Art. 47 request"}
    erased = client.post("/v1/admin/erasures", headers=world.headers("admin"), json=erase)
    assert erased.status_code == 201, erased.text
    catch_up(world.ledger)
    assert _found(client, world, "personnel", PERSON) == [str(current)]
    rows = {r["auxiliary_id"]: r["resident_index"] for r in _identity_rows(world)}
    assert rows[first] is None
    models = ReadModels(world.ledger)
    try:
        reports = check(models)
        assert all(r.ok for r in reports), [d.describe() for r in reports for d in r.differences]
        models.rebuild(["identity"])
        assert all(r.ok for r in check(models, ["identity"]))
    finally:
        models.close()
    rebuilt = {r["auxiliary_id"]: r["resident_index"] for r in _identity_rows(world)}
    assert rebuilt == rows
