"""The ledger's application service: an eventsourcing Application wired for signed records.

Uses the library's template methods instead of forks: ``construct_env`` (settings only),
``construct_mapper`` (``RecordMapper``), ``construct_recorder`` (the log-appending recorder
from ``ledger.persistence``), ``construct_event_store`` (``SignedEventStore``), and
``register_transcodings`` (dates and the domain's value objects).

Invariants:
- Every save is signed by the ledger's active key, chained, logged and checkpointed in one
  transaction; a save signed by a key that another process has since retired is re-signed
  once with the fresh key ring, never stored with the stale key.
- The key ring is rebuilt from the verified key registry; a registry that fails any check
  stops the application (fail closed) with the named failure.
- Constructing the application opens the database, but reads no private key until
  something must be signed.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    JSONTranscoder,
    Mapper,
    Recording,
    Transcoding,
)
from eventsourcing.utils import Environment, EnvType
from psycopg.sql import SQL, Identifier

from ledger.config import APPLICATION_NAME, Settings
from ledger.errors import KeyStoreError, StaleSigningKeyError, StorageUnavailableError
from ledger.keyring import REGISTRY_ID, KeyRegistry, KeyRing, KeyStatus
from ledger.keys import KeyDirectory, SigningKey
from ledger.note import Verifier
from ledger.persistence import (
    LogConfig,
    PostgresLedgerRecorder,
    SQLiteLedgerRecorder,
    subject_key_store,
)
from ledger.privacy import (
    KeyMaterial,
    PersonalDataCipher,
    SealedAsDict,
    SubjectKeyConflictError,
)
from ledger.store import RecordMapper, RecordVerifier, SignedEventStore

KEY_RING_RECHECK_SECONDS = 5.0
SCHEMA_LOCK_KEY = 0x6175786C  # 'auxl'


class DateAsISO(Transcoding):
    """Calendar dates as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """date -> 'YYYY-MM-DD'."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """'YYYY-MM-DD' -> date."""
        return date.fromisoformat(data)


class FrozenDataclassAsDict(Transcoding):
    """A frozen dataclass of primitive fields, as a dict of its fields.

    A field with a default of None that holds None is left out, so a field added later
    with that default (``Actor.holder``) leaves the encoding of values without it as it was,
    and values recorded before it existed decode with the default.
    """

    def __init__(self, cls: type[Any], name: str) -> None:
        if not dataclasses.is_dataclass(cls):
            msg = f"{cls!r} is not a dataclass"
            raise TypeError(msg)
        self.type = cls
        self.name = name
        self._fields = tuple(f.name for f in dataclasses.fields(cls))
        self._omitted_when_none = frozenset(
            f.name for f in dataclasses.fields(cls) if f.default is None
        )

    def encode(self, obj: Any) -> dict[str, Any]:
        """Fields by name (those at their default of None left out)."""
        return {
            name: value
            for name in self._fields
            if (value := getattr(obj, name)) is not None or name not in self._omitted_when_none
        }

    def decode(self, data: dict[str, Any]) -> Any:
        """Rebuild the value object."""
        return self.type(**data)


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Serialise schema creation across processes; create the PostgreSQL schema if needed.

    Concurrent ``CREATE ... IF NOT EXISTS`` statements race in PostgreSQL ("tuple
    concurrently updated"), so creators take a session advisory lock first. SQLite needs no
    lock (its schema changes take the database write lock), only a folder for its file.
    """
    db = settings.database
    if not db.is_postgres:
        assert db.sqlite_path is not None
        db.sqlite_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        yield
        return
    try:
        conn = psycopg.connect(
            db.conninfo(), connect_timeout=settings.connect_timeout, autocommit=True
        )
    except psycopg.Error as e:
        raise StorageUnavailableError(
            f"cannot reach PostgreSQL at {db.describe()}: {str(e).strip().splitlines()[0]}"
        ) from None
    with conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(db.schema)))
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def check_database(settings: Settings) -> None:
    """Fail with one clear line unless the configured ledger database exists and answers."""
    db = settings.database
    if not db.is_postgres:
        assert db.sqlite_path is not None
        if not db.sqlite_path.exists():
            raise StorageUnavailableError(
                f"no ledger at {db.describe()} (run `auxledger init` first)"
            )
        return
    try:
        with psycopg.connect(
            db.conninfo(), connect_timeout=settings.connect_timeout, autocommit=True
        ) as conn:
            row = conn.execute(
                "SELECT to_regclass(%s) IS NOT NULL",
                (f'"{db.schema}".{APPLICATION_NAME.lower()}_events',),
            ).fetchone()
    except psycopg.Error as e:
        raise StorageUnavailableError(
            f"cannot reach PostgreSQL at {db.describe()}: {str(e).strip().splitlines()[0]}"
        ) from None
    if not row or not row[0]:
        raise StorageUnavailableError(f"no ledger at {db.describe()} (run `auxledger init` first)")


