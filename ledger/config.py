"""Settings from the environment, validated once at start-up.

Invariants:
- A setting that is present but invalid raises ``ConfigurationError`` naming the setting;
  nothing falls back silently to a default when a value was given.
- Building settings opens no connection and reads no key (no import-time wiring either).
- The eventsourcing environment is derived only from these settings, never from stray
  ``PERSISTENCE_MODULE`` / ``POSTGRES_*`` variables in the process environment.
- No other module reads an ``AUXLEDGER_*`` setting from ``os.environ``; the master key given
  in ``AUXLEDGER_MASTER_KEY`` is read and checked here, and never appears in a repr or an
  error message.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from psycopg.conninfo import make_conninfo

from ledger.cosignature import CosignatureError, CosignerKey, parse_cosigner_vkey
from ledger.errors import ConfigurationError

DATABASE_URL = "AUXLEDGER_DATABASE_URL"
READ_DATABASE_URL = "AUXLEDGER_READ_DATABASE_URL"
KEY_DIR = "AUXLEDGER_KEY_DIR"
WITNESS_DIR = "AUXLEDGER_WITNESS_DIR"
LOG_ORIGIN = "AUXLEDGER_LOG_ORIGIN"
WITNESSES = "AUXLEDGER_WITNESSES"
CONNECT_TIMEOUT = "AUXLEDGER_DATABASE_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT = "AUXLEDGER_DATABASE_STATEMENT_TIMEOUT"
MASTER_KEY = "AUXLEDGER_MASTER_KEY"
AGGREGATE_CACHE_SIZE = "AUXLEDGER_AGGREGATE_CACHE_SIZE"

DEFAULT_DATABASE_URL = "sqlite:///var/auxledger.sqlite"
DEFAULT_KEY_DIR = "var/keys"
DEFAULT_WITNESS_DIR = "var/witness"
DEFAULT_LOG_ORIGIN = "auxledger.local/ledger"

APPLICATION_NAME = "AuxLedger"

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_ORIGIN = re.compile(r"^[^\s+\x00-\x1f\x7f]{1,255}$")


@dataclass(frozen=True)
class Database:
    """Where events are kept: a SQLite file or a PostgreSQL database (and schema)."""

    backend: str  # "sqlite" or "postgres"
    sqlite_path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = field(default="", repr=False)
    dbname: str = ""
    schema: str = "public"

    @property
    def is_postgres(self) -> bool:
        """True for PostgreSQL."""
        return self.backend == "postgres"

    def describe(self) -> str:
        """A printable location without the password."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return (
            f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname} (schema {self.schema})"
        )

    def conninfo(self) -> str:
        """A libpq connection string for PostgreSQL."""
        return make_conninfo(
            host=self.host,
            port=str(self.port),
            user=self.user,
            password=self.password,
            dbname=self.dbname,
        )


def parse_database_url(url: str, *, setting: str = DATABASE_URL) -> Database:
    """Parse ``sqlite:///<path>`` or ``postgresql://user[:pw]@host[:port]/db[?schema=s]``."""
    if url.startswith("sqlite:///"):
        raw = url[len("sqlite:///") :]
        if not raw or raw.endswith("/"):
            raise ConfigurationError(setting, "a sqlite URL needs a file path: sqlite:///<path>")
        if "?" in raw or raw.startswith(":memory:"):
            raise ConfigurationError(setting, "the ledger needs a SQLite file, not a memory db")
        return Database(backend="sqlite", sqlite_path=Path(raw))
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL": an unclosed '['
        raise ConfigurationError(setting, "is not a well-formed URL") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(
            setting, "expected sqlite:///<path> or postgresql://user@host[:port]/dbname"
        )
    try:
        given = parts.port  # None when the URL names none
    except ValueError:
        given = 0
    if given == 0:  # never silently read as "the default port"
        raise ConfigurationError(setting, "the port is not a number between 1 and 65535")
    port = given or 5432
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname:
        raise ConfigurationError(setting, "a postgresql URL needs a host")
    if not dbname or "/" in dbname:
        raise ConfigurationError(setting, "a postgresql URL needs one database name")
    if not parts.username:
        raise ConfigurationError(setting, "a postgresql URL needs a user name")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"schema"}
    if unknown:
        raise ConfigurationError(setting, f"unknown URL parameter {sorted(unknown)[0]!r}")
    schema = query.get("schema", ["public"])[-1]
    if not _SCHEMA_NAME.match(schema):
        raise ConfigurationError(setting, "schema must be a lower-case SQL identifier")
    return Database(
        backend="postgres",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        dbname=dbname,
        schema=schema,
    )


