"""Reading what an evidence-bundle export leaves behind, for the bundle suites of the API and
the ledger: the archive's members, and the signed access records the export adds."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from ledger.records import AuxLedger

ACCESS_TOPIC = "ledger.access:RecordAccess.Recorded"


def members_of(data: bytes) -> dict[str, bytes]:
    """Every member of the zip archive ``data``, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def access_records(ledger: AuxLedger) -> list[dict[str, Any]]:
    """The payload of every access record the ledger holds, oldest first, each checked
    against its signature."""
    rows = ledger.recorder.select_notifications(start=None, limit=1000, topics=[ACCESS_TOPIC])
    verifier = ledger.record_mapper.verifier
    assert verifier is not None
    return [json.loads(verifier.check(row).payload) for row in rows]
