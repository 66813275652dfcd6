"""What the public complaint form and the office's intake form share: reading the fields sent,
the incident's date and time read as China Standard Time, the allegation boxes, and handing
the fields to the API's body model with its refusals told in Chinese, one per field. An
incident date outside the API's range (``EARLIEST_DAY`` to today) is told as a range.
The domain's checks of the intake's own fields (``check_intake``) can be run on every field
at once (``_intake_checked``): the intake itself stops at the first it refuses.

Each form keeps its own fields, labels, order of checks and messages (``public_form``,
``staff_intake``); this is only the handling that is the same in both. No message repeats
what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ValidationError

from api.console.web import ENVIRONMENT
from api.schemas.common import EARLIEST_DAY
from domain.complaint import check_intake
from domain.errors import DomainError
from domain.values import CHINA_STANDARD_TIME, china_date

FORM_ALLEGATIONS = 3
"""Allegation boxes on a form (the API takes up to ``domain.complaint.MAX_ALLEGATIONS``).

The boxes' ``maxlength`` (templates/_complaint_fields.html: 1,500 characters an allegation,
500 for other contact details, 200 for a line) keep the fullest form under the server's
64 KiB body limit (``AUXLEDGER_API_MAX_BODY_BYTES``), sent percent-encoded: a Chinese
character takes 9 bytes there. A larger body would be refused before any page could say so.
"""

Body = TypeVar("Body", bound=BaseModel)

ENVIRONMENT.globals["earliest_day"] = EARLIEST_DAY.isoformat()
"""The date pickers' lower bound (``_complaint_fields.html``), the API's earliest date."""


_ALLEGATION = re.compile(r"^allegations\[([0-9]+)\]$")
_NUMERALS = "一二三四五六七八九十"
_CONTACT = (
    "complainant_name",
    "complainant_phone",
    "complainant_resident_id",
    "complainant_address",
    "contact_text",
)
"""The complainant's fields ``check_intake`` checks, each optional."""
_INCIDENT = ("incident_date", "incident_time", "incident_at")
_STAND_IN = "—"
"""A text that passes the domain's checks, in place of one refused already."""


def format_character_message(label: str) -> str:
    """What a field holding an invisible or direction-changing character is told."""
    return (
        f"{label}中有看不见的字符或改变文字方向的控制字符（可能随复制的文字带入），请删除后重新输入"
    )


def first(fields: Mapping[str, list[str]], name: str) -> str:
    """The first value of a form field, stripped ('' if absent)."""
    values = fields.get(name) or [""]
    return values[0].strip()


