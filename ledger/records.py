"""The personnel-records service: one application command per fact the regulation names.

``AuxLedger`` is the ledger application with the domain's commands. A caller sends a command
object (``domain.commands``) and an ``Envelope`` (actor, effective date, basis, expected
version) to a typed method: ``command_organ``, ``command_auxiliary``, ``command_complaint``
for an existing record (the command runs its own aggregate method), ``register_organ``,
``hire``, ``receive_complaint``, ``take_complaint``, ``record_misconduct`` and the rest for
the others. Each loads the aggregates it needs (checked on read), builds the ``Recording``
once, lets the domain decide, and saves every changed aggregate in one signed, chained,
logged transaction; it returns ``Recorded`` (the new event's originator id, version, record
hash and log position) for receipts and ``ETag``s.

Invariants:
- A refused command (domain error, unknown id, version conflict) stores nothing.
- ``expected_version`` gives optimistic concurrency: a command against a record that moved
  on raises ``ConcurrencyConflictError`` before the domain is asked.
- A hire takes a quota slot on the organ in the same transaction; a separation gives it
  back; two hires racing for the last slot cannot both commit (the organ's version).
- A credential issue claims its serial for the whole ledger (``CredentialSerial``) in the same
  transaction; a serial claimed before -- by any organ, even if since returned or revoked --
  is refused (``SerialAlreadyIssuedError``), and two issues racing for one serial cannot both
  commit (the claim's version 1). A serial issued before claims existed (a legacy
  ``CredentialIssued`` with no claim) is found in the event store itself and refused alike.
- A hire is refused (``PriorRecordElsewhereError``) when the same person (the blind index of
  the resident ID number) left an auxiliary post for cause anywhere in the ledger, unless the
  command carries an override reason, kept in ``Auxiliary.PriorRecordOverridden`` in the same
  save. The lookup is one read of the person's ``PriorRecordMarker`` (written with every
  separation for cause, with an appeal decision that makes a separation one for cause, and
  with a correction of such a record's resident ID number) and a
  checked read of each record it names; an erased record no longer counts. The domain
  authorises the hire before the lookup, so no one else learns whether a record exists.
  Separations stored without a marker (before markers existed) are noted once by an
  administrator's ``backfill_prior_records``, which is idempotent.
- A hire is refused (``AlreadyEmployedError``, Art. 5, 8; no override) while another record of
  the same person (the same blind index) is not separated: one person holds one post and one
  quota slot. So is a correction of a not separated record's resident ID number to the number
  of another record not separated (the record itself does not count; a separated record's
  correction is not refused on this ground). The lookup is one read of the person's
  ``HireMarker`` (every hire notes itself in it in the same save, and a correction of the
  resident ID number notes the record under the new number) and a checked read of each
  record it names; an erased record, or one whose number was since corrected to another, does
  not count. Two hires of one person, or a hire and a correction to the person's number,
  racing cannot both commit (the marker's next version), unless the correction is back to a
  number the record had before: its marker names the record already and is not written.
  Records hired before hire markers existed are not in any marker and are not found.
- An erasure is refused (``LegalHoldError``) while a complaint about or by the person is open,
  a sanction of theirs is open or under appeal, or an explicit hold stands; it saves
  ``LegalHolds.ErasureCleared`` with the erasure, so a hold placed meanwhile and the erasure
  cannot both commit.
- The recording instant comes from the service's clock (UTC now); only the demo loader
  replaces the clock, to lay down a synthetic history.
- ``policy`` is the base policy judged by the rule sets loaded into the ledger (``Rules``),
  with the parts of the one in force today; a decision is judged by the rule set in force on
  its effective date (``recording``). With no rule set loaded it is the base policy. A load
  in this process is seen at once, one in another process within
  ``RULES_RECHECK_SECONDS`` (one primary-key read of the rules record's newest version).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast, overload
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording as StoreRecording
from eventsourcing.utils import get_topic

from domain.auxiliary import Auxiliary, CredentialSerial
from domain.commands.auxiliary import AuxiliaryCommand, Correct, Hire
from domain.commands.complaint import (
    ComplaintCommand,
    ComplaintIntake,
    MatchSubject,
    ReceiveComplaint,
    TakeComplaint,
)
from domain.commands.holds import LegalHoldCommand
from domain.commands.misconduct import AmendDecision, RecordMisconduct
from domain.commands.organ import OrganCommand, RegisterOrgan, SetParent
from domain.commands.pay import RecordAverageWage, SetPaySchedule
from domain.commands.rules import LoadRuleSet
from domain.complaint import Complaint
from domain.errors import (
    AlreadyEmployedError,
    DuplicateRecordError,
    InvalidFieldError,
    NotAuthorisedError,
    OutsideScopeError,
    PriorRecordElsewhereError,
    SerialAlreadyIssuedError,
    UnknownOrganError,
    UnknownUnitError,
)
from domain.events import Recording, recording
from domain.holds import HireMarker, LegalHolds, PriorRecordMarker, separated_for_cause
from domain.misconduct import MisconductFinding
from domain.organ import Organ, UnitCode
from domain.pay import LocalAverageWage, PaySchedule
from domain.policy import Policy, RuleSet
from domain.rules import Rules
from domain.values import (
    SUSTAINING_RESULTS,
    Actor,
    Allegation,
    AppealStatus,
    AuxiliaryStatus,
    ComplaintStatus,
    Responsibility,
    Role,
    SanctionKind,
    SanctionStatus,
    china_date,
)
from ledger.aggregate_cache import empty_aggregate_cache
from ledger.application import LedgerApplication
from ledger.config import Settings
from ledger.errors import ConcurrencyConflictError, NotFoundError
from ledger.persistence import SubjectKeyMissingError
from ledger.privacy import (
    ERASED,
    SEALED,
    ErasureError,
    ErasureRecord,
    LegalHoldError,
    PersonalDataError,
)
from ledger.stream import read_checked

A = TypeVar("A", bound=Aggregate)

Clock = Callable[[], datetime]
ISSUED_TOPIC = get_topic(Auxiliary.CredentialIssued)
ISSUED_BATCH = 500
ERASURE_RECHECK_SECONDS = 2.0
RECEIVED_TOPIC = get_topic(Complaint.Received)
SUBJECT_MATCHED_TOPIC = get_topic(Complaint.SubjectMatched)
RESIDENT_ID_KIND = "resident_id"
"""The blind-index kind of resident ID numbers (the identity projection's, too)."""
SEPARATION_TOPICS = (get_topic(Auxiliary.Separated), get_topic(Auxiliary.ReturnedToAgency))
"""The topics of every stored separation (the prior-record backfill reads them)."""
HIRE_TOPICS = (get_topic(Auxiliary.Hired),)
"""The topic of every stored hire (the hire-marker backfill reads it)."""
CLOSED_COMPLAINT = frozenset({ComplaintStatus.closed, ComplaintStatus.withdrawn})
RULES_RECHECK_SECONDS = 2.0


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(tz=UTC)


@dataclass(frozen=True)
class Recorded:
    """The last event a command stored: what receipts, ETags and responses quote."""

    originator_id: UUID
    originator_version: int
    hash: str
    topic: str
    notification_id: int | None
    recorded_at: datetime
    record: bytes = b""

    @property
    def leaf_hash(self) -> str:
        """Hex SHA-256(0x00 || record): the Merkle leaf hash of the event."""
        return hashlib.sha256(b"\x00" + self.record).hexdigest() if self.record else ""

    @property
    def signature(self) -> bytes:
        """The record's Ed25519 signature (its last 64 bytes)."""
        return self.record[-64:] if self.record else b""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "originator_id": str(self.originator_id),
            "originator_version": self.originator_version,
            "hash": self.hash,
            "topic": self.topic,
        }


