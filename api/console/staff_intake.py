"""The complaints office takes a complaint from any channel, and names the auxiliary of an
unnamed one later: the console's forms for ``POST /v1/complaints/intake`` and
``POST /v1/complaints/{id}/match-subject``.

The intake form asks for what ``ComplaintIntakeCreate`` takes -- the channel with its outside
number or referring organ, the auxiliary by work ID or a description of an unnamed one, the
incident's day and time (China Standard Time) and place, up to ``FORM_ALLEGATIONS``
allegations, the complainant's contact -- and records it by ``complaints.take``, the API
route's own call. The answer page shows the complaint's tracking code, once.

Invariants:
- Checking is the API's and the domain's: the body model first, then the domain; each refusal
  is told in Chinese next to its field, every field's at once (the domain's checks of the
  intake's own fields too, ``ComplaintFields._intake_checked``), the values typed are kept,
  nothing is recorded, and no message repeats a value.
- Each form carries a key made when it is shown; the complaint id and the tracking code are
  HMAC values of the server secret over the actor, that key and the body (``api.receipts.
  intake_identity``), so a form sent twice records one complaint and shows the same code
  again, only to the same person with the same form; the same key with other values is
  refused (``idempotency_key_reused``).
- Matching is two steps: the work ID is looked up and the auxiliary found is shown with who
  answered for them on the incident date (a read of the auxiliary's name, recorded as an
  access), then a second form records ``match-subject`` by ``complaints.match``.
- A complaint naming an auxiliary of another organ is that organ's to handle: the intake's
  answer page and the match say, in Chinese, which organ it went to, with no link or
  redirect to a page the officer's scope does not reach.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.console import staff as staff_pages
from api.console.complaint_fields import ComplaintFields, format_character_message
from api.console.staff_commands import refused_status
from api.console.staff_complaints import ACTION_LABELS
from api.console.web import render
from api.deps import LedgerDep, RuntimeDep, require_roles, visible
from api.problems import ApiProblem
from api.receipts import canonical_json, code_matches, intake_identity, tracking_code_shown
from api.routers import complaints as complaint_routes
from api.schemas.complaints import ComplaintIntakeCreate, SubjectMatchCreate
from domain.complaint import responsibility_at_incident
from domain.errors import FormatCharacterError, InvalidFieldError
from domain.values import CHINA_STANDARD_TIME, ComplaintChannel, china_date
from ledger.access import record_access
from ledger.errors import ConcurrencyConflictError, LedgerError

Handler = Annotated[staff_pages.Staff, staff_pages.admitted(*complaint_routes.COMMAND_ROLES)]
INTAKE = staff_pages.section(
    "/console/intake", "登记投诉", complaint_routes.COMMAND_ROLES, order=21
)
ACTION_LABELS.setdefault("match_subject", "确认被投诉辅警")

CHANNELS = tuple(c for c in ComplaintChannel if c is not ComplaintChannel.online)
"""What the office takes (an online complaint is filed by the public form)."""

NEEDS_REFERENCE = frozenset(
    {ComplaintChannel.hotline_12389, ComplaintChannel.hotline_110, ComplaintChannel.letters_visits}
)

FIELD_LABELS = {
    "channel": "投诉渠道",
    "outside_reference": "外部编号",
    "referring_organ": "转办机关",
    "work_id": "工作证号",
    "subject_description": "被投诉人特征",
    "incident_date": "事发日期",
    "incident_time": "事发时间",
    "incident_at": "事发日期和时间",
    "incident_place": "事发地点",
    "allegations": "投诉事项",
    "complainant_name": "投诉人姓名",
    "complainant_phone": "投诉人电话",
    "complainant_resident_id": "投诉人身份号码",
    "complainant_address": "投诉人地址",
    "contact_text": "其他联系方式",
}


@dataclass
class IntakeForm(ComplaintFields):
    """What was typed, and what is wrong with it (field name -> Chinese message)."""

    TEXT_FIELDS = tuple(n for n in FIELD_LABELS if n not in ("allegations", "incident_at"))

    def body(self, today: date) -> ComplaintIntakeCreate | None:
        """The API's body, or None with ``errors`` filled in: the form's own checks, the body
        model's and the domain's checks of the intake's own fields, every field's refusal at
        once, each field's first."""
        incident_at = self._incident_at(today)
        self._place_given()
        allegations = self._allegations_given()
        named, described = self.values["work_id"], self.values["subject_description"]
        if named and described:
            self.errors["work_id"] = "知道工作证号的，不填被投诉人特征；两项只填一项"
        elif not named and not described:
            self.errors["work_id"] = "请填写被投诉辅警的工作证号；不知道的，请描述其特征"
        # A date refused already is checked no further: the other fields are, around it.
        moment = incident_at or datetime.combine(today, time(), tzinfo=CHINA_STANDARD_TIME)
        body = self._validated(ComplaintIntakeCreate, moment, allegations, _message)
        self._intake_checked(incident_at, allegations, self.refused)
        return None if self.errors else body

    def refused(self, error: Exception) -> staff_pages.Refusal | None:
        """Put a refusal by the domain or the lookup next to its field; the refusal to show
        above the form when it belongs to no field."""
        if isinstance(error, InvalidFieldError):
            name, label = self.refused_field(error.field, FIELD_LABELS)
            if name is not None:
                self.errors[name] = (
                    format_character_message(label)
                    if isinstance(error, FormatCharacterError)
                    else self._field_refusal(name)
                )
                return None
        refusal = staff_pages.refusal_of(error)
        if refusal.code in ("unknown_auxiliary", "ambiguous_work_id", "no_responsibility"):
            self.errors["work_id"] = (
                "事发当日没有持此工作证号的在职辅警，请核对证号和事发日期"
                if refusal.code != "ambiguous_work_id"
                else "此工作证号对应多名辅警（历史数据），请改为描述被投诉人特征"
            )
            return None
        if refusal.code in ("date_in_future", "invalid_date_range"):
            self.errors["incident_date"] = "事发日期不能晚于今天"
            return None
        return refusal

    def _field_refusal(self, name: str) -> str:
        channel = self.values["channel"]
        if name == "outside_reference":
            if channel in NEEDS_REFERENCE:
                return "12389、110 和信访渠道的投诉须填写外部编号（工单号、警情号或信访件编号）"
            if channel == ComplaintChannel.walk_in:
                return f"{ComplaintChannel.walk_in.label_zh}投诉没有外部编号，请不要填写"
            return "外部编号为 1 至 64 个字符，不含空格"
        if name == "referring_organ":
            if channel == ComplaintChannel.referral:
                return "转办的投诉须填写转办机关"
            return "只有转办的投诉填写转办机关"
        return f"{FIELD_LABELS[name]}填写有误，请检查"


