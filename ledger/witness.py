"""The witness side of C2SP tlog-witness: check a log's checkpoint, remember it, cosign it.

A ``WitnessService`` holds its own Ed25519 cosigning key and one state folder; it never sees
the ledger's database. ``add_checkpoint(body)`` implements ``POST /add-checkpoint``; every
refusal is a ``RefusedError`` carrying the protocol's HTTP status.

Invariants:
- The state is the latest checkpoint this witness cosigned (the log-signed note), in
  ``<state>/checkpoint``. It is replaced atomically (temporary file, fsync, rename, fsync of
  the folder) before any cosignature leaves the witness: a crash loses at most an answer,
  never a state that was answered.
- The old-size check, the consistency check and the state update happen under one lock, and
  ``<state>/lock`` is held (flock) for the process's lifetime, so no two requests and no two
  processes can move the state concurrently.
- Sizes only grow, and a checkpoint of the size already held is cosigned only when its root
  is the held root (else 422, per c2sp.org/tlog-witness); a checkpoint of size 0 is cosigned
  only with the empty-tree root (else 422): the witness never cosigns two different trees of
  the same size, 0 included.
- A valid-signed checkpoint that conflicts with the state (a fork, or a proof that does not
  verify) is appended to ``<state>/evidence.log``: proof that the log misbehaved.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ledger import merkle
from ledger.cosignature import Cosigner
from ledger.durable import replace_durably
from ledger.note import (
    BadNoteSignatureError,
    Checkpoint,
    CheckpointError,
    MalformedNoteError,
    NoteError,
    UnverifiedNoteError,
    Verifier,
    canonical_b64decode,
    open_note,
)

STATE_FILE = "checkpoint"
EVIDENCE_FILE = "evidence.log"
LOCK_FILE = "lock"
MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"


class RefusedError(Exception):
    """A request the witness does not cosign, with the tlog-witness HTTP status."""

    def __init__(
        self, status: int, detail: str, *, body: str | None = None, content_type: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.body = body if body is not None else detail + "\n"
        self.content_type = content_type or "text/plain; charset=utf-8"


class WitnessStateError(Exception):
    """The state folder cannot be used (locked by another process, unreadable, corrupt)."""


@dataclass(frozen=True)
class AddCheckpoint:
    """A parsed add-checkpoint request body."""

    old: int
    proof: list[bytes]
    note: str


def parse_request(body: bytes) -> AddCheckpoint:
    """Parse ``old <size>``, proof lines, a blank line and the note; 400 when malformed."""
    if len(body) > MAX_BODY:
        raise RefusedError(400, f"the request body is larger than {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RefusedError(400, "the request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise RefusedError(400, "the request has no blank line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    size_text = first.removeprefix("old ")
    if first == size_text or not merkle_size_ok(size_text):
        raise RefusedError(400, "the first line must be 'old <size>' (decimal, no leading 0)")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise RefusedError(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for number, line in enumerate(proof_lines, start=1):
        raw = canonical_b64decode(line)
        if raw is None or len(raw) != merkle.HASH_SIZE:
            raise RefusedError(400, f"proof line {number} is not a base64 SHA-256 hash")
        proof.append(raw)
    return AddCheckpoint(old=int(size_text), proof=proof, note=note)


def merkle_size_ok(text: str) -> bool:
    """A canonical decimal tree size."""
    return (
        text.isascii()
        and text.isdigit()
        and (text == "0" or not text.startswith("0"))
        and int(text) < 2**63
    )


class WitnessService:
    """One witness for one log (one origin, one or more log keys)."""

    def __init__(
        self,
        cosigner: Cosigner,
        log_keys: Sequence[Verifier],
        state_dir: Path,
        *,
        origin: str | None = None,
    ) -> None:
        if not log_keys:
            raise WitnessStateError("a witness needs at least one log key")
        self.cosigner = cosigner
        self.log_keys = list(log_keys)
        self.origin = origin or log_keys[0].name
        self.state_dir = state_dir
        self._lock = threading.Lock()
        self._lock_file: IO[bytes] | None = None
        self._state: Checkpoint | None = None

    # ------------------------------------------------------------------ state

    def open(self) -> None:
        """Create or open the state folder, take its process lock, read the state."""
        try:
            self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock = (self.state_dir / LOCK_FILE).open("ab")
        except OSError as e:
            raise WitnessStateError(f"cannot open the state folder: {e.strerror}") from None
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise WitnessStateError(
                f"the state folder {self.state_dir} is in use by another witness process"
            ) from None
        self._lock_file = lock
        self._state = self._read_state()

    def close(self) -> None:
        """Release the process lock."""
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _read_state(self) -> Checkpoint | None:
        path = self.state_dir / STATE_FILE
        if not path.exists():
            return None
        try:
            note = path.read_text(encoding="utf-8")
            text, _ = open_note(note, self.log_keys)
            checkpoint = Checkpoint.parse(text)
        except (OSError, UnicodeDecodeError, NoteError) as e:
            raise WitnessStateError(f"the stored checkpoint in {path} is unusable: {e}") from None
        if checkpoint.origin != self.origin:
            raise WitnessStateError(f"the stored checkpoint in {path} is for another origin")
        return checkpoint

    @property
    def state(self) -> Checkpoint | None:
        """The latest checkpoint this witness cosigned, if any."""
        return self._state

    def _write_state(self, note: str) -> None:
        replace_durably(self.state_dir / STATE_FILE, note)

    def _record_evidence(self, reason: str, old: int, note: str) -> None:
        """Append a conflicting, validly signed checkpoint (best effort: never cosigned)."""
        try:
            with (self.state_dir / EVIDENCE_FILE).open("a", encoding="utf-8") as f:
                f.write(f"# {int(time.time())} {reason}; old {old}\n{note}\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            pass

    # ------------------------------------------------------------------ the request

    def add_checkpoint(self, body: bytes, *, now: int | None = None) -> str:
        """Check one add-checkpoint request; return the cosignature line(s) or refuse."""
        request = parse_request(body)
        origin = request.note.split("\n", 1)[0]
        if origin != self.origin:
            raise RefusedError(404, "unknown log origin")
        try:
            text, _ = open_note(request.note, self.log_keys)
        except MalformedNoteError as e:
            raise RefusedError(400, f"malformed checkpoint note: {e}") from None
        except (UnverifiedNoteError, BadNoteSignatureError):
            raise RefusedError(403, "the checkpoint is not signed by a known log key") from None
        try:
            checkpoint = Checkpoint.parse(text)
        except CheckpointError as e:
            raise RefusedError(400, f"malformed checkpoint: {e}") from None
        if request.old > checkpoint.size:
            raise RefusedError(400, "the old size is larger than the checkpoint's size")
        with self._lock:
            state = self._state
            held = 0 if state is None else state.size
            if request.old != held:
                raise RefusedError(
                    409,
                    f"the witness holds size {held}",
                    body=f"{held}\n",
                    content_type=SIZE_CONTENT_TYPE,
                )
            if checkpoint.size == 0 and checkpoint.root != merkle.EMPTY_ROOT:
                raise RefusedError(422, "a checkpoint of size 0 must carry the empty-tree root")
            if state is None or held == 0:
                if request.proof:
                    raise RefusedError(422, "the proof must be empty when old is 0")
            elif checkpoint.size == held:
                if request.proof:
                    raise RefusedError(422, "the proof must be empty for the same size")
                if checkpoint.root != state.root:
                    self._record_evidence("same size, different root", request.old, request.note)
                    raise RefusedError(422, "a different tree of the size already cosigned")
            else:
                try:
                    merkle.verify_consistency(
                        held, checkpoint.size, state.root, checkpoint.root, request.proof
                    )
                except merkle.ConsistencyProofError as e:
                    self._record_evidence(f"inconsistent: {e}", request.old, request.note)
                    raise RefusedError(422, f"the consistency proof fails: {e}") from None
            if state != checkpoint:
                try:
                    self._write_state(request.note)
                except OSError as e:
                    raise RefusedError(500, f"cannot store the state: {e.strerror}") from None
                self._state = checkpoint
            timestamp = int(time.time()) if now is None else now
            return self.cosigner.cosign(text, timestamp)
