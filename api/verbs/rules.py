"""``auxledger rules``: load rule sets from files (or the shipped ones), list those in force.

``rules load FILE...`` reads every file (TOML, or JSON for a ``.json`` name) and stores all
of them in one signed, logged transaction, or none: a file that cannot be read or is not a
valid rule set stops the command with one line and exit code 1 before anything is stored.
``--shipped`` loads the rule sets shipped with auxledger (the 2018 and 2023 measures).
``rules list`` prints each rule set with its period, state and days left, and the expiry
warning, if one is due (on stderr; the exit code stays 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def cmd_rules(args: argparse.Namespace) -> int:
    """Load or list rule sets."""
    from api.cli import UsageError, _ledger, actor_name  # noqa: PLC0415
    from domain.errors import InvalidRuleSetError  # noqa: PLC0415
    from domain.values import Actor, china_date  # noqa: PLC0415
    from ledger.records import Envelope  # noqa: PLC0415
    from ledger.rulebook import read_rule_file, shipped_rule_sets  # noqa: PLC0415
    from projections.queries.rules import rule_set_statuses  # noqa: PLC0415

    if args.rules_command == "load":
        if bool(args.files) == bool(args.shipped):
            raise UsageError("rules load takes rule files or --shipped (one of the two)")
        cmds: list[Any] = []
        if args.shipped:
            cmds.extend(shipped_rule_sets())
        for path in args.files:
            try:
                cmds.append(read_rule_file(path))
            except OSError as e:
                raise UsageError(f"{path}: cannot read it ({e.strerror})") from None
            except InvalidRuleSetError as e:
                # The one line says which file and what is wrong with it.
                raise UsageError(f"{path}: {e}") from None
        ledger = _ledger()
        actor = Actor(actor_id=actor_name()[:64], role="admin", organ="ledger", unit=None)
        recorded = ledger.load_rule_sets(cmds, Envelope(actor))
        names = ", ".join(c.rule_set.rule_id for c in cmds)
        print(f"loaded {names}: record {recorded.originator_id} hash {recorded.hash}")  # noqa: T201
        return 0
    ledger = _ledger(personal_data=False)
    policy = ledger.policy
    today = china_date(ledger.clock())
    rows = [row.to_json() for row in rule_set_statuses(policy, today)]
    loaded = ledger.rules() is not None
    if args.json:
        print(json.dumps({"loaded": loaded, "rule_sets": rows}, ensure_ascii=False))  # noqa: T201
    else:
        if not loaded:
            print("no rule set loaded: the built-in defaults apply")  # noqa: T201
        for row in rows:
            print(  # noqa: T201
                f"{row['rule_id']:<16} {row['effective_from']} to {row['effective_until']}  "
                f"{row['state']:<11} {row['days_left']:>6} days  {row['document']}"
            )
    warning = policy.expiring(today)
    if warning is not None:
        print(f"auxledger: warning: {warning.message()}", file=sys.stderr)  # noqa: T201
    return 0


def register(sub: Any) -> None:
    """Add the ``rules`` verb."""
    p = sub.add_parser("rules", help="rule sets the ledger judges by: load, list")
    rules = p.add_subparsers(dest="rules_command", required=True, parser_class=type(p))
    q = rules.add_parser("load", help="load rule files (all or none), or the shipped ones")
    q.add_argument("files", nargs="*", type=Path, metavar="FILE", help="TOML (or .json) files")
    q.add_argument("--shipped", action="store_true", help="the 2018 and 2023 rule sets")
    q = rules.add_parser("list", help="every rule set, its period and days left")
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rules)
