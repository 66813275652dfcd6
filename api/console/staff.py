"""The staff side of the console: sign-in, sign-out, the session's actor, the navigation.

Invariants:
- A staff page's actor is the API's: the session names a token, and the token is checked on
  every request by ``api.deps.actor_of_token``; roles are admitted by ``api.deps.
  require_roles`` with the very role tuples the API's routes use, so a page or an action
  is open to exactly the roles its API route admits.
- A link or a form for what the role may not do is not shown (``Section.open_to``); a
  forced URL answers 403 with the Chinese error page.
- Every POST checks the CSRF token first; a refused POST records nothing.
- A reason typed into a form is checked as the API checks ``?reason=`` (``typed_reason``:
  one line, 1 to ``REASON_MAX`` characters) before the session keeps it; one that fails is
  asked for again in Chinese, nothing kept.
- Every staff page carries the rules banner (``rules_warning``) from 90 days before the rule
  set in force ends with none after it, and once none is in force (Art. 20).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.organ_names import OrganNames
from api.console.staff_ledger import holder_text
from api.console.staff_session import (
    COOKIE,
    SIGNIN_COOKIE,
    ConsoleSession,
    SessionStore,
    check_csrf,
    clear_cookie,
    set_cookie,
    signin_csrf,
)
from api.console.web import error_label, render
from api.deps import RuntimeDep, actor_of_secret, actor_of_token, may, require_roles
from api.problems import ApiProblem, domain_problem, ledger_problem
from api.routers.common import access_reason
from api.runtime import Runtime
from domain.errors import (
    AlreadyEmployedError,
    DomainError,
    InvalidFieldError,
    InvalidTransitionError,
    PriorRecordElsewhereError,
)
from domain.values import Actor, Role, china_date
from ledger.access import token_hash, token_id
from ledger.errors import LedgerError

router = APIRouter(prefix="/console", include_in_schema=False)

MAX_FORM_FIELDS = 200


@dataclass(frozen=True)
class Section:
    """One part of the staff console and the roles its API routes admit."""

    path: str
    label: str
    roles: tuple[Role, ...]
    order: int = 50
    organ_level: bool = False
    """Only for a token of the organ itself, not of a unit (hiring, Art. 8)."""

    def open_to(self, actor: Actor) -> bool:
        """True if the actor's role (and level) may use this part."""
        return may(actor, self.roles) and not (self.organ_level and actor.unit is not None)


SECTIONS: list[Section] = []
"""The navigation: each part of the console adds its own (``section``)."""


def section(
    path: str, label: str, roles: tuple[Role, ...], *, order: int = 50, organ_level: bool = False
) -> Section:
    """Add a part of the console to the navigation (by ``order``, then path)."""
    added = Section(path, label, roles, order, organ_level)
    if added not in SECTIONS:
        SECTIONS.append(added)
        SECTIONS.sort(key=lambda s: (s.order, s.path))
    return added


@dataclass(frozen=True)
class Staff:
    """The signed-in person of a request: the token's actor and the session."""

    actor: Actor
    session: ConsoleSession

    @property
    def csrf(self) -> str:
        """The CSRF token every form of this session carries."""
        return self.session.csrf


def sessions(request: Request) -> SessionStore:
    """The server's console sessions."""
    store: SessionStore = request.app.state.console_sessions
    return store


def signed_in(request: Request, runtime: RuntimeDep) -> Staff:
    """The signed-in staff member, or 401 (the Chinese page offers to sign in again)."""
    session = sessions(request).get(request.cookies.get(COOKIE))
    if session is None:
        raise ApiProblem("session_expired", "no console session: sign in with a token")
    actor = actor_of_token(runtime, session.token_id, session.token_hash)
    staff = Staff(actor=actor, session=session)
    token = runtime.token(session.token_id)
    request.state.page = {
        "staff": staff,
        "actor": actor,
        "holder": holder_text(token) if token is not None else None,
        "csrf": staff.csrf,
        "nav": [s for s in SECTIONS if s.open_to(actor)],
        "rules_warning": rules_warning(runtime),
        "names": OrganNames(runtime.ledger()),  # the page's organs and units, each read once
    }
    return staff


def rules_warning(runtime: Runtime) -> str | None:
    """The banner every staff page shows from 90 days before the rule set in force ends with
    none after it, and once none is in force (Art. 20); None otherwise."""
    ledger = runtime.ledger()
    expiry = ledger.policy.expiring(china_date(ledger.clock()))
    if expiry is None:
        return None
    end = expiry.effective_until
    until = f"{end.year}年{end.month}月{end.day}日"
    if expiry.expired:
        return (
            f"当前没有有效的规则集：{expiry.rule_id} 已于{until}到期。"
            "请系统管理员载入现行规则（auxledger rules load）。"
        )
    return (
        f"规则集 {expiry.rule_id} 将于{until}到期（还剩 {expiry.days_left} 天），"
        "其后尚无规则集接续。请系统管理员及时载入新的规则（第二十条）。"
    )


