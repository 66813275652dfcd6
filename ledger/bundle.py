"""Evidence bundles: a subject's signed history with everything needed to check it offline.

``collect`` gathers, for one auxiliary (its aggregate) or one complaint (the complaint and the
aggregate of the auxiliary it names):

- every signed record exactly as stored (``records/<id>-<version>.bin``), plus the key
  registry's records (which establish each key's validity) and the erasure records of the
  bundle's data subjects;
- each record's RFC 9162 inclusion proof against one *anchor* checkpoint -- the first stored
  checkpoint that covers every record of the bundle -- and the consistency proof from it to
  the newest checkpoint at export time -- the newest one the witnesses cosigned when the
  ledger stored cosignatures (``ledger_cosignatures``) and it covers every record, else the
  latest; both notes as stored with every stored cosignature line of their tree size appended
  (``ledger.witnessing.cosigned_note``, as ``GET /v1/ledger/checkpoint`` publishes them);
- the log's public keys (C2SP vkeys) with their validity as leaf positions;
- the personal fields the exporting role may read, *opened*: the data keys of exactly those
  data subjects (never the master key, never another subject's key), and every sealed field
  of theirs in the bundle with its value. A verifier decrypts the signed ciphertext with the
  key (AES-256-GCM authenticates it) and compares; a subject erased before the export has no
  key any more, its fields read ``[erased]`` and its signed erasure record is in the bundle.

The members are checked by ``ledger.bundle_verifier`` (shipped inside as ``verify_bundle.py``).

Invariants:
- Every record is read through the checking reader (format, header, key validity, signature)
  before it is put in a bundle; a failing record stops the export (fail closed).
- Collecting reads only; recording the export as an access event is the caller's job.
- JSON members are canonical (sorted keys, compact, UTF-8, one trailing newline).
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Notification, StoredEvent

from domain.auxiliary import Auxiliary
from domain.complaint import Complaint
from domain.errors import SubjectNotMatchedError
from domain.values import Actor
from ledger import bundle_verifier as bv
from ledger import merkle
from ledger.errors import LedgerError, NotFoundError
from ledger.keyring import REGISTRY_ID
from ledger.log import MerkleLog, StoredCheckpoint
from ledger.privacy import ErasureRecord
from ledger.records import AuxLedger
from ledger.witnessing import CosignatureStore, cosigned_note

FORMAT = bv.FORMAT
KINDS = ("auxiliary", "complaint")
_NODE_CHUNK = 2000
_SQLITE_CHUNK = 500


def unmatched_refused(complaint: Complaint) -> UUID:
    """The auxiliary a complaint's bundle carries beside it; a complaint that names none yet
    has no bundle (``SubjectNotMatchedError``)."""
    if complaint.auxiliary_id is None:
        raise SubjectNotMatchedError(
            "a complaint's bundle carries the auxiliary it is about: match the complaint to "
            "an auxiliary first (Art. 17)",
            zh="投诉的证据包随附被投诉辅警的记录：须先确认被投诉辅警（第十七条）",
        )
    return complaint.auxiliary_id


class BundleError(LedgerError):
    """A bundle cannot be made as asked (the log has no checkpoint covering the records ...)."""

    code = "bundle"


@dataclass(frozen=True)
class BundleRecord:
    """One record of the bundle with what a reader of the case file needs."""

    member: str
    originator_id: UUID
    version: int
    topic: str
    leaf_index: int
    payload: dict[str, Any]
    group: str  # "subject", "related", "key-registry", "erasure"


@dataclass
class BundleContent:
    """Everything that goes into a bundle, before the case file is added."""

    kind: str
    subject_id: UUID
    auxiliary: Auxiliary
    complaint: Complaint | None
    actor: Actor
    reason: str
    exported_at: datetime
    anchor: StoredCheckpoint
    newest: StoredCheckpoint
    records: list[BundleRecord]
    keys: list[dict[str, Any]]
    opened: dict[tuple[str, str], Any]
    opened_subjects: list[UUID]
    erased_subjects: list[UUID]
    members: dict[str, bytes] = field(default_factory=dict)

    @property
    def opened_field_names(self) -> list[str]:
        """The names of the personal fields shown in clear (what the access record names)."""
        return sorted({name for _, name in self.opened})


def canonical_json(value: Any) -> bytes:
    """The byte form of every JSON member."""
    return bv.canonical_json(value)


def verifier_source() -> bytes:
    """The standalone verifier, exactly as kept in the source tree."""
    return resources.files("ledger").joinpath("bundle_verifier.py").read_bytes()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def member_name(originator_id: UUID, version: int) -> str:
    """The zip member of a record."""
    return f"records/{originator_id.hex}-{version:06d}.bin"


def data_subjects(kind: str, auxiliary_id: UUID, complaint: Complaint | None) -> list[UUID]:
    """The data subjects whose personal fields a bundle of this kind can carry."""
    subjects = [auxiliary_id]
    if kind == "complaint" and complaint is not None:
        subjects.append(complaint.complainant_id)
    return subjects


def collect(
    ledger: AuxLedger,
    *,
    kind: str,
    subject_id: UUID,
    actor: Actor,
    reason: str,
    exported_at: datetime,
    open_subjects: Collection[UUID],
) -> BundleContent:
    """Gather a bundle's verifiable members (see the module docstring).

    ``open_subjects``: the data subjects whose personal fields the exporting role may read.
    """
    if kind not in KINDS:
        raise BundleError(f"a bundle is of an auxiliary or a complaint, not {kind!r}")
    complaint: Complaint | None = None
    if kind == "complaint":
        complaint = ledger.complaint(subject_id)
        auxiliary_id = unmatched_refused(complaint)
    else:
        auxiliary_id = subject_id
    auxiliary = ledger.auxiliary(auxiliary_id)
    log = MerkleLog(ledger.ledger_recorder)
    verifier = ledger.record_mapper.verifier
    assert verifier is not None

    groups: list[tuple[str, UUID]] = [("subject", subject_id)]
    if kind == "complaint":
        groups.append(("related", auxiliary_id))
    subjects = data_subjects(kind, auxiliary_id, complaint)
    erased = [s for s in subjects if ledger.exists(ErasureRecord.id_for(s))]
    groups += [("erasure", ErasureRecord.id_for(s)) for s in erased]
    groups.append(("key-registry", REGISTRY_ID))

    rows: list[tuple[str, StoredEvent]] = []
    for group, aggregate_id in groups:
        found = ledger.recorder.select_events(aggregate_id)
        if not found:
            raise NotFoundError(f"no records of {group} {aggregate_id}")
        rows += [(group, row) for row in found]
    positions = _leaf_indexes(log, [row for _, row in rows])

    records: list[BundleRecord] = []
    members: dict[str, bytes] = {}
    for group, row in rows:
        record = verifier.check(row)
        name = member_name(record.originator_id, record.originator_version)
        members[name] = bytes(row.state)
        records.append(
            BundleRecord(
                member=name,
                originator_id=record.originator_id,
                version=record.originator_version,
                topic=record.topic,
                leaf_index=positions[id(row)],
                payload=json.loads(record.payload),
                group=group,
            )
        )

    highest = max(r.leaf_index for r in records)
    anchor = log.checkpoint_at_or_after(highest + 1)
    store = CosignatureStore(ledger.ledger_recorder)
    newest = _newest(log, store, highest + 1)
    if anchor is None or newest is None:
        raise BundleError("no signed checkpoint covers these records yet; export again in a moment")
    members[bv.ANCHOR] = cosigned_note(anchor.note, store.for_size(anchor.tree_size)).encode()
    members[bv.NEWEST] = cosigned_note(newest.note, store.for_size(newest.tree_size)).encode()
    members[bv.INCLUSION] = canonical_json(
        {
            "tree_size": anchor.tree_size,
            "proofs": _inclusion_proofs(log, records, anchor.tree_size),
        }
    )
    consistency = _consistency_proof(log, anchor.tree_size, newest.tree_size)
    members[bv.CONSISTENCY] = canonical_json(
        {
            "first": anchor.tree_size,
            "second": newest.tree_size,
            "hashes": [_b64(h) for h in consistency],
        }
    )
    keys = _keys(ledger, log, records)
    members[bv.KEYS] = canonical_json(keys)

    opened, opened_subjects = _open_fields(
        ledger, records, [s for s in subjects if s in set(open_subjects)], erased
    )
    members[bv.SUBJECT_KEYS] = canonical_json(opened_subjects)
    members[bv.FIELDS] = canonical_json(
        [
            {"record": member, "field": name, "subject": subject, "value": value}
            for (member, name), (subject, value) in sorted(opened.items())
        ]
    )
    content = BundleContent(
        kind=kind,
        subject_id=subject_id,
        auxiliary=auxiliary,
        complaint=complaint,
        actor=actor,
        reason=reason,
        exported_at=exported_at,
        anchor=anchor,
        newest=newest,
        records=records,
        keys=keys,
        opened={k: v for k, (_, v) in opened.items()},
        opened_subjects=[UUID(hex=s) for s in opened_subjects],
        erased_subjects=erased,
        members=members,
    )
    members[bv.MANIFEST] = canonical_json(manifest(content))
    return content


def _newest(log: MerkleLog, store: CosignatureStore, covers: int) -> StoredCheckpoint | None:
    """The bundle's newest checkpoint: the newest one witnesses cosigned (stored in
    ``ledger_cosignatures``) if it covers the first ``covers`` leaves, else the latest."""
    size = store.newest_size()
    if size is not None and size >= covers:
        cosigned = log.checkpoint_at(size)
        if cosigned is not None:
            return cosigned
    return log.latest_checkpoint()


def manifest(content: BundleContent) -> dict[str, Any]:
    """What the bundle is: subject, export, records (unsigned description; the records,
    proofs, checkpoints and keys are what prove)."""
    actor = content.actor
    return {
        "format": FORMAT,
        "subject": {"kind": content.kind, "id": content.subject_id.hex},
        "auxiliary_id": content.auxiliary.id.hex,
        "exported_at": content.exported_at.isoformat(),
        "exported_by": {"actor_id": actor.actor_id, "role": actor.role, "organ": actor.organ},
        "reason": content.reason,
        "anchor_tree_size": content.anchor.tree_size,
        "newest_tree_size": content.newest.tree_size,
        "records": [r.member for r in content.records],
        "groups": {r.member: r.group for r in content.records},
        "opened_subjects": [s.hex for s in content.opened_subjects],
        "erased_subjects": [s.hex for s in content.erased_subjects],
    }


def _leaf_indexes(log: MerkleLog, rows: Sequence[StoredEvent]) -> dict[int, int]:
    """Leaf index of each row (by ``id(row)``); every row must be logged."""
    ids = [row.id if isinstance(row, Notification) else -1 for row in rows]
    if log.is_postgres:
        found = log.leaf_indexes([i for i in ids if i >= 0])
    else:
        found = {}
        for i in ids:
            index = log.leaf_index_of(i) if i >= 0 else None
            if index is not None:
                found[i] = index
    positions: dict[int, int] = {}
    for row, nid in zip(rows, ids, strict=True):
        if nid not in found:
            raise BundleError(
                f"record {row.originator_id} v{row.originator_version} has no leaf in the log"
            )
        positions[id(row)] = found[nid]
    return positions


def _inclusion_proofs(
    log: MerkleLog, records: Sequence[BundleRecord], size: int
) -> dict[str, dict[str, Any]]:
    """Every record's inclusion proof, from one batched read of the nodes needed."""
    plans = {r.member: merkle.inclusion_plan(r.leaf_index, size) for r in records}
    nodes = fetch_nodes(log, set().union(*(merkle.needed_nodes(p) for p in plans.values())))
    proofs: dict[str, dict[str, Any]] = {}
    for record in records:
        try:
            hashes = merkle.assemble(plans[record.member], nodes)
        except merkle.MerkleError as e:
            raise BundleError(f"the log cannot prove {record.member}: {e}") from None
        proofs[record.member] = {
            "leaf_index": record.leaf_index,
            "hashes": [_b64(h) for h in hashes],
        }
    return proofs


