"""API credentials and access records, kept as signed ledger records like every other fact.

``ApiToken`` is one aggregate per bearer token: ``Issued`` (role, organ, unit, expiry, the
token's SHA-256, a label, who issued it) and ``Revoked`` (reason, who revoked it).
``RecordAccess`` is one aggregate per read of a personal record: who (actor id, role, organ,
unit), what (record type and id, the personal fields shown in clear), why (the reason given,
if any) and when (the event's timestamp). Both are saved through the ledger application, so
they are signed, chained, logged and checkpointed in the same way as personnel records.

Invariants:
- A token is at least 256 random bits; it is returned once, at issue, and never stored: the
  ledger keeps only its SHA-256 (``token_hash``). The aggregate id is
  ``uuid5(TOKEN_NAMESPACE, token_hash)``, so a presented token is found by a primary-key
  read of its own hash, never by a scan.
- A token names one role of ``domain.values.Role`` that people act in (not ``public`` or
  ``system``), one organ, and a unit exactly when it acts for a unit; the ``unit`` role always
  names its unit. Its expiry lies in the future when issued and at most ``MAX_TOKEN_DAYS``
  ahead.
- A revoked or expired token authenticates nobody; revocation is final (revoking twice is
  refused, so the first reason stands).
- Revoking a token revokes, in the same transaction, every token it issued (over HTTP an
  admin token issues tokens: their ``issued_by`` is its id), and theirs in turn: a token is
  never worth more than the one that issued it. ``issuer_id`` names a token's issuing token.
- A token may name its holder, the official who uses it (issue 13): police number and name,
  sealed in the ``Issued`` event as that official's personal data, under the official's data
  subject ``holder_id`` = ``uuid5(OFFICIAL_NAMESPACE, blind index of the police number)``, so
  every token of one official shares one subject and one erasure; the token's actor carries
  ``holder_id`` (``Actor.holder``), so every event recorded with it names the holder by an
  opaque id, never by the data. A token without a holder (issued before, or without one)
  keeps working and names no holder.
- Oversight (issue 13): a token issued with ``oversight`` reads, never writes, the records of
  the organs below its own in the organ tree (``ledger.organ_tree``). Only an inspector,
  discipline or auditor token of an organ that has organs below it may have it
  (``OversightError`` otherwise, nothing recorded); every such read needs a reason and is
  recorded (``record_access`` refuses an oversight read without one). Tokens without it, and
  every personnel token, stay within their organ.
- Access records name personal fields, never their values; a reason, when given, is short
  text without control or format characters (bidi controls, zero-width characters), with at
  least one visible character: an inspector's reason of zero-width characters is no reason.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.checks import has_format_character, has_visible_character
from domain.organ import Organ
from domain.values import Actor, Role
from ledger.application import LedgerApplication
from ledger.errors import LedgerError, NotFoundError
from ledger.organ_tree import organs_below
from ledger.privacy import ERASED, SEALED

TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "urn:auxledger:api-token")
OFFICIAL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:auxledger:official")
TOKEN_PREFIX = "axl_"  # noqa: S105 - the public prefix of every token
TOKEN_BYTES = 32
MAX_TOKEN_DAYS = 366
DEFAULT_TOKEN_DAYS = 90
TOKEN_ROLES: tuple[str, ...] = tuple(r.value for r in Role if r not in (Role.public, Role.system))
ISSUED_TOPIC = "ledger.access:ApiToken.Issued"

_TOKEN_TEXT = re.compile(r"^axl_[A-Za-z0-9_-]{43}$")
_POLICE_NUMBER = re.compile(r"^[0-9A-Z]{4,12}$")
_HOLDER_NAME_MAX = 50
_LABEL_MAX = 200
_REASON_MAX = 500


class AccessError(LedgerError):
    """A token or access record cannot be issued or recorded as asked."""

    code = "access"


class ReasonRequiredError(AccessError):
    """An inspector read a personal record without saying why."""

    code = "reason_required"


class TokenAlreadyRevokedError(AccessError):
    """The token was revoked before; the first revocation stands."""

    code = "token_already_revoked"


class HolderError(AccessError):
    """A token's holder is not named as the ledger needs (police number and name)."""

    code = "token_holder"


class OversightError(AccessError):
    """A token may not have oversight scope as asked (role, or no organ below)."""

    code = "oversight"


