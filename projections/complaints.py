"""The complaints projection: the complaint registry and the findings per allegation (Art. 17).

Follows every ``Complaint`` event and keeps:

- ``rm_complaint``: one row per complaint with the auxiliary and the organ, unit and
  supervisor it was attributed to (as recorded at receipt: who answered on the incident
  date; for a complaint taken without a name, no auxiliary, unit or supervisor and the
  taking office's organ until it is matched, ``matched_on``), its channel, the outside
  system's reference number, the referring organ and who took it (``taken_by``), its
  status, the dates each stage was reached, the investigator's due date (the current round's:
  cleared by a reopening until an investigator is assigned again), the round of
  investigation, how often it was reopened, the days from receipt to closure, and the
  current round's review (复查): the day it was asked for, its due date and the day it was
  decided (``review_requested_on``, ``review_due``, ``review_decided_on``); and what an
  officer needs to match a complaint taken without a name: the incident's place and the
  subject's description (``incident_place``, ``subject_description``: the auxiliary as the
  complainant described them, stored in clear, not personal data by docs/privacy.md);
- ``rm_finding``: every finding ever recorded, one row per ``FindingRecorded`` event, with its
  round and the complaint's auxiliary and attribution (copied: a finding needs a named
  auxiliary, and the attribution never changes once the complaint names one); ``latest``
  marks the finding in force for each allegation (the last recorded), and ``sustained`` a
  result of sustained or partly sustained;
- ``rm_complaints_rule_flags``: events judged under a rule set that does not cover them.

Invariants kept here:

- Status follows ``Complaint``'s transitions exactly, including reopening (which returns to
  the furthest stage reached before and starts a new round) and conclusion (every allegation
  has a finding in the current round).
- ``notified_on`` is the date the complainant was told (the notification's own date), and is
  cleared by a reopening, as the aggregate's ``notified_on`` is.
- The review columns are the aggregate's ``review`` (this round's): set by
  ``ReviewRequested`` and ``ReviewDecided``, cleared by a reopening (a new round has no
  review yet; a reopening is refused while a review is pending).
- No personal data: the complainant's name, telephone, resident ID number, address and
  contact text are never read; nor are allegation texts, reasons or summaries copied (the
  subject's description is of the auxiliary, not of the complainant).
"""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from domain.complaint import Complaint
from domain.events import LedgerEvent
from domain.values import (
    SUSTAINING_RESULTS,
    ComplaintStatus,
    Responsibility,
    china_date,
)
from projections.base import ReadModelProjection, handles, rule_flags_table
from projections.state import Row, State
from projections.tables import Column, Table

__all__ = ["ComplaintsProjection"]

S = ComplaintStatus
SUSTAINED = frozenset(result.value for result in SUSTAINING_RESULTS)
"""Results that count as sustained (early warning, Art. 18)."""


ATTRIBUTION = ("organ", "unit", "supervisor_id", "supervisor_name")
"""The columns saying who a complaint is attributed to (copied onto its findings)."""


def _attribution(responsibility: Responsibility | None, organ: str) -> Row:
    """The attribution columns: who answered (Art. 10), or only ``organ`` when nobody is named."""
    if responsibility is None:
        return {"organ": organ, "unit": None, "supervisor_id": None, "supervisor_name": None}
    return {
        "organ": responsibility.organ,
        "unit": responsibility.unit,
        "supervisor_id": responsibility.supervisor_id,
        "supervisor_name": responsibility.supervisor_name,
    }


def _c(name: str, kind: str, nullable: bool = True) -> Column:
    return Column(name, kind, nullable)


