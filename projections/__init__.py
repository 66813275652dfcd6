"""Read models of the ledger: projections with tracking, queries and reports.

What we know now, kept up to date from the signed events and provably equal to a replay of
them (``projections check``). The layers below (``ledger``, ``domain``) never import this
package; ``api`` calls it.

Entry points:

- ``ensure_schema(ledger)``: create the read-model tables (``auxledger init`` calls it).
- ``ReadModels(ledger)``: the projections of one ledger; ``rebuild``, ``catch_up``,
  ``status``; ``ProjectionSupervisor(models)`` runs one background worker per projection.
- ``projections.replica.ReplicaReadModels(ledger, replica)``: the same read models with
  their queries answered by a streaming replica (writes and workers on the primary).
- ``PersonnelQueries``, ``ComplaintQueries``, ``ResponsibilityQueries``,
  ``EarlyWarningQueries``, ``ComplianceQueries``: plain query classes with typed,
  JSON-ready results.
- ``REPORTS`` / ``run_report``: every report by name, as JSON or CSV.
- ``check``: compare the read models with a replay.
"""

from projections.check import CheckReport, Difference, check
from projections.errors import (
    AmbiguousSerialError,
    InvalidDateRangeQueryError,
    InvalidFilterValueError,
    PageSizeError,
    ProjectionFailedError,
    QueryError,
    UnknownFilterError,
    UnknownProjectionError,
    UnknownRecordError,
    UnknownReportError,
)
from projections.queries import (
    MAX_PAGE_SIZE,
    ComplaintQueries,
    ComplianceQueries,
    EarlyWarningQueries,
    PersonnelQueries,
    ResponsibilityQueries,
)
from projections.reports import REPORTS, Report, ReportSpec, run_report
from projections.results import Page
from projections.service import (
    PROJECTIONS,
    ProjectionStatus,
    ProjectionSupervisor,
    ProjectionWorker,
    ReadModels,
    ensure_schema,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "PROJECTIONS",
    "REPORTS",
    "AmbiguousSerialError",
    "CheckReport",
    "ComplaintQueries",
    "ComplianceQueries",
    "Difference",
    "EarlyWarningQueries",
    "InvalidDateRangeQueryError",
    "InvalidFilterValueError",
    "Page",
    "PageSizeError",
    "PersonnelQueries",
    "ProjectionFailedError",
    "ProjectionStatus",
    "ProjectionSupervisor",
    "ProjectionWorker",
    "QueryError",
    "ReadModels",
    "Report",
    "ReportSpec",
    "ResponsibilityQueries",
    "UnknownFilterError",
    "UnknownProjectionError",
    "UnknownRecordError",
    "UnknownReportError",
    "check",
    "ensure_schema",
    "run_report",
]
