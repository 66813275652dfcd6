"""What the benchmark scripts share: filler events, a standard hire, read models caught up.

The scripts run as ``python scripts/bench_*.py``, so ``scripts/`` is on ``sys.path`` and they
import this module as ``benchlib`` (after putting the repository root on ``sys.path``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bench_append import Counter

from domain.commands.auxiliary import Hire
from ledger.application import LedgerApplication
from ledger.log import MerkleLog
from projections.service import ReadModels

RESIDENT_ID = "11010519491231002X"


def grow(app: LedgerApplication, target: int, per_tx: int = 2000) -> None:
    """Append filler events through the signed write path until the log has ``target`` leaves."""
    log = MerkleLog(app.ledger_recorder)
    size = log.tree_size()
    while size < target:
        n = min(per_tx, target - size)
        aggregates = []
        for _ in range(max(1, n // 10)):
            counter = Counter.start("benchmark counter")
            for i in range(9):
                counter.tick(f"event {i} of a benchmark counter, about the size of a record")
            aggregates.append(counter)
        app.save(*aggregates)
        size = log.tree_size()


HIRED_ON = date(2025, 1, 2)
"""The effective date of ``standard_hire``'s hire."""


def standard_hire(unit: str, name: str, **fields: Any) -> Hire:
    """A patrol auxiliary's hire for ``AuxLedger.hire`` (effective ``HIRED_ON``); ``fields``
    override or add (supervisor, phone, address, ``auxiliary_id``...)."""
    values: dict[str, Any] = {
        "unit": unit,
        "supervisor_id": "602010",
        "supervisor_name": "王建国",
        "employment_form": "direct_contract",
        "dispatch_agency": None,
        "contract_start": date(2025, 1, 1),
        "contract_end": date(2028, 12, 31),
        "post_type": "patrol",
        "level": 1,
        "name": name,
        "gender": "male",
        "resident_id": RESIDENT_ID,
        "phone": "19900001234",
        "address": "南通市崇川区人民路1号",
        **fields,
    }
    return Hire(**values)


def catch_up(models: ReadModels) -> None:
    """Every projection to the head of the log."""
    for name in models.names():
        models.catch_up(name)


def caught_up(ledger: LedgerApplication) -> ReadModels:
    """The ledger's read models, created if missing and caught up (close them when done)."""
    models = ReadModels(ledger)
    models.ensure()
    catch_up(models)
    return models