@dataclass
class ComplaintFields:
    """What was typed, and what is wrong with it (field name -> Chinese message)."""

    TEXT_FIELDS: ClassVar[tuple[str, ...]] = ()
    """The form's one-line and text-area fields, read by name."""
    TIME_FORMAT: ClassVar[str] = "事发时间的格式不对，例如 09:30"
    """The message for a time the browser's picker would not have sent."""

    values: dict[str, str] = field(default_factory=dict)
    allegations: list[str] = field(default_factory=lambda: [""] * FORM_ALLEGATIONS)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, fields: Mapping[str, list[str]]) -> Self:
        """The form as sent (each text stripped; extra allegation boxes ignored)."""
        values = {name: first(fields, name) for name in cls.TEXT_FIELDS}
        allegations = [a.strip() for a in fields.get("allegation", [])][:FORM_ALLEGATIONS]
        allegations += [""] * (FORM_ALLEGATIONS - len(allegations))
        return cls(values=values, allegations=allegations)

    def refused_field(self, field: str | None, labels: Mapping[str, str]) -> tuple[str | None, str]:
        """The form field (and its Chinese label, from ``labels``) of a field the domain
        names: ``incident_at`` is the date and time, ``allegations[n]`` the n-th allegation
        given, which is the box it was written in counting only the boxes filled in;
        (None, "") if the form has none."""
        if field is None:
            return None, ""
        if field == "incident_at":
            return "incident_date", labels["incident_at"]
        found = _ALLEGATION.fullmatch(field)
        if found is not None:
            filled = [box for box, text in enumerate(self.allegations) if text]
            number = int(found.group(1))
            if 1 <= number <= len(filled) and filled[number - 1] < len(_NUMERALS):
                return "allegations", f"投诉事项{_NUMERALS[filled[number - 1]]}"
            return "allegations", labels["allegations"]
        if field in labels:
            return field, labels[field]
        return None, ""

    def _allegations_given(self) -> list[str]:
        """The allegations written, an error if none."""
        allegations = [a for a in self.allegations if a]
        if not allegations:
            self.errors["allegations"] = "请至少写一项投诉事项"
        return allegations

    def _place_given(self) -> None:
        if not self.values["incident_place"]:
            self.errors["incident_place"] = "请填写事发地点"

    def _validated(
        self,
        model: type[Body],
        incident_at: datetime,
        allegations: list[str],
        message: Callable[[str, str], str],
    ) -> Body | None:
        """The body model of the incident, the allegations and every other field filled in,
        or None with each field's refusal told by ``message`` (field name, pydantic error
        type -> Chinese)."""
        data: dict[str, object] = {
            "incident_at": incident_at,
            "incident_place": self.values["incident_place"],
            "allegations": allegations,
        }
        for name in self.TEXT_FIELDS:
            if not name.startswith("incident_") and self.values[name]:
                data[name] = self.values[name]
        try:
            return model.model_validate(data)
        except ValidationError as invalid:
            for error in invalid.errors():
                name = str(error["loc"][0]) if error["loc"] else "work_id"
                self.errors.setdefault(name, message(name, error["type"]))
            return None

    def _intake_checked(
        self,
        incident_at: datetime | None,
        allegations: list[str],
        refuse: Callable[[DomainError], object],
    ) -> None:
        """Run the domain's checks of the intake's own fields (``check_intake``, what the
        intake runs before it looks anybody up) and tell ``refuse`` each refusal: every field
        refused at once, where the intake stops at the first. A field already refused (by
        the form, or here) is checked as a stand-in that passes, so each is told once."""
        at = datetime.now(tz=UTC)
        fields: dict[str, Any] = {
            "incident_at": incident_at or at,
            "incident_place": self.values["incident_place"] or _STAND_IN,
            "allegations": allegations or [_STAND_IN],
            **{name: self.values.get(name) or None for name in _CONTACT},
        }
        stand_ins: dict[str, Any] = {
            "incident_at": at,
            "incident_place": _STAND_IN,
            "allegations": [_STAND_IN],
        }
        for refused in self.errors:
            argument = "incident_at" if refused in _INCIDENT else refused
            if argument in fields:
                fields[argument] = stand_ins.get(argument)
        for _ in range(len(fields)):
            try:
                check_intake(at=at, effective=china_date(at), **fields)
                return
            except DomainError as error:
                named = str(getattr(error, "field", None))
                argument = "allegations" if named.startswith("allegations") else named
                if argument not in fields:
                    return  # no field of the intake's own: the intake tells it
                refuse(error)
                fields[argument] = stand_ins.get(argument)

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
            self.errors["incident_time"] = self.TIME_FORMAT
            return None
        if day > today:
            self.errors["incident_date"] = "事发日期不能晚于今天"
            return None
        if day < EARLIEST_DAY:  # the API's range: told as a range, not as a wrong format
            self.errors["incident_date"] = (
                f"事发日期不能早于{EARLIEST_DAY.year}年{EARLIEST_DAY.month}月{EARLIEST_DAY.day}日，"
                "请核对"
            )
            return None
        return datetime.combine(day, moment.replace(tzinfo=None), tzinfo=CHINA_STANDARD_TIME)
