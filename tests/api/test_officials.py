"""Named officials over HTTP and on the command line: a token issued to a holder, the holder
named by every event recorded with it, and a half-named holder refused with nothing recorded."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.cli import main as cli
from ledger.access import list_tokens, load_token, official_id, token_id
from tests.api.conftest import ORGAN, World, event_count, problem
from tests.api.test_tokens import cli_env  # noqa: F401 - fixture

POLICE_NUMBER = "990102"
HOLDER_NAME = "测试警员甲"


def test_admin_issues_a_token_to_a_named_holder(client: TestClient, world: World) -> None:
    created = client.post(
        "/v1/admin/tokens",
        headers=world.headers("admin"),
        json={
            "role": "personnel",
            "label": "人事科",
            "holder_police_number": POLICE_NUMBER,
            "holder_name": HOLDER_NAME,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    holder_id = official_id(world.ledger, POLICE_NUMBER)
    assert body["holder_id"] == str(holder_id)
    assert HOLDER_NAME not in created.text and POLICE_NUMBER not in created.text
    listed = client.get("/v1/admin/tokens", headers=world.headers("admin")).json()
    assert {t["id"]: t["holder_id"] for t in listed}[body["id"]] == str(holder_id)
    # A command sent with the token records its holder, and the timeline says so.
    headers = {"Authorization": f"Bearer {body['token']}"}
    commended = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/commend",
        headers=headers,
        json={"kind": "citation", "issuing_body": "南通市公安局崇川分局"},
    )
    assert commended.status_code in (200, 201), commended.text
    timeline = client.get(f"/v1/auxiliaries/{world.auxiliary}/timeline", headers=headers)
    assert timeline.status_code == 200, timeline.text
    entries = timeline.json()["entries"]
    assert entries[-1]["actor"]["holder"] == str(holder_id)
    assert entries[-1]["actor"]["actor_id"] == body["id"]
    assert all(e["actor"].get("holder") is None for e in entries[:-1])  # set up without one
    assert HOLDER_NAME not in timeline.text


@pytest.mark.parametrize(
    "holder",
    [
        {"holder_police_number": POLICE_NUMBER},
        {"holder_name": HOLDER_NAME},
        {"holder_police_number": "99-0102", "holder_name": HOLDER_NAME},
    ],
)
def test_a_half_or_badly_named_holder_is_refused_and_records_nothing(
    client: TestClient, world: World, holder: dict[str, str]
) -> None:
    size = event_count(world)
    refused = client.post(
        "/v1/admin/tokens",
        headers=world.headers("admin"),
        json={"role": "personnel", "label": "人事科", **holder},
    )
    body = problem(refused, 422, "token_holder")
    assert HOLDER_NAME not in body["detail"] and "0102" not in body["detail"]
    assert event_count(world) == size


def test_cli_issues_a_token_to_a_named_holder(
    world: World,
    cli_env: None,  # noqa: F811 - the fixture imported above
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["tokens", "create", "--role", "inspector", "--organ", ORGAN]
    named = [*args, "--holder-police-number", POLICE_NUMBER, "--holder-name", HOLDER_NAME]
    assert cli(named) == 0
    out, err = capsys.readouterr()
    token = load_token(world.ledger, token_id(out.strip()))
    assert token is not None and token.holder is not None
    assert (token.holder.police_number, token.holder.name) == (POLICE_NUMBER, HOLDER_NAME)
    assert f"holder {token.holder_id}" in err and HOLDER_NAME not in err
    assert cli(["tokens", "list", "--json", "--organ", ORGAN]) == 0
    rows = {UUID(r["id"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows[token.id]["holder_id"] == str(token.holder_id)
    assert HOLDER_NAME not in json.dumps(list(rows.values()), ensure_ascii=False)
    before = len(list_tokens(world.ledger))
    assert cli([*args, "--holder-name", HOLDER_NAME]) != 0  # half a holder: refused
    out, err = capsys.readouterr()
    assert out == "" and "police number and name" in err and HOLDER_NAME not in err
    assert len(list_tokens(world.ledger)) == before
