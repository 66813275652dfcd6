"""Benchmark: public complaint intake against a bare FastAPI + psycopg insert, same run.

Starts, on a throwaway PostgreSQL database, (a) ``auxledger serve --workers W`` over a small
ledger (one organ, 20 auxiliaries with work IDs, read models caught up) and (b) a bare FastAPI
app with a psycopg connection pool, W uvicorn workers, whose endpoint validates the same body
with pydantic and INSERTs the same row (one table, one statement). Drives each with ``wrk``
(2 threads, C connections, same duration, scripts/bench_api/intake.lua), one server at a time,
alternating, R repetitions; reports the median req/s and p50/p99 of each and their ratios.
Then sweeps the connection count to find where the ledger's p99 stays under 100 ms, with the
bare baseline measured at each count too. On Linux it also reports the CPU each side spent per
request -- its worker processes, the projection process (``auxledger serve`` itself) and the
PostgreSQL backends of the bench's own database -- which says where the time goes and whether
the baseline was bound by the CPU or by waiting for commits (a ratio of throughputs means
different things in the two cases), and the ratio of the two sides' CPU per request: unlike
throughput, it can be compared across machines and holds on a machine shared with other work.

Usage: .venv/bin/python scripts/bench_api.py [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
       [--duration 20] [--repeats 3] [--connections 50] [--workers 4] [--sweep 1,2,4,8,16,32]
Needs ``wrk`` (Debian: apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from domain.commands.auxiliary import IssueCredential
from domain.commands.organ import RegisterOrgan
from ledger.records import Envelope

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LUA = ROOT / "scripts" / "bench_api" / "intake.lua"
ORGAN, UNIT = "320602", "320602-001"

BARE_APP = """
import os
from datetime import datetime
from uuid import uuid4

from fastapi import FastAPI
from psycopg_pool import ConnectionPool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

pool = ConnectionPool(os.environ["BARE_DATABASE_URL"], min_size=4, max_size=12, open=True)
app = FastAPI()


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    work_id: str | None = None
    incident_at: AwareDatetime
    incident_place: str = Field(min_length=1, max_length=200)
    allegations: list[str] = Field(min_length=1, max_length=20)
    complainant_name: str | None = None
    complainant_phone: str | None = None


@app.post("/v1/complaints", status_code=201)
def file_complaint(body: ComplaintCreate) -> dict[str, str]:
    complaint_id = uuid4()
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO bare_complaints (complaint_id, work_id, incident_at, incident_place, "
            "allegations, complainant_name, complainant_phone, received_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, now())",
            (complaint_id, body.work_id, body.incident_at, body.incident_place,
             "\\n".join(body.allegations), body.complainant_name, body.complainant_phone),
        )
    return {"complaint_id": str(complaint_id)}
"""


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and its workers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> list[tuple[int, int, str, float]]:
    """Every process: pid, parent pid, name, user + system CPU seconds (Linux /proc).

    The name of a PostgreSQL process is its whole title (``postgres: 15/main: postgres
    DATABASE 127.0.0.1(port) idle`` for a backend), so its database can be told.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            comm = text[text.index("(") + 1 : text.rindex(")")]
            if comm == "postgres":
                comm = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
        except OSError:
            continue  # gone since the listing
        fields = text[text.rindex(")") + 2 :].split()
        # fields[0] is field 3 of proc(5): ppid is field 4, utime 14, stime 15
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        found.append((int(entry.name), int(fields[1]), comm, cpu))
    return found


def cpu_snapshot(server_pid: int, database: str) -> dict[str, float]:
    """CPU seconds so far of a server process, of its descendants and of the PostgreSQL
    backends connected to ``database``.

    Only that database's backends: on a machine shared with other work, PostgreSQL's other
    sessions are not ours. Its shared processes (WAL writer, checkpointer) are left out on
    both sides, since they cannot be apportioned.
    """
    procs = _processes()
    children: dict[int, list[int]] = {}
    cpu = {}
    for pid, ppid, _, seconds in procs:
        children.setdefault(ppid, []).append(pid)
        cpu[pid] = seconds
    descendants, todo = [], list(children.get(server_pid, []))
    while todo:
        pid = todo.pop()
        descendants.append(pid)
        todo.extend(children.get(pid, []))
    backend = f" {database} "
    return {
        "server": cpu.get(server_pid, 0.0),
        "workers": sum(cpu[p] for p in descendants),
        "postgres": sum(
            seconds
            for _, _, name, seconds in procs
            if name.startswith("postgres: ") and backend in name
        ),
    }


