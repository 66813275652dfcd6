"""The rule sets the ledger judges by and when they end (Art. 20): the expiry report.

Invariants kept here:

- The rows are the ledger's rule sets (the loaded ones, else the built-in defaults), earliest
  start first; they are ledger-wide, so ``organ`` narrows nothing (it is checked like every
  query's).
- ``expiring`` is ``Policy.expiring(on, within_days)``'s rule set: the one in force on ``on``
  ending within ``within_days`` days with no rule set taking over the next day, or the last
  one once it has ended. ``on`` defaults to today (China Standard Time, by the clock),
  ``within_days`` to ``EXPIRY_WARNING_DAYS``.
"""

from __future__ import annotations

from datetime import date

from domain.policy import EXPIRY_WARNING_DAYS, Policy
from domain.values import RuleSetState
from projections.queries.common import ReadModelQueries, check_whole
from projections.results import RuleSetStatus

__all__ = ["RuleQueries", "rule_set_statuses"]

MAX_WITHIN_DAYS = 3660


class RuleQueries(ReadModelQueries):
    """The rule sets in force, ended or to come, and which one is about to end."""

    def rule_sets(
        self,
        *,
        organ: str | None = None,
        on: date | None = None,
        within_days: int = EXPIRY_WARNING_DAYS,
        expiring_only: bool = False,
    ) -> list[RuleSetStatus]:
        """Every rule set's state on ``on`` (default today), the expiring one marked."""
        day = self.day_asked(on)
        check_whole("within_days", within_days, 0, MAX_WITHIN_DAYS)
        with self._reading(organ):  # an unknown organ is refused as in every query
            pass
        rows = rule_set_statuses(self.policy, day, within_days)
        return [row for row in rows if row.expiring or not expiring_only]


def rule_set_statuses(
    policy: Policy, day: date, within_days: int = EXPIRY_WARNING_DAYS
) -> list[RuleSetStatus]:
    """Every rule set of the policy on ``day``, earliest start first, the expiring one marked."""
    warning = policy.expiring(day, within_days)
    rows = []
    for rule in sorted(policy.rules, key=lambda r: r.effective_from):
        state = (
            RuleSetState.not_started
            if day < rule.effective_from
            else RuleSetState.ended
            if day > rule.effective_until
            else RuleSetState.in_force
        )
        rows.append(
            RuleSetStatus(
                rule.rule_id,
                rule.title,
                rule.document,
                rule.effective_from,
                rule.effective_until,
                state.value,
                (rule.effective_until - day).days,
                warning is not None and warning.rule_id == rule.rule_id,
            )
        )
    return rows
