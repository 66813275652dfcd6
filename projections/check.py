"""``projections check``: replay the ledger into scratch memory and compare with the tables.

For each projection: read its tracking position and every row of its tables in one snapshot
(PostgreSQL ``REPEATABLE READ``; one SQLite read transaction), replay the ledger's checked
events up to that same position into a ``MemoryState`` with the same handlers, and compare
row by row and column by column.

Invariants kept here:

- The replay reads events only through ``read_checked``: a tampered event fails the check
  with its ``IntegrityViolation`` instead of being compared.
- Live rows and replayed rows are compared at the same tracking position, so a worker that
  keeps applying events while the check runs causes no false drift.
- Every difference is reported (up to ``limit`` per projection, then counted): a row missing
  from the table, a row the replay does not have, or a column whose value differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.stream import read_checked
from projections.db import placeholder, sql
from projections.service import ReadModels
from projections.state import MemoryState, Row
from projections.tables import Table

__all__ = ["CheckReport", "Difference", "check"]

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Difference:
    """One disagreement between a read-model table and the replay."""

    projection: str
    table: str
    key: Key
    kind: str  # missing (only in the replay), extra (only in the table), changed
    column: str | None = None
    live: Any = None
    replay: Any = None

    def describe(self) -> str:
        """One line for the terminal."""
        key = ", ".join(str(k) for k in self.key)
        if self.kind == "missing":
            return f"{self.projection}: {self.table} [{key}] is missing from the table"
        if self.kind == "extra":
            return f"{self.projection}: {self.table} [{key}] is in the table but not the replay"
        return (
            f"{self.projection}: {self.table} [{key}] {self.column}: "
            f"table has {self.live!r}, replay has {self.replay!r}"
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "projection": self.projection,
            "table": self.table,
            "key": [_plain(k) for k in self.key],
            "kind": self.kind,
            "column": self.column,
            "live": _plain(self.live),
            "replay": _plain(self.replay),
        }


@dataclass
class CheckReport:
    """The result of checking one projection."""

    projection: str
    position: int
    events: int = 0
    rows: int = 0
    differences: list[Difference] = field(default_factory=list)
    more_differences: int = 0

    @property
    def ok(self) -> bool:
        """True when the tables equal the replay."""
        return not self.differences and not self.more_differences

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "projection": self.projection,
            "position": self.position,
            "events": self.events,
            "rows": self.rows,
            "ok": self.ok,
            "differences": [d.to_json() for d in self.differences],
            "more_differences": self.more_differences,
        }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    return bool(a == b) and type(a) is type(b)


def check(
    models: ReadModels,
    names: list[str] | None = None,
    *,
    batch_size: int = 2000,
    limit: int = 200,
) -> list[CheckReport]:
    """Compare each named projection's tables with a replay of the ledger into memory."""
    reports = []
    for name in models.names(names):
        projection = models.projection(name)
        tables = projection.all_tables
        with models.db.read(snapshot=True) as s:
            position = int(
                s.scalar(
                    sql(
                        "SELECT notification_id FROM",
                        placeholder(projection.tracking_table),
                        "WHERE application_name = %s",
                    ),
                    [models.application_name],
                )
                or 0
            )
            live = {
                t.name: {t.key_of(r): r for r in s.query(models.db.select_template(t), tables=(t,))}
                for t in tables
            }
        replay = MemoryState(tables)
        report = CheckReport(projection=name, position=position)
        after = 0
        while after < position:
            events = read_checked(
                models.ledger, after, batch_size, stop=position, topics=projection.topics
            )
            if not events:
                break
            for checked in events:
                projection.apply(replay, checked.event, checked.notification_id)
            report.events += len(events)
            after = events[-1].notification_id
        for table in tables:
            _compare(report, table, live[table.name], replay.table_rows(table), limit)
        reports.append(report)
    return reports


def _compare(
    report: CheckReport, table: Table, live: dict[Key, Row], replay: dict[Key, Row], limit: int
) -> None:
    report.rows += len(live)

    def found(difference: Difference) -> None:
        if len(report.differences) < limit:
            report.differences.append(difference)
        else:
            report.more_differences += 1

    for key in sorted(set(live) | set(replay), key=str):
        mine, theirs = live.get(key), replay.get(key)
        if mine is None:
            found(Difference(report.projection, table.name, key, "missing"))
        elif theirs is None:
            found(Difference(report.projection, table.name, key, "extra"))
        else:
            for column in table.column_names:
                if not _same(mine[column], theirs[column]):
                    found(
                        Difference(
                            report.projection,
                            table.name,
                            key,
                            "changed",
                            column,
                            mine[column],
                            theirs[column],
                        )
                    )
