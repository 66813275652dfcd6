"""Without a read replica, reads and writes are as before: no position header, no cookie."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.read_after import POSITION_HEADER, READ_AFTER_COOKIE, READ_AFTER_HEADER
from api.runtime import Runtime
from projections.replica import ReplicaReadModels
from tests.api.conftest import World


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
