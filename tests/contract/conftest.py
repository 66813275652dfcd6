"""The contract cases' backends: each concrete case class names its backend by a mixin.

The abstract cases (``*Contract`` classes, not collected) hold the tests and call a factory
method; ``OnSQLite`` and ``OnPostgres`` pin the ``backend`` fixture of tests/conftest.py for
the tests of the class that mixes them in, so ``database_url`` and ``settings`` give a fresh
SQLite file or a fresh PostgreSQL schema per test. Every case runs on both backends, whatever
the default backend of the other suites is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.config import Settings
from ledger.records import AuxLedger
from tests.conftest import PostgresServer


class OnSQLite:
    """Concrete case on a fresh SQLite file."""

    @pytest.fixture
    def backend(self) -> str:
        """This class runs on SQLite."""
        return "sqlite"


class OnPostgres:
    """Concrete case on a fresh PostgreSQL schema (fails under CI=true without PostgreSQL)."""

    @pytest.fixture
    def backend(self, postgres_server: PostgresServer | None) -> str:
        """This class runs on PostgreSQL."""
        if postgres_server is None:
            pytest.skip("PostgreSQL not available (see the warning above)")
        return "postgres"


@pytest.fixture
def ledger(settings: Settings) -> Iterator[AuxLedger]:
    """A ledger with its tables created but not initialised (no keys, no check value)."""
    app = AuxLedger(settings, create_tables=True)
    try:
        yield app
    finally:
        app.close()
