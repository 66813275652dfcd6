"""Personnel status, the timeline and the as-of view, on the hand-built data set."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.commands.auxiliary import IssueCredential
from domain.events import recording
from ledger.errors import IntegrityViolation
from ledger.store import position_of
from projections import (
    AmbiguousSerialError,
    InvalidFilterValueError,
    PageSizeError,
    PersonnelQueries,
    UnknownRecordError,
)
from projections.results import ActiveSanction
from tests.integration.tamper import Tamperer
from tests.projections import dataset as ds
from tests.projections.conftest import Built


def queries(built: Built) -> PersonnelQueries:
    return PersonnelQueries(built.models, clock=lambda: ds.NOW)


def test_status_lists_every_auxiliary_in_organ_unit_name_order(built: Built) -> None:
    page = queries(built).status()
    assert page.total == 4
    assert [i.auxiliary_id for i in page.items] == [ds.X2, ds.X3, ds.X1, ds.X4]
    x2, x3, x1, x4 = page.items
    assert (x1.name, x1.organ, x1.unit, x1.unit_since) == (
        "甲一",
        "A01",
        "A01-U2",
        date(2024, 1, 15),
    )
    assert (x1.supervisor_id, x1.supervisor_name) == ("S2", "李警官")
    assert (x1.post_type, x1.post_category, x1.level) == ("patrol", "duty", 3)
    assert (x1.employment_form, x1.contract_start, x1.contract_end) == (
        "direct_contract",
        date(2023, 3, 10),
        date(2026, 3, 9),
    )
    assert (x1.status, x1.commendations, x1.complaints, x1.sanctions_in_force) == (
        "active",
        1,
        4,
        2,
    )
    assert x1.active_sanctions == (
        ActiveSanction("SAN1", "warning", date(2024, 2, 5), None, "测公纪〔2024〕1号"),
        ActiveSanction("SAN3", "criticism", date(2024, 9, 10), None, "测公纪〔2024〕1号"),
    )
    assert x1.last_health_check == date(2023, 6, 1)
    assert x1.version == 12  # two sanctions, each after a waived statement
    # The name correction shows; the released supervisor stays released (the backdated
    # assignment of S3 took effect before the release).
    assert (x2.name, x2.unit, x2.supervisor_id, x2.supervisor_name) == (
        "乙贰",
        "A01-U1",
        None,
        None,
    )
    assert (x2.employment_form, x2.post_category, x2.status) == (
        "labour_dispatch",
        "civilian",
        "active",
    )
    # SAN2 is still "in force" (never revoked) but its term ended on 2024-07-31.
    assert (x2.sanctions_in_force, x2.active_sanctions, x2.complaints) == (1, (), 1)
    assert (x3.name, x3.post_type, x3.complaints, x3.last_health_check) == (
        "丙三",
        "traffic",
        1,
        date(2024, 3, 1),
    )
    assert (x4.organ, x4.status, x4.separated_on, x4.complaints) == (
        "B02",
        "separated",
        date(2024, 3, 1),
        0,
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"organ": "A01"}, [ds.X2, ds.X3, ds.X1]),
        ({"organ": "B02"}, [ds.X4]),
        ({"unit": "A01-U2"}, [ds.X3, ds.X1]),
        ({"organ": "A01", "unit": "A01-U1"}, [ds.X2]),
        ({"post": "patrol"}, [ds.X1]),
        ({"level": 3}, [ds.X1]),
        ({"level": 1}, [ds.X2, ds.X3, ds.X4]),
        ({"status": "separated"}, [ds.X4]),
        ({"status": "suspended"}, []),
        ({"organ": "A01", "post": "traffic", "level": 1, "status": "active"}, [ds.X3]),
    ],
)
def test_status_filters(built: Built, filters: dict[str, object], expected: list[object]) -> None:
    page = queries(built).status(**filters)  # type: ignore[arg-type]
    assert [i.auxiliary_id for i in page.items] == expected
    assert page.total == len(expected)


def test_status_pages(built: Built) -> None:
    q = queries(built)
    second = q.status(page=2, page_size=3)
    assert [i.auxiliary_id for i in second.items] == [ds.X4]
    assert (second.total, second.pages, second.page, second.page_size) == (4, 2, 2, 3)
    assert q.status(page=3, page_size=3).items == []
    assert second.to_json()["items"][0]["auxiliary_id"] == str(ds.X4)


def test_status_refuses_bad_input(built: Built) -> None:
    q = queries(built)
    with pytest.raises(PageSizeError, match="page_size must be from 1 to 500, not 501"):
        q.status(page_size=501)
    with pytest.raises(PageSizeError, match="page must be a whole number from 1"):
        q.status(page=0)
    with pytest.raises(InvalidFilterValueError, match="filter status must be one of active"):
        q.status(status="retired")
    with pytest.raises(InvalidFilterValueError, match="filter post must be one of patrol"):
        q.status(post="catering")
    with pytest.raises(InvalidFilterValueError, match="filter level must be a whole number"):
        q.status(level=11)
    with pytest.raises(UnknownRecordError, match="no organ Z99"):
        q.status(organ="Z99")
    with pytest.raises(UnknownRecordError, match="no unit A01-U9 of organ A01"):
        q.status(organ="A01", unit="A01-U9")
    with pytest.raises(UnknownRecordError, match="no unit B02-U1 of organ A01"):
        q.status(organ="A01", unit="B02-U1")


def test_one_auxiliary_and_scope(built: Built) -> None:
    q = queries(built)
    assert q.auxiliary(ds.X4).organ == "B02"
    assert q.auxiliary(str(ds.X4), organ="B02").auxiliary_id == ds.X4
    with pytest.raises(UnknownRecordError, match=f"no auxiliary {ds.X4}"):
        q.auxiliary(ds.X4, organ="A01")
    with pytest.raises(UnknownRecordError):
        q.auxiliary(uuid4())
    with pytest.raises(InvalidFilterValueError, match="auxiliary_id must be a UUID"):
        q.auxiliary("not-a-uuid")


def test_credential_holder_refuses_a_serial_with_two_holders(fresh: Built) -> None:
    # Before serials were claimed once in the whole ledger (CredentialSerial), an issue stored
    # the auxiliary's CredentialIssued alone, so X2's uniform serial could be issued to X1 too.
    at = datetime.now(tz=UTC)
    x1 = fresh.ledger.auxiliary(ds.X1)
    x1.issue_credential(
        recording(
            actor=ds.PER_A,
            at=at,
            effective=date(2024, 12, 1),
            basis=None,
            policy=fresh.ledger.policy,
        ),
        IssueCredential(kind="uniform", serial="U2"),
    )
    fresh.ledger.save(x1)
    fresh.models.rebuild()
    q = PersonnelQueries(fresh.models, clock=lambda: ds.NOW)
    with pytest.raises(AmbiguousSerialError, match="more than one auxiliary"):
        q.credential_holder("U2", kind="uniform")
    w1 = q.credential_holder("W1")
    assert w1 is not None and w1.auxiliary_id == ds.X1


def test_credential_holder_for_the_public_check(built: Built) -> None:
    q = queries(built)
    w4 = q.credential_holder("W4")
    assert w4 is not None
    assert (w4.auxiliary_id, w4.organ, w4.credential_status, w4.holder_status, w4.active) == (
        ds.X4,
        "B02",
        "returned",
        "separated",
        False,
    )
    u2 = q.credential_holder("U2", kind="uniform")
    assert u2 is not None and (u2.auxiliary_id, u2.active, u2.issued_on) == (
        ds.X2,
        True,
        date(2023, 4, 2),
    )
    assert q.credential_holder("U2") is None  # not a work ID
    assert q.credential_holder("NOPE") is None
    with pytest.raises(InvalidFilterValueError, match="filter kind must be one of"):
        q.credential_holder("W1", kind="badge")


def test_by_name_and_unit(built: Built) -> None:
    q = queries(built)
    found = q.by_name("甲一", "A01-U2")
    assert [(r.auxiliary_id, r.organ, r.unit) for r in found] == [(ds.X1, "A01", "A01-U2")]
    assert [r.auxiliary_id for r in q.by_name("甲一", "二中队")] == [ds.X1]
    assert q.by_name("甲一", "A01-U1") == []  # X1 moved to A01-U2
    assert q.by_name("丁四", "B02-U1") == []  # separated
    assert q.by_name("乙贰", "一中队", organ="B02") == []
    with pytest.raises(UnknownRecordError):
        q.by_name("乙贰", "一中队", organ="Z9")


# --------------------------------------------------------------------------- timeline


def test_timeline_lists_every_event_checked_with_key_and_hash(built: Built) -> None:
    timeline = queries(built).timeline(ds.X1)
    entries = timeline.entries
    assert [e.event for e in entries] == [
        "Auxiliary.Hired",
        "Auxiliary.CredentialIssued",
        "Auxiliary.InsuranceEnrolled",
        "Auxiliary.HealthChecked",
        "Auxiliary.Transferred",
        "Auxiliary.Commended",
        "Auxiliary.StatementWaived",
        "Auxiliary.SanctionImposed",
        "Auxiliary.StatementWaived",
        "Auxiliary.SanctionImposed",
        "Auxiliary.SanctionAppealed",
        "Auxiliary.LevelChanged",
    ]
    assert [e.originator_version for e in entries] == list(range(1, 13))
    positions = [e.position for e in entries]
    assert positions == sorted(positions) and len(set(positions)) == 12
    assert timeline.verified
    key = built.ledger.keyring().active_key
    assert key is not None
    rows = built.ledger.recorder.select_events(ds.X1)
    for entry, row in zip(entries, rows, strict=True):
        assert entry.verified and entry.failure is None
        assert entry.key_id == key.public.key_id_hex
        assert entry.hash == hashlib.sha256(row.state).hexdigest()
        assert entry.hash == built.ledger.record_hash(ds.X1, entry.originator_version)
        assert entry.position == position_of(row)
    hired = entries[0]
    assert hired.personal_fields == ("resident_id", "phone", "address")
    assert hired.actor == {
        "actor_id": "per-a",
        "role": "personnel",
        "organ": "A01",
        "unit": None,
        "holder": None,
    }
    assert (hired.effective, hired.rule_id) == (date(2023, 3, 10), "nantong-2023")
    assert hired.fields["unit"] == "A01-U1" and "phone" in hired.fields
    appeal = entries[10]
    assert appeal.effective == date(2024, 9, 5)
    assert appeal.recorded_at == datetime(2024, 9, 12, 2, 0, tzinfo=UTC)
    assert entries[4].personal_fields == ()


def test_timeline_with_complaints_merges_in_log_order(built: Built) -> None:
    timeline = queries(built).timeline(ds.X2, include_complaints=True)
    complaint_events = [e for e in timeline.entries if e.originator_id == ds.C6]
    assert [e.event for e in complaint_events] == [
        "Complaint.Received",
        "Complaint.Acknowledged",
        "Complaint.Declined",
    ]
    assert complaint_events[0].personal_fields == (
        "complainant_name",
        "complainant_phone",
        "complainant_resident_id",
        "complainant_address",
        "contact_text",
    )
    positions = [e.position for e in timeline.entries]
    assert positions == sorted(positions)
    assert len(timeline.entries) == len(built.ledger.recorder.select_events(ds.X2)) + 3


def test_timeline_scope_and_unknown_ids(built: Built) -> None:
    q = queries(built)
    assert q.timeline(ds.X4, organ="B02").entries
    with pytest.raises(UnknownRecordError):
        q.timeline(ds.X4, organ="A01")
    with pytest.raises(UnknownRecordError):
        q.timeline(uuid4())
    with pytest.raises(UnknownRecordError):
        q.timeline(ds.C1)  # a complaint, not an auxiliary


def test_timeline_shows_a_tampered_event_as_failed(fresh: Built) -> None:
    Tamperer(fresh.ledger).flip_payload_byte(ds.X1, 2)
    entries = PersonnelQueries(fresh.models).timeline(ds.X1).entries
    assert [e.verified for e in entries] == [True, False, False, *[True] * 9]
    assert entries[1].failure == "bad_signature"
    assert entries[1].fields == {} and entries[1].event == "Auxiliary.CredentialIssued"
    # The next record points at the hash of the original version 2, not the altered one.
    assert entries[2].failure == "chain_broken"


# --------------------------------------------------------------------------- as of


def test_as_of_replays_facts_effective_on_or_before_the_date(built: Built) -> None:
    q = queries(built)
    before_transfer = q.as_of(ds.X1, date(2024, 1, 14))
    assert (before_transfer.unit, before_transfer.supervisor_id, before_transfer.level) == (
        "A01-U1",
        "S1",
        2,
    )
    assert (before_transfer.commendations, before_transfer.sanctions) == (0, ())
    assert before_transfer.events_applied == 4 and before_transfer.events_total == 12
    after = q.as_of(ds.X1, date(2024, 12, 31))
    assert (after.unit, after.supervisor_id, after.level, after.commendations) == (
        "A01-U2",
        "S2",
        3,
        1,
    )
    assert [s.sanction_id for s in after.sanctions] == ["SAN1", "SAN3"]
    assert after.sanctions[1].appeal == "pending"
    assert (after.events_applied, after.skipped, after.last_version_applied) == (12, (), 12)
    assert [c.serial for c in after.credentials] == ["W1"]


def test_as_of_skips_an_event_whose_prerequisite_is_later(built: Built) -> None:
    # The appeal (effective 2024-09-05) is against SAN3, which takes effect on 2024-09-10.
    view = queries(built).as_of(ds.X1, date(2024, 9, 7))
    assert view.skipped == (11,)
    assert [s.sanction_id for s in view.sanctions] == ["SAN1"]
    assert view.events_applied == 8


def test_as_of_status_and_corrections(built: Built) -> None:
    q = queries(built)
    suspended = q.as_of(ds.X2, date(2024, 7, 15))
    assert (suspended.status, suspended.supervisor_id) == ("suspended", None)
    # The name correction amends the hire, so it shows for every date the hire counts.
    early = q.as_of(ds.X2, date(2023, 5, 1))
    assert (early.name, early.status, early.supervisor_id, early.corrections) == (
        "乙贰",
        "active",
        "S1",
        1,
    )
    separated = q.as_of(ds.X4, date(2024, 3, 1))
    assert (separated.status, separated.employed, separated.unit) == ("separated", False, None)
    assert q.as_of(ds.X4, date(2024, 2, 29)).employed


def test_as_of_honours_backdating_and_what_was_known_when(built: Built) -> None:
    q = queries(built)
    assert q.as_of(ds.X2, date(2024, 4, 25)).supervisor_id == "S3"
    known = built.data.x2_backdated_assignment_at
    assert known is not None
    before = q.as_of(ds.X2, date(2024, 4, 25), recorded_by=known - timedelta(seconds=1))
    assert before.supervisor_id == "S1"
    assert q.as_of(ds.X2, date(2024, 5, 2)).supervisor_id is None


def test_as_of_agrees_with_the_domain_on_every_date(built: Built) -> None:
    q = queries(built)
    for auxiliary_id in (ds.X1, ds.X2, ds.X3, ds.X4):
        current = built.ledger.auxiliary(auxiliary_id)
        day = current.hired_on
        while day <= ds.TODAY:
            view = q.as_of(auxiliary_id, day)
            responsibility = current.responsibility_on(day)
            assert view.unit == (responsibility.unit if responsibility else None)
            assert view.supervisor_id == (responsibility.supervisor_id if responsibility else None)
            assert view.level == current.level_on(day)
            day += timedelta(days=37)


def test_as_of_refuses_dates_before_the_hire_and_bad_input(built: Built) -> None:
    q = queries(built)
    with pytest.raises(UnknownRecordError, match="had no record on 2023-03-09"):
        q.as_of(ds.X1, date(2023, 3, 9))
    with pytest.raises(InvalidFilterValueError, match="filter on must be a calendar date"):
        q.as_of(ds.X1, datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidFilterValueError, match="recorded_by must be a date-time"):
        q.as_of(ds.X1, date(2024, 1, 1), recorded_by=datetime(2024, 1, 1))
    with pytest.raises(UnknownRecordError):
        q.as_of(ds.X1, date(2024, 1, 1), organ="B02")
    with pytest.raises(UnknownRecordError):
        q.as_of(uuid4(), date(2024, 1, 1))


def test_as_of_refuses_to_replay_a_tampered_record(fresh: Built) -> None:
    Tamperer(fresh.ledger).flip_payload_byte(ds.X1, 3)
    with pytest.raises(IntegrityViolation):
        PersonnelQueries(fresh.models).as_of(ds.X1, date(2024, 1, 1))


def test_timeline_and_as_of_from_one_read_answer_as_the_two_calls(built: Built) -> None:
    q = queries(built)
    for auxiliary_id in (ds.X1, ds.X2, ds.X3, ds.X4):
        hired_on = built.ledger.auxiliary(auxiliary_id).hired_on
        for day in (hired_on - timedelta(days=1), hired_on, date(2024, 6, 30), ds.TODAY):
            timeline, on_date = q.timeline_and_as_of(auxiliary_id, day)
            assert timeline == q.timeline(auxiliary_id)
            if day < hired_on:
                assert on_date is None  # where as_of finds no record on the date
                with pytest.raises(UnknownRecordError):
                    q.as_of(auxiliary_id, day)
            else:
                assert on_date == q.as_of(auxiliary_id, day)
    with pytest.raises(UnknownRecordError):  # the scope and the unknown, as the timeline
        q.timeline_and_as_of(ds.X1, ds.TODAY, organ="B02")
    with pytest.raises(InvalidFilterValueError, match="filter on must be a calendar date"):
        q.timeline_and_as_of(ds.X1, datetime(2024, 1, 1, tzinfo=UTC))


def test_timeline_and_as_of_of_a_tampered_record_refuse_the_replay(fresh: Built) -> None:
    Tamperer(fresh.ledger).flip_payload_byte(ds.X1, 3)
    q = PersonnelQueries(fresh.models)
    with pytest.raises(IntegrityViolation):  # as as_of alone: nothing replayed
        q.timeline_and_as_of(ds.X1, date(2024, 1, 1))
    assert not q.timeline(ds.X1).verified
