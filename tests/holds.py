"""Ending what blocks a data subject's erasure (open complaints, sanctions, appeals, holds),
for tests whose subject of the erasure is not what they test (``docs/privacy.md``)."""

from __future__ import annotations

from uuid import UUID

from domain.commands.auxiliary import DecideAppeal, RevokeSanction
from domain.commands.complaint import Close, NotifyComplainant, Withdraw
from domain.commands.holds import ReleaseLegalHold
from domain.values import Actor, ComplaintStatus, china_date
from ledger.records import AuxLedger, Envelope


def end_erasure_blockers(ledger: AuxLedger, subject: UUID) -> None:
    """Withdraw or close the open complaints, decide appeals, revoke running sanctions and
    release holds that would refuse the subject's erasure (each through its command)."""
    for kind, ref in ledger.holds_blocking_erasure(subject):
        if kind == "complaint":
            complaint = ledger.complaint(UUID(ref))
            office = Envelope(Actor("cmp-test", "complaints", complaint.organ, None))
            if complaint.status in (ComplaintStatus.concluded, ComplaintStatus.not_accepted):
                # A result is told before the complaint closes; it is not withdrawn (Art. 17).
                told = NotifyComplainant(
                    method="phone", notified_on=china_date(ledger.clock()), summary="已告知处理结果"
                )
                ledger.command_complaint(complaint.id, told, office)
                ledger.command_complaint(complaint.id, Close(), office)
            elif complaint.status in (ComplaintStatus.complainant_notified,):
                ledger.command_complaint(complaint.id, Close(), office)
            else:
                ledger.command_complaint(complaint.id, Withdraw(reason="撤回"), office)
            continue
        organ = ledger.auxiliary(subject).organ
        discipline = Envelope(Actor("dsc-test", "discipline", organ, None))
        if kind == "appeal":  # decided by the inspectorate, not who imposed it (Art. 18)
            inspector = Envelope(Actor("ins-test", "inspector", organ, None))
            ledger.command_auxiliary(
                subject, DecideAppeal(sanction_id=ref, upheld=False), inspector
            )
        elif kind == "sanction":
            ledger.command_auxiliary(
                subject, RevokeSanction(sanction_id=ref, reason="撤销"), discipline
            )
        else:
            ledger.command_legal_hold(
                subject, ReleaseLegalHold(hold_id=ref, reason="解除"), discipline
            )
    assert ledger.holds_blocking_erasure(subject) == []
