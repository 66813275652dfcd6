"""Answers of the public integrity endpoints and the auditors' ledger endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class KeyPublic(BaseModel):
    """A signing key (docs/contract.md): its C2SP vkey and lifecycle."""

    key_id: str = Field(description="8 hex digits")
    vkey: str = Field(description="C2SP vkey: <name>+<key id hex>+<base64(0x01 ‖ public key)>")
    status: str = Field(description="created, active, retired or revoked")
    valid_from: datetime | None
    valid_until: datetime | None


class InclusionProofPublic(BaseModel):
    """RFC 9162 inclusion proof (docs/contract.md)."""

    index: int
    tree_size: int
    hashes: list[str] = Field(description="Base64 node hashes")


class ConsistencyProofPublic(BaseModel):
    """RFC 9162 consistency proof (docs/contract.md)."""

    first: int
    second: int
    hashes: list[str] = Field(description="Base64 node hashes")


class EntryPublic(BaseModel):
    """One leaf of the log: the exact signed record, base64 (docs/contract.md)."""

    index: int
    leaf: str


class FailurePublic(BaseModel):
    """One integrity failure (docs/contract.md ``verify --json``)."""

    kind: str
    originator_id: str | None
    originator_version: int | None
    position: int | None
    detail: str


class VerificationPublic(BaseModel):
    """A verification report (docs/contract.md ``verify --json``, plus the mode)."""

    ok: bool
    events_checked: int
    tree_size: int
    checkpoint: str
    failures: list[FailurePublic]
    mode: str
    witnessed_size: int | None = None
    """The size of the witnessed checkpoint the ledger was checked against (None: none)."""
