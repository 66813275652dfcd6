"""No checkpoint is signed over a log head that does not extend the latest one signed.

A recorder signs the checkpoint of a batch over a tree it did not entirely compute itself:
the head row's frontier (a first write, another process's write, the locked path) or the
root the database's sequencer computed. Someone who can write to the database but holds no
private key could otherwise rewrite the frontier (or the nodes, or the sequencer) and have
the ledger sign a root of their choosing -- a fork, signed with the ledger's own key.

Invariants:
- Before a checkpoint of size ``n`` and root ``r`` is signed, ``r`` is shown to extend a tree
  this process already knows to be the ledger's: the head it itself planned and saw
  committed, or else the latest stored checkpoint whose note verifies with the batch's own
  key or a public key of the key folder (``LogConfig.trusted_keys``; not the database's).
  Same size: the same root. Larger: an RFC 9162 consistency proof from that size, built from
  the stored nodes -- stored by anyone, but a proof that verifies cannot be made for a tree
  that does not extend the signed one. A smaller head than the latest checkpoint, a head
  with leaves and no checkpoint, or a malformed frontier fail too.
- A failure raises ``HeadNotExtendedError`` (an integrity violation) before anything is
  signed; the recorder stores nothing more of that batch. ``auxledger verify --full`` then
  says what was altered.
- What it guards against is a fork of the latest checkpoint stored (or of the head the process
  committed itself). Checkpoints deleted first leave an older one as the latest, and a tree
  built to extend that one passes: a rollback of the checkpoints, which the witnesses and
  ``verify`` against its witness catch (``witness_rollback``, docs/integrity.md), not this.
- The check costs nothing on the usual paths: a head a process planned itself is not read
  back, and a note already verified is not verified again (its exact text is remembered).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger import merkle
from ledger.errors import IntegrityViolation
from ledger.keys import SigningKey
from ledger.note import (
    Checkpoint,
    NoteError,
    UnverifiedNoteError,
    Verifier,
    open_checkpoint,
    split_note,
)


class HeadNotExtendedError(IntegrityViolation):
    """The log head does not extend the latest checkpoint signed: the batch is refused."""

    kind = "head_mismatch"


class LogReader(Protocol):
    """What the guard reads, in the recorder's own transaction or connection."""

    def latest_checkpoint(self, at_most: int | None) -> tuple[int, str] | None:
        """The largest stored checkpoint's tree size and note (of at most ``at_most``
        leaves, if given), if any."""

    def nodes(self, addresses: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored perfect nodes at these ``(level, index)`` addresses (missing: absent)."""


TrustedKeys = Callable[[], Sequence[Verifier]]


@dataclass(frozen=True)
class CheckpointKeys:
    """The keys a stored checkpoint may verify with: the batch's own (its signer, and the
    incoming key of a rotation), and, read only if those do not verify it, the key folder's
    (a checkpoint signed before a rotation this process did not make)."""

    own: tuple[Verifier, ...]
    folder: TrustedKeys | None = None

    @classmethod
    def of(
        cls, signer: SigningKey, incoming: SigningKey | None, folder: TrustedKeys | None
    ) -> CheckpointKeys:
        """The keys for a batch signed by ``signer`` (activating ``incoming``, if any)."""
        own = [signer.public.verifier]
        if incoming is not None:
            own.append(incoming.public.verifier)
        return cls(tuple(own), folder)


class HeadGuard:
    """Checks a head before the recorder signs over it (see the module docstring)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._lock = threading.Lock()
        self._verified_note: str | None = None

    def check(
        self,
        size: int,
        root: bytes,
        *,
        reader: LogReader,
        keys: CheckpointKeys,
        known: tuple[int, bytes] | None = None,
        committed: bool = False,
    ) -> None:
        """Raise ``HeadNotExtendedError`` unless the tree of ``size`` leaves and ``root``
        extends ``known`` (the size and root of a tree this process knows to be the ledger's)
        or, without it, the latest checkpoint stored.

        ``committed``: the tree is already committed (the sequencer's), so other writers may
        have stored larger checkpoints since; it is compared with the latest of at most its
        size. Otherwise (a head read under its lock) a larger checkpoint means the head was
        moved back, and is refused."""
        if known is not None and known[0] <= size:
            first, first_root, what = known[0], known[1], f"the tree of {known[0]} leaves"
        else:
            latest = reader.latest_checkpoint(size if committed else None)
            if latest is None:
                if size == 0:
                    return
                raise HeadNotExtendedError(
                    f"the log head has {size} leaves but no checkpoint is stored: refusing "
                    "to sign over it"
                )
            first, first_root = self._signed(latest, keys)
            what = f"the latest checkpoint ({first} leaves)"
            if first > size:
                raise HeadNotExtendedError(
                    f"the log head has {size} leaves, fewer than {what}: refusing to sign"
                )
        if first == size:
            if first_root != root:
                raise HeadNotExtendedError(
                    f"the log head's root differs from {what}: refusing to sign over it"
                )
            return
        if first == 0:
            return  # every tree extends the empty one
        plan = merkle.consistency_plan(first, size)
        stored = reader.nodes(merkle.needed_nodes(plan))
        try:
            proof = merkle.assemble(plan, stored)
            merkle.verify_consistency(first, size, first_root, root, proof)
        except merkle.MerkleError as e:
            raise HeadNotExtendedError(
                f"the log head ({size} leaves) does not extend {what}: {e}; refusing to sign"
            ) from None

    def remember(self, note: str) -> None:
        """A note this recorder signed and saw committed: not verified again when read."""
        with self._lock:
            self._verified_note = note

    def _signed(self, latest: tuple[int, str], keys: CheckpointKeys) -> tuple[int, bytes]:
        size, note = latest
        with self._lock:
            verified = note == self._verified_note
        try:
            if verified:  # this very text verified before: only its body is read again
                checkpoint = Checkpoint.parse(split_note(note)[0])
            else:
                try:
                    checkpoint = open_checkpoint(note, keys.own, self.origin)
                except UnverifiedNoteError:
                    if keys.folder is None:
                        raise
                    checkpoint = open_checkpoint(note, [*keys.own, *keys.folder()], self.origin)
        except NoteError as e:
            raise HeadNotExtendedError(
                f"the latest checkpoint ({size} leaves) does not verify with the ledger's "
                f"keys: {e}; refusing to sign"
            ) from None
        if checkpoint.size != size:
            raise HeadNotExtendedError(
                f"the latest checkpoint row says {size} leaves, its signed note "
                f"{checkpoint.size}: refusing to sign"
            )
        with self._lock:
            self._verified_note = note
        return checkpoint.size, checkpoint.root


class GuardedRecorder:
    """The head guard of a recorder (either database's), made at its first write: the log
    configuration, which names the log's origin, is set after the recorder is constructed."""

    _head_guard: HeadGuard | None = None

    def _guard(self, origin: str) -> HeadGuard:
        """This recorder's head guard for the log of ``origin`` (a new one if it changed)."""
        if self._head_guard is None or self._head_guard.origin != origin:
            self._head_guard = HeadGuard(origin)
        return self._head_guard


def frontier_root(size: int, blob: bytes) -> bytes:
    """The root of a stored frontier, or ``HeadNotExtendedError`` if it is malformed."""
    try:
        return merkle.Frontier.from_bytes(size, blob).root()
    except merkle.MerkleError as e:
        raise HeadNotExtendedError(
            f"the log head's frontier is malformed ({e}): refusing to sign over it"
        ) from None
