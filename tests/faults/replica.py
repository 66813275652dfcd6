"""A streaming replica of a private cluster: ``pg_basebackup -R`` into a folder of its own.

``start_replica(primary)`` copies the running primary (``tests.faults.cluster.PrivateCluster``)
with ``pg_basebackup -R -X stream`` -- which writes ``standby.signal`` and the
``primary_conninfo`` -- and starts the copy as a hot standby on another free port. The
primary needs ``wal_level=replica`` and a free WAL sender (initdb's defaults) and a
``replication`` entry in ``pg_hba.conf`` for 127.0.0.1 (initdb's ``-A trust`` writes one;
``allow_replication`` makes sure). The replica is a ``PrivateCluster`` too: ``stop``,
``start``, ``url`` and ``cleanup`` work on it the same way.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import psycopg

from tests.faults.cluster import USER, PrivateCluster, free_port

__all__ = ["allow_replication", "start_replica", "wait_for_replay"]


def allow_replication(primary: PrivateCluster) -> None:
    """A trusted replication entry for 127.0.0.1 in the primary's ``pg_hba.conf``, and
    ``wal_level``/``max_wal_senders`` checked (reloaded if the entry was added)."""
    hba = primary.data / "pg_hba.conf"
    lines = hba.read_text().splitlines()
    entry = "host replication all 127.0.0.1/32 trust"
    if not any(line.split() == entry.split() for line in lines):
        hba.write_text("\n".join([*lines, entry]) + "\n")
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_setting('wal_level'), current_setting('max_wal_senders')::int"
        ).fetchone()
    assert row is not None and row[0] in ("replica", "logical") and row[1] > 0, row


def start_replica(primary: PrivateCluster) -> PrivateCluster:
    """A hot standby of ``primary``, streaming from it, started on a free port."""
    allow_replication(primary)
    root = Path(tempfile.mkdtemp(prefix="auxledger-faults-replica-"))
    replica = PrivateCluster(primary.bindir, root, free_port())
    try:
        if replica._run_as:
            shutil.chown(root, USER, USER)
        replica._pg(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            USER,
            "-D",
            str(replica.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        replica.start()
    except BaseException:
        replica.cleanup()
        raise
    return replica


def wait_for_replay(primary: PrivateCluster, replica: PrivateCluster, timeout: float = 10) -> None:
    """Until the replica has replayed everything the primary had written when called."""
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    target = row[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica.url(), autocommit=True) as conn:
        while True:
            done = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()
            if done and done[0]:
                return
            assert time.monotonic() < deadline, "the replica did not replay the primary's WAL"
            time.sleep(0.05)
