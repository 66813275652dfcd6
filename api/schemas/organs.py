"""Bodies for organs, units, staffing quotas (Art. 5), pay schedules and wages (Art. 7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Code, CommandBody, FreeText, ShortText, Whole
from domain.commands.organ import AdjustQuota, RegisterOrgan, RegisterUnit, SetParent, SetQuota
from domain.commands.pay import RecordAverageWage

Quota = Annotated[Whole, Field(ge=0, le=1_000_000)]
Money = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class OrganCreate(CommandBody):
    """Register the token's own organ (admin or establishment authority, Art. 4)."""

    model_config = _examples({"code": "320602", "name": "南通市公安局崇川分局", "region": "南通市"})
    code: Code
    name: ShortText
    region: ShortText

    def command(self) -> RegisterOrgan:
        """The domain command."""
        return RegisterOrgan(code=self.code, name=self.name, region=self.region)


class UnitCreate(CommandBody):
    """Register a using unit with the organ (Art. 10)."""

    model_config = _examples({"code": "320602-006", "name": "学田派出所"})
    code: Code
    name: ShortText

    def command(self) -> RegisterUnit:
        """The domain command."""
        return RegisterUnit(code=self.code, name=self.name)


class QuotaCreate(CommandBody):
    """Set the organ's first staffing quota (establishment authority, Art. 5)."""

    model_config = _examples({"quota": 240, "basis": "宁编〔2023〕12号"})
    quota: Quota

    def command(self) -> SetQuota:
        """The domain command."""
        return SetQuota(quota=self.quota)


class QuotaAdjustmentCreate(CommandBody):
    """Adjust the staffing quota, with the reason (establishment authority, Art. 5)."""

    model_config = _examples({"new_quota": 260, "reason": "警务辅助人员用人额度动态调整"})
    new_quota: Quota
    reason: FreeText

    def command(self) -> AdjustQuota:
        """The domain command."""
        return AdjustQuota(new_quota=self.new_quota, reason=self.reason)


class PayScheduleCreate(CommandBody):
    """Monthly pay for every level of the scheme, rising with the level (Art. 7)."""

    model_config = _examples(
        {
            "monthly_by_level": {
                str(level): f"{4200 + 380 * (level - 1)}.00" for level in range(1, 11)
            }
        }
    )
    monthly_by_level: dict[Annotated[str, Field(pattern=r"^[0-9]{1,2}$")], Money] = Field(
        min_length=1, max_length=99
    )


class AverageWageCreate(CommandBody):
    """The local average annual wage of a year: the floor for next year's pay (Art. 7)."""

    model_config = _examples({"region": "南通市", "year": 2025, "annual_amount": "98765.00"})
    region: ShortText
    year: Annotated[Whole, Field(ge=1990, le=2100)]
    annual_amount: Money

    def command(self) -> RecordAverageWage:
        """The domain command (the region names the record it goes to)."""
        return RecordAverageWage(year=self.year, annual_amount=self.annual_amount)


class OrganPublic(BaseModel):
    """An organ: units, quota and headcount."""

    code: str
    name: str
    region: str
    version: int
    units: dict[str, str]
    quota: int | None
    headcount: int
    parent: str | None = Field(
        default=None, description="The organ above this one (issue 13); null: a root"
    )


class ParentCreate(CommandBody):
    """Place the organ under its parent organ, e.g. a district bureau under its city bureau."""

    model_config = _examples({"parent": "320600"})
    parent: Code

    def command(self) -> SetParent:
        """The domain command."""
        return SetParent(parent=self.parent)
