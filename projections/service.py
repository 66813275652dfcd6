"""Running the projections: catching up, rebuilding, background workers and their status.

``ReadModels(ledger)`` holds the projections of one ledger (``PROJECTIONS``: personnel and
complaints) with their views in the ledger's own database. Events are read only through
``ledger.stream.read_checked`` -- every event's signature, format and key checked before it
is decoded -- in the ledger's order, a batch at a time, each batch applied with its tracking
position in one transaction (``ReadModelView.apply_events``).

Invariants kept here:

- Exactly once, in order: a batch is read after the tracked position and applied only if that
  is still the tracked position (else it is dropped and read again); positions only grow.
- A projection never skips an event. A transient error (``projections.errors.transient``:
  connection lost or refused, serialisation failure, database shutting down, SQLite busy;
  by exception class and SQLSTATE, never by message) is retried with capped exponential
  backoff and jitter, logged once when the worker starts retrying and once when it
  recovers. Any other error -- an ``IntegrityViolation``, a handler that fails on an event --
  stops that projection's worker alone; the error, its kind, the position and the event
  (position, class, aggregate id) are logged and kept in memory and in
  ``rm_projection_state``, and ``status`` reports the projection failed until it is
  restarted or rebuilt. A worker thread that ends, for any reason, says so in the log.
- One leader per projection (``projections.db.LeaderLock``): a worker applies only while
  it holds the projection's leader lock; the others stand by and try again every
  ``STANDBY_SECONDS``, so one takes over within seconds of the leader's death. Only the
  leader writes the projection's row in ``rm_projection_state`` (its heartbeat).
- Catching up reads up to the head observed at its start; the ledger's writers are serialised
  (PostgreSQL log head row, SQLite write lock), so every event at or below that head is already
  committed and the position may advance to the head even when the last events belong to
  another projection.
- Stopping a worker between batches, or killing it inside one, loses nothing: the next run
  starts after the last committed batch.
- On PostgreSQL a worker LISTENs on the events table's channel and also polls every
  ``poll_interval`` seconds, so a lost notification delays it by at most one interval; on
  SQLite (no notifications in eventsourcing 9.5) it polls. Catch-ups start at most every
  ``SETTLE_SECONDS``: under a stream of writes a worker takes them in batches instead of
  waking for every commit (the read models trail the ledger by that much more at most).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from domain.policy import Policy, RuleSet
from ledger.application import LedgerApplication
from ledger.persistence import PostgresLedgerRecorder
from ledger.stream import CheckedEvent, max_notification_id, read_checked
from projections.base import ReadModelProjection, tracking_table_name
from projections.complainant import ComplainantProjection
from projections.complaints import ComplaintsProjection
from projections.db import (
    Database,
    LeaderLock,
    PostgresDatabase,
    PostgresLeaderLock,
    SQLiteDatabase,
    SQLiteLeaderLock,
)
from projections.errors import (
    FailedEvent,
    ProjectionFailedError,
    TrackingConflictError,
    UnknownProjectionError,
    transient,
)
from projections.identity import IdentityProjection
from projections.personnel import PersonnelProjection
from projections.views import PostgresReadModelView, ReadModelView, SQLiteReadModelView

__all__ = [
    "PROJECTIONS",
    "ProjectionStatus",
    "ProjectionSupervisor",
    "ProjectionWorker",
    "ReadModels",
    "ensure_schema",
]

PROJECTIONS: Mapping[str, type[ReadModelProjection]] = {
    PersonnelProjection.name: PersonnelProjection,
    ComplaintsProjection.name: ComplaintsProjection,
    IdentityProjection.name: IdentityProjection,
    ComplainantProjection.name: ComplainantProjection,
}
"""Every projection, by name, in the order they are built."""

PERSONAL_DATA_READ: frozenset[type] = frozenset(
    cls for projection in PROJECTIONS.values() for cls in projection.personal_data_read
)
"""The event classes whose personal fields some projection reads: a process that only
projects opens those and leaves the rest sealed (``AuxLedger(open_only=...)``)."""

DEFAULT_BATCH = 1000
HEARTBEAT_SECONDS = 10.0
SETTLE_SECONDS = 0.05
HEARTBEAT_FRESH = timedelta(seconds=45)
"""How old the leader's heartbeat may be before its projection counts as having no live
worker (``status(stale_after=...)``; ``/readyz`` and ``check`` use their setting)."""
STANDBY_SECONDS = 1.0
"""How often a standby worker tries to take the lead."""
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 5.0
"""Transient errors: the first wait and the longest (each doubles, jittered)."""
LIVE_STATES = frozenset({"running", "retrying"})
REACH_POLL_SECONDS = 0.05
"""How often ``ReadModels.reach`` looks at the tracked positions while it waits."""

log = logging.getLogger("auxledger.projections")

Progress = Callable[[str, int, int, int], None]
"""``progress(projection, events_applied, position, head)``."""


def _now() -> datetime:
    return datetime.now(tz=UTC)


class ReadModels:
    """The read models of one ledger: projections, their views, and the shared database."""

    def __init__(self, ledger: LedgerApplication, *, policy: Policy | None = None) -> None:
        self.ledger = ledger
        self.application_name = ledger.name
        self._policy = policy
        recorder = ledger.ledger_recorder
        self.db: Database
        if isinstance(recorder, PostgresLedgerRecorder):
            self.db = PostgresDatabase(recorder.datastore)
        else:
            path = ledger.settings.database.sqlite_path
            assert path is not None
            self.db = SQLiteDatabase(path)
        self._ensured = False
        self._ensure_lock = threading.Lock()
        self.projections: dict[str, ReadModelProjection] = {}
        for name, cls in PROJECTIONS.items():
            view: ReadModelView
            if isinstance(recorder, PostgresLedgerRecorder):
                view = PostgresReadModelView(
                    recorder.datastore, tracking_table_name=tracking_table_name(name)
                )
            else:
                view = SQLiteReadModelView(
                    recorder.datastore, tracking_table_name=tracking_table_name(name)
                )
            view.db = self.db  # one database for every view
            projection = cls(view, policy=self.policy, rules=self._rule_sets)
            if isinstance(projection, IdentityProjection):
                projection.indexer = ledger.privacy.blind_index
            self.projections[name] = projection

    @property
    def policy(self) -> Policy:
        """The policy given, else the ledger's (which follows the rule sets loaded into it),
        else the defaults."""
        return self._policy or getattr(self.ledger, "policy", None) or Policy.default()

    def _rule_sets(self) -> tuple[RuleSet, ...]:
        return self.policy.rules

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgres``."""
        return self.db.backend

    def projection(self, name: str) -> ReadModelProjection:
        """A projection by name."""
        try:
            return self.projections[name]
        except KeyError:
            raise UnknownProjectionError(
                f"no projection {name!r}; the projections are {', '.join(PROJECTIONS)}"
            ) from None

    def names(self, names: Iterable[str] | None = None) -> list[str]:
        """The given projection names, checked (all of them when None)."""
        chosen = list(PROJECTIONS) if names is None else list(names)
        for name in chosen:
            self.projection(name)
        return chosen

    def ensure(self) -> None:
        """Create every read-model table and tracking table if missing (idempotent)."""
        for name in self.projections:
            self.ensure_projection(name)
        self._ensured = True

    def ensure_projection(self, name: str) -> bool:
        """Create the projection's tables if missing; True if that reset the projection.

        A read-model table that a newer version added (``rm_assessment``, say) is created
        empty, and a column a newer version added to a table (``pre_service_passed_to``) is
        missing from it, but the projection's position is already past the events that fill
        them. So when the projection has applied events and one of its tables is missing or
        has other columns than its definition, its tables are recreated and its position
        forgotten (what ``rebuild`` does first): the next catch-up, by a worker or
        ``rebuild``, applies the whole ledger again and the tables hold the past too.
        """
        projection = self.projection(name)
        view = projection.view
        found = {t.name: self.db.table_columns(t.name) for t in view.tables}
        changed = [t.name for t in view.tables if found[t.name] not in (None, set(t.column_names))]
        missing = [table for table, columns in found.items() if columns is None]
        view.ensure(tables=False)  # tracking and state: the position can be read
        if not changed and (not missing or view.position(self.application_name) == 0):
            view.ensure()
            return False
        log.warning(
            "projection %s: read-model tables new or changed (%s); applying the ledger again",
            name,
            ", ".join(changed + missing),
            extra={"event": "projection_reset_for_new_tables", "projection": name},
        )
        view.reset(projection, self.application_name)
        view.ensure()
        return True

    def ready(self) -> ReadModels:
        """Make sure the tables exist (once per instance: queries on a new ledger find them)."""
        if not self._ensured:
            with self._ensure_lock:
                if not self._ensured:
                    self.ensure()
        return self

    def close(self) -> None:
        """Release the read models' own connections (the ledger's pool stays open)."""
        self.db.close()

    def leader_lock(self, name: str) -> LeaderLock:
        """The lock whose holder applies projection ``name`` (one per worker)."""
        self.projection(name)
        if isinstance(self.db, PostgresDatabase):
            return PostgresLeaderLock(
                self.ledger.settings.database.conninfo(), self.db.lock_key(f"leader:{name}")
            )
        assert isinstance(self.db, SQLiteDatabase)
        return SQLiteLeaderLock(Path(f"{self.db.path}.{name}.leader"))

    # ------------------------------------------------------------------ positions

    def head(self) -> int:
        """The ledger's last notification id."""
        return max_notification_id(self.ledger)

    def position(self, name: str) -> int:
        """A projection's tracked position."""
        return self.projection(name).view.position(self.application_name)

    def reach(self, position: int, names: Iterable[str], *, timeout: float) -> bool:
        """Wait until every projection named has applied the log up to ``position`` (its
        tracked position, where the workers write it, is ``position`` or more); True when
        they have, False after ``timeout`` seconds. Reads only: it waits for the workers,
        it never applies an event itself. Looks every ``REACH_POLL_SECONDS``."""
        chosen = self.names(names)
        deadline = time.monotonic() + timeout
        while True:
            if all(self.position(name) >= position for name in chosen):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(REACH_POLL_SECONDS, remaining))

    # ------------------------------------------------------------------ applying

    def catch_up(
        self,
        name: str,
        *,
        batch_size: int = DEFAULT_BATCH,
        should_stop: Callable[[], bool] | None = None,
        progress: Progress | None = None,
        until: int | None = None,
    ) -> int:
        """Apply every event up to the current head (or ``until``); return how many."""
        projection = self.projection(name)
        view = projection.view
        head = self.head() if until is None else min(self.head(), until)
        position = view.position(self.application_name)
        applied = 0

        def read(after: int) -> tuple[int, list[CheckedEvent]]:
            checked = read_checked(
                self.ledger, after, batch_size, stop=head, topics=projection.topics
            )
            # Fewer than a full batch: no more events of this projection up to the head.
            last = checked[-1].notification_id if len(checked) == batch_size else head
            return last, checked

        # Read (and check) the next batch in a second thread while this one is written: the
        # checks hold the interpreter, the writes mostly wait on the database.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"read-{name}") as reader:
            pending: Future[tuple[int, list[CheckedEvent]]] | None = None
            while position < head:
                if should_stop is not None and should_stop():
                    break
                if pending is None:
                    pending = reader.submit(read, position)
                last, checked = pending.result()
                pending = reader.submit(read, last) if last < head else None
                try:
                    view.apply_events(
                        projection,
                        [(c.event, c.notification_id) for c in checked],
                        application_name=self.application_name,
                        after=position,
                        position=last,
                    )
                except TrackingConflictError:
                    if pending is not None:
                        pending.cancel()
                        pending = None
                    position = view.position(self.application_name)
                    continue
                applied += len(checked)
                position = last
                if progress is not None:
                    progress(name, applied, position, head)
            if pending is not None:
                pending.cancel()
        return applied

    def rebuild(
        self,
        names: Iterable[str] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Progress | None = None,
        until: int | None = None,
    ) -> dict[str, int]:
        """Empty the named projections and apply the ledger again (up to ``until``).

        Returns the events applied per projection.
        """
        chosen = self.names(names)
        applied: dict[str, int] = {}
        for name in chosen:
            projection = self.projections[name]
            # Tracking and state tables only: reset creates the read-model tables afresh.
            projection.view.ensure(tables=False)
            projection.view.reset(projection, self.application_name)
            applied[name] = self.catch_up(
                name, batch_size=batch_size, progress=progress, until=until
            )
            # The tables were emptied and refilled: give the query planner fresh statistics.
            projection.view.analyze()
        return applied

    # ------------------------------------------------------------------ status

    def status(
        self,
        workers: Mapping[str, ProjectionWorker] | None = None,
        *,
        stale_after: timedelta = HEARTBEAT_FRESH,
    ) -> list[ProjectionStatus]:
        """Each projection's position, the head, the lag, and who keeps it up to date.

        ``workers`` are this process's; a projection led elsewhere is seen through the
        leader's heartbeat in ``rm_projection_state``, fresh if younger than ``stale_after``.
        """
        self.ready()
        head = self.head()
        now = _now()
        found: list[ProjectionStatus] = []
        for name, projection in self.projections.items():
            position = projection.view.position(self.application_name)
            kept = projection.view.load_state(name) or {}
            heartbeat: datetime | None = kept.get("heartbeat_at")
            fresh = heartbeat is not None and now - heartbeat <= stale_after
            kept_state = str(kept.get("state") or "stopped")
            worker = (workers or {}).get(name)
            failure: _Failure | None = None
            if worker is not None and worker.state in ("running", "retrying", "failed"):
                state, failure = worker.state, worker.failure
                alive = worker.state in LIVE_STATES and worker.alive
            elif kept_state == "failed":
                state, alive = "failed", False
            elif kept_state == "running" and fresh:
                state = "standby" if worker is not None and worker.alive else "running"
                alive = True
            else:
                state, alive = "stopped", False
            if failure is None and state == "failed":
                event_position = kept.get("failed_event_position")
                event_class = kept.get("failed_event_class")
                aggregate_id = kept.get("failed_aggregate_id")
                failure = _Failure(
                    kind=str(kept.get("error_kind")),
                    error=str(kept.get("error")),
                    position=int(kept.get("failed_position") or 0),
                    at=kept.get("failed_at") or now,
                    event=FailedEvent(event_position, event_class, aggregate_id)
                    if event_position is not None or aggregate_id is not None
                    else None,
                )
            lag = max(head - position, 0)
            event = failure.event if failure else None
            found.append(
                ProjectionStatus(
                    name=name,
                    state=state,
                    position=position,
                    head=head,
                    lag=lag,
                    stale=state == "failed" or (not alive and lag > 0),
                    alive=alive,
                    leader=str(kept["worker"]) if kept.get("worker") else None,
                    heartbeat_at=heartbeat,
                    error_kind=failure.kind if failure else None,
                    error=failure.error if failure else None,
                    failed_position=failure.position if failure else None,
                    failed_at=failure.at if failure else None,
                    failed_event_position=event.position if event else None,
                    failed_event_class=event.event_class if event else None,
                    failed_aggregate_id=event.aggregate_id if event else None,
                )
            )
        return found


