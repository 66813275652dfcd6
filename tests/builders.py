"""Builders for the commands and set-ups the suites repeat: one valid hire, one complaint, one
organ with its units and quota, each recorded through ``AuxLedger`` (no back door).

Every value is synthetic. A suite passes as overrides only what its tests look at (a name it
finds again, an ID it scans the database for, its own organ's unit): the rest is one valid
patrol auxiliary, so a change to what a valid hire needs is made here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from domain.commands.auxiliary import Hire, ImposeSanction, WaiveStatement
from domain.commands.complaint import ReceiveComplaint
from domain.commands.organ import RegisterOrgan, RegisterUnit, SetQuota
from domain.values import Actor
from ledger.records import AuxLedger, Envelope, Recorded

RESIDENT_ID = "11010519491231002X"
"""A well-formed resident ID number of no real person (the check character holds)."""
PHONE = "19912345678"


def hire_command(**overrides: Any) -> Hire:
    """A valid hire of a direct-contract patrol auxiliary at level 1; ``overrides`` replace or
    add fields (``unit``, ``name``, ``auxiliary_id``, the contract dates...)."""
    fields: dict[str, Any] = {
        "unit": "320600-U1",
        "supervisor_id": "602010",
        "supervisor_name": "王建国",
        "employment_form": "direct_contract",
        "dispatch_agency": None,
        "contract_start": date(2025, 1, 1),
        "contract_end": date(2028, 12, 31),
        "post_type": "patrol",
        "level": 1,
        "name": "李明",
        "gender": "male",
        "resident_id": RESIDENT_ID,
        "phone": PHONE,
        "address": "南通市崇川区人民路1号",
        **overrides,
    }
    return Hire(**fields)


def hire(
    ledger: AuxLedger, organ: str, actor: Actor, effective: date | None = None, **overrides: Any
) -> Recorded:
    """Hire ``hire_command(**overrides)`` into ``organ`` as ``actor``: the stored hire."""
    return ledger.hire(organ, hire_command(**overrides), Envelope(actor, effective=effective))


DECISION: dict[str, Any] = {
    "facts": "执勤时未按规定着装，经查属实",
    "reasons": "违反辅警日常管理制度",
    "article": "Art. 18",
    "document_number": "测公纪〔2025〕1号",
    "evidence": ["询问笔录-1"],
}
"""What a sanction decision states (Art. 18), for suites whose subject is not the decision."""


def impose_sanction(
    ledger: AuxLedger,
    auxiliary_id: Any,
    envelope: Envelope,
    *,
    sanction_id: str,
    kind: str,
    until: date | None = None,
    linked_findings: Iterable[str] = (),
) -> Recorded:
    """The statement waived in writing, then the sanction imposed with its reasons, both by
    the discipline office of ``envelope`` (Art. 18)."""
    waiver = WaiveStatement(sanction_id=sanction_id, waiver_reference="放弃陈述申辩书-1")
    ledger.command_auxiliary(auxiliary_id, waiver, envelope)
    imposed = ImposeSanction(
        sanction_id=sanction_id,
        kind=kind,
        until=until,
        linked_findings=list(linked_findings),
        **DECISION,
    )
    return ledger.command_auxiliary(auxiliary_id, imposed, envelope)


def complaint_command(**overrides: Any) -> ReceiveComplaint:
    """A complaint received online with one allegation; ``auxiliary_id`` is required."""
    fields: dict[str, Any] = {
        "channel": "online",
        "incident_at": datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        "incident_place": "人民路",
        "allegations": ["态度恶劣"],
        "complainant_name": "赵投诉",
        "complainant_phone": "19911112222",
        "contact_text": "晚上联系",
        **overrides,
    }
    return ReceiveComplaint(**fields)


def set_up_organ(
    ledger: AuxLedger,
    organ: RegisterOrgan,
    units: Iterable[tuple[str, str]],
    quota: int,
    *,
    admin: Actor,
    establishment: Actor,
    effective: date | None = None,
) -> None:
    """Register ``organ`` and its ``units`` (code, name) as ``admin``, then set its quota as
    ``establishment``; every command effective on ``effective`` (today when None)."""
    ledger.register_organ(organ, Envelope(admin, effective=effective))
    for code, name in units:
        ledger.command_organ(
            organ.code, RegisterUnit(code=code, name=name), Envelope(admin, effective=effective)
        )
    ledger.command_organ(
        organ.code, SetQuota(quota=quota), Envelope(establishment, effective=effective)
    )
