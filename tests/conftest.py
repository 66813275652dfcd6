"""Shared fixtures: the same test bodies run on a real SQLite file and a real PostgreSQL.

PostgreSQL for tests, in this order: ``AUXLEDGER_TEST_POSTGRES_URL`` if set; else
127.0.0.1:5432 if it answers; else a throwaway cluster started with ``initdb``/``pg_ctl``
when they are installed; else the PostgreSQL tests are skipped with a loud warning -- except
under ``CI=true``, where a missing PostgreSQL fails the run.

Each test run creates its own database (dropped at the end), and each test its own schema,
so runs and tests never collide.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.config import Settings


@dataclass
class PostgresServer:
    """A reachable server and the throwaway database this run created on it."""

    admin_url: str
    database: str
    cluster_dir: Path | None = None

    def url(self, schema: str | None = None) -> str:
        base = self.admin_url.rsplit("/", 1)[0] + "/" + self.database
        return f"{base}?schema={schema}" if schema else base


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _start_throwaway_cluster() -> tuple[str, Path] | None:
    initdb = shutil.which("initdb") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    if not initdb:
        return None
    bindir = Path(initdb).parent
    data = Path(tempfile.mkdtemp(prefix="auxledger-pg-"))
    port = 55432 + secrets.randbelow(1000)
    user = "postgres"
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root; run the cluster as the postgres OS user
        shutil.chown(data, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return f"postgresql://{user}@127.0.0.1:{port}/postgres", data


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """A PostgreSQL server with a fresh database for this run, or None (skip/fail)."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    url = os.environ.get("AUXLEDGER_TEST_POSTGRES_URL")
    cluster: Path | None = None
    if not url:
        default = "postgresql://postgres@127.0.0.1:5432/postgres"
        if _answers(default):
            url = default
        else:
            started = _start_throwaway_cluster()
            if started:
                url, cluster = started
    if not url or not _answers(url):
        message = (
            "PostgreSQL is not available: set AUXLEDGER_TEST_POSTGRES_URL, start the local "
            "server, or install initdb/pg_ctl"
        )
        if in_ci:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        warnings.warn(f"SKIPPING ALL POSTGRESQL TESTS: {message}", stacklevel=1)
        yield None
        return
    database = f"auxledger_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    server = PostgresServer(admin_url=url, database=database, cluster_dir=cluster)
    try:
        yield server
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if cluster is not None:
            run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run(
                [*run_as, "pg_ctl", "-D", str(cluster), "-m", "immediate", "stop"],
                check=False,
                capture_output=True,
            )
            shutil.rmtree(cluster, ignore_errors=True)


def new_schema() -> str:
    """A fresh schema name for one test."""
    return "t_" + secrets.token_hex(6)


def make_settings(tmp_path: Path, database_url: str, **extra: str) -> Settings:
    """Settings for a fresh ledger under ``tmp_path``."""
    keys = tmp_path / "keys"
    witness = tmp_path / "witness"
    env = {
        "AUXLEDGER_DATABASE_URL": database_url,
        "AUXLEDGER_KEY_DIR": str(keys),
        "AUXLEDGER_WITNESS_DIR": str(witness),
        "AUXLEDGER_LOG_ORIGIN": "test.auxledger.local/ledger",
        **extra,
    }
    return Settings.from_environ(env)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test on both backends."""
    name: str = request.param
    if name == "postgres" and request.getfixturevalue("postgres_server") is None:
        pytest.skip("PostgreSQL not available (see the warning above)")
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database (SQLite file or PostgreSQL schema) for this test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url(new_schema())


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a fresh ledger on the current backend."""
    return make_settings(tmp_path, database_url)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer | None) -> str:
    """A fresh PostgreSQL schema URL (PostgreSQL-only tests)."""
    if postgres_server is None:
        pytest.skip("PostgreSQL not available (see the warning above)")
    return postgres_server.url(new_schema())


@pytest.fixture
def aux_ledger(settings: Settings) -> Iterator[Any]:
    """A fresh, initialised ``AuxLedger`` on the current backend."""
    from ledger.records import AuxLedger  # noqa: PLC0415

    ledger = AuxLedger(settings, create_tables=True)
    ledger.initialise("test")
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture(autouse=True)
def _close_unreferenced_ledgers() -> Iterator[None]:
    """Applications a test dropped close their connection pools now, not at interpreter exit."""
    yield
    import gc  # noqa: PLC0415

    gc.collect()
