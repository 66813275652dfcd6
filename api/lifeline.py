"""The workers of ``auxledger serve`` end when the serving process dies: no orphans.

``serve --workers N`` (N > 1) runs uvicorn's worker processes as children of the serving
process, which also hosts the projection threads and the witness submitter. If that process
is killed (``kill -9``, OOM killer), orphaned workers would go on answering from frozen read
models and hold the port, so a new ``serve`` could not start. Each worker therefore:

- asks Linux for a parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGTERM)``, via ctypes) at
  start, and checks at once that its parent has not already gone (the signal is only sent for
  a death after the call);
- runs a watchdog thread comparing ``os.getppid()`` with the serving process's pid
  (``PARENT_ENV``) every ``WATCH_INTERVAL`` seconds: the fallback where the signal is not
  available, or was lost;
- once orphaned, stops like on ``SIGTERM`` (uvicorn's graceful shutdown), and exits hard if
  that has not finished within ``GRACE`` seconds;
- at the end of its lifespan, if orphaned, removes the shared folder of the serving process
  (Prometheus multiprocess files and the connection table), which the dead parent cannot.

Invariants:
- Only a process started with ``PARENT_ENV`` set and whose pid differs from it watches (the
  serving process itself, with one worker, never does).
- Nothing here touches the database or the ledger.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import sys
import threading
import time

__all__ = ["GRACE", "PARENT_ENV", "WATCH_INTERVAL", "alive", "orphaned", "watch_parent"]

PARENT_ENV = "AUXLEDGER_SERVE_PARENT"
"""Set by ``auxledger serve`` for its workers: its own pid. Not a setting for operators."""

WATCH_INTERVAL = 0.5
GRACE = 5.0
_PR_SET_PDEATHSIG = 1

log = logging.getLogger("auxledger.api")
_started = False
_lock = threading.Lock()


def alive(pid: int) -> bool:
    """Whether the process ``pid`` still runs (another user's counts: it is not gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    return True


def _parent() -> int | None:
    raw = os.environ.get(PARENT_ENV, "")
    if not raw.isdigit():
        return None
    pid = int(raw)
    return None if pid == os.getpid() else pid


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent ends; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def orphaned() -> bool:
    """Is this a worker of ``serve`` whose serving process has gone?"""
    parent = _parent()
    return parent is not None and os.getppid() != parent


def watch_parent() -> None:
    """In a worker of ``serve``: end this process when the serving process ends (idempotent;
    nothing outside a worker)."""
    global _started  # noqa: PLW0603 - one watchdog per process
    parent = _parent()
    if parent is None:
        return
    with _lock:
        if _started:
            return
        _started = True
    set_parent_death_signal(signal.SIGTERM)
    threading.Thread(target=_watch, args=(parent,), name="auxledger-lifeline", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    log.warning(
        "the serving process has gone: this worker stops",
        extra={"event": "worker_orphaned", "parent": parent},
    )
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE)
    os._exit(1)  # the graceful shutdown did not finish in time


def remove_shared_folder_if_orphaned(folder: str | None) -> None:
    """At a worker's end: remove the serving process's shared folder if that process died."""
    if folder and orphaned():
        shutil.rmtree(folder, ignore_errors=True)
