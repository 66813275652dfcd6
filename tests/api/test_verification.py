"""``GET /v1/ledger/verification``: the ledger organ's auditors only, incremental against the
server's witness by default, and one run at a time across the server's processes."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from api.app import create_app
from api.verification import exclusive_verification
from ledger.verify import Witness, verify_ledger
from tests.api.conftest import World, api_settings, problem
from tests.api.test_serve import _env

URL = "/v1/ledger/verification"


def _witness_now(world: World) -> Witness:
    """What ``auxledger verify`` on the server does: check, and witness the checkpoint."""
    witness = Witness(world.settings.witness_dir)
    assert verify_ledger(world.ledger, witness=witness, workers=1).witness_updated
    return witness


def test_only_the_ledger_organs_auditors_verify(client: TestClient, world: World) -> None:
    body = problem(
        client.get(f"{URL}?mode=full", headers=world.headers("other-organ-auditor")),
        403,
        "outside_scope",
    )
    assert "only auditor tokens of organ" in body["detail"]
    problem(client.get(URL, headers=world.headers("admin")), 403, "role_not_allowed")
    problem(client.get(URL), 401, "unauthenticated")
    with TestClient(create_app(api_settings(world.settings, ledger_organ=None))) as unnamed:
        problem(
            unnamed.get(f"{URL}?mode=full", headers=world.headers("auditor")),
            403,
            "outside_scope",
        )


def test_incremental_by_default_against_the_servers_witness(
    client: TestClient, world: World
) -> None:
    auditor = world.headers("auditor")
    # No witnessed checkpoint on the server yet: nothing to be incremental from.
    body = problem(client.get(URL, headers=auditor), 409, "no_witness")
    assert "mode=full" in body["detail"]
    full = client.get(f"{URL}?mode=full", headers=auditor).json()
    assert full["ok"] and full["mode"] == "full" and full["witnessed_size"] is None
    assert full["events_checked"] == full["tree_size"]
    witness = _witness_now(world)
    witnessed = witness.load()
    client.post(
        f"/v1/auxiliaries/{world.auxiliary}/commend",
        headers=world.headers("personnel"),
        json={"kind": "citation", "issuing_body": "崇川分局"},
    )
    report = client.get(URL, headers=auditor).json()
    assert report["ok"] and report["mode"] == "incremental"
    assert report["witnessed_size"] == full["tree_size"]
    # Only what came after the witness is read again, and the witness is not moved.
    assert report["events_checked"] == report["tree_size"] - full["tree_size"] >= 1
    assert witness.load() == witnessed
    again = client.get(f"{URL}?mode=full", headers=auditor).json()
    assert again["ok"] and again["mode"] == "full"
    assert again["witnessed_size"] == full["tree_size"]
    problem(client.get(f"{URL}?mode=everything", headers=auditor), 422, "validation")
    # The removed ``?full=true`` is not ignored (which would run an incremental check and look
    # like a full one): it is refused, naming the route's own parameter.
    body = problem(client.get(f"{URL}?full=true", headers=auditor), 400, "unknown_query_parameter")
    assert "full" in body["detail"] and "mode" in body["detail"]


def test_one_verification_at_a_time_across_processes(client: TestClient, world: World) -> None:
    _witness_now(world)
    auditor = world.headers("auditor")
    # Another process of the server holds the lock (as a worker running a verification would).
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from api.verification import exclusive_verification\n"
            "from ledger.config import Settings\n"
            "with exclusive_verification(Settings.from_environ().database):\n"
            "    print('held', flush=True)\n"
            "    sys.stdin.read()\n",
        ],
        env=_env(world.settings),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for mode in ("incremental", "full"):
            busy = client.get(f"{URL}?mode={mode}", headers=auditor)
            problem(busy, 429, "verification_running")
            assert int(busy.headers["Retry-After"]) >= 1
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    # The lock went with its holder; the next caller runs.
    assert client.get(URL, headers=auditor).json()["ok"]
    # Within one process too (the worker's thread pool runs requests side by side).
    with exclusive_verification(world.settings.database):
        problem(client.get(URL, headers=auditor), 429, "verification_running")
    assert client.get(f"{URL}?mode=full", headers=auditor).json()["ok"]