class LedgerApplication(Application[UUID]):
    """Event-sourced application whose every event is signed, chained and logged."""

    name = APPLICATION_NAME
    value_object_transcodings: tuple[tuple[type[Any], str], ...] = ()

    def __init__(self, settings: Settings, *, create_tables: bool = False) -> None:
        self.settings = settings
        self.key_dir = KeyDirectory(settings.key_dir)
        self._create_tables = create_tables
        self._ring: KeyRing | None = None
        self._ring_checked_at = 0.0
        self._ring_lock = threading.RLock()
        self._signing_key: SigningKey | None = None
        if create_tables:
            with schema_lock(settings):
                super().__init__(env=settings.eventsourcing_env())
        else:
            check_database(settings)
            super().__init__(env=settings.eventsourcing_env())
        self.ledger_recorder.log_config = LogConfig(
            origin=settings.log_origin, trusted_keys=self._folder_verifiers
        )
        self.record_mapper.verifier = RecordVerifier(ring=self.keyring, refresh=self.reload_keys)
        self.key_material = KeyMaterial(settings.key_dir, settings.master_key)
        self.privacy = PersonalDataCipher(
            subject_key_store(self.ledger_recorder), self.key_material
        )
        self.record_mapper.privacy = self.privacy

    def _folder_verifiers(self) -> list[Verifier]:
        """The key folder's public keys, which a stored checkpoint may be signed with (the
        recorder's head guard reads them only for a checkpoint it has not verified yet)."""
        return [key.verifier for key in self.key_dir.public_keys().values()]

    # --------------------------------------------------------------- wiring

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the settings-derived environment; stray process variables are ignored."""
        values = dict(env or {})
        values["CREATE_TABLE"] = "y" if self._create_tables else "n"
        return Environment(name, values)

    def construct_mapper(self) -> Mapper[UUID]:
        """The checking mapper."""
        return RecordMapper(transcoder=self.construct_transcoder())

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Library defaults plus dates and the domain's value objects."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(SealedAsDict())
        for cls, name in self.value_object_transcodings:
            transcoder.register(FrozenDataclassAsDict(cls, name))

    def construct_recorder(self) -> ApplicationRecorder:
        """The log-appending recorder for the configured backend."""
        recorder = self.factory.application_recorder()
        if not isinstance(recorder, SQLiteLedgerRecorder | PostgresLedgerRecorder):
            msg = f"unexpected recorder {type(recorder).__name__}"
            raise TypeError(msg)
        return recorder

    def construct_event_store(self) -> EventStore[UUID]:
        """The signing, chaining, checking event store."""
        return SignedEventStore(
            mapper=self.record_mapper, recorder=self.recorder, signer=self.active_signer
        )

    @property
    def record_mapper(self) -> RecordMapper:
        """The mapper, typed."""
        mapper = self.mapper
        if not isinstance(mapper, RecordMapper):
            msg = "the application's mapper is not a RecordMapper"
            raise TypeError(msg)
        return mapper

    @property
    def ledger_recorder(self) -> SQLiteLedgerRecorder | PostgresLedgerRecorder:
        """The recorder, typed."""
        recorder = self.recorder
        if not isinstance(recorder, SQLiteLedgerRecorder | PostgresLedgerRecorder):
            msg = "the application's recorder is not a ledger recorder"
            raise TypeError(msg)
        return recorder

    @property
    def signed_store(self) -> SignedEventStore:
        """The event store, typed."""
        store = self.events
        if not isinstance(store, SignedEventStore):
            msg = "the application's event store is not a SignedEventStore"
            raise TypeError(msg)
        return store

    # ---------------------------------------------------------------- keys

    def keyring(self) -> KeyRing:
        """The current key ring (rebuilt if the registry moved on since the last look)."""
        with self._ring_lock:
            now = time.monotonic()
            if self._ring is None:
                return self.reload_keys()
            if now - self._ring_checked_at > KEY_RING_RECHECK_SECONDS:
                self._ring_checked_at = now
                newer = self.recorder.select_events(
                    REGISTRY_ID, gt=self._ring.registry_version, limit=1
                )
                if newer:
                    return self.reload_keys()
            return self._ring

    def reload_keys(self) -> KeyRing:
        """Rebuild the key ring from the registry, checking every record; fail closed."""
        with self._ring_lock:
            rows = self.recorder.select_events(REGISTRY_ID)
            anchors = self.key_dir.public_keys()
            ring, failures = KeyRing.build(rows, self.record_mapper.decode_payload, anchors)
            if failures:
                raise failures[0]
            self._ring = ring
            self._ring_checked_at = time.monotonic()
            if self._signing_key is not None and self._signing_key.key_id != ring.active:
                self._signing_key = None
            return ring

    def active_signer(self) -> SigningKey:
        """The private half of the ledger's active key, from AUXLEDGER_KEY_DIR."""
        with self._ring_lock:
            if self._signing_key is not None:
                return self._signing_key
            ring = self.keyring()
            status = ring.active_key
            if status is None:
                raise KeyStoreError("the ledger has no active signing key (run `auxledger init`)")
            key = self.key_dir.signing_key(status.public)
            if key is None:
                raise KeyStoreError(
                    f"AUXLEDGER_KEY_DIR does not hold the private half of the active key "
                    f"{status.public.key_id_hex}"
                )
            self._signing_key = key
            return key

    def initialise(self, actor: str) -> KeyStatus:
        """Create the key registry with a genesis key if the ledger has none; idempotent."""
        self.key_dir.ensure()
        KeyMaterial(self.settings.key_dir, self.settings.master_key).ensure()
        self.privacy.check()
        ring = self.reload_keys()
        if ring.registry_version == 0:
            key = self._genesis_key()
            registry = KeyRegistry.start(key.public, actor)
            self.save(registry, signer=key, activate_key=key.key_id)
            ring = self.reload_keys()
        self.active_signer()
        status = ring.active_key
        if status is None:
            raise KeyStoreError("the ledger has no active signing key; rotate to a new one")
        return status

    def _genesis_key(self) -> SigningKey:
        """Reuse the folder's only private key, or create one."""
        publics = self.key_dir.public_keys()
        private = [k for k in (self.key_dir.signing_key(p) for p in publics.values()) if k]
        if len(private) == 1:
            return private[0]
        return self.key_dir.create(self.settings.log_origin)

    def rotate_key(self, actor: str) -> KeyStatus:
        """Create a new key, activate it and retire the current one (one transaction)."""
        self.reload_keys()
        old = self.active_signer()
        new = self.key_dir.create(self.settings.log_origin)
        try:
            registry: KeyRegistry = self.repository.get(REGISTRY_ID)
            registry.rotate(new.public, actor)
            self.save(registry, signer=old, activate_key=new.key_id, activate_signer=new)
        except BaseException:
            self.key_dir.destroy_private(new.public)
            (self.key_dir.path / f"{new.public.key_id_hex}.vkey").unlink(missing_ok=True)
            raise
        ring = self.reload_keys()
        status = ring.lookup(new.key_id)
        if status is None:  # pragma: no cover - the save above registered it
            raise KeyStoreError("rotation did not register the new key")
        return status

    def revoke_key(self, key_id_hex: str, reason: str, actor: str) -> KeyStatus:
        """Revoke a key that is not the active one."""
        self.reload_keys()
        registry: KeyRegistry = self.repository.get(REGISTRY_ID)
        registry.revoke(key_id_hex, reason, actor)
        self.save(registry)
        ring = self.reload_keys()
        status = ring.lookup(bytes.fromhex(key_id_hex))
        if status is None:  # pragma: no cover - revoke() checked it is registered
            raise KeyStoreError(f"key {key_id_hex} vanished from the registry")
        return status

    # ---------------------------------------------------------------- save

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """Sign, chain, log and store; re-sign once if another process rotated the key."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        processing_event.collect_events(*objs, **kwargs)
        try:
            recordings = self._record(processing_event)
        except StaleSigningKeyError:
            if "signer" in processing_event.saved_kwargs:
                raise
            self.reload_keys()
            recordings = self._record(processing_event)
        except SubjectKeyConflictError:
            self.privacy.forget()
            recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings
