"""Database restarts and outages under the API (issue 17, "Why" 3 and 4; "What to build" 3).

The API runs in this process (``create_app`` as ``serve`` builds it) over a ledger on a
private PostgreSQL cluster that the tests restart and stop.

Time bounds: the contract is an answer in under 1 s; the tests allow 2 s because this
machine's 2 cores are shared by several test runs (the measured times are far below 1 s).
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.config import Settings
from ledger.records import AuxLedger
from projections.service import ProjectionSupervisor, ReadModels
from tests.api.conftest import World, api_settings, build_world
from tests.api.test_public import COMPLAINT
from tests.conftest import initialised, make_settings
from tests.faults.cluster import PrivateCluster

BOUND = 2.0
"""Seconds allowed for an answer the contract wants in under 1 s (see the module doc)."""


@pytest.fixture(scope="module")
def fault_database(private_cluster: PrivateCluster) -> str:
    """A database on the private cluster for this module's ledgers (one schema per test)."""
    return private_cluster.create_database("connections")


@pytest.fixture
def world(cluster_up: PrivateCluster, fault_database: str, tmp_path: Path) -> Iterator[World]:
    """A small world on the private cluster."""
    schema = "t_" + secrets.token_hex(6)
    settings = make_settings(tmp_path, cluster_up.url("connections", schema))
    with closing(initialised(AuxLedger, settings)) as ledger:
        yield build_world(ledger, settings)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    # With the projection workers, as serve runs them: /readyz is unready without them.
    models = ReadModels(world.ledger)
    models.ensure()
    supervisor = ProjectionSupervisor(models, poll_interval=0.2)
    supervisor.start()
    try:
        with TestClient(create_app(api_settings(world.settings))) as test_client:
            yield test_client
    finally:
        supervisor.stop()
        models.close()


def _warm(client: TestClient) -> None:
    """Several requests at once, so the pool holds several idle connections."""
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: client.get("/v1/ledger/checkpoint"), range(24)))
    assert all(a.status_code == 200 for a in answers)
    deadline = time.monotonic() + 30  # the projection workers' first heartbeat
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, client.get("/readyz").text
        time.sleep(0.1)


def _timed(call: Any) -> tuple[Any, float]:
    start = time.monotonic()
    answer = call()
    return answer, time.monotonic() - start


def _intake(client: TestClient) -> Any:
    return client.post(
        "/v1/complaints", json=COMPLAINT, headers={"Idempotency-Key": secrets.token_hex(8)}
    )


def _unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert int(answer.headers["Retry-After"]) > 0


def test_after_a_database_restart_the_first_requests_succeed(
    client: TestClient, cluster_up: PrivateCluster
) -> None:
    # "Why" 3: 11 of 295 checkpoint reads failed after a restart, an intake 50 s later 503.
    _warm(client)
    cluster_up.restart("fast")  # every pooled connection is now broken
    for _ in range(20):
        answer = client.get("/v1/ledger/checkpoint")
        assert answer.status_code == 200, answer.text
    assert _intake(client).status_code == 201
    assert client.get("/readyz").status_code == 200


def test_after_a_crash_of_the_database_the_first_requests_succeed(
    client: TestClient, cluster_up: PrivateCluster
) -> None:
    _warm(client)
    cluster_up.kill9_postmaster()
    cluster_up.start()
    assert client.get("/v1/ledger/checkpoint").status_code == 200
    assert _intake(client).status_code == 201


def test_during_an_outage_requests_fail_fast_and_recover_when_it_ends(
    client: TestClient, cluster_up: PrivateCluster
) -> None:
    # "Why" 4: requests blocked up to the 5-s pool timeout (some ~14 s), /readyz over 5 s.
    _warm(client)
    cluster_up.stop("fast")
    try:
        for _ in range(3):  # the first (broken idle connections) and the later ones
            answer, seconds = _timed(lambda: _intake(client))
            _unavailable(answer)
            assert seconds < BOUND, f"intake took {seconds:.2f} s during the outage"
            answer, seconds = _timed(lambda: client.get("/readyz"))
            _unavailable(answer)
            assert seconds < BOUND, f"/readyz took {seconds:.2f} s during the outage"
            answer, seconds = _timed(lambda: client.get("/v1/ledger/checkpoint"))
            _unavailable(answer)
            assert seconds < BOUND, f"a read took {seconds:.2f} s during the outage"
        # Many at once: none waits for the others' pool timeout either.
        with ThreadPoolExecutor(8) as pool:
            timed = list(pool.map(lambda _: _timed(lambda: _intake(client)), range(16)))
        for answer, seconds in timed:
            _unavailable(answer)
            assert seconds < 2 * BOUND, f"a concurrent intake took {seconds:.2f} s"
    finally:
        cluster_up.start()
    # The database is back: the very next requests succeed (no pool back-off to wait out).
    assert _intake(client).status_code == 201
    assert client.get("/readyz").status_code == 200
    assert client.get("/v1/ledger/checkpoint").status_code == 200


