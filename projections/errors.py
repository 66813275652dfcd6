"""Errors of the read models: bad queries, and projections that stopped.

Invariants kept here:

- Every error derives from ``ledger.errors.LedgerError`` and has a stable ``code``, so the CLI
  and the HTTP edge map it once (exit code, problem+json type) without knowing the class.
- Messages name the filter, parameter or id that was refused and why; they never echo
  personal data (no query here takes personal data as input).
- A projection failure keeps the original error (``cause``), its machine kind (``kind``: an
  ``IntegrityViolation`` kind such as ``bad_signature``, else the exception class name) and
  the tracking position it stopped at.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import psycopg
from eventsourcing.persistence import ConnectionUnavailableError

from ledger.errors import IntegrityViolation, LedgerError, NotFoundError

__all__ = [
    "AmbiguousSerialError",
    "BlindIndexUnavailableError",
    "EventApplyError",
    "FailedEvent",
    "InvalidDateRangeQueryError",
    "InvalidFilterValueError",
    "PageSizeError",
    "ProjectionFailedError",
    "QueryError",
    "TrackingConflictError",
    "UnknownFilterError",
    "UnknownProjectionError",
    "UnknownRecordError",
    "UnknownReportError",
    "transient",
]

# SQLSTATEs after which the same work succeeds once the database is back or less busy:
# connection exceptions (class 08), serialisation failure and deadlock (40001, 40P01), too
# many connections (53300), lock not available (55P03), query cancelled by a statement
# timeout (57014), admin shutdown, crash shutdown and "cannot connect now" (57P01-57P03).
_TRANSIENT_SQLSTATES = frozenset(
    {"40001", "40P01", "53300", "55P03", "57014", "57P01", "57P02", "57P03"}
)
_SQLITE_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def transient(error: BaseException) -> str | None:
    """Why ``error`` is transient (``sqlstate 57P01``, ``connection lost`` ...), or None.

    Decided by exception class and SQLSTATE (PostgreSQL) or SQLite result code, never by
    message text, following the explicit ``raise ... from`` chain (eventsourcing wraps the
    driver's errors in its own). Everything else is deterministic: retrying gives the same
    result.
    """
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, psycopg.Error):
            state = seen.sqlstate
            if state is None:
                # No answer from the server: refused, lost, closed, or a pool timeout.
                return "connection lost" if isinstance(seen, psycopg.OperationalError) else None
            if state.startswith("08") or state in _TRANSIENT_SQLSTATES:
                return f"sqlstate {state}"
            return None
        if isinstance(seen, sqlite3.OperationalError):
            code = getattr(seen, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in _SQLITE_BUSY:
                return "database is locked"
            return None
        if isinstance(seen, ConnectionUnavailableError):
            return "no connection available"
        seen = seen.__cause__
    return None


@dataclass(frozen=True)
class FailedEvent:
    """The event a projection could not apply: where it is and what it is, never its data."""

    position: int | None
    event_class: str | None
    aggregate_id: str | None

    def describe(self) -> str:
        """``event at position 42 (Hired of aggregate 0f...)``."""
        what = [
            part
            for part in (
                self.event_class,
                f"of aggregate {self.aggregate_id}" if self.aggregate_id else None,
            )
            if part
        ]
        where = "(position unknown)" if self.position is None else f"at position {self.position}"
        return f"event {where}" + (f" ({' '.join(what)})" if what else "")


class QueryError(LedgerError):
    """A query or report was asked for with arguments it cannot answer."""

    code = "query_error"


class AmbiguousSerialError(QueryError):
    """A credential serial is held by more than one auxiliary in the read model (issued before
    serials were claimed once in the whole ledger): no one of them is its holder."""

    code = "ambiguous_serial"


class UnknownFilterError(QueryError):
    """A filter or report parameter name that the query does not know."""

    code = "unknown_filter"

    def __init__(self, name: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"unknown filter {name!r}; allowed: {', '.join(allowed) or 'none'}")
        self.name = name
        self.allowed = allowed


class InvalidFilterValueError(QueryError):
    """A filter value of the wrong type or outside its value set."""

    code = "invalid_filter_value"

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"filter {name} {reason}")
        self.name = name
        self.reason = reason


class InvalidDateRangeQueryError(QueryError):
    """A period whose start lies after its end."""

    code = "invalid_date_range"


class PageSizeError(QueryError):
    """A page number below 1 or a page size outside 1..the limit."""

    code = "page_size"


class UnknownRecordError(QueryError, NotFoundError):
    """An id (auxiliary, complaint, organ, unit) that no read model or record knows."""

    code = "not_found"


class UnknownReportError(QueryError, NotFoundError):
    """A report name that is not in the registry."""

    code = "unknown_report"


class UnknownProjectionError(QueryError, NotFoundError):
    """A projection name that is not one of the read models."""

    code = "unknown_projection"


class TrackingConflictError(LedgerError):
    """Another worker moved the projection's tracking position since this batch was read.

    Not a failure: the batch is rolled back and the worker reads again from the new position.
    """

    code = "tracking_conflict"


class EventApplyError(LedgerError):
    """A projection's handler failed on one event (deterministically: not a database outage).

    ``event`` names it; ``__cause__`` is the handler's error.
    """

    code = "event_apply_failed"

    def __init__(self, projection: str, event: FailedEvent, cause: BaseException) -> None:
        super().__init__(
            f"projection {projection} could not apply the {event.describe()}: "
            f"{type(cause).__name__}"
        )
        self.projection = projection
        self.event = event


class ProjectionFailedError(LedgerError):
    """A projection stopped because applying events failed; it stays stopped until restarted.

    ``event`` names the event it stopped on when one is known (a handler's failure, or an
    integrity violation of a stored event), else None.
    """

    code = "projection_failed"

    def __init__(self, projection: str, position: int, cause: BaseException) -> None:
        event: FailedEvent | None = None
        if isinstance(cause, EventApplyError):
            event = cause.event
            cause = cause.__cause__ or cause
        elif isinstance(cause, IntegrityViolation):
            event = FailedEvent(cause.position, None, cause.originator_id)
        kind = getattr(cause, "kind", None) or type(cause).__name__
        on = f" on the {event.describe()}" if event is not None else ""
        super().__init__(
            f"projection {projection} stopped after position {position}{on}: {kind}: {cause}"
        )
        self.projection = projection
        self.position = position
        self.kind = str(kind)
        self.cause = cause
        self.event = event


class BlindIndexUnavailableError(LedgerError):
    """The identity projection cannot hash resident ID numbers in this process.

    It needs the master key (the numbers are sealed in the events) and the blind-index key;
    without them it stops rather than write a wrong index.
    """

    code = "blind_index_unavailable"
