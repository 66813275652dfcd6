"""ledger.witness: the tlog-witness checks, status codes and durable state (no HTTP)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle
from ledger.cosignature import Cosigner, count_cosigners
from ledger.note import Checkpoint, NoteSigner
from ledger.witness import RefusedError, WitnessService, WitnessStateError

ORIGIN = "example.com/log"


class Log:
    """A tiny in-memory log that signs checkpoints with its own key."""

    def __init__(self, signer: NoteSigner, prefix: bytes = b"leaf") -> None:
        self.signer = signer
        self.prefix = prefix
        self.leaves: list[bytes] = []

    def grow(self, n: int) -> None:
        start = len(self.leaves)
        self.leaves += [merkle.leaf_hash(self.prefix + str(start + i).encode()) for i in range(n)]

    def note(self, size: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        root = merkle.root_from_leaf_hashes(self.leaves[:size])
        return self.signer.sign(Checkpoint(ORIGIN, size, root).to_text())

    def request(self, old: int, size: int | None = None) -> bytes:
        size = len(self.leaves) if size is None else size
        proof = merkle.consistency_proof(old, size, self.leaves[:size]) if 0 < old < size else []
        lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        return f"old {old}\n{lines}\n{self.note(size)}".encode()


@pytest.fixture
def log_key() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner.generate("w1.example")


def _service(cosigner: Cosigner, log_key: NoteSigner, state: Path) -> WitnessService:
    service = WitnessService(cosigner, [log_key.verifier], state)
    service.open()
    return service


@pytest.fixture
def log(log_key: NoteSigner) -> Log:
    """The log the witness is asked about, still empty."""
    return Log(log_key)


@pytest.fixture
def service(cosigner: Cosigner, log_key: NoteSigner, tmp_path: Path) -> Iterator[WitnessService]:
    """A witness of ``log_key``'s log, its state in ``tmp_path / "w"``, nothing held yet."""
    service = _service(cosigner, log_key, tmp_path / "w")
    yield service
    service.close()


def _refused(service: WitnessService, body: bytes, status: int) -> RefusedError:
    with pytest.raises(RefusedError) as caught:
        service.add_checkpoint(body)
    assert caught.value.status == status, caught.value.detail
    return caught.value


def test_cosigns_a_growing_log_and_keeps_its_state_across_restarts(
    tmp_path: Path, cosigner: Cosigner, log_key: NoteSigner, log: Log, service: WitnessService
) -> None:
    log.grow(5)
    line = service.add_checkpoint(log.request(0))
    cosigned = log.note() + line
    assert len(count_cosigners(cosigned, [cosigner.key])) == 1
    log.grow(7)
    service.add_checkpoint(log.request(5))
    service.close()
    again = _service(cosigner, log_key, tmp_path / "w")  # a restart
    assert again.state is not None and again.state.size == 12
    conflict = _refused(again, log.request(5), 409)
    assert conflict.body == "12\n" and conflict.content_type == "text/x.tlog.size"
    assert again.add_checkpoint(log.request(12))  # the same tree again: cosigned again


def test_refuses_a_fork_a_rollback_and_a_bad_proof(
    tmp_path: Path, log_key: NoteSigner, log: Log, service: WitnessService
) -> None:
    log.grow(8)
    service.add_checkpoint(log.request(0))
    fork = Log(log_key, prefix=b"other")  # the same key, another history
    fork.grow(8)
    _refused(service, fork.request(8), 422)  # same size, different root
    fork.grow(4)
    proof_from_fork = fork.request(8)  # a proof from the fork's tree, not the witnessed one
    _refused(service, proof_from_fork, 422)
    _refused(service, log.request(0, 6), 409)  # rollback: the witness holds 8
    _refused(service, log.request(8, 6), 400)  # old beyond the checkpoint
    assert service.state is not None and service.state.size == 8
    evidence = (tmp_path / "w" / "evidence.log").read_text()
    assert "same size, different root" in evidence and "inconsistent" in evidence


def test_unknown_origin_unknown_key_and_malformed_requests(
    tmp_path: Path, log: Log, service: WitnessService
) -> None:
    log.grow(3)
    stranger = Log(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    stranger.grow(3)
    _refused(service, stranger.request(0), 403)
    other_origin = NoteSigner("other.example/log", Ed25519PrivateKey.generate())
    text = Checkpoint("other.example/log", 1, bytes(32)).to_text()
    _refused(service, b"old 0\n\n" + other_origin.sign(text).encode(), 404)
    for body in (b"", b"old 01\n\n" + log.note().encode(), b"old 0\nnot-a-hash\n\n", b"\xff"):
        _refused(service, body, 400)
    _refused(service, b"old 0\n" + base64.b64encode(bytes(32)) + b"\n\n" + log.note().encode(), 422)
    assert service.state is None  # nothing was stored by any refusal
    assert not (tmp_path / "w" / "checkpoint").exists()


def test_a_second_process_cannot_share_the_state(
    tmp_path: Path, cosigner: Cosigner, log_key: NoteSigner, service: WitnessService
) -> None:
    with pytest.raises(WitnessStateError, match="in use"):
        _service(cosigner, log_key, tmp_path / "w")


def test_a_size_0_checkpoint_must_carry_the_empty_tree_root(
    tmp_path: Path, log_key: NoteSigner, log: Log, service: WitnessService
) -> None:
    bogus = log_key.sign(Checkpoint(ORIGIN, 0, bytes(32)).to_text())
    refused = _refused(service, b"old 0\n\n" + bogus.encode(), 422)
    assert "empty-tree root" in refused.detail
    assert service.state is None and not (tmp_path / "w" / "checkpoint").exists()
    empty = log_key.sign(Checkpoint(ORIGIN, 0, merkle.EMPTY_ROOT).to_text())
    assert service.add_checkpoint(b"old 0\n\n" + empty.encode())
    assert service.state is not None and service.state.size == 0
    # Held size 0: another size-0 tree is still refused, never cosigned.
    _refused(service, b"old 0\n\n" + bogus.encode(), 422)
    log.grow(3)
    assert service.add_checkpoint(log.request(0))
