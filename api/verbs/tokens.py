"""``auxledger tokens create|list|revoke``: API credentials, kept as signed ledger records.

``create --holder-police-number N --holder-name NAME`` names the official who holds it
(sealed as their personal data; every event recorded with it names the holder's opaque id).

``create`` prints the new token on stdout, once (only its SHA-256 is kept), and its id and
expiry on stderr; ``list`` shows every token without secrets; ``revoke ID`` ends one and
every token it issued (over HTTP, an admin token issues tokens), printing each.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.access import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, TOKEN_ROLES


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if not 1 <= value <= MAX_TOKEN_DAYS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_TOKEN_DAYS} days")
    return value


def _token_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a token id (a UUID)") from None


def cmd_tokens(args: argparse.Namespace) -> int:
    """Create, list or revoke API tokens."""
    from api.cli import _ledger, actor_name  # noqa: PLC0415
    from ledger.access import issue_token, list_tokens, revoke_token_and_issued  # noqa: PLC0415

    ledger = _ledger()
    if args.tokens_command == "create":
        issued = issue_token(
            ledger,
            role=args.role,
            organ=args.organ,
            unit=args.unit,
            label=args.label
            or f"{args.role} {args.organ}" + (f" {args.unit}" if args.unit else ""),
            issued_by=actor_name(),
            expires_at=datetime.now(tz=UTC) + timedelta(days=args.expires_in),
            holder_police_number=args.holder_police_number,
            holder_name=args.holder_name,
            oversight=args.oversight,
        )
        print(issued.secret)  # noqa: T201 - shown once, by design
        print(  # noqa: T201
            f"token {issued.token.id} ({args.role}, organ {args.organ}"
            + (f", unit {args.unit}" if args.unit else "")
            + (f", holder {issued.token.holder_id}" if issued.token.holder_id else "")
            + (", oversight of the organs below" if issued.token.oversight else "")
            + f") expires {issued.token.expires_at.isoformat()}; it is shown only once",
            file=sys.stderr,
        )
        return 0
    if args.tokens_command == "revoke":
        revoked = revoke_token_and_issued(
            ledger, args.token_id, reason=args.reason, revoked_by=actor_name()
        )
        print(f"{revoked[0].id} revoked")  # noqa: T201
        for token in revoked[1:]:
            print(f"{token.id} revoked (issued by {token.issued_by})")  # noqa: T201
        return 0
    rows = [
        {
            "id": str(t.id),
            "role": t.role,
            "organ": t.organ,
            "unit": t.unit,
            "label": t.label,
            "issued_at": t.created_on.isoformat(),
            "expires_at": t.expires_at.isoformat(),
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            "holder_id": str(t.holder_id) if t.holder_id else None,
            "oversight": t.oversight,
        }
        for t in list_tokens(ledger, organ=args.organ)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))  # noqa: T201
    else:
        for row in rows:
            state = "revoked" if row["revoked_at"] else f"until {str(row['expires_at'])[:10]}"
            print(  # noqa: T201
                f"{row['id']}  {row['role']:<13} {row['organ']:<8} {row['unit'] or '-':<12} "
                f"{state:<17} {row['label']}"
            )
    return 0


def register(sub: Any) -> None:
    """Add the ``tokens`` verb."""
    p = sub.add_parser("tokens", help="API credentials: create, list, revoke")
    tokens = p.add_subparsers(dest="tokens_command", required=True, parser_class=type(p))
    q = tokens.add_parser("create", help="issue a token (printed once)")
    q.add_argument("--role", required=True, choices=TOKEN_ROLES)
    q.add_argument("--organ", required=True, help="organ code")
    q.add_argument("--unit", help="unit code (required for --role unit)")
    q.add_argument("--label", help="who or what the token is for (no personal data)")
    q.add_argument(
        "--holder-police-number",
        metavar="NUMBER",
        help="the holder's police number (警号), sealed as their personal data; with --holder-name",
    )
    q.add_argument(
        "--holder-name",
        metavar="NAME",
        help="the holder's name, sealed as their personal data; with --holder-police-number",
    )
    q.add_argument(
        "--oversight",
        action="store_true",
        help="read (never write) the organs below --organ, each read with a reason "
        "(inspector, discipline, auditor only)",
    )
    q.add_argument(
        "--expires-in",
        type=_days,
        default=DEFAULT_TOKEN_DAYS,
        metavar="DAYS",
        help=f"days until it expires (default {DEFAULT_TOKEN_DAYS})",
    )
    q = tokens.add_parser("list", help="every token, without secrets")
    q.add_argument("--organ", help="only this organ's tokens")
    q.add_argument("--json", action="store_true")
    q = tokens.add_parser("revoke", help="revoke a token by id")
    q.add_argument("token_id", type=_token_id, metavar="ID")
    q.add_argument("--reason", default="revoked by the operator")
    p.set_defaults(func=cmd_tokens)
