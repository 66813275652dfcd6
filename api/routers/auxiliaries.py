"""Auxiliaries: hire, every later command (one route per application command), the record.

Every later command is a row of ``COMMANDS``: its path, its body model (whose ``command()``
builds the domain command object), the roles that may send it and its summary; the generator
of ``api.routers.commands`` gives each one route. The domain checks the same rules again, with
the article, and the unit of the day for unit-level actors.
"""

# No ``from __future__ import annotations`` here: the generated handlers' annotations must be
# real classes for FastAPI to read their bodies.

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status
from pydantic import ValidationError

from api.deps import CurrentActor, LedgerDep, RuntimeDep, roles
from api.jsonbody import StrictJsonRoute
from api.personal import disclose
from api.problems import ApiProblem
from api.routers.commands import CommandRoute, Target, add_command_routes, send_body
from api.routers.common import (
    TOKEN_ERRORS,
    ReasonDep,
    SendingDep,
    errors,
    recorded_reply,
)
from api.routers.records import Records
from api.schemas import auxiliaries as s
from api.schemas import holds as hs
from api.schemas import lifecycle as lc
from api.schemas.common import RecordedPublic
from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import AuxiliaryCommand, Correct, Hire
from domain.commands.holds import LegalHoldCommand
from domain.values import Actor, Role
from ledger.records import AuxLedger

router = APIRouter(prefix="/v1/auxiliaries", tags=["auxiliaries"], route_class=StrictJsonRoute)

P, U, D, I = Role.personnel, Role.unit, Role.discipline, Role.inspector  # noqa: E741


