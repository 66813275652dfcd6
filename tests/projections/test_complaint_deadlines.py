"""One deadline rule for the staff queue, a complaint's page and /track: the registry's
deadlines and overdue list (SQL) give, for every state and round, the dates and overdue steps
of ``policy_deadlines`` (``ComplaintPolicy.steps_due``), a reopened complaint and a pending
review (复查) included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid5

from api.routers.public import policy_deadlines
from domain.commands import complaint as complaints
from domain.values import CHINA_STANDARD_TIME
from ledger.records import Envelope
from projections.queries import ComplaintQueries
from projections.results import Deadlines
from projections.service import ReadModels
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand

REOPENED = uuid5(ds.NS, "deadlines-reopened")
NEVER_ACKNOWLEDGED = uuid5(ds.NS, "deadlines-never-acknowledged")

FIELDS = {
    "acknowledge": "acknowledge_due",
    "conclude": "conclude_due",
    "notify": "notify_due",
    "review": "review_due",
}
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
        assert deadlines.investigator_due == complaint.round_due, today  # this round's own
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
    assert _deadlines(_on(fresh, ds.TODAY), REOPENED).investigator_due == date(2024, 12, 30)
    ds.cmp(ledger, REOPENED, date(2024, 11, 4), complaints.Reopen(reason="新证据"))
    assert _agree(fresh, REOPENED, round_no=2) == [("conclude", date(2024, 12, 4))]
    assert _deadlines(_on(fresh, ds.TODAY), REOPENED).investigator_due is None  # not assigned
    ds.find(ledger, REOPENED, date(2024, 12, 10), 1, "unfounded", "新证据推翻")
    assert _agree(fresh, REOPENED, round_no=2) == [("notify", date(2024, 12, 15))]
    late = _deadlines(_on(fresh, ds.TODAY), REOPENED)
    assert late.late == ("conclude",)  # concluded 2024-12-10, due 2024-12-04
    ds.tell(ledger, REOPENED, date(2024, 12, 12), "phone", "已告知复查结果")
    assert _agree(fresh, REOPENED, round_no=2) == []

    # A review (复查) asked for: due 30 days after the request, in the queue as on /track.
    ask = complaints.RequestReview(reasons="投诉人不服")
    ds.cmp(ledger, REOPENED, date(2024, 12, 13), ask)
    assert _agree(fresh, REOPENED, round_no=2) == [("review", date(2025, 1, 12))]
    row = _on(fresh, ds.TODAY).complaint(REOPENED).complaint
    assert (row.review_requested_on, row.review_decided_on) == (date(2024, 12, 13), None)
    ds.at(ledger, date(2025, 1, 14))
    decide = complaints.DecideReview(outcome="changed", reasons="复查后改变")
    ledger.command_complaint(REOPENED, decide, Envelope(ds.DIS_A, effective=date(2025, 1, 14)))
    assert _agree(fresh, REOPENED, round_no=2) == []
    decided = _on(fresh, date(2025, 1, 14)).complaint(REOPENED).complaint
    assert decided.review_decided_on == date(2025, 1, 14)
    assert decided.deadlines.late == ("conclude", "review")  # decided two days late

    # A changed result is carried out by a new round, which has no review yet.
    ds.cmp(ledger, REOPENED, date(2025, 1, 15), complaints.Close())
    ds.cmp(ledger, REOPENED, date(2025, 1, 16), complaints.Reopen(reason="复查决定改变"))
    assert _agree(fresh, REOPENED, round_no=3) == [("conclude", date(2025, 2, 15))]
    third = _on(fresh, date(2025, 1, 16)).complaint(REOPENED).complaint
    assert (third.review_requested_on, third.deadlines.review_due) == (None, None)


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


def test_read_models_built_before_the_review_columns_bring_the_reviews_in(
    fresh: Built,
) -> None:
    """``rm_complaint`` built by the version before its review columns has other columns than
    its definition: the projection applies the ledger again, and a review asked for before
    is in the queue's deadlines."""
    ledger = fresh.ledger
    ds.receive(ledger, REOPENED, ds.X1, date(2024, 10, 7), date(2024, 10, 8), ["言语粗暴"])
    ds.cmp(ledger, REOPENED, date(2024, 10, 8), complaints.Acknowledge())
    ds.cmp(ledger, REOPENED, date(2024, 10, 8), complaints.Decline(reason="不属于受理范围"))
    ds.tell(ledger, REOPENED, date(2024, 10, 9), "phone", "已告知不予受理")
    ds.cmp(ledger, REOPENED, date(2024, 10, 10), complaints.RequestReview(reasons="不服"))
    fresh.models.rebuild()
    for column in ("review_requested_on", "review_due", "review_decided_on"):
        by_hand(fresh, f"ALTER TABLE {{rm_complaint}} DROP COLUMN {column}")
    upgraded = ReadModels(ledger)
    try:
        assert upgraded.ensure_projection("complaints") is True
        assert upgraded.position("complaints") == 0
        upgraded.catch_up("complaints")
        q = ComplaintQueries(upgraded, clock=lambda: ds.NOW)
        deadlines = q.complaint(REOPENED).complaint.deadlines
        assert (deadlines.review_due, deadlines.overdue) == (date(2024, 11, 9), ("review",))
        assert REOPENED in {c.complaint_id for c in q.overdue(page_size=500).items}
    finally:
        upgraded.close()
