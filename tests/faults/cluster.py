"""A private PostgreSQL cluster for fault tests: started, stopped and killed by the test.

The shared server at 127.0.0.1:5432 is never touched: a fault test that stops "the
database" stops only the cluster it started itself, in a temporary folder, on a free port.

Interface (other branches build on it; keep it stable):

- ``PrivateCluster.start_new()``: initdb + start; ``None`` when initdb/pg_ctl are not
  installed (``private_cluster`` in ``tests/faults/conftest.py`` turns that into a skip, or a
  failure under ``CI=true``).
- ``url(db="postgres", schema=None)``: a ``postgresql://`` URL for a database on it.
- ``create_database(name)``: a fresh database (returns its URL).
- ``stop(mode="fast")`` / ``start()`` / ``restart(mode="fast")``: ``pg_ctl`` with ``-w``.
- ``kill9_postmaster()``: SIGKILL to the postmaster (its backends end by themselves).
- ``running()``: does the cluster accept connections right now?
- ``cleanup()``: stop (immediate) and remove the folder; also on ``with`` exit.

As root, initdb and pg_ctl run as the ``postgres`` OS user (initdb refuses root), like
``_start_throwaway_cluster`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg

from tests.serving import free_port

__all__ = ["PrivateCluster", "find_bindir", "free_port"]

USER = "postgres"


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or None if PostgreSQL is not installed."""
    initdb = shutil.which("initdb") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    if not initdb:
        return None
    bindir = Path(initdb).resolve().parent
    return bindir if (bindir / "pg_ctl").exists() else None


class PrivateCluster:
    """One PostgreSQL cluster in a temporary folder, owned by the test that started it."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.logfile = root / "postgres.log"
        self.port = port
        self._run_as = ["runuser", "-u", USER, "--"] if os.geteuid() == 0 else []
        self._closed = False

    # ------------------------------------------------------------------ life cycle

    @classmethod
    def start_new(cls, *, attempts: int = 3) -> PrivateCluster | None:
        """initdb a new cluster and start it on a free port; None without PostgreSQL."""
        bindir = find_bindir()
        if bindir is None:
            return None
        root = Path(tempfile.mkdtemp(prefix="auxledger-faults-pg-"))
        cluster = cls(bindir, root, free_port())
        try:
            if cluster._run_as:
                shutil.chown(root, USER, USER)
            cluster._pg("initdb", "-D", str(cluster.data), "-U", USER, "-A", "trust", "--no-sync")
            for attempt in range(attempts):
                try:
                    cluster.start()
                    break
                except subprocess.CalledProcessError:
                    if attempt == attempts - 1:
                        raise
                    cluster.port = free_port()  # another process took the port meanwhile
        except BaseException:
            cluster.cleanup()
            raise
        return cluster

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._run_as, str(self.bindir / program), *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections.

        After ``kill9_postmaster`` the old backends may hold the shared memory for a moment:
        starting is retried for up to 10 s.
        """
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200"
        )
        deadline = time.monotonic() + 10
        while True:
            done = self._pg(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.logfile),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise subprocess.CalledProcessError(
                    done.returncode, "pg_ctl start", done.stdout, done.stderr + self._log_tail()
                )
            time.sleep(0.3)

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m <mode>`` (smart, fast or immediate) and wait until it is down."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"unknown stop mode {mode!r}")
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop (``mode``) and start again on the same port."""
        self.stop(mode)
        self.start()

    def postmaster_pid(self) -> int | None:
        """The postmaster's pid from ``postmaster.pid``, or None if it is not running."""
        try:
            first = (self.data / "postmaster.pid").read_text().splitlines()[0]
        except (OSError, IndexError):
            return None
        return int(first)

    def kill9_postmaster(self) -> None:
        """SIGKILL the postmaster and wait until it is gone (a crash, not a shutdown)."""
        pid = self.postmaster_pid()
        if pid is None:
            raise RuntimeError("the private cluster is not running")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            # Reap it if it is our child (it is not, pg_ctl daemonises; but be safe).
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.05)
        raise RuntimeError(f"postmaster {pid} survived SIGKILL for 10 s")

    def running(self) -> bool:
        """Does the cluster accept a connection right now?"""
        try:
            with psycopg.connect(self.url(), connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def cleanup(self) -> None:
        """Stop the cluster (immediate) and remove its folder. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self.data.exists():
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # ------------------------------------------------------------------ databases

    def url(self, db: str = "postgres", schema: str | None = None) -> str:
        """A ``postgresql://`` URL for database ``db`` (and ``?schema=``) on this cluster."""
        base = f"postgresql://{USER}@127.0.0.1:{self.port}/{db}"
        return f"{base}?schema={schema}" if schema else base

    def create_database(self, name: str) -> str:
        """Create database ``name`` and answer its URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _log_tail(self) -> str:
        try:
            return "\n" + "\n".join(self.logfile.read_text().splitlines()[-20:])
        except OSError:
            return ""
