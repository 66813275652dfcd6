"""A deterministic, realistic, entirely synthetic dataset, laid down through the commands.

``load_demo(ledger, officers=N, seed=S)`` simulates Nantong's public security organs from
2023-03-01 to ``DEMO_END``: organs and units, quotas (set and adjusted), pay schedules and
local average wages, hires in both employment forms, contract renewals (some contracts left
to run past their end), postings and supervisors, transfers, annual assessments (none in a
hire's first half year) and level changes, credentials, insurance and health checks, duty
injuries with cost advances, infringements, commendations, complaints through their whole
life (some overdue, some concluded but the complainant not yet told), sanctions with
appeals, criminal referrals, misconduct findings against officials, separations (some
credentials never returned), and the life cycle: probations (mostly passed, some left
undecided, one failed and followed by a separation for it), pre-service training before
duty for most (some missing), in-service and specialised training, and leaves of several
kinds (one officer on leave on the last day, another past a leave's planned end), reviews
(复查) of told results (asked for through the public route or by the complaints office,
decided by the inspectorate within the deadline, upheld or changed and then reopened and
investigated again; one left pending on the last day and one overdue when dates allow), and
from ``OUTBOX_FROM`` results queued for the complainant in the outbox by a channel they left a
contact for. Every fact goes through ``AuxLedger``'s commands -- validated
by the domain, signed, chained and logged -- in chronological order, many commands per
transaction (``AuxLedger.batch``). The service's clock is replaced by the simulated one
while loading. Last, ``load_demo`` runs the outbox's delivery worker with the log-only
adapter on ``DEMO_END`` (``Simulation.deliver_notifications``, as ``notifications deliver``
would): every queued message comes to ``not_sent_log_only`` or ``pending_staff_call``, a signed
event like any other; the complainant projection is caught up for it (the worker reads the
outbox there), the other read models are left to ``serve`` or ``projections rebuild``.

Synthetic data only: names are drawn from common characters; resident ID numbers use the
unassigned area code 320699 (so no real person holds them) with valid GB 11643 check
characters; phone numbers are in the 199-0000 block. The same seed gives the same dataset.

Layout: ``data`` (the simulated period and what names, places, posts and findings are drawn
from), ``simulation`` (``Simulation``: the plan and its run through the commands),
``builders`` (commands with synthetic defaults, shared with the tests and the benchmarks), and
here ``load_demo``. The demo is a client of ``AuxLedger`` like the command line
(``auxledger demo``); the benchmarks in ``scripts/`` use ``load_demo`` or subclass
``Simulation``.
"""

from __future__ import annotations

from collections.abc import Callable

from api.demo.data import DEMO_END, DEMO_START
from api.demo.simulation import BATCH_COMMANDS, DemoCounts, Simulation, Step
from ledger.records import AuxLedger

__all__ = [
    "BATCH_COMMANDS",
    "DEMO_END",
    "DEMO_START",
    "DemoCounts",
    "Simulation",
    "Step",
    "load_demo",
]


def load_demo(
    ledger: AuxLedger,
    *,
    officers: int = 200,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> DemoCounts:
    """Load the synthetic dataset through the ledger's commands; return what was loaded."""
    if officers < 1:
        msg = "--officers must be at least 1"
        raise ValueError(msg)
    simulation = Simulation(ledger, officers, seed)
    counts = simulation.run(progress)
    simulation.deliver_notifications()
    counts.events = ledger.recorder.max_notification_id() or 0
    return counts
