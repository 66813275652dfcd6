"""Organs, units, staffing quotas (Art. 5, 10), pay schedules and average wages (Art. 7).

The organ's own commands (a unit, the quota, its adjustment) are rows of ``COMMANDS``, routed
by the generator of ``api.routers.commands`` like every aggregate's commands.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from api.deps import (
    CurrentActor,
    LedgerDep,
    RuntimeDep,
    require_organ,
    roles,
)
from api.jsonbody import StrictJsonRoute
from api.routers.commands import CommandRoute, Target, add_command_routes
from api.routers.common import TOKEN_ERRORS, SendingDep, errors, recorded_reply
from api.schemas import organs as s
from api.schemas.common import QueryWhole, RecordedPublic
from domain.commands.organ import OrganCommand
from domain.commands.pay import SetPaySchedule
from domain.values import Actor, Role
from ledger.records import AuxLedger, Envelope

router = APIRouter(tags=["organs"], route_class=StrictJsonRoute)

E, P, A = Role.establishment, Role.personnel, Role.admin
STAFF = (
    Role.establishment,
    Role.personnel,
    Role.unit,
    Role.complaints,
    Role.discipline,
    Role.inspector,
    Role.admin,
)
OrganCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="Organ code")]


def own_organ(code: OrganCode, actor: CurrentActor) -> str:
    """The organ code of the path, if it is the token's organ; else 403."""
    require_organ(actor, code)
    return code


OwnOrgan = Annotated[str, Depends(own_organ)]


@router.post(
    "/v1/organs",
    status_code=status.HTTP_201_CREATED,
    summary="Register the token's organ (Art. 4)",
    responses=errors(*TOKEN_ERRORS),
)
def register_organ(
    body: s.OrganCreate,
    actor: Annotated[Actor, Depends(roles(A, E))],
    ledger: LedgerDep,
    runtime: RuntimeDep,
    response: Response,
) -> RecordedPublic:
    """An actor registers only its own organ."""
    require_organ(actor, body.code)
    recorded = ledger.register_organ(
        body.command(), Envelope(actor, effective=body.effective, basis=body.basis)
    )
    response.headers["Location"] = f"/v1/organs/{body.code}"
    return recorded_reply(recorded, response, runtime)


@router.get(
    "/v1/organs/{code}",
    summary="An organ: units, quota, headcount",
    responses=errors(*TOKEN_ERRORS),
)
def read_organ(
    actor: Annotated[Actor, Depends(roles(*STAFF))],
    code: OwnOrgan,
    ledger: LedgerDep,
    response: Response,
) -> s.OrganPublic:
    """The organ's current record."""
    organ = ledger.organ(code)
    response.headers["ETag"] = f'"{organ.version}"'
    return s.OrganPublic(
        code=organ.code,
        name=organ.name,
        region=organ.region,
        version=organ.version,
        units=dict(organ.units),
        quota=organ.quota,
        headcount=organ.headcount,
        parent=organ.parent,
    )


@router.put(
    "/v1/organs/{code}/parent",
    summary="Place the token's organ under its parent organ (issue 13, Art. 4)",
    responses=errors(*TOKEN_ERRORS),
)
def set_parent(
    body: s.ParentCreate,
    actor: Annotated[Actor, Depends(roles(A, E))],
    code: OwnOrgan,
    sending: SendingDep,
) -> RecordedPublic:
    """The parent must be registered and may not lie below the organ (409 ``organ_cycle``);
    the parent's inspector, discipline and auditor tokens may then be given oversight. This
    process's copy of the organ tree is forgotten: the placement counts at once."""
    try:
        recorded = sending.ledger.set_organ_parent(
            code, body.command(), sending.envelope(actor, body)
        )
    finally:  # even a commit that failed late may have been recorded
        sending.runtime.organ_tree.forget()
    return sending.reply(recorded)


ORGAN = Target[str, OrganCommand](
    key="code", key_type=OwnOrgan, send=AuxLedger.command_organ, key_first=False
)
"""Organ commands: the path's organ must be the token's (403), no operation-id prefix."""

COMMANDS: tuple[CommandRoute[OrganCommand], ...] = (
    CommandRoute(
        "register_unit",
        "/v1/organs/{code}/units",
        s.UnitCreate,
        (A, E, P),
        "Register a using unit (Art. 10)",
        status_code=status.HTTP_201_CREATED,
        description="Units are registered once.",
    ),
    CommandRoute(
        "set_quota",
        "/v1/organs/{code}/quota",
        s.QuotaCreate,
        (E,),
        "Set the staffing quota (Art. 5)",
        description="Only when no quota is set yet; afterwards adjust it.",
    ),
    CommandRoute(
        "adjust_quota",
        "/v1/organs/{code}/quota-adjustments",
        s.QuotaAdjustmentCreate,
        (E,),
        "Adjust the staffing quota (Art. 5)",
        description="The quota may go below the headcount; hires stop until it is back above.",
    ),
)

add_command_routes(router, ORGAN, COMMANDS)


@router.put(
    "/v1/organs/{code}/pay-schedules/{year}",
    summary="Set the monthly pay per level for a year (Art. 7)",
    responses=errors(*TOKEN_ERRORS),
)
def set_pay_schedule(
    body: s.PayScheduleCreate,
    year: Annotated[QueryWhole, Path(ge=1990, le=2100)],
    actor: Annotated[Actor, Depends(roles(P))],
    code: OwnOrgan,
    sending: SendingDep,
) -> RecordedPublic:
    """A later schedule for the same year supersedes the earlier one."""
    recorded = sending.ledger.set_pay_schedule(
        code,
        SetPaySchedule(year=year, monthly_by_level=body.monthly_by_level),
        sending.envelope(actor, body),
    )
    return sending.reply(recorded)


@router.post(
    "/v1/average-wages",
    summary="Record the local average wage of a year (Art. 7)",
    responses=errors(*TOKEN_ERRORS),
)
def record_average_wage(
    body: s.AverageWageCreate,
    actor: Annotated[Actor, Depends(roles(P, E))],
    sending: SendingDep,
) -> RecordedPublic:
    """Last year's figure is the floor for the auxiliaries' average pay."""
    recorded = sending.ledger.record_average_wage(
        body.region, body.command(), sending.envelope(actor, body)
    )
    return sending.reply(recorded)
