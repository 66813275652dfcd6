"""``GET /v1/complaints/{id}``'s ``due``: the date the investigator was given in the current
round, as the console shows it (``Complaint.round_due``), never an earlier round's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from domain.values import china_date
from tests.api.conftest import World


def test_due_is_the_current_rounds_assignment_and_none_after_a_reopening(
    client: TestClient, world: World
) -> None:
    office = world.headers("complaints")
    today = china_date(datetime.now(tz=UTC))
    later = (today + timedelta(days=10)).isoformat()

    def read() -> tuple[int, str | None]:
        answer = client.get(f"/v1/complaints/{world.complaint}", headers=office)
        assert answer.status_code == 200, answer.text
        return answer.json()["round"], answer.json()["due"]

    def send(slug: str, payload: dict[str, object]) -> None:
        answer = client.post(
            f"/v1/complaints/{world.complaint}/{slug}", headers=office, json=payload
        )
        assert answer.status_code == 200, (slug, answer.text)

    assert read() == (1, None)
    send("acknowledge", {})
    send("accept", {"category": "执勤态度"})
    send("assign", {"investigator_id": "602099", "due": today.isoformat()})
    assert read() == (1, today.isoformat())
    send("record-finding", {"allegation_number": 1, "result": "sustained", "reasoning": "理由"})
    send(
        "notify-complainant",
        {"method": "phone", "notified_on": today.isoformat(), "summary": "已电话告知"},
    )
    send("close", {})
    send("reopen", {"reason": "复核后认为应重新调查"})
    assert read() == (2, None)  # the first round's date is not this round's
    send("assign", {"investigator_id": "602100", "due": later})
    assert read() == (2, later)
