"""The HTTP API's settings: the ledger's settings plus the edge's own, read once in create_app.

Invariants:
- One settings object per app, built from the environment by ``ApiSettings.from_environ``
  (never at import time); every value present but invalid raises ``ConfigurationError``
  naming the variable.
- Outside development (``AUXLEDGER_ENV``), placeholder or short server secrets are refused
  at start (see ``api.server_secret``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.config import Settings
from ledger.errors import ConfigurationError

ENV = "AUXLEDGER_ENV"
MAX_BODY = "AUXLEDGER_API_MAX_BODY_BYTES"
INTAKE_RATE = "AUXLEDGER_API_INTAKE_PER_MINUTE"
INTAKE_BURST = "AUXLEDGER_API_INTAKE_BURST"
TOKEN_CACHE = "AUXLEDGER_API_TOKEN_CACHE_SECONDS"  # noqa: S105 - a variable name
LEDGER_ORGAN = "AUXLEDGER_API_LEDGER_ORGAN"
CONSOLE_IDLE = "AUXLEDGER_CONSOLE_IDLE_MINUTES"
ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True)
class ApiSettings:
    """Everything ``create_app`` needs."""

    ledger: Settings
    environment: str = "production"
    max_body_bytes: int = 64 * 1024
    intake_per_minute: float = 6.0
    intake_burst: int = 10
    token_cache_seconds: float = 2.0
    ledger_organ: str | None = None
    """The organ whose administrators may rotate and revoke the ledger's signing keys over
    HTTP; None: only ``auxledger keys`` on the server may (the keys sign for every organ)."""
    console_idle_seconds: float = 30 * 60.0
    """A console session unused this long has ended (sign in again)."""

    @property
    def development(self) -> bool:
        """True when running as a developer's or demo server."""
        return self.environment == "development"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Read and validate the ``AUXLEDGER_*`` settings (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        environment = env.get(ENV) or "production"
        if environment not in ENVIRONMENTS:
            raise ConfigurationError(ENV, f"must be one of: {', '.join(ENVIRONMENTS)}")
        return cls(
            ledger=Settings.from_environ(env),
            environment=environment,
            max_body_bytes=int(_number(env, MAX_BODY, 64 * 1024, low=1024, high=16 * 2**20)),
            intake_per_minute=_number(env, INTAKE_RATE, 6.0, low=0.1, high=10_000_000),
            intake_burst=int(_number(env, INTAKE_BURST, 10, low=1, high=10_000_000)),
            token_cache_seconds=_number(env, TOKEN_CACHE, 2.0, low=0.0, high=60.0),
            ledger_organ=_organ_code(env, LEDGER_ORGAN),
            console_idle_seconds=60.0 * _number(env, CONSOLE_IDLE, 30.0, low=1.0, high=24 * 60),
        )


def _organ_code(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", raw):
        raise ConfigurationError(name, "must be an organ code")
    return raw


def _number(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(name, "is not a number") from None
    if not low <= value <= high:
        raise ConfigurationError(name, f"must be between {low:g} and {high:g}")
    return value
