"""JSON bodies the API and console suites send more than once, each valid as it stands.

A suite passes as overrides only what its tests look at (a name it finds again, a marker it
scans for, another unit): the rest is one valid request, so a change to what the request
needs is made here once. Every value is synthetic.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from tests import builders
from tests.api.conftest import UNIT

DISPATCH_AGENCY = "南通众合人力资源服务有限公司"


NEW_PERSON = builders.other_resident_id(9)
"""The resident ID number ``hire_body`` hires: no one the World employs."""


def hire_body(**overrides: Any) -> dict[str, Any]:
    """``POST /v1/auxiliaries``: the valid hire of ``builders.hire_command`` (a direct-contract
    patrol auxiliary at level 1) into UNIT from 2026-01-01, as JSON, effective 2026-01-02, of
    ``NEW_PERSON`` (no one the World employs: one person holds one post at a time);
    ``overrides`` replace or add fields."""
    command = builders.hire_command(
        unit=UNIT, contract_start=date(2026, 1, 1), resident_id=NEW_PERSON
    )
    given = {name: value for name, value in asdict(command).items() if value is not None}
    return {**json.loads(json.dumps(given, default=str)), "effective": "2026-01-02", **overrides}


def dispatched_hire_body(**overrides: Any) -> dict[str, Any]:
    """``hire_body`` of a traffic auxiliary sent by a labour-dispatch agency (Art. 8)."""
    return hire_body(
        employment_form="labour_dispatch",
        dispatch_agency=DISPATCH_AGENCY,
        post_type="traffic",
        supervisor_id="602011",
        supervisor_name="陈刚",
        contract_end="2027-12-31",
        **overrides,
    )


def decision(**overrides: Any) -> dict[str, Any]:
    """What a sanction decision states (Art. 18): facts, reasons, article, document number
    and evidence; ``overrides`` replace or add fields (``sanction_id``, ``kind``...)."""
    return {
        "facts": "执勤时态度恶劣，经查属实",
        "reasons": "违反日常管理制度",
        "article": "Art. 18",
        "document_number": "通公纪〔2026〕1号",
        "evidence": ["调查笔录"],
        **overrides,
    }


PRE_SERVICE_TRAINING: dict[str, Any] = {
    "course": "新录用辅警岗前培训",
    "kind": "pre_service",
    "hours": 120,
    "start": "2025-01-05",
    "end": "2025-01-20",
    "passed": True,
}
"""``record-training``: 120 hours of pre-service training in January 2025, passed (Art. 9)."""
