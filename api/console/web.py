"""What every console page shares: templates, Chinese labels and times, security headers,
and the Chinese error page.

Invariants:
- Templates autoescape; no page has an inline script or style: the Content-Security-Policy
  (``CSP``) on every HTML response forbids them, and every asset is served from ``/static``.
- Times a person reads are China Standard Time (``2026年11月20日 09:30``); labels come from
  the one catalogue, ``domain.values.LABELS_ZH``.
- The API's placeholders for personal data not shown (``[withheld]``, ``[erased]``,
  ``[sealed]``, ``api.personal``) read in Chinese wherever a page prints a value
  (``PLACEHOLDERS_ZH``, the templates' ``finalize``); the API's answers keep them as they are.
- An error on a console page (``/``, ``/console...``, or any page a browser asks for as HTML
  outside the API) is the Chinese error page with the problem's status; the API keeps
  answering problem+json (``api.problems.answer_problem``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.personal import ERASED, SEALED, WITHHELD
from api.problems import NO_RESOURCE
from domain.values import (
    CHINA_STANDARD_TIME,
    LABELS_ZH,
    ErrorCode,
    event_type_of,
)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
"""The Content-Security-Policy of every HTML response: nothing inline, nothing foreign."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_API_PATHS = ("/v1", "/openapi.json", "/problems/", "/healthz", "/readyz", "/metrics", "/static/")
_LABELS_BY_NAME: Mapping[str, Mapping[str, str]] = {
    enum.__name__: labels for enum, labels in LABELS_ZH.items()
}


def cst(value: datetime | str | None, *, with_time: bool = True) -> str:
    """An instant as a person in China reads it: ``2026年11月20日 09:30`` (China Standard Time)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return _cst_text(value, with_time)
    return _cst(value, with_time)


@lru_cache(maxsize=8192)
def _cst_text(value: str, with_time: bool) -> str:
    return _cst(value, with_time)


def _cst(value: datetime | str, with_time: bool) -> str:
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        value = instant
    if value.tzinfo is None:
        return value.strftime("%Y年%m月%d日 %H:%M") if with_time else cst_date(value.date())
    local = value.astimezone(CHINA_STANDARD_TIME)
    text = f"{local.year}年{local.month:02d}月{local.day:02d}日"
    return f"{text} {local.hour:02d}:{local.minute:02d}" if with_time else text


def cst_date(value: date | str | None) -> str:
    """A calendar date (already China Standard Time): ``2026年11月20日``."""
    if value is None or value == "":
        return "—"
    return _cst_date(value)


@lru_cache(maxsize=8192)
def _cst_date(value: date | str) -> str:
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
        value = day
    if isinstance(value, datetime):
        return cst(value, with_time=False)
    return f"{value.year}年{value.month:02d}月{value.day:02d}日"


def zh(value: object, value_set: str) -> str:
    """The Chinese label of a value of a value set named by its class (``ComplaintStatus``);
    the value itself where the catalogue has none (never an error on a page)."""
    if value is None or value == "":
        return "—"
    key = value.value if isinstance(value, StrEnum) else str(value)
    return _LABELS_BY_NAME.get(value_set, {}).get(key, key)


_STATE_SETS = (
    "AuxiliaryStatus",
    "ComplaintStatus",
    "SanctionStatus",
    "CredentialStatus",
    "ReferralOutcome",
    "MessageStatus",
)
"""The value sets a refused command's state (``InvalidTransitionError.from_status``) is
looked up in, in this order."""

_STATES_ZH: Mapping[str, str] = {
    "without a supervisor": "未指定带辅民警",
    "decided": "已作出处理决定",
    "held": "存在法律保全",
    "released": "已解除",
    "under a quota": "已核定员额",
    "without a quota": "尚未核定员额",
}
"""The states the domain names in words rather than by a value set."""


def state_zh(state: str) -> str | None:
    """The Chinese name of the state a command was refused in (``appeal pending`` is the
    appeal's 申诉中), or None if it has none: the page then names no state."""
    if state in _STATES_ZH:
        return _STATES_ZH[state]
    if state.startswith("appeal "):
        return _LABELS_BY_NAME.get("AppealStatus", {}).get(state.removeprefix("appeal "))
    for value_set in _STATE_SETS:
        label = _LABELS_BY_NAME.get(value_set, {}).get(state)
        if label is not None:
            return label
    return None


@lru_cache(maxsize=512)
def event_label(qualname: str) -> str:
    """The Chinese label of an event by its class's qualified name (``Auxiliary.Hired``)."""
    kind = event_type_of(qualname)
    return kind.label_zh if kind is not None else qualname


def error_label(code: str) -> str:
    """The Chinese title of a problem code."""
    try:
        return ErrorCode(code).label_zh
    except ValueError:
        return "请求未能完成"


PLACEHOLDERS_ZH: Mapping[str, str] = {
    WITHHELD: "（已按角色隐去）",
    ERASED: "（个人信息已删除）",
    SEALED: "（个人信息未解密）",
}
"""How a page shows the API's placeholders for personal data it does not show."""


def shown(value: Any) -> Any:
    """A value as a page prints it: the API's placeholders in Chinese, all else unchanged."""
    if isinstance(value, str) and "[" in value:
        for placeholder, text in PLACEHOLDERS_ZH.items():
            value = value.replace(placeholder, text)
    return value


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(("html", "xml", "svg")),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,
    )
    env.filters.update(
        cst=cst,
        cst_date=cst_date,
        zh=zh,
        event_label=event_label,
        error_label=error_label,
        state_zh=state_zh,
    )
    return env


ENVIRONMENT = _environment()


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page from a template; ``request`` and the page's own context are in scope."""
    page = ENVIRONMENT.get_template(template).render(
        {"request": request, **getattr(request.state, "page", {}), **(context or {})}
    )
    response = HTMLResponse(page, status_code=status_code, headers=dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"
    return response


def wants_page(request: Request) -> bool:
    """True if an error of this request is shown as the Chinese page, not problem+json."""
    path = request.url.path
    if path == "/" or staff_path(path):
        return True
    if any(path == p or path.startswith(p if p.endswith("/") else p + "/") for p in _API_PATHS):
        return False
    return "text/html" in request.headers.get("accept", "")


def staff_path(path: str) -> bool:
    """Whether ``path`` is a staff page's (the console's, under ``/console``)."""
    return path == "/console" or path.startswith("/console/")


def html_problem(request: Request, code: str, detail: str) -> Response | None:
    """The Chinese error page for a console request (``api.problems.answer_problem``).

    The page shows the Chinese title and, for a refused command, what was refused; the
    request id lets an administrator find the log line. The detail is the problem's, which
    never holds personal data (api.problems), shown as a technical note -- but not for a
    path no route serves, which the Chinese says whole. A staff page links to the staff home,
    a public one to the public pages, never to the other."""
    if not wants_page(request):
        return None
    state = request.scope.get("state") or {}
    return render(
        request,
        "error.html",
        {
            "code": code,
            "title": error_label(code),
            "detail": None if detail == NO_RESOURCE else detail,
            "request_id": state.get("request_id"),
            "staff_page": staff_path(request.url.path),
        },
    )


class SecurityHeadersMiddleware:
    """Adds the CSP and its companions to every HTML response (pure ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; mark HTML answers on their way out."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    for name, value in SECURITY_HEADERS.items():
                        headers.setdefault(name, value)  # /redoc sets its own CSP
            await send(message)

        await self.app(scope, receive, send_marked)
