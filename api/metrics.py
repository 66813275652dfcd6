"""Prometheus metrics: requests and latency by route, events appended, verifications, lag.

With several worker processes (``auxledger serve --workers N``) the serve verb sets
``PROMETHEUS_MULTIPROC_DIR`` and every worker writes its counters there, so ``/metrics``
answers for the whole server whichever worker it reaches. Figures about the ledger itself
(tree size, projection lag) are read at scrape time from the database, not counted.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.lifeline import alive

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DIR_PREFIX = "auxledger-metrics-"
_OWNED = re.compile(rf"^{DIR_PREFIX}(\d+)-")
LEGACY_AGE = 3600.0
"""A folder of an older version (no pid in its name) is stale after this many seconds."""


def remove_stale_dirs(parent: Path | None = None) -> list[Path]:
    """Remove the shared folders of ``serve`` processes that are gone (a ``kill -9`` leaves
    one behind); answer what was removed. A folder is named after its serving process's pid;
    one of an older version, without the pid, is removed once an hour old."""
    root = Path(tempfile.gettempdir()) if parent is None else parent
    removed: list[Path] = []
    for folder in root.glob(f"{DIR_PREFIX}*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        owned = _OWNED.match(folder.name)
        if owned:
            stale = not alive(int(owned.group(1)))
        else:
            try:
                stale = time.time() - folder.stat().st_mtime > LEGACY_AGE
            except OSError:
                continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def new_multiprocess_dir() -> Path:
    """A fresh shared folder for this serving process, named after its pid."""
    return Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-"))


LedgerFigures = Callable[[], dict[str, float]]


class _LedgerCollector(Collector):
    """Gauges read at scrape time: whatever the figures callback answers."""

    def __init__(self, figures: LedgerFigures) -> None:
        self._figures = figures

    def collect(self) -> Iterator[Metric]:
        """One gauge per figure; none if the ledger cannot be read right now."""
        try:
            figures = self._figures()
        except Exception:
            figures = {"up": 0.0}
        for name, value in sorted(figures.items()):
            yield GaugeMetricFamily(f"auxledger_ledger_{name}", _HELP.get(name, name), value=value)


_HELP = {
    "up": "1 if the ledger database answered this scrape",
    "tree_size": "Leaves in the Merkle log (events recorded)",
    "projection_lag_events": "Events recorded but not yet processed by the projections",
    "read_replica_up": "1 if the read replica answered this scrape",
    "read_replica_lag_events": "Events the read replica's read models trail the primary's",
}


class Metrics:
    """The app's metric objects and their exposition."""

    def __init__(self, figures: LedgerFigures) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._multiprocess_dir = os.environ.get(MULTIPROC_ENV)
        self.requests = Counter(
            "auxledger_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "auxledger_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.events_appended = Counter(
            "auxledger_events_appended",
            "Events appended to the ledger through this API, by event class",
            ["event"],
            registry=self.registry,
        )
        self.verifications = Counter(
            "auxledger_verifications",
            "Ledger verifications run through the API, by result",
            ["result"],
            registry=self.registry,
        )
        self._ledger = _LedgerCollector(figures)
        self.registry.register(self._ledger)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def appended(self, topic: str, count: int = 1) -> None:
        """Count events appended by a command (label: ``Class.Event`` of the topic)."""
        self.events_appended.labels(topic.rpartition(":")[2] or "unknown").inc(count)

    def exposition(self) -> bytes:
        """The text exposition for ``/metrics``."""
        if self._multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self._multiprocess_dir)  # type: ignore[no-untyped-call]
            registry.register(self._ledger)
            return generate_latest(registry)
        return generate_latest(self.registry)
