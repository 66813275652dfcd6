"""The public complaint form: its fields, reading them into the API's body, Chinese messages.

The form asks in plain words for what ``POST /v1/complaints`` takes (``ComplaintCreate``):
the date and the time of the incident (read as China Standard Time), the auxiliary by work
ID or by name and unit, up to ``FORM_ALLEGATIONS`` allegations, and how to be contacted.
Checking is the API's own: the fields are handed to ``ComplaintCreate``, and to the domain's
checks of the intake's own fields, and their refusals are told in Chinese, one per field,
without ever repeating what was typed in a message. Every field's refusal is told at once: a
date in the future does not hide a wrong telephone number. Whether the auxiliary named is
found is the intake's to say, once every other field is right (the page is no oracle of
names).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from api.console.complaint_fields import ComplaintFields
from api.schemas.complaints import ComplaintCreate
from domain.errors import DomainError
from domain.values import CHINA_STANDARD_TIME

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


def form_csrf(server_secret: bytes, nonce: str) -> str:
    """The public forms' CSRF token for the nonce in the visitor's cookie."""
    return hmac.new(server_secret, b"public-form\n" + nonce.encode(), "sha256").hexdigest()


@dataclass
class ComplaintForm(ComplaintFields):
    """What was typed, and what is wrong with it (field name -> Chinese message)."""

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
    TIME_FORMAT = "事发时间的格式不对，请用时间选择器选择，例如 09:30"

    def body(self, today: date, refuse: Callable[[DomainError], object]) -> ComplaintCreate | None:
        """The API's body, or None with ``errors`` filled in: the form's own checks, the body
        model's and the domain's (each refusal of these told by ``refuse``), every field's
        refusal at once, each field's first."""
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
        allegations = self._allegations_given()
        self._place_given()
        # A date refused already is checked no further: the other fields are, around it.
        moment = incident_at or datetime.combine(today, time(), tzinfo=CHINA_STANDARD_TIME)
        body = self._validated(ComplaintCreate, moment, allegations, _message)
        self._intake_checked(incident_at, allegations, refuse)
        return None if self.errors else body


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
