"""The rule sets the ledger judges by (Art. 20): read them, and load new ones (admin).

Invariants:
- ``GET /v1/rules`` is for every staff token: rule sets hold no personal data. The parts shown
  are those a decision on that rule set's days is judged by (completed with the ledger's own).
- ``POST /v1/rules`` is for administrators of ``AUXLEDGER_API_LEDGER_ORGAN`` only; the body's
  rule sets are checked by the domain and stored in one signed, logged transaction, or none
  is (422 ``invalid_rule_set`` listing the first problems, 409 ``duplicate_record``).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from api.deps import CurrentActor, LedgerDep, RuntimeDep, of_the_ledgers_organ
from api.jsonbody import StrictJsonRoute
from api.routers.common import TOKEN_ERRORS, errors, recorded_reply
from api.schemas import rules as s
from api.schemas.common import RecordedPublic
from domain.commands.rules import LoadRuleSet
from domain.policy import RuleSet
from domain.values import Actor, Role, china_date
from ledger.records import Envelope
from projections.queries.rules import rule_set_statuses

router = APIRouter(prefix="/v1/rules", tags=["rules"], route_class=StrictJsonRoute)

LedgerAdmin = Annotated[
    Actor,
    Depends(
        of_the_ledgers_organ(
            Role.admin,
            what="loading rule sets",
            otherwise="rule sets are loaded by the administrators of the organ running the ledger",
        )
    ),
]


def _parts(rule: RuleSet) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for name in ("levels", "complaints", "early_warning", "health"):
        value = getattr(rule, name)
        parts[name] = dataclasses.asdict(value) if value is not None else None
    calendar = rule.calendar
    parts["calendar"] = (
        {
            "holidays": sorted(calendar.holidays),
            "extra_working_days": sorted(calendar.extra_working_days),
        }
        if calendar is not None
        else None
    )
    return parts


@router.get("", summary="The rule sets in force and when they end", responses=errors(*TOKEN_ERRORS))
def rules(actor: CurrentActor, ledger: LedgerDep) -> s.RulesPublic:
    """Every rule set, earliest first, with its state today and the expiry warning: from 90
    days before the rule set in force ends, unless a loaded rule set follows it."""
    policy = ledger.policy
    today = china_date(ledger.clock())
    warning = policy.expiring(today)
    by_id = {r.rule_id: r for r in policy.rules}
    return s.RulesPublic(
        loaded=ledger.rules() is not None,
        warning=warning.message() if warning is not None else None,
        rule_sets=[
            s.RuleSetPublic(
                **row.to_json(),
                parts=_parts(by_id[row.rule_id].completed(ledger.base_policy)),
            )
            for row in rule_set_statuses(policy, today)
        ],
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Load rule sets (administrators of the ledger's organ)",
    responses=errors(*TOKEN_ERRORS),
)
def load(
    body: s.RuleSetsLoad,
    actor: LedgerAdmin,
    ledger: LedgerDep,
    runtime: RuntimeDep,
    response: Response,
) -> RecordedPublic:
    """Every rule set of the body is stored in one transaction, or none is."""
    cmds = [LoadRuleSet.from_mapping(data) for data in body.rule_sets]
    recorded = ledger.load_rule_sets(cmds, Envelope(actor))
    return recorded_reply(recorded, response, runtime)
