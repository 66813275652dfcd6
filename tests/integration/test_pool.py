"""The ledger's PostgreSQL pool hands out only working connections, and checks a quiet one
without a round trip (``ledger.persistence.pool``)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from ledger.persistence.pool import LedgerConnectionPool
from ledger.records import AuxLedger
from tests.conftest import make_settings


@pytest.fixture
def pg_ledger(postgres_url: str, tmp_path: Path) -> Iterator[AuxLedger]:
    ledger = AuxLedger(make_settings(tmp_path, postgres_url), create_tables=True)
    ledger.initialise("test")
    yield ledger
    ledger.close()


def _pool(ledger: AuxLedger) -> LedgerConnectionPool:
    pool = ledger.recorder.datastore.pool  # type: ignore[attr-defined]
    assert isinstance(pool, LedgerConnectionPool)
    return pool


def _last_query(ledger: AuxLedger, pid: int) -> str:
    """What the server says the backend ran last (seen from a connection of our own)."""
    with psycopg.connect(ledger.settings.database.conninfo(), autocommit=True) as watcher:
        row = watcher.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def _take_all(pool: LedgerConnectionPool) -> list[psycopg.Connection]:  # type: ignore[type-arg]
    taken = []
    while pool.get_stats().get("pool_available", 0) > 0:
        taken.append(pool.getconn())
    return taken


def test_a_quiet_idle_connection_is_handed_out_without_a_round_trip(pg_ledger: AuxLedger) -> None:
    pool = _pool(pg_ledger)
    with pool.connection() as conn:
        conn.execute("SELECT 41 AS marker")
        pid = conn.info.backend_pid
    taken = _take_all(pool)
    try:
        assert pid in [c.info.backend_pid for c in taken]
        assert _last_query(pg_ledger, pid) == "SELECT 41 AS marker"  # nothing sent since
    finally:
        for conn in taken:
            pool.putconn(conn)


def test_a_connection_the_server_ended_is_never_handed_out(pg_ledger: AuxLedger) -> None:
    pool = _pool(pg_ledger)
    with pool.connection() as conn:
        pid = conn.info.backend_pid
    with psycopg.connect(pg_ledger.settings.database.conninfo(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits for the end
    for _ in range(3):  # every connection handed out works; the ended one is replaced
        with pool.connection() as conn:
            assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}
            assert conn.info.backend_pid != pid
    assert pg_ledger.exists(uuid4()) is False  # and the ledger's own reads go on at once


@pytest.mark.parametrize(("statement", "user_timeout"), [("0.5", 3500), ("0", 0)])
def test_pooled_connections_carry_keepalives_and_a_tcp_user_timeout(
    postgres_url: str, tmp_path: Path, statement: str, user_timeout: int
) -> None:
    # A host that drops packets must fail a request, not hang it on an idle connection.
    settings = make_settings(
        tmp_path,
        postgres_url,
        AUXLEDGER_DATABASE_CONNECT_TIMEOUT="3",
        AUXLEDGER_DATABASE_STATEMENT_TIMEOUT=statement,
    )
    ledger = AuxLedger(settings, create_tables=True)
    try:
        with _pool(ledger).connection() as conn:
            given = conn.info.get_parameters()
            with socket.socket(fileno=os.dup(conn.fileno())) as sock:
                kernel = (
                    sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                    sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                    sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
                    sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
                    sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
                )
    finally:
        ledger.close()
    assert given["keepalives"] == "1"
    assert (given["keepalives_idle"], given["keepalives_interval"]) == ("3", "3")
    assert given.get("tcp_user_timeout", "0") == str(user_timeout)
    assert kernel == (1, 3, 3, 3, user_timeout)
