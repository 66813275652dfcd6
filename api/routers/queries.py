"""Queries and reports, served from the read models of ``projections`` (never written here).

Every query runs with the token's organ (and, for the ``unit`` role, its unit) as scope.
Lists are paginated (``page``, ``page_size``); every report of ``projections.reports`` is
served at ``/v1/reports/<name>`` with its declared parameters, as JSON or CSV
(``?format=csv``). Timelines, Art. 18 files (the timeline's entries of ``DISCIPLINE_EVENTS``)
and as-of views of a person are personal records: their reads are recorded like the record
itself, and personal fields in timeline entries are masked by
role (``api.personal``); complaint events never show the complainant in an auxiliary's
timeline.

Reports and lists that name people (``ReportSpec.names_people``; the lists of auxiliaries
and complaints) are personal data read in bulk: an inspector gives the reason for every
read of one, exactly as for a single record (422 ``reason_required`` otherwise, nothing shown
and nothing recorded), and each such read is recorded as one ``RecordAccess`` (record type
``report``, the report's name, the columns naming people, the reason, the route). Reports of
counts and sums name nobody and need no reason.

Oversight (issue 13): every list and report takes ``organ``, the token's own by default. An
oversight token may name an organ below its own (``read_scope``); any other organ answers
404 ``not_found``, as a record out of scope does. Such a read crosses organs: whatever the
role and whatever the report (counts and sums too), it needs a reason (422
``reason_required`` otherwise, nothing recorded) and is recorded as one ``RecordAccess``
whose purpose names the route and the organ read (``GET /v1/reports/quota-use?organ=…``).
"""

# No ``from __future__ import annotations``: generated handlers need real annotations.

import inspect
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from api.deps import RuntimeDep, overseen, oversight_complaint_organ, oversight_organ, roles
from api.jsonbody import StrictJsonRoute
from api.personal import disclose
from api.problems import ApiProblem
from api.routers.common import TOKEN_ERRORS, ReasonDep, errors
from api.runtime import Runtime
from api.schemas.auxiliaries import ResidentLookup
from api.schemas.common import Day, Moment, QueryWhole
from domain.checks import has_visible_character
from domain.identity import validate_resident_id
from domain.values import Actor, Role, china_date
from ledger.access import ReasonRequiredError, record_access
from projections.identity import RESIDENT_ID_KIND
from projections.queries import ComplaintQueries, PersonnelQueries, ResponsibilityQueries
from projections.reports import REPORTS, Report, ReportSpec, run_report
from projections.results import PersonnelStatus, Timeline

router = APIRouter(tags=["queries"], route_class=StrictJsonRoute)

I, P, C, D, E, U = (  # noqa: E741 - role initials, as in the tables of docs/api.md
    Role.inspector,
    Role.personnel,
    Role.complaints,
    Role.discipline,
    Role.establishment,
    Role.unit,
)
PERSON_READERS = (P, I)
COMPLAINT_READERS = (C, I, D)
REPORT_READERS = (I, P, D)
STATUS_READERS = (P, I, U)
"""Who lists and searches current records (``GET /v1/auxiliaries``)."""
AS_OF_READERS = (P, I, D)
DISCIPLINE_READERS = (D, I, P)
"""Who reads an auxiliary's Art. 18 file (``GET /v1/auxiliaries/{id}/discipline``): the
discipline office that hears, decides and refers, the inspectorate that decides appeals, and
personnel who keep the record. Only the timeline's readers (``PERSON_READERS``) read the rest."""
DISCIPLINE_EVENTS: tuple[str, ...] = (
    "Auxiliary.StatementHeard",
    "Auxiliary.StatementWaived",
    "Auxiliary.SanctionImposed",
    "Auxiliary.SanctionAppealed",
    "Auxiliary.AppealDecided",
    "Auxiliary.SanctionRevoked",
    "Auxiliary.Reinstated",
    "Auxiliary.ReferredForProsecution",
    "Auxiliary.ReferralOutcomeRecorded",
)
"""The events of an auxiliary's Art. 18 file, as the timeline names them: statements heard or
waived, sanctions imposed, appealed, decided on appeal, revoked, reinstatements, referrals for
prosecution and their outcomes."""
RESPONSIBILITY_READERS = (I, C, D, P)
FIGURE_READERS = (I, P, E, D)
"""Readers of the reports of counts and sums, without a person in them: the establishment
authority (quotas, Art. 5) reads those, never a report naming auxiliaries."""

