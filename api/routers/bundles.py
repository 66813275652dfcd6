"""Evidence bundles over HTTP: the same export as ``auxledger bundle export`` (api.bundles).

``POST /v1/auxiliaries/{auxiliary_id}/bundle`` and ``POST /v1/complaints/{complaint_id}/bundle``
for inspector and discipline tokens of the record's organ; the body gives the reason (always
required). The answer is the zip (``application/zip``); the export is recorded as a signed
access event per exported record. A POST, not a GET: every export records something.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations.

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ConfigDict, Field, field_validator

from api.bundles import EXPORT_ROLES, export_bundle
from api.deps import LedgerDep
from api.deps import roles as admit
from api.jsonbody import StrictJsonRoute
from api.routers.auxiliaries import ScopedAuxiliary
from api.routers.common import TOKEN_ERRORS, errors
from api.routers.complaints import ScopedComplaint
from api.schemas.common import RequestBody
from domain.values import Actor
from ledger.access import AccessError, check_reason
from ledger.records import AuxLedger

router = APIRouter(tags=["evidence bundles"], route_class=StrictJsonRoute)

ZIP = "application/zip"
ANSWER = {
    200: {
        "description": "The evidence bundle (zip): records, proofs, checkpoints, keys, opened "
        "fields, the case file (PDF), VERIFY.md and verify_bundle.py",
        "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}},
    },
    **errors(*TOKEN_ERRORS),
}


class BundleCreate(RequestBody):
    """Why the bundle is exported (recorded with the export; no personal data in it)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "劳动仲裁调取（仲裁委来函）"}]}
    )

    reason: str = Field(min_length=1, max_length=500, description="Why the bundle is exported")

    @field_validator("reason")
    @classmethod
    def _access_reason(cls, value: str) -> str:
        # The access records' own rule (ledger.access.check_reason), checked before any work.
        try:
            return check_reason(value)
        except AccessError as e:
            raise ValueError(str(e)) from None


Exporter = Annotated[Actor, Depends(admit(*EXPORT_ROLES))]


async def _export(
    ledger: AuxLedger,
    actor: Actor,
    kind: str,
    subject_id: UUID,
    body: BundleCreate,
    purpose: str,
) -> Response:
    """The bundle of one record as the zip answered (built off the event loop; recorded)."""
    exported = await run_in_threadpool(
        export_bundle,
        ledger,
        actor,
        kind=kind,
        subject_id=subject_id,
        reason=body.reason,
        purpose=purpose,
    )
    return Response(
        exported.data,
        media_type=ZIP,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/v1/auxiliaries/{auxiliary_id}/bundle",
    summary="Export an auxiliary's evidence bundle (zip)",
    response_class=Response,
    responses=ANSWER,
)
async def export_auxiliary_bundle(
    auxiliary_id: UUID,
    body: BundleCreate,
    actor: Exporter,
    auxiliary: ScopedAuxiliary,
    ledger: LedgerDep,
) -> Response:
    """The auxiliary's whole signed history with every proof; the export is recorded."""
    return await _export(
        ledger, actor, "auxiliary", auxiliary.id, body, "POST /v1/auxiliaries/{auxiliary_id}/bundle"
    )


@router.post(
    "/v1/complaints/{complaint_id}/bundle",
    summary="Export a complaint's evidence bundle (zip), with the auxiliary it names",
    response_class=Response,
    responses=ANSWER,
)
async def export_complaint_bundle(
    complaint_id: UUID,
    body: BundleCreate,
    actor: Exporter,
    complaint: ScopedComplaint,
    ledger: LedgerDep,
) -> Response:
    """The complaint and the named auxiliary's history with every proof; recorded."""
    return await _export(
        ledger, actor, "complaint", complaint.id, body, "POST /v1/complaints/{complaint_id}/bundle"
    )
