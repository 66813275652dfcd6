"""Decisions with reasons on real databases (Art. 8, 18): the statement before a sanction is
stored sealed, refusals store nothing, a return to the agency releases the quota slot in the
same transaction, and decisions recorded before reasons were required still read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import (
    AppealSanction,
    DecideAppeal,
    HearStatement,
    Hire,
    ImposeSanction,
    RecordReferralOutcome,
    ReferForProsecution,
    ReturnToAgency,
)
from domain.commands.organ import RegisterOrgan, RegisterUnit, SetQuota
from domain.errors import (
    InvalidTransitionError,
    NotLabourDispatchError,
    SameDeciderError,
    StatementMissingError,
)
from domain.identity import resident_id_check_char
from domain.values import Actor, ReferralOutcome
from ledger.log import MerkleLog
from ledger.records import AuxLedger, Envelope

pytestmark = pytest.mark.both_backends

WHEN = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 1)
ORGAN = "320600"
ADMIN = Actor(actor_id="root", role="admin", organ=ORGAN, unit=None)
ESTABLISHMENT = Actor(actor_id="est", role="establishment", organ=ORGAN, unit=None)
PERSONNEL = Actor(actor_id="hr", role="personnel", organ=ORGAN, unit=None)
DISCIPLINE = Actor(actor_id="disc", role="discipline", organ=ORGAN, unit=None)
INSPECTOR = Actor(actor_id="insp", role="inspector", organ=ORGAN, unit=None)
STATEMENT = "本人对调查认定的事实无异议-SYNTHETIC-7f3a"
DECISION: dict[str, Any] = {
    "facts": "执勤时未按规定着装",
    "reasons": "违反日常管理制度",
    "article": "Art. 18",
    "document_number": "通公纪〔2026〕5号",
    "evidence": ["询问笔录"],
}


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    aux_ledger.clock = lambda: WHEN
    aux_ledger.register_organ(
        RegisterOrgan(code=ORGAN, name="南通市公安局", region="南通市"),
        Envelope(ADMIN, effective=DAY),
    )
    aux_ledger.command_organ(
        ORGAN, RegisterUnit(code=f"{ORGAN}-U1", name="城东派出所"), Envelope(ADMIN, effective=DAY)
    )
    aux_ledger.command_organ(ORGAN, SetQuota(quota=3), Envelope(ESTABLISHMENT, effective=DAY))
    return aux_ledger


def _hire(ledger: AuxLedger, n: int, *, dispatch: bool = False) -> UUID:
    first = f"320699199001{n:02d}123"[:17]
    recorded = ledger.hire(
        ORGAN,
        Hire(
            unit=f"{ORGAN}-U1",
            supervisor_id="P1",
            supervisor_name="李警官",
            employment_form="labour_dispatch" if dispatch else "direct_contract",
            dispatch_agency="南通众合人力资源服务有限公司" if dispatch else None,
            contract_start=date(2026, 10, 1),
            contract_end=date(2029, 9, 30),
            post_type="patrol",
            level=1,
            name=f"辅警{n}",
            gender="male",
            resident_id=first + resident_id_check_char(first),
            phone="19900001111",
            address="南通市人民路1号",
        ),
        Envelope(PERSONNEL, effective=date(2026, 10, 1)),
    )
    return recorded.originator_id


def _send(ledger: AuxLedger, aux_id: UUID, cmd: Any, actor: Actor = DISCIPLINE) -> Any:
    return ledger.command_auxiliary(aux_id, cmd, Envelope(actor, effective=DAY))


def _sanction(sanction_id: str = "S-1") -> ImposeSanction:
    return ImposeSanction(
        sanction_id=sanction_id, kind="warning", until=None, linked_findings=[], **DECISION
    )


def test_a_sanction_without_a_statement_stores_nothing(ledger: AuxLedger) -> None:
    aux_id = _hire(ledger, 1)
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    with pytest.raises(StatementMissingError):
        _send(ledger, aux_id, _sanction())
    assert log.tree_size() == before
    heard = _send(
        ledger,
        aux_id,
        HearStatement(sanction_id="S-1", heard_on=DAY, heard_by="纪检甲", statement=STATEMENT),
    )
    _send(ledger, aux_id, _sanction())
    assert log.tree_size() == before + 2
    # The statement is stored sealed (personal data of the auxiliary) and opens on a read.
    row = ledger.recorder.select_events(aux_id)[heard.originator_version - 1]
    assert STATEMENT.encode() not in row.state
    event = ledger.mapper.to_domain_event(row)
    assert isinstance(event, Auxiliary.StatementHeard)
    assert event.statement == STATEMENT
    sanction = ledger.auxiliary(aux_id).sanctions["S-1"]
    assert (sanction.document_number, sanction.imposed_by) == ("通公纪〔2026〕5号", DISCIPLINE)


def test_an_appeal_by_the_same_person_stores_nothing(ledger: AuxLedger) -> None:
    aux_id = _hire(ledger, 1)
    _send(
        ledger,
        aux_id,
        HearStatement(sanction_id="S-1", heard_on=DAY, heard_by="纪检甲", statement=STATEMENT),
    )
    _send(ledger, aux_id, _sanction())
    _send(ledger, aux_id, AppealSanction(sanction_id="S-1", grounds="事实不清"))
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    same = Actor(actor_id=DISCIPLINE.actor_id, role="inspector", organ=ORGAN, unit=None)
    with pytest.raises(SameDeciderError):
        _send(ledger, aux_id, DecideAppeal(sanction_id="S-1", upheld=False), same)
    assert log.tree_size() == before
    _send(ledger, aux_id, DecideAppeal(sanction_id="S-1", upheld=False), INSPECTOR)
    assert ledger.auxiliary(aux_id).sanctions["S-1"].status.value == "overturned"


def test_referral_outcomes_end_at_a_final_one(ledger: AuxLedger) -> None:
    aux_id = _hire(ledger, 1)
    _send(ledger, aux_id, ReferForProsecution(reference="TJY-1", summary="涉嫌受贿"))
    for outcome in ("accepted", "judgement"):
        _send(
            ledger,
            aux_id,
            RecordReferralOutcome(
                reference="TJY-1", outcome=outcome, outcome_reference="检-1", decided_on=DAY
            ),
        )
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    with pytest.raises(InvalidTransitionError):
        _send(
            ledger,
            aux_id,
            RecordReferralOutcome(
                reference="TJY-1", outcome="declined", outcome_reference="检-2", decided_on=DAY
            ),
        )
    assert log.tree_size() == before
    assert ledger.auxiliary(aux_id).referrals[0].outcome is ReferralOutcome.judgement


def test_a_return_to_the_agency_releases_the_slot_in_the_same_transaction(
    ledger: AuxLedger,
) -> None:
    direct = _hire(ledger, 1)
    dispatched = _hire(ledger, 2, dispatch=True)
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    with pytest.raises(NotLabourDispatchError):
        _send(ledger, direct, ReturnToAgency(return_grounds="g"), PERSONNEL)
    assert log.tree_size() == before
    assert ledger.organ(ORGAN).headcount == 2
    _send(ledger, dispatched, ReturnToAgency(return_grounds="考核不合格"), PERSONNEL)
    assert log.tree_size() == before + 2  # the return and the organ's slot, one checkpoint
    assert ledger.organ(ORGAN).headcount == 1
    returned = ledger.auxiliary(dispatched)
    assert (returned.status.value, returned.separation_reason.value) == (  # type: ignore[union-attr]
        "separated",
        "returned_to_agency",
    )


def test_a_decision_recorded_before_reasons_were_required_still_reads(
    ledger: AuxLedger,
) -> None:
    aux_id = _hire(ledger, 1)
    _send(
        ledger,
        aux_id,
        HearStatement(sanction_id="S-1", heard_on=DAY, heard_by="纪检甲", statement=STATEMENT),
    )
    recorded = _send(ledger, aux_id, _sanction())
    row = ledger.recorder.select_events(aux_id)[recorded.originator_version - 1]
    mapper = ledger.mapper
    payload = mapper.verifier.check(row).payload  # type: ignore[attr-defined]
    state = mapper.transcoder.decode(payload)
    assert state["class_version"] == 2
    # The payload of a version-1 decision: no class version, none of the reasons.
    for name in ("class_version", "facts", "reasons", "article", "document_number", "evidence"):
        del state[name]
    old = mapper.decode_payload(row, mapper.transcoder.encode(state))  # type: ignore[attr-defined]
    assert isinstance(old, Auxiliary.SanctionImposed)
    assert (old.facts, old.reasons, old.article, old.document_number, old.evidence) == (
        None,
        None,
        None,
        None,
        [],
    )
    assert old.sanction_id == "S-1" and old.kind == "warning"