COMMANDS: tuple[CommandRoute[AuxiliaryCommand], ...] = (
    CommandRoute(
        "renew_contract",
        "/{auxiliary_id}/renew-contract",
        s.ContractRenewalCreate,
        (P,),
        "Renew the contract (Art. 8)",
    ),
    CommandRoute(
        "change_post",
        "/{auxiliary_id}/change-post",
        s.PostChangeCreate,
        (P,),
        "Change the post (Art. 9)",
    ),
    CommandRoute(
        "transfer",
        "/{auxiliary_id}/transfer",
        s.TransferCreate,
        (P,),
        "Transfer to another unit (Art. 9, 10)",
    ),
    CommandRoute(
        "assign_supervisor",
        "/{auxiliary_id}/assign-supervisor",
        s.SupervisorAssignmentCreate,
        (U, P),
        "Assign the supervising officer (Art. 10)",
    ),
    CommandRoute(
        "release_supervisor",
        "/{auxiliary_id}/release-supervisor",
        s.SupervisorReleaseCreate,
        (U, P),
        "Release the supervising officer (Art. 10)",
    ),
    CommandRoute(
        "evaluate",
        "/{auxiliary_id}/evaluate",
        s.EvaluationCreate,
        (P,),
        "Record the annual assessment (Art. 11)",
    ),
    CommandRoute(
        "change_level",
        "/{auxiliary_id}/change-level",
        s.LevelChangeCreate,
        (P,),
        "Change the level (Art. 11)",
    ),
    CommandRoute(
        "issue_credential",
        "/{auxiliary_id}/issue-credential",
        s.CredentialIssueCreate,
        (P,),
        "Issue a credential (Art. 12)",
    ),
    CommandRoute(
        "revoke_credential",
        "/{auxiliary_id}/revoke-credential",
        s.CredentialRevocationCreate,
        (P,),
        "Revoke a credential (Art. 12)",
    ),
    CommandRoute(
        "return_credential",
        "/{auxiliary_id}/return-credential",
        s.CredentialReturnCreate,
        (P,),
        "Record a credential's return (Art. 12)",
    ),
    CommandRoute(
        "enrol_insurance",
        "/{auxiliary_id}/enrol-insurance",
        s.InsuranceEnrolmentCreate,
        (P,),
        "Record an insurance enrolment (Art. 13)",
    ),
    CommandRoute(
        "record_health_check",
        "/{auxiliary_id}/record-health-check",
        s.HealthCheckCreate,
        (P,),
        "Record a health check (Art. 13)",
    ),
    CommandRoute(
        "record_duty_injury",
        "/{auxiliary_id}/record-duty-injury",
        s.DutyInjuryCreate,
        (U, P),
        "Record a duty injury (Art. 14)",
    ),
    CommandRoute(
        "advance_cost",
        "/{auxiliary_id}/advance-cost",
        s.CostAdvanceCreate,
        (P,),
        "Record an advanced cost (Art. 14)",
    ),
    CommandRoute(
        "record_infringement",
        "/{auxiliary_id}/record-infringement",
        s.InfringementCreate,
        (U, P),
        "Record an infringement (Art. 15)",
    ),
    CommandRoute(
        "commend",
        "/{auxiliary_id}/commend",
        s.CommendationCreate,
        (P,),
        "Record a commendation (Art. 16)",
    ),
    CommandRoute(
        "hear_statement",
        "/{auxiliary_id}/hear-statement",
        s.StatementHearingCreate,
        (D,),
        "Hear the statement and defence before a decision (Art. 18)",
    ),
    CommandRoute(
        "waive_statement",
        "/{auxiliary_id}/waive-statement",
        s.StatementWaiverCreate,
        (D,),
        "Record a written waiver of the statement and defence (Art. 18)",
    ),
    CommandRoute(
        "impose_sanction",
        "/{auxiliary_id}/impose-sanction",
        s.SanctionCreate,
        (D,),
        "Impose a sanction (Art. 18)",
    ),
    CommandRoute(
        "appeal_sanction",
        "/{auxiliary_id}/appeal-sanction",
        s.SanctionAppealCreate,
        (D,),
        "Record an appeal (Art. 18)",
    ),
    CommandRoute(
        "decide_appeal",
        "/{auxiliary_id}/decide-appeal",
        s.AppealDecisionCreate,
        (I,),
        "Decide an appeal: the inspectorate, not who imposed it (Art. 18)",
    ),
    CommandRoute(
        "revoke_sanction",
        "/{auxiliary_id}/revoke-sanction",
        s.SanctionRevocationCreate,
        (D,),
        "Revoke a sanction (Art. 18)",
    ),
    CommandRoute(
        "reinstate",
        "/{auxiliary_id}/reinstate",
        s.ReinstatementCreate,
        (D,),
        "Reinstate after suspension (Art. 18)",
    ),
    CommandRoute(
        "refer_for_prosecution",
        "/{auxiliary_id}/refer-for-prosecution",
        s.ProsecutionReferralCreate,
        (D,),
        "Refer for prosecution (Art. 18)",
    ),
    CommandRoute(
        "record_referral_outcome",
        "/{auxiliary_id}/record-referral-outcome",
        s.ReferralOutcomeCreate,
        (D,),
        "Record a referral's outcome (Art. 18)",
    ),
    CommandRoute(
        "return_to_agency",
        "/{auxiliary_id}/return-to-agency",
        s.AgencyReturnCreate,
        (P,),
        "Return to the dispatch agency (Art. 8)",
    ),
    CommandRoute(
        "separate", "/{auxiliary_id}/separate", s.SeparationCreate, (P,), "Record the separation"
    ),
    CommandRoute(
        "start_probation",
        "/{auxiliary_id}/start-probation",
        lc.ProbationStart,
        (P,),
        "Record the probation (Art. 8, 9)",
    ),
    CommandRoute(
        "complete_probation",
        "/{auxiliary_id}/complete-probation",
        lc.ProbationOutcome,
        (P,),
        "Record the probation's outcome (Art. 9)",
    ),
    CommandRoute(
        "record_training",
        "/{auxiliary_id}/record-training",
        lc.TrainingCreate,
        (P,),
        "Record a training (Art. 9)",
    ),
    CommandRoute(
        "start_leave",
        "/{auxiliary_id}/start-leave",
        lc.LeaveStart,
        (P, U),
        "Record a leave (Art. 13)",
    ),
    CommandRoute(
        "end_leave",
        "/{auxiliary_id}/end-leave",
        lc.LeaveEnd,
        (P, U),
        "Record the return from a leave (Art. 13)",
    ),
)
"""Every command on a hired auxiliary's record, one route each."""

READ_ROLES = (P, U, D, I)


AUXILIARIES = Records[Auxiliary]("auxiliary", AuxLedger.auxiliary)


def scoped_auxiliary(auxiliary_id: UUID, actor: CurrentActor, ledger: LedgerDep) -> Auxiliary:
    """The auxiliary, if it exists and lies in the actor's scope; else 404."""
    return AUXILIARIES.scoped(ledger, actor, auxiliary_id)


ScopedAuxiliary = Annotated[Auxiliary, Depends(scoped_auxiliary)]


def commanded_auxiliary(
    auxiliary_id: UUID, actor: CurrentActor, ledger: LedgerDep, runtime: RuntimeDep
) -> Auxiliary:
    """The auxiliary a command is sent to: ``scoped_auxiliary``, except that an oversight
    token's command on an organ below its own answers 403 ``oversight_read_only``."""
    return AUXILIARIES.commanded(ledger, actor, runtime, auxiliary_id)


