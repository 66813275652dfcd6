"""C2SP signed notes, tlog-checkpoint bodies and vkeys, with Ed25519 keys.

Formats (c2sp.org/signed-note, c2sp.org/tlog-checkpoint, as in golang.org/x/mod/sumdb/note):

- key id = SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]
- vkey = ``<name>+<8 lowercase hex digits of key id>+<base64(0x01 || public key)>``
- signed note = text, a blank line, then signature lines
  ``— <key name> <base64(key id || 64-byte signature)>\\n`` (U+2014 EM DASH, space)
- checkpoint text = ``<origin>\\n<tree size>\\n<base64 root>\\n`` then optional extension lines

Invariants:

- The signed message is exactly the note text: every line above the separating blank line,
  each ending in ``\\n``, encoded as UTF-8; the blank line and signature lines are not signed.
- Text is non-empty, ends in ``\\n``, has no empty line and no ASCII control character other
  than ``\\n``; a note contains exactly one blank line (the separator) and at least one
  signature line. What ``sign`` emits, ``open_note`` accepts, and nothing looser.
- Key names are non-empty UTF-8 with no ``+``, no whitespace and no control characters.
- Base64 is standard with padding and must be canonical (decode then encode gives it back).
- ``open_note`` returns only after at least one known key verified the text; a signature line
  naming a known (name, key id) that fails verification rejects the whole note; signature lines
  from unknown keys are parsed for well-formedness and otherwise ignored.
- A ``Checkpoint`` always holds a valid origin, a size in ``[0, 2**64)``, a 32-byte root and
  well-formed extension lines; ``Checkpoint.parse(c.to_text()) == c``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_ED25519",
    "SIGNATURE_PREFIX",
    "BadNoteSignatureError",
    "Checkpoint",
    "CheckpointError",
    "KeyFormatError",
    "MalformedNoteError",
    "NoteError",
    "NoteSigner",
    "UnverifiedNoteError",
    "Verifier",
    "canonical_b64decode",
    "format_vkey",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_vkey",
    "sign_many",
    "signed_checkpoint",
]

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # EM DASH, SPACE
KEY_ID_SIZE = 4
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
ROOT_SIZE = 32
MAX_SIGNATURES = 100
MAX_TREE_SIZE = 2**64 - 1

_SIZE_RE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_HEX_ID_RE = re.compile(r"[0-9a-f]{8}", re.ASCII)


class NoteError(Exception):
    """Base class of every error raised by this module."""


class MalformedNoteError(NoteError):
    """The note (or the text to be signed) does not follow the signed-note format."""


class UnverifiedNoteError(NoteError):
    """The note is well formed but no known key signed it."""


class BadNoteSignatureError(NoteError):
    """A signature line from a known key does not verify."""


class KeyFormatError(NoteError):
    """A key name, public key or vkey is malformed, or a vkey's key id does not match."""


class CheckpointError(NoteError):
    """A checkpoint body is malformed or is for an unexpected origin."""


# ---------------------------------------------------------------------------------------------
# Helpers


_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f]")


def _has_control(text: str, *, allow_newline: bool) -> bool:
    return (_CONTROL_BUT_NEWLINE if allow_newline else _CONTROL).search(text) is not None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise KeyFormatError("key name must be a non-empty string")
    if "+" in name:
        raise KeyFormatError(f"key name {name!r} contains '+'")
    if any(ch.isspace() for ch in name):
        raise KeyFormatError(f"key name {name!r} contains whitespace")
    if _has_control(name, allow_newline=False):
        raise KeyFormatError(f"key name {name!r} contains a control character")
    if not _is_utf8(name):
        raise KeyFormatError(f"key name {name!r} is not valid UTF-8")


def canonical_b64decode(value: str) -> bytes | None:
    """Strict standard base64 with padding; None unless ``value`` is the canonical encoding
    (every base64 field of a note, and of a witness request: ``ledger.witness``)."""
    if not value or not value.isascii():
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != value:
        return None
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_text(text: str) -> None:
    """The rules every signed note text obeys; raises ``MalformedNoteError``."""
    if not isinstance(text, str) or not text:
        raise MalformedNoteError("note text is empty")
    if not text.endswith("\n"):
        raise MalformedNoteError("note text does not end with a newline")
    if text.startswith("\n") or "\n\n" in text:
        raise MalformedNoteError("note text contains an empty line")
    if _has_control(text, allow_newline=True):
        raise MalformedNoteError("note text contains an ASCII control character")
    if not _is_utf8(text):
        raise MalformedNoteError("note text is not valid UTF-8")


