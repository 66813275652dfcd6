"""A complaint's console page shows its review (复查) and the outbox's messages: due date,
outcome, overdue; channel, status, attempts and outcome -- never the contact."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

from fastapi.testclient import TestClient

from api.console.web import cst_date
from api.notifications import DeliveryWorker, LogOnlyAdapter
from domain.values import china_date
from projections.service import ReadModels
from tests.api.conftest import World, catch_up
from tests.api.test_public import COMPLAINT
from tests.console.conftest import sign_in


def test_the_page_shows_the_review_and_the_outbox_without_the_contact(
    client: TestClient, world: World
) -> None:
    office = world.headers("complaints")
    today = china_date(datetime.now(tz=UTC)).isoformat()
    cid = client.post("/v1/complaints", json=COMPLAINT).json()["complaint_id"]
    for slug, payload in (
        ("acknowledge", {}),
        ("decline", {"reason": "不属于辅警管理范围"}),
        ("notify-complainant", {"method": "sms", "notified_on": today, "summary": "不予受理"}),
        ("request-review", {"reasons": "投诉人不服"}),
        ("queue-notification", {"channel": "sms", "text": "复查申请已收到"}),
        ("queue-notification", {"channel": "phone", "text": "请来电了解复查进展"}),
    ):
        answer = client.post(f"/v1/complaints/{cid}/{slug}", headers=office, json=payload)
        assert answer.status_code == 200, answer.text
    sign_in(client, world.tokens["complaints"])
    page = client.get(f"/console/complaints/{cid}")
    assert page.status_code == 200, page.text
    review = world.ledger.complaint(UUID(cid)).review
    assert review is not None
    assert 'id="h-reviews"' in page.text and "待复查" in page.text
    reviews = page.text.split('id="h-reviews"', 1)[1].split("</section>", 1)[0]
    assert cst_date(review.due) in reviews and review.due.isoformat() not in reviews
    for section in ("h-reviews", "h-outbox"):  # on a phone a card per row, never wider
        part = page.text.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
        assert part.index('class="table-wrap"') < part.index('<table class="stack">'), section
    assert "告知投诉人的消息（2 条）" in page.text and "待发送" in page.text
    # the delivery worker hands both to the log-only adapter; the page shows the outcome
    catch_up(world.ledger)
    models = ReadModels(world.ledger)
    try:
        counts = DeliveryWorker(world.ledger, models, LogOnlyAdapter()).run_once()
    finally:
        models.close()
    assert counts.delivered == 2, counts
    decided = client.post(
        f"/v1/complaints/{cid}/decide-review",
        headers=world.headers("discipline"),
        json={"outcome": "upheld", "reasons": "复查后维持"},
    )
    assert decided.status_code == 200, decided.text
    page = client.get(f"/console/complaints/{cid}")
    assert "未发送（仅记录日志）" in page.text and "待发送" not in page.text
    assert "维持原结论" in page.text and "待复查" not in page.text
    outbox = page.text.split('id="h-outbox"', 1)[1].split("</section>", 1)[0]
    assert COMPLAINT["complainant_phone"] not in outbox


def test_the_history_names_review_and_message_fields_in_chinese(
    client: TestClient, world: World
) -> None:
    """A review's outcome reads 复查结论：维持原结论 (not a court's outcome, not ``upheld``), a
    queued message its channel 告知方式：短信; no field keeps its English name."""
    office = world.headers("complaints")
    today = china_date(datetime.now(tz=UTC)).isoformat()
    cid = client.post("/v1/complaints", json=COMPLAINT).json()["complaint_id"]
    for headers, slug, payload in (
        (office, "acknowledge", {}),
        (office, "decline", {"reason": "不属于辅警管理范围"}),
        (office, "notify-complainant", {"method": "sms", "notified_on": today, "summary": "否"}),
        (office, "request-review", {"reasons": "投诉人不服"}),
        (office, "queue-notification", {"channel": "sms", "text": "复查申请已收到"}),
        (world.headers("discipline"), "decide-review", {"outcome": "upheld", "reasons": "维持"}),
    ):
        answer = client.post(f"/v1/complaints/{cid}/{slug}", headers=headers, json=payload)
        assert answer.status_code == 200, answer.text
    sign_in(client, world.tokens["complaints"])
    page = client.get(f"/console/complaints/{cid}").text
    history = re.sub(r"<[^>]+>", "", page.split('id="h-history"', 1)[1])
    assert "复查结论：维持原结论" in history and "司法处理结果" not in history
    assert "复查申请理由：" in history and "复查决定期限：" in history
    assert "告知方式：短信" in history and "告知内容：复查申请已收到" in history
    for english in ("upheld", "message_id", "outside_reference", "subject_description", "text："):
        assert english not in history, english
