"""``POST /v1/complaints/{id}/queue-notification``: the complaints office queues a message to
the complainant for the delivery worker; a channel without a contact is refused with
problem+json and leaves nothing behind."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from projections.queries.outbox import messages_of
from projections.service import ReadModels
from tests.api.conftest import World, catch_up, last_event_id, problem


def _declined(client: TestClient, world: World) -> str:
    """The world's complaint, declined: a result the complainant is to be told."""
    office = world.headers("complaints")
    for slug, payload in (("acknowledge", {}), ("decline", {"reason": "不属于辅警管理范围"})):
        answer = client.post(
            f"/v1/complaints/{world.complaint}/{slug}", headers=office, json=payload
        )
        assert answer.status_code == 200, answer.text
    return str(world.complaint)


@pytest.mark.both_backends
def test_the_office_queues_a_message_that_the_outbox_then_lists(
    client: TestClient, world: World
) -> None:
    cid = _declined(client, world)
    message_id = uuid4()
    before = last_event_id(world)
    queued = client.post(
        f"/v1/complaints/{cid}/queue-notification",
        headers=world.headers("complaints"),
        json={
            "channel": "sms",
            "text": "您反映的问题经核查不予受理",
            "message_id": str(message_id),
        },
    )
    assert queued.status_code == 200, queued.text
    assert queued.json()["topic"].endswith("NotificationQueued")
    assert last_event_id(world) == before + 1
    message = world.ledger.complaint(UUID(cid)).message(message_id)
    assert message is not None
    assert message.channel.value == "sms" and message.attempts == 0
    catch_up(world.ledger)
    models = ReadModels(world.ledger)
    try:
        rows = messages_of(models, UUID(cid))
    finally:
        models.close()
    assert [(r.message_id, r.status) for r in rows] == [(message_id, "queued")]
    # the same id again is a duplicate, and records nothing
    again = client.post(
        f"/v1/complaints/{cid}/queue-notification",
        headers=world.headers("complaints"),
        json={"channel": "sms", "text": "再发一次", "message_id": str(message_id)},
    )
    problem(again, 409, "duplicate_record")
    assert last_event_id(world) == before + 1


@pytest.mark.both_backends
def test_a_channel_without_a_contact_is_refused_and_nothing_is_stored(
    client: TestClient, world: World
) -> None:
    cid = _declined(client, world)
    before = last_event_id(world)
    version = world.ledger.complaint(UUID(cid)).version
    refused = client.post(
        f"/v1/complaints/{cid}/queue-notification",
        headers=world.headers("complaints"),
        json={"channel": "letter", "text": "结果已书面寄出"},  # no address was left
    )
    body = problem(refused, 422, "no_contact_for_channel")
    assert "19900001111" not in refused.text and "张三" not in refused.text
    assert body["title"] == "The complainant left no contact for this channel"
    assert last_event_id(world) == before
    complaint = world.ledger.complaint(UUID(cid))
    assert complaint.version == version and not complaint.messages


def test_only_the_complaints_office_queues_and_only_after_a_result(
    client: TestClient, world: World
) -> None:
    cid = str(world.complaint)
    before = last_event_id(world)
    payload = {"channel": "sms", "text": "您的投诉已受理"}
    problem(
        client.post(
            f"/v1/complaints/{cid}/queue-notification",
            headers=world.headers("inspector"),
            json=payload,
        ),
        403,
        "role_not_allowed",
    )
    early = client.post(
        f"/v1/complaints/{cid}/queue-notification",
        headers=world.headers("complaints"),
        json=payload,
    )
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    assert last_event_id(world) == before
