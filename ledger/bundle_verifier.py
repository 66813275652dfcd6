#!/usr/bin/env python3
"""verify_bundle.py: check an auxledger evidence bundle offline (standard library + cryptography).

This file is shipped inside every bundle as ``verify_bundle.py`` exactly as it is kept in the
auxledger source tree (``ledger/bundle_verifier.py``); it imports nothing of auxledger.

    python3 verify_bundle.py BUNDLE.zip [--log-vkey VKEY ...]
                             [--witness-vkey VKEY ... [--witnesses-required K]]

(``--witness-threshold`` is an older name of ``--witnesses-required``.)

What it checks (docs/integrity.md, "Evidence bundles"):

1. every member is in its canonical form (JSON sorted and compact, base64 and hex canonical);
2. the log's public keys (C2SP vkeys): each key id matches its name and key; their validity
   (by log position) is recomputed from the signed key-registry records in the bundle and
   must equal what ``keys/log-keys.json`` states; with ``--log-vkey`` the registry must be
   rooted in one of the given keys;
3. both checkpoints (C2SP signed notes, exactly as published, possibly with witness
   cosignatures) are signed by a log key valid at the checkpoint's last leaf; with
   ``--witness-vkey`` at least K of the named witnesses cosigned one of them (this file's own
   quorum count, ``witness_quorum``: it cannot import auxledger's ``require_quorum``)
   (a type-0x04 key only by a c2sp.org/tlog-cosignature, a type-0x01 key only by a
   plain Ed25519 note signature);
4. the consistency proof from the anchor checkpoint to the newest one (RFC 9162 2.1.4.2);
5. every record: its byte format, its Ed25519 signature by a key valid at its log position,
   its inclusion proof against the anchor checkpoint (RFC 9162 2.1.3.2), and the hash chain
   of its aggregate from version 1 without a gap;
6. every opened personal field: the subject's data key decrypts the sealed field in the signed
   record (AES-256-GCM, bound to subject, event and field) to exactly the value given (the
   same canonical JSON bytes: ``true`` is not ``1``); fields
   of an erased subject are ``[erased]`` and the erasure is itself a signed record in the bundle.

Before any of that the zip itself is held to limits (``read_zip``): only the members a bundle
has (the fixed files and ``records/<id>-<version>.bin``), at most ``MAX_MEMBERS`` of them,
each at most ``MAX_MEMBER_BYTES`` and ``MAX_TOTAL_BYTES`` in all, checked from the headers and
again while reading (a header can lie); a crafted archive is unreadable, not a crash.

Exit 0: valid; 1: invalid (each failure names the member and the reason); 2: unreadable.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import struct
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "auxledger-bundle/v1"
MANIFEST = "manifest.json"
KEYS = "keys/log-keys.json"
ANCHOR = "checkpoints/anchor.txt"
NEWEST = "checkpoints/newest.txt"
INCLUSION = "proofs/inclusion.json"
CONSISTENCY = "proofs/consistency.json"
SUBJECT_KEYS = "opened/subject-keys.json"
FIELDS = "opened/fields.json"
CASE_FILE = "case-file.pdf"
VERIFY_TEXT = "VERIFY.md"
VERIFIER = "verify_bundle.py"
FIXED_MEMBERS = frozenset(
    (
        MANIFEST,
        KEYS,
        ANCHOR,
        NEWEST,
        INCLUSION,
        CONSISTENCY,
        SUBJECT_KEYS,
        FIELDS,
        CASE_FILE,
        VERIFY_TEXT,
        VERIFIER,
    )
)
FOLDERS = frozenset(("records/", "keys/", "checkpoints/", "proofs/", "opened/"))
# Limits on what is read from a bundle (a zip bomb or a crafted archive stops, exit 2): far
# above any real bundle (an auxiliary with thousands of records), far below a machine's memory.
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
_CHUNK = 1024 * 1024

ERASED = "[erased]"
MAGIC = b"AXR1"
SIGNING_PREFIX = b"auxledger/event-signature/v1\x00"
FIELD_AAD = b"auxledger/personal-field/v1\x00"
COSIGNATURE_PREFIX = b"cosignature/v1\ntime "
MAX_TIMESTAMP = 2**63 - 1  # c2sp.org/tlog-cosignature: a timestamp is at most 2^63-1
GENESIS_PREVIOUS = bytes(32)
REGISTRY_TOPIC = "ledger.keyring:KeyRegistry."
ERASURE_TOPIC = "ledger.privacy:ErasureRecord.Erased"
_HEADER = struct.Struct(">4s16sQ32s4sH")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX8 = re.compile(r"[0-9a-f]{8}")
_RECORD_NAME = re.compile(r"records/([0-9a-f]{32})-([0-9]{6})\.bin")

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


class BundleUnreadable(Exception):  # noqa: N818 - a verdict, not a bug
    """The file is not a readable bundle at all."""


@dataclass
class Failure:
    """One thing that did not verify: the member it is in and why."""

    member: str
    reason: str

    def __str__(self) -> str:
        return f"{self.member}: {self.reason}"


@dataclass
class Record:
    """One signed record (a Merkle leaf), parsed."""

    member: str
    raw: bytes
    originator_id: str
    version: int
    previous: bytes
    key_id: bytes
    topic: str
    payload: bytes
    signature: bytes

    @property
    def hash(self) -> bytes:
        """SHA-256 of the whole record: what the next record of its aggregate points at."""
        return hashlib.sha256(self.raw).digest()

    @property
    def leaf_hash(self) -> bytes:
        """RFC 9162 leaf hash."""
        return hashlib.sha256(b"\x00" + self.raw).digest()


@dataclass
class LogKey:
    """A log signing key and its validity, as leaf positions (inclusive)."""

    name: str
    key_id: bytes
    public: bytes
    vkey: str
    valid_from: int | None = None
    valid_until: int | None = None
    status: str = "created"


@dataclass
class Report:
    """Everything the verifier found."""

    failures: list[Failure] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if nothing failed."""
        return not self.failures

    def fail(self, member: str, reason: str) -> None:
        """Note one failure."""
        self.failures.append(Failure(member, reason))


