"""Persistence wiring: eventsourcing recorders that also append to the Merkle log.

The library's recorders store the events; these subclasses add, in the *same* transaction,
the Merkle-log append (leaf and completed interior nodes, leaf-to-event mapping, new tree
head) and, in that transaction too, a signed checkpoint for the new tree size -- except for a
batch the PostgreSQL sequencer appended, whose checkpoint is signed and stored in the next
statement, before the save returns. So a committed event is always logged, and covered by a
signed checkpoint at once or within one round trip; a refused or rolled-back write leaves
nothing behind.

Invariants:
- Writers are serialised (PostgreSQL: by the log head row, which a write moves only from the
  size it knew -- see ``PostgresLedgerRecorder``; SQLite: the database write lock, taken by
  the first INSERT), so leaf order is commit order and equals notification-id order.
- The tree head row names the ledger's active signing key; a batch signed by any other key
  is refused (``StaleSigningKeyError``) unless the batch itself activates the first key.
- ``select_events`` returns ``Notification`` rows (a ``StoredEvent`` subclass carrying the
  notification id), so readers can judge each signature by the key valid at its position.
- The library's PostgreSQL database-function insert path (``POSTGRES_ENABLE_DB_FUNCTIONS``)
  does not move the log head and is refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    ConnectionPool,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
)
from eventsourcing.utils import retry
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier
from psycopg_pool import PoolTimeout

from ledger.errors import LedgerError, StaleSigningKeyError
from ledger.keys import SigningKey
from ledger.merkle import Frontier, leaf_hash
from ledger.note import Checkpoint, NoteSigner, sign_many, signed_checkpoint
from ledger.privacy import MasterKey, SubjectKeyConflictError, SubjectKeyStore
from ledger.record import as_uuid

log = logging.getLogger("auxledger.ledger")

NODES = "ledger_log_nodes"
LEAVES = "ledger_log_leaves"
HEAD = "ledger_log_head"
CHECKPOINTS = "ledger_checkpoints"
SUBJECT_KEYS = "ledger_subject_keys"
MASTER_CHECK = "ledger_master_key"


class SubjectKeyMissingError(LedgerError):
    """An erasure named a data subject whose key does not exist or is already destroyed."""

    code = "erasure"


class LogNotConfiguredError(LedgerError):
    """The recorder was asked to store events without a signer or log origin."""

    code = "log_not_configured"


@dataclass
class LogConfig:
    """What the recorder needs to sign checkpoints: the origin line and a default signer."""

    origin: str
    default_signer: SigningKey | None = None


@dataclass(frozen=True)
class LogAppend:
    """Rows to write for one batch: new nodes, leaf mapping, the new head and checkpoint."""

    nodes: list[tuple[int, int, bytes]]
    leaves: list[tuple[int, int, UUID, int]]
    tree_size: int
    frontier: bytes
    root: bytes
    active_key_id: bytes
    checkpoint_note: str
    signer_key_id: bytes


def _log_signer(config: LogConfig | None, kwargs: dict[str, Any]) -> tuple[LogConfig, SigningKey]:
    """The log configuration and the key that signs this batch's checkpoint."""
    if config is None:
        raise LogNotConfiguredError("the event recorder has no Merkle-log configuration")
    signer: SigningKey | None = kwargs.get("signer") or config.default_signer
    if signer is None:
        raise LogNotConfiguredError("no signing key given for the checkpoint")
    return config, signer


def _checkpoint_signers(
    signer: SigningKey, activate: bytes | None, kwargs: dict[str, Any]
) -> list[NoteSigner]:
    """Who signs a batch's checkpoint: the batch's signer, and the incoming key of a rotation.

    A rotation's batch is signed by the outgoing key, which is retired inside it; its
    checkpoint (the log's newest until the next write) is signed by the incoming key too, so
    a verifier that knows only the key published as active can always check the newest
    checkpoint (docs/formats.md).
    """
    signers = [signer.note_signer()]
    if activate is not None and activate != signer.key_id:
        incoming: SigningKey | None = kwargs.get("activate_signer")
        if incoming is None or incoming.key_id != activate:
            raise LogNotConfiguredError(
                f"the checkpoint of the rotation to key {activate.hex()} needs that key's "
                "private half to sign it too"
            )
        signers.append(incoming.note_signer())
    return signers


def plan_append(
    *,
    config: LogConfig | None,
    head: tuple[int, bytes, bytes],
    events: Sequence[StoredEvent],
    notification_ids: Sequence[int] | None,
    kwargs: dict[str, Any],
) -> LogAppend:
    """Compute the log rows for a batch (pure: no database access).

    Leaves follow notification-id order when the ids are known (SQLite), else the order of
    ``events``, which is the order the database assigns ids in (PostgreSQL; checked there
    inside the transaction).
    """
    config, signer = _log_signer(config, kwargs)
    tree_size, frontier_blob, active_key_id = head
    activate: bytes | None = kwargs.get("activate_key")
    if active_key_id:
        if signer.key_id != active_key_id:
            raise StaleSigningKeyError(
                f"batch signed by key {signer.key_id.hex()} but the ledger's active key is "
                f"{active_key_id.hex()}"
            )
    elif activate != signer.key_id and config.default_signer is None:
        raise StaleSigningKeyError("the ledger has no active signing key (run `auxledger init`)")
    frontier = Frontier.from_bytes(tree_size, frontier_blob)
    order = (
        sorted(range(len(events)), key=lambda i: notification_ids[i])
        if notification_ids is not None
        else range(len(events))
    )
    nodes: list[tuple[int, int, bytes]] = []
    leaves: list[tuple[int, int, UUID, int]] = []
    for i in order:
        event = events[i]
        originator_id = as_uuid(event.originator_id)
        notification_id = notification_ids[i] if notification_ids is not None else 0
        leaves.append((frontier.size, notification_id, originator_id, event.originator_version))
        nodes.extend(frontier.append(leaf_hash(bytes(event.state))))
    root = frontier.root()
    note = sign_many(
        Checkpoint(config.origin, frontier.size, root).to_text(),
        _checkpoint_signers(signer, activate, kwargs),
    )
    return LogAppend(
        nodes=nodes,
        leaves=leaves,
        tree_size=frontier.size,
        frontier=frontier.to_bytes(),
        root=root,
        active_key_id=activate if activate is not None else (active_key_id or signer.key_id),
        checkpoint_note=note,
        signer_key_id=signer.key_id,
    )


GROUP_COMMIT_MAX_EVENTS = 2000
STALE_HEAD_BACKOFF_SECONDS = 2.0


@dataclass
class _WriteRequest:
    """One caller's batch waiting to be written (group commit)."""

    events: list[StoredEvent]
    kwargs: dict[str, Any]
    ids: list[int] | None = None
    error: BaseException | None = None
    done: bool = False
    wake: threading.Event = field(default_factory=threading.Event)
    """Set once: when the batch was written, or when its caller is handed the lead."""


