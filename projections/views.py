"""Read-model views: the library's tracking recorders, extended to hold read-model tables.

``PostgresReadModelView`` extends ``eventsourcing.postgres.PostgresTrackingRecorder`` and
``SQLiteReadModelView`` extends ``eventsourcing.sqlite.SQLiteTrackingRecorder``. Each keeps
one projection's tables and its tracking table (``rm_<projection>_tracking``, the library's
single-row layout) in the ledger's database, and writes both in one transaction using the
library's ``_insert_tracking(cursor, tracking)`` helper.

Invariants kept here:

- Exactly once: a batch of events and the tracking position after it are written in one
  transaction. The transaction takes the projection's write lock first, then refuses the
  batch (``TrackingConflictError``, rolled back) unless the recorded position is still the
  one the batch was read after; and the library's tracking upsert refuses a position that
  does not move forward (``IntegrityError``). A repeated or overlapping batch changes nothing.
- A batch either commits whole (rows and position) or not at all.
- Rebuilding (``reset``) drops and recreates the projection's tables and forgets its position
  in one transaction under the same lock, so a worker elsewhere sees either the old model or
  an empty one at position 0, and its next batch is checked against that.
- Tables are created only by ``ensure``, under a lock (PostgreSQL advisory lock; SQLite's
  write lock), and ``ensure`` is idempotent.

Direction of calls: ``projections.base`` uses this module, never the reverse. A projection
binds its view and hands it events (``bind``, ``apply_events``, ``reset``); the view knows the
projection only as ``ProjectionTables`` -- its name, its tables, ``prefetch`` and ``apply`` --
and does not import ``projections.base`` (an import-linter contract keeps it so).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections.db import (
    Database,
    PostgresDatabase,
    SQLiteDatabase,
    placeholder,
    sql,
)
from projections.errors import EventApplyError, FailedEvent, TrackingConflictError, transient
from projections.state import BatchState, State
from projections.tables import Column, Table

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "MIGRATION_ROW",
    "STATE_TABLE",
    "PostgresReadModelView",
    "ProjectionTables",
    "ReadModelView",
    "SQLiteReadModelView",
]

MIGRATION_ROW = "__migration__"

STATE_TABLE = Table(
    "rm_projection_state",
    (
        Column("projection", "text", nullable=False),
        Column("state", "text", nullable=False),
        Column("worker", "text"),
        Column("heartbeat_at", "instant"),
        Column("failed_at", "instant"),
        Column("failed_position", "int"),
        Column("error_kind", "text"),
        Column("error", "text"),
        Column("failed_event_position", "int"),
        Column("failed_event_class", "text"),
        Column("failed_aggregate_id", "text"),
    ),
    key=("projection",),
    mode="whole",
)
"""What the projection workers last said about themselves: state, heartbeat, last failure
(and the event it stopped on: position, event class, aggregate id).

Written only by the worker that leads the projection (see ``projections.db.LeaderLock``).
Columns added since a table was created are added by ``ensure``.

Kept in the database so that any process (``auxledger projections status``, another API
worker) can report a projection that failed or stopped elsewhere.
"""


class ProjectionTables(Protocol):
    """What a view needs from the projection whose tables it holds.

    ``projections.base.ReadModelProjection`` is one; the view calls nothing else of it.
    """

    @property
    def name(self) -> str:
        """The projection's name (in errors and in ``rm_projection_state``)."""
        ...

    @property
    def all_tables(self) -> tuple[Table, ...]:
        """Every table the projection writes."""
        ...

    def prefetch(self, events: Sequence[Any]) -> Mapping[str, Iterable[Any]]:
        """Per ``owned`` table, the owners a batch of events will touch."""
        ...

    def apply(self, state: State, event: Any, position: int) -> None:
        """Apply one event (at its log position) to the state."""
        ...