OVERSIGHT_ROLES: tuple[str, ...] = (Role.inspector.value, Role.discipline.value, Role.auditor.value)
"""The roles whose tokens of a parent organ may read the organs below it (issue 13)."""


class ApiToken(Aggregate):
    """One bearer token's life: issued, then possibly revoked."""

    class Issued(Aggregate.Created):
        """A token was issued; only its SHA-256 is kept.

        ``holder_*`` name the official who holds it (all three, or none for a token without a
        named holder, as every token issued before holders existed); the police number and
        name are sealed under the official's data subject ``holder_id``.
        """

        role: str
        organ: str
        unit: str | None
        expires_at: datetime
        token_hash: str
        label: str
        issued_by: str
        holder_id: UUID | None = None
        holder_police_number: str | None = None
        holder_name: str | None = None
        oversight: bool = False

        personal_fields: ClassVar[tuple[str, ...]] = ("holder_police_number", "holder_name")
        personal_subject: ClassVar[str] = "holder_id"

    class Revoked(Aggregate.Event):
        """The token was revoked and authenticates nobody from now on."""

        reason: str
        revoked_by: str

        def apply(self, aggregate: Any) -> None:
            """Mark the token revoked."""
            aggregate.revoked_at = self.timestamp
            aggregate.revocation_reason = self.reason

    def __init__(
        self,
        role: str,
        organ: str,
        unit: str | None,
        expires_at: datetime,
        token_hash: str,
        label: str,
        issued_by: str,
        holder_id: UUID | None = None,
        holder_police_number: str | None = None,
        holder_name: str | None = None,
        oversight: bool = False,
    ) -> None:
        self.oversight = oversight
        self.role = role
        self.organ = organ
        self.unit = unit
        self.expires_at = expires_at
        self.token_hash = token_hash
        self.label = label
        self.issued_by = issued_by
        self.holder_id = holder_id
        self.holder_police_number = holder_police_number
        self.holder_name = holder_name
        self.revoked_at: datetime | None = None
        self.revocation_reason: str | None = None

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id!r}, role={self.role}, organ={self.organ})"

    def revoke(self, reason: str, revoked_by: str) -> None:
        """Revoke the token (final)."""
        if self.revoked_at is not None:
            raise TokenAlreadyRevokedError(f"token {self.id} is already revoked")
        self.trigger_event(
            self.Revoked, reason=_short_text("reason", reason, _REASON_MAX), revoked_by=revoked_by
        )

    @property
    def issuer_id(self) -> UUID | None:
        """The id of the token that issued this one, or None if a person issued it (CLI)."""
        try:
            return UUID(self.issued_by)
        except ValueError:
            return None

    def usable_at(self, now: datetime) -> bool:
        """True if the token authenticates at ``now``: not revoked and not expired."""
        return self.revoked_at is None and now < self.expires_at

    def actor(self) -> Actor:
        """The actor this token acts as (naming its holder, if it has one)."""
        return Actor(
            actor_id=str(self.id),
            role=self.role,
            organ=self.organ,
            unit=self.unit,
            holder=None if self.holder_id is None else str(self.holder_id),
        )

    @property
    def holder(self) -> Holder | None:
        """The official who holds the token as read here (None: no named holder)."""
        if self.holder_id is None:
            return None
        return Holder(
            official_id=self.holder_id,
            police_number=self.holder_police_number or "",
            name=self.holder_name or "",
        )


class RecordAccess(Aggregate):
    """One read of a personal record: who, what, when and why."""

    class Recorded(Aggregate.Created):
        """A personal record was read (``holder``: the reader token's holder, if named;
        absent from records made before holders existed)."""

        actor_id: str
        role: str
        organ: str
        unit: str | None
        record_type: str
        record_id: str
        fields: list[str]
        reason: str | None
        purpose: str
        holder: str | None = None

    def __init__(
        self,
        actor_id: str,
        role: str,
        organ: str,
        unit: str | None,
        record_type: str,
        record_id: str,
        fields: list[str],
        reason: str | None,
        purpose: str,
        holder: str | None = None,
    ) -> None:
        self.holder = holder
        self.actor_id = actor_id
        self.role = role
        self.organ = organ
        self.unit = unit
        self.record_type = record_type
        self.record_id = record_id
        self.fields = fields
        self.reason = reason
        self.purpose = purpose