def ensure_schema(ledger: LedgerApplication) -> None:
    """Create the read-model, tracking and state tables in the ledger's database (idempotent).

    ``auxledger init`` calls this; the workers call it too before their first batch.
    """
    models = ReadModels(ledger)
    try:
        models.ensure()
    finally:
        models.close()


@dataclass(frozen=True)
class ProjectionStatus:
    """Where a projection stands, for ``/readyz`` and ``auxledger projections status|check``.

    ``alive``: some worker (here, or the leader elsewhere with a fresh heartbeat) keeps the
    projection up to date. ``stale``: it failed, or it is behind with no live worker.
    """

    name: str
    state: str
    position: int
    head: int
    lag: int
    stale: bool
    alive: bool = False
    leader: str | None = None
    heartbeat_at: datetime | None = None
    error_kind: str | None = None
    error: str | None = None
    failed_position: int | None = None
    failed_at: datetime | None = None
    failed_event_position: int | None = None
    failed_event_class: str | None = None
    failed_aggregate_id: str | None = None

    def failed_event(self) -> FailedEvent | None:
        """The event the projection stopped on, if it is known."""
        if self.failed_event_position is None and self.failed_aggregate_id is None:
            return None
        return FailedEvent(
            self.failed_event_position, self.failed_event_class, self.failed_aggregate_id
        )

    def problem(self, *, max_lag: int) -> str | None:
        """Why this projection makes the service unready (stopped, stale, lagging), or None.

        Names the projection and the event it stopped on, never personal data.
        """
        if self.state == "failed":
            event = self.failed_event()
            where = (
                f"on the {event.describe()}"
                if event is not None
                else f"after position {self.failed_position}"
            )
            return (
                f"projection {self.name} stopped {where} ({self.error_kind}); restart or rebuild it"
            )
        if not self.alive:
            since = (
                f"last heartbeat {self.heartbeat_at.isoformat(timespec='seconds')}"
                if self.heartbeat_at is not None
                else "no heartbeat ever"
            )
            return f"projection {self.name} has no live worker ({self.state}; {since})"
        if self.lag > max_lag:
            return f"projection {self.name} lags {self.lag} events behind the log (limit {max_lag})"
        return None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "state": self.state,
            "position": self.position,
            "head": self.head,
            "lag": self.lag,
            "stale": self.stale,
            "alive": self.alive,
            "leader": self.leader,
            "heartbeat_at": self.heartbeat_at.isoformat() if self.heartbeat_at else None,
            "error_kind": self.error_kind,
            "error": self.error,
            "failed_position": self.failed_position,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "failed_event_position": self.failed_event_position,
            "failed_event_class": self.failed_event_class,
            "failed_aggregate_id": self.failed_aggregate_id,
        }


