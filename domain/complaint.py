"""A complaint or report about an auxiliary (Art. 17).

Invariants kept here:

- Anyone may complain (Art. 17): a complaint is received by the public intake or by the
  complaints office of any organ (a referral arrives from elsewhere), with 1 to 20 allegations,
  numbered 1..n in the order given.
- The incident is an aware instant, not later than the recording instant, on or before the
  receipt's effective date.
- The complaint is attributed to the auxiliary and to the organ, unit and supervisor that
  answered for the auxiliary on the incident date (China Standard Time), from the auxiliary's
  effective-dated history; if the auxiliary was not employed then (before the hire, or on or
  after the separation date), the complaint is refused with ``NoResponsibilityError``.
- Every later command is by the complaints office of the responsible organ, effective no earlier
  than the receipt, nor earlier than the latest handling step (``last_step_on``: the receipt,
  acknowledgement, acceptance, decline, assignment, finding, notification, withdrawal,
  closure or matching, whichever is latest; after a reopening, the reopening), else
  ``InvalidDateRangeError`` (Art. 17). A notification is recorded no earlier than its
  ``notified_on``, and a close no earlier than the ``notified_on`` of the round. The date is
  kept by the events' apply code from their effective dates; only commands check it, so an
  existing ledger replays unchanged.
- Status moves only along these transitions (anything else is ``InvalidTransitionError``):
  received -> acknowledged -> accepted | not_accepted; accepted -> under_investigation (assign,
  and reassign); findings on accepted or under_investigation; the complaint is concluded when
  every allegation has a finding in the current round; concluded | not_accepted ->
  complainant_notified (further notifications allowed); complainant_notified | withdrawn ->
  closed; any open status before a result (received, acknowledged, accepted,
  under_investigation) -> withdrawn; closed -> reopened.
- Once a result exists (concluded or not accepted) the complainant must be told it: a
  withdrawal then is ``ComplainantNotNotifiedError`` (Art. 17), so a result never leaves the
  complaints-not-notified report except by a notification.
- A complaint cannot close until the complainant has been told the result, unless it was
  withdrawn (``ComplainantNotNotifiedError``, Art. 17).
- Each allegation gets at most one finding per round. Reopening starts a new round: it clears the
  notified flag; earlier findings stay on record and remain the latest until superseded, and
  the complaint concludes again once every allegation has a finding in the new round. The
  reopening's date is kept (``reopened_on``): the new round's conclusion is counted from it
  (``steps_due``, ``ComplaintPolicy.steps_due``).
- The complainant's name, telephone, resident ID number, address and contact text are personal
  data of the complainant (``personal_subject = "complainant_id"``); a resident ID number, if
  given, passes GB 11643-1999.
- Review (复查, practice): once told the result, the complainant (the public route, with the
  tracking code) or the complaints office on their behalf may ask once per round for a review,
  within ``policy.review.request_days`` of the notification (else
  ``ReviewWindowClosedError``); the request's reasons are the complainant's personal data.
  The review is decided, upheld or changed with reasons, by the inspectorate or the
  discipline office of the organ -- never by the role that decided the result
  (``ReviewerNotIndependentError``) -- and is due ``policy.review.decide_days`` after the
  request. A changed result is carried out by the complaints office reopening the complaint.
- The complaints office takes complaints from every channel (``take``): 12389, 110 and 信访
  need the outside system's reference number, a walk-in complaint has none, a referral names
  the referring organ (and only a referral does). A complaint so taken may name no auxiliary:
  then it carries a description of the subject beside the incident's time and place, answers
  to the organ of the office that took it (``taken_in``), and has no unit or supervisor until
  ``match_subject`` names the auxiliary, once, while the complaint is open and before any
  finding; matching attributes it exactly as a named intake does
  (``responsibility_at_incident``). A finding needs a named auxiliary
  (``SubjectNotMatchedError``); matching a complaint that names one is
  ``SubjectAlreadyNamedError``. Deadlines run from the receipt whatever the channel.
- Notifications through the outbox (Art. 17): the complaints office queues a message to the
  complainant (sms, letter or phone; the office's own text, no personal data) once a result
  exists (concluded, not accepted, notified or closed), and only on a channel the
  complainant left a contact for (telephone for sms and phone, address for letter). The
  delivery worker (``Role.system`` of the complaint's organ) records each attempt's outcome:
  ``NotificationDelivered`` with the adapter's outcome, never claimed as ``sent`` by anything
  but a provider, or ``NotificationFailed`` with a retry instant or none (given up). Attempts
  are numbered 1, 2, ... in order; nothing is recorded on a message after its outcome or
  after it was given up (``InvalidTransitionError``), so a message is delivered at most once
  on record.
- What the complaint's state allows is decided in one place, ``Complaint.state_refusal``
  (the status, the review of the round, whether the auxiliary is named, a review's window):
  every handling command raises its answer, and ``open_commands`` and ``next_step`` (what a
  page offers, and the step expected) read it, so what is offered and what is refused agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.authority import require_organ, require_role
from domain.auxiliary import Auxiliary
from domain.checks import (
    UUID_REQUIRED,
    aware_instant,
    free_text,
    identifier,
    member,
    optional_free_text,
    optional_identifier,
    optional_opaque_token,
    optional_phone_number,
    optional_short_text,
    plain_date,
    short_text,
)
from domain.errors import (
    ComplainantNotNotifiedError,
    DateInFutureError,
    DomainError,
    DuplicateRecordError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidTransitionError,
    NoContactForChannelError,
    NoResponsibilityError,
    ReviewerNotIndependentError,
    ReviewWindowClosedError,
    SubjectAlreadyNamedError,
    SubjectNotMatchedError,
    UnknownAllegationError,
)
from domain.events import LedgerCreated, LedgerEvent, Recording
from domain.identity import validate_resident_id
from domain.policy import Policy
from domain.values import (
    Allegation,
    ComplaintChannel,
    ComplaintStatus,
    DeliveryOutcome,
    FindingResult,
    MessageStatus,
    NotificationMethod,
    OutboundChannel,
    Responsibility,
    ReviewOutcome,
    Role,
    china_date,
    zh_day,
)

if TYPE_CHECKING:
    from domain.commands import complaint as commands

__all__ = [
    "HANDLING_COMMANDS",
    "MAX_ALLEGATIONS",
    "Complaint",
    "Finding",
    "IntakeFields",
    "Notification",
    "OutboundMessage",
    "Review",
    "check_channel",
    "check_intake",
    "responsibility_at_incident",
]

MAX_ALLEGATIONS = 20

_S = ComplaintStatus
_OPEN_BEFORE_RESULT = frozenset(
    {
        _S.received,
        _S.acknowledged,
        _S.accepted,
        _S.under_investigation,
    }
)
"""Where the complainant may withdraw: open, and no result reached yet (Art. 17)."""

_RESULT_UNTOLD = frozenset({_S.concluded, _S.not_accepted})
"""A result reached that the complainant has not been told (Art. 17)."""

_HAS_RESULT = frozenset({_S.concluded, _S.not_accepted, _S.complainant_notified, _S.closed})
"""Where a complaint has a result the complainant may be sent."""

_MATCHABLE = frozenset({_S.received, _S.acknowledged, _S.accepted, _S.under_investigation})
"""Where an unnamed complaint may be matched: open, and before any finding."""

_INVESTIGATING = frozenset({_S.accepted, _S.under_investigation})
"""Where an investigator is assigned and findings are recorded."""

_TOLD = frozenset({_S.complainant_notified, _S.closed})
"""Where the complainant may have been told the result of this round (a review may follow)."""

_OPEN_IN: Mapping[str, frozenset[ComplaintStatus] | None] = {
    "acknowledge": frozenset({_S.received}),
    "accept": frozenset({_S.acknowledged}),
    "decline": frozenset({_S.acknowledged}),
    "match_subject": _MATCHABLE,
    "assign": _INVESTIGATING,
    "record_finding": _INVESTIGATING,
    "withdraw": _OPEN_BEFORE_RESULT,
    "notify_complainant": frozenset({_S.concluded, _S.not_accepted, _S.complainant_notified}),
    "queue_notification": _HAS_RESULT,
    "close": frozenset({_S.complainant_notified, _S.withdrawn}),
    "request_review": _TOLD,
    "decide_review": None,  # in any status: what it needs is a review pending
    "reopen": frozenset({_S.closed}),
}
"""The statuses each handling command is open in, the commands in the order of the process;
``Complaint.state_refusal`` adds what a status alone does not say (a review pending, the
auxiliary named, a review's window)."""

HANDLING_COMMANDS: tuple[str, ...] = tuple(_OPEN_IN)
"""The commands on a received complaint, in the order of the process: the names
``Complaint.state_refusal`` and ``Complaint.open_commands`` answer for (the delivery worker's,
which act on one queued message, aside)."""

_NEXT_STEP: Mapping[ComplaintStatus, str] = {
    _S.received: "acknowledge",
    _S.acknowledged: "accept",
    _S.accepted: "assign",
    _S.under_investigation: "record_finding",
    _S.concluded: "notify_complainant",
    _S.not_accepted: "notify_complainant",
    _S.complainant_notified: "close",
    _S.withdrawn: "close",
}
"""The step the handling expects next in each status (closed: none, unless a review changed
the result, which the office carries out by reopening)."""


@dataclass(frozen=True)
class Finding:
    """The finding on one allegation in one round of investigation."""

    allegation_number: int
    result: FindingResult
    reasoning: str
    round: int
    effective: date
    version: int


@dataclass(frozen=True)
class Notification:
    """The complainant was told the result (Art. 17)."""

    method: NotificationMethod
    notified_on: date
    summary: str


@dataclass(frozen=True)
class OutboundMessage:
    """A notification queued for the complainant through the outbox, and how its delivery
    stands (no contact details: the worker reads them from the complaint when it sends)."""

    message_id: UUID
    channel: OutboundChannel
    text: str
    queued_at: datetime
    status: MessageStatus = MessageStatus.queued
    attempts: int = 0
    outcome: DeliveryOutcome | None = None
    adapter: str | None = None
    provider_reference: str | None = None
    last_reason: str | None = None
    retry_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Review:
    """A review (复查) of the result told in one round: asked for, and decided or pending."""

    round: int
    requested_on: date
    requested_by_role: str
    due: date
    outcome: ReviewOutcome | None = None
    decided_on: date | None = None
    decided_by_role: str | None = None


def _allegations(value: object) -> list[Allegation]:
    if not isinstance(value, list | tuple):
        raise InvalidFieldError(
            "allegations", "must be a list of allegation texts", zh="须逐项列出投诉事项"
        )
    if not 1 <= len(value) <= MAX_ALLEGATIONS:
        raise InvalidFieldError(
            "allegations",
            f"must hold 1 to {MAX_ALLEGATIONS} allegations",
            zh=f"须有1至{MAX_ALLEGATIONS}项投诉事项",
        )
    return [
        Allegation(number, free_text(f"allegations[{number}]", text))
        for number, text in enumerate(value, start=1)
    ]


@dataclass(frozen=True)
class IntakeFields:
    """A complaint's own fields, checked: everything but the auxiliary it is about."""

    incident_at: datetime
    incident_place: str
    allegations: list[Allegation]
    complainant_name: str | None
    complainant_phone: str | None
    complainant_resident_id: str | None
    complainant_address: str | None
    contact_text: str | None


def check_intake(
    *,
    at: datetime,
    effective: date,
    incident_at: datetime,
    incident_place: str,
    allegations: Sequence[str],
    complainant_name: str | None,
    complainant_phone: str | None,
    complainant_resident_id: str | None,
    complainant_address: str | None,
    contact_text: str | None,
) -> IntakeFields:
    """Check every field of a complaint that does not need its auxiliary, or raise.

    ``at`` is the recording instant and ``effective`` the receipt's date. The public intake
    calls this before it looks the auxiliary up, so a refusal of the request's own fields
    never depends on whether the auxiliary named exists (no oracle of names and units).
    """
    incident = aware_instant("incident_at", incident_at)
    if incident > at:
        raise DateInFutureError("incident_at", "the incident cannot follow its report")
    if china_date(incident) > effective:
        raise InvalidDateRangeError(
            "the incident date is later than the receipt's date", zh="事发日期晚于受理日期"
        )
    return IntakeFields(
        incident_at=incident,
        incident_place=short_text("incident_place", incident_place),
        allegations=_allegations(allegations),
        complainant_name=optional_short_text("complainant_name", complainant_name),
        complainant_phone=optional_phone_number("complainant_phone", complainant_phone),
        complainant_resident_id=(
            None
            if complainant_resident_id is None
            else validate_resident_id(complainant_resident_id, on=china_date(at))
        ),
        complainant_address=optional_short_text("complainant_address", complainant_address),
        contact_text=optional_free_text("contact_text", contact_text),
    )


def _checked_intake(rec: Recording, cmd: commands.ComplaintIntake) -> IntakeFields:
    """``check_intake`` on the fields every intake command gives."""
    return check_intake(
        at=rec.at,
        effective=rec.effective,
        incident_at=cmd.incident_at,
        incident_place=cmd.incident_place,
        allegations=cmd.allegations,
        complainant_name=cmd.complainant_name,
        complainant_phone=cmd.complainant_phone,
        complainant_resident_id=cmd.complainant_resident_id,
        complainant_address=cmd.complainant_address,
        contact_text=cmd.contact_text,
    )


def _received_fields(
    own: IntakeFields, cmd: commands.ComplaintIntake, complainant_id: UUID
) -> dict[str, object]:
    """The ``Received`` event's fields every intake fills alike (the tracking hash checked)."""
    return {
        "incident_at": own.incident_at,
        "incident_place": own.incident_place,
        "allegations": own.allegations,
        "complainant_id": complainant_id,
        "complainant_name": own.complainant_name,
        "complainant_phone": own.complainant_phone,
        "complainant_resident_id": own.complainant_resident_id,
        "complainant_address": own.complainant_address,
        "contact_text": own.contact_text,
        "tracking_hash": optional_opaque_token("tracking_hash", cmd.tracking_hash),
    }


# ------------------------------------------------------------------ channels and attribution

_NEEDS_REFERENCE = frozenset(
    {ComplaintChannel.hotline_12389, ComplaintChannel.hotline_110, ComplaintChannel.letters_visits}
)
"""Channels whose outside system numbers every complaint: the number is required."""


def check_channel(
    channel: object, outside_reference: object, referring_organ: object
) -> tuple[ComplaintChannel, str | None, str | None]:
    """The channel, the outside system's reference number and the referring organ, checked
    together (Art. 17, practice), or raise ``InvalidFieldError``."""
    chosen = member(ComplaintChannel, "channel", channel)
    reference = optional_identifier("outside_reference", outside_reference)
    referrer = optional_short_text("referring_organ", referring_organ)
    if chosen in _NEEDS_REFERENCE and reference is None:
        raise InvalidFieldError(
            "outside_reference",
            f"is required for a complaint by {chosen.value}: the number its system gave it",
            zh=f"经{chosen.label_zh}提出的投诉须填写该系统给出的编号",
        )
    if chosen is ComplaintChannel.walk_in and reference is not None:
        raise InvalidFieldError(
            "outside_reference",
            "is not taken for a complaint made in person: nothing outside numbered it",
            zh=f"{ComplaintChannel.walk_in.label_zh}投诉没有外部编号，不填",
        )
    if chosen is ComplaintChannel.referral and referrer is None:
        raise InvalidFieldError(
            "referring_organ", "is required for a referral", zh="转办的投诉须填写转办机关"
        )
    if chosen is not ComplaintChannel.referral and referrer is not None:
        raise InvalidFieldError(
            "referring_organ", "is given for a referral only", zh="只有转办的投诉才填写转办机关"
        )
    return chosen, reference, referrer


def responsibility_at_incident(auxiliary: Auxiliary, incident_at: datetime) -> Responsibility:
    """Who answered for the auxiliary on the incident date (China Standard Time), or raise
    ``NoResponsibilityError``: the one attribution of intake and of matching (Art. 17)."""
    responsibility = auxiliary.responsibility_on(china_date(incident_at))
    if responsibility is None:
        raise NoResponsibilityError(
            "the auxiliary was not employed on the incident date, so no organ, unit or "
            "supervisor answered for them then (Art. 17)",
            zh="该辅警在事发之日不在职，当时没有机关、用辅部门或带辅民警对其负责（第十七条）",
        )
    return responsibility


class Complaint(Aggregate):
    """A complaint about an auxiliary, from receipt to closure (Art. 17)."""

    def __init__(self) -> None:
        self.channel: ComplaintChannel = ComplaintChannel.online
        self.incident_at: datetime = datetime.min
        self.incident_place: str = ""
        self.auxiliary_id: UUID | None = None
        self.responsibility: Responsibility | None = None
        self.outside_reference: str | None = None
        self.referring_organ: str | None = None
        self.subject_description: str | None = None
        self.taken_in: str = ""
        self.allegations: tuple[Allegation, ...] = ()
        self.complainant_id: UUID = UUID(int=0)
        self.complainant_name: str | None = None
        self.complainant_phone: str | None = None
        self.complainant_resident_id: str | None = None
        self.complainant_address: str | None = None
        self.contact_text: str | None = None
        self.tracking_hash: str | None = None
        self.status: ComplaintStatus = ComplaintStatus.received
        self.received_on: date = date.min
        self.last_step_on: date = date.min
        self.acknowledged_at: datetime | None = None
        self.category: str | None = None
        self.decline_reason: str | None = None
        self.investigator_id: str | None = None
        self.due: date | None = None
        self._due_round: int | None = None
        self.round: int = 1
        self.concluded_at: datetime | None = None
        self.concluded_on: date | None = None
        self.declined_on: date | None = None
        self.notified_on: date | None = None
        self.closed_at: datetime | None = None
        self.reopened_on: date | None = None
        self.withdrawal_reason: str | None = None
        self._findings: list[Finding] = []
        self._notifications: list[Notification] = []
        self._ever_acknowledged = False
        self._ever_accepted = False
        self.decided_by_role: str | None = None
        self._reviews: list[Review] = []
        self._messages: dict[UUID, OutboundMessage] = {}

    def __repr__(self) -> str:
        # The default repr lists every attribute, the complainant's personal data included.
        return f"Complaint(id={self.id!r}, version={self.version}, status={self.status.value})"

    # ----------------------------------------------------------------------------------- events

    class Event(LedgerEvent):
        """Base of the complaint's events."""

    class Received(Event, LedgerCreated):
        """A complaint was received and attributed to the responsible organ, unit and officer."""

        personal_fields: ClassVar[tuple[str, ...]] = (
            "complainant_name",
            "complainant_phone",
            "complainant_resident_id",
            "complainant_address",
            "contact_text",
        )
        personal_subject: ClassVar[str] = "complainant_id"

        channel: str
        incident_at: datetime
        incident_place: str
        auxiliary_id: UUID | None
        responsibility: Responsibility | None
        allegations: list[Allegation]
        complainant_id: UUID
        complainant_name: str | None
        complainant_phone: str | None
        complainant_resident_id: str | None
        complainant_address: str | None
        contact_text: str | None
        tracking_hash: str | None
        # Taken by the complaints office (``take``); defaults for receipts recorded before.
        outside_reference: str | None = None
        referring_organ: str | None = None
        subject_description: str | None = None

        def apply(self, aggregate: Complaint) -> None:
            aggregate.channel = ComplaintChannel(self.channel)
            aggregate.incident_at = self.incident_at
            aggregate.incident_place = self.incident_place
            aggregate.auxiliary_id = self.auxiliary_id
            aggregate.responsibility = self.responsibility
            aggregate.allegations = tuple(self.allegations)
            aggregate.complainant_id = self.complainant_id
            aggregate.complainant_name = self.complainant_name
            aggregate.complainant_phone = self.complainant_phone
            aggregate.complainant_resident_id = self.complainant_resident_id
            aggregate.complainant_address = self.complainant_address
            aggregate.contact_text = self.contact_text
            aggregate.tracking_hash = self.tracking_hash
            aggregate.received_on = self.effective
            aggregate.last_step_on = self.effective
            aggregate.status = ComplaintStatus.received
            aggregate.outside_reference = self.outside_reference
            aggregate.referring_organ = self.referring_organ
            aggregate.subject_description = self.subject_description
            aggregate.taken_in = self.actor.organ

    class Acknowledged(Event):
        """The complaints office acknowledged receipt."""

        def apply(self, aggregate: Complaint) -> None:
            aggregate.acknowledged_at = self.timestamp
            aggregate._stepped(self.effective)
            aggregate._ever_acknowledged = True
            aggregate.status = ComplaintStatus.acknowledged

    class Accepted(Event):
        """The complaint was accepted for investigation."""

        category: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate.category = self.category
            aggregate._stepped(self.effective)
            aggregate._ever_accepted = True
            aggregate.status = ComplaintStatus.accepted

    class Declined(Event):
        """The complaint was not accepted, with the reason."""

        reason: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate.decline_reason = self.reason
            aggregate.decided_by_role = self.actor.role
            aggregate.declined_on = self.effective
            aggregate._stepped(self.effective)
            aggregate.status = ComplaintStatus.not_accepted

    class InvestigatorAssigned(Event):
        """An investigator was assigned, with a due date."""

        investigator_id: str
        due: date

        def apply(self, aggregate: Complaint) -> None:
            aggregate.investigator_id = self.investigator_id
            aggregate.due = self.due
            aggregate._due_round = aggregate.round
            aggregate._stepped(self.effective)
            aggregate.status = ComplaintStatus.under_investigation

    class FindingRecorded(Event):
        """A finding on one allegation was recorded."""

        allegation_number: int
        result: str
        reasoning: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate._findings.append(
                Finding(
                    allegation_number=self.allegation_number,
                    result=FindingResult(self.result),
                    reasoning=self.reasoning,
                    round=aggregate.round,
                    effective=self.effective,
                    version=self.originator_version,
                )
            )
            aggregate.decided_by_role = self.actor.role
            aggregate._stepped(self.effective)
            if len(aggregate._decided_this_round()) == len(aggregate.allegations):
                aggregate.status = ComplaintStatus.concluded
                aggregate.concluded_at = self.timestamp
                aggregate.concluded_on = self.effective

    class ComplainantNotified(Event):
        """The complainant was told the result (Art. 17)."""

        method: str
        notified_on: date
        summary: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate._notifications.append(
                Notification(NotificationMethod(self.method), self.notified_on, self.summary)
            )
            aggregate.notified_on = self.notified_on
            aggregate._stepped(self.effective)
            aggregate.status = ComplaintStatus.complainant_notified

    class Withdrawn(Event):
        """The complainant withdrew the complaint."""

        reason: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate.withdrawal_reason = self.reason
            aggregate._stepped(self.effective)
            aggregate.status = ComplaintStatus.withdrawn

    class Closed(Event):
        """The complaint was closed."""

        def apply(self, aggregate: Complaint) -> None:
            aggregate.closed_at = self.timestamp
            aggregate._stepped(self.effective)
            aggregate.status = ComplaintStatus.closed

    class Reopened(Event):
        """A closed complaint was reopened; a new round of findings begins."""

        reason: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate.round += 1
            aggregate.last_step_on = self.effective  # the new round is dated from here
            aggregate.reopened_on = self.effective  # and its conclusion counted from here
            aggregate.notified_on = None
            aggregate.concluded_at = None
            aggregate.concluded_on = None
            aggregate.closed_at = None
            aggregate.withdrawal_reason = None
            if aggregate._ever_accepted:
                aggregate.status = (
                    ComplaintStatus.under_investigation
                    if aggregate.investigator_id is not None
                    else ComplaintStatus.accepted
                )
            elif aggregate._ever_acknowledged:
                aggregate.status = ComplaintStatus.acknowledged
            else:
                aggregate.status = ComplaintStatus.received

    class ReviewRequested(Event):
        """The complainant asked for a review (复查) of the result they were told."""

        personal_fields: ClassVar[tuple[str, ...]] = ("reasons",)
        personal_subject: ClassVar[str] = "complainant_id"

        complainant_id: UUID
        reasons: str
        due: date

        def apply(self, aggregate: Complaint) -> None:
            aggregate._reviews.append(
                Review(
                    round=aggregate.round,
                    requested_on=self.effective,
                    requested_by_role=self.actor.role,
                    due=self.due,
                )
            )

    class ReviewDecided(Event):
        """The review (复查) was decided: the result upheld or changed, with the reasons."""

        outcome: str
        reasons: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate._reviews[-1] = replace(
                aggregate._reviews[-1],
                outcome=ReviewOutcome(self.outcome),
                decided_on=self.effective,
                decided_by_role=self.actor.role,
            )

    class SubjectMatched(Event):
        """An unnamed complaint was matched to the auxiliary it is about, and attributed."""

        auxiliary_id: UUID
        responsibility: Responsibility

        def apply(self, aggregate: Complaint) -> None:
            aggregate.auxiliary_id = self.auxiliary_id
            aggregate.responsibility = self.responsibility
            aggregate._stepped(self.effective)

    # ------------------------------------------------------------------ outbox events

    class NotificationQueued(Event):
        """A notification to the complainant was queued for the delivery worker (Art. 17)."""

        message_id: UUID
        channel: str
        text: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate._messages[self.message_id] = OutboundMessage(
                message_id=self.message_id,
                channel=OutboundChannel(self.channel),
                text=self.text,
                queued_at=self.timestamp,
            )

    class NotificationDelivered(Event):
        """A delivery attempt ended with the adapter's outcome (``DeliveryOutcome``)."""

        message_id: UUID
        attempt: int
        adapter: str
        outcome: str
        provider_reference: str | None

        def apply(self, aggregate: Complaint) -> None:
            message = aggregate._messages[self.message_id]
            aggregate._messages[self.message_id] = replace(
                message,
                status=MessageStatus.delivered,
                attempts=self.attempt,
                outcome=DeliveryOutcome(self.outcome),
                adapter=self.adapter,
                provider_reference=self.provider_reference,
                retry_at=None,
                finished_at=self.timestamp,
            )

    class NotificationFailed(Event):
        """A delivery attempt failed; tried again from ``retry_at``, or given up (None)."""

        message_id: UUID
        attempt: int
        adapter: str
        reason: str
        retry_at: datetime | None

        def apply(self, aggregate: Complaint) -> None:
            message = aggregate._messages[self.message_id]
            aggregate._messages[self.message_id] = replace(
                message,
                status=MessageStatus.retrying if self.retry_at else MessageStatus.failed,
                attempts=self.attempt,
                adapter=self.adapter,
                last_reason=self.reason,
                retry_at=self.retry_at,
                finished_at=None if self.retry_at else self.timestamp,
            )

    # ---------------------------------------------------------------------------- reads

    @property
    def reviews(self) -> tuple[Review, ...]:
        """Every review asked for, in recording order."""
        return tuple(self._reviews)

    @property
    def review(self) -> Review | None:
        """The review of the current round's result, if one was asked for."""
        if self._reviews and self._reviews[-1].round == self.round:
            return self._reviews[-1]
        return None

    def review_request_until(self, policy: Policy) -> date | None:
        """The last day a review of this round's result may be asked for, or None if none may
        be (no result told yet, or a review already asked for)."""
        if self.notified_on is None or self.review is not None:
            return None
        if self.status not in (ComplaintStatus.complainant_notified, ComplaintStatus.closed):
            return None
        return policy.review.request_until(self.notified_on)

    def steps_due(self, policy: Policy) -> tuple[tuple[str, date], ...]:
        """The steps still owed on the complaint and the last day of each, under
        ``policy`` (``ComplaintPolicy.steps_due``, the rule the staff queue follows too)."""
        review = self.review
        return policy.complaints.steps_due(
            self.status,
            received_on=self.received_on,
            reopened_on=self.reopened_on,
            concluded_on=self.concluded_on,
            declined_on=self.declined_on,
            review_due=review.due if review is not None and review.outcome is None else None,
            working_calendar=policy.calendar,
        )

    def _stepped(self, effective: date) -> None:
        """Keep the date of the latest handling step (a state read, never a check: replay
        of an existing ledger is unchanged)."""
        self.last_step_on = max(self.last_step_on, effective)

    def _decided_this_round(self) -> set[int]:
        return {f.allegation_number for f in self._findings if f.round == self.round}

    @property
    def organ(self) -> str:
        """The organ that answers for the complaint (Art. 17): the auxiliary's on the incident
        date, or the organ that took it while it names no auxiliary."""
        return self.responsibility.organ if self.responsibility is not None else self.taken_in

    @property
    def unit(self) -> str | None:
        """The unit that answered for the auxiliary on the incident date (None if unnamed)."""
        return self.responsibility.unit if self.responsibility is not None else None

    @property
    def matched(self) -> bool:
        """Whether the complaint names the auxiliary it is about."""
        return self.auxiliary_id is not None

    @property
    def received_at(self) -> datetime:
        """The instant the complaint was recorded."""
        return self.created_on

    @property
    def findings(self) -> dict[int, Finding]:
        """The latest finding on each allegation that has one, by allegation number."""
        latest: dict[int, Finding] = {}
        for finding in self._findings:
            latest[finding.allegation_number] = finding
        return latest

    @property
    def round_due(self) -> date | None:
        """The date the investigator was given in the current round; None if none was
        assigned since the latest reopening (``due`` keeps an earlier round's date)."""
        return self.due if self._due_round == self.round else None

    @property
    def finding_history(self) -> tuple[Finding, ...]:
        """Every finding ever recorded, in recording order."""
        return tuple(self._findings)

    @property
    def notifications(self) -> tuple[Notification, ...]:
        """Every notification of the complainant, in recording order."""
        return tuple(self._notifications)

    @property
    def complainant_notified(self) -> bool:
        """Whether the complainant was told the result in the current round."""
        return self.notified_on is not None

    # ---------------------------------------------------------------------------- what is open

    def state_refusal(self, command: str, on: date, policy: Policy) -> DomainError | None:
        """Why the complaint as it stands refuses ``command`` (a name of
        ``HANDLING_COMMANDS``; ``KeyError`` for another) on the day ``on``, or None if its
        state allows it.

        The one state check of every handling command: each command raises what this
        returns, and ``open_commands`` asks it of them all, so what a page offers and what a
        command refuses cannot disagree. The state only -- the status, the review of this
        round, whether the auxiliary is named, and for a review request its window; who asks,
        the fields and the order of the steps' dates are each command's own checks.
        """
        allowed = _OPEN_IN[command]
        status = self.status
        review = self.review
        pending = review is not None and review.outcome is None
        # The refusals that say more than "not in this status", where they apply.
        if command == "withdraw" and status in _RESULT_UNTOLD:
            return ComplainantNotNotifiedError(
                "the complaint has a result (concluded or not accepted): the complainant must "
                "be told it, so it can no longer be withdrawn (Art. 17)",
                zh="该投诉已有处理结果（已查结或不予受理），须告知投诉人，不能再撤回（第十七条）",
            )
        if command == "close" and status not in (_S.complainant_notified, _S.withdrawn, _S.closed):
            return ComplainantNotNotifiedError(
                "the complaint cannot close before the complainant has been told the result "
                "of its handling, unless it was withdrawn (Art. 17)",
                zh="须先将办理结果告知投诉人才能结案，撤回的投诉除外（第十七条）",
            )
        if command == "match_subject" and self.auxiliary_id is not None:
            return SubjectAlreadyNamedError(
                "the complaint already names the auxiliary it is about; only a complaint taken "
                "without a name is matched, and only once (Art. 17)",
                zh="只有未指明辅警的投诉才需确认被投诉辅警，且只确认一次（第十七条）",
            )
        if command == "request_review" and review is not None:
            return DuplicateRecordError(
                "a review of this result was already asked for", zh="该处理结果已申请过复查"
            )
        if command == "request_review" and (self.notified_on is None or status not in _TOLD):
            return InvalidTransitionError(
                status.value, command, "the complainant has not been told a result"
            )
        if allowed is not None and status not in allowed:
            return InvalidTransitionError(status.value, command)
        # What the status allows, the rest of the state may still refuse.
        if command == "record_finding" and self.auxiliary_id is None:
            return SubjectNotMatchedError(
                "a finding is about an auxiliary: match the complaint to the auxiliary it is "
                "about first (Art. 17)",
                zh="调查结论针对具体辅警：须先确认被投诉辅警（第十七条）",
            )
        if command == "reopen" and pending:
            return InvalidTransitionError(
                status.value,
                command,
                "a review of the result is pending: it is decided first",
                zh="该处理结果的复查尚未作出决定，须先由督察或纪检监察部门作出复查决定，才能重新办理",
            )
        if command == "decide_review" and not pending:
            return InvalidTransitionError(
                status.value, command, "no review of this result is pending"
            )
        if command == "request_review" and self.notified_on is not None:
            until = policy.review.request_until(self.notified_on)
            if on > until:
                return ReviewWindowClosedError(
                    f"a review may be asked for until {until.isoformat()}, "
                    f"{policy.review.request_days} days after the complainant was told the result",
                    zh=f"复查须在告知投诉人处理结果后{policy.review.request_days}日内申请，即至{until.year}年{until.month}月{until.day}日",
                )
        return None

    def open_commands(self, on: date, policy: Policy) -> tuple[str, ...]:
        """The handling commands the complaint's state allows on the day ``on``, in the order
        of the process (``HANDLING_COMMANDS``): those ``state_refusal`` has nothing against.
        Who may send each is the command's own rule, not this answer's."""
        return tuple(c for c in HANDLING_COMMANDS if self.state_refusal(c, on, policy) is None)

    def next_step(self, on: date, policy: Policy) -> str | None:
        """The command the handling expects next, if the state allows it on the day ``on``:
        the decision of a review pending; a closed complaint whose review changed the result,
        reopened; else the status's next step (acknowledge, accept, assign, record a finding,
        tell the complainant, close). None when nothing is expected (closed)."""
        review = self.review
        if review is not None and review.outcome is None:
            step: str | None = "decide_review"
        elif self.status is _S.closed and review is not None:
            step = "reopen" if review.outcome is ReviewOutcome.changed else None
        else:
            step = _NEXT_STEP.get(self.status)
        if step is None or self.state_refusal(step, on, policy) is not None:
            return None
        return step

    def _refuse_unless_open(self, command: str, rec: Recording) -> None:
        """Raise what the complaint's state holds against ``command`` (``state_refusal``)."""
        refusal = self.state_refusal(command, rec.effective, rec.policy)
        if refusal is not None:
            raise refusal

    # ---------------------------------------------------------------------------- receive

    @classmethod
    def receive(
        cls,
        rec: Recording,
        cmd: commands.ReceiveComplaint,
        *,
        id: UUID,
        auxiliary: Auxiliary,
        complainant_id: UUID,
    ) -> Complaint:
        """Receive a complaint (public intake or complaints office, Art. 17)."""
        require_role(
            rec.actor,
            (Role.public, Role.complaints),
            action="receive a complaint",
            article="Art. 17",
        )
        if not isinstance(id, UUID):
            raise UUID_REQUIRED.refuse("id")
        if not isinstance(complainant_id, UUID):
            raise UUID_REQUIRED.refuse("complainant_id")
        if not isinstance(auxiliary, Auxiliary):
            raise InvalidFieldError(
                "auxiliary", "must be the auxiliary's record", zh="须为所指辅警的记录"
            )
        own = _checked_intake(rec, cmd)
        responsibility = responsibility_at_incident(auxiliary, own.incident_at)
        return cls._create(
            cls.Received,
            id=id,
            **rec.fields(),
            channel=member(ComplaintChannel, "channel", cmd.channel).value,
            auxiliary_id=auxiliary.id,
            responsibility=responsibility,
            **_received_fields(own, cmd, complainant_id),
        )

    @classmethod
    def take(
        cls,
        rec: Recording,
        cmd: commands.TakeComplaint,
        *,
        id: UUID,
        auxiliary: Auxiliary | None,
        complainant_id: UUID,
    ) -> Complaint:
        """Take a complaint at the complaints office from any channel, naming the auxiliary or
        describing an unnamed subject (Art. 17)."""
        require_role(rec.actor, (Role.complaints,), action="take a complaint", article="Art. 17")
        if not isinstance(id, UUID):
            raise UUID_REQUIRED.refuse("id")
        if not isinstance(complainant_id, UUID):
            raise UUID_REQUIRED.refuse("complainant_id")
        if auxiliary is not None and not isinstance(auxiliary, Auxiliary):
            raise InvalidFieldError(
                "auxiliary", "must be the auxiliary's record", zh="须为所指辅警的记录"
            )
        channel, reference, referrer = check_channel(
            cmd.channel, cmd.outside_reference, cmd.referring_organ
        )
        own = _checked_intake(rec, cmd)
        description = optional_free_text("subject_description", cmd.subject_description)
        if auxiliary is not None and description is not None:
            raise InvalidFieldError(
                "subject_description",
                "is for a complaint that names no auxiliary",
                zh="只在投诉未指明辅警时填写",
            )
        if auxiliary is None and description is None:
            raise InvalidFieldError(
                "subject_description",
                "is required when the complaint names no auxiliary: what the complainant "
                "could tell of them",
                zh="投诉未指明辅警的，须写明投诉人所能说明的被投诉人情况",
            )
        return cls._create(
            cls.Received,
            id=id,
            **rec.fields(),
            channel=channel.value,
            auxiliary_id=None if auxiliary is None else auxiliary.id,
            responsibility=(
                None
                if auxiliary is None
                else responsibility_at_incident(auxiliary, own.incident_at)
            ),
            **_received_fields(own, cmd, complainant_id),
            outside_reference=reference,
            referring_organ=referrer,
            subject_description=description,
        )

    # ---------------------------------------------------------------------------- handling

    def _authorise(self, rec: Recording, command: str, *, in_order: bool = True) -> None:
        """The complaints office of the complaint's organ, a state that allows ``command``
        (``state_refusal``), effective no earlier than the receipt and, ``in_order``, than the
        latest handling step."""
        require_role(rec.actor, (Role.complaints,), action="handle a complaint", article="Art. 17")
        require_organ(rec.actor, self.organ)
        self._refuse_unless_open(command, rec)
        if rec.effective < self.received_on:
            raise InvalidDateRangeError(
                "effective date precedes the complaint's receipt", zh="生效日期早于投诉受理日期"
            )
        if in_order:
            self._in_order(rec)

    def _in_order(self, rec: Recording) -> None:
        """Refuse a step dated before the latest handling step (Art. 17)."""
        if rec.effective < self.last_step_on:
            raise InvalidDateRangeError(
                f"effective date precedes the complaint's last handling step, on "
                f"{self.last_step_on.isoformat()}: its steps are recorded in order (Art. 17)",
                zh=f"生效日期早于该投诉上一办理环节的日期（{zh_day(self.last_step_on)}）：各环节须按先后顺序登记（第十七条）",
            )

    def acknowledge(self, rec: Recording, cmd: commands.Acknowledge) -> None:
        """Acknowledge receipt (complaints office)."""
        self._authorise(rec, "acknowledge")
        self.trigger_event(self.Acknowledged, **rec.fields())

    def accept(self, rec: Recording, cmd: commands.Accept) -> None:
        """Accept the complaint for investigation (complaints office)."""
        self._authorise(rec, "accept")
        self.trigger_event(
            self.Accepted, **rec.fields(), category=short_text("category", cmd.category)
        )

    def decline(self, rec: Recording, cmd: commands.Decline) -> None:
        """Decline the complaint (not accepted), giving the reason (complaints office)."""
        self._authorise(rec, "decline")
        self.trigger_event(self.Declined, **rec.fields(), reason=free_text("reason", cmd.reason))

    def assign(self, rec: Recording, cmd: commands.Assign) -> None:
        """Assign (or reassign) an investigator with a due date, which may be in the future."""
        self._authorise(rec, "assign")
        checked_due = plain_date("due", cmd.due)
        if checked_due < rec.effective:
            raise InvalidDateRangeError(
                "the due date precedes the assignment", zh="办结期限早于指派日期"
            )
        self.trigger_event(
            self.InvestigatorAssigned,
            **rec.fields(),
            investigator_id=identifier("investigator_id", cmd.investigator_id),
            due=checked_due,
        )

    def record_finding(self, rec: Recording, cmd: commands.RecordFinding) -> None:
        """Record the finding on one allegation (complaints office)."""
        self._authorise(rec, "record_finding")
        numbers = {a.number for a in self.allegations}
        if (
            isinstance(cmd.allegation_number, bool)
            or not isinstance(cmd.allegation_number, int)
            or cmd.allegation_number not in numbers
        ):
            raise UnknownAllegationError(
                f"the complaint has allegations 1 to {len(self.allegations)} only",
                zh=f"该投诉只有第1至{len(self.allegations)}项投诉事项",
            )
        if cmd.allegation_number in self._decided_this_round():
            raise DuplicateRecordError(
                f"allegation {cmd.allegation_number} already has a finding; reopen the complaint "
                "to record another",
                zh=f"第{cmd.allegation_number}项投诉事项已有调查结论：如需另作结论，须先重新办理该投诉",
            )
        self.trigger_event(
            self.FindingRecorded,
            **rec.fields(),
            allegation_number=cmd.allegation_number,
            result=member(FindingResult, "result", cmd.result).value,
            reasoning=free_text("reasoning", cmd.reasoning),
        )

    def notify_complainant(self, rec: Recording, cmd: commands.NotifyComplainant) -> None:
        """Record that the complainant was told the result (Art. 17)."""
        self._authorise(rec, "notify_complainant")
        checked_method = member(NotificationMethod, "method", cmd.method)
        day = plain_date("notified_on", cmd.notified_on)
        if day > rec.recorded_on:
            raise DateInFutureError("notified_on")
        result_on = self.concluded_on or self.declined_on or self.received_on
        if day < result_on:
            raise InvalidDateRangeError(
                "the complainant cannot have been told the result before it was reached",
                zh="告知日期不能早于得出处理结果的日期",
            )
        if rec.effective < day:
            raise InvalidDateRangeError(
                "a notification is recorded on or after the day the complainant was told "
                "(notified_on)",
                zh="告知须在告知之日或之后登记",
            )
        self.trigger_event(
            self.ComplainantNotified,
            **rec.fields(),
            method=checked_method.value,
            notified_on=day,
            summary=free_text("summary", cmd.summary),
        )

    def withdraw(self, rec: Recording, cmd: commands.Withdraw) -> None:
        """Record the complainant's withdrawal, before a result is reached (Art. 17)."""
        self._authorise(rec, "withdraw")
        self.trigger_event(self.Withdrawn, **rec.fields(), reason=free_text("reason", cmd.reason))

    def close(self, rec: Recording, cmd: commands.Close) -> None:
        """Close the complaint; only once the complainant was told the result or withdrew."""
        self._authorise(rec, "close")
        if self.notified_on is not None and rec.effective < self.notified_on:
            raise InvalidDateRangeError(
                "the complaint cannot close before the day the complainant was told the "
                "result (Art. 17)",
                zh="结案日期不得早于告知投诉人处理结果的日期（第十七条）",
            )
        self.trigger_event(self.Closed, **rec.fields())

    def reopen(self, rec: Recording, cmd: commands.Reopen) -> None:
        """Reopen a closed complaint; a new round of findings begins. Not while a review
        (复查) of the closed round's result is pending: the new round would leave it with
        no result to decide on, pending for ever; the review is decided first."""
        self._authorise(rec, "reopen")
        self.trigger_event(self.Reopened, **rec.fields(), reason=free_text("reason", cmd.reason))

    # ---------------------------------------------------------------------------- review (复查)

    def request_review(self, rec: Recording, cmd: commands.RequestReview) -> None:
        """Record the complainant's request for a review of the result they were told."""
        require_role(
            rec.actor,
            (Role.public, Role.complaints),
            action="ask for a review of a complaint's result",
            article=None,
        )
        require_organ(rec.actor, self.organ)
        if rec.effective < self.received_on:
            raise InvalidDateRangeError(
                "effective date precedes the complaint's receipt", zh="生效日期早于投诉受理日期"
            )
        self._refuse_unless_open("request_review", rec)
        self.trigger_event(
            self.ReviewRequested,
            **rec.fields(),
            complainant_id=self.complainant_id,
            reasons=free_text("reasons", cmd.reasons),
            due=rec.policy.review.decide_due(rec.effective),
        )

    def decide_review(self, rec: Recording, cmd: commands.DecideReview) -> None:
        """Decide the pending review: by another role than the one that decided the result."""
        if rec.actor.role == self.decided_by_role:
            raise ReviewerNotIndependentError(
                "a review is decided by another body than the one that decided the result: "
                "the inspectorate or the discipline office",
                zh="复查由督察部门或纪检监察部门决定，作出原处理意见的部门不能决定",
            )
        require_role(
            rec.actor,
            (Role.inspector, Role.discipline),
            action="decide a review of a complaint's result",
            article=None,
        )
        require_organ(rec.actor, self.organ)
        self._refuse_unless_open("decide_review", rec)
        if rec.effective < self._reviews[-1].requested_on:  # the review pending
            raise InvalidDateRangeError(
                "the decision precedes the review request", zh="复查决定日期早于复查申请日期"
            )
        self.trigger_event(
            self.ReviewDecided,
            **rec.fields(),
            outcome=member(ReviewOutcome, "outcome", cmd.outcome).value,
            reasons=free_text("reasons", cmd.reasons),
        )

    # ---------------------------------------------------------------------------- matching

    def match_subject(
        self, rec: Recording, cmd: commands.MatchSubject, auxiliary: Auxiliary
    ) -> None:
        """Name the auxiliary an unnamed complaint is about, attributed as at intake."""
        self._authorise(rec, "match_subject")
        if not isinstance(auxiliary, Auxiliary) or auxiliary.id != cmd.auxiliary_id:
            raise InvalidFieldError(
                "auxiliary",
                "must be the record of the auxiliary named",
                zh="须为所确认辅警的记录",
            )
        self.trigger_event(
            self.SubjectMatched,
            **rec.fields(),
            auxiliary_id=auxiliary.id,
            responsibility=responsibility_at_incident(auxiliary, self.incident_at),
        )

    # ---------------------------------------------------------------------------- outbox

    @property
    def messages(self) -> tuple[OutboundMessage, ...]:
        """Every notification queued through the outbox, in queueing order."""
        return tuple(self._messages.values())

    def message(self, message_id: UUID) -> OutboundMessage | None:
        """The queued notification with this id, or None."""
        return self._messages.get(message_id)

    def queue_notification(self, rec: Recording, cmd: commands.QueueNotification) -> None:
        """Queue a notification to the complainant for the delivery worker (Art. 17)."""
        # Not a handling step: the outbox is not ordered against the steps' dates.
        self._authorise(rec, "queue_notification", in_order=False)
        if not isinstance(cmd.message_id, UUID):
            raise UUID_REQUIRED.refuse("message_id")
        if cmd.message_id in self._messages:
            raise DuplicateRecordError(
                "a notification with this id was already queued", zh="这一告知消息已经排队"
            )
        channel = member(OutboundChannel, "channel", cmd.channel)
        contact = (
            self.complainant_address
            if channel is OutboundChannel.letter
            else self.complainant_phone
        )
        if not contact:
            raise NoContactForChannelError(
                f"the complainant left no {_CONTACT_NAMES[channel]} for a notification by "
                f"{channel.value}",
                zh=f"投诉人未留下{_CONTACT_NAMES_ZH[channel]}，不能以{channel.label_zh}告知",
            )
        self.trigger_event(
            self.NotificationQueued,
            **rec.fields(),
            message_id=cmd.message_id,
            channel=channel.value,
            text=free_text("text", cmd.text),
        )

    def _attempt(self, rec: Recording, command: str, message_id: object, attempt: object) -> None:
        """The checks every recorded attempt passes: the worker of the organ, a message
        still waiting, the next attempt's number."""
        require_role(
            rec.actor, (Role.system,), action="record a delivery attempt", article="Art. 17"
        )
        require_organ(rec.actor, self.organ)
        message = self._messages.get(message_id) if isinstance(message_id, UUID) else None
        if message is None:
            raise InvalidFieldError(
                "message_id",
                "names no notification queued on this complaint",
                zh="该投诉没有这一条待发的告知消息",
            )
        if message.status not in (MessageStatus.queued, MessageStatus.retrying):
            raise InvalidTransitionError(message.status.value, command)
        if isinstance(attempt, bool) or attempt != message.attempts + 1:
            raise InvalidFieldError(
                "attempt",
                f"must be {message.attempts + 1}, the next attempt",
                zh=f"须为{message.attempts + 1}，即下一次发送",
            )

    def record_delivery(self, rec: Recording, cmd: commands.RecordDelivery) -> None:
        """Record a delivery attempt's outcome, as the adapter said it (delivery worker)."""
        self._attempt(rec, "record_delivery", cmd.message_id, cmd.attempt)
        self.trigger_event(
            self.NotificationDelivered,
            **rec.fields(),
            message_id=cmd.message_id,
            attempt=cmd.attempt,
            adapter=identifier("adapter", cmd.adapter),
            outcome=member(DeliveryOutcome, "outcome", cmd.outcome).value,
            provider_reference=optional_short_text("provider_reference", cmd.provider_reference),
        )

    def record_delivery_failure(self, rec: Recording, cmd: commands.RecordDeliveryFailure) -> None:
        """Record a failed delivery attempt, with when to try again or None to give up."""
        self._attempt(rec, "record_delivery_failure", cmd.message_id, cmd.attempt)
        retry_at = None if cmd.retry_at is None else aware_instant("retry_at", cmd.retry_at)
        if retry_at is not None and retry_at <= rec.at:
            raise InvalidDateRangeError(
                "a retry is due after the failed attempt", zh="重试时间须晚于上次失败的发送"
            )
        self.trigger_event(
            self.NotificationFailed,
            **rec.fields(),
            message_id=cmd.message_id,
            attempt=cmd.attempt,
            adapter=identifier("adapter", cmd.adapter),
            reason=identifier("reason", cmd.reason),
            retry_at=retry_at,
        )


_CONTACT_NAMES = {
    OutboundChannel.sms: "telephone number",
    OutboundChannel.phone: "telephone number",
    OutboundChannel.letter: "address",
}
_CONTACT_NAMES_ZH = {
    OutboundChannel.sms: "电话号码",
    OutboundChannel.phone: "电话号码",
    OutboundChannel.letter: "地址",
}
