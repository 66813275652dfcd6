"""Reads on a real PostgreSQL streaming replica (issue 17, item 6).

The module's private cluster is the primary; ``pg_basebackup -R`` makes a hot standby of it
that streams its WAL (``tests.faults.replica``). The API is built with
``AUXLEDGER_READ_DATABASE_URL`` naming the standby, projection workers run on the primary.
Checked: queries are answered by the standby (its ``pg_is_in_recovery()`` on the very
connection, and still answered with the primary stopped); a write's ``X-Auxledger-Position``
echoed as ``X-Auxledger-Read-After`` makes the next read see the write, and with replay
paused it goes to the primary within the wait while a plain read stays stale; ``/readyz``
says the replica is unreachable (and stays ready) while it is down, and reports its lag.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.read_after import POSITION_HEADER, READ_AFTER_COOKIE, READ_AFTER_HEADER
from api.runtime import Runtime
from ledger.records import AuxLedger
from projections.queries import PersonnelQueries
from projections.replica import ReplicaReadModels
from tests.api.conftest import World, api_settings, build_world, running_workers
from tests.conftest import initialised, make_settings
from tests.console.conftest import csrf_of
from tests.faults.cluster import PrivateCluster
from tests.faults.replica import start_replica, wait_for_replay

WAIT = 1.0
"""``AUXLEDGER_READ_AFTER_WAIT_SECONDS`` here."""


@dataclass
class Replicated:
    """The world on the primary, the standby, and a client of an app reading from it."""

    primary: PrivateCluster
    replica: PrivateCluster
    world: World
    client: TestClient
    runtime: Runtime

    @property
    def models(self) -> ReplicaReadModels:
        models = self.runtime.read_models()
        assert isinstance(models, ReplicaReadModels)
        return models

    def served(self) -> dict[str, int]:
        return dict(self.models.routed.served_by)

    def commendations(self, **headers: str) -> int:
        answer = self.client.get(
            "/v1/auxiliaries", headers={**self.world.headers("personnel"), **headers}
        )
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        return int(
            next(i for i in items if i["auxiliary_id"] == str(self.world.auxiliary))[
                "commendations"
            ]
        )

    def commend(self) -> int:
        answer = self.client.post(
            f"/v1/auxiliaries/{self.world.auxiliary}/commend",
            headers=self.world.headers("personnel"),
            json={"kind": "citation", "issuing_body": "崇川分局"},
        )
        assert answer.status_code in (200, 201), answer.text
        return int(answer.headers[POSITION_HEADER])

    def replica_sql(self, statement: str) -> Any:
        with psycopg.connect(self.replica.url(), autocommit=True) as conn:
            row = conn.execute(statement).fetchone()
        return None if row is None else row[0]


@pytest.fixture(scope="module")
def replicated(
    private_cluster: PrivateCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicated]:
    primary = private_cluster
    if not (primary.bindir / "pg_basebackup").exists():
        message = "pg_basebackup is not installed: the replica tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    database = "reads"
    primary.create_database(database)
    replica = start_replica(primary)
    try:
        tmp: Path = tmp_path_factory.mktemp("replica")
        schema = "t_" + secrets.token_hex(6)
        settings = make_settings(
            tmp,
            primary.url(database, schema),
            AUXLEDGER_READ_DATABASE_URL=replica.url(database),
        )
        assert settings.read_database is not None
        assert settings.read_database.schema == schema  # the ledger's own, by default
        ledger = initialised(AuxLedger, settings)
        try:
            world = build_world(ledger, settings)
            app = create_app(api_settings(settings, read_after_wait=WAIT))
            with running_workers(world), TestClient(app) as client:
                wait_for_replay(primary, replica)
                yield Replicated(primary, replica, world, client, app.state.runtime)
        finally:
            ledger.close()
    finally:
        replica.cleanup()


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_queries_are_answered_by_the_replica(replicated: Replicated) -> None:
    models = replicated.models
    with models.db.read() as s:
        # The connection queries are read on is the standby's.
        assert s.scalar("SELECT pg_is_in_recovery()") is True
        assert s.scalar("SELECT inet_server_port()") == replicated.replica.port
    before = replicated.served()
    assert replicated.commendations() == 0
    after = replicated.served()
    assert after["replica"] > before["replica"]
    assert after["primary"] == before["primary"]
    # The workers, status and lag are the primary's: a hot standby refuses writes.
    assert all(s.alive for s in models.status())


def test_a_read_after_the_callers_write_sees_it(replicated: Replicated) -> None:
    before = replicated.commendations()
    position = replicated.commend()
    assert position >= 1
    started = time.monotonic()
    seen = replicated.commendations(**{READ_AFTER_HEADER: str(position)})
    assert seen == before + 1
    assert time.monotonic() - started < WAIT + 1.5
    # A position no write has reached yet is not waited for: the primary answers at once.
    started = time.monotonic()
    replicated.commendations(**{READ_AFTER_HEADER: str(position + 10**6)})
    assert time.monotonic() - started < WAIT


def test_an_anonymous_write_is_not_told_the_position(replicated: Replicated) -> None:
    from tests.api.test_public import COMPLAINT  # noqa: PLC0415

    answer = replicated.client.post("/v1/complaints", json=COMPLAINT)
    assert answer.status_code == 201, answer.text
    assert POSITION_HEADER not in answer.headers


def test_with_replay_paused_the_read_after_a_write_goes_to_the_primary(
    replicated: Replicated,
) -> None:
    wait_for_replay(replicated.primary, replicated.replica)
    before = replicated.commendations()
    replicated.replica_sql("SELECT pg_wal_replay_pause()")
    try:
        position = replicated.commend()
        # The primary's workers apply it; the standby does not replay it.
        wait_for(
            lambda: (
                replicated.models.position("personnel") >= position
                and replicated.models.position("identity") >= position
                and replicated.models.position("complaints") >= position
            )
        )
        served = replicated.served()
        assert replicated.commendations() == before  # a plain read may be stale
        assert replicated.served()["replica"] == served["replica"] + 1
        started = time.monotonic()
        assert replicated.commendations(**{READ_AFTER_HEADER: str(position)}) == before + 1
        waited = time.monotonic() - started
        assert WAIT <= waited < WAIT + 1.5, waited
        assert replicated.served()["primary"] == served["primary"] + 1
        # The cookie a console form's 303 sets is honoured like the header.
        cookie = {"Cookie": f"{READ_AFTER_COOKIE}={position}"}
        assert replicated.commendations(**cookie) == before + 1
        assert replicated.served()["primary"] == served["primary"] + 2
        # /readyz: the standby's read models trail the primary's, within the lag limit.
        ready = replicated.client.get("/readyz", headers=replicated.world.headers("admin"))
        assert ready.status_code == 200, ready.text
        assert ready.json()["read_replica"]["state"] == "streaming"
        assert ready.json()["read_replica"]["lag"] >= 1
        metrics = replicated.client.get("/metrics", headers=replicated.world.headers("admin"))
        assert "auxledger_ledger_read_replica_up 1.0" in metrics.text
        assert "auxledger_ledger_read_replica_lag_events 0.0" not in metrics.text
    finally:
        replicated.replica_sql("SELECT pg_wal_replay_resume()")
    wait_for(lambda: replicated.commendations() == before + 1)


def test_readyz_while_the_replica_is_down(replicated: Replicated) -> None:
    replicated.replica.stop("fast")
    try:
        ready = replicated.client.get("/readyz", headers=replicated.world.headers("admin"))
        assert ready.status_code == 200, ready.text
        assert ready.json()["read_replica"]["state"] == "unreachable"
        assert replicated.client.get("/readyz").json() == {"status": "ready"}
        metrics = replicated.client.get("/metrics", headers=replicated.world.headers("admin"))
        assert "auxledger_ledger_read_replica_up 0.0" in metrics.text
        # Reads go to the primary meanwhile.
        served = replicated.served()
        replicated.commendations()
        assert replicated.served()["primary"] == served["primary"] + 1
    finally:
        replicated.replica.start()
    # Probed again once the fall-back (5 s) is over.
    wait_for(
        lambda: (
            replicated.client.get("/readyz", headers=replicated.world.headers("admin")).json()[
                "read_replica"
            ]["state"]
            == "streaming"
        )
    )


def test_a_console_form_reads_the_page_it_redirects_to_after_its_write(
    replicated: Replicated,
) -> None:
    browser = TestClient(replicated.client.app)
    page = browser.get("/console")
    answer = browser.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), "token": replicated.world.tokens["personnel"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    position = int(answer.headers[POSITION_HEADER])
    cookie = answer.headers["set-cookie"]
    assert f"{READ_AFTER_COOKIE}={position}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=30" in cookie
    assert browser.cookies.get(READ_AFTER_COOKIE) == str(position)
    assert browser.get("/console/home").status_code == 200


def test_plain_reads_are_answered_with_the_primary_stopped(replicated: Replicated) -> None:
    wait_for_replay(replicated.primary, replicated.replica)
    models = replicated.models
    # Past the fall-back after the replica's outage above: plain reads are the replica's.
    served = replicated.served()
    wait_for(
        lambda: (
            replicated.commendations() >= 0 and replicated.served()["replica"] > served["replica"]
        )
    )
    replicated.primary.stop("fast")
    try:
        page = PersonnelQueries(models).status(organ="320602")
        assert any(item.auxiliary_id == replicated.world.auxiliary for item in page.items)
    finally:
        replicated.primary.start()