COMPLAINT = Table(
    "rm_complaint",
    (
        _c("complaint_id", "uuid", False),
        _c("auxiliary_id", "uuid"),
        _c("organ", "text", False),
        _c("unit", "text"),
        _c("supervisor_id", "text"),
        _c("supervisor_name", "text"),
        _c("channel", "text", False),
        _c("incident_on", "date", False),
        _c("received_on", "date", False),
        _c("allegations", "int", False),
        _c("status", "text", False),
        _c("acknowledged_on", "date"),
        _c("accepted_on", "date"),
        _c("category", "text"),
        _c("declined_on", "date"),
        _c("investigator_id", "text"),
        _c("due", "date"),
        _c("round_no", "int", False),
        _c("concluded_on", "date"),
        _c("notified_on", "date"),
        _c("closed_on", "date"),
        _c("days_to_close", "int"),
        _c("withdrawn_on", "date"),
        _c("reopened_on", "date"),
        _c("reopened", "int", False),
        _c("version", "int", False),
        # Complaints from every channel: None for receipts recorded before them.
        _c("outside_reference", "text"),
        _c("referring_organ", "text"),
        _c("taken_by", "text"),
        _c("matched_on", "date"),
        # This round's review (复查): None before it is asked for, and for a new round.
        _c("review_requested_on", "date"),
        _c("review_due", "date"),
        _c("review_decided_on", "date"),
        # What matching an unnamed complaint needs: where, and who the complainant described.
        _c("incident_place", "text"),
        _c("subject_description", "text"),
    ),
    key=("complaint_id",),
    mode="owned",
    owner="complaint_id",
    indexes=(
        ("organ", "received_on"),
        ("auxiliary_id", "received_on"),
        ("status", "received_on"),
        ("received_on",),
        ("closed_on",),
    ),
)
FINDING = Table(
    "rm_finding",
    (
        _c("complaint_id", "uuid", False),
        _c("originator_version", "int", False),
        _c("auxiliary_id", "uuid", False),
        _c("organ", "text", False),
        _c("unit", "text", False),
        _c("supervisor_id", "text"),
        _c("supervisor_name", "text"),
        _c("allegation_number", "int", False),
        _c("round_no", "int", False),
        _c("result", "text", False),
        _c("sustained", "bool", False),
        _c("effective", "date", False),
        _c("latest", "bool", False),
    ),
    key=("complaint_id", "originator_version"),
    mode="owned",
    owner="complaint_id",
    indexes=(
        ("latest", "sustained", "effective"),
        ("latest", "effective"),
        ("auxiliary_id", "effective"),
    ),
)
COMPLAINT_FLAGS = rule_flags_table("rm_complaints_rule_flags")

_NO_REVIEW: Row = {"review_requested_on": None, "review_due": None, "review_decided_on": None}
"""The review columns of a round no review was asked for in."""


