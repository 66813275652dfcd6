"""Complaint handling by the complaints office, through the whole lifecycle (Art. 17).

Routes are generated from ``COMMANDS`` (one per application command); the complaint record
is readable by the complaints office (contact details in clear), inspectors (masked unless
they give a reason) and the discipline office (masked).
"""

# No ``from __future__ import annotations``: generated handlers need real annotations.

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from api.deps import CurrentActor, IfMatch, LedgerDep, RuntimeDep, expected_version, roles, visible
from api.jsonbody import StrictJsonRoute
from api.personal import disclose
from api.problems import ApiProblem
from api.routers.common import TOKEN_ERRORS, access_reason, errors, recorded_reply
from api.schemas import complaints as s
from api.schemas.common import CommandBody, RecordedPublic
from domain.complaint import Complaint
from domain.values import Actor, Role
from ledger.access import record_access
from ledger.errors import NotFoundError
from ledger.records import AuxLedger, Recorded

router = APIRouter(prefix="/v1/complaints", tags=["complaints"], route_class=StrictJsonRoute)

C = Role.complaints


@dataclass(frozen=True)
class Command:
    """One complaint-handling command, exposed as ``POST /{id}/{slug}``."""

    action: str
    slug: str
    body: type[CommandBody]
    summary: str


COMMANDS: tuple[Command, ...] = (
    Command("acknowledge", "acknowledge", s.AcknowledgementCreate, "Acknowledge receipt"),
    Command("accept", "accept", s.AcceptanceCreate, "Accept for investigation"),
    Command("decline", "decline", s.DeclineCreate, "Decline (not accepted)"),
    Command("assign", "assign", s.InvestigatorAssignmentCreate, "Assign an investigator"),
    Command("record_finding", "record-finding", s.FindingCreate, "Record a finding"),
    Command(
        "notify_complainant",
        "notify-complainant",
        s.NotificationCreate,
        "Record that the complainant was told the result (Art. 17)",
    ),
    Command("withdraw", "withdraw", s.WithdrawalCreate, "Record a withdrawal"),
    Command("close", "close", s.ClosureCreate, "Close the complaint"),
    Command("reopen", "reopen", s.ReopeningCreate, "Reopen a closed complaint"),
)

READ_ROLES = (Role.complaints, Role.inspector, Role.discipline)
COMMAND_ROLES = (C,)
"""Who handles complaints: every command of ``COMMANDS``."""


def perform(
    command: Command,
    actor: Actor,
    ledger: AuxLedger,
    complaint_id: UUID,
    body: CommandBody,
    expected: int | None,
) -> Recorded:
    """Record one complaint command through the application service (the API's route and
    the console's form alike)."""
    return ledger.update_complaint(
        actor,
        complaint_id,
        command.action,
        expected_version=expected,
        effective=body.effective,
        basis=body.basis,
        **body.command_fields(),
    )


def scoped_complaint(complaint_id: UUID, actor: CurrentActor, ledger: LedgerDep) -> Complaint:
    """The complaint, if it exists and its responsible organ is the actor's; else 404."""
    try:
        complaint = ledger.complaint(complaint_id)
    except NotFoundError:
        complaint = None
    if complaint is None or not visible(actor, complaint.organ, complaint.responsibility.unit):
        raise ApiProblem("not_found", f"no complaint {complaint_id} in the token's scope")
    return complaint


ScopedComplaint = Annotated[Complaint, Depends(scoped_complaint)]


@router.get("/{complaint_id}", summary="A complaint's record", responses=errors(*TOKEN_ERRORS))
def read_complaint(
    complaint_id: UUID,
    actor: Annotated[Actor, Depends(roles(*READ_ROLES))],
    complaint: ScopedComplaint,
    ledger: LedgerDep,
    response: Response,
    reason: Annotated[str | None, Depends(access_reason)],
) -> s.ComplaintPublic:
    """Contact details in clear for the complaints office; every read is recorded."""
    shown, clear = complaint_view(complaint, actor, reason)
    record_access(
        ledger,
        actor,
        record_type="complaint",
        record_id=complaint_id,
        fields=clear,
        reason=reason,
        purpose="GET /v1/complaints/{complaint_id}",
    )
    response.headers["ETag"] = f'"{complaint.version}"'
    return shown


def complaint_view(
    complaint: Complaint, actor: Actor, reason: str | None
) -> tuple[s.ComplaintPublic, tuple[str, ...]]:
    """The complaint as ``actor`` may read it (the complainant masked by role) and the
    personal fields shown in clear. Not recorded: the caller records the read first."""
    shown = disclose(
        "complaint",
        actor,
        reason,
        {
            "complainant_name": complaint.complainant_name,
            "complainant_phone": complaint.complainant_phone,
            "complainant_resident_id": complaint.complainant_resident_id,
            "complainant_address": complaint.complainant_address,
            "contact_text": complaint.contact_text,
        },
    )
    r = complaint.responsibility
    return s.ComplaintPublic(
        id=complaint.id,
        version=complaint.version,
        status=complaint.status,
        channel=complaint.channel.value,
        auxiliary_id=complaint.auxiliary_id,
        responsibility=s.ResponsibilityPublic(
            organ=r.organ,
            unit=r.unit,
            supervisor_id=r.supervisor_id,
            supervisor_name=r.supervisor_name,
        ),
        incident_at=complaint.incident_at,
        incident_place=complaint.incident_place,
        allegations=[
            s.AllegationPublic(number=a.number, text=a.text) for a in complaint.allegations
        ],
        received_on=complaint.received_on,
        due=complaint.due,
        round=complaint.round,
        findings=[
            s.FindingPublic(allegation_number=n, result=f.result)
            for n, f in sorted(complaint.findings.items())
        ],
        complainant_name=shown.values["complainant_name"],
        complainant_phone=shown.values["complainant_phone"],
        complainant_resident_id=shown.values["complainant_resident_id"],
        complainant_address=shown.values["complainant_address"],
        contact_text=shown.values["contact_text"],
        personal_fields_in_clear=list(shown.clear),
    ), tuple(shown.clear)


def _command_route(command: Command) -> None:
    body_model: Any = command.body
    gate = roles(*COMMAND_ROLES)

    def handler(
        complaint_id: UUID,
        body: body_model,
        actor: Annotated[Actor, Depends(gate)],
        complaint: ScopedComplaint,
        ledger: LedgerDep,
        runtime: RuntimeDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> RecordedPublic:
        assert isinstance(body, CommandBody)
        recorded = perform(command, actor, ledger, complaint_id, body, expected_version(if_match))
        return recorded_reply(recorded, response, runtime)

    handler.__name__ = command.action
    handler.__doc__ = command.body.__doc__
    router.add_api_route(
        f"/{{complaint_id}}/{command.slug}",
        handler,
        methods=["POST"],
        summary=command.summary,
        responses=errors(*TOKEN_ERRORS),
        response_model=RecordedPublic,
        operation_id=f"complaint_{command.action}",
    )


for _command in COMMANDS:
    _command_route(_command)

__all__ = ["COMMANDS", "router"]