Page = Annotated[QueryWhole, Query(ge=1, le=1_000_000)]
PageSize = Annotated[QueryWhole, Query(ge=1, le=500)]
Format = Annotated[Literal["json", "csv"], Query(description="csv: one row per item")]
OptionalDay = Annotated[Day | None, Query()]
CSV_ANSWER = {200: {"content": {"application/json": {}, "text/csv": {}}}, **errors(*TOKEN_ERRORS)}
JSON_ANSWER = errors(*TOKEN_ERRORS)
OrganParam = Annotated[
    str | None,
    Query(
        max_length=32,
        description="The organ read: the token's own by default; an oversight token may name "
        "an organ below its own (with a reason; the read is recorded)",
    ),
]


def _unit(actor: Actor, unit: str | None) -> str | None:
    """A unit-level actor is always confined to its own unit."""
    return actor.unit if actor.role == Role.unit.value else unit


def reason_for_people(actor: Actor, reason: str | None) -> None:
    """Before anything is read: an inspector says why a report naming people is read."""
    if actor.role == Role.inspector.value and reason is None:
        raise ReasonRequiredError(
            "an inspector says why a report or list naming people is read: give ?reason= or "
            "an X-Access-Reason header"
        )


def read_scope(runtime: Runtime, actor: Actor, organ: str | None, reason: str | None) -> str | None:
    """Before anything is read: the organ below the token's that a list or report reads, or
    None for the token's own organ (``organ`` not given, or the token's own).

    Only an oversight token reaches an organ below its own (``api.deps.overseen``); every
    other organ answers 404, as a record out of scope does. Such a read needs a reason,
    whatever the role and whatever the report.
    """
    if organ is None or organ == actor.organ:
        return None
    if not overseen(runtime, actor, organ):
        raise ApiProblem("not_found", f"no organ {organ} in the token's scope")
    if not has_visible_character(reason or ""):
        raise ReasonRequiredError(
            "an oversight token says why an organ below its own is read: give ?reason= or an "
            "X-Access-Reason header"
        )
    return organ


def record_people_read(
    runtime: Runtime,
    actor: Actor,
    spec: ReportSpec,
    reason: str | None,
    route: str,
    *,
    below: str | None = None,
) -> None:
    """One access record for an inspector's read of a report or list naming people, and
    for every read of an organ ``below`` the token's (``read_scope``), whatever the role
    and the report: its purpose names the organ read."""
    if below is None and actor.role != Role.inspector.value:
        return
    record_access(
        runtime.ledger(),
        actor,
        record_type="report",
        record_id=spec.name,
        fields=spec.person_columns,
        reason=reason,
        purpose=route if below is None else f"{route}?organ={below}",
        overseen=below is not None,
    )


# ------------------------------------------------------------------ personnel


@router.get(
    "/v1/auxiliaries", summary="Personnel status: current records, filtered", responses=CSV_ANSWER
)
def personnel_status(
    actor: Annotated[Actor, Depends(roles(*STATUS_READERS))],
    runtime: RuntimeDep,
    unit: str | None = None,
    post: str | None = None,
    level: Annotated[QueryWhole | None, Query(ge=1, le=99)] = None,
    status: str | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=64,
            description="A name (or part of one) or a work ID. A resident ID number is "
            "refused here (it would sit in URLs and logs): POST /v1/auxiliaries/lookup",
        ),
    ] = None,
    page: Page = 1,
    page_size: PageSize = 50,
    format: Format = "json",
    reason: ReasonDep = None,
    organ: OrganParam = None,
) -> Any:
    """Ordered by unit and name; CSV is the ``personnel_status`` report's. Names people: an
    inspector's read needs a reason and is recorded; so does an oversight token's read of an
    organ below its own (``organ``)."""
    filters = {"unit": _unit(actor, unit), "post": post, "level": level, "status": status, "q": q}
    listing = _Listing(
        "GET /v1/auxiliaries", "personnel_status", filters, page, page_size, format, organ
    )
    return _people_list(
        runtime, actor, reason, PersonnelQueries(runtime.read_models()).status, listing
    )


