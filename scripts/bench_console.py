#!/usr/bin/env python3
"""Benchmark the web console's server-side pages: the dossier of an auxiliary with 500 events,
the search, and the public form and tracking pages (p50, p95, max in milliseconds).

Usage (from the repository root):

    .venv/bin/python scripts/bench_console.py --officers 100000     # the issue's data set
    .venv/bin/python scripts/bench_console.py --officers 10000 --runs 100
    .venv/bin/python scripts/bench_console.py --url postgresql://postgres@127.0.0.1:5432/x
    .venv/bin/python scripts/bench_console.py --officers 100000 --home /var/tmp/bench100k
        # keeps the ledger; a second run with the same options times the pages only

What it does, in one process (the app in-process through Starlette's TestClient: the figures
are the server's rendering time, with no network):

1. Loads the demo data set (``api.demo``, seed 1: every fact through the commands, signed,
   chained and logged) into a fresh ledger (SQLite under a temporary folder unless ``--url``).
2. Gives one auxiliary 500 events through ``AuxLedger.command_auxiliary`` (commendations, as
   a personnel officer would record them) and brings the read models up to date.
3. Builds the app as ``auxledger serve`` builds each worker's (its heap frozen at startup,
   ``create_app(..., freeze_heap=True)``), signs in to the console through its form as a
   personnel officer, then times
   ``GET /console/auxiliaries/{id}`` (record, timeline of 500 events with verification,
   responsibility, as-of, complaints, access log: every read recorded as the API records it),
   ``POST /console/search`` by part of a name and by work ID, ``GET /v1/auxiliaries?q=``,
   and the public pages: the complaint form ``GET /``, the tracking form ``GET /track`` and
   the tracking page ``POST /track`` (the code is sent in the form's body, never in a URL)
   for a complaint filed through the public intake ``POST /v1/complaints`` beforehand.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import catch_up
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import load_demo
from api.settings import ApiSettings
from domain.commands.auxiliary import Commend
from domain.values import Actor, CredentialKind, CredentialStatus
from ledger.access import issue_token
from ledger.config import Settings
from ledger.records import AuxLedger, Envelope
from projections.queries import PersonnelQueries
from projections.service import ReadModels

ORGAN = "320602"
CST = timezone(timedelta(hours=8))
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def timed(label: str, runs: int, call: Callable[[], Any]) -> dict[str, float]:
    """Run ``call`` ``runs`` times after two warm-up runs; p50, p95 and max in ms.

    Besides wall time, the process's CPU time per call (every thread: the test client runs
    the app in a thread of its own) -- on a shared machine the figure that other people's
    load does not inflate.
    """
    for _ in range(2):
        call()
    samples = []
    cpu = []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    samples.sort()
    cpu.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * len(samples)) - 1)]
    cpu_p95 = cpu[min(len(cpu) - 1, round(0.95 * len(cpu)) - 1)]
    figures = {"p50": statistics.median(samples), "p95": p95, "max": samples[-1]}
    print(
        f"{label:48s} p50 {figures['p50']:7.1f} ms   p95 {figures['p95']:7.1f} ms   "
        f"max {figures['max']:7.1f} ms   cpu p50 {statistics.median(cpu):6.1f} "
        f"p95 {cpu_p95:6.1f} ms   ({runs} runs)",
        flush=True,
    )
    return figures


def ok(answer: Any) -> Any:
    if answer.status_code >= 400:
        code = answer.json().get("code") if "json" in answer.headers["content-type"] else ""
        raise SystemExit(
            f"{answer.request.method} {answer.request.url}: {answer.status_code} {code}"
        )
    return answer


def tracked(answer: Any) -> Any:
    """A tracking page that found its complaint (not the form again, not "not found")."""
    ok(answer)
    if "没有找到" in answer.text or "查询码" not in answer.text:
        raise SystemExit("POST /track did not show the complaint")
    return answer


def file_complaint(client: TestClient, work_id: str, settle: Callable[[], None]) -> str:
    """File a complaint through the public intake; its tracking code, once trackable.

    A code is found through a read model (``rm_tracking``); the in-process app runs no
    projection workers (``serve`` does), so ``settle`` brings the read models up to date."""
    incident = (datetime.now(tz=CST) - timedelta(hours=2)).replace(microsecond=0)
    receipt = ok(
        client.post(
            "/v1/complaints",
            json={
                "work_id": work_id,
                "incident_at": incident.isoformat(),
                "incident_place": "人民路与青年路路口（基准测试）",
                "allegations": ["执勤时态度恶劣"],
                "complainant_name": "基准测试",
                "complainant_phone": "19900001111",
            },
        )
    ).json()
    code = str(receipt["tracking_code"])
    settle()
    form = ok(client.get("/track"))
    data = {"csrf": CSRF.search(form.text).group(1), "code": code}  # type: ignore[union-attr]
    for _ in range(100):  # the projection workers catch up in the background
        if client.post("/track", data=data).status_code == 200:
            return code
        time.sleep(0.1)
    raise SystemExit("the filed complaint never became trackable")


def caught_up_models(ledger: AuxLedger) -> None:
    """Apply every stored event to the read models, as the projection workers would."""
    models = ReadModels(ledger)
    catch_up(models)
    models.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officers", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=500, help="events of the timed dossier")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--url", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument(
        "--home",
        type=Path,
        help="keep the ledger (SQLite file, keys, witness) in this folder and reuse it on the "
        "next run with the same --officers and --events: loading 100,000 officers takes "
        "about an hour (62 minutes on a 2-core VM), timing the pages a minute",
    )
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="auxbench-console-"))
    home.mkdir(parents=True, exist_ok=True)
    marker = home / "loaded.txt"
    wanted = f"officers={args.officers} events={args.events} url={args.url or 'sqlite'}\n"
    settings = Settings.from_environ(
        {
            "AUXLEDGER_DATABASE_URL": args.url or f"sqlite:///{home / 'ledger.sqlite'}",
            "AUXLEDGER_KEY_DIR": str(home / "keys"),
            "AUXLEDGER_WITNESS_DIR": str(home / "witness"),
            # Every officer's record (and complaints) kept loaded while the demo is recorded:
            # with the default 5,000 the load re-reads and re-checks each officer's history at
            # nearly every command once there are more officers than that.
            "AUXLEDGER_AGGREGATE_CACHE_SIZE": str(2 * args.officers + 5000),
        }
    )
    ledger = AuxLedger(settings, create_tables=True)
    reuse = marker.exists() and marker.read_text() == wanted
    if not reuse:
        if marker.exists():
            raise SystemExit(f"{home} holds another data set ({marker.read_text().strip()})")
        ledger.initialise("bench")
        started = time.perf_counter()
        counts = load_demo(ledger, officers=args.officers, seed=1)
        print(
            f"demo: {args.officers} officers loaded in {time.perf_counter() - started:.0f} s "
            f"({counts})",
            flush=True,
        )
    else:
        print(f"demo: reusing the ledger in {home}", flush=True)

    models = ReadModels(ledger)
    models.ensure()
    catch_up(models)
    first = PersonnelQueries(models).status(organ=ORGAN, status="active", page_size=1).items[0]
    personnel = Actor("bench-personnel", "personnel", ORGAN, None)
    for i in range(args.events - ledger.auxiliary(first.auxiliary_id).version):
        ledger.command_auxiliary(
            first.auxiliary_id,
            Commend(kind="citation", issuing_body=f"南通市公安局表彰 {i}"),
            Envelope(personnel, effective=date(2026, 1, 1)),
        )
    catch_up(models)
    models.close()
    if args.home is not None:
        marker.write_text(wanted)
    version = ledger.auxiliary(first.auxiliary_id).version
    work_id = next(
        c.serial
        for c in ledger.auxiliary(first.auxiliary_id).credentials
        if c.kind == CredentialKind.work_id and c.status == CredentialStatus.active
    )
    token = issue_token(
        ledger, role="personnel", organ=ORGAN, unit=None, label="bench", issued_by="bench"
    ).secret

    app = create_app(
        ApiSettings(
            ledger=settings,
            environment="development",
            intake_per_minute=1e6,
            intake_burst=1_000_000,
            ledger_organ=ORGAN,
        ),
        # As `auxledger serve` builds each worker's app (api.app.create_app_from_environ): the
        # heap built so far is frozen at startup, so full collections skip it.
        freeze_heap=True,
    )
    print(
        f"python {platform.python_version()}, {platform.machine()}, "
        f"{settings.database.backend}; the dossier has {version} events",
        flush=True,
    )
    with TestClient(app) as client:
        page = ok(client.get("/console"))
        ok(
            client.post(
                "/console/sign-in", data={"csrf": CSRF.search(page.text).group(1), "token": token}
            )
        )  # type: ignore[union-attr]
        csrf = CSRF.search(ok(client.get("/console/home")).text).group(1)  # type: ignore[union-attr]
        dossier = f"/console/auxiliaries/{first.auxiliary_id}"
        timed(
            "dossier (500 events), GET " + "/console/auxiliaries/{id}",
            args.runs,
            lambda: ok(client.get(dossier)),
        )
        part = first.name[1:]
        timed(
            f"search by part of a name ({part}), console",
            args.runs,
            lambda: ok(client.post("/console/search", data={"csrf": csrf, "q": part})),
        )
        timed(
            "search by work ID, console",
            args.runs,
            lambda: ok(client.post("/console/search", data={"csrf": csrf, "q": work_id})),
        )
        headers = {"Authorization": f"Bearer {token}"}
        timed(
            "search by part of a name, GET /v1/auxiliaries?q=",
            args.runs,
            lambda: ok(client.get("/v1/auxiliaries", params={"q": part}, headers=headers)),
        )
        timed("public complaint page, GET /", args.runs, lambda: ok(client.get("/")))
        code = file_complaint(client, work_id, lambda: caught_up_models(ledger))
        form = ok(client.get("/track"))  # sets the public form's CSRF cookie
        track = {"csrf": CSRF.search(form.text).group(1), "code": code}  # type: ignore[union-attr]
        timed("public tracking form, GET /track", args.runs, lambda: ok(client.get("/track")))
        timed(
            "public tracking page, POST /track",
            args.runs,
            lambda: tracked(client.post("/track", data=track)),
        )
    ledger.close()


if __name__ == "__main__":
    main()
