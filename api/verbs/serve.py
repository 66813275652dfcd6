"""``auxledger serve [--host H] [--port P] [--workers W]``: the HTTP API under uvicorn.

Settings are checked and the database is reached before uvicorn starts, so a bad setting
or a missing ledger stops the command with one line (exit 2); the key folder is checked
(by the ledger) before the intake secret is read, and serve never creates a missing one.
This process also runs the projection workers (one thread per projection), once for the
whole server; the uvicorn workers only read the read models. With several workers,
Prometheus counters are shared through a fresh ``PROMETHEUS_MULTIPROC_DIR``, and the
workers keep even shares of the open connections through a table there (``api.balance``)
and share the console's sessions through a SQLite file there (``api.console.staff_session``).
uvicorn reads ``X-Forwarded-For`` only from the proxies ``AUXLEDGER_TRUSTED_PROXIES`` names
(none by default).

No orphans: a port in use stops the command with one line (exit 2) before anything starts;
the shared folder is named after this process (``auxledger-metrics-<pid>-``) and a later
``serve`` removes it if this one was killed; the workers end when this process does
(``api.lifeline``: parent-death signal and a watchdog).
"""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from api.cli import number_between

_port = number_between(int, 1, 65535, not_a="a port number", outside="a port is 1 to 65535")
_workers = number_between(int, 1, 64, not_a="a whole number", outside="workers must be 1 to 64")


def port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (one line), or None if it can.

    Bound and released at once, with ``SO_REUSEADDR`` like uvicorn, so only a listening
    socket (another server) or an address this host does not have is refused.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return f"cannot listen on {host}:{port}: no such address"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is in use (is another server running?)"
            return f"cannot listen on {host}:{port}: {e.strerror or e}"
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the API until interrupted."""
    import uvicorn  # noqa: PLC0415

    from api.balance import TABLE_ENV, create_table  # noqa: PLC0415
    from api.console.staff_session import SESSIONS_ENV, create_sessions_file  # noqa: PLC0415
    from api.lifeline import PARENT_ENV  # noqa: PLC0415
    from api.logs import log_config  # noqa: PLC0415
    from api.metrics import (  # noqa: PLC0415
        MULTIPROC_ENV,
        new_multiprocess_dir,
        remove_stale_dirs,
    )
    from api.server_secret import load_server_secret  # noqa: PLC0415
    from api.settings import ApiSettings  # noqa: PLC0415
    from ledger.records import AuxLedger  # noqa: PLC0415
    from ledger.witnessing import start_submitter  # noqa: PLC0415
    from projections.service import (  # noqa: PLC0415
        PERSONAL_DATA_READ,
        ProjectionSupervisor,
        ReadModels,
    )

    settings = ApiSettings.from_environ()
    # Before anything starts (projections, witnesses, workers): a port in use is one line.
    refused = port_in_use(args.host, args.port)
    if refused is not None:
        print(f"auxledger: serve: {refused}", file=sys.stderr)  # noqa: T201
        return 2
    remove_stale_dirs()  # left by a serve that was killed (kill -9 runs no clean-up)
    # This process only projects: it opens no personal field the read models do not read.
    # The ledger checks the key folder and its keys first: a mistyped AUXLEDGER_KEY_DIR is
    # one line naming it (exit 2), and nothing is created there.
    ledger = AuxLedger(settings.ledger, open_only=PERSONAL_DATA_READ)
    ledger.reload_keys()
    load_server_secret(settings.ledger.key_dir, development=settings.development)
    models = ReadModels(ledger)
    models.ensure()
    supervisor = ProjectionSupervisor(models)
    metrics_dir: str | None = None
    if args.workers > 1:
        # Worker processes count into files here (prometheus_client reads the variable when
        # a worker imports it). One worker is this process, which imported it already: its
        # counters stay in memory, and /metrics reads them there.
        # Named after this process: the next serve removes it if this one is killed.
        metrics_dir = str(new_multiprocess_dir())
        os.environ[MULTIPROC_ENV] = metrics_dir
        # The workers' shares of the open connections (api.balance), beside the metrics.
        table = Path(metrics_dir) / "connections"
        create_table(table)
        os.environ[TABLE_ENV] = str(table)
        # The console's sessions, known to every worker (api.console.staff_session).
        sessions = Path(metrics_dir) / "console-sessions.sqlite"
        create_sessions_file(sessions)
        os.environ[SESSIONS_ENV] = str(sessions)
        # The workers end when this process does (api.lifeline), even on kill -9.
        os.environ[PARENT_ENV] = str(os.getpid())
    supervisor.start()
    # Checkpoints go to the witnesses from a thread of this process, never from a write.
    submitter = start_submitter(ledger)
    try:
        uvicorn.run(
            "api.app:create_app_from_environ",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            http="api.balance:HttpProtocol",
            log_config=log_config(),
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=10,
            # X-Forwarded-For only from the proxies AUXLEDGER_TRUSTED_PROXIES names (never
            # uvicorn's default of 127.0.0.1 or its FORWARDED_ALLOW_IPS): the rate limits
            # and the intake's idempotency namespace key on the client address it yields.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=list(settings.trusted_proxies),
        )
    finally:
        if submitter is not None:
            submitter.stop()
        supervisor.stop()
        models.close()
        ledger.close()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def register(sub: Any) -> None:
    """Add the ``serve`` verb."""
    p = sub.add_parser("serve", help="serve the HTTP API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=_workers, default=1, help="worker processes (default 1)")
    p.set_defaults(func=cmd_serve)