class ComplaintsProjection(ReadModelProjection):
    """Complaints and findings."""

    name = "complaints"
    aggregates = (Complaint,)
    tables: ClassVar[tuple[Table, ...]] = (COMPLAINT, FINDING)
    flags = COMPLAINT_FLAGS
    owned_by: ClassVar[dict[type[Aggregate], tuple[str, ...]]] = {
        Complaint: (COMPLAINT.name, FINDING.name),
    }

    def organ_of(self, state: State, event: LedgerEvent) -> str | None:
        """The organ the complaint was attributed to."""
        row = state.get(COMPLAINT, (event.originator_id,))
        return row["organ"] if row is not None else event.actor.organ

    def _row(self, state: State, e: Complaint.Event, status: ComplaintStatus | None = None) -> Row:
        row = self.require(state.get(COMPLAINT, (e.originator_id,)), "complaint", e.originator_id)
        row["version"] = e.originator_version
        if status is not None:
            row["status"] = status.value
        return row

    def _stage(
        self, state: State, e: Complaint.Event, status: ComplaintStatus, **changes: Any
    ) -> None:
        """Move the complaint to ``status`` and set the columns that stage records."""
        row = self._row(state, e, status)
        row.update(changes)
        state.put(COMPLAINT, row)

    @handles(Complaint.Received)
    def _received(self, state: State, e: Complaint.Received, position: int) -> None:
        state.put(
            COMPLAINT,
            {
                "complaint_id": e.originator_id,
                "auxiliary_id": e.auxiliary_id,
                **_attribution(e.responsibility, e.actor.organ),
                "channel": e.channel,
                "incident_on": china_date(e.incident_at),
                "received_on": e.effective,
                "allegations": len(e.allegations),
                "status": S.received.value,
                "acknowledged_on": None,
                "accepted_on": None,
                "category": None,
                "declined_on": None,
                "investigator_id": None,
                "due": None,
                "round_no": 1,
                "concluded_on": None,
                "notified_on": None,
                "closed_on": None,
                "days_to_close": None,
                "withdrawn_on": None,
                "reopened_on": None,
                "reopened": 0,
                "version": e.originator_version,
                "outside_reference": e.outside_reference,
                "referring_organ": e.referring_organ,
                "taken_by": e.actor.actor_id,
                "matched_on": None,
                **_NO_REVIEW,
                "incident_place": e.incident_place,
                "subject_description": e.subject_description,
            },
        )

    @handles(Complaint.SubjectMatched)
    def _matched(self, state: State, e: Complaint.SubjectMatched, position: int) -> None:
        row = self._row(state, e)
        row["auxiliary_id"] = e.auxiliary_id
        row.update(_attribution(e.responsibility, e.actor.organ))
        row["matched_on"] = e.effective
        state.put(COMPLAINT, row)

    @handles(Complaint.Acknowledged)
    def _acknowledged(self, state: State, e: Complaint.Acknowledged, position: int) -> None:
        self._stage(state, e, S.acknowledged, acknowledged_on=e.effective)

    @handles(Complaint.Accepted)
    def _accepted(self, state: State, e: Complaint.Accepted, position: int) -> None:
        self._stage(state, e, S.accepted, accepted_on=e.effective, category=e.category)

    @handles(Complaint.Declined)
    def _declined(self, state: State, e: Complaint.Declined, position: int) -> None:
        self._stage(state, e, S.not_accepted, declined_on=e.effective)

    @handles(Complaint.InvestigatorAssigned)
    def _assigned(self, state: State, e: Complaint.InvestigatorAssigned, position: int) -> None:
        self._stage(state, e, S.under_investigation, investigator_id=e.investigator_id, due=e.due)

    @handles(Complaint.FindingRecorded)
    def _finding(self, state: State, e: Complaint.FindingRecorded, position: int) -> None:
        row = self._row(state, e)
        decided: set[int] = set()
        for finding in state.rows_of(FINDING, e.originator_id):
            if finding["allegation_number"] == e.allegation_number and finding["latest"]:
                finding["latest"] = False
                state.put(FINDING, finding)
            if finding["round_no"] == row["round_no"]:
                decided.add(finding["allegation_number"])
        state.put(
            FINDING,
            {
                "complaint_id": e.originator_id,
                "originator_version": e.originator_version,
                "auxiliary_id": row["auxiliary_id"],
                **{column: row[column] for column in ATTRIBUTION},
                "allegation_number": e.allegation_number,
                "round_no": row["round_no"],
                "result": e.result,
                "sustained": e.result in SUSTAINED,
                "effective": e.effective,
                "latest": True,
            },
        )
        decided.add(e.allegation_number)
        if len(decided) == row["allegations"]:
            row["status"] = S.concluded.value
            row["concluded_on"] = e.effective
        state.put(COMPLAINT, row)

    @handles(Complaint.ComplainantNotified)
    def _notified(self, state: State, e: Complaint.ComplainantNotified, position: int) -> None:
        self._stage(state, e, S.complainant_notified, notified_on=e.notified_on)

    @handles(Complaint.Withdrawn)
    def _withdrawn(self, state: State, e: Complaint.Withdrawn, position: int) -> None:
        self._stage(state, e, S.withdrawn, withdrawn_on=e.effective)

    @handles(Complaint.Closed)
    def _closed(self, state: State, e: Complaint.Closed, position: int) -> None:
        row = self._row(state, e, S.closed)
        row["closed_on"] = e.effective
        row["days_to_close"] = (e.effective - row["received_on"]).days
        state.put(COMPLAINT, row)

    @handles(Complaint.Reopened)
    def _reopened(self, state: State, e: Complaint.Reopened, position: int) -> None:
        row = self._row(state, e)
        row["round_no"] += 1
        row["reopened"] += 1
        row["reopened_on"] = e.effective
        row["due"] = None  # the investigator's date is a round's own (``Complaint.round_due``)
        row["notified_on"] = None
        row["concluded_on"] = None
        row["closed_on"] = None
        row["days_to_close"] = None
        row["withdrawn_on"] = None
        row.update(_NO_REVIEW)
        if row["accepted_on"] is not None:
            status = S.under_investigation if row["investigator_id"] is not None else S.accepted
        elif row["acknowledged_on"] is not None:
            status = S.acknowledged
        else:
            status = S.received
        row["status"] = status.value
        state.put(COMPLAINT, row)

    @handles(Complaint.ReviewRequested)
    def _review_requested(self, state: State, e: Complaint.ReviewRequested, position: int) -> None:
        row = self._row(state, e)
        row.update(review_requested_on=e.effective, review_due=e.due, review_decided_on=None)
        state.put(COMPLAINT, row)

    @handles(Complaint.ReviewDecided)
    def _review_decided(self, state: State, e: Complaint.ReviewDecided, position: int) -> None:
        row = self._row(state, e)
        row["review_decided_on"] = e.effective
        state.put(COMPLAINT, row)
