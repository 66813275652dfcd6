"""Commands on a complaint (Art. 17): its receipt and every step of its handling."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.values import (
    ComplaintChannel,
    DeliveryOutcome,
    FindingResult,
    NotificationMethod,
    OutboundChannel,
    ReviewOutcome,
)

if TYPE_CHECKING:
    from domain.auxiliary import Auxiliary
    from domain.complaint import Complaint
    from domain.events import Recording


@dataclass(frozen=True, kw_only=True)
class ComplaintIntake:
    """What every intake of a complaint gives, whatever the channel (Art. 17): the incident's
    time and place, the allegations, the complainant's contact (sealed in the event), the
    hash of the tracking code, and the ids the service makes when None."""

    incident_at: datetime
    incident_place: str
    allegations: Sequence[str]
    complainant_name: str | None = None
    complainant_phone: str | None = None
    complainant_resident_id: str | None = None
    complainant_address: str | None = None
    contact_text: str | None = None
    tracking_hash: str | None = None
    complaint_id: UUID | None = None
    complainant_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class ReceiveComplaint(ComplaintIntake):
    """Receive a complaint against an auxiliary (public intake or complaints office, Art. 17).

    ``complaint_id`` and ``complainant_id`` are made by the service when None (a complainant
    id given names a data subject whose key is already stored).
    """

    auxiliary_id: UUID
    channel: ComplaintChannel | str


# ------------------------------------------------------------------ intake from every channel


@dataclass(frozen=True, kw_only=True)
class TakeComplaint(ComplaintIntake):
    """Take a complaint at the complaints office, from any channel (Art. 17).

    ``channel`` says how it arrived; ``outside_reference`` is the number the outside system
    gave it (the 12389 or 110 ticket, the 信访 number, a referral's letter), ``referring_organ``
    the organ that referred it. The subject is either a named auxiliary (``auxiliary_id``) or
    unnamed: ``subject_description`` says what the complainant could tell of them, beside the
    incident's time and place, and a later ``MatchSubject`` names the auxiliary.
    ``tracking_hash`` is the hash of the tracking code the office gave the complainant (the
    code itself is never stored), as the public intake's.
    ``complaint_id`` and ``complainant_id`` are made by the service when None.
    """

    channel: ComplaintChannel | str
    outside_reference: str | None = None
    referring_organ: str | None = None
    auxiliary_id: UUID | None = None
    subject_description: str | None = None


@dataclass(frozen=True, kw_only=True)
class MatchSubject:
    """Name the auxiliary an unnamed complaint is about, found later (complaints office).

    The service loads the auxiliary; the complaint is then attributed to who answered for
    them on the incident date, as a named intake is.
    """

    auxiliary_id: UUID

    def run(self, complaint: Complaint, rec: Recording, auxiliary: Auxiliary) -> None:
        """Let the complaint decide (its event stays pending)."""
        complaint.match_subject(rec, self, auxiliary)


# ------------------------------------------------------------------ handling


@dataclass(frozen=True, kw_only=True)
class ComplaintCommand(ABC):
    """A command in the handling of a received complaint (complaints office)."""

    @abstractmethod
    def run(self, complaint: Complaint, rec: Recording) -> None:
        """Let the complaint decide (its events stay pending)."""


@dataclass(frozen=True, kw_only=True)
class Acknowledge(ComplaintCommand):
    """Acknowledge receipt (complaints office)."""

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.acknowledge(rec, self)


@dataclass(frozen=True, kw_only=True)
class Accept(ComplaintCommand):
    """Accept the complaint for investigation (complaints office)."""

    category: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.accept(rec, self)


@dataclass(frozen=True, kw_only=True)
class Decline(ComplaintCommand):
    """Decline the complaint (not accepted), giving the reason (complaints office)."""

    reason: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.decline(rec, self)


@dataclass(frozen=True, kw_only=True)
class Assign(ComplaintCommand):
    """Assign (or reassign) an investigator with a due date, which may be in the future."""

    investigator_id: str
    due: date

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.assign(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordFinding(ComplaintCommand):
    """Record the finding on one allegation (complaints office)."""

    allegation_number: int
    result: FindingResult | str
    reasoning: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.record_finding(rec, self)


@dataclass(frozen=True, kw_only=True)
class NotifyComplainant(ComplaintCommand):
    """Record that the complainant was told the result (Art. 17)."""

    method: NotificationMethod | str
    notified_on: date
    summary: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.notify_complainant(rec, self)


@dataclass(frozen=True, kw_only=True)
class Withdraw(ComplaintCommand):
    """Record the complainant's withdrawal, before they were told a result."""

    reason: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.withdraw(rec, self)


@dataclass(frozen=True, kw_only=True)
class Close(ComplaintCommand):
    """Close the complaint; only once the complainant was told the result or withdrew."""

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.close(rec, self)


@dataclass(frozen=True, kw_only=True)
class Reopen(ComplaintCommand):
    """Reopen a closed complaint; a new round of findings begins."""

    reason: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.reopen(rec, self)


@dataclass(frozen=True, kw_only=True)
class RequestReview(ComplaintCommand):
    """Ask for a review (复查) of the result the complainant was told (public or office)."""

    reasons: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.request_review(rec, self)


@dataclass(frozen=True, kw_only=True)
class DecideReview(ComplaintCommand):
    """Decide a review (复查): uphold or change the result, with reasons (inspectorate)."""

    outcome: ReviewOutcome | str
    reasons: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.decide_review(rec, self)


# ------------------------------------------------------------------ the outbox


@dataclass(frozen=True, kw_only=True)
class QueueNotification(ComplaintCommand):
    """Queue a notification to the complainant for the delivery worker (complaints office).

    ``message_id`` is made by the edge when the caller gives none (``uuid4``).
    """

    message_id: UUID
    channel: OutboundChannel | str
    text: str

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.queue_notification(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordDelivery(ComplaintCommand):
    """Record a delivery attempt's outcome, as the adapter reported it (delivery worker)."""

    message_id: UUID
    attempt: int
    adapter: str
    outcome: DeliveryOutcome | str
    provider_reference: str | None = None

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.record_delivery(rec, self)


@dataclass(frozen=True, kw_only=True)
class RecordDeliveryFailure(ComplaintCommand):
    """Record a failed delivery attempt: a reason code, and when to try again or None to
    give up (delivery worker)."""

    message_id: UUID
    attempt: int
    adapter: str
    reason: str
    retry_at: datetime | None

    def run(self, complaint: Complaint, rec: Recording) -> None:
        complaint.record_delivery_failure(rec, self)
