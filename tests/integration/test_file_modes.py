"""The SQLite ledger's files are the owner's only: database, WAL and shared memory 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.commands.organ import RegisterOrgan
from domain.values import Actor
from ledger.records import AuxLedger, Envelope
from projections.service import ReadModels
from tests.conftest import make_settings


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default umask (files 0644, folders 0755 unless asked otherwise)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_a_new_sqlite_ledger_and_its_wal_and_shm_are_0600_in_a_0700_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "var"
    path = folder / "ledger.sqlite"
    settings = make_settings(tmp_path, f"sqlite:///{path}")
    ledger = AuxLedger(settings, create_tables=True)
    models = ReadModels(ledger)
    try:
        ledger.initialise("test")
        admin = Actor(actor_id="setup-admin", role="admin", organ="320602", unit=None)
        ledger.register_organ(
            RegisterOrgan(code="320602", name="崇川分局", region="南通市"), Envelope(admin)
        )
        models.ensure()
        for name in models.names():
            models.catch_up(name)
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert all(f.exists() for f in files), sorted(p.name for p in folder.iterdir())
        assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o600" for f in files}
        assert oct(_mode(folder)) == "0o700"
    finally:
        models.close()
        ledger.close()


@pytest.mark.usefixtures("open_umask")
def test_a_read_model_database_file_it_creates_is_0600(tmp_path: Path) -> None:
    from projections.db import SQLiteDatabase  # noqa: PLC0415

    path = tmp_path / "models.sqlite"
    database = SQLiteDatabase(path)
    try:
        with database.read() as session:
            session.execute("SELECT 1")
        assert oct(_mode(path)) == "0o600"
    finally:
        database.close()
