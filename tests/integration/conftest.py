"""What the integration suites share: the command line run in the test's own process."""

from __future__ import annotations

import pytest

from api.cli import main
from ledger.config import Settings
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
