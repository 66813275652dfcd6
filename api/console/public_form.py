"""The public complaint form: its fields, reading them into the API's body, Chinese messages.

The form asks in plain words for what ``POST /v1/complaints`` takes (``ComplaintCreate``):
the date and the time of the incident (read as China Standard Time), the auxiliary by work
ID or by name and unit, up to ``FORM_ALLEGATIONS`` allegations, and how to be contacted.
Checking is the API's own: the fields are handed to ``ComplaintCreate`` and its refusals are
told in Chinese, one per field, without ever repeating what was typed in a message.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

from pydantic import ValidationError

from api.schemas.complaints import ComplaintCreate
from domain.values import CHINA_STANDARD_TIME

FORM_ALLEGATIONS = 3
"""Allegation boxes on the form (the API takes up to ``domain.complaint.MAX_ALLEGATIONS``).

The boxes' ``maxlength`` (templates/public/complaint.html: 1,500 characters an allegation,
500 for other contact details, 200 for a line) keep the fullest form under the server's
64 KiB body limit (``AUXLEDGER_API_MAX_BODY_BYTES``), sent percent-encoded: a Chinese
character takes 9 bytes there. A larger body would be refused before any page could say so.
"""

CSRF_COOKIE = "auxledger_public"

FIELD_LABELS = {
    "incident_date": "事发日期",
    "incident_time": "事发时间",
    "incident_at": "事发日期和时间",
    "incident_place": "事发地点",
    "work_id": "工作证号",
    "auxiliary_name": "辅警姓名",
    "unit": "所在单位",
    "allegations": "投诉事项",
    "complainant_name": "您的姓名",
    "complainant_phone": "联系电话",
    "complainant_address": "联系地址",
    "contact_text": "其他联系方式或方便联系的时间",
}
TEXT_FIELDS = (
    "incident_date",
    "incident_time",
    "incident_place",
    "work_id",
    "auxiliary_name",
    "unit",
    "complainant_name",
    "complainant_phone",
    "complainant_address",
    "contact_text",
)


def form_csrf(server_secret: bytes, nonce: str) -> str:
    """The public forms' CSRF token for the nonce in the visitor's cookie."""
    return hmac.new(server_secret, b"public-form\n" + nonce.encode(), "sha256").hexdigest()


@dataclass
class ComplaintForm:
    """What was typed, and what is wrong with it (field name -> Chinese message)."""

    values: dict[str, str] = field(default_factory=dict)
    allegations: list[str] = field(default_factory=lambda: [""] * FORM_ALLEGATIONS)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, fields: Mapping[str, list[str]]) -> ComplaintForm:
        """The form as sent (each text stripped; extra allegation boxes ignored)."""
        values = {name: _first(fields, name) for name in TEXT_FIELDS}
        allegations = [a.strip() for a in fields.get("allegation", [])][:FORM_ALLEGATIONS]
        allegations += [""] * (FORM_ALLEGATIONS - len(allegations))
        return cls(values=values, allegations=allegations)

    def body(self, today: date) -> ComplaintCreate | None:
        """The API's body, or None with ``errors`` filled in."""
        incident_at = self._incident_at(today)
        by_work_id = bool(self.values["work_id"])
        by_name = bool(self.values["auxiliary_name"] or self.values["unit"])
        if by_work_id and by_name:
            self.errors["work_id"] = "请只选一种方式：填工作证号，或者填姓名和单位，不要同时填写"
        elif not by_work_id and not by_name:
            self.errors["work_id"] = "请填写辅警的工作证号；不知道证号的，请填写姓名和所在单位"
        elif by_name:
            for name in ("auxiliary_name", "unit"):
                if not self.values[name]:
                    self.errors[name] = f"按姓名查找时，请同时填写{FIELD_LABELS[name]}"
        allegations = [a for a in self.allegations if a]
        if not allegations:
            self.errors["allegations"] = "请至少写一项投诉事项"
        if not self.values["incident_place"]:
            self.errors["incident_place"] = "请填写事发地点"
        if self.errors or incident_at is None:
            return None
        data: dict[str, object] = {
            "incident_at": incident_at,
            "incident_place": self.values["incident_place"],
            "allegations": allegations,
        }
        for name in (
            "work_id",
            "auxiliary_name",
            "unit",
            "complainant_name",
            "complainant_phone",
            "complainant_address",
            "contact_text",
        ):
            if self.values[name]:
                data[name] = self.values[name]
        try:
            return ComplaintCreate.model_validate(data)
        except ValidationError as invalid:
            for error in invalid.errors():
                name = str(error["loc"][0]) if error["loc"] else "work_id"
                self.errors.setdefault(name, _message(name, error["type"]))
            return None

    def _incident_at(self, today: date) -> datetime | None:
        raw_date, raw_time = self.values["incident_date"], self.values["incident_time"]
        if not raw_date:
            self.errors["incident_date"] = "请选择事发日期"
        if not raw_time:
            self.errors["incident_time"] = "请选择事发的大致时间"
        if not raw_date or not raw_time:
            return None
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            self.errors["incident_date"] = "事发日期的格式不对，请用日期选择器选择"
            return None
        try:
            moment = time.fromisoformat(raw_time)
        except ValueError:
            self.errors["incident_time"] = "事发时间的格式不对，请用时间选择器选择，例如 09:30"
            return None
        if day > today:
            self.errors["incident_date"] = "事发日期不能晚于今天"
            return None
        return datetime.combine(day, moment.replace(tzinfo=None), tzinfo=CHINA_STANDARD_TIME)


def _first(fields: Mapping[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0].strip()


def _message(name: str, kind: str) -> str:
    label = FIELD_LABELS.get(name, "填写的内容")
    if kind == "missing":
        return f"请填写{label}"
    if kind in ("string_too_long", "too_long"):
        return f"{label}太长了，请精简后再提交"
    if kind in ("string_too_short", "too_short"):
        return f"请填写{label}"
    if kind == "string_pattern_mismatch":
        if name == "complainant_phone":
            return "联系电话只能包含数字（可带区号和短横线），例如 13800001111 或 0513-85000000"
        return f"{label}的格式不对，请检查是否有多余的符号"
    return f"{label}填写有误，请检查"
