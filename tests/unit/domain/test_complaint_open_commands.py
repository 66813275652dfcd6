"""What a complaint's state allows (``Complaint.open_commands``, ``next_step``): in every state,
each command offered is accepted and each command not offered is refused, with exactly the
refusal ``state_refusal`` gives -- what a page offers and what the command says agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import pytest

from domain.auxiliary import Auxiliary
from domain.commands import complaint as commands
from domain.complaint import HANDLING_COMMANDS, Complaint
from domain.errors import DomainError
from domain.values import Actor, ComplaintStatus

from .support import COMPLAINTS, INSPECTOR, POLICY, PUBLIC, rec, refused
from .test_complaint import MAR_2, MAR_5, MAR_12, MAR_20, by_office, handled, receive
from .test_complaint_channels import take

APR_20 = date(2024, 4, 20)
"""Past the review window of a result told on 12 March (30 days: until 11 April)."""


def _ask(complaint: Complaint) -> None:
    complaint.request_review(rec(PUBLIC, MAR_12), commands.RequestReview(reasons="不服"))


def _decide(complaint: Complaint, outcome: str = "upheld") -> None:
    decision = commands.DecideReview(outcome=outcome, reasons="复查意见")
    complaint.decide_review(rec(INSPECTOR, MAR_12), decision)


def _declined(complaint: Complaint) -> None:
    by_office(complaint, MAR_2, commands.Acknowledge(), commands.Decline(reason="不属于管辖"))


def _withdrawn(complaint: Complaint) -> None:
    handled(complaint, upto="assigned")
    by_office(complaint, MAR_5, commands.Withdraw(reason="投诉人已谅解"))


@dataclass(frozen=True)
class State:
    """A complaint brought into one state, the day it is asked on, and what it allows then
    (in the order of the process) with the step expected next."""

    given: Callable[[Complaint], object]
    open: tuple[str, ...]
    next: str | None
    on: date = MAR_20
    unnamed: bool = False

    def complaint(self, auxiliary: Auxiliary) -> Complaint:
        complaint = take(None) if self.unnamed else receive(auxiliary)
        self.given(complaint)
        complaint.collect_events()
        return complaint


def _nothing(complaint: Complaint) -> None:
    """Received, and nothing more."""


STATES: dict[str, State] = {
    "received": State(_nothing, ("acknowledge", "withdraw"), "acknowledge"),
    "acknowledged": State(
        lambda c: handled(c, upto="acknowledged"), ("accept", "decline", "withdraw"), "accept"
    ),
    "accepted": State(
        lambda c: handled(c, upto="accepted"), ("assign", "record_finding", "withdraw"), "assign"
    ),
    "under_investigation": State(
        lambda c: handled(c, upto="assigned"),
        ("assign", "record_finding", "withdraw"),
        "record_finding",
    ),
    "one_finding_of_two": State(
        lambda c: handled(c, upto="found_1"),
        ("assign", "record_finding", "withdraw"),
        "record_finding",
    ),
    "concluded": State(
        lambda c: handled(c, upto="concluded"),
        ("notify_complainant", "queue_notification"),
        "notify_complainant",
    ),
    "not_accepted": State(
        _declined, ("notify_complainant", "queue_notification"), "notify_complainant"
    ),
    "complainant_notified": State(
        lambda c: handled(c, upto="notified"),
        ("notify_complainant", "queue_notification", "close", "request_review"),
        "close",
    ),
    "notified_review_pending": State(
        lambda c: (handled(c, upto="notified"), _ask(c)),
        ("notify_complainant", "queue_notification", "close", "decide_review"),
        "decide_review",
    ),
    "notified_review_decided": State(
        lambda c: (handled(c, upto="notified"), _ask(c), _decide(c)),
        ("notify_complainant", "queue_notification", "close"),
        "close",
    ),
    "withdrawn": State(_withdrawn, ("close",), "close"),
    "closed": State(
        lambda c: handled(c, upto="closed"),
        ("queue_notification", "request_review", "reopen"),
        None,
    ),
    "closed_past_the_review_window": State(
        lambda c: handled(c, upto="closed"), ("queue_notification", "reopen"), None, on=APR_20
    ),
    "closed_after_withdrawal": State(
        lambda c: (_withdrawn(c), by_office(c, MAR_5, commands.Close())),
        ("queue_notification", "reopen"),  # the outbox takes any closed complaint
        None,
    ),
    "closed_review_pending": State(
        lambda c: (handled(c, upto="closed"), _ask(c)),
        ("queue_notification", "decide_review"),
        "decide_review",
    ),
    "closed_review_upheld": State(
        lambda c: (handled(c, upto="closed"), _ask(c), _decide(c)),
        ("queue_notification", "reopen"),
        None,
    ),
    "closed_review_changed": State(
        lambda c: (handled(c, upto="closed"), _ask(c), _decide(c, "changed")),
        ("queue_notification", "reopen"),
        "reopen",
    ),
    "reopened": State(
        lambda c: (handled(c, upto="closed"), by_office(c, MAR_12, commands.Reopen(reason="r"))),
        ("assign", "record_finding", "withdraw"),
        "record_finding",
    ),
    "unnamed_received": State(
        _nothing, ("acknowledge", "match_subject", "withdraw"), "acknowledge", unnamed=True
    ),
    "unnamed_under_investigation": State(
        lambda c: handled(c, upto="assigned"),
        ("match_subject", "assign", "withdraw"),
        None,  # its finding waits for the auxiliary to be named
        unnamed=True,
    ),
}


def _undecided(complaint: Complaint) -> int:
    """An allegation with no finding in the current round (the first if every one has one:
    the status refuses the finding then)."""
    decided = {f.allegation_number for f in complaint.finding_history if f.round == complaint.round}
    return min({a.number for a in complaint.allegations} - decided, default=1)


def _run(complaint: Complaint, command: str, on: date, auxiliary: Auxiliary) -> None:
    """A valid ``command`` by the role that sends it, recorded on ``on``: only the state may
    refuse it."""
    office = rec(COMPLAINTS, on)
    if command == "match_subject":
        commands.MatchSubject(auxiliary_id=auxiliary.id).run(complaint, office, auxiliary)
        return
    sent: dict[str, tuple[Actor, commands.ComplaintCommand]] = {
        "acknowledge": (COMPLAINTS, commands.Acknowledge()),
        "accept": (COMPLAINTS, commands.Accept(category="执法态度")),
        "decline": (COMPLAINTS, commands.Decline(reason="不属于管辖")),
        "assign": (COMPLAINTS, commands.Assign(investigator_id="INV-9", due=on)),
        "record_finding": (
            COMPLAINTS,
            commands.RecordFinding(
                allegation_number=_undecided(complaint),
                result="sustained",
                reasoning="属实",
            ),
        ),
        "withdraw": (COMPLAINTS, commands.Withdraw(reason="投诉人撤回")),
        "notify_complainant": (
            COMPLAINTS,
            commands.NotifyComplainant(method="sms", notified_on=on, summary="已告知"),
        ),
        "queue_notification": (
            COMPLAINTS,
            commands.QueueNotification(message_id=UUID(int=7), channel="sms", text="已办结"),
        ),
        "close": (COMPLAINTS, commands.Close()),
        "request_review": (COMPLAINTS, commands.RequestReview(reasons="代投诉人申请")),
        "decide_review": (INSPECTOR, commands.DecideReview(outcome="upheld", reasons="维持")),
        "reopen": (COMPLAINTS, commands.Reopen(reason="重新办理")),
    }
    actor, cmd = sent[command]
    cmd.run(complaint, rec(actor, on))


@pytest.mark.parametrize("name", list(STATES))
def test_what_is_offered_is_accepted_and_the_rest_refused_as_the_command_says(
    auxiliary: Auxiliary, name: str
) -> None:
    state = STATES[name]
    asked = state.complaint(auxiliary)
    assert asked.open_commands(state.on, POLICY) == state.open
    assert asked.next_step(state.on, POLICY) == state.next
    assert state.next is None or state.next in state.open
    for command in HANDLING_COMMANDS:
        complaint = state.complaint(auxiliary)  # each command on its own copy of the state
        refusal = complaint.state_refusal(command, state.on, POLICY)
        if command in state.open:
            assert refusal is None, (command, refusal)
            _run(complaint, command, state.on, auxiliary)
            assert complaint.collect_events(), command
        else:
            assert refusal is not None, command
            error = refused(complaint, type(refusal), _run, complaint, command, state.on, auxiliary)
            assert str(error) == str(refusal) and error.zh == refusal.zh, command


def test_the_cases_cover_every_status(auxiliary: Auxiliary) -> None:
    assert {state.complaint(auxiliary).status for state in STATES.values()} == set(ComplaintStatus)


def test_a_command_outside_the_table_is_no_answer(auxiliary: Auxiliary) -> None:
    with pytest.raises(KeyError):
        receive(auxiliary).state_refusal("take", MAR_20, POLICY)


def test_the_refusal_told_is_the_states_own(auxiliary: Auxiliary) -> None:
    """A closed complaint with its review pending: reopening is refused with the review's
    reason, the same words the page would be told."""
    complaint = STATES["closed_review_pending"].complaint(auxiliary)
    refusal = complaint.state_refusal("reopen", MAR_20, POLICY)
    assert isinstance(refusal, DomainError) and refusal.zh is not None
    assert "复查尚未作出决定" in refusal.zh
