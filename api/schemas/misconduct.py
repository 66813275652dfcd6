"""Bodies for misconduct findings against officials who manage auxiliaries (Art. 19)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from api.schemas.common import Code, CommandBody, FreeText, ShortText
from domain.commands.misconduct import AmendDecision, RecordMisconduct
from domain.values import MisconductKind, OfficialRole


class MisconductFindingCreate(CommandBody):
    """A finding of misconduct by an official of the token's organ (Art. 19)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "official_id": "602010",
                    "official_name": "王建国",
                    "official_role": "supervisor",
                    "unit": "320602-001",
                    "kind": "neglect_of_duty",
                    "summary": "未履行带辅责任，辅警长期脱岗未发现",
                    "decision": "诫勉谈话",
                }
            ]
        }
    )
    official_id: Code
    official_name: ShortText
    official_role: OfficialRole
    unit: Code | None = None
    kind: MisconductKind
    summary: FreeText
    decision: FreeText

    def command(self, organ: str) -> RecordMisconduct:
        """The domain command, for a finding of the given organ (the token's)."""
        return RecordMisconduct(
            official_id=self.official_id,
            official_name=self.official_name,
            official_role=self.official_role,
            organ=organ,
            unit=self.unit,
            kind=self.kind,
            summary=self.summary,
            decision=self.decision,
        )


class DecisionAmendmentCreate(CommandBody):
    """Amend the decision, giving the reason."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "通报批评", "reason": "复核后加重处理"}]}
    )
    decision: FreeText
    reason: FreeText

    def command(self) -> AmendDecision:
        """The domain command."""
        return AmendDecision(decision=self.decision, reason=self.reason)


class DecisionPublic(BaseModel):
    """One decision in force from a date."""

    effective: date
    decision: str


class MisconductFindingPublic(BaseModel):
    """A misconduct finding with its decision history."""

    id: UUID
    version: int
    official_id: str
    official_name: str
    official_role: OfficialRole
    organ: str
    unit: str | None
    kind: MisconductKind
    summary: str
    decision: str
    decision_history: list[DecisionPublic]
