"""Dependencies shared by the routers: the runtime, the ledger, the actor and its roles.

Invariants:
- The actor of a request is the token's: ``Actor(actor_id=<token id>, role, organ, unit)``.
  A missing or malformed ``Authorization`` header, an unknown, revoked or expired token each
  get their own 401 problem; a role the route does not admit gets 403 naming the roles.
- Scope: a record of another organ (or, for the ``unit`` role, of another unit) is answered
  as not found, so scope never reveals whether a personal record exists; organ-level
  resources, whose codes are public, answer 403 ``outside_scope``.
- Oversight (issue 13): a token issued with ``oversight`` (inspector, discipline, auditor of a
  parent organ) reaches the records of the organs below its own where a route says so
  (``overseen``), for reading only, with a reason, every read recorded; a command on such a
  record answers 403 ``oversight_read_only``. Every other token stays within its organ.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import DATABASE_UNREACHABLE, ApiProblem
from api.ratelimit import RateLimiter
from api.runtime import Runtime, call_within
from domain.values import Actor, Role
from ledger.access import OVERSIGHT_ROLES, ApiToken, looks_like_token, token_hash, token_id
from ledger.errors import LedgerError, StorageUnavailableError
from ledger.records import AuxLedger

_BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="auxledger"'}
_bearer = HTTPBearer(auto_error=False, description="A token from `auxledger tokens create`")


# The cheap dependencies are coroutines: FastAPI runs a plain ``def`` dependency in the
# thread pool, and a hop there and back for each of them costs more than the rest of them.


async def get_runtime(request: Request) -> Runtime:
    """This process's runtime."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_ledger(runtime: RuntimeDep) -> AuxLedger:
    """The ledger application (503 if the database cannot be reached)."""
    opened = runtime.opened_ledger()
    if opened is not None:
        return opened
    # Opening it reaches the database: not on the event loop.
    return await run_in_threadpool(runtime.ledger)


LedgerDep = Annotated[AuxLedger, Depends(get_ledger)]


