"""A ledger's settings for another process or the CLI, and a real ``auxledger serve``.

One helper for every test that needs the server as a separate process (tests/api,
tests/integration, tests/faults, tests/ops): the settings become ``AUXLEDGER_*`` variables,
the server runs in its own session (so stopping it stops its workers too) with its output in
a log file, and start-up failures show that log. ``use_environ`` gives ``api.cli.main`` in
the test's own process the same variables.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.config import Settings

AUXLEDGER = str(Path(sys.executable).parent / "auxledger")


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


def use_environ(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Set the settings' ``AUXLEDGER_*`` variables for this test (for ``api.cli.main``)."""
    for name, value in environ_of(settings).items():
        monkeypatch.setenv(name, value)
    return settings


def serve_env(settings: Settings, **extra: str) -> dict[str, str]:
    """This process's environment with the ledger's settings, in production mode."""
    return {
        **os.environ,
        "AUXLEDGER_DATABASE_URL": database_url_of(settings),
        "AUXLEDGER_KEY_DIR": str(settings.key_dir),
        "AUXLEDGER_LOG_ORIGIN": settings.log_origin,
        "AUXLEDGER_ENV": "production",
        **extra,
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A started ``auxledger serve``."""

    base: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def start_serve(
    env: dict[str, str], log: Path, *, port: int | None = None, args: Sequence[str] = ()
) -> Served:
    """Start ``auxledger serve`` (output appended to ``log``); not waited for."""
    port = port or free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [AUXLEDGER, "serve", "--port", str(port), *args],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    return Served(f"http://127.0.0.1:{port}", port, process, log)


def wait_ready(served: Served, path: str = "/healthz", timeout: float = 60.0) -> None:
    """Wait until ``path`` answers 200; fail with the server's log if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(served.base + path, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        assert served.process.poll() is None, served.log.read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.3)


def stop(served: Served, stop_signal: int = signal.SIGINT) -> None:
    """Stop the server and its workers (``stop_signal``, then SIGKILL after 30 s)."""
    if served.process.poll() is not None:
        return
    os.killpg(served.process.pid, stop_signal)
    try:
        served.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(served.process.pid, signal.SIGKILL)
        served.process.wait(timeout=10)


@contextmanager
def serving(
    env: dict[str, str],
    log: Path,
    *,
    port: int | None = None,
    args: Sequence[str] = (),
    ready: str = "/healthz",
    stop_signal: int = signal.SIGINT,
) -> Iterator[Served]:
    """``auxledger serve`` from start-up (``ready`` answers 200) until the block ends."""
    served = start_serve(env, log, port=port, args=args)
    try:
        wait_ready(served, ready)
        yield served
    finally:
        stop(served, stop_signal)