# --------------------------------------------------------------------------- small helpers


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right)


def b64(text: object) -> bytes:
    """Canonical standard base64 (decoding then encoding gives the text back), else ValueError."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


def canonical_json(value: Any) -> bytes:
    """The one byte form every JSON member of a bundle has."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def load_json(members: Mapping[str, bytes], name: str) -> Any:
    """A JSON member, which must be in its canonical form."""
    try:
        value = json.loads(members[name].decode("utf-8"))
    except KeyError:
        raise ValueError("missing from the bundle") from None
    except (UnicodeDecodeError, ValueError):
        raise ValueError("is not valid UTF-8 JSON") from None
    if canonical_json(value) != members[name]:
        raise ValueError("is not in canonical form (sorted, compact JSON)")
    return value


def _keys_exactly(value: Any, keys: Iterable[str], what: str) -> dict[str, Any]:
    wanted = set(keys)
    if not isinstance(value, dict) or set(value) != wanted:
        raise ValueError(f"{what} must be an object with exactly {sorted(wanted)}")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer")
    number: int = value
    return number


def parse_record(member: str, raw: bytes) -> Record:
    """Strict parse of the signed-record format (docs/formats.md)."""
    if len(raw) < _HEADER.size + 4 + 64:
        raise ValueError("record is shorter than the smallest record")
    magic, oid, version, previous, key_id, topic_len = _HEADER.unpack_from(raw)
    if magic != MAGIC:
        raise ValueError("record does not start with AXR1")
    offset = _HEADER.size
    topic_raw = raw[offset : offset + topic_len]
    offset += topic_len
    if len(raw) < offset + 4:
        raise ValueError("record is cut short in its topic")
    (payload_len,) = struct.unpack_from(">I", raw, offset)
    offset += 4
    payload = raw[offset : offset + payload_len]
    offset += payload_len
    if len(raw) != offset + 64:
        raise ValueError("record length does not match its header")
    try:
        topic = topic_raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("record topic is not UTF-8") from None
    return Record(
        member=member,
        raw=raw,
        originator_id=oid.hex(),
        version=version,
        previous=previous,
        key_id=key_id,
        topic=topic,
        payload=payload,
        signature=raw[-64:],
    )


def parse_vkey(text: object) -> LogKey:
    """A C2SP vkey ``name+hexid+base64(type || key)`` whose key id matches."""
    if not isinstance(text, str) or text.count("+") < 2:
        raise ValueError("is not a vkey (name+id+key)")
    name, hex_id, encoded = text.split("+", 2)
    if not name or any(c.isspace() for c in name) or not _HEX8.fullmatch(hex_id):
        raise ValueError("vkey name or key id is malformed")
    raw = b64(encoded)
    if len(raw) != 33 or raw[0] not in (0x01, 0x04):
        raise ValueError("vkey is not an Ed25519 key (type 0x01 or 0x04)")
    key_id = _sha256(name.encode("utf-8") + b"\n" + raw)[:4]
    if key_id.hex() != hex_id:
        raise ValueError("vkey key id does not match its name and key")
    return LogKey(name=name, key_id=key_id, public=raw, vkey=text)


