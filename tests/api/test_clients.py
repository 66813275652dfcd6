"""Who a client is: the address the rate limits and the intake's idempotency key on.

``X-Forwarded-For`` counts only from the proxies ``AUXLEDGER_TRUSTED_PROXIES`` names (none
by default), and an IPv6 client is its /64. Against real ``auxledger serve`` processes: the
proxy headers are uvicorn's, configured by the serve verb.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimiter, client_key
from api.settings import TRUSTED_PROXIES, ApiSettings
from ledger.errors import ConfigurationError
from tests.api.conftest import World, api_settings, problem
from tests.api.test_public import COMPLAINT
from tests.api.test_serve import _env
from tests.serving import serving as serve_process


@contextmanager
def serving(world: World, tmp_path: Path, **env: str) -> Iterator[str]:
    """A real ``auxledger serve`` on a free port with these extra settings; its base URL."""
    with serve_process({**_env(world.settings), **env}, tmp_path / "serve.log") as served:
        yield served.base


def send(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One request: status, headers (names in lower case) and the JSON body."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            answered = {k.lower(): v for k, v in answer.headers.items()}
            return answer.status, answered, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as e:
        answered = {k.lower(): v for k, v in e.headers.items()}
        return e.code, answered, json.loads(e.read() or b"null")


def file(base: str, forwarded_for: str | None = None, key: str | None = None) -> tuple[int, Any]:
    """File the test complaint (as from ``forwarded_for`` if given); status and body."""
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    if key is not None:
        headers["Idempotency-Key"] = key
    status, answered, body = send("POST", f"{base}/v1/complaints", COMPLAINT, headers)
    if status == 201:
        body["replayed"] = answered.get("idempotent-replayed") == "true"
    return status, body


STRICT_INTAKE = {
    "AUXLEDGER_API_INTAKE_PER_MINUTE": "0.1",
    "AUXLEDGER_API_INTAKE_BURST": "2",
}


def test_by_default_a_forwarded_for_header_does_not_escape_the_limit(
    world: World, tmp_path: Path
) -> None:
    with serving(world, tmp_path, **STRICT_INTAKE) as base:
        assert [file(base)[0] for _ in range(2)] == [201, 201]
        status, _ = file(base)
        assert status == 429
        # The review's reproduction: a fresh X-Forwarded-For per request from 127.0.0.1.
        for n in range(5):
            assert file(base, forwarded_for=f"203.0.113.{n + 1}")[0] == 429


def test_a_trusted_proxys_forwarded_address_is_the_client(world: World, tmp_path: Path) -> None:
    with serving(
        world, tmp_path, **STRICT_INTAKE, AUXLEDGER_TRUSTED_PROXIES="127.0.0.0/8, ::1"
    ) as base:
        # Each forwarded client has its own bucket ...
        assert [file(base, "198.51.100.1")[0] for _ in range(3)] == [201, 201, 429]
        assert file(base, "198.51.100.2")[0] == 201
        # ... an IPv6 client one per /64: the next address of the same /64 is the same client.
        assert file(base, "2001:db8:1:2::1")[0] == 201
        assert file(base, "2001:db8:1:2:ffff::9")[0] == 201
        assert file(base, "2001:db8:1:2::3")[0] == 429
        assert file(base, "2001:db8:1:3::1")[0] == 201
        # The idempotency namespace is the forwarded client's too: a retry from the same
        # client is a replay, the same key from another client another complaint.
        status, first = file(base, "198.51.100.3", key="same-key")
        assert status == 201 and not first["replayed"]
        status, again = file(base, "198.51.100.3", key="same-key")
        assert status == 201 and again["replayed"]
        assert again["complaint_id"] == first["complaint_id"]
        status, other = file(base, "198.51.100.4", key="same-key")
        assert status == 201 and not other["replayed"]
        assert other["complaint_id"] != first["complaint_id"]
        # A header the proxy passed on from the client: the last untrusted hop counts.
        status, _ = file(base, "203.0.113.50, 198.51.100.1")
        assert status == 429


def test_trusted_proxies_setting(world: World) -> None:
    env = dict(_env(world.settings))
    assert ApiSettings.from_environ(env).trusted_proxies == ()
    env[TRUSTED_PROXIES] = " 127.0.0.1, 10.0.0.0/8 ,::1,192.168.1.9/24,127.0.0.1"
    assert ApiSettings.from_environ(env).trusted_proxies == (
        "127.0.0.1",
        "10.0.0.0/8",
        "::1",
        "192.168.1.0/24",
    )
    for bad in ("*", "nginx.local", "10.0.0.0/33", "127.0.0.1;10.0.0.1"):
        env[TRUSTED_PROXIES] = bad
        with pytest.raises(ConfigurationError) as raised:
            ApiSettings.from_environ(env)
        assert TRUSTED_PROXIES in str(raised.value)


def test_an_ipv6_client_is_its_64_and_an_ipv4_client_its_address() -> None:
    assert client_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_key("2001:DB8:1:2::9") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("testclient") == "testclient"
    limiter = RateLimiter(per_minute=1, burst=2, clock=lambda: 0.0)
    assert limiter.take("2001:db8:1:2::1") is None
    assert limiter.take("2001:db8:1:2:aaaa:bbbb:cccc:dddd") is None
    assert limiter.take("2001:db8:1:2::ffff") == 60
    assert limiter.take("2001:db8:1:3::1") is None
    assert limiter.take("192.0.2.7") is None
    assert limiter.take("192.0.2.7") is None
    assert limiter.take("192.0.2.8") is None
    assert limiter.take("::ffff:192.0.2.7") == 60


def test_work_id_checks_are_rate_limited_per_client(world: World) -> None:
    app = create_app(api_settings(world.settings, checks_per_minute=1.0, checks_burst=3))
    with TestClient(app) as client:
        # Walking sequential work IDs: the first few are answered, then the client waits.
        answers = [client.get(f"/v1/credentials/NTFJ060200000{n}") for n in range(1, 5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        body = problem(answers[-1], 429, "rate_limited")
        assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
        assert "NTFJ" not in body["detail"]
        # The limit is the client's, whatever it asks next; other public reads are not held.
        problem(client.get("/v1/credentials/NTFJ0612000001"), 429, "rate_limited")
        assert client.get("/v1/ledger/checkpoint").status_code == 200
