"""Property-based: schemathesis against the app's own OpenAPI schema, in-process (ASGI).

For every operation, generated requests (valid and invalid) must never get a 5xx, and every
answer must be documented: status code, content type, headers and body schema. Bounded:
a few examples per operation, no deadline per example, one SQLite ledger for the module.
Requests carry a personnel token, so the command routes are exercised past authentication.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from ledger.records import AuxLedger
from tests.api.conftest import World, api_settings, build_world, running_workers
from tests.conftest import make_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def schema_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One SQLite ledger with the test world and its projection workers (as ``serve`` runs
    them, so ``/readyz`` answers ready), for the whole module."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    ledger_settings = make_settings(tmp, f"sqlite:///{tmp / 'ledger.sqlite'}")
    ledger = AuxLedger(ledger_settings, create_tables=True)
    ledger.initialise("test")
    try:
        world = build_world(ledger, ledger_settings)
        with running_workers(world):
            yield world
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def api_schema(schema_world: World) -> Any:
    """The app's own schema, served in-process."""
    app = create_app(api_settings(schema_world.settings))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_every_answer_documented(case: Any, schema_world: World) -> None:
    case.call_and_validate(headers=schema_world.headers("personnel"), checks=CHECKS)
