"""``auxledger erase``: destroy a data subject's key (crypto-shredding) with a signed record."""

from __future__ import annotations

import argparse
import uuid
from typing import Any


def _subject(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        # The value is not echoed: someone may have pasted a personal identifier here.
        raise argparse.ArgumentTypeError("--subject takes a data subject id (a UUID)") from None


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase one data subject's personal data; print the erasure record's hash."""
    from api.cli import _ledger, actor_name  # noqa: PLC0415
    from domain.values import Actor  # noqa: PLC0415

    ledger = _ledger()
    actor = Actor(actor_id=actor_name()[:64], role="admin", organ="ledger", unit=None)
    recorded = ledger.erase_subject(actor, args.subject, args.reason)
    print(f"erased {args.subject}: record {recorded.originator_id} hash {recorded.hash}")  # noqa: T201
    return 0


def register(sub: Any) -> None:
    """Add the ``erase`` verb."""
    p = sub.add_parser("erase", help="destroy a data subject's key and record the erasure")
    p.add_argument("--subject", type=_subject, required=True, help="data subject id (UUID)")
    p.add_argument("--reason", required=True, help="why (recorded, must not hold personal data)")
    p.set_defaults(func=cmd_erase)
