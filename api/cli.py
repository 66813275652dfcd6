"""The ``auxledger`` command line (docs/contract.md).

Every verb is ``main(argv) -> int`` underneath; errors are caught once, here, and printed as
one line on stderr with an exit code: 2 for configuration, connection and key problems (and
for ``verify`` that could not run), 1 for refused commands and integrity failures.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 2


class UsageError(Exception):
    """A command line that cannot be carried out as given."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        print(f"auxledger: {message}", file=sys.stderr)
        raise SystemExit(EXIT_UNAVAILABLE)


def actor_name() -> str:
    """Who runs this command, for the events it records (no personal data beyond a login)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"cli:{user}@{socket.gethostname()}"


def _settings() -> Any:
    from ledger.config import Settings  # noqa: PLC0415 - keep start-up light

    return Settings.from_environ()


def _ledger(*, create_tables: bool = False, personal_data: bool = True) -> Any:
    from ledger.records import AuxLedger  # noqa: PLC0415 - keep start-up light

    return AuxLedger(_settings(), create_tables=create_tables, personal_data=personal_data)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# --------------------------------------------------------------------------- verbs


def cmd_init(args: argparse.Namespace) -> int:
    """Create the schema and, if none exists, a signing key; print the active key id."""
    from projections import ensure_schema  # noqa: PLC0415 - only init creates read models

    ledger = _ledger(create_tables=True, personal_data=False)
    status = ledger.initialise(actor_name())
    ensure_schema(ledger)
    print(status.public.key_id_hex)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the deterministic synthetic dataset through the application's commands."""
    import time  # noqa: PLC0415

    from api.demo import load_demo  # noqa: PLC0415

    ledger = _ledger()
    if ledger.recorder.select_notifications(start=None, limit=50, topics=_DEMO_GUARD_TOPICS):
        raise UsageError("the ledger already holds organs; the demo loads only into a new ledger")
    ledger.initialise(actor_name())
    started = time.monotonic()
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm  # noqa: PLC0415

        bar = tqdm(unit="cmd", file=sys.stderr, leave=False)
    last = 0

    def progress(done: int) -> None:
        nonlocal last
        if bar is not None:
            bar.update(done - last)
        last = done

    counts = load_demo(ledger, officers=args.officers, seed=args.seed, progress=progress)
    if bar is not None:
        bar.close()
    elapsed = time.monotonic() - started
    for name, value in counts.to_json().items():
        print(f"{name:>20}: {value}")
    print(f"{'seconds':>20}: {elapsed:.1f}")
    return EXIT_OK


_DEMO_GUARD_TOPICS = ["domain.organ:Organ.Registered"]


def cmd_verify(args: argparse.Namespace) -> int:
    """Integrity verification (exit 0 intact, 1 failures, 2 could not verify)."""
    from datetime import UTC, datetime  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from ledger.verification_record import remember  # noqa: PLC0415
    from ledger.verify import Witness, iter_failures, verify_ledger  # noqa: PLC0415

    textfile = _textfile(args.textfile) if args.textfile else None
    started = time.time()
    try:
        settings = _settings()
        witness_dir = Path(args.witness) if args.witness else settings.witness_dir
        witness_keys, required = witness_quorum(args)
        ledger = _ledger(create_tables=False, personal_data=False)
        report = verify_ledger(
            ledger,
            full=args.full,
            witness=Witness(witness_dir),
            progress=not args.json and textfile is None,
            workers=args.workers,
        )
        if required:
            from ledger.witnessing import check_witness_quorum  # noqa: PLC0415

            check_witness_quorum(
                ledger, report, witness_keys, required, max_lag=args.witness_max_lag
            )
    except Exception as e:
        if textfile is not None:
            from ledger.errors import IntegrityViolation  # noqa: PLC0415

            code = EXIT_FAILED if isinstance(e, IntegrityViolation) else EXIT_UNAVAILABLE
            _write_verify_textfile(textfile, args, code, started, None)
        if args.json:
            # One object on every run (docs/contract.md), the reason in "error"; the exit
            # code and the line on stderr are main()'s, as without --json.
            print(json.dumps(_verify_error_json(e), ensure_ascii=False))
        raise
    if textfile is not None:
        _write_verify_textfile(
            textfile, args, EXIT_OK if report.ok else EXIT_FAILED, started, report
        )
    remember(witness_dir, report, ran_at=datetime.now(tz=UTC), by="auxledger verify")
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for line in iter_failures(report):
            print(line)
        state = "intact" if report.ok else f"{len(report.failures)} integrity failure(s)"
        print(
            f"{state}: {report.mode} verification, {report.events_checked} events checked, "
            f"tree size {report.tree_size}"
            + (f", witnessed size {report.witnessed_size}" if report.witnessed_size else "")
            + (
                f", {report.uncheckpointed} newest not yet checkpointed"
                if report.uncheckpointed
                else ""
            )
        )
    return EXIT_OK if report.ok else EXIT_FAILED