def test_metrics_say_the_database_is_down_while_it_is(
    client: TestClient, world: World, cluster_up: PrivateCluster
) -> None:
    """The alert on ``auxledger_ledger_up == 0`` needs a scrape that answers while the
    database is down: a token admitted before is admitted again meanwhile, one never seen
    is answered 503 like every other request."""
    _warm(client)
    scraper, newcomer = world.headers("auditor"), world.headers("admin")
    before = client.get("/metrics", headers=scraper)
    assert before.status_code == 200 and "auxledger_ledger_up 1.0" in before.text
    cluster_up.stop("fast")
    try:
        answer, seconds = _timed(lambda: client.get("/metrics", headers=scraper))
        assert answer.status_code == 200, answer.text
        assert "auxledger_ledger_up 0.0" in answer.text
        assert seconds < BOUND, f"/metrics took {seconds:.2f} s during the outage"
        _unavailable(client.get("/metrics", headers=newcomer))
    finally:
        cluster_up.start()
    after = client.get("/metrics", headers=newcomer)
    assert after.status_code == 200 and "auxledger_ledger_up 1.0" in after.text


def test_the_statement_timeout_setting_bounds_every_statement(
    cluster_up: PrivateCluster, fault_database: str, tmp_path: Path
) -> None:
    from eventsourcing.persistence import OperationalError  # noqa: PLC0415

    schema = "t_" + secrets.token_hex(6)
    settings = make_settings(
        tmp_path,
        cluster_up.url("connections", schema),
        AUXLEDGER_DATABASE_STATEMENT_TIMEOUT="0.5",
        AUXLEDGER_DATABASE_CONNECT_TIMEOUT="3",
    )
    assert (settings.statement_timeout, settings.connect_timeout) == (0.5, 3)
    ledger = AuxLedger(settings, create_tables=True)
    try:
        datastore = ledger.recorder.datastore  # type: ignore[attr-defined]
        with datastore.get_connection() as conn:
            assert conn.execute("SHOW statement_timeout").fetchone()["statement_timeout"] == "500ms"
            assert conn.info.get_parameters().get("connect_timeout") == "3"
        start = time.monotonic()
        with pytest.raises(OperationalError), datastore.get_connection() as conn:
            conn.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - start < 3
    finally:
        ledger.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AUXLEDGER_DATABASE_CONNECT_TIMEOUT", "1"),
        ("AUXLEDGER_DATABASE_CONNECT_TIMEOUT", "2.5"),
        ("AUXLEDGER_DATABASE_CONNECT_TIMEOUT", "soon"),
        ("AUXLEDGER_DATABASE_STATEMENT_TIMEOUT", "-1"),
        ("AUXLEDGER_DATABASE_STATEMENT_TIMEOUT", "nan"),
    ],
)
def test_a_bad_timeout_setting_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    from ledger.errors import ConfigurationError  # noqa: PLC0415

    with pytest.raises(ConfigurationError, match=name):
        make_settings(tmp_path, "sqlite:///x.sqlite", **{name: value})


