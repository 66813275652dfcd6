"""Read-your-writes with a read replica (pure ASGI): positions out after writes, in on reads.

Only when ``AUXLEDGER_READ_DATABASE_URL`` names a replica; without one this middleware
passes every request through untouched.

Invariants:
- A write request (POST, PUT, PATCH, DELETE) with a token (``Authorization``) or in the
  staff console (``/console/...``) answered below 400 carries ``X-Auxledger-Position: N``,
  the ledger's log head read on the primary after the handler ran: a position at or after
  the request's own events. A console form answered with a 303 also sets the cookie
  ``auxledger_read_after=N`` (30 s, HttpOnly, SameSite=Strict, Secure under HTTPS), so the
  page it redirects to is read after the write. An anonymous write (the public intake, the
  public pages' forms) is told nothing: the log's size is for staff.
- A request that carries ``X-Auxledger-Read-After: N`` (or that cookie) is served under
  ``projections.replica.read_after(N)``: its read-model queries go to the replica once the
  replica's read models reached ``N`` (waiting at most ``AUXLEDGER_READ_AFTER_WAIT_SECONDS``),
  else to the primary. Anything other than a decimal position of at most 18 digits is
  ignored (the request is then a plain read).
- Failing to read the head never fails the write: the header is then left out.
"""

from __future__ import annotations

import logging
import re
from http.cookies import SimpleCookie

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from api.runtime import Runtime, call_within
from projections.replica import read_after

POSITION_HEADER = "X-Auxledger-Position"
READ_AFTER_HEADER = "X-Auxledger-Read-After"
READ_AFTER_COOKIE = "auxledger_read_after"
COOKIE_SECONDS = 30
HEAD_DEADLINE = 2.0
"""Seconds reading the head after a write may take before the header is left out."""

_POSITION = re.compile(r"^[0-9]{1,18}$")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

log = logging.getLogger("auxledger.api")


def requested_position(headers: Headers) -> int | None:
    """The position a request asks its reads to see (header first, then the cookie)."""
    raw = headers.get(READ_AFTER_HEADER)
    if raw is None and READ_AFTER_COOKIE in headers.get("cookie", ""):
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:
            return None
        morsel = cookie.get(READ_AFTER_COOKIE)
        raw = morsel.value if morsel is not None else None
    if raw is None or not _POSITION.match(raw.strip()):
        return None
    return int(raw.strip())


class ReadAfterMiddleware:
    """Positions after writes; reads that need them routed (``projections.replica``)."""

    def __init__(self, app: ASGIApp, *, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.runtime.settings.ledger.read_database is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        console = scope["path"].startswith("/console/")
        # The log head is for staff: an anonymous write (the public intake) is not told it.
        writing = scope["method"] in _WRITES and (console or "authorization" in headers)
        https = scope.get("scheme") == "https"

        async def send_position(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                position = await self._head()
                if position is not None:
                    headers = MutableHeaders(scope=message)
                    headers.append(POSITION_HEADER, str(position))
                    if console and message["status"] == 303:
                        secure = "; Secure" if https else ""
                        headers.append(
                            "Set-Cookie",
                            f"{READ_AFTER_COOKIE}={position}; Max-Age={COOKIE_SECONDS}; "
                            f"Path=/; HttpOnly; SameSite=Strict{secure}",
                        )
            await send(message)

        with read_after(requested_position(headers)):
            await self.app(scope, receive, send_position if writing else send)

    async def _head(self) -> int | None:
        try:
            return await call_within(HEAD_DEADLINE, self.runtime.write_position)
        except Exception as e:
            log.warning(
                "no position after a write (%s)",
                type(e).__name__,
                extra={"event": "read_after", "error": type(e).__name__},
            )
            return None