CommandedAuxiliary = Annotated[Auxiliary, Depends(commanded_auxiliary)]


def readable_auxiliary(
    auxiliary_id: UUID, actor: CurrentActor, ledger: LedgerDep, runtime: RuntimeDep
) -> tuple[Auxiliary, bool]:
    """The auxiliary, if it lies in the actor's scope or, for an oversight token, in an organ
    below its own (then True: the read needs a reason); else 404."""
    return AUXILIARIES.readable(ledger, actor, runtime, auxiliary_id)


HIRE_ROLES = (P,)
"""Who hires (the domain: the personnel department at organ level only, Art. 8)."""

HIRE = Target[str, Hire](key="organ", key_type=str, send=AuxLedger.hire)
"""A hire reaches the service into the actor's organ (the key), as the route and the
console's hire page send it."""


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Hire an auxiliary (Art. 5, 8, 9)",
    responses=errors(*TOKEN_ERRORS),
)
def hire(
    body: s.HireCreate,
    actor: Annotated[Actor, Depends(roles(*HIRE_ROLES))],
    ledger: LedgerDep,
    runtime: RuntimeDep,
    response: Response,
) -> RecordedPublic:
    """Hire into the token's organ; takes a quota slot in the same transaction."""
    recorded = send_body(HIRE, ledger, actor, actor.organ, body, None)
    response.headers["Location"] = f"/v1/auxiliaries/{recorded.originator_id}"
    return recorded_reply(recorded, response, runtime)


@router.get(
    "/{auxiliary_id}",
    summary="An auxiliary's current record",
    responses=errors(*TOKEN_ERRORS),
)
def read_auxiliary(
    auxiliary_id: UUID,
    actor: Annotated[Actor, Depends(roles(*READ_ROLES))],
    readable: Annotated[tuple[Auxiliary, bool], Depends(readable_auxiliary)],
    ledger: LedgerDep,
    response: Response,
    reason: ReasonDep,
) -> s.AuxiliaryPublic:
    """Personal fields in clear for personnel (and inspectors giving a reason); recorded.
    An oversight token reads an organ below its own only with a reason (issue 13)."""
    return AUXILIARIES.read(
        ledger,
        actor,
        readable,
        lambda auxiliary: auxiliary_view(auxiliary, actor, reason),
        record_id=auxiliary_id,
        reason=reason,
        purpose="GET /v1/auxiliaries/{auxiliary_id}",
        response=response,
    )


def auxiliary_view(
    auxiliary: Auxiliary, actor: Actor, reason: str | None
) -> tuple[s.AuxiliaryPublic, tuple[str, ...]]:
    """The record as ``actor`` may read it (personal fields masked by role) and the personal
    fields shown in clear. Not recorded: the caller records the read (``record_access``)
    before it shows anything."""
    shown = disclose(
        "auxiliary",
        actor,
        reason,
        {
            "resident_id": auxiliary.resident_id,
            "phone": auxiliary.phone,
            "address": auxiliary.address,
        },
    )
    return s.AuxiliaryPublic(
        id=auxiliary.id,
        version=auxiliary.version,
        organ=auxiliary.organ,
        unit=auxiliary.unit,
        status=auxiliary.status,
        name=auxiliary.name,
        gender=auxiliary.gender,
        hired_on=auxiliary.hired_on,
        employment_form=auxiliary.employment_form,
        dispatch_agency=auxiliary.dispatch_agency,
        contract_start=auxiliary.contract_start,
        contract_end=auxiliary.contract_end,
        post_type=auxiliary.post_type,
        post_category=auxiliary.post_category,
        level=auxiliary.level,
        supervisor_id=auxiliary.supervisor_id,
        supervisor_name=auxiliary.supervisor_name,
        separated_on=auxiliary.separated_on,
        separation_reason=auxiliary.separation_reason,
        credentials=[
            s.CredentialPublic(kind=c.kind, serial=c.serial, issued_on=c.issued_on, status=c.status)
            for c in auxiliary.credentials
        ],
        sanctions=[
            s.SanctionPublic(
                sanction_id=x.sanction_id,
                kind=x.kind,
                effective=x.effective,
                until=x.until,
                status=x.status.value,
                appeal=x.appeal.value,
                document_number=x.document_number,
            )
            for x in auxiliary.sanctions.values()
        ],
        lifecycle=lc.LifecyclePublic.of(auxiliary),
        resident_id=shown.values["resident_id"],
        phone=shown.values["phone"],
        address=shown.values["address"],
        personal_fields_in_clear=list(shown.clear),
    ), tuple(shown.clear)


