"""The latest verification's result and when it ran, kept beside the witness.

``auxledger verify`` and the API's ``GET /v1/ledger/verification`` each leave the summary of
their report in ``<witness dir>/latest-verification.json`` (written atomically), so the
integrity page can say when the ledger was last verified and with what result. It is a
convenience for people, not evidence: the evidence is the report itself, which anyone can
produce again.

Invariants:
- The file holds the summary only (result, mode, counts, the failures' kinds), never a
  record's content.
- A file that cannot be written does not fail the verification that produced it; a file that
  cannot be read or parsed reads as "no verification recorded".
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.verify import VerificationReport

LATEST_FILE = "latest-verification.json"


@dataclass(frozen=True)
class LatestVerification:
    """What the latest verification found, and when and by what it ran."""

    ran_at: datetime
    by: str
    ok: bool
    mode: str
    events_checked: int
    tree_size: int
    failures: int
    failure_kinds: tuple[str, ...]


def remember(folder: Path, report: VerificationReport, *, ran_at: datetime, by: str) -> bool:
    """Keep the summary of ``report``; False if it could not be written."""
    kinds = sorted({failure.kind for failure in report.failures})
    summary: dict[str, Any] = {
        "ran_at": ran_at.isoformat(),
        "by": by,
        "ok": report.ok,
        "mode": report.mode,
        "events_checked": report.events_checked,
        "tree_size": report.tree_size,
        "failures": len(report.failures),
        "failure_kinds": kinds,
    }
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".verification.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(summary, f)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(folder / LATEST_FILE)
    except OSError:
        return False
    return True


def latest(folder: Path) -> LatestVerification | None:
    """The latest verification kept in ``folder``, or None."""
    try:
        data = json.loads((folder / LATEST_FILE).read_text(encoding="utf-8"))
        return LatestVerification(
            ran_at=datetime.fromisoformat(str(data["ran_at"])),
            by=str(data["by"]),
            ok=bool(data["ok"]),
            mode=str(data["mode"]),
            events_checked=int(data["events_checked"]),
            tree_size=int(data["tree_size"]),
            failures=int(data["failures"]),
            failure_kinds=tuple(str(k) for k in data["failure_kinds"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
