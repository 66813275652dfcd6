"""Operations: liveness, readiness, Prometheus metrics, and the problem-type pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from api.deps import RuntimeDep
from api.jsonbody import StrictJsonRoute
from api.metrics import CONTENT_TYPE
from api.problems import CATALOGUE, ApiProblem
from api.routers.common import errors

router = APIRouter(tags=["operations"], route_class=StrictJsonRoute)


class HealthPublic(BaseModel):
    """The process answers."""

    status: str


class ReadinessPublic(BaseModel):
    """The database answers; how far the projections lag behind the log."""

    status: str
    tree_size: int
    projections: dict[str, int]


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> HealthPublic:
    """Always ``ok`` while the process serves requests."""
    return HealthPublic(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the database answers; projections' lag in events",
    responses=errors(503),
)
def readyz(runtime: RuntimeDep) -> ReadinessPublic:
    """503 while the ledger database cannot be reached or a projection has stopped."""
    tree_size = runtime.log().tree_size()
    lags = runtime.projection_lag()
    return ReadinessPublic(status="ready", tree_size=tree_size, projections=lags)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(runtime: RuntimeDep) -> Response:
    """Requests and latency by route, events appended, verifications, tree size, lag."""
    return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)


@router.get("/problems/{code}", include_in_schema=False, response_class=PlainTextResponse)
def problem_type(code: Annotated[str, Path(max_length=64)]) -> PlainTextResponse:
    """What a problem ``type`` means (RFC 9457 §3.1.1)."""
    kind = CATALOGUE.get(code)
    if kind is None:
        raise ApiProblem("not_found", "no such problem type")
    return PlainTextResponse(f"{code}: {kind.title} (HTTP {kind.status})\n")
