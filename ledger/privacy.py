"""Personal data inside signed events: per-person AES-256-GCM, crypto-shredding, blind index.

The fields an event class lists in ``personal_fields`` are sealed before the event is
signed and hashed, with the data key of the person named by ``personal_subject``; the
signature and the Merkle leaf cover the ciphertext, so every proof stays valid forever,
whether or not the person's key is later destroyed.

Invariants:
- A data key is 32 random bytes per data subject (an auxiliary, a complainant), stored only
  wrapped (AES-256-GCM) by the master key, in ``ledger_subject_keys``. The master key comes
  from ``AUXLEDGER_KEY_DIR/master.key`` or ``AUXLEDGER_MASTER_KEY`` -- never from the
  database. A check value in ``ledger_master_key`` makes a wrong master key fail at start.
- Each sealed field's associated data binds the data subject, the event (originator id,
  version, topic) and the field name, so ciphertext cannot be moved between people, events
  or fields without failing to decrypt (a named integrity error).
- Erasure destroys the subject's wrapped key in the same transaction as a PII-free
  ``SubjectErased`` event; afterwards the fields decode as ``ERASED``. A failed erasure
  leaves the key intact and records nothing. Erasing an unknown or already-erased subject
  is refused.
- Master-key rotation re-wraps every live data key in one transaction; no event changes.
- No process stores a data key wrapped by a master key that is not the ledger's current one
  (the id in ``ledger_master_key``): before it wraps a new key, and when a stored key does
  not unwrap, a process compares that id with its cached key's; on a difference it reads
  the master key again from its source and goes on only if that is now the current key,
  else refuses (``MasterKeyRotatedError``, nothing stored). The write itself stores a new
  key only if its master key id is still the stored one (checked in the same transaction),
  so a rotation that commits in between makes the write seal again.
- Lookups by resident ID number use HMAC-SHA256 under a separate blind-index key
  (``AUXLEDGER_KEY_DIR/blind-index.key``), never the plaintext.
- Nothing here logs or puts personal data or key material in an error message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoding

from domain.checks import has_format_character
from domain.errors import FormatCharacterError
from ledger.config import KEY_DIR, MASTER_KEY
from ledger.errors import ConfigurationError, IntegrityViolation, LedgerError

MASTER_KEY_FILE = "master.key"
PENDING_MASTER_KEY_FILE = "master.key.new"
BLIND_INDEX_KEY_FILE = "blind-index.key"
MASTER_KEY_ENV = MASTER_KEY

ERASED = "[erased]"
"""What a personal field reads as after its subject's key was destroyed."""
SEALED = "[sealed]"
"""What a personal field reads as in a process that holds no master key (auditors)."""

WRAP_AAD = b"auxledger/subject-key/v1\x00"
FIELD_AAD = b"auxledger/personal-field/v1\x00"
CHECK_PLAINTEXT = b"auxledger master key check v1"
KEY_CACHE_SECONDS = 10.0
KEY_CACHE_LIMIT = 100_000


class PersonalDataError(LedgerError):
    """Personal data cannot be sealed or opened (no master key, unknown subject ...)."""

    code = "personal_data"


class MasterKeyMismatchError(ConfigurationError):
    """The configured master key is not the one that protects this ledger's data keys."""


class MasterKeyRotatedError(MasterKeyMismatchError):
    """The ledger's master key was rotated by another process and this one cannot read the
    new key from its source: it seals and opens nothing until it can."""


class ErasureError(LedgerError):
    """An erasure was refused (unknown subject, already erased)."""

    code = "erasure"


class LegalHoldError(ErasureError):
    """An erasure was refused because a legal hold protects the person's data: an open
    complaint, an open sanction or appeal, or an explicit hold (kinds and ids, no personal
    data)."""

    code = "legal_hold"

    def __init__(self, subject_id: UUID, holds: list[tuple[str, str]]) -> None:
        self.holds = tuple(holds)
        named = ", ".join(f"{kind} {ref}" for kind, ref in self.holds)
        super().__init__(
            f"data subject {subject_id} may not be erased while a legal hold stands: {named}"
        )


class SubjectKeyConflictError(LedgerError):
    """Another writer stored a different data key for a subject first; seal again."""

    code = "subject_key_conflict"


class SealedFieldError(IntegrityViolation):
    """A sealed personal field does not decrypt: it was altered or moved."""

    kind = "sealed_field"


@dataclass(frozen=True)
class Sealed:
    """A personal field's ciphertext as it sits inside an event payload."""

    subject: UUID
    nonce: bytes
    ciphertext: bytes


