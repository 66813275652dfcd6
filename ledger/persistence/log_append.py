"""What one batch adds to the Merkle log, computed in Python (no database access).

Both recorders call ``plan_append`` inside their write transaction with the head row they
read (or, on PostgreSQL's optimistic path, the head this process last saw) and store the rows
it returns: completed nodes, leaf rows, the new head and the signed checkpoint.

Invariants:
- The tree head row names the ledger's active signing key; a batch signed by any other key
  is refused (``StaleSigningKeyError``) unless the batch itself activates the first key.
- Leaves follow notification-id order when the ids are known (SQLite), else the order of the
  events, which is the order the database assigns ids in (PostgreSQL; checked there inside
  the transaction).
- A rotation's checkpoint is signed by the outgoing and the incoming key (docs/formats.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.errors import StaleSigningKeyError
from ledger.keys import SigningKey
from ledger.merkle import Frontier, leaf_hash
from ledger.note import Checkpoint, NoteSigner, sign_many
from ledger.persistence.errors import LogNotConfiguredError
from ledger.persistence.head_guard import CheckpointKeys, TrustedKeys
from ledger.record import as_uuid


@dataclass
class LogConfig:
    """What the recorder needs to sign checkpoints: the origin line, a default signer, and
    the keys besides a batch's own that a stored checkpoint may be signed with (the key
    folder's public keys; ``ledger.persistence.head_guard``)."""

    origin: str
    default_signer: SigningKey | None = None
    trusted_keys: TrustedKeys | None = None

    def checkpoint_keys(self, kwargs: dict[str, Any]) -> CheckpointKeys:
        """The keys a stored checkpoint may verify with, for a batch."""
        _, signer = log_signer(self, kwargs)
        return CheckpointKeys.of(signer, kwargs.get("activate_signer"), self.trusted_keys)


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


def log_signer(config: LogConfig | None, kwargs: dict[str, Any]) -> tuple[LogConfig, SigningKey]:
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
    config, signer = log_signer(config, kwargs)
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