@dataclass(frozen=True)
class WitnessEndpoint:
    """A configured witness: its cosigner key and its submission URL."""

    key: CosignerKey
    url: str

    @property
    def name(self) -> str:
        """The witness's key name."""
        return self.key.name


def parse_witnesses(value: str, *, setting: str = WITNESSES) -> tuple[WitnessEndpoint, ...]:
    """Parse ``<vkey> <url>`` pairs; ``ConfigurationError`` naming the setting otherwise."""
    tokens = [t for t in re.split(r"[\s,]+", value.strip()) if t]
    if len(tokens) % 2:
        raise ConfigurationError(setting, "expected pairs of '<witness vkey> <URL>'")
    found: list[WitnessEndpoint] = []
    for number, index in enumerate(range(0, len(tokens), 2), start=1):
        vkey, url = tokens[index], tokens[index + 1]
        try:
            key = parse_cosigner_vkey(vkey)
        except CosignatureError as e:
            raise ConfigurationError(setting, f"witness {number}: {e}") from None
        try:
            parts = urlsplit(url)
            _ = parts.port  # ValueError for a port out of range
        except ValueError:
            raise ConfigurationError(setting, f"witness {number}: not a well-formed URL") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(setting, f"witness {number}: the URL must be http(s)://host")
        if any(w.key.key_id == key.key_id and w.name == key.name for w in found):
            raise ConfigurationError(setting, f"witness {number}: the same key twice")
        found.append(WitnessEndpoint(key=key, url=url.rstrip("/")))
    return tuple(found)


@dataclass(frozen=True)
class Settings:
    """Everything the ledger needs to know about where things are."""

    database: Database
    key_dir: Path
    witness_dir: Path
    log_origin: str
    witnesses: tuple[WitnessEndpoint, ...] = ()
    """Independent witnesses the log submits its checkpoints to (``AUXLEDGER_WITNESSES``)."""
    connect_timeout: int = 2
    """PostgreSQL: seconds one connection attempt may take (libpq ``connect_timeout``; 2 at
    least). A refused connection fails at once whatever this is."""
    statement_timeout: float = 30.0
    """PostgreSQL: seconds one SQL statement may run (``statement_timeout``, in whole
    milliseconds; 0: no limit; 0 < t < 0.001 is refused)."""
    master_key: bytes | None = field(default=None, repr=False)
    """The personal-data master key given in ``AUXLEDGER_MASTER_KEY`` (32 bytes), or None: then
    ``KEY_DIR/master.key`` (``ledger.privacy.KeyMaterial``). Never shown in a repr."""
    read_database: Database | None = None
    """A PostgreSQL streaming replica of ``database`` that serves the API's queries
    (``AUXLEDGER_READ_DATABASE_URL``); None: every read goes to ``database``."""
    aggregate_cache_size: int = 5000
    """How many records (auxiliaries, complaints, organs...) a process keeps loaded between
    commands (``AUXLEDGER_AGGREGATE_CACHE_SIZE``). A record not kept is read again, every
    event checked, on its next command: a bulk load that touches more records than this in
    turn (the demo at 100,000 officers) reads each one's history again and again."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the ``AUXLEDGER_*`` settings (``os.environ`` by default)."""
        env = os.environ if environ is None else environ
        database = parse_database_url(env.get(DATABASE_URL) or DEFAULT_DATABASE_URL)
        key_dir = _path_setting(env, KEY_DIR, DEFAULT_KEY_DIR)
        witness_dir = _path_setting(env, WITNESS_DIR, DEFAULT_WITNESS_DIR)
        origin = env.get(LOG_ORIGIN) or DEFAULT_LOG_ORIGIN
        if not _ORIGIN.match(origin):
            raise ConfigurationError(
                LOG_ORIGIN, "must be 1-255 printable characters without spaces or '+'"
            )
        return cls(
            database=database,
            key_dir=key_dir,
            witness_dir=witness_dir,
            log_origin=origin,
            witnesses=parse_witnesses(env.get(WITNESSES) or ""),
            connect_timeout=int(_seconds(env, CONNECT_TIMEOUT, 2, low=2, high=60, whole=True)),
            statement_timeout=_statement_timeout(env),
            master_key=_master_key(env),
            read_database=_read_database(env, database),
            aggregate_cache_size=_whole(env, AGGREGATE_CACHE_SIZE, 5000, low=1, high=10_000_000),
        )

    def eventsourcing_env(self) -> dict[str, str]:
        """The environment handed to the eventsourcing Application and its factory."""
        env: dict[str, str] = {
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
            "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
        }
        db = self.database
        if db.backend == "sqlite":
            assert db.sqlite_path is not None
            env["PERSISTENCE_MODULE"] = "ledger.persistence:SQLiteLedgerFactory"
            env["SQLITE_DBNAME"] = str(db.sqlite_path)
            env["SQLITE_LOCK_TIMEOUT"] = "30"
        else:
            env["PERSISTENCE_MODULE"] = "ledger.persistence:PostgresLedgerFactory"
            env["POSTGRES_DBNAME"] = db.dbname
            env["POSTGRES_HOST"] = db.host
            env["POSTGRES_PORT"] = str(db.port)
            env["POSTGRES_USER"] = db.user
            env["POSTGRES_PASSWORD"] = db.password
            env["POSTGRES_SCHEMA"] = db.schema
            env["POSTGRES_CONNECT_TIMEOUT"] = "5"
            env["POSTGRES_POOL_SIZE"] = "1"
            env["POSTGRES_MAX_OVERFLOW"] = "9"
            env["POSTGRES_LOCK_TIMEOUT"] = "30"
            env["POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"] = "30"
            env["AUXLEDGER_POSTGRES_CONNECT_TIMEOUT"] = str(self.connect_timeout)
            env["AUXLEDGER_POSTGRES_STATEMENT_TIMEOUT"] = repr(self.statement_timeout)
        return env