def current_actor(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The actor named by the bearer token, or a 401 problem saying what is wrong."""
    header = request.headers.get("authorization")
    if not header:
        raise ApiProblem(
            "unauthenticated",
            "this resource needs an Authorization: Bearer <token> header",
            headers=_BEARER_CHALLENGE,
        )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(
            "unauthenticated",
            "the Authorization header must be 'Bearer <token>'",
            headers=_BEARER_CHALLENGE,
        )
    return actor_of_secret(runtime, credentials.credentials.strip())


def actor_of_secret(runtime: Runtime, secret: str) -> Actor:
    """The actor of a token's secret, or the 401 problem saying what is wrong with it.

    The one check of a token, for the API's bearer header and the console's sign-in alike.
    """
    if not looks_like_token(secret):
        raise ApiProblem(
            "token_unknown",
            "the bearer token is not one this ledger issues",
            headers=_BEARER_CHALLENGE,
        )
    return actor_of_token(runtime, token_id(secret), token_hash(secret))


def actor_of_token(runtime: Runtime, id_: UUID, hash_: str) -> Actor:
    """The actor of the token with this id and hash, if it is still usable (a console
    session keeps the two, never the secret, and asks again on every request)."""
    token = runtime.token(id_)
    if token is None or not hmac.compare_digest(token.token_hash, hash_):
        raise ApiProblem(
            "token_unknown", "the bearer token is not known", headers=_BEARER_CHALLENGE
        )
    if token.revoked_at is not None:
        raise ApiProblem("token_revoked", "the bearer token was revoked", headers=_BEARER_CHALLENGE)
    if _issuer_revoked(runtime, token):
        raise ApiProblem(
            "token_revoked",
            "the token that issued this bearer token was revoked",
            headers=_BEARER_CHALLENGE,
        )
    if not token.usable_at(datetime.now(tz=UTC)):
        raise ApiProblem("token_expired", "the bearer token has expired", headers=_BEARER_CHALLENGE)
    return token.actor()


def _issuer_revoked(runtime: Runtime, token: ApiToken) -> bool:
    """True if a token up the chain that issued this one is revoked.

    Revoking a token revokes the tokens it issued (``ledger.access``); this also refuses one
    issued in the moment the issuer was being revoked, before its revocation reached every
    worker's cache.
    """
    seen: set[UUID] = set()
    issuer = token.issuer_id
    while issuer is not None and issuer not in seen:
        seen.add(issuer)
        parent = runtime.token(issuer)
        if parent is None:
            return False
        if parent.revoked_at is not None:
            return True
        issuer = parent.issuer_id
    return False


CurrentActor = Annotated[Actor, Depends(current_actor)]


def roles(*allowed: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency admitting only actors of the given roles."""

    async def admit(actor: CurrentActor) -> Actor:
        require_roles(actor, allowed)
        return actor

    return admit


def may(actor: Actor, allowed: Iterable[Role]) -> bool:
    """True if the actor's role is one of ``allowed`` (what ``roles`` admits)."""
    return actor.role in {r.value for r in allowed}


def require_roles(actor: Actor, allowed: Iterable[Role]) -> None:
    """The 403 problem unless the actor's role is one of ``allowed`` (the API's gate, also
    the console's: one place decides who may do what)."""
    allowed = tuple(allowed)
    if not may(actor, allowed):
        listed = ", ".join(sorted(r.value for r in allowed))
        raise ApiProblem(
            "role_not_allowed", f"the {actor.role} role may not do this; allowed: {listed}"
        )


def of_the_ledgers_organ(
    *allowed: Role, what: str, otherwise: str
) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """A dependency admitting only tokens of ``allowed`` roles of ``AUXLEDGER_API_LEDGER_ORGAN``.

    For what concerns every organ at once (the signing keys, the whole log's entries and its
    verification, the server's metrics): an organ's token may not act or read for all the
    others. Unset: nobody over HTTP (``otherwise`` says what to use instead).
    """
    admit = roles(*allowed)

    # A default, not an annotation: this module's annotations are strings, and ``admit`` is
    # local to this call.
    async def check(runtime: RuntimeDep, actor: Actor = Depends(admit)) -> Actor:  # noqa: B008
        return _of_the_ledgers_organ(runtime, actor, allowed, what=what, otherwise=otherwise)

    return check


def _of_the_ledgers_organ(
    runtime: Runtime, actor: Actor, allowed: tuple[Role, ...], *, what: str, otherwise: str
) -> Actor:
    """The actor if it is of ``AUXLEDGER_API_LEDGER_ORGAN`` (its role already admitted), else
    the 403 problem; the console calls this too (``require_ledger_organ``)."""
    organ = runtime.settings.ledger_organ
    if organ is None:
        raise ApiProblem(
            "outside_scope",
            f"{what} concern every organ: {otherwise} (or name the organ that runs the "
            "ledger in AUXLEDGER_API_LEDGER_ORGAN)",
        )
    if actor.organ != organ:
        names = " or ".join(r.value for r in allowed)
        raise ApiProblem(
            "outside_scope",
            f"{what} concern every organ: only {names} tokens of organ {organ}, "
            "which runs the ledger, may",
        )
    return actor


def require_ledger_organ(
    runtime: Runtime, actor: Actor, allowed: Iterable[Role], *, what: str, otherwise: str
) -> Actor:
    """``of_the_ledgers_organ`` as a call: the role gate, then the ledger organ's scope."""
    allowed = tuple(allowed)
    require_roles(actor, allowed)
    return _of_the_ledgers_organ(runtime, actor, allowed, what=what, otherwise=otherwise)


def of_ledger_organ(runtime: Runtime, actor: Actor) -> bool:
    """True if the actor's organ runs the ledger (``AUXLEDGER_API_LEDGER_ORGAN``)."""
    return (
        runtime.settings.ledger_organ is not None and actor.organ == runtime.settings.ledger_organ
    )


OPERATOR_LOOKUP_DEADLINE = 0.3
"""Seconds a public route waits to learn whether its token is an operator's (then: public)."""


UNREACHABLE: tuple[type[Exception], ...] = (StorageUnavailableError, *DATABASE_UNREACHABLE)
"""A token lookup's errors that mean the database cannot be reached (answered 503)."""


def scraper_of_the_ledgers_organ(*allowed: Role, what: str, otherwise: str) -> Callable[..., Actor]:
    """``of_the_ledgers_organ`` for ``/metrics``, where the database being down is what the
    scrape must be able to say: a token admitted within ``SCRAPE_GRACE_SECONDS`` is admitted
    again while the database cannot be reached (``api.runtime.ScraperMemory``), so the gauge
    ``auxledger_ledger_up`` reads 0 and its alert can fire. A token not admitted before is
    answered 503 then, as every other request. A plain ``def``: the token lookup may reach
    the database, so FastAPI runs it in the thread pool."""

    def check(
        request: Request,
        runtime: RuntimeDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Actor:
        try:
            actor = current_actor(request, runtime, credentials)
        except UNREACHABLE:
            secret = credentials.credentials.strip() if credentials is not None else ""
            kept = (
                runtime.scrapers.admitted(token_id(secret), token_hash(secret))
                if looks_like_token(secret)
                else None
            )
            if kept is None:
                raise
            return kept
        require_roles(actor, allowed)
        actor = _of_the_ledgers_organ(runtime, actor, allowed, what=what, otherwise=otherwise)
        assert credentials is not None  # current_actor refused a request without one
        secret = credentials.credentials.strip()
        runtime.scrapers.remember(token_id(secret), token_hash(secret), actor)
        return actor

    return check


def ledger_operator_if_any(*allowed: Role) -> Callable[..., Coroutine[Any, Any, Actor | None]]:
    """A dependency for a public route that tells the ledger organ's operators more: the
    actor if the request carries a usable token of ``allowed`` roles of
    ``AUXLEDGER_API_LEDGER_ORGAN``, else None (no token, one that does not qualify, or one
    that cannot be checked now: the public answer, never a refusal)."""
    names = frozenset(r.value for r in allowed)

    async def check(
        request: Request,
        runtime: RuntimeDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Actor | None:
        if not request.headers.get("authorization") or runtime.settings.ledger_organ is None:
            return None
        try:
            # The token lookup may reach the database: not on the event loop, and not for
            # longer than OPERATOR_LOOKUP_DEADLINE (/readyz answers within 1 s, always).
            actor = await call_within(
                OPERATOR_LOOKUP_DEADLINE, current_actor, request, runtime, credentials
            )
        except Exception:  # a bad token, or a database that cannot say: the public answer
            return None
        if actor.role not in names or actor.organ != runtime.settings.ledger_organ:
            return None
        return actor

    return check


def client_address(request: Request) -> str:
    """The client's address as the server resolved it (``AUXLEDGER_TRUSTED_PROXIES``)."""
    return request.client.host if request.client else "unknown"


def admit_client(request: Request, limiter: RateLimiter, too_many: str) -> str:
    """The client's address once ``limiter`` lets it through; else 429 with ``Retry-After``,
    saying that this client ``too_many`` (``"filed too many complaints"``)."""
    client = client_address(request)
    refuse_waiting(limiter.take(client), too_many)
    return client


def refuse_waiting(wait: int | None, too_many: str) -> None:
    """429 with ``Retry-After`` when a limiter answered a wait, saying the client ``too_many``."""
    if wait is not None:
        raise ApiProblem(
            "rate_limited",
            f"this client {too_many}; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


async def limit_credential_checks(request: Request, runtime: RuntimeDep) -> None:
    """429 with ``Retry-After`` once this client has checked too many work IDs (the public
    check would otherwise let anyone walk the sequential work IDs of a whole force)."""
    admit_client(request, runtime.checks_limiter, "checked too many work IDs")


def require_organ(actor: Actor, organ: str) -> None:
    """403 unless the organ-level resource belongs to the actor's organ."""
    if actor.organ != organ:
        raise ApiProblem(
            "outside_scope",
            f"the token acts for organ {actor.organ}; this resource belongs to organ {organ}",
        )


def _oversight_token(runtime: Runtime, actor: Actor) -> ApiToken | None:
    """The actor's token if it has oversight scope over the organs below its own, else None
    (a role that cannot oversee costs no lookup)."""
    if actor.role not in OVERSIGHT_ROLES:
        return None
    try:
        token = runtime.token(UUID(actor.actor_id))
    except ValueError:
        return None
    if token is None or not token.oversight or token.organ != actor.organ:
        return None
    return token


def overseen(runtime: Runtime, actor: Actor, organ: str) -> bool:
    """True if ``organ`` lies below the actor's organ and the actor's token has oversight
    scope (issue 13): reads only, each with a reason, each recorded."""
    if organ == actor.organ or _oversight_token(runtime, actor) is None:
        return False
    return organ in runtime.organs_below(actor.organ)


def overseen_organs(runtime: Runtime, actor: Actor) -> list[str]:
    """The codes of the organs below the actor's that its token oversees, sorted; empty for
    every token without oversight (the console's organ choosers list them)."""
    if _oversight_token(runtime, actor) is None:
        return []
    return sorted(runtime.organs_below(actor.organ))


def _overseen_organ_of(
    runtime: Runtime, actor: Actor, organ_of: Callable[[AuxLedger], str]
) -> str | None:
    """The organ ``organ_of`` reads from the ledger if it lies below the actor's and the
    actor's token oversees it; None for every other read (only an oversight token costs
    the record's lookup)."""
    if _oversight_token(runtime, actor) is None:
        return None
    try:
        organ = organ_of(runtime.ledger())
    except LedgerError:
        return None
    return organ if overseen(runtime, actor, organ) else None


def oversight_organ(runtime: Runtime, actor: Actor, auxiliary_id: UUID) -> str | None:
    """The organ of the auxiliary if it lies below the actor's and the actor's token
    oversees it (the read then needs a reason); None for every other read."""
    return _overseen_organ_of(runtime, actor, lambda ledger: ledger.auxiliary(auxiliary_id).organ)


def oversight_complaint_organ(runtime: Runtime, actor: Actor, complaint_id: UUID) -> str | None:
    """``oversight_organ`` for a complaint: its responsible organ if that lies below the
    actor's and the actor's token oversees it; None for every other read."""
    return _overseen_organ_of(runtime, actor, lambda ledger: ledger.complaint(complaint_id).organ)


def refuse_oversight_write(runtime: Runtime, actor: Actor, organ: str) -> None:
    """403 ``oversight_read_only`` if an oversight token aims a command at an organ below."""
    if overseen(runtime, actor, organ):
        raise ApiProblem(
            "oversight_read_only",
            f"the token oversees the organs below {actor.organ}: it reads their records "
            "(with a reason) and changes none of them",
        )


def visible(actor: Actor, organ: str, unit: str | None) -> bool:
    """True if a record of this organ (and unit) lies in the actor's scope."""
    if actor.organ != organ:
        return False
    return actor.role != Role.unit.value or actor.unit == unit


def expected_version(if_match: str | None) -> int | None:
    """The version named by an ``If-Match`` header (``"3"``, ``3`` or ``*``), or None."""
    if if_match is None:
        return None
    text = if_match.strip()
    if text == "*":
        return None
    if text.startswith("W/"):
        # RFC 9110 13.1.1: If-Match compares strong tags; a weak one never matches.
        raise ApiProblem(
            "precondition_malformed",
            'If-Match compares versions exactly: send "3", not a weak W/"3"',
        )
    text = text.strip('"')
    if not text.isdigit() or len(text) > 18:
        raise ApiProblem(
            "precondition_malformed", 'If-Match must be the version to change, e.g. "3"'
        )
    return int(text)


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The version you read (the ETag, e.g. "3"): 409 if the record moved on',
    ),
]