def _verify_error_json(error: BaseException) -> dict[str, Any]:
    """The ``--json`` object of a run that could not finish: nothing checked, no failure
    found, and why in ``error`` (the first line of what stderr says)."""
    return {
        "ok": False,
        "events_checked": 0,
        "tree_size": 0,
        "checkpoint": "",
        "failures": [],
        "error": _first_line(error),
    }


_VERIFY_METRIC = "auxledger_verify_"
_LAST_SUCCESS = "last_success_timestamp_seconds"


def _textfile(text: str) -> Any:
    """The ``--textfile`` path, checked before verification starts (its folder must exist)."""
    from pathlib import Path  # noqa: PLC0415

    path = Path(text)
    if not path.name.endswith(".prom"):
        raise UsageError(
            f"--textfile {text}: the name must end in .prom (what node-exporter reads)"
        )
    if not path.parent.is_dir():
        raise UsageError(f"--textfile {text}: the folder {path.parent} does not exist")
    return path


def _previous_success(path: Any, mode: str) -> float | None:
    """The last success time the previous textfile recorded for this mode, if any."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    series = f'{_VERIFY_METRIC}{_LAST_SUCCESS}{{mode="{mode}"}} '
    for line in lines:
        if line.startswith(series):
            try:
                return float(line[len(series) :].strip())
            except ValueError:
                return None
    return None


def _write_verify_textfile(
    path: Any, args: argparse.Namespace, code: int, started: float, report: Any
) -> None:
    """Rewrite the node-exporter textfile atomically: temporary file, fsync, rename.

    A run that is not clean keeps the last success time the previous file recorded.
    """
    mode = "full" if args.full else "incremental"
    finished = time.time()
    last_success = finished if code == EXIT_OK else _previous_success(path, mode)
    figures: list[tuple[str, str, float | int | None]] = [
        ("ok", "1 if the last run found the ledger intact, else 0", int(code == EXIT_OK)),
        ("exit_code", "exit code of the last run: 0 intact, 1 failures, 2 could not verify", code),
        ("failures", "integrity failures the last run found", _failures(report)),
        ("tree_size", "tree size the last run verified", report and report.tree_size),
        ("events_checked", "events the last run checked", report and report.events_checked),
        ("duration_seconds", "how long the last run took", round(finished - started, 3)),
        ("last_run_timestamp_seconds", "when the last run ended (Unix time)", round(finished, 3)),
        (_LAST_SUCCESS, "when a run last found the ledger intact (Unix time)", last_success),
    ]
    text = gauges(_VERIFY_METRIC, f'{{mode="{mode}"}}', figures)
    try:
        write_textfile(path, text)
    except OSError as e:
        raise UsageError(f"--textfile {path}: cannot write it ({e.strerror})") from None


def write_textfile(path: Path, text: str) -> None:
    """Replace a node-exporter textfile atomically: temporary file, fsync, mode 0644, rename.

    The mode is set whatever the umask: the shipped systemd units run with ``UMask=0077``
    and node-exporter reads the file as another user. On any failure the temporary file is
    removed and the error raised; the file at ``path`` is then the previous one, whole.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def gauges(
    prefix: str,
    labels: str,
    figures: Iterable[tuple[str, str, float | int | None]],
    number: Callable[[float], str] = str,
) -> str:
    """Prometheus text-format gauges for a node-exporter textfile: HELP, TYPE and the sample
    (``labels`` as written, the value as ``number`` writes it) for each figure
    ``(name, help, value)`` whose value is known."""
    text = ""
    for name, help_text, value in figures:
        if value is None:
            continue
        text += (
            f"# HELP {prefix}{name} {help_text}\n"
            f"# TYPE {prefix}{name} gauge\n"
            f"{prefix}{name}{labels} {number(value)}\n"
        )
    return text


def _failures(report: Any) -> int | None:
    if report is None:
        return None
    return len(report.failures)


