"""Bodies of the administrators' endpoints: API tokens, signing keys, erasures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Code, FreeText, RequestBody, ShortText, Whole
from ledger.access import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS

TokenRole = Literal[
    "establishment",
    "personnel",
    "unit",
    "complaints",
    "discipline",
    "inspector",
    "auditor",
    "admin",
]


class TokenCreate(RequestBody):
    """A new API token for the administrator's own organ; the secret is shown once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "role": "unit",
                    "unit": "320602-001",
                    "label": "城东派出所内勤",
                    "expires_in_days": 90,
                    "holder_police_number": "990001",
                    "holder_name": "测试警员",
                }
            ]
        }
    )
    role: TokenRole
    unit: Code | None = None
    label: ShortText
    expires_in_days: Annotated[Whole, Field(ge=1, le=MAX_TOKEN_DAYS)] = DEFAULT_TOKEN_DAYS
    holder_police_number: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        None, description="The holder's police number (警号): sealed personal data; with the name"
    )
    holder_name: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="The holder's name: sealed personal data; with the police number"
    )
    oversight: bool = Field(
        False,
        description="Read (never write) the organs below the administrator's organ, each read "
        "with a reason; inspector, discipline and auditor tokens only",
    )


class TokenPublic(BaseModel):
    """A token's record (never its secret)."""

    id: UUID
    role: str
    organ: str
    unit: str | None
    label: str
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    holder_id: UUID | None = Field(
        description="The holder's data subject (an opaque id); null: no named holder"
    )
    oversight: bool = Field(description="Reads the organs below its own (issue 13)")


class TokenCreatedPublic(TokenPublic):
    """A new token: ``token`` is the bearer secret, shown this once and never again."""

    token: str


class RevocationCreate(RequestBody):
    """Why a token or key is revoked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "人员调离"}]})
    reason: ShortText


class KeyStatusPublic(BaseModel):
    """A signing key after a lifecycle change."""

    key_id: str
    vkey: str
    status: str


class ErasureCreate(RequestBody):
    """Erase one person's personal data (crypto-shredding; every record stays verifiable).

    Name the auxiliary (``auxiliary_id``: the auxiliary's own data) or the complaint
    (``complaint_id``: its complainant's data); exactly one.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "complaint_id": "0b9f8a56-8d0c-4a59-9d35-3c2f0d2f5a11",
                    "reason": "依申请删除个人信息（个人信息保护法第四十七条）",
                }
            ]
        }
    )
    auxiliary_id: UUID | None = None
    complaint_id: UUID | None = None
    reason: FreeText

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.auxiliary_id is None) == (self.complaint_id is None):
            raise ValueError("name exactly one of auxiliary_id and complaint_id")
        return self
