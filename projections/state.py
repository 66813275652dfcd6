"""Where a projection's handlers read and write rows while events are applied.

Handlers see one interface, ``State``, in two implementations:

- ``BatchState`` works inside one write transaction: before the batch it loads the rows the
  batch can touch (``owned`` tables: every row of the batch's aggregates; ``whole`` tables:
  everything), the handlers change them in memory, and ``flush`` writes each changed row once
  (an upsert) and each appended row (a plain insert) -- so a batch of N events costs a few
  statements, not N transactions.
- ``MemoryState`` holds the complete read model in memory; ``projections check`` replays the
  ledger into it and compares the result with the tables.

Because both run the same handlers over the same events, a table built batch by batch and a
replay into memory agree row for row; any difference is drift.

Invariants kept here:

- An ``owned`` table's first key column is its owner; before a handler sees or changes any
  row of an owner, every row of that owner has been read, so ``rows_of`` is complete and an
  upsert never hides a row the handler did not know about.
- ``append`` tables are never read back while applying; adding a row whose key exists is an
  error in both implementations, as the database's primary key makes it.
- Rows are plain dicts of column name to Python value; a handler that changes a row calls
  ``put`` with it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from projections.db import Database, Session
from projections.tables import Table

__all__ = ["BatchState", "MemoryState", "Row", "State"]

Row = dict[str, Any]
Key = tuple[Any, ...]

IN_CHUNK = 500


class DuplicateRowError(LookupError):
    """An append-only row was added twice (an event applied twice)."""


class _Cache:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.rows: dict[Key, Row] = {}
        self.by_owner: dict[Any, dict[Key, Row]] = {}

    def store(self, row: Row) -> Key:
        """Keep a row (and index it by owner); return its key."""
        key = self.table.key_of(row)
        self.rows[key] = row
        if self.table.owner is not None:
            self.by_owner.setdefault(key[0], {})[key] = row
        return key


class State(ABC):
    """Rows of a projection's tables, as seen by its handlers."""

    def __init__(self, tables: Sequence[Table]) -> None:
        for table in tables:
            if table.mode == "owned" and table.key[0] != table.owner:
                raise ValueError(f"table {table.name}: the owner must be the first key column")
        self.tables = {t.name: t for t in tables}
        self._caches = {t.name: _Cache(t) for t in tables}

    def _cache(self, table: Table) -> _Cache:
        return self._caches[table.name]

    def get(self, table: Table, key: Key) -> Row | None:
        """The row with that key, or None."""
        if table.mode == "append":
            raise LookupError(f"{table.name} is append-only and is not read while applying")
        self._check_loaded(table, key)
        return self._cache(table).rows.get(key)

    def put(self, table: Table, row: Row) -> None:
        """Create or replace a row (``owned`` and ``whole`` tables)."""
        if table.mode == "append":
            raise LookupError(f"{table.name} is append-only: use add()")
        key = table.key_of(row)
        self._check_loaded(table, key)
        self._cache(table).store(row)
        self._changed(table, key)

    def add(self, table: Table, row: Row) -> None:
        """Insert a row into an ``append`` table."""
        if table.mode != "append":
            raise LookupError(f"{table.name} is not append-only: use put()")
        self._added(table, row)

    def rows_of(self, table: Table, owner: Any) -> list[Row]:
        """Every row of an ``owned`` table that belongs to ``owner``."""
        if table.mode != "owned":
            raise LookupError(f"{table.name} has no owner column")
        self._check_loaded(table, (owner,))
        return list(self._cache(table).by_owner.get(owner, {}).values())

    def all(self, table: Table) -> list[Row]:
        """Every row of a ``whole`` table."""
        if table.mode != "whole":
            raise LookupError(f"{table.name} is not loaded whole")
        self._check_loaded(table, ())
        return list(self._cache(table).rows.values())

    @abstractmethod
    def _check_loaded(self, table: Table, key: Key) -> None: ...

    @abstractmethod
    def _changed(self, table: Table, key: Key) -> None: ...

    @abstractmethod
    def _added(self, table: Table, row: Row) -> None: ...


class MemoryState(State):
    """The whole read model in memory (replays for ``projections check``)."""

    def __init__(self, tables: Sequence[Table]) -> None:
        super().__init__(tables)
        self._appended: dict[str, dict[Key, Row]] = {t.name: {} for t in tables}

    def _check_loaded(self, table: Table, key: Key) -> None:
        return None

    def _changed(self, table: Table, key: Key) -> None:
        return None

    def _added(self, table: Table, row: Row) -> None:
        rows = self._appended[table.name]
        key = table.key_of(row)
        if key in rows:
            raise DuplicateRowError(f"{table.name} already holds a row with key {key}")
        rows[key] = row

    def table_rows(self, table: Table) -> dict[Key, Row]:
        """Every row of a table, by key."""
        if table.mode == "append":
            return dict(self._appended[table.name])
        return dict(self._cache(table).rows)


class BatchState(State):
    """The rows one batch touches, read inside its write transaction.

    ``prefetch`` names, per ``owned`` table, the owners whose rows the batch will need: they
    are read with one statement per table. Anything else is read when first touched (one
    statement per table and owner; a ``whole`` table once), so applying a single event reads
    only what its handler uses.
    """

    def __init__(
        self,
        tables: Sequence[Table],
        session: Session,
        prefetch: Mapping[str, Iterable[Any]] | None = None,
    ) -> None:
        super().__init__(tables)
        self.session = session
        self.database: Database = session.database
        self._loaded: dict[str, set[Any]] = {t.name: set() for t in tables}
        self._whole: set[str] = set()
        self._dirty: dict[str, set[Key]] = {t.name: set() for t in tables}
        self._appended: dict[str, list[Row]] = {t.name: [] for t in tables}
        for name, owners in (prefetch or {}).items():
            self._load_owners(self.tables[name], list(owners))

    def _load_owners(self, table: Table, owners: list[Any]) -> None:
        assert table.owner is not None
        wanted = sorted(set(owners) - self._loaded[table.name], key=str)
        cache = self._cache(table)
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            condition, params = self.session.in_list(f'"{table.owner}"', chunk)
            for row in self.session.query(
                self.database.select_template(table, condition), params, tables=(table,)
            ):
                cache.store(row)
        self._loaded[table.name].update(wanted)

    def _check_loaded(self, table: Table, key: Key) -> None:
        if table.mode == "owned" and key[0] not in self._loaded[table.name]:
            self._load_owners(table, [key[0]])
        elif table.mode == "whole" and table.name not in self._whole:
            cache = self._cache(table)
            for row in self.session.query(self.database.select_template(table), tables=(table,)):
                cache.store(row)
            self._whole.add(table.name)

    def _changed(self, table: Table, key: Key) -> None:
        self._dirty[table.name].add(key)

    def _added(self, table: Table, row: Row) -> None:
        self._appended[table.name].append(row)

    def flush(self) -> int:
        """Write every changed and appended row; return how many rows were written."""
        written = 0
        for table in self.tables.values():
            dirty = self._dirty[table.name]
            if dirty:
                rows = self._cache(table).rows
                values = [
                    tuple(rows[k][c] for c in table.column_names) for k in sorted(dirty, key=str)
                ]
                self.session.executemany(self.database.upsert_template(table), values)
                written += len(values)
            appended = self._appended[table.name]
            if appended:
                values = [tuple(r[c] for c in table.column_names) for r in appended]
                self.session.executemany(self.database.insert_template(table), values)
                written += len(values)
        return written
