"""C2SP tlog-cosignature (``cosignature/v1``, Ed25519): witness keys, cosigning and quorums.

Standard library and ``cryptography`` only, importing nothing else from auxledger, so the
evidence-bundle verifier (and anyone else) can use or copy it as it is.

Formats (c2sp.org/tlog-cosignature, c2sp.org/signed-note):

- cosigner key id = SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]
  (0x04, not the 0x01 of a log's own Ed25519 note signature);
- cosigner vkey = ``<name>+<8 hex digits of key id>+<base64(0x04 || public key)>``;
- signed message = ``cosignature/v1\\n`` + ``time <timestamp>\\n`` + the checkpoint's note
  text (every line above the blank line, each ending in ``\\n``, extension lines included);
- signature line = ``— <name> <base64(key id (4) || timestamp (8, big-endian) || sig (64))>``;
- private key file (``witness keygen``) = one line
  ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x04 || 32-byte Ed25519 seed)>``.

Invariants:

- A cosignature line counts only for a configured (name, key id) pair and only when its
  Ed25519 signature verifies over the exact message above; lines from other keys are ignored.
- A quorum counts distinct configured cosigners, never two lines of one key.
- Base64 must be canonical (standard alphabet, padded); anything else is malformed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_COSIGNATURE_V1",
    "COSIGNATURE_LINE_SIZE",
    "CosignatureError",
    "CosignedCheckpoint",
    "Cosigner",
    "CosignerKey",
    "QuorumError",
    "cosignature_message",
    "cosigner_key_id",
    "count_cosigners",
    "format_cosigner_vkey",
    "merge_signature_lines",
    "note_text",
    "parse_cosigner_vkey",
    "require_quorum",
    "verify_cosignatures",
]

ALG_COSIGNATURE_V1 = 0x04
PREFIX = "\u2014 "  # EM DASH, SPACE
HEADER = b"cosignature/v1\n"
KEY_ID_SIZE = 4
TIMESTAMP_SIZE = 8
SIGNATURE_SIZE = 64
COSIGNATURE_LINE_SIZE = KEY_ID_SIZE + TIMESTAMP_SIZE + SIGNATURE_SIZE
PRIVATE_PREFIX = "PRIVATE+KEY+"
_HEX_ID = re.compile(r"[0-9a-f]{8}", re.ASCII)


class CosignatureError(Exception):
    """A malformed cosigner key, key file, note or cosignature line."""


class QuorumError(CosignatureError):
    """Fewer than the required number of configured witnesses cosigned the checkpoint."""

    def __init__(self, found: int, required: int, size: int | None) -> None:
        self.found = found
        self.required = required
        self.size = size
        super().__init__(
            f"{found} of the {required} required witness cosignatures verify"
            + (f" on the checkpoint of tree size {size}" if size is not None else "")
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes | None:
    if not text or not text.isascii():
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if _b64(raw) == text else None


def _check_name(name: str) -> None:
    if (
        not name
        or "+" in name
        or any(ch.isspace() for ch in name)
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name)
    ):
        raise CosignatureError("a cosigner name is non-empty, without '+', spaces or controls")


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 cosigner key."""
    _check_name(name)
    if len(public_key) != 32:
        raise CosignatureError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:KEY_ID_SIZE]


def format_cosigner_vkey(name: str, public_key: bytes) -> str:
    """``<name>+<hex key id>+<base64(0x04 || public key)>``."""
    kid = cosigner_key_id(name, public_key)
    return f"{name}+{kid.hex()}+{_b64(bytes([ALG_COSIGNATURE_V1]) + public_key)}"


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a cosigner signs: header, time line, then the checkpoint note text."""
    if not 0 <= timestamp < 2**63:
        raise CosignatureError("a cosignature timestamp is a non-negative 63-bit integer")
    return HEADER + f"time {timestamp}\n".encode("ascii") + checkpoint_text.encode("utf-8")


@dataclass(frozen=True, slots=True)
class CosignerKey:
    """A witness's public cosigning key: name, 4-byte key id, 32-byte Ed25519 key."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        if cosigner_key_id(self.name, self.public_key) != self.key_id:
            raise CosignatureError(f"key id does not match the cosigner key {self.name!r}")

    @property
    def vkey(self) -> str:
        """This key as a cosigner vkey."""
        return format_cosigner_vkey(self.name, self.public_key)

    def verify(self, checkpoint_text: str, timestamp: int, signature: bytes) -> bool:
        """True when ``signature`` cosigns ``checkpoint_text`` at ``timestamp`` with this key."""
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature, cosignature_message(checkpoint_text, timestamp)
            )
        except (InvalidSignature, ValueError, CosignatureError):
            return False
        return True


