"""Read-model table definitions, independent of the database that holds them.

A ``Table`` names its columns (with a logical type), its primary key, how a projection loads
its rows while applying a batch (``mode``), its secondary indexes, and the groups of columns
PostgreSQL's planner should know go together (``statistics``). ``projections.db`` turns these
into SQLite or PostgreSQL DDL and DML.

Invariants kept here:

- Column types are one of ``COLUMN_TYPES``. A query result is decoded with the tables the
  query names (``column_types``): a column name has one type among them (checked), and a
  column name has the same type in every table (a test over all tables keeps it so), so a
  join's columns decode alike whichever table they come from.
- Modes: ``owned`` tables hold rows of one aggregate (the ``owner`` column is its id) and are
  loaded per batch for the batch's aggregates; ``whole`` tables are small and loaded whole;
  ``append`` tables are only ever inserted into (a conflicting insert is an error, never an
  update), so a double-applied event cannot pass silently.
- No table has a column for personal data (resident ID numbers, phones, addresses, health
  details and fitness, medical details, complainants' details): there is no type for it
  and the projections never read those event attributes.
- Table and column names are lower-case SQL identifiers (checked here), so they can be
  quoted safely on both backends.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["COLUMN_TYPES", "Column", "Mode", "Table", "column_types"]

COLUMN_TYPES = ("text", "int", "date", "uuid", "bool", "money", "instant")
"""Logical column types: text, whole number, calendar date, UUID, boolean, yuan, instant."""

Mode = Literal["owned", "whole", "append"]

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Column:
    """A column: name, logical type, and whether it may hold NULL."""

    name: str
    type: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    """A read-model table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    mode: Mode
    owner: str | None = None
    indexes: tuple[tuple[str, ...], ...] = field(default=())
    statistics: tuple[tuple[str, ...], ...] = field(default=())
    """Groups of columns whose values go together, for PostgreSQL's planner (extended
    statistics, most common combinations): without them it multiplies each column's
    selectivity as if they were independent. SQLite has no such thing and ignores them."""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        for name in (self.name, *names):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"{name!r} is not a lower-case SQL identifier")
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name} repeats a column")
        for column in self.columns:
            if column.type not in COLUMN_TYPES:
                raise ValueError(f"column {self.name}.{column.name} has unknown type")
        named = (*self.key, *(c for group in (*self.indexes, *self.statistics) for c in group))
        missing = [k for k in named if k not in names]
        if missing:
            raise ValueError(f"table {self.name} names unknown columns {missing}")
        if any(len(group) < 2 for group in self.statistics):
            raise ValueError(f"table {self.name}: statistics go with two columns or more")
        if (self.mode == "owned") != (self.owner is not None):
            raise ValueError(f"table {self.name}: an owner column goes with mode 'owned'")
        if self.owner is not None and self.owner not in names:
            raise ValueError(f"table {self.name}: owner {self.owner} is not a column")

    def __hash__(self) -> int:
        """By name alone (tables of one name may still differ: ``==`` tells them apart).
        ``column_types`` is looked up by its tables on every query: the generated hash of
        every field and column took 4 µs a lookup of ``rm_auxiliary`` and ``rm_credential``,
        this 0.2 µs."""
        return hash(self.name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in declaration order."""
        return tuple(c.name for c in self.columns)

    def key_of(self, row: dict[str, object]) -> tuple[object, ...]:
        """The primary-key values of a row."""
        return tuple(row[k] for k in self.key)


@functools.lru_cache(maxsize=512)
def column_types(tables: tuple[Table, ...]) -> Mapping[str, str]:
    """The logical type of each column name of ``tables``; refuse a name typed two ways."""
    types: dict[str, str] = {}
    for table in tables:
        for column in table.columns:
            known = types.setdefault(column.name, column.type)
            if known != column.type:
                raise ValueError(
                    f"column {column.name} is {known} elsewhere but {column.type} in {table.name}"
                )
    return MappingProxyType(types)