@contextmanager
def hung_database(tmp_path: Path, *, connect_timeout: int) -> Iterator[Settings]:
    """Settings of a PostgreSQL "host" that accepts TCP connections and never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        yield make_settings(
            tmp_path,
            f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/hung",
            AUXLEDGER_DATABASE_CONNECT_TIMEOUT=str(connect_timeout),
        )


def test_readyz_answers_within_its_deadline_when_the_database_hangs(tmp_path: Path) -> None:
    # "Why" 4: /readyz itself hung over 5 s. A server that accepts TCP connections and never
    # answers (a hung or unreachable host) holds every connection attempt for the whole
    # connect timeout (3 s here): /readyz must not wait for it.
    from tests.api.conftest import ORGAN  # noqa: PLC0415

    with hung_database(tmp_path, connect_timeout=3) as settings:
        settings.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # as init leaves it
        app = create_app(api_settings(settings, ledger_organ=ORGAN))
        with TestClient(app) as test_client:
            # Also with a token: looking it up needs the database too.
            token = "axl_" + secrets.token_urlsafe(32)
            for headers in ({}, {}, {"Authorization": f"Bearer {token}"}):
                answer, seconds = _timed(lambda: test_client.get("/readyz", headers=headers))  # noqa: B023
                assert answer.status_code == 503, answer.text
                assert answer.json()["code"] == "not_ready"
                assert answer.headers["Retry-After"]
                assert seconds < BOUND, f"/readyz took {seconds:.2f} s"
            assert test_client.get("/healthz").status_code == 200


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, str], float]:
    """(status, headers, seconds) of one request to a real server."""
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    headers = {"Content-Type": "application/json", "Idempotency-Key": secrets.token_hex(8)}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            answer.read()
            return answer.status, _lower(answer.headers), time.monotonic() - start
    except urllib.error.HTTPError as e:
        e.read()
        return e.code, _lower(e.headers), time.monotonic() - start


def test_a_real_serve_rides_out_database_restarts_and_outages(
    world: World, cluster_up: PrivateCluster, tmp_path: Path
) -> None:
    # The fault-injection run's setting: `serve --workers N` over PostgreSQL, the database
    # restarted and stopped under a steady trickle of checkpoint reads.
    import json  # noqa: PLC0415
    import threading  # noqa: PLC0415

    from tests.api.test_serve import _env  # noqa: PLC0415
    from tests.serving import serving  # noqa: PLC0415

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    intake = json.dumps(COMPLAINT).encode()
    results: list[tuple[float, int]] = []
    stop = threading.Event()

    def trickle() -> None:  # checkpoint reads at about 10 a second
        while not stop.is_set():
            status, _, _ = _http("GET", f"{base}/v1/ledger/checkpoint")
            results.append((time.monotonic(), status))
            stop.wait(0.1)

    reader = threading.Thread(target=trickle, daemon=True)
    env = {**_env(world.settings), "TMPDIR": str(tmp)}
    with serving(env, tmp_path / "serve.log", args=("--workers", "2")) as served:
        base = served.base
        try:
            reader.start()
            time.sleep(1.0)
            cluster_up.restart("fast")
            back = time.monotonic()
            assert _http("POST", f"{base}/v1/complaints", intake)[0] == 201
            time.sleep(2.0)
            after = [status for at, status in list(results) if at > back + 0.05]
            assert after and all(status == 200 for status in after), after

            cluster_up.stop("fast")
            down = time.monotonic()
            time.sleep(0.5)
            for _ in range(3):
                for method, path, body in (
                    ("POST", "/v1/complaints", intake),
                    ("GET", "/readyz", None),
                    ("GET", "/v1/ledger/checkpoint", None),
                ):
                    status, headers, seconds = _http(method, f"{base}{path}", body)
                    assert status == 503 and headers.get("retry-after"), (path, status)
                    assert seconds < BOUND, f"{method} {path} took {seconds:.2f} s in the outage"
            cluster_up.start()
            back = time.monotonic()
            assert _http("POST", f"{base}/v1/complaints", intake)[0] == 201
            time.sleep(1.0)
            during = [s for at, s in list(results) if down + 0.5 < at < back - 0.2]
            assert during and all(s == 503 for s in during), during
            after = [status for at, status in list(results) if at > back + 0.05]
            assert after and all(status == 200 for status in after), after
        finally:
            stop.set()
            if reader.is_alive():
                reader.join(timeout=35)


def test_a_busy_server_is_waited_for_not_taken_for_down(
    cluster_up: PrivateCluster, tmp_path: Path
) -> None:
    # "Too many clients" (SQLSTATE 53300) means the server is up: a request waits for a
    # connection another returns, as before, instead of failing fast like in an outage.
    import psycopg  # noqa: PLC0415

    name = "busy_" + secrets.token_hex(4)
    with psycopg.connect(cluster_up.url(), autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN CONNECTION LIMIT 3')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
    url = f"postgresql://{name}@127.0.0.1:{cluster_up.port}/{name}?schema=s"
    ledger = AuxLedger(make_settings(tmp_path, url), create_tables=True)
    try:
        datastore = ledger.recorder.datastore  # type: ignore[attr-defined]

        def hold(_: int) -> int:
            with datastore.get_connection() as conn:
                conn.execute("SELECT pg_sleep(0.2)")
            return 1

        with ThreadPoolExecutor(8) as pool:
            assert sum(pool.map(hold, range(24))) == 24
    finally:
        ledger.close()


def test_opening_the_ledger_gives_up_after_the_connect_timeout(tmp_path: Path) -> None:
    # A host that accepts TCP and never answers: opening the ledger (serve, every command)
    # fails after AUXLEDGER_DATABASE_CONNECT_TIMEOUT, not a fixed 5 s.
    from ledger.errors import StorageUnavailableError  # noqa: PLC0415

    with hung_database(tmp_path, connect_timeout=2) as settings:
        start = time.monotonic()
        with pytest.raises(StorageUnavailableError, match="cannot reach PostgreSQL"):
            AuxLedger(settings)
        assert time.monotonic() - start < 4.5
