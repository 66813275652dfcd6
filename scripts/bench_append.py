#!/usr/bin/env python3
"""Benchmark: signed, chained, logged appends vs. the plain eventsourcing Application.

Both applications run on the same PostgreSQL database (two schemas), with the same aggregate
class, the same events and the same aggregate cache, in the same run; repetitions alternate
between them. A "save" is: get the aggregate, trigger one event, save it. auxledger's save also
signs the event, chains it, appends it to the Merkle log and signs a checkpoint, all in the same
transaction. Prints saves/s for each and the ratio (target: auxledger >= 0.9x plain).

With ``--witnesses`` it also starts two real witness processes (``auxledger witness serve`` on
loopback) and measures auxledger's saves while a ``WitnessSubmitter`` (what ``auxledger serve``
runs for ``AUXLEDGER_WITNESSES``) sends every new checkpoint to both, alternating with runs
without it, on the same ledger in the same run; it prints that ratio too (target >= 0.95) and
how many checkpoints the witnesses cosigned meanwhile.

    .venv/bin/python scripts/bench_append.py [--url postgresql://postgres@127.0.0.1/postgres]
        [--aggregates 200] [--rounds 5] [--threads 1,4] [--repeat 3] [--witnesses]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import subprocess
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
from ledger.config import Settings, parse_witnesses
from ledger.log import MerkleLog
from ledger.witnessing import CosignatureStore, WitnessSubmitter


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


class Witnesses:
    """Two ``auxledger witness serve`` processes on loopback for the log of ``app``."""

    def __init__(self, app: LedgerApplication, folder: Path) -> None:
        status = app.keyring().active_key
        assert status is not None
        auxledger = str(Path(sys.executable).parent / "auxledger")
        self.processes: list[subprocess.Popen[bytes]] = []
        pairs = []
        for n in (1, 2):
            key = folder / f"witness{n}.key"
            name = f"bench.example/w{n}"
            vkey = subprocess.run(
                [auxledger, "witness", "keygen", "--name", name, "--out", str(key)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            port = _free_port()
            self.processes.append(
                subprocess.Popen(
                    [
                        *(auxledger, "witness", "serve", "--key", str(key)),
                        *("--log-vkey", status.public.vkey, "--state", str(folder / f"w{n}")),
                        *("--port", str(port)),
                    ],
                    stdout=subprocess.DEVNULL,
                )
            )
            pairs.append(f"{vkey} http://127.0.0.1:{port}")
            _wait_for_port(port)
        self.endpoints = parse_witnesses(" ".join(pairs))
        self.app = app

    def submitter(self) -> WitnessSubmitter:
        recorder = self.app.ledger_recorder
        return WitnessSubmitter(MerkleLog(recorder), CosignatureStore(recorder), self.endpoints)

    def workload(self, ids: list[UUID], rounds: int, threads: int) -> float:
        """``workload`` on the ledger while a submitter sends its checkpoints to both."""
        submitter = self.submitter()
        submitter.start()
        self.settle(submitter)  # a serving process's submitter is long running: start-up aside
        try:
            return workload(self.app, ids, rounds, threads)
        finally:
            submitter.stop()

    def settle(self, submitter: WitnessSubmitter) -> None:
        """Wait until both witnesses cosigned the current checkpoint (start-up done)."""
        latest = MerkleLog(self.app.ledger_recorder).latest_checkpoint()
        assert latest is not None
        deadline = time.monotonic() + 30
        while any(size != latest.tree_size for size in submitter.cosigned_size.values()):
            if time.monotonic() > deadline:
                raise SystemExit("the witnesses did not cosign within 30 s")
            time.sleep(0.01)

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(10)


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int) -> None:
    import socket  # noqa: PLC0415

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"witness on port {port} did not start")


def _cosigned_sizes(app: LedgerApplication) -> int:
    with app.ledger_recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT COUNT(DISTINCT tree_size) AS n FROM signed.ledger_cosignatures")
        row = cursor.fetchone()
    assert row is not None
    return int(row["n"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--aggregates", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--witnesses", action="store_true", help="also with two witnesses")
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
        witnesses = Witnesses(ours, folder) if args.witnesses else None
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
            witnessed: list[float] = []
            for repetition in range(args.repeat):
                # With witnesses first in every other repetition, so neither order is favoured.
                if witnesses is not None and repetition % 2:
                    witnessed.append(witnesses.workload(ids["auxledger"], args.rounds, threads))
                for name, app in apps.items():
                    results[name].append(workload(app, ids[name], args.rounds, threads))
                if witnesses is not None and not repetition % 2:
                    witnessed.append(witnesses.workload(ids["auxledger"], args.rounds, threads))
            plain_rate = statistics.median(results["plain"])
            our_rate = statistics.median(results["auxledger"])
            print(
                f"threads={threads}: plain {plain_rate:7.1f} saves/s  "
                f"auxledger {our_rate:7.1f} saves/s  ratio {our_rate / plain_rate:.2f}  "
                f"(runs: plain {[round(r) for r in results['plain']]}, "
                f"auxledger {[round(r) for r in results['auxledger']]})"
            )
            if witnessed:
                # Each run with witnesses is next to a run without them; the median of those
                # pairs' ratios cancels the drift of a machine shared with other work.
                pairs = [w / o for w, o in zip(witnessed, results["auxledger"], strict=True)]
                print(
                    f"threads={threads}: auxledger {our_rate:7.1f} saves/s  with two witnesses "
                    f"{statistics.median(witnessed):7.1f} saves/s  "
                    f"ratio {statistics.median(pairs):.2f} (median of pairs "
                    f"{[round(p, 2) for p in pairs]}; "
                    f"{_cosigned_sizes(ours)} checkpoints cosigned so far)"
                )
        if witnesses is not None:
            witnesses.close()
        plain.close()
        ours.close()
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