class ReadModelView(TrackingRecorder):
    """What both backends' views offer the projections and the workers."""

    db: Database
    tracking_table_name: str
    tables: tuple[Table, ...] = ()

    def bind(self, projection: ProjectionTables) -> None:
        """Attach the projection whose tables this view holds."""
        self.tables = projection.all_tables

    # ---------------------------------------------------------------- reading

    def position(self, application_name: str) -> int:
        """The last tracked notification id (0 when nothing was applied yet)."""
        with self.db.read() as s:
            value = s.scalar(self._select_position(), [application_name])
        return int(value or 0)

    def _select_position(self) -> str:
        return sql(
            "SELECT notification_id FROM",
            placeholder(self.tracking_table_name),
            "WHERE application_name = %s",
        )

    # ---------------------------------------------------------------- writing

    def apply_events(
        self,
        projection: ProjectionTables,
        events: Sequence[tuple[Any, int]],
        *,
        application_name: str,
        after: int | None,
        position: int,
    ) -> int:
        """Apply ``events`` (each with its position) and track ``position``: one transaction.

        ``after`` is the position the events were read after; the batch is refused if the
        tracked position moved since. ``after=None`` skips that check and the lock (the
        library's per-event path), relying on the tracking upsert alone.
        """
        lock = self.tracking_table_name if after is not None else None
        with self.db.write(lock) as session:
            if after is not None:
                current = int(session.scalar(self._select_position(), [application_name]) or 0)
                if current != after:
                    raise TrackingConflictError(
                        f"projection {projection.name} is at position {current}, "
                        f"not {after}: the batch was read from a stale position"
                    )
            # Tracking first: a position that does not move forward is refused before any
            # row is touched (the whole transaction rolls back either way).
            self._insert_tracking(session.cursor, Tracking(application_name, position))
            written = 0
            if events:
                # The per-event path reads only what each handler touches, as a projection
                # written for one event at a time would.
                prefetch = None if after is None else projection.prefetch([e for e, _ in events])
                state = BatchState(self.tables, session, prefetch)
                for event, event_position in events:
                    try:
                        projection.apply(state, event, event_position)
                    except Exception as e:
                        if transient(e) is not None:
                            raise  # the database, not the event: the worker retries
                        failed = FailedEvent(
                            event_position,
                            type(event).__name__,
                            str(getattr(event, "originator_id", "")) or None,
                        )
                        raise EventApplyError(projection.name, failed, e) from e
                written = state.flush()
        return written

    def reset(self, projection: ProjectionTables, application_name: str) -> None:
        """Recreate the projection's tables empty and forget its position (one transaction).

        Dropping and creating (rather than emptying) also brings the tables to the current
        definitions after an upgrade changed them.
        """
        with self.db.write(self.tracking_table_name) as session:
            for table in self.tables:
                session.execute(sql("DROP TABLE IF EXISTS", placeholder(table.name)))
                for statement in self.db.create_statements(table):
                    session.cursor.execute(statement)
            session.execute(
                sql(
                    "DELETE FROM",
                    placeholder(self.tracking_table_name),
                    "WHERE application_name = %s",
                ),
                [application_name],
            )
            # A failure is forgotten; a running leader's heartbeat is kept (it carries on).
            session.execute(
                sql(
                    "DELETE FROM",
                    placeholder(STATE_TABLE.name),
                    "WHERE projection = %s AND state <> 'running'",
                ),
                [projection.name],
            )

    def analyze(self) -> None:
        """Refresh the planner's statistics of the projection's tables (after a rebuild)."""
        with self.db.write(None) as session:
            for table in self.tables:
                session.execute(sql("ANALYZE", placeholder(table.name)))

    def save_state(self, projection: str, values: dict[str, Any]) -> None:
        """Replace the projection's row in ``rm_projection_state``."""
        row = {"projection": projection, **values}
        with self.db.write(None) as session:
            session.execute(
                self.db.upsert_template(STATE_TABLE),
                [row.get(c) for c in STATE_TABLE.column_names],
            )

    def load_state(self, projection: str) -> dict[str, Any] | None:
        """The projection's row in ``rm_projection_state``, if any."""
        with self.db.read() as s:
            rows = s.query(
                self.db.select_template(STATE_TABLE, "projection = %s"),
                [projection],
                tables=(STATE_TABLE,),
            )
        return rows[0] if rows else None

    # ---------------------------------------------------------------- schema

    def ensure(self, *, tables: bool = True) -> None:
        """Create the tracking and state tables, and (``tables``) the read-model tables, if
        they do not exist."""
        raise NotImplementedError

    if TYPE_CHECKING:

        def _insert_tracking(self, c: Any, tracking: Tracking) -> None:
            """The library recorder's tracking upsert (the concrete classes inherit it)."""


