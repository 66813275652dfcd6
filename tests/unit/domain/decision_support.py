"""What a sanction decision states, and the statement before it (Art. 18), for domain tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import HearStatement, ImposeSanction, WaiveStatement

from .support import DISCIPLINE, rec

DECISION: dict[str, Any] = {
    "facts": "执勤时未按规定着装，经查属实",
    "reasons": "违反辅警日常管理制度",
    "article": "Art. 18",
    "document_number": "测公纪〔2024〕1号",
    "evidence": ["询问笔录-1", "执法记录仪视频-1"],
}
"""The reasons every ``ImposeSanction`` states (Art. 18)."""


def sanction(**overrides: Any) -> ImposeSanction:
    """A warning S-1 with no term and no linked findings, stating ``DECISION``; overrides."""
    fields: dict[str, Any] = {
        "sanction_id": "S-1",
        "kind": "warning",
        "until": None,
        "linked_findings": [],
        **DECISION,
        **overrides,
    }
    return ImposeSanction(**fields)


def heard(auxiliary: Auxiliary, sanction_id: str = "S-1", day: date = date(2024, 1, 20)) -> None:
    """The auxiliary's statement in the case of ``sanction_id`` was heard on ``day``."""
    auxiliary.hear_statement(
        rec(DISCIPLINE, day),
        HearStatement(
            sanction_id=sanction_id, heard_on=day, heard_by="测试纪检甲", statement="测试陈述"
        ),
    )
    auxiliary.collect_events()


def waived(auxiliary: Auxiliary, sanction_id: str = "S-1", day: date = date(2024, 1, 20)) -> None:
    """The auxiliary waived the statement in writing in the case of ``sanction_id``."""
    auxiliary.waive_statement(
        rec(DISCIPLINE, day), WaiveStatement(sanction_id=sanction_id, waiver_reference="放弃书-1")
    )
    auxiliary.collect_events()