def _groupable(kwargs: dict[str, Any]) -> bool:
    """Only plain saves are merged with others' (no erasure, activation or tracking)."""
    return not any(
        kwargs.get(name) is not None for name in ("erase_subject", "activate_key", "tracking")
    )


def _stale_head(error: Exception) -> bool:
    """True if a write failed only because this process's view of the log head was stale."""
    text = str(error)
    return "division by zero" in text or any(
        f"{table}_pkey" in text for table in (LEAVES, NODES, CHECKPOINTS)
    )


class _SequencerRefusedError(Exception):
    """The sequencer cannot take this batch; write it on the locked path instead."""


_Columns = tuple[list[UUID], list[int], list[str], list[bytes]]


def _columns(stored_events: Sequence[StoredEvent]) -> _Columns:
    """A batch as four parallel arrays (what both append paths insert with ``unnest``)."""
    return (
        [as_uuid(e.originator_id) for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


def _key_columns(kwargs: dict[str, Any]) -> tuple[list[UUID], list[bytes], list[str]]:
    """A batch's new data keys (``subject_keys``) as parallel arrays: subjects, wrapped
    keys, master key ids."""
    new_keys: Mapping[UUID, tuple[bytes, str]] = kwargs.get("subject_keys") or {}
    return list(new_keys), [w for w, _ in new_keys.values()], [k for _, k in new_keys.values()]


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()


# --------------------------------------------------------------------------- SQLite


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder that appends every batch to the Merkle log."""

    log_config: LogConfig | None = None

    def construct_create_table_statements(self) -> list[str]:
        """The library's events table plus the log tables."""
        statements = super().construct_create_table_statements()
        statements += [
            f"CREATE TABLE IF NOT EXISTS {NODES} (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
            "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {LEAVES} (leaf_index INTEGER PRIMARY KEY, "
            "notification_id INTEGER NOT NULL UNIQUE, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {HEAD} (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "tree_size INTEGER NOT NULL, frontier BLOB NOT NULL, active_key_id BLOB NOT NULL, "
            "erasures INTEGER NOT NULL DEFAULT 0)",
            f"INSERT OR IGNORE INTO {HEAD} (id, tree_size, frontier, active_key_id) "  # noqa: S608
            "VALUES (1, 0, x'', x'')",
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (tree_size INTEGER PRIMARY KEY, "
            "root BLOB NOT NULL, note TEXT NOT NULL, key_id BLOB NOT NULL, "
            "created_at TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {SUBJECT_KEYS} (subject_id TEXT PRIMARY KEY, "
            "wrapped BLOB, master_key_id TEXT NOT NULL, created_at TEXT NOT NULL, "
            "erased_at TEXT)",
            f"CREATE TABLE IF NOT EXISTS {MASTER_CHECK} (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "master_key_id TEXT NOT NULL, check_value BLOB NOT NULL)",
        ]
        return statements

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        new_keys: Mapping[UUID, tuple[bytes, str]] = kwargs.get("subject_keys") or {}
        if new_keys:
            c.executemany(
                f"INSERT OR IGNORE INTO {SUBJECT_KEYS} "  # noqa: S608
                "(subject_id, wrapped, master_key_id, created_at) VALUES (?, ?, ?, ?)",
                [(subject.hex, w, k, _now()) for subject, (w, k) in new_keys.items()],
            )
            for subject, (wrapped, _) in new_keys.items():
                c.execute(
                    f"SELECT wrapped FROM {SUBJECT_KEYS} WHERE subject_id = ?",  # noqa: S608
                    (subject.hex,),
                )
                row = c.fetchone()
                if row is None or row[0] is None or bytes(row[0]) != wrapped:
                    raise SubjectKeyConflictError(
                        f"data subject {subject} already has another data key; seal again"
                    )
        erase: UUID | None = kwargs.get("erase_subject")
        if erase is not None:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(
                f"UPDATE {SUBJECT_KEYS} SET wrapped = NULL, erased_at = ? "  # noqa: S608
                "WHERE subject_id = ? AND wrapped IS NOT NULL",
                (_now(), erase.hex),
            )
            if c.sqlite_cursor.rowcount != 1:
                raise SubjectKeyMissingError(
                    f"data subject {erase} has no data key to destroy (unknown or already erased)"
                )
            c.execute(f"UPDATE {HEAD} SET erasures = erasures + 1 WHERE id = 1")  # noqa: S608
        if stored_events:
            assert ids is not None
            self._append_log(c, stored_events, ids, kwargs)
        return ids

    def erasure_count(self) -> int:
        """How many erasures the ledger has recorded (cheap; for cache invalidation)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT erasures FROM {HEAD} WHERE id = 1")  # noqa: S608
            row = c.fetchone()
        return 0 if row is None else int(row[0])

    def after_erasure(self) -> None:
        """Push destroyed key bytes out of the write-ahead log (best effort)."""
        with self.datastore.get_connection(commit=False) as conn:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _append_log(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        ids: Sequence[int],
        kwargs: dict[str, Any],
    ) -> None:
        c.execute(f"SELECT tree_size, frontier, active_key_id FROM {HEAD} WHERE id = 1")  # noqa: S608
        row = c.fetchone()
        if row is None:
            raise LogNotConfiguredError("the log head row is missing (run `auxledger init`)")
        plan = plan_append(
            config=self.log_config,
            head=(int(row[0]), bytes(row[1]), bytes(row[2])),
            events=stored_events,
            notification_ids=list(ids),
            kwargs=kwargs,
        )
        c.executemany(f"INSERT INTO {NODES} (level, idx, hash) VALUES (?, ?, ?)", plan.nodes)  # noqa: S608
        c.executemany(
            f"INSERT INTO {LEAVES} (leaf_index, notification_id, originator_id, "  # noqa: S608
            "originator_version) VALUES (?, ?, ?, ?)",
            [(i, n, o.hex, v) for i, n, o, v in plan.leaves],
        )
        c.execute(
            f"UPDATE {HEAD} SET tree_size = ?, frontier = ?, active_key_id = ? WHERE id = 1",  # noqa: S608
            (plan.tree_size, plan.frontier, plan.active_key_id),
        )
        c.execute(
            f"INSERT INTO {CHECKPOINTS} (tree_size, root, note, key_id, created_at) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?)",
            (plan.tree_size, plan.root, plan.checkpoint_note, plan.signer_key_id, _now()),
        )

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """Like the library's, but each row carries its notification id (position)."""
        statement = f"SELECT rowid, * FROM {self.events_table_name} WHERE originator_id = ? "  # noqa: S608
        params: list[Any] = [
            originator_id.hex if isinstance(originator_id, UUID) else originator_id
        ]
        if gt is not None:
            statement += "AND originator_version > ? "
            params.append(gt)
        if lte is not None:
            statement += "AND originator_version <= ? "
            params.append(lte)
        statement += "ORDER BY originator_version " + ("DESC " if desc else "ASC ")
        if limit is not None:
            statement += "LIMIT ? "
            params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]


SQLITE_FILE_MODE = 0o600
SQLITE_FOLDER_MODE = 0o700


def secure_sqlite_file(path: Path) -> None:
    """Create the ledger's SQLite file readable and writable by its owner only (0600).

    SQLite creates a database's ``-wal``, ``-shm`` and ``-journal`` files with the mode of the
    database file, so creating the database file 0600 before the first connection keeps all
    of them 0600, whatever the umask. A folder this creates is 0700. An existing file keeps
    the mode it has (README: ``chmod 600`` a ledger created before this rule).
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=SQLITE_FOLDER_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        return
    try:
        # os.open's mode passes through the umask; this file is ours and new.
        os.fchmod(fd, SQLITE_FILE_MODE)
    finally:
        os.close(fd)


class SQLiteLedgerFactory(SQLiteFactory):
    """Infrastructure factory whose application recorder appends to the Merkle log."""

    application_recorder_class = SQLiteLedgerRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)  # builds the connection pool; it connects on first use
        name = self.env.get(self.SQLITE_DBNAME)
        if name and not self.datastore.pool.is_sqlite_memory_mode and not name.startswith("file:"):
            secure_sqlite_file(Path(name))


# --------------------------------------------------------------------------- PostgreSQL


SEQUENCER = "ledger_sequence"
STALE_KEY_MESSAGE = "auxledger: the batch is not signed by the ledger's active key"

# The sequencer: appends one batch of sealed events to the log inside the database, so the
# head row is locked only while the database works (no client round trip while it is held).
# It stores new data keys (refusing a subject that already has another key), inserts the
# events, and in notification-id order hashes each record into a leaf (RFC 9162:
# SHA-256(0x00 || record)), extends the frontier, stores every completed node, the leaf rows
# and the new head, and notifies listeners. It returns each event's notification id with the
# new tree size, frontier and root; the caller signs the checkpoint for that root outside
# the lock (``PostgresLedgerRecorder._sequence``). The same arithmetic as
# ``ledger.merkle.Frontier`` -- and ``verify`` recomputes all of it from the records.
SEQUENCER_FUNCTION = """
CREATE OR REPLACE FUNCTION {s}.{fn}(
    batch_ids uuid[], batch_versions bigint[], batch_topics text[], batch_states bytea[],
    signer bytea, key_subjects uuid[], key_wrapped bytea[], key_masters text[], channel text)
RETURNS TABLE (out_notification_id bigint, out_originator_id uuid, out_version bigint,
               out_size bigint, out_frontier bytea, out_root bytea, out_active bytea)
LANGUAGE plpgsql AS $sequencer$
DECLARE
    old_size bigint;
    front bytea;
    active bytea;
    size bigint;
    stack bytea[] := ARRAY[]::bytea[];
    ids bigint[];
    oids uuid[];
    vers bigint[];
    states bytea[];
    cur bytea;
    lvl int;
    pos bigint;
    nl smallint[] := ARRAY[]::smallint[];
    ni bigint[] := ARRAY[]::bigint[];
    nh bytea[] := ARRAY[]::bytea[];
    stored bigint;
    r bytea;
BEGIN
    SELECT h.tree_size, h.frontier, h.active_key_id INTO old_size, front, active
        FROM {s}.{head} h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'auxledger: the log head row is missing';
    END IF;
    IF active = ''::bytea OR active <> signer THEN
        RAISE EXCEPTION 'auxledger: the batch is not signed by the ledger''s active key';
    END IF;
    IF cardinality(key_subjects) > 0 THEN
        WITH k AS (
            INSERT INTO {s}.{subject_keys} AS t (subject_id, wrapped, master_key_id, created_at)
            SELECT n.subject, n.wrapped, n.master, now()
            FROM unnest(key_subjects, key_wrapped, key_masters) AS n(subject, wrapped, master)
            ON CONFLICT (subject_id) DO UPDATE SET subject_id = EXCLUDED.subject_id
            WHERE t.wrapped = EXCLUDED.wrapped
            RETURNING 1)
        SELECT count(*) INTO stored FROM k;
        IF stored <> cardinality(key_subjects) THEN
            RAISE EXCEPTION 'subject key conflict' USING ERRCODE = 'data_exception';
        END IF;
    END IF;
    WITH ins AS (
        INSERT INTO {s}.{events} (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(batch_ids, batch_versions, batch_topics, batch_states)
        RETURNING notification_id, originator_id, originator_version, state)
    SELECT array_agg(ins.notification_id ORDER BY ins.notification_id),
           array_agg(ins.originator_id ORDER BY ins.notification_id),
           array_agg(ins.originator_version ORDER BY ins.notification_id),
           array_agg(ins.state ORDER BY ins.notification_id)
        INTO ids, oids, vers, states FROM ins;
    FOR j IN 0 .. length(front) / 32 - 1 LOOP
        stack := stack || substring(front FROM j * 32 + 1 FOR 32);
    END LOOP;
    size := old_size;
    FOR i IN 1 .. cardinality(ids) LOOP
        cur := sha256('\\x00'::bytea || states[i]);
        pos := size;
        lvl := 0;
        nl := nl || 0::smallint; ni := ni || pos; nh := nh || cur;
        WHILE ((size >> lvl) & 1) = 1 LOOP
            cur := sha256('\\x01'::bytea || stack[cardinality(stack)] || cur);
            stack := stack[1:cardinality(stack) - 1];
            lvl := lvl + 1;
            pos := pos >> 1;
            nl := nl || lvl::smallint; ni := ni || pos; nh := nh || cur;
        END LOOP;
        stack := stack || cur;
        size := size + 1;
    END LOOP;
    INSERT INTO {s}.{leaves} (leaf_index, notification_id, originator_id, originator_version)
        SELECT old_size + g.n - 1, ids[g.n], oids[g.n], vers[g.n]
        FROM generate_series(1, cardinality(ids)) AS g(n);
    INSERT INTO {s}.{nodes} (level, idx, hash) SELECT * FROM unnest(nl, ni, nh);
    front := ''::bytea;
    FOR j IN 1 .. cardinality(stack) LOOP
        front := front || stack[j];
    END LOOP;
    r := stack[cardinality(stack)];
    FOR j IN REVERSE cardinality(stack) - 1 .. 1 LOOP
        r := sha256('\\x01'::bytea || stack[j] || r);
    END LOOP;
    UPDATE {s}.{head} SET tree_size = size, frontier = front WHERE id = 1;
    PERFORM pg_notify(channel, '');
    RETURN QUERY SELECT u.i, u.o, u.v, size, front, r, active
        FROM unnest(ids, oids, vers) AS u(i, o, v);
END
$sequencer$
"""


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder that appends every batch to the Merkle log."""

    log_config: LogConfig | None = None

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            msg = "POSTGRES_ENABLE_DB_FUNCTIONS inserts events without moving the Merkle log head"
            raise ProgrammingError(msg)
        schema = Identifier(datastore.schema)
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {s}.{t} (level smallint NOT NULL, idx bigint NOT NULL,"
                " hash bytea NOT NULL, PRIMARY KEY (level, idx))"
            ).format(s=schema, t=Identifier(NODES)),
            SQL(
                "CREATE TABLE IF NOT EXISTS {s}.{t} (leaf_index bigint PRIMARY KEY, "
                "notification_id bigint NOT NULL UNIQUE, originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL)"
            ).format(s=schema, t=Identifier(LEAVES)),
            SQL(
                "CREATE TABLE IF NOT EXISTS {s}.{t} (id int PRIMARY KEY CHECK (id = 1), "
                "tree_size bigint NOT NULL, frontier bytea NOT NULL, active_key_id bytea NOT NULL, "
                "erasures bigint NOT NULL DEFAULT 0)"
            ).format(s=schema, t=Identifier(HEAD)),
            SQL(
                "INSERT INTO {s}.{t} (id, tree_size, frontier, active_key_id) "
                "VALUES (1, 0, ''::bytea, ''::bytea) ON CONFLICT DO NOTHING"
            ).format(s=schema, t=Identifier(HEAD)),
            SQL(
                "CREATE TABLE IF NOT EXISTS {s}.{t} (tree_size bigint PRIMARY KEY, "
                "root bytea NOT NULL, note text NOT NULL, key_id bytea NOT NULL, "
                "created_at timestamptz NOT NULL)"
            ).format(s=schema, t=Identifier(CHECKPOINTS)),
            SQL(
                "CREATE TABLE IF NOT EXISTS {s}.{t} (subject_id uuid PRIMARY KEY, wrapped bytea, "
                "master_key_id text NOT NULL, created_at timestamptz NOT NULL, "
                "erased_at timestamptz)"
            ).format(s=schema, t=Identifier(SUBJECT_KEYS)),
            SQL(
                "CREATE TABLE IF NOT EXISTS {s}.{t} (id int PRIMARY KEY CHECK (id = 1), "
                "master_key_id text NOT NULL, check_value bytea NOT NULL)"
            ).format(s=schema, t=Identifier(MASTER_CHECK)),
            SQL(SEQUENCER_FUNCTION).format(
                s=schema,
                fn=Identifier(SEQUENCER),
                head=Identifier(HEAD),
                events=Identifier(self.events_table_name),
                leaves=Identifier(LEAVES),
                nodes=Identifier(NODES),
                subject_keys=Identifier(SUBJECT_KEYS),
            ),
        ]
        self._sequence_statement: str = (
            SQL("SELECT * FROM {s}.{fn}(%s, %s, %s, %s, %s, %s, %s, %s, %s)")
            .format(s=schema, fn=Identifier(SEQUENCER))
            .as_string(None)
        )
        self._insert_checkpoint: str = (
            SQL(
                "INSERT INTO {s}.{t} (tree_size, root, note, key_id, created_at) "
                "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (tree_size) DO NOTHING"
            )
            .format(s=schema, t=Identifier(CHECKPOINTS))
            .as_string(None)
        )
        self._sequencer_missing = False
        # How many batches went each way (for tests and the benchmarks' reports).
        self.write_paths: dict[str, int] = {"optimistic": 0, "sequenced": 0, "locked": 0}
        self._erase_key = SQL(
            "WITH e AS (UPDATE {s}.{t} SET wrapped = NULL, erased_at = now() "
            "WHERE subject_id = %s AND wrapped IS NOT NULL RETURNING subject_id), "
            "h AS (UPDATE {s}.{head} SET erasures = erasures + 1 WHERE id = 1 "
            "AND EXISTS (SELECT 1 FROM e)) "
            "SELECT subject_id FROM e"
        ).format(s=schema, t=Identifier(SUBJECT_KEYS), head=Identifier(HEAD))
        self._erasure_count = SQL("SELECT erasures FROM {s}.{t} WHERE id = 1").format(
            s=schema, t=Identifier(HEAD)
        )
        self._select_head = SQL(
            "SELECT tree_size, frontier, active_key_id FROM {s}.{t} WHERE id = 1 FOR UPDATE"
        ).format(s=schema, t=Identifier(HEAD))
        # One statement appends a batch, atomically (the pool's connections are in autocommit
        # mode, so a lone statement is its own transaction): the head moves only if it is
        # still what this process last saw (else "division by zero" aborts the statement --
        # nothing is stored -- and the write is retried with the head row locked first);
        # new data keys are stored (refused unless each subject has exactly this key); the
        # events are inserted; their leaves take the notification ids in the order the
        # database assigned them, and the statement fails unless that is the order the leaf
        # hashes were computed in (the order of the events parameter); the new nodes and the
        # signed checkpoint are inserted; listeners are notified, as the library does.
        #
        # Writers are serialised by the head row: a write commits only if it moved the head
        # from the size this process knew, which it can only know once every earlier write
        # has committed. So commit order is leaf order and notification-id order, which is
        # what the library's LOCK TABLE ... IN EXCLUSIVE MODE is for, without the two extra
        # statements per write.
        keys_cte = (
            " sk AS ("
            " INSERT INTO {s}.{subject_keys} (subject_id, wrapped, master_key_id, created_at)"
            " SELECT n.subject, n.wrapped, n.master, now()"
            " FROM unnest(%(key_subjects)s::uuid[], %(key_wrapped)s::bytea[],"
            " %(key_masters)s::text[]) AS n(subject, wrapped, master), hc WHERE hc.moved = 1"
            " ON CONFLICT (subject_id) DO UPDATE SET subject_id = EXCLUDED.subject_id"
            " WHERE {s}.{subject_keys}.wrapped = EXCLUDED.wrapped"
            " RETURNING 1),"
        )
        key_guard = (
            # Not a constant, or the planner would fold the cast (and fail) before running.
            " / (SELECT CASE WHEN count(*) = %(key_count)s OR (SELECT moved FROM hc) = 0 THEN 1"
            " ELSE CAST('subject key conflict ' || count(*) AS int) END FROM sk)"
        )
        append = (
            "WITH h AS ("
            " UPDATE {s}.{head} SET tree_size = %(size)s, frontier = %(frontier)s,"
            " active_key_id = %(key)s"
            " WHERE id = 1 AND tree_size = %(old_size)s AND active_key_id = %(old_key)s"
            " RETURNING 1),"
            # Everything else is inserted only once the head row is moved (and so locked):
            # a write never holds an index entry another writer needs while it waits for
            # the head row (which would deadlock until PostgreSQL's deadlock_timeout).
            " hc AS MATERIALIZED (SELECT count(*) AS moved FROM h),"
            "{keys_cte}"
            " ins AS ("
            " INSERT INTO {s}.{events} (originator_id, originator_version, topic, state)"
            " SELECT u.* FROM unnest(%(oids)s::uuid[], %(versions)s::bigint[],"
            " %(topics)s::text[], %(states)s::bytea[]) AS u, hc WHERE hc.moved = 1"
            " RETURNING notification_id, originator_id, originator_version),"
            " lv AS ("
            " INSERT INTO {s}.{leaves} (leaf_index, notification_id, originator_id,"
            " originator_version)"
            " SELECT %(old_size)s + row_number() OVER (ORDER BY notification_id) - 1,"
            " notification_id, originator_id, originator_version FROM ins"
            " RETURNING leaf_index, notification_id, originator_id, originator_version),"
            " nd AS ("
            " INSERT INTO {s}.{nodes} (level, idx, hash)"
            " SELECT u.* FROM unnest(%(levels)s::smallint[], %(indexes)s::bigint[],"
            " %(hashes)s::bytea[]) AS u, hc WHERE hc.moved = 1),"
            " cp AS ("
            " INSERT INTO {s}.{checkpoints} (tree_size, root, note, key_id, created_at)"
            " SELECT %(size)s, %(root)s, %(note)s, %(signer)s, now() FROM hc"
            " WHERE hc.moved = 1),"
            " guard AS MATERIALIZED ("
            " SELECT 1 / (SELECT moved FROM hc){key_guard}"
            " / (CASE WHEN array_agg(lv.originator_id ORDER BY lv.leaf_index) = %(oids)s::uuid[]"
            " AND array_agg(lv.originator_version ORDER BY lv.leaf_index)"
            " = %(versions)s::bigint[] THEN 1 ELSE 0 END) AS ok FROM lv),"
            " nt AS MATERIALIZED (SELECT pg_notify(%(channel)s, '')::text AS sent)"
            # The guard and the notification are the outer side (always evaluated: an
            # aggregate has its one row even when nothing was inserted) and their values
            # are used, or the planner would drop them unevaluated.
            " SELECT lv.notification_id FROM guard CROSS JOIN nt LEFT JOIN lv ON true"
            " WHERE guard.ok = 1 AND nt.sent = '' ORDER BY lv.leaf_index"
        )
        names = {
            "s": schema,
            "head": Identifier(HEAD),
            "events": Identifier(self.events_table_name),
            "leaves": Identifier(LEAVES),
            "nodes": Identifier(NODES),
            "checkpoints": Identifier(CHECKPOINTS),
            "subject_keys": Identifier(SUBJECT_KEYS),
        }
        # Rendered once: psycopg then caches their conversion.
        self._append: str = (
            SQL(append.replace("{keys_cte}", "").replace("{key_guard}", ""))
            .format(**names)
            .as_string(None)
        )
        self._append_with_keys: str = (
            SQL(append.replace("{keys_cte}", keys_cte).replace("{key_guard}", key_guard))
            .format(**names)
            .as_string(None)
        )
        self._select_events_with_ids: Composed = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {s}.{t} WHERE originator_id = %s"
        ).format(s=schema, t=Identifier(self.events_table_name))
        self._select_statements: dict[tuple[bool, bool, bool, bool], str] = {}
        self._head: tuple[int, bytes, bytes] | None = None
        self._last_stale = 0.0
        self._group = threading.Lock()
        self._queue: list[_WriteRequest] = []
        self._leading = False
        # Render the fixed statements once: psycopg then caches their conversion.
        for attribute in ("_select_head", "_erase_key"):
            setattr(self, attribute, getattr(self, attribute).as_string(None))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Store a batch with its leaves, nodes, new head and signed checkpoint, atomically.

        Group commit: threads of this process that save at the same time are written in one
        transaction (one head move, one checkpoint, one commit) by whichever of them gets
        there first; each still gets exactly its own notification ids. If the merged write
        fails, every batch is written again on its own, so one batch's conflict never fails
        another. Batches with special instructions (erasure, key activation, tracking) are
        written alone.

        Unlike the library's method, an error raised after the INSERT (a stale signing key,
        a guard, a bug) happens *inside* the transaction block and rolls it back; the
        library's re-raise-after-exit pattern would have committed the events unlogged.
        """
        if not stored_events:
            return None
        request = _WriteRequest(list(stored_events), kwargs)
        with self._group:
            self._queue.append(request)
            lead = not self._leading
            self._leading = True
        if not lead:
            # Woken once: when a leader wrote this batch, or when it handed over the lead.
            request.wake.wait()
        if not request.done:
            self._lead()
        if request.error is not None:
            raise request.error
        return request.ids

    def _lead(self) -> None:
        """Write the oldest batch (the leader's own) with compatible followers; wake exactly
        the callers written, and hand the lead to the oldest caller still waiting."""
        with self._group:
            batch = self._take_batch()
        try:
            self._write_batch(batch)
        finally:
            for written in batch:
                if not written.done:  # an escaping error (KeyboardInterrupt and the like)
                    written.error = ProgrammingError("the group commit leader was interrupted")
                    written.done = True
                written.wake.set()
            with self._group:
                if self._queue:
                    self._queue[0].wake.set()  # the oldest waiting caller leads next
                else:
                    self._leading = False

    def _take_batch(self) -> list[_WriteRequest]:
        """Requests to write together: the head of the queue and compatible followers."""
        first = self._queue.pop(0)
        batch = [first]
        if not _groupable(first.kwargs):
            return batch
        size = len(first.events)
        while self._queue and size < GROUP_COMMIT_MAX_EVENTS:
            nxt = self._queue[0]
            if not _groupable(nxt.kwargs) or nxt.kwargs.get("signer") is not first.kwargs.get(
                "signer"
            ):
                break
            batch.append(self._queue.pop(0))
            size += len(nxt.events)
        return batch

    def _write_batch(self, batch: list[_WriteRequest]) -> None:
        if len(batch) > 1:
            merged = [e for request in batch for e in request.events]
            merged_kwargs = dict(batch[0].kwargs)
            merged_kwargs["subject_keys"] = {
                subject: row
                for request in batch
                for subject, row in (request.kwargs.get("subject_keys") or {}).items()
            }
            merged_ids: list[int] | None
            try:
                merged_ids = self._insert_now(merged, merged_kwargs)
            except Exception:  # not swallowed: every batch is retried alone below
                merged_ids = None
            if merged_ids is not None:
                ids = merged_ids
                start = 0
                for request in batch:
                    request.ids = ids[start : start + len(request.events)]
                    start += len(request.events)
                    request.done = True
                return
        for request in batch:
            try:
                request.ids = self._insert_now(request.events, request.kwargs)
            except BaseException as e:
                request.error = e
            request.done = True

    def _insert_now(
        self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> list[int]:
        """One write, by the cheapest of the three paths (see ``_insert_now_guarded``)."""
        try:
            return self._insert_now_guarded(stored_events, kwargs)
        except DataError as e:
            if "subject key conflict" in str(e):
                raise SubjectKeyConflictError(
                    "a data subject already has another data key; seal again"
                ) from None
            raise

    def _insert_now_guarded(
        self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> list[int]:
        """Three ways to write, cheapest first.

        1. Optimistic: one statement on top of the head this process last saw, with the
           checkpoint signed in it. Fails (nothing stored) if another process moved the head.
        2. The sequencer (after such a miss, for a while, since other processes are writing):
           the database appends the batch under the head-row lock, which it holds only for
           its own work; the checkpoint for the new root is signed and stored right after,
           in its own statement.
        3. Locked: read the head under its row lock, plan in Python, append and commit. For
           batches with special instructions (erasure, key activation, tracking), a ledger
           without an active key, or a database without the sequencer function.
        """
        special = not _groupable(kwargs)
        if time.monotonic() - self._last_stale < STALE_HEAD_BACKOFF_SECONDS:
            self._head = None
        if self._head is not None and not special:
            try:
                ids, self._head = self._write(stored_events, self._head, kwargs)
            except (DataError, IntegrityError) as e:
                self._head = None
                if not _stale_head(e):
                    raise
                # Another process moved the head first: let the database sequence for a while.
                self._last_stale = time.monotonic()
            else:
                self.write_paths["optimistic"] += 1
                return ids
        if not special and not self._sequencer_missing:
            try:
                ids = self._sequence(stored_events, kwargs)
            except _SequencerRefusedError:
                pass
            else:
                self.write_paths["sequenced"] += 1
                return ids
        try:
            ids, self._head = self._write(stored_events, None, kwargs)
        except BaseException:
            self._head = None
            raise
        self.write_paths["locked"] += 1
        return ids

    def _sequence(self, stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> list[int]:
        """Write through the database's sequencer, then sign and store the checkpoint."""
        config, signer = _log_signer(self.log_config, kwargs)
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(
                    self._sequence_statement,
                    (
                        *_columns(stored_events),
                        signer.key_id,
                        *_key_columns(kwargs),
                        self.channel_name,
                    ),
                    prepare=True,
                )
                rows = curs.fetchall()
        except PersistenceError as e:
            text = str(e)
            if STALE_KEY_MESSAGE in text:
                raise _SequencerRefusedError from e  # judged there, with the whole key rule
            if isinstance(e, ProgrammingError) and "does not exist" in text and SEQUENCER in text:
                self._sequencer_missing = True  # a ledger created before the sequencer
                raise _SequencerRefusedError from e
            raise
        if len(rows) != len(stored_events):
            msg = f"expected {len(stored_events)} notification ids, got {len(rows)}"
            raise ProgrammingError(msg)
        ids_by_event = {
            (row["out_originator_id"], int(row["out_version"])): int(row["out_notification_id"])
            for row in rows
        }
        ids = [
            ids_by_event[(as_uuid(e.originator_id), e.originator_version)] for e in stored_events
        ]
        first = rows[0]
        size, root = int(first["out_size"]), bytes(first["out_root"])
        self._head = (size, bytes(first["out_frontier"]), bytes(first["out_active"]))
        note = signed_checkpoint(Checkpoint(config.origin, size, root), signer.note_signer())
        # Committed already; the checkpoint follows in its own statement. The save has
        # happened whatever becomes of it: a failure here must not be reported as a failed
        # save (a retry would then collide with the stored events). Any later checkpoint
        # also covers these events, and `verify` counts them as not yet checkpointed.
        try:
            with self.datastore.get_connection() as conn:
                conn.execute(
                    self._insert_checkpoint, (size, root, note, signer.key_id), prepare=True
                )
        except Exception as e:  # not swallowed silently: logged, and visible to verify
            log.warning(
                "checkpoint for tree size %d not stored (%s); the next write's covers it",
                size,
                type(e).__name__,
            )
        return ids

    def _write(
        self,
        stored_events: Sequence[StoredEvent],
        known_head: tuple[int, bytes, bytes] | None,
        kwargs: dict[str, Any],
    ) -> tuple[list[int], tuple[int, bytes, bytes]]:
        """One write. With ``known_head`` (only for plain batches): the one append statement,
        alone in autocommit mode, one round trip. Without: the locked path, where the head
        row is locked and read first and erasures and tracking records are written too."""
        columns = _columns(stored_events)
        with self.datastore.get_connection() as conn:
            if known_head is not None:
                statement, params, plan = self._append_params(
                    stored_events, columns, known_head, kwargs
                )
                with conn.cursor() as curs:
                    curs.execute(statement, params, prepare=True)
                    rows = curs.fetchall()
            else:
                # Pipelined: BEGIN, the head read and lock go in one round trip; the append
                # and COMMIT in a second. The head row stays locked for one round trip.
                append_cursor = conn.cursor()
                try:
                    with conn.pipeline(), conn.transaction(), conn.cursor() as curs:
                        # The library's tracking record, if any (its _insert_events does that).
                        self._insert_events(curs, stored_events, **kwargs)
                        curs.execute(self._select_head, prepare=True)
                        row = curs.fetchone()
                        if row is None:
                            raise LogNotConfiguredError(
                                "the log head row is missing (run `auxledger init`)"
                            )
                        head = (
                            int(row["tree_size"]),
                            bytes(row["frontier"]),
                            bytes(row["active_key_id"]),
                        )
                        erase: UUID | None = kwargs.get("erase_subject")
                        if erase is not None:
                            curs.execute(self._erase_key, (erase,))
                            if curs.fetchone() is None:
                                raise SubjectKeyMissingError(
                                    f"data subject {erase} has no data key to destroy "
                                    "(unknown or already erased)"
                                )
                        statement, params, plan = self._append_params(
                            stored_events, columns, head, kwargs
                        )
                        append_cursor.execute(statement, params, prepare=True)
                    rows = append_cursor.fetchall()
                finally:
                    append_cursor.close()
        # Committed: the ids come back with the statement.
        ids = [int(row["notification_id"]) for row in rows]
        if len(ids) != len(stored_events):
            msg = f"expected {len(stored_events)} notification ids, got {len(ids)}"
            raise ProgrammingError(msg)
        return ids, (plan.tree_size, plan.frontier, plan.active_key_id)

    def _append_params(
        self,
        stored_events: Sequence[StoredEvent],
        columns: _Columns,
        head: tuple[int, bytes, bytes],
        kwargs: dict[str, Any],
    ) -> tuple[str, dict[str, Any], LogAppend]:
        """The append statement for a batch on top of ``head``, its parameters and plan."""
        plan = plan_append(
            config=self.log_config,
            head=head,
            events=stored_events,
            notification_ids=None,
            kwargs=kwargs,
        )
        params: dict[str, Any] = {
            "size": plan.tree_size,
            "frontier": plan.frontier,
            "key": plan.active_key_id,
            "old_size": head[0],
            "old_key": head[2],
            "oids": columns[0],
            "versions": columns[1],
            "topics": columns[2],
            "states": columns[3],
            "levels": [n[0] for n in plan.nodes],
            "indexes": [n[1] for n in plan.nodes],
            "hashes": [n[2] for n in plan.nodes],
            "root": plan.root,
            "note": plan.checkpoint_note,
            "signer": plan.signer_key_id,
            "channel": self.channel_name,
        }
        subjects, wrapped, masters = _key_columns(kwargs)
        if not subjects:
            return self._append, params, plan
        params["key_subjects"] = subjects
        params["key_wrapped"] = wrapped
        params["key_masters"] = masters
        params["key_count"] = len(subjects)
        return self._append_with_keys, params, plan

    def erasure_count(self) -> int:
        """How many erasures the ledger has recorded (cheap; for cache invalidation)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._erasure_count)
            row = curs.fetchone()
        return 0 if row is None else int(row["erasures"])

    def after_erasure(self) -> None:
        """PostgreSQL keeps dead row versions until vacuum; see docs/privacy.md."""
        with self.datastore.get_connection() as conn:
            conn.execute(
                SQL("VACUUM {}.{}").format(
                    Identifier(self.datastore.schema), Identifier(SUBJECT_KEYS)
                )
            )

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """Like the library's, but each row carries its notification id (position)."""
        params: list[Any] = [originator_id]
        if gt is not None:
            params.append(gt)
        if lte is not None:
            params.append(lte)
        if limit is not None:
            params.append(limit)
        shape = (gt is not None, lte is not None, desc, limit is not None)
        statement = self._select_statements.get(shape)
        if statement is None:
            query = self._select_events_with_ids
            if gt is not None:
                query += SQL(" AND originator_version > %s")
            if lte is not None:
                query += SQL(" AND originator_version <= %s")
            query += SQL(
                " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version ASC"
            )
            if limit is not None:
                query += SQL(" LIMIT %s")
            # Rendered once per shape: psycopg then caches the conversion of the string.
            statement = self._select_statements[shape] = query.as_string(None)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


CONNECT_TIMEOUT_ENV = "AUXLEDGER_POSTGRES_CONNECT_TIMEOUT"
STATEMENT_TIMEOUT_ENV = "AUXLEDGER_POSTGRES_STATEMENT_TIMEOUT"
_WAIT_SLICE = 0.1
TOO_MANY_CONNECTIONS = "53300"
_BUSY_MESSAGES = ("too many connections", "too many clients", "connection slots are reserved")


def _server_busy(error: Exception) -> bool:
    """Did the server refuse a connection for lack of slots (it is up, only full)?

    psycopg reports a failed connection without its SQLSTATE, so the server's message is read.
    """
    if getattr(error, "sqlstate", None) == TOO_MANY_CONNECTIONS:
        return True
    text = str(error).lower()
    return any(message in text for message in _BUSY_MESSAGES)


class LedgerConnectionPool(ConnectionPool[Connection[DictRow]]):
    """The library's pool, made to recover at once and to fail fast.

    psycopg_pool hands out an idle connection unchecked (a server restart leaves every idle
    one broken: 503s until each has been used once), and while the server is down a request
    waits the whole pool timeout while the pool's own reconnection backs off (1, 2, 4 ... s),
    so the first request after the server is back may wait for the next retry too.

    Invariants:
    - An idle connection is checked (an empty query) before it is handed out; a broken one
      is discarded (the pool replaces it) and the next is tried.
    - When a connection attempt has failed since the last one that worked, or every idle
      connection was broken, a request connects by itself (``connect_timeout``) instead of
      waiting: while the server is down that fails at once (503), and once it is back the
      request gets the new connection at once. The pool may then hold a few more
      connections than ``max_size`` until idle ones are closed.
    - A server that refuses for lack of connection slots ("too many clients") is up: requests
      wait for a connection another returns, as the library's pool does.
    - Otherwise a request waits for a connection at most the pool timeout, looking every
      ``_WAIT_SLICE`` seconds whether the server has gone meanwhile.
    """

    _unreachable = False

    def _connect(self, timeout: float | None = None) -> Connection[DictRow]:
        try:
            conn = super()._connect(timeout=timeout)
        except Exception as e:
            # "Too many clients" says the server is up and busy: wait for a connection then.
            if not _server_busy(e):
                self._unreachable = True
            raise
        self._unreachable = False
        return conn

    def _take_idle(self) -> Connection[DictRow] | None:
        with self._lock:
            if not self._pool:
                return None
            conn = self._pool.popleft()
            self._nconns_min = min(self._nconns_min, len(self._pool))
        conn._pool = self
        return conn

    def _connect_now(self) -> Connection[DictRow]:
        with self._lock:
            self._nconns += 1
        try:
            return self._connect()
        except BaseException:
            with self._lock:
                self._nconns -= 1
            raise

    def getconn(self, timeout: float | None = None) -> Connection[DictRow]:
        """A working connection, or an error at once if the server cannot be reached."""
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        self._check_open_getconn()
        broken = False
        while (conn := self._take_idle()) is not None:
            try:
                ConnectionPool.check_connection(conn)
            except Exception:
                broken = True
                with contextlib.suppress(Exception):
                    conn.close()  # whatever failed the check, never hand this one out again
                self._putconn(conn, from_getconn=True)  # discarded and replaced
                continue
            self._stats[self._REQUESTS_NUM] += 1
            return conn
        while True:
            if broken or self._unreachable:
                return self._connect_now()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PoolTimeout(f"couldn't get a connection after {wait:.2f} sec")
            try:
                return super().getconn(timeout=min(remaining, _WAIT_SLICE))
            except PoolTimeout:
                continue


def _pool_settings(env: Any) -> tuple[int, int]:
    """(connect timeout s, statement timeout ms) from the factory's environment."""
    connect = int(env.get(CONNECT_TIMEOUT_ENV) or "2")
    statement = int(float(env.get(STATEMENT_TIMEOUT_ENV) or "0") * 1000)
    return connect, statement


class PostgresLedgerFactory(PostgresFactory):
    """Infrastructure factory whose application recorder appends to the Merkle log; its
    connections are checked before reuse and time out (``LedgerConnectionPool``)."""

    application_recorder_class = PostgresLedgerRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        connect_timeout, statement_ms = _pool_settings(self.env)
        old = self.datastore.pool  # never opened: it holds no connection and no thread
        kwargs = dict(old.kwargs) if isinstance(old.kwargs, dict) else {}
        kwargs["connect_timeout"] = connect_timeout
        if statement_ms > 0:
            kwargs["options"] = f"-c statement_timeout={statement_ms}"
        self.datastore.pool = LedgerConnectionPool(
            get_password_func=old.get_password_func,
            connection_class=old.connection_class,
            kwargs=kwargs,
            min_size=old.min_size,
            max_size=old.max_size,
            open=False,
            configure=old._configure,
            timeout=old.timeout,
            max_waiting=old.max_waiting,
            max_lifetime=old.max_lifetime,
        )


# --------------------------------------------------------------------------- data keys


class SQLiteSubjectKeyStore(SubjectKeyStore):
    """Wrapped data keys in the SQLite ledger file."""

    def __init__(self, recorder: SQLiteLedgerRecorder) -> None:
        self.datastore = recorder.datastore

    def fetch(self, subjects: Iterable[UUID]) -> dict[UUID, bytes | None]:
        """Wrapped keys by subject (None when erased)."""
        wanted = [s.hex for s in subjects]
        found: dict[UUID, bytes | None] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" for _ in chunk)
                c.execute(
                    f"SELECT subject_id, wrapped FROM {SUBJECT_KEYS} "  # noqa: S608
                    f"WHERE subject_id IN ({marks})",
                    chunk,
                )
                for row in c.fetchall():
                    found[UUID(hex=row[0])] = None if row[1] is None else bytes(row[1])
        return found

    def insert_missing(self, rows: Mapping[UUID, tuple[bytes, str]]) -> None:
        """Insert wrapped keys for subjects without a row."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT OR IGNORE INTO {SUBJECT_KEYS} "  # noqa: S608
                "(subject_id, wrapped, master_key_id, created_at) VALUES (?, ?, ?, ?)",
                [(s.hex, w, k, _now()) for s, (w, k) in rows.items()],
            )

    def check_value(self) -> tuple[str, bytes] | None:
        """Stored master key id and check value."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT master_key_id, check_value FROM {MASTER_CHECK} WHERE id = 1")  # noqa: S608
            row = c.fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def set_check_value(self, key_id: str, check: bytes) -> None:
        """Store the check value once."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {MASTER_CHECK} VALUES (1, ?, ?)",  # noqa: S608
                (key_id, check),
            )

    def rewrap(self, old: MasterKey, new: MasterKey) -> int:
        """Re-wrap every live key under ``new``; one transaction."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(
                f"UPDATE {MASTER_CHECK} SET master_key_id = ?, check_value = ? WHERE id = 1",  # noqa: S608
                (new.key_id, new.check_value()),
            )
            c.execute(f"SELECT subject_id, wrapped FROM {SUBJECT_KEYS} WHERE wrapped IS NOT NULL")  # noqa: S608
            rows = c.fetchall()
            updates = []
            for row in rows:
                subject = UUID(hex=row[0])
                key = old.unwrap(subject, bytes(row[1]))
                updates.append((new.wrap(subject, key), new.key_id, row[0]))
            c.executemany(
                f"UPDATE {SUBJECT_KEYS} SET wrapped = ?, master_key_id = ? WHERE subject_id = ?",  # noqa: S608
                updates,
            )
        return len(updates)


