"""The Merkle log for outside verifiers (public) and for auditors (entries, verification)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from api.deps import LedgerDep, RuntimeDep, of_the_ledgers_organ, roles
from api.jsonbody import StrictJsonRoute
from api.problems import ApiProblem
from api.routers.common import PUBLIC_ERRORS, TOKEN_ERRORS, errors
from api.schemas import ledger as s
from api.schemas.common import QueryWhole
from domain.values import Actor, Role
from ledger.verification_record import remember
from ledger.verify import verify_ledger

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], route_class=StrictJsonRoute)

MAX_ENTRIES = 1000
VERIFICATION_ROLES = (Role.auditor,)
"""Who may run a verification over HTTP (``GET /v1/ledger/verification``)."""
Natural = Annotated[QueryWhole, Query(ge=0, le=2**62)]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="The latest signed checkpoint (C2SP signed note)",
    responses={200: {"content": {"text/plain": {}}}, **errors(*PUBLIC_ERRORS)},
)
def checkpoint(runtime: RuntimeDep) -> PlainTextResponse:
    """Origin, tree size and root, signed by the ledger's key."""
    latest = runtime.log().latest_checkpoint()
    if latest is None:
        raise ApiProblem("not_found", "the log is empty: no checkpoint yet")
    return PlainTextResponse(latest.note, media_type="text/plain; charset=utf-8")


@router.get("/keys", summary="Every signing key, as C2SP vkeys", responses=errors(*PUBLIC_ERRORS))
def keys(ledger: LedgerDep) -> list[s.KeyPublic]:
    """Verify checkpoints, records and receipts with these (status and validity included)."""
    answer = []
    for key in ledger.keyring().ordered():
        ends = [t for t in (key.retired_on, key.revoked_on) if t is not None]
        answer.append(
            s.KeyPublic(
                key_id=key.public.key_id_hex,
                vkey=key.public.vkey,
                status=key.status,
                valid_from=key.activated_on,
                valid_until=min(ends) if ends else None,
            )
        )
    return answer


@router.get(
    "/proof/inclusion",
    summary="RFC 9162 inclusion proof of leaf INDEX in the tree of TREE_SIZE leaves",
    responses=errors(*PUBLIC_ERRORS),
)
def inclusion(index: Natural, tree_size: Natural, runtime: RuntimeDep) -> s.InclusionProofPublic:
    """400 if the index or size lies outside the log."""
    hashes = runtime.log().inclusion_proof(index, tree_size)
    return s.InclusionProofPublic(
        index=index, tree_size=tree_size, hashes=[_b64(h) for h in hashes]
    )


@router.get(
    "/proof/consistency",
    summary="RFC 9162 consistency proof between tree sizes FIRST and SECOND",
    responses=errors(*PUBLIC_ERRORS),
)
def consistency(first: Natural, second: Natural, runtime: RuntimeDep) -> s.ConsistencyProofPublic:
    """400 if the sizes are out of order or beyond the log."""
    hashes = runtime.log().consistency_proof(first, second)
    return s.ConsistencyProofPublic(first=first, second=second, hashes=[_b64(h) for h in hashes])


@router.get(
    "/entries",
    summary=f"Leaf data for START <= index < END (auditors; at most {MAX_ENTRIES} at once)",
    responses=errors(*TOKEN_ERRORS),
)
def entries(
    start: Natural,
    end: Natural,
    actor: Annotated[
        Actor,
        Depends(
            of_the_ledgers_organ(
                Role.auditor,
                what="the log's entries",
                otherwise="read them with `auxledger log entries` on the server",
            )
        ),
    ],
    runtime: RuntimeDep,
) -> list[s.EntryPublic]:
    """Shaped like ``auxledger log entries``, as one JSON array. The log holds every organ's
    records (personal fields sealed): only auditors of the organ that runs the ledger read it."""
    if end - start > MAX_ENTRIES:
        raise ApiProblem("proof_request", f"ask for at most {MAX_ENTRIES} entries at once")
    return [
        s.EntryPublic(index=i, leaf=_b64(leaf)) for i, leaf in runtime.log().entries(start, end)
    ]


@router.get(
    "/verification",
    summary="Verify the whole ledger now and report (auditors)",
    responses=errors(*TOKEN_ERRORS),
)
def verification(
    actor: Annotated[Actor, Depends(roles(*VERIFICATION_ROLES))],
    ledger: LedgerDep,
    runtime: RuntimeDep,
    full: Annotated[bool, Query(description="Re-check every record, not only new ones")] = False,
) -> s.VerificationPublic:
    """The report of ``auxledger verify --json``; the server's witness is not moved."""
    report = verify_ledger(ledger, full=full, witness=None, progress=False)
    remember(
        runtime.settings.ledger.witness_dir,
        report,
        ran_at=datetime.now(tz=UTC),
        by="GET /v1/ledger/verification",
    )
    runtime.metrics.verifications.labels("ok" if report.ok else "failed").inc()
    return s.VerificationPublic.model_validate(report.to_json())