StaffDep = Annotated[Staff, Depends(signed_in)]


def admitted(*allowed: Role) -> Any:
    """A dependency: the signed-in staff member if the role is one of ``allowed``, else 403."""

    def admit(staff: StaffDep) -> Staff:
        require_roles(staff.actor, allowed)
        return staff

    return Depends(admit)


async def read_form(request: Request) -> dict[str, list[str]]:
    """The fields of a urlencoded form (UTF-8), each with every value sent."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    body = await request.body()
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise ApiProblem("bad_request", "the form cannot be read") from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def one(fields: Mapping[str, Iterable[str]], name: str) -> str:
    """The first value of a form field, stripped ('' if absent)."""
    values = list(fields.get(name, ()))
    return values[0].strip() if values else ""


async def checked_form(request: Request, staff: Staff) -> dict[str, list[str]]:
    """The form of a staff POST, after its CSRF token was checked (403 ``csrf`` if not)."""
    fields = await read_form(request)
    check_csrf(staff.csrf, one(fields, "csrf"))
    return fields


@dataclass(frozen=True)
class Refusal:
    """A refused command or query, as a form shows it: the Chinese title and the detail."""

    code: str
    detail: str
    organs: tuple[tuple[str, str], ...] = ()
    """The organs a hire's refusal names (code, name): whom to ask (``prior_record_elsewhere``)
    or where the person is employed (``already_employed``); nothing of their records."""
    field: str | None = None
    """The field the domain's refusal blames (``InvalidFieldError.field``), named on the page
    in Chinese beside the title."""
    zh: str | None = None
    """The domain's own Chinese explanation (``DomainError.zh``), where it gives one."""
    transition: tuple[str, str] | None = None
    """The state a command was refused in and the command (``InvalidTransitionError``), told
    on the page in Chinese: 当前状态（…）下不能…"""

    @property
    def title(self) -> str:
        """The Chinese title of the refusal."""
        return error_label(self.code)


REFUSALS = (ApiProblem, DomainError, LedgerError)
"""What a form's command or query may be refused with (shown on the form, not as a page)."""


def refusal_of(error: Exception) -> Refusal:
    """The code and detail of a refusal, exactly as the API's problem would carry them."""
    if isinstance(error, ApiProblem):
        return Refusal(error.code, error.detail)
    if isinstance(error, (PriorRecordElsewhereError, AlreadyEmployedError)):
        return Refusal(*domain_problem(error), organs=error.organs, zh=error.zh)
    if isinstance(error, InvalidFieldError):
        return Refusal(*domain_problem(error), field=error.field, zh=error.zh)
    if isinstance(error, InvalidTransitionError):
        return Refusal(
            *domain_problem(error), transition=(error.from_status, error.command), zh=error.zh
        )
    if isinstance(error, DomainError):
        return Refusal(*domain_problem(error), zh=error.zh)
    if isinstance(error, LedgerError):
        code, detail, _ = ledger_problem(error)
        return Refusal(code, detail)
    raise error


def see_other(path: str) -> RedirectResponse:
    """A 303 to a page of the console (never to a URL a client chose)."""
    if not path.startswith("/console"):
        path = "/console/home"
    return RedirectResponse(path, status_code=303)


# ------------------------------------------------------------------ reasons


def kept_reason(staff: Staff, key: str) -> str | None:
    """The reason given for ``key`` (a record, a report, the search) during this visit."""
    return staff.session.reason_for(key, time.monotonic())


REASON_MAX = 500
"""The longest reason kept: what ``?reason=`` admits on the API and an access record holds."""

REASON_RULE = "查阅事由须为一行文字，不超过 500 个字，不含不可见字符"
"""What a reason form says when the reason typed cannot be kept."""


def typed_reason(text: str) -> str | None:
    """A reason typed into a console form, checked as the API checks ``?reason=``
    (``access_reason``, and the 500 characters its ``Query`` admits, which a plain call
    does not apply): None when none was typed; an ``ApiProblem`` when it cannot be kept."""
    reason = access_reason(reason=text or None, x_access_reason=None)
    if reason is not None and len(reason) > REASON_MAX:
        raise ApiProblem(
            "validation", f"the access reason must be 1 to {REASON_MAX} characters on one line"
        )
    return reason


def reason_refusal(problem: ApiProblem) -> Refusal:
    """How a reason form shows a reason that cannot be kept: its title and the rule, in
    Chinese (never the text typed)."""
    return Refusal(problem.code, REASON_RULE)


