"""Misconduct of officials in managing auxiliaries (Art. 19)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.commands.misconduct import AmendDecision, RecordMisconduct
from domain.errors import (
    DomainError,
    InvalidDateRangeError,
    InvalidFieldError,
    NotAuthorisedError,
    OutsideScopeError,
)
from domain.misconduct import MisconductFinding
from domain.values import Actor, MisconductKind, OfficialRole

from .support import (
    DAY,
    DISCIPLINE,
    ORGAN_CODE,
    OTHER_DISCIPLINE,
    PERSONNEL,
    UNIT_A,
    rec,
    refused,
    refused_creation,
)

FEB_28 = date(2024, 2, 28)
MAR_5 = date(2024, 3, 5)
MAR_10 = date(2024, 3, 10)
FINDING_ID = UUID("00000000-0000-4000-8000-0000000000d1")


def recording_finding(
    *, actor: Actor = DISCIPLINE, id: Any = FINDING_ID, **overrides: Any
) -> Callable[[], MisconductFinding]:
    """A valid finding with overrides, to run."""
    args: dict[str, Any] = {
        "official_id": "PO-1001",
        "official_name": "测试警官甲",
        "official_role": "supervisor",
        "organ": ORGAN_CODE,
        "unit": UNIT_A,
        "kind": "neglect_of_duty",
        "summary": "未履行带辅责任",
        "decision": "诫勉谈话",
        **overrides,
    }
    return lambda: MisconductFinding.record(rec(actor), RecordMisconduct(**args), id=id)


@pytest.fixture
def finding() -> MisconductFinding:
    finding = recording_finding()()
    finding.collect_events()
    return finding


def test_record_misconduct() -> None:
    finding = recording_finding()()
    assert finding.id == FINDING_ID
    assert (finding.official_role, finding.kind) == (
        OfficialRole.supervisor,
        MisconductKind.neglect_of_duty,
    )
    assert (finding.organ, finding.unit, finding.decision) == (ORGAN_CODE, UNIT_A, "诫勉谈话")
    [event] = finding.pending_events
    assert isinstance(event, MisconductFinding.Recorded)


def test_a_manager_without_unit(finding: MisconductFinding) -> None:
    manager = recording_finding(official_role="manager", unit=None, kind="favouritism")()
    assert manager.unit is None and manager.kind is MisconductKind.favouritism


def test_only_the_organs_discipline_office_records() -> None:
    error = refused_creation(NotAuthorisedError, recording_finding(actor=PERSONNEL))
    assert "Art. 19" in str(error)
    refused_creation(OutsideScopeError, recording_finding(actor=OTHER_DISCIPLINE))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"official_role": "auxiliary"}, "official_role"),
        ({"kind": "corruption"}, "kind"),
        ({"summary": ""}, "summary"),
        ({"official_name": ""}, "official_name"),
        ({"id": "f-1"}, "id"),
    ],
)
def test_fields_are_checked(overrides: dict[str, Any], field: str) -> None:
    error = refused_creation(InvalidFieldError, recording_finding(**overrides))
    assert error.field == field


def test_amend_decision_keeps_history(finding: MisconductFinding) -> None:
    finding.amend_decision(rec(DISCIPLINE), AmendDecision(decision="通报批评", reason="情节加重"))
    assert finding.decision == "通报批评"
    assert finding.decision_history == [(DAY, "诫勉谈话"), (DAY, "通报批评")]
    [event] = finding.collect_events()
    assert isinstance(event, MisconductFinding.DecisionAmended)


def test_an_amendment_is_not_dated_before_the_finding(finding: MisconductFinding) -> None:
    amendment = AmendDecision(decision="通报批评", reason="r")
    error = refused(
        finding, InvalidDateRangeError, finding.amend_decision, rec(DISCIPLINE, FEB_28), amendment
    )
    assert "Art. 19" in str(error)


def test_an_amendment_is_not_dated_before_the_last_amendment(finding: MisconductFinding) -> None:
    finding.amend_decision(rec(DISCIPLINE, MAR_10), AmendDecision(decision="通报批评", reason="r"))
    finding.collect_events()
    later = AmendDecision(decision="记过", reason="r")
    refused(finding, InvalidDateRangeError, finding.amend_decision, rec(DISCIPLINE, MAR_5), later)
    finding.amend_decision(rec(DISCIPLINE, MAR_10), later)  # the same day is in order
    assert finding.decision_history == [(DAY, "诫勉谈话"), (MAR_10, "通报批评"), (MAR_10, "记过")]


@pytest.mark.parametrize(
    ("actor", "decision", "error"),
    [
        (DISCIPLINE, "诫勉谈话", InvalidFieldError),  # an amendment changes the decision
        (OTHER_DISCIPLINE, "d", OutsideScopeError),  # only the organ's discipline office amends
        (PERSONNEL, "d", NotAuthorisedError),
    ],
)
def test_amendment_refusals(
    finding: MisconductFinding, actor: Actor, decision: str, error: type[DomainError]
) -> None:
    amendment = AmendDecision(decision=decision, reason="r")
    refused(finding, error, finding.amend_decision, rec(actor), amendment)
