"""Benchmark: the console's public pages, server-side, on a demo ledger (issue 12, "Speed").

Loads ``auxledger demo --officers N`` (seed 1) into a fresh ledger (SQLite under a temporary
folder, or a new schema of ``--postgres``), catches the read models up, starts ``auxledger
serve`` on a free port (one worker, production settings, intake limit raised) and then, from
this process over one keep-alive connection, one request at a time:

- ``GET /``: the complaint form;
- ``POST /complaint``: a complaint filed through the form (the receipt page; a new
  idempotency key each time, so each one is recorded);
- ``GET /track``: the tracking form;
- ``POST /track``: the status page of one of the complaints filed above.

Reports p50 / p95 / p99 / max of each in milliseconds (the time from sending the request to
reading the whole answer), and the same as JSON on the last line.

Usage: .venv/bin/python scripts/bench_public_pages.py [--officers 100000] [--requests 500]
       [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchlib import caught_up  # noqa: E402

from api.demo import load_demo  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.records import AuxLedger  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
CODE = re.compile(r'id="tracking-code"[^>]*>([A-Z2-7]{52})<')
WORK_ID = "NTFJ0600000000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """One keep-alive connection with the visitor's cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""

    def request(
        self, method: str, path: str, form: dict[str, Any] | None = None
    ) -> tuple[int, str, float]:
        headers = {"Accept": "text/html"}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookie:
            headers["Cookie"] = self.cookie
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        answer = self.conn.getresponse()
        text = answer.read().decode()
        took = (time.perf_counter() - start) * 1000
        cookie = answer.getheader("set-cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return answer.status, text, took


def complaint_form(csrf: str, key: str) -> dict[str, Any]:
    return {
        "csrf": csrf,
        "idempotency_key": key,
        "incident_date": "2026-11-20",
        "incident_time": "09:30",
        "incident_place": "人民路与青年路路口",
        "work_id": WORK_ID,
        "allegation": ["执勤时态度恶劣，言语粗暴", "", ""],
        "complainant_phone": "19900001111",
    }


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(cut[94], 2),
        "p99": round(cut[98], 2),
        "max": round(ordered[-1], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--officers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--postgres", default=None, help="a server URL; SQLite if absent")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="auxledger-bench-pages-"))
    schema = None
    if args.postgres:
        schema = "bench_pages_" + secrets.token_hex(4)
        url = f"{args.postgres}?schema={schema}"
    else:
        url = f"sqlite:///{home / 'ledger.sqlite'}"
    env = {
        **os.environ,
        "AUXLEDGER_DATABASE_URL": url,
        "AUXLEDGER_KEY_DIR": str(home / "keys"),
        "AUXLEDGER_WITNESS_DIR": str(home / "witness"),
        "AUXLEDGER_ENV": "production",
        "AUXLEDGER_API_INTAKE_PER_MINUTE": "10000000",
        "AUXLEDGER_API_INTAKE_BURST": "10000000",
        "AUXLEDGER_API_LEDGER_ORGAN": "320602",
    }
    settings = Settings.from_environ(env)
    ledger = AuxLedger(settings, create_tables=True)
    ledger.initialise("bench")
    started = time.monotonic()
    counts = load_demo(ledger, officers=args.officers, seed=1)
    sys.stdout.flush()
    took = time.monotonic() - started
    print(f"demo: {args.officers} officers, {counts.events} events in {took:.0f} s")
    started = time.monotonic()
    caught_up(ledger).close()
    ledger.close()
    print(f"read models caught up in {time.monotonic() - started:.0f} s")

    port = free_port()
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "auxledger"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print((home / "serve.log").read_text(), file=sys.stderr)
                    return 2
                time.sleep(0.2)
        client = Client(port)
        status, page, _ = client.request("GET", "/")
        assert status == 200, status
        csrf = CSRF.findall(page)[0]
        timings: dict[str, list[float]] = {
            "GET /": [],
            "POST /complaint": [],
            "GET /track": [],
            "POST /track": [],
        }
        codes: list[str] = []
        warm = 20
        for i in range(args.requests + warm):
            status, page, took = client.request("GET", "/")
            assert status == 200, status
            if i >= warm:
                timings["GET /"].append(took)
            form = complaint_form(csrf, KEY.findall(page)[0])
            status, page, took = client.request("POST", "/complaint", form)
            assert status == 201, (status, page[:500])
            codes.append(CODE.findall(page)[0])
            if i >= warm:
                timings["POST /complaint"].append(took)
            status, page, took = client.request("GET", "/track")
            assert status == 200, status
            if i >= warm:
                timings["GET /track"].append(took)
            status, page, took = client.request(
                "POST", "/track", {"csrf": csrf, "code": codes[i // 2]}
            )
            assert status == 200, (status, page[:500])
            if i >= warm:
                timings["POST /track"].append(took)
        results = {name: summary(samples) for name, samples in timings.items()}
        print(f"{'page':<18}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
        for name, r in results.items():
            print(f"{name:<18}{r['n']:>6}{r['p50']:>10}{r['p95']:>10}{r['p99']:>10}{r['max']:>10}")
        print(
            json.dumps(
                {
                    "officers": args.officers,
                    "events": counts.events,
                    "backend": "postgres" if schema else "sqlite",
                    "results": results,
                }
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        if schema and args.postgres:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
