"""The OpenAPI examples work against the data ``scripts/run`` loads (``auxledger demo``).

"Try it out" in ``/docs`` sends the example as it stands: the public intake example has to
name an auxiliary the demo ledger holds, or the first thing a new user tries answers 422.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import load_demo
from ledger.records import AuxLedger
from tests.api.conftest import World, api_settings, catch_up, running_workers


@pytest.mark.slow
def test_the_intake_examples_file_complaints_against_the_demo_ledger(
    aux_ledger: AuxLedger,
) -> None:
    load_demo(aux_ledger, officers=12, seed=1)  # scripts/run: the same seed, more officers
    catch_up(aux_ledger)
    app = create_app(api_settings(aux_ledger.settings))
    running = running_workers(World(ledger=aux_ledger, settings=aux_ledger.settings))
    with running, TestClient(app) as client:  # the workers, as beside `serve`
        schema: dict[str, Any] = client.get("/openapi.json").json()
        examples = schema["components"]["schemas"]["ComplaintCreate"]["examples"]
        assert examples
        for example in examples:
            response = client.post("/v1/complaints", json=example)
            assert response.status_code == 201, response.text
            receipt = response.json()
            tracked = client.get(f"/v1/complaints/track/{receipt['tracking_code']}")
            assert tracked.status_code == 200
            assert tracked.json()["status"] == "received"
