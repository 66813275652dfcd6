"""``deploy/backup.sh`` and ``deploy/restore.sh``, run exactly as docs/operations.md says.

On both backends, with ``auxledger serve`` running during the backups: a backup restored into
a new database verifies clean against the witness and its read models check clean; a backup
taken before later writes that the witness saw is caught as ``witness_rollback`` (exit 1).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from domain.commands.auxiliary import RevokeCredential
from domain.values import Actor
from ledger.config import Settings
from ledger.records import Envelope
from tests.api.conftest import ORGAN, World
from tests.conftest import PostgresServer
from tests.ops.conftest import environ_of
from tests.serving import serving

ROOT = Path(__file__).resolve().parents[2]
BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"
AUXLEDGER = Path(sys.executable).parent / "auxledger"


def _env(settings: Settings, database_url: str | None = None) -> dict[str, str]:
    env = {**os.environ, **environ_of(settings), "AUXLEDGER_ENV": "production"}
    if database_url is not None:
        env["AUXLEDGER_DATABASE_URL"] = database_url
    return env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=300)


def _verify(env: dict[str, str]) -> tuple[int, dict[str, object]]:
    result = _run([str(AUXLEDGER), "verify", "--json"], env)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


@contextmanager
def _serving(settings: Settings, log: Path) -> Iterator[None]:
    """``auxledger serve`` on this ledger until the block ends."""
    with serving(_env(settings), log, ready="/readyz"):
        yield


def _write(world: World, serial: str) -> None:
    """One more event through the application service (a credential revoked)."""
    world.ledger.command_auxiliary(
        world.other_unit_auxiliary,
        RevokeCredential(kind="work_id", serial=serial, reason="遗失"),
        Envelope(Actor("setup-personnel", "personnel", ORGAN, None)),
    )


@pytest.fixture
def new_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """``new(schema) -> URL`` of a new, empty database; PostgreSQL ones dropped at the end."""
    created: list[str] = []
    server: PostgresServer | None = (
        request.getfixturevalue("postgres_server") if backend == "postgres" else None
    )

    def new(schema: str) -> str:
        name = f"auxledger_restore_{secrets.token_hex(4)}"
        if server is None:
            return f"sqlite:///{tmp_path / name}.sqlite"
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"{server.admin_url.rsplit('/', 1)[0]}/{name}?schema={schema}"

    yield new
    if server is not None:
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            for name in created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_backup_restore_verify_and_an_older_backup_is_a_rollback(
    world: World, tmp_path: Path, new_database: object
) -> None:
    settings = world.settings
    env = _env(settings)
    code, first = _verify(env)
    assert code == 0, first
    older, newer = tmp_path / "older.backup", tmp_path / "newer.backup"
    with _serving(settings, tmp_path / "serve.log"):
        backup = _run([str(BACKUP), str(older)], env)
        assert backup.returncode == 0, backup.stderr
        assert older.stat().st_mode & 0o777 == 0o600
        # Writes after the older backup, which the witness then sees.
        _write(world, "NTFJ0602000002")
        code, seen = _verify(env)
        assert code == 0 and seen["tree_size"] > first["tree_size"], seen  # type: ignore[operator]
        backup = _run([str(BACKUP), str(newer)], env)
        assert backup.returncode == 0, backup.stderr
    refused = _run([str(BACKUP), str(newer)], env)
    assert refused.returncode == 2 and "already exists" in _one_line(refused)

    schema = settings.database.schema
    new = new_database  # type: ignore[assignment]
    restored = new(schema)  # type: ignore[operator]
    result = _run([str(RESTORE), str(newer)], _env(settings, restored))
    assert result.returncode == 0, result.stderr
    code, report = _verify(_env(settings, restored))
    assert code == 0 and report["ok"], report
    assert (
        report["tree_size"] == seen["tree_size"] and report["witnessed_size"] == seen["tree_size"]
    )
    assert "projections check --drift-only" in result.stdout
    # Before any unit runs on it: the drift is judged, the backup's heartbeats are not.
    check = _run([str(AUXLEDGER), "projections", "check", "--drift-only"], _env(settings, restored))
    assert check.returncode == 0, check.stdout + check.stderr

    # Restoring over a ledger is refused in one line and changes nothing.
    again = _run([str(RESTORE), str(older)], _env(settings, restored))
    assert again.returncode == 2 and "already exists" in _one_line(again)
    assert _verify(_env(settings, restored))[1]["tree_size"] == seen["tree_size"]

    rolled_back = new(schema)  # type: ignore[operator]
    result = _run([str(RESTORE), str(older)], _env(settings, rolled_back))
    assert result.returncode == 0, result.stderr
    code, report = _verify(_env(settings, rolled_back))
    assert code == 1 and not report["ok"]
    assert "witness_rollback" in {f["kind"] for f in report["failures"]}  # type: ignore[attr-defined]
    # The witness did not move back.
    assert _verify(_env(settings, restored))[0] == 0


def test_restore_refuses_the_wrong_kind_of_backup(
    world: World, tmp_path: Path, new_database: object
) -> None:
    settings = world.settings
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all\n")
    target = new_database(settings.database.schema)  # type: ignore[operator]
    result = _run([str(RESTORE), str(junk)], _env(settings, target))
    assert result.returncode == 2 and "is not a" in _one_line(result)
    missing = _run([str(RESTORE), str(tmp_path / "nowhere")], _env(settings, target))
    assert missing.returncode == 2 and "no backup file" in _one_line(missing)
    usage = _run([str(BACKUP)], _env(settings))
    assert usage.returncode == 2 and "usage" in _one_line(usage)
