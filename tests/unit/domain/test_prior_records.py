"""Which separations are for cause (``separated_for_cause``), the prior record a hire in any
organ is warned about (Art. 18)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from domain.auxiliary import Auxiliary, Sanction
from domain.commands import auxiliary as commands
from domain.holds import separated_for_cause
from domain.values import AppealStatus, SanctionKind, SanctionStatus

from .decision_support import heard, sanction
from .support import DISCIPLINE, PERSONNEL, rec

FEB_1 = date(2024, 2, 1)
APR_1 = date(2024, 4, 1)
MAY_1 = date(2024, 5, 1)


def _terminated(auxiliary: Auxiliary, *, appealed: bool = False) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction(kind="termination"))
    if appealed:
        auxiliary.appeal_sanction(
            rec(DISCIPLINE), commands.AppealSanction(sanction_id="S-1", grounds="事实不清")
        )
    auxiliary.collect_events()


def test_a_dismissal_is_for_cause(auxiliary: Auxiliary) -> None:
    _terminated(auxiliary)
    auxiliary.separate(rec(PERSONNEL), commands.Separate(reason="dismissed"))
    assert separated_for_cause(auxiliary)


def test_a_dismissal_recorded_while_its_appeal_was_pending_is_not_for_cause(
    auxiliary: Auxiliary,
) -> None:
    # A ledger recorded before such a dismissal was refused replays it unchanged.
    _terminated(auxiliary, appealed=True)
    auxiliary.trigger_event(Auxiliary.Separated, **rec(PERSONNEL).fields(), reason="dismissed")
    assert auxiliary.separation_reason is not None
    assert not separated_for_cause(auxiliary)


def _sanctioned(auxiliary: Auxiliary, kind: str, until: date | None = None) -> None:
    heard(auxiliary)
    auxiliary.impose_sanction(rec(DISCIPLINE, FEB_1), sanction(kind=kind, until=until))
    auxiliary.collect_events()


def _resigned(auxiliary: Auxiliary, day: date = MAY_1) -> Auxiliary:
    auxiliary.separate(rec(PERSONNEL, day), commands.Separate(reason="resigned"))
    return auxiliary


def test_a_separation_during_a_demotions_term_is_for_cause(auxiliary: Auxiliary) -> None:
    _sanctioned(auxiliary, "demotion", until=date(2024, 12, 1))
    assert separated_for_cause(_resigned(auxiliary))


def test_a_separation_after_a_demotions_term_ended_is_not_for_cause(
    auxiliary: Auxiliary,
) -> None:
    _sanctioned(auxiliary, "demotion", until=APR_1)
    assert not separated_for_cause(_resigned(auxiliary))


def test_a_term_ending_on_the_separation_date_no_longer_stands(auxiliary: Auxiliary) -> None:
    _sanctioned(auxiliary, "demotion", until=MAY_1)
    assert not separated_for_cause(_resigned(auxiliary))


def test_a_separation_while_suspended_is_for_cause(auxiliary: Auxiliary) -> None:
    _sanctioned(auxiliary, "suspension")
    assert separated_for_cause(_resigned(auxiliary))


def test_a_separation_after_the_reinstatement_is_not_for_cause(auxiliary: Auxiliary) -> None:
    _sanctioned(auxiliary, "suspension")
    auxiliary.reinstate(rec(DISCIPLINE, APR_1), commands.Reinstate(reason="停职期满"))
    assert auxiliary.sanctions["S-1"].ended_on == APR_1
    assert not separated_for_cause(_resigned(auxiliary))


def test_a_sanction_stands_from_its_effective_date_to_its_end() -> None:
    demotion = Sanction(
        sanction_id="S-1",
        kind=SanctionKind.demotion,
        effective=FEB_1,
        until=APR_1,
        linked_findings=(),
        status=SanctionStatus.in_force,
        appeal=AppealStatus.not_appealed,
    )
    assert [demotion.stands_on(d) for d in (date(2024, 1, 31), FEB_1, date(2024, 3, 31))] == [
        False,
        True,
        True,
    ]
    assert not demotion.stands_on(APR_1)
    assert not replace(demotion, status=SanctionStatus.revoked).stands_on(FEB_1)
    assert not replace(demotion, until=None, ended_on=FEB_1).stands_on(FEB_1)
