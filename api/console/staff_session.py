"""Console sessions: server-side, behind an HttpOnly SameSite=Strict cookie.

Invariants:
- The cookie holds only a random session id; the server keeps the SHA-256 of that id with
  the token's id and hash (never the token's secret), the CSRF token and the last use. Every
  request asks again whether the token is usable (``api.deps.actor_of_token``), so a revoked
  or expired token ends its sessions at once.
- A session unused for ``idle_seconds`` has ended; signing out ends it at once; a session
  lives at most ``MAX_SECONDS`` whatever its use.
- Every form carries the session's CSRF token; a POST whose token is missing or differs is
  refused before anything else happens (``check_csrf``). The sign-in form, before there is a
  session, carries an HMAC of a nonce kept in its own SameSite=Strict cookie.
- Sessions live in the serving process (``auxledger serve --workers 1``, the default of
  ``scripts/run``); with several workers a session is known only to the worker that
  created it (docs/api.md says so); on any other worker it is an ended session (the
  "sign in again" page, 401 ``session_expired``), never an error.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from api.problems import ApiProblem

COOKIE = "auxledger_session"
SIGNIN_COOKIE = "auxledger_signin"
MAX_SECONDS = 12 * 3600.0
REASON_SECONDS = 3600.0
"""How long a reason given for a dossier covers that dossier's pages (one visit)."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ConsoleSession:
    """One signed-in person's session."""

    token_id: UUID
    token_hash: str
    csrf: str
    created: float
    last_seen: float
    reasons: dict[str, tuple[str, float]] = field(default_factory=dict)

    def reason_for(self, record_id: str, now: float) -> str | None:
        """The reason given for this record during this visit, if still current."""
        found = self.reasons.get(record_id)
        if found is None or now - found[1] > REASON_SECONDS:
            return None
        return found[0]


class SessionStore:
    """The sessions of this process."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._sessions: dict[str, ConsoleSession] = {}
        self._lock = threading.Lock()

    def create(self, token_id: UUID, token_hash: str) -> tuple[str, ConsoleSession]:
        """A new session: its cookie value and the session."""
        secret = secrets.token_urlsafe(32)
        now = time.monotonic()
        session = ConsoleSession(
            token_id=token_id,
            token_hash=token_hash,
            csrf=secrets.token_urlsafe(32),
            created=now,
            last_seen=now,
        )
        with self._lock:
            self._sweep(now)
            self._sessions[_digest(secret)] = session
        return secret, session

    def get(self, secret: str | None) -> ConsoleSession | None:
        """The live session of a cookie value (its last use moved to now), or None."""
        if not secret or len(secret) > 100:
            return None
        key = _digest(secret)
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now - session.last_seen > self.idle_seconds or now - session.created > MAX_SECONDS:
                del self._sessions[key]
                return None
            session.last_seen = now
            return session

    def end(self, secret: str | None) -> None:
        """Sign out: the session is gone."""
        if secret:
            with self._lock:
                self._sessions.pop(_digest(secret), None)

    def end_token(self, token_id: UUID) -> None:
        """End every session of a token."""
        with self._lock:
            for key in [k for k, s in self._sessions.items() if s.token_id == token_id]:
                del self._sessions[key]

    def _sweep(self, now: float) -> None:
        stale = [
            k
            for k, s in self._sessions.items()
            if now - s.last_seen > self.idle_seconds or now - s.created > MAX_SECONDS
        ]
        for key in stale:
            del self._sessions[key]


def secure(request: Request) -> bool:
    """True when the page was served over HTTPS (the cookie is then ``Secure``)."""
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    """A session cookie: HttpOnly, SameSite=Strict, path /, Secure under HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    """Remove a cookie from the browser."""
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=secure(request))


def signin_csrf(server_secret: bytes, nonce: str) -> str:
    """The sign-in form's CSRF token for the nonce in its cookie."""
    return hmac.new(server_secret, b"console-signin\n" + nonce.encode(), "sha256").hexdigest()


def check_csrf(expected: str | None, sent: str | None) -> None:
    """Refuse (403 ``csrf``) unless the form's token equals the session's."""
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise ApiProblem(
            "csrf", "the form's CSRF token is missing or does not belong to this session"
        )
