#!/usr/bin/env python3
"""Benchmark: signed, chained, logged appends vs. the plain eventsourcing Application.

Both applications run on the same PostgreSQL database (two schemas), with the same aggregate
class, the same events and the same aggregate cache, in the same run; repetitions alternate
between them. A "save" is: get the aggregate, trigger one event, save it. auxledger's save also
signs the event, chains it, appends it to the Merkle log and signs a checkpoint, all in the same
transaction. Prints saves/s for each and the ratio (target: auxledger >= 0.9x plain).

    .venv/bin/python scripts/bench_append.py [--url postgresql://postgres@127.0.0.1/postgres]
        [--aggregates 200] [--rounds 5] [--threads 1,4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.application import LedgerApplication
from ledger.config import Settings


class Counter(Aggregate):
    """A small aggregate: each event carries a short text, like a typical record update."""

    class Started(Aggregate.Created):
        label: str

    class Ticked(Aggregate.Event):
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.ticks += 1

    def __init__(self, label: str) -> None:
        self.label = label
        self.ticks = 0

    @classmethod
    def start(cls, label: str) -> Counter:
        return cls._create(cls.Started, label=label)

    def tick(self, note: str) -> None:
        self.trigger_event(self.Ticked, note=note)


class PlainApp(Application[UUID]):
    """The library's application with its default PostgreSQL recorder."""

    name = "PlainBench"


def plain_app(url: str, schema: str) -> PlainApp:
    parts = psycopg.conninfo.conninfo_to_dict(url)
    return PlainApp(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(parts.get("dbname", "postgres")),
            "POSTGRES_HOST": str(parts.get("host", "127.0.0.1")),
            "POSTGRES_PORT": str(parts.get("port", "5432")),
            "POSTGRES_USER": str(parts.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(parts.get("password", "")),
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
            "AGGREGATE_CACHE_MAXSIZE": "5000",
        }
    )


def ledger_app(url: str, schema: str, folder: Path) -> LedgerApplication:
    settings = Settings.from_environ(
        {
            "AUXLEDGER_DATABASE_URL": f"{url}?schema={schema}",
            "AUXLEDGER_KEY_DIR": str(folder / "keys"),
            "AUXLEDGER_WITNESS_DIR": str(folder / "witness"),
        }
    )
    app = LedgerApplication(settings, create_tables=True)
    app.initialise("bench")
    return app


def workload(app: Application[UUID], ids: list[UUID], rounds: int, threads: int) -> float:
    """Saves per second for get-tick-save over every aggregate, ``rounds`` times."""
    chunks = [ids[i::threads] for i in range(threads)]
    errors: list[BaseException] = []

    def run(chunk: list[UUID]) -> None:
        try:
            for r in range(rounds):
                for aggregate_id in chunk:
                    counter: Counter = app.repository.get(aggregate_id)
                    counter.tick(f"round {r} note for {aggregate_id.hex[:8]}")
                    app.save(counter)
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=run, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return len(ids) * rounds / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--aggregates", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,4")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    database = f"bench_append_{secrets.token_hex(3)}"
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = args.url.rsplit("/", 1)[0] + "/" + database
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA plain")
        folder = Path(tempfile.mkdtemp(prefix="bench-append-"))
        plain = plain_app(url, "plain")
        ours = ledger_app(url, "signed", folder)
        apps: dict[str, Application[UUID]] = {"plain": plain, "auxledger": ours}
        ids: dict[str, list[UUID]] = {}
        for name, app in apps.items():
            counters = [Counter.start(f"counter {i}") for i in range(args.aggregates)]
            app.save(*counters)
            ids[name] = [c.id for c in counters]
            workload(app, ids[name], 1, 1)  # warm up: caches, prepared statements
        print(
            f"PostgreSQL {url.rsplit('/', 1)[0]}/…  aggregates={args.aggregates} "
            f"rounds={args.rounds} repeat={args.repeat}"
        )
        for threads in [int(t) for t in args.threads.split(",")]:
            results: dict[str, list[float]] = {name: [] for name in apps}
            for _ in range(args.repeat):
                for name, app in apps.items():
                    results[name].append(workload(app, ids[name], args.rounds, threads))
            plain_rate = statistics.median(results["plain"])
            our_rate = statistics.median(results["auxledger"])
            print(
                f"threads={threads}: plain {plain_rate:7.1f} saves/s  "
                f"auxledger {our_rate:7.1f} saves/s  ratio {our_rate / plain_rate:.2f}  "
                f"(runs: plain {[round(r) for r in results['plain']]}, "
                f"auxledger {[round(r) for r in results['auxledger']]})"
            )
        plain.close()
        ours.close()
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
