"""Commands on pay (Art. 7): an organ's pay schedule and a region's local average wage.

The record they go to is named beside them: the organ's code for a schedule, the region for
a wage (``AuxLedger.set_pay_schedule``, ``AuxLedger.record_average_wage``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, kw_only=True)
class SetPaySchedule:
    """Set the monthly pay by level for a year (personnel department, Art. 7)."""

    year: int
    monthly_by_level: Mapping[str, Decimal]


@dataclass(frozen=True, kw_only=True)
class RecordAverageWage:
    """Record the annual local average wage of a year (Art. 7)."""

    year: int
    annual_amount: Decimal
