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

from ledger.errors import LedgerError, NotFoundError

__all__ = [
    "AmbiguousSerialError",
    "BlindIndexUnavailableError",
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
]


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


class ProjectionFailedError(LedgerError):
    """A projection stopped because applying events failed; it stays stopped until restarted."""

    code = "projection_failed"

    def __init__(self, projection: str, position: int, cause: BaseException) -> None:
        kind = getattr(cause, "kind", None) or type(cause).__name__
        super().__init__(
            f"projection {projection} stopped after position {position}: {kind}: {cause}"
        )
        self.projection = projection
        self.position = position
        self.kind = str(kind)
        self.cause = cause


class BlindIndexUnavailableError(LedgerError):
    """The identity projection cannot hash resident ID numbers in this process.

    It needs the master key (the numbers are sealed in the events) and the blind-index key;
    without them it stops rather than write a wrong index.
    """

    code = "blind_index_unavailable"