def witness_quorum(args: argparse.Namespace) -> tuple[list[Any], int]:
    """The named witness keys (``--witness-vkey``) and how many of them must cosign
    (``--witnesses-required``, default all; 0: no requirement), for ``verify`` and
    ``monitor``; a bad key or too few keys is a ``UsageError``."""
    from ledger.cosignature import CosignatureError, parse_cosigner_vkey  # noqa: PLC0415

    try:
        keys = [parse_cosigner_vkey(v) for v in args.witness_vkey or []]
    except CosignatureError as e:
        raise UsageError(f"--witness-vkey: {e}") from None
    required = len(keys) if args.witnesses_required is None else args.witnesses_required
    if required > len(keys):
        raise UsageError(
            f"--witnesses-required {required} needs at least {required} --witness-vkey"
        )
    return keys, required


def cmd_log(args: argparse.Namespace) -> int:
    """The outside verifier's interface to the Merkle log."""
    from ledger.log import MerkleLog  # noqa: PLC0415

    ledger = _ledger(create_tables=False, personal_data=False)
    log = MerkleLog(ledger.ledger_recorder)
    if args.log_command == "checkpoint":
        latest = log.latest_checkpoint()
        if latest is None:
            raise UsageError("the log is empty: no checkpoint yet (run `auxledger init`)")
        sys.stdout.write(latest.note)
    elif args.log_command == "entries":
        for index, leaf in log.entries(args.start, args.end):
            print(json.dumps({"index": index, "leaf": _b64(leaf)}))
    elif args.log_command == "inclusion":
        hashes = log.inclusion_proof(args.index, args.size)
        print(
            json.dumps(
                {"index": args.index, "tree_size": args.size, "hashes": [_b64(h) for h in hashes]}
            )
        )
    else:
        hashes = log.consistency_proof(args.first, args.second)
        print(
            json.dumps(
                {"first": args.first, "second": args.second, "hashes": [_b64(h) for h in hashes]}
            )
        )
    return EXIT_OK


def cmd_keys(args: argparse.Namespace) -> int:
    """Signing key lifecycle: list, rotate, revoke."""
    ledger = _ledger()
    if args.keys_command == "rotate-master":
        old, new, count = ledger.privacy.rotate_master()
        print(f"master key {old} -> {new}: {count} data keys re-wrapped")
        return EXIT_OK
    if args.keys_command == "rotate":
        status = ledger.rotate_key(actor_name())
        print(status.public.key_id_hex)
        return EXIT_OK
    if args.keys_command == "revoke":
        status = ledger.revoke_key(args.key_id, args.reason, actor_name())
        print(f"{status.public.key_id_hex} revoked")
        return EXIT_OK
    ring = ledger.reload_keys()
    rows = [
        {
            "key_id": k.public.key_id_hex,
            "vkey": k.public.vkey,
            "status": k.status,
            "created_at": k.created_on.isoformat(),
            "valid_from": k.activated_on.isoformat() if k.activated_on else None,
            "valid_until": _valid_until(k),
            "revocation_reason": k.revocation_reason,
        }
        for k in ring.ordered()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['key_id']}  {row['status']:<8} {row['vkey']}")
    return EXIT_OK


