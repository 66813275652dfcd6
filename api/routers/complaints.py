"""Complaint handling by the complaints office, through the whole lifecycle (Art. 17).

Handling commands are rows of ``COMMANDS``, routed by the generator of
``api.routers.commands`` (one ``POST`` per domain command); the complaint record
is readable by the complaints office (contact details in clear), inspectors (masked unless
they give a reason) and the discipline office (masked).
"""

# No ``from __future__ import annotations``: generated handlers need real annotations.

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from api.deps import CurrentActor, LedgerDep, RuntimeDep, roles
from api.jsonbody import StrictJsonRoute
from api.personal import disclose
from api.problems import ApiProblem
from api.receipts import IntakeIdentity, intake_identity, tracking_code_shown, tracking_hash
from api.routers.commands import Commanding, CommandRoute, Target, add_command_routes, send_body
from api.routers.common import (
    TOKEN_ERRORS,
    ReasonDep,
    SendingDep,
    errors,
    recorded_reply,
)
from api.routers.records import Records
from api.runtime import Runtime
from api.schemas import complaints as s
from api.schemas.common import RecordedPublic
from domain.commands.complaint import ComplaintCommand
from domain.complaint import Complaint
from domain.values import Actor, Role
from ledger.records import AuxLedger, Envelope, Recorded

router = APIRouter(prefix="/v1/complaints", tags=["complaints"], route_class=StrictJsonRoute)

C = Role.complaints


COMMANDS: tuple[CommandRoute[ComplaintCommand], ...] = (
    CommandRoute(
        "acknowledge",
        "/{complaint_id}/acknowledge",
        s.AcknowledgementCreate,
        (C,),
        "Acknowledge receipt",
    ),
    CommandRoute(
        "accept", "/{complaint_id}/accept", s.AcceptanceCreate, (C,), "Accept for investigation"
    ),
    CommandRoute(
        "decline", "/{complaint_id}/decline", s.DeclineCreate, (C,), "Decline (not accepted)"
    ),
    CommandRoute(
        "assign",
        "/{complaint_id}/assign",
        s.InvestigatorAssignmentCreate,
        (C,),
        "Assign an investigator",
    ),
    CommandRoute(
        "record_finding",
        "/{complaint_id}/record-finding",
        s.FindingCreate,
        (C,),
        "Record a finding",
    ),
    CommandRoute(
        "notify_complainant",
        "/{complaint_id}/notify-complainant",
        s.NotificationCreate,
        (C,),
        "Record that the complainant was told the result (Art. 17)",
    ),
    CommandRoute(
        "withdraw", "/{complaint_id}/withdraw", s.WithdrawalCreate, (C,), "Record a withdrawal"
    ),
    CommandRoute("close", "/{complaint_id}/close", s.ClosureCreate, (C,), "Close the complaint"),
    CommandRoute(
        "reopen", "/{complaint_id}/reopen", s.ReopeningCreate, (C,), "Reopen a closed complaint"
    ),
    CommandRoute(
        "request_review",
        "/{complaint_id}/request-review",
        s.ReviewRequestCreate,
        (C,),
        "Ask for a review (复查) of the result on the complainant's behalf",
    ),
    CommandRoute(
        "decide_review",
        "/{complaint_id}/decide-review",
        s.ReviewDecisionCreate,
        (Role.inspector, Role.discipline),
        "Decide a review (复查): by the inspectorate or the discipline office",
    ),
    CommandRoute(
        "queue_notification",
        "/{complaint_id}/queue-notification",
        s.QueueNotificationCreate,
        (C,),
        "Queue a notification to the complainant for the delivery worker (Art. 17)",
    ),
)
"""Every complaint-handling command; the complaints office sends them all."""

READ_ROLES = (Role.complaints, Role.inspector, Role.discipline)
COMMAND_ROLES = (C,)
"""Who handles complaints: every command of ``COMMANDS``."""


def perform(
    actor: Actor,
    ledger: AuxLedger,
    complaint_id: UUID,
    body: Commanding[ComplaintCommand],
    expected: int | None,
) -> Recorded:
    """Record one complaint command through the application service (the API's route and
    the console's form alike)."""
    return send_body(COMPLAINT, ledger, actor, complaint_id, body, expected)


COMPLAINTS = Records[Complaint]("complaint", AuxLedger.complaint)


def scoped_complaint(complaint_id: UUID, actor: CurrentActor, ledger: LedgerDep) -> Complaint:
    """The complaint, if it exists and its responsible organ is the actor's; else 404."""
    return COMPLAINTS.scoped(ledger, actor, complaint_id)


ScopedComplaint = Annotated[Complaint, Depends(scoped_complaint)]


def readable_complaint(
    complaint_id: UUID, actor: CurrentActor, ledger: LedgerDep, runtime: RuntimeDep
) -> tuple[Complaint, bool]:
    """The complaint, if it lies in the actor's scope or, for an oversight token, in an organ
    below its own (then True: the read needs a reason, issue 13); else 404."""
    return COMPLAINTS.readable(ledger, actor, runtime, complaint_id)


