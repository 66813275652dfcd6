"""What an auxiliary's record allows (``Auxiliary.open_commands``): in every state, each
command offered is accepted; each command not offered is refused, with exactly the refusal
``state_refusal`` gives where the state refuses it, and otherwise (nothing on the record to
act on) whatever it is pointed at, by its own check -- what a page offers and what the
command says agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.auxiliary import RECORD_COMMANDS, Auxiliary
from domain.commands import auxiliary as commands
from domain.commands import lifecycle as lifecycle_commands
from domain.errors import (
    AuxiliarySeparatedError,
    DomainError,
    InvalidTransitionError,
    OutsideScopeError,
)
from domain.organ import Organ
from domain.values import (
    AppealStatus,
    CredentialKind,
    CredentialStatus,
    PostType,
    ReferralOutcome,
    SanctionStatus,
)

from .decision_support import heard, sanction
from .support import (
    DAY,
    DISCIPLINE,
    INSPECTOR,
    PERSONNEL,
    UNIT_A,
    UNIT_B,
    UNIT_B_ACTOR,
    hire,
    rec,
    refused,
)

FEB_1 = date(2024, 2, 1)
FEB_10 = date(2024, 2, 10)
FEB_20 = date(2024, 2, 20)
HASH = "sha256:" + "0f" * 32

DISCIPLINE_COMMANDS = frozenset(
    {
        "hear_statement",
        "waive_statement",
        "impose_sanction",
        "appeal_sanction",
        "revoke_sanction",
        "reinstate",
        "refer_for_prosecution",
        "record_referral_outcome",
    }
)

NEED_A_SUBJECT = frozenset(
    {
        "revoke_credential",
        "return_credential",
        "advance_cost",
        "appeal_sanction",
        "decide_appeal",
        "revoke_sanction",
        "record_referral_outcome",
        "end_leave",
    }
)
"""Commands that act on something the record holds, named in a field."""

EMPLOYED = (
    frozenset(RECORD_COMMANDS)
    - NEED_A_SUBJECT
    - {
        "reinstate",
        "return_to_agency",
        "complete_probation",
    }
)
"""What a plain employed (在岗) direct-contract auxiliary allows."""


def _by(actor: Any, day: date, command: Any, auxiliary: Auxiliary, organ: Organ) -> None:
    command.run(auxiliary, rec(actor, day), organ)
    auxiliary.collect_events()


def _impose(kind: str = "warning") -> Callable[[Auxiliary, Organ], None]:
    def given(auxiliary: Auxiliary, organ: Organ) -> None:
        heard(auxiliary)
        _by(DISCIPLINE, FEB_1, sanction(kind=kind), auxiliary, organ)

    return given


def _appealed(auxiliary: Auxiliary, organ: Organ) -> None:
    _impose()(auxiliary, organ)
    _by(
        DISCIPLINE,
        FEB_1,
        commands.AppealSanction(sanction_id="S-1", grounds="不服"),
        auxiliary,
        organ,
    )


def _appeal_upheld(auxiliary: Auxiliary, organ: Organ) -> None:
    _appealed(auxiliary, organ)
    _by(INSPECTOR, FEB_10, commands.DecideAppeal(sanction_id="S-1", upheld=True), auxiliary, organ)


def _revoked(auxiliary: Auxiliary, organ: Organ) -> None:
    _impose()(auxiliary, organ)
    _by(
        DISCIPLINE,
        FEB_10,
        commands.RevokeSanction(sanction_id="S-1", reason="错误"),
        auxiliary,
        organ,
    )


def _on_leave(auxiliary: Auxiliary, organ: Organ) -> None:
    _by(
        PERSONNEL,
        FEB_1,
        lifecycle_commands.StartLeave(leave_id="L-1", kind="sick"),
        auxiliary,
        organ,
    )


def _back_from_leave(auxiliary: Auxiliary, organ: Organ) -> None:
    _on_leave(auxiliary, organ)
    _by(PERSONNEL, FEB_10, lifecycle_commands.EndLeave(leave_id="L-1"), auxiliary, organ)


def _on_probation(auxiliary: Auxiliary, organ: Organ) -> None:
    until = date(2024, 6, 30)
    _by(PERSONNEL, FEB_1, lifecycle_commands.StartProbation(until=until), auxiliary, organ)


def _probation_passed(auxiliary: Auxiliary, organ: Organ) -> None:
    _on_probation(auxiliary, organ)
    _by(PERSONNEL, FEB_10, lifecycle_commands.CompleteProbation(passed=True), auxiliary, organ)


def _credentials(auxiliary: Auxiliary, organ: Organ) -> None:
    """A work ID held, a uniform revoked (not yet handed back), an insignia returned."""
    for kind in CredentialKind:
        serial = f"{kind.value}-1"
        _by(PERSONNEL, FEB_1, commands.IssueCredential(kind=kind, serial=serial), auxiliary, organ)
    revoke = commands.RevokeCredential(kind="uniform", serial="uniform-1", reason="损坏")
    _by(PERSONNEL, FEB_10, revoke, auxiliary, organ)
    _by(
        PERSONNEL,
        FEB_10,
        commands.ReturnCredential(kind="insignia", serial="insignia-1"),
        auxiliary,
        organ,
    )


def _injured(auxiliary: Auxiliary, organ: Organ) -> None:
    injury = commands.RecordDutyInjury(injury_id="INJ-1", occurred_on=FEB_1, medical_details="骨折")
    _by(PERSONNEL, FEB_1, injury, auxiliary, organ)


def _referred(auxiliary: Auxiliary, organ: Organ) -> None:
    referral = commands.ReferForProsecution(reference="移-1", summary="涉嫌犯罪")
    _by(DISCIPLINE, FEB_1, referral, auxiliary, organ)


def _referral_judged(auxiliary: Auxiliary, organ: Organ) -> None:
    _referred(auxiliary, organ)
    outcome = commands.RecordReferralOutcome(
        reference="移-1", outcome="judgement", outcome_reference="判-1", decided_on=FEB_10
    )
    _by(DISCIPLINE, FEB_10, outcome, auxiliary, organ)


def _resigned(auxiliary: Auxiliary, organ: Organ) -> None:
    _by(PERSONNEL, FEB_20, commands.Separate(reason="resigned"), auxiliary, organ)


def _resigned_with_matters_open(auxiliary: Auxiliary, organ: Organ) -> None:
    """Separated holding a work ID, an appeal pending and a referral without its outcome."""
    _credentials(auxiliary, organ)
    _appealed(auxiliary, organ)
    _referred(auxiliary, organ)
    _resigned(auxiliary, organ)


@dataclass(frozen=True)
class State:
    """An auxiliary brought into one state, and what it allows then."""

    given: Callable[[Auxiliary, Organ], object]
    open: frozenset[str]
    dispatched: bool = False

    def auxiliary(self, organ: Organ) -> Auxiliary:
        dispatch = {"employment_form": "labour_dispatch", "dispatch_agency": "测试派遣公司"}
        auxiliary = hire(organ, **(dispatch if self.dispatched else {}))
        self.given(auxiliary, organ)
        return auxiliary


def _nothing(auxiliary: Auxiliary, organ: Organ) -> None:
    """Hired, and nothing more."""


STATES: dict[str, State] = {
    "employed": State(_nothing, EMPLOYED),
    "employed_by_labour_dispatch": State(_nothing, EMPLOYED | {"return_to_agency"}, True),
    "on_leave": State(_on_leave, EMPLOYED - {"start_leave"} | {"end_leave"}),
    "back_from_leave": State(_back_from_leave, EMPLOYED),
    "on_probation": State(_on_probation, EMPLOYED - {"start_probation"} | {"complete_probation"}),
    "probation_decided": State(_probation_passed, EMPLOYED - {"start_probation"}),
    "warning_in_force": State(_impose(), EMPLOYED | {"appeal_sanction", "revoke_sanction"}),
    "suspended": State(
        _impose("suspension"), EMPLOYED | {"appeal_sanction", "revoke_sanction", "reinstate"}
    ),
    "appeal_pending": State(_appealed, EMPLOYED | {"decide_appeal", "revoke_sanction"}),
    "appeal_upheld": State(_appeal_upheld, EMPLOYED | {"revoke_sanction"}),
    "sanction_revoked": State(_revoked, EMPLOYED),
    "credentials_held_revoked_returned": State(
        _credentials, EMPLOYED | {"revoke_credential", "return_credential"}
    ),
    "injured_on_duty": State(_injured, EMPLOYED | {"advance_cost"}),
    "referred_for_prosecution": State(_referred, EMPLOYED | {"record_referral_outcome"}),
    "referral_judged": State(_referral_judged, EMPLOYED),
    "separated": State(_resigned, frozenset({"correct"})),
    "separated_with_matters_open": State(
        _resigned_with_matters_open,
        frozenset(
            {
                "revoke_credential",
                "return_credential",
                "decide_appeal",
                "record_referral_outcome",
                "correct",
            }
        ),
    ),
}


def _actor(command: str) -> Any:
    if command == "decide_appeal":
        return INSPECTOR
    return DISCIPLINE if command in DISCIPLINE_COMMANDS else PERSONNEL


def _sanction_ids(auxiliary: Auxiliary, wanted: Callable[[Any], bool]) -> list[str]:
    chosen = [s.sanction_id for s in auxiliary.sanctions.values() if wanted(s)]
    return chosen or [*auxiliary.sanctions, "S-UNKNOWN"]


def _tries(auxiliary: Auxiliary, command: str) -> list[Any]:
    """Valid commands of this name for the record as it stands, only the state left to refuse
    them: one for each thing on the record it may act on, or, with none, one for each thing
    of that kind the record holds and one for something it does not."""
    credentials = auxiliary.credentials
    in_force = SanctionStatus.in_force
    if command == "revoke_credential":
        held = [c for c in credentials if c.status is CredentialStatus.active] or [*credentials]
        return [
            commands.RevokeCredential(kind=c.kind, serial=c.serial, reason="收回")
            for c in held or [_unknown_credential()]
        ]
    if command == "return_credential":
        out = [c for c in credentials if c.status is not CredentialStatus.returned]
        return [
            commands.ReturnCredential(kind=c.kind, serial=c.serial)
            for c in (out or [*credentials, _unknown_credential()])
        ]
    if command == "advance_cost":
        ids = [*auxiliary.injuries] or ["INJ-UNKNOWN"]
        return [
            commands.AdvanceCost(injury_id=i, category="medical", amount=Decimal("100.00"))
            for i in ids
        ]
    if command == "appeal_sanction":
        ids = _sanction_ids(
            auxiliary, lambda s: s.status is in_force and s.appeal is AppealStatus.not_appealed
        )
        return [commands.AppealSanction(sanction_id=i, grounds="不服") for i in ids]
    if command == "decide_appeal":
        ids = _sanction_ids(
            auxiliary, lambda s: s.status is in_force and s.appeal is AppealStatus.pending
        )
        return [commands.DecideAppeal(sanction_id=i, upheld=True) for i in ids]
    if command == "revoke_sanction":
        ids = _sanction_ids(auxiliary, lambda s: s.status is in_force)
        return [commands.RevokeSanction(sanction_id=i, reason="撤销") for i in ids]
    if command == "record_referral_outcome":
        referrals = auxiliary.referrals
        return [
            commands.RecordReferralOutcome(
                reference=r.reference,
                outcome="judgement" if r.outcome is ReferralOutcome.accepted else "accepted",
                outcome_reference="结果-1",
                decided_on=DAY,
            )
            for r in referrals or [_unknown_referral()]
        ]
    if command == "end_leave":
        ids = [leave.leave_id for leave in auxiliary.leaves] or ["L-UNKNOWN"]
        return [lifecycle_commands.EndLeave(leave_id=i) for i in ids]
    return [_valid(auxiliary, command)]


@dataclass(frozen=True)
class _Named:
    kind: CredentialKind
    serial: str
    reference: str = ""
    outcome: ReferralOutcome | None = None


def _unknown_credential() -> Any:
    return _Named(CredentialKind.work_id, "UNKNOWN-1")


def _unknown_referral() -> Any:
    return _Named(CredentialKind.work_id, "", reference="移-UNKNOWN")


@dataclass(frozen=True)
class _Correcting:
    """A correction of the name, pointing at the event that recorded it."""

    target_version: int

    def run(self, auxiliary: Auxiliary, recorded: Any, organ: Organ) -> None:
        correct = commands.Correct(field="name", value="测试辅警乙", reason="更正")
        auxiliary.correct(recorded, correct, target_version=self.target_version, target_hash=HASH)


@dataclass(frozen=True)
class _Imposing:
    """A statement heard, then the sanction imposed: a decision needs the statement first."""

    def run(self, auxiliary: Auxiliary, recorded: Any, organ: Organ) -> None:
        hearing = commands.HearStatement(
            sanction_id="S-NEW", heard_on=DAY, heard_by="测试纪检乙", statement="陈述"
        )
        if auxiliary.state_refusal("impose_sanction") is None:  # refused, the decision says so
            hearing.run(auxiliary, recorded, organ)
        sanction(sanction_id="S-NEW").run(auxiliary, recorded, organ)


def _valid(auxiliary: Auxiliary, command: str) -> Any:
    """A valid command that names nothing on the record."""
    held = {c.kind for c in auxiliary.credentials if c.status is CredentialStatus.active}
    free_kind = next((k for k in CredentialKind if k not in held), CredentialKind.work_id)
    other_post = next(p for p in PostType if p is not auxiliary.post_type)
    built: dict[str, Any] = {
        "renew_contract": commands.RenewContract(contract_end=date(2027, 12, 31)),
        "change_post": commands.ChangePost(post_type=other_post),
        "transfer": commands.Transfer(
            unit=UNIT_B if auxiliary.unit == UNIT_A else UNIT_A,
            supervisor_id="PO-3003",
            supervisor_name="测试警官丙",
        ),
        "assign_supervisor": commands.AssignSupervisor(
            supervisor_id="PO-3003", supervisor_name="测试警官丙"
        ),
        "release_supervisor": commands.ReleaseSupervisor(reason="调离"),
        "evaluate": commands.Evaluate(year=2024, grade="competent"),
        "change_level": commands.ChangeLevel(level=auxiliary.level + 1, reason="promotion"),
        "issue_credential": commands.IssueCredential(kind=free_kind, serial="NEW-1"),
        "enrol_insurance": commands.EnrolInsurance(
            kind="pension", insurer="测试社保中心", policy_number="P-1", start=DAY, end=None
        ),
        "record_health_check": commands.RecordHealthCheck(checked_on=DAY, fit=True, details="正常"),
        "record_duty_injury": commands.RecordDutyInjury(
            injury_id="INJ-NEW", occurred_on=DAY, medical_details="扭伤"
        ),
        "record_infringement": commands.RecordInfringement(
            occurred_on=DAY, description="被辱骂", referred_to=None
        ),
        "commend": commands.Commend(kind="citation", issuing_body="测试市公安局"),
        "hear_statement": commands.HearStatement(
            sanction_id="S-NEW", heard_on=DAY, heard_by="测试纪检乙", statement="陈述"
        ),
        "waive_statement": commands.WaiveStatement(
            sanction_id="S-NEW", waiver_reference="放弃书-2"
        ),
        "impose_sanction": _Imposing(),
        "reinstate": commands.Reinstate(reason="停职期满"),
        "refer_for_prosecution": commands.ReferForProsecution(reference="移-NEW", summary="涉嫌"),
        "return_to_agency": commands.ReturnToAgency(return_grounds="派遣协议到期"),
        "separate": commands.Separate(reason="resigned"),
        "start_probation": lifecycle_commands.StartProbation(until=date(2024, 6, 30)),
        "complete_probation": lifecycle_commands.CompleteProbation(passed=True),
        "record_training": lifecycle_commands.RecordTraining(
            course="岗前培训", kind="in_service", hours=8, start=DAY, end=DAY, passed=True
        ),
        "start_leave": lifecycle_commands.StartLeave(leave_id="L-NEW", kind="annual"),
        "correct": _Correcting(auxiliary.field_version("name")),
    }
    return built[command]


def _run(auxiliary: Auxiliary, organ: Organ, command: str, cmd: Any) -> None:
    cmd.run(auxiliary, rec(_actor(command), DAY), organ)


@pytest.mark.parametrize("name", list(STATES))
def test_what_is_offered_is_accepted_and_the_rest_refused_as_the_command_says(
    organ: Organ, name: str
) -> None:
    state = STATES[name]
    asked = state.auxiliary(organ)
    assert asked.open_commands() == tuple(c for c in RECORD_COMMANDS if c in state.open)
    for command in RECORD_COMMANDS:
        refusal = asked.state_refusal(command)
        for cmd in _tries(asked, command):
            auxiliary = state.auxiliary(organ)  # each command on its own copy of the state
            if command in state.open:
                assert refusal is None, (command, refusal)
                _run(auxiliary, organ, command, cmd)
                assert auxiliary.collect_events(), command
            elif refusal is not None:
                error = refused(auxiliary, type(refusal), _run, auxiliary, organ, command, cmd)
                assert str(error) == str(refusal) and error.zh == refusal.zh, command
            else:  # nothing on the record to act on: refused by its own check of the field
                assert command in NEED_A_SUBJECT, command
                version = auxiliary.version
                with pytest.raises(DomainError):
                    _run(auxiliary, organ, command, cmd)
                assert auxiliary.version == version and not auxiliary.pending_events


def test_the_cases_cover_every_command_offered_and_refused(organ: Organ) -> None:
    offered = set().union(*(state.open for state in STATES.values()))
    assert offered == set(RECORD_COMMANDS)
    refused_somewhere = set(RECORD_COMMANDS) - set.intersection(
        *(set(state.open) for state in STATES.values())
    )
    assert refused_somewhere == set(RECORD_COMMANDS) - {"correct"}


def test_a_command_outside_the_table_is_no_answer(organ: Organ) -> None:
    with pytest.raises(KeyError):
        hire(organ).state_refusal("hire")


def test_a_separated_record_is_refused_in_the_commands_own_words(organ: Organ) -> None:
    """The separation's refusal names the command, as it did when each command said it."""
    auxiliary = STATES["separated"].auxiliary(organ)
    refusal = auxiliary.state_refusal("change_post")
    assert isinstance(refusal, AuxiliarySeparatedError)
    assert "nobody may change a post" in str(refusal)
    assert refusal.zh is not None and "该辅警已离职" in refusal.zh
    reinstating = STATES["employed"].auxiliary(organ).state_refusal("reinstate")
    assert isinstance(reinstating, InvalidTransitionError)
    assert reinstating.from_status == "active" and "only a suspension ends" in str(reinstating)


