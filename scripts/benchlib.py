"""What the benchmark scripts share: filler events, a standard hire, read models caught up.

The scripts run as ``python scripts/bench_*.py``, so ``scripts/`` is on ``sys.path`` and they
import this module as ``benchlib`` (after putting the repository root on ``sys.path``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bench_append import Counter

from api.demo.builders import hire_command
from domain.commands.auxiliary import Hire
from ledger.application import LedgerApplication
from ledger.log import MerkleLog
from projections.service import ReadModels


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
    """A patrol auxiliary's hire for ``AuxLedger.hire`` (effective ``HIRED_ON``): the synthetic
    hire of ``api.demo.builders``; ``fields`` override or add (supervisor, phone, address,
    ``auxiliary_id``...)."""
    return hire_command(**{"unit": unit, "name": name, "phone": "19900001234", **fields})


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
