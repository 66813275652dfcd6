#!/usr/bin/env python3
"""Benchmark the read models on PostgreSQL: rebuild rate against the library's ProjectionRunner,
report latency, and the as-of view of an auxiliary with 500 events.

Usage (from the repository root):

    .venv/bin/python scripts/bench_projections.py \\
        --url postgresql://postgres@127.0.0.1:5432/auxbench --key-dir var/bench/keys \\
        --generate 57000            # once: about 1,000,000 events through AuxLedger commands
    .venv/bin/python scripts/bench_projections.py \\
        --url postgresql://postgres@127.0.0.1:5432/auxbench --key-dir var/bench/keys

What it measures, all in one run on one database (docs/benchmarks: ratios, medians of 3):

1. Rebuild: ``ReadModels.rebuild`` (batches, one transaction per batch) over the whole ledger,
   repeated ``--repeat`` times, each with a fresh application (an empty signature cache).
2. Baseline: ``eventsourcing.projection.ProjectionRunner`` running the *same* projection
   classes (their ``process_event``: the same handlers and row writes, one transaction per
   event) over the first ``--sample`` events, and our rebuild over the same sample.
   The ratio compares events per second.
3. Reports: every report in ``projections.REPORTS`` (first page, default page size),
   ``--runs`` times each; p50 and p95 in milliseconds.
4. As of: an auxiliary with 500 events (created through the commands in a bench organ the
   first time), ``PersonnelQueries.as_of`` cold (fresh application: every signature checked)
   and warm (signatures already checked in this process), p50 and p95.

The data set is the demo's (``api.demo``: commands through ``AuxLedger.batch``, every fact
checked by the domain, signed, chained and logged; no raw inserts), recorded officer by
officer (``OfficerMajorSimulation``) so that 100,000 officers load in well under an hour.
``--generate N`` loads N officers into an empty ledger (about 17-18 events each).
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import ProjectionRunner
from psycopg.sql import SQL, Identifier

from api.demo import BATCH_COMMANDS, DEMO_END, DEMO_START, Simulation, Step
from api.demo.builders import hire_command, set_up_organ
from domain.commands.auxiliary import ChangePost, Commend, RecordHealthCheck
from domain.commands.organ import RegisterOrgan
from domain.identity import resident_id_check_char
from domain.organ import Organ
from domain.values import CHINA_STANDARD_TIME, Actor
from ledger.config import Settings
from ledger.records import AuxLedger, Envelope
from projections import REPORTS, PersonnelQueries, ReadModels, run_report
from projections.identity import IdentityProjection
from projections.views import PostgresReadModelView

NOW = datetime.combine(DEMO_END + timedelta(days=1), clock_time(12), CHINA_STANDARD_TIME)
BENCH_ORGAN = "bench01"
AS_OF_EVENTS = 500


def clock() -> datetime:
    """The benchmark's 'now': the day after the demo period ends."""
    return NOW


def settings_for(args: argparse.Namespace) -> Settings:
    """Settings for the benchmark database."""
    key_dir = Path(args.key_dir)
    return Settings.from_environ(
        {
            "AUXLEDGER_DATABASE_URL": args.url,
            "AUXLEDGER_KEY_DIR": str(key_dir),
            "AUXLEDGER_WITNESS_DIR": str(key_dir.parent / "witness"),
        }
    )


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken and the result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


# --------------------------------------------------------------------------- data


