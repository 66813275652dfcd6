#!/usr/bin/env python3
"""Benchmark: a ten-million-event PostgreSQL ledger beside an empty and a one-million one.

Issue 17, item 7. Two steps, run from the repository root:

  1. Grow an existing ledger (e.g. the 100,000-auxiliary demo ledger) to N events:

    .venv/bin/python scripts/bench_scale.py \\
        --grow postgresql://postgres@127.0.0.1:5432/auxbench100k \\
        --key-dir /var/tmp/bench100k/keys --to 10000000 [--processes 2]

     The filler is ``benchlib.grow``'s: counters of 10 events, 2,000 events per transaction,
     saved by ``LedgerApplication.save`` -- signed, chained, appended to the Merkle log and
     checkpointed exactly like every record. P processes (default: one per core) save at once
     so that every core signs. That is safe by the ledger's contract: the PostgreSQL recorder
     never fails a save because another process moved the log head -- an optimistic write on a
     stale head stores nothing and the batch goes to the database's sequencer, which appends
     it under the head-row lock (``ledger/persistence/postgres.py``, docs/architecture.md
     *Concurrency*; ``tests/integration/test_sequencer.py`` runs writers of several
     applications at once). Each counter is a new aggregate, so no two saves touch the same
     one and no ``ConcurrencyConflictError`` can arise. The workers stop short of N by what
     they could overshoot together; this process then adds the rest alone, so the ledger ends
     at N events (up to the 9 of a last counter). Then ``VACUUM ANALYZE``, as after any bulk
     load.

  2. Measure, in one run, three ledgers side by side:

    .venv/bin/python scripts/bench_scale.py --measure \\
        --existing postgresql://postgres@127.0.0.1:5432/auxbench100k \\
        --key-dir /var/tmp/bench100k/keys [--small-size 1000000] [--skip-full] [--out FILE]

     "empty": a fresh database, initialised; "small": a fresh database grown to --small-size
     as in step 1; "big": the existing ledger. Both fresh databases are dropped at the end
     (unless --keep). On each (the figures of the issue):

     * append rate: ``bench_append.workload`` (get a counter, one event, save; --aggregates
       counters, --rounds rounds, each of --threads), --repeat times, the ledgers in turn
       (the order reversed every other repetition so that drift favours none); median
       saves/s and its ratio to the empty ledger's (target: big within 10 %);
     * ``auxledger verify --full`` (``bench_verify.full_runs``: a subprocess under
       /usr/bin/time -v, --repeat times, each right after measuring the machine's Ed25519
       rate on every core): wall, events/s, ratio to that baseline (>= 0.8), peak RSS (flat);
     * incremental verify after 1,000 new events (the witness left by the full run): the
       ``auxledger verify`` CLI wall (process start included) and ``verify_ledger`` in process
       (< 1 s); each must be incremental and clean, or the run stops;
     * inclusion and consistency proof p50/p99 over --samples random proofs (< 5 ms);
     * database size: ``pg_database_size`` and every table's ``pg_total_relation_size``,
       each per event (read-model tables, ``rm_*``, grow with auxiliaries, not events).

     On the big ledger only (the one with auxiliaries): every report's p50/p95
     (``bench_projections.report_latencies``: --runs runs each) after catching the read models
     up to the head (target: p95 < 50 ms at 100,000 auxiliaries).

     With --skip-full (a quick run) there is no full verification: the latest checkpoint is
     taken as the witness without one (trust on first use), so that the incremental runs
     still have a witness to start from.

The measuring run appends to the existing ledger too (the append rounds and the 1,000-event
rounds: some thousands of events). It prints a table and writes JSON (--out).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.connection
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_append import Counter, workload  # noqa: E402
from bench_projections import machine, report_latencies  # noqa: E402
from bench_verify import full_runs, percentile, run_cli  # noqa: E402
from benchlib import caught_up, grow  # noqa: E402

from ledger.application import LedgerApplication  # noqa: E402
from ledger.config import Settings  # noqa: E402
from ledger.log import MerkleLog  # noqa: E402
from ledger.persistence.schema import CHECKPOINTS, LEAVES, NODES  # noqa: E402
from ledger.records import AuxLedger  # noqa: E402
from ledger.verify import Witness, verify_ledger  # noqa: E402

PER_TX = 2000
"""Filler events per transaction (``benchlib.grow``'s default)."""
NEW_EVENTS = 1000
"""Events added before each incremental verification."""
CORES = os.cpu_count() or 1
"""``verify --full`` checks signatures on every core: its baseline is Ed25519 on as many."""


# --------------------------------------------------------------------------- ledgers


@dataclass
class Ledger:
    """One ledger of the run: where it is, its keys, and a witness folder of this run's own."""

    name: str
    url: str
    key_dir: Path
    witness_dir: Path
    database: str | None = None
    """The database this run created (and drops), or None for the existing ledger."""
    app: LedgerApplication | None = field(default=None, repr=False)

    @property
    def env(self) -> dict[str, str]:
        """The process environment with this ledger's ``AUXLEDGER_*`` settings."""
        return {
            **os.environ,
            "AUXLEDGER_DATABASE_URL": self.url,
            "AUXLEDGER_KEY_DIR": str(self.key_dir),
            "AUXLEDGER_WITNESS_DIR": str(self.witness_dir),
        }

    @property
    def settings(self) -> Settings:
        return Settings.from_environ(self.env)

    def open(self) -> LedgerApplication:
        if self.app is None:
            self.app = LedgerApplication(self.settings)
        return self.app

    def size(self) -> int:
        return MerkleLog(self.open().ledger_recorder).tree_size()

    def close(self) -> None:
        if self.app is not None:
            self.app.close()
            self.app = None


def database_url(url: str, database: str) -> str:
    """The URL of ``database`` on the server of ``url`` (public schema)."""
    return url.split("?", 1)[0].rsplit("/", 1)[0] + "/" + database


def server_url(url: str) -> str:
    """The maintenance database on the server of ``url`` (to create and drop databases)."""
    return database_url(url, "postgres")


def fresh_ledger(name: str, existing_url: str, folder: Path) -> Ledger:
    """A new database on the same server as ``existing_url``, initialised with a new key."""
    database = f"bench_scale_{name}_{secrets.token_hex(3)}"
    with psycopg.connect(server_url(existing_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = database_url(existing_url, database)
    ledger = Ledger(name, url, folder / name / "keys", folder / name / "witness", database)
    app = LedgerApplication(ledger.settings, create_tables=True)
    app.initialise("bench")
    ledger.app = app
    return ledger


def drop(ledger: Ledger) -> None:
    ledger.close()
    if ledger.database is not None:
        with psycopg.connect(server_url(ledger.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{ledger.database}" WITH (FORCE)')


def vacuum_analyze(url: str) -> float:
    """``VACUUM ANALYZE`` the whole database, as after a bulk load; seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(url.split("?", 1)[0], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


# --------------------------------------------------------------------------- growing


def _grow_worker(url: str, key_dir: str, witness_dir: str, stop_at: int) -> None:
    """One process's share: filler through the signed write path until the log has
    ``stop_at`` leaves (the other processes' events count too)."""
    ledger = Ledger("worker", url, Path(key_dir), Path(witness_dir))
    try:
        grow(ledger.open(), stop_at, per_tx=PER_TX)
    finally:
        ledger.close()


def grow_in_parallel(ledger: Ledger, target: int, processes: int, every: float = 30.0) -> None:
    """Grow ``ledger`` to ``target`` events in ``processes`` processes; progress lines."""
    log = MerkleLog(ledger.open().ledger_recorder)
    start = log.tree_size()
    if start >= target:
        print(f"{ledger.name}: already {start:,} events (target {target:,})", flush=True)
        return
    # Each worker saves up to PER_TX events on top of the size it read; all of them may have
    # read the same size, so they stop this far short of the target and none overshoots it.
    workers_stop_at = target - (processes - 1) * PER_TX
    context = multiprocessing.get_context("spawn")  # no open connections copied into workers
    args = (ledger.url, str(ledger.key_dir), str(ledger.witness_dir), workers_stop_at)
    workers = [context.Process(target=_grow_worker, args=args) for _ in range(processes)]
    started = time.perf_counter()
    print(
        f"{ledger.name}: growing from {start:,} to {target:,} events in {processes} processes",
        flush=True,
    )
    for worker in workers:
        worker.start()
    last_size, last_time = start, started
    while alive := [w.sentinel for w in workers if w.is_alive()]:
        multiprocessing.connection.wait(alive, timeout=every)
        size, now = log.tree_size(), time.perf_counter()
        if now - last_time >= every or not any(w.is_alive() for w in workers):
            print(
                f"  {size:,} events; {(size - last_size) / (now - last_time):,.0f} events/s "
                f"now, {(size - start) / (now - started):,.0f} events/s overall",
                flush=True,
            )
            last_size, last_time = size, now
    failed = [w.exitcode for w in workers if w.exitcode != 0]
    if failed:
        raise SystemExit(f"{len(failed)} grow worker(s) failed (exit codes {failed})")
    grow(ledger.open(), target, per_tx=PER_TX)  # the rest, alone: exactly to the target
    seconds = time.perf_counter() - started
    size = log.tree_size()
    print(
        f"{ledger.name}: {size:,} events; grew {size - start:,} in {seconds:,.0f} s "
        f"({(size - start) / seconds:,.0f} events/s, "
        f"{seconds / (size - start) * 1e6 / 60:,.1f} min per million); "
        f"VACUUM ANALYZE {vacuum_analyze(ledger.url):,.0f} s",
        flush=True,
    )


# --------------------------------------------------------------------------- measurements


def append_rates(
    ledgers: list[Ledger], aggregates: int, rounds: int, threads: int, repeat: int
) -> dict[str, dict[str, Any]]:
    """Median saves/s of ``bench_append.workload`` on each ledger, in turns; ratio to the first."""
    ids: dict[str, list[UUID]] = {}
    for ledger in ledgers:
        counters = [Counter.start(f"counter {i}") for i in range(aggregates)]
        ledger.open().save(*counters)
        ids[ledger.name] = [c.id for c in counters]
        workload(ledger.open(), ids[ledger.name], 1, 1)  # warm up: caches, prepared statements
    runs: dict[str, list[float]] = {ledger.name: [] for ledger in ledgers}
    for repetition in range(repeat):
        for ledger in ledgers if repetition % 2 == 0 else reversed(ledgers):
            runs[ledger.name].append(workload(ledger.open(), ids[ledger.name], rounds, threads))
    reference = statistics.median(runs[ledgers[0].name])
    figures = {}
    for ledger in ledgers:
        rate = statistics.median(runs[ledger.name])
        figures[ledger.name] = {
            "saves_per_s": rate,
            "runs": runs[ledger.name],
            "ratio_to_empty": rate / reference,
        }
        print(
            f"  append, {threads} thread(s), {ledger.name}: {rate:,.1f} saves/s "
            f"(runs {[round(r) for r in runs[ledger.name]]}), "
            f"ratio to {ledgers[0].name} {rate / reference:.2f}",
            flush=True,
        )
    return figures


def trust_latest_checkpoint(ledger: Ledger) -> None:
    """--skip-full: the latest checkpoint becomes the witness without a full verification."""
    app = ledger.open()
    latest = MerkleLog(app.ledger_recorder).latest_checkpoint()
    active = app.keyring().active_key
    assert latest is not None and active is not None
    Witness(ledger.witness_dir).store(latest.note, [active.public.verifier])


def checked_incremental(ledger: Ledger, mode: str, ok: bool, events_checked: int) -> int:
    """Stop the run unless a verification was incremental and clean: a figure of a full or
    failed verification is not one of an incremental verification."""
    if mode != "incremental" or not ok:
        raise SystemExit(f"{ledger.name}: verify ran in mode {mode}, ok={ok}")
    return events_checked


def incremental_verify(ledger: Ledger, repeat: int) -> dict[str, Any]:
    """``repeat`` rounds of: 1,000 new events, the ``auxledger verify`` CLI; 1,000 more,
    ``verify_ledger`` in process. Medians of the seconds taken."""
    app = ledger.open()
    log = MerkleLog(app.ledger_recorder)
    cli, in_process, checked = [], [], []
    for _ in range(repeat):
        grow(app, log.tree_size() + NEW_EVENTS, per_tx=100)
        wall, _rss, out = run_cli(["verify", "--json"], ledger.env)
        report = json.loads(out)
        cli.append(wall)
        checked.append(
            checked_incremental(ledger, report["mode"], report["ok"], report["events_checked"])
        )
        grow(app, log.tree_size() + NEW_EVENTS, per_tx=100)
        fresh = LedgerApplication(ledger.settings)
        started = time.perf_counter()
        inner = verify_ledger(fresh, witness=Witness(ledger.witness_dir))
        in_process.append(time.perf_counter() - started)
        fresh.close()
        checked.append(checked_incremental(ledger, inner.mode, inner.ok, inner.events_checked))
    figures = {
        "cli_s": statistics.median(cli),
        "in_process_s": statistics.median(in_process),
        "events_checked": checked,
    }
    print(
        f"  incremental verify after {NEW_EVENTS:,} new events, {ledger.name}: CLI "
        f"{figures['cli_s']:.2f} s (runs {[round(s, 2) for s in cli]}), in process "
        f"{figures['in_process_s']:.2f} s (runs {[round(s, 2) for s in in_process]})",
        flush=True,
    )
    return figures


def latencies_ms(call: Callable[[int], object], arguments: Iterable[int]) -> list[float]:
    """Milliseconds of ``call(argument)`` for each argument."""
    times = []
    for argument in arguments:
        started = time.perf_counter()
        call(argument)
        times.append((time.perf_counter() - started) * 1000)
    return times


def proof_latencies(ledger: Ledger, samples: int) -> dict[str, float]:
    """p50/p99 of inclusion proofs of random leaves and consistency proofs from random sizes,
    both to the current size (as ``bench_verify.proof_latency``)."""
    log = MerkleLog(ledger.open().ledger_recorder)
    n = log.tree_size()
    rng = random.Random(7)
    inclusion = latencies_ms(
        lambda index: log.inclusion_proof(index, n), [rng.randrange(n) for _ in range(samples)]
    )
    consistency = latencies_ms(
        lambda first: log.consistency_proof(first, n),
        [rng.randrange(1, n) for _ in range(samples)],
    )
    figures = {
        "tree_size": n,
        "inclusion_p50_ms": statistics.median(inclusion),
        "inclusion_p99_ms": percentile(inclusion, 99),
        "consistency_p50_ms": statistics.median(consistency),
        "consistency_p99_ms": percentile(consistency, 99),
    }
    print(
        f"  proofs at {n:,} leaves, {ledger.name} ({samples} each): inclusion p50 "
        f"{figures['inclusion_p50_ms']:.2f} p99 {figures['inclusion_p99_ms']:.2f} ms; "
        f"consistency p50 {figures['consistency_p50_ms']:.2f} "
        f"p99 {figures['consistency_p99_ms']:.2f} ms",
        flush=True,
    )
    return figures


def report_figures(ledger: Ledger, runs: int) -> dict[str, Any]:
    """Every report's p50/p95 (``bench_projections``) on read models caught up to the head."""
    app = AuxLedger(ledger.settings)
    started = time.perf_counter()
    caught_up(app).close()
    catch_up_s = time.perf_counter() - started
    app.close()
    reports = report_latencies(ledger.settings, runs)
    worst = max(reports, key=lambda name: reports[name]["p95_ms"])
    print(
        f"  reports, {ledger.name} (read models caught up in {catch_up_s:.0f} s): worst p95 "
        f"{reports[worst]['p95_ms']} ms ({worst}, {reports[worst]['rows']} rows)",
        flush=True,
    )
    return {
        "catch_up_s": catch_up_s,
        "worst": worst,
        "worst_p95_ms": reports[worst]["p95_ms"],
        "reports": reports,
    }


def database_size(ledger: Ledger) -> dict[str, Any]:
    """The database's size and each table's (indexes and TOAST included), also per event."""
    events = ledger.size()
    with psycopg.connect(ledger.url.split("?", 1)[0]) as conn:
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        tables = conn.execute(
            "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables ORDER BY 2 DESC"
        ).fetchall()
        has_read_models = any(name == "rm_auxiliary" for name, _ in tables)
        auxiliaries = (
            conn.execute("SELECT count(*) FROM rm_auxiliary").fetchone()
            if has_read_models
            else (0,)
        )
    assert total is not None and auxiliaries is not None
    read_models = sum(size for name, size in tables if name.startswith("rm_"))
    sizes: dict[str, int] = dict(tables)
    events_table = ledger.open().ledger_recorder.events_table_name
    figures = {
        "events": events,
        "auxiliaries": int(auxiliaries[0]),
        "database_bytes": int(total[0]),
        "database_mib": total[0] / 2**20,
        "database_bytes_per_event": total[0] / events,
        "ledger_tables_bytes_per_event": (sum(s for _, s in tables) - read_models) / events,
        "read_models_bytes": read_models,
        "bytes_per_event": {
            role: sizes.get(table, 0) / events
            for role, table in (
                ("events", events_table),
                ("log_nodes", NODES),
                ("log_leaves", LEAVES),
                ("checkpoints", CHECKPOINTS),
            )
        },
        "tables": {name: {"bytes": size, "per_event": size / events} for name, size in tables},
    }
    print(
        f"  size, {ledger.name}: {figures['database_mib']:,.0f} MiB for {events:,} events = "
        f"{figures['database_bytes_per_event']:,.0f} bytes/event (ledger tables "
        f"{figures['ledger_tables_bytes_per_event']:,.0f}, read models "
        f"{read_models / 2**20:,.0f} MiB)",
        flush=True,
    )
    return figures


# --------------------------------------------------------------------------- the run


def measure(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Every figure on the empty, small and big ledgers; the fresh databases dropped after."""
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    ledgers: list[Ledger] = []
    try:
        ledgers.append(fresh_ledger("empty", args.existing, folder))
        ledgers.append(fresh_ledger("small", args.existing, folder))
        grow_in_parallel(ledgers[1], args.small_size, args.processes)
        big = Ledger("big", args.existing, Path(args.key_dir), folder / "big" / "witness")
        ledgers.append(big)
        figures: dict[str, dict[str, Any]] = {
            ledger.name: {"events_at_start": ledger.size()} for ledger in ledgers
        }
        print(
            "ledgers: "
            + ", ".join(f"{n} {f['events_at_start']:,} events" for n, f in figures.items()),
            flush=True,
        )
        for threads in args.threads:
            rates = append_rates(ledgers, args.aggregates, args.rounds, threads, args.repeat)
            for name, rate in rates.items():
                figures[name].setdefault("append", {})[str(threads)] = rate
        for ledger in ledgers:  # planner statistics of the rows just added, all three alike
            vacuum_analyze(ledger.url)
        for ledger in ledgers:
            mine = figures[ledger.name]
            if args.skip_full:
                trust_latest_checkpoint(ledger)
            else:
                mine["full"] = full_runs(ledger.size(), args.repeat, CORES, ledger.env)
                if Witness(ledger.witness_dir).load() is None:  # stored only by a clean run
                    raise SystemExit(f"{ledger.name}: verify --full did not pass")
            mine["incremental"] = incremental_verify(ledger, args.repeat)
            mine["proofs"] = proof_latencies(ledger, args.samples)
        figures["big"]["reports"] = report_figures(big, args.runs)
        for ledger in ledgers:
            figures[ledger.name]["size"] = database_size(ledger)
        return figures
    finally:
        for ledger in ledgers:
            if args.keep:
                ledger.close()
                print(f"kept {ledger.name}: {ledger.url} keys {ledger.key_dir}")
            else:
                drop(ledger)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


Row = tuple[str, str, tuple[str, ...], str]
"""A line of the table: label, target, where in a ledger's figures, format."""


def table_rows(threads: list[int]) -> list[Row]:
    """The lines of the table, in order."""
    rows: list[Row] = [("events at start", "", ("events_at_start",), "{:,}")]
    for t in threads:
        rows += [
            (f"append, {t} thread(s), saves/s", "", ("append", str(t), "saves_per_s"), "{:,.0f}"),
            ("  ratio to empty", ">= 0.90", ("append", str(t), "ratio_to_empty"), "{:.2f}"),
        ]
    rows += [
        ("incremental verify, CLI s", "", ("incremental", "cli_s"), "{:.2f}"),
        ("incremental verify, in process s", "< 1 s", ("incremental", "in_process_s"), "{:.2f}"),
        ("inclusion proof p50 ms", "", ("proofs", "inclusion_p50_ms"), "{:.2f}"),
        ("inclusion proof p99 ms", "< 5 ms", ("proofs", "inclusion_p99_ms"), "{:.2f}"),
        ("consistency proof p50 ms", "", ("proofs", "consistency_p50_ms"), "{:.2f}"),
        ("consistency proof p99 ms", "< 5 ms", ("proofs", "consistency_p99_ms"), "{:.2f}"),
        ("verify --full s", "", ("full", "wall"), "{:,.1f}"),
        ("verify --full events/s", "", ("full", "rate"), "{:,.0f}"),
        ("  ratio to Ed25519 on all cores", ">= 0.8", ("full", "ratio"), "{:.2f}"),
        ("  peak RSS MiB", "flat", ("full", "rss_mib"), "{:,.0f}"),
        ("auxiliaries (rm_auxiliary rows)", "", ("size", "auxiliaries"), "{:,}"),
        ("worst report p95 ms", "< 50 ms", ("reports", "worst_p95_ms"), "{:.1f}"),
        ("database size MiB", "", ("size", "database_mib"), "{:,.0f}"),
        ("database bytes/event", "", ("size", "database_bytes_per_event"), "{:,.0f}"),
        ("  ledger tables bytes/event", "", ("size", "ledger_tables_bytes_per_event"), "{:,.0f}"),
    ]
    rows += [
        (f"    {role.replace('_', ' ')}", "", ("size", "bytes_per_event", role), "{:,.0f}")
        for role in ("events", "log_nodes", "log_leaves", "checkpoints")
    ]
    return rows


def cell(figures: dict[str, Any], path: tuple[str, ...], form: str) -> str:
    """The figure at ``path``, formatted; "-" where it was not measured."""
    value: Any = figures
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return "-"
        value = value[key]
    return form.format(value)


def print_table(figures: dict[str, dict[str, Any]], threads: list[int]) -> None:
    names = list(figures)
    print(f"\n{'figure':36}" + "".join(f"{name:>14}" for name in names) + f"{'target':>10}")
    for label, target, path, form in table_rows(threads):
        cells = "".join(f"{cell(figures[name], path, form):>14}" for name in names)
        print(f"{label:36}{cells}{target:>10}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--grow", metavar="URL", help="grow this ledger to --to events")
    mode.add_argument("--measure", action="store_true", help="measure beside --existing")
    parser.add_argument("--existing", metavar="URL", help="--measure: the big ledger")
    parser.add_argument("--key-dir", required=True, help="the --grow/--existing ledger's keys")
    parser.add_argument("--to", type=int, help="--grow: events to grow to")
    parser.add_argument("--processes", type=int, default=CORES, help="growing: processes")
    parser.add_argument("--small-size", type=int, default=1_000_000, help="the small ledger")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--threads", default="1,4", help="append: threads, comma-separated")
    parser.add_argument("--aggregates", type=int, default=200, help="append: counters")
    parser.add_argument("--rounds", type=int, default=5, help="append: saves per counter")
    parser.add_argument("--samples", type=int, default=1000, help="proofs of each kind")
    parser.add_argument("--runs", type=int, default=50, help="runs of each report")
    parser.add_argument("--skip-full", action="store_true", help="no verify --full (quick)")
    parser.add_argument("--keep", action="store_true", help="keep the fresh databases")
    parser.add_argument("--out", default="var/bench_scale.json")
    args = parser.parse_args()
    args.threads = [int(t) for t in args.threads.split(",")]
    if args.grow:
        if args.to is None:
            parser.error("--grow needs --to")
        with tempfile.TemporaryDirectory() as folder:  # saving reads no witness; none touched
            ledger = Ledger("ledger", args.grow, Path(args.key_dir), Path(folder))
            try:
                grow_in_parallel(ledger, args.to, args.processes)
            finally:
                ledger.close()
        return 0
    if not args.existing:
        parser.error("--measure needs --existing")
    started = time.perf_counter()
    figures = measure(args)
    print_table(figures, args.threads)
    print(f"\n{machine()}; {time.perf_counter() - started:,.0f} s in all")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"machine": machine(), "args": vars(args), "ledgers": figures}, indent=2)
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
