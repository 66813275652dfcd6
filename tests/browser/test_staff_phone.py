"""The complaints queue and a complaint's page on a phone (390x844): each row of the queue,
of the reviews (复查) and of the history is a card, every cell under its column's name, so
the complaint, its status, its current deadline and its overdue marker, a review's 复查结论
and a history entry's 内容 lie within the screen's width with no sideways scrolling; at
1366x768 the same tables are laid out as tables, as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.commands.complaint import RequestReview
from domain.values import china_date
from ledger.records import Envelope
from tests.browser.conftest import DESKTOP, PHONE, LiveServer
from tests.browser.test_staff import (
    OFFICE,
    check,
    declined_told_and_closed,
    received_long_ago,
    serving_since,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

QUEUE_ESSENTIAL = {0: "收到日期", 5: "状态", 6: "当前期限", 7: "逾期"}
"""The queue's cells an officer must see on a phone, by column, with their header."""

CELLS = """(cells) => cells.map(c => {
    const box = c.getBoundingClientRect();
    return {left: box.left, right: box.right, top: Math.round(box.top),
            width: box.width, display: getComputedStyle(c).display,
            label: getComputedStyle(c, '::before').content,
            header: c.closest('table').tHead.rows[0].cells[c.cellIndex].textContent.trim(),
            head: getComputedStyle(c.closest('table').tHead).display};
})"""


def cells(row: Locator) -> list[dict[str, Any]]:
    """Where each cell of a table row lies and how it is laid out."""
    found: list[dict[str, Any]] = row.locator("td").evaluate_all(CELLS)
    return found


def on_screen(cell: dict[str, Any], width: int) -> bool:
    return cell["width"] > 0 and cell["left"] >= 0 and cell["right"] <= width + 0.5


def assert_cards(row: Locator, wanted: dict[int, str]) -> None:
    """At the phone's width: the wanted cells lie within it, each labelled with its header."""
    found = cells(row)
    assert [found[i]["header"] for i in wanted] == list(wanted.values())
    off = [(h, found[i]) for i, h in wanted.items() if not on_screen(found[i], PHONE["width"])]
    assert not off, f"past the phone's width: {off}"
    for index, header in wanted.items():
        cell = found[index]
        assert cell["label"] == f'"{header}"', (header, cell["label"])
        assert cell["display"] != "table-cell", (header, cell["display"])


def assert_table(row: Locator) -> None:
    """At the desktop's width: a table as before, the headers shown, the cells side by side
    in one line, no label before them."""
    found = cells(row)
    assert {c["display"] for c in found} == {"table-cell"}
    assert {c["head"] for c in found} == {"table-header-group"}
    assert len({c["top"] for c in found}) == 1, found
    assert [c["left"] for c in found] == sorted(c["left"] for c in found)
    assert {c["label"] for c in found} <= {"none", "normal"}


def test_the_queue_and_a_complaint_read_as_cards_on_a_phone(page: Page, live: LiveServer) -> None:
    auxiliary = serving_since(live, 60)
    complaint = received_long_ago(live, auxiliary.auxiliary_id, 60, "濠河路（浏览器测试：手机）")
    received = china_date(datetime.now(tz=UTC)) - timedelta(days=60)
    declined_told_and_closed(live, complaint, received)
    live.ledger.command_complaint(
        complaint,
        RequestReview(reasons="投诉人不服"),
        Envelope(OFFICE, effective=received + timedelta(days=3)),
    )
    live.catch_up()
    sign_in(page, live, "complaints")
    page.goto(live.url("/console/complaints"))
    row = page.locator("tr", has=page.locator(f"a[href='/console/complaints/{complaint}']"))
    assert "overdue" in (row.get_attribute("class") or "")
    page.set_viewport_size(PHONE)
    assert_cards(row, QUEUE_ESSENTIAL)
    assert row.locator("td").nth(7).inner_text().strip() == "已逾期：复查决定"
    page.set_viewport_size(DESKTOP)
    assert_table(row)
    check(page, live, "complaints-queue-cards")

    page.goto(live.url(f"/console/complaints/{complaint}"))
    review = page.locator("section[aria-labelledby=h-reviews] tbody tr").first
    history = page.locator("section[aria-labelledby=h-history] tbody tr")
    page.set_viewport_size(PHONE)
    assert_cards(review, {3: "复查意见应作出日期", 4: "复查结论"})
    for n in range(history.count()):
        assert_cards(history.nth(n), {0: "事项", 5: "内容", 6: "校验"})
    page.set_viewport_size(DESKTOP)
    assert_table(review)
    assert_table(history.first)
    check(page, live, "complaint-cards")
