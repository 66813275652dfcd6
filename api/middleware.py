"""The edge middleware (pure ASGI): request ids, body limits, content type, logs and metrics.

Invariants:
- Every response carries ``X-Request-ID`` (the caller's, if it is a short safe token, else a
  fresh one); the same id is in the log line and in every problem body.
- A body larger than ``max_body_bytes`` is refused with 413 before the app reads it (by
  ``Content-Length``) or as soon as the streamed bytes pass the limit; a request body that is
  not ``application/json`` (or ``+json``), or that is compressed (``Content-Encoding``), is
  refused with 415. None reaches a handler. The web console's forms (paths outside ``/v1``)
  may also send ``application/x-www-form-urlencoded``; the API never takes a form.
- One JSON log line per request: method, route template, status, duration, request id.
- ``HEAD`` is answered as ``GET`` with the same status and headers and no body.
- Every response carries ``Cache-Control: no-store`` unless the route set its own: answers
  hold personal data (records, reports, receipts, tracking pages), and no browser, proxy or
  shared cache may keep them. Nothing the API answers is worth the risk of telling apart.
- A worker of ``auxledger serve`` holding more than its share of the open connections answers
  with ``Connection: close`` (``api.balance``); nothing else about the response changes.
- An exception that escapes the app is logged by type only and answered with a 500 problem
  if no response has started.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from email.message import Message

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from api import balance
from api.metrics import Metrics
from api.problems import problem_response

log = logging.getLogger("auxledger.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_TOKEN = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]{1,32}$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(content_type: str | None, *, form_allowed: bool = False) -> bool:
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    if form_allowed and message.get_content_type() == "application/x-www-form-urlencoded":
        return True
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _is_api_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


class EdgeMiddleware:
    """Request id, body size and type checks, JSON access log and metrics."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request; pass anything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        offered = headers.get("x-request-id", "")
        request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        state = {"status": 500, "started": False}
        method = scope["method"]
        head = method == "HEAD"
        if head:
            # Answered as GET without the body (RFC 9110: HEAD wherever GET). A copy: the
            # server keeps its own scope, and knows not to send a HEAD response's body.
            scope = {**scope, "method": "GET"}

        async def send_with_id(message: AsgiMessage) -> None:
            if head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                response_headers = MutableHeaders(scope=message)
                response_headers["X-Request-ID"] = request_id
                if "cache-control" not in response_headers:
                    response_headers["Cache-Control"] = "no-store"
                if balance.over_share():
                    # This worker holds more than its share of connections: the client
                    # reconnects, to whichever worker accepts first (api.balance).
                    response_headers["Connection"] = "close"
            await send(message)

        refusal = self._refusal(method, headers, scope.get("path", ""))
        try:
            if refusal is not None:
                code, detail = refusal
                response = problem_response(request_id, code, detail)
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, self._limited(receive), send_with_id)
        except Exception as e:
            log.error(
                "unhandled error",
                extra={
                    "event": "unhandled_error",
                    "error": type(e).__name__,
                    "request_id": request_id,
                },
            )
            if not state["started"]:
                response = problem_response(request_id, "internal", "the server failed to answer")
                await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            status = int(state["status"])
            self.metrics.observe_request(method, template, status, elapsed)
            log.info(
                "request",
                extra={
                    "event": "request",
                    "request_id": request_id,
                    "method": method,
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )

    def _refusal(self, method: str, headers: Headers, path: str) -> tuple[str, str] | None:
        length = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if length is not None:
            if not length.isdigit():
                return "bad_request", "Content-Length is not a whole number"
            if int(length) > self.max_body_bytes:
                return (
                    "payload_too_large",
                    f"the body has {int(length)} bytes; the limit is {self.max_body_bytes}",
                )
        has_body = chunked or (length is not None and int(length) > 0)
        form_allowed = not _is_api_path(path)
        content_type = headers.get("content-type")
        if (
            has_body
            and method in _BODY_METHODS
            and not _is_json(content_type, form_allowed=form_allowed)
        ):
            return "unsupported_media_type", "send the request body as application/json"
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if has_body and encoding not in ("", "identity"):
            # The body would be parsed as it came: compressed bytes are not JSON.
            shown = encoding if _TOKEN.match(encoding) else "this content coding"
            return "unsupported_media_type", f"{shown} is not accepted: send the body uncompressed"
        return None

    def _limited(self, receive: Receive) -> Receive:
        limit = self.max_body_bytes
        seen = 0

        async def receive_limited() -> AsgiMessage:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(413, f"the body passed the limit of {limit} bytes")
            return message

        return receive_limited
