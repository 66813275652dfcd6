"""Queries on a PostgreSQL streaming replica; writes, workers and status on the primary.

``ReplicaReadModels(ledger, replica)`` is ``ReadModels`` whose ``db.read()`` -- what every
query class (``projections.queries``, ``projections.reports``) reads through -- is routed
between the primary and a hot standby of it (``AUXLEDGER_READ_DATABASE_URL``). Events (a
timeline, a complaint's history, a record as of a date) are read from the ledger, on the
primary, as before.

Invariants:

- Nothing is written to the replica (a hot standby refuses writes): every projection's view
  -- its tables' DDL, its tracking and state rows, what a worker applies -- stays on the
  primary, and so do ``status()`` and the lag it reports. A worker given these read models
  writes on the primary like any other.
- A read with no position requirement goes to the replica.
- A read made under ``read_after(X)`` (the caller's own write is at log position ``X``) goes
  to the replica only once the replica's read models have reached ``X`` -- every
  projection's tracking position there is ``X`` or more -- and waits for that at most
  ``wait`` seconds, looking every ``POLL_SECONDS``; otherwise it goes to the primary, where
  the projections are written and are never behind the replica. So it sees what a read on
  the primary would have seen at that moment, or more.
- Only a standby is read from: a read database whose ``pg_is_in_recovery()`` is false (an
  ordinary database, or a standby since promoted) serves no read -- they go to the primary,
  it is logged once, and ``replica_status`` reports it ``not_a_standby``, which makes the
  service unready. Whether it is a standby is asked again at most every
  ``FALLBACK_SECONDS``.
- A replica that cannot be reached (a transient error on connecting) does not fail reads:
  that read and every read for ``FALLBACK_SECONDS`` after it go to the primary, and the
  outage is logged once (no address, no password). ``replica_status`` reports it, and
  does not probe the replica again within that time either.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import Environment

from domain.policy import Policy
from ledger.application import LedgerApplication
from ledger.config import Database as DatabaseLocation
from ledger.persistence import PostgresLedgerFactory, PostgresLedgerRecorder
from projections.base import tracking_table_name
from projections.db import Database, PostgresDatabase, Session, placeholder, sql
from projections.errors import transient
from projections.service import PROJECTIONS, ReadModels
from projections.tables import Table

__all__ = [
    "DEFAULT_WAIT",
    "FALLBACK_SECONDS",
    "ReplicaReadModels",
    "ReplicaStatus",
    "RoutedDatabase",
    "read_after",
    "required_position",
]

DEFAULT_WAIT = 2.0
"""Seconds a read that needs the caller's own write waits for the replica by default."""
POLL_SECONDS = 0.05
FALLBACK_SECONDS = 5.0
"""After the replica could not be reached, reads go to the primary this long."""

log = logging.getLogger("auxledger.projections")

_read_after: ContextVar[int | None] = ContextVar("auxledger_read_after", default=None)


@contextmanager
def read_after(position: int | None) -> Iterator[None]:
    """Reads in this block (and in threads started from its context) need log position
    ``position`` in the read models; None: no requirement."""
    token = _read_after.set(position)
    try:
        yield
    finally:
        _read_after.reset(token)


def required_position() -> int | None:
    """The log position reads here must see (``read_after``), or None."""
    return _read_after.get()


def _positions_template() -> str:
    """One row: each projection's tracking position (0 when none) as ``p0``, ``p1``, ..."""
    columns = [
        sql(
            "COALESCE((SELECT notification_id FROM",
            placeholder(tracking_table_name(name)),
            f"WHERE application_name = %s), 0) AS p{index}",
        )
        for index, name in enumerate(PROJECTIONS)
    ]
    return sql("SELECT", ", ".join(columns))


_POSITIONS = _positions_template()


def positions(session: Session, application_name: str) -> dict[str, int]:
    """Every projection's tracking position as seen through ``session``."""
    rows = session.query(_POSITIONS, [application_name] * len(PROJECTIONS), tables=())
    row = rows[0] if rows else {}
    return {name: int(row.get(f"p{index}") or 0) for index, name in enumerate(PROJECTIONS)}


