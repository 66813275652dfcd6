"""The HTTP API's settings: the ledger's settings plus the edge's own, read once in create_app.

Invariants:
- One settings object per app, built from the environment by ``ApiSettings.from_environ``
  (never at import time); every value present but invalid raises ``ConfigurationError``
  naming the variable.
- Outside development (``AUXLEDGER_ENV``), placeholder or short server secrets are refused
  at start (see ``api.server_secret``).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ledger.config import Settings
from ledger.errors import ConfigurationError

ENV = "AUXLEDGER_ENV"
MAX_BODY = "AUXLEDGER_API_MAX_BODY_BYTES"
INTAKE_RATE = "AUXLEDGER_API_INTAKE_PER_MINUTE"
INTAKE_BURST = "AUXLEDGER_API_INTAKE_BURST"
CHECKS_RATE = "AUXLEDGER_API_CHECKS_PER_MINUTE"
CHECKS_BURST = "AUXLEDGER_API_CHECKS_BURST"
TOKEN_CACHE = "AUXLEDGER_API_TOKEN_CACHE_SECONDS"  # noqa: S105 - a variable name
LEDGER_ORGAN = "AUXLEDGER_API_LEDGER_ORGAN"
TRUSTED_PROXIES = "AUXLEDGER_TRUSTED_PROXIES"
PROJECTION_MAX_LAG = "AUXLEDGER_PROJECTION_MAX_LAG"
PROJECTION_STALE_SECONDS = "AUXLEDGER_PROJECTION_STALE_SECONDS"
CONSOLE_IDLE = "AUXLEDGER_CONSOLE_IDLE_MINUTES"
READ_AFTER_WAIT = "AUXLEDGER_READ_AFTER_WAIT_SECONDS"
NOTIFY_ADAPTER = "AUXLEDGER_NOTIFY_ADAPTER"
ENVIRONMENTS = ("development", "production")
NOTIFY_ADAPTERS = ("log",)
"""The adapters of the outbox's delivery worker (``api.notifications.ADAPTERS``)."""


@dataclass(frozen=True)
class ReadinessLimits:
    """How far a projection may fall behind, and how old its leader's heartbeat may be."""

    max_lag: int = 1000
    """A projection further behind the log (in events) makes the service unready."""
    stale_seconds: float = 60.0
    """A projection whose leader's heartbeat (written every 10 s) is older has no live
    worker, and makes the service unready."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ReadinessLimits:
        """``AUXLEDGER_PROJECTION_MAX_LAG`` and ``AUXLEDGER_PROJECTION_STALE_SECONDS``."""
        env = os.environ if environ is None else environ
        return cls(
            max_lag=int(_number(env, PROJECTION_MAX_LAG, 1000, low=0, high=10**9)),
            stale_seconds=_number(env, PROJECTION_STALE_SECONDS, 60.0, low=15, high=86400),
        )


@dataclass(frozen=True)
class ApiSettings:
    """Everything ``create_app`` needs."""

    ledger: Settings
    environment: str = "production"
    max_body_bytes: int = 64 * 1024
    intake_per_minute: float = 6.0
    intake_burst: int = 10
    checks_per_minute: float = 30.0
    """Public work-ID checks (``/v1/credentials/{work_id}``) per client and minute."""
    checks_burst: int = 20
    token_cache_seconds: float = 2.0
    ledger_organ: str | None = None
    """The organ whose administrators may rotate and revoke the ledger's signing keys over
    HTTP; None: only ``auxledger keys`` on the server may (the keys sign for every organ)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses and networks of the reverse proxies whose ``X-Forwarded-For`` names the
    client (uvicorn's ``forwarded_allow_ips``); empty: the header is ignored, and the client
    is the peer of the connection."""
    readiness: ReadinessLimits = field(default_factory=ReadinessLimits)
    """When a projection makes ``/readyz`` (and ``projections check``) fail."""
    console_idle_seconds: float = 30 * 60.0
    """A console session unused this long has ended (sign in again)."""
    read_after_wait: float = 2.0
    """With a read replica (``AUXLEDGER_READ_DATABASE_URL``): how long a read that must see
    the caller's own write waits for the replica before it goes to the primary."""
    notify_adapter: str = "log"
    """How the delivery worker sends notifications to complainants (``NOTIFY_ADAPTERS``;
    ``log``: writes a log line of ids and records ``not_sent_log_only``, sends nothing)."""

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
            checks_per_minute=_number(env, CHECKS_RATE, 30.0, low=0.1, high=10_000_000),
            checks_burst=int(_number(env, CHECKS_BURST, 20, low=1, high=10_000_000)),
            token_cache_seconds=_number(env, TOKEN_CACHE, 2.0, low=0.0, high=60.0),
            ledger_organ=_organ_code(env, LEDGER_ORGAN),
            trusted_proxies=_networks(env, TRUSTED_PROXIES),
            readiness=ReadinessLimits.from_environ(env),
            console_idle_seconds=60.0 * _number(env, CONSOLE_IDLE, 30.0, low=1.0, high=24 * 60),
            read_after_wait=_number(env, READ_AFTER_WAIT, 2.0, low=0.0, high=10.0),
            notify_adapter=_choice(env, NOTIFY_ADAPTER, NOTIFY_ADAPTERS),
        )


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of IP addresses and CIDR networks, each in its canonical form."""
    raw = env.get(name) or ""
    found: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if item == "*":
            raise ConfigurationError(
                name,
                "name the proxies' addresses or networks: '*' would let every client "
                "choose the address it is limited by",
            )
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigurationError(
                name, "must be IP addresses or CIDR networks separated by commas"
            ) from None
        text = str(network.network_address) if network.num_addresses == 1 else str(network)
        if text not in found:
            found.append(text)
    return tuple(found)


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


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``; the first when the variable is unset or empty."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return choices[0]
    if raw not in choices:
        raise ConfigurationError(name, f"must be one of: {', '.join(choices)}")
    return raw