class SealedAsDict(Transcoding):
    """JSON form of a sealed field."""

    type = Sealed
    name = "pii"

    def encode(self, obj: Sealed) -> dict[str, str]:
        """Subject, nonce and ciphertext (base64)."""
        return {
            "s": obj.subject.hex,
            "n": base64.b64encode(obj.nonce).decode("ascii"),
            "c": base64.b64encode(obj.ciphertext).decode("ascii"),
        }

    def decode(self, data: dict[str, str]) -> Sealed:
        """Back to a Sealed value."""
        return Sealed(
            subject=UUID(hex=data["s"]),
            nonce=base64.b64decode(data["n"]),
            ciphertext=base64.b64decode(data["c"]),
        )


def field_aad(subject: UUID, originator_id: UUID, version: int, topic: str, field: str) -> bytes:
    """Associated data binding a sealed value to its subject, event and field."""
    return b"".join(
        (
            FIELD_AAD,
            subject.bytes,
            originator_id.bytes,
            version.to_bytes(8, "big"),
            topic.encode("utf-8"),
            b"\x00",
            field.encode("utf-8"),
        )
    )


class ErasureRecord(Aggregate):
    """The record that a data subject's personal data was erased (no personal data in it)."""

    class Erased(Aggregate.Created):
        """A subject's data key was destroyed."""

        subject_id: UUID
        reason: str
        actor_id: str
        actor_role: str
        actor_organ: str

    def __init__(
        self, subject_id: UUID, reason: str, actor_id: str, actor_role: str, actor_organ: str
    ) -> None:
        self.subject_id = subject_id
        self.reason = reason

    @staticmethod
    def id_for(subject_id: UUID) -> UUID:
        """One erasure record per subject."""
        return uuid5(NAMESPACE_URL, f"urn:auxledger:erasure:{subject_id}")

    @classmethod
    def record(
        cls, subject_id: UUID, reason: str, actor_id: str, actor_role: str, actor_organ: str
    ) -> ErasureRecord:
        """Record an erasure."""
        text = reason.strip()
        if not text or len(text) > 500:
            raise ErasureError("an erasure needs a reason of 1 to 500 characters")
        if has_format_character(text):
            raise FormatCharacterError("reason")
        return cls._create(
            cls.Erased,
            id=cls.id_for(subject_id),
            subject_id=subject_id,
            reason=text,
            actor_id=actor_id,
            actor_role=actor_role,
            actor_organ=actor_organ,
        )


# --------------------------------------------------------------------------- key material


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
        raw = base64.b64decode(text, validate=True)
    except (OSError, ValueError, UnicodeDecodeError):
        raise ConfigurationError(KEY_DIR, f"cannot read the {what} {path.name}") from None
    if len(raw) != 32:
        raise ConfigurationError(KEY_DIR, f"the {what} {path.name} is not 32 bytes")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigurationError(KEY_DIR, f"{path.name} has mode {mode:04o}; it must be 0600")
    return raw


