"""Fixtures for fault tests: a private PostgreSQL cluster per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.faults.cluster import PrivateCluster


@pytest.fixture(scope="module")
def private_cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster the module's tests may stop, restart and kill.

    Without initdb/pg_ctl the tests are skipped -- except under ``CI=true``, where that fails.
    """
    cluster = PrivateCluster.start_new()
    if cluster is None:
        message = "initdb/pg_ctl are not installed: fault tests need a private PostgreSQL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    with cluster:
        yield cluster


@pytest.fixture
def cluster_up(private_cluster: PrivateCluster) -> PrivateCluster:
    """The module's private cluster, started again if an earlier test left it down."""
    if not private_cluster.running():
        if private_cluster.postmaster_pid() is not None:
            private_cluster.stop("immediate")
        private_cluster.start()
    return private_cluster
