"""The demo records probations, training and leave (Art. 8, 9, 13): most probations
passed, the last officer's failed and followed by a separation for it, pre-service training
for most, leaves of several kinds; on its last day one officer is on leave and another past
a leave's planned end. The read models agree with a replay."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time

import pytest

from api.demo import DEMO_END, load_demo
from domain.auxiliary import Auxiliary
from domain.values import CHINA_STANDARD_TIME
from ledger.records import AuxLedger
from projections.check import check
from projections.queries import ComplianceQueries, LifecycleQueries
from projections.service import ReadModels
from tests.integration.conftest import recorded


@pytest.mark.slow
def test_the_demo_records_probations_training_and_leave(aux_ledger: AuxLedger) -> None:
    counts = load_demo(aux_ledger, officers=40, seed=3)
    outcomes = Counter(e.passed for e in recorded(aux_ledger, Auxiliary.ProbationCompleted))
    assert outcomes[False] == 1 and outcomes[True] > 20, outcomes
    [failed] = [
        e for e in recorded(aux_ledger, Auxiliary.Separated) if e.reason == "probation_failed"
    ]
    assert not aux_ledger.auxiliary(failed.originator_id).separation_owed
    trainings = recorded(aux_ledger, Auxiliary.TrainingRecorded)
    kinds = Counter(e.kind for e in trainings)
    assert kinds["pre_service"] >= counts.auxiliaries * 0.8 and kinds["in_service"] > 0
    leave_kinds = {e.kind for e in recorded(aux_ledger, Auxiliary.LeaveStarted)}
    assert {"annual", "sick", "personal"} <= leave_kinds and len(leave_kinds) >= 4
    end = datetime.combine(DEMO_END, time(12), CHINA_STANDARD_TIME)
    models = ReadModels(aux_ledger)
    try:
        models.rebuild()
        assert all(report.ok for report in check(models)), "read models drift from a replay"
        on_leave = LifecycleQueries(models, clock=lambda: end).on_leave().items
        assert {r.leave_kind for r in on_leave} >= {"sick", "personal"}
        warnings = ComplianceQueries(models, clock=lambda: end).lifecycle_warnings(page_size=500)
        rules = Counter(w.rule for w in warnings.items)
        assert rules["leave_past_plan"] >= 1 and rules["pre_service_training_missing"] >= 1
        assert rules["probation_failed"] == 0  # the failed probation's separation is recorded
    finally:
        models.close()