@dataclass(frozen=True)
class Envelope:
    """Who sends a command and the attribution they chose, beside the command object.

    ``effective`` is today (China Standard Time) when omitted; ``expected_version`` makes the
    command conditional on the record's version (``If-Match``).
    """

    actor: Actor
    effective: date | None = None
    basis: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class MarkerBackfill:
    """What ``backfill_prior_records`` did: separations read and prior-record markers
    written or noted; hires read and hire markers written or noted."""

    scanned: int
    written: int
    hires_scanned: int = 0
    hires_written: int = 0


class _Batch(threading.local):
    """The thread's open batch: the aggregates its commands loaded or changed (or None)."""

    session: dict[UUID, Aggregate] | None = None


class AuxLedger(LedgerApplication):
    """The ledger application with the personnel-records commands."""

    value_object_transcodings = (
        (Actor, "actor"),
        (Allegation, "allegation"),
        (Responsibility, "responsibility"),
    )

    def __init__(
        self,
        settings: Settings,
        *,
        create_tables: bool = False,
        policy: Policy | None = None,
        clock: Clock = utc_now,
        personal_data: bool = True,
        open_only: Collection[type] | None = None,
    ) -> None:
        """``personal_data=False`` for auditors' tools that never open personal fields;
        ``open_only`` for a process that needs only some events' personal fields (the
        projection workers): every other event's personal fields read as ``SEALED``."""
        super().__init__(settings, create_tables=create_tables)
        if open_only is not None:
            self.record_mapper.open_only = frozenset(open_only)
        self.base_policy = policy or Policy.default()
        self.clock = clock
        self._rules_version = 0
        self._rules_checked = -RULES_RECHECK_SECONDS
        self._rule_sets: tuple[RuleSet, ...] = ()
        self._policy_cache: tuple[int, date, Policy] | None = None
        self._local = _Batch()
        self._erasures_seen: int | None = None
        self._erasures_checked = 0.0
        self._issued_lock = threading.Lock()
        self._issued_after = 0
        self._issued_serials: dict[tuple[str, str], str] = {}
        self._received_lock = threading.Lock()
        self._received_after = 0
        self._complaints_of: dict[UUID, set[UUID]] = {}
        if personal_data and not create_tables:
            if settings.master_key is None:
                # master.key lives in the key folder: a missing or unusable folder is named
                # as such (run `auxledger init`), not as a missing master key.
                self.key_dir.check()
            self.privacy.check()

    # ------------------------------------------------------------------ batches

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run several commands as one transaction: all of them are stored, or none.

        Commands inside the block see each other's pending changes (aggregates are kept in
        a per-thread session); the session is saved in one signed, logged transaction when
        the block ends without error. Their ``Recorded`` results carry no hash yet.
        """
        if self._local.session is not None:
            msg = "batches do not nest"
            raise RuntimeError(msg)
        session: dict[UUID, Aggregate] = {}
        self._local.session = session
        try:
            yield
            pending = [a for a in session.values() if a.pending_events]
            if pending:
                self.save(*pending)
                if any(isinstance(a, Rules) for a in pending):
                    self._refresh_rules(force=True)
        finally:
            self._local.session = None

    def _session(self) -> dict[UUID, Aggregate] | None:
        return self._local.session

    # ------------------------------------------------------------------ plumbing

    def load(
        self,
        cls: type[A],
        aggregate_id: UUID,
        *,
        expected_version: int | None = None,
        copy: bool = True,
    ) -> A:
        """Load an aggregate of the given class (checked), or raise NotFoundError.

        ``copy=False`` skips the defensive copy of a cached aggregate: only for reads that
        never change it.
        """
        self._check_erasures()
        session = self._session()
        try:
            if session is not None and aggregate_id in session:
                aggregate: Aggregate = session[aggregate_id]
            else:
                aggregate = self.repository.get(aggregate_id, deepcopy_from_cache=copy)
                if session is not None:
                    session[aggregate_id] = aggregate
        except AggregateNotFoundError:
            raise NotFoundError(f"no {cls.__name__.lower()} with id {aggregate_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(f"no {cls.__name__.lower()} with id {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflictError(
                f"{cls.__name__.lower()} {aggregate_id} is at version {aggregate.version}, "
                f"not the expected {expected_version}"
            )
        return aggregate

    def _check_erasures(self) -> None:
        """Drop cached aggregates and data keys when any process erased someone.

        Aggregates in the repository cache hold opened personal fields; after an erasure in
        another process they must not be served again. Checked at most every
        ``ERASURE_RECHECK_SECONDS`` (one primary-key read of the log head).
        """
        now = time.monotonic()
        if now - self._erasures_checked < ERASURE_RECHECK_SECONDS:
            return
        self._erasures_checked = now
        count = self.ledger_recorder.erasure_count()
        if self._erasures_seen is not None and count != self._erasures_seen:
            self._clear_aggregate_cache()
            self.privacy.forget()
        self._erasures_seen = count

    def _clear_aggregate_cache(self) -> None:
        empty_aggregate_cache(self.repository)

    def exists(self, aggregate_id: UUID) -> bool:
        """True if an aggregate with this id has been recorded (or is pending in a batch)."""
        session = self._session()
        if session is not None and aggregate_id in session:
            return True
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def recording(self, env: Envelope) -> Recording:
        """The command's checked attribution, built once: recorded now (the service's clock),
        effective on the given date or today in China Standard Time, judged under the
        service's policy."""
        at = self.clock()
        return recording(
            actor=env.actor,
            at=at,
            effective=env.effective if env.effective is not None else china_date(at),
            basis=env.basis,
            policy=self.policy,
        )

    def _commit(
        self, primary: Aggregate, *others: Aggregate, new_subjects: Sequence[UUID] = ()
    ) -> Recorded:
        """Save (or, in a session, stage) the aggregates; ``new_subjects`` are data subjects
        whose ids were just made here, so no stored key is looked for."""
        session = self._session()
        if session is not None:
            for aggregate in (primary, *others):
                session[aggregate.id] = aggregate
            return Recorded(
                originator_id=primary.id,
                originator_version=primary.version,
                hash="",
                topic="",
                notification_id=None,
                recorded_at=primary.modified_on,
            )
        recordings = self.save(primary, *others, new_subjects=new_subjects)
        return _recorded(recordings, primary.id)

    def record_hash(self, originator_id: UUID, version: int) -> str:
        """The hex SHA-256 of a stored record (checked on read)."""
        rows = self.recorder.select_events(originator_id, lte=version, desc=True, limit=1)
        if not rows or rows[0].originator_version != version:
            raise NotFoundError(f"no event {originator_id} version {version}")
        record = self.record_mapper.verifier.check(rows[0])  # type: ignore[union-attr]
        return record.hash.hex()

    # ------------------------------------------------------------------ rules

    @property
    def policy(self) -> Policy:
        """The base policy judged by the loaded rule sets, with the parts of the rule set in
        force today (China Standard Time, by the service's clock)."""
        self._refresh_rules()
        today = china_date(self.clock())
        cached = self._policy_cache
        if cached is not None and cached[:2] == (self._rules_version, today):
            return cached[2]
        policy = self.base_policy.with_rule_sets(self._rule_sets).in_force(today)
        self._policy_cache = (self._rules_version, today, policy)
        return policy

    def rules(self) -> Rules | None:
        """The ledger's rules record (checked on read), or None while no rule set is loaded."""
        if not self.exists(Rules.ID):
            return None
        return self.load(Rules, Rules.ID, copy=False)

    def _refresh_rules(self, *, force: bool = False) -> None:
        """Pick up rule sets loaded since this process last looked (at most every
        ``RULES_RECHECK_SECONDS`` unless forced)."""
        now = time.monotonic()
        if not force and now - self._rules_checked < RULES_RECHECK_SECONDS:
            return
        self._rules_checked = now
        newer = self.recorder.select_events(Rules.ID, gt=self._rules_version or None, limit=1)
        if not newer:
            return
        rules: Aggregate = self.repository.get(Rules.ID)
        assert isinstance(rules, Rules)
        self._rule_sets = rules.rule_sets()
        self._rules_version = rules.version

    def load_rule_sets(self, cmds: Sequence[LoadRuleSet], env: Envelope) -> Recorded:
        """Load rule sets (admin, Art. 20) in one transaction: all of them, or none.

        Each is checked against the rule sets loaded before and the ones before it in
        ``cmds``; the policy of this process follows at once (inside ``batch``, once the
        batch is saved: its other commands are judged by the rules loaded before it)."""
        if not cmds:
            raise ValueError("no rule set to load")
        existing: Rules | None = None
        if self.exists(Rules.ID):
            existing = self.load(Rules, Rules.ID, expected_version=env.expected_version)
        rec = self.recording(env)
        rules = existing or Rules.open(rec)
        for cmd in cmds:
            rules.load(rec, cmd)
        recorded = self._commit(rules)
        self._refresh_rules(force=True)
        return recorded

    # ------------------------------------------------------------------ organs

    def register_organ(self, cmd: RegisterOrgan, env: Envelope) -> Recorded:
        """Register a public security organ (Art. 4)."""
        organ = Organ.register(self.recording(env), cmd)
        if self.exists(organ.id):
            raise ConcurrencyConflictError(f"organ {cmd.code} is already registered")
        return self._commit(organ)

    def organ(self, code: str) -> Organ:
        """The organ with this code."""
        return self.load(Organ, Organ.id_for(code))

    def command_organ(self, organ_code: str, cmd: OrganCommand, env: Envelope) -> Recorded:
        """A command on a registered organ: a unit, the quota or its adjustment (Art. 5, 10)."""
        organ = self.load(Organ, Organ.id_for(organ_code), expected_version=env.expected_version)
        rec = self.recording(env)
        cmd.run(organ, rec)
        if not cmd.claims_unit_code:
            return self._commit(organ)
        # One code, one unit in the whole ledger: a second claim would be a second version 1
        # of the code's claim (refused by the store even when two organs race).
        registered = organ.pending_events[-1]
        assert isinstance(registered, Organ.UnitRegistered)
        code = registered.unit_code
        claim_id = UnitCode.id_for(code)
        if self.exists(claim_id):
            held = self.load(UnitCode, claim_id)
            raise DuplicateRecordError(
                f"unit code {code} is registered with organ {held.organ}",
                zh=f"该用辅部门代码已由机关 {held.organ} 登记：一个代码在全账本中只对应一个部门",
            )
        return self._commit(organ, UnitCode.claim(rec, organ=organ, code=code))

    # ------------------------------------------------------------------ the organ tree

    def set_organ_parent(self, organ_code: str, cmd: SetParent, env: Envelope) -> Recorded:
        """Place an organ under its parent organ (issue 13): the parent must be registered,
        and its chain upwards (read here, every organ checked on read) must not pass through
        the organ (``OrganCycleError``)."""
        organ = self.load(Organ, Organ.id_for(organ_code), expected_version=env.expected_version)
        rec = self.recording(env)
        ancestry: list[str] = []
        code: str | None = cmd.parent
        while code is not None and code not in ancestry:
            if not self.exists(Organ.id_for(code)):
                raise UnknownOrganError(
                    f"no organ {code} is registered with the ledger",
                    zh=f"机关 {code} 尚未在账本中登记",
                )
            ancestry.append(code)
            if code == organ_code:
                break  # the cycle is the organ's to name
            code = self.load(Organ, Organ.id_for(code), copy=False).parent
        organ.set_parent(rec, cmd, ancestry=ancestry)
        return self._commit(organ)

    # ------------------------------------------------------------------ auxiliaries

    def hire(self, organ_code: str, cmd: Hire, env: Envelope) -> Recorded:
        """Hire an auxiliary within the organ's quota (Art. 5, 8, 9)."""
        organ = self.load(Organ, Organ.id_for(organ_code))
        new_id = cmd.auxiliary_id or uuid4()
        if cmd.auxiliary_id is not None and self.exists(new_id):
            raise ConcurrencyConflictError(f"an auxiliary with id {new_id} already exists")
        rec = self.recording(env)
        auxiliary = Auxiliary.hire(rec, cmd, id=new_id, organ=organ)
        # Asked only once the domain has authorised the hire: no one else learns of a record.
        self._refuse_if_employed(auxiliary)
        warned = sorted({code for _, code in self.prior_records(auxiliary.resident_id)})
        if warned:
            if cmd.override_reason is None:
                raise PriorRecordElsewhereError(
                    (code, self.load(Organ, Organ.id_for(code), copy=False).name) for code in warned
                )
            auxiliary.override_prior_records(rec, organs=warned, reason=cmd.override_reason)
        organ.take_slot(rec, auxiliary_id=new_id)
        hires = self._note_hire(auxiliary, rec)
        return self._commit(auxiliary, organ, *([hires] if hires is not None else []))

    def employed_records(self, resident_id: str) -> list[tuple[UUID, str]]:
        """(record id, current organ code) of every record of the person with this resident ID
        number that is not separated, in the whole ledger (checked reads; erased records and
        records hired before hire markers existed do not count)."""
        return self._marked(
            HireMarker, resident_id, lambda other: other.status is not AuxiliaryStatus.separated
        )

    def _refuse_if_employed(self, auxiliary: Auxiliary) -> None:
        """Raise ``AlreadyEmployedError``, naming only the organs, if a record of the person
        with the auxiliary's (new) resident ID number other than the auxiliary's own is not
        separated; for a hire, and for a correction of the number once the domain allowed it.
        The record itself never counts: corrected back to a number it once had, it is in that
        number's marker, and in a batch the record read back already carries the number."""
        employed = sorted(
            {
                code
                for other, code in self.employed_records(auxiliary.resident_id)
                if other != auxiliary.id
            }
        )
        if employed:
            raise AlreadyEmployedError(
                (code, self.load(Organ, Organ.id_for(code), copy=False).name) for code in employed
            )

    def _note_hire(self, auxiliary: Auxiliary, rec: Recording) -> HireMarker | None:
        """The person's hire marker with this record noted (saved with the hire or the
        correction of the number); None if it was noted already or the number is erased."""
        return self._noted(HireMarker, auxiliary, rec, what="a hire")

    def prior_records(self, resident_id: str) -> list[tuple[UUID, str]]:
        """(record id, organ code) of every separation for cause of the person with this
        resident ID number, in the whole ledger (checked reads; erased records do not count)."""
        return self._marked(PriorRecordMarker, resident_id, separated_for_cause)

    def _marked(
        self,
        kind: type[HireMarker] | type[PriorRecordMarker],
        resident_id: str,
        counts: Callable[[Auxiliary], bool],
    ) -> list[tuple[UUID, str]]:
        """(record id, organ code) of the records the person's marker of ``kind`` names that
        still carry this person's number and that ``counts`` (checked reads)."""
        index = self.privacy.blind_index(RESIDENT_ID_KIND, resident_id)
        marker_id = kind.id_for(index)
        if not self.exists(marker_id):
            return []
        marker = self.load(kind, marker_id, copy=False)
        found: list[tuple[UUID, str]] = []
        for auxiliary_id in marker.records:
            other = self.load(Auxiliary, auxiliary_id, copy=False)
            number = other.resident_id
            if number == ERASED or not counts(other):
                continue
            # A number since corrected names another person's marker; sealed: count it.
            if number == SEALED or self.privacy.blind_index(RESIDENT_ID_KIND, number) == index:
                found.append((auxiliary_id, other.organ))
        return found

    def _note_prior_record(self, auxiliary: Auxiliary, rec: Recording) -> PriorRecordMarker | None:
        """The person's marker with this record noted, if it was separated for cause (the
        marker is saved with the separation or correction); None otherwise."""
        if not separated_for_cause(auxiliary):
            return None
        return self._noted(PriorRecordMarker, auxiliary, rec, what="a separation for cause")

    @overload
    def _noted(
        self, kind: type[HireMarker], auxiliary: Auxiliary, rec: Recording, *, what: str
    ) -> HireMarker | None: ...

    @overload
    def _noted(
        self, kind: type[PriorRecordMarker], auxiliary: Auxiliary, rec: Recording, *, what: str
    ) -> PriorRecordMarker | None: ...

    def _noted(
        self,
        kind: type[HireMarker] | type[PriorRecordMarker],
        auxiliary: Auxiliary,
        rec: Recording,
        *,
        what: str,
    ) -> HireMarker | PriorRecordMarker | None:
        """The person's marker of ``kind`` with this record noted, to be saved with the
        command; None if it was noted already or the number is erased. ``what`` names the
        command in the error when the number is sealed in this process."""
        if auxiliary.resident_id == ERASED:
            return None
        if auxiliary.resident_id == SEALED:
            raise PersonalDataError(
                f"{what} needs the resident ID number's blind index, but the number is sealed "
                "in this process"
            )
        index = self.privacy.blind_index(RESIDENT_ID_KIND, auxiliary.resident_id)
        marker_id = kind.id_for(index)
        if not self.exists(marker_id):
            return kind.open(rec, resident_index=index, auxiliary=auxiliary)
        marker = self.load(kind, marker_id)
        marker.note(rec, auxiliary=auxiliary)
        return marker if marker.pending_events else None

    def backfill_prior_records(self, actor: Actor) -> MarkerBackfill:
        """Note every stored separation for cause that its person's marker does not name yet,
        and every stored hire its person's hire marker does not name yet (administrator only;
        ``auxledger holds backfill-markers``).

        Ledgers written before markers existed hold separations for cause with no marker, and
        a replaced blind-index key leaves the markers under indexes no hire computes: the hire
        check would miss those people silently. Every stored ``Separated`` and
        ``ReturnedToAgency`` is read checked, by topic; each record separated for cause (the
        same ``separated_for_cause`` as a separation) is noted under the blind index of its
        current resident ID number by ``_note_prior_record`` and saved on its own, signed,
        chained and logged. Erased records are skipped; a record already noted writes nothing,
        so a second run records nothing.
        """
        if actor.role_enum is not Role.admin:
            raise NotAuthorisedError(
                "only an administrator may backfill prior-record markers",
                required=["admin"],
                article=None,
                zh="只有系统管理员可以补记因故离职记录",
            )
        separated, scanned = self._records_with(SEPARATION_TOPICS)
        written = 0
        for auxiliary_id in separated:
            auxiliary = self.load(Auxiliary, auxiliary_id, copy=False)
            if not separated_for_cause(auxiliary):
                continue
            marker = self._note_prior_record(auxiliary, self.recording(Envelope(actor)))
            if marker is not None:
                self._commit(marker)
                written += 1
        # The hires, for the one-post check (``employed_records``): records hired before hire
        # markers existed, or noted under a replaced blind-index key, are noted now.
        hired, hires_scanned = self._records_with(HIRE_TOPICS)
        hires_written = 0
        for auxiliary_id in hired:
            auxiliary = self.load(Auxiliary, auxiliary_id, copy=False)
            hires = self._note_hire(auxiliary, self.recording(Envelope(actor)))
            if hires is not None:
                self._commit(hires)
                hires_written += 1
        return MarkerBackfill(scanned, written, hires_scanned, hires_written)

    def _records_with(self, topics: Sequence[str]) -> tuple[dict[UUID, None], int]:
        """The ids of the records with stored events of ``topics`` (read checked, in log
        order, each once) and how many such events were read."""
        records: dict[UUID, None] = {}
        scanned = 0
        after = 0
        while True:
            batch = read_checked(self, after, ISSUED_BATCH, topics=topics)
            for checked in batch:
                scanned += 1
                records.setdefault(checked.event.originator_id)
            if len(batch) < ISSUED_BATCH:
                break
            after = batch[-1].notification_id
        return records, scanned

    def auxiliary(self, auxiliary_id: UUID) -> Auxiliary:
        """The auxiliary with this id (current state, checked)."""
        return self.load(Auxiliary, auxiliary_id)

    def command_auxiliary(
        self, auxiliary_id: UUID, cmd: AuxiliaryCommand, env: Envelope
    ) -> Recorded:
        """A command on a hired auxiliary's record; the command's class says whether the
        organ is needed, a quota slot given back or a credential serial claimed."""
        auxiliary = self.load(Auxiliary, auxiliary_id, expected_version=env.expected_version)
        organ: Organ | None = None
        if cmd.needs_organ or cmd.releases_slot:
            organ = self.load(Organ, Organ.id_for(auxiliary.organ))
        rec = self.recording(env)
        cmd.run(auxiliary, rec, organ)
        if cmd.links_findings:
            self._check_linked_findings(auxiliary)
        if cmd.claims_serial:
            return self._commit(auxiliary, self._claim_serial(auxiliary, rec))
        if cmd.releases_slot and organ is not None and auxiliary_id in organ.occupied:
            organ.release_slot(rec, auxiliary_id=auxiliary_id)
        settled = cmd.settles_cause and auxiliary.separated_on is not None
        marker = self._note_prior_record(auxiliary, rec) if cmd.releases_slot or settled else None
        others = [a for a in (organ, marker) if a is not None and a.pending_events]
        return self._commit(auxiliary, *others)

    def _check_linked_findings(self, auxiliary: Auxiliary) -> None:
        """Refuse (``InvalidFieldError`` on ``linked_findings``) a sanction just imposed that
        links anything but a sustained or partly sustained finding, in force, of a complaint
        about this auxiliary (checked reads): a sanction rests on what was found, and a link
        to an unknown complaint, another person's or a finding that cleared them would put a
        ground on the record that is not there."""
        imposed = auxiliary.pending_events[-1]
        assert isinstance(imposed, Auxiliary.SanctionImposed)
        for ref in imposed.linked_findings:
            text, number = ref.rsplit(":", 1)
            complaint_id = UUID(text)
            finding = None
            try:
                complaint = self.load(Complaint, complaint_id, copy=False)
            except NotFoundError:  # no record, or another kind of record
                complaint = None
            if complaint is not None and complaint.auxiliary_id == auxiliary.id:
                finding = complaint.findings.get(int(number))
            if finding is None or finding.result not in SUSTAINING_RESULTS:
                raise InvalidFieldError(
                    "linked_findings",
                    f"names {ref}, which is not a sustained finding of a complaint about this "
                    "auxiliary",
                    zh="所关联的须是针对该辅警的投诉中现行有效的属实或部分属实的调查结论",
                )

    def _claim_serial(self, auxiliary: Auxiliary, rec: Recording) -> CredentialSerial:
        """The ledger-wide claim on the serial the auxiliary was just issued (pending).

        One serial, one holder in the whole ledger: a second claim would be a second version 1
        of the serial's claim, refused by the store even when two issues race.
        """
        issued = auxiliary.pending_events[-1]
        assert isinstance(issued, Auxiliary.CredentialIssued)
        claim_id = CredentialSerial.id_for(issued.kind, issued.serial)
        holder: str | None = None
        if self.exists(claim_id):
            holder = self.load(CredentialSerial, claim_id).organ
        else:
            holder = self._legacy_issuer(issued.kind, issued.serial)
        if holder is not None:
            raise SerialAlreadyIssuedError(
                f"this {issued.kind} serial was already issued by organ {holder}; a serial "
                "is issued once in the whole ledger and never again, even after its return or "
                "revocation (Art. 12)",
                zh=f"该证件编号已由机关 {holder} 发放过："
                "编号在全账本中只发放一次，收回或吊销后也不得再发（第十二条）",
            )
        return CredentialSerial.claim(
            rec, auxiliary=auxiliary, kind=issued.kind, serial=issued.serial
        )

    def _legacy_issuer(self, kind: str, serial: str) -> str | None:
        """The organ of an earlier ``CredentialIssued`` of this serial in the event store, or
        None: serials issued before claims existed have no ``CredentialSerial``.

        Every stored issue event is read once per process (checked, by topic) and remembered;
        later calls read only the events stored since. Nothing here decides a race: two new
        issues of one serial are still kept apart by the claim's version 1.
        """
        with self._issued_lock:
            while True:
                batch = read_checked(self, self._issued_after, ISSUED_BATCH, topics=[ISSUED_TOPIC])
                if not batch:
                    break
                for checked in batch:
                    event = checked.event
                    assert isinstance(event, Auxiliary.CredentialIssued)
                    self._issued_serials.setdefault((event.kind, event.serial), event.actor.organ)
                self._issued_after = batch[-1].notification_id
                if len(batch) < ISSUED_BATCH:
                    break
            return self._issued_serials.get((kind, serial))

    def correct_auxiliary(self, auxiliary_id: UUID, cmd: Correct, env: Envelope) -> Recorded:
        """Correct a whitelisted field: a new event pointing at the event it corrects."""
        auxiliary = self.load(Auxiliary, auxiliary_id, expected_version=env.expected_version)
        target = auxiliary.field_version(cmd.field)
        target_hash = self.record_hash(auxiliary_id, target)
        rec = self.recording(env)
        auxiliary.correct(rec, cmd, target_version=target, target_hash=target_hash)
        markers: list[Aggregate] = []
        if cmd.field == "resident_id":
            # After the domain authorised it, as for a hire; a separated record holds no post.
            if auxiliary.status is not AuxiliaryStatus.separated:
                self._refuse_if_employed(auxiliary)
            markers = [
                m
                for m in (self._note_prior_record(auxiliary, rec), self._note_hire(auxiliary, rec))
                if m is not None
            ]
        return self._commit(auxiliary, *markers)

    # ------------------------------------------------------------------ complaints

    def receive_complaint(self, cmd: ReceiveComplaint, env: Envelope) -> Recorded:
        """Receive a complaint, attributed to who answered for the auxiliary then (Art. 17)."""
        auxiliary = self.load(Auxiliary, cmd.auxiliary_id, copy=False)
        return self._open_complaint(
            cmd,
            env,
            lambda rec, new_id, complainant: Complaint.receive(
                rec, cmd, id=new_id, auxiliary=auxiliary, complainant_id=complainant
            ),
        )

    def _open_complaint(
        self,
        cmd: ComplaintIntake,
        env: Envelope,
        start: Callable[[Recording, UUID, UUID], Complaint],
    ) -> Recorded:
        """Commit the complaint ``start(recording, complaint id, complainant id)`` opens, with
        the command's ids or new ones; a new complainant id is a new data subject."""
        new_id = cmd.complaint_id or uuid4()  # a repeated id fails at the insert (version 1)
        complainant = cmd.complainant_id or uuid4()
        complaint = start(self.recording(env), new_id, complainant)
        return self._commit(complaint, new_subjects=() if cmd.complainant_id else (complainant,))

    def complaint(self, complaint_id: UUID) -> Complaint:
        """The complaint with this id."""
        return self.load(Complaint, complaint_id)

    def command_complaint(
        self, complaint_id: UUID, cmd: ComplaintCommand, env: Envelope
    ) -> Recorded:
        """A step in the handling of a complaint (Art. 17)."""
        complaint = self.load(Complaint, complaint_id, expected_version=env.expected_version)
        cmd.run(complaint, self.recording(env))
        return self._commit(complaint)

    # ------------------------------------------------------------------ complaints: channels

    def take_complaint(self, cmd: TakeComplaint, env: Envelope) -> Recorded:
        """Take a complaint at the complaints office from any channel; a named auxiliary is
        attributed as at intake, an unnamed subject waits for ``match_complaint`` (Art. 17)."""
        auxiliary = (
            None if cmd.auxiliary_id is None else self.load(Auxiliary, cmd.auxiliary_id, copy=False)
        )
        return self._open_complaint(
            cmd,
            env,
            lambda rec, new_id, complainant: Complaint.take(
                rec, cmd, id=new_id, auxiliary=auxiliary, complainant_id=complainant
            ),
        )

    def match_complaint(self, complaint_id: UUID, cmd: MatchSubject, env: Envelope) -> Recorded:
        """Name the auxiliary an unnamed complaint is about (Art. 17)."""
        complaint = self.load(Complaint, complaint_id, expected_version=env.expected_version)
        auxiliary = self.load(Auxiliary, cmd.auxiliary_id, copy=False)
        cmd.run(complaint, self.recording(env), auxiliary)
        return self._commit(complaint)

    # ------------------------------------------------------------------ pay

    def set_pay_schedule(self, organ_code: str, cmd: SetPaySchedule, env: Envelope) -> Recorded:
        """Set the monthly pay per level for a year (Art. 7)."""
        schedule_id = PaySchedule.id_for(organ_code)
        existing: PaySchedule | None = None
        if self.exists(schedule_id):
            existing = self.load(PaySchedule, schedule_id, expected_version=env.expected_version)
        rec = self.recording(env)
        schedule = existing or PaySchedule.open(rec, organ_code=organ_code)
        schedule.set_schedule(rec, cmd)
        return self._commit(schedule)

    def record_average_wage(self, region: str, cmd: RecordAverageWage, env: Envelope) -> Recorded:
        """Record the local average wage of a year (Art. 7), for the actor's organ's region.

        The figure is the floor every organ of that region is held to: an actor of another
        region's organ may not set it.
        """
        own = self.organ(env.actor.organ).region
        if region != own:
            raise OutsideScopeError(
                f"organ {env.actor.organ} lies in {own}: it records the average wage of its "
                "own region only",
                zh="只能记录本机关所在地区的社会平均工资",
            )
        wage_id = LocalAverageWage.id_for(region)
        existing: LocalAverageWage | None = None
        if self.exists(wage_id):
            existing = self.load(LocalAverageWage, wage_id, expected_version=env.expected_version)
        rec = self.recording(env)
        wage = existing or LocalAverageWage.open(rec, region=region)
        wage.record(rec, cmd)
        return self._commit(wage)

    # ------------------------------------------------------------------ legal holds

    def command_legal_hold(
        self, auxiliary_id: UUID, cmd: LegalHoldCommand, env: Envelope
    ) -> Recorded:
        """Place or release a legal hold on an auxiliary's personal data; the holds record
        is kept by the auxiliary's organ and opened by the first hold."""
        auxiliary = self.load(Auxiliary, auxiliary_id, copy=False)
        holds_id = LegalHolds.id_for(auxiliary_id)
        rec = self.recording(env)
        if self.exists(holds_id):
            holds = self.load(LegalHolds, holds_id, expected_version=env.expected_version)
        else:
            holds = LegalHolds.open(rec, subject_id=auxiliary_id, organ=auxiliary.organ)
        cmd.run(holds, rec)
        return self._commit(holds)

    def legal_holds(self, subject_id: UUID) -> LegalHolds | None:
        """The data subject's holds record, or None if no hold was ever placed."""
        holds_id = LegalHolds.id_for(subject_id)
        return self.load(LegalHolds, holds_id) if self.exists(holds_id) else None

    def holds_blocking_erasure(self, subject_id: UUID) -> list[tuple[str, str]]:
        """(kind, id) of everything that forbids erasing the data subject now: an open
        complaint about or by them, an open sanction or a pending appeal of theirs, an
        explicit hold (kinds ``complaint``, ``sanction``, ``appeal``, ``legal_hold``)."""
        blocking: list[tuple[str, str]] = []
        for complaint_id in sorted(self._complaints_about(subject_id)):
            complaint = self.load(Complaint, complaint_id, copy=False)
            if complaint.status not in CLOSED_COMPLAINT:
                blocking.append(("complaint", str(complaint_id)))
        if self.exists(subject_id):
            try:
                auxiliary = self.load(Auxiliary, subject_id, copy=False)
            except NotFoundError:
                auxiliary = None
            if auxiliary is not None:
                today = china_date(self.clock())
                for sanction in auxiliary.sanctions.values():
                    if sanction.status is not SanctionStatus.in_force:
                        continue
                    if sanction.appeal is AppealStatus.pending:
                        blocking.append(("appeal", sanction.sanction_id))
                    elif (
                        (sanction.until is not None and sanction.until > today)
                        or (
                            sanction.kind is SanctionKind.suspension
                            and auxiliary.status is AuxiliaryStatus.suspended
                        )
                        or (
                            sanction.kind is SanctionKind.termination
                            and auxiliary.termination_pending
                        )
                    ):
                        blocking.append(("sanction", sanction.sanction_id))
        holds = self.legal_holds(subject_id)
        if holds is not None:
            blocking.extend(("legal_hold", h.hold_id) for h in holds.standing())
        return blocking

    def _complaints_about(self, subject_id: UUID) -> set[UUID]:
        """Ids of the complaints about (auxiliary) or by (complainant) a data subject.

        Every stored ``Complaint.Received`` and ``Complaint.SubjectMatched`` (an unnamed
        complaint names its auxiliary later) is read once per process (checked, by topic) and
        remembered; later calls read only the events stored since.
        """
        with self._received_lock:
            while True:
                batch = read_checked(
                    self,
                    self._received_after,
                    ISSUED_BATCH,
                    topics=[RECEIVED_TOPIC, SUBJECT_MATCHED_TOPIC],
                )
                if not batch:
                    break
                for checked in batch:
                    event = checked.event
                    if isinstance(event, Complaint.Received):
                        people: tuple[UUID | None, ...] = (
                            event.auxiliary_id,
                            event.complainant_id,
                        )
                    else:
                        assert isinstance(event, Complaint.SubjectMatched)
                        people = (event.auxiliary_id,)
                    for person in people:
                        if person is not None:
                            self._complaints_of.setdefault(person, set()).add(event.originator_id)
                self._received_after = batch[-1].notification_id
                if len(batch) < ISSUED_BATCH:
                    break
            return set(self._complaints_of.get(subject_id, ()))

    # ------------------------------------------------------------------ erasure

    def erase_subject(self, actor: Actor, subject_id: UUID, reason: str) -> Recorded:
        """Destroy a data subject's key and record a PII-free erasure event (admin only).

        The key is destroyed in the same transaction as the ``ErasureRecord.Erased`` event;
        if either fails, neither happens.
        """
        if actor.role_enum is not Role.admin:
            raise NotAuthorisedError(
                "only an administrator may erase a person's data",
                required=["admin"],
                article=None,
                zh="只有系统管理员可以删除个人信息",
            )
        if self.exists(ErasureRecord.id_for(subject_id)):
            raise ErasureError(f"data subject {subject_id} was already erased")
        found = self.privacy.store.fetch([subject_id])
        if subject_id not in found:
            raise ErasureError(f"no personal data is held for data subject {subject_id}")
        record = ErasureRecord.record(
            subject_id,
            reason,
            actor_id=actor.actor_id,
            actor_role=actor.role,
            actor_organ=actor.organ,
        )
        blocking = self.holds_blocking_erasure(subject_id)
        if blocking:
            raise LegalHoldError(subject_id, blocking)
        rec = self.recording(Envelope(actor))
        holds = self.legal_holds(subject_id) or LegalHolds.open(
            rec, subject_id=subject_id, organ=actor.organ
        )
        holds.clear_erasure(rec)
        try:
            recordings = self.save(record, holds, erase_subject=subject_id)
        except SubjectKeyMissingError as e:
            raise ErasureError(str(e)) from None
        finally:
            self.privacy.forget(subject_id)
        self._clear_aggregate_cache()
        self.ledger_recorder.after_erasure()
        return _recorded(recordings, record.id)

    # ------------------------------------------------------------------ misconduct

    def record_misconduct(self, cmd: RecordMisconduct, env: Envelope) -> Recorded:
        """Record a misconduct finding against an official (Art. 19)."""
        new_id = cmd.finding_id or uuid4()
        if self.exists(new_id):
            raise ConcurrencyConflictError(f"a misconduct finding with id {new_id} exists")
        finding = MisconductFinding.record(self.recording(env), cmd, id=new_id)
        # Authorised for the actor's organ above; a unit must be one of that organ's.
        if finding.unit is not None and not self.organ(finding.organ).has_unit(finding.unit):
            raise UnknownUnitError(
                f"unit {finding.unit} is not registered with organ {finding.organ} (Art. 10)",
                zh="所填用辅部门须为该机关已登记的部门（第十条）",
            )
        return self._commit(finding)

    def amend_misconduct(self, finding_id: UUID, cmd: AmendDecision, env: Envelope) -> Recorded:
        """Amend the decision on a misconduct finding (Art. 19)."""
        finding = self.load(MisconductFinding, finding_id, expected_version=env.expected_version)
        finding.amend_decision(self.recording(env), cmd)
        return self._commit(finding)


def _recorded(recordings: list[StoreRecording[UUID]], primary: UUID) -> Recorded:
    mine = [r for r in recordings if r.notification.originator_id == primary]
    last = (mine or recordings)[-1]
    notification = last.notification
    event = cast(Any, last.domain_event)
    return Recorded(
        originator_id=primary,
        originator_version=notification.originator_version,
        hash=hashlib.sha256(notification.state).hexdigest(),
        topic=notification.topic,
        notification_id=notification.id,
        recorded_at=event.timestamp,
        record=bytes(notification.state),
    )