def _message(name: str, kind: str) -> str:
    label = FIELD_LABELS.get(name, "填写的内容")
    if name == "channel":
        return "请选择投诉渠道"
    if kind in ("missing", "string_too_short", "too_short"):
        return f"请填写{label}"
    if kind in ("string_too_long", "too_long"):
        return f"{label}太长了，请精简"
    if name == "complainant_phone":
        return "电话只能包含数字（可带区号和短横线），例如 19900001111"
    if name == "complainant_resident_id":
        return "身份号码应为 18 位（最后一位可为 X），请核对"
    return f"{label}的格式不对，请检查"


def _today() -> date:
    return china_date(datetime.now(tz=UTC))


def _form_page(
    request: Request,
    form: IntakeForm,
    *,
    refusal: staff_pages.Refusal | None = None,
    status_code: int = 200,
    form_key: str | None = None,
) -> Response:
    return render(
        request,
        "staff/intake.html",
        {
            "form": form,
            "labels": FIELD_LABELS,
            "channels": CHANNELS,
            "today": _today().isoformat(),
            "form_key": form_key or secrets.token_urlsafe(18),
            "refusal": refusal,
        },
        status_code=status_code,
    )


@staff_pages.router.get("/intake", response_class=HTMLResponse)
def intake_page(request: Request, staff: Handler) -> Response:
    """The form: a complaint taken by telephone, letter, visit, in person or referral."""
    return _form_page(request, IntakeForm())