def _ed25519(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- Merkle proofs


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2 steps 1-5 but the root comparison: the root the proof leads to; raises
    ValueError. ``ledger.merkle`` runs these same steps for the ledger's own checks."""
    if index >= size:
        raise ValueError(f"leaf index {index} is not below tree size {size}")
    if any(len(p) != 32 for p in proof):
        raise ValueError("inclusion proof has a hash of the wrong size")
    fn, sn, r = index, size - 1, leaf  # steps 2 and 3
    for p in proof:  # step 4
        if sn == 0:
            raise ValueError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 5, first half
        raise ValueError("inclusion proof is shorter than the path to the root")
    return r


def consistency_roots(
    first: int, second: int, first_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """RFC 9162 2.1.4.2 steps 1-6 for 0 < first < second, and the ``sn == 0`` check of step 7:
    the first and second roots the proof leads to; raises ValueError. ``ledger.merkle`` runs
    these same steps for the ledger's own checks."""
    if not 0 < first < second:  # step 3 would never end for first == 0
        raise ValueError(f"consistency roots need 0 < first < second, not {first} -> {second}")
    if not proof or any(len(p) != 32 for p in proof):
        raise ValueError("consistency proof is empty or has a hash of the wrong size")
    path = list(proof)
    if first & (first - 1) == 0:  # step 2
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise ValueError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _node(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7, first part
        raise ValueError("consistency proof does not lead from the first root to the second")
    return fr, sr


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 2.1.4.2; raises ValueError."""
    if not 0 < first <= second:
        raise ValueError(f"sizes {first} -> {second} cannot be proven consistent")
    if first == second:
        if proof or first_root != second_root:
            raise ValueError("equal sizes need equal roots and an empty proof")
        return
    if consistency_roots(first, second, first_root, proof) != (first_root, second_root):
        raise ValueError("consistency proof does not lead from the first root to the second")


# --------------------------------------------------------------------------- checkpoints


@dataclass
class Note:
    """A C2SP signed note split into its text and signature lines."""

    text: str
    origin: str
    size: int
    root: bytes
    lines: list[tuple[str, bytes, bytes]]  # (name, key id, signature blob after the id)


def parse_note(data: bytes) -> Note:
    """Split a signed checkpoint note strictly."""
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("checkpoint is not UTF-8") from None
    if note.count("\n\n") != 1 or "\n\n\n" in note or not note.endswith("\n"):
        raise ValueError("checkpoint is not a signed note (text, blank line, signatures)")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise ValueError("checkpoint contains a control character")
    text, block = note.split("\n\n")
    text += "\n"
    body = text[:-1].split("\n")
    if len(body) < 3 or not body[0]:
        raise ValueError("checkpoint needs origin, size and root lines")
    if not re.fullmatch(r"0|[1-9][0-9]*", body[1]):
        raise ValueError("checkpoint size is not a canonical decimal")
    root = b64(body[2])
    if len(root) != 32:
        raise ValueError("checkpoint root is not 32 bytes")
    lines = []
    for number, line in enumerate(block[:-1].split("\n"), start=1):
        parts = line.removeprefix("\u2014 ").split(" ")
        if not line.startswith("\u2014 ") or len(parts) != 2 or not parts[0]:
            raise ValueError(f"signature line {number} is not '— <name> <signature>'")
        blob = b64(parts[1])
        if len(blob) <= 4:
            raise ValueError(f"signature line {number} is too short")
        lines.append((parts[0], blob[:4], blob[4:]))
    return Note(text=text, origin=body[0], size=int(body[1]), root=root, lines=lines)


def log_signers(note: Note, keys: Mapping[bytes, LogKey]) -> list[LogKey]:
    """The log keys whose signature lines on the note verify; a bad one raises ValueError."""
    signed = []
    for name, key_id, signature in note.lines:
        key = keys.get(key_id)
        if key is None or key.name != name:
            continue
        if not _ed25519(key.public[1:], signature, note.text.encode("utf-8")):
            raise ValueError(f"the signature of log key {key_id.hex()} does not verify")
        signed.append(key)
    return signed


def witness_signers(note: Note, witnesses: Sequence[LogKey]) -> list[str]:
    """Names of the given witnesses whose signature on the note verifies.

    The key's type decides the one signature form it may make (no mixing): a type-0x04
    (c2sp.org/tlog-cosignature) key only the 72-byte ``cosignature/v1`` form (8-byte
    timestamp, at most 2^63-1, then Ed25519 over the cosigned message); a type-0x01 key only
    a plain 64-byte Ed25519 note signature.
    """
    found = []
    for witness in witnesses:
        for name, key_id, blob in note.lines:
            if name != witness.name or key_id != witness.key_id:
                continue
            if witness.public[0] == 0x04:
                ok = False
                if len(blob) == 72:
                    timestamp = struct.unpack(">Q", blob[:8])[0]
                    message = (
                        COSIGNATURE_PREFIX + str(timestamp).encode() + b"\n" + note.text.encode()
                    )
                    ok = timestamp <= MAX_TIMESTAMP and _ed25519(
                        witness.public[1:], blob[8:], message
                    )
            else:
                ok = len(blob) == 64 and _ed25519(
                    witness.public[1:], blob, note.text.encode("utf-8")
                )
            if ok:
                found.append(witness.vkey)
    return found


def witness_quorum(
    notes: Sequence[Note], witnesses: Sequence[LogKey], required: int | None
) -> tuple[int, int]:
    """(the most named witnesses that signed any one of ``notes``, how many are required).

    The same rule as auxledger's own ``require_quorum`` (``ledger/cosignature.py``), kept
    here so that this file stays standalone: each witness counts once (by key), a line that
    does not verify does not count, and ``required`` defaults to every named witness. A
    witness named twice is refused (``BundleUnreadable``). The difference: ``require_quorum``
    knows only cosignature (0x04) keys, this also plain Ed25519 (0x01) witness keys.
    """
    ids = [w.key_id for w in witnesses]
    if len(set(ids)) != len(ids):
        raise BundleUnreadable("--witness-vkey: the same witness is named twice")
    need = len(witnesses) if required is None else required
    best = max((len(set(witness_signers(n, witnesses))) for n in notes), default=0)
    return best, need


# --------------------------------------------------------------------------- the bundle


def _expected(name: str) -> bool:
    """A member a bundle may hold: the fixed files, its folders and ``records/<id>-<v>.bin``."""
    return name in FIXED_MEMBERS or name in FOLDERS or _RECORD_NAME.fullmatch(name) is not None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """One member, read in chunks and stopped at its stated size and the caps (headers lie)."""
    cap = min(info.file_size, MAX_MEMBER_BYTES, budget)
    data = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            data += chunk
            if len(data) > cap:
                raise BundleUnreadable(
                    f"member {info.filename!r} holds more than its stated size or the limits "
                    f"({MAX_MEMBER_BYTES} bytes a member, {MAX_TOTAL_BYTES} in all)"
                )
    return bytes(data)


def read_zip(path: str) -> dict[str, bytes]:
    """Every member of the zip by name, within limits.

    Refused (``BundleUnreadable``): a duplicated, unsafe or unexpected member name (only the
    fixed files and ``records/<32 hex>-<6 digits>.bin``), more than ``MAX_MEMBERS`` members, a
    member stated or found larger than ``MAX_MEMBER_BYTES``, more than ``MAX_TOTAL_BYTES`` in
    all. Sizes are checked from the headers first, then while reading, in chunks.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise BundleUnreadable(
                    f"{path} holds {len(infos)} members, more than a bundle may ({MAX_MEMBERS})"
                )
            seen: set[str] = set()
            stated = 0
            for info in infos:
                name = info.filename
                if name in seen or name.startswith("/") or ".." in name.split("/"):
                    raise BundleUnreadable(f"member {name[:100]!r} is duplicated or unsafe")
                if not _expected(name):
                    raise BundleUnreadable(f"member {name[:100]!r} is not a member of a bundle")
                seen.add(name)
                if info.file_size > MAX_MEMBER_BYTES:
                    raise BundleUnreadable(
                        f"member {name!r} states {info.file_size} bytes, more than a member "
                        f"may hold ({MAX_MEMBER_BYTES})"
                    )
                stated += info.file_size
            if stated > MAX_TOTAL_BYTES:
                raise BundleUnreadable(
                    f"{path} states {stated} bytes in all, more than a bundle may hold "
                    f"({MAX_TOTAL_BYTES})"
                )
            members: dict[str, bytes] = {}
            budget = MAX_TOTAL_BYTES
            for info in infos:
                if not info.filename.endswith("/"):
                    data = _read_member(archive, info, budget)
                    budget -= len(data)
                    members[info.filename] = data
            return members
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        raise BundleUnreadable(f"cannot read {path} as a zip file: {e}") from None
    except (zipfile.error, RuntimeError, ValueError, EOFError, NotImplementedError) as e:
        # A damaged member: its CRC or compressed data is wrong, or an unknown compression.
        raise BundleUnreadable(f"a member of {path} is damaged: {e}") from None
    except MemoryError:
        raise BundleUnreadable(f"{path} is too large to read into memory") from None


def _registry_validity(
    report: Report, registry: Sequence[tuple[Record, int]]
) -> dict[bytes, LogKey]:
    """Key validity by leaf position, replayed from the key-registry records."""
    derived: dict[bytes, LogKey] = {}
    active: bytes | None = None
    for record, position in registry:
        try:
            payload = json.loads(record.payload)
        except ValueError:
            report.fail(record.member, "key registry payload is not JSON")
            continue
        event = record.topic[len(REGISTRY_TOPIC) :]
        if event in ("Started", "KeyCreated"):
            try:
                key = parse_vkey(payload.get("vkey"))
            except ValueError as e:
                report.fail(record.member, f"key registry names a bad vkey: {e}")
                continue
            derived[key.key_id] = key
            if event == "Started":
                key.valid_from, key.status, active = position, "active", key.key_id
            continue
        key_id_text = payload.get("key_id")
        key_id = bytes.fromhex(key_id_text) if isinstance(key_id_text, str) else b""
        known = derived.get(key_id)
        if known is None:
            report.fail(record.member, f"key registry {event} names an unknown key")
            continue
        if event == "KeyActivated":
            known.valid_from, known.status, active = position, "active", key_id
        elif event in ("KeyRetired", "KeyRevoked"):
            if known.valid_until is None or position < known.valid_until:
                known.valid_until = position
            known.status = "revoked" if event == "KeyRevoked" else "retired"
            if active == key_id:
                active = None
        else:
            report.fail(record.member, f"unknown key registry event {event}")
    return derived


def verify_members(
    members: Mapping[str, bytes],
    *,
    log_vkeys: Sequence[str] = (),
    witness_vkeys: Sequence[str] = (),
    witness_threshold: int | None = None,
) -> Report:
    """Check a bundle's members; every failure names its member and reason."""
    report = Report()
    try:
        manifest = load_json(members, MANIFEST)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(f"is not an {FORMAT} manifest")
        record_names = manifest["records"]
        if not isinstance(record_names, list) or not all(isinstance(n, str) for n in record_names):
            raise ValueError("records must be a list of member names")
    except (ValueError, KeyError) as e:
        report.fail(MANIFEST, str(e))
        return report
    report.facts["subject"] = manifest.get("subject")

    # -- keys
    keys: dict[bytes, LogKey] = {}
    try:
        listed = load_json(members, KEYS)
        if not isinstance(listed, list) or not listed:
            raise ValueError("must list at least one key")
        for entry in listed:
            _keys_exactly(entry, ("vkey", "status", "valid_from", "valid_until"), "a key")
            key = parse_vkey(entry["vkey"])
            if key.public[0] != 0x01:
                raise ValueError("a log key must be a plain Ed25519 key (type 0x01)")
            if key.key_id in keys:
                raise ValueError(f"key {key.key_id.hex()} is listed twice")
            key.status = entry["status"]
            for bound in ("valid_from", "valid_until"):
                if entry[bound] is not None:
                    _int(entry[bound], bound)
            key.valid_from, key.valid_until = entry["valid_from"], entry["valid_until"]
            keys[key.key_id] = key
    except ValueError as e:
        report.fail(KEYS, str(e))
        return report
    report.facts["keys"] = [k.vkey for k in keys.values()]

    # -- checkpoints
    notes: dict[str, Note] = {}
    for name in (ANCHOR, NEWEST):
        try:
            note = parse_note(members[name])
            if not log_signers(note, keys):
                raise ValueError("is not signed by any of the log's keys in keys/log-keys.json")
            notes[name] = note
        except KeyError:
            report.fail(name, "missing from the bundle")
        except ValueError as e:
            report.fail(name, str(e))
    if len(notes) != 2:
        return report
    anchor, newest = notes[ANCHOR], notes[NEWEST]
    if anchor.origin != newest.origin:
        report.fail(NEWEST, "its origin differs from the anchor checkpoint's")
    report.facts.update(
        origin=anchor.origin,
        anchor_size=anchor.size,
        anchor_root=base64.b64encode(anchor.root).decode(),
        newest_size=newest.size,
        newest_root=base64.b64encode(newest.root).decode(),
    )
    if witness_vkeys:
        try:
            witnesses = [parse_vkey(v) for v in witness_vkeys]
        except ValueError as e:
            raise BundleUnreadable(f"--witness-vkey: {e}") from None
        best, need = witness_quorum((anchor, newest), witnesses, witness_threshold)
        report.facts["witnesses"] = best
        if best < need:
            report.fail(
                NEWEST,
                f"cosigned by {best} of the named witnesses, {need} required "
                "(neither checkpoint carries enough witness cosignatures)",
            )

    # -- consistency
    try:
        proof = _keys_exactly(
            load_json(members, CONSISTENCY), ("first", "second", "hashes"), "the proof"
        )
        if (proof["first"], proof["second"]) != (anchor.size, newest.size):
            raise ValueError("does not join the anchor and newest checkpoints' sizes")
        verify_consistency(
            anchor.size, newest.size, anchor.root, newest.root, [b64(h) for h in proof["hashes"]]
        )
    except ValueError as e:
        report.fail(CONSISTENCY, str(e))

    # -- inclusion proofs and records
    try:
        inclusion = load_json(members, INCLUSION)
        if not isinstance(inclusion, dict) or inclusion.get("tree_size") != anchor.size:
            raise ValueError("must hold proofs against the anchor checkpoint's tree size")
        proofs = inclusion.get("proofs")
        if not isinstance(proofs, dict) or set(proofs) != set(record_names):
            raise ValueError("must hold exactly one proof per record of the manifest")
        if set(inclusion) != {"tree_size", "proofs"}:
            raise ValueError("has unexpected keys")
    except ValueError as e:
        report.fail(INCLUSION, str(e))
        return report
    stray = sorted(n for n in members if n.startswith("records/") and n not in set(record_names))
    for name in stray:
        report.fail(name, "a record that the manifest does not list")
    records: list[tuple[Record, int]] = []
    failed: set[tuple[str, int]] = set()  # records left out for a failure already reported
    for name in record_names:
        match = _RECORD_NAME.fullmatch(name)
        if match is not None:
            failed.add((match[1], int(match[2])))  # until it passes every check below
        try:
            if match is None:
                raise ValueError("is not a record member name")
            record = parse_record(name, members[name])
            if (record.originator_id, record.version) != (match[1], int(match[2])):
                raise ValueError("its signed header names another record than its member name")
        except KeyError:
            report.fail(name, "missing from the bundle")
            continue
        except ValueError as e:
            report.fail(name, str(e))
            continue
        try:
            entry = _keys_exactly(proofs[name], ("leaf_index", "hashes"), "a proof")
            index = _int(entry["leaf_index"], "leaf_index")
            path = [b64(h) for h in entry["hashes"]]
            if root_from_inclusion(record.leaf_hash, index, anchor.size, path) != anchor.root:
                raise ValueError("does not lead to the anchor checkpoint's root")
        except (ValueError, TypeError) as e:
            report.fail(f"{INCLUSION} ({name})", f"inclusion proof: {e}")
            continue
        failed.discard((record.originator_id, record.version))
        records.append((record, index))

    # -- key validity from the registry records
    registry = sorted(
        ((r, i) for r, i in records if r.topic.startswith(REGISTRY_TOPIC)), key=lambda x: x[1]
    )
    derived = _registry_validity(report, registry)
    if not registry:
        report.fail(KEYS, "the bundle holds no key registry records to back the keys")
    for key_id, key in keys.items():
        mine = derived.get(key_id)
        if mine is None or (mine.valid_from, mine.valid_until, mine.status) != (
            key.valid_from,
            key.valid_until,
            key.status,
        ):
            report.fail(KEYS, f"key {key_id.hex()}: its validity is not what the registry says")
    for name, note in notes.items():
        # A checkpoint of size N is signed once leaf N - 1 is in: by a key valid there (a
        # revoked key cannot sign a later tree, whatever it claims).
        last = note.size - 1
        if not any(
            k.valid_from is not None
            and k.valid_from <= last
            and (k.valid_until is None or last <= k.valid_until)
            for k in log_signers(note, keys)
        ):
            report.fail(name, f"no log key that signed it was valid at tree size {note.size}")
    genesis = next((r for r, _ in registry if r.version == 1), None)
    if genesis is not None:
        report.facts["genesis_key"] = genesis.key_id.hex()
    if log_vkeys and genesis is not None:
        trusted = set()
        for text in log_vkeys:
            try:
                trusted.add(parse_vkey(text).key_id)
            except ValueError as e:
                raise BundleUnreadable(f"--log-vkey: {e}") from None
        if genesis.key_id not in trusted:
            report.fail(KEYS, "the key registry is not rooted in a key given with --log-vkey")

    # -- each record's signature and key validity, and the chains
    chains: dict[str, list[Record]] = {}
    for record, index in records:
        signer = keys.get(record.key_id)
        if signer is None:
            report.fail(record.member, f"signed by key {record.key_id.hex()}, not in the bundle")
            failed.add((record.originator_id, record.version))
            continue
        if (
            signer.valid_from is None
            or index < signer.valid_from
            or (signer.valid_until is not None and index > signer.valid_until)
        ):
            report.fail(record.member, f"signed by key {signer.key_id.hex()} outside its validity")
        if not _ed25519(signer.public[1:], record.signature, SIGNING_PREFIX + record.raw[:-64]):
            report.fail(record.member, "its Ed25519 signature does not verify")
            failed.add((record.originator_id, record.version))
            continue
        chains.setdefault(record.originator_id, []).append(record)
    for chain in chains.values():
        chain.sort(key=lambda r: r.version)
        previous = GENESIS_PREVIOUS
        for expected, record in enumerate(chain, start=1):
            if record.version != expected:
                if (record.originator_id, expected) in failed:
                    report.fail(
                        record.member,
                        f"follows version {expected} of its aggregate, which failed its "
                        "checks (above): the chain cannot be followed past it",
                    )
                else:
                    report.fail(record.member, f"version {expected} of its aggregate is missing")
                break
            if record.previous != previous:
                report.fail(record.member, "does not point at the record before it (chain)")
                break
            previous = record.hash
    subject = manifest.get("subject") or {}
    if isinstance(subject, dict) and subject.get("id") not in {r.originator_id for r, _ in records}:
        report.fail(MANIFEST, "the subject's own records are not in the bundle")

    _verify_opened(report, members, [r for r, _ in records])
    report.facts["records"] = len(records)
    return report


def _sealed_fields(record: Record) -> list[tuple[str, str, bytes, bytes]]:
    """(field, subject hex, nonce, ciphertext) of every sealed field of a record."""
    try:
        payload = json.loads(record.payload)
    except ValueError:
        return []
    found: list[tuple[str, str, bytes, bytes]] = []
    if not isinstance(payload, dict):
        return found
    for name, value in sorted(payload.items()):
        if isinstance(value, dict) and value.get("_type_") == "pii":
            data = value.get("_data_") or {}
            try:
                found.append((name, str(data["s"]), b64(data["n"]), b64(data["c"])))
            except (KeyError, ValueError):
                continue
    return found


def field_aad(subject: str, record: Record, name: str) -> bytes:
    """The associated data binding a sealed value to its subject, event and field."""
    return b"".join(
        (
            FIELD_AAD,
            bytes.fromhex(subject),
            bytes.fromhex(record.originator_id),
            record.version.to_bytes(8, "big"),
            record.topic.encode("utf-8"),
            b"\x00",
            name.encode("utf-8"),
        )
    )


def _verify_opened(report: Report, members: Mapping[str, bytes], records: list[Record]) -> None:
    try:
        subject_keys = load_json(members, SUBJECT_KEYS)
        if not isinstance(subject_keys, dict) or not all(
            isinstance(s, str) and _HEX32.fullmatch(s) for s in subject_keys
        ):
            raise ValueError("must map subject ids (32 hex digits) to keys")
        data_keys = {s: b64(k) for s, k in subject_keys.items()}
        if any(len(k) != 32 for k in data_keys.values()):
            raise ValueError("a data key is not 32 bytes")
    except ValueError as e:
        report.fail(SUBJECT_KEYS, str(e))
        return
    try:
        listed = load_json(members, FIELDS)
        if not isinstance(listed, list):
            raise ValueError("must be a list")
        values: dict[tuple[str, str], Any] = {}
        for entry in listed:
            _keys_exactly(entry, ("record", "field", "subject", "value"), "an opened field")
            values[(entry["record"], entry["field"])] = entry
    except ValueError as e:
        report.fail(FIELDS, str(e))
        return
    erased = set()
    for record in records:
        if record.topic == ERASURE_TOPIC:
            try:
                erased.add(str(json.loads(record.payload)["subject_id"]["_data_"]))
            except (ValueError, KeyError, TypeError):
                report.fail(record.member, "erasure record does not name its subject")
    seen: set[tuple[str, str]] = set()
    opened = 0
    for record in records:
        for name, subject, nonce, ciphertext in _sealed_fields(record):
            where = (record.member, name)
            entry = values.get(where)
            key = data_keys.get(subject)
            if entry is None:
                if key is not None:
                    report.fail(
                        FIELDS, f"{record.member} {name}: an opened subject's field is absent"
                    )
                continue
            seen.add(where)
            if entry["subject"] != subject:
                report.fail(FIELDS, f"{record.member} {name}: names another data subject")
                continue
            if key is None:
                if entry["value"] != ERASED or subject not in erased:
                    report.fail(
                        FIELDS,
                        f"{record.member} {name}: no data key and no signed erasure of its subject",
                    )
                continue
            try:
                plain = AESGCM(key).decrypt(nonce, ciphertext, field_aad(subject, record, name))
            except (InvalidTag, ValueError):
                report.fail(
                    SUBJECT_KEYS,
                    f"the data key of subject {subject} does not open {record.member} {name}",
                )
                continue
            # Byte for byte in canonical JSON: Python's == holds True == 1 == 1.0.
            if canonical_json(json.loads(plain)) != canonical_json(entry["value"]):
                report.fail(FIELDS, f"{record.member} {name}: the value is not what was signed")
                continue
            opened += 1
    for where in sorted(set(values) - seen):
        report.fail(FIELDS, f"{where[0]} {where[1]}: no such sealed field in the bundle")
    unused = set(data_keys) - {s for r in records for _, s, _, _ in _sealed_fields(r)}
    for subject in sorted(unused):
        report.fail(SUBJECT_KEYS, f"holds a key of subject {subject}, who has no field here")
    report.facts["opened_fields"] = opened
    report.facts["erased_subjects"] = sorted(erased)


def verify_bundle(
    path: str,
    *,
    log_vkeys: Sequence[str] = (),
    witness_vkeys: Sequence[str] = (),
    witness_threshold: int | None = None,
) -> Report:
    """Read and check a bundle file (raises BundleUnreadable if it is no zip at all)."""
    return verify_members(
        read_zip(path),
        log_vkeys=log_vkeys,
        witness_vkeys=witness_vkeys,
        witness_threshold=witness_threshold,
    )


def verdict_lines(report: Report) -> list[str]:
    """The Chinese and English verdict, then every failure."""
    facts = report.facts
    if report.ok:
        lines = [
            "核验通过：证据包中的全部记录、证明、检查点、公钥和已开启字段均验证无误。",
            "VALID: every record, proof, checkpoint, key and opened field in the bundle verifies.",
            f"  records 记录: {facts.get('records')}; opened fields 已开启字段: "
            f"{facts.get('opened_fields')}",
            f"  anchor 锚定检查点: size {facts.get('anchor_size')} root {facts.get('anchor_root')}",
            f"  newest 最新检查点: size {facts.get('newest_size')} root {facts.get('newest_root')}",
            f"  genesis key 根密钥: {facts.get('genesis_key')} — compare it with the published "
            "key 请与公开发布的公钥核对",
        ]
        if "witnesses" in facts:
            lines.append(f"  witnesses 见证方: {facts['witnesses']}")
        return lines
    lines = [
        f"核验失败：发现 {len(report.failures)} 处问题。",
        f"INVALID: {len(report.failures)} problem(s) found.",
    ]
    lines += [f"  失败 FAILED {failure}" for failure in report.failures]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: exit 0 valid, 1 invalid, 2 unreadable."""
    parser = argparse.ArgumentParser(
        prog="verify_bundle.py", description="Verify an auxledger evidence bundle offline."
    )
    parser.add_argument("bundle", help="the bundle (zip)")
    parser.add_argument("--log-vkey", action="append", default=[], help="trusted log key")
    parser.add_argument("--witness-vkey", action="append", default=[], help="a named witness")
    parser.add_argument(
        "--witnesses-required",
        "--witness-threshold",  # the first name it had; kept as an alias
        dest="witness_threshold",
        type=int,
        default=None,
        metavar="K",
        help="K of the witnesses (default: all); the same name as `auxledger verify`'s",
    )
    args = parser.parse_args(argv)
    if args.witness_threshold is not None and not 1 <= args.witness_threshold <= len(
        args.witness_vkey
    ):
        print(  # noqa: T201
            "--witnesses-required (--witness-threshold) must lie between 1 and the number "
            "of --witness-vkey",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    try:
        report = verify_bundle(
            args.bundle,
            log_vkeys=args.log_vkey,
            witness_vkeys=args.witness_vkey,
            witness_threshold=args.witness_threshold,
        )
    except BundleUnreadable as e:
        print(f"无法读取 UNREADABLE: {e}")  # noqa: T201
        return EXIT_UNREADABLE
    except MemoryError:
        print("无法读取 UNREADABLE: the bundle is too large to check in memory")  # noqa: T201
        return EXIT_UNREADABLE
    for line in verdict_lines(report):
        print(line)  # noqa: T201
    return EXIT_VALID if report.ok else EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
