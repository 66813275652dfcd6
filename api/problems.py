"""RFC 9457 problem details: the one shape of every error answer, and where each error maps.

Every error leaves the API as ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail``, a stable ``code`` and the ``request_id``; ``type`` is
``/problems/<code>``, which the API serves as a short description (RFC 9457 §3.1.1).

Invariants:
- Errors are caught once, here: domain errors by their stable ``code``, ledger errors by
  class, framework errors (routing, validation, body size, content type) by status.
- A body never carries a traceback, an exception's internals, the value a caller sent or
  personal data: validation problems name the field and the rule, never the input; database
  and integrity failures say what failed, not the SQL or the payload; an unreachable
  database is one generic 503, never its address or the driver's message.
- Unexpected exceptions become a 500 problem; the log line names the exception type and the
  request id only.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import DomainError
from ledger.access import (
    AccessError,
    HolderError,
    OversightError,
    ReasonRequiredError,
    TokenAlreadyRevokedError,
)
from ledger.errors import (
    ConcurrencyConflictError,
    ConfigurationError,
    IntegrityViolation,
    KeyStoreError,
    LedgerError,
    NotFoundError,
    ProofRequestError,
    StorageUnavailableError,
)
from ledger.keyring import KeyRegistryError

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "/problems/"
RETRY_AFTER_UNAVAILABLE = "5"
DATABASE_UNAVAILABLE = "the ledger database cannot be reached; try again shortly"

log = logging.getLogger("auxledger.api")


@dataclass(frozen=True)
class ProblemKind:
    """One kind of problem: its HTTP status and a short, fixed title."""

    status: int
    title: str


# Domain error codes whose refusal is about the record's current state: 409.
_STATE_CONFLICTS = frozenset(
    {
        "quota_exceeded",
        "slot_not_held",
        "auxiliary_separated",
        "credential_error",
        "credential_already_active",
        "credential_not_held",
        "serial_already_issued",
        "invalid_transition",
        "complainant_not_notified",
        "duplicate_record",
        "overlapping_leave",
        "statement_missing",
        "not_labour_dispatch",
    }
)

CATALOGUE: Mapping[str, ProblemKind] = {
    # framework and edge
    "malformed_json": ProblemKind(400, "The request body is not valid JSON"),
    "bad_request": ProblemKind(400, "The request cannot be read"),
    "unknown_query_parameter": ProblemKind(400, "The route has no such query parameter"),
    "proof_request": ProblemKind(400, "The proof asked for lies outside the log"),
    "unauthenticated": ProblemKind(401, "A bearer token is needed"),
    "token_unknown": ProblemKind(401, "The bearer token is not known"),
    "token_revoked": ProblemKind(401, "The bearer token was revoked"),
    "token_expired": ProblemKind(401, "The bearer token has expired"),
    "role_not_allowed": ProblemKind(403, "The token's role may not do this"),
    "csrf": ProblemKind(403, "The form's CSRF token is missing or does not match the session"),
    "session_expired": ProblemKind(401, "The console session has ended: sign in again"),
    "outside_scope": ProblemKind(403, "The record lies outside the token's organ or unit"),
    "not_authorised": ProblemKind(403, "The role may not perform this command"),
    "not_found": ProblemKind(404, "No such resource"),
    "unknown_action": ProblemKind(404, "No such command"),
    "method_not_allowed": ProblemKind(405, "The method is not allowed on this resource"),
    "not_acceptable": ProblemKind(406, "No acceptable representation"),
    "conflict": ProblemKind(409, "The record changed: the expected version is not current"),
    "idempotency_key_reused": ProblemKind(
        409, "The Idempotency-Key was used before with a different request"
    ),
    "token_already_revoked": ProblemKind(409, "The token was already revoked"),
    "key_registry": ProblemKind(409, "The key lifecycle does not allow this"),
    "precondition_malformed": ProblemKind(400, "The If-Match header is not a version"),
    "payload_too_large": ProblemKind(413, "The request body is too large"),
    "unsupported_media_type": ProblemKind(415, "The request body must be application/json"),
    "validation": ProblemKind(422, "The request does not pass validation"),
    "access": ProblemKind(422, "The token request is not valid"),
    "token_holder": ProblemKind(422, "The token's holder is not named as required"),
    "oversight": ProblemKind(422, "The token may not oversee the organs below its own"),
    "oversight_read_only": ProblemKind(403, "An oversight token reads and changes nothing"),
    "unknown_organ": ProblemKind(422, "No such organ is registered"),
    "organ_cycle": ProblemKind(409, "The organ tree would become a cycle"),
    "reason_required": ProblemKind(422, "An inspector gives the reason for reading a record"),
    "unknown_auxiliary": ProblemKind(422, "No one auxiliary matches the one named"),
    "ambiguous_work_id": ProblemKind(422, "The work ID was issued to more than one auxiliary"),
    "erasure": ProblemKind(409, "The erasure is not possible (already erased or no data)"),
    "no_witness": ProblemKind(409, "The server holds no witnessed checkpoint yet"),
    "could_not_verify": ProblemKind(503, "The ledger could not be verified"),
    "rate_limited": ProblemKind(429, "Too many requests from this client"),
    "verification_running": ProblemKind(429, "A verification of the ledger is running"),
    "internal": ProblemKind(500, "Internal error"),
    "integrity": ProblemKind(500, "A stored record failed an integrity check"),
    "unavailable": ProblemKind(503, "The ledger database is unavailable"),
    "not_ready": ProblemKind(503, "The service is not ready"),
    "misconfigured": ProblemKind(503, "The server's configuration or keys are unusable"),
    "bundle": ProblemKind(503, "The evidence bundle cannot be made yet (no covering checkpoint)"),
    # read models (stable codes of projections.errors)
    "query_error": ProblemKind(422, "The query cannot be answered as asked"),
    "ambiguous_serial": ProblemKind(422, "The serial was issued to more than one auxiliary"),
    "unknown_filter": ProblemKind(422, "The query has no such filter"),
    "invalid_filter_value": ProblemKind(422, "A filter value is not allowed"),
    "page_size": ProblemKind(422, "The page or page size is out of range"),
    "unknown_report": ProblemKind(404, "No such report"),
    "unknown_projection": ProblemKind(404, "No such projection"),
    "projection_failed": ProblemKind(503, "A read model stopped; its answers would be stale"),
    # domain (stable codes of domain.errors)
    "domain_error": ProblemKind(422, "The command breaks a rule of the measures"),
    "invalid_field": ProblemKind(422, "A field is missing, malformed or out of bounds"),
    "format_character": ProblemKind(
        422, "Text holds a bidirectional control or an invisible character"
    ),
    "invalid_policy": ProblemKind(422, "The configured policy is inconsistent"),
    "naive_datetime": ProblemKind(422, "A date-time has no time zone"),
    "date_in_future": ProblemKind(422, "A date lies in the future"),
    "invalid_date_range": ProblemKind(422, "Dates are out of order"),
    "quota_exceeded": ProblemKind(409, "The organ's staffing quota is exhausted (Art. 5, 8)"),
    "slot_not_held": ProblemKind(409, "The auxiliary holds no quota slot"),
    "unknown_unit": ProblemKind(422, "The unit is not registered with the organ"),
    "unknown_post_type": ProblemKind(422, "Not one of the post types of Art. 9"),
    "not_an_auxiliary_post": ProblemKind(422, "Art. 2: this work is not an auxiliary's post"),
    "invalid_resident_id": ProblemKind(422, "The resident ID number fails GB 11643-1999"),
    "level_out_of_scheme": ProblemKind(422, "The level lies outside the level scheme"),
    "auxiliary_separated": ProblemKind(409, "The auxiliary has separated"),
    "credential_error": ProblemKind(409, "The credential's state does not allow this"),
    "credential_already_active": ProblemKind(409, "The credential is already active"),
    "unknown_credential": ProblemKind(422, "No such credential was issued"),
    "credential_not_held": ProblemKind(409, "The credential was revoked or returned"),
    "serial_already_issued": ProblemKind(
        409, "The serial was issued before: a serial is issued once in the whole ledger"
    ),
    "unknown_sanction": ProblemKind(422, "No such sanction"),
    "unknown_injury": ProblemKind(422, "No such duty injury"),
    "no_responsibility": ProblemKind(422, "The auxiliary was not employed on that date"),
    "invalid_transition": ProblemKind(409, "The record's status does not allow this command"),
    "complainant_not_notified": ProblemKind(409, "The complainant has not been told the result"),
    "unknown_allegation": ProblemKind(422, "No such allegation"),
    "review_window_closed": ProblemKind(422, "The days to ask for a review (复查) have passed"),
    "reviewer_not_independent": ProblemKind(
        403, "A review (复查) is decided by another body than the one that decided"
    ),
    "tracking_code_check": ProblemKind(422, "The tracking code's check symbol does not match"),
    "not_correctable": ProblemKind(422, "The field cannot be corrected"),
    "duplicate_record": ProblemKind(409, "This was already recorded"),
    "invalid_pay_schedule": ProblemKind(422, "The pay schedule does not rise with the level"),
    "overlapping_leave": ProblemKind(409, "The leave overlaps a leave already recorded"),
    "subject_already_named": ProblemKind(409, "The complaint already names its auxiliary"),
    "subject_not_matched": ProblemKind(409, "The complaint names no auxiliary yet"),
    "prior_record_elsewhere": ProblemKind(
        409, "The person left an auxiliary post for cause: ask the organ named, or override"
    ),
    "already_employed": ProblemKind(
        409, "The person holds an auxiliary post now, under a record not separated"
    ),
    "legal_hold": ProblemKind(409, "A legal hold protects the person's data from erasure"),
    "invalid_rule_set": ProblemKind(422, "The rule set is refused whole (its problems are listed)"),
    "statement_missing": ProblemKind(
        409, "The auxiliary's statement was neither heard nor waived in writing for this case"
    ),
    "same_decider": ProblemKind(
        403, "An appeal is decided by another role and person than the one who imposed"
    ),
    "unknown_referral": ProblemKind(422, "No such referral for prosecution"),
    "not_labour_dispatch": ProblemKind(
        409, "Only a labour-dispatch auxiliary is returned to the agency (Art. 8)"
    ),
    "no_contact_for_channel": ProblemKind(422, "The complainant left no contact for this channel"),
    "hiring_age": ProblemKind(
        422, "The person is under 18 or 60 or over on the hiring date (Art. 8)"
    ),
}


class ApiProblem(Exception):  # noqa: N818 - it is a problem, not an error in our code
    """Raise anywhere in a request to answer with a problem of the catalogue."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        if code not in CATALOGUE:
            msg = f"problem code {code!r} is not in the catalogue"
            raise KeyError(msg)
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = list(errors or [])

    @property
    def status(self) -> int:
        """The HTTP status of this problem."""
        return CATALOGUE[self.code].status


