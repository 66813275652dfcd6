"""PostgreSQL connections: a pool that recovers at once and fails fast, and the factory that
uses it for the ledger's recorder.

Every pooled connection carries the connect timeout, the statement timeout and TCP keepalives
with a TCP user timeout (``tcp_options``), all derived from the settings: no request waits
without limit on a server host that has stopped answering."""

from __future__ import annotations

import contextlib
import logging
import select
import time
from typing import Any

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import ConnectionPool, PostgresFactory
from psycopg import Connection, pq
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout

from ledger.persistence.errors import server_busy
from ledger.persistence.postgres import PostgresLedgerRecorder

log = logging.getLogger("auxledger.ledger")

CONNECT_TIMEOUT_ENV = "AUXLEDGER_POSTGRES_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT_ENV = "AUXLEDGER_POSTGRES_STATEMENT_TIMEOUT"
_WAIT_SLICE = 0.1


class LedgerConnectionPool(ConnectionPool[Connection[DictRow]]):
    """The library's pool, made to recover at once and to fail fast.

    psycopg_pool hands out an idle connection unchecked (a server restart leaves every idle
    one broken: 503s until each has been used once), and while the server is down a request
    waits the whole pool timeout while the pool's own reconnection backs off (1, 2, 4 ... s),
    so the first request after the server is back may wait for the next retry too.

    Invariants:
    - An idle connection is checked before it is handed out; a broken one is discarded (the
      pool replaces it) and the next is tried. The check costs no round trip when the
      connection is quiet (``_quiet``: open, and nothing to read on its socket); otherwise it
      is an empty query. A server that ends a session -- a restart, a crash, an
      administrator's ``pg_terminate_backend`` -- sends an error and closes the socket, both of
      which make it readable, so such a connection always gets the empty query and fails it.
    - When a connection attempt has failed since the last one that worked, or every idle
      connection was broken, a request connects by itself (``connect_timeout``) instead of
      waiting: while the server is down that fails at once (503), and once it is back the
      request gets the new connection at once. The pool may then hold a few more
      connections than ``max_size`` until idle ones are closed.
    - A server that refuses for lack of connection slots ("too many clients") is up: requests
      wait for a connection another returns, as the library's pool does.
    - Otherwise a request waits for a connection at most the pool timeout, looking every
      ``_WAIT_SLICE`` seconds whether the server has gone meanwhile.
    """

    _unreachable = False

    def _connect(self, timeout: float | None = None) -> Connection[DictRow]:
        try:
            conn = super()._connect(timeout=timeout)
        except Exception as e:
            # "Too many clients" says the server is up and busy: wait for a connection then.
            if not server_busy(e):
                self._unreachable = True
            raise
        self._unreachable = False
        return conn

    def _take_idle(self) -> Connection[DictRow] | None:
        with self._lock:
            if not self._pool:
                return None
            conn = self._pool.popleft()
            self._nconns_min = min(self._nconns_min, len(self._pool))
        conn._pool = self
        return conn

    def _connect_now(self) -> Connection[DictRow]:
        with self._lock:
            self._nconns += 1
        try:
            return self._connect()
        except BaseException:
            with self._lock:
                self._nconns -= 1
            raise

    def getconn(self, timeout: float | None = None) -> Connection[DictRow]:
        """A working connection, or an error at once if the server cannot be reached."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        self._check_open_getconn()
        broken = False
        while (conn := self._take_idle()) is not None:
            try:
                if not _quiet(conn):
                    ConnectionPool.check_connection(conn)
            except Exception:
                broken = True
                with contextlib.suppress(Exception):
                    conn.close()  # whatever failed the check, never hand this one out again
                self._putconn(conn, from_getconn=True)  # discarded and replaced
                continue
            self._stats[self._REQUESTS_NUM] += 1
            return conn
        while True:
            if broken or self._unreachable:
                return self._connect_now()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PoolTimeout(f"couldn't get a connection after {wait:.2f} sec")
            try:
                return super().getconn(timeout=min(remaining, _WAIT_SLICE))
            except PoolTimeout:
                continue


def _quiet(conn: Connection[DictRow]) -> bool:
    """True when an idle connection is open and its socket has nothing to read: the server has
    said nothing and closed nothing since the connection was last used (a pooled connection
    listens to no channel, so nothing else arrives unasked). Asked of the kernel without
    waiting (``poll`` with no timeout): the common case costs no round trip to the server.
    (In a py-spy profile of public intakes, the empty query on every hand-out was about a
    quarter of the request threads' busy samples.)"""
    if conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
        return False
    try:
        fd = conn.fileno()
    except Exception:
        return False
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return not poller.poll(0)


def _pool_settings(env: Any) -> tuple[int, int]:
    """(connect timeout s, statement timeout ms) from the factory's environment."""
    connect = int(env.get(CONNECT_TIMEOUT_ENV) or "2")
    statement = int(float(env.get(STATEMENT_TIMEOUT_ENV) or "0") * 1000)
    return connect, statement


KEEPALIVES_COUNT = 3


def tcp_options(connect_timeout: int, statement_ms: int) -> dict[str, int]:
    """libpq's TCP options for a pooled connection, so that a server host that stops
    answering (packets dropped, not refused) fails a request instead of hanging it.

    - Keepalives: an idle connection is probed after ``connect_timeout`` seconds of silence,
      every ``connect_timeout`` seconds; a host that answers none has its connection closed
      by the kernel (after ``KEEPALIVES_COUNT`` probes, or the TCP user timeout when one is
      set), which the hand-out check then sees.
    - ``tcp_user_timeout``: data sent and not acknowledged for the connect timeout plus the
      statement timeout closes the connection (a request fails with a 503 instead of the
      kernel's ~15 minutes of retransmission). A statement running long leaves nothing
      unacknowledged, so this never cuts one short; with no statement timeout (0) none is
      set, as the operator asked for no limit.
    """
    options = {
        "keepalives": 1,
        "keepalives_idle": connect_timeout,
        "keepalives_interval": connect_timeout,
        "keepalives_count": KEEPALIVES_COUNT,
    }
    if statement_ms > 0:
        options["tcp_user_timeout"] = connect_timeout * 1000 + statement_ms
    return options


class PostgresLedgerFactory(PostgresFactory):
    """Infrastructure factory whose application recorder appends to the Merkle log; its
    connections are checked before reuse and time out (``LedgerConnectionPool``)."""

    application_recorder_class = PostgresLedgerRecorder

    def __init__(self, env: Any) -> None:
        self._recorders: list[PostgresLedgerRecorder] = []
        super().__init__(env)
        connect_timeout, statement_ms = _pool_settings(self.env)
        old = self.datastore.pool  # never opened: it holds no connection and no thread
        kwargs = dict(old.kwargs) if isinstance(old.kwargs, dict) else {}
        kwargs["connect_timeout"] = connect_timeout
        kwargs.update(tcp_options(connect_timeout, statement_ms))
        if statement_ms > 0:
            kwargs["options"] = f"-c statement_timeout={statement_ms}"
        self.datastore.pool = LedgerConnectionPool(
            get_password_func=old.get_password_func,
            connection_class=old.connection_class,
            kwargs=kwargs,
            min_size=old.min_size,
            max_size=old.max_size,
            open=False,
            configure=old._configure,
            timeout=old.timeout,
            max_waiting=old.max_waiting,
            max_lifetime=old.max_lifetime,
        )

    def application_recorder(self) -> ApplicationRecorder:
        """The library's, remembered so that ``close`` can finish its accepted saves."""
        recorder = super().application_recorder()
        if isinstance(recorder, PostgresLedgerRecorder):
            self._recorders.append(recorder)
        return recorder

    def close(self) -> None:
        """Finish the saves already accepted (at most the pool timeout), then close the pool."""
        for recorder in getattr(self, "_recorders", ()):
            if not recorder.close(timeout=self.datastore.pool.timeout):
                log.warning("closing the ledger before every accepted save was written")
        super().close()
