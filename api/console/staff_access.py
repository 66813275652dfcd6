"""The access log of personal records, indexed by record in this process.

Reading one record's access log from the ledger means decoding every access record ever
written; the dossier asks for it on every visit. This index reads each access record once
(``ledger.access.access_entries``, checked as it is decoded) and then only the ones written
since, so a visit costs the new records, not all of them.

Invariants:
- Notification ids only grow and a committed access record never changes, so the index is
  the ledger's access records up to ``last`` and stays true when it catches up from there.
- A record's entries are shown newest first, only those by actors of the reader's organ.
"""

from __future__ import annotations

import threading
from uuid import UUID

from ledger.access import AccessEntry, access_entries
from ledger.application import LedgerApplication


class AccessIndex:
    """Every access record of the ledger, by record id (one per process)."""

    def __init__(self) -> None:
        self._by_record: dict[str, list[AccessEntry]] = {}
        self._last = 0
        self._lock = threading.Lock()

    def of(
        self, app: LedgerApplication, record_id: UUID | str, *, organ: str, limit: int = 200
    ) -> list[AccessEntry]:
        """Who read this record, when and why: newest first, at most ``limit``."""
        with self._lock:
            while True:
                batch, last = access_entries(app, after=self._last)
                if not batch:
                    break
                for rid, entry in batch:
                    self._by_record.setdefault(rid, []).append(entry)
                self._last = last
            entries = list(self._by_record.get(str(record_id), ()))
        entries = [e for e in entries if e.organ == organ]
        entries.reverse()
        return entries[:limit]