def _write_key_file(path: Path, raw: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(base64.b64encode(raw).decode("ascii") + "\n")
    os.chmod(path, 0o600)


def master_key_id(raw: bytes) -> str:
    """A public identifier of a master key (16 hex digits)."""
    return hashlib.sha256(b"auxledger/master-key-id/v1\x00" + raw).hexdigest()[:16]


@dataclass(frozen=True)
class MasterKey:
    """The key that wraps every data key."""

    raw: bytes

    @property
    def key_id(self) -> str:
        """Public identifier."""
        return master_key_id(self.raw)

    def wrap(self, subject: UUID, data_key: bytes) -> bytes:
        """nonce || AES-256-GCM(data key), bound to the subject."""
        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(self.raw).encrypt(nonce, data_key, WRAP_AAD + subject.bytes)

    def unwrap(self, subject: UUID, wrapped: bytes) -> bytes:
        """The data key; raises InvalidTag if the master key or binding is wrong."""
        return AESGCM(self.raw).decrypt(wrapped[:12], wrapped[12:], WRAP_AAD + subject.bytes)

    def unwrap_or_fail(self, subject: UUID, wrapped: bytes) -> bytes:
        """The data key; raises ``SealedFieldError`` (no traceback material) if it does not
        unwrap with this key."""
        try:
            return self.unwrap(subject, wrapped)
        except InvalidTag:
            raise SealedFieldError(
                f"the data key of data subject {subject} does not unwrap with master key "
                f"{self.key_id} (altered, moved, or wrapped by another master key)",
                originator_id=subject,
            ) from None

    def check_value(self) -> bytes:
        """A value that proves possession of this key."""
        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(self.raw).encrypt(nonce, CHECK_PLAINTEXT, WRAP_AAD)

    def matches(self, check: bytes) -> bool:
        """True if ``check`` was made with this key."""
        try:
            return AESGCM(self.raw).decrypt(check[:12], check[12:], WRAP_AAD) == CHECK_PLAINTEXT
        except (InvalidTag, ValueError):
            return False


class KeyMaterial:
    """Master and blind-index keys from the key folder (or the master key from the settings)."""

    def __init__(self, key_dir: Path, master_key: bytes | None = None) -> None:
        self.key_dir = key_dir
        self.configured_master = master_key
        """``Settings.master_key`` (``AUXLEDGER_MASTER_KEY``), already checked; None: the file."""

    def master(self) -> MasterKey | None:
        """The configured master key, or None if there is none."""
        if self.configured_master is not None:
            return MasterKey(self.configured_master)
        path = self.key_dir / MASTER_KEY_FILE
        if not path.exists():
            return None
        return MasterKey(_read_key_file(path, "master key"))

    def pending_master(self) -> MasterKey | None:
        """A master key written by an interrupted rotation, if any."""
        path = self.key_dir / PENDING_MASTER_KEY_FILE
        return MasterKey(_read_key_file(path, "pending master key")) if path.exists() else None

    def ensure(self) -> None:
        """Create the master and blind-index keys if missing (``auxledger init``)."""
        if self.configured_master is None and not (self.key_dir / MASTER_KEY_FILE).exists():
            _write_key_file(self.key_dir / MASTER_KEY_FILE, secrets.token_bytes(32))
        if not (self.key_dir / BLIND_INDEX_KEY_FILE).exists():
            _write_key_file(self.key_dir / BLIND_INDEX_KEY_FILE, secrets.token_bytes(32))

    def blind_index_key(self) -> bytes | None:
        """The blind-index key, or None if there is none."""
        path = self.key_dir / BLIND_INDEX_KEY_FILE
        return _read_key_file(path, "blind-index key") if path.exists() else None

    def write_pending(self, key: MasterKey) -> None:
        """Write a new master key beside the current one (first step of rotation)."""
        path = self.key_dir / PENDING_MASTER_KEY_FILE
        if path.exists():
            path.unlink()
        _write_key_file(path, key.raw)

    def discard_pending(self) -> None:
        """Remove the pending master key of a rotation that did not commit."""
        (self.key_dir / PENDING_MASTER_KEY_FILE).unlink(missing_ok=True)

    def promote_pending(self) -> None:
        """Make the pending master key the master key (last step of rotation)."""
        if self.configured_master is not None:
            raise ConfigurationError(
                MASTER_KEY_ENV, "rotation wrote the new key to master.key.new; set it from there"
            )
        (self.key_dir / PENDING_MASTER_KEY_FILE).replace(self.key_dir / MASTER_KEY_FILE)


def blind_index(key: bytes, kind: str, value: str) -> str:
    """Keyed blind index (hex HMAC-SHA256) of a normalised identifier, for exact lookups."""
    normalised = value.strip().upper()
    message = kind.encode("utf-8") + b"\x00" + normalised.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- the cipher


class SubjectKeyStore:
    """Database access for wrapped data keys; implemented per backend in ledger.persistence."""

    def fetch(self, subjects: Iterable[UUID]) -> dict[UUID, bytes | None]:
        """Wrapped keys by subject (None when erased); unknown subjects are absent."""
        raise NotImplementedError

    def insert_missing(self, rows: Mapping[UUID, tuple[bytes, str]]) -> None:
        """Insert (wrapped key, master key id) for subjects that have no row yet."""
        raise NotImplementedError

    def check_value(self) -> tuple[str, bytes] | None:
        """The stored (master key id, check value), if any."""
        raise NotImplementedError

    def set_check_value(self, key_id: str, check: bytes) -> None:
        """Store the master key's check value if none is stored."""
        raise NotImplementedError

    def rewrap(self, old: MasterKey, new: MasterKey) -> int:
        """Re-wrap every live key with ``new`` and replace the check value; one transaction.

        Raises ``SealedFieldError`` (nothing changed) if a stored key does not unwrap with
        ``old``."""
        raise NotImplementedError


class PersonalDataCipher:
    """Seals and opens personal fields; keeps a short-lived cache of data keys."""

    def __init__(self, store: SubjectKeyStore, material: KeyMaterial) -> None:
        self.store = store
        self.material = material
        self._master: MasterKey | None = None
        self._master_loaded = False
        self._cache: dict[UUID, tuple[float, bytes | None]] = {}
        self._pending: dict[UUID, tuple[bytes, str]] = {}
        self._blind_key: bytes | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ master key

    def master(self, *, required: bool) -> MasterKey | None:
        """The checked master key (fail closed on a mismatch)."""
        with self._lock:
            if not self._master_loaded:
                self._master = self._load_master()
                self._master_loaded = True
            master = self._master
        if master is None and required:
            raise PersonalDataError(
                "no master key: personal data cannot be sealed or opened (create it with "
                f"`auxledger init`, in {KEY_DIR}/{MASTER_KEY_FILE} or {MASTER_KEY_ENV})"
            )
        return master

    def _load_master(self) -> MasterKey | None:
        master = self.material.master()
        stored = self.store.check_value()
        if master is None:
            return None
        if stored is None:
            self.store.set_check_value(master.key_id, master.check_value())
            return master
        stored_id, check = stored
        if master.matches(check):
            return master
        pending = self.material.pending_master()
        if pending is not None and pending.matches(check):
            # A rotation committed but did not get to replace the file: finish it.
            self.material.promote_pending()
            return pending
        raise MasterKeyMismatchError(
            KEY_DIR,
            f"the master key {master.key_id} is not the key that protects this ledger's "
            f"personal data (expected {stored_id}); refusing to start",
        )

    def check(self) -> None:
        """Fail at start-up if the master key is missing or wrong."""
        self.master(required=True)

    def forget(self, subject: UUID | None = None) -> None:
        """Drop cached data keys (all, or one subject's); pending new keys are kept."""
        with self._lock:
            if subject is None:
                self._cache = {s: e for s, e in self._cache.items() if s in self._pending}
            elif subject not in self._pending:
                self._cache.pop(subject, None)

    # ------------------------------------------------------------ data keys

    def ensure_keys(
        self, subjects: Iterable[UUID], *, new: Iterable[UUID] = ()
    ) -> dict[UUID, tuple[bytes, str]]:
        """Make sure each subject has a data key before its fields are sealed.

        Existing keys are fetched (and cached); subjects in ``new`` (ids the caller has just
        made, such as a new complainant's) are not looked for. For a subject without one, a
        key is made
        here and returned as ``{subject: (wrapped key, master key id)}``: the caller stores
        those rows in the *same* transaction as the events sealed with them (the recorder's
        ``subject_keys``), so a key never exists without its events or events without their
        key. Until that commit the new key is pending: every batch sealed with it carries
        the row again (stored once; a different key for the subject aborts the batch).
        """
        wanted = set(subjects)
        if not wanted:
            return {}
        now = time.monotonic()
        with self._lock:
            pending = {s: self._pending[s] for s in wanted if s in self._pending}
        missing = {s for s in wanted - set(pending) if self._cached(s, now) is _MISS}
        if missing:
            master = self.master(required=True)
            assert master is not None
            # A subject wrongly called new would still be caught: storing its key conflicts.
            lookup = missing - set(new)
            found = self.store.fetch(lookup) if lookup else {}
            master = self._remember_or_reload(found, master)
            if missing - set(found):
                master = self._current_master(master)
            for subject in missing - set(found):
                key = secrets.token_bytes(32)
                row = (master.wrap(subject, key), master.key_id)
                with self._lock:
                    self._pending[subject] = row
                    self._cache[subject] = (now, key)
                pending[subject] = row
        return pending

    def committed(self, subjects: Iterable[UUID]) -> None:
        """The keys of these subjects are now stored: they are no longer pending."""
        with self._lock:
            for subject in subjects:
                self._pending.pop(subject, None)

    def abandon(self, subjects: Iterable[UUID]) -> None:
        """A write with these new keys failed: forget them (nothing was stored)."""
        with self._lock:
            for subject in subjects:
                self._pending.pop(subject, None)
                self._cache.pop(subject, None)

    def _cached(self, subject: UUID, now: float) -> object:
        with self._lock:
            entry = self._cache.get(subject)
            pending = subject in self._pending
        if entry is None or (not pending and now - entry[0] > KEY_CACHE_SECONDS):
            return _MISS
        return entry[1]

    def _current_master(self, master: MasterKey) -> MasterKey:
        """``master`` if it is still the ledger's master key (the id stored in the
        database), else the key read again from its source if that is now the current one;
        raises ``MasterKeyRotatedError`` if neither is."""
        stored = self.store.check_value()
        if stored is None or stored[0] == master.key_id:
            return master
        stored_id, check = stored
        for candidate in (self.material.master(), self.material.pending_master()):
            if candidate is not None and candidate.matches(check):
                with self._lock:
                    self._master = candidate
                    self._master_loaded = True
                return candidate
        raise MasterKeyRotatedError(
            KEY_DIR,
            f"the ledger's personal data is now protected by master key {stored_id}, which "
            f"this process cannot read from {KEY_DIR}/{MASTER_KEY_FILE} or {MASTER_KEY_ENV} "
            f"(it holds {master.key_id}): nothing is sealed or stored until that key is there",
        )

    def _remember_or_reload(
        self, wrapped: Mapping[UUID, bytes | None], master: MasterKey
    ) -> MasterKey:
        """``_remember``; if a key does not unwrap and the ledger's master key changed,
        read the master key again (``_current_master``) and try once more."""
        try:
            self._remember(wrapped, master)
        except SealedFieldError:
            current = self._current_master(master)
            if current.key_id == master.key_id:
                raise
            self._remember(wrapped, current)
            return current
        return master

    def _remember(self, wrapped: Mapping[UUID, bytes | None], master: MasterKey) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._cache) > KEY_CACHE_LIMIT:
                self._cache = {s: e for s, e in self._cache.items() if s in self._pending}
            for subject, blob in wrapped.items():
                if blob is None:
                    self._cache[subject] = (now, None)
                    continue
                try:
                    key = master.unwrap(subject, blob)
                except InvalidTag:
                    raise SealedFieldError(
                        "a data key does not unwrap with the master key (altered or moved)",
                        originator_id=subject,
                    ) from None
                self._cache[subject] = (now, key)

    def data_key(self, subject: UUID) -> bytes | None:
        """The subject's data key, None if erased; raises if the subject has none."""
        now = time.monotonic()
        cached = self._cached(subject, now)
        if cached is not _MISS:
            return cached  # type: ignore[return-value]
        master = self.master(required=True)
        assert master is not None
        found = self.store.fetch([subject])
        if subject not in found:
            raise PersonalDataError(f"data subject {subject} has no data key")
        self._remember_or_reload(found, master)
        return self._cache[subject][1]

    # ------------------------------------------------------------ fields

    def seal(self, subject: UUID, plaintext: bytes, aad: bytes) -> Sealed:
        """Encrypt one field value (the subject's key must exist: see ensure_keys)."""
        key = self.data_key(subject)
        if key is None:
            raise PersonalDataError(f"data subject {subject} was erased; nothing new is sealed")
        nonce = secrets.token_bytes(12)
        return Sealed(subject, nonce, AESGCM(key).encrypt(nonce, plaintext, aad))

    def open(self, sealed: Sealed, aad: bytes) -> bytes | None:
        """Decrypt one field value; None if the subject was erased (or no master key)."""
        if self.master(required=False) is None:
            return None
        key = self.data_key(sealed.subject)
        if key is None:
            return None
        try:
            return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, aad)
        except InvalidTag:
            raise SealedFieldError(
                "a personal field does not decrypt for its subject, event and field "
                "(altered, or moved between events)"
            ) from None

    def is_erased(self, subject: UUID) -> bool:
        """True if the subject's key was destroyed."""
        found = self.store.fetch([subject])
        return subject in found and found[subject] is None

    def blind_index(self, kind: str, value: str) -> str:
        """Keyed blind index of an identifier (e.g. kind='resident_id')."""
        key = self._blind_key
        if key is None:
            key = self._blind_key = self.material.blind_index_key()
        if key is None:
            raise PersonalDataError(
                f"no blind-index key in {KEY_DIR}/{BLIND_INDEX_KEY_FILE} (run `auxledger init`)"
            )
        return blind_index(key, kind, value)

    def rotate_master(self) -> tuple[str, str, int]:
        """Re-wrap every data key under a new master key; return old id, new id, count."""
        old = self.master(required=True)
        assert old is not None
        old = self._current_master(old)
        new = MasterKey(secrets.token_bytes(32))
        self.material.write_pending(new)
        try:
            count = self.store.rewrap(old, new)
        except BaseException:
            self.material.discard_pending()
            raise
        self.material.promote_pending()
        with self._lock:
            self._master = new
            self._cache.clear()
        return old.key_id, new.key_id, count


_MISS = object()


def personal_subjects(events: Iterable[Any]) -> set[UUID]:
    """The data subjects whose keys sealing these events needs."""
    subjects: set[UUID] = set()
    for event in events:
        fields: tuple[str, ...] = getattr(type(event), "personal_fields", ())
        if not fields:
            continue
        subject = getattr(event, getattr(type(event), "personal_subject", ""), None)
        if isinstance(subject, UUID) and any(getattr(event, f, None) is not None for f in fields):
            subjects.add(subject)
    return subjects