@pytest.mark.parametrize("state", ["on_leave", "separated"])
def test_a_unit_outside_the_records_scope_is_told_that_not_the_records_state(
    organ: Organ, state: str
) -> None:
    """Who asks is checked before the state: another unit's officer asking for a leave learns
    it may not act on the record, not that a leave is open or that the auxiliary left."""
    auxiliary = STATES[state].auxiliary(organ)
    assert auxiliary.state_refusal("start_leave") is not None
    refused(
        auxiliary,
        OutsideScopeError,
        lifecycle_commands.StartLeave(leave_id="L-9", kind="annual").run,
        auxiliary,
        rec(UNIT_B_ACTOR, FEB_20),
        organ,
    )


def _every(auxiliary: Auxiliary, command: str) -> dict[str, Any]:
    """A valid command of this name for each thing of its kind the record holds, by the value
    its field names it by (a credential's serial, a referral's reference, the ids)."""
    if command == "revoke_credential":
        return {
            c.serial: commands.RevokeCredential(kind=c.kind, serial=c.serial, reason="收回")
            for c in auxiliary.credentials
        }
    if command == "return_credential":
        return {
            c.serial: commands.ReturnCredential(kind=c.kind, serial=c.serial)
            for c in auxiliary.credentials
        }
    if command == "advance_cost":
        return {
            i: commands.AdvanceCost(injury_id=i, category="medical", amount=Decimal("100.00"))
            for i in auxiliary.injuries
        }
    if command == "appeal_sanction":
        return {
            i: commands.AppealSanction(sanction_id=i, grounds="不服") for i in auxiliary.sanctions
        }
    if command == "decide_appeal":
        return {i: commands.DecideAppeal(sanction_id=i, upheld=True) for i in auxiliary.sanctions}
    if command == "revoke_sanction":
        return {
            i: commands.RevokeSanction(sanction_id=i, reason="撤销") for i in auxiliary.sanctions
        }
    if command == "record_referral_outcome":
        return {
            r.reference: commands.RecordReferralOutcome(
                reference=r.reference,
                outcome="judgement" if r.outcome is ReferralOutcome.accepted else "accepted",
                outcome_reference="结果-1",
                decided_on=DAY,
            )
            for r in auxiliary.referrals
        }
    assert command == "end_leave"
    return {
        leave.leave_id: lifecycle_commands.EndLeave(leave_id=leave.leave_id)
        for leave in auxiliary.leaves
    }


def _named_by(subject: Any) -> str:
    """The value a command's field names ``subject`` by."""
    for name in ("serial", "injury_id", "sanction_id", "reference", "leave_id"):
        if hasattr(subject, name):
            return str(getattr(subject, name))
    raise AssertionError(subject)


@pytest.mark.parametrize("name", list(STATES))
def test_the_subjects_offered_are_exactly_those_the_command_accepts(
    organ: Organ, name: str
) -> None:
    state = STATES[name]
    asked = state.auxiliary(organ)
    for command in RECORD_COMMANDS:
        subjects = [_named_by(s) for s in asked.subjects(command)]
        if command not in NEED_A_SUBJECT:
            assert subjects == [], command
            continue
        if asked.state_refusal(command) is not None:
            continue
        assert bool(subjects) == (command in asked.open_commands()), command
        for named, cmd in _every(asked, command).items():
            auxiliary = state.auxiliary(organ)  # each command on its own copy of the state
            if named in subjects:
                _run(auxiliary, organ, command, cmd)
                assert auxiliary.collect_events(), (command, named)
            else:
                with pytest.raises(DomainError):
                    _run(auxiliary, organ, command, cmd)
