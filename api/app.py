"""The HTTP API: ``create_app(settings) -> FastAPI``.

Nothing happens at import time: ``create_app`` reads one ``ApiSettings`` (from the
environment unless given), refuses placeholder secrets outside development, builds the
per-process ``Runtime`` (the ledger opens on first use), and wires the routers, the
problem handlers and the edge middleware. ``create_app_from_environ`` is the factory that
``auxledger serve`` hands to uvicorn (``factory=True``), so every worker builds its own app;
that app also freezes the worker's heap at startup (``freeze_heap``).
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import balance, lifeline
from api.console import mount_console
from api.metrics import MULTIPROC_ENV
from api.middleware import EdgeMiddleware
from api.problems import PROBLEM_MEDIA_TYPE, include_routers, install_problem_handlers
from api.read_after import ReadAfterMiddleware
from api.routers import (
    admin,
    auxiliaries,
    bundles,
    complaints,
    ledger,
    misconduct,
    ops,
    organs,
    public,
    queries,
    rules,
)
from api.runtime import Runtime
from api.schemas.common import ProblemPublic
from api.settings import ApiSettings

DESCRIPTION = """\
A tamper-evident ledger of auxiliary-police (辅警) personnel records under the Nantong 2023
measures (通政规〔2023〕1号). Every command is signed, hash-chained and appended to an RFC 9162
Merkle log with signed C2SP checkpoints.

**Public** (no credentials): complaint intake with a signed receipt and tracking, work-ID
checks, checkpoints, keys and proofs. **Everything else** needs `Authorization: Bearer <token>`
(`auxledger tokens create --role ROLE --organ O [--unit U]`). Errors are
`application/problem+json` (RFC 9457). See docs/api.md.
"""


def create_app(settings: ApiSettings | None = None, *, freeze_heap: bool = False) -> FastAPI:
    """Build the API for one process.

    ``freeze_heap`` (for a server process of its own, not for an app among others in one
    process): at startup, collect and then ``gc.freeze()`` everything built so far -- modules,
    routes, schemas -- so the collector's full passes no longer walk the ~120,000 objects that
    live as long as the process. Measured under load: a full pass of a worker held the GIL
    for 370-520 ms of wall time; after freezing, 48-103 ms (docs/benchmarks.md).
    """
    settings = settings or ApiSettings.from_environ()
    runtime = Runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        balance.table()  # a worker of `serve` claims its slot now, not at its first connection
        lifeline.watch_parent()  # a worker of `serve` ends when the serving process dies
        if freeze_heap:
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            balance.release()
            runtime.close()
            lifeline.remove_shared_folder_if_orphaned(os.environ.get(MULTIPROC_ENV))

    app = FastAPI(
        title="auxledger",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        # /docs and /redoc are pages of the console, from vendored files (api.console.public_docs)
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # No redirect for a trailing slash: Starlette builds it from the client's Host
        # header (an open redirect) and it would put a tracking code in a Location.
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    routers = [
        module.router
        for module in (
            public,
            ledger,
            organs,
            queries,
            auxiliaries,
            complaints,
            bundles,
            misconduct,
            admin,
            rules,
            ops,
        )
    ]
    include_routers(app, routers)
    mount_console(app, settings)
    # Inside the edge: positions after writes, reads routed by them (api.read_after).
    app.add_middleware(ReadAfterMiddleware, runtime=runtime)
    app.add_middleware(
        EdgeMiddleware, max_body_bytes=settings.max_body_bytes, metrics=runtime.metrics
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _problem_openapi(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def create_app_from_environ() -> FastAPI:
    """The uvicorn factory: settings from the environment; the worker's heap frozen."""
    return create_app(ApiSettings.from_environ(), freeze_heap=True)


def _problem_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Every error response documented as ``application/problem+json`` with ``ProblemPublic``."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ProblemPublic"] = ProblemPublic.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    nested = components["ProblemPublic"].pop("$defs", {})
    components.update(nested)
    reference = {"$ref": "#/components/schemas/ProblemPublic"}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            has_body = "requestBody" in operation
            extra = {"503"} | ({"400", "413", "415", "422"} if has_body else set())
            for status in extra:
                responses.setdefault(status, {"description": "Problem"})
            if operation.get("parameters") or has_body:
                responses.setdefault("422", {"description": "Problem"})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": reference}}
                    if response.get("description") in ("Validation Error", None):
                        response["description"] = "Problem"
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