@router.post(
    "/v1/auxiliaries/lookup",
    summary="Find auxiliaries by resident ID number (keyed blind index; recorded as an access)",
    responses=JSON_ANSWER,
)
def lookup_by_resident_id(
    body: ResidentLookup,
    actor: Annotated[Actor, Depends(roles(*PERSON_READERS))],
    runtime: RuntimeDep,
    reason: ReasonDep,
) -> dict[str, Any]:
    """Current records of the person with this number in the token's organ, newest hire first.

    The number is hashed with the blind-index key (HMAC-SHA256) and the hash looked up in
    the identity read model: no plaintext number is stored or queried. A person whose data
    was erased is not found. Every lookup is recorded as an access (the number never is).
    """
    found = find_by_resident_id(
        runtime, actor, body.resident_id, reason, purpose="POST /v1/auxiliaries/lookup"
    )
    return {"items": [item.to_json() for item in found], "total": len(found)}


def find_by_resident_id(
    runtime: Runtime, actor: Actor, resident_id: str, reason: str | None, *, purpose: str
) -> list[PersonnelStatus]:
    """The lookup by resident ID number, for the API and the console alike: checked, hashed
    with the blind-index key, found in the actor's organ (a unit token: its unit), and every
    lookup recorded as an access (the number never is)."""
    number = validate_resident_id(resident_id, on=china_date(datetime.now(tz=UTC)))
    ledger = runtime.ledger()
    index = ledger.privacy.blind_index(RESIDENT_ID_KIND, number)
    found = PersonnelQueries(runtime.read_models()).by_resident_index(
        index, organ=actor.organ, unit=_unit(actor, None)
    )
    for record_id in [str(item.auxiliary_id) for item in found] or ["none found"]:
        record_access(
            ledger,
            actor,
            record_type="auxiliary",
            record_id=record_id,
            fields=["resident_id"],
            reason=reason,
            purpose=purpose,
        )
    return found


def _timeline_route(
    name: str, path: str, readers: tuple[Role, ...], summary: str, events: tuple[str, ...] | None
) -> Callable[..., dict[str, Any]]:
    """Register ``GET path`` for ``readers``: ``timeline_view`` of an auxiliary (of ``events``
    only, if given), personal fields masked by role, its read recorded as an access under the
    route. An oversight token reads an auxiliary of an organ below its own only with a reason
    (issue 13)."""
    Reader = Annotated[Actor, Depends(roles(*readers))]  # noqa: N806 - a type, as FastAPI reads it

    def read(auxiliary_id: UUID, actor: Reader, runtime: RuntimeDep, reason: ReasonDep) -> Any:
        below = oversight_organ(runtime, actor, auxiliary_id)
        shown = partial(timeline_view, auxiliary_id, actor, runtime, reason, events=events)
        where: dict[str, Any] = {
            "record_type": "auxiliary",
            "record_id": auxiliary_id,
            "purpose": f"GET {path}",
        }
        return _recorded_history(
            runtime, actor, reason, below=below, view=lambda organ: shown(organ=organ), **where
        )

    read.__name__ = read.__qualname__ = name
    read.__doc__ = summary
    return router.get(path, summary=summary, responses=JSON_ANSWER)(read)


