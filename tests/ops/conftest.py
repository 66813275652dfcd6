"""Fixtures for the operations tests: the CLI's environment for a fresh ledger."""

from __future__ import annotations

import pytest

from ledger.config import Settings
from ledger.records import AuxLedger
from tests.api.conftest import World, build_world
from tests.serving import environ_of, use_environ

__all__ = ["cli_env", "environ_of", "world"]


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The ``AUXLEDGER_*`` variables of a fresh ledger, for ``api.cli.main`` in this process."""
    return use_environ(settings, monkeypatch)


@pytest.fixture
def world(aux_ledger: AuxLedger, settings: Settings) -> World:
    """The API tests' small world (organs, auxiliaries, tokens) on the current backend."""
    return build_world(aux_ledger, settings)
