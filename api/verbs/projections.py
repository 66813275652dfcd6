"""``auxledger projections rebuild | check | run | status | report``: the read models.

- ``rebuild`` empties the read models and applies the whole ledger again (a progress bar on a
  terminal); prints the events applied and the position reached per projection.
- ``check`` replays the ledger into memory and compares it with the read models, and says
  each projection's lag (events behind the log head) and whether a worker keeps it up to
  date: exit 0 when they agree and no projection is stopped, stale (no live worker) or
  lagging (``AUXLEDGER_PROJECTION_MAX_LAG``); 1 listing every difference and problem.
  ``--drift-only`` judges the comparison alone (lag and liveness are printed, not counted):
  for a restored database, before any unit runs, whose heartbeats are the backup's.
- ``run`` keeps the read models up to date in the foreground until interrupted (the workers'
  state changes logged as JSON lines on stderr, as ``serve`` does), leading
  each projection or standing by while another process leads it; a projection that fails
  stops alone; exit 1 with the first error once every projection has stopped.
- ``status`` prints each projection's state, position, head and lag; exit 1 if one failed.
- ``report NAME`` prints a report as JSON or CSV (``--all`` for every page).

Errors are raised as the ledger's named errors and printed once, as one line, by ``api.cli``.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import signal
import sys
import time
from datetime import timedelta
from types import FrameType
from typing import Any

from api import cli

POLL_SECONDS = 1.0


def _out(text: str, *, file: Any = None) -> None:
    """One line on stdout (or ``file``)."""
    stream = file or sys.stdout
    stream.write(text + "\n")


def register(subparsers: Any) -> None:
    """Add the ``projections`` verb."""
    p = subparsers.add_parser("projections", help="read models: rebuild, check, run, status")
    sub = p.add_subparsers(dest="projections_command", required=True, parser_class=type(p))
    names = "projection to act on (repeatable; default: all)"

    q = sub.add_parser("rebuild", help="empty the read models and apply the whole ledger again")
    q.add_argument("--projection", action="append", metavar="NAME", help=names)
    q.add_argument("--batch-size", type=_batch, default=1000)

    q = sub.add_parser("check", help="compare the read models with a replay (exit 1 on drift)")
    q.add_argument("--projection", action="append", metavar="NAME", help=names)
    q.add_argument("--json", action="store_true", help="print one JSON report")
    q.add_argument(
        "--drift-only",
        action="store_true",
        help="exit 1 on drift only; lag and live workers are printed, not judged",
    )

    q = sub.add_parser("run", help="keep the read models up to date (foreground)")
    q.add_argument("--projection", action="append", metavar="NAME", help=names)
    q.add_argument("--batch-size", type=_batch, default=1000)
    q.add_argument("--poll", type=_poll, default=POLL_SECONDS, help="poll interval, seconds")

    q = sub.add_parser("status", help="position, head, lag and state of each projection")
    q.add_argument("--json", action="store_true")

    q = sub.add_parser("report", help="print a report as JSON or CSV")
    q.add_argument("name", help="report name (see docs/projections.md)")
    q.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    q.add_argument("--format", choices=("json", "csv"), default="json")
    q.add_argument("--all", action="store_true", help="every page of a paged report")
    p.set_defaults(func=handle)


_batch = cli.number_between(
    int, 1, 100_000, not_a="a whole number", outside="must be from 1 to 100000"
)
_poll = cli.number_between(
    float, 0.1, 3600, not_a="a number of seconds", outside="must be from 0.1 to 3600 seconds"
)


def handle(args: argparse.Namespace) -> int:
    """Dispatch to the sub-command."""
    from projections.service import ReadModels  # noqa: PLC0415 - keep start-up light

    # The read models never look at personal fields: no master key is needed to build them.
    ledger = cli._ledger(personal_data=False)
    models = ReadModels(ledger)
    try:
        command = args.projections_command
        if command == "rebuild":
            return _rebuild(models, args)
        if command == "check":
            return _check(models, args)
        if command == "run":
            return _run(models, args)
        if command == "status":
            return _status(models, args)
        return _report(models, args)
    finally:
        models.close()
        ledger.close()


def _rebuild(models: Any, args: argparse.Namespace) -> int:
    bars: dict[str, Any] = {}
    shown: dict[str, int] = {}

    def progress(name: str, applied: int, position: int, head: int) -> None:
        bar = bars.get(name)
        if bar is None:
            from tqdm import tqdm  # noqa: PLC0415

            bar = bars[name] = tqdm(total=head, desc=name, unit="pos", file=sys.stderr, leave=False)
            shown[name] = 0
        bar.update(position - shown[name])
        shown[name] = position

    started = time.monotonic()
    applied = models.rebuild(
        args.projection,
        batch_size=args.batch_size,
        progress=progress if sys.stderr.isatty() else None,
    )
    for bar in bars.values():
        bar.close()
    for name, count in applied.items():
        _out(f"{name}: {count} events applied, position {models.position(name)}")
    _out(f"seconds: {time.monotonic() - started:.1f}")
    return cli.EXIT_OK


def _check(models: Any, args: argparse.Namespace) -> int:
    from api.settings import ReadinessLimits  # noqa: PLC0415
    from projections.check import check  # noqa: PLC0415

    limits = ReadinessLimits.from_environ()
    reports = check(models, args.projection)
    statuses = {
        s.name: s for s in models.status(stale_after=timedelta(seconds=limits.stale_seconds))
    }
    problems = {
        r.projection: statuses[r.projection].problem(max_lag=limits.max_lag) for r in reports
    }
    drift_only = bool(args.drift_only)
    ok = all(r.ok for r in reports) and (drift_only or not any(problems.values()))
    if args.json:
        body = []
        for report in reports:
            status = statuses[report.projection]
            body.append(
                {
                    **report.to_json(),
                    "head": status.head,
                    "lag": status.lag,
                    "state": status.state,
                    "alive": status.alive,
                    "problem": problems[report.projection],
                }
            )
        _out(
            json.dumps(
                {"ok": ok, "drift_only": drift_only, "projections": body}, ensure_ascii=False
            )
        )
        return cli.EXIT_OK if ok else cli.EXIT_FAILED
    for report in reports:
        status = statuses[report.projection]
        for difference in report.differences:
            _out(difference.describe())
        if report.more_differences:
            _out(f"{report.projection}: {report.more_differences} more differences")
        state = "clean" if report.ok else "DRIFT"
        worker = "worker alive" if status.alive else "no live worker"
        _out(
            f"{report.projection}: {state}: {report.rows} rows compared with a replay of "
            f"{report.events} events up to position {report.position}; "
            f"lag {status.lag} (head {status.head}), {status.state}, {worker}"
        )
        problem = problems[report.projection]
        if problem is not None:
            label = "not judged (--drift-only)" if drift_only else "NOT READY"
            _out(f"{report.projection}: {label}: {problem}")
    return cli.EXIT_OK if ok else cli.EXIT_FAILED


class _TerminateError(Exception):
    """SIGTERM: stop like Ctrl-C."""


def _run(models: Any, args: argparse.Namespace) -> int:
    from projections.service import ProjectionSupervisor  # noqa: PLC0415

    supervisor = ProjectionSupervisor(
        models, names=args.projection, batch_size=args.batch_size, poll_interval=args.poll
    )

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise _TerminateError

    if not logging.getLogger().handlers and not logging.getLogger("auxledger").handlers:
        # A service process: the workers' state changes as JSON lines on stderr, as serve.
        from api.logs import log_config  # noqa: PLC0415

        logging.config.dictConfig(log_config())
    previous = signal.signal(signal.SIGTERM, terminate)
    names = ", ".join(supervisor.workers)
    _out(f"running projections {names} on {models.backend}; Ctrl-C to stop", file=sys.stderr)
    try:
        supervisor.run_forever()
    except (KeyboardInterrupt, _TerminateError):
        supervisor.stop()
        for status in supervisor.status():
            _out(f"{status.name}: stopped at position {status.position} of {status.head}")
        return cli.EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)
    return cli.EXIT_OK


def _status(models: Any, args: argparse.Namespace) -> int:
    from api.settings import ReadinessLimits  # noqa: PLC0415

    limits = ReadinessLimits.from_environ()
    statuses = models.status(stale_after=timedelta(seconds=limits.stale_seconds))
    if args.json:
        _out(json.dumps([s.to_json() for s in statuses], ensure_ascii=False))
    else:
        for s in statuses:
            line = f"{s.name:<12} {s.state:<8} position {s.position} head {s.head} lag {s.lag}" + (
                " STALE" if s.stale else ""
            )
            if s.error:
                event = s.failed_event()
                on = f" on the {event.describe()}" if event is not None else ""
                line += f" -- {s.error_kind} at position {s.failed_position}{on}: {s.error}"
            elif s.state != "failed":
                line += " (worker alive)" if s.alive else " (no live worker)"
            _out(line)
    return cli.EXIT_FAILED if any(s.state == "failed" for s in statuses) else cli.EXIT_OK


def _report(models: Any, args: argparse.Namespace) -> int:
    from projections.queries import MAX_PAGE_SIZE  # noqa: PLC0415
    from projections.reports import REPORTS, run_report  # noqa: PLC0415

    params: dict[str, str] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise cli.UsageError(f"--param {item!r} is not KEY=VALUE")
        params[key] = value
    spec = REPORTS.get(args.name)
    if args.all and spec is not None and spec.paged:
        params.setdefault("page_size", str(MAX_PAGE_SIZE))
    report = run_report(models, args.name, params)
    pages = [report]
    if args.all and report.total is not None and report.page_size:
        page = report.page or 1
        while page * report.page_size < report.total:
            page += 1
            pages.append(run_report(models, args.name, {**params, "page": str(page)}))
    if args.format == "csv":
        for number, part in enumerate(pages):
            sys.stdout.write(part.to_csv(header=number == 0))
        return cli.EXIT_OK
    body = report.to_json()
    if len(pages) > 1:
        body["rows"] = [row for part in pages for row in part.rows]
        body["page"] = None
    _out(json.dumps(body, ensure_ascii=False))
    return cli.EXIT_OK