def generate(settings: Settings, officers: int, seed: int) -> None:
    """Load the demo data set into an empty ledger."""
    app = AuxLedger(settings, create_tables=True)
    app.initialise("bench")
    if (app.recorder.max_notification_id() or 0) > 1:
        sys.exit("the ledger is not empty: --generate loads only into a new database")
    started = time.perf_counter()
    last = [started]

    def progress(done: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 30:
            last[0] = now
            print(f"  {done} commands, {now - started:.0f} s", file=sys.stderr, flush=True)

    counts = OfficerMajorSimulation(app, officers, seed).run(progress)
    counts.events = app.recorder.max_notification_id() or 0
    print(f"generated {counts.to_json()} in {time.perf_counter() - started:.0f} s")
    app.close()


class OfficerMajorSimulation(Simulation):
    """The demo's simulation, run officer by officer instead of day by day.

    Same plan, same commands, same checks: only the order in which officers' lives are
    recorded changes (organ-level facts first, then each officer's steps in date order), so
    an officer's record stays in the batch's session instead of being reloaded -- and
    re-verified -- for every command. Facts about one record are still recorded in date order.
    """

    def __init__(self, ledger: AuxLedger, officers: int, seed: int) -> None:
        super().__init__(ledger, officers, seed)
        self.tag: int | None = None
        self.queues: dict[int | None, list[Step]] = defaultdict(list)

    def at(self, day: date, step: Callable[[], Any]) -> None:
        """Queue a step for the officer being planned or run (None: organ-level)."""
        if day > DEMO_END:
            return
        self.seq += 1
        heapq.heappush(self.queues[self.tag], Step(max(day, DEMO_START), self.seq, step))

    def plan_officer(self, index: int, organ: str) -> None:
        """Plan one officer's life into that officer's own queue."""
        self.tag = index
        try:
            super().plan_officer(index, organ)
        finally:
            self.tag = None

    def run(self, progress: Callable[[int], None] | None = None) -> Any:
        """Organ-level steps first, then every officer's, ``BATCH_COMMANDS`` per transaction."""
        self.plan()
        ledger = self.ledger
        real_clock = ledger.clock
        done = 0
        batch = ledger.batch()
        batch.__enter__()
        try:
            for tag in [None, *sorted(t for t in self.queues if t is not None)]:
                self.tag = tag
                queue = self.queues[tag]
                while queue:
                    self.play(heapq.heappop(queue))
                    done += 1
                    if done % BATCH_COMMANDS == 0:
                        batch.__exit__(None, None, None)
                        if progress:
                            progress(done)
                        batch = ledger.batch()
                        batch.__enter__()
                self.queues.pop(tag, None)
            batch.__exit__(None, None, None)
        except BaseException as e:
            batch.__exit__(type(e), e, e.__traceback__)
            raise
        finally:
            ledger.clock = real_clock
        self.counts.commands = done
        return self.counts


def ensure_long_history(settings: Settings) -> Any:
    """An auxiliary with ``AS_OF_EVENTS`` events, recorded through the commands (once)."""
    app = AuxLedger(settings)
    try:
        auxiliary_id = uuid5(NAMESPACE_URL, "auxledger-bench/long-history")
        if app.exists(auxiliary_id):
            return auxiliary_id
        admin = Actor("bench-admin", "admin", BENCH_ORGAN, None)
        establishment = Actor("bench-establishment", "establishment", BENCH_ORGAN, None)
        personnel = Actor("bench-personnel", "personnel", BENCH_ORGAN, None)
        day = date(2023, 3, 1)

        def at(d: date) -> None:
            instant = datetime.combine(d, clock_time(10), CHINA_STANDARD_TIME)
            app.clock = lambda: instant.astimezone(UTC)

        at(day)
        if not app.exists(Organ.id_for(BENCH_ORGAN)):
            set_up_organ(
                app,
                RegisterOrgan(code=BENCH_ORGAN, name="基准测试局", region="南通市"),
                [("bench01-001", "一队")],
                10,
                admin=admin,
                establishment=establishment,
            )
        app.hire(
            BENCH_ORGAN,
            hire_command(
                auxiliary_id=auxiliary_id,
                unit="bench01-001",
                supervisor_id="B0001",
                supervisor_name="基准",
                contract_start=day,
                contract_end=date(2030, 2, 28),
                name="长历史",
                resident_id=_resident_id("32069919900101001"),
                phone="19900000001",
                address="南通市人民路1号",
            ),
            Envelope(personnel),
        )
        posts = ("traffic", "community", "patrol")
        with app.batch():
            for n in range(AS_OF_EVENTS - 1):
                d = day + timedelta(days=2 * (n + 1))
                at(d)
                if n % 3 == 0:
                    app.command_auxiliary(
                        auxiliary_id,
                        ChangePost(post_type=posts[n % 9 // 3]),
                        Envelope(personnel, effective=d),
                    )
                elif n % 3 == 1:
                    app.command_auxiliary(
                        auxiliary_id,
                        Commend(kind="citation", issuing_body="基准政治处"),
                        Envelope(personnel, effective=d),
                    )
                else:
                    app.command_auxiliary(
                        auxiliary_id,
                        RecordHealthCheck(checked_on=d, fit=True, details="正常"),
                        Envelope(personnel, effective=d),
                    )
        return auxiliary_id
    finally:
        app.close()


def _resident_id(first17: str) -> str:
    """A synthetic resident ID number (area code 320699 is unassigned)."""
    return first17 + resident_id_check_char(first17)


# --------------------------------------------------------------------------- measurements


def rebuild_rate(settings: Settings, batch_size: int, until: int | None) -> tuple[float, int]:
    """Seconds and events of one rebuild with a fresh application."""
    app = AuxLedger(settings)
    models = ReadModels(app)
    try:
        seconds, applied = timed(lambda: models.rebuild(batch_size=batch_size, until=until))
        return seconds, sum(applied.values())
    finally:
        models.close()
        app.close()


def sample_stop(settings: Settings, sample: int) -> int:
    """The position of the ``sample``-th event of the projections' topics."""
    app = AuxLedger(settings)
    models = ReadModels(app)
    try:
        topics = sorted({t for p in models.projections.values() for t in p.topics})
        rows = app.recorder.select_notifications(
            start=sample, limit=1, topics=topics, inclusive_of_start=True
        )
        return rows[0].id if rows else models.head()
    finally:
        models.close()
        app.close()


def baseline_rate(settings: Settings, stop: int) -> tuple[float, int]:
    """Seconds and events of the library's ProjectionRunner, one transaction per event."""
    env = settings.eventsourcing_env()
    env["CREATE_TABLE"] = "y"

    class RunnerApp(AuxLedger):
        name = AuxLedger.name

        def __init__(self, env: Any = None) -> None:
            super().__init__(settings)

    app = AuxLedger(settings)
    models = ReadModels(app)
    total_seconds = 0.0
    total_events = 0
    try:
        for name, projection in models.projections.items():
            projection.view.ensure(tables=False)
            projection.view.reset(projection, models.application_name)
            _drop_runner_tracking(app, f"{name}_tracking")
            relevant = app.recorder.select_notifications(
                start=0, limit=10**9, stop=stop, topics=list(projection.topics)
            )
            if not relevant:
                continue
            target = relevant[-1].id
            projection_class: type[Any] = type(projection)
            if isinstance(projection, IdentityProjection):
                # The library constructs the projection itself: bind the blind-index key here.
                projection_class = type(
                    "BoundIdentityProjection",
                    (IdentityProjection,),
                    {"indexer": app.privacy.blind_index},
                )
            started = time.perf_counter()
            runner: ProjectionRunner[Any, Any] = ProjectionRunner(
                application_class=RunnerApp,
                projection_class=projection_class,
                view_class=PostgresReadModelView,
                env=env,
            )
            with runner:
                runner.wait(target, timeout=3600)
                total_seconds += time.perf_counter() - started
            total_events += len(relevant)
            _drop_runner_tracking(app, f"{name}_tracking")
    finally:
        models.close()
        app.close()
    return total_seconds, total_events


def _drop_runner_tracking(app: AuxLedger, table: str) -> None:
    datastore = app.ledger_recorder.datastore
    assert isinstance(datastore, PostgresDatastore)
    with datastore.get_connection() as conn:
        conn.execute(SQL("DROP TABLE IF EXISTS {}").format(Identifier(datastore.schema, table)))


def report_latencies(
    settings: Settings, runs: int, names: list[str] | None = None
) -> dict[str, dict[str, float]]:
    """p50 and p95 of every report (or of ``names``), in milliseconds."""
    app = AuxLedger(settings)
    models = ReadModels(app)
    found: dict[str, dict[str, float]] = {}
    try:
        for name in names or REPORTS:
            run_report(models, name, {}, clock=clock)  # warm-up: connections, statements
            times = []
            rows = 0
            for _ in range(runs):
                seconds, report = timed(partial(run_report, models, name, {}, clock=clock))
                times.append(seconds * 1000)
                rows = report.total if report.total is not None else len(report.rows)
            found[name] = {
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "rows": rows,
            }
    finally:
        models.close()
        app.close()
    return found


def as_of_latency(settings: Settings, auxiliary_id: Any, runs: int) -> dict[str, float]:
    """The as-of view of the long-history auxiliary: cold (fresh app) and warm."""
    on = date(2025, 6, 30)
    cold = []
    for _ in range(max(3, runs // 10)):
        app = AuxLedger(settings)
        queries = PersonnelQueries(app, clock=clock)
        app.keyring()  # open the pool and load the key ring: not part of the as-of view
        queries.status(page_size=1)
        seconds, view = timed(partial(queries.as_of, auxiliary_id, on))
        cold.append(seconds * 1000)
        queries.models.close()
        app.close()
    app = AuxLedger(settings)
    queries = PersonnelQueries(app, clock=clock)
    queries.as_of(auxiliary_id, on)
    warm = []
    for _ in range(runs):
        seconds, view = timed(lambda: queries.as_of(auxiliary_id, on))
        warm.append(seconds * 1000)
    queries.models.close()
    app.close()
    return {
        "events": view.events_total,
        "applied": view.events_applied,
        "cold_p50_ms": round(statistics.median(cold), 1),
        "cold_p95_ms": round(percentile(cold, 0.95), 1),
        "warm_p50_ms": round(statistics.median(warm), 1),
        "warm_p95_ms": round(percentile(warm, 0.95), 1),
    }


def measure_rates(settings: Settings, args: argparse.Namespace, result: dict[str, Any]) -> None:
    """Rebuild rates against the ProjectionRunner baseline, medians of ``--repeat`` runs."""
    stop = sample_stop(settings, args.sample)
    baseline, sample_ours, full = [], [], []
    for n in range(args.repeat):
        seconds, events = baseline_rate(settings, stop)
        baseline.append(events / seconds)
        print(f"  baseline #{n + 1}: {events} events in {seconds:.1f} s = {events / seconds:.0f}/s")
        seconds, events = rebuild_rate(settings, args.batch_size, stop)
        sample_ours.append(events / seconds)
        print(f"  rebuild(sample) #{n + 1}: {events} in {seconds:.1f} s = {events / seconds:.0f}/s")
        if not args.skip_full:
            seconds, events = rebuild_rate(settings, args.batch_size, None)
            full.append(events / seconds)
            print(
                f"  rebuild(full) #{n + 1}: {events} in {seconds:.1f} s = {events / seconds:.0f}/s"
            )
    if args.skip_full:
        rebuild_rate(settings, args.batch_size, None)  # leave the read models complete
    result["baseline_events_per_s"] = round(statistics.median(baseline))
    result["rebuild_sample_events_per_s"] = round(statistics.median(sample_ours))
    result["sample_stop_position"] = stop
    result["ratio_sample"] = round(statistics.median(sample_ours) / statistics.median(baseline), 2)
    if full:
        result["rebuild_full_events_per_s"] = round(statistics.median(full))
        result["ratio_full"] = round(statistics.median(full) / statistics.median(baseline), 2)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="postgresql://... (the bench database)")
    parser.add_argument("--key-dir", required=True, help="signing keys of the bench ledger")
    parser.add_argument("--generate", type=int, metavar="OFFICERS", help="load the demo first")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument("--sample", type=int, default=20_000, help="baseline sample, events")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50, help="runs per report")
    parser.add_argument("--skip-full", action="store_true", help="no full rebuilds")
    parser.add_argument("--generate-only", action="store_true", help="load the data and stop")
    parser.add_argument("--reports-only", action="store_true", help="no rebuild-rate runs")
    parser.add_argument("--rebuild", action="store_true", help="with --reports-only: rebuild once")
    parser.add_argument(
        "--report", action="append", choices=sorted(REPORTS), help="only this report (repeatable)"
    )
    parser.add_argument("--out", default="var/bench_projections.json")
    args = parser.parse_args(argv)
    settings = settings_for(args)
    if not settings.database.is_postgres:
        sys.exit("the benchmark runs on PostgreSQL")
    if args.generate:
        generate(settings, args.generate, args.seed)
        if args.generate_only:
            return 0
    long_id = ensure_long_history(settings)
    app = AuxLedger(settings)
    head = app.recorder.max_notification_id() or 0
    app.close()
    result: dict[str, Any] = {"machine": machine(), "head": head, "args": vars(args)}
    print(f"ledger head {head}; {machine()}")

    if args.reports_only:
        # The read models must be complete and current: one rebuild (timed) if asked.
        if args.rebuild:
            seconds, events = rebuild_rate(settings, args.batch_size, None)
            result["rebuild_once_events_per_s"] = round(events / seconds)
            print(f"  rebuild: {events} in {seconds:.1f} s = {events / seconds:.0f}/s")
    else:
        measure_rates(settings, args, result)
    result["reports"] = report_latencies(settings, args.runs, args.report)
    result["as_of"] = as_of_latency(settings, long_id, args.runs)

    print(json.dumps({k: v for k, v in result.items() if k != "reports"}, indent=2, default=str))
    print(f"{'report':36} {'rows':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for name, figures in result["reports"].items():
        print(f"{name:36} {figures['rows']:>8} {figures['p50_ms']:>8} {figures['p95_ms']:>8}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