@router.get("/{complaint_id}", summary="A complaint's record", responses=errors(*TOKEN_ERRORS))
def read_complaint(
    complaint_id: UUID,
    actor: Annotated[Actor, Depends(roles(*READ_ROLES))],
    readable: Annotated[tuple[Complaint, bool], Depends(readable_complaint)],
    ledger: LedgerDep,
    response: Response,
    reason: ReasonDep,
) -> s.ComplaintPublic:
    """Contact details in clear for the complaints office; every read is recorded. An
    oversight token reads a complaint of an organ below its own only with a reason."""
    return COMPLAINTS.read(
        ledger,
        actor,
        readable,
        lambda complaint: complaint_view(complaint, actor, reason),
        record_id=complaint_id,
        reason=reason,
        purpose="GET /v1/complaints/{complaint_id}",
        response=response,
    )


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
        responsibility=None
        if r is None
        else s.ResponsibilityPublic(
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
        due=complaint.round_due,
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
        organ=complaint.organ,
        matched=complaint.matched,
        subject_description=complaint.subject_description,
        outside_reference=complaint.outside_reference,
        referring_organ=complaint.referring_organ,
    ), tuple(shown.clear)


COMPLAINT = Target[UUID, ComplaintCommand](
    key="complaint_id",
    key_type=UUID,
    send=AuxLedger.command_complaint,
    scope=ScopedComplaint,
    operation_prefix="complaint",
)
"""Complaint commands: the complaint must be in the token's scope (404 otherwise)."""

add_command_routes(router, COMPLAINT, COMMANDS)


# ------------------------------------------------------------------ every channel (Art. 17)


def auxiliary_of_work_id(runtime: Runtime, work_id: str) -> UUID:
    """The auxiliary the work ID was issued to, or ``unknown_auxiliary`` (staff only: the
    complaints office may name an auxiliary of any organ, as a referral does)."""
    found = runtime.directory().by_work_id(work_id)
    if found is None:
        raise ApiProblem("unknown_auxiliary", "no auxiliary was issued a work ID of this number")
    return found.auxiliary_id


@dataclass(frozen=True)
class Taken:
    """A complaint the office took, and the tracking code (canonical) to give its
    complainant: shown once, never stored (the ledger keeps its hash)."""

    recorded: Recorded
    tracking_code: str


def take(
    actor: Actor,
    ledger: AuxLedger,
    runtime: Runtime,
    body: s.ComplaintIntakeCreate,
    identity: IntakeIdentity | None = None,
) -> Taken:
    """Record a complaint taken from any channel (the API's route and the console's form),
    with the hash of its tracking code. ``identity``: the complaint id and code a form made
    (a repeated form then fails at the insert); random when None."""
    if identity is None:
        identity = intake_identity(runtime.secret, client="", idempotency_key=None, body=b"")
    auxiliary_id = None if body.work_id is None else auxiliary_of_work_id(runtime, body.work_id)
    recorded = ledger.take_complaint(
        body.command(
            auxiliary_id,
            tracking_hash=tracking_hash(identity.tracking_code),
            complaint_id=identity.complaint_id,
        ),
        Envelope(actor, effective=body.effective, basis=body.basis),
    )
    return Taken(recorded, identity.tracking_code)


def match(
    actor: Actor,
    ledger: AuxLedger,
    runtime: Runtime,
    complaint_id: UUID,
    body: s.SubjectMatchCreate,
    expected: int | None,
) -> Recorded:
    """Match an unnamed complaint to the auxiliary of a work ID (the route and the console)."""
    auxiliary_id = auxiliary_of_work_id(runtime, body.work_id)
    return ledger.match_complaint(
        complaint_id,
        body.command(auxiliary_id),
        Envelope(actor, effective=body.effective, basis=body.basis, expected_version=expected),
    )


@router.post(
    "/intake",
    status_code=status.HTTP_201_CREATED,
    summary="Take a complaint from any channel: 12389, 110, 信访, in person, referral (Art. 17)",
    responses=errors(*TOKEN_ERRORS),
)
def take_complaint(
    body: s.ComplaintIntakeCreate,
    actor: Annotated[Actor, Depends(roles(*COMMAND_ROLES))],
    ledger: LedgerDep,
    runtime: RuntimeDep,
    response: Response,
) -> s.ComplaintTakenPublic:
    """Taken by the token's actor; the complainant's details are sealed as at the public
    intake. The answer carries the complaint's tracking code, to read out to the
    complainant or write on the receipt: only here, only once (the ledger keeps its hash)."""
    taken = take(actor, ledger, runtime, body)
    response.headers["Location"] = f"/v1/complaints/{taken.recorded.originator_id}"
    reply = recorded_reply(taken.recorded, response, runtime)
    return s.ComplaintTakenPublic(
        **reply.model_dump(), tracking_code=tracking_code_shown(taken.tracking_code)
    )


@router.post(
    "/{complaint_id}/match-subject",
    summary="Name the auxiliary an unnamed complaint is about (Art. 17)",
    responses=errors(*TOKEN_ERRORS),
)
def match_subject(
    complaint_id: UUID,
    body: s.SubjectMatchCreate,
    actor: Annotated[Actor, Depends(roles(*COMMAND_ROLES))],
    scoped: ScopedComplaint,
    sending: SendingDep,
) -> RecordedPublic:
    """Attributed to who answered for the auxiliary on the incident date, as at intake."""
    recorded = match(actor, sending.ledger, sending.runtime, complaint_id, body, sending.expected())
    return sending.reply(recorded)


__all__ = ["COMMANDS", "router"]
