"""Operations: health, readiness with projection lag, Prometheus metrics, JSON logs, OpenAPI."""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.logs import JsonFormatter
from api.settings import ReadinessLimits
from ledger.config import parse_database_url
from projections.service import PROJECTIONS, ProjectionSupervisor, ReadModels
from tests.api.conftest import World, api_settings, problem
from tests.projections.test_workers import wait_for


def test_health_and_readiness(
    client: TestClient, world: World, workers: ProjectionSupervisor
) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz", headers=world.headers("admin")).json()
    assert ready["status"] == "ready"
    assert ready["projections"] == dict.fromkeys(PROJECTIONS, 0)
    head = ready["tree_size"]
    client.post(
        f"/v1/auxiliaries/{world.auxiliary}/commend",
        headers=world.headers("personnel"),
        json={"kind": "citation", "issuing_body": "崇川分局"},
    )
    # Within the lag limit: still ready, the workers catch up.
    assert client.get("/readyz", headers=world.headers("auditor")).json()["tree_size"] > head
    wait_for(
        lambda: (
            client.get("/readyz", headers=world.headers("admin")).json()["projections"]
            == dict.fromkeys(PROJECTIONS, 0)
        )
    )


def test_readiness_fails_while_a_projection_is_stopped_stale_or_lagging(world: World) -> None:
    # Issue 17: dead workers left /readyz at 200 while the lag grew, and a failed projection
    # was blamed on the database while the database was up.
    models = ReadModels(world.ledger)
    models.ensure()
    limits = ReadinessLimits(max_lag=2, stale_seconds=30)
    try:
        with TestClient(create_app(api_settings(world.settings, readiness=limits))) as client:
            # No worker has ever run: stopped.
            problem(client.get("/readyz"), 503, "not_ready")
            body = problem(client.get("/readyz", headers=world.headers("admin")), 503, "not_ready")
            assert body["title"] == "The service is not ready"
            assert (
                "projection personnel has no live worker (stopped; no heartbeat ever)"
                in (body["detail"])
            )
            assert client.get("/healthz").json() == {"status": "ok"}  # liveness only
            # Stale: the leader's last heartbeat is older than the setting.
            view = models.projection("personnel").view
            old = datetime.now(tz=UTC) - timedelta(seconds=31)
            for name in models.names():
                models.catch_up(name)
                models.projection(name).view.save_state(
                    name, {"state": "running", "worker": "elsewhere:1:1", "heartbeat_at": old}
                )
            body = problem(client.get("/readyz", headers=world.headers("admin")), 503, "not_ready")
            assert (
                "projection personnel has no live worker (stopped; last heartbeat "
                in (body["detail"])
            )
            problem(client.get("/readyz"), 503, "not_ready")
            # A live leader elsewhere (fresh heartbeat), caught up: ready.
            now = datetime.now(tz=UTC)
            for name in models.names():
                models.projection(name).view.save_state(
                    name, {"state": "running", "worker": "elsewhere:1:1", "heartbeat_at": now}
                )
            assert client.get("/readyz").json() == {"status": "ready"}
            # Lagging beyond AUXLEDGER_PROJECTION_MAX_LAG (2 here).
            for _ in range(3):
                answer = client.post(
                    f"/v1/auxiliaries/{world.auxiliary}/commend",
                    headers=world.headers("personnel"),
                    json={"kind": "citation", "issuing_body": "崇川分局"},
                )
                assert answer.status_code < 300, answer.text
            body = problem(client.get("/readyz", headers=world.headers("admin")), 503, "not_ready")
            assert "projection personnel lags 3 events behind the log (limit 2)" in body["detail"]
            problem(client.get("/readyz"), 503, "not_ready")
            # Stopped on an event: named, and not blamed on the database.
            view.save_state(
                "personnel",
                {
                    "state": "failed",
                    "worker": "elsewhere:1:1",
                    "heartbeat_at": now,
                    "failed_position": 7,
                    "error_kind": "RuntimeError",
                    "error": "handler bug",
                    "failed_event_position": 8,
                    "failed_event_class": "Commended",
                    "failed_aggregate_id": str(world.auxiliary),
                },
            )
            body = problem(client.get("/readyz", headers=world.headers("admin")), 503, "not_ready")
            assert body["title"] == "The service is not ready"
            assert (
                f"projection personnel stopped on the event at position 8 (Commended of "
                f"aggregate {world.auxiliary}) (RuntimeError); restart or rebuild it"
            ) in body["detail"]
            assert "database" not in body["detail"]
            assert problem(client.get("/readyz"), 503, "not_ready")["detail"] == "not ready"
    finally:
        models.close()