class RoutedDatabase(PostgresDatabase):
    """The primary's schema for everything but ``read()``, which the rules above route.

    ``served_by`` counts the reads each side served (for ``/metrics`` and the tests).
    """

    def __init__(
        self,
        primary: PostgresDatastore,
        replica: PostgresDatastore,
        *,
        application_name: str,
        head: Callable[[], int],
        wait: float = DEFAULT_WAIT,
        fallback: float = FALLBACK_SECONDS,
    ) -> None:
        super().__init__(primary)
        self.primary = PostgresDatabase(primary)
        self.replica = PostgresDatabase(replica)
        self.replica_datastore = replica
        self.application_name = application_name
        self.head = head
        self.wait = wait
        self.fallback = fallback
        self.served_by = {"replica": 0, "primary": 0}
        self._down_until = 0.0
        self._down_logged = False
        self._standby: bool | None = None
        self._standby_checked = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ routing

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Session]:
        """A read-only transaction on the side the rules choose."""
        with ExitStack() as stack:
            session: Session | None = None
            if self._choose() == "replica":
                try:
                    session = stack.enter_context(self.replica.read(snapshot=snapshot))
                except Exception as e:
                    if transient(e) is None:
                        raise
                    self._mark_down(e)
            if session is None:
                session = stack.enter_context(self.primary.read(snapshot=snapshot))
                self._count("primary")
            else:
                self._count("replica")
            yield session

    def lookup(
        self, template: str, params: Sequence[Any] = (), *, tables: Sequence[Table]
    ) -> list[dict[str, Any]]:
        """Through ``read()``, so a lookup is routed like any other read."""
        return Database.lookup(self, template, params, tables=tables)

    def _choose(self) -> str:
        if self.replica_down:
            return "primary"
        try:
            if not self.replica_is_standby():
                return "primary"
        except Exception as e:
            if transient(e) is None:
                raise
            self._mark_down(e)
            return "primary"
        wanted = _read_after.get()
        if wanted is None:
            return "replica"
        deadline = time.monotonic() + self.wait
        first = True
        while True:
            try:
                reached = self.replica_positions()
            except Exception as e:
                if transient(e) is None:
                    raise
                self._mark_down(e)
                return "primary"
            self._mark_up()
            if min(reached.values()) >= wanted:
                return "replica"
            if first and wanted > self._head():
                return "primary"  # no write is there yet: nothing to wait for
            first = False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "primary"
            time.sleep(min(POLL_SECONDS, remaining))

    def _head(self) -> int:
        """The primary's log head; a very large number while it cannot be read (then the
        replica's answer is waited for as usual)."""
        try:
            return self.head()
        except Exception as e:
            if transient(e) is None:
                raise
            return 2**63 - 1

    def replica_is_standby(self, *, fresh: bool = False) -> bool:
        """Whether the read database is a hot standby (``pg_is_in_recovery()``), as last
        seen within ``fallback`` seconds (asked again if older, or ``fresh``)."""
        now = time.monotonic()
        with self._lock:
            known, checked = self._standby, self._standby_checked
        if known is not None and not fresh and now - checked < self.fallback:
            return known
        with self.replica.read() as s:
            row = s.query("SELECT pg_is_in_recovery() AS recovery", tables=())[0]
        standby = bool(row["recovery"])
        with self._lock:
            was, self._standby, self._standby_checked = self._standby, standby, now
        if not standby and was is not False:
            log.warning(
                "the read database is not a standby (not in recovery); reading from the primary",
                extra={"event": "read_replica", "state": "not_a_standby"},
            )
        return standby

    @property
    def replica_down(self) -> bool:
        """Whether reads go to the primary because the replica could not be reached."""
        return time.monotonic() < self._down_until

    def replica_positions(self) -> dict[str, int]:
        """Every projection's tracking position on the replica."""
        with self.replica.read() as s:
            return positions(s, self.application_name)

    def _count(self, side: str) -> None:
        with self._lock:
            self.served_by[side] += 1
        if side == "replica":
            self._mark_up()

    def _mark_down(self, error: BaseException) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.fallback
            first, self._down_logged = not self._down_logged, True
        if first:
            log.warning(
                "read replica unreachable (%s); reading from the primary",
                transient(error),
                extra={"event": "read_replica", "state": "unreachable"},
            )

    def _mark_up(self) -> None:
        if not self._down_logged:
            return
        with self._lock:
            was, self._down_logged = self._down_logged, False
        if was:
            log.warning(
                "read replica reachable again; reading from it",
                extra={"event": "read_replica", "state": "streaming"},
            )

    def close(self) -> None:
        """Close the replica's connection pool (the primary's belongs to the ledger)."""
        self.replica_datastore.pool.close()


