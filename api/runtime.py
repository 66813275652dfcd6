"""What one API process holds: settings, the ledger (opened on first use), caches, metrics.

Invariants:
- Building a ``Runtime`` reads the settings and the intake secret but opens no database
  connection; the ledger is opened on first use, so a server whose database is briefly down
  still starts, answers ``/healthz`` and reports 503 on ``/readyz`` and on every ledger call.
- Token lookups are cached for ``token_cache_seconds`` (positive and negative), so a
  revocation made by another process takes effect within that many seconds; one made
  through this process takes effect at once.
- The organ tree (who oversees whom, issue 13) is cached for the same ``token_cache_seconds``
  (``ledger.organ_tree.OrganTreeCache``): an organ placed through this process counts at once
  (the route forgets the copy), one placed by another process within that many seconds.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hmac
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import ParamSpec, TypeVar
from uuid import UUID

from api.directory import AuxiliaryDirectory, ProjectionDirectory
from api.metrics import Metrics
from api.ratelimit import RateLimiter
from api.server_secret import load_server_secret
from api.settings import ApiSettings
from domain.values import Actor
from ledger.access import ApiToken, load_token
from ledger.log import MerkleLog
from ledger.organ_tree import OrganTreeCache
from ledger.records import AuxLedger
from ledger.stream import max_notification_id
from projections.replica import ReplicaReadModels
from projections.service import ReadModels

P = ParamSpec("P")
T = TypeVar("T")

_deadline_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="auxledger-deadline")
"""Runs the bodies of routes with a deadline; a body past its deadline finishes here (its
database calls are bounded by the connect and statement timeouts) while the answer goes."""


def answer_within(
    seconds: float, late: Callable[[], Exception]
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A route body that answers within ``seconds``: past it, ``late()`` is raised instead
    (``/readyz``: a probe must hear "not ready" in time, whatever the database does)."""

    def decorate(body: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(body)
        def bounded(*args: P.args, **kwargs: P.kwargs) -> T:
            context = contextvars.copy_context()
            future = _deadline_threads.submit(lambda: context.run(body, *args, **kwargs))
            try:
                return future.result(timeout=seconds)
            except FutureTimeout:
                future.cancel()
                raise late() from None

        return bounded

    return decorate


async def call_within(seconds: float, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args)`` in a thread, awaited at most ``seconds`` (``TimeoutError`` past that;
    the call finishes in the background). Unlike ``run_in_threadpool``, the wait ends on time
    even while the thread is blocked."""
    context = contextvars.copy_context()
    future = _deadline_threads.submit(lambda: context.run(call, *args, **kwargs))
    return await asyncio.wait_for(asyncio.wrap_future(future), seconds)


class TokenCache:
    """Recently looked-up tokens by id, each kept for a few seconds."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[UUID, tuple[float, ApiToken | None]] = {}
        self._lock = threading.Lock()

    def get(self, token_id: UUID) -> tuple[bool, ApiToken | None]:
        """(hit, token): a hit may be a cached absence (None)."""
        with self._lock:
            entry = self._entries.get(token_id)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def put(self, token_id: UUID, token: ApiToken | None) -> None:
        """Remember a lookup."""
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token_id] = (time.monotonic(), token)

    def forget(self, token_id: UUID) -> None:
        """Drop one token (after a revocation through this process)."""
        with self._lock:
            self._entries.pop(token_id, None)


SCRAPE_GRACE_SECONDS = 900.0
"""How long a token that was admitted to ``/metrics`` is admitted again without the database,
while the database cannot be reached (``ScraperMemory``)."""


class ScraperMemory:
    """The tokens recently admitted to ``/metrics``, by id with their hash: while the database
    cannot be reached (a token cannot be looked up), one admitted within
    ``SCRAPE_GRACE_SECONDS`` still may scrape, so that the gauge saying the database is down
    (``auxledger_ledger_up 0``) is read and its alert can fire. Nothing else is served so."""

    def __init__(self, grace_seconds: float = SCRAPE_GRACE_SECONDS) -> None:
        self.grace = grace_seconds
        self._admitted: dict[UUID, tuple[float, str, Actor]] = {}
        self._lock = threading.Lock()

    def remember(self, token_id: UUID, token_hash: str, actor: Actor) -> None:
        """A token admitted just now."""
        with self._lock:
            if len(self._admitted) > 1_000:
                self._admitted.clear()
            self._admitted[token_id] = (time.monotonic(), token_hash, actor)

    def admitted(self, token_id: UUID, token_hash: str) -> Actor | None:
        """The actor of a token admitted within the grace period, with this very hash."""
        with self._lock:
            entry = self._admitted.get(token_id)
        if entry is None or time.monotonic() - entry[0] > self.grace:
            return None
        _seen, kept_hash, actor = entry
        return actor if hmac.compare_digest(kept_hash, token_hash) else None


