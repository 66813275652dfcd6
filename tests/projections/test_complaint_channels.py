"""Complaints from every channel on both backends: the office's intake is stored, signed and
projected; an unnamed complaint is listed until it is matched; refusals store nothing."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID, uuid5

import pytest

from domain.commands.complaint import (
    Accept,
    Acknowledge,
    MatchSubject,
    RecordFinding,
    TakeComplaint,
)
from domain.errors import InvalidFieldError, SubjectAlreadyNamedError, SubjectNotMatchedError
from domain.values import CHINA_STANDARD_TIME
from ledger.records import AuxLedger, Envelope
from ledger.stream import max_notification_id
from ledger.verify import verify_ledger
from projections.check import check
from projections.queries import ComplaintQueries, EarlyWarningQueries, ResponsibilityQueries
from projections.reports import run_report
from tests.projections import dataset as ds
from tests.projections.conftest import Built

pytestmark = pytest.mark.both_backends

U1 = uuid5(ds.NS, "channel-unnamed-1")
U2 = uuid5(ds.NS, "channel-unnamed-2")
N1 = uuid5(ds.NS, "channel-named-1")
INCIDENT = datetime.combine(date(2024, 10, 8), time(20, 15), CHINA_STANDARD_TIME)
RECEIVED = date(2024, 10, 9)


def _take(ledger: AuxLedger, complaint_id: UUID, **fields: object) -> None:
    ds.at(ledger, RECEIVED)
    values: dict[str, object] = {
        "channel": "hotline_110",
        "outside_reference": "110-20241008-0815",
        "subject_description": "骑电动车、穿反光背心的辅警",
        "incident_at": INCIDENT,
        "incident_place": "测试市人民路口",
        "allegations": ["拦车时言语粗暴"],
        "complainant_phone": "19900000077",
        "complaint_id": complaint_id,
        **fields,
    }
    ledger.take_complaint(TakeComplaint(**values), Envelope(ds.CMP_A))  # type: ignore[arg-type]


def _rows(ledger: AuxLedger) -> int:
    return max_notification_id(ledger)


def test_intake_from_channels_match_and_read_models(fresh: Built) -> None:
    ledger, models = fresh.ledger, fresh.models
    _take(ledger, U1)
    _take(
        ledger,
        U2,
        channel="letters_visits",
        outside_reference="通信〔2024〕88号",
        subject_description="身材较胖的协管员",
    )
    _take(
        ledger,
        N1,
        channel="referral",
        outside_reference=None,
        referring_organ="测试市纪委监委",
        subject_description=None,
        auxiliary_id=ds.X1,
    )
    before = _rows(ledger)
    # Refused: 12389 without its number; a walk-in with one; nothing is stored.
    with pytest.raises(InvalidFieldError):
        _take(ledger, uuid5(ds.NS, "refused-1"), channel="hotline_12389", outside_reference=None)
    with pytest.raises(InvalidFieldError):
        _take(ledger, uuid5(ds.NS, "refused-2"), channel="walk_in")
    assert _rows(ledger) == before
    assert not ledger.exists(uuid5(ds.NS, "refused-1"))

    complaint = ledger.complaint(U1)
    assert complaint.auxiliary_id is None and complaint.organ == "A01"
    assert complaint.outside_reference == "110-20241008-0815"
    assert complaint.complainant_phone == "19900000077"  # sealed, opened on a checked read

    # A finding needs the auxiliary; matching a named complaint is refused: nothing stored.
    ds.at(ledger, date(2024, 10, 10))
    office = Envelope(ds.CMP_A)
    ledger.command_complaint(U1, Acknowledge(), office)
    ledger.command_complaint(U1, Accept(category="执勤态度"), office)
    before = _rows(ledger)
    with pytest.raises(SubjectAlreadyNamedError):
        ledger.match_complaint(N1, MatchSubject(auxiliary_id=ds.X1), office)
    with pytest.raises(SubjectNotMatchedError):
        ledger.command_complaint(
            U1, RecordFinding(allegation_number=1, result="sustained", reasoning="属实"), office
        )
    assert _rows(ledger) == before

    ds.at(ledger, date(2024, 10, 12))
    ledger.match_complaint(U1, MatchSubject(auxiliary_id=ds.X3), office)
    matched = ledger.complaint(U1)
    assert matched.auxiliary_id == ds.X3 and matched.unit == "A01-U2"

    models.rebuild()
    q = ComplaintQueries(models, clock=lambda: ds.NOW)
    rows = {r.complaint_id: r for r in q.registry(organ="A01", page_size=500).items}
    one, two, named = rows[U1], rows[U2], rows[N1]
    assert (one.channel, one.outside_reference, one.taken_by) == (
        "hotline_110",
        "110-20241008-0815",
        "cmp-a",
    )
    assert one.matched and one.auxiliary_id == ds.X3 and one.unit == "A01-U2"
    assert one.matched_on == date(2024, 10, 12) and one.supervisor_id is not None
    assert not two.matched and two.auxiliary_id is None and two.unit is None
    assert two.channel == "letters_visits" and two.organ == "A01"
    assert two.deadlines.acknowledge_due is not None  # deadlines run from the receipt
    assert named.referring_organ == "测试市纪委监委" and named.auxiliary_id == ds.X1
    assert named.matched and named.matched_on is None

    unmatched = q.unmatched(organ="A01")
    assert [r.complaint_id for r in unmatched.items] == [U2]
    # What an officer matches it by: the subject as described, the incident's day and place;
    # nothing of the complainant's.
    (waiting,) = unmatched.items
    assert waiting.subject_description == "身材较胖的协管员"
    assert (waiting.incident_on, waiting.incident_place) == (date(2024, 10, 8), "测试市人民路口")
    report = run_report(models, "complaints_unmatched", {"organ": "A01"}, clock=lambda: ds.NOW)
    assert [row["complaint_id"] for row in report.rows] == [str(U2)]
    (row,) = report.rows
    assert row["subject_description"] == "身材较胖的协管员"
    assert row["incident_place"] == "测试市人民路口" and row["incident_on"] == "2024-10-08"
    assert "19900000077" not in str(report.to_json())

    # Per-auxiliary and per-unit counts leave the unnamed complaint out; the matched one in.
    accountability = ResponsibilityQueries(models, clock=lambda: ds.NOW).accountability(
        organ="A01", start=date(2024, 10, 1), end=date(2024, 10, 31)
    )
    assert sum(r.complaints for r in accountability) == 2
    assert all(r.unit is not None for r in accountability)
    EarlyWarningQueries(models, clock=lambda: ds.NOW).alerts(organ="A01")

    # The replayed read model equals the live one, and the ledger verifies.
    assert all(r.ok for r in check(models))
    report = verify_ledger(AuxLedger(ledger.settings, personal_data=False), full=True)
    assert report.ok, report.failures
