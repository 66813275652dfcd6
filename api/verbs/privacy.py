"""``auxledger erase``: destroy a data subject's key (crypto-shredding) with a signed record.

The data subject is named directly (``--subject``: an auxiliary's id) or through a complaint
(``--complaint``: that complaint's complainant), as ``POST /v1/admin/erasures`` does; either
way the same ``erase_subject`` command records the same ``ErasureRecord.Erased`` event.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any


def _uuid_of(option: str, what: str) -> Any:
    def parse(text: str) -> uuid.UUID:
        try:
            return uuid.UUID(text)
        except ValueError:
            # The value is not echoed: someone may have pasted a personal identifier here.
            raise argparse.ArgumentTypeError(f"{option} takes {what} (a UUID)") from None

    return parse


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase one data subject's personal data; print the erasure record's hash."""
    from api.cli import UsageError, _ledger, actor_name  # noqa: PLC0415
    from domain.complaint import Complaint  # noqa: PLC0415
    from domain.values import Actor  # noqa: PLC0415
    from ledger.errors import NotFoundError  # noqa: PLC0415

    ledger = _ledger()
    actor = Actor(actor_id=actor_name()[:64], role="admin", organ="ledger", unit=None)
    subject: uuid.UUID = args.subject
    if args.complaint is not None:
        try:
            complaint = ledger.load(Complaint, args.complaint, copy=False)
        except NotFoundError:
            raise UsageError(f"no complaint with id {args.complaint}") from None
        subject = complaint.complainant_id
    recorded = ledger.erase_subject(actor, subject, args.reason)
    named = f"the complainant of complaint {args.complaint}" if args.complaint else str(subject)
    print(f"erased {named}: record {recorded.originator_id} hash {recorded.hash}")  # noqa: T201
    return 0


def register(sub: Any) -> None:
    """Add the ``erase`` verb."""
    p = sub.add_parser("erase", help="destroy a data subject's key and record the erasure")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--subject",
        type=_uuid_of("--subject", "a data subject id"),
        help="data subject id (UUID), e.g. an auxiliary's id",
    )
    who.add_argument(
        "--complaint",
        type=_uuid_of("--complaint", "a complaint id"),
        help="complaint id (UUID): erase that complaint's complainant",
    )
    p.add_argument("--reason", required=True, help="why (recorded, must not hold personal data)")
    p.set_defaults(func=cmd_erase)
