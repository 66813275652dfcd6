"""The public pages, without sign-in (issue 12, item 8), and the API docs (``public_docs``).

- ``/``: the complaint form, in plain Chinese, for a phone as well as a desk.
- ``POST /complaint``: files it through the public API's own intake
  (``api.routers.public.file_complaint``: the same checks, rate limit, idempotency and signed
  receipt as ``POST /v1/complaints``), then shows the receipt page: the tracking code to copy
  or print, what happens next, and "check this receipt".
- ``/track`` and ``POST /track``: where a complaint stands, from its tracking code (sent in
  the body, never in a URL), through ``api.routers.public.track_complaint``; the expected
  dates are the API's (``policy_deadlines``: the complaint policy's, never an internal due
  date), the result once the complainant was told it.
- ``POST /track/review``: asks for a review through the API's own ``ask_review``, under the
  same per-client rate limit as ``POST /v1/complaints/track/{code}/review``; a refusal (no
  reasons, already asked this round, no result told yet, invisible characters, past the last
  day) shows the complaint again with its own Chinese message and records nothing.
- ``/check``: check a receipt kept as a file; the checking is done by the browser
  (``static/js/public-check.js``) from the public endpoints alone.

Invariants:
- Every form carries a CSRF token tied to a SameSite=Strict cookie; a POST without a valid
  one records nothing (the complaint form is shown again, as typed, to be sent once more).
- A refused complaint records nothing and is shown again with a Chinese message per field,
  on the field the refusal names (an allegation by its box: 投诉事项二), every field's at
  once (``ComplaintForm.body``); a refusal naming no field of the form is a notice above it.
  Messages never repeat what was typed.
- A form's ``idempotency_key`` (made when the form is shown) makes sending it twice (a
  reload, a double click) return the same receipt, as the API's ``Idempotency-Key`` does.
  Sent again changed after it was filed, the form is not refused on a field: it comes back
  as typed under a new key, saying the earlier complaint was filed (and where to follow it),
  so the changed form can be filed as a complaint of its own.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api import tracking_code as codes
from api.console import public_docs
from api.console.complaint_fields import format_character_message
from api.console.public_form import CSRF_COOKIE, FIELD_LABELS, ComplaintForm, form_csrf
from api.console.staff import read_form
from api.console.staff_session import set_cookie
from api.console.web import error_label, render
from api.deps import LedgerDep, RuntimeDep, admit_client
from api.problems import CATALOGUE, ApiProblem, domain_problem, ledger_problem
from api.routers import public as public_api
from api.runtime import Runtime
from api.schemas.complaints import ComplaintTrackPublic, ReceiptPublic, ReviewRequestPublic
from domain.complaint import Complaint
from domain.errors import DomainError
from domain.values import CHINA_STANDARD_TIME
from ledger.errors import LedgerError
from ledger.records import AuxLedger

router = APIRouter(include_in_schema=False)
router.include_router(public_docs.router)

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_COOKIE_SECONDS = 8 * 3600
_INTAKE_MESSAGES = {
    # One message whatever the cause (no such number or name, several of that name, not
    # serving on that day), as the intake answers alike: the page is no oracle of names.
    "unknown_auxiliary": (
        "work_id",
        "没有找到事发当天在岗的这位辅警。请核对工作证号（或姓名和所在单位全称，如“城东派出所”）"
        "以及事发日期；同一单位有同名的，请填写工作证号",
    ),
    "date_in_future": ("incident_date", "事发时间不能晚于现在"),
    "invalid_date_range": ("incident_date", "事发日期不在这位辅警的在岗期间，请核对"),
    "ambiguous_work_id": (
        "work_id",
        "这个工作证号无法确定是哪一位辅警，请不填证号，改为填写姓名和所在单位",
    ),
}


def _today() -> date:
    return datetime.now(tz=CHINA_STANDARD_TIME).date()


def _nonce(request: Request) -> str:
    """The visitor's form nonce: the one in the cookie, or a new one."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    return nonce if _NONCE.fullmatch(nonce) else secrets.token_urlsafe(24)


