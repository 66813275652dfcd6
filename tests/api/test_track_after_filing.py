"""Tracking right after filing: a new code is found in the instant after its receipt.

The code's hash is found through a read model (``rm_tracking``), which the projection
workers fill a moment after the intake. A miss waits for the complainant projection to
reach the log head (at most ``AUXLEDGER_READ_AFTER_WAIT_SECONDS``) before answering
not-found, on the API's tracking route and the public ``/track`` page alike.
"""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.receipts import make_code
from projections.complainant import ComplainantProjection
from projections.service import ProjectionSupervisor, ReadModels
from tests.api.conftest import World, api_settings, catch_up, last_event_id, problem
from tests.api.test_public import COMPLAINT
from tests.console.conftest import csrf_of


def _complainant_position(world: World) -> int:
    models = ReadModels(world.ledger)
    try:
        return models.position(ComplainantProjection.name)
    finally:
        models.close()


@pytest.mark.both_backends
def test_a_code_is_found_right_after_filing_on_the_api_and_the_page(
    client: TestClient, world: World, workers: ProjectionSupervisor
) -> None:
    for _ in range(2):
        receipt = client.post("/v1/complaints", json=COMPLAINT).json()
        tracked = client.get(f"/v1/complaints/track/{receipt['tracking_code']}")  # no catch-up
        assert tracked.status_code == 200, tracked.text
        assert tracked.json()["complaint_id"] == receipt["complaint_id"]
    receipt = client.post("/v1/complaints", json=COMPLAINT).json()
    form = client.get("/track")
    page = client.post(
        "/track", data={"csrf": csrf_of(form.text), "code": receipt["tracking_code"]}
    )
    assert page.status_code == 200, page.text
    assert "已接收" in page.text


def test_a_lookup_that_misses_waits_for_the_projection_to_catch_up(world: World) -> None:
    app = create_app(api_settings(world.settings, read_after_wait=10.0))
    with TestClient(app) as client:
        receipt = client.post("/v1/complaints", json=COMPLAINT).json()
        assert _complainant_position(world) < last_event_id(world)  # no worker has applied it
        # the projection catches up while the lookup waits (the sleep only orders the two;
        # the lookup would wait up to 10 s for it)
        later = threading.Timer(0.3, catch_up, args=(world.ledger,))
        later.start()
        try:
            tracked = client.get(f"/v1/complaints/track/{receipt['tracking_code']}")
        finally:
            later.join()
        assert tracked.status_code == 200, tracked.text
        assert tracked.json()["status"] == "received"


def test_the_wait_is_bounded_and_then_not_found_leaves_nothing(world: World) -> None:
    """No worker runs: the lookup gives up after the setting's wait and answers as for an
    unknown code; looking records nothing. Once caught up, the code is found."""
    app = create_app(api_settings(world.settings, read_after_wait=0.2))
    with TestClient(app) as client:
        receipt = client.post("/v1/complaints", json=COMPLAINT).json()
        code = receipt["tracking_code"]
        before = last_event_id(world)
        problem(client.get(f"/v1/complaints/track/{code}"), 404, "not_found")
        form = client.get("/track")
        page = client.post("/track", data={"csrf": csrf_of(form.text), "code": code})
        assert page.status_code == 404 and "没有找到这个查询码对应的投诉" in page.text
        assert last_event_id(world) == before
        catch_up(world.ledger)
        assert client.get(f"/v1/complaints/track/{code}").status_code == 200
        # a caught-up projection answers a code never handed out without waiting for it
        problem(client.get(f"/v1/complaints/track/{make_code(bytes(10))}"), 404, "not_found")
