"""``auxledger notifications deliver [--once] [--interval S]``: the outbox's delivery worker.

Takes the notifications queued for complainants (``rm_outbox``, kept by the complainant
projection of ``serve`` or ``projections run``) and sends them through the adapter
``AUXLEDGER_NOTIFY_ADAPTER`` names, recording every attempt as a signed event
(``api.notifications``). One worker delivers at a time (a lock); another waits.

- ``--once``: one pass; prints ``delivered N, failed N, skipped N`` or, when another worker
  holds the lock, ``another worker is delivering`` (exit 0 either way).
- without it: pass after pass every ``--interval`` seconds until interrupted.

Errors are the ledger's named errors, printed once as one line by ``api.cli``.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from typing import Any

from api import cli

_interval = cli.number_between(
    float, 0.5, 3600, not_a="a number of seconds", outside="must be from 0.5 to 3600 seconds"
)


def register(subparsers: Any) -> None:
    """Add the ``notifications`` verb."""
    p = subparsers.add_parser("notifications", help="the outbox of notifications to complainants")
    sub = p.add_subparsers(dest="notifications_command", required=True, parser_class=type(p))
    q = sub.add_parser("deliver", help="send queued notifications and record each attempt")
    q.add_argument("--once", action="store_true", help="one pass, then exit")
    q.add_argument("--interval", type=_interval, default=5.0, help="seconds between passes")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the delivery worker."""
    from api.notifications import DeliveryWorker, adapter_named  # noqa: PLC0415
    from api.settings import ApiSettings  # noqa: PLC0415
    from projections.service import ReadModels  # noqa: PLC0415

    settings = ApiSettings.from_environ()
    # The worker opens the complainant's contact, in memory, for the adapter.
    ledger = cli._ledger()
    models = ReadModels(ledger)
    worker = DeliveryWorker(ledger, models, adapter_named(settings.notify_adapter))
    try:
        if args.once:
            counts = worker.run_once()
            if not counts.led:
                print("another worker is delivering")  # noqa: T201
            else:
                print(  # noqa: T201
                    f"delivered {counts.delivered}, failed {counts.failed}, "
                    f"skipped {counts.skipped}"
                )
            return cli.EXIT_OK
        stop = threading.Event()

        def interrupted(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, interrupted)
        signal.signal(signal.SIGINT, interrupted)
        worker.run(stop, args.interval)
        return cli.EXIT_OK
    finally:
        worker.close()
        models.close()
        ledger.close()