def run_wrk(
    url: str,
    connections: int,
    duration: int,
    server_pid: int | None = None,
    database: str = "",
) -> dict[str, Any]:
    """One wrk run; its JSON summary line, with CPU milliseconds per request if asked.

    With ``server_pid`` (Linux): the CPU the server process, its worker processes and the
    PostgreSQL backends of ``database`` used during the run, per request answered.
    The server process of ``auxledger serve`` runs the projections; uvicorn's is idle.
    """
    before = cpu_snapshot(server_pid, database) if server_pid is not None else None
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("{"))
    result: dict[str, Any] = json.loads(line)
    if before is not None and server_pid is not None and result["requests"]:
        after = cpu_snapshot(server_pid, database)
        result["cpu_ms_per_request"] = {
            k: round((after[k] - before[k]) * 1000 / result["requests"], 2) for k in after
        }
    return result


def build_ledger(env: dict[str, str]) -> None:
    """A small ledger: one organ, a unit, 20 auxiliaries with work IDs; read models caught up."""
    from benchlib import HIRED_ON, caught_up, standard_hire  # noqa: PLC0415

    from api.demo.builders import other_resident_id, set_up_organ  # noqa: PLC0415
    from domain.values import Actor  # noqa: PLC0415
    from ledger.config import Settings  # noqa: PLC0415
    from ledger.records import AuxLedger  # noqa: PLC0415

    ledger = AuxLedger(Settings.from_environ(env), create_tables=True)
    ledger.initialise("bench")
    admin = Actor("bench-admin", "admin", ORGAN, None)
    personnel = Actor("bench-personnel", "personnel", ORGAN, None)
    set_up_organ(
        ledger,
        RegisterOrgan(code=ORGAN, name="南通市公安局崇川分局", region="南通市"),
        [(UNIT, "城东派出所")],
        100,
        admin=admin,
        establishment=Actor("bench-est", "establishment", ORGAN, None),
    )
    for i in range(1, 21):
        hired = ledger.hire(
            ORGAN,
            # 20 people: one person holds one post at a time (Art. 5, 8).
            standard_hire(UNIT, f"辅警{i}", resident_id=other_resident_id(i)),
            Envelope(personnel, effective=HIRED_ON),
        )
        ledger.command_auxiliary(
            hired.originator_id,
            IssueCredential(kind="work_id", serial=f"NTFJ0602{i:06d}"),
            Envelope(personnel, effective=date(2025, 1, 2)),
        )
    caught_up(ledger).close()
    ledger.close()


