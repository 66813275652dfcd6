"""Bodies and answers of the rules endpoints (``/v1/rules``): rule sets as data (Art. 20)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import RequestBody

RULE_SET_EXAMPLE: dict[str, Any] = {
    "format": 1,
    "id": "nantong-2023",
    "title": "南通市公安机关警务辅助人员管理实施办法",
    "document": "通政规〔2023〕1号",
    "effective_from": "2023-03-01",
    "effective_until": "2027-12-31",
    "notes": "2024年节假日依国务院办公厅通知。",
    "levels": {"lowest": 1, "highest": 10},
    "complaints": {
        "acknowledge_working_days": 1,
        "conclude_days": 30,
        "notify_days_after_finding": 5,
    },
    "early_warning": {
        "rule_version": "ew-2026.1",
        "window_months": 12,
        "max_complaints": 3,
        "max_sustained": 2,
    },
    "health": {"max_age_months": 12},
    "calendar": {"holidays": ["2024-10-01", "2024-10-02"], "extra_working_days": ["2024-09-29"]},
}


class RuleSetsLoad(RequestBody):
    """Rule sets to load, in the rule-file format (docs/operations.md, *Rules*), dates as
    ``YYYY-MM-DD``: all of them are stored in one transaction, or none."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"rule_sets": [RULE_SET_EXAMPLE]}]})
    rule_sets: list[dict[str, Any]] = Field(min_length=1, max_length=20)


class RuleSetPublic(BaseModel):
    """One rule set as the ledger judges by it, on today's date."""

    rule_id: str
    title: str
    document: str
    effective_from: date
    effective_until: date
    state: str = Field(description="in_force | ended | not_started, today")
    days_left: int = Field(description="days from today to its last day (negative once ended)")
    expiring: bool = Field(description="ends within 90 days with nothing after it, or ended")
    parts: dict[str, Any] = Field(description="levels, complaints, early_warning, health, calendar")


class RulesPublic(BaseModel):
    """The rule sets in force (the loaded ones, else the built-in defaults)."""

    loaded: bool = Field(description="false: no rule set was loaded; the built-in defaults apply")
    warning: str | None = Field(description="the expiry warning, if one is due")
    rule_sets: list[RuleSetPublic]
