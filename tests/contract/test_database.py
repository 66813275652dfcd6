"""Contract of the read models' database (``projections.db``), on both backends.

Templates compile to the backend's form; every column type crosses the boundary as its
Python type; sessions are transactions (a write commits only if its block ends without
error, a read cannot write and sees one state); writes take their lock from the start; at
most one holder leads a projection (``LeaderLock``).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, InternalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from ledger.records import AuxLedger
from projections.db import (
    Database,
    LeaderLock,
    PostgresDatabase,
    PostgresLeaderLock,
    SQLiteDatabase,
    SQLiteLeaderLock,
    placeholder,
)
from projections.tables import Column, Table
from tests.contract.conftest import OnPostgres, OnSQLite

KINDS = Table(
    "rm_contract_kinds",
    (
        Column("kind_id", "int", nullable=False),
        Column("kind_text", "text"),
        Column("kind_date", "date"),
        Column("kind_uuid", "uuid"),
        Column("kind_bool", "bool"),
        Column("kind_money", "money"),
        Column("kind_instant", "instant"),
    ),
    key=("kind_id",),
    mode="whole",
    indexes=(("kind_date",), ("kind_uuid", "kind_text")),
)

SAMPLE: dict[str, Any] = {
    "kind_id": 1,
    "kind_text": "第一 ' \" ; -- text",
    "kind_date": date(2024, 2, 29),
    "kind_uuid": UUID("0f8fad5b-d9cb-469f-a165-70867728950e"),
    "kind_bool": True,
    "kind_money": Decimal("12345678901234.5678"),  # more digits than a float holds
    "kind_instant": datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC),
}
# The library's datastore wraps psycopg's errors in its own.
WRITE_ERRORS = (sqlite3.OperationalError, psycopg.errors.ReadOnlySqlTransaction, InternalError)
KEY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError, IntegrityError)


def _row(kind_id: int, **values: Any) -> tuple[Any, ...]:
    row = {c: None for c in KINDS.column_names} | {"kind_id": kind_id} | values
    return tuple(row[c] for c in KINDS.column_names)


class DatabaseContract(ABC):
    """What every backend's read-model database does."""

    @abstractmethod
    def create_database(self, ledger: AuxLedger) -> Database:
        """A new database object (with connections of its own) on the ledger's database."""

    @abstractmethod
    def create_leader_lock(self, ledger: AuxLedger, name: str) -> LeaderLock:
        """A new holder of the leader lock ``name``."""

    @abstractmethod
    def hold_lock_in_a_process(self, ledger: AuxLedger, name: str) -> subprocess.Popen[str]:
        """A process that takes the leader lock ``name``, prints "held" and sleeps."""

    @pytest.fixture
    def db(self, ledger: AuxLedger) -> Iterator[Database]:
        db = self.create_database(ledger)
        with db.write(None) as session:
            for statement in db.create_statements(KINDS):
                session.cursor.execute(statement)
        try:
            yield db
        finally:
            db.close()

    @staticmethod
    def ids(db: Database) -> list[int]:
        with db.read() as s:
            return [
                r["kind_id"]
                for r in s.query("SELECT kind_id FROM {rm_contract_kinds}", tables=(KINDS,))
            ]

    # ------------------------------------------------------------------ templates

    def test_table_names_must_be_lower_case_identifiers(self, db: Database) -> None:
        with pytest.raises(ValueError, match="not a table name"):
            placeholder("")
        for bad in ("Users", "a-b", "x; DROP TABLE y", "1abc", "a" * 64):
            with pytest.raises(ValueError, match="not a table name"):
                placeholder(bad)
            with pytest.raises(ValueError, match="not a table name"):
                db.compile("SELECT 1 FROM {" + bad + "}")

    def test_a_template_compiles_once(self, db: Database) -> None:
        template = "SELECT kind_id FROM {rm_contract_kinds} WHERE kind_id = %s"
        assert db.compile(template) is db.compile(template)

    def test_parameters_are_bound_never_formatted(self, db: Database) -> None:
        hostile = "x'); DROP TABLE rm_contract_kinds; --"
        with db.write(None) as s:
            s.execute(db.insert_template(KINDS), _row(1, kind_text=hostile))
        with db.read() as s:
            assert s.scalar("SELECT kind_text FROM {rm_contract_kinds}") == hostile
        assert db.table_exists(KINDS.name)

    # ------------------------------------------------------------------ values

    def test_every_column_type_comes_back_as_its_python_type(self, db: Database) -> None:
        with db.write(None) as s:
            s.execute(db.insert_template(KINDS), [SAMPLE[c] for c in KINDS.column_names])
            s.execute(db.insert_template(KINDS), _row(2))
        with db.read() as s:
            rows = s.query(db.select_template(KINDS, "kind_id = %s"), [1], tables=(KINDS,))
            nulls = s.query(db.select_template(KINDS, "kind_id = %s"), [2], tables=(KINDS,))
        assert rows == [SAMPLE]
        for name, value in rows[0].items():
            assert type(value) is type(SAMPLE[name]), name
        assert rows[0]["kind_instant"].utcoffset() is not None
        assert nulls == [dict.fromkeys(KINDS.column_names) | {"kind_id": 2}]

    def test_values_compare_and_sort_as_their_python_type(self, db: Database) -> None:
        base = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
        rows = [
            _row(
                i,
                kind_date=date(2023, 12, 31) + timedelta(days=i * 37),
                kind_money=Decimal(i * 7) / 4,
                kind_instant=base + timedelta(hours=i * 5),
                kind_bool=i % 2 == 0,
                kind_uuid=uuid4(),
            )
            for i in (3, 1, 2, 10)
        ]
        with db.write(None) as s:
            s.executemany(db.insert_template(KINDS), rows)
        with db.read() as s:
            by_date = s.query(
                "SELECT kind_id FROM {rm_contract_kinds} ORDER BY kind_date", tables=(KINDS,)
            )
            by_instant = s.query(
                "SELECT kind_id FROM {rm_contract_kinds} ORDER BY kind_instant", tables=(KINDS,)
            )
            after = s.query(
                "SELECT kind_id FROM {rm_contract_kinds} WHERE kind_date >= %s "
                "AND kind_instant > %s AND kind_bool = %s ORDER BY kind_id",
                [date(2024, 3, 1), base, True],
                tables=(KINDS,),
            )
            money = s.query(
                "SELECT kind_money FROM {rm_contract_kinds} WHERE kind_money = %s",
                [Decimal("17.5")],
                tables=(KINDS,),
            )
        assert [r["kind_id"] for r in by_date] == [1, 2, 3, 10]
        assert [r["kind_id"] for r in by_instant] == [1, 2, 3, 10]
        assert [r["kind_id"] for r in after] == [2, 10]
        assert money == [{"kind_money": Decimal("17.5")}]

    def test_an_instant_keeps_its_moment_whatever_its_offset(self, db: Database) -> None:
        moment = datetime(2024, 6, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
        with db.write(None) as s:
            s.execute(db.insert_template(KINDS), _row(1, kind_instant=moment))
        with db.read() as s:
            (row,) = s.query("SELECT kind_instant FROM {rm_contract_kinds}", tables=(KINDS,))
        assert row["kind_instant"] == moment

    def test_in_lists_of_any_length(self, db: Database) -> None:
        subjects = [uuid4() for _ in range(1500)]
        with db.write(None) as s:
            s.executemany(
                db.insert_template(KINDS), [_row(i, kind_uuid=u) for i, u in enumerate(subjects)]
            )
        wanted = subjects[::3]
        with db.read() as s:
            condition, params = s.in_list('"kind_uuid"', wanted)
            found = s.query(db.select_template(KINDS, condition), params, tables=(KINDS,))
            none_condition, none_params = s.in_list('"kind_uuid"', [])
            nothing = s.query(
                db.select_template(KINDS, none_condition), none_params, tables=(KINDS,)
            )
        assert {r["kind_uuid"] for r in found} == set(wanted)
        assert nothing == []

    def test_upsert_replaces_and_insert_refuses_a_key_twice(self, db: Database) -> None:
        with db.write(None) as s:
            s.execute(db.upsert_template(KINDS), _row(1, kind_text="first"))
            s.execute(db.upsert_template(KINDS), _row(1, kind_text="second"))
            s.executemany(db.insert_template(KINDS), [])  # nothing to do, no statement
        with db.read() as s:
            assert s.query(
                "SELECT kind_id, kind_text FROM {rm_contract_kinds}", tables=(KINDS,)
            ) == [{"kind_id": 1, "kind_text": "second"}]
        with pytest.raises(KEY_ERRORS), db.write(None) as s:
            s.execute(db.insert_template(KINDS), _row(1, kind_text="third"))
        with db.read() as s:
            assert s.scalar("SELECT kind_text FROM {rm_contract_kinds}") == "second"

    # ------------------------------------------------------------------ schema

    def test_create_statements_are_idempotent(self, db: Database) -> None:
        with db.write(None) as s:
            s.execute(db.insert_template(KINDS), _row(1))
            for statement in db.create_statements(KINDS):
                s.cursor.execute(statement)
        assert self.ids(db) == [1]
        assert db.table_exists(KINDS.name)
        assert not db.table_exists("rm_contract_nothing_here")

    def test_missing_nullable_columns_are_added(self, db: Database) -> None:
        with db.write(None) as s:
            s.execute("DROP TABLE {rm_contract_kinds}")
            s.execute("CREATE TABLE {rm_contract_kinds} (kind_id bigint PRIMARY KEY)")
            s.execute("INSERT INTO {rm_contract_kinds} (kind_id) VALUES (%s)", [1])
            db.add_missing_columns(s, KINDS)
            db.add_missing_columns(s, KINDS)  # again: nothing to add
            s.execute(db.upsert_template(KINDS), [SAMPLE[c] for c in KINDS.column_names])
        with db.read() as s:
            assert s.query(db.select_template(KINDS), tables=(KINDS,)) == [SAMPLE]

    # ------------------------------------------------------------------ sessions

    def test_a_write_commits_only_if_its_block_succeeds(self, db: Database) -> None:
        with pytest.raises(RuntimeError, match="stop"), db.write(None) as s:
            s.execute(db.insert_template(KINDS), _row(1))
            raise RuntimeError("stop")
        assert self.ids(db) == []
        with db.write(None) as s:
            s.execute(db.insert_template(KINDS), _row(2))
        assert self.ids(db) == [2]

    def test_a_read_session_cannot_write(self, db: Database) -> None:
        with pytest.raises(WRITE_ERRORS, match=r"read-?only"), db.read() as s:
            s.execute(db.insert_template(KINDS), _row(1))
        with pytest.raises(WRITE_ERRORS, match=r"read-?only"), db.read(snapshot=True) as s:
            s.execute("DELETE FROM {rm_contract_kinds}")
        assert self.ids(db) == []

    def test_a_snapshot_read_sees_one_state(self, db: Database, ledger: AuxLedger) -> None:
        writer = self.create_database(ledger)
        try:
            with db.write(None) as s:
                s.execute(db.insert_template(KINDS), _row(1))
            with db.read(snapshot=True) as s:
                first = s.scalar("SELECT count(*) FROM {rm_contract_kinds}")
                done = threading.Event()

                def write_elsewhere() -> None:
                    with writer.write(None) as w:
                        w.execute(writer.insert_template(KINDS), _row(2))
                    done.set()

                thread = threading.Thread(target=write_elsewhere)
                thread.start()
                thread.join(30)
                assert done.is_set()
                second = s.scalar("SELECT count(*) FROM {rm_contract_kinds}")
            assert (first, second) == (1, 1)
            assert sorted(self.ids(db)) == [1, 2]
        finally:
            writer.close()

    def test_a_write_holds_its_lock_from_the_start(self, db: Database, ledger: AuxLedger) -> None:
        # Two workers read-then-write under the same lock: the second waits for the first,
        # so neither writes from a stale read.
        other = self.create_database(ledger)
        inside = threading.Event()
        go_on = threading.Event()
        seen: list[int] = []

        def first() -> None:
            with db.write("contract") as s:
                seen.append(int(s.scalar("SELECT count(*) FROM {rm_contract_kinds}")))
                inside.set()
                assert go_on.wait(30)
                s.execute(db.insert_template(KINDS), _row(1))

        def second() -> None:
            with other.write("contract") as s:
                count = int(s.scalar("SELECT count(*) FROM {rm_contract_kinds}"))
                seen.append(count)
                s.execute(other.insert_template(KINDS), _row(count + 1))

        a = threading.Thread(target=first)
        b = threading.Thread(target=second)
        try:
            a.start()
            assert inside.wait(30)
            b.start()
            b.join(1.0)
            assert b.is_alive(), "a second writer went ahead while the first held the lock"
            go_on.set()
            a.join(30)
            b.join(60)
        finally:
            go_on.set()
            other.close()
        assert seen == [0, 1]
        assert sorted(self.ids(db)) == [1, 2]

    # ------------------------------------------------------------------ leadership

    def test_one_leader_at_a_time(self, ledger: AuxLedger) -> None:
        first = self.create_leader_lock(ledger, "contract")
        second = self.create_leader_lock(ledger, "contract")
        elsewhere = self.create_leader_lock(ledger, "another")
        try:
            assert not first.held
            assert first.acquire()
            assert first.acquire()  # again: still leads
            assert first.held
            assert not second.acquire()
            assert not second.held
            assert elsewhere.acquire()  # another projection's lock is independent
            first.release()
            first.release()  # idempotent
            assert not first.held
            # PostgreSQL frees the lock when the server has ended the closed session.
            assert _acquires_soon(second)
            assert not first.acquire()
        finally:
            for lock in (first, second, elsewhere):
                lock.release()

    def test_a_dead_leaders_lock_is_released(self, ledger: AuxLedger) -> None:
        process = self.hold_lock_in_a_process(ledger, "contract")
        lock = self.create_leader_lock(ledger, "contract")
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "held"
            assert not lock.acquire()
            process.kill()
            process.wait(30)
            assert _acquires_soon(lock), "the dead leader's lock was never released"
        finally:
            process.kill()
            process.wait(30)
            lock.release()


def _acquires_soon(lock: LeaderLock, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not lock.acquire():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


_HOLDER = """
import sys, time
from pathlib import Path
from projections.db import {cls}
lock = {cls}({args})
assert lock.acquire()
print("held", flush=True)
time.sleep(300)
"""


def _holder(cls: str, args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _HOLDER.format(cls=cls, args=args)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )


class TestSQLiteDatabase(OnSQLite, DatabaseContract):
    def create_database(self, ledger: AuxLedger) -> Database:
        datastore = ledger.ledger_recorder.datastore
        assert isinstance(datastore, SQLiteDatastore)
        return SQLiteDatabase(Path(datastore.pool.db_name))

    def _lock_path(self, ledger: AuxLedger, name: str) -> Path:
        path = ledger.settings.database.sqlite_path
        assert path is not None
        return Path(f"{path}.{name}.leader")

    def create_leader_lock(self, ledger: AuxLedger, name: str) -> LeaderLock:
        return SQLiteLeaderLock(self._lock_path(ledger, name))

    def hold_lock_in_a_process(self, ledger: AuxLedger, name: str) -> subprocess.Popen[str]:
        return _holder("SQLiteLeaderLock", f"Path({str(self._lock_path(ledger, name))!r})")

    def test_a_write_cannot_start_inside_another_on_one_thread(self, db: Database) -> None:
        with (
            db.write(None),
            pytest.raises(RuntimeError, match="inside another transaction"),
            db.write(None),
        ):
            pass


class TestPostgresDatabase(OnPostgres, DatabaseContract):
    def create_database(self, ledger: AuxLedger) -> Database:
        datastore = ledger.ledger_recorder.datastore
        assert isinstance(datastore, PostgresDatastore)
        return PostgresDatabase(datastore)

    def _key(self, ledger: AuxLedger, name: str) -> int:
        datastore = ledger.ledger_recorder.datastore
        assert isinstance(datastore, PostgresDatastore)
        return PostgresDatabase(datastore).lock_key(f"leader:{name}")

    def create_leader_lock(self, ledger: AuxLedger, name: str) -> LeaderLock:
        return PostgresLeaderLock(ledger.settings.database.conninfo(), self._key(ledger, name))

    def hold_lock_in_a_process(self, ledger: AuxLedger, name: str) -> subprocess.Popen[str]:
        conninfo = ledger.settings.database.conninfo()
        return _holder("PostgresLeaderLock", f"{conninfo!r}, {self._key(ledger, name)}")

    def test_locks_are_per_name_and_per_schema(self, db: Database, ledger: AuxLedger) -> None:
        assert isinstance(db, PostgresDatabase)
        assert db.lock_key("a") != db.lock_key("b")
        assert db.lock_key("a") == self.create_database(ledger).lock_key("a")  # type: ignore[attr-defined]
        other_schema = PostgresDatabase.__new__(PostgresDatabase)
        other_schema.schema = db.schema + "_other"
        assert other_schema.lock_key("a") != db.lock_key("a")
