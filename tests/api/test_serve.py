"""``auxledger serve``: a real uvicorn server whose process also runs the projection workers."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.commands.auxiliary import RevokeCredential
from domain.values import Actor
from ledger.config import Settings
from ledger.records import Envelope
from tests.api.conftest import ORGAN, World
from tests.console.conftest import sign_in
from tests.integration.witnesses import AUXLEDGER
from tests.serving import free_port, serve_env, serving


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _env(settings: Settings) -> dict[str, str]:
    return serve_env(
        settings,
        AUXLEDGER_API_LEDGER_ORGAN=ORGAN,
        # The test polls the public work-ID check until the workers catch up.
        AUXLEDGER_API_CHECKS_PER_MINUTE="100000",
        AUXLEDGER_API_CHECKS_BURST="100000",
    )


@pytest.mark.both_backends
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_and_keeps_the_read_models_current(
    world: World, tmp_path: Path, workers: int
) -> None:
    with serving(
        _env(world.settings), tmp_path / "serve.log", args=["--workers", str(workers)]
    ) as served:
        base = served.base
        assert _get(f"{base}/v1/credentials/NTFJ0602000002")[1]["active"] is True
        world.ledger.command_auxiliary(
            world.other_unit_auxiliary,
            RevokeCredential(kind="work_id", serial="NTFJ0602000002", reason="遗失"),
            Envelope(Actor("setup-personnel", "personnel", ORGAN, None)),
        )
        deadline = time.monotonic() + 30
        while _get(f"{base}/v1/credentials/NTFJ0602000002")[1]["active"] is not False:
            assert time.monotonic() < deadline, "the serve process's workers did not catch up"
            time.sleep(0.3)
        status, ready = _get(f"{base}/readyz")
        assert status == 200 and ready == {"status": "ready"}
        # The counters reach /metrics with one worker (this process) as with several (files).
        scrape = urllib.request.Request(f"{base}/metrics", headers=world.headers("admin"))
        with urllib.request.urlopen(scrape, timeout=5) as answer:
            metrics = answer.read().decode("utf-8")
        counted = [
            line
            for line in metrics.splitlines()
            if line.startswith("auxledger_http_requests_total{")
            and 'route="/v1/credentials/{work_id}"' in line
        ]
        assert counted and float(counted[0].rsplit(" ", 1)[1]) >= 2
    lines = [
        json.loads(line)
        for line in (tmp_path / "serve.log").read_text().splitlines()
        if line.startswith("{")
    ]
    assert any(line.get("route") == "/v1/credentials/{work_id}" for line in lines)
    assert all("NTFJ0602000002" not in json.dumps(line) for line in lines)


def test_serve_with_a_missing_key_folder_says_so_and_creates_nothing(
    aux_ledger: Any, tmp_path: Path
) -> None:
    missing = tmp_path / "mistyped" / "keys"
    done = subprocess.run(
        [AUXLEDGER, "serve", "--port", str(free_port())],
        env=serve_env(aux_ledger.settings, AUXLEDGER_KEY_DIR=str(missing)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "does not exist (run `auxledger init`)" in done.stderr
    assert "AUXLEDGER_KEY_DIR" in done.stderr
    assert not (tmp_path / "mistyped").exists()


def test_every_worker_knows_every_console_session(world: World, tmp_path: Path) -> None:
    """The console behind ``serve --workers 2``: a session opened on one worker, and the
    reason an inspector gave on one, hold on every worker (each request a new connection,
    so the kernel spreads them over both); signing out ends the session on every worker."""
    with (
        serving(_env(world.settings), tmp_path / "serve.log", args=["--workers", "2"]) as served,
        httpx.Client(base_url=served.base, headers={"Connection": "close"}) as browser,
    ):
        csrf = sign_in(browser, world.tokens["inspector"])  # type: ignore[arg-type]
        aux = world.auxiliary
        kept = browser.post(
            f"/console/auxiliaries/{aux}/reason", data={"csrf": csrf, "reason": "核查"}
        )
        assert kept.status_code == 303, kept.text
        for _ in range(12):
            assert browser.get("/console/home").status_code == 200
            page = browser.get(f"/console/auxiliaries/{aux}")
            assert page.status_code == 200 and 'name="reason"' not in page.text
        out = browser.post("/console/sign-out", data={"csrf": csrf}, follow_redirects=False)
        assert out.status_code == 303
        for _ in range(6):
            assert browser.get("/console/home").status_code == 401
