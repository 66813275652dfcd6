"""On SQLite, fetching a proof's nodes searches the nodes table by its key, never scans it.

The public tracking page serves an inclusion proof on every visit: a full scan made that
O(tree size) (36 ms at 100,000 nodes; 74 ms p95 for the page at 343,000 events). SQLite
only: PostgreSQL's query is another one (a join with ``unnest``), and its planner may
rightly scan a tiny table, so a plan there says nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api.demo import load_demo
from ledger.log import MerkleLog
from ledger.records import AuxLedger
from tests.conftest import make_settings


class _Watched(MerkleLog):
    """The real log, noting the statements it runs."""

    seen: list[tuple[str, list[Any]]]

    def _all(self, template: str, params: Sequence[Any] = ()) -> list[Any]:
        self.seen.append((template, list(params)))
        return super()._all(template, params)


def test_an_inclusion_proof_searches_the_nodes_by_key(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = AuxLedger(make_settings(tmp_path, f"sqlite:///{path}"), create_tables=True)
    try:
        ledger.initialise("test")
        load_demo(ledger, officers=3, seed=1)
        log = _Watched(ledger.ledger_recorder)
        log.seen = []
        size = log.tree_size()
        assert size > 64
        expected = log.inclusion_proof(5, size)
        assert expected
        (template, params), *_ = log.seen
    finally:
        ledger.close()
    with sqlite3.connect(path) as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + log._sql(template), params)]
    assert not any(step.startswith("SCAN ledger_log_nodes") for step in plan), plan
    assert any("USING PRIMARY KEY (level=? AND idx=?)" in step for step in plan), plan