timeline = _timeline_route(
    "timeline",
    "/v1/auxiliaries/{auxiliary_id}/timeline",
    PERSON_READERS,
    "An auxiliary's whole history, each event with its signer and verification",
    None,
)
discipline = _timeline_route(
    "discipline",
    "/v1/auxiliaries/{auxiliary_id}/discipline",
    DISCIPLINE_READERS,
    "An auxiliary's Art. 18 file: statements, sanctions, appeals, referrals, verified",
    DISCIPLINE_EVENTS,
)
"""The timeline's entries of the Art. 18 events only (``DISCIPLINE_EVENTS``), each checked and
masked exactly as the timeline's (the statement is the auxiliary's personal data: withheld but
for an inspector with a reason)."""


def _recorded_history(
    runtime: Runtime,
    actor: Actor,
    reason: str | None,
    *,
    below: str | None,
    view: Callable[[str | None], tuple[dict[str, Any], list[str]]],
    record_type: str,
    record_id: UUID,
    purpose: str,
) -> dict[str, Any]:
    """A record's history as ``view`` shows it (of the actor's organ, or of the organ
    ``below`` it that the actor oversees), its read recorded before it is answered. An
    oversight read without a reason is refused before anything is read."""
    if below is not None and not has_visible_character(reason or ""):
        raise ReasonRequiredError(
            "an oversight token says why a personal record is read: give ?reason= or an "
            "X-Access-Reason header"
        )
    data, shown = view(below)
    record_access(
        runtime.ledger(),
        actor,
        record_type=record_type,
        record_id=record_id,
        fields=shown,
        reason=reason,
        purpose=purpose,
        overseen=below is not None,
    )
    return data


