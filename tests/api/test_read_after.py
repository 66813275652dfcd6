"""Without a read replica, reads and writes are as before: no position header, no cookie."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.read_after import POSITION_HEADER, READ_AFTER_COOKIE, READ_AFTER_HEADER
from api.runtime import Runtime
from projections.replica import ReplicaReadModels
from projections.service import ProjectionSupervisor
from tests.api.conftest import World, api_settings, problem


def test_without_a_replica_no_position_is_given_and_none_is_needed(
    world: World, client: TestClient
) -> None:
    answer = client.post(
        f"/v1/auxiliaries/{world.auxiliary}/commend",
        headers=world.headers("personnel"),
        json={"kind": "citation", "issuing_body": "崇川分局"},
    )
    assert answer.status_code == 200, answer.text
    assert POSITION_HEADER not in answer.headers
    assert READ_AFTER_COOKIE not in answer.headers.get("set-cookie", "")
    read = client.get(
        "/v1/auxiliaries", headers={**world.headers("personnel"), READ_AFTER_HEADER: "1"}
    )
    assert read.status_code == 200
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert not isinstance(runtime.read_models(), ReplicaReadModels)


@pytest.mark.both_backends
@pytest.mark.parametrize("backend", ["postgres"])
def test_a_read_database_that_is_not_a_standby_is_not_read_and_makes_it_unready(
    world: World, workers: ProjectionSupervisor
) -> None:
    # AUXLEDGER_READ_DATABASE_URL naming an ordinary database (here the primary itself,
    # which is not in recovery): it was read from and /readyz called it "streaming".
    settings = dataclasses.replace(world.settings, read_database=world.settings.database)
    with TestClient(create_app(api_settings(settings))) as client:
        read = client.get("/v1/auxiliaries", headers=world.headers("personnel"))
        assert read.status_code == 200, read.text
        runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        models = runtime.read_models()
        assert isinstance(models, ReplicaReadModels)
        assert models.routed.served_by["replica"] == 0
        assert models.routed.served_by["primary"] >= 1
        status = models.replica_status()
        assert status.to_json()["state"] == "not_a_standby"
        assert status.problem(max_lag=1000) is not None
        body = problem(client.get("/readyz", headers=world.headers("admin")), 503, "not_ready")
        assert "not a standby" in body["detail"]
        problem(client.get("/readyz"), 503, "not_ready")