@dataclass(frozen=True)
class Holder:
    """The official who holds a token, as this process reads the sealed fields: the police
    number and name in clear, or ``ERASED`` once the official's data was erased, or
    ``SEALED`` in a process without the master key."""

    official_id: UUID
    police_number: str
    name: str

    @property
    def readable(self) -> bool:
        """True if the police number and name are in clear (neither erased nor sealed)."""
        return not {self.police_number, self.name} & {ERASED, SEALED}

    @property
    def erased(self) -> bool:
        """True if the official's personal data was erased."""
        return ERASED in (self.police_number, self.name)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: the secret (shown once) and its record."""

    secret: str
    token: ApiToken


def token_hash(secret: str) -> str:
    """Hex SHA-256 of a token's text: the only form in which the ledger keeps it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_id(secret: str) -> UUID:
    """The id of the ``ApiToken`` aggregate of a presented token."""
    return uuid5(TOKEN_NAMESPACE, token_hash(secret))


def looks_like_token(text: str) -> bool:
    """True if ``text`` has the shape of a token this ledger issues (before any lookup)."""
    return bool(_TOKEN_TEXT.match(text))


def _short_text(field: str, value: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise AccessError(f"{field} must be 1 to {limit} characters on one line")
    if has_format_character(text) or not has_visible_character(text):
        raise AccessError(
            f"{field} must be visible text, without bidirectional controls or invisible "
            "(zero-width) characters"
        )
    return text


def official_id(app: LedgerApplication, police_number: str) -> UUID:
    """The data subject of the official with this police number: derived from its keyed
    blind index, so one official is one subject and the id reveals nothing of the number."""
    number = check_police_number(police_number)
    return uuid5(OFFICIAL_NAMESPACE, app.privacy.blind_index("police_number", number))


def check_police_number(police_number: str) -> str:
    """A police number (警号), trimmed and upper-cased: 4 to 12 ASCII letters or digits."""
    number = police_number.strip().upper() if isinstance(police_number, str) else ""
    if not _POLICE_NUMBER.match(number):
        raise HolderError("the holder's police number must be 4 to 12 letters or digits")
    return number


def _holder_fields(
    app: LedgerApplication, police_number: str | None, name: str | None
) -> dict[str, Any]:
    if police_number is None and name is None:
        return {}
    if police_number is None or name is None:
        raise HolderError("a token's holder is named by police number and name, both")
    number = check_police_number(police_number)
    try:
        checked_name = _short_text("holder name", name, _HOLDER_NAME_MAX)
    except AccessError:
        raise HolderError(
            f"the holder's name must be 1 to {_HOLDER_NAME_MAX} visible characters on one line"
        ) from None
    return {
        "holder_id": official_id(app, number),
        "holder_police_number": number,
        "holder_name": checked_name,
    }


def issue_token(
    app: LedgerApplication,
    *,
    role: str,
    organ: str,
    unit: str | None,
    label: str,
    issued_by: str,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    holder_police_number: str | None = None,
    holder_name: str | None = None,
    oversight: bool = False,
) -> IssuedToken:
    """Issue a new token and save its ``Issued`` record; the secret is returned once.

    ``holder_police_number`` and ``holder_name`` name the official who holds it (both or
    neither); they are sealed as that official's personal data. ``oversight`` gives an
    inspector, discipline or auditor token of an organ with organs below it read scope over
    them (``OversightError`` otherwise).
    """
    moment = now or datetime.now(tz=UTC)
    if role not in TOKEN_ROLES:
        raise AccessError(f"role must be one of: {', '.join(TOKEN_ROLES)}")
    if role == Role.unit.value and unit is None:
        raise AccessError("a token for the unit role must name its unit")
    if role != Role.unit.value and unit is not None:
        # It would be ignored: the token would act for the whole organ.
        raise AccessError("only a token for the unit role names a unit")
    Actor(actor_id="token", role=role, organ=organ, unit=unit)  # checks organ and unit codes
    expiry = expires_at or moment + timedelta(days=DEFAULT_TOKEN_DAYS)
    if expiry.tzinfo is None:
        raise AccessError("the expiry must be timezone-aware")
    expiry = expiry.astimezone(UTC)
    if not moment < expiry <= moment + timedelta(days=MAX_TOKEN_DAYS):
        raise AccessError(f"the expiry must lie in the next {MAX_TOKEN_DAYS} days")
    registered = _registered_organ(app, organ)
    if registered is None:
        raise AccessError(f"no organ {organ} is registered in this ledger")
    if unit is not None and not registered.has_unit(unit):
        raise AccessError(f"organ {organ} has no unit {unit}")
    extra = _holder_fields(app, holder_police_number, holder_name)
    if oversight:
        if role not in OVERSIGHT_ROLES:
            raise OversightError(
                f"only {', '.join(OVERSIGHT_ROLES)} tokens may oversee the organs below "
                f"their own, not a {role} token"
            )
        if not organs_below(app, organ):
            raise OversightError(f"no organ lies below organ {organ}: there is nothing to oversee")
        extra["oversight"] = True
    secret = TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).decode(
        "ascii"
    ).rstrip("=")
    digest = token_hash(secret)
    token = ApiToken._create(
        ApiToken.Issued,
        id=uuid5(TOKEN_NAMESPACE, digest),
        role=role,
        organ=organ,
        unit=unit,
        expires_at=expiry,
        token_hash=digest,
        label=_short_text("label", label, _LABEL_MAX),
        issued_by=issued_by,
        **extra,
    )
    app.save(token)
    return IssuedToken(secret=secret, token=token)


