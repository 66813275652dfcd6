"""Durable replacement of a small state file, for the witness and ``auxledger monitor``.

Standard library only, and no ``fcntl``: ``auxledger monitor`` imports this without pulling in
the witness service (``ledger.witness``), which locks its state folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def replace_durably(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves the old file or the new one: a
    temporary file beside it, fsynced, renamed over it, then the folder fsynced (the rename
    itself survives a crash). The witness's state and ``auxledger monitor``'s are kept so."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
