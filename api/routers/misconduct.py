"""Misconduct findings against officials in managing auxiliaries (Art. 19)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from api.deps import CurrentActor, LedgerDep, RuntimeDep, roles
from api.jsonbody import StrictJsonRoute
from api.routers.common import (
    TOKEN_ERRORS,
    ReasonDep,
    SendingDep,
    errors,
    recorded_reply,
)
from api.routers.records import Records
from api.schemas import misconduct as s
from api.schemas.common import RecordedPublic
from domain.misconduct import MisconductFinding
from domain.values import Actor, Role
from ledger.records import Envelope

router = APIRouter(
    prefix="/v1/misconduct-findings", tags=["misconduct"], route_class=StrictJsonRoute
)

D = Role.discipline


FINDINGS = Records[MisconductFinding](
    "misconduct_finding", lambda ledger, finding_id: ledger.load(MisconductFinding, finding_id)
)


def scoped_finding(finding_id: UUID, actor: CurrentActor, ledger: LedgerDep) -> MisconductFinding:
    """The finding, if it exists and belongs to the actor's organ; else 404 (the roles that
    read and amend findings act at organ level: no unit confines them)."""
    return FINDINGS.scoped(ledger, actor, finding_id)


ScopedFinding = Annotated[MisconductFinding, Depends(scoped_finding)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a misconduct finding against an official (Art. 19)",
    responses=errors(*TOKEN_ERRORS),
)
def record_finding(
    body: s.MisconductFindingCreate,
    actor: Annotated[Actor, Depends(roles(D))],
    ledger: LedgerDep,
    runtime: RuntimeDep,
    response: Response,
) -> RecordedPublic:
    """The finding belongs to the token's organ."""
    recorded = ledger.record_misconduct(
        body.command(organ=actor.organ),
        Envelope(actor, effective=body.effective, basis=body.basis),
    )
    response.headers["Location"] = f"/v1/misconduct-findings/{recorded.originator_id}"
    return recorded_reply(recorded, response, runtime)


@router.get("/{finding_id}", summary="A misconduct finding", responses=errors(*TOKEN_ERRORS))
def read_finding(
    actor: Annotated[Actor, Depends(roles(D, Role.inspector))],
    finding: ScopedFinding,
    response: Response,
    ledger: LedgerDep,
    reason: ReasonDep,
) -> s.MisconductFindingPublic:
    """With every decision and the date it took effect; the reading is recorded as an access
    (a finding names the official: a personal record)."""
    return FINDINGS.read(
        ledger,
        actor,
        (finding, False),
        lambda record: (finding_view(record), ()),
        record_id=finding.id,
        reason=reason,
        purpose="GET /v1/misconduct-findings/{finding_id}",
        response=response,
    )


def finding_view(finding: MisconductFinding) -> s.MisconductFindingPublic:
    """The finding as the API shows it (no field of it is sealed)."""
    return s.MisconductFindingPublic(
        id=finding.id,
        version=finding.version,
        official_id=finding.official_id,
        official_name=finding.official_name,
        official_role=finding.official_role,
        organ=finding.organ,
        unit=finding.unit,
        kind=finding.kind,
        summary=finding.summary,
        decision=finding.decision,
        decision_history=[
            s.DecisionPublic(effective=d, decision=text) for d, text in finding.decision_history
        ],
    )


@router.post(
    "/{finding_id}/amend-decision",
    summary="Amend the decision on a finding (Art. 19)",
    responses=errors(*TOKEN_ERRORS),
)
def amend_decision(
    finding_id: UUID,
    body: s.DecisionAmendmentCreate,
    actor: Annotated[Actor, Depends(roles(D))],
    finding: ScopedFinding,
    sending: SendingDep,
) -> RecordedPublic:
    """A new event; the earlier decision stays on record."""
    recorded = sending.ledger.amend_misconduct(
        finding_id, body.command(), sending.envelope(actor, body)
    )
    return sending.reply(recorded)
