"""ledger.cosignature against C2SP tlog-cosignature, checked by an independent implementation.

The independent check is written from the spec's byte layout in this file, with hashlib and
PyCryptodome's Ed25519 (not ``cryptography``, which the code under test uses).
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from Crypto.Signature import eddsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.cosignature import (
    CosignatureError,
    Cosigner,
    QuorumError,
    count_cosigners,
    merge_signature_lines,
    parse_cosigner_vkey,
    require_quorum,
)
from ledger.note import Checkpoint, NoteSigner

CHECKPOINT_TEXT = "example.com/log\n42\n" + base64.b64encode(bytes(range(32))).decode() + "\n"


def independent_check(vkey: str, checkpoint_text: str, line: str) -> int:
    """Verify a cosignature line from the spec alone; return its timestamp or raise."""
    name, hex_id, key_b64 = vkey.split("+", 2)
    key = base64.b64decode(key_b64)
    assert key[0] == 0x04 and len(key) == 33
    assert hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == hex_id
    assert line.startswith("\u2014 " + name + " ") and line.endswith("\n")
    blob = base64.b64decode(line.rstrip("\n").split(" ")[2])
    assert len(blob) == 4 + 8 + 64
    assert blob[:4].hex() == hex_id
    timestamp = int.from_bytes(blob[4:12], "big")
    message = b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + checkpoint_text.encode()
    verifier = eddsa.new(eddsa.import_public_key(key[1:]), "rfc8032")
    verifier.verify(message, blob[12:])  # raises ValueError when it does not verify
    return timestamp


def test_a_cosignature_verifies_independently_and_by_the_module() -> None:
    cosigner = Cosigner.generate("witness.example/w1")
    line = cosigner.cosign(CHECKPOINT_TEXT, 1_700_000_000)
    assert independent_check(cosigner.key.vkey, CHECKPOINT_TEXT, line) == 1_700_000_000
    with pytest.raises(ValueError, match="not authentic"):
        independent_check(cosigner.key.vkey, CHECKPOINT_TEXT.replace("42", "43"), line)
    key = parse_cosigner_vkey(cosigner.key.vkey)
    assert key == cosigner.key


def test_key_id_uses_type_0x04_not_the_log_signature_type() -> None:
    cosigner = Cosigner.generate("w")
    raw = cosigner.key.public_key
    assert cosigner.key.key_id == hashlib.sha256(b"w\n\x04" + raw).digest()[:4]
    assert cosigner.key.key_id != hashlib.sha256(b"w\n\x01" + raw).digest()[:4]
    assert cosigner.key.vkey.split("+", 2)[2].startswith(
        base64.b64encode(b"\x04" + raw[:2]).decode()
    )


def test_quorum_counts_distinct_configured_witnesses_only() -> None:
    log = NoteSigner("example.com/log", _ed25519())
    note = log.sign(Checkpoint.parse(CHECKPOINT_TEXT).to_text())
    w1, w2, stranger = (Cosigner.generate(f"w{i}.example") for i in (1, 2, 3))
    lines = [w1.cosign(CHECKPOINT_TEXT, 10), w1.cosign(CHECKPOINT_TEXT, 11)]
    lines.append(stranger.cosign(CHECKPOINT_TEXT, 12))
    cosigned = merge_signature_lines(note, lines)
    assert cosigned.startswith(note)
    assert len(count_cosigners(cosigned, [w1.key, w2.key])) == 1
    with pytest.raises(QuorumError, match=r"1 of the 2 required .* tree size 42"):
        require_quorum(cosigned, [w1.key, w2.key], 2)
    both = merge_signature_lines(cosigned, [w2.cosign(CHECKPOINT_TEXT, 13)])
    assert {c.witness.name for c in require_quorum(both, [w1.key, w2.key], 2)} == {
        "w1.example",
        "w2.example",
    }


def test_a_cosignature_of_another_checkpoint_or_a_changed_byte_does_not_count() -> None:
    log = NoteSigner("example.com/log", _ed25519())
    note = log.sign(CHECKPOINT_TEXT)
    w1 = Cosigner.generate("w1.example")
    other = CHECKPOINT_TEXT.replace("42", "41")
    assert count_cosigners(merge_signature_lines(note, [w1.cosign(other, 5)]), [w1.key]) == []
    good = w1.cosign(CHECKPOINT_TEXT, 5)
    blob = bytearray(base64.b64decode(good.split(" ")[2]))
    for position in (0, 4, 11, 12, 75):
        changed = bytearray(blob)
        changed[position] ^= 1
        line = f"\u2014 w1.example {base64.b64encode(bytes(changed)).decode()}\n"
        assert count_cosigners(merge_signature_lines(note, [line]), [w1.key]) == []


def test_key_files_and_vkeys_are_checked() -> None:
    cosigner = Cosigner.generate("w1.example")
    again = Cosigner.from_private_text(cosigner.private_text())
    assert again.key == cosigner.key
    log_vkey = NoteSigner("example.com/log", _ed25519()).vkey
    with pytest.raises(CosignatureError, match="key type 0x04"):
        parse_cosigner_vkey(log_vkey)
    _, hex_id, key = cosigner.key.vkey.split("+", 2)
    with pytest.raises(CosignatureError, match="does not match"):
        parse_cosigner_vkey(f"other+{hex_id}+{key}")
    with pytest.raises(CosignatureError):
        Cosigner.from_private_text(cosigner.private_text().replace(hex_id, "00000000"))


def _ed25519() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