class PostgresSubjectKeyStore(SubjectKeyStore):
    """Wrapped data keys in the PostgreSQL schema."""

    def __init__(self, recorder: PostgresLedgerRecorder) -> None:
        self.datastore = recorder.datastore
        schema = Identifier(recorder.datastore.schema)
        self._keys = SQL("{}.{}").format(schema, Identifier(SUBJECT_KEYS))
        self._check = SQL("{}.{}").format(schema, Identifier(MASTER_CHECK))

    def fetch(self, subjects: Iterable[UUID]) -> dict[UUID, bytes | None]:
        """Wrapped keys by subject (None when erased)."""
        wanted = list(subjects)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT subject_id, wrapped FROM {} WHERE subject_id = ANY(%s)").format(
                    self._keys
                ),
                (wanted,),
            )
            return {
                row["subject_id"]: None if row["wrapped"] is None else bytes(row["wrapped"])
                for row in curs.fetchall()
            }

    def insert_missing(self, rows: Mapping[UUID, tuple[bytes, str]]) -> None:
        """Insert wrapped keys for subjects without a row."""
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                SQL(
                    "INSERT INTO {} (subject_id, wrapped, master_key_id, created_at) "
                    "VALUES (%s, %s, %s, now()) ON CONFLICT (subject_id) DO NOTHING"
                ).format(self._keys),
                [(s, w, k) for s, (w, k) in rows.items()],
            )

    def check_value(self) -> tuple[str, bytes] | None:
        """Stored master key id and check value."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT master_key_id, check_value FROM {} WHERE id = 1").format(self._check)
            )
            row = curs.fetchone()
        return None if row is None else (str(row["master_key_id"]), bytes(row["check_value"]))

    def set_check_value(self, key_id: str, check: bytes) -> None:
        """Store the check value once."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("INSERT INTO {} VALUES (1, %s, %s) ON CONFLICT (id) DO NOTHING").format(
                    self._check
                ),
                (key_id, check),
            )

    def rewrap(self, old: MasterKey, new: MasterKey) -> int:
        """Re-wrap every live key under ``new``; one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("UPDATE {} SET master_key_id = %s, check_value = %s WHERE id = 1").format(
                    self._check
                ),
                (new.key_id, new.check_value()),
            )
            curs.execute(
                SQL(
                    "SELECT subject_id, wrapped FROM {} WHERE wrapped IS NOT NULL FOR UPDATE"
                ).format(self._keys)
            )
            updates = [
                (
                    new.wrap(
                        row["subject_id"], old.unwrap(row["subject_id"], bytes(row["wrapped"]))
                    ),
                    new.key_id,
                    row["subject_id"],
                )
                for row in curs.fetchall()
            ]
            curs.executemany(
                SQL("UPDATE {} SET wrapped = %s, master_key_id = %s WHERE subject_id = %s").format(
                    self._keys
                ),
                updates,
            )
        return len(updates)


def subject_key_store(
    recorder: SQLiteLedgerRecorder | PostgresLedgerRecorder,
) -> SubjectKeyStore:
    """The data-key store for the recorder's backend."""
    if isinstance(recorder, PostgresLedgerRecorder):
        return PostgresSubjectKeyStore(recorder)
    return SQLiteSubjectKeyStore(recorder)