def _seconds(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    low: float,
    high: float,
    whole: bool = False,
) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(name, "is not a number of seconds") from None
    if not math.isfinite(value):  # nan, inf, 1e400: refused before int() would raise
        raise ConfigurationError(name, f"must be between {low:g} and {high:g} seconds")
    if whole and value != int(value):
        raise ConfigurationError(name, "must be a whole number of seconds")
    if not low <= value <= high:
        raise ConfigurationError(name, f"must be between {low:g} and {high:g} seconds")
    return value


def _statement_timeout(env: Mapping[str, str]) -> float:
    """``AUXLEDGER_DATABASE_STATEMENT_TIMEOUT``: 0 (no limit) or 1 ms to a day. PostgreSQL
    counts whole milliseconds and reads 0 as no limit, so a value under 1 ms is refused
    rather than silently becoming no limit at all."""
    value = _seconds(env, STATEMENT_TIMEOUT, 30.0, low=0, high=86_400)
    if 0 < value < 0.001:
        raise ConfigurationError(
            STATEMENT_TIMEOUT, "must be 0 (no limit) or at least 0.001 seconds"
        )
    return value


def _whole(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]+", raw) or not low <= int(raw) <= high:
        raise ConfigurationError(name, f"must be a whole number from {low:,} to {high:,}")
    return int(raw)


def _master_key(env: Mapping[str, str]) -> bytes | None:
    """The master key in ``AUXLEDGER_MASTER_KEY`` (base64 of 32 bytes); the errors never
    quote the value."""
    value = env.get(MASTER_KEY)
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(MASTER_KEY, "is not valid base64") from None
    if len(raw) != 32:
        raise ConfigurationError(MASTER_KEY, "must decode to 32 bytes")
    return raw


def _read_database(env: Mapping[str, str], database: Database) -> Database | None:
    """``AUXLEDGER_READ_DATABASE_URL``: a PostgreSQL replica of a PostgreSQL ledger, or None."""
    raw = (env.get(READ_DATABASE_URL) or "").strip()
    if not raw:
        return None
    if not database.is_postgres:
        raise ConfigurationError(
            READ_DATABASE_URL, "a read replica needs a PostgreSQL ledger; unset it for SQLite"
        )
    replica = parse_database_url(raw, setting=READ_DATABASE_URL)
    if not replica.is_postgres:
        raise ConfigurationError(
            READ_DATABASE_URL, "must be a postgresql:// URL of a streaming replica, not SQLite"
        )
    if "schema" not in parse_qs(urlsplit(raw).query):
        return replace(replica, schema=database.schema)  # a replica holds the same schemas
    if replica.schema != database.schema:
        raise ConfigurationError(
            READ_DATABASE_URL, f"the schema must be the ledger's own ({database.schema})"
        )
    return replica


def _path_setting(env: Mapping[str, str], name: str, default: str) -> Path:
    value = env.get(name)
    if value is None or value == "":
        return Path(default)
    if "\x00" in value:
        raise ConfigurationError(name, "contains a NUL character")
    return Path(value)
