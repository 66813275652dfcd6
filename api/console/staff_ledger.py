"""What the staff pages say about the ledger itself: whether the latest checkpoint verifies,
and an event's inclusion proof, as a page shows it and as a JSON download.

Every figure comes from the same log the public proof endpoints read
(``/v1/ledger/checkpoint``, ``/v1/ledger/proof/inclusion``, ``/v1/ledger/keys``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from starlette.responses import Response

from api.problems import ApiProblem
from api.runtime import Runtime
from ledger.access import ApiToken
from ledger.merkle import MerkleError, leaf_hash, verify_inclusion
from ledger.note import NoteError, open_checkpoint


@dataclass(frozen=True)
class CheckpointState:
    """The latest checkpoint and what the server checked about it."""

    tree_size: int
    root: str
    note: str
    key_id: str
    signature_ok: bool
    root_matches_log: bool

    @property
    def ok(self) -> bool:
        """The checkpoint's signature verifies with a published key and its root is the log's."""
        return self.signature_ok and self.root_matches_log


NO_HOLDER = "未登记持有人"
"""What a page says of a token issued without a named holder (every token before issue 13)."""
HOLDER_ERASED = "持有人信息已删除"
HOLDER_SEALED = "持有人信息未解密"


def recorded_by(runtime: Runtime, actor: dict[str, Any] | None) -> str:
    """Who recorded an event, as a person reads it: the holder of the token it was recorded
    with, "name（警号 number）" (read from the token's checked, sealed record), or for a token
    without a named holder "未登记持有人（label）"; the actor's id for what no token recorded
    (the command line, the demo)."""
    if not actor:
        return "—"
    actor_id = str(actor.get("actor_id", ""))
    try:
        token = runtime.token(UUID(actor_id))
    except ValueError:
        token = None
    if token is None:
        return actor_id
    return holder_text(token)


def holder_text(token: ApiToken) -> str:
    """A token's holder as a page names them (see ``recorded_by``)."""
    holder = token.holder
    if holder is None:
        return f"{NO_HOLDER}（{token.label}）"
    if holder.erased:
        return HOLDER_ERASED
    if not holder.readable:
        return HOLDER_SEALED
    return f"{holder.name}（警号 {holder.police_number}）"


def checkpoint_state(runtime: Runtime) -> CheckpointState | None:
    """The latest checkpoint, its signature checked against the ledger's keys and its root
    against the log's root at its size; None while the log is empty."""
    log = runtime.log()
    latest = log.latest_checkpoint()
    if latest is None:
        return None
    verifiers = [key.public.verifier for key in runtime.ledger().keyring().ordered()]
    try:
        open_checkpoint(latest.note, verifiers)
        signature_ok = True
    except NoteError:
        signature_ok = False
    return CheckpointState(
        tree_size=latest.tree_size,
        root=base64.b64encode(latest.root).decode("ascii"),
        note=latest.note,
        key_id=latest.key_id.hex(),
        signature_ok=signature_ok,
        root_matches_log=log.root_at(latest.tree_size) == latest.root,
    )


def inclusion_proof(runtime: Runtime, position: int) -> dict[str, Any] | None:
    """The inclusion proof of the log's leaf ``position`` in the latest checkpoint, checked
    here before it is handed out; None if the checkpoint does not cover it yet."""
    log = runtime.log()
    latest = log.latest_checkpoint()
    if latest is None or not 0 <= position < latest.tree_size:
        return None
    entries = log.entries(position, position + 1)
    if not entries:
        return None
    leaf = leaf_hash(entries[0][1])
    hashes = log.inclusion_proof(position, latest.tree_size)
    try:
        verify_inclusion(leaf, position, latest.tree_size, hashes, latest.root)
        verified = True
    except MerkleError:
        verified = False
    return {
        "leaf_index": position,
        "tree_size": latest.tree_size,
        "leaf_hash": leaf.hex(),
        "hashes": [base64.b64encode(h).decode("ascii") for h in hashes],
        "checkpoint": latest.note,
        "verified_by_server": verified,
    }


def proof_download(runtime: Runtime, originator_id: UUID, version: int) -> Response:
    """One event's proof as a JSON download (404 problem if the checkpoint does not cover it)."""
    position = runtime.log().position_of_event(originator_id, version)
    if position is None:
        raise ApiProblem("not_found", f"no event {version} of this record in the log")
    proof = inclusion_proof(runtime, position)
    if proof is None:
        raise ApiProblem("not_found", "the latest checkpoint does not cover this event yet")
    body = {
        "originator_id": str(originator_id),
        "originator_version": version,
        "inclusion": proof,
        "keys": [
            {"key_id": key.public.key_id_hex, "vkey": key.public.vkey, "status": key.status}
            for key in runtime.ledger().keyring().ordered()
        ],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="proof-{originator_id}-{version}.json"'
        },
    )