def fetch_nodes(log: MerkleLog, addresses: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Stored perfect nodes by (level, index), in few queries that use the primary key.

    PostgreSQL: ``MerkleLog.nodes`` in chunks (one join on unnest). SQLite: one
    ``level = ? AND idx IN (...)`` query per level and chunk; a row-value
    ``(level, idx) IN (VALUES ...)`` scans the whole nodes table there (0.3-0.6 s per query
    at a million leaves).
    """
    nodes: dict[tuple[int, int], bytes] = {}
    ordered = sorted(addresses)
    if log.is_postgres:
        for start in range(0, len(ordered), _NODE_CHUNK):
            nodes.update(log.nodes(set(ordered[start : start + _NODE_CHUNK])))
        return nodes
    by_level: dict[int, list[int]] = {}
    for level, index in ordered:
        by_level.setdefault(level, []).append(index)
    for level, indexes in by_level.items():
        for start in range(0, len(indexes), _SQLITE_CHUNK):
            chunk = indexes[start : start + _SQLITE_CHUNK]
            marks = ",".join("?" for _ in chunk)  # placeholders only
            rows = log._all(
                f"SELECT idx, hash FROM {{nodes}} WHERE level = ? AND idx IN ({marks})",  # noqa: S608
                (level, *chunk),
            )
            for row in rows:
                nodes[(level, int(row[0]))] = bytes(row[1])
    return nodes


def _consistency_proof(log: MerkleLog, first: int, second: int) -> list[bytes]:
    """RFC 9162 consistency proof between two stored checkpoints' sizes (empty if equal)."""
    if first == second:
        return []
    plan = merkle.consistency_plan(first, second)
    try:
        return merkle.assemble(plan, fetch_nodes(log, merkle.needed_nodes(plan)))
    except merkle.MerkleError as e:
        raise BundleError(f"the log cannot prove {first} -> {second} consistent: {e}") from None


def _keys(
    ledger: AuxLedger, log: MerkleLog, records: Iterable[BundleRecord]
) -> list[dict[str, Any]]:
    """Each registered key's vkey, status and validity as leaf positions (inclusive)."""
    ring = ledger.reload_keys()
    registry = {r.version: r.leaf_index for r in records if r.group == "key-registry"}
    rows = ledger.recorder.select_events(REGISTRY_ID)
    leaf_of = {
        row.id: registry[row.originator_version] for row in rows if isinstance(row, Notification)
    }

    def leaf(position: int | None) -> int | None:
        if position is None:
            return None
        if position not in leaf_of:
            index = log.leaf_index_of(position)
            if index is None:
                raise BundleError(f"key registry position {position} has no leaf")
            return index
        return leaf_of[position]

    keys = []
    for status in ring.ordered():
        ends = [leaf(p) for p in (status.retired_at, status.revoked_at) if p is not None]
        keys.append(
            {
                "vkey": status.public.vkey,
                "status": status.status,
                "valid_from": leaf(status.activated_at),
                "valid_until": min(e for e in ends if e is not None) if ends else None,
            }
        )
    return keys


def _open_fields(
    ledger: AuxLedger,
    records: Sequence[BundleRecord],
    subjects: Sequence[UUID],
    erased: Sequence[UUID],
) -> tuple[dict[tuple[str, str], tuple[str, Any]], dict[str, str]]:
    """The opened fields ((member, field) -> (subject hex, value)) and subject keys."""
    wanted = {s.hex: s for s in subjects}
    keys: dict[str, bytes | None] = {}
    opened: dict[tuple[str, str], tuple[str, Any]] = {}
    for record in records:
        for name, value in sorted(record.payload.items()):
            if not (isinstance(value, dict) and value.get("_type_") == "pii"):
                continue
            sealed = value["_data_"]
            subject = str(sealed["s"])
            if subject not in wanted:
                continue
            if subject not in keys:
                uuid = wanted[subject]
                keys[subject] = None if uuid in erased else ledger.privacy.data_key(uuid)
            key = keys[subject]
            if key is None:
                if wanted[subject] not in erased:
                    # No key but no erasure record in this bundle (erased between the check
                    # above and now, or a key destroyed without an erasure): an [erased]
                    # claim could not be checked, so none is made.
                    raise BundleError(
                        f"data subject {subject} has no data key but the bundle holds no "
                        "erasure record of it (erased during the export? export again)"
                    )
                opened[(record.member, name)] = (subject, bv.ERASED)
                continue
            aad = bv.field_aad(
                subject,
                _as_verifier_record(record),
                name,
            )
            plain = AESGCM(key).decrypt(
                base64.b64decode(sealed["n"]), base64.b64decode(sealed["c"]), aad
            )
            opened[(record.member, name)] = (subject, json.loads(plain))
    subject_keys = {s: _b64(k) for s, k in keys.items() if k is not None}
    return opened, subject_keys


def _as_verifier_record(record: BundleRecord) -> bv.Record:
    """Just enough of a verifier record to build a field's associated data."""
    return bv.Record(
        member=record.member,
        raw=b"",
        originator_id=record.originator_id.hex,
        version=record.version,
        previous=b"",
        key_id=b"",
        topic=record.topic,
        payload=b"",
        signature=b"",
    )


def write_zip(members: Mapping[str, bytes]) -> bytes:
    """The bundle file: members in a fixed order, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()
