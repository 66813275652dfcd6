"""Hiring an auxiliary (录用辅警): ``POST /v1/auxiliaries`` as a form of the personnel
department at organ level.

The form is the API's own body (``api.schemas.auxiliaries.HireCreate``, built by
``staff_forms`` through a ``staff_commands.CommandForms``), the unit a choice of the organ's
units (``GET /v1/organs/{code}``'s ``units``), and it records through the API route's own call
(``send_body`` with ``api.routers.auxiliaries.HIRE``: ``ledger.hire`` into the actor's organ).

Invariants:
- The page and its post admit exactly whom the API route and the domain admit: the roles of
  the route (``HIRE_ROLES``, 403), then the domain's organ-level rule (Art. 8: a unit-level
  token is refused 403 ``not_authorised``, ``domain.authority.require_organ_level``); the
  navigation offers the page to no one else (``Section.organ_level``).
- A post is checked in ``CommandForms``' order (CSRF first, 403 ``csrf``; the role; the
  organ level; the body model; the domain and the ledger); a refusal records nothing and
  shows the form again, as typed, with the refusal in Chinese and the problem's status.
- ``prior_record_elsewhere`` (409): the page names the organs to ask (code and name, all the
  refusal holds) and asks for 继续录用的理由 (``override_reason``), required from then on;
  the same form sent with it records the hire and ``PriorRecordOverridden``, as the API does.
  The reason field is not offered before that warning: the check is asked before deciding.
- What was typed goes back into the form's own inputs only, never into a message: the
  resident ID number, name, telephone and address typed by this person in this session come
  back in the page that answers their own POST (``Cache-Control: no-store``, as every
  console page), so a warning can be answered without typing them again; a refusal names
  fields, never values.
- Done: a 303 to the new auxiliary's dossier, which says 已录用.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console import staff as staff_pages
from api.console.staff_commands import CommandForms, refused_status
from api.console.web import render
from api.deps import LedgerDep, RuntimeDep
from api.routers import auxiliaries as auxiliary_routes
from api.routers.commands import CommandRoute
from api.runtime import Runtime
from api.schemas import auxiliaries as s
from domain.authority import require_organ_level
from domain.values import Actor, china_date
from ledger.records import AuxLedger

OVERRIDE = "override_reason"
"""The field that lets a hire through a ``prior_record_elsewhere`` warning."""

FORMS = CommandForms(
    auxiliary_routes.HIRE,
    (
        CommandRoute(
            "hire", "/hire", s.HireCreate, auxiliary_routes.HIRE_ROLES, "Hire an auxiliary"
        ),
    ),
    {"hire": "录用辅警"},
    form_labels={
        "hire": {
            "contract_start": "劳动合同开始日期",
            "contract_end": "劳动合同截止日期",
            "dispatch_agency": "派遣单位（劳务派遣时填写）",
            "effective": "录用日期",
            OVERRIDE: "继续录用的理由",
        }
    },
    what="hire",
)
"""The hire form: ``HireCreate``, recorded by ``send_body`` with ``HIRE``."""

HIRE = staff_pages.section(
    "/console/hire", "录用辅警", auxiliary_routes.HIRE_ROLES, order=12, organ_level=True
)
Hirer = Annotated[staff_pages.Staff, staff_pages.admitted(*auxiliary_routes.HIRE_ROLES)]


def admit_hire(actor: Actor) -> None:
    """The domain's own rule, before anything is read: hiring is the organ's (Art. 8)."""
    require_organ_level(actor, action="record a hire", article="Art. 8")


def _units(ledger: AuxLedger, actor: Actor) -> list[tuple[str, str]]:
    """The organ's units, as ``GET /v1/organs/{code}`` lists them (code, "code name")."""
    organ = ledger.organ(actor.organ)
    return [(code, f"{code} {name}") for code, name in sorted(organ.units.items())]


def _page(
    request: Request,
    ledger: AuxLedger,
    staff: staff_pages.Staff,
    *,
    typed: Mapping[str, Sequence[str]] | None = None,
    refusal: staff_pages.Refusal | None = None,
) -> Response:
    """The hire form; after a refusal, as typed, with the refusal and its status; after a
    ``prior_record_elsewhere`` warning (or a form that already carried a reason), with
    继续录用的理由 required."""
    warned = refusal is not None and refusal.code == "prior_record_elsewhere"
    asked = warned or bool(staff_pages.one(typed or {}, OVERRIDE))
    form = FORMS.forms(
        staff.actor,
        below=False,
        failed="hire",
        typed=typed,
        choices={"unit": _units(ledger, staff.actor)},
    )[0]
    form["fields"] = [
        replace(f, required=True) if f.name == OVERRIDE else f
        for f in form["fields"]
        if f.name != OVERRIDE or asked
    ]
    context: dict[str, Any] = {
        "form": form,
        "warned": warned,
        "refusal": refusal,
        "today": china_date(datetime.now(tz=UTC)),
    }
    status_code = 200 if refusal is None else refused_status(refusal)
    return render(request, "staff/hire.html", context, status_code=status_code)


def _reached(runtime: Runtime) -> None:
    """Wait (at most ``AUXLEDGER_READ_AFTER_WAIT_SECONDS``) until the read models hold the new
    record, as the projection workers apply it: the dossier it opens reads them (its
    responsibility and timeline know the record from ``rm_auxiliary``)."""
    models = runtime.read_models()
    models.reach(runtime.write_position(), models.names(), timeout=runtime.settings.read_after_wait)


@staff_pages.router.get("/hire", response_class=HTMLResponse)
def hire_page(request: Request, ledger: LedgerDep, staff: Hirer) -> Response:
    """The empty hire form (personnel at organ level)."""
    admit_hire(staff.actor)
    return _page(request, ledger, staff)


@staff_pages.router.post("/hire", response_class=HTMLResponse)
async def hire(request: Request, ledger: LedgerDep, runtime: RuntimeDep, staff: Hirer) -> Response:
    """Record the hire: CSRF first, then the role and the organ level, the body, the domain;
    done, the new dossier."""
    fields = await staff_pages.checked_form(request, staff)
    organ = staff.actor.organ
    admit = partial(admit_hire, staff.actor)
    done = await run_in_threadpool(FORMS.send, staff, ledger, organ, "hire", fields, admit)
    if isinstance(done, staff_pages.Refusal):
        return _page(request, ledger, staff, typed=fields, refusal=done)
    await run_in_threadpool(_reached, runtime)
    return staff_pages.see_other(f"/console/auxiliaries/{done.recorded.originator_id}?done=hire")
