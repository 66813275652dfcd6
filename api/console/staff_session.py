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
- Sessions live in the serving server: ``auxledger serve --workers N`` keeps them in a
  small SQLite file in its private shared folder (``SESSIONS_ENV``, beside the metrics), so
  every worker knows every session, and they end with the server; one process without that
  file keeps them in a private in-memory database. A session a server does not know (another
  host, a restart) is an ended session (the "sign in again" page, 401 ``session_expired``),
  never an error. Times are ``time.monotonic()``: one clock for every process of the host.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
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


SESSIONS_ENV = "AUXLEDGER_SERVE_CONSOLE_SESSIONS"
"""The sessions file ``serve`` makes for its workers (unset: each process its own sessions)."""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS console_session (key TEXT PRIMARY KEY, token_id TEXT NOT NULL, "
    "token_hash TEXT NOT NULL, csrf TEXT NOT NULL, created REAL NOT NULL, last_seen REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS console_reason (key TEXT NOT NULL REFERENCES console_session "
    "ON DELETE CASCADE, record TEXT NOT NULL, reason TEXT NOT NULL, given REAL NOT NULL, "
    "PRIMARY KEY (key, record))",
)


_DELETES = {
    "key": "DELETE FROM console_session WHERE key = ?",
    "token": "DELETE FROM console_session WHERE token_id = ?",
    "stale": "DELETE FROM console_session WHERE ? - last_seen > ? OR ? - created > ?",
}


def create_sessions_file(path: Path) -> None:
    """The shared sessions file (the serving process, before its workers start)."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        for statement in _SCHEMA:
            db.execute(statement)
        db.commit()


@dataclass
class ConsoleSession:
    """One signed-in person's session, as its store had it when the request began."""

    token_id: UUID
    token_hash: str
    csrf: str
    created: float
    last_seen: float
    reasons: dict[str, tuple[str, float]] = field(default_factory=dict)
    store: SessionStore | None = field(default=None, repr=False, compare=False)
    key: str = field(default="", repr=False)

    def reason_for(self, record_id: str, now: float) -> str | None:
        """The reason given for this record during this visit, if still current."""
        found = self.reasons.get(record_id)
        if found is None or now - found[1] > REASON_SECONDS:
            return None
        return found[0]

    def keep_reason(self, record_id: str, reason: str) -> None:
        """Keep ``reason`` for this record for the rest of the visit (every worker sees it)."""
        given = time.monotonic()
        self.reasons[record_id] = (reason, given)
        if self.store is not None:
            self.store.keep_reason(self.key, record_id, reason, given)


class SessionStore:
    """The console's sessions: in the file ``serve`` shares among its workers, or in a
    private in-memory database. Only SHA-256 digests of the cookies' session ids are kept."""

    def __init__(self, idle_seconds: float, path: str | Path | None = None) -> None:
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        # One connection per store, used under the lock (requests run on a thread pool).
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path),
            timeout=5.0,
            isolation_level=None,
            check_same_thread=False,
        )
        self._db.execute("PRAGMA foreign_keys = ON")
        if path is None:
            for statement in _SCHEMA:
                self._db.execute(statement)
        else:
            # Sessions end with the server: a write lost in a crash costs a sign-in, no more.
            self._db.execute("PRAGMA synchronous = OFF")

    def create(self, token_id: UUID, token_hash: str) -> tuple[str, ConsoleSession]:
        """A new session: its cookie value and the session."""
        secret = secrets.token_urlsafe(32)
        now = time.monotonic()
        key = _digest(secret)
        session = ConsoleSession(
            token_id=token_id,
            token_hash=token_hash,
            csrf=secrets.token_urlsafe(32),
            created=now,
            last_seen=now,
            store=self,
            key=key,
        )
        with self._lock:
            self._sweep(now)
            self._db.execute(
                "INSERT INTO console_session VALUES (?, ?, ?, ?, ?, ?)",
                (key, str(token_id), token_hash, session.csrf, now, now),
            )
        return secret, session

    def get(self, secret: str | None) -> ConsoleSession | None:
        """The live session of a cookie value (its last use moved to now), or None."""
        if not secret or len(secret) > 100:
            return None
        key = _digest(secret)
        now = time.monotonic()
        with self._lock:
            row = self._db.execute(
                "SELECT token_id, token_hash, csrf, created, last_seen FROM console_session "
                "WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            token_id, token_hash, csrf, created, last_seen = row
            if now - last_seen > self.idle_seconds or now - created > MAX_SECONDS:
                self._delete("key", key)
                return None
            self._db.execute("UPDATE console_session SET last_seen = ? WHERE key = ?", (now, key))
            reasons = {
                record: (reason, given)
                for record, reason, given in self._db.execute(
                    "SELECT record, reason, given FROM console_reason WHERE key = ?", (key,)
                )
            }
        return ConsoleSession(
            token_id=UUID(token_id),
            token_hash=token_hash,
            csrf=csrf,
            created=created,
            last_seen=now,
            reasons=reasons,
            store=self,
            key=key,
        )

    def keep_reason(self, key: str, record_id: str, reason: str, given: float) -> None:
        """Keep a session's reason for one record (replacing an earlier one)."""
        with self._lock:
            self._db.execute(
                "INSERT INTO console_reason VALUES (?, ?, ?, ?) ON CONFLICT (key, record) "
                "DO UPDATE SET reason = excluded.reason, given = excluded.given",
                (key, record_id, reason, given),
            )

    def end(self, secret: str | None) -> None:
        """Sign out: the session is gone."""
        if secret:
            with self._lock:
                self._delete("key", _digest(secret))

    def end_token(self, token_id: UUID) -> None:
        """End every session of a token."""
        with self._lock:
            self._delete("token", str(token_id))

    def _sweep(self, now: float) -> None:
        self._delete("stale", now, self.idle_seconds, now, MAX_SECONDS)

    def _delete(self, condition: str, *params: object) -> None:
        """Delete the sessions ``condition`` names (their reasons go with them: cascade)."""
        self._db.execute(_DELETES[condition], params)


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
