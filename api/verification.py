"""One ledger verification over HTTP at a time: a lock every process of the server shares.

``GET /v1/ledger/verification`` reads every record since the witness (or, asked, every record
of the ledger, on several cores), so uvicorn's worker processes must not start one each.

Invariants:
- ``exclusive_verification(database)`` holds the lock for the block or raises
  ``VerificationRunningError`` at once (never waits). The lock dies with its holder: a
  crashed worker cannot leave it taken.
- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  keyed by the ledger's schema, so every server process on that database shares it.
  SQLite: ``flock`` on ``<database>.verify-lock`` beside the database file (0600).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from ledger.config import Database
from ledger.persistence import SQLITE_FILE_MODE

LOCK_SUFFIX = ".verify-lock"


class VerificationRunningError(Exception):
    """Another verification holds the lock."""


def advisory_key(database: Database) -> int:
    """The PostgreSQL advisory lock key of this ledger's verification (a signed 64-bit int)."""
    digest = hashlib.sha256(f"auxledger/verify/v1\0{database.schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def exclusive_verification(database: Database) -> Iterator[None]:
    """Hold the server's verification lock for the block; ``VerificationRunningError`` if
    another process or thread holds it."""
    if database.is_postgres:
        with _advisory_lock(database):
            yield
    else:
        with _file_lock(database):
            yield


@contextmanager
def _advisory_lock(database: Database) -> Iterator[None]:
    key = advisory_key(database)
    with psycopg.connect(database.conninfo(), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if not row or not row[0]:
            raise VerificationRunningError
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


@contextmanager
def _file_lock(database: Database) -> Iterator[None]:
    assert database.sqlite_path is not None
    path = database.sqlite_path.with_name(database.sqlite_path.name + LOCK_SUFFIX)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, SQLITE_FILE_MODE)
    try:
        try:
            # An open file description of its own: threads of one process exclude each other
            # too, not only processes.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VerificationRunningError from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