CORRECTION_ROLES = (P,)
"""Who corrects a record (the domain: resident ID numbers at organ level only)."""

CORRECTION = Target[UUID, Correct](
    key="auxiliary_id",
    key_type=UUID,
    send=AuxLedger.correct_auxiliary,
    scope=ScopedAuxiliary,
)
"""A correction reaches the service as the route and the console's dossier send it."""


@router.post(
    "/{auxiliary_id}/correct",
    summary="Correct a field of the record (a new event pointing at the old one)",
    responses=errors(*TOKEN_ERRORS),
)
def correct(
    auxiliary_id: UUID,
    body: s.CorrectionCreate,
    actor: Annotated[Actor, Depends(roles(*CORRECTION_ROLES))],
    auxiliary: ScopedAuxiliary,
    sending: SendingDep,
) -> RecordedPublic:
    """Correct a whitelisted field; dates as ``YYYY-MM-DD``."""
    expected = sending.expected()
    try:
        recorded = send_body(CORRECTION, sending.ledger, actor, auxiliary_id, body, expected)
    except ValidationError as e:  # a contract date that is not one (``body.command()``)
        message = e.errors()[0]["msg"].removeprefix("Value error, ")
        raise ApiProblem("validation", f"{body.field} {message}") from None
    return sending.reply(recorded)


AUXILIARY = Target[UUID, AuxiliaryCommand](
    key="auxiliary_id",
    key_type=UUID,
    send=AuxLedger.command_auxiliary,
    scope=CommandedAuxiliary,
    operation_prefix="auxiliary",
)
"""Auxiliary commands: the auxiliary must be in the token's scope (404 otherwise)."""

add_command_routes(router, AUXILIARY, COMMANDS)

# ---------------------------------------------------------------------------- legal holds

HOLD_ROLES = (D, I, Role.admin)

HOLD_COMMANDS: tuple[CommandRoute[LegalHoldCommand], ...] = (
    CommandRoute(
        "place_legal_hold",
        "/{auxiliary_id}/place-legal-hold",
        hs.LegalHoldCreate,
        HOLD_ROLES,
        "Place a legal hold: no erasure of the person's data while it stands",
    ),
    CommandRoute(
        "release_legal_hold",
        "/{auxiliary_id}/release-legal-hold",
        hs.LegalHoldReleaseCreate,
        HOLD_ROLES,
        "Release a legal hold, giving the reason",
    ),
)
"""The explicit holds on an auxiliary's data (their own record, ``LegalHolds``)."""

LEGAL_HOLDS = Target[UUID, LegalHoldCommand](
    key="auxiliary_id",
    key_type=UUID,
    send=AuxLedger.command_legal_hold,
    scope=ScopedAuxiliary,
    operation_prefix="auxiliary",
)

add_command_routes(router, LEGAL_HOLDS, HOLD_COMMANDS)


@router.get(
    "/{auxiliary_id}/legal-holds",
    summary="The legal holds on an auxiliary's data, and what blocks its erasure now",
    responses=errors(*TOKEN_ERRORS),
)
def read_legal_holds(
    auxiliary_id: UUID,
    actor: Annotated[Actor, Depends(roles(P, D, I, Role.admin))],
    auxiliary: ScopedAuxiliary,
    ledger: LedgerDep,
) -> hs.LegalHoldsPublic:
    """Explicit holds (standing and released) and every open complaint, sanction, appeal or
    hold that would refuse an erasure: kinds and ids, no personal data."""
    return legal_holds_view(ledger, auxiliary_id)


HOLD_READERS = (P, *HOLD_ROLES)
"""Who reads an auxiliary's legal holds (the route above, and the console's dossier)."""


def legal_holds_view(ledger: AuxLedger, auxiliary_id: UUID) -> hs.LegalHoldsPublic:
    """The holds on an auxiliary's data and what blocks its erasure now (checked reads)."""
    holds = ledger.legal_holds(auxiliary_id)
    return hs.LegalHoldsPublic(
        holds=[
            hs.LegalHoldPublic(
                hold_id=h.hold_id,
                reason=h.reason,
                reference=h.reference,
                placed_by=h.placed_by,
                placed_role=h.placed_role,
                standing=h.standing,
                release_reason=h.release_reason,
            )
            for h in (holds.holds if holds is not None else ())
        ],
        blocking_erasure=[
            hs.ErasureBlockPublic(kind=kind, id=ref)
            for kind, ref in ledger.holds_blocking_erasure(auxiliary_id)
        ],
    )