def _registered_organ(app: LedgerApplication, code: str) -> Organ | None:
    """The organ registered under this code (checked on read), or None."""
    try:
        organ: object = app.repository.get(Organ.id_for(code))
    except AggregateNotFoundError:
        return None
    return organ if isinstance(organ, Organ) else None


def load_token(app: LedgerApplication, token_id_: UUID) -> ApiToken | None:
    """The token with this id (signature- and chain-checked), or None if there is none."""
    if not app.recorder.select_events(token_id_, limit=1):
        return None
    token: object = app.repository.get(token_id_)
    return token if isinstance(token, ApiToken) else None


def revoke_token(
    app: LedgerApplication, token_id_: UUID, *, reason: str, revoked_by: str
) -> ApiToken:
    """Revoke a token by id, and every token it issued (``revoke_token_and_issued``)."""
    return revoke_token_and_issued(app, token_id_, reason=reason, revoked_by=revoked_by)[0]


def revoke_token_and_issued(
    app: LedgerApplication, token_id_: UUID, *, reason: str, revoked_by: str
) -> list[ApiToken]:
    """Revoke a token and, transitively, every unrevoked token it issued; one transaction.

    The first token returned is the one named; the others were issued by it (or by them)
    and are revoked with the reason ``issued by revoked token <id>``.
    """
    token = load_token(app, token_id_)
    if token is None:
        raise NotFoundError(f"no API token with id {token_id_}")
    token.revoke(reason, revoked_by)
    issued: dict[UUID, list[ApiToken]] = {}
    for other in list_tokens(app):
        if other.issuer_id is not None and other.id != token.id:
            issued.setdefault(other.issuer_id, []).append(other)
    revoked = [token]
    seen = {token.id}
    queue = [token]
    while queue:
        issuer = queue.pop(0)
        for child in issued.get(issuer.id, []):
            if child.id in seen:
                continue
            seen.add(child.id)
            queue.append(child)
            if child.revoked_at is None:
                child.revoke(f"issued by revoked token {issuer.id}", revoked_by)
                revoked.append(child)
    app.save(*revoked)
    return revoked


def list_tokens(app: LedgerApplication, *, organ: str | None = None) -> list[ApiToken]:
    """Every token ever issued (optionally of one organ), in issue order."""
    ids: list[UUID] = []
    start: int | None = None
    while True:
        batch = app.recorder.select_notifications(start=start, limit=500, topics=[ISSUED_TOPIC])
        if not batch:
            break
        ids.extend(UUID(str(n.originator_id)) for n in batch)
        start = batch[-1].id + 1
    tokens = [t for t in (load_token(app, i) for i in ids) if t is not None]
    return [t for t in tokens if organ is None or t.organ == organ]