@staff_pages.router.post("/intake", response_class=HTMLResponse)
async def take_intake(
    request: Request, runtime: RuntimeDep, ledger: LedgerDep, staff: Handler
) -> Response:
    """CSRF first, then the body model, then the domain; the tracking code shown once."""
    fields = await staff_pages.checked_form(request, staff)
    require_roles(staff.actor, complaint_routes.COMMAND_ROLES)
    form = IntakeForm.read(fields)
    key = staff_pages.one(fields, "form_key")
    if not key or len(key) > 64:
        key = secrets.token_urlsafe(18)
    body = form.body(_today())
    if body is None:
        return _form_page(request, form, status_code=422, form_key=key)
    identity = intake_identity(
        runtime.secret,
        client=f"console\x00{staff.actor.actor_id}",
        idempotency_key=key,
        body=canonical_json(body.model_dump(mode="json")),
    )
    try:
        taken = complaint_routes.take(staff.actor, ledger, runtime, body, identity)
    except ConcurrencyConflictError:
        # This form was sent before: the same person and values find their complaint's code.
        stored = ledger.complaint(identity.complaint_id).tracking_hash
        if not code_matches(identity.tracking_code, stored):
            reused = staff_pages.refusal_of(
                ApiProblem("idempotency_key_reused", "this form was sent with other values")
            )
            return _form_page(request, form, refusal=reused, status_code=409)
        return _taken_page(
            request, ledger, staff, identity.complaint_id, identity.tracking_code, again=True
        )
    except staff_pages.REFUSALS as error:
        refusal = form.refused(error)
        status_code = 422 if refusal is None else refused_status(refusal)
        return _form_page(request, form, refusal=refusal, status_code=status_code, form_key=key)
    runtime.metrics.appended(taken.recorded.topic)
    return _taken_page(
        request, ledger, staff, taken.recorded.originator_id, taken.tracking_code, again=False
    )


def transferred_to(ledger: Any, staff: staff_pages.Staff, complaint_id: UUID) -> str | None:
    """The organ a complaint went to (``名称（代码）``) when it lies outside the officer's
    scope -- it names an auxiliary of another organ, which answers for it -- else None."""
    complaint = ledger.complaint(complaint_id)
    if visible(staff.actor, complaint.organ, complaint.unit):
        return None
    try:
        name = ledger.organ(complaint.organ).name
    except LedgerError:
        name = ""
    return f"{name}（{complaint.organ}）" if name else complaint.organ


def _taken_page(
    request: Request,
    ledger: Any,
    staff: staff_pages.Staff,
    complaint_id: UUID,
    code: str,
    *,
    again: bool,
) -> Response:
    return render(
        request,
        "staff/intake_taken.html",
        {
            "complaint_id": complaint_id,
            "tracking_code": tracking_code_shown(code),
            "again": again,
            "transferred_to": transferred_to(ledger, staff, complaint_id),
        },
        status_code=201 if not again else 200,
    )


# ------------------------------------------------------------------ matching the subject


def _subject_page(
    request: Request,
    complaint_id: UUID,
    complaint: Any,
    *,
    work_id: str = "",
    found: dict[str, Any] | None = None,
    error: str | None = None,
    refusal: staff_pages.Refusal | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "staff/subject.html",
        {
            "complaint_id": complaint_id,
            "complaint": complaint,
            "work_id": work_id,
            "found": found,
            "error": error,
            "refusal": refusal,
        },
        status_code=status_code,
    )


