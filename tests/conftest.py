"""Shared fixtures: the same test bodies run on a real SQLite file and a real PostgreSQL.

PostgreSQL for tests, in this order: ``AUXLEDGER_TEST_POSTGRES_URL`` if set; else
127.0.0.1:5432 if it answers; else a throwaway cluster started with ``initdb``/``pg_ctl``
when they are installed; else the PostgreSQL tests are skipped with a loud warning -- except
under ``CI=true``, where a missing PostgreSQL fails the run.

Each test run creates its own database (dropped at the end), and each test its own schema,
so runs and tests never collide.

Backends per suite: the seams between the code and a backend have contract cases on both
(tests/contract), and tests/integration, tests/browser and tests/faults run as they always
did. tests/api, tests/console and tests/projections run on ``DEFAULT_BACKEND`` only, except
the tests marked ``@pytest.mark.both_backends`` (concurrency, locks, LISTEN/NOTIFY, worker
processes: where the backend really matters). Their other backend's variants are deselected,
and said so in the header and the summary; ``AUXLEDGER_TEST_BACKENDS=both`` runs every test
on both backends.
"""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
import pytest

from ledger.config import Settings

if TYPE_CHECKING:
    from ledger.application import LedgerApplication

App = TypeVar("App", bound="LedgerApplication")

DEFAULT_BACKEND = "sqlite"
"""The one backend of the suites in ``ONE_BACKEND_SUITES``: SQLite, the embedded default, is
the faster of the two, and needs no server; PostgreSQL's side of every seam is covered by
the contract cases, tests/integration, tests/browser, tests/faults and the tests marked
``both_backends``."""

ONE_BACKEND_SUITES = ("api", "console", "projections")
"""The folders under tests/ whose tests run on ``DEFAULT_BACKEND`` only by default."""

BACKEND_PARAMETERS = ("backend", "built")
"""Fixtures parametrised by backend name (``built`` is the projections' shared data set)."""

BACKENDS_ENV = "AUXLEDGER_TEST_BACKENDS"

_LEFT_OUT = pytest.StashKey[int]()


def _all_backends() -> bool:
    value = os.environ.get(BACKENDS_ENV, "").strip().lower()
    if value not in ("", "one", "both"):
        raise pytest.UsageError(f"{BACKENDS_ENV} is 'one' (the default) or 'both', not {value!r}")
    return value == "both"


def _other_backend(item: pytest.Item, root: Path) -> bool:
    """Whether ``item`` is a variant this run leaves out (a one-backend suite, other backend)."""
    try:
        parts = item.path.relative_to(root).parts
    except ValueError:
        return False
    if len(parts) < 2 or parts[0] != "tests" or parts[1] not in ONE_BACKEND_SUITES:
        return False
    if item.get_closest_marker("both_backends") is not None:
        return False
    params = getattr(getattr(item, "callspec", None), "params", {})
    return any(
        params.get(name) not in (None, DEFAULT_BACKEND)
        for name in BACKEND_PARAMETERS
        if name in params
    )


def pytest_report_header(config: pytest.Config) -> str:
    """Say which backends the one-backend suites run on."""
    if _all_backends():
        return f"backends: every test on both ({BACKENDS_ENV}=both)"
    suites = ", ".join(f"tests/{s}" for s in ONE_BACKEND_SUITES)
    return (
        f"backends: {suites} on {DEFAULT_BACKEND} only, except @both_backends tests "
        f"({BACKENDS_ENV}=both runs all on both)"
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything collection built (modules, test functions, parameters) out of the
    garbage collector's reach. ``_close_unreferenced_ledgers`` collects after every test; with
    the heap of a whole session's collection in its way, each of those passes took 0.17 s (idle)
    to 1 s (loaded machine); the suite from a fresh clone went from 867-933 s to 552 s.
    Frozen, a pass walks only what the tests made since."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the other backend's variants of the one-backend suites (see the docstring)."""
    if _all_backends():
        return
    left_out = [item for item in items if _other_backend(item, config.rootpath)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        kept = set(left_out)
        items[:] = [item for item in items if item not in kept]
    config.stash[_LEFT_OUT] = len(left_out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Count the variants left out, so a reader of the summary knows."""
    if _all_backends():
        return
    left_out = config.stash.get(_LEFT_OUT, None)
    if left_out is None:  # pytest-xdist's controller: its workers collected and deselected
        terminalreporter.write_line(
            f"backends: {', '.join(ONE_BACKEND_SUITES)} ran on {DEFAULT_BACKEND} only "
            f"but for their @both_backends tests ({BACKENDS_ENV}=both runs all on both)"
        )
    elif left_out:
        terminalreporter.write_line(
            f"backends: {left_out} tests deselected: the other backend's variants of "
            f"{', '.join(ONE_BACKEND_SUITES)} ({BACKENDS_ENV}=both runs them)"
        )


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


def _in_threads(run: Callable[[Any], None], inputs: Sequence[Any]) -> None:
    """``run(x)`` for every input, each in a thread of its own; back when all have ended (each
    given at most a minute, so that a test stuck on a lock fails instead of hanging)."""
    threads = [threading.Thread(target=run, args=(value,)) for value in inputs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def at_once(work: Callable[[Any], object], inputs: Sequence[Any]) -> list[BaseException]:
    """Run ``work(x)`` for every input in threads released together; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(inputs))

    def run(value: Any) -> None:
        try:
            start.wait(10)
            work(value)
        except BaseException as e:  # returned to the test
            errors.append(e)

    _in_threads(run, inputs)
    return errors


def race(
    prepare: Callable[[Any], Callable[[], object]],
    inputs: Sequence[Any],
    refusals: tuple[type[BaseException], ...],
) -> list[str]:
    """For every input, a thread that runs ``prepare(x)`` (its own connection, warmed) and,
    once all are prepared, the commit it returned, all released together: "won" for each
    commit that returned, "refused" for each that raised one of ``refusals``. Any other error
    leaves its thread without an outcome."""
    outcomes: list[str] = []
    start = threading.Barrier(len(inputs))

    def run(value: Any) -> None:
        commit = prepare(value)
        start.wait(10)
        try:
            commit()
            outcomes.append("won")
        except refusals:
            outcomes.append("refused")

    _in_threads(run, inputs)
    return outcomes


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


def initialised(app_type: type[App], settings: Settings) -> App:
    """A new application of ``app_type`` (``LedgerApplication``, ``AuxLedger``) on
    ``settings``: its tables created, initialised as actor "test"; the caller closes it."""
    app = app_type(settings, create_tables=True)
    app.initialise("test")
    return app


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

    with closing(initialised(AuxLedger, settings)) as ledger:
        yield ledger


@pytest.fixture(autouse=True)
def _close_unreferenced_ledgers() -> Iterator[None]:
    """Applications a test dropped close their connection pools now, not at interpreter exit."""
    yield
    gc.collect()
