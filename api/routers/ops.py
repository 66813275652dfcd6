"""Operations: liveness, readiness, Prometheus metrics, and the problem-type pages.

Invariants:
- ``/readyz`` is unready while the database is down, or a projection is stopped, stale or
  lagging (``ApiSettings.readiness``); ``/healthz`` is liveness only and always answers.
- The public hears only that the server is ready or not (``/readyz``); the tree size,
  projection lags and failures, and the metrics (requests by route, events by class) concern
  every organ and go only to admin and auditor tokens of ``AUXLEDGER_API_LEDGER_ORGAN``.
- From 90 days before the rule set in force ends with none after it (and once none is in
  force), those tokens also get ``warnings``; the service stays ready (Art. 20).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from api.deps import (
    RuntimeDep,
    ledger_operator_if_any,
    scraper_of_the_ledgers_organ,
)
from api.jsonbody import StrictJsonRoute
from api.metrics import CONTENT_TYPE
from api.problems import CATALOGUE, RETRY_AFTER_UNAVAILABLE, ApiProblem
from api.routers.common import TOKEN_ERRORS, errors
from api.runtime import Runtime, answer_within
from domain.values import Actor, Role, china_date
from projections.replica import ReplicaReadModels

log = logging.getLogger("auxledger.api")

router = APIRouter(tags=["operations"], route_class=StrictJsonRoute)

READINESS_DEADLINE = 0.6
"""Seconds the checks of ``/readyz`` may take before it answers 503 ``not_ready``: with the
operator-token lookup's 0.3 s (``api.deps``) a probe hears within its budget of 1 s."""


def _late() -> ApiProblem:
    log.warning("not ready", extra={"event": "not_ready", "error": "deadline"})
    return ApiProblem("not_ready", "not ready", headers={"Retry-After": RETRY_AFTER_UNAVAILABLE})


class HealthPublic(BaseModel):
    """The process answers."""

    status: str


class ReadinessPublic(BaseModel):
    """Ready; to the ledger organ's admin and auditor tokens also the tree size and how far
    each projection lags behind the log (in events)."""

    status: str
    tree_size: int | None = None
    projections: dict[str, int] | None = None
    read_replica: dict[str, Any] | None = None
    """With ``AUXLEDGER_READ_DATABASE_URL``: ``state`` (streaming | unreachable), ``lag``
    (events its read models trail the primary's), ``replay_delay_seconds``."""
    warnings: list[str] | None = None
    """What operators must act on without the service being unready: the rule set in force
    ends within 90 days with none after it, or none is in force."""


OPERATORS = (Role.admin, Role.auditor)
Operator = Annotated[Actor | None, Depends(ledger_operator_if_any(*OPERATORS))]


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> HealthPublic:
    """Always ``ok`` while the process serves requests."""
    return HealthPublic(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: ready or 503 (details for the ledger organ's admins and auditors)",
    response_model_exclude_none=True,
    responses=errors(503),
)
@answer_within(READINESS_DEADLINE, _late)
def readyz(runtime: RuntimeDep, operator: Operator) -> ReadinessPublic:
    """``{"status": "ready"}``, or 503 ``not_ready`` while the ledger database cannot be
    reached or a projection is stopped (failed), stale (no worker's heartbeat within
    ``AUXLEDGER_PROJECTION_STALE_SECONDS``) or lagging (more than
    ``AUXLEDGER_PROJECTION_MAX_LAG`` events behind the log). With an admin or auditor token
    of ``AUXLEDGER_API_LEDGER_ORGAN``: the tree size and each projection's lag, and the 503
    says what is wrong (the database only when it is the database)."""
    if operator is not None:
        tree_size = runtime.log().tree_size()
        lags, replica, problems = _projections(runtime)
        if problems:
            raise ApiProblem(
                "not_ready", "; ".join(problems), headers={"Retry-After": RETRY_AFTER_UNAVAILABLE}
            )
        return ReadinessPublic(
            status="ready",
            tree_size=tree_size,
            projections=lags,
            read_replica=replica,
            warnings=_warnings(runtime) or None,
        )
    try:
        runtime.log().tree_size()
        _lags, _replica, problems = _projections(runtime)
    except Exception as e:  # whatever it is, the public hears only "not ready"
        log.warning("not ready", extra={"event": "not_ready", "error": type(e).__name__})
        raise ApiProblem(
            "not_ready", "not ready", headers={"Retry-After": RETRY_AFTER_UNAVAILABLE}
        ) from None
    if problems:
        # Projection names, positions, event classes and aggregate ids: no personal data.
        log.warning("not ready: %s", "; ".join(problems), extra={"event": "not_ready"})
        raise ApiProblem("not_ready", "not ready", headers={"Retry-After": RETRY_AFTER_UNAVAILABLE})
    return ReadinessPublic(status="ready")


def _warnings(runtime: Runtime) -> list[str]:
    """Warnings for the ledger's operators: the rules in force are about to end, or ended."""
    ledger = runtime.ledger()
    expiry = ledger.policy.expiring(china_date(ledger.clock()))
    return [expiry.message()] if expiry is not None else []


def _projections(
    runtime: Runtime,
) -> tuple[dict[str, int], dict[str, Any] | None, list[str]]:
    """Each projection's lag (on the primary, where the workers write), the read replica's
    state if there is one, and why either makes the service unready (if it does).

    An unreachable replica does not make it unready (reads go to the primary meanwhile); a
    replica whose read models trail the primary's by more than the lag limit does."""
    limits = runtime.settings.readiness
    models = runtime.read_models()
    statuses = models.status(stale_after=timedelta(seconds=limits.stale_seconds))
    problems = [p for s in statuses if (p := s.problem(max_lag=limits.max_lag)) is not None]
    replica: dict[str, Any] | None = None
    if isinstance(models, ReplicaReadModels):
        state = models.replica_status({s.name: s.position for s in statuses})
        replica = state.to_json()
        if (problem := state.problem(max_lag=limits.max_lag)) is not None:
            problems.append(problem)
    return {s.name: s.lag for s in statuses}, replica, problems


@router.get(
    "/metrics",
    summary="Prometheus metrics (admin and auditor tokens of the ledger's organ)",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **errors(*TOKEN_ERRORS)},
)
def metrics(
    actor: Annotated[
        Actor,
        Depends(
            scraper_of_the_ledgers_organ(
                *OPERATORS,
                what="the server's metrics",
                otherwise="scrape them with a token of the organ that runs the ledger",
            )
        ),
    ],
    runtime: RuntimeDep,
) -> Response:
    """Requests and latency by route, events appended, verifications, tree size, lag."""
    return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)


@router.get("/problems/{code}", include_in_schema=False, response_class=PlainTextResponse)
def problem_type(code: Annotated[str, Path(max_length=64)]) -> PlainTextResponse:
    """What a problem ``type`` means (RFC 9457 §3.1.1)."""
    kind = CATALOGUE.get(code)
    if kind is None:
        raise ApiProblem("not_found", "no such problem type")
    return PlainTextResponse(f"{code}: {kind.title} (HTTP {kind.status})\n")