def _page(
    request: Request,
    runtime: Runtime,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """A public page; its forms get the CSRF token of the visitor's (new or kept) cookie."""
    nonce = _nonce(request)
    response = render(
        request,
        template,
        {**context, "csrf": form_csrf(runtime.secret, nonce)},
        status_code=status_code,
    )
    set_cookie(response, request, CSRF_COOKIE, nonce, max_age=_COOKIE_SECONDS)
    return response


def _csrf_ok(request: Request, runtime: Runtime, sent: str) -> bool:
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not _NONCE.fullmatch(nonce) or not sent:
        return False
    return secrets.compare_digest(form_csrf(runtime.secret, nonce), sent)


def _complaint_form(
    request: Request,
    runtime: Runtime,
    ledger: AuxLedger,
    form: ComplaintForm,
    *,
    key: str | None = None,
    notice: str | None = None,
    filed_before: bool = False,
    status_code: int = 200,
) -> Response:
    """The complaint form: as typed, with its errors and a notice; under ``key`` (a new one
    if None). ``filed_before`` says the form's earlier sending was filed (see /track)."""
    rules = ledger.policy.complaints
    return _page(
        request,
        runtime,
        "public/complaint.html",
        {
            "form": form,
            "labels": FIELD_LABELS,
            "idempotency_key": key or secrets.token_urlsafe(24),
            "today": _today().isoformat(),
            "notice": notice,
            "filed_before": filed_before,
            "rules": rules,
        },
        status_code=status_code,
    )


@router.get("/", response_class=HTMLResponse)
async def complaint_page(request: Request, runtime: RuntimeDep, ledger: LedgerDep) -> Response:
    """The complaint form."""
    return _complaint_form(request, runtime, ledger, ComplaintForm())


@router.post("/complaint", response_class=HTMLResponse)
async def file_complaint(request: Request, runtime: RuntimeDep, ledger: LedgerDep) -> Response:
    """File the complaint through the public API's intake; the receipt page, or the form
    again with what to correct."""
    fields = await read_form(request)
    form = ComplaintForm.read(fields)
    key = (fields.get("idempotency_key") or [""])[0]
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        key = secrets.token_urlsafe(24)
    if not _csrf_ok(request, runtime, (fields.get("csrf") or [""])[0]):
        return _complaint_form(
            request,
            runtime,
            ledger,
            form,
            key=key,
            notice="为了您的安全，这次提交没有被接收，也没有记录任何内容（页面可能已打开太久）。"
            "请核对下面的内容后再点一次“提交投诉”。",
            status_code=403,
        )
    body = form.body(
        _today(),
        lambda error: _intake_refused(
            form, domain_problem(error)[0], getattr(error, "field", None)
        ),
    )
    if body is None:
        return _complaint_form(request, runtime, ledger, form, key=key, status_code=422)
    try:
        answer = await public_api.file_complaint(
            body=body, request=request, runtime=runtime, ledger=ledger, idempotency_key=key
        )
    except ApiProblem as problem:
        notice: str | None
        if problem.code == "rate_limited":
            notice = "提交太频繁了，请稍等几分钟再提交。您填写的内容仍在下面。"
            return _complaint_form(
                request, runtime, ledger, form, key=key, notice=notice, status_code=429
            )
        if problem.code == "idempotency_key_reused":
            # This form's key filed a complaint before, and the form was changed since: that
            # complaint stands; the form comes back under a new key, to file another one.
            return _complaint_form(
                request, runtime, ledger, form, filed_before=True, status_code=409
            )
        notice = _intake_refused(form, problem.code)
        return _complaint_form(
            request, runtime, ledger, form, key=key, notice=notice, status_code=422
        )
    except DomainError as refused:
        notice = _intake_refused(form, domain_problem(refused)[0], getattr(refused, "field", None))
        return _complaint_form(
            request, runtime, ledger, form, key=key, notice=notice, status_code=422
        )
    receipt = ReceiptPublic.model_validate_json(bytes(answer.body))
    return _page(
        request,
        runtime,
        "public/receipt.html",
        {
            "receipt": receipt,
            "receipt_json": json.dumps(
                receipt.model_dump(mode="json"), ensure_ascii=False, indent=2
            ),
            "rules": ledger.policy.complaints,
            "file_name": receipt_file_name(receipt.recorded_at),
        },
        status_code=201,
    )


def receipt_file_name(recorded_at: str) -> str:
    """The name the receipt is downloaded under: the day it was recorded in China Standard
    Time (the day the complainant filed it), not the UTC day of ``recorded_at``."""
    day = datetime.fromisoformat(recorded_at).astimezone(CHINA_STANDARD_TIME).date()
    return f"投诉回执-{day.isoformat()}.json"


def _intake_refused(form: ComplaintForm, code: str, field: str | None = None) -> str | None:
    """Put the intake's refusal on the field it concerns (the one the domain's error names,
    ``field``), in Chinese; a refusal that names no field of the form is the page's notice,
    returned."""
    if code in _INTAKE_MESSAGES:
        name, message = _INTAKE_MESSAGES[code]
        form.errors[name] = message
        return None
    refused, label = form.refused_field(field, FIELD_LABELS)
    if refused is None:
        return f"投诉没有提交：{error_label(code)}。请核对填写的内容后再提交。"
    if code == "format_character":
        message = format_character_message(label)
    elif refused == "complainant_phone":
        message = "联系电话应有5到20位数字（可带区号和短横线），例如 13800001111 或 0513-85000000"
    else:
        message = f"{label}填写有误，请检查后再提交"
    form.errors[refused] = message
    return None


@router.get("/track", response_class=HTMLResponse)
def track_page(request: Request, runtime: RuntimeDep) -> Response:
    """Ask for the tracking code."""
    return _page(request, runtime, "public/track.html", {"track": None, "error": None})


def _track_refused(
    request: Request, runtime: Runtime, error: str, status_code: int, *, code: str | None = None
) -> Response:
    """The tracking page with a Chinese message and no complaint; the code typed is put back
    in the box only when ``code`` is given."""
    context: dict[str, Any] = {"track": None, "error": error}
    if code is not None:
        context["code"] = code
    return _page(request, runtime, "public/track.html", context, status_code=status_code)


def _track_shown(
    request: Request,
    runtime: Runtime,
    ledger: AuxLedger,
    tracked: ComplaintTrackPublic,
    complaint: Complaint,
    code: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    reasons: str = "",
    status_code: int = 200,
) -> Response:
    """The tracking page with where the complaint stands, and a notice of what was done or
    an error of what was not (with the review reasons as typed)."""
    context: dict[str, Any] = {
        "track": tracked,
        "error": error,
        "expected": _expected(ledger, complaint),
        "code": code,
        "reasons": reasons,
    }
    if notice is not None:
        context["notice"] = notice
    return _page(request, runtime, "public/track.html", context, status_code=status_code)


@router.post("/track", response_class=HTMLResponse)
async def track(request: Request, runtime: RuntimeDep, ledger: LedgerDep) -> Response:
    """Where the complaint of this tracking code stands."""
    fields = await read_form(request)
    code = "".join((fields.get("code") or [""])[0].split())
    if not _csrf_ok(request, runtime, (fields.get("csrf") or [""])[0]):
        error = "为了您的安全，这次查询没有执行（页面可能已打开太久），请再点一次“查询”。"
        return _track_refused(request, runtime, error, 403, code=code)
    if not code:
        error = "请输入投诉回执上的查询码"
        return _track_refused(request, runtime, error, 422)
    try:
        found = await run_in_threadpool(_track, request, ledger, runtime, code)
    except ApiProblem as problem:
        if problem.code == "rate_limited":
            error = "查询太频繁了：没有找到投诉的查询次数过多，请稍等几分钟再查询。"
            return _track_refused(request, runtime, error, 429, code=code)
        if problem.code == "tracking_code_check":
            error = codes.TrackingCheckError.MESSAGE_ZH
            return _track_refused(request, runtime, error, 422, code=code)
        if problem.code != "not_found":
            raise
        error = (
            "没有找到这个查询码对应的投诉。请核对查询码（形如 XXXX-XXXX-XXXX-XXXX-C，"
            "不区分大小写）后重试。"
        )
        return _track_refused(request, runtime, error, 404, code=code)
    tracked, complaint = found
    return _track_shown(request, runtime, ledger, tracked, complaint, code)


def _track(
    request: Request, ledger: AuxLedger, runtime: Runtime, code: str
) -> tuple[ComplaintTrackPublic, Complaint]:
    if len(code) > 80:
        raise ApiProblem("not_found", "no complaint has this tracking code")
    tracked = public_api.track_complaint(code, request, ledger, runtime)
    try:
        complaint = ledger.complaint(tracked.complaint_id)
    except LedgerError as error:
        raise ApiProblem(*ledger_problem(error)[:2]) from None
    return tracked, complaint


_STEPS = {
    "acknowledge": "签收您的投诉",
    "conclude": "调查并得出结论",
    "notify": "把结果告诉您",
    "review": "作出复查意见",
}
"""The page's Chinese name of each step of ``public_api.policy_deadlines``."""


def _expected(ledger: AuxLedger, complaint: Complaint) -> list[tuple[str, date, bool]]:
    """The steps still to come, with the last day for each under the policy (and if late):
    the API's ``policy_deadlines``, so the page and ``expected`` give the same dates."""
    today = _today()
    return [
        (_STEPS[step], due, today > due)
        for step, due in public_api.policy_deadlines(complaint, ledger.policy)
    ]


_REVIEW_REFUSALS = {
    "reasons": "复查申请没有提交：请写明复查理由（不超过4000字）。",
    "format_character": "复查申请没有提交：复查理由中有看不见的字符或改变文字方向的控制字符"
    "（可能随复制的文字带入），请删除后重新输入。",
    "duplicate_record": "这一次的处理结果已经申请过复查，不能重复申请；"
    "复查意见作出后会显示在这里。",
    "invalid_transition": "现在还不能申请复查：告知您处理结果之后，才可以对结果申请复查。",
    "review_window_closed": "申请复查的期限已过，不能再申请复查。",
}
"""What a refused review request says, by the refusal's code; any other: ``_REVIEW_FAILED``."""
_REVIEW_FAILED = "复查申请没有提交，请稍后再试。"


@router.post("/track/review", response_class=HTMLResponse)
async def track_review(request: Request, runtime: RuntimeDep, ledger: LedgerDep) -> Response:
    """Ask for a review (复查) of the result, with the tracking code as the key: rate-limited
    per client as the API's route is; a refusal shows the complaint again with its reason."""
    fields = await read_form(request)
    code = "".join((fields.get("code") or [""])[0].split())
    reasons = (fields.get("reasons") or [""])[0].strip()
    if not _csrf_ok(request, runtime, (fields.get("csrf") or [""])[0]):
        error = "为了您的安全，这次申请没有提交（页面可能已打开太久），请重新查询后再申请。"
        return _track_refused(request, runtime, error, 403, code=code)
    if not reasons or len(reasons) > 4000:
        return await _review_refused(request, runtime, ledger, code, "reasons", 422, reasons)
    try:
        client = admit_client(request, runtime.intake_limiter, "made too many requests")
    except ApiProblem:
        error = "提交太频繁了，请稍等几分钟再申请复查。"
        return _track_refused(request, runtime, error, 429, code=code)

    def ask() -> tuple[ComplaintTrackPublic, Complaint]:
        public_api.ask_review(runtime, ledger, code, ReviewRequestPublic(reasons=reasons), client)
        return _track(request, ledger, runtime, code)

    try:
        tracked, complaint = await run_in_threadpool(ask)
    except ValidationError:
        return await _review_refused(request, runtime, ledger, code, "reasons", 422, reasons)
    except ApiProblem as problem:
        if problem.code in ("not_found", "tracking_code_check", "rate_limited"):
            return _track_refused(request, runtime, _REVIEW_FAILED, problem.status, code=code)
        return await _review_refused(request, runtime, ledger, code, problem.code, 422, reasons)
    except DomainError as refused:
        refusal = domain_problem(refused)[0]
        status_code = CATALOGUE[refusal].status
        return await _review_refused(request, runtime, ledger, code, refusal, status_code, reasons)
    except LedgerError:
        return await _review_refused(request, runtime, ledger, code, "", 409, reasons)
    return _track_shown(
        request, runtime, ledger, tracked, complaint, code, notice="复查申请已登记。"
    )


async def _review_refused(
    request: Request,
    runtime: Runtime,
    ledger: AuxLedger,
    code: str,
    refusal: str,
    status_code: int,
    reasons: str,
) -> Response:
    """The tracking page of the complaint again, with why the review request was refused
    (``_REVIEW_REFUSALS``) and the reasons as typed; just the message if it is not found."""
    error = _REVIEW_REFUSALS.get(refusal, _REVIEW_FAILED)
    try:
        tracked, complaint = await run_in_threadpool(_track, request, ledger, runtime, code)
    except ApiProblem:
        return _track_refused(request, runtime, error, status_code, code=code)
    return _track_shown(
        request,
        runtime,
        ledger,
        tracked,
        complaint,
        code,
        error=error,
        reasons=reasons,
        status_code=status_code,
    )


@router.get("/check", response_class=HTMLResponse)
def check_page(request: Request, runtime: RuntimeDep) -> Response:
    """Check a kept receipt in the browser."""
    return _page(request, runtime, "public/check.html", {"receipt_json": ""})
