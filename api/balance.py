"""Even shares of keep-alive connections among ``auxledger serve``'s worker processes.

uvicorn's workers accept from one shared socket, and whichever wakes first takes a whole burst
of connections; a keep-alive connection then stays with its worker. Each worker gets about the
same CPU, so a client on a worker holding 27 of 50 connections waits three times as long as
one on a worker holding 8 (counted under load: docs/benchmarks.md). A server cannot move an
accepted connection, but it can end one politely: a worker holding more than its share answers
the request in hand with ``Connection: close``, the client opens a new connection, and that
one goes to whichever worker accepts it.

The shares live in a small file that ``serve`` creates for its workers (``TABLE_ENV``): one
slot per worker, each the worker's pid and its number of open connections, both 64-bit. A
worker claims a free slot (or a dead worker's) under an exclusive ``flock`` and writes only its
own slot; it reads all of them without a lock. An 8-byte aligned store into a shared mapping
is not torn on the platforms we run, and a count read a moment late only delays a decision.

Invariants:
- Only ``HttpProtocol`` changes the counts: +1 when a connection is made, -1 when it is lost.
- A worker is over its share when the workers hold at least ``MIN_PER_WORKER`` connections
  each on average and its count exceeds ``ceil(total / workers)`` by more than a quarter of
  that (at least 1); then some other worker holds fewer than the mean, so closing moves
  toward even. Fewer connections, or a smaller excess, are left alone: every close costs the
  client a reconnect, and with a few connections per worker the queues are short anyway
  (measured, docs/benchmarks.md: closing at every excess cost 15% of the throughput at 8
  connections over 4 workers).
- Without the file (tests, one worker, another server) nothing is counted and no connection
  is ever closed for balance.
- uvicorn makes the protocol object of each connection itself, with nothing of ours to hand
  it, so a worker's table is found through the one object of the process, ``WORKER``
  (claimed on first use from ``TABLE_ENV``); ``WORKER.reset()`` gives the slot back and
  forgets it, so a test can start over.
"""

from __future__ import annotations

import asyncio
import fcntl
import mmap
import os
import struct
import threading
from pathlib import Path

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from api.lifeline import alive

__all__ = [
    "SLOTS",
    "TABLE_ENV",
    "WORKER",
    "ConnectionTable",
    "HttpProtocol",
    "WorkerTable",
    "create_table",
    "over_share",
    "release",
    "table",
]

TABLE_ENV = "AUXLEDGER_SERVE_CONNECTION_TABLE"
"""Set by ``auxledger serve`` for its own workers; not a setting for operators."""

MIN_PER_WORKER = 4
"""Below this many connections per worker on average, none is closed for balance."""
SLOTS = 64
"""One per worker: ``serve --workers`` allows at most 64."""

_SLOT = struct.Struct("<qq")
_TABLE = struct.Struct(f"<{2 * SLOTS}q")


def create_table(path: Path) -> None:
    """A table of empty slots at ``path`` (the serving process, before its workers start)."""
    path.write_bytes(bytes(_TABLE.size))


class ConnectionTable:
    """One worker's view of the shared table: its own slot to write, every slot to read."""

    def __init__(self, path: Path, pid: int | None = None) -> None:
        self.pid = os.getpid() if pid is None else pid
        with path.open("r+b") as f:
            self._map = mmap.mmap(f.fileno(), _TABLE.size)
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                self.slot = self._claim()
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        self._count = 0
        self._lock = threading.Lock()

    def _claim(self) -> int:
        free = None
        for slot in range(SLOTS):
            pid, _ = _SLOT.unpack_from(self._map, slot * _SLOT.size)
            if pid == self.pid:
                free = slot
                break
            if free is None and (pid == 0 or not alive(pid)):
                free = slot
        if free is None:
            raise RuntimeError(f"the connection table has no free slot for worker {self.pid}")
        _SLOT.pack_into(self._map, free * _SLOT.size, self.pid, 0)
        return free

    def _store(self) -> None:
        _SLOT.pack_into(self._map, self.slot * _SLOT.size, self.pid, self._count)

    def opened(self) -> None:
        """A connection was made to this worker."""
        with self._lock:
            self._count += 1
            self._store()

    def closed(self) -> None:
        """A connection of this worker was lost."""
        with self._lock:
            self._count = max(0, self._count - 1)
            self._store()

    @property
    def count(self) -> int:
        """Open connections of this worker."""
        return self._count

    def over_share(self) -> bool:
        """Does this worker hold clearly more than its share of many connections?"""
        values = _TABLE.unpack_from(self._map)
        counts: list[int] = [
            max(0, n) for pid, n in zip(values[0::2], values[1::2], strict=True) if pid
        ]
        total = sum(counts)
        if len(counts) < 2 or total < MIN_PER_WORKER * len(counts):
            return False
        share = -(-total // len(counts))
        return self._count > share + max(1, share // 4)

    def release(self) -> None:
        """Give the slot back (the worker is stopping)."""
        with self._lock:
            _SLOT.pack_into(self._map, self.slot * _SLOT.size, 0, 0)


class WorkerTable:
    """This process's place in ``serve``'s table: claimed on first use if ``serve`` made one
    (``TABLE_ENV``), else none; one per process (``WORKER``)."""

    def __init__(self) -> None:
        self._table: ConnectionTable | None = None
        self._checked = False
        self._lock = threading.Lock()

    def table(self) -> ConnectionTable | None:
        """This process's table, claimed on first use if ``serve`` made one; else None."""
        if self._checked:
            return self._table
        with self._lock:
            if not self._checked:
                path = os.environ.get(TABLE_ENV)
                self._table = ConnectionTable(Path(path)) if path else None
                self._checked = True
        return self._table

    def release(self) -> None:
        """Give this process's slot back, if it holds one (the worker is stopping)."""
        current = self._table
        if current is not None:
            current.release()

    def over_share(self) -> bool:
        """Should this worker end the connection it is answering on? (False without a table.)"""
        current = self._table
        return current is not None and current.over_share()

    def reset(self) -> None:
        """Give the slot back and forget the table: the next use looks for one again."""
        with self._lock:
            self.release()
            self._table = None
            self._checked = False


WORKER = WorkerTable()
"""This process's table (uvicorn's protocol objects find it here)."""


def table() -> ConnectionTable | None:
    """This process's table, claimed on first use if ``serve`` made one; else None."""
    return WORKER.table()


def release() -> None:
    """Give this process's slot back, if it holds one (the worker is stopping)."""
    WORKER.release()


def over_share() -> bool:
    """Should this worker end the connection it is answering on? (False without a table.)"""
    return WORKER.over_share()


class HttpProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools if installed, else h11) counting its connections."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the connection in this worker's slot."""
        super().connection_made(transport)
        counted = table()
        if counted is not None:
            counted.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        """Uncount it (even if uvicorn's own handling of the loss fails)."""
        try:
            super().connection_lost(exc)
        finally:
            counted = table()
            if counted is not None:
                counted.closed()
