"""Our recorder subclasses pass the eventsourcing library's own recorder test cases.

The library's cases insert arbitrary bytes; our recorders log them like any record, signing
each checkpoint with a throwaway key given as the recorder's default signer.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from ledger.keys import PublicKey, SigningKey
from ledger.log import MerkleLog
from ledger.merkle import leaf_hash, root_from_leaf_hashes
from ledger.persistence import LogConfig, PostgresLedgerRecorder, SQLiteLedgerRecorder
from tests.conftest import PostgresServer


def _signer() -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return SigningKey(PublicKey.from_raw("contract.test/log", raw), private)


def _sqlite_recorder() -> SQLiteLedgerRecorder:
    folder = Path(tempfile.mkdtemp(prefix="auxledger-contract-"))
    datastore = SQLiteDatastore(db_name=str(folder / "db.sqlite"))
    recorder = SQLiteLedgerRecorder(datastore)
    recorder.log_config = LogConfig(origin="contract.test/log", default_signer=_signer())
    recorder.create_table()
    return recorder


def _postgres_recorder(server: PostgresServer) -> PostgresLedgerRecorder:
    import psycopg  # noqa: PLC0415

    schema = "c_" + secrets.token_hex(6)
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    host_part = server.admin_url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_part.partition(":")
    user = server.admin_url.split("//", 1)[1].split("@", 1)[0]
    datastore = PostgresDatastore(
        dbname=server.database,
        host=host,
        port=port or "5432",
        user=user,
        password="",
        schema=schema,
        pool_size=4,
        max_overflow=10,
    )
    recorder = PostgresLedgerRecorder(datastore, events_table_name="contract_events")
    recorder.log_config = LogConfig(origin="contract.test/log", default_signer=_signer())
    recorder.create_table()
    return recorder


@pytest.fixture(scope="class")
def pg_server(request: pytest.FixtureRequest, postgres_server: PostgresServer | None) -> None:
    if postgres_server is None:
        pytest.skip("PostgreSQL not available (see the warning above)")
    request.cls.server = postgres_server


class TestSQLiteApplicationContract(ApplicationRecorderTestCase[SQLiteLedgerRecorder]):
    def create_recorder(self) -> SQLiteLedgerRecorder:
        self._last = _sqlite_recorder()
        return self._last

    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None:
        super().test_concurrent_no_conflicts(initial_position)
        assert_log_matches_events(self._last)


class TestSQLiteNonInterleaving(NonInterleavingNotificationIDsBaseCase):
    insert_num = 300

    def create_recorder(self) -> SQLiteLedgerRecorder:  # type: ignore[override]
        return _sqlite_recorder()


@pytest.mark.usefixtures("pg_server")
class TestPostgresApplicationContract(ApplicationRecorderTestCase[PostgresLedgerRecorder]):
    server: PostgresServer
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False

    def create_recorder(self) -> PostgresLedgerRecorder:
        self._last = _postgres_recorder(self.server)
        return self._last

    def test_concurrent_no_conflicts(self, initial_position: int = 0) -> None:
        super().test_concurrent_no_conflicts(initial_position)
        assert_log_matches_events(self._last)


@pytest.mark.usefixtures("pg_server")
class TestPostgresNonInterleaving(NonInterleavingNotificationIDsBaseCase):
    server: PostgresServer
    insert_num = 300

    def create_recorder(self) -> PostgresLedgerRecorder:  # type: ignore[override]
        return _postgres_recorder(self.server)


def assert_log_matches_events(recorder: SQLiteLedgerRecorder | PostgresLedgerRecorder) -> None:
    """After concurrent writers, every event is a leaf, in notification order, root signed."""
    log = MerkleLog(recorder)
    size = log.tree_size()
    notifications = recorder.select_notifications(start=None, limit=size + 10)
    assert len(notifications) == size
    leaves = [leaf_hash(n.state) for n in notifications]
    checkpoint = log.latest_checkpoint()
    assert checkpoint is not None and checkpoint.tree_size == size
    assert checkpoint.root == root_from_leaf_hashes(leaves)
    assert [i for i, _ in log.entries(0, size)] == list(range(size))
