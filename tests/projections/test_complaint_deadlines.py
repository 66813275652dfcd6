"""One deadline rule for the staff queue, a complaint's page and /track: the registry's
deadlines and overdue list (SQL) give, for every state and round, the dates and overdue steps
of ``policy_deadlines`` (``ComplaintPolicy.steps_due``), a reopened complaint included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid5

from api.routers.public import policy_deadlines
from domain.commands import complaint as complaints
from domain.values import CHINA_STANDARD_TIME
from projections.queries import ComplaintQueries
from projections.results import Deadlines
from tests.projections import dataset as ds
from tests.projections.conftest import Built

REOPENED = uuid5(ds.NS, "deadlines-reopened")
NEVER_ACKNOWLEDGED = uuid5(ds.NS, "deadlines-never-acknowledged")

FIELDS = {"acknowledge": "acknowledge_due", "conclude": "conclude_due", "notify": "notify_due"}
"""The ``Deadlines`` field holding each step's last day."""


def _on(built: Built, day: date) -> ComplaintQueries:
    clock = lambda: datetime.combine(day, time(12), CHINA_STANDARD_TIME)  # noqa: E731
    return ComplaintQueries(built.models, clock=clock)


def _deadlines(q: ComplaintQueries, complaint_id: UUID) -> Deadlines:
    return q.complaint(complaint_id).complaint.deadlines


def _agree(built: Built, complaint_id: UUID, *, round_no: int) -> list[tuple[str, date]]:
    """The queue's deadlines of the complaint equal the page's and /track's, before, on and
    after each last day; the overdue list holds it exactly when a step is overdue."""
    built.models.catch_up("complaints")
    complaint = built.ledger.complaint(complaint_id)
    assert complaint.round == round_no
    owed = policy_deadlines(complaint, built.ledger.policy)
    days = sorted({d + timedelta(days=n) for _, d in owed for n in (-1, 0, 1)})
    for today in days or [ds.TODAY]:
        q = _on(built, today)
        deadlines = _deadlines(q, complaint_id)
        for step, due in owed:
            assert getattr(deadlines, FIELDS[step]) == due, (step, today)
        assert deadlines.overdue == tuple(s for s, due in owed if today > due), today
        listed = complaint_id in {c.complaint_id for c in q.overdue(page_size=500).items}
        assert listed == bool(deadlines.overdue), today
    return owed


def test_a_reopened_complaint_has_the_same_deadlines_in_the_queue_and_on_track(
    fresh: Built,
) -> None:
    ledger = fresh.ledger
    ds.receive(ledger, REOPENED, ds.X1, date(2024, 10, 7), date(2024, 10, 8), ["言语粗暴"])
    assert _agree(fresh, REOPENED, round_no=1) == [
        ("acknowledge", date(2024, 10, 9)),
        ("conclude", date(2024, 11, 7)),
    ]
    ds.cmp(ledger, REOPENED, date(2024, 10, 8), complaints.Acknowledge())
    ds.cmp(ledger, REOPENED, date(2024, 10, 8), complaints.Accept(category="执勤态度"))
    assign = complaints.Assign(investigator_id="INV-1", due=date(2024, 12, 30))
    ds.cmp(ledger, REOPENED, date(2024, 10, 9), assign)
    assert _agree(fresh, REOPENED, round_no=1) == [("conclude", date(2024, 11, 7))]
    ds.find(ledger, REOPENED, date(2024, 10, 20), 1, "sustained", "属实")
    assert _agree(fresh, REOPENED, round_no=1) == [("notify", date(2024, 10, 25))]
    ds.tell(ledger, REOPENED, date(2024, 10, 22), "phone", "已告知")
    ds.cmp(ledger, REOPENED, date(2024, 10, 23), complaints.Close())
    assert _agree(fresh, REOPENED, round_no=1) == []

    # Reopened: the new round's conclusion is counted from the reopening, in the queue and
    # on /track alike; acknowledged in the first round, it owes no acknowledgement again.
    ds.cmp(ledger, REOPENED, date(2024, 11, 4), complaints.Reopen(reason="新证据"))
    assert _agree(fresh, REOPENED, round_no=2) == [("conclude", date(2024, 12, 4))]
    ds.find(ledger, REOPENED, date(2024, 12, 10), 1, "unfounded", "新证据推翻")
    assert _agree(fresh, REOPENED, round_no=2) == [("notify", date(2024, 12, 15))]
    late = _deadlines(_on(fresh, ds.TODAY), REOPENED)
    assert late.late == ("conclude",)  # concluded 2024-12-10, due 2024-12-04
    ds.tell(ledger, REOPENED, date(2024, 12, 12), "phone", "已告知复查结果")
    assert _agree(fresh, REOPENED, round_no=2) == []


def test_a_reopened_complaint_never_acknowledged_owes_it_from_the_receipt(fresh: Built) -> None:
    ledger = fresh.ledger
    complaint = NEVER_ACKNOWLEDGED
    ds.receive(ledger, complaint, ds.X1, date(2024, 10, 7), date(2024, 10, 8), ["言语粗暴"])
    ds.cmp(ledger, complaint, date(2024, 10, 8), complaints.Withdraw(reason="投诉人撤回"))
    ds.cmp(ledger, complaint, date(2024, 10, 8), complaints.Close())
    ds.cmp(ledger, complaint, date(2024, 10, 15), complaints.Reopen(reason="投诉人要求继续办理"))
    assert _agree(fresh, complaint, round_no=2) == [
        ("acknowledge", date(2024, 10, 9)),
        ("conclude", date(2024, 11, 14)),
    ]
