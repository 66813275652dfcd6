"""Questions inspectors ask, answered from the read models (and, for history, the ledger).

Plain Python classes the HTTP API and the CLI call, one module per question:
``PersonnelQueries`` (``personnel``), ``ComplaintQueries`` (``complaints``),
``ResponsibilityQueries`` (``responsibility``), ``EarlyWarningQueries`` (``early_warning``),
``ComplianceQueries`` (``compliance``) and ``LifecycleQueries`` (``lifecycle``), each built
from a ``ReadModels`` (or a ledger) with an injectable clock and policy. What they share --
argument checks, the ``ReadModelQueries`` base and its invariants -- is in ``common``, which
the query modules import from directly; this package re-exports the classes, the base, and
the two limits the edges use (``MAX_PAGE_SIZE``, ``RESIDENT_ID_SHAPE``). Every query takes
``organ=`` so a caller scoped to one organ sees only it.
"""

from projections.queries.common import MAX_PAGE_SIZE, RESIDENT_ID_SHAPE, ReadModelQueries
from projections.queries.complaints import ComplaintQueries
from projections.queries.compliance import ComplianceQueries
from projections.queries.early_warning import EarlyWarningQueries
from projections.queries.lifecycle import LifecycleQueries
from projections.queries.personnel import PersonnelQueries
from projections.queries.responsibility import ResponsibilityQueries
from projections.queries.rules import RuleQueries

__all__ = [
    "MAX_PAGE_SIZE",
    "RESIDENT_ID_SHAPE",
    "ComplaintQueries",
    "ComplianceQueries",
    "EarlyWarningQueries",
    "LifecycleQueries",
    "PersonnelQueries",
    "ReadModelQueries",
    "ResponsibilityQueries",
    "RuleQueries",
]
