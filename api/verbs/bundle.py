"""``auxledger bundle export|verify``: self-verifying evidence bundles (docs/integrity.md).

``export`` acts as an inspector of the subject's organ who gives the reason (the operator who
runs it holds the master key and may read every field); the export is recorded as a signed
access event. ``verify`` needs no database: it runs the standalone verifier shipped in every
bundle (exit 0 valid, 1 invalid with what failed named, 2 unreadable).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any


def _id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError("takes an id (a UUID)") from None


def cmd_export(args: argparse.Namespace) -> int:
    """Export one auxiliary's or complaint's bundle to --out."""
    from api.bundles import export_bundle  # noqa: PLC0415
    from api.cli import UsageError, _ledger, actor_name  # noqa: PLC0415
    from domain.values import Actor  # noqa: PLC0415

    out = Path(args.out)
    if out.exists():
        raise UsageError(f"{out} exists; the bundle is not written over another file")
    if not out.parent.is_dir():
        raise UsageError(f"the folder {out.parent} does not exist")
    from api.bundles import bundle_reason  # noqa: PLC0415

    reason = bundle_reason(args.reason)  # before anything is read or written
    ledger = _ledger()
    kind = "auxiliary" if args.auxiliary else "complaint"
    subject = args.auxiliary or args.complaint
    organ = (
        ledger.auxiliary(subject).organ if kind == "auxiliary" else ledger.complaint(subject).organ
    )
    actor = Actor(actor_id=actor_name()[:64], role="inspector", organ=organ, unit=None)

    written: list[Path] = []

    def write(data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".bundle-", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, out)  # fails if --out appeared meanwhile: never written over
            written.append(out)
        finally:
            Path(tmp).unlink(missing_ok=True)

    try:
        exported = export_bundle(
            ledger,
            actor,
            kind=kind,
            subject_id=subject,
            reason=reason,
            purpose="auxledger bundle export",
            before_record=write,
        )
    except BaseException:
        # The file was written but the access could not be recorded: no bundle without its
        # access record. (Only a file this command linked itself: --out did not exist.)
        if written:
            out.unlink(missing_ok=True)
        raise
    content = exported.content
    print(  # noqa: T201
        f"{out}: {len(content.records)} records, {len(content.opened)} opened fields, "
        f"checkpoint {content.anchor.tree_size} {content.anchor.root.hex()}"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a bundle offline with the verifier that is shipped inside every bundle."""
    from ledger import bundle_verifier  # noqa: PLC0415

    argv = [args.file]
    for vkey in args.log_vkey:
        argv += ["--log-vkey", vkey]
    for vkey in args.witness_vkey:
        argv += ["--witness-vkey", vkey]
    if args.witness_threshold is not None:
        argv += ["--witnesses-required", str(args.witness_threshold)]
    code = bundle_verifier.main(argv)
    sys.stdout.flush()
    return code


def register(sub: Any) -> None:
    """Add the ``bundle`` verb."""
    p = sub.add_parser("bundle", help="evidence bundles: export, verify")
    bundle = p.add_subparsers(dest="bundle_command", required=True, parser_class=type(p))
    q = bundle.add_parser("export", help="export a self-verifying evidence bundle (zip)")
    which = q.add_mutually_exclusive_group(required=True)
    which.add_argument("--auxiliary", type=_id, metavar="ID", help="an auxiliary's id")
    which.add_argument("--complaint", type=_id, metavar="ID", help="a complaint's id")
    q.add_argument("--reason", required=True, help="why (recorded with the export)")
    q.add_argument("--out", required=True, metavar="FILE", help="the zip to write (new file)")
    q.set_defaults(func=cmd_export)
    q = bundle.add_parser("verify", help="verify a bundle offline")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--log-vkey", action="append", default=[], metavar="VKEY")
    q.add_argument("--witness-vkey", action="append", default=[], metavar="VKEY")
    q.add_argument(
        "--witnesses-required",
        "--witness-threshold",  # its first name, kept as an alias
        dest="witness_threshold",
        type=int,
        default=None,
        metavar="K",
        help="K of the named witnesses must have cosigned (default: all of them)",
    )
    q.set_defaults(func=cmd_verify)