def _valid_until(status: Any) -> str | None:
    ends = [t for t in (status.retired_on, status.revoked_on) if t is not None]
    return min(ends).isoformat() if ends else None


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every verb."""
    parser = _Parser(prog="auxledger", description="Tamper-evident auxiliary-police records.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("init", help="create the schema and a signing key if none exists")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="load a deterministic synthetic dataset")
    p.add_argument("--officers", type=_positive, default=200, help="auxiliaries (default 200)")
    p.add_argument("--seed", type=_natural, default=1, help="random seed (default 1)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("verify", help="integrity verification")
    p.add_argument("--full", action="store_true", help="re-check every record")
    p.add_argument("--json", action="store_true", help="print one JSON report")
    p.add_argument("--witness", metavar="DIR", help="witness folder (AUXLEDGER_WITNESS_DIR)")
    p.add_argument("--workers", type=_positive, default=None, help=argparse.SUPPRESS)
    p.add_argument(
        "--textfile",
        metavar="PATH",
        help="also write the result to PATH (*.prom) for node-exporter's textfile collector",
    )
    p.add_argument(
        "--witness-vkey",
        action="append",
        metavar="VKEY",
        help="an independent witness whose cosignature counts (repeatable)",
    )
    p.add_argument(
        "--witnesses-required",
        type=_positive,
        metavar="K",
        help="how many of the named witnesses must cosign a recent checkpoint (default all)",
    )
    p.add_argument(
        "--witness-max-lag",
        type=_natural,
        default=1000,
        metavar="N",
        help="how many entries the newest checkpoint with the quorum may lag the latest "
        "(default 1000)",
    )
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("log", help="the Merkle log for outside verifiers")
    log_sub = p.add_subparsers(dest="log_command", required=True, parser_class=_Parser)
    log_sub.add_parser("checkpoint", help="the latest signed checkpoint")
    q = log_sub.add_parser("entries", help="leaf data for START <= index < END")
    q.add_argument("--start", type=_natural, required=True)
    q.add_argument("--end", type=_natural, required=True)
    q = log_sub.add_parser("inclusion", help="inclusion proof")
    q.add_argument("--index", type=_natural, required=True)
    q.add_argument("--size", type=_natural, required=True)
    q = log_sub.add_parser("consistency", help="consistency proof")
    q.add_argument("--first", type=_natural, required=True)
    q.add_argument("--second", type=_natural, required=True)
    p.set_defaults(func=cmd_log)

    p = sub.add_parser("keys", help="signing key lifecycle")
    keys_sub = p.add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    q = keys_sub.add_parser("list", help="every key with its status")
    q.add_argument("--json", action="store_true")
    keys_sub.add_parser("rotate", help="create and activate a new key, retire the current one")
    keys_sub.add_parser(
        "rotate-master", help="re-wrap every personal-data key under a new master key"
    )
    q = keys_sub.add_parser("revoke", help="revoke a key that is not the active one")
    q.add_argument("key_id", type=_key_id)
    q.add_argument("--reason", required=True)
    p.set_defaults(func=cmd_keys)

    for register in _extra_verbs():
        register(sub)
    return parser


def _extra_verbs() -> list[Callable[[Any], None]]:
    """``register`` functions of the modules in ``api.verbs``, in name order."""
    import importlib  # noqa: PLC0415
    import pkgutil  # noqa: PLC0415

    from api import verbs  # noqa: PLC0415

    found = []
    for module in sorted(pkgutil.iter_modules(verbs.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{verbs.__name__}.{module.name}")
        found.append(loaded.register)
    return found


N = TypeVar("N", int, float)


def number_between(
    convert: Callable[[str], N], low: N, high: N, *, not_a: str, outside: str
) -> Callable[[str], N]:
    """An argparse ``type=``: the text as ``convert`` reads it, refused (``is not {not_a}``,
    or ``outside``) unless it is a number from ``low`` to ``high``."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {not_a}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(outside)
        return value

    return parse


def _natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _positive(text: str) -> int:
    value = _natural(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _key_id(text: str) -> str:
    value = text.strip().lower()
    if len(value) != 8 or any(c not in "0123456789abcdef" for c in value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a key id (8 hex digits)")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run one verb; return its exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # usage errors (already printed as one line) and --help
        return e.code if isinstance(e.code, int) else EXIT_UNAVAILABLE
    from ledger.errors import (  # noqa: PLC0415
        ConfigurationError,
        IntegrityViolation,
        KeyStoreError,
        LedgerError,
        StorageUnavailableError,
    )

    try:
        from domain.errors import DomainError  # noqa: PLC0415
    except ImportError:  # pragma: no cover - the domain package is part of the distribution
        DomainError = LedgerError  # type: ignore[misc,assignment]  # noqa: N806

    from eventsourcing.persistence import DatabaseError as StoreDatabaseError  # noqa: PLC0415
    from eventsourcing.persistence import InterfaceError as StoreInterfaceError  # noqa: PLC0415
    from eventsourcing.persistence import OperationalError as StoreOperationalError  # noqa: PLC0415

    try:
        result: int = args.func(args)
        return result
    except (ConfigurationError, KeyStoreError, StorageUnavailableError) as e:
        return _fail(str(e), EXIT_UNAVAILABLE)
    except StoreOperationalError as e:
        return _fail(f"database unavailable: {_first_line(e)}", EXIT_UNAVAILABLE)
    except (StoreDatabaseError, StoreInterfaceError, sqlite3.DatabaseError) as e:
        # The database answered but not as the ledger's does: a file that is no SQLite
        # database or is damaged ("file is not a database", "database disk image is
        # malformed"), or a path the driver cannot open at all (a folder: "unable to open
        # database file"). One line and exit 2 (could not), never a traceback.
        return _fail(f"database error: {_first_line(e)}", EXIT_UNAVAILABLE)
    except IntegrityViolation as e:
        return _fail(f"integrity failure: {e}", EXIT_FAILED if args.command != "verify" else 1)
    except (LedgerError, DomainError, UsageError) as e:
        code = EXIT_UNAVAILABLE if args.command == "verify" else EXIT_FAILED
        return _fail(str(e), code)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _fail(message: str, code: int) -> int:
    print(f"auxledger: {message}", file=sys.stderr)
    return code