# --------------------------------------------------------------------------- PostgreSQL


class PostgresReadModelView(PostgresTrackingRecorder, ReadModelView):
    """A projection's tables and tracking in a PostgreSQL schema."""

    _ddl_lock = threading.Lock()

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        tracking_table_name: str = "notification_tracking",
        **kwargs: Any,
    ) -> None:
        PostgresTrackingRecorder.__init__(
            self, datastore, tracking_table_name=tracking_table_name, **kwargs
        )
        self.db: PostgresDatabase = PostgresDatabase(datastore)

    def ensure(self, *, tables: bool = True) -> None:
        """The library's tracking table, then the read-model tables; under an advisory lock."""
        with self._ddl_lock, self._schema_lock():
            self.create_table()
            with self.db.write(None) as session:
                for table in (*(self.tables if tables else ()), STATE_TABLE):
                    for statement in self.db.create_statements(table):
                        session.cursor.execute(statement)
                self.db.add_missing_columns(session, STATE_TABLE)

    @contextmanager
    def _schema_lock(self) -> Iterator[None]:
        # Concurrent CREATE ... IF NOT EXISTS statements race in PostgreSQL; take a session
        # advisory lock on a connection of its own while the library creates its table.
        key = self.db.lock_key("schema")
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


# --------------------------------------------------------------------------- SQLite


class SQLiteReadModelView(SQLiteTrackingRecorder, ReadModelView):
    """A projection's tables and tracking in the ledger's SQLite file.

    The library's SQLite tracking table is always called ``tracking``; two projections in one
    file need one each, so the statements here name ``tracking_table_name`` instead (same
    columns, same single-row upsert). Writes go through ``SQLiteDatabase`` connections that
    begin with ``BEGIN IMMEDIATE``.
    """

    def __init__(
        self,
        datastore: SQLiteDatastore,
        *,
        tracking_table_name: str = "tracking",
        path: str | None = None,
    ) -> None:
        self.tracking_table_name = tracking_table_name
        SQLiteTrackingRecorder.__init__(self, datastore)
        table = f'"{tracking_table_name}"'
        self.insert_tracking_statement = (
            f"INSERT INTO {table} VALUES (:application_name, :notification_id) "  # noqa: S608
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {table}.notification_id < :notification_id RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {table} WHERE application_name=?"  # noqa: S608
        )
        self.db: SQLiteDatabase = SQLiteDatabase(Path(path or datastore.pool.db_name))

    def construct_create_table_statements(self) -> list[str]:
        """The library's single-row tracking table, under this projection's name."""
        return [
            f'CREATE TABLE IF NOT EXISTS "{self.tracking_table_name}" ('
            "application_name TEXT, notification_id INTEGER, "
            "PRIMARY KEY (application_name)) WITHOUT ROWID"
        ]

    def ensure(self, *, tables: bool = True) -> None:
        """Create everything in one ``BEGIN IMMEDIATE`` transaction."""
        with self.db.write(None) as session:
            exists = session.scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s",
                [self.tracking_table_name],
            )
            for statement in self.construct_create_table_statements():
                session.cursor.execute(statement)
            if not exists:
                self._insert_tracking(session.cursor, Tracking(MIGRATION_ROW, 1))
            for table in (*(self.tables if tables else ()), STATE_TABLE):
                for statement in self.db.create_statements(table):
                    session.cursor.execute(statement)
            self.db.add_missing_columns(session, STATE_TABLE)

    def close(self) -> None:
        """Close this view's own connections."""
        self.db.close()
