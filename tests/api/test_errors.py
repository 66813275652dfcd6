"""Bad input: each kind gets its own problem+json answer, and nothing is stored."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.bodies import hire_body
from tests.api.conftest import ORGAN, RESIDENT_ID, World, api_settings, last_event_id, problem
from tests.conftest import make_settings


@pytest.fixture
def small_client(world: World) -> Iterator[TestClient]:
    """A client of an app with a 2 KiB body limit."""
    with TestClient(create_app(api_settings(world.settings, max_body_bytes=2048))) as client:
        yield client


def test_bad_requests_each_get_their_own_problem_and_store_nothing(
    small_client: TestClient, world: World
) -> None:
    client = small_client
    headers = world.headers("personnel")
    before = last_event_id(world)
    url = "/v1/auxiliaries"
    problem(
        client.post(
            url, headers={**headers, "content-type": "application/json"}, content=b'{"unit": '
        ),
        400,
        "malformed_json",
    )
    problem(
        client.post(url, headers={**headers, "content-type": "text/plain"}, content=b"unit=1"),
        415,
        "unsupported_media_type",
    )
    problem(
        client.post(url, headers=headers, json=hire_body(address="路" * 1000)),
        413,
        "payload_too_large",
    )
    body = problem(
        client.post(url, headers=headers, json=hire_body(nickname="x")), 422, "validation"
    )
    assert body["errors"] == [
        {"field": "body.nickname", "message": "Extra inputs are not permitted"}
    ]
    bad_id = RESIDENT_ID[:-1] + "1"
    body = problem(
        client.post(url, headers=headers, json=hire_body(resident_id=bad_id)),
        422,
        "invalid_resident_id",
    )
    assert bad_id not in json.dumps(body)
    problem(
        client.post(url, headers=headers, json=hire_body(contract_start="2026-02-30")),
        422,
        "validation",
    )
    problem(
        client.post(url, headers=headers, json=hire_body(effective="2099-01-01")),
        422,
        "date_in_future",
    )
    problem(
        client.post(url, headers=headers, json=hire_body(post_type="cleaning")), 422, "validation"
    )
    problem(client.post(url, headers=headers, json=hire_body(name="a\u0000b")), 422, "validation")
    problem(client.post(url, headers=headers, json=[1, 2]), 422, "validation")
    problem(client.post(url, json=hire_body()), 401, "unauthenticated")
    problem(
        client.post(url, headers=world.headers("revoked"), json=hire_body()), 401, "token_revoked"
    )
    problem(
        client.post(url, headers=world.headers("unit"), json=hire_body()), 403, "role_not_allowed"
    )
    assert last_event_id(world) == before


def test_streamed_body_over_the_limit_is_refused(small_client: TestClient, world: World) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"unit": "'
        yield b"x" * 4096
        yield b'"}'

    response = small_client.post(
        "/v1/auxiliaries",
        headers={**world.headers("personnel"), "content-type": "application/json"},
        content=chunks(),
    )
    problem(response, 413, "payload_too_large")


def test_values_are_read_strictly_and_in_range(client: TestClient, world: World) -> None:
    headers = world.headers("personnel")
    before = last_event_id(world)
    url = "/v1/auxiliaries"
    for changes in (
        {"contract_start": "0001-01-01"},
        {"contract_end": "2101-01-01"},
        {"contract_start": 1764028800},
        {"contract_start": "20260101"},
        {"level": True},
        {"level": "1"},
        {"level": 1.0},
    ):
        body = problem(
            client.post(url, headers=headers, json=hire_body(**changes)), 422, "validation"
        )
        assert body["errors"][0]["field"] == f"body.{next(iter(changes))}", changes
    check = f"/v1/auxiliaries/{world.auxiliary}/record-health-check"
    for changes in ({"checked_on": "0001-01-01"}, {"fit": "yes"}, {"fit": 1}):
        fields = {"checked_on": "2026-06-01", "fit": True, "details": "合格", **changes}
        problem(client.post(check, headers=headers, json=fields), 422, "validation")
    assert last_event_id(world) == before
    inspector = world.headers("inspector")
    for query in ("on=0001-12-31", "on=2101-01-01", "on=1764028800"):
        problem(
            client.get(f"/v1/reports/early-warning?{query}", headers=inspector), 422, "validation"
        )
    for index in ("1_0", "1.0", "+1", "-1"):
        problem(
            client.get(f"/v1/ledger/proof/inclusion?index={index}&tree_size=3"), 422, "validation"
        )


def test_routing_errors_are_problems(client: TestClient) -> None:
    problem(client.get("/v1/nowhere"), 404, "not_found")
    # No redirect for a trailing slash (it would be built from the client's Host header).
    response = client.get("/v1/ledger/keys/", headers={"Host": "evil.example"})
    problem(response, 404, "not_found")
    assert "location" not in response.headers
    response = client.delete("/v1/ledger/keys")
    problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD"
    # Two routes share this path (GET and POST): Allow names both.
    response = client.delete("/v1/admin/tokens")
    problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD, POST"
    # HEAD is answered wherever GET is: same status and headers, no body.
    for path in ("/healthz", "/v1/ledger/checkpoint", "/v1/nowhere"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code and head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]


def test_domain_refusal_and_conflict(client: TestClient, world: World) -> None:
    headers = world.headers("personnel")
    url = f"/v1/auxiliaries/{world.auxiliary}/change-post"
    ok = client.post(url, headers={**headers, "If-Match": '"2"'}, json={"post_type": "traffic"})
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == '"3"'
    assert ok.json()["originator_version"] == 3
    assert len(ok.json()["hash"]) == 64
    problem(
        client.post(url, headers={**headers, "If-Match": '"2"'}, json={"post_type": "community"}),
        409,
        "conflict",
    )
    for malformed in ("three", 'W/"3"'):
        problem(
            client.post(
                url, headers={**headers, "If-Match": malformed}, json={"post_type": "community"}
            ),
            400,
            "precondition_malformed",
        )
    problem(client.post(url, headers=headers, json={"post_type": "traffic"}), 422, "invalid_field")
    other = f"/v1/auxiliaries/{world.other_unit_auxiliary}"
    assert (
        client.post(f"{other}/separate", headers=headers, json={"reason": "resigned"}).status_code
        == 200
    )
    problem(
        client.post(f"{other}/change-post", headers=headers, json={"post_type": "community"}),
        409,
        "auxiliary_separated",
    )


def test_database_down_is_503(world: World) -> None:
    settings = api_settings(world.settings)
    app = create_app(settings)
    with TestClient(app) as client:
        runtime = app.state.runtime
        runtime.ledger().close()
        if world.settings.database.is_postgres:
            response = client.get("/v1/ledger/checkpoint")
        else:
            world.settings.database.sqlite_path.unlink()  # type: ignore[union-attr]
            runtime._ledger = None
            response = client.get("/v1/ledger/checkpoint")
    body = problem(response, 503, "unavailable")
    assert response.headers["Retry-After"]
    assert "Traceback" not in json.dumps(body)


def test_unreachable_database_answers_without_its_address(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1; the SQLite file does not exist.
    url = (
        "postgresql://postgres@127.0.0.1:1/auxledger"
        if backend == "postgres"
        else f"sqlite:///{tmp_path / 'missing' / 'ledger.sqlite'}"
    )
    settings = make_settings(tmp_path, url)
    settings.key_dir.mkdir(mode=0o700, parents=True)  # as `auxledger init` leaves it
    caplog.set_level(logging.INFO, logger="auxledger")
    with TestClient(create_app(api_settings(settings))) as client:
        response = client.get("/v1/ledger/checkpoint")
    body = problem(response, 503, "unavailable")
    assert response.headers["Retry-After"]
    assert body["detail"] == "the ledger database cannot be reached; try again shortly"
    where = settings.database.describe()
    for secret in (where, "127.0.0.1", "missing", "connection"):
        assert secret not in json.dumps(body)
        assert secret not in caplog.text
    assert any(getattr(r, "error", None) == "StorageUnavailableError" for r in caplog.records)


def test_organ_scope_on_create(client: TestClient, world: World) -> None:
    response = client.post(
        "/v1/organs",
        headers=world.headers("admin"),
        json={"code": "320699", "name": "别的局", "region": "南通市"},
    )
    problem(response, 403, "outside_scope")
    response = client.post(
        "/v1/organs",
        headers=world.headers("admin"),
        json={"code": ORGAN, "name": "又一个", "region": "南通市"},
    )
    problem(response, 409, "conflict")
