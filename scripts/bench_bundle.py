#!/usr/bin/env python3
"""Benchmark: evidence bundle export and verification on a large ledger (issue 15 targets).

In one run, on one fresh database (PostgreSQL by default, or SQLite with --sqlite):
  1. builds a ledger of --size events through the signed write path (aggregates of 10 events,
     2,000 events per transaction), with one auxiliary whose --events events (health checks
     and commendations, each its own transaction, personal fields sealed) are spread evenly
     over the whole log;
  2. exports that auxiliary's bundle as an inspector (`api.bundles.export_bundle`: records,
     proofs, keys, opened fields, the case file PDF, the zip, the access event) --repeat
     times: wall time per export, and the share of the case file;
  3. verifies the bundle --repeat times with the standalone verifier, in this process
     (`verify_members` on the zip's members) and as `python3 verify_bundle.py` in a fresh
     interpreter (what a recipient runs: includes starting Python and reading the zip).
Targets: export under 2 s, verification under 1 s (at 500 events on a 1M-event ledger).

    .venv/bin/python scripts/bench_bundle.py --size 1000000 --events 500
    .venv/bin/python scripts/bench_bundle.py --size 100000 --sqlite
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path
from uuid import uuid4

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import HIRED_ON, grow, standard_hire  # noqa: E402

from api import bundles  # noqa: E402
from api.demo.builders import set_up_organ  # noqa: E402
from domain.commands.auxiliary import Commend, RecordHealthCheck  # noqa: E402
from domain.commands.organ import RegisterOrgan  # noqa: E402
from domain.values import Actor  # noqa: E402
from ledger import bundle_verifier  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.log import MerkleLog  # noqa: E402
from ledger.records import AuxLedger, Envelope  # noqa: E402

ORGAN = "320699"
ROOT_ACTOR = Actor(actor_id="bench-root", role="admin", organ=ORGAN, unit=None)
PERSONNEL = Actor(actor_id="bench-hr", role="personnel", organ=ORGAN, unit=None)
ESTABLISHMENT = Actor(actor_id="bench-est", role="establishment", organ=ORGAN, unit=None)
INSPECTOR = Actor(actor_id="bench-inspector", role="inspector", organ=ORGAN, unit=None)


def build(app: AuxLedger, size: int, events: int) -> object:
    """The organ, one auxiliary, and ``size`` events with the auxiliary's spread through them."""
    set_up_organ(
        app,
        RegisterOrgan(code=ORGAN, name="基准公安局", region="基准市"),
        [(f"{ORGAN}-U1", "基准派出所")],
        10,
        admin=ROOT_ACTOR,
        establishment=ESTABLISHMENT,
    )
    auxiliary_id = uuid4()
    app.hire(
        ORGAN,
        standard_hire(
            f"{ORGAN}-U1",
            "基准辅警",
            auxiliary_id=auxiliary_id,
            supervisor_id="P001",
            supervisor_name="李警官",
            phone="19912345678",
            address="基准市人民路1号",
        ),
        Envelope(PERSONNEL, effective=HIRED_ON),
    )
    log = MerkleLog(app.ledger_recorder)
    started = time.perf_counter()
    step = max(1, size // events)
    for n in range(1, events):
        grow(app, min(size, n * step))
        if n % 2:
            app.command_auxiliary(
                auxiliary_id,
                RecordHealthCheck(
                    checked_on=date(2026, 1, 5), fit=True, details=f"第{n}次体检：血压正常"
                ),
                Envelope(PERSONNEL),
            )
        else:
            app.command_auxiliary(
                auxiliary_id,
                Commend(kind="citation", issuing_body="基准公安局"),
                Envelope(PERSONNEL),
            )
        if n % 50 == 0:
            print(
                f"  {log.tree_size():,} events, {n + 1} of the auxiliary's "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    grow(app, size)
    print(f"built {log.tree_size():,} events in {time.perf_counter() - started:.0f} s", flush=True)
    return auxiliary_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument(
        "--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="auxbench-bundle-"))
    database = None
    if args.sqlite:
        url = f"sqlite:///{work / 'ledger.sqlite'}"
    else:
        database = f"auxbench_bundle_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = args.postgres.rsplit("/", 1)[0] + "/" + database
    settings = Settings.from_environ(
        {
            "AUXLEDGER_DATABASE_URL": url,
            "AUXLEDGER_KEY_DIR": str(work / "keys"),
            "AUXLEDGER_WITNESS_DIR": str(work / "witness"),
        }
    )
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {'SQLite' if args.sqlite else 'PostgreSQL'}",
        flush=True,
    )
    app = AuxLedger(settings, create_tables=True)
    try:
        app.initialise("bench")
        auxiliary_id = build(app, args.size, args.events)
        exports, pdfs = [], []
        data = b""
        for round_no in range(1, args.repeat + 1):
            app._clear_aggregate_cache()
            started = time.perf_counter()
            exported = bundles.export_bundle(
                app,
                INSPECTOR,
                kind="auxiliary",
                subject_id=auxiliary_id,  # type: ignore[arg-type]
                reason="基准测试",
                purpose="bench_bundle.py",
            )
            exports.append(time.perf_counter() - started)
            started = time.perf_counter()
            bundles.case_file_pdf(exported.content)
            pdfs.append(time.perf_counter() - started)
            data = exported.data
            print(
                f"  export {round_no}: {exports[-1]:.2f} s ({len(exported.content.records)} "
                f"records, {len(data) / 1024:.0f} KiB; the case file alone {pdfs[-1]:.2f} s)",
                flush=True,
            )
        bundle = work / "bundle.zip"
        bundle.write_bytes(data)
        script = work / "verify_bundle.py"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            script.write_bytes(archive.read("verify_bundle.py"))
        inside, outside = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = bundle_verifier.verify_members(bundle_verifier.read_zip(str(bundle)))
            inside.append(time.perf_counter() - started)
            assert report.ok, report.failures
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(script), str(bundle)], capture_output=True, check=False
            )
            outside.append(time.perf_counter() - started)
            assert done.returncode == 0, done.stdout
        export = statistics.median(exports)
        print(
            f"ledger {MerkleLog(app.ledger_recorder).tree_size():,} events; auxiliary "
            f"{args.events} events\n"
            f"export (median of {args.repeat}): {export:.2f} s (target < 2 s: "
            f"{'met' if export < 2 else 'NOT met'}); case file {statistics.median(pdfs):.2f} s\n"
            f"verify in process: {statistics.median(inside):.3f} s; verify_bundle.py in a new "
            f"interpreter: {statistics.median(outside):.3f} s (target < 1 s: "
            f"{'met' if statistics.median(outside) < 1 else 'NOT met'})",
            flush=True,
        )
    finally:
        app.close()
        if database is not None:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
