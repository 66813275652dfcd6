"""Fixtures of the read-model tests: the hand-built data set on both backends.

``built`` records the data set once per backend and module (building it takes a second or
two) and rebuilds the read models; tests that only read share it. Tests that change the
ledger or the read models use the function-scoped ``aux_ledger`` fixture instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.records import AuxLedger
from projections.service import ReadModels
from tests.conftest import initialised, make_settings, new_schema
from tests.projections import dataset


@dataclass
class Built:
    """A ledger with the data set, and its rebuilt read models."""

    ledger: AuxLedger
    models: ReadModels
    data: dataset.Dataset
    backend: str


def _url(backend: str, tmp: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'ledger.sqlite'}"
    server: Any = request.getfixturevalue("postgres_server")
    if server is None:
        pytest.skip("PostgreSQL not available (see the warning above)")
    return str(server.url(new_schema()))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    """The data set on one backend, with its read models rebuilt (shared; do not change)."""
    tmp = tmp_path_factory.mktemp(f"projections-{request.param}")
    settings = make_settings(tmp, _url(request.param, tmp, request))
    ledger = initialised(AuxLedger, settings)
    data = dataset.build(ledger)
    models = ReadModels(ledger)
    models.rebuild()
    try:
        yield Built(ledger, models, data, request.param)
    finally:
        models.close()
        ledger.close()


@pytest.fixture
def fresh(aux_ledger: AuxLedger) -> Iterator[Built]:
    """The data set in this test's own ledger (from ``aux_ledger``), read models not built."""
    data = dataset.build(aux_ledger)
    models = ReadModels(aux_ledger)
    models.ensure()
    try:
        yield Built(aux_ledger, models, data, aux_ledger.settings.database.backend)
    finally:
        models.close()


@pytest.fixture
def lifecycle(fresh: Built) -> Built:
    """``fresh`` with the life-cycle facts of ``dataset.record_lifecycle``, read models
    rebuilt."""
    dataset.record_lifecycle(fresh.ledger)
    fresh.models.rebuild()
    return fresh


def by_hand(built: Built, template: str, params: tuple[object, ...] = ()) -> None:
    """Run one statement on the read models' database on a connection of its own, as an
    operator with database access would (bypassing the projections)."""
    db = built.models.db
    statement = db.compile(template)
    values = list(db.encode(params))
    if built.backend == "sqlite":
        path = built.ledger.settings.database.sqlite_path
        conn = sqlite3.connect(str(path), isolation_level=None)
        try:
            conn.execute(statement, values)
        finally:
            conn.close()
    else:
        with psycopg.connect(built.ledger.settings.database.conninfo(), autocommit=True) as pg:
            pg.execute(statement, values)
