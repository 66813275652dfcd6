"""The demo records reviews (复查) of told results and notifications through the outbox:
reviews asked for by the public route and by the complaints office, decided by the
inspectorate within the deadline (upheld, or changed and the complaint reopened), one left
pending on the last day; results queued for the complainant by a channel they left a
contact for, and delivered by one run of the delivery worker with the log-only adapter,
which records the truth. The read models agree with a replay."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import pytest

from api.demo import DEMO_END, load_demo
from api.notifications import DeliveryWorker, LogOnlyAdapter
from domain.complaint import Complaint
from ledger.records import AuxLedger
from projections.check import check
from projections.queries.outbox import messages_of
from projections.queries.reviews import ReviewQueries
from projections.service import ReadModels
from tests.integration.conftest import recorded


@pytest.mark.slow
def test_the_demo_records_reviews_and_delivers_notifications(aux_ledger: AuxLedger) -> None:
    load_demo(aux_ledger, officers=120, seed=1)

    requested = recorded(aux_ledger, Complaint.ReviewRequested)
    decided = recorded(aux_ledger, Complaint.ReviewDecided)
    assert {e.actor.role for e in requested} == {"public", "complaints"}
    assert {e.outcome for e in decided} == {"upheld", "changed"}
    assert {e.actor.role for e in decided} == {"inspector"}  # never the finding's office
    due = {e.originator_id: e.due for e in requested}
    assert all(e.effective <= due[e.originator_id] for e in decided), "decided late"
    changed = {e.originator_id for e in decided if e.outcome == "changed"}
    reopened = {e.originator_id for e in recorded(aux_ledger, Complaint.Reopened)}
    assert changed <= reopened  # a changed result is carried out by reopening
    pending = [e for e in requested if e.originator_id not in {d.originator_id for d in decided}]
    assert pending and all(e.due > DEMO_END for e in pending)

    queued = {e.message_id: e for e in recorded(aux_ledger, Complaint.NotificationQueued)}
    delivered = recorded(aux_ledger, Complaint.NotificationDelivered)
    assert not recorded(aux_ledger, Complaint.NotificationFailed)
    assert queued and Counter(e.message_id for e in delivered) == Counter(list(queued))
    for e in delivered:
        channel = queued[e.message_id].channel
        assert (e.adapter, e.attempt) == ("log", 1)
        assert e.outcome == ("pending_staff_call" if channel == "phone" else "not_sent_log_only")
        assert e.effective == DEMO_END and e.actor.role == "system"
    assert {"sms", "phone"} <= {e.channel for e in queued.values()}
    for e in queued.values():  # only by a contact the complainant left
        complaint = aux_ledger.complaint(e.originator_id)
        letter = e.channel == "letter"
        assert complaint.complainant_address if letter else complaint.complainant_phone

    models = ReadModels(aux_ledger)
    try:
        models.rebuild()
        assert all(report.ok for report in check(models)), "read models drift from a replay"
        complaints: set[UUID] = {e.originator_id for e in queued.values()}
        rows = [row for c in complaints for row in messages_of(models, c)]
        assert {(r.status, r.outcome) for r in rows} <= {
            ("delivered", "not_sent_log_only"),
            ("delivered", "pending_staff_call"),
        }
        reviews = ReviewQueries(models).reviews(on=DEMO_END, standing="open").items
        assert reviews and all(r.days_left is not None for r in reviews)
        # Nothing is left for a worker started after the demo.
        again = DeliveryWorker(aux_ledger, models, LogOnlyAdapter()).run_once()
        assert again.led and again.delivered == again.failed == 0
    finally:
        models.close()
