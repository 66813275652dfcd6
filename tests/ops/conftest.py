"""Fixtures for the operations tests: the CLI's environment for a fresh ledger."""

from __future__ import annotations

import pytest

from ledger.config import Settings
from ledger.records import AuxLedger
from tests.api.conftest import World, build_world


def database_url_of(settings: Settings) -> str:
    """``AUXLEDGER_DATABASE_URL`` for these settings (without a password)."""
    db = settings.database
    if not db.is_postgres:
        return f"sqlite:///{db.sqlite_path}"
    return f"postgresql://{db.user}@{db.host}:{db.port}/{db.dbname}?schema={db.schema}"


def environ_of(settings: Settings) -> dict[str, str]:
    """The settings as the ``AUXLEDGER_*`` variables a process is started with."""
    return {
        "AUXLEDGER_DATABASE_URL": database_url_of(settings),
        "AUXLEDGER_KEY_DIR": str(settings.key_dir),
        "AUXLEDGER_WITNESS_DIR": str(settings.witness_dir),
        "AUXLEDGER_LOG_ORIGIN": settings.log_origin,
    }


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The ``AUXLEDGER_*`` variables of a fresh ledger, for ``api.cli.main`` in this process."""
    for name, value in environ_of(settings).items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def world(aux_ledger: AuxLedger, settings: Settings) -> World:
    """The API tests' small world (organs, auxiliaries, tokens) on the current backend."""
    return build_world(aux_ledger, settings)
