"""Integrity verification: every signature, chain link, version, leaf, node, root and checkpoint.

Two ways to use it (python-tuf style): ``verify_ledger`` returns a ``VerificationReport``
listing every failure (for reports and ``auxledger verify``), and ``require_intact`` raises on
the first report with failures (for gates). Both fail closed: a check that cannot be made is
``CouldNotVerifyError`` (exit 2), never a pass.

Steps (``--full``):
 1. Rebuild the key ring from the key registry, checking every registry record against the
    trust anchors (public keys in ``AUXLEDGER_KEY_DIR``).
 2. Load the witness (the last checkpoint this verifier accepted, kept outside the database)
    and verify it with the keys kept beside it, not with the database's (``Witness``).
 3. In one read snapshot, stream the log in leaf order: leaf indexes contiguous, notification
    ids increasing; each leaf's event present; each record well-formed, its row columns equal
    to its signed header, its key registered and valid at its position, its Ed25519 signature
    good (checked in worker processes on every core); the stored leaf hash equal to
    SHA-256(0x00 || record); the Merkle root recomputed from the leaves equal to every stored
    checkpoint's root at its size, and every checkpoint's note signature good.
 4. Stream the events in (aggregate, version) order: versions 1, 2, 3 ... without gaps, each
    record pointing at the hash of its predecessor.
 5. Find event rows that have no leaf (inserted behind the log's back).
 6. Check every stored interior node against its two children.
    (On PostgreSQL steps 4-6 run in a thread, in a second read snapshot of their own, while
    the worker processes do step 3; each snapshot is consistent in itself.)
 7. Demand the consistency proof from the witnessed checkpoint to the latest one; a log that
    shrank, forked or was rewritten is reported.
 8. If nothing failed, the latest checkpoint becomes the new witness, kept with the ledger
    keys whose signatures on it verify.

Incremental (the default once a witness exists) does steps 1, 2 and 7, then checks only the
leaves after the witnessed size (records, signatures, chain links to their predecessors,
leaf hashes), rebuilding the root from the witnessed frontier (itself checked against the
witnessed root) up to the latest checkpoint; plus row counts (every row: an old row deleted
or one inserted behind the log; on PostgreSQL counted in a second snapshot beside the new
leaves' checks, as the full run's steps 4-6 are). Old records are re-checked only by
``--full``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger import merkle
from ledger.application import LedgerApplication
from ledger.config import WITNESS_DIR
from ledger.errors import IntegrityViolation, LedgerError, MalformedRecordError
from ledger.keyring import REGISTRY_ID, KeyRing
from ledger.log import LogRow, LogSnapshot, MerkleLog, StoredCheckpoint
from ledger.note import (
    Checkpoint,
    CheckpointError,
    NoteError,
    Verifier,
    open_note,
    parse_vkey,
    split_note,
)
from ledger.record import GENESIS_PREVIOUS, SignedRecord, parse_record
from ledger.rowcheck import KeyWindow, RangeChecker, RowChecker, failure_fields

WITNESS_FILE = "checkpoint"
WITNESS_KEYS_FILE = "keys"
RANGE_MODE_THRESHOLD = 5_000
RANGE_LENGTH = 1 << 14
"""Leaves per worker range: a power of two, so each range is whole subtrees of the log."""


class CouldNotVerifyError(LedgerError):
    """Verification could not be carried out (configuration, connection, key, witness)."""

    code = "could_not_verify"


@dataclass(frozen=True)
class Failure:
    """One integrity failure, naming the record where it is known."""

    kind: str
    detail: str
    originator_id: str | None = None
    originator_version: int | None = None
    position: int | None = None

    @classmethod
    def from_violation(cls, violation: IntegrityViolation, position: int | None) -> Failure:
        """From a named integrity error (position replaced by the log position)."""
        return cls(
            kind=violation.kind,
            detail=violation.detail,
            originator_id=violation.originator_id,
            originator_version=violation.originator_version,
            position=position,
        )


@dataclass
class VerificationReport:
    """What ``verify`` found: counts, the checkpoint it checked against, every failure."""

    mode: str
    events_checked: int = 0
    tree_size: int = 0
    checkpoint: str = ""
    failures: list[Failure] = field(default_factory=list)
    witnessed_size: int | None = None
    witness_updated: bool = False
    # Newest leaves not yet covered by a checkpoint (checked all the same; see verify_ledger).
    uncheckpointed: int = 0

    @property
    def ok(self) -> bool:
        """True when no failure was found."""
        return not self.failures

    def add(self, kind: str, detail: str, **where: Any) -> None:
        """Record a failure."""
        self.failures.append(Failure(kind=kind, detail=detail, **where))

    def to_json(self) -> dict[str, Any]:
        """The docs/contract.md ``verify --json`` object (plus mode and witness details)."""
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "tree_size": self.tree_size,
            "checkpoint": self.checkpoint,
            "failures": [asdict(f) for f in self.sorted_failures()],
            "mode": self.mode,
            "witnessed_size": self.witnessed_size,
            "witness_updated": self.witness_updated,
            "uncheckpointed": self.uncheckpointed,
        }

    def sorted_failures(self) -> list[Failure]:
        """Failures in log order (those without a position last)."""
        big = 1 << 62
        return sorted(
            self.failures,
            key=lambda f: (big if f.position is None else f.position, f.kind, f.detail),
        )


class Witness:
    """The last checkpoint this verifier accepted, and the keys it trusted it with.

    Kept outside the database, in a folder (``AUXLEDGER_WITNESS_DIR``) of two files:

    * ``checkpoint``: the accepted checkpoint, the signed note exactly as the ledger served it;
    * ``keys``: the C2SP vkeys (one per line) of the ledger keys whose signatures on it were
      checked when it was accepted.

    The witnessed checkpoint is verified with the folder's own keys only, whatever the
    database now says about keys, so a rollback or fork is proven from the witness alone --
    also when the rolled-back database no longer knows the key that signed it. A folder
    written before keys were kept (``checkpoint`` only) is upgraded on first use: its
    checkpoint is verified with the ledger's keys (the registry's and the key folder's
    public keys) and the keys that verified it are written beside it.

    ``store`` keeps ``keys`` a superset of the keys that verify ``checkpoint`` at every
    moment: it writes the union of the old and new keys, then the new checkpoint, then the
    new keys, each file replaced atomically.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / WITNESS_FILE
        self.keys_path = folder / WITNESS_KEYS_FILE

    def load(self) -> str | None:
        """The witnessed note text, or None on a first run."""
        if not self.path.exists():
            return None
        try:
            return self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CouldNotVerifyError(f"{WITNESS_DIR}: cannot read {self.path}: {e}") from e

    def load_keys(self) -> list[Verifier] | None:
        """The keys kept with the checkpoint; None for a folder written before keys were kept."""
        if not self.keys_path.exists():
            return None
        try:
            text = self.keys_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CouldNotVerifyError(f"{WITNESS_DIR}: cannot read {self.keys_path}: {e}") from e
        keys: list[Verifier] = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                key = parse_vkey(line)
            except NoteError as e:
                raise CouldNotVerifyError(
                    f"{WITNESS_DIR}: line {number} of {self.keys_path} is not a vkey: {e}"
                ) from e
            if key not in keys:
                keys.append(key)
        return keys

    def open(
        self, origin: str, ledger_keys: Sequence[Verifier], *, upgrade: bool = True
    ) -> Checkpoint | None:
        """The witnessed checkpoint, verified with the witness's own keys; None on a first run.

        ``ledger_keys`` are used only for a folder without ``keys`` (written before keys were
        kept); with ``upgrade`` the keys that verified its checkpoint are then written beside
        it. A checkpoint that does not verify is ``CouldNotVerifyError``: the witness is
        unreadable, not the ledger broken.
        """
        note = self.load()
        if note is None:
            return None
        kept = self.load_keys()
        try:
            text, signers = open_note(note, kept if kept is not None else ledger_keys)
            checkpoint = Checkpoint.parse(text)
            if checkpoint.origin != origin:
                raise CheckpointError(
                    f"checkpoint origin {checkpoint.origin!r} is not the expected {origin!r}"
                )
        except NoteError as e:
            if kept is not None:
                raise CouldNotVerifyError(
                    f"{WITNESS_DIR}: the witnessed checkpoint does not verify with the keys "
                    f"kept beside it in {self.keys_path}: {e}"
                ) from e
            raise CouldNotVerifyError(
                f"{WITNESS_DIR}: the witnessed checkpoint does not verify: {e} (the folder "
                f"predates stored witness keys and neither the ledger nor the key folder "
                f"holds the key that signed it; put that key's vkey in {self.keys_path})"
            ) from e
        if kept is None and upgrade:
            self._write(self.keys_path, _vkey_lines(signers))
        return checkpoint

    def store(self, note: str, keys: Sequence[Verifier]) -> None:
        """Replace the witnessed checkpoint and its keys (``keys``: those that verified it)."""
        if not keys:
            raise CouldNotVerifyError(f"{WITNESS_DIR}: a checkpoint is witnessed with its keys")
        try:
            old = self.load_keys() or []
        except CouldNotVerifyError:
            old = []  # an unreadable keys file is replaced, as the checkpoint is
        self._write(self.keys_path, _vkey_lines([*old, *(k for k in keys if k not in old)]))
        self._write(self.path, note)
        self._write(self.keys_path, _vkey_lines(keys))

    def _write(self, path: Path, text: str) -> None:
        """Replace ``path`` atomically (a temporary file in the folder, fsynced, renamed)."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            Path(tmp).replace(path)
        except OSError as e:
            raise CouldNotVerifyError(f"{WITNESS_DIR}: cannot write {path}: {e}") from e


def _vkey_lines(keys: Sequence[Verifier]) -> str:
    return "".join(f"{key.vkey}\n" for key in keys)


@dataclass
class _Progress:
    total: int
    enabled: bool
    bar: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from tqdm import tqdm  # noqa: PLC0415 - only on a terminal

            self.bar = tqdm(total=self.total, unit="ev", file=sys.stderr, leave=False)
        return self

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def verify_ledger(
    app: LedgerApplication,
    *,
    full: bool = False,
    witness: Witness | None = None,
    progress: bool = False,
    workers: int | None = None,
    update_witness: bool = True,
    range_threshold: int = RANGE_MODE_THRESHOLD,
    range_length: int = RANGE_LENGTH,
) -> VerificationReport:
    """Verify the ledger; see the module docstring for the steps.

    A full run over more than ``range_threshold`` leaves hands whole leaf ranges to worker
    processes that read them on their own connections, ``range_length`` leaves each.
    """
    log = MerkleLog(app.ledger_recorder)
    origin = app.settings.log_origin

    # 1. Key ring from the registry, against the trust anchors.
    try:
        anchors = app.key_dir.public_keys()
    except LedgerError as e:
        raise CouldNotVerifyError(str(e)) from e
    if not anchors:
        raise CouldNotVerifyError(f"no public keys in the key folder {app.key_dir.path}")
    registry_rows = app.recorder.select_events(REGISTRY_ID)
    ring, ring_failures = KeyRing.build(registry_rows, app.record_mapper.decode_payload, anchors)

    # 2. The witness, verified with its own keys (the ledger's only for an old folder).
    ledger_keys = list(
        {
            key.key_id: key.verifier
            for key in [*anchors.values(), *(k.public for k in ring.keys.values())]
        }.values()
    )
    witnessed = (
        witness.open(origin, ledger_keys, upgrade=update_witness) if witness is not None else None
    )

    mode = "full" if full or witnessed is None else "incremental"
    report = VerificationReport(mode=mode)
    for failure in ring_failures:
        report.failures.append(Failure.from_violation(failure, failure.position))

    log.ensure_statistics()
    with log.snapshot() as snap:
        tree_size, head_frontier = snap.head()
        report.tree_size = tree_size
        latest = snap.latest_checkpoint()
        report.checkpoint = latest.note if latest is not None else ""
        if latest is not None and latest.tree_size > tree_size:
            report.add(
                "head_mismatch",
                f"the log head says {tree_size} leaves but the latest checkpoint covers "
                f"{latest.tree_size}",
            )
        # A head ahead of the latest checkpoint is not a failure: on PostgreSQL a write the
        # database sequenced is committed first and its checkpoint signed just after. Those
        # newest events are checked like the rest; the next checkpoint covers them.
        report.uncheckpointed = max(0, tree_size - (latest.tree_size if latest is not None else 0))
        pass_a = _LogPass(
            app,
            ring,
            report,
            origin,
            workers=workers,
            range_threshold=range_threshold,
            range_length=range_length,
        )
        if mode == "full":
            # On PostgreSQL the structural checks (steps 4-6, done by the database) run in a
            # second snapshot beside step 3 (done by the worker processes), so neither waits.
            structure = _BesideChecks(log, report, _check_structure) if log.is_postgres else None
            try:
                with _Progress(tree_size, progress and sys.stderr.isatty()) as bar:
                    pass_a.run(snap, start=0, frontier=merkle.Frontier.empty(), progress=bar)
            finally:
                if structure is not None:
                    structure.join()
            if structure is None:
                _check_structure(snap, tree_size, report)
        else:
            assert witnessed is not None
            start_frontier = _witnessed_frontier(log, witnessed, tree_size, report)
            if start_frontier is not None:
                # The row counts read every row; on PostgreSQL they run beside the new
                # events' checks, in a snapshot of their own (judged by its own head).
                counts = _BesideChecks(log, report, _check_row_counts) if log.is_postgres else None
                try:
                    with _Progress(
                        tree_size - witnessed.size, progress and sys.stderr.isatty()
                    ) as bar:
                        pass_a.run(
                            snap, start=witnessed.size, frontier=start_frontier, progress=bar
                        )
                    after = snap.notification_id_at(witnessed.size - 1) if witnessed.size else 0
                    for orphan in snap.orphan_events(after or 0):
                        report.add(
                            "unlogged_event",
                            "event row has no leaf in the Merkle log (inserted behind the log)",
                            originator_id=str(orphan.originator_id),
                            originator_version=orphan.originator_version,
                        )
                finally:
                    if counts is not None:
                        counts.join()
                if counts is None:
                    _check_row_counts(snap, tree_size, report)
        report.events_checked = pass_a.checked
        computed = pass_a.frontier
        if (
            computed is not None
            and computed.size == tree_size
            and computed.to_bytes() != head_frontier
        ):
            # A writer plans its next batch on this row: rewritten, it would sign a root of
            # someone's choosing (the recorders' head guard refuses; docs/integrity.md).
            report.add(
                "head_mismatch",
                f"the log head's frontier is not that of the {tree_size} leaves stored: "
                "the head row was rewritten",
            )

    # 7. The witness: the log must extend what was accepted before.
    if witnessed is not None:
        report.witnessed_size = witnessed.size
        _check_witness(log, witnessed, latest, report)

    # 8. Accept the new checkpoint, with the ledger keys that verify it.
    if report.ok and witness is not None and latest is not None and update_witness:
        ring_keys = [k.public.verifier for k in ring.keys.values()]
        try:
            _, signers = open_note(latest.note, ring_keys)
        except NoteError as e:
            report.add(
                "checkpoint_signature",
                f"the latest checkpoint does not verify with the ledger's keys: {e}",
                position=latest.tree_size - 1,
            )
        else:
            witness.store(latest.note, signers)
            report.witness_updated = True
    return report


def _check_row_counts(snap: LogSnapshot, tree_size: int, report: VerificationReport) -> None:
    """The incremental run's check for rows removed or added behind the log: the leaves are
    exactly positions 0 to ``tree_size - 1`` (their count and bounds; the position is the
    leaves' primary key, so no two share one), and there are as many event rows as leaves.
    Comparing the two counts alone would pass an event deleted together with its leaf."""
    counts = snap.row_counts()
    events, leaves, bounds = counts.events, counts.leaves, counts.leaf_bounds
    expected = (0, tree_size - 1) if tree_size else None
    if leaves != tree_size or bounds != expected:
        shown = f"positions {bounds[0]} to {bounds[1]}" if bounds is not None else "none"
        report.add(
            "row_count",
            f"the log head says {tree_size} leaves but {leaves} leaf rows are stored "
            f"({shown}): leaves were deleted or inserted (run `auxledger verify --full` to "
            "find them)",
        )
    if events != leaves:
        report.add(
            "row_count",
            f"{events} event rows but {leaves} leaves: rows were inserted or "
            "deleted (run `auxledger verify --full` to find them)",
        )


def require_intact(report: VerificationReport) -> None:
    """Raise ``IntegrityViolation`` (the first failure) unless the report is clean."""
    if report.ok:
        return
    first = report.sorted_failures()[0]
    raise IntegrityViolation(
        first.detail,
        originator_id=first.originator_id,
        originator_version=first.originator_version,
        position=first.position,
        kind=first.kind,
    )


class _LogPass:
    """Step 3: the log in leaf order (per-record checks in worker processes)."""

    def __init__(
        self,
        app: LedgerApplication,
        ring: KeyRing,
        report: VerificationReport,
        origin: str,
        *,
        workers: int | None,
        range_threshold: int,
        range_length: int = RANGE_LENGTH,
    ) -> None:
        self.app = app
        self.ring = ring
        self.report = report
        self.origin = origin
        self.workers = workers
        self.range_threshold = range_threshold
        self.range_length = range_length
        self.checked = 0
        # The tree the pass computed from the leaves it read (None where a range left it
        # untrusted), for the head row's frontier to be compared with.
        self.frontier: merkle.Frontier | None = None

    def keys(self) -> dict[bytes, KeyWindow]:
        """The key ring as the workers need it."""
        return {
            key_id: KeyWindow(
                raw=status.public.raw,
                activated_at=status.activated_at,
                valid_until=status.valid_until,
                status=status.status,
            )
            for key_id, status in self.ring.keys.items()
        }

    def run(
        self,
        snap: LogSnapshot,
        *,
        start: int,
        frontier: merkle.Frontier,
        progress: _Progress,
    ) -> None:
        report = self.report
        size = snap.head()[0]
        workers = self.workers if self.workers is not None else (os.cpu_count() or 1)
        if start == 0 and workers > 1 and size > self.range_threshold:
            self._run_ranges(snap, size=size, progress=progress)
            return
        checkpoints = snap.checkpoints(from_size=start + 1)
        next_cp = next(checkpoints, None)
        previous_nid = snap.notification_id_at(start - 1) if start else 0
        incremental = start > 0
        chain = _IncrementalChain(snap, report) if incremental else None
        root_trusted = True
        many = snap.log.tree_size() - start > 2000
        expected = start
        with RowChecker(self.keys(), workers=self.workers if many else 1) as checker:
            for row in snap.log_rows(start):
                progress.update()
                position = row.leaf_index
                if position != expected:
                    # Once per gap or jump: the leaves after it are judged from where they
                    # stand, not each reported again as one off.
                    report.add(
                        "leaf_order",
                        f"leaf index {position} where {expected} was expected "
                        "(leaves missing or renumbered)",
                        position=position,
                    )
                    root_trusted = False
                expected = position + 1
                if previous_nid is not None and row.notification_id <= previous_nid:
                    report.add(
                        "leaf_order",
                        f"leaf points at notification {row.notification_id}, not after "
                        f"{previous_nid}: events were reordered",
                        position=position,
                        originator_id=str(row.logged_originator_id),
                        originator_version=row.logged_version,
                    )
                previous_nid = row.notification_id
                leaf = row.stored_leaf_hash
                if row.state is None:
                    report.add(
                        "missing_event",
                        "the log has a leaf here but its event row is gone (deleted)",
                        originator_id=str(row.logged_originator_id),
                        originator_version=row.logged_version,
                        position=position,
                    )
                else:
                    self.checked += 1
                    checker.add_row(
                        (
                            position,
                            row.notification_id,
                            row.stored_leaf_hash,
                            row.originator_id,
                            row.originator_version,
                            row.topic,
                            row.state,
                            row.logged_originator_id,
                            row.logged_version,
                        )
                    )
                    if leaf is None:
                        leaf = merkle.leaf_hash(row.state)
                    if chain is not None:
                        chain.add(row)
                if leaf is None:
                    root_trusted = False
                    leaf = merkle.EMPTY_ROOT
                frontier.append(leaf)
                while next_cp is not None and next_cp.tree_size <= frontier.size:
                    if next_cp.tree_size == frontier.size:
                        self._check_checkpoint(
                            next_cp, frontier, row.notification_id, root_trusted, checker
                        )
                    next_cp = next(checkpoints, None)
            if chain is not None:
                chain.flush()
            for failure in checker.failures():
                report.failures.append(Failure(**failure_fields(failure)))
        self.frontier = frontier
        if next_cp is not None:
            report.add(
                "checkpoint_beyond_log",
                f"a checkpoint covers {next_cp.tree_size} leaves but the log has only "
                f"{frontier.size}",
            )

    def _run_ranges(
        self,
        snap: LogSnapshot,
        *,
        size: int,
        progress: _Progress,
    ) -> None:
        """Full mode on a large log: workers read and check aligned leaf ranges on their own
        connections (records, leaf hashes, keys, signatures, checkpoint signatures, order
        inside the range) and return each range's subtree roots; this process joins the
        ranges (order across them), folds the subtrees into the tree, and checks every
        checkpoint's root -- without reading the leaves itself."""
        report = self.report
        checkpoints = snap.checkpoints(from_size=1)
        next_cp = next(checkpoints, None)
        previous_nid = 0
        untrusted_from: int | None = None
        covered = merkle.Frontier.empty()  # the tree over the ranges joined so far
        source = snap.log.range_source(self.app.settings.database)
        with RangeChecker(
            source, self.keys(), workers=self.workers, chunk=self.range_length
        ) as ranges:
            ranges.submit(0, size)
            for result in ranges.results():
                progress.update(result.stop - result.start)
                self.checked += result.checked
                for failure in result.failures:
                    report.failures.append(Failure(**failure_fields(failure)))
                first = result.first_notification_id
                if first is not None and first <= previous_nid:
                    report.add(
                        "leaf_order",
                        f"leaf points at notification {first}, not after {previous_nid}: "
                        "events were reordered",
                        position=result.start,
                    )
                if result.last_notification_id is not None:
                    previous_nid = result.last_notification_id
                if untrusted_from is None:
                    untrusted_from = result.untrusted_from
                while next_cp is not None and next_cp.tree_size <= result.stop:
                    cp_size = next_cp.tree_size
                    local = result.snapshots.get(cp_size)
                    trusted = (untrusted_from is None or untrusted_from >= cp_size) and (
                        local is not None
                    )
                    at = merkle.Frontier.empty()
                    if trusted and local is not None:
                        at = covered.copy()
                        at.extend(cp_size - result.start, local)
                    self._check_checkpoint(next_cp, at, 0, trusted, None)
                    next_cp = next(checkpoints, None)
                if untrusted_from is None:
                    covered.extend(result.stop - result.start, result.frontier)
        self.frontier = covered if untrusted_from is None else None
        if next_cp is not None:
            report.add(
                "checkpoint_beyond_log",
                f"a checkpoint covers {next_cp.tree_size} leaves but the log has only {size}",
            )

    def _check_checkpoint(
        self,
        cp: StoredCheckpoint,
        frontier: merkle.Frontier,
        last_notification_id: int,
        root_trusted: bool,
        checker: RowChecker | None,
    ) -> None:
        """Root and format here; the signature by ``checker`` (None: the range workers)."""
        report = self.report
        position = cp.tree_size - 1
        try:
            text, lines = split_note(cp.note)
            checkpoint = Checkpoint.parse(text)
        except NoteError as e:
            report.add(
                "checkpoint_signature",
                f"the checkpoint for tree size {cp.tree_size} is malformed: {e}",
                position=position,
            )
            return
        ours = [line for line in lines if line.key_id in self.ring.keys]
        if not ours or checkpoint.origin != self.origin:
            report.add(
                "checkpoint_signature",
                f"the checkpoint for tree size {cp.tree_size} is not signed by a ledger key "
                "for this origin",
                position=position,
            )
            return
        if checker is not None:
            for line in ours:
                checker.add_note(
                    (cp.tree_size, last_notification_id, line.key_id, text.encode(), line.signature)
                )
        if checkpoint.size != cp.tree_size or checkpoint.root != cp.root:
            report.add(
                "checkpoint_mismatch",
                f"the stored checkpoint row for size {cp.tree_size} disagrees with its note",
                position=position,
            )
        if root_trusted and frontier.root() != checkpoint.root:
            report.add(
                "root_mismatch",
                f"the root recomputed from the leaves differs from the signed checkpoint "
                f"for tree size {cp.tree_size}",
                position=position,
            )


class _IncrementalChain:
    """Chain links of the events after the witnessed size, checked in chunks.

    Predecessors older than the witnessed size are fetched in one query per chunk (their
    hashes computed by the database where it can), not one query per event.
    """

    CHUNK = 2000

    def __init__(self, snap: LogSnapshot, report: VerificationReport) -> None:
        self.snap = snap
        self.report = report
        self.heads: dict[UUID, tuple[int, bytes]] = {}
        self.pending: list[tuple[LogRow, SignedRecord]] = []

    def add(self, row: LogRow) -> None:
        assert row.state is not None
        try:
            record = parse_record(row.state)
        except MalformedRecordError:
            return  # reported by the workers
        self.pending.append((row, record))
        if len(self.pending) >= self.CHUNK:
            self.flush()

    def flush(self) -> None:
        wanted = {
            (record.originator_id, record.originator_version - 1)
            for _, record in self.pending
            if record.originator_version > 1 and record.originator_id not in self.heads
        }
        found = self.snap.record_hashes(wanted)
        for row, record in self.pending:
            originator_id, version = record.originator_id, record.originator_version
            head = self.heads.get(originator_id)
            if head is None:
                if version == 1:
                    head = (0, GENESIS_PREVIOUS)
                else:
                    digest = found.get((originator_id, version - 1))
                    head = (version - 1, digest) if digest is not None else (0, GENESIS_PREVIOUS)
            where = {
                "originator_id": str(originator_id),
                "originator_version": version,
                "position": row.leaf_index,
            }
            if version != head[0] + 1:
                self.report.add(
                    "version_gap", f"version {version} follows version {head[0]}", **where
                )
            elif record.previous_hash != head[1]:
                self.report.add(
                    "chain_broken",
                    "record does not point at the hash of the aggregate's previous record",
                    **where,
                )
            self.heads[originator_id] = (version, record.hash)
        self.pending = []
        if len(self.heads) > 100_000:
            self.heads.clear()


def _check_structure(snap: LogSnapshot, tree_size: int, report: VerificationReport) -> None:
    """Steps 4-6 in one snapshot: chains and versions, unlogged events, interior nodes."""
    _check_chains(snap, report)
    for orphan in snap.orphan_events(0):
        report.add(
            "unlogged_event",
            "event row has no leaf in the Merkle log (inserted behind the log)",
            originator_id=str(orphan.originator_id),
            originator_version=orphan.originator_version,
        )
    _check_nodes(snap, tree_size, report)


class _BesideChecks:
    """Checks the database does (the full run's steps 4-6, the incremental run's row
    counts) in a thread, in a read snapshot of their own (taken now), beside the pass over
    the leaves that the Python process does.

    That snapshot is consistent in itself, and its checks are judged against its own head,
    so an event committed between the two snapshots cannot raise a false alarm.
    An error in the thread is raised again by ``join``: a check that could not be made is
    never read as a pass.
    """

    def __init__(
        self,
        log: MerkleLog,
        report: VerificationReport,
        check: Callable[[LogSnapshot, int, VerificationReport], None],
    ) -> None:
        self._log = log
        self._report = report
        self._check = check
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="verify-beside", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._log.snapshot() as snap:
                self._check(snap, snap.head()[0], self._report)
        except BaseException as e:  # re-raised by join()
            self._error = e

    def join(self) -> None:
        """Wait for the checks; raise what they raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error


def _check_chains(snap: LogSnapshot, report: VerificationReport) -> None:
    """Step 4: versions and hash chain per aggregate."""
    faults = snap.chain_faults()
    if faults is not None:
        for fault in faults:
            _report_link(
                report,
                fault.originator_id,
                fault.originator_version,
                fault.leaf_index,
                expected_version=fault.expected_version,
            )
        return
    current: UUID | None = None
    expected_version = 1
    previous = GENESIS_PREVIOUS
    for link in snap.chain_links():
        if link.originator_id != current:
            current = link.originator_id
            expected_version = 1
            previous = GENESIS_PREVIOUS
        if link.well_formed and (
            link.originator_version != expected_version or link.previous_hash != previous
        ):
            _report_link(
                report,
                link.originator_id,
                link.originator_version,
                link.leaf_index,
                expected_version=expected_version,
            )
        previous = link.record_hash
        expected_version = link.originator_version + 1


def _report_link(
    report: VerificationReport,
    originator_id: UUID,
    version: int,
    position: int | None,
    *,
    expected_version: int,
) -> None:
    """Report a version-sequence fault, else (same version as expected) a broken link."""
    where: dict[str, Any] = {
        "originator_id": str(originator_id),
        "originator_version": version,
        "position": position,
    }
    if version != expected_version:
        missing = (
            f"versions {expected_version}..{version - 1} are missing"
            if version > expected_version
            else f"version {version} appears twice or out of order"
        )
        report.add("version_gap", missing, **where)
    else:
        report.add(
            "chain_broken",
            "record does not point at the hash of the aggregate's previous record",
            **where,
        )


def _check_nodes(snap: LogSnapshot, tree_size: int, report: VerificationReport) -> None:
    """Step 6: every stored interior node equals the hash of its children; counts match."""
    mismatches = snap.node_mismatches()
    if mismatches is None:
        _check_nodes_in_python(snap, tree_size, report)
        return
    for level, index in mismatches:
        report.add(
            "node_mismatch",
            f"interior node level {level} index {index} is not the hash of its children",
            position=index << level,
        )
    counts = snap.node_counts()
    level = 0
    while (1 << level) <= tree_size:
        expected = tree_size >> level
        count, low, high = counts.get(level, (0, 0, -1))
        if count != expected or (expected and (low != 0 or high != expected - 1)):
            report.add(
                "node_mismatch",
                f"level {level} has {count} stored nodes, expected {expected}",
            )
        level += 1


def _check_nodes_in_python(snap: LogSnapshot, tree_size: int, report: VerificationReport) -> None:
    """Step 6 without database hashing (SQLite): merge each level with its children."""
    level = 1
    while (1 << level) <= tree_size:
        expected_count = tree_size >> level
        children = snap.nodes_at_level(level - 1)
        seen = 0
        for expected_index, (index, stored) in enumerate(snap.nodes_at_level(level)):
            where = {"position": index << level}
            if index != expected_index:
                report.add(
                    "node_mismatch",
                    f"interior node level {level} index {index} out of sequence",
                    **where,
                )
                break
            left = next(children, None)
            right = next(children, None)
            if left is None or right is None or left[0] != 2 * index or right[0] != 2 * index + 1:
                report.add(
                    "node_mismatch",
                    f"children of interior node level {level} index {index} are missing",
                    **where,
                )
                break
            if merkle.node_hash(left[1], right[1]) != stored:
                report.add(
                    "node_mismatch",
                    f"interior node level {level} index {index} is not the hash of its children",
                    **where,
                )
            seen = expected_index + 1
        else:
            if seen != expected_count:
                report.add(
                    "node_mismatch",
                    f"level {level} has {seen} stored nodes, expected {expected_count}",
                )
        children.close()
        level += 1


def _witnessed_frontier(
    log: MerkleLog, witnessed: Checkpoint, tree_size: int, report: VerificationReport
) -> merkle.Frontier | None:
    """The frontier at the witnessed size from stored nodes, checked against its root."""
    if witnessed.size > tree_size:
        return None  # reported by the witness check
    try:
        frontier = log.frontier_at(witnessed.size)
    except LedgerError as e:
        report.add("witness_inconsistent", f"cannot rebuild the witnessed tree: {e}")
        return None
    if frontier.root() != witnessed.root:
        report.add(
            "witness_inconsistent",
            f"the stored tree of size {witnessed.size} no longer has the witnessed root: "
            "history was rewritten",
            position=witnessed.size - 1 if witnessed.size else None,
        )
        return None
    return frontier


def _check_witness(
    log: MerkleLog,
    witnessed: Checkpoint,
    latest: StoredCheckpoint | None,
    report: VerificationReport,
) -> None:
    current_size = latest.tree_size if latest is not None else 0
    if current_size < witnessed.size:
        report.add(
            "witness_rollback",
            f"the latest checkpoint covers {current_size} leaves but one of {witnessed.size} "
            "was witnessed before: the database was rolled back or truncated",
            position=current_size,
        )
        return
    if latest is None or witnessed.size == 0:
        return
    # The root the checkpoint's signed note states, not the row's unsigned column: a column
    # rewritten alone is that, not a fork.
    latest_root = _signed_root(latest, report)
    if current_size == witnessed.size:
        if latest_root != witnessed.root:
            report.add(
                "witness_inconsistent",
                f"the log at size {current_size} has a different root than the witnessed "
                "checkpoint: the log forked",
                position=current_size - 1,
            )
        return
    try:
        proof = log.consistency_proof(witnessed.size, current_size)
        merkle.verify_consistency(witnessed.size, current_size, witnessed.root, latest_root, proof)
    except (LedgerError, merkle.MerkleError) as e:
        report.add(
            "witness_inconsistent",
            f"no valid consistency proof from the witnessed size {witnessed.size} to "
            f"{current_size}: {e}",
            position=witnessed.size - 1,
        )


def _signed_root(checkpoint: StoredCheckpoint, report: VerificationReport) -> bytes:
    """The root in a stored checkpoint's note (its signature is checked with the rest of the
    log); the row's root column where the note cannot be read (reported elsewhere). A column
    that disagrees with the note is reported here."""
    try:
        root = Checkpoint.parse(split_note(checkpoint.note)[0]).root
    except NoteError:
        return checkpoint.root
    position = checkpoint.tree_size - 1
    known = any(f.kind == "checkpoint_mismatch" and f.position == position for f in report.failures)
    if root != checkpoint.root and not known:  # a full run's pass may have said it already
        report.add(
            "checkpoint_mismatch",
            f"the checkpoint row for tree size {checkpoint.tree_size} has a root column "
            "other than its signed note's",
            position=position,
        )
    return root


def iter_failures(report: VerificationReport) -> Iterator[str]:
    """One printable line per failure, in log order."""
    for f in report.sorted_failures():
        where = []
        if f.originator_id:
            where.append(f"originator {f.originator_id}")
        if f.originator_version is not None:
            where.append(f"version {f.originator_version}")
        if f.position is not None:
            where.append(f"position {f.position}")
        yield f"{f.kind}: {f.detail}" + (f" ({', '.join(where)})" if where else "")


Clock = Callable[[], float]