@staff_pages.router.get("/complaints/{complaint_id}/subject", response_class=HTMLResponse)
def subject_page(
    request: Request, complaint_id: UUID, ledger: LedgerDep, staff: Handler
) -> Response:
    """The work ID of the auxiliary an unnamed complaint is about."""
    complaint = complaint_routes.scoped_complaint(complaint_id, staff.actor, ledger)
    if complaint.matched:
        return staff_pages.see_other(f"/console/complaints/{complaint_id}")
    return _subject_page(request, complaint_id, complaint)


@staff_pages.router.post("/complaints/{complaint_id}/subject/check", response_class=HTMLResponse)
async def check_subject(
    request: Request, complaint_id: UUID, runtime: RuntimeDep, ledger: LedgerDep, staff: Handler
) -> Response:
    """Find the auxiliary of the work ID and show who answered for them on the incident
    date, for the officer to confirm (nothing recorded but the read of the name)."""
    fields = await staff_pages.checked_form(request, staff)
    complaint = complaint_routes.scoped_complaint(complaint_id, staff.actor, ledger)
    work_id = staff_pages.one(fields, "work_id")
    try:
        checked = SubjectMatchCreate.model_validate({"work_id": work_id})
    except ValidationError:
        error = "请填写工作证号（字母和数字，不含空格）"
        return _subject_page(
            request, complaint_id, complaint, work_id=work_id, error=error, status_code=422
        )
    try:
        auxiliary_id = complaint_routes.auxiliary_of_work_id(runtime, checked.work_id)
        auxiliary = ledger.auxiliary(auxiliary_id)
        responsibility = responsibility_at_incident(auxiliary, complaint.incident_at)
    except staff_pages.REFUSALS as error:
        refusal = staff_pages.refusal_of(error)
        message = (
            "事发当日持此工作证号的辅警不在职，不能确认为被投诉人"
            if refusal.code == "no_responsibility"
            else "没有发放过此工作证号，请核对"
        )
        return _subject_page(
            request,
            complaint_id,
            complaint,
            work_id=work_id,
            error=message,
            status_code=refused_status(refusal),
        )
    record_access(
        ledger,
        staff.actor,
        record_type="auxiliary",
        record_id=auxiliary_id,
        fields=["name"],
        reason=None,
        purpose="POST /console/complaints/{complaint_id}/subject/check",
    )
    found = {"name": auxiliary.name, "work_id": checked.work_id, "at": responsibility}
    return _subject_page(request, complaint_id, complaint, work_id=work_id, found=found)


@staff_pages.router.post("/complaints/{complaint_id}/subject/match", response_class=HTMLResponse)
async def match_subject(
    request: Request, complaint_id: UUID, runtime: RuntimeDep, ledger: LedgerDep, staff: Handler
) -> Response:
    """Record ``match-subject`` by the API route's own call; a refusal shown, nothing kept."""
    fields = await staff_pages.checked_form(request, staff)
    complaint = complaint_routes.scoped_complaint(complaint_id, staff.actor, ledger)
    version = staff_pages.one(fields, "version")
    expected = int(version) if version.isdigit() and len(version) < 10 else None
    try:
        body = SubjectMatchCreate.model_validate({"work_id": staff_pages.one(fields, "work_id")})
        complaint_routes.match(staff.actor, ledger, runtime, complaint_id, body, expected)
    except ValidationError:
        error = "请填写工作证号（字母和数字，不含空格）"
        return _subject_page(request, complaint_id, complaint, error=error, status_code=422)
    except staff_pages.REFUSALS as error:
        refusal = staff_pages.refusal_of(error)
        return _subject_page(
            request, complaint_id, complaint, refusal=refusal, status_code=refused_status(refusal)
        )
    elsewhere = transferred_to(ledger, staff, complaint_id)
    if elsewhere is not None:  # its page is the other organ's now: say so, no redirect
        return render(request, "staff/transferred.html", {"transferred_to": elsewhere})
    return staff_pages.see_other(f"/console/complaints/{complaint_id}?done=match_subject")
