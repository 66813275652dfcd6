"""What the integration suites share: the command line run in the test's own process, and the
events of one class a ledger holds."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.utils import get_topic

from api.cli import main
from ledger.config import Settings
from ledger.records import AuxLedger
from tests.serving import use_environ


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test's settings as the ``AUXLEDGER_*`` variables ``api.cli.main`` reads."""
    return use_environ(settings, monkeypatch)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``auxledger argv...`` in this process: its exit code, standard output and error."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def recorded(ledger: AuxLedger, event: type) -> list[Any]:
    """Every ``event`` the ledger holds (up to 100,000), in log order, as domain events."""
    rows = ledger.recorder.select_notifications(
        start=None, limit=100_000, topics=[get_topic(event)]
    )
    return [ledger.mapper.to_domain_event(row) for row in rows]
