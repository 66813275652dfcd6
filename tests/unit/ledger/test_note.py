"""Tests for ledger.note: C2SP signed notes, checkpoints and vkeys."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import note
from ledger.note import (
    BadNoteSignatureError,
    Checkpoint,
    CheckpointError,
    KeyFormatError,
    MalformedNoteError,
    NoteSigner,
    UnverifiedNoteError,
    Verifier,
)

# golang.org/x/mod/sumdb/note package documentation example (the reference implementation of
# C2SP signed-note). Ed25519 is deterministic, so signing must reproduce it byte for byte.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n"
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb"
    "6KE6RyyBwJnAM=\n"
)
# The same documentation's doubly signed example, and the EnochRoot key of the Go tests.
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_LINE = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WW"
    "d1RvMc+QQ=\n"
)

FIXED_SEED = bytes(31) + b"\x01"
FIXED_NAME = "example.org/auxledger"
ORIGIN = "example.org/auxledger"


def _fixed_signer() -> NoteSigner:
    return NoteSigner(FIXED_NAME, Ed25519PrivateKey.from_private_bytes(FIXED_SEED))


def _other_signer(name: str = "witness.example") -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes(31) + b"\x02"))


def _checkpoint(size: int = 7, extensions: tuple[str, ...] = ()) -> Checkpoint:
    return Checkpoint(ORIGIN, size, hashlib.sha256(b"root").digest(), extensions)


def _go_signer() -> NoteSigner:
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == 1
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(raw[1:]))


# --- reference example -----------------------------------------------------------------------


def test_go_reference_example_signs_byte_for_byte() -> None:
    signer = _go_signer()
    assert signer.vkey == GO_VKEY
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.sign(GO_TEXT) == GO_NOTE


def test_go_reference_example_opens() -> None:
    peter = note.parse_vkey(GO_VKEY)
    text, signed_by = note.open_note(GO_NOTE, [peter])
    assert text == GO_TEXT
    assert signed_by == [peter]
    with pytest.raises(BadNoteSignatureError):
        note.open_note(GO_NOTE.replace("cryptography", "cryptographY"), [peter])


def test_go_reference_doubly_signed_note() -> None:
    peter, enoch = note.parse_vkey(GO_VKEY), note.parse_vkey(ENOCH_VKEY)
    doubly = GO_NOTE + ENOCH_LINE
    assert note.open_note(doubly, [enoch]) == (GO_TEXT, [enoch])
    assert note.open_note(doubly, [peter, enoch]) == (GO_TEXT, [peter, enoch])


# --- keys ------------------------------------------------------------------------------------


def test_fixed_key_id_is_stable() -> None:
    signer = _fixed_signer()
    public = signer.public_key_bytes
    assert public.hex() == "4cb5abf6ad79fbf5abbccafcc269d85cd2651ed4b885b5869f241aedf0a5ba29"
    expected = hashlib.sha256(FIXED_NAME.encode() + b"\n\x01" + public).digest()[:4]
    assert note.key_id(FIXED_NAME, public) == expected == signer.key_id
    assert signer.key_id.hex() == "026c084a"
    assert (
        signer.vkey == "example.org/auxledger+026c084a+AUy1q/atefv1q7zK/MJp2FzSZR7UuIW1hp8kGu3wpbop"
    )


def test_vkey_round_trip() -> None:
    signer = _fixed_signer()
    parsed = note.parse_vkey(signer.vkey)
    assert parsed == signer.verifier
    assert parsed.name == FIXED_NAME
    assert parsed.key_id == signer.key_id
    assert parsed.public_key == signer.public_key_bytes
    assert parsed.vkey == signer.vkey
    assert note.format_vkey(FIXED_NAME, signer.public_key_bytes) == signer.vkey


def test_vkey_with_plus_in_base64() -> None:
    # The Go skey's public half is not needed: any key whose base64 contains '+' must parse.
    for seed in range(256):
        signer = NoteSigner("k", Ed25519PrivateKey.from_private_bytes(bytes(31) + bytes([seed])))
        if "+" in signer.vkey.split("+", 2)[2]:
            assert note.parse_vkey(signer.vkey) == signer.verifier
            return
    pytest.fail("no key with '+' in its base64 among 256 seeds")


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda v: v.replace("+026c084a+", "+026c084b+"), "does not match"),
        (lambda v: v.replace("+026c084a+", "+026C084A+"), "lowercase hex"),
        (lambda v: v.replace("+026c084a+", "+26c084a+"), "lowercase hex"),
        (lambda v: v.replace("example.org/auxledger", "example.org/other"), "does not match"),
        (lambda v: v.replace("+AUy1", "+Auy1"), "does not match|canonical|type"),
        (lambda v: v.replace("+AUy1", "+Aky1"), "type"),
        (lambda v: v[:-4], "canonical base64|bytes"),
        (lambda v: v + "AAAA", "bytes"),
        (lambda v: v.split("+", 1)[1], "form"),
        (lambda v: "+" + v, "non-empty|form"),
        (lambda v: "a b" + v[len(FIXED_NAME) :], "whitespace"),
    ],
)
def test_vkey_rejects_mangled(mangle: object, message: str) -> None:
    vkey = _fixed_signer().vkey
    assert callable(mangle)
    with pytest.raises(KeyFormatError, match=message):
        note.parse_vkey(mangle(vkey))


def test_vkey_rejects_every_truncation_and_byte_change() -> None:
    vkey = _fixed_signer().vkey
    for cut in range(len(vkey)):
        with pytest.raises(KeyFormatError):
            note.parse_vkey(vkey[:cut])
    for i, ch in enumerate(vkey):
        replacement = "B" if ch != "B" else "C"
        with pytest.raises(KeyFormatError):
            note.parse_vkey(vkey[:i] + replacement + vkey[i + 1 :])


@pytest.mark.parametrize(
    "name", ["", "a+b", "a b", "tab\tname", "new\nline", "nb\u00a0sp", "\ud800"]
)
def test_invalid_key_names(name: str) -> None:
    key = Ed25519PrivateKey.from_private_bytes(FIXED_SEED)
    with pytest.raises(KeyFormatError):
        NoteSigner(name, key)
    with pytest.raises(KeyFormatError):
        note.key_id(name, bytes(32))


def test_verifier_checks_its_fields() -> None:
    signer = _fixed_signer()
    with pytest.raises(KeyFormatError, match="does not match"):
        Verifier(FIXED_NAME, b"\x00\x00\x00\x00", signer.public_key_bytes)
    with pytest.raises(KeyFormatError, match="4 bytes"):
        Verifier(FIXED_NAME, signer.key_id + b"\x00", signer.public_key_bytes)
    with pytest.raises(KeyFormatError, match="32 bytes"):
        Verifier(FIXED_NAME, signer.key_id, signer.public_key_bytes[:31])


# --- notes -----------------------------------------------------------------------------------


def test_sign_and_open_round_trip() -> None:
    signer = _fixed_signer()
    text = "hello\nworld ✓\n"
    signed = signer.sign(text)
    assert signed.startswith(text + "\n— " + FIXED_NAME + " ")
    assert signed.endswith("\n")
    raw = base64.b64decode(signed.rsplit(" ", 1)[1])
    assert raw[:4] == signer.key_id
    assert len(raw) == 68
    assert note.open_note(signed, [signer.verifier]) == (text, [signer.verifier])


def test_sign_many_and_partial_knowledge() -> None:
    a, b = _fixed_signer(), _other_signer()
    signed = note.sign_many("x\n", [a, b])
    assert signed.count("\n\n") == 1
    assert signed.count("— ") == 2
    assert note.open_note(signed, [b.verifier])[1] == [b.verifier]
    assert note.open_note(signed, [a.verifier, b.verifier])[1] == [a.verifier, b.verifier]
    with pytest.raises(MalformedNoteError, match="signs twice"):
        note.sign_many("x\n", [a, a])
    with pytest.raises(MalformedNoteError, match="at least one"):
        note.sign_many("x\n", [])


def test_unknown_signature_is_ignored() -> None:
    known, unknown = _fixed_signer(), _other_signer()
    signed = known.sign("x\n") + unknown.signature_line("x\n")
    assert note.open_note(signed, [known.verifier]) == ("x\n", [known.verifier])
    # A garbage (but well-formed) signature from an unknown key is ignored, too.
    garbage = "— stranger " + base64.b64encode(b"\x01\x02\x03\x04" + bytes(64)).decode() + "\n"
    assert note.open_note(known.sign("x\n") + garbage, [known.verifier])[0] == "x\n"


def test_no_known_signer() -> None:
    signed = _other_signer().sign("x\n")
    with pytest.raises(UnverifiedNoteError):
        note.open_note(signed, [_fixed_signer().verifier])
    with pytest.raises(UnverifiedNoteError):
        note.open_note(signed, [])


def test_tampered_text_byte() -> None:
    signer = _fixed_signer()
    signed = signer.sign("size 10\n")
    with pytest.raises(BadNoteSignatureError):
        note.open_note(signed.replace("size 10", "size 11"), [signer.verifier])


def _flip_signature_bit(signed: str, position: int, bit: int) -> str:
    """``signed`` with one bit of its (last) signature line's bytes flipped: the key ID is
    bytes 0 to 3, the signature the rest."""
    head, encoded = signed[:-1].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[position] ^= bit
    return head + " " + base64.b64encode(bytes(raw)).decode() + "\n"


def test_tampered_signature_bytes() -> None:
    signer = _fixed_signer()
    signed = signer.sign("abc\n")
    for position in range(4, 4 + 64):  # every byte of the Ed25519 signature after the key ID
        tampered = _flip_signature_bit(signed, position, 0x01)
        with pytest.raises(BadNoteSignatureError):
            note.open_note(tampered, [signer.verifier])


def test_tampered_key_name_or_id_makes_signature_unknown() -> None:
    signer = _fixed_signer()
    signed = signer.sign("abc\n")
    renamed = signed.replace("— " + FIXED_NAME, "— example.org/other")
    with pytest.raises(UnverifiedNoteError):
        note.open_note(renamed, [signer.verifier])
    other_id = _flip_signature_bit(signed, 0, 0x80)
    with pytest.raises(UnverifiedNoteError):
        note.open_note(other_id, [signer.verifier])


def test_duplicate_signature_counts_once_but_every_copy_must_verify() -> None:
    signer = _fixed_signer()
    signed = signer.sign("abc\n")
    line = signer.signature_line("abc\n")
    assert note.open_note(signed + line, [signer.verifier])[1] == [signer.verifier]
    bad = line.replace(line[-6:-2], "AAAA")
    with pytest.raises(BadNoteSignatureError):
        note.open_note(signed + bad, [signer.verifier])


def test_ambiguous_verifiers_are_rejected() -> None:
    signer = _fixed_signer()
    impostor = object.__new__(Verifier)
    object.__setattr__(impostor, "name", FIXED_NAME)
    object.__setattr__(impostor, "key_id", signer.key_id)
    object.__setattr__(impostor, "public_key", bytes(32))
    with pytest.raises(KeyFormatError, match="share"):
        note.open_note(signer.sign("abc\n"), [signer.verifier, impostor])


def _good() -> tuple[str, Verifier]:
    signer = _fixed_signer()
    return signer.sign("line one\nline two\n"), signer.verifier


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda s: s.replace("two\n\n", "two\n"), "no blank line"),
        (lambda s: s.replace("two\n\n", "two\n\n\n"), "more than one blank line"),
        (lambda s: s.replace("one\n", "one\n\n"), "more than one blank line"),
        (lambda s: "\n" + s, "empty line"),
        (lambda s: s.replace("line one", "line\tone"), "control character"),
        (lambda s: s.replace("line one", "line\rone"), "control character"),
        (lambda s: s.replace("line one", "line\x00one"), "control character"),
        (lambda s: s.replace("line one", "line\x7fone"), "control character"),
        (lambda s: s[:-1], "does not end with a newline"),
        (lambda s: s.split("\n\n")[0] + "\n\n", "no signature lines"),
        (lambda s: s.replace("— ", "- "), "does not start"),
        (lambda s: s.replace("— ", "—"), "does not start"),
        (lambda s: s.replace("— " + FIXED_NAME + " ", "— " + FIXED_NAME + "  "), "not '— "),
        (lambda s: s[:-2] + "\n", "canonical base64"),
        (lambda s: s[:-1] + "\n\n", "more than one blank line"),
        (lambda s: s.replace("— " + FIXED_NAME, "— a+b"), "contains '\\+'"),
        (lambda s: s + "— x AQID\n", "too short"),
        (lambda s: s + "— x !!!!\n", "canonical base64"),
        (lambda s: s + "not a signature\n", "does not start"),
        (lambda s: "\ud800" + s, "UTF-8"),
    ],
)
def test_malformed_notes(mangle: object, message: str) -> None:
    signed, verifier = _good()
    assert callable(mangle)
    with pytest.raises(MalformedNoteError, match=message):
        note.open_note(mangle(signed), [verifier])


def test_too_many_signatures() -> None:
    signed, verifier = _good()
    filler = "— x " + base64.b64encode(bytes(68)).decode() + "\n"
    note.open_note(signed + filler * 99, [verifier])
    with pytest.raises(MalformedNoteError, match="more than 100"):
        note.open_note(signed + filler * 100, [verifier])


@pytest.mark.parametrize("text", ["", "no newline", "a\n\nb\n", "\na\n", "tab\there\n", "\ud800\n"])
def test_sign_rejects_invalid_text(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        _fixed_signer().sign(text)


# --- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_text_format() -> None:
    root = hashlib.sha256(b"root").digest()
    cp = Checkpoint(ORIGIN, 7, root)
    assert cp.to_text() == f"{ORIGIN}\n7\n{base64.b64encode(root).decode()}\n"
    with_ext = Checkpoint(ORIGIN, 0, root, ("ext one", "ext two"))
    assert with_ext.to_text().endswith("\next one\next two\n")
    for c in (cp, with_ext):
        assert Checkpoint.parse(c.to_text()) == c


def test_signed_checkpoint_round_trip() -> None:
    signer = _fixed_signer()
    cp = _checkpoint(123456789, ("extension line",))
    signed = note.signed_checkpoint(cp, signer)
    assert signed.startswith(cp.to_text() + "\n— ")
    assert note.open_checkpoint(signed, [signer.verifier]) == cp
    assert note.open_checkpoint(signed, [signer.verifier], origin=ORIGIN) == cp


def test_open_checkpoint_wrong_origin() -> None:
    signer = _fixed_signer()
    signed = note.signed_checkpoint(_checkpoint(), signer)
    with pytest.raises(CheckpointError, match="origin"):
        note.open_checkpoint(signed, [signer.verifier], origin="example.org/elsewhere")


def test_open_checkpoint_signed_garbage_body() -> None:
    signer = _fixed_signer()
    signed = signer.sign(f"{ORIGIN}\n07\nAAAA\n")
    with pytest.raises(CheckpointError, match="canonical decimal"):
        note.open_checkpoint(signed, [signer.verifier])


def test_open_checkpoint_requires_signature() -> None:
    signed = note.signed_checkpoint(_checkpoint(), _other_signer())
    with pytest.raises(UnverifiedNoteError):
        note.open_checkpoint(signed, [_fixed_signer().verifier])


ROOT_B64 = base64.b64encode(hashlib.sha256(b"root").digest()).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ORIGIN}\n007\n{ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n-1\n{ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n+1\n{ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n1_000\n{ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n\u0661\n{ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n 1\n{ROOT_B64}\n", "canonical decimal"),
        (f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n", "outside"),
        (f"{ORIGIN}\n1\n{ROOT_B64[:-1]}\n", "canonical base64"),
        (f"{ORIGIN}\n1\n{ROOT_B64.replace('=', '')}\n", "canonical base64"),
        (f"{ORIGIN}\n1\n!{ROOT_B64[1:]}\n", "canonical base64"),
        (f"{ORIGIN}\n1\n{base64.b64encode(bytes(31)).decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1\n{base64.b64encode(bytes(33)).decode()}\n", "32 bytes"),
        (f"\n1\n{ROOT_B64}\n", "origin is empty"),
        (f"{ORIGIN}\n1\n", "origin, size and root"),
        (f"{ORIGIN}\n1\n{ROOT_B64}", "end with a newline"),
        (f"{ORIGIN}\n1\n{ROOT_B64}\n\n", "non-empty"),
        (f"{ORIGIN}\n1\n{ROOT_B64}\next\x01\n", "control character"),
    ],
)
def test_checkpoint_parse_rejects(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Checkpoint.parse(text)


def test_checkpoint_size_bounds() -> None:
    root = hashlib.sha256(b"root").digest()
    assert Checkpoint.parse(f"{ORIGIN}\n0\n{ROOT_B64}\n").size == 0
    assert Checkpoint.parse(f"{ORIGIN}\n{2**64 - 1}\n{ROOT_B64}\n").size == 2**64 - 1
    with pytest.raises(CheckpointError):
        Checkpoint(ORIGIN, -1, root)
    with pytest.raises(CheckpointError):
        Checkpoint(ORIGIN, 2**64, root)
    with pytest.raises(CheckpointError):
        Checkpoint("bad\norigin", 1, root)
    with pytest.raises(CheckpointError):
        Checkpoint(ORIGIN, 1, root, ("",))