class Runtime:
    """Per-process state of the API."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self.secret = load_server_secret(settings.ledger.key_dir, development=settings.development)
        self.tokens = TokenCache(settings.token_cache_seconds)
        self.scrapers = ScraperMemory()
        self.organ_tree = OrganTreeCache(settings.token_cache_seconds)
        self.intake_limiter = RateLimiter(settings.intake_per_minute, settings.intake_burst)
        self.checks_limiter = RateLimiter(settings.checks_per_minute, settings.checks_burst)
        self.metrics = Metrics(self.ledger_figures)
        self._ledger: AuxLedger | None = None
        self._log: MerkleLog | None = None
        self._read_models: ReadModels | None = None
        self._directory: ProjectionDirectory | None = None
        self._lock = threading.Lock()

    def opened_ledger(self) -> AuxLedger | None:
        """The ledger application if it is open already (never blocks)."""
        return self._ledger

    def ledger(self) -> AuxLedger:
        """The ledger application, opened on first use (raises if the database is down)."""
        ledger = self._ledger
        if ledger is not None:
            return ledger
        with self._lock:
            if self._ledger is None:
                self._ledger = AuxLedger(self.settings.ledger)
                self._log = MerkleLog(self._ledger.ledger_recorder)
            return self._ledger

    def log(self) -> MerkleLog:
        """Queries over the Merkle log."""
        self.ledger()
        assert self._log is not None
        return self._log

    def read_models(self) -> ReadModels:
        """The projections' read models (queries only: the serve process runs the workers
        that write them), read on the replica when ``AUXLEDGER_READ_DATABASE_URL`` names one
        (``projections.replica``), else in the ledger's database."""
        models = self._read_models
        if models is not None:
            return models
        ledger = self.ledger()
        replica = self.settings.ledger.read_database
        with self._lock:
            if self._read_models is None:
                self._read_models = (
                    ReplicaReadModels(ledger, replica, wait=self.settings.read_after_wait)
                    if replica is not None
                    else ReadModels(ledger)
                )
            return self._read_models

    def write_position(self) -> int:
        """The ledger's log head now: after a write, a position that covers it."""
        return max_notification_id(self.ledger())

    def directory(self) -> AuxiliaryDirectory:
        """Lookups of auxiliaries for the public endpoints, over the read models."""
        directory = self._directory
        if directory is None:
            directory = self._directory = ProjectionDirectory(self.read_models())
        return directory

    def token(self, token_id: UUID) -> ApiToken | None:
        """The token with this id, through the cache."""
        hit, token = self.tokens.get(token_id)
        if hit:
            return token
        token = load_token(self.ledger(), token_id)
        self.tokens.put(token_id, token)
        return token

    def organs_below(self, organ_code: str) -> frozenset[str]:
        """The organs below ``organ_code``, through the organ tree's cache."""
        return self.organ_tree.organs_below(self.ledger(), organ_code)

    def ledger_figures(self) -> dict[str, float]:
        """Gauges for ``/metrics``: database up, tree size, the largest projection lag (and,
        with a read replica, whether it answers and how many events it trails)."""
        figures = {"up": 1.0, "tree_size": float(self.log().tree_size())}
        models = self.read_models()
        statuses = models.status()
        if statuses:
            figures["projection_lag_events"] = float(max(s.lag for s in statuses))
        if isinstance(models, ReplicaReadModels):
            replica = models.replica_status({s.name: s.position for s in statuses})
            figures["read_replica_up"] = 1.0 if replica.reachable else 0.0
            if replica.lag is not None:
                figures["read_replica_lag_events"] = float(replica.lag)
        return figures

    def close(self) -> None:
        """Close the ledger's connections."""
        with self._lock:
            if self._read_models is not None:
                self._read_models.close()
                self._read_models = None
                self._directory = None
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
                self._log = None
