"""Bodies and answers of legal holds (issue 13, item 7): no personal data in either."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from api.schemas.common import Code, CommandBody, FreeText, ShortText
from domain.commands.holds import PlaceLegalHold, ReleaseLegalHold


class LegalHoldCreate(CommandBody):
    """Place a legal hold: the person's data may not be erased while it stands
    (discipline office, inspector or administrator of the auxiliary's organ)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hold_id": "LH-2026-001",
                    "reason": "民事诉讼证据保全",
                    "reference": "(2026)苏0602民初118号",
                }
            ]
        }
    )
    hold_id: Code
    reason: FreeText
    reference: ShortText

    def command(self) -> PlaceLegalHold:
        """The domain command."""
        return PlaceLegalHold(hold_id=self.hold_id, reason=self.reason, reference=self.reference)


class LegalHoldReleaseCreate(CommandBody):
    """Release a standing legal hold, giving the reason."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"hold_id": "LH-2026-001", "reason": "诉讼终结"}]}
    )
    hold_id: Code
    reason: FreeText

    def command(self) -> ReleaseLegalHold:
        """The domain command."""
        return ReleaseLegalHold(hold_id=self.hold_id, reason=self.reason)


class LegalHoldPublic(BaseModel):
    """One explicit hold, standing or released."""

    hold_id: str
    reason: str
    reference: str
    placed_by: str
    placed_role: str
    standing: bool
    release_reason: str | None


class ErasureBlockPublic(BaseModel):
    """One thing that forbids erasing the person now: its kind and id."""

    kind: str
    """``complaint``, ``sanction``, ``appeal`` or ``legal_hold``."""
    id: str


class LegalHoldsPublic(BaseModel):
    """The explicit holds on an auxiliary's data, and everything that blocks erasure now."""

    holds: list[LegalHoldPublic]
    blocking_erasure: list[ErasureBlockPublic]
