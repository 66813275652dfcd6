"""Find a person: by name (or part of one), work ID, unit and status, or by resident ID
number through the blind index.

Both searches are the API's own: the list is ``GET /v1/auxiliaries`` (``personnel_status``,
with ``q``), the number lookup ``POST /v1/auxiliaries/lookup`` (``find_by_resident_id``,
recorded as an access, the number never stored or logged). The form is POSTed, so a number
typed into it never sits in a URL. The list names people: an inspector states the reason
first (a reason page, kept in the session for the visit) and every list shown is recorded
as one access by the API's own route function, as ``GET /v1/auxiliaries`` records it.

Oversight (issue 13): an oversight token's form offers an organ chooser (its own organ and
every organ below it); a search of an organ below is ``GET /v1/auxiliaries?organ=`` (the
reason for the visit given first, the read recorded with the organ read), and its results
open dossiers through the dossier's own reason flow. The number lookup stays in the own organ.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.console import staff as staff_pages
from api.console.web import render
from api.deps import RuntimeDep, may, overseen_organs, require_roles
from api.problems import ApiProblem
from api.routers import queries as query_routes
from api.runtime import Runtime
from domain.values import AuxiliaryStatus, Role
from projections.queries import RESIDENT_ID_SHAPE

PAGE_SIZE = 25
Searcher = Annotated[staff_pages.Staff, staff_pages.admitted(*query_routes.STATUS_READERS)]
SEARCH = staff_pages.section("/console/search", "查找辅警", query_routes.STATUS_READERS, order=10)
REASON = staff_pages.ReasonGate(
    key="search",
    action="/console/search/reason",
    then="/console/search",
    subject="查找辅警的结果",
    button="查找辅警",
)
"""Where an inspector states why this visit's searches are made."""


@staff_pages.router.post("/search/reason")
async def state_search_reason(request: Request, staff: Searcher) -> Response:
    """Keep the reason for this visit's searches."""
    return await REASON.keep(request, staff)


def _page(
    request: Request,
    runtime: Runtime,
    staff: staff_pages.Staff,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "staff/search.html",
        {
            "statuses": list(AuxiliaryStatus),
            "lookup_allowed": may(staff.actor, query_routes.PERSON_READERS),
            "reason_needed": staff.actor.role == "inspector",
            "form": {},
            "organs": overseen_organs(runtime, staff.actor),
            **context,
        },
        status_code=status_code,
    )


@staff_pages.router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, runtime: RuntimeDep, staff: Searcher) -> Response:
    """The search form, with the first page of the records in scope (an inspector: after
    the reason for this visit, the list's read recorded)."""
    reason = REASON.kept(staff)
    if staff.actor.role == Role.inspector.value and reason is None:
        return REASON.ask(request)
    result = query_routes.personnel_status(
        actor=staff.actor, runtime=runtime, page_size=PAGE_SIZE, reason=reason
    )
    return _page(request, runtime, staff, result=result)


@staff_pages.router.post("/search", response_class=HTMLResponse)
async def search(request: Request, runtime: RuntimeDep, staff: Searcher) -> Response:
    """Search by text, unit and status; or look a resident ID number up (blind index)."""
    fields = await staff_pages.checked_form(request, staff)
    form = {
        name: staff_pages.one(fields, name)
        for name in ("q", "unit", "status", "page", "reason", "organ")
    }
    try:
        typed = staff_pages.typed_reason(form["reason"])
    except ApiProblem as problem:  # nothing kept, nothing searched
        form.pop("reason", None)
        refusal = staff_pages.reason_refusal(problem)
        rule = staff_pages.REASON_RULE
        return _page(
            request, runtime, staff, form=form, refusal=refusal, rule=rule, status_code=422
        )
    if typed is not None:  # a reason typed into the form serves the rest of the visit too
        staff.session.keep_reason(REASON.key, typed)
    reason = typed or REASON.kept(staff)
    number = staff_pages.one(fields, "resident_id")
    if not number and RESIDENT_ID_SHAPE.match(form["q"]):
        number, form["q"] = form["q"], ""  # a number typed as text: the blind index, too
    if number:  # the lookup's own roles, as POST /v1/auxiliaries/lookup admits them
        require_roles(staff.actor, query_routes.PERSON_READERS)
    try:
        if number:
            found = query_routes.find_by_resident_id(
                runtime,
                staff.actor,
                number,
                reason,
                purpose="POST /console/search",
            )
            result = {"items": [item.to_json() for item in found], "total": len(found)}
            return _page(request, runtime, staff, result=result, form=form, by_number=True)
        page = int(form["page"]) if form["page"].isdigit() and len(form["page"]) < 7 else 1
        result = query_routes.personnel_status(
            actor=staff.actor,
            runtime=runtime,
            unit=form["unit"] or None,
            status=form["status"] or None,
            q=form["q"] or None,
            page=max(page, 1),
            page_size=PAGE_SIZE,
            reason=reason,
            organ=form["organ"] or None,
        )
    except staff_pages.REFUSALS as error:
        form.pop("reason", None)
        return _page(request, runtime, staff, form=form, refusal=staff_pages.refusal_of(error))
    return _page(request, runtime, staff, result=result, form=form)
