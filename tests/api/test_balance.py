"""Even shares of connections among serve's workers (api.balance): the table and the server."""

from __future__ import annotations

import http.client
import os
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from api import balance
from api.balance import MIN_PER_WORKER, SLOTS, ConnectionTable, create_table
from tests.serving import free_port


def _dead_pid() -> int:
    """A pid no process has."""
    pid = 4_194_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


@pytest.fixture
def table_path(tmp_path: Path) -> Path:
    path = tmp_path / "connections"
    create_table(path)
    return path


def test_a_worker_clearly_above_the_rounded_up_mean_of_many_is_over_its_share(
    table_path: Path,
) -> None:
    ours = ConnectionTable(table_path)
    other = ConnectionTable(table_path, pid=os.getppid())  # another live process
    assert ours.slot != other.slot
    assert MIN_PER_WORKER == 4
    for _ in range(5):
        ours.opened()
    other.opened()
    # 5 + 1 over 2 workers: fewer than 4 each on average, so nobody is closed.
    assert not ours.over_share()
    ours.opened()
    other.opened()
    # 6 + 2 = 8: a share is 4, and a quarter of it (at least 1) is tolerated: 6 > 5.
    assert ours.over_share()
    assert not other.over_share()
    ours.closed()
    assert not ours.over_share()  # 5 + 2: below 8 again
    for _ in range(13):
        other.opened()
    for _ in range(21):
        ours.opened()
    # 26 + 15 = 41: a share is 21, tolerated up to 21 + 5 = 26; 27 is over it.
    assert ours.count == 26 and not ours.over_share() and not other.over_share()
    ours.opened()
    assert ours.over_share()


def test_a_lone_worker_is_never_over_its_share(table_path: Path) -> None:
    ours = ConnectionTable(table_path)
    for _ in range(50):
        ours.opened()
    assert not ours.over_share()


def test_a_dead_workers_slot_is_reused_and_a_released_slot_no_longer_counts(
    table_path: Path,
) -> None:
    dead = ConnectionTable(table_path, pid=_dead_pid())
    for _ in range(40):
        dead.opened()
    ours = ConnectionTable(table_path)
    assert ours.slot == dead.slot  # claimed from the dead worker, its 40 connections gone
    other = ConnectionTable(table_path, pid=os.getppid())
    for _ in range(9):
        ours.opened()
    assert ours.over_share()  # 9 against 0
    other.release()
    assert not ours.over_share()  # alone again


def test_a_worker_never_counts_below_zero(table_path: Path) -> None:
    ours = ConnectionTable(table_path)
    ours.closed()
    assert ours.count == 0


def test_a_full_table_of_live_workers_refuses_another(table_path: Path) -> None:
    live = os.getppid()
    table_path.write_bytes(struct.pack(f"<{2 * SLOTS}q", *[live, 1] * SLOTS))
    with pytest.raises(RuntimeError, match="no free slot"):
        ConnectionTable(table_path)


@pytest.fixture
def served(
    table_path: Path, monkeypatch: pytest.MonkeyPatch, app: FastAPI
) -> Iterator[tuple[int, ConnectionTable]]:
    """The real app under uvicorn with the counting protocol, as one of two workers."""
    monkeypatch.setenv(balance.TABLE_ENV, str(table_path))
    balance.WORKER.reset()  # this process looks for the table again, and finds ours
    other = ConnectionTable(table_path, pid=os.getppid())  # the other worker: no connections
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http="api.balance:HttpProtocol", log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield port, other
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        balance.WORKER.reset()


def _get(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
    conn.request("GET", "/healthz")
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    return response


def test_the_server_counts_connections_and_ends_one_above_its_share(
    served: tuple[int, ConnectionTable],
) -> None:
    port, other = served
    counted = balance.table()
    assert counted is not None and counted.slot != other.slot
    other.opened()
    other.opened()
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(6)]
    try:
        # Five of seven between two workers: under 4 each on average, all kept alive.
        for conn in conns[:5]:
            assert _get(conn).getheader("connection") is None
        assert counted.count == 5
        # A sixth makes 8 with the other's 2: a share is 4 (5 tolerated), so 6 is over it,
        # and the request in hand is answered and its connection then ended.
        answer = _get(conns[5])
        assert answer.getheader("connection") == "close"
        deadline = time.monotonic() + 5
        while counted.count != 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert counted.count == 5
        # The others are still open, and within the share.
        assert _get(conns[0]).getheader("connection") is None
        # Once the other worker holds more, this one may hold six again.
        other.opened()
        other.opened()
        assert _get(conns[5]).getheader("connection") is None  # reconnects: 6 of 10 is kept
        assert counted.count == 6
    finally:
        for conn in conns:
            conn.close()
    deadline = time.monotonic() + 5
    while counted.count != 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert counted.count == 0


def test_the_process_table_is_claimed_on_first_use_and_reset(
    table_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(balance.TABLE_ENV, str(table_path))
    balance.WORKER.reset()
    try:
        claimed = balance.table()
        assert claimed is not None and balance.table() is claimed
        claimed.opened()
        balance.WORKER.reset()  # the slot is given back and the table forgotten
        assert table_path.read_bytes() == bytes(len(table_path.read_bytes()))
        monkeypatch.delenv(balance.TABLE_ENV)
        assert balance.table() is None and not balance.over_share()
    finally:
        balance.WORKER.reset()