@dataclass(frozen=True)
class ReplicaStatus:
    """How the read replica stands, for ``/readyz`` and ``/metrics``.

    ``lag``: how many events the replica's read models trail the primary's (the largest
    difference of a projection's tracking positions); ``replay_delay``: seconds since the
    last transaction the replica replayed was committed on the primary (None before one).
    """

    reachable: bool
    lag: int | None = None
    replay_delay: float | None = None
    in_recovery: bool | None = None
    error: str | None = None

    def problem(self, *, max_lag: int) -> str | None:
        """Why the replica makes the service unready, or None.

        An unreachable replica does not: reads go to the primary meanwhile. One that lags
        more than ``max_lag`` events does, like a projection lagging as much, and so does a
        read database that is not a standby (a wrong URL, or a promoted replica).
        """
        if self.reachable and self.in_recovery is False:
            return (
                "the read database is not a standby of the primary (not in recovery): "
                "AUXLEDGER_READ_DATABASE_URL must name a streaming replica"
            )
        if self.lag is not None and self.lag > max_lag:
            return f"the read replica lags {self.lag} events behind the primary (limit {max_lag})"
        return None

    @property
    def state(self) -> str:
        """``streaming``, ``not_a_standby`` or ``unreachable``."""
        if not self.reachable:
            return "unreachable"
        return "not_a_standby" if self.in_recovery is False else "streaming"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (no address, no password)."""
        return {
            "state": self.state,
            "lag": self.lag,
            "replay_delay_seconds": self.replay_delay,
            "in_recovery": self.in_recovery,
            "error": self.error,
        }


class ReplicaReadModels(ReadModels):
    """Read models whose queries are served by a streaming replica of the ledger's database.

    Built by API processes only; workers, ``rebuild`` and ``ensure`` keep using the primary
    (the views are the primary's). ``close()`` closes the replica's pool.
    """

    def __init__(
        self,
        ledger: LedgerApplication,
        replica: DatabaseLocation,
        *,
        wait: float = DEFAULT_WAIT,
        policy: Policy | None = None,
    ) -> None:
        super().__init__(ledger, policy=policy)
        recorder = ledger.ledger_recorder
        if not isinstance(recorder, PostgresLedgerRecorder) or not replica.is_postgres:
            raise ValueError("a read replica needs a PostgreSQL ledger and a PostgreSQL replica")
        self.replica_location = replica
        self.db = RoutedDatabase(
            recorder.datastore,
            replica_datastore(ledger, replica),
            application_name=self.application_name,
            head=self.head,
            wait=wait,
        )
        self.routed: RoutedDatabase = self.db

    def replica_status(self, primary: dict[str, int] | None = None) -> ReplicaStatus:
        """Whether the replica answers, and how far it trails the primary.

        ``primary``: each projection's tracking position on the primary (read here if None).
        """
        if self.routed.replica_down:  # no probe: one failed moments ago
            return ReplicaStatus(reachable=False, error="unreachable")
        if primary is None:
            primary = {name: self.position(name) for name in self.projections}
        try:
            if not self.routed.replica_is_standby(fresh=True):
                # Not a standby: its tables (if any) are not the primary's; no lag to tell.
                self.routed._mark_up()
                return ReplicaStatus(reachable=True, in_recovery=False)
            with self.routed.replica.read() as s:
                behind = positions(s, self.application_name)
                row = s.query(
                    "SELECT pg_is_in_recovery() AS recovery, "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) AS delay",
                    tables=(),  # computed columns only: as the driver gives them
                )[0]
        except Exception as e:
            if transient(e) is None:
                raise
            self.routed._mark_down(e)
            return ReplicaStatus(reachable=False, error=transient(e))
        self.routed._mark_up()
        lag = max((max(primary[n] - behind[n], 0) for n in primary), default=0)
        delay = row["delay"]
        return ReplicaStatus(
            reachable=True,
            lag=lag,
            replay_delay=None if delay is None else round(float(delay), 3),
            in_recovery=bool(row["recovery"]),
        )

    def close(self) -> None:
        """Close the replica's connections."""
        self.routed.close()


def replica_datastore(ledger: LedgerApplication, replica: DatabaseLocation) -> PostgresDatastore:
    """A connection pool on the replica configured like the ledger's own (timeouts, checks
    before reuse, failing fast while the server is down); opened on first use."""
    settings = replace(ledger.settings, database=replica, read_database=None)
    factory = PostgresLedgerFactory(Environment(ledger.name, settings.eventsourcing_env()))
    datastore: PostgresDatastore = factory.datastore
    return datastore
