#!/usr/bin/env python3
"""Benchmark: verification and proofs on a large PostgreSQL ledger, against this machine.

In one run, on one fresh database:
  1. this machine's own Ed25519 verification rate over all cores (the baseline: one process
     per core verifying signatures of record-sized messages with `cryptography`);
  2. builds a ledger of --sizes events (e.g. 100000,1000000) through the signed write path
     (aggregates of 10 events, 2,000 events per transaction);
  3. at each size: `auxledger verify --full --json` as a subprocess under /usr/bin/time -v
     (wall time, events/s, ratio to the baseline, peak RSS);
  4. at the largest size: 1,000 more events, then incremental `auxledger verify` (the witness
     was left by the full run) -- wall time of the CLI and of the verification itself;
  5. p50/p99 latency of inclusion and consistency proofs at the largest size.
Every measurement is repeated --repeat times (default 3) and the median reported; the
baseline is measured again right before each full verification.

    .venv/bin/python scripts/bench_verify.py --sizes 100000,1000000
    .venv/bin/python scripts/bench_verify.py --existing postgresql://.../auxbench \
        --key-dir var/bench/keys        # a demo ledger loaded by bench_projections --generate
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchlib import grow  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ledger.application import LedgerApplication  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.log import MerkleLog  # noqa: E402
from ledger.verify import Witness, verify_ledger  # noqa: E402


def _verify_worker(count: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    messages = [os.urandom(800) for _ in range(256)]
    signatures = [key.sign(m) for m in messages]
    started = time.perf_counter()
    for i in range(count):
        public.verify(signatures[i % 256], messages[i % 256])
    queue.put(time.perf_counter() - started)


def ed25519_rate(cores: int, per_core: int) -> float:
    """Signatures verified per second by ``cores`` processes at once."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    workers = [
        multiprocessing.Process(target=_verify_worker, args=(per_core, queue)) for _ in range(cores)
    ]
    for w in workers:
        w.start()
    durations = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    return cores * per_core / max(durations)


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run `auxledger ARGS` under /usr/bin/time -v: wall seconds, peak RSS KiB, stdout."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", str(ROOT / ".venv/bin/auxledger"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if done.returncode not in (0, 1):
        raise SystemExit(f"auxledger {' '.join(args)} failed: {done.stderr[-2000:]}")
    return wall, int(match.group(1)) if match else -1, done.stdout


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def full_runs(size: int, repeat: int, cores: int, env: dict[str, str]) -> dict[str, float]:
    """``verify --full`` ``repeat`` times, each beside a fresh baseline; the medians."""
    ratios, rates, walls, rsses = [], [], [], []
    for round_no in range(1, repeat + 1):
        baseline = ed25519_rate(cores, 20000)
        wall, rss, out = run_cli(["verify", "--full", "--json"], env)
        report = json.loads(out)
        rate = report["events_checked"] / wall
        ratios.append(rate / baseline)
        rates.append(rate)
        walls.append(wall)
        rsses.append(rss / 1024)
        print(
            f"  verify --full at {size:,} (run {round_no}): {wall:.1f} s, {rate:,.0f} events/s, "
            f"ok={report['ok']}, failures={len(report.get('failures', []))}, "
            f"peak RSS {rss / 1024:.0f} MiB; Ed25519 baseline {baseline:,.0f}/s; "
            f"ratio {rate / baseline:.2f}",
            flush=True,
        )
    result = {
        "wall": statistics.median(walls),
        "rate": statistics.median(rates),
        "ratio": statistics.median(ratios),
        "rss_mib": max(rsses),
    }
    print(
        f"verify --full at {size:,}: median {result['wall']:.1f} s, {result['rate']:,.0f} "
        f"events/s, ratio to the Ed25519 baseline {result['ratio']:.2f} (median of {repeat}); "
        f"peak RSS {result['rss_mib']:.0f} MiB",
        flush=True,
    )
    return result


def incremental_runs(
    app: LedgerApplication, settings: Settings, repeat: int, env: dict[str, str]
) -> None:
    """``repeat`` rounds: 1,000 new events, then incremental verify (CLI and in-process)."""
    log = MerkleLog(app.ledger_recorder)
    clis, inners = [], []
    for round_no in range(1, repeat + 1):
        grow(app, log.tree_size() + 1000, per_tx=100)
        wall, _rss, out = run_cli(["verify", "--json"], env)
        report = json.loads(out)
        clis.append(wall)
        grow(app, log.tree_size() + 1000, per_tx=100)
        fresh = LedgerApplication(settings)
        started = time.perf_counter()
        inner = verify_ledger(fresh, witness=Witness(settings.witness_dir))
        inners.append(time.perf_counter() - started)
        fresh.close()
        print(
            f"  incremental (run {round_no}) at {log.tree_size():,}: CLI {wall:.2f} s (mode "
            f"{report['mode']}, ok={report['ok']}, checked {report['events_checked']}); "
            f"in-process {inners[-1]:.2f} s (mode {inner.mode}, ok={inner.ok}, "
            f"checked {inner.events_checked})",
            flush=True,
        )
    print(
        f"incremental verify after 1,000 new events: CLI median {statistics.median(clis):.2f} s "
        f"(process start included); in-process median {statistics.median(inners):.2f} s",
        flush=True,
    )


def proof_latency(app: LedgerApplication, samples: int = 1000) -> None:
    """p50/p99 of inclusion and consistency proofs at the current size."""
    log = MerkleLog(app.ledger_recorder)
    n = log.tree_size()
    rng = random.Random(7)
    inclusion, consistency = [], []
    for _ in range(samples):
        index = rng.randrange(n)
        t = time.perf_counter()
        log.inclusion_proof(index, n)
        inclusion.append((time.perf_counter() - t) * 1000)
        first = rng.randrange(1, n)
        t = time.perf_counter()
        log.consistency_proof(first, n)
        consistency.append((time.perf_counter() - t) * 1000)
    print(
        f"proofs at {n:,} leaves ({samples} each): inclusion p50 "
        f"{statistics.median(inclusion):.2f} ms p99 {percentile(inclusion, 99):.2f} ms; "
        f"consistency p50 {statistics.median(consistency):.2f} ms "
        f"p99 {percentile(consistency, 99):.2f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--existing",
        metavar="URL",
        help="measure an existing ledger (e.g. one loaded by bench_projections --generate) "
        "instead of building one; needs --key-dir",
    )
    parser.add_argument("--key-dir", help="the existing ledger's key folder")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cores = os.cpu_count() or 1
    folder = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    if args.existing:
        if not args.key_dir:
            parser.error("--existing needs --key-dir")
        database, url, key_dir = None, args.existing, Path(args.key_dir)
    else:
        database = f"bench_verify_{secrets.token_hex(3)}"
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        url = args.url.rsplit("/", 1)[0] + "/" + database
        key_dir = folder / "keys"
    env = {
        **os.environ,
        "AUXLEDGER_DATABASE_URL": url,
        "AUXLEDGER_KEY_DIR": str(key_dir),
        "AUXLEDGER_WITNESS_DIR": str(folder / "witness"),
    }
    settings = Settings.from_environ(env)
    try:
        app = LedgerApplication(settings, create_tables=not args.existing)
        if not args.existing:
            app.initialise("bench")
        baseline_one = ed25519_rate(1, 20000)
        baseline_all = ed25519_rate(cores, 20000)
        print(
            f"machine: {cores} cores; Ed25519 verify (cryptography): "
            f"{baseline_one:,.0f}/s on one core, {baseline_all:,.0f}/s on {cores} cores",
            flush=True,
        )
        if args.existing:
            size = MerkleLog(app.ledger_recorder).tree_size()
            print(f"existing ledger: {size:,} events", flush=True)
            full_runs(size, args.repeat, cores, env)
        else:
            for size in sizes:
                started = time.perf_counter()
                grow(app, size)
                print(f"built {size:,} events in {time.perf_counter() - started:.0f} s")
                full_runs(size, args.repeat, cores, env)
        incremental_runs(app, settings, args.repeat, env)
        proof_latency(app)
        app.close()
    finally:
        if database is not None and not args.keep:
            with psycopg.connect(args.url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        elif database is not None:
            print(f"kept database {database}; settings: {url} {key_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