def cpu_model() -> str:
    """The processor's model name (Linux), else the platform's word for it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def median(runs: list[dict[str, Any]], key: str) -> float:
    """The median of one figure over runs."""
    return float(statistics.median(r[key] for r in runs))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures (and a JSON summary)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sweep", default="1,2,4,8,16,32")
    parser.add_argument("--sweep-duration", type=int, default=10)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2

    database = f"auxledger_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    base = args.postgres.rsplit("/", 1)[0] + "/" + database
    work = Path(tempfile.mkdtemp(prefix="auxledger-bench-"))
    env = {
        **os.environ,
        "AUXLEDGER_DATABASE_URL": f"{base}?schema=ledger",
        "AUXLEDGER_KEY_DIR": str(work / "keys"),
        "AUXLEDGER_WITNESS_DIR": str(work / "witness"),
        "AUXLEDGER_ENV": "production",
        "AUXLEDGER_API_INTAKE_PER_MINUTE": "10000000",
        "AUXLEDGER_API_INTAKE_BURST": "10000000",
        "BARE_DATABASE_URL": base,
        "PYTHONPATH": str(work),
    }
    servers: list[subprocess.Popen[bytes]] = []
    try:
        build_ledger(env)
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE bare_complaints (complaint_id uuid PRIMARY KEY, work_id text, "
                "incident_at timestamptz NOT NULL, incident_place text NOT NULL, "
                "allegations text NOT NULL, complainant_name text, complainant_phone text, "
                "received_at timestamptz NOT NULL)"
            )
        (work / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
        ours_port, bare_port = free_port(), free_port()
        venv_bin = Path(sys.executable).parent
        ours = subprocess.Popen(
            [
                str(venv_bin / "auxledger"),
                "serve",
                "--port",
                str(ours_port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(work / "serve.log").open("wb"),
            start_new_session=True,
        )
        servers.append(ours)
        bare = subprocess.Popen(
            [
                str(venv_bin / "uvicorn"),
                "bare_app:app",
                "--port",
                str(bare_port),
                "--workers",
                str(args.workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        servers.append(bare)
        try:
            wait_until_up(f"http://127.0.0.1:{ours_port}/healthz", ours)
        except RuntimeError:
            print((work / "serve.log").read_text(encoding="utf-8")[-2000:], file=sys.stderr)
            raise
        wait_until_up(f"http://127.0.0.1:{bare_port}/docs", bare)
        ours_url = f"http://127.0.0.1:{ours_port}/v1/complaints"
        bare_url = f"http://127.0.0.1:{bare_port}/v1/complaints"
        run_wrk(ours_url, 8, 3)  # warm-up: imports, pools, caches
        run_wrk(bare_url, 8, 3)

        results: dict[str, Any] = {
            "machine": f"{platform.node()} {platform.machine()} ({cpu_model()}), "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
            "connections": args.connections,
            "workers": args.workers,
            "duration_s": args.duration,
            "ours": [],
            "bare": [],
        }
        for _ in range(args.repeats):
            results["ours"].append(
                run_wrk(
                    ours_url,
                    args.connections,
                    args.duration,
                    server_pid=ours.pid,
                    database=database,
                )
            )
            results["bare"].append(
                run_wrk(
                    bare_url,
                    args.connections,
                    args.duration,
                    server_pid=bare.pid,
                    database=database,
                )
            )
        summary = {
            side: {k: median(results[side], k) for k in ("rps", "p50_ms", "p99_ms")}
            for side in ("ours", "bare")
        }
        summary["ratio"] = {
            "throughput": summary["ours"]["rps"] / summary["bare"]["rps"],
            "p99": summary["ours"]["p99_ms"] / summary["bare"]["p99_ms"],
        }
        cpu_split = {
            side: {
                k: float(statistics.median(r["cpu_ms_per_request"][k] for r in results[side]))
                for k in ("server", "workers", "postgres")
            }
            for side in ("ours", "bare")
            if all("cpu_ms_per_request" in r for r in results[side])
        }
        summary["cpu_ms_per_request"] = cpu_split
        if len(cpu_split) == 2:
            # Each repetition's ours/bare pair was measured back to back: the median of the
            # pairs' ratios cancels the drift of a shared machine better than a ratio of medians.
            pairs = [
                sum(o["cpu_ms_per_request"].values()) / sum(b["cpu_ms_per_request"].values())
                for o, b in zip(results["ours"], results["bare"], strict=True)
            ]
            summary["ratio"]["cpu"] = float(statistics.median(pairs))
            summary["ratio"]["cpu_pairs"] = [round(r, 2) for r in pairs]
        sweep = []
        for connections in (int(c) for c in args.sweep.split(",") if c):
            o = run_wrk(
                ours_url, connections, args.sweep_duration, server_pid=ours.pid, database=database
            )
            b = run_wrk(
                bare_url, connections, args.sweep_duration, server_pid=bare.pid, database=database
            )
            sweep.append({"connections": connections, "ours": o, "bare": b})
        under = [s["connections"] for s in sweep if s["ours"]["p99_ms"] < 100.0]
        results.update(
            summary=summary, sweep=sweep, p99_under_100ms_up_to=max(under) if under else None
        )
        errors = sum(
            r["non_2xx"] + r["socket_errors"] for side in ("ours", "bare") for r in results[side]
        )

        print(f"machine: {results['machine']}")
        print(
            f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.workers} workers each, "
            f"median of {args.repeats}"
        )
        for side, label in (("ours", "auxledger intake"), ("bare", "bare FastAPI+psycopg")):
            s = summary[side]
            print(
                f"  {label:<22} {s['rps']:8.1f} req/s   "
                f"p50 {s['p50_ms']:7.1f} ms   p99 {s['p99_ms']:7.1f} ms"
            )
        print(
            f"  ratio: throughput {summary['ratio']['throughput']:.2f} (target >= 0.50), "
            f"p99 {summary['ratio']['p99']:.2f}x the bare p99"
        )
        if len(cpu_split) == 2:
            o, b = cpu_split["ours"], cpu_split["bare"]
            print(
                f"  CPU ms per request: auxledger workers {o['workers']:.2f} + projections "
                f"{o['server']:.2f} + PostgreSQL {o['postgres']:.2f} = {sum(o.values()):.2f}; "
                f"bare workers {b['workers']:.2f} + PostgreSQL {b['postgres']:.2f} = "
                f"{sum(b.values()):.2f}"
            )
            print(
                f"  CPU per request, auxledger / bare: {summary['ratio']['cpu']:.2f}x "
                f"(median of the repetitions' pairs {summary['ratio']['cpu_pairs']}; "
                "target <= 2.5)"
            )
        print("sweep (connections: ours rps/p99 | bare rps/p99):")
        for s in sweep:
            o, b = s["ours"], s["bare"]
            print(
                f"  {s['connections']:>3}: {o['rps']:7.1f} req/s {o['p99_ms']:7.1f} ms | "
                f"{b['rps']:7.1f} req/s {b['p99_ms']:7.1f} ms"
            )
        print(f"ledger p99 < 100 ms up to {results['p99_under_100ms_up_to']} connections")
        print(f"non-2xx or socket errors: {errors}")
        print(json.dumps(results, ensure_ascii=False))
        return 0 if errors == 0 else 1
    finally:
        for server in servers:
            stop(server)
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