def reason_page(
    request: Request,
    action: str,
    *,
    subject: str | None = None,
    button: str | None = None,
    refused: bool = False,
    refusal: Refusal | None = None,
) -> Response:
    """The page where an inspector states why a record or a list naming people is read;
    ``refused``: the form came back without a reason, ``refusal``: with one that cannot be
    kept (422 either way, with the refusal shown and nothing kept)."""
    if refused and refusal is None:
        refusal = reason_required()
    return render(
        request,
        "staff/reason.html",
        {
            "action": action,
            "subject": subject,
            "button": button,
            "refusal": refusal,
            "rule": REASON_RULE
            if refusal is not None and refusal.code != "reason_required"
            else None,
        },
        status_code=422 if refusal is not None else 200,
    )


async def keep_reason(request: Request, staff: Staff, key: str) -> str | Refusal | None:
    """Check the reason form (CSRF first) and keep its reason for ``key`` in the session;
    None when no reason was given, the refusal when it cannot be kept (nothing kept)."""
    fields = await checked_form(request, staff)
    try:
        reason = typed_reason(one(fields, "reason"))
    except ApiProblem as problem:
        return reason_refusal(problem)
    if reason is not None:
        staff.session.keep_reason(key, reason)
    return reason


@dataclass(frozen=True)
class ReasonGate:
    """One place an inspector states, once per visit, why a record or a list naming people is
    read: the session key the reason is kept under, the reason form's address, the page it
    leads back to, and the words of the form (what is read, the button)."""

    key: str
    action: str
    then: str
    subject: str | None = None
    button: str | None = None

    def kept(self, staff: Staff) -> str | None:
        """The reason given during this visit, if any."""
        return kept_reason(staff, self.key)

    def ask(
        self, request: Request, *, refused: bool = False, refusal: Refusal | None = None
    ) -> Response:
        """The reason form (``refused``: it came back empty, ``refusal``: with a reason that
        cannot be kept; 422)."""
        return reason_page(
            request,
            self.action,
            subject=self.subject,
            button=self.button,
            refused=refused,
            refusal=refusal,
        )

    async def keep(self, request: Request, staff: Staff) -> Response:
        """Take the reason form (CSRF first): back to the page with the reason kept, or the
        form again, refused, with nothing kept."""
        kept = await keep_reason(request, staff, self.key)
        if kept is None:
            return self.ask(request, refused=True)
        if isinstance(kept, Refusal):
            return self.ask(request, refusal=kept)
        return see_other(self.then)


def reason_required() -> Refusal:
    """The refusal a reason form without a reason shows."""
    return refusal_of(ApiProblem("reason_required", "state why you read this record"))


# ------------------------------------------------------------------ pages


SIGN_IN_REFUSALS: Mapping[str, str] = {
    "token_unknown": "令牌无效。请核对是否完整粘贴了系统管理员发给您的令牌（区分大小写，"
    "前后不要有空格）；仍无法登录的，请联系系统管理员签发新令牌。",
    "token_revoked": "令牌已被吊销，不能再用于登录。请联系系统管理员签发新令牌。",
    "token_expired": "令牌已过期，不能再用于登录。请联系系统管理员签发新令牌。",
}
"""What a refused sign-in tells the officer: what is wrong, and what to do next (the token
comes from the administrator: no command line on an officer's page)."""


@router.get("", response_class=HTMLResponse)
def signin_page(request: Request, runtime: RuntimeDep) -> Response:
    """Sign in with a token; a signed-in person goes on to the console's home."""
    if sessions(request).get(request.cookies.get(COOKIE)) is not None:
        return see_other("/console/home")
    return _signin_form(request, runtime, error=None, status_code=200)


def _signin_form(
    request: Request, runtime: RuntimeDep, *, error: str | None, status_code: int
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "staff/signin.html",
        {"csrf": signin_csrf(runtime.secret, nonce), "error": error},
        status_code=status_code,
    )
    set_cookie(response, request, SIGNIN_COOKIE, nonce, max_age=1800)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, runtime: RuntimeDep) -> Response:
    """Check the form's CSRF token and the token; open a session."""
    fields = await read_form(request)
    nonce = request.cookies.get(SIGNIN_COOKIE)
    check_csrf(signin_csrf(runtime.secret, nonce) if nonce else None, one(fields, "csrf"))
    secret = one(fields, "token")
    try:
        actor_of_secret(runtime, secret)
    except ApiProblem as problem:
        if problem.code not in ("token_unknown", "token_revoked", "token_expired"):
            raise
        return _signin_form(request, runtime, error=SIGN_IN_REFUSALS[problem.code], status_code=401)
    cookie, _ = sessions(request).create(token_id(secret), token_hash(secret))
    response = see_other("/console/home")
    set_cookie(response, request, COOKIE, cookie, max_age=None)
    clear_cookie(response, request, SIGNIN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, staff: StaffDep) -> Response:
    """End the session (CSRF-checked, so no other site can sign a person out)."""
    await checked_form(request, staff)
    sessions(request).end(request.cookies.get(COOKIE))
    response = RedirectResponse("/console", status_code=303)
    clear_cookie(response, request, COOKIE)
    return response


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, staff: StaffDep) -> Response:
    """What this role can do here."""
    return render(request, "staff/home.html")