def parse_cosigner_vkey(text: str) -> CosignerKey:
    """Parse a cosigner vkey (type 0x04), checking name, id, type, length and id match."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise CosignatureError("a witness vkey has the form <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    _check_name(name)
    if not _HEX_ID.fullmatch(hex_id):
        raise CosignatureError("a witness vkey's key id is 8 lowercase hex digits")
    raw = _unb64(encoded)
    if raw is None or len(raw) != 33:
        raise CosignatureError("a witness vkey's key is base64 of 33 bytes")
    if raw[0] != ALG_COSIGNATURE_V1:
        raise CosignatureError(
            f"a witness vkey has key type 0x04 (cosignature/v1), not {raw[0]:#04x}"
        )
    if cosigner_key_id(name, raw[1:]).hex() != hex_id:
        raise CosignatureError("a witness vkey's key id does not match its key")
    return CosignerKey(name, bytes.fromhex(hex_id), raw[1:])


class Cosigner:
    """A witness's private key: makes ``cosignature/v1`` signature lines."""

    __slots__ = ("_key", "key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key = private_key
        self.key = CosignerKey(name, cosigner_key_id(name, raw), raw)

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        """A new random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_text(cls, text: str) -> Cosigner:
        """Load a ``PRIVATE+KEY+...`` line (see the module docstring)."""
        line = text.strip()
        if not line.startswith(PRIVATE_PREFIX):
            raise CosignatureError("a witness key file holds one PRIVATE+KEY+... line")
        parts = line[len(PRIVATE_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise CosignatureError("a witness key file holds PRIVATE+KEY+<name>+<id>+<key>")
        name, hex_id, encoded = parts
        raw = _unb64(encoded)
        if raw is None or len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise CosignatureError("a witness key file's key is base64 of 0x04 and a seed")
        cosigner = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if cosigner.key.key_id.hex() != hex_id:
            raise CosignatureError("a witness key file's key id does not match its key")
        return cosigner

    def private_text(self) -> str:
        """The key file line (secret: write it 0600, never print or log it)."""
        seed = self._key.private_bytes_raw()
        return (
            f"{PRIVATE_PREFIX}{self.key.name}+{self.key.key_id.hex()}+"
            f"{_b64(bytes([ALG_COSIGNATURE_V1]) + seed)}\n"
        )

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """The signature line cosigning ``checkpoint_text`` at ``timestamp`` (POSIX seconds)."""
        signature = self._key.sign(cosignature_message(checkpoint_text, timestamp))
        blob = self.key.key_id + timestamp.to_bytes(TIMESTAMP_SIZE, "big") + signature
        return f"{PREFIX}{self.key.name} {_b64(blob)}\n"


@dataclass(frozen=True, slots=True)
class CosignedCheckpoint:
    """One valid cosignature: by whom, when (POSIX seconds), and its signature line."""

    witness: CosignerKey
    timestamp: int
    line: str


def note_text(note: str) -> tuple[str, list[str]]:
    """Split a signed note into its text (ending in ``\\n``) and its signature lines."""
    split = note.find("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise CosignatureError("a signed note is text, a blank line, then signature lines")
    text, block = note[: split + 1], note[split + 2 :]
    lines = [line + "\n" for line in block[:-1].split("\n")] if block else []
    if not lines or any(not line.startswith(PREFIX) for line in lines):
        raise CosignatureError("a signed note's signature lines each start with '— '")
    return text, lines


def _parse_line(line: str) -> tuple[str, bytes] | None:
    fields = line.removeprefix(PREFIX).rstrip("\n").split(" ")
    if len(fields) != 2:
        return None
    raw = _unb64(fields[1])
    if raw is None:
        return None
    return fields[0], raw


def verify_cosignatures(
    checkpoint_text: str, lines: Iterable[str], witnesses: Sequence[CosignerKey]
) -> list[CosignedCheckpoint]:
    """The valid cosignatures among ``lines`` by the given witnesses, at most one per key.

    Lines of other keys, and lines that do not have the cosignature/v1 size, are ignored; a line
    of a configured key that does not verify is ignored too (it does not count), so a witness
    cannot be impersonated and a garbled line cannot make up a quorum.
    """
    known = {(w.name, w.key_id): w for w in witnesses}
    found: dict[bytes, CosignedCheckpoint] = {}
    for line in lines:
        parsed = _parse_line(line)
        if parsed is None:
            continue
        name, raw = parsed
        if len(raw) != COSIGNATURE_LINE_SIZE:
            continue
        witness = known.get((name, raw[:KEY_ID_SIZE]))
        if witness is None or witness.key_id in found:
            continue
        timestamp = int.from_bytes(raw[KEY_ID_SIZE : KEY_ID_SIZE + TIMESTAMP_SIZE], "big")
        if witness.verify(checkpoint_text, timestamp, raw[KEY_ID_SIZE + TIMESTAMP_SIZE :]):
            found[witness.key_id] = CosignedCheckpoint(witness, timestamp, line)
    return list(found.values())


def count_cosigners(note: str, witnesses: Sequence[CosignerKey]) -> list[CosignedCheckpoint]:
    """The valid cosignatures of a whole signed note by the given witnesses."""
    text, lines = note_text(note)
    return verify_cosignatures(text, lines, witnesses)


def require_quorum(
    note: str, witnesses: Sequence[CosignerKey], required: int
) -> list[CosignedCheckpoint]:
    """The valid cosignatures, or ``QuorumError`` when fewer than ``required`` witnesses."""
    valid = count_cosigners(note, witnesses)
    if len(valid) < required:
        text, _ = note_text(note)
        size_line = text.split("\n")[1] if text.count("\n") >= 2 else ""
        raise QuorumError(len(valid), required, int(size_line) if size_line.isdigit() else None)
    return valid


def merge_signature_lines(note: str, lines: Iterable[str]) -> str:
    """``note`` with ``lines`` appended after its own signature lines, none twice."""
    text, present = note_text(note)
    merged = list(present)
    for given in lines:
        line = given if given.endswith("\n") else given + "\n"
        if line not in merged:
            merged.append(line)
    return text + "\n" + "".join(merged)
