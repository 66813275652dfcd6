"""Commands on misconduct findings against officials (Art. 19)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.values import MisconductKind, OfficialRole


@dataclass(frozen=True, kw_only=True)
class RecordMisconduct:
    """Record a finding of misconduct (discipline office of the official's organ).

    The service makes ``finding_id`` when None.
    """

    official_id: str
    official_name: str
    official_role: OfficialRole | str
    organ: str
    unit: str | None
    kind: MisconductKind | str
    summary: str
    decision: str
    finding_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class AmendDecision:
    """Amend the decision on a finding, giving the reason (discipline office)."""

    decision: str
    reason: str
