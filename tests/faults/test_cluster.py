"""The private-cluster helper itself: stop, start, restart and kill -9 really happen."""

from __future__ import annotations

import psycopg
import pytest

from tests.faults.cluster import PrivateCluster


def test_the_private_cluster_stops_starts_and_survives_a_kill(cluster_up: PrivateCluster) -> None:
    cluster = cluster_up
    assert cluster.port != 5432
    url = cluster.create_database("helper_check")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
    cluster.stop("fast")
    assert not cluster.running()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    cluster.start()
    cluster.restart("immediate")
    cluster.kill9_postmaster()
    assert not cluster.running()
    cluster.start()
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT x FROM t").fetchone() == (1,)