@dataclass(frozen=True)
class _Failure:
    kind: str
    error: str
    position: int
    at: datetime
    event: FailedEvent | None = None


class _Notifications:
    """LISTEN on the events table's channel, on a connection of its own."""

    def __init__(self, ledger: LedgerApplication) -> None:
        recorder = ledger.ledger_recorder
        assert isinstance(recorder, PostgresLedgerRecorder)
        self.conn = psycopg.connect(
            ledger.settings.database.conninfo(), autocommit=True, connect_timeout=5
        )
        self.conn.execute(SQL("LISTEN {}").format(Identifier(recorder.channel_name)))

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        """Block until a notification, ``stop``, or ``timeout`` seconds; True if notified."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for _ in self.conn.notifies(timeout=min(remaining, 0.25), stop_after=1):
                return True
        return False

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class ProjectionWorker:
    """Keeps one projection up to date, in a background thread or in the foreground.

    States: ``running`` (this worker leads and applies), ``standby`` (another process leads),
    ``retrying`` (a transient database error; backing off), ``failed`` (a deterministic
    error: stopped until restarted), ``stopped``.
    """

    def __init__(
        self,
        models: ReadModels,
        name: str,
        *,
        batch_size: int = DEFAULT_BATCH,
        poll_interval: float = 1.0,
        leader: LeaderLock | None = None,
        standby_interval: float = STANDBY_SECONDS,
        backoff_first: float = BACKOFF_FIRST,
        backoff_cap: float = BACKOFF_CAP,
    ) -> None:
        models.projection(name)
        self.models = models
        self.name = name
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.leader = leader if leader is not None else models.leader_lock(name)
        self.standby_interval = standby_interval
        self.backoff_first = backoff_first
        self.backoff_cap = backoff_cap
        self.state = "stopped"
        self.failure: _Failure | None = None
        self.applied = 0
        self.retries = 0
        """Transient errors retried since the worker started."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: ProjectionFailedError | None = None
        self._heartbeat = 0.0
        self._looping = False
        self._outage_since: float | None = None
        self._worker_id = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        """Run in a daemon thread until ``stop()`` or a deterministic failure."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._error = None
        self._thread = threading.Thread(
            target=self._run_in_thread, name=f"projection-{self.name}", daemon=True
        )
        self._looping = True
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Ask the worker to stop after its current batch, and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker thread; re-raise its failure, if it failed."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self._error is not None:
            raise self._error

    @property
    def alive(self) -> bool:
        """Whether the worker loop runs (in its thread or in the foreground)."""
        if self._thread is not None and self._thread.is_alive():
            return True
        return self._looping

    def run(self) -> None:
        """Run in this thread until ``stop()``; raise ``ProjectionFailedError`` on failure."""
        self._stop.clear()
        self._looping = True
        try:
            self._loop()
        finally:
            self._looping = False
        if self._error is not None:
            raise self._error

    def _run_in_thread(self) -> None:
        try:
            self._loop()
        finally:
            self._looping = False
            level = logging.ERROR if self.state == "failed" else logging.INFO
            log.log(
                level,
                "projection %s: worker thread ended (%s)",
                self.name,
                self.state,
                extra={"event": "projection_worker_ended", "projection": self.name},
            )

    # ------------------------------------------------------------------ the loop

    def _loop(self) -> None:
        view = self.models.projection(self.name).view
        listener: _Notifications | None = None
        ensured = False
        failures = 0  # consecutive transient errors
        try:
            while not self._stop.is_set():
                try:
                    if not ensured:
                        self.models.ensure_projection(self.name)
                        ensured = True
                    if not self.leader.acquire():
                        if listener is not None:
                            listener.close()
                            listener = None
                        self._set_state("standby")
                        failures = 0
                        self._stop.wait(self.standby_interval)
                        continue
                    if self.state not in ("running", "retrying"):
                        self._set_state("running")
                        self._beat(force=True)
                    if listener is None and isinstance(self.models.db, PostgresDatabase):
                        listener = _Notifications(self.models.ledger)
                    started = time.monotonic()
                    self.applied += self.models.catch_up(
                        self.name,
                        batch_size=self.batch_size,
                        should_stop=self._stop.is_set,
                        progress=self._progress,
                    )
                    # Recovered only once a whole round (read, apply, heartbeat) worked.
                    self._beat(force=self.state == "retrying")
                    self._set_state("running")
                    failures = 0
                    if listener is not None:
                        listener.wait(self.poll_interval, self._stop)
                    else:
                        self._stop.wait(self.poll_interval)
                    # A burst of commits is taken as one batch, not one catch-up per commit.
                    settle = SETTLE_SECONDS - (time.monotonic() - started)
                    if settle > 0:
                        self._stop.wait(settle)
                except Exception as e:
                    reason = transient(e)
                    if reason is None:
                        raise
                    failures += 1
                    self.retries += 1
                    if listener is not None:
                        with suppress(Exception):
                            listener.close()
                        listener = None
                    # The lock's session may be gone with the database: lead again only
                    # after taking the lock again.
                    self.leader.release()
                    self._set_state("retrying", reason=reason)
                    self._stop.wait(self._backoff(failures))
        except (KeyboardInterrupt, SystemExit):
            self._finish(view, "stopped")
            raise
        except Exception as e:
            self._fail(view, e)
        else:
            self._finish(view, "stopped")
        finally:
            if listener is not None:
                with suppress(Exception):
                    listener.close()
            self.leader.release()

    def _backoff(self, failures: int) -> float:
        """Capped exponential backoff with jitter: half the step fixed, half random."""
        step: float = min(self.backoff_cap, self.backoff_first * 2.0 ** min(failures - 1, 30))
        return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not a secret

    def _progress(self, name: str, applied: int, position: int, head: int) -> None:
        self._beat()  # a long catch-up keeps its heartbeat fresh

    def _set_state(self, state: str, *, reason: str | None = None) -> None:
        """Change state, logging once per change (never once per retry)."""
        previous = self.state
        if state == previous:
            return
        self.state = state
        extra = {
            "event": "projection_state",
            "projection": self.name,
            "state": state,
            "previous": previous,
        }
        if state == "retrying":
            self._outage_since = time.monotonic()
            log.warning(
                "projection %s: transient database error (%s); retrying with backoff",
                self.name,
                reason,
                extra={**extra, "reason": reason},
            )
        elif state == "running" and self._outage_since is not None:
            seconds = time.monotonic() - self._outage_since
            self._outage_since = None
            log.warning(
                "projection %s: recovered after %.1f s; applying again",
                self.name,
                seconds,
                extra=extra,
            )
        elif state == "running":
            log.info("projection %s: leading; applying events", self.name, extra=extra)
        elif state == "standby":
            self._outage_since = None
            log.info("projection %s: standing by; another process leads it", self.name, extra=extra)

    def _finish(self, view: ReadModelView, state: str) -> None:
        """Stop; say so in the state table if this worker leads (a standby never writes)."""
        leading = self.leader.held
        self._set_state(state)
        if leading:
            try:
                self._save(view, state)
            except Exception as e:
                log.warning(
                    "projection %s: the stop could not be recorded (%s)",
                    self.name,
                    type(e).__name__,
                    extra={"event": "projection_state", "projection": self.name},
                )

    def _fail(self, view: ReadModelView, error: BaseException) -> None:
        position = self._safe_position(view)
        failure = ProjectionFailedError(self.name, position, error)
        event = failure.event
        self.failure = _Failure(
            kind=failure.kind, error=str(failure.cause), position=position, at=_now(), event=event
        )
        self.state = "failed"
        self._error = failure
        where = f"the {event.describe()}" if event is not None else f"after position {position}"
        log.error(
            "projection %s: stopped on %s: %s",
            self.name,
            where,
            failure.kind,
            extra={
                "event": "projection_failed",
                "projection": self.name,
                "position": position,
                "kind": failure.kind,
                "event_position": event.position if event else None,
                "event_class": event.event_class if event else None,
                "aggregate_id": event.aggregate_id if event else None,
            },
        )
        try:
            self._save(view, "failed")
        except Exception as e:
            failure.add_note(f"the failure could not be recorded in the database: {e}")

    def _safe_position(self, view: ReadModelView) -> int:
        try:
            return view.position(self.models.application_name)
        except Exception:
            return -1

    def _beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._heartbeat >= HEARTBEAT_SECONDS:
            self._heartbeat = now
            self._save(self.models.projection(self.name).view, "running")

    def _save(self, view: ReadModelView, state: str) -> None:
        failure = self.failure if state == "failed" else None
        event = failure.event if failure else None
        view.save_state(
            self.name,
            {
                "state": state,
                "worker": self._worker_id,
                "heartbeat_at": _now(),
                "failed_at": failure.at if failure else None,
                "failed_position": failure.position if failure else None,
                "error_kind": failure.kind if failure else None,
                "error": failure.error[:2000] if failure else None,
                "failed_event_position": event.position if event else None,
                "failed_event_class": event.event_class if event else None,
                "failed_aggregate_id": event.aggregate_id if event else None,
            },
        )


class ProjectionSupervisor:
    """One worker per projection: start them with the API server, ask them for ``status``."""

    def __init__(
        self,
        models: ReadModels,
        *,
        names: Iterable[str] | None = None,
        batch_size: int = DEFAULT_BATCH,
        poll_interval: float = 1.0,
        standby_interval: float = STANDBY_SECONDS,
    ) -> None:
        self.models = models
        self.workers = {
            name: ProjectionWorker(
                models,
                name,
                batch_size=batch_size,
                poll_interval=poll_interval,
                standby_interval=standby_interval,
            )
            for name in models.names(names)
        }

    def start(self) -> None:
        """Start every worker in a background thread."""
        for worker in self.workers.values():
            worker.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop every worker (after its current batch)."""
        for worker in self.workers.values():
            worker._stop.set()
        for worker in self.workers.values():
            worker.stop(timeout)

    def restart(self, name: str) -> None:
        """Start a stopped or failed worker again (it resumes after its tracked position)."""
        worker = self.workers.get(name)
        if worker is None:
            raise UnknownProjectionError(f"no worker for projection {name!r}")
        worker.failure = None
        worker.start()

    def status(self, *, stale_after: timedelta = HEARTBEAT_FRESH) -> list[ProjectionStatus]:
        """Every projection's status, with this process's workers' states."""
        return self.models.status(self.workers, stale_after=stale_after)

    def failures(self) -> list[ProjectionFailedError]:
        """The failures of workers that stopped on an error."""
        return [w._error for w in self.workers.values() if w._error is not None]

    def run_forever(self, *, check_every: float = 0.5) -> None:
        """Block until every worker has ended or ``stop()`` is called elsewhere.

        A worker that fails stops alone (the others carry on); when none is left, the first
        failure is raised.
        """
        self.start()
        try:
            while any(w.alive for w in self.workers.values()):
                time.sleep(check_every)
            failed = self.failures()
            if failed:
                raise failed[0]
        finally:
            self.stop()
