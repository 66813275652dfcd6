"""The Merkle log for outside verifiers (public) and for auditors (entries, verification)."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from api.deps import LedgerDep, RuntimeDep, of_the_ledgers_organ
from api.jsonbody import StrictJsonRoute
from api.problems import ApiProblem
from api.routers.common import PUBLIC_ERRORS, TOKEN_ERRORS, errors
from api.schemas import ledger as s
from api.schemas.common import QueryWhole
from api.verification import VerificationRunningError, exclusive_verification
from domain.values import Actor, Role
from ledger.verification_record import remember
from ledger.verify import Witness, verify_ledger
from ledger.witnessing import CosignatureStore, published_checkpoint

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], route_class=StrictJsonRoute)

MAX_ENTRIES = 1000
HTTP_VERIFY_WORKERS = max(1, (os.cpu_count() or 1) // 2)
"""Worker processes of a verification started over HTTP: half the cores, so the server
keeps answering while it runs (``auxledger verify`` on the server uses all of them)."""
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
    """Origin, tree size and root, signed by the ledger's key; with witnesses configured
    (``AUXLEDGER_WITNESSES``), the recent checkpoint most of them cosigned (ties: the newest),
    with every cosignature; the latest one while none is cosigned under the active key."""
    ledger = runtime.ledger()
    note = published_checkpoint(
        runtime.log(), CosignatureStore(ledger.ledger_recorder), ledger.settings.witnesses
    )
    if note is None:
        raise ApiProblem("not_found", "the log is empty: no checkpoint yet")
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


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


VerificationMode = Literal["incremental", "full"]
RETRY_AFTER_VERIFICATION = "30"


@router.get(
    "/verification",
    summary="Verify the ledger now and report (auditors of the ledger's organ; one at a time)",
    responses=errors(*TOKEN_ERRORS, 429),
)
def verification(
    actor: Annotated[
        Actor,
        Depends(
            of_the_ledgers_organ(
                Role.auditor,
                what="verifying the whole ledger",
                otherwise="run `auxledger verify` on the server",
            )
        ),
    ],
    ledger: LedgerDep,
    runtime: RuntimeDep,
    mode: Annotated[
        VerificationMode,
        Query(
            description="incremental: what came after the server's witnessed checkpoint; "
            "full: every record of the ledger"
        ),
    ] = "incremental",
) -> s.VerificationPublic:
    """The report of ``auxledger verify --json``, against the server's witness
    (``AUXLEDGER_WITNESS_DIR``), which this does not move. One run at a time across the
    server's processes: 429 ``verification_running`` with ``Retry-After`` while one runs."""
    settings = runtime.settings.ledger
    witness = Witness(settings.witness_dir)
    if mode == "incremental" and witness.load() is None:
        raise ApiProblem(
            "no_witness",
            "the server has no witnessed checkpoint to verify from: run `auxledger verify` "
            "on the server first, or ask for mode=full",
        )
    try:
        with exclusive_verification(settings.database):
            report = verify_ledger(
                ledger,
                full=mode == "full",
                witness=witness,
                update_witness=False,
                progress=False,
                workers=HTTP_VERIFY_WORKERS,
            )
    except VerificationRunningError:
        raise ApiProblem(
            "verification_running",
            "a verification of this ledger is running; try again when it has finished",
            headers={"Retry-After": RETRY_AFTER_VERIFICATION},
        ) from None
    remember(
        runtime.settings.ledger.witness_dir,
        report,
        ran_at=datetime.now(tz=UTC),
        by="GET /v1/ledger/verification",
    )
    runtime.metrics.verifications.labels("ok" if report.ok else "failed").inc()
    return s.VerificationPublic.model_validate(report.to_json())
