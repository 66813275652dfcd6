"""The database that holds the read models: the ledger's own SQLite file or PostgreSQL schema.

Queries are written once as templates: table names as ``{table}`` placeholders, parameters as
``%s``. ``Database.compile`` turns a template into the backend's form: on PostgreSQL the
tables become schema-qualified ``psycopg.sql.Identifier``s, on SQLite quoted names and
``?`` parameters. Values are bound, never formatted into SQL.

Invariants kept here:

- Every statement is parameterised; identifiers come only from code constants, checked to be
  lower-case SQL identifiers, and on PostgreSQL are composed with ``psycopg.sql.Identifier``
  in the schema named by the settings.
- A write session holds the write lock from its first statement: ``BEGIN IMMEDIATE`` on
  SQLite (no read-then-upgrade under a deferred ``BEGIN``, which fails with
  ``SQLITE_BUSY_SNAPSHOT`` across processes), and a transaction-scoped advisory lock named
  by the caller on PostgreSQL. A session commits only if its block ends without error.
- A read session is one read-only transaction (PostgreSQL ``READ ONLY``; SQLite connections
  with ``PRAGMA query_only``), so no query can write, and the queries it runs see one state
  of the database (``snapshot=True`` asks PostgreSQL for ``REPEATABLE READ``; SQLite's WAL
  readers always see one snapshot per transaction).
- At most one process applies a projection at a time (``LeaderLock``): a session-level
  advisory lock on a connection of its own on PostgreSQL, an ``flock`` on a file beside the
  ledger on SQLite; either is released when its holder's process dies.
- Values cross the boundary as Python ``date``, ``UUID``, ``Decimal``, ``bool``, ``int``,
  ``str`` and aware ``datetime``, whatever the backend stores; SQLite keeps dates and instants
  as ISO text (which sorts correctly), UUIDs as canonical text and money as decimal text.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import sqlite3
import string
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.rows import TupleRow, tuple_row
from psycopg.sql import SQL, Composable, Identifier, Literal

from ledger.persistence import secure_sqlite_file
from projections.tables import Column, Table, column_types

__all__ = [
    "Database",
    "LeaderLock",
    "PostgresDatabase",
    "PostgresLeaderLock",
    "SQLiteDatabase",
    "SQLiteLeaderLock",
    "Session",
    "placeholder",
    "sql",
]

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_SQLITE_TYPES = {
    "text": "TEXT",
    "int": "INTEGER",
    "date": "TEXT",
    "uuid": "TEXT",
    "bool": "INTEGER",
    "money": "TEXT",
    "instant": "TEXT",
}
_POSTGRES_TYPES = {
    "text": "text",
    "int": "bigint",
    "date": "date",
    "uuid": "uuid",
    "bool": "boolean",
    "money": "numeric",
    "instant": "timestamptz",
}


def sql(*parts: str) -> str:
    """Join SQL fragments with single spaces.

    The fragments are code constants (keywords, column names, ``%s`` placeholders and
    ``{table}`` placeholders); values never pass through here, they are bound parameters.
    """
    return " ".join(part.strip() for part in parts if part and part.strip())


def placeholder(table: str) -> str:
    """The ``{table}`` placeholder of a checked table name, for templates."""
    if not _NAME.match(table):
        raise ValueError(f"{table!r} is not a table name")
    return "{" + table + "}"


def _placeholders(template: str) -> list[str]:
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a table name")
    return names


def index_name(table: str, columns: Sequence[str]) -> str:
    """A stable index name of at most 63 characters."""
    name = f"{table}__{'_'.join(columns)}"
    if len(name) <= 60:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[:50]}_{digest}"


def decode_value(kind: str | None, value: Any) -> Any:
    """A stored value as its Python type (values already of that type pass through)."""
    if value is None or kind is None:
        return value
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "uuid" and not isinstance(value, UUID):
        return UUID(str(value))
    if kind == "bool" and not isinstance(value, bool):
        return bool(value)
    if kind == "money" and not isinstance(value, Decimal):
        return Decimal(str(value))
    if kind == "instant" and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


class Session(ABC):
    """One transaction on the read-model database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    @abstractmethod
    def cursor(self) -> Any:
        """The driver's cursor (for library helpers that take a cursor)."""

    @abstractmethod
    def _run(self, statement: Any, params: Sequence[Any]) -> None: ...

    @abstractmethod
    def _run_many(self, statement: Any, rows: Sequence[Sequence[Any]]) -> None: ...

    def execute(self, template: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        self._run(self.database.compile(template), self.database.encode(params))

    def executemany(self, template: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        encoded = [self.database.encode(r) for r in rows]
        if encoded:
            self._run_many(self.database.compile(template), encoded)

    def query(
        self, template: str, params: Sequence[Any] = (), *, tables: Sequence[Table]
    ) -> list[dict[str, Any]]:
        """Rows as dicts of column name to Python value.

        ``tables`` are the tables the query reads: a result column named as a column of one
        of them is decoded as that column's type; any other (a count, an expression) is
        returned as the driver gives it."""
        types = column_types(tuple(tables))
        self._run(self.database.compile(template), self.database.encode(params))
        description = self.cursor.description
        if description is None:
            return []
        names = [d[0] for d in description]
        kinds = [types.get(n) for n in names]
        return [
            {n: decode_value(k, v) for n, k, v in zip(names, kinds, row, strict=True)}
            for row in self.cursor.fetchall()
        ]

    def scalar(self, template: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        self._run(self.database.compile(template), self.database.encode(params))
        row = self.cursor.fetchone()
        return None if row is None else row[0]

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """A ``column IN (...)`` condition and its parameters (never empty: use a guard)."""
        if not values:
            return "1 = 0", []
        return self.database.in_list(column, values)


class Database(ABC):
    """The read models' database, for one backend."""

    backend: str = ""

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}

    def compile(self, template: str) -> Any:
        """The backend form of a template (cached)."""
        compiled = self._compiled.get(template)
        if compiled is None:
            compiled = self._compile(template, _placeholders(template))
            self._compiled[template] = compiled
        return compiled

    @abstractmethod
    def _compile(self, template: str, names: list[str]) -> Any: ...

    @abstractmethod
    def encode(self, params: Sequence[Any]) -> Sequence[Any]:
        """Parameters in the driver's form."""

    @abstractmethod
    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column IN (...)`` in the backend's best form."""

    @abstractmethod
    def read(self, *, snapshot: bool = False) -> Any:
        """A read-only transaction (context manager yielding a ``Session``)."""

    def lookup(
        self, template: str, params: Sequence[Any] = (), *, tables: Sequence[Table]
    ) -> list[dict[str, Any]]:
        """One small query on its own (an indexed lookup of a few rows), rows as
        ``Session.query`` gives them. Here through ``read()``; PostgreSQL sends it alone."""
        with self.read() as s:
            rows: list[dict[str, Any]] = s.query(template, params, tables=tables)
        return rows

    @abstractmethod
    def write(self, lock: str | None) -> Any:
        """A write transaction (yields a ``Session``); ``lock`` names a lock held from the start.

        SQLite always holds the database write lock from the start; PostgreSQL takes the
        advisory lock ``lock`` unless it is None.
        """

    @abstractmethod
    def create_statements(self, table: Table) -> list[Any]:
        """DDL that creates the table and its indexes if they do not exist."""

    @abstractmethod
    def _columns(self, session: Session, name: str) -> frozenset[str]:
        """The names of the columns of the table called ``name`` (empty: no such table)."""

    def table_columns(self, name: str) -> frozenset[str] | None:
        """The names of the columns of the table called ``name``; None if there is none."""
        with self.read() as s:
            return self._columns(s, name) or None

    def table_exists(self, name: str) -> bool:
        """Whether a table of that name exists."""
        return self.table_columns(name) is not None

    @abstractmethod
    def add_missing_columns(self, session: Session, table: Table) -> None:
        """Add the nullable columns of ``table`` that an older version created it without."""

    @abstractmethod
    def close(self) -> None:
        """Release connections this object opened."""

    # ----------------------------------------------------------- generated DML

    def upsert_template(self, table: Table) -> str:
        """INSERT of a whole row that replaces the row with the same key."""
        rest = [c for c in table.column_names if c not in table.key]
        conflict = "DO NOTHING"
        if rest:
            conflict = sql("DO UPDATE SET", ", ".join(f'"{c}" = excluded."{c}"' for c in rest))
        return sql(
            self.insert_template(table),
            "ON CONFLICT (",
            ", ".join(f'"{k}"' for k in table.key),
            ")",
            conflict,
        )

    def insert_template(self, table: Table) -> str:
        """Plain INSERT of a whole row (a key conflict is an error)."""
        return sql(
            "INSERT INTO",
            placeholder(table.name),
            "(",
            ", ".join(f'"{c}"' for c in table.column_names),
            ") VALUES (",
            ", ".join(["%s"] * len(table.columns)),
            ")",
        )

    def select_template(self, table: Table, where: str = "") -> str:
        """SELECT of whole rows, optionally with a condition."""
        columns = ", ".join(f'"{c}"' for c in table.column_names)
        return sql(
            "SELECT", columns, "FROM", placeholder(table.name), "WHERE" if where else "", where
        )


# --------------------------------------------------------------------------- SQLite


class _SQLiteSession(Session):
    def __init__(self, database: Database, cursor: sqlite3.Cursor) -> None:
        super().__init__(database)
        self._cursor = cursor

    @property
    def cursor(self) -> sqlite3.Cursor:
        """The sqlite3 cursor."""
        return self._cursor

    def _run(self, statement: Any, params: Sequence[Any]) -> None:
        self._cursor.execute(statement, params)

    def _run_many(self, statement: Any, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(statement, rows)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class SQLiteDatabase(Database):
    """The ledger's SQLite file; one connection per thread, opened on first use."""

    backend = "sqlite"

    def __init__(self, path: Path, *, lock_timeout: float = 30.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self, role: str) -> sqlite3.Connection:
        """This thread's reader (``query_only``) or writer connection."""
        conn: sqlite3.Connection | None = getattr(self._local, role, None)
        if conn is None:
            secure_sqlite_file(self.path)  # 0600 if this connection would create it
            conn = sqlite3.connect(
                str(self.path),
                isolation_level=None,
                timeout=self.lock_timeout,
                check_same_thread=False,
            )
            if role == "reader":
                conn.execute("PRAGMA query_only = ON")
            setattr(self._local, role, conn)
            with self._lock:
                self._opened.append(conn)
        return conn

    def _compile(self, template: str, names: list[str]) -> str:
        quoted = {name: f'"{name}"' for name in names}
        return template.format(**quoted).replace("%s", "?")

    def encode(self, params: Sequence[Any]) -> list[Any]:
        """SQLite's storage forms (ISO text, canonical UUID text, 0/1, decimal text)."""
        return [_sqlite_value(p) for p in params]

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column IN (?, ?, ...)``."""
        return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Session]:
        """A deferred read transaction on a ``query_only`` connection (nested reads join it)."""
        conn = self._connection("reader")
        cursor = conn.cursor()
        if conn.in_transaction:
            try:
                yield _SQLiteSession(self, cursor)
            finally:
                cursor.close()
            return
        cursor.execute("BEGIN")
        try:
            yield _SQLiteSession(self, cursor)
        finally:
            cursor.close()
            conn.rollback()

    @contextmanager
    def write(self, lock: str | None) -> Iterator[Session]:
        """``BEGIN IMMEDIATE``: the database write lock before the first read."""
        conn = self._connection("writer")
        if conn.in_transaction:
            msg = "a write session cannot start inside another transaction on this thread"
            raise RuntimeError(msg)
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield _SQLiteSession(self, cursor)
        except BaseException:
            cursor.close()
            conn.rollback()
            raise
        cursor.close()
        conn.commit()

    def create_statements(self, table: Table) -> list[str]:
        """CREATE TABLE / INDEX IF NOT EXISTS."""
        columns = ", ".join(_sqlite_column(c) for c in table.columns)
        keys = ", ".join(f'"{k}"' for k in table.key)
        statements = [
            f'CREATE TABLE IF NOT EXISTS "{table.name}" ({columns}, PRIMARY KEY ({keys}))'
        ]
        for index in table.indexes:
            cols = ", ".join(f'"{c}"' for c in index)
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "{index_name(table.name, index)}" '
                f'ON "{table.name}" ({cols})'
            )
        return statements

    def _columns(self, session: Session, name: str) -> frozenset[str]:
        """``PRAGMA table_info``."""
        session.cursor.execute(f'PRAGMA table_info("{name}")')
        return frozenset(row[1] for row in session.cursor.fetchall())

    def add_missing_columns(self, session: Session, table: Table) -> None:
        """``ALTER TABLE ... ADD COLUMN`` for each column ``PRAGMA table_info`` lacks."""
        present = self._columns(session, table.name)
        for column in table.columns:
            if column.name not in present and column.nullable:
                session.cursor.execute(
                    f'ALTER TABLE "{table.name}" ADD COLUMN {_sqlite_column(column)}'
                )

    def close(self) -> None:
        """Close every connection this object opened (from any thread)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()


def _sqlite_column(column: Column) -> str:
    null = "" if column.nullable else " NOT NULL"
    return f'"{column.name}" {_SQLITE_TYPES[column.type]}{null}'


# --------------------------------------------------------------------------- PostgreSQL


class _PostgresSession(Session):
    def __init__(self, database: Database, cursor: Cursor[TupleRow]) -> None:
        super().__init__(database)
        self._cursor = cursor

    @property
    def cursor(self) -> Cursor[TupleRow]:
        """The psycopg cursor."""
        return self._cursor

    def _run(self, statement: Any, params: Sequence[Any]) -> None:
        self._cursor.execute(statement, params)

    def _run_many(self, statement: Any, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(statement, rows)


class PostgresDatabase(Database):
    """A PostgreSQL schema, through the ledger's connection pool."""

    backend = "postgres"

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__()
        self.datastore = datastore
        self.schema = datastore.schema

    def _compile(self, template: str, names: list[str]) -> Composable:
        identifiers = {name: Identifier(self.schema, name) for name in names}
        return SQL(template).format(**identifiers)

    def encode(self, params: Sequence[Any]) -> Sequence[Any]:
        """psycopg adapts every value type used here."""
        return params

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column = ANY(%s)`` with one array parameter."""
        return f"{column} = ANY(%s)", [list(values)]

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Session]:
        """A READ ONLY transaction; ``snapshot`` makes it REPEATABLE READ too."""
        with self.datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row)
            # No JIT: these queries take milliseconds, and compiling one took 143 ms when the
            # planner's estimate crossed jit_above_cost (a report at 100,000 auxiliaries).
            if snapshot:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                    "SET LOCAL jit = off"
                )
            else:
                cursor.execute("SET TRANSACTION READ ONLY; SET LOCAL jit = off")
            yield _PostgresSession(self, cursor)

    def lookup(
        self, template: str, params: Sequence[Any] = (), *, tables: Sequence[Table]
    ) -> list[dict[str, Any]]:
        """The query as the only statement sent: on the pool's autocommit connections a lone
        statement is its own transaction, one round trip where ``read()`` takes four
        (``BEGIN``, its settings, the query, ``COMMIT``). Only for the indexed lookups of a
        few rows that a public request makes (``api.directory``): they only read, by their
        text, and are costed far below ``jit_above_cost``, so ``read()``'s READ ONLY and
        ``jit = off`` would change nothing for them."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            return _PostgresSession(self, cursor).query(template, params, tables=tables)

    @contextmanager
    def write(self, lock: str | None) -> Iterator[Session]:
        """A transaction holding the advisory lock ``lock`` (in this schema) from the start."""
        with self.datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row)
            if lock is not None:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key(lock),))
            yield _PostgresSession(self, cursor)

    def lock_key(self, lock: str) -> int:
        """A signed 64-bit advisory lock key for a name in this schema."""
        digest = hashlib.sha256(f"auxledger-projections:{self.schema}:{lock}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    def create_statements(self, table: Table) -> list[Composable]:
        """CREATE TABLE / INDEX IF NOT EXISTS, with identifiers."""
        columns = SQL(", ").join(_postgres_column(c) for c in table.columns)
        keys = SQL(", ").join(Identifier(k) for k in table.key)
        statements: list[Composable] = [
            SQL("CREATE TABLE IF NOT EXISTS {t} ({c}, PRIMARY KEY ({k}))").format(
                t=Identifier(self.schema, table.name), c=columns, k=keys
            )
        ]
        for index in table.indexes:
            statements.append(
                SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} ({c})").format(
                    i=Identifier(index_name(table.name, index)),
                    t=Identifier(self.schema, table.name),
                    c=SQL(", ").join(Identifier(c) for c in index),
                )
            )
        for group in table.statistics:
            # Unlike an index's, a statistics object's name goes in the current schema
            # unless qualified. A new one is empty until the table is analysed, which
            # autovacuum may not do for days on a table that already has its rows (an
            # upgrade): analyse it now, once (a quarter of a second at 100,000 rows).
            name = index_name(table.name, (*group, "stats"))
            statements.append(
                SQL("CREATE STATISTICS IF NOT EXISTS {s} (mcv) ON {c} FROM {t}").format(
                    s=Identifier(self.schema, name),
                    t=Identifier(self.schema, table.name),
                    c=SQL(", ").join(Identifier(c) for c in group),
                )
            )
            statements.append(
                SQL(
                    "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_statistic_ext s "
                    "JOIN pg_statistic_ext_data d ON d.stxoid = s.oid "
                    "JOIN pg_namespace n ON n.oid = s.stxnamespace "
                    "WHERE s.stxname = {n} AND n.nspname = {ns}) "
                    "THEN ANALYZE {t}; END IF; END $$"
                ).format(
                    n=Literal(name),
                    ns=Literal(self.schema),
                    t=Identifier(self.schema, table.name),
                )
            )
        return statements

    def add_missing_columns(self, session: Session, table: Table) -> None:
        """``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` for each nullable column not there."""
        present = self._columns(session, table.name)
        for column in table.columns:
            if column.name not in present and column.nullable:
                session.cursor.execute(
                    SQL("ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c}").format(
                        t=Identifier(self.schema, table.name), c=_postgres_column(column)
                    )
                )

    def close(self) -> None:
        """Nothing to release: the connection pool belongs to the ledger."""

    def _columns(self, session: Session, name: str) -> frozenset[str]:
        """The table's live columns in this schema (``pg_attribute``)."""
        session.cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attnum > 0 AND NOT attisdropped",
            (f'"{self.schema}"."{name}"',),
        )
        return frozenset(row[0] for row in session.cursor.fetchall())


