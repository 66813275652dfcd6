"""Administrators: API tokens, signing keys and erasures, for their own organ."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Response, status

from api.deps import LedgerDep, RuntimeDep, of_the_ledgers_organ, roles
from api.jsonbody import StrictJsonRoute
from api.problems import ApiProblem
from api.routers.common import TOKEN_ERRORS, errors, recorded_reply
from api.schemas import admin as s
from api.schemas.common import RecordedPublic
from domain.complaint import Complaint
from domain.values import Actor, Role
from ledger.access import ApiToken, issue_token, list_tokens, load_token, revoke_token_and_issued
from ledger.errors import NotFoundError
from ledger.keyring import KeyStatus

router = APIRouter(prefix="/v1/admin", tags=["admin"], route_class=StrictJsonRoute)

Admin = Annotated[Actor, Depends(roles(Role.admin))]
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{8}$", description="8 hex digits")]


def _token_public(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.id,
        "role": token.role,
        "organ": token.organ,
        "unit": token.unit,
        "label": token.label,
        "issued_by": token.issued_by,
        "issued_at": token.created_on,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "revocation_reason": token.revocation_reason,
        "holder_id": token.holder_id,
        "oversight": token.oversight,
    }


KeyAdmin = Annotated[
    Actor,
    Depends(
        of_the_ledgers_organ(
            Role.admin,
            what="the signing keys",
            otherwise="rotate and revoke them with `auxledger keys` on the server",
        )
    ),
]


def _key_public(key: KeyStatus) -> s.KeyStatusPublic:
    return s.KeyStatusPublic(key_id=key.public.key_id_hex, vkey=key.public.vkey, status=key.status)


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API token for the administrator's organ (shown once)",
    responses=errors(*TOKEN_ERRORS),
)
def create_token(
    body: s.TokenCreate, actor: Admin, ledger: LedgerDep, runtime: RuntimeDep
) -> s.TokenCreatedPublic:
    """Only the token's SHA-256 is kept; the secret in this answer is never shown again."""
    issued = issue_token(
        ledger,
        role=body.role,
        organ=actor.organ,
        unit=body.unit,
        label=body.label,
        issued_by=actor.actor_id,
        expires_at=datetime.now(tz=UTC) + timedelta(days=body.expires_in_days),
        holder_police_number=body.holder_police_number,
        holder_name=body.holder_name,
        oversight=body.oversight,
    )
    runtime.metrics.appended("ledger.access:ApiToken.Issued")
    return s.TokenCreatedPublic(token=issued.secret, **_token_public(issued.token))  # type: ignore[arg-type]


@router.get(
    "/tokens", summary="Every token of the administrator's organ", responses=errors(*TOKEN_ERRORS)
)
def read_tokens(actor: Admin, ledger: LedgerDep) -> list[s.TokenPublic]:
    """Issued and revoked tokens, in issue order, without secrets."""
    return [s.TokenPublic(**_token_public(t)) for t in list_tokens(ledger, organ=actor.organ)]  # type: ignore[arg-type]


@router.post(
    "/tokens/{token_id}/revoke",
    summary="Revoke a token and every token it issued (within seconds in every worker)",
    responses=errors(*TOKEN_ERRORS),
)
def revoke(
    token_id: UUID, body: s.RevocationCreate, actor: Admin, ledger: LedgerDep, runtime: RuntimeDep
) -> s.TokenPublic:
    """Final: a revoked token never authenticates again, nor does any token it issued (they
    are revoked with it, in the same transaction)."""
    token = load_token(ledger, token_id)
    if token is None or token.organ != actor.organ:
        raise ApiProblem("not_found", f"no API token {token_id} in the administrator's organ")
    revoked = revoke_token_and_issued(
        ledger, token_id, reason=body.reason, revoked_by=actor.actor_id
    )
    for gone in revoked:
        runtime.tokens.forget(gone.id)
        runtime.metrics.appended("ledger.access:ApiToken.Revoked")
    return s.TokenPublic(**_token_public(revoked[0]))  # type: ignore[arg-type]


@router.post(
    "/keys/rotate",
    summary="Create and activate a new signing key, retiring the current one",
    responses=errors(*TOKEN_ERRORS),
)
def rotate_key(actor: KeyAdmin, ledger: LedgerDep) -> s.KeyStatusPublic:
    """The new key is vouched for by the old one in the key registry."""
    return _key_public(ledger.rotate_key(f"api:{actor.actor_id}"))


@router.post(
    "/keys/{key_id}/revoke",
    summary="Revoke a signing key that is not the active one",
    responses=errors(*TOKEN_ERRORS),
)
def revoke_key(
    key_id: KeyId, body: s.RevocationCreate, actor: KeyAdmin, ledger: LedgerDep
) -> s.KeyStatusPublic:
    """Signatures by the key after its revocation position are integrity failures."""
    return _key_public(ledger.revoke_key(key_id, body.reason, f"api:{actor.actor_id}"))


@router.post(
    "/erasures",
    status_code=status.HTTP_201_CREATED,
    summary="Erase one person's personal data (crypto-shredding)",
    responses=errors(*TOKEN_ERRORS),
)
def erase(
    body: s.ErasureCreate, actor: Admin, ledger: LedgerDep, runtime: RuntimeDep, response: Response
) -> RecordedPublic:
    """The person's data key is destroyed; their fields read ``[erased]`` from then on."""
    record_id = body.auxiliary_id or body.complaint_id
    assert record_id is not None
    try:
        if body.auxiliary_id is not None:
            organ, subject = ledger.auxiliary(body.auxiliary_id).organ, body.auxiliary_id
        else:
            complaint: Complaint = ledger.complaint(record_id)
            organ, subject = complaint.organ, complaint.complainant_id
    except NotFoundError:
        organ, subject = "", None
    if subject is None or organ != actor.organ:
        raise ApiProblem("not_found", "no such record in the administrator's organ")
    recorded = ledger.erase_subject(actor, subject, body.reason)
    # This process's aggregate cache still holds the record as decrypted before the erasure.
    cache = ledger.repository.cache
    if cache is not None:
        with suppress(KeyError):
            cache.get(record_id, evict=True)
    return recorded_reply(recorded, response, runtime)
