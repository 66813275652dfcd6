"""``auxledger monitor``: follow a ledger from the outside, through its public endpoints only.

Each check fetches ``GET /v1/ledger/checkpoint``, verifies the log's signature (``--log-vkey``)
and, with ``--witness-vkey``, that at least K of those witnesses cosigned it; then proves it
consistent with the last checkpoint this monitor accepted (kept in ``--state``), with
``GET /v1/ledger/proof/consistency``. A good checkpoint replaces the state (fsync, rename);
a bad one never does, and is appended to ``<state>/evidence.log``.

A checkpoint that is validly signed and consistent but has fewer than K cosignatures is
"not yet cosigned" (the witnesses have not caught up): it is reported (a line, the metric
``auxledger_monitor_awaiting_cosignatures`` 1), the state stays on the last checkpoint accepted,
and it is not an inconsistency.

Exit codes: 0 consistent, 1 an inconsistency (a bad signature, a shorter log, another tree of
the same size, a failing proof), 2 could not check (the ledger unreachable, a bad argument or
state), 3 not yet cosigned (consistent with the state, short of the quorum). With
``--interval`` it checks until an inconsistency (exit 1); an unreachable ledger and a
checkpoint not yet cosigned are reported and checked again. ``--metrics-file`` is rewritten
atomically after every check, in the Prometheus text format node-exporter's textfile
collector reads.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.cli import UsageError, gauges, number_between, witness_quorum, write_textfile

STATE_FILE = "checkpoint"
EVIDENCE_FILE = "evidence.log"
EXIT_OK, EXIT_INCONSISTENT, EXIT_UNAVAILABLE, EXIT_NOT_YET_COSIGNED = 0, 1, 2, 3


class UnavailableError(Exception):
    """The ledger could not be reached or answered something unusable (exit 2)."""


@dataclass
class Outcome:
    """What one check found."""

    ok: bool = False
    reachable: bool = False
    failure: str = ""
    tree_size: int | None = None
    cosignatures: int = 0
    awaiting: str = ""
    """Why a consistent checkpoint is not yet accepted (too few cosignatures so far)."""
    checked_at: float = field(default_factory=time.time)


@dataclass
class Monitor:
    """One monitored ledger: where it is, whom to trust, where to keep what was seen."""

    url: str
    log_keys: list[Any]
    origin: str
    witness_keys: list[Any]
    required: int
    state: Path
    timeout: float = 10.0

    def _get(self, path: str, query: dict[str, int] | None = None) -> bytes:
        url = self.url.rstrip("/") + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310
                return bytes(answer.read(1 << 20))
        except urllib.error.HTTPError as e:
            raise UnavailableError(f"{path}: HTTP {e.code}") from None
        except (OSError, urllib.error.URLError) as e:
            reason = getattr(e, "reason", None) or e
            raise UnavailableError(f"cannot reach {self.url}: {reason}") from None

    def _seen(self) -> Any:
        from ledger.note import Checkpoint, NoteError, open_note  # noqa: PLC0415

        path = self.state / STATE_FILE
        if not path.exists():
            return None
        try:
            text, _ = open_note(path.read_text(encoding="utf-8"), self.log_keys)
            return Checkpoint.parse(text)
        except (OSError, UnicodeDecodeError, NoteError) as e:
            raise UsageError(f"--state: the stored checkpoint is unusable: {e}") from None

    def _keep(self, note: str) -> None:
        from ledger.durable import replace_durably  # noqa: PLC0415

        self.state.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_durably(self.state / STATE_FILE, note)

    def _evidence(self, failure: str, note: str) -> None:
        self.state.mkdir(mode=0o700, parents=True, exist_ok=True)
        with (self.state / EVIDENCE_FILE).open("a", encoding="utf-8") as f:
            f.write(f"# {int(time.time())} {failure}\n{note}\n")
            f.flush()
            os.fsync(f.fileno())

    def check(self) -> Outcome:
        """One check; ``UnavailableError`` when the ledger cannot be checked."""
        from ledger import merkle  # noqa: PLC0415
        from ledger.cosignature import (  # noqa: PLC0415
            CosignatureError,
            note_text,
            verify_cosignatures,
        )
        from ledger.note import Checkpoint, NoteError, open_note, split_note  # noqa: PLC0415

        outcome = Outcome()
        seen = self._seen()
        raw = self._get("/v1/ledger/checkpoint")
        outcome.reachable = True
        try:
            note = raw.decode("utf-8")
            split_note(note)
            text, lines = note_text(note)
        except (UnicodeDecodeError, NoteError, CosignatureError) as e:
            raise UnavailableError(f"the checkpoint is not a signed note: {e}") from None

        def fail(kind: str, detail: str) -> Outcome:
            outcome.failure = f"{kind}: {detail}"
            self._evidence(outcome.failure, note)
            return outcome

        try:
            open_note(note, self.log_keys)
            checkpoint = Checkpoint.parse(text)
        except NoteError as e:
            return fail("checkpoint_signature", str(e))
        if checkpoint.origin != self.origin:
            return fail("checkpoint_origin", f"origin {checkpoint.origin!r} is not {self.origin!r}")
        outcome.tree_size = checkpoint.size
        outcome.cosignatures = len(verify_cosignatures(text, lines, self.witness_keys))
        if seen is not None:
            if checkpoint.size < seen.size:
                return fail(
                    "rollback",
                    f"the ledger shows tree size {checkpoint.size}, smaller than the "
                    f"{seen.size} this monitor saw",
                )
            if checkpoint.size == seen.size and checkpoint.root != seen.root:
                return fail("fork", f"another tree of size {seen.size} than the one seen")
            if seen.size and checkpoint.size > seen.size:
                answer = self._get(
                    "/v1/ledger/proof/consistency",
                    {"first": seen.size, "second": checkpoint.size},
                )
                try:
                    encoded = json.loads(answer)["hashes"]
                    hashes = [base64.b64decode(h, validate=True) for h in encoded]
                except (ValueError, KeyError, TypeError) as e:
                    raise UnavailableError(f"the consistency proof is unreadable: {e}") from None
                try:
                    merkle.verify_consistency(
                        seen.size, checkpoint.size, seen.root, checkpoint.root, hashes
                    )
                except merkle.ConsistencyProofError as e:
                    return fail(
                        "inconsistent",
                        f"tree size {checkpoint.size} does not extend the {seen.size} seen: {e}",
                    )
        if outcome.cosignatures < self.required:
            # Validly signed and consistent, but the witnesses have not caught up: nothing is
            # wrong yet, and the state stays on the last checkpoint with the quorum.
            outcome.awaiting = (
                f"{outcome.cosignatures} of the {self.required} required witness cosignatures "
                f"verify on the checkpoint of tree size {checkpoint.size}"
            )
            return outcome
        self._keep(note)
        outcome.ok = True
        return outcome


def _number(value: float) -> str:
    """A metric value in full precision (``repr``: the shortest text that reads back exact)."""
    return str(value) if isinstance(value, int) else repr(float(value))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def write_metrics(path: Path, monitor: Monitor, outcome: Outcome, last_ok: float | None) -> None:
    """Rewrite the node-exporter textfile atomically, mode 0644 (``write_textfile``)."""
    labels = f'{{origin="{_label(monitor.origin)}",url="{_label(monitor.url)}"}}'
    evidence = monitor.state / EVIDENCE_FILE
    found = 0
    if evidence.exists():
        lines = evidence.read_text(encoding="utf-8").splitlines()
        found = sum(1 for line in lines if line.startswith("# "))
    figures = [
        ("up", "1 if the last check reached the ledger", 1 if outcome.reachable else 0),
        (
            "consistent",
            "1 if the last check found the ledger consistent",
            1 if outcome.ok or outcome.awaiting else 0,
        ),
        (
            "awaiting_cosignatures",
            "1 if the last checkpoint fetched is consistent but not yet cosigned by the quorum",
            1 if outcome.awaiting else 0,
        ),
        ("tree_size", "tree size of the last checkpoint fetched", outcome.tree_size),
        ("witness_cosignatures", "valid cosignatures by named witnesses", outcome.cosignatures),
        ("witnesses_required", "cosignatures required", monitor.required),
        ("inconsistencies_found", "inconsistencies recorded in evidence.log", found),
        ("last_check_timestamp_seconds", "when the last check ran", outcome.checked_at),
        ("last_consistent_timestamp_seconds", "when a check last passed", last_ok),
    ]
    text = gauges("auxledger_monitor_", labels, figures, _number)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_textfile(path, text)


def cmd_monitor(args: argparse.Namespace) -> int:
    """Check once, or every ``--interval`` seconds until an inconsistency."""
    try:
        return _monitor(args)
    except UsageError as e:
        print(f"auxledger: {e}", file=sys.stderr)  # noqa: T201
        return EXIT_UNAVAILABLE


def default_state(origin: str) -> Path:
    """The state folder when ``--state`` is not given: one per log origin under
    ``var/monitor`` in the working directory (the origin quoted into one folder name), so
    that monitors of two ledgers run from one folder never share a checkpoint."""
    return Path("var") / "monitor" / urllib.parse.quote(origin, safe="")


def _monitor(args: argparse.Namespace) -> int:
    from ledger.note import NoteError, parse_vkey  # noqa: PLC0415

    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("--url must be http(s)://host[:port][/prefix]")
    try:
        log_keys = [parse_vkey(v.strip()) for v in args.log_vkey]
    except NoteError as e:
        raise UsageError(f"--log-vkey: {e}") from None
    witness_keys, required = witness_quorum(args)
    monitor = Monitor(
        url=args.url,
        log_keys=log_keys,
        origin=args.origin or log_keys[0].name,
        witness_keys=witness_keys,
        required=required,
        state=Path(args.state) if args.state else default_state(args.origin or log_keys[0].name),
        timeout=args.timeout,
    )
    last_ok: float | None = None
    while True:
        try:
            outcome = monitor.check()
        except UnavailableError as e:
            outcome = Outcome(failure=str(e))
            print(f"auxledger: could not check: {e}", file=sys.stderr)  # noqa: T201
            code = EXIT_UNAVAILABLE
        else:
            if outcome.awaiting:
                last_ok = outcome.checked_at
                code = EXIT_NOT_YET_COSIGNED
                print(  # noqa: T201
                    f"not yet cosigned: {outcome.awaiting}; the state stays on the last "
                    "checkpoint accepted",
                    flush=True,
                )
            elif outcome.ok:
                last_ok = outcome.checked_at
                code = EXIT_OK
                print(  # noqa: T201
                    f"consistent: {monitor.origin} tree size {outcome.tree_size}, "
                    f"{outcome.cosignatures} witness cosignature(s)",
                    flush=True,
                )
            else:
                code = EXIT_INCONSISTENT
                print(f"INCONSISTENT {outcome.failure}", flush=True)  # noqa: T201
        if args.metrics_file:
            write_metrics(Path(args.metrics_file), monitor, outcome, last_ok)
        if args.interval is None or code == EXIT_INCONSISTENT:
            return code
        time.sleep(args.interval)


_seconds = number_between(
    float, 0.1, 86_400, not_a="a number of seconds", outside="must be between 0.1 and 86400 seconds"
)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a whole number, at least 1")
    return int(text)


def register(sub: Any) -> None:
    """Add the ``monitor`` verb."""
    p = sub.add_parser("monitor", help="follow a ledger through its public endpoints")
    p.add_argument("--url", required=True, help="the ledger's base URL")
    p.add_argument("--log-vkey", required=True, action="append", help="the log's vkey (repeatable)")
    p.add_argument("--origin", default=None, help="the log's origin (default: the vkey's name)")
    p.add_argument("--witness-vkey", action="append", metavar="VKEY", help="a trusted witness")
    p.add_argument("--witnesses-required", type=_count, metavar="K", help="default: all named")
    p.add_argument(
        "--state",
        default=None,
        help="this monitor's own state folder (default: var/monitor/<origin>, one per log)",
    )
    once = p.add_mutually_exclusive_group()
    once.add_argument("--once", action="store_true", help="check once (the default)")
    once.add_argument("--interval", type=_seconds, metavar="S", help="check every S seconds")
    p.add_argument("--metrics-file", metavar="F", help="node-exporter textfile to rewrite")
    p.add_argument("--timeout", type=_seconds, default=10.0, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_monitor)