def _postgres_column(column: Column) -> Composable:
    null = SQL("") if column.nullable else SQL(" NOT NULL")
    return SQL("{n} {t}{null}").format(
        n=Identifier(column.name), t=SQL(_POSTGRES_TYPES[column.type]), null=null
    )


# --------------------------------------------------------------------------- leadership


class LeaderLock(ABC):
    """Who applies one projection: at most one holder at a time, across processes and hosts.

    ``acquire()`` is non-blocking and may be called again and again: True while this holder
    leads (and, on PostgreSQL, its lock connection still answers), False while another does.
    An error (the database went away) means this holder does not lead; ``release()`` and try
    again later.
    """

    @property
    @abstractmethod
    def held(self) -> bool:
        """Whether this holder leads (as far as it knows)."""

    @abstractmethod
    def acquire(self) -> bool:
        """Lead if nobody else does; True if this holder leads now."""

    @abstractmethod
    def release(self) -> None:
        """Stop leading (idempotent)."""


class PostgresLeaderLock(LeaderLock):
    """A session-level advisory lock on a connection of its own.

    The lock lives as long as that connection: when the leading process dies (kill -9, a
    host that goes away: TCP keepalives), the server ends its session and another process's
    next ``acquire`` takes it.
    """

    def __init__(self, conninfo: str, key: int, *, connect_timeout: int = 3) -> None:
        self.conninfo = conninfo
        self.key = key
        self.connect_timeout = connect_timeout
        self._conn: psycopg.Connection[TupleRow] | None = None
        self._held = False

    @property
    def held(self) -> bool:
        """Whether this holder took the lock (and has not seen its connection fail)."""
        return self._held

    def acquire(self) -> bool:
        """``pg_try_advisory_lock`` once; then a round trip that proves the session lives."""
        try:
            if self._conn is None or self._conn.closed:
                self._held = False
                self._conn = psycopg.connect(
                    self.conninfo,
                    autocommit=True,
                    connect_timeout=self.connect_timeout,
                    application_name="auxledger-projection-leader",
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=3,
                )
            if self._held:
                self._conn.execute("SELECT 1")
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            self._held = bool(row and row[0])
            return self._held
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Unlock, then close the lock's connection. Closing alone releases the lock only
        once the server has noticed and ended the session, a moment later: another holder's
        ``acquire`` right after could still fail (a flaky handover, seen in CI). Unlocking
        first makes the release happen before this returns; if the connection is gone, the
        server releases it with the session as before."""
        conn, held, self._conn, self._held = self._conn, self._held, None, False
        if conn is not None:
            if held and not conn.closed:
                with suppress(Exception):
                    conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            with suppress(Exception):
                conn.close()


class SQLiteLeaderLock(LeaderLock):
    """An exclusive ``flock`` on a file beside the ledger's SQLite file (one machine).

    The kernel releases it when the holder's file is closed, which includes its process
    dying in any way. The file is ``<ledger file>.<projection>.leader`` (0600).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this holder leads."""
        return self._fd is not None

    def acquire(self) -> bool:
        """``flock(LOCK_EX | LOCK_NB)`` unless already held."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Close the file (the lock goes with it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