def check_reason(reason: str) -> str:
    """The reason of an access record, trimmed, or ``AccessError`` saying what is wrong.

    1 to 500 characters on one line, no control or format characters (bidi controls,
    zero-width characters), at least one visible character: the rule every access record's
    reason is held to, for callers that must refuse before they do any work.
    """
    return _short_text("reason", reason, _REASON_MAX)


def record_access(
    app: LedgerApplication,
    actor: Actor,
    *,
    record_type: str,
    record_id: UUID | str,
    fields: Sequence[str],
    reason: str | None,
    purpose: str,
    overseen: bool = False,
) -> RecordAccess:
    """Save one ``RecordAccess`` record for a read of a personal record.

    An inspector's read needs its reason (who, what, when *and why*), and so does any read of
    an organ below the actor's by an oversight token (``overseen``): without one nothing is
    recorded and ``ReasonRequiredError`` is raised, so the caller answers nothing.
    """
    if (actor.role == Role.inspector.value or overseen) and not has_visible_character(reason or ""):
        who = "an oversight token" if overseen else "an inspector"
        raise ReasonRequiredError(
            f"{who} says why a personal record is read: give ?reason= or an X-Access-Reason header"
        )
    access = new_access(
        actor,
        record_type=record_type,
        record_id=record_id,
        fields=fields,
        reason=reason,
        purpose=purpose,
    )
    app.save(access)
    return access


def new_access(
    actor: Actor,
    *,
    record_type: str,
    record_id: UUID | str,
    fields: Sequence[str],
    reason: str | None,
    purpose: str,
) -> RecordAccess:
    """A checked ``RecordAccess`` record, not yet saved (save several in one ``app.save``)."""
    return RecordAccess._create(
        RecordAccess.Recorded,
        id=uuid4(),
        actor_id=actor.actor_id,
        role=actor.role,
        organ=actor.organ,
        unit=actor.unit,
        record_type=_short_text("record_type", record_type, 64),
        record_id=str(record_id),
        fields=sorted(set(fields)),
        reason=None if reason is None else _short_text("reason", reason, _REASON_MAX),
        purpose=_short_text("purpose", purpose, _LABEL_MAX),
        holder=actor.holder,
    )


ACCESS_TOPIC = "ledger.access:RecordAccess.Recorded"


@dataclass(frozen=True)
class AccessEntry:
    """One recorded read of a personal record, as the record's access log shows it."""

    at: datetime
    actor_id: str
    role: str
    organ: str
    unit: str | None
    fields: tuple[str, ...]
    reason: str | None
    purpose: str
    holder: str | None = None
    """The reader token's holder (``Actor.holder``), None for a token without one."""


def access_entries(
    app: LedgerApplication, *, after: int = 0, limit: int = 500
) -> tuple[list[tuple[str, AccessEntry]], int]:
    """The recorded reads after notification id ``after`` (at most ``limit``), each as
    ``(record id, entry)``, and the last notification id seen (``after`` if none).

    Each access record is decoded through the ledger's mapper, so its row and signature are
    checked like every record read."""
    batch = app.recorder.select_notifications(start=after + 1, limit=limit, topics=[ACCESS_TOPIC])
    found: list[tuple[str, AccessEntry]] = []
    for notification in batch:
        event: Any = app.mapper.to_domain_event(notification)
        found.append(
            (
                str(event.record_id),
                AccessEntry(
                    at=event.timestamp,
                    actor_id=event.actor_id,
                    role=event.role,
                    organ=event.organ,
                    unit=event.unit,
                    fields=tuple(event.fields),
                    reason=event.reason,
                    purpose=event.purpose,
                    holder=getattr(event, "holder", None),
                ),
            )
        )
    return found, (batch[-1].id if batch else after)


def accesses_of(
    app: LedgerApplication, record_id: UUID | str, *, organ: str, limit: int = 200
) -> list[AccessEntry]:
    """Who read this personal record, when and why (newest first, at most ``limit``), by
    actors of ``organ``: a scan of every access record (a long-running process keeps an
    index of them instead, ``api.console.staff_access``)."""
    wanted = str(record_id)
    found: list[AccessEntry] = []
    after = 0
    while True:
        batch, last = access_entries(app, after=after)
        if not batch:
            break
        found.extend(e for rid, e in batch if rid == wanted and e.organ == organ)
        after = last
    found.reverse()
    return found[:limit]
