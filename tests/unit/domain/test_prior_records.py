"""Which separations are for cause (``separated_for_cause``), the prior record a hire in any
organ is warned about (Art. 18)."""

from __future__ import annotations

from datetime import date

from domain.auxiliary import Auxiliary
from domain.commands import auxiliary as commands
from domain.holds import separated_for_cause

from .decision_support import heard, sanction
from .support import DISCIPLINE, PERSONNEL, rec

FEB_1 = date(2024, 2, 1)


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