@pytest.mark.usefixtures("workers")
def test_readiness_tells_the_public_ready_and_nothing_more(
    client: TestClient, world: World
) -> None:
    # No token, a token of another role or organ, or one that is not usable: the public answer.
    for who in (
        None,
        "personnel",
        "inspector",
        "other-organ-admin",
        "other-organ-auditor",
        "revoked",
        "expired",
    ):
        answer = client.get("/readyz", headers=world.headers(who) if who else {})
        assert answer.status_code == 200, who
        assert answer.json() == {"status": "ready"}, who
    # Before the rules' expiry warning is due (from 2027-10-02 it adds ``warnings``).
    client.app.state.runtime.ledger().clock = lambda: datetime(2026, 11, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    assert set(client.get("/readyz", headers=world.headers("admin")).json()) == {
        "status",
        "tree_size",
        "projections",
    }


def test_not_ready_says_only_not_ready_to_the_public(world: World) -> None:
    unreachable = dataclasses.replace(
        world.settings, database=parse_database_url("postgresql://nobody@127.0.0.1:1/nowhere")
    )
    with TestClient(create_app(api_settings(unreachable))) as client:
        answer = client.get("/readyz")
        body = problem(answer, 503, "not_ready")
        assert body["detail"] == "not ready"
        assert "127.0.0.1" not in answer.text and "nowhere" not in answer.text
        assert answer.headers["Retry-After"]
        # A token cannot be checked without the database: the public answer, not a 401.
        problem(client.get("/readyz", headers=world.headers("admin")), 503, "not_ready")


@pytest.mark.usefixtures("workers")
def test_metrics_are_for_the_ledger_organs_admins_and_auditors(
    client: TestClient, world: World
) -> None:
    problem(client.get("/metrics"), 401, "unauthenticated")
    problem(client.get("/metrics", headers=world.headers("personnel")), 403, "role_not_allowed")
    body = problem(
        client.get("/metrics", headers=world.headers("other-organ-auditor")), 403, "outside_scope"
    )
    assert "admin or auditor tokens of organ" in body["detail"]
    for who in ("admin", "auditor"):
        answer = client.get("/metrics", headers=world.headers(who))
        assert answer.status_code == 200 and "auxledger_ledger_tree_size" in answer.text
    # Without a ledger organ named, nobody scrapes over HTTP.
    with TestClient(create_app(api_settings(world.settings, ledger_organ=None))) as unnamed:
        problem(unnamed.get("/metrics", headers=world.headers("admin")), 403, "outside_scope")
        assert unnamed.get("/readyz", headers=world.headers("admin")).json() == {"status": "ready"}


def test_metrics_count_requests_events_and_verifications(client: TestClient, world: World) -> None:
    client.get("/healthz")
    client.post(
        f"/v1/auxiliaries/{world.auxiliary}/commend",
        headers=world.headers("personnel"),
        json={"kind": "citation", "issuing_body": "崇川分局"},
    )
    verification = "/v1/ledger/verification?mode=full"
    assert client.get(verification, headers=world.headers("auditor")).json()["ok"]
    text = client.get("/metrics", headers=world.headers("admin")).text
    assert 'auxledger_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="/v1/auxiliaries/{auxiliary_id}/commend"' in text
    assert "auxledger_http_request_duration_seconds_bucket" in text
    assert 'auxledger_events_appended_total{event="Auxiliary.Commended"} 1.0' in text
    assert 'auxledger_verifications_total{result="ok"} 1.0' in text
    assert "auxledger_ledger_tree_size" in text
    assert "auxledger_ledger_projection_lag_events" in text


def test_request_ids_and_json_log_lines(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="auxledger")
    response = client.get("/v1/ledger/keys", headers={"X-Request-ID": "req-12345678"})
    assert response.headers["X-Request-ID"] == "req-12345678"
    missing = client.get("/v1/nowhere", headers={"X-Request-ID": "bad id with spaces"})
    generated = missing.headers["X-Request-ID"]
    assert len(generated) == 32 and problem(missing, 404, "not_found")["request_id"] == generated
    record = next(r for r in caplog.records if getattr(r, "request_id", None) == "req-12345678")
    line: dict[str, Any] = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/v1/ledger/keys" and line["status"] == 200
    assert line["method"] == "GET" and line["level"] == "info" and "duration_ms" in line


def test_openapi_has_an_example_for_every_request_body_and_problem_errors(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    components = spec["components"]["schemas"]
    bodies = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in answer["content"], (method, path, status)
            body = operation.get("requestBody")
            if body is None:
                continue
            bodies += 1
            ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert components[ref].get("examples"), f"{method} {path} has no example"
    assert bodies >= 45
    assert client.get("/docs").status_code == 200


def test_a_server_app_freezes_its_heap_at_startup_and_a_shared_one_does_not(
    world: World,
) -> None:
    gc.unfreeze()
    try:
        with TestClient(create_app(api_settings(world.settings))) as shared:
            assert shared.get("/healthz").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(api_settings(world.settings), freeze_heap=True)) as server:
            assert server.get("/healthz").status_code == 200
            frozen = gc.get_freeze_count()
        # Everything alive at startup (modules, routes, schemas) left the collector's passes.
        assert frozen > 10_000
    finally:
        # Back as the session left the heap (tests/conftest.py freezes it after collection).
        gc.unfreeze()
        gc.collect()
        gc.freeze()
