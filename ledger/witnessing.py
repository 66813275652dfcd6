"""The log side of C2SP tlog-witness: send checkpoints to witnesses, keep their cosignatures.

The witnesses are ``Settings.witnesses`` (``AUXLEDGER_WITNESSES``, parsed in ``ledger.config``).

Invariants:
- Writes never wait for a witness: a ``WitnessSubmitter`` runs a coordinator thread that
  picks one checkpoint per round (the newest stored one, at most one round a second: it
  covers the ones in between) and one daemon sender thread per witness that submits exactly
  that checkpoint, so every witness cosigns the same sizes even on a busy log, and a slow or
  dead witness delays only its own sender. Failed submissions are retried with exponential
  backoff (capped, with jitter).
- The published checkpoint is the recently cosigned one with the most cosignatures by the
  configured witnesses (ties: the newest).
- Only cosignatures that verify (``ledger.cosignature``) against the configured witness key
  and the exact checkpoint text are stored, in ``ledger_cosignatures`` (tree size, key id,
  the signature line, its timestamp); they are self-verifying, so the table needs no
  signature of its own. A missing table reads as "no cosignatures" (read-only verifiers).
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from psycopg.sql import SQL, Identifier

from ledger import merkle
from ledger.application import LedgerApplication
from ledger.config import WitnessEndpoint
from ledger.cosignature import CosignerKey, verify_cosignatures
from ledger.log import MerkleLog, StoredCheckpoint
from ledger.note import Checkpoint, split_note
from ledger.persistence import PostgresLedgerRecorder, SQLiteLedgerRecorder
from ledger.verify import VerificationReport

COSIGNATURES = "ledger_cosignatures"
SIZE_CONTENT_TYPE = "text/x.tlog.size"

logger = logging.getLogger("auxledger.witnessing")


# ----------------------------------------------------------------------------- storage


@dataclass(frozen=True)
class StoredCosignature:
    """One stored cosignature line of the checkpoint of ``tree_size``."""

    tree_size: int
    key_id: bytes
    name: str
    line: str
    timestamp: int


class CosignatureStore:
    """The ``ledger_cosignatures`` table, on either backend."""

    def __init__(self, recorder: SQLiteLedgerRecorder | PostgresLedgerRecorder) -> None:
        self.recorder = recorder
        self.is_postgres = isinstance(recorder, PostgresLedgerRecorder)
        if isinstance(recorder, PostgresLedgerRecorder):
            self._schema = recorder.datastore.schema
            self._table: str | Any = SQL("{}.{}").format(
                Identifier(self._schema), Identifier(COSIGNATURES)
            )
        else:
            self._schema = ""
            self._table = COSIGNATURES
        self._exists = False

    def _sql(self, template: str) -> Any:
        if self.is_postgres:
            return SQL(template.replace("?", "%s")).format(t=self._table)
        return template.format(t=self._table)

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.recorder.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def ensure(self) -> None:
        """Create the table if it does not exist."""
        kind = "bigint" if self.is_postgres else "INTEGER"
        blob = "bytea" if self.is_postgres else "BLOB"
        with self._cursor(commit=True) as c:
            c.execute(
                self._sql(
                    "CREATE TABLE IF NOT EXISTS {t} ("
                    f"tree_size {kind} NOT NULL, key_id {blob} NOT NULL, name TEXT NOT NULL, "
                    f"line TEXT NOT NULL, cosigned_at {kind} NOT NULL, "
                    "PRIMARY KEY (tree_size, key_id))"
                )
            )
        self._exists = True

    def exists(self) -> bool:
        """True once the table exists (checked in the catalogue, never by a failing read)."""
        if self._exists:
            return True
        with self._cursor(commit=False) as c:
            if self.is_postgres:
                c.execute(
                    "SELECT to_regclass(%s) IS NOT NULL AS found",
                    [f'"{self._schema}"."{COSIGNATURES}"'],
                )
                row = c.fetchone()
                found = bool(row["found"] if isinstance(row, Mapping) else row[0])
            else:
                c.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    [COSIGNATURES],
                )
                found = c.fetchone() is not None
        self._exists = found
        return found

    def add(self, tree_size: int, cosignatures: Sequence[Any]) -> None:
        """Store verified cosignatures (``ledger.cosignature.CosignedCheckpoint``) of a size."""
        if not cosignatures:
            return
        with self._cursor(commit=True) as c:
            if self.is_postgres:
                # Cosignatures verify by themselves and the witness gives them again: one lost
                # in a crash costs nothing, so their commit does not wait for the WAL flush
                # that the ledger's own writes are waiting for.
                c.execute("SET LOCAL synchronous_commit TO OFF")
            for cosigned in cosignatures:
                c.execute(
                    self._sql(
                        "INSERT INTO {t} (tree_size, key_id, name, line, cosigned_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tree_size, key_id) DO NOTHING"
                    ),
                    [
                        tree_size,
                        cosigned.witness.key_id,
                        cosigned.witness.name,
                        cosigned.line,
                        cosigned.timestamp,
                    ],
                )

    def _rows(self, template: str, params: Sequence[Any]) -> list[StoredCosignature]:
        if not self.exists():
            return []
        with self._cursor(commit=False) as c:
            c.execute(self._sql(template), list(params))
            rows = c.fetchall()
        return [
            StoredCosignature(
                tree_size=int(_get(r, 0, "tree_size")),
                key_id=bytes(_get(r, 1, "key_id")),
                name=str(_get(r, 2, "name")),
                line=str(_get(r, 3, "line")),
                timestamp=int(_get(r, 4, "cosigned_at")),
            )
            for r in rows
        ]

    def for_size(self, tree_size: int) -> list[StoredCosignature]:
        """Every stored cosignature of the checkpoint of this size."""
        return self._rows(
            "SELECT tree_size, key_id, name, line, cosigned_at FROM {t} "
            "WHERE tree_size = ? ORDER BY name, key_id",
            [tree_size],
        )

    def recent(self, limit: int) -> list[StoredCosignature]:
        """The stored cosignatures of the ``limit`` largest (size, key) pairs."""
        return self._rows(
            "SELECT tree_size, key_id, name, line, cosigned_at FROM {t} "
            "ORDER BY tree_size DESC LIMIT ?",
            [limit],
        )

    def newest_size(self, key_ids: Sequence[bytes] | None = None) -> int | None:
        """The largest cosigned tree size (by any of ``key_ids``, if given)."""
        if not self.exists():
            return None
        wanted = set(key_ids) if key_ids is not None else None
        best: int | None = None
        for row in self.recent(limit=64):
            if wanted is None or row.key_id in wanted:
                best = row.tree_size if best is None else max(best, row.tree_size)
        return best


def _get(row: Any, index: int, name: str) -> Any:
    try:
        return row[name]
    except (KeyError, IndexError, TypeError):
        return row[index]


def cosigned_note(note: str, stored: Sequence[StoredCosignature]) -> str:
    """A checkpoint note with the stored cosignature lines appended after its own."""
    if not stored:
        return note
    split_note(note)  # checks the note's form before lines are added to it
    present = set(note[note.index("\n\n") + 2 :].splitlines(keepends=True))
    return note + "".join(s.line for s in stored if s.line not in present)


def best_cosigned_size(store: CosignatureStore, key_ids: Sequence[bytes]) -> int | None:
    """The recent tree size cosigned by the most of ``key_ids``; ties go to the newest.

    The witnesses are sent the same checkpoint each round, but one may lag behind: a
    checkpoint cosigned by every witness is preferred to a newer one that only some cosigned.
    """
    wanted = set(key_ids)
    if not wanted or not store.exists():
        return None
    signers: dict[int, set[bytes]] = {}
    for row in store.recent(limit=64 * len(wanted)):
        if row.key_id in wanted:
            signers.setdefault(row.tree_size, set()).add(row.key_id)
    if not signers:
        return None
    return max(signers, key=lambda size: (len(signers[size]), size))


def published_checkpoint(
    log: MerkleLog, store: CosignatureStore, witnesses: Sequence[WitnessEndpoint]
) -> str | None:
    """What ``GET /v1/ledger/checkpoint`` answers.

    With no witness configured: the latest checkpoint. With witnesses: of the recently
    cosigned checkpoints, the one with the most cosignatures (ties: the newest), with every
    cosignature gathered for it. The latest (uncosigned) one instead until a first
    cosignature arrives, and when the cosigned one is signed by another log key than the
    latest (it is older than the newest key rotation): the published checkpoint always
    verifies with the key published as active.
    """
    latest = log.latest_checkpoint()
    if latest is None:
        return None
    if witnesses:
        size = best_cosigned_size(store, [w.key.key_id for w in witnesses])
        if size is not None:
            stored = log.checkpoint_at(size)
            if stored is not None and stored.key_id == latest.key_id:
                return cosigned_note(stored.note, store.for_size(size))
    return latest.note


# ----------------------------------------------------------------------------- submitting


class _ConflictError(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"the witness holds size {size}")
        self.size = size


class _FailedError(Exception):
    """A submission that failed; retried after a backoff."""


class WitnessSubmitter:
    """Background threads that get each round's checkpoint cosigned by every witness.

    A coordinator thread picks one checkpoint per round (the newest stored one, at most one
    new round every ``every_seconds``); one sender thread per witness submits exactly that
    checkpoint, so every witness that is up cosigns the same tree size and a quorum can form
    on a busy log. A slow or dead witness delays only its own sender: the coordinator does
    not wait for it, and when it comes back it is sent the round current by then.
    """

    def __init__(
        self,
        log: MerkleLog,
        store: CosignatureStore,
        witnesses: Sequence[WitnessEndpoint],
        *,
        poll_seconds: float = 0.2,
        every_seconds: float = 1.0,
        timeout_seconds: float = 5.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        self.log = log
        self.store = store
        self.witnesses = list(witnesses)
        self.poll = poll_seconds
        self.every = every_seconds
        self.timeout = timeout_seconds
        self.max_backoff = max_backoff_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._round_changed = threading.Condition()
        self._round: StoredCheckpoint | None = None
        self.rounds = 0
        self.failures: dict[str, int] = {w.name: 0 for w in self.witnesses}
        self.cosigned_size: dict[str, int] = {w.name: -1 for w in self.witnesses}

    def start(self) -> None:
        """Create the table, start the coordinator and one sender thread per witness."""
        self.store.ensure()
        threads = [threading.Thread(target=self._coordinate, name="witness:rounds", daemon=True)]
        threads += [
            threading.Thread(
                target=self._run, args=(witness,), name=f"witness:{witness.name}", daemon=True
            )
            for witness in self.witnesses
        ]
        for thread in threads:
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads (a request in flight ends by its own timeout)."""
        self._stop.set()
        with self._round_changed:
            self._round_changed.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    @property
    def current_round(self) -> StoredCheckpoint | None:
        """The checkpoint every witness is being sent now."""
        with self._round_changed:
            return self._round

    def _coordinate(self) -> None:
        """Pick the checkpoint of each round: the newest, at most one round a second."""
        while not self._stop.is_set():
            try:
                latest = self.log.latest_checkpoint()
            except Exception:  # the database is away: try again later
                logger.warning("witnesses: cannot read the latest checkpoint")
                self._stop.wait(max(self.poll, 1.0))
                continue
            current = self.current_round
            if latest is None or (current is not None and latest.tree_size == current.tree_size):
                self._stop.wait(self.poll)
                continue
            with self._round_changed:
                self._round = latest
                self.rounds += 1
                self._round_changed.notify_all()
            # A busy log's checkpoints in between are covered by the next round's consistency.
            self._stop.wait(self.every)

    def _next_round(self, witness: WitnessEndpoint) -> StoredCheckpoint | None:
        """The current round's checkpoint once it is one this witness has not cosigned."""
        with self._round_changed:
            while not self._stop.is_set():
                chosen = self._round
                if chosen is not None and chosen.tree_size != self.cosigned_size[witness.name]:
                    return chosen
                self._round_changed.wait(self.poll)
        return None

    def _run(self, witness: WitnessEndpoint) -> None:
        client = _WitnessClient(witness.url, self.timeout)
        try:
            known = self.store.newest_size([witness.key.key_id]) or 0
        except Exception:  # the database is away: the witness tells its size (409)
            known = 0
        backoff = 0.0
        try:
            while not self._stop.is_set():
                chosen = self._next_round(witness)
                if chosen is None:
                    break
                try:
                    known = self._submit(client, witness, chosen, known)
                    self.cosigned_size[witness.name] = chosen.tree_size
                    self.failures[witness.name] = 0
                    backoff = 0.0
                except _ConflictError as e:
                    known = e.size
                    if e.size > chosen.tree_size:
                        logger.error(
                            "witness %s holds size %d, beyond this log's %d: it saw another "
                            "history of this log",
                            witness.name,
                            e.size,
                            chosen.tree_size,
                        )
                        backoff = self._wait(backoff)
                except _FailedError as e:
                    self.failures[witness.name] += 1
                    logger.warning("witness %s: %s", witness.name, e)
                    backoff = self._wait(backoff)
        finally:
            client.close()

    def _wait(self, backoff: float) -> float:
        backoff = min(self.max_backoff, max(0.5, backoff * 2))
        self._stop.wait(backoff * random.uniform(0.8, 1.2))  # noqa: S311 - jitter, not secrets
        return backoff

    def _submit(
        self, client: _WitnessClient, witness: WitnessEndpoint, latest: StoredCheckpoint, old: int
    ) -> int:
        if old > latest.tree_size:
            raise _ConflictError(old)
        try:
            proof = (
                []
                if old in (0, latest.tree_size)
                else self.log.consistency_proof(old, latest.tree_size)
            )
        except merkle.MerkleError:
            old, proof = 0, []  # the log cannot prove from there: ask the witness its size
        body = (
            f"old {old}\n" + "".join(_b64(h) + "\n" for h in proof) + "\n" + latest.note
        ).encode("utf-8")
        status, content_type, answer = client.post(body)
        if status == 409 and content_type.startswith(SIZE_CONTENT_TYPE):
            size_text = answer.decode("ascii", "replace").strip()
            if not size_text.isdigit():
                raise _FailedError("409 with an unreadable size")
            raise _ConflictError(int(size_text))
        if status != 200:
            first = answer.decode("utf-8", "replace").strip().splitlines()[:1]
            raise _FailedError(f"HTTP {status}: {first[0][:200] if first else ''}")
        text = latest.note[: latest.note.index("\n\n") + 1]
        lines = answer.decode("utf-8", "replace").splitlines(keepends=True)
        valid = verify_cosignatures(text, lines, [witness.key])
        if not valid:
            raise _FailedError("the answer holds no valid cosignature by the configured key")
        self.store.add(latest.tree_size, valid)
        return latest.tree_size