def problem_body(
    code: str, detail: str, request_id: str | None, errors: Sequence[Mapping[str, str]] = ()
) -> dict[str, Any]:
    """The JSON body of a problem."""
    kind = CATALOGUE[code]
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = [dict(e) for e in errors]
    return body


def request_id_of(request: Request) -> str | None:
    """The id the edge middleware gave this request."""
    state = request.scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def problem_response(
    request_id: str | None,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[Mapping[str, str]] = (),
) -> Response:
    """A problem+json response."""
    return JSONResponse(
        problem_body(code, detail, request_id, errors),
        status_code=CATALOGUE[code].status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def domain_problem(error: DomainError) -> tuple[str, str]:
    """The code and detail for a refused domain command."""
    code = error.code if error.code in CATALOGUE else "domain_error"
    return code, error.message


_LEDGER_CODES: tuple[tuple[type[LedgerError], str], ...] = (
    (ConcurrencyConflictError, "conflict"),
    (ProofRequestError, "proof_request"),
    (TokenAlreadyRevokedError, "token_already_revoked"),
    (ReasonRequiredError, "reason_required"),
    (HolderError, "token_holder"),
    (OversightError, "oversight"),
    (AccessError, "access"),
    (KeyRegistryError, "key_registry"),
)
"""Ledger errors answered with their own message under a fixed code, the first that fits
(a subclass before its base: ``ReasonRequiredError`` and the like before ``AccessError``)."""


def ledger_problem(error: LedgerError) -> tuple[str, str, dict[str, str]]:
    """The code, detail and extra headers for a ledger error."""
    if isinstance(error, NotFoundError):
        code = error.code if error.code in CATALOGUE else "not_found"
        return code, str(error), {}
    for kind, code in _LEDGER_CODES:
        if isinstance(error, kind):
            return code, str(error), {}
    if isinstance(error, IntegrityViolation):
        # The kind and the record's identity are safe; the payload never is.
        where = (
            f" ({error.originator_id} v{error.originator_version})" if error.originator_id else ""
        )
        return "integrity", f"{error.kind}{where}: the ledger refuses to serve it", {}
    if isinstance(error, StorageUnavailableError):
        # Its message names the database's address and libpq's reason: the operator's
        # terminal may show them (the CLI does), a public answer never.
        return "unavailable", DATABASE_UNAVAILABLE, {"Retry-After": RETRY_AFTER_UNAVAILABLE}
    if isinstance(error, ConfigurationError | KeyStoreError):
        return "misconfigured", "the server cannot use its configuration or keys", {}
    if error.code in CATALOGUE:
        return error.code, str(error), {}
    return "internal", "the ledger could not complete the request", {}


def _validation_errors(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    malformed = False
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            # The parser's reason (api.jsonbody): a rule or a position, never body text.
            reason = str((error.get("ctx") or {}).get("error") or "")
            errors.append({"field": "body", "message": reason or "not well-formed JSON"})
            malformed = True
            continue
        location = ".".join(str(part) for part in error.get("loc", ()))
        # Only the location and the rule: pydantic's "input" may hold personal data.
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        errors.append({"field": location, "message": message})
    return ("malformed_json" if malformed else "validation"), errors


def include_routers(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Include ``routers`` in ``app`` and add each route's path pattern and methods to the
    table a 405 reads its Allow header from (``app.state.route_methods``)."""
    for router in routers:
        app.include_router(router)
    app.state.route_methods = [
        *getattr(app.state, "route_methods", []),
        *(
            (route.path_regex, frozenset(route.methods))
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute) and route.methods
        ),
    ]


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first
    route's, though GET and POST of one path are often two routes). From the table
    ``include_routers`` builds (``app.state.route_methods``): FastAPI includes routers whole,
    so ``app.routes`` does not list their routes."""
    allowed: set[str] = set()
    path = request.url.path
    for pattern, methods in getattr(request.app.state, "route_methods", ()):
        if pattern.match(path):
            allowed.update(methods)
    if "GET" in allowed:
        allowed.add("HEAD")  # answered as GET without the body (api.middleware)
    return sorted(allowed)


NO_RESOURCE = "no resource at this path"
"""The detail of a 404 for a path no route serves (not of a record that is not there)."""

HtmlProblemRenderer = Callable[[Request, str, str], Response | None]
"""``(request, code, detail) -> Response | None``: a page for a person instead of the
problem+json body, or None where the request is not a browser page's (set by the console
as ``app.state.html_problem``)."""


def answer_problem(
    request: Request,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[Mapping[str, str]] = (),
) -> Response:
    """The answer to a problem: the console's Chinese page where it claims the request,
    else problem+json. Either way the status and the extra headers are the problem's."""
    renderer: HtmlProblemRenderer | None = getattr(request.app.state, "html_problem", None)
    if renderer is not None:
        page = renderer(request, code, detail)
        if page is not None:
            page.status_code = CATALOGUE[code].status
            for name, value in (headers or {}).items():
                page.headers[name] = value
            return page
    return problem_response(request_id_of(request), code, detail, headers=headers, errors=errors)


DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (
    StoreOperationalError,
    StoreInterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    PoolTimeout,
    sqlite3.OperationalError,
)
"""The database errors answered 503 ``storage_unavailable`` (besides the ledger's own
``StorageUnavailableError``): the database could not be reached or did not answer in time."""


def install_problem_handlers(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into a problem."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return answer_problem(request, exc.code, exc.detail, headers=exc.headers, errors=exc.errors)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        code, errors = _validation_errors(exc)
        if code == "malformed_json":
            reason = errors[0]["message"] if errors else "not well-formed JSON"
            return answer_problem(
                request, code, f"the request body is not well-formed JSON: {reason}"
            )
        fields = ", ".join(e["field"] for e in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        return answer_problem(request, code, f"invalid fields: {fields}{more}", errors=errors)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        by_status = {
            400: "bad_request",
            401: "unauthenticated",
            404: "not_found",
            405: "method_not_allowed",
            406: "not_acceptable",
            413: "payload_too_large",
            415: "unsupported_media_type",
            429: "rate_limited",
            503: "unavailable",
        }
        code = by_status.get(
            exc.status_code, "bad_request" if exc.status_code < 500 else "internal"
        )
        if exc.status_code == 404:
            detail = NO_RESOURCE
        elif exc.status_code == 405:
            allowed = _allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here" + (
                f"; allowed: {', '.join(allowed)}" if allowed else ""
            )
        else:
            detail = exc.detail if isinstance(exc.detail, str) else CATALOGUE[code].title
        return answer_problem(request, code, detail, headers=headers)

    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        code, detail = domain_problem(exc)
        return answer_problem(request, code, detail)

    async def on_ledger(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LedgerError)
        code, detail, headers = ledger_problem(exc)
        if code in ("integrity", "internal", "misconfigured"):
            log.error(
                "ledger error",
                extra={"event": "ledger_error", "error": type(exc).__name__, "code": code},
            )
        elif code == "unavailable":
            log.error(
                "database unavailable",
                extra={"event": "database_unavailable", "error": type(exc).__name__},
            )
        return answer_problem(request, code, detail, headers=headers)

    async def on_database(request: Request, exc: Exception) -> Response:
        log.error(
            "database unavailable",
            extra={"event": "database_unavailable", "error": type(exc).__name__},
        )
        return answer_problem(
            request,
            "unavailable",
            DATABASE_UNAVAILABLE,
            headers={"Retry-After": RETRY_AFTER_UNAVAILABLE},
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unexpected error", extra={"event": "unexpected_error", "error": type(exc).__name__}
        )
        return answer_problem(request, "internal", "the server failed to answer this request")

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(LedgerError, on_ledger)
    for database_error in DATABASE_UNREACHABLE:
        app.add_exception_handler(database_error, on_database)
    app.add_exception_handler(Exception, on_unexpected)
