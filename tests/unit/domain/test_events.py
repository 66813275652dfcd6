"""What every event carries: actor, recording instant, effective date, basis, rule set."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from domain.auxiliary import Auxiliary, CredentialSerial
from domain.complaint import Complaint
from domain.errors import DateInFutureError, InvalidFieldError, NaiveDatetimeError
from domain.events import LedgerCreated, LedgerEvent, recording
from domain.holds import HireMarker, LegalHolds, PriorRecordMarker
from domain.misconduct import MisconductFinding
from domain.organ import Organ, UnitCode
from domain.pay import LocalAverageWage, PaySchedule
from domain.policy import NANTONG_2023, Policy, RuleSet
from domain.rules import Rules

from .support import PERSONNEL, POLICY

AGGREGATES = (
    Organ,
    UnitCode,
    Auxiliary,
    CredentialSerial,
    Complaint,
    PaySchedule,
    LocalAverageWage,
    MisconductFinding,
    PriorRecordMarker,
    HireMarker,
    LegalHolds,
    Rules,
)


def event_classes() -> list[type[LedgerEvent]]:
    """Every event class of every aggregate.

    ``Event`` is each aggregate's base; ``Created`` is defined by the library from
    ``Aggregate.Created`` and never triggered (each aggregate names its own created event).
    """
    return [
        value
        for aggregate in AGGREGATES
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, LedgerEvent)
        and name not in ("Event", "Created")
    ]


def test_every_event_class_has_the_shared_attribution_fields() -> None:
    classes = event_classes()
    assert len(classes) == len(STABLE_TOPICS)
    for cls in classes:
        names = {f.name for f in dataclasses.fields(cls)}
        assert {"actor", "timestamp", "effective", "basis", "rule_id"} <= names, cls
        assert cls.__qualname__.split(".")[0] in {a.__name__ for a in AGGREGATES}


def test_each_aggregate_has_exactly_one_created_event_class() -> None:
    for aggregate in AGGREGATES:
        created = [
            v
            for v in vars(aggregate).values()
            if isinstance(v, type) and issubclass(v, LedgerCreated)
        ]
        assert len(created) == 1, aggregate


STABLE_TOPICS = {
    "domain.organ:Organ.Registered",
    "domain.organ:Organ.UnitRegistered",
    "domain.organ:Organ.QuotaSet",
    "domain.organ:Organ.QuotaAdjusted",
    "domain.organ:Organ.SlotTaken",
    "domain.organ:Organ.SlotReleased",
    "domain.organ:Organ.ParentSet",
    "domain.organ:UnitCode.Claimed",
    "domain.auxiliary:Auxiliary.Hired",
    "domain.auxiliary:Auxiliary.ContractRenewed",
    "domain.auxiliary:Auxiliary.PostChanged",
    "domain.auxiliary:Auxiliary.Transferred",
    "domain.auxiliary:Auxiliary.SupervisorAssigned",
    "domain.auxiliary:Auxiliary.SupervisorReleased",
    "domain.auxiliary:Auxiliary.Evaluated",
    "domain.auxiliary:Auxiliary.LevelChanged",
    "domain.auxiliary:Auxiliary.CredentialIssued",
    "domain.auxiliary:Auxiliary.CredentialRevoked",
    "domain.auxiliary:Auxiliary.CredentialReturned",
    "domain.auxiliary:Auxiliary.InsuranceEnrolled",
    "domain.auxiliary:Auxiliary.HealthChecked",
    "domain.auxiliary:Auxiliary.DutyInjuryRecorded",
    "domain.auxiliary:Auxiliary.CostAdvanced",
    "domain.auxiliary:Auxiliary.InfringementRecorded",
    "domain.auxiliary:Auxiliary.Commended",
    "domain.auxiliary:Auxiliary.SanctionImposed",
    "domain.auxiliary:Auxiliary.SanctionAppealed",
    "domain.auxiliary:Auxiliary.AppealDecided",
    "domain.auxiliary:Auxiliary.SanctionRevoked",
    "domain.auxiliary:Auxiliary.Reinstated",
    "domain.auxiliary:Auxiliary.ReferredForProsecution",
    "domain.auxiliary:Auxiliary.Separated",
    "domain.auxiliary:Auxiliary.StatementHeard",
    "domain.auxiliary:Auxiliary.StatementWaived",
    "domain.auxiliary:Auxiliary.ReferralOutcomeRecorded",
    "domain.auxiliary:Auxiliary.ReturnedToAgency",
    "domain.auxiliary:Auxiliary.Corrected",
    "domain.auxiliary:Auxiliary.PersonalDataCorrected",
    "domain.auxiliary:Auxiliary.ProbationStarted",
    "domain.auxiliary:Auxiliary.ProbationCompleted",
    "domain.auxiliary:Auxiliary.TrainingRecorded",
    "domain.auxiliary:Auxiliary.LeaveStarted",
    "domain.auxiliary:Auxiliary.LeaveEnded",
    "domain.auxiliary:CredentialSerial.Claimed",
    "domain.complaint:Complaint.Received",
    "domain.complaint:Complaint.Acknowledged",
    "domain.complaint:Complaint.Accepted",
    "domain.complaint:Complaint.Declined",
    "domain.complaint:Complaint.InvestigatorAssigned",
    "domain.complaint:Complaint.FindingRecorded",
    "domain.complaint:Complaint.ComplainantNotified",
    "domain.complaint:Complaint.Withdrawn",
    "domain.complaint:Complaint.Closed",
    "domain.complaint:Complaint.Reopened",
    "domain.complaint:Complaint.ReviewRequested",
    "domain.complaint:Complaint.ReviewDecided",
    "domain.complaint:Complaint.SubjectMatched",
    "domain.complaint:Complaint.NotificationQueued",
    "domain.complaint:Complaint.NotificationDelivered",
    "domain.complaint:Complaint.NotificationFailed",
    "domain.pay:PaySchedule.Opened",
    "domain.pay:PaySchedule.ScheduleSet",
    "domain.pay:LocalAverageWage.Opened",
    "domain.pay:LocalAverageWage.WageRecorded",
    "domain.misconduct:MisconductFinding.Recorded",
    "domain.misconduct:MisconductFinding.DecisionAmended",
    "domain.auxiliary:Auxiliary.PriorRecordOverridden",
    "domain.holds:PriorRecordMarker.Opened",
    "domain.holds:PriorRecordMarker.Noted",
    "domain.holds:HireMarker.Opened",
    "domain.holds:HireMarker.Noted",
    "domain.holds:LegalHolds.Opened",
    "domain.holds:LegalHolds.Placed",
    "domain.holds:LegalHolds.Released",
    "domain.holds:LegalHolds.ErasureCleared",
    "domain.rules:Rules.Opened",
    "domain.rules:Rules.RuleSetLoaded",
}


def test_event_topics_are_stable() -> None:
    # Topics are stored with every event forever: renaming or moving a class breaks replay.
    topics = {get_topic(cls) for cls in event_classes()}
    assert topics == STABLE_TOPICS
    for topic in STABLE_TOPICS:
        assert get_topic(resolve_topic(topic)) == topic


def test_recording_converts_the_instant_to_utc() -> None:
    at = datetime(2024, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    rec = recording(actor=PERSONNEL, at=at, effective=date(2024, 3, 1), basis=None, policy=POLICY)
    assert rec.at == datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    assert rec.at.utcoffset() == timedelta(0)
    assert rec.rule_id == "nantong-2023"
    assert rec.basis is None


def test_recording_refuses_a_naive_instant() -> None:
    with pytest.raises(NaiveDatetimeError) as info:
        recording(
            actor=PERSONNEL,
            at=datetime(2024, 3, 1, 10, 0),
            effective=date(2024, 3, 1),
            basis=None,
            policy=POLICY,
        )
    assert info.value.field == "at"


def test_effective_date_is_judged_in_china_standard_time() -> None:
    # 16:30 UTC on 29 February is 00:30 on 1 March in China.
    at = datetime(2024, 2, 29, 16, 30, tzinfo=UTC)
    rec = recording(actor=PERSONNEL, at=at, effective=date(2024, 3, 1), basis=None, policy=POLICY)
    assert rec.recorded_on == date(2024, 3, 1)
    with pytest.raises(DateInFutureError) as info:
        recording(actor=PERSONNEL, at=at, effective=date(2024, 3, 2), basis=None, policy=POLICY)
    assert info.value.field == "effective"


def test_future_effective_dates_only_where_the_command_allows() -> None:
    at = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    rec = recording(
        actor=PERSONNEL,
        at=at,
        effective=date(2024, 4, 1),
        basis=None,
        policy=POLICY,
        future_allowed=True,
    )
    assert rec.effective == date(2024, 4, 1)


def test_effective_must_be_a_date_not_a_datetime() -> None:
    at = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    with pytest.raises(InvalidFieldError) as info:
        recording(actor=PERSONNEL, at=at, effective=at, basis=None, policy=POLICY)
    assert info.value.field == "effective"


def test_basis_is_bounded_short_text() -> None:
    at = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    with pytest.raises(InvalidFieldError) as info:
        recording(
            actor=PERSONNEL, at=at, effective=date(2024, 3, 1), basis="x" * 201, policy=POLICY
        )
    assert info.value.field == "basis"
    with pytest.raises(InvalidFieldError):
        recording(actor=PERSONNEL, at=at, effective=date(2024, 3, 1), basis=" ", policy=POLICY)


def test_actor_must_be_an_actor() -> None:
    at = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    with pytest.raises(InvalidFieldError) as info:
        recording(
            actor="hr-01",  # type: ignore[arg-type]
            at=at,
            effective=date(2024, 3, 1),
            basis=None,
            policy=POLICY,
        )
    assert info.value.field == "actor"


def test_rule_id_follows_the_effective_date() -> None:
    older = RuleSet(
        "nantong-2018", "旧办法", "通政办发〔2018〕2号", date(2018, 1, 10), date(2023, 2, 28)
    )
    policy = Policy(rules=(NANTONG_2023, older))
    at = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    assert (
        recording(
            actor=PERSONNEL, at=at, effective=date(2023, 2, 28), basis=None, policy=policy
        ).rule_id
        == "nantong-2018"
    )
    assert (
        recording(
            actor=PERSONNEL, at=at, effective=date(2023, 3, 1), basis=None, policy=policy
        ).rule_id
        == "nantong-2023"
    )