def start_submitter(app: LedgerApplication) -> WitnessSubmitter | None:
    """Start submitting to the configured witnesses; None when there are none."""
    if not app.settings.witnesses:
        return None
    recorder = app.ledger_recorder
    submitter = WitnessSubmitter(
        MerkleLog(recorder), CosignatureStore(recorder), app.settings.witnesses
    )
    submitter.start()
    return submitter


def _b64(raw: bytes) -> str:
    import base64  # noqa: PLC0415

    return base64.b64encode(raw).decode("ascii")


class _WitnessClient:
    """One keep-alive HTTP connection to a witness, reopened after any error."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self.path = (parts.path.rstrip("/") or "") + "/add-checkpoint"
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self._conn = cls(self.host, self.port, timeout=self.timeout)
        return self._conn

    def post(self, body: bytes) -> tuple[int, str, bytes]:
        """POST to add-checkpoint: (status, content type, body); ``_FailedError`` on I/O errors."""
        try:
            conn = self._connection()
            conn.request("POST", self.path, body=body, headers={"Content-Type": "text/plain"})
            response = conn.getresponse()
            answer = response.read(64 * 1024)
            return response.status, response.getheader("Content-Type") or "", answer
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise _FailedError(f"cannot reach the witness: {type(e).__name__}") from None

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# ----------------------------------------------------------------------------- verify


DEFAULT_MAX_LAG = 1000
"""How many entries the newest checkpoint with the quorum may lag the latest (verify)."""


def check_witness_quorum(
    app: LedgerApplication,
    report: VerificationReport,
    witnesses: Sequence[CosignerKey],
    required: int,
    *,
    max_lag: int = DEFAULT_MAX_LAG,
) -> int:
    """Add a ``witness_quorum`` failure unless ``required`` of ``witnesses`` cosigned a recent
    checkpoint: the newest checkpoint with the quorum may be at most ``max_lag`` entries
    behind the one ``report`` checked (the latest), since witnesses cosign a moment after a
    write. Return how many cosigned that newest checkpoint with the quorum (or the latest,
    when none has it).

    The cosignatures are read from ``ledger_cosignatures`` and each is verified here against
    the checkpoint's exact text: the table itself is not trusted.
    """
    if not report.checkpoint:
        report.add("witness_quorum", "the log has no checkpoint for witnesses to cosign")
        return 0
    store = CosignatureStore(app.ledger_recorder)
    log = MerkleLog(app.ledger_recorder)
    text, _ = split_note(report.checkpoint)
    size = Checkpoint.parse(text).size
    on_latest = verify_cosignatures(text, [s.line for s in store.for_size(size)], witnesses)
    if len(on_latest) >= required:
        return len(on_latest)
    keys = {w.key_id for w in witnesses}
    candidates = sorted(
        {s.tree_size for s in store.recent(limit=256) if s.key_id in keys and s.tree_size < size},
        reverse=True,
    )
    for candidate in candidates:
        stored = log.checkpoint_at(candidate)
        if stored is None:
            continue
        older_text, _ = split_note(stored.note)
        lines = [s.line for s in store.for_size(candidate)]
        valid = verify_cosignatures(older_text, lines, witnesses)
        if len(valid) < required:
            continue
        if size - candidate > max_lag:
            report.add(
                "witness_quorum",
                f"the newest checkpoint with {required} witness cosignatures has tree size "
                f"{candidate}, {size - candidate} entries behind the latest (tree size {size}); "
                f"more than the {max_lag} allowed (--witness-max-lag)",
            )
        return len(valid)
    names = ", ".join(sorted(c.witness.name for c in on_latest)) or "none"
    report.add(
        "witness_quorum",
        f"{len(on_latest)} of the {required} required witness cosignatures verify on the "
        f"latest checkpoint (tree size {size}; cosigned by: {names}) and no recent checkpoint "
        "has the quorum",
    )
    return len(on_latest)