# ---------------------------------------------------------------------------------------------
# Keys


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _check_name(name)
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise KeyFormatError(f"Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + bytes(public_key)
    ).digest()
    return digest[:KEY_ID_SIZE]


def format_vkey(name: str, public_key: bytes) -> str:
    """The vkey ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
    kid = key_id(name, public_key)
    return f"{name}+{kid.hex()}+{_b64encode(bytes([ALG_ED25519]) + bytes(public_key))}"


@dataclass(frozen=True, slots=True)
class Verifier:
    """A known Ed25519 note key: name, 4-byte key id and 32-byte public key (checked to agree)."""

    name: str
    key_id: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.key_id) != KEY_ID_SIZE:
            raise KeyFormatError(f"key id must be {KEY_ID_SIZE} bytes")
        if key_id(self.name, self.public_key) != self.key_id:
            raise KeyFormatError(f"key id {self.key_id.hex()} does not match key {self.name!r}")

    @property
    def vkey(self) -> str:
        """This key in vkey form."""
        return format_vkey(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True when ``signature`` is a valid Ed25519 signature of ``message`` by this key."""
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def parse_vkey(text: str) -> Verifier:
    """Parse a vkey, checking the name, the hex id, the type byte, the key length and the id."""
    parts = text.split("+", 2)  # the base64 key itself may contain '+'
    if len(parts) != 3:
        raise KeyFormatError("vkey must have the form <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    _check_name(name)
    if not _HEX_ID_RE.fullmatch(hex_id):
        raise KeyFormatError(f"vkey key id {hex_id!r} is not 8 lowercase hex digits")
    raw = canonical_b64decode(encoded)
    if raw is None:
        raise KeyFormatError("vkey key is not canonical base64")
    if len(raw) != 1 + PUBLIC_KEY_SIZE:
        raise KeyFormatError(f"vkey key must be 1 + {PUBLIC_KEY_SIZE} bytes, got {len(raw)}")
    if raw[0] != ALG_ED25519:
        raise KeyFormatError(f"vkey key type {raw[0]:#04x} is not Ed25519 (0x01)")
    public_key = raw[1:]
    if key_id(name, public_key).hex() != hex_id:
        raise KeyFormatError(f"vkey key id {hex_id} does not match the key")
    return Verifier(name=name, key_id=bytes.fromhex(hex_id), public_key=public_key)


class NoteSigner:
    """Signs note texts with one named Ed25519 key."""

    __slots__ = ("_key_id", "_name", "_private_key", "_public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self._name = name
        self._private_key = private_key
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = key_id(name, self._public_key)

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id."""
        return self._key_id

    @property
    def public_key_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public_key

    @property
    def vkey(self) -> str:
        """The vkey that verifies this signer's notes."""
        return format_vkey(self._name, self._public_key)

    @property
    def verifier(self) -> Verifier:
        """The matching ``Verifier``."""
        return Verifier(self._name, self._key_id, self._public_key)

    def signature_line(self, text: str) -> str:
        """The ``— <name> <base64>\\n`` line signing ``text`` (which must be valid note text)."""
        _check_text(text)
        signature = self._private_key.sign(text.encode("utf-8"))
        return f"{SIGNATURE_PREFIX}{self._name} {_b64encode(self._key_id + signature)}\n"

    def sign(self, text: str) -> str:
        """The full signed note: ``text``, a blank line and this key's signature line."""
        return sign_many(text, [self])


def sign_many(text: str, signers: Sequence[NoteSigner]) -> str:
    """A note signed by every signer, in the given order (at least one, no key twice)."""
    _check_text(text)
    if not signers:
        raise MalformedNoteError("a note needs at least one signer")
    if len(signers) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signers")
    seen: set[tuple[str, bytes]] = set()
    for signer in signers:
        key = (signer.name, signer.key_id)
        if key in seen:
            raise MalformedNoteError(f"key {signer.name}+{signer.key_id.hex()} signs twice")
        seen.add(key)
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


# ---------------------------------------------------------------------------------------------
# Opening notes


@dataclass(frozen=True, slots=True)
class SignatureLine:
    """One parsed signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes


def split_note(note: str) -> tuple[str, list[SignatureLine]]:
    """Split a signed note strictly into its text and signature lines (nothing verified)."""
    if not isinstance(note, str):
        raise MalformedNoteError("note must be a string")
    if _has_control(note, allow_newline=True):
        raise MalformedNoteError("note contains an ASCII control character")
    if not _is_utf8(note):
        raise MalformedNoteError("note is not valid UTF-8")
    separators = note.count("\n\n")
    if separators == 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    if separators > 1 or "\n\n\n" in note:
        raise MalformedNoteError("note has more than one blank line")
    split = note.index("\n\n")
    text, block = note[: split + 1], note[split + 2 :]
    _check_text(text)
    if not block:
        raise MalformedNoteError("note has no signature lines")
    if not block.endswith("\n"):
        raise MalformedNoteError("signature block does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")
    parsed: list[SignatureLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNoteError(f"signature line {number} does not start with '— '")
        fields = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(fields) != 2:
            raise MalformedNoteError(f"signature line {number} is not '— <name> <signature>'")
        name, encoded = fields
        try:
            _check_name(name)
        except KeyFormatError as exc:
            raise MalformedNoteError(f"signature line {number}: {exc}") from None
        raw = canonical_b64decode(encoded)
        if raw is None:
            raise MalformedNoteError(f"signature line {number} is not canonical base64")
        if len(raw) <= KEY_ID_SIZE:
            raise MalformedNoteError(f"signature line {number} is too short")
        parsed.append(SignatureLine(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:]))
    return text, parsed


def open_note(note: str, verifiers: Sequence[Verifier]) -> tuple[str, list[Verifier]]:
    """Split and verify a signed note; return its text and the known keys that signed it.

    Raises ``MalformedNoteError`` for format violations, ``BadNoteSignatureError`` when a
    signature line from a known key fails to verify, ``UnverifiedNoteError`` when no known key
    signed the note.
    """
    text, lines = split_note(note)
    known: dict[tuple[str, bytes], Verifier] = {}
    for candidate in verifiers:
        previous = known.setdefault((candidate.name, candidate.key_id), candidate)
        if previous != candidate:
            raise KeyFormatError(
                f"two different verifiers share {candidate.name}+{candidate.key_id.hex()}"
            )
    message = text.encode("utf-8")
    verified: list[Verifier] = []
    for number, line in enumerate(lines, start=1):
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        if not verifier.verify(message, line.signature):
            raise BadNoteSignatureError(
                f"signature by {line.name}+{verifier.key_id.hex()} (line {number}) does not verify"
            )
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise UnverifiedNoteError("note is not signed by any known key")
    return text, verified


# ---------------------------------------------------------------------------------------------
# Checkpoints


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A C2SP tlog-checkpoint body: origin, tree size, 32-byte root hash, extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin:
            raise CheckpointError("checkpoint origin is empty")
        if _has_control(self.origin, allow_newline=False) or not _is_utf8(self.origin):
            raise CheckpointError("checkpoint origin contains a control character or bad UTF-8")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError("checkpoint size must be an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"checkpoint size {self.size} is outside [0, 2**64)")
        if not isinstance(self.root, bytes) or len(self.root) != ROOT_SIZE:
            raise CheckpointError(f"checkpoint root must be {ROOT_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("checkpoint extensions must be a tuple of lines")
        for line in self.extensions:
            if not isinstance(line, str) or not line:
                raise CheckpointError("checkpoint extension lines must be non-empty")
            if _has_control(line, allow_newline=False) or not _is_utf8(line):
                raise CheckpointError("checkpoint extension line has a control character")

    def to_text(self) -> str:
        """The note text: origin, size, base64 root and extensions, each ending in ``\\n``."""
        lines = [self.origin, str(self.size), _b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (exact format, canonical size and base64)."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint needs origin, size and root lines")
        origin, size_text, root_text, *extensions = lines
        if not _SIZE_RE.fullmatch(size_text):
            raise CheckpointError(f"checkpoint size {size_text!r} is not a canonical decimal")
        root = canonical_b64decode(root_text)
        if root is None:
            raise CheckpointError("checkpoint root is not canonical base64")
        return cls(origin, int(size_text), root, tuple(extensions))


def signed_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a signed note."""
    return signer.sign(checkpoint.to_text())


def open_checkpoint(
    note: str, verifiers: Sequence[Verifier], origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint note and parse it; check the origin when one is given."""
    text, _ = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(
            f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}"
        )
    return checkpoint
