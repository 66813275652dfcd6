"""Builders for the commands and set-ups the suites repeat: one valid hire, one complaint, one
organ with its units and quota, each recorded through ``AuxLedger`` (no back door).

Every value is synthetic. A suite passes as overrides only what its tests look at (a name it
finds again, an ID it scans the database for, its own organ's unit): the rest is one valid
patrol auxiliary, so a change to what a valid hire needs is made once, in ``api.demo.builders``
(shared with the demo and the benchmarks; re-exported here). What only the suites need -- a
recorded hire, a sanction with its decision -- is defined here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from api.demo.builders import (
    PHONE,
    RESIDENT_ID,
    complaint_command,
    hire_command,
    other_resident_id,
    set_up_organ,
)
from domain.commands.auxiliary import ImposeSanction, WaiveStatement
from domain.values import Actor
from ledger.records import AuxLedger, Envelope, Recorded

__all__ = [
    "DECISION",
    "PHONE",
    "RESIDENT_ID",
    "complaint_command",
    "hire",
    "hire_command",
    "impose_sanction",
    "other_resident_id",
    "set_up_organ",
]


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