def timeline_view(
    auxiliary_id: UUID,
    actor: Actor,
    runtime: Runtime,
    reason: str | None,
    *,
    organ: str | None = None,
    events: Collection[str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The timeline as ``actor`` may read it (personal fields masked by role) and the
    personal fields shown in clear, of the actor's organ (or of ``organ``, an organ below it
    that the actor oversees); ``events``: only the entries of these events (the fields in
    clear are those of the entries kept). Not recorded: the caller records the read first."""
    result = PersonnelQueries(runtime.read_models()).timeline(
        auxiliary_id, organ=organ or actor.organ
    )
    return _masked_timeline(result, actor, reason, events)


def timeline_and_as_of_views(
    auxiliary_id: UUID, on: date, actor: Actor, runtime: Runtime, reason: str | None
) -> tuple[dict[str, Any], list[str], dict[str, Any] | None]:
    """``timeline_view`` and ``as_of_view`` (None: no record on ``on``) from one checked read
    of the auxiliary's events, for an actor who may read both. Not recorded."""
    timeline, on_date = PersonnelQueries(runtime.read_models()).timeline_and_as_of(
        auxiliary_id, on, organ=actor.organ
    )
    data, shown = _masked_timeline(timeline, actor, reason)
    return data, shown, on_date.to_json() if on_date is not None else None


def _masked_timeline(
    result: Timeline, actor: Actor, reason: str | None, events: Collection[str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    data: dict[str, Any] = result.to_json()
    if events is not None:
        data["entries"] = [entry for entry in data["entries"] if entry["event"] in events]
    return data, _mask_entries(data["entries"], "auxiliary", actor, reason)


def _mask_entries(
    entries: list[dict[str, Any]], record_type: str, actor: Actor, reason: str | None
) -> list[str]:
    """Mask the personal fields of each history entry by role, in place; the fields shown in
    clear, sorted. A field shown in clear keeps its decoded value and type (a health check's
    ``fit`` stays ``true``/``false``); a mask is text."""
    shown: set[str] = set()
    for entry in entries:
        personal = {name: entry["fields"].get(name) for name in entry.get("personal_fields", ())}
        if personal:
            disclosure = disclose(record_type, actor, reason, _as_text(personal))
            entry["fields"].update(disclosure.values)
            entry["fields"].update({name: personal[name] for name in disclosure.clear})
            shown.update(disclosure.clear)
    return sorted(shown)


def _as_text(values: dict[str, Any]) -> dict[str, str | None]:
    return {k: None if v is None else str(v) for k, v in values.items()}


@router.get(
    "/v1/auxiliaries/{auxiliary_id}/as-of",
    summary="An auxiliary's record as it stood on a date (optionally as recorded by an instant)",
    responses=JSON_ANSWER,
)
def as_of(
    auxiliary_id: UUID,
    on: Day,
    actor: Annotated[Actor, Depends(roles(*AS_OF_READERS))],
    runtime: RuntimeDep,
    reason: ReasonDep,
    recorded_by: Moment | None = None,
) -> dict[str, Any]:
    """Replayed from the auxiliary's signed events; the reading is recorded as an access.

    The view holds no sealed field (resident ID, phone, address): ``fields`` is empty.
    """
    data = as_of_view(auxiliary_id, on, actor, runtime, recorded_by)
    record_access(
        runtime.ledger(),
        actor,
        record_type="auxiliary",
        record_id=auxiliary_id,
        fields=[],
        reason=reason,
        purpose="GET /v1/auxiliaries/{auxiliary_id}/as-of",
    )
    return data


def as_of_view(
    auxiliary_id: UUID,
    on: date,
    actor: Actor,
    runtime: Runtime,
    recorded_by: datetime | None = None,
) -> dict[str, Any]:
    """The record as it stood on ``on`` (no sealed field). Not recorded: the caller records
    the read first."""
    result = PersonnelQueries(runtime.read_models()).as_of(
        auxiliary_id, on, organ=actor.organ, recorded_by=recorded_by
    )
    data: dict[str, Any] = result.to_json()
    return data


@router.get(
    "/v1/auxiliaries/{auxiliary_id}/responsibility",
    summary="Who answered for the auxiliary on a date: organ, unit, supervisor (Art. 10)",
    responses=JSON_ANSWER,
)
def responsibility(
    auxiliary_id: UUID,
    on: Day,
    actor: Annotated[Actor, Depends(roles(*RESPONSIBILITY_READERS))],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """From the effective-dated history."""
    data: dict[str, Any] = (
        ResponsibilityQueries(runtime.read_models())
        .responsible_on(auxiliary_id, on, organ=actor.organ)
        .to_json()
    )
    return data


# ------------------------------------------------------------------ complaints


@router.get(
    "/v1/complaints",
    summary="The complaint registry (Art. 17)",
    responses=CSV_ANSWER,
)
def registry(
    actor: Annotated[Actor, Depends(roles(*COMPLAINT_READERS))],
    runtime: RuntimeDep,
    unit: str | None = None,
    status: str | None = None,
    auxiliary_id: UUID | None = None,
    received_from: OptionalDay = None,
    received_to: OptionalDay = None,
    page: Page = 1,
    page_size: PageSize = 50,
    format: Format = "json",
    reason: ReasonDep = None,
    organ: OrganParam = None,
) -> Any:
    """With each complaint's deadlines; no complainant's details. CSV is the
    ``complaint_registry`` report's. Names auxiliaries: an inspector's read needs a reason
    and is recorded; so does an oversight token's read of an organ below (``organ``)."""
    filters = {
        "unit": unit,
        "status": status,
        "auxiliary_id": auxiliary_id,
        "received_from": received_from,
        "received_to": received_to,
    }
    listing = _Listing(
        "GET /v1/complaints", "complaint_registry", filters, page, page_size, format, organ
    )
    return _people_list(
        runtime, actor, reason, ComplaintQueries(runtime.read_models()).registry, listing
    )


@router.get(
    "/v1/complaints/{complaint_id}/history",
    summary="A complaint's whole history, each event with its signer and verification",
    responses=JSON_ANSWER,
)
def complaint_history(
    complaint_id: UUID,
    actor: Annotated[Actor, Depends(roles(*COMPLAINT_READERS))],
    runtime: RuntimeDep,
    reason: ReasonDep,
) -> dict[str, Any]:
    """The complainant's details masked by role as on ``GET /v1/complaints/{id}``; the
    reading is recorded as an access. An oversight token reads a complaint of an organ below
    its own only with a reason (issue 13)."""
    return _recorded_history(
        runtime,
        actor,
        reason,
        below=oversight_complaint_organ(runtime, actor, complaint_id),
        view=lambda organ: complaint_history_view(
            complaint_id, actor, runtime, reason, organ=organ
        ),
        record_type="complaint",
        record_id=complaint_id,
        purpose="GET /v1/complaints/{complaint_id}/history",
    )


def complaint_history_view(
    complaint_id: UUID,
    actor: Actor,
    runtime: Runtime,
    reason: str | None,
    *,
    organ: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """A complaint's history as ``actor`` may read it and the personal fields shown in
    clear, of the actor's organ (or of ``organ``, an organ below it that the actor
    oversees). Not recorded: the caller records the read first."""
    result = ComplaintQueries(runtime.read_models()).history(
        complaint_id, organ=organ or actor.organ
    )
    data: dict[str, Any] = result.to_json()
    data["complaint_id"] = str(complaint_id)
    for entry in data["entries"]:
        entry["fields"].pop("tracking_hash", None)
    return data, _mask_entries(data["entries"], "complaint", actor, reason)


# ------------------------------------------------------------------ reports

REPORT_READERS_BY_NAME: dict[str, tuple[Role, ...]] = {
    "personnel_status": STATUS_READERS,
    "complaint_registry": COMPLAINT_READERS,
    "complaints_overdue": COMPLAINT_READERS,
    "complaints_not_notified": COMPLAINT_READERS,
    "complaints_unmatched": COMPLAINT_READERS,
    "complaint_findings": COMPLAINT_READERS,
    "complaint_time_to_close": COMPLAINT_READERS,
    "reviews": COMPLAINT_READERS,
    "reviews_due": COMPLAINT_READERS,
    "accountability_by_unit": (I, D),
    "accountability_by_supervisor": (I, D),
    "misconduct_findings": (I, D),
    "quota_use": FIGURE_READERS,
    "level_distribution": FIGURE_READERS,
    "pay_against_wage": FIGURE_READERS,
}
"""Who reads which report; every report not named here is for ``REPORT_READERS``."""


def report_readers(name: str) -> tuple[Role, ...]:
    """The roles that may read the report ``name``."""
    return REPORT_READERS_BY_NAME.get(name, REPORT_READERS)


ANY_REPORT_READERS: tuple[Role, ...] = tuple(
    r for r in Role if any(r in report_readers(name) for name in REPORTS)
)
"""Roles that may read at least one report."""

_KINDS: dict[str, Any] = {"int": QueryWhole, "date": Day, "bool": bool, "uuid": UUID, "str": str}


def _csv(report: Report, name: str) -> Response:
    return Response(
        report.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@dataclass(frozen=True)
class _Listing:
    """A list route's request: the route, the report whose rows it lists, its filters, page
    and format."""

    route: str
    report: str
    filters: dict[str, Any]
    page: int
    page_size: int
    format: str
    organ: str | None = None
    """The organ asked for (``read_scope``), None: the token's own."""


def _people_list(
    runtime: Runtime,
    actor: Actor,
    reason: str | None,
    query: Callable[..., Any],
    listing: _Listing,
) -> Any:
    """A list naming people in the token's organ (or the organ below it that
    ``listing.organ`` names, ``read_scope``): the page as JSON from ``query`` (called with
    the filters by name), or as the CSV of the report of the same rows. Before anything is
    read, an inspector gives a reason (``reason_for_people``); an inspector's read of either
    is recorded as an access, and so is every read of an organ below."""
    below = read_scope(runtime, actor, listing.organ, reason)
    reason_for_people(actor, reason)
    spec = REPORTS[listing.report]
    organ = below or actor.organ
    if listing.format == "csv":
        report = _report_page(
            runtime, listing.report, organ, listing.filters, listing.page, listing.page_size
        )
        record_people_read(runtime, actor, spec, reason, listing.route, below=below)
        return _csv(report, listing.report)
    result = query(organ=organ, **listing.filters, page=listing.page, page_size=listing.page_size)
    record_people_read(runtime, actor, spec, reason, listing.route, below=below)
    return result.to_json()


def _report_page(
    runtime: Runtime,
    name: str,
    organ: str,
    filters: dict[str, Any],
    page: int,
    page_size: int,
) -> Report:
    """A list's page as a report: the page of the report of the same rows (for CSV)."""
    arguments = {k: v for k, v in filters.items() if v is not None}
    arguments.update(organ=organ, page=page, page_size=page_size)
    return run_report(runtime.read_models(), name, arguments)


def report_for(
    runtime: Runtime,
    spec: ReportSpec,
    actor: Actor,
    params: dict[str, Any],
    *,
    below: str | None = None,
) -> Any:
    """Run a report for an actor: scoped to its organ (a unit token: its unit), or to the
    organ ``below`` it that ``read_scope`` admitted, the given filters checked by the report.
    The caller has admitted the actor's role (``report_readers``). The API's route and the
    console's page alike."""
    arguments = {k: v for k, v in params.items() if v is not None}
    arguments["organ"] = below or actor.organ
    if actor.role == Role.unit.value and "unit" in {p.name for p in spec.params}:
        arguments["unit"] = actor.unit
    return run_report(runtime.read_models(), spec.name, arguments)


def read_report(
    runtime: Runtime,
    spec: ReportSpec,
    actor: Actor,
    params: dict[str, Any],
    reason: str | None,
    route: str,
    organ: str | None = None,
) -> Any:
    """A report read as the API's route reads it, for the API and the console alike: a
    report naming people needs an inspector's reason first (``reason_for_people``), is run
    by ``report_for`` and its read is recorded (``record_people_read``, named ``route``).
    ``organ``: the organ asked for (``read_scope``: an oversight token's organ below, any
    report then needing a reason and recorded)."""
    below = read_scope(runtime, actor, organ, reason)
    if spec.names_people:
        reason_for_people(actor, reason)
    report = report_for(runtime, spec, actor, params, below=below)
    if spec.names_people or below is not None:
        record_people_read(runtime, actor, spec, reason, route, below=below)
    return report


def _report_route(spec: ReportSpec) -> None:
    readers = report_readers(spec.name)
    route = f"GET /v1/reports/{spec.name.replace('_', '-')}"

    def handler(
        actor: Actor,
        runtime: Runtime,
        format: str,
        reason: str | None = None,
        organ: str | None = None,
        **params: Any,
    ) -> Any:
        report = read_report(runtime, spec, actor, params, reason, route, organ)
        if format == "csv":
            return _csv(report, spec.name)
        return report.to_json()

    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter("actor", keyword, annotation=Annotated[Actor, Depends(roles(*readers))]),
        inspect.Parameter("runtime", keyword, annotation=RuntimeDep),
        inspect.Parameter("format", keyword, annotation=Format, default="json"),
        # Names people: an inspector says why (api.routers.common.access_reason); any report
        # of an organ below the token's (oversight, ``organ``) needs a reason too.
        inspect.Parameter(
            "reason",
            keyword,
            annotation=ReasonDep,
            default=None,
        ),
        inspect.Parameter("organ", keyword, annotation=OrganParam, default=None),
    ]
    for param in spec.params:
        described = param.help or (f"one of: {', '.join(param.choices)}" if param.choices else None)
        parameters.append(
            inspect.Parameter(
                param.name,
                keyword,
                annotation=Annotated[_KINDS[param.kind] | None, Query(description=described)],
                default=None,
            )
        )
    if spec.paged:
        parameters.append(inspect.Parameter("page", keyword, annotation=Page, default=1))
        parameters.append(inspect.Parameter("page_size", keyword, annotation=PageSize, default=50))
    handler.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    handler.__name__ = f"report_{spec.name}"
    handler.__doc__ = f"{spec.title} ({spec.article}); JSON, or CSV with ?format=csv."
    router.add_api_route(
        f"/v1/reports/{spec.name.replace('_', '-')}",
        handler,
        methods=["GET"],
        summary=f"{spec.title} ({spec.article})",
        responses=CSV_ANSWER,
    )


for _spec in REPORTS.values():
    _report_route(_spec)
