"""``auxledger holds backfill-markers``: note the separations for cause stored without a
prior-record marker, and the hires stored without a hire marker (before markers existed, or
under a replaced blind-index key).

Run once by an administrator after upgrading a ledger written before the hire check across
organs (docs/operations.md). Every stored separation is read checked; each one for cause
whose person's marker does not name it yet is noted through the ledger's
``backfill_prior_records`` (signed, chained, logged). Prints one line: how many separations
and hires were read and how many markers written; a second run writes none.
"""

from __future__ import annotations

import argparse
from typing import Any


def cmd_holds(args: argparse.Namespace) -> int:
    """Backfill the prior-record markers."""
    from api.cli import _ledger, actor_name  # noqa: PLC0415
    from domain.values import Actor  # noqa: PLC0415

    ledger = _ledger()
    actor = Actor(actor_id=actor_name()[:64], role="admin", organ="ledger", unit=None)
    done = ledger.backfill_prior_records(actor)
    print(  # noqa: T201
        f"scanned {done.scanned} separations: {done.written} prior-record markers written; "
        f"scanned {done.hires_scanned} hires: {done.hires_written} hire markers written"
    )
    return 0


def register(sub: Any) -> None:
    """Add the ``holds`` verb."""
    p = sub.add_parser("holds", help="prior-record markers of the hire check across organs")
    holds = p.add_subparsers(dest="holds_command", required=True, parser_class=type(p))
    holds.add_parser(
        "backfill-markers",
        help="note separations for cause and hires stored without a marker (once after upgrading)",
    )
    p.set_defaults(func=cmd_holds)
