"""Every event class, triggered once: payload types, personal-data marking, storage round trip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.auxiliary import Auxiliary, CredentialSerial
from domain.commands import auxiliary as aux_commands
from domain.commands import complaint as complaint_commands
from domain.commands import lifecycle as lifecycle_commands
from domain.commands.holds import PlaceLegalHold, ReleaseLegalHold
from domain.commands.misconduct import AmendDecision, RecordMisconduct
from domain.commands.organ import AdjustQuota, SetParent
from domain.commands.pay import RecordAverageWage, SetPaySchedule
from domain.commands.rules import LoadRuleSet
from domain.complaint import Complaint
from domain.errors import DomainError
from domain.events import LedgerEvent
from domain.holds import HireMarker, LegalHolds, PriorRecordMarker
from domain.misconduct import MisconductFinding
from domain.organ import Organ, UnitCode
from domain.pay import LocalAverageWage, PaySchedule
from domain.policy import NANTONG_2023
from domain.rules import Rules
from domain.values import Actor, Allegation, Responsibility

from .decision_support import DECISION
from .support import (
    ANONYMOUS,
    AUX_ID,
    AUX_ID_2,
    COMPLAINANT_ID,
    COMPLAINT_ID,
    COMPLAINTS,
    DISCIPLINE,
    ESTABLISHMENT,
    INSPECTOR,
    ORGAN_CODE,
    PERSONNEL,
    PUBLIC,
    UNIT_A,
    UNIT_B,
    RoundTripApplication,
    cst,
    hiring,
    new_organ,
    rec,
    synthetic_resident_id,
)
from .test_events import event_classes

D = date(2024, 3, 1)
LATER = date(2024, 3, 20)
PRIMITIVES = (str, int, bool, type(None), Decimal, UUID, datetime, date)
VALUE_OBJECTS = (Actor, Allegation, Responsibility)


def _received(aux: Auxiliary, id: UUID, complainant_id: UUID, /, **fields: Any) -> Complaint:
    """A complaint about ``aux`` received on ``D`` by the public intake."""
    return Complaint.receive(
        rec(PUBLIC, D),
        complaint_commands.ReceiveComplaint(
            auxiliary_id=aux.id,
            incident_at=cst(date(2024, 2, 20)),
            incident_place="测试广场",
            allegations=["事项一"],
            **fields,
        ),
        id=id,
        auxiliary=aux,
        complainant_id=complainant_id,
    )


def every_event() -> list[Aggregate]:
    """Aggregates whose pending events include every event class at least once."""
    organ = new_organ(quota=3)
    organ.adjust_quota(rec(ESTABLISHMENT, D), AdjustQuota(new_quota=4, reason="调整"))
    organ.take_slot(rec(PERSONNEL, D), auxiliary_id=AUX_ID)
    organ.take_slot(rec(PERSONNEL, D), auxiliary_id=AUX_ID_2)
    organ.set_parent(
        rec(ESTABLISHMENT, D), SetParent(parent="city-bureau"), ancestry=("city-bureau",)
    )

    aux = hiring(organ)()
    p = rec(PERSONNEL, D)
    dsc = rec(DISCIPLINE, D)
    aux.renew_contract(p, aux_commands.RenewContract(contract_end=date(2028, 12, 31)))
    aux.change_post(p, aux_commands.ChangePost(post_type="traffic"))
    aux.transfer(
        p,
        aux_commands.Transfer(unit=UNIT_B, supervisor_id="PO-2", supervisor_name="测试警官乙"),
        organ=organ,
    )
    aux.assign_supervisor(
        p, aux_commands.AssignSupervisor(supervisor_id="PO-3", supervisor_name="测试警官丙")
    )
    aux.release_supervisor(p, aux_commands.ReleaseSupervisor(reason="民警调岗"))
    aux.evaluate(p, aux_commands.Evaluate(year=2024, grade="excellent"))
    aux.change_level(p, aux_commands.ChangeLevel(level=2, reason="promotion"))
    aux.issue_credential(p, aux_commands.IssueCredential(kind="work_id", serial="NT-1"))
    serial = CredentialSerial.claim(p, auxiliary=aux, kind="work_id", serial="NT-1")
    unit_code = UnitCode.claim(rec(ESTABLISHMENT, D), organ=organ, code=UNIT_A)
    aux.revoke_credential(
        p, aux_commands.RevokeCredential(kind="work_id", serial="NT-1", reason="遗失")
    )
    aux.return_credential(p, aux_commands.ReturnCredential(kind="work_id", serial="NT-1"))
    aux.enrol_insurance(
        p,
        aux_commands.EnrolInsurance(
            kind="accident", insurer="测试保险", policy_number="PA-1", start=D, end=None
        ),
    )
    aux.record_health_check(
        p, aux_commands.RecordHealthCheck(checked_on=D, fit=True, details="正常")
    )
    aux.start_probation(p, lifecycle_commands.StartProbation(until=D + timedelta(days=90)))
    aux.complete_probation(p, lifecycle_commands.CompleteProbation(passed=True))
    aux.record_training(
        p,
        lifecycle_commands.RecordTraining(
            course="岗前培训班", kind="pre_service", hours=80, start=D, end=D, passed=True
        ),
    )
    aux.start_leave(p, lifecycle_commands.StartLeave(leave_id="L-1", kind="annual", planned_end=D))
    aux.end_leave(rec(PERSONNEL, LATER), lifecycle_commands.EndLeave(leave_id="L-1"))
    aux.record_duty_injury(
        p, aux_commands.RecordDutyInjury(injury_id="INJ-1", occurred_on=D, medical_details="擦伤")
    )
    aux.advance_cost(
        p, aux_commands.AdvanceCost(injury_id="INJ-1", category="medical", amount=Decimal("12.30"))
    )
    aux.record_infringement(
        p, aux_commands.RecordInfringement(occurred_on=D, description="遭推搡", referred_to=None)
    )
    aux.commend(p, aux_commands.Commend(kind="citation", issuing_body="测试市公安局"))
    aux.hear_statement(
        dsc,
        aux_commands.HearStatement(
            sanction_id="S-1", heard_on=D, heard_by="纪检甲", statement="陈述"
        ),
    )
    aux.impose_sanction(
        dsc,
        aux_commands.ImposeSanction(
            sanction_id="S-1", kind="suspension", until=None, linked_findings=[], **DECISION
        ),
    )
    aux.appeal_sanction(dsc, aux_commands.AppealSanction(sanction_id="S-1", grounds="申诉理由"))
    aux.decide_appeal(rec(INSPECTOR, D), aux_commands.DecideAppeal(sanction_id="S-1", upheld=True))
    aux.waive_statement(
        dsc, aux_commands.WaiveStatement(sanction_id="S-2", waiver_reference="放弃书-1")
    )
    aux.reinstate(dsc, aux_commands.Reinstate(reason="期满"))
    aux.impose_sanction(
        dsc,
        aux_commands.ImposeSanction(
            sanction_id="S-2",
            kind="warning",
            until=None,
            linked_findings=[f"{COMPLAINT_ID}:1"],
            **DECISION,
        ),
    )
    aux.revoke_sanction(dsc, aux_commands.RevokeSanction(sanction_id="S-2", reason="撤销"))
    aux.refer_for_prosecution(
        dsc, aux_commands.ReferForProsecution(reference="R-1", summary="移送")
    )
    aux.record_referral_outcome(
        dsc,
        aux_commands.RecordReferralOutcome(
            reference="R-1", outcome="accepted", outcome_reference="检受-1", decided_on=D
        ),
    )
    aux.correct(
        p,
        aux_commands.Correct(field="name", value="测试辅警乙", reason="r"),
        target_version=1,
        target_hash="h1",
    )
    aux.correct(
        p,
        aux_commands.Correct(field="phone", value="13900000009", reason="r"),
        target_version=1,
        target_hash="h1",
    )
    aux.correct(
        p,
        aux_commands.Correct(field="contract_end", value=date(2028, 6, 30), reason="r"),
        target_version=2,
        target_hash="h2",
    )

    complaint = _received(
        aux,
        COMPLAINT_ID,
        COMPLAINANT_ID,
        channel="online",
        complainant_name="测试投诉人",
        complainant_phone="13700000003",
        complainant_resident_id=synthetic_resident_id(sequence=777),
        complainant_address="测试小区",
        contact_text="晚上联系",
        tracking_hash="ab" * 32,
    )
    c = rec(COMPLAINTS, LATER)
    complaint.acknowledge(c, complaint_commands.Acknowledge())
    complaint.accept(c, complaint_commands.Accept(category="态度"))
    complaint.assign(c, complaint_commands.Assign(investigator_id="INV-1", due=date(2024, 4, 30)))
    complaint.record_finding(
        c,
        complaint_commands.RecordFinding(allegation_number=1, result="sustained", reasoning="属实"),
    )
    complaint.notify_complainant(
        c, complaint_commands.NotifyComplainant(method="sms", notified_on=LATER, summary="结果")
    )
    complaint.queue_notification(
        c,
        complaint_commands.QueueNotification(
            message_id=UUID(int=55), channel="sms", text="您的投诉已办结"
        ),
    )
    worker = rec(Actor("outbox-worker", "system", ORGAN_CODE, None), LATER)
    complaint.record_delivery_failure(
        worker,
        complaint_commands.RecordDeliveryFailure(
            message_id=UUID(int=55),
            attempt=1,
            adapter="log",
            reason="provider_unreachable",
            retry_at=cst(LATER, 11),
        ),
    )
    complaint.record_delivery(
        worker,
        complaint_commands.RecordDelivery(
            message_id=UUID(int=55), attempt=2, adapter="log", outcome="not_sent_log_only"
        ),
    )
    complaint.request_review(c, complaint_commands.RequestReview(reasons="不服"))
    complaint.decide_review(
        rec(INSPECTOR, LATER),
        complaint_commands.DecideReview(outcome="upheld", reasons="维持"),
    )
    complaint.close(c, complaint_commands.Close())
    complaint.reopen(c, complaint_commands.Reopen(reason="复查"))
    declined = _received(
        aux, UUID(int=99), UUID(int=98), channel="walk_in", tracking_hash=None, **ANONYMOUS
    )
    declined.acknowledge(c, complaint_commands.Acknowledge())
    declined.decline(c, complaint_commands.Decline(reason="不予受理"))
    unnamed = Complaint.take(
        c,
        complaint_commands.TakeComplaint(
            channel="hotline_12389",
            outside_reference="12389-20240221-0001",
            subject_description="身穿辅警制服、骑电动车的男子",
            incident_at=cst(date(2024, 2, 21)),
            incident_place="测试路口",
            allegations=["事项一"],
            complainant_phone="19900001111",
        ),
        id=UUID(int=97),
        auxiliary=None,
        complainant_id=UUID(int=96),
    )
    unnamed.match_subject(c, complaint_commands.MatchSubject(auxiliary_id=aux.id), aux)
    unnamed.withdraw(c, complaint_commands.Withdraw(reason="撤回"))

    aux.separate(rec(PERSONNEL, LATER), aux_commands.Separate(reason="resigned"))
    dispatched = hiring(
        organ, id=AUX_ID_2, employment_form="labour_dispatch", dispatch_agency="测试派遣公司"
    )()
    dispatched.return_to_agency(
        rec(PERSONNEL, LATER), aux_commands.ReturnToAgency(return_grounds="退回")
    )
    organ.release_slot(rec(PERSONNEL, LATER), auxiliary_id=AUX_ID)

    pay = PaySchedule.open(p, organ_code=ORGAN_CODE)
    pay.set_schedule(
        p,
        SetPaySchedule(
            year=2024, monthly_by_level={str(n): Decimal(4000 + 100 * n) for n in range(1, 11)}
        ),
    )
    wage = LocalAverageWage.open(p, region="测试市")
    wage.record(p, RecordAverageWage(year=2023, annual_amount=Decimal("90000.00")))
    finding = MisconductFinding.record(
        dsc,
        RecordMisconduct(
            official_id="PO-1001",
            official_name="测试警官甲",
            official_role="supervisor",
            organ=ORGAN_CODE,
            unit=UNIT_A,
            kind="abuse_of_power",
            summary="概要",
            decision="处分",
        ),
        id=UUID(int=77),
    )
    finding.amend_decision(dsc, AmendDecision(decision="改判", reason="复议"))
    marker = PriorRecordMarker.open(rec(PERSONNEL, LATER), resident_index="ab" * 32, auxiliary=aux)
    rehired = hiring(organ, id=UUID("00000000-0000-4000-8000-000000000003"))()
    rehired.override_prior_records(rec(PERSONNEL, D), organs=["other-bureau"], reason="已核实")
    marker.note(rec(PERSONNEL, LATER), auxiliary=rehired)
    hires = HireMarker.open(rec(PERSONNEL, D), resident_index="cd" * 32, auxiliary=aux)
    hires.note(rec(PERSONNEL, LATER), auxiliary=rehired)
    holds = LegalHolds.open(dsc, subject_id=AUX_ID, organ=ORGAN_CODE)
    holds.place(dsc, PlaceLegalHold(hold_id="H-1", reason="诉讼保全", reference="(2024)民初1号"))
    holds.release(dsc, ReleaseLegalHold(hold_id="H-1", reason="诉讼终结"))
    holds.clear_erasure(dsc)
    admin = rec(Actor(actor_id="op-1", role="admin", organ="ledger", unit=None), D)
    rules = Rules.open(admin)
    rules.load(admin, LoadRuleSet(rule_set=NANTONG_2023, notes="说明"))
    return [
        organ,
        unit_code,
        aux,
        dispatched,
        serial,
        complaint,
        declined,
        pay,
        wage,
        finding,
        marker,
        hires,
        holds,
        rehired,
        unnamed,
        rules,
    ]


@pytest.fixture(scope="module")
def aggregates() -> list[Aggregate]:
    return every_event()


def _events(aggregates: list[Aggregate]) -> list[LedgerEvent]:
    return [e for a in aggregates for e in a.pending_events]  # type: ignore[misc]


def test_the_scenario_covers_every_event_class(aggregates: list[Aggregate]) -> None:
    triggered = {type(e) for e in _events(aggregates)}
    assert {get_topic(c) for c in event_classes()} == {get_topic(c) for c in triggered}


def _check_value(value: Any, where: str) -> None:
    kind = type(value)
    if kind in (list, tuple):
        for item in value:
            _check_value(item, where)
    elif kind is dict:
        for key, item in value.items():
            assert type(key) is str, where
            _check_value(item, where)
    elif kind in VALUE_OBJECTS:
        for field in dataclasses.fields(value):
            _check_value(getattr(value, field.name), f"{where}.{field.name}")
    else:
        assert kind in PRIMITIVES, f"{where}: {kind}"  # exact type: no subclasses
        if kind is datetime:
            assert value.utcoffset() == timedelta(0), where


def test_event_attributes_have_only_the_allowed_types(aggregates: list[Aggregate]) -> None:
    for event in _events(aggregates):
        for field in dataclasses.fields(event):
            _check_value(getattr(event, field.name), f"{type(event).__qualname__}.{field.name}")
        assert type(event.actor) is Actor
        assert type(event.effective) is date
        assert event.timestamp.tzinfo is UTC


def test_personal_field_markings_name_real_attributes() -> None:
    marked = {}
    for cls in event_classes():
        names = {f.name for f in dataclasses.fields(cls)}
        assert set(cls.personal_fields) <= names, cls
        if cls.personal_fields:
            assert cls.personal_subject in names, cls
            marked[cls.__qualname__] = (cls.personal_fields, cls.personal_subject)
        else:
            assert cls.personal_subject == "", cls
    assert marked == {
        "Auxiliary.Hired": (("resident_id", "phone", "address"), "originator_id"),
        "Auxiliary.HealthChecked": (("fit", "details"), "originator_id"),
        "Auxiliary.DutyInjuryRecorded": (("medical_details",), "originator_id"),
        "Auxiliary.PersonalDataCorrected": (("value",), "originator_id"),
        "Auxiliary.StatementHeard": (("statement",), "originator_id"),
        "Complaint.Received": (
            (
                "complainant_name",
                "complainant_phone",
                "complainant_resident_id",
                "complainant_address",
                "contact_text",
            ),
            "complainant_id",
        ),
        "Complaint.ReviewRequested": (
            ("reasons",),
            "complainant_id",
        ),
    }


def test_events_survive_storage_and_replay_to_the_same_state() -> None:
    aggregates = every_event()
    app = RoundTripApplication()
    app.save(*aggregates)
    for aggregate in aggregates:
        stored: Aggregate = app.repository.get(aggregate.id)
        assert stored == aggregate, type(aggregate).__name__
    recorded = list(app.recorder.select_notifications(start=1, limit=1000))
    assert len(recorded) == sum(a.version for a in aggregates)


def test_refusals_never_echo_personal_data(organ: Organ) -> None:
    bad_id = synthetic_resident_id()[:-1] + ("1" if synthetic_resident_id()[-1] != "1" else "2")
    attempts: list[tuple[dict[str, Any], str]] = [
        ({"resident_id": bad_id}, bad_id),
        ({"resident_id": "320602199602301230"}, "320602199602301230"),
        ({"phone": "138-call-me-0001"}, "138-call-me-0001"),
        ({"name": "测试" + "名" * 200}, "测试" + "名" * 200),
        ({"address": "测试路\u0007号"}, "测试路\u0007号"),
        ({"post_type": "测试私人岗位"}, "测试私人岗位"),
    ]
    for overrides, value in attempts:
        with pytest.raises(DomainError) as info:
            hiring(organ, **overrides)()
        assert value not in str(info.value)
        assert value[:12] not in str(info.value)
