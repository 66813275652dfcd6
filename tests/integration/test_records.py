"""The records service on real databases: rules hold end to end, refusals store nothing,
races have exactly one winner, and the demo loads and verifies on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from api.demo import load_demo
from domain.auxiliary import CredentialSerial
from domain.commands.auxiliary import (
    AssignSupervisor,
    ChangePost,
    IssueCredential,
    ReturnCredential,
    RevokeCredential,
)
from domain.commands.complaint import ReceiveComplaint
from domain.commands.organ import RegisterOrgan
from domain.errors import (
    InvalidResidentIdError,
    NotAnAuxiliaryPostError,
    NotAuthorisedError,
    QuotaExceededError,
    SerialAlreadyIssuedError,
)
from domain.identity import resident_id_check_char
from domain.organ import Organ
from domain.values import Actor
from ledger.config import Settings
from ledger.errors import ConcurrencyConflictError, NotFoundError
from ledger.log import MerkleLog
from ledger.records import AuxLedger, Envelope
from ledger.verify import verify_ledger
from tests import builders
from tests.conftest import initialised, race

WHEN = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
ADMIN = Actor(actor_id="root", role="admin", organ="320600", unit=None)
ESTABLISHMENT = Actor(actor_id="est", role="establishment", organ="320600", unit=None)
PERSONNEL = Actor(actor_id="hr", role="personnel", organ="320600", unit=None)
UNIT_ACTOR = Actor(actor_id="station", role="unit", organ="320600", unit="320600-U1")


def _id(n: int) -> str:
    first = f"320699199001{n:02d}123"[:17]
    return first + resident_id_check_char(first)


def _set_up(ledger: AuxLedger, quota: int) -> AuxLedger:
    """Organ 320600 with one unit and ``quota`` places; the service clock at ``WHEN``."""
    ledger.clock = lambda: WHEN
    builders.set_up_organ(
        ledger,
        RegisterOrgan(code="320600", name="南通市公安局", region="南通市"),
        [("320600-U1", "城东派出所")],
        quota,
        admin=ADMIN,
        establishment=ESTABLISHMENT,
        effective=date(2026, 11, 1),
    )
    return ledger


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    return _set_up(aux_ledger, quota=2)


def _hire(ledger: AuxLedger, n: int, actor: Actor = PERSONNEL, **overrides: object) -> object:
    fields: dict[str, object] = {
        "unit": "320600-U1",
        "supervisor_id": "P1",
        "supervisor_name": "李警官",
        "contract_start": date(2026, 11, 1),
        "contract_end": date(2029, 10, 31),
        "name": f"辅警{n}",
        "resident_id": _id(n),
        "phone": "19900001111",
        "address": "南通市人民路1号",
    }
    fields.update(overrides)
    return builders.hire(ledger, "320600", actor, date(2026, 11, 1), **fields)


def test_hire_within_quota_takes_a_slot_in_the_same_transaction(ledger: AuxLedger) -> None:
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    recorded = _hire(ledger, 1)
    # The hire, the organ's slot and the person's hire marker, one checkpoint.
    assert log.tree_size() == before + 3
    assert log.latest_checkpoint().tree_size == before + 3  # type: ignore[union-attr]
    assert recorded.originator_version == 1 and len(recorded.hash) == 64  # type: ignore[attr-defined]
    assert ledger.organ("320600").headcount == 1


@pytest.mark.parametrize(
    ("actor", "overrides", "error"),
    [
        (UNIT_ACTOR, {}, NotAuthorisedError),
        (PERSONNEL, {"post_type": "security_volunteer"}, NotAnAuxiliaryPostError),
        (PERSONNEL, {"resident_id": "320699199001011230"}, InvalidResidentIdError),
    ],
    ids=["unit-level-actor", "volunteer-post", "bad-check-digit"],
)
def test_refused_hires_store_nothing(
    ledger: AuxLedger, actor: Actor, overrides: dict[str, object], error: type[Exception]
) -> None:
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    with pytest.raises(error):
        _hire(ledger, 1, actor=actor, **overrides)
    assert log.tree_size() == before
    assert ledger.organ("320600").headcount == 0


def test_a_hire_over_quota_is_refused_and_stores_nothing(ledger: AuxLedger) -> None:
    _hire(ledger, 1)
    _hire(ledger, 2)
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    with pytest.raises(QuotaExceededError):
        _hire(ledger, 3)
    assert log.tree_size() == before


def test_two_hires_racing_for_the_last_slot_have_one_winner(settings: Settings) -> None:
    first = initialised(AuxLedger, settings)
    _set_up(first, quota=1)

    def hire(n: int) -> Callable[[], object]:
        own = AuxLedger(settings, clock=lambda: WHEN)
        own.organ("320600")  # warm: both read the organ with one slot left
        return lambda: _hire(own, n)

    outcomes = race(hire, (1, 2), (ConcurrencyConflictError, QuotaExceededError))
    assert sorted(outcomes) == ["refused", "won"]
    assert AuxLedger(settings).organ("320600").headcount == 1


def _issue(ledger: AuxLedger, auxiliary_id: object, serial: str = "NTFJ0600000039") -> object:
    return ledger.command_auxiliary(
        auxiliary_id, IssueCredential(kind="work_id", serial=serial), Envelope(PERSONNEL)
    )


def test_a_credential_issue_claims_its_serial_in_the_same_transaction(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger, 1).originator_id  # type: ignore[attr-defined]
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    recorded = _issue(ledger, auxiliary_id)
    assert recorded.originator_id == auxiliary_id  # type: ignore[attr-defined]
    assert log.tree_size() == before + 2  # the issue and the serial's claim, one checkpoint
    claim = ledger.load(CredentialSerial, CredentialSerial.id_for("work_id", "NTFJ0600000039"))
    assert (claim.organ, claim.auxiliary_id, claim.version) == ("320600", auxiliary_id, 1)


@pytest.mark.parametrize("first_then", ["held", "returned", "revoked"])
def test_a_serial_issued_before_is_refused_and_stores_nothing(
    ledger: AuxLedger, first_then: str
) -> None:
    holder = _hire(ledger, 1).originator_id  # type: ignore[attr-defined]
    other = _hire(ledger, 2).originator_id  # type: ignore[attr-defined]
    _issue(ledger, holder)
    if first_then == "returned":
        ledger.command_auxiliary(
            holder, ReturnCredential(kind="work_id", serial="NTFJ0600000039"), Envelope(PERSONNEL)
        )
    elif first_then == "revoked":
        ledger.command_auxiliary(
            holder,
            RevokeCredential(kind="work_id", serial="NTFJ0600000039", reason="遗失"),
            Envelope(PERSONNEL),
        )
    log = MerkleLog(ledger.ledger_recorder)
    before = log.tree_size()
    # Another auxiliary, and the holder itself once the credential is back: both refused.
    for auxiliary_id in (other, holder):
        with pytest.raises(SerialAlreadyIssuedError, match="issued once"):
            _issue(ledger, auxiliary_id)
    assert log.tree_size() == before
    assert ledger.auxiliary(other).credentials == ()
    # A fresh serial is issued as before; another kind may carry the same number.
    _issue(ledger, other, "NTFJ0600000040")
    ledger.command_auxiliary(
        other, IssueCredential(kind="uniform", serial="NTFJ0600000039"), Envelope(PERSONNEL)
    )


def test_two_issues_racing_for_one_serial_have_one_winner(settings: Settings) -> None:
    first = initialised(AuxLedger, settings)
    _set_up(first, quota=2)
    auxiliaries = [_hire(first, n).originator_id for n in (1, 2)]  # type: ignore[attr-defined]

    def issue(auxiliary_id: object) -> Callable[[], object]:
        own = AuxLedger(settings, clock=lambda: WHEN)
        own.auxiliary(auxiliary_id)  # type: ignore[arg-type]
        return lambda: _issue(own, auxiliary_id)

    outcomes = race(issue, auxiliaries, (ConcurrencyConflictError, SerialAlreadyIssuedError))
    assert sorted(outcomes) == ["refused", "won"]
    check = AuxLedger(settings)
    holders = [a for a in auxiliaries if check.auxiliary(a).credentials]
    claim = check.load(CredentialSerial, CredentialSerial.id_for("work_id", "NTFJ0600000039"))
    assert holders == [claim.auxiliary_id] and claim.version == 1


def test_if_match_version_conflict(ledger: AuxLedger) -> None:
    recorded = _hire(ledger, 1)
    auxiliary_id = recorded.originator_id  # type: ignore[attr-defined]
    with pytest.raises(ConcurrencyConflictError):
        ledger.command_auxiliary(
            auxiliary_id, ChangePost(post_type="traffic"), Envelope(PERSONNEL, expected_version=7)
        )
    done = ledger.command_auxiliary(
        auxiliary_id, ChangePost(post_type="traffic"), Envelope(PERSONNEL, expected_version=1)
    )
    assert done.originator_version == 2


def test_unknown_ids_and_commands_are_clear_errors(ledger: AuxLedger) -> None:
    with pytest.raises(NotFoundError, match="no auxiliary"):
        ledger.command_auxiliary(uuid4(), ChangePost(post_type="traffic"), Envelope(PERSONNEL))
    with pytest.raises(NotFoundError):
        ledger.load(Organ, Organ.id_for("999999"))


def test_complaint_is_attributed_to_who_answered_at_the_incident(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger, 1).originator_id  # type: ignore[attr-defined]
    ledger.command_auxiliary(
        auxiliary_id,
        AssignSupervisor(supervisor_id="P2", supervisor_name="王警官"),
        Envelope(UNIT_ACTOR, effective=date(2026, 11, 2)),
    )
    complaint = ledger.receive_complaint(
        ReceiveComplaint(
            auxiliary_id=auxiliary_id,
            channel="online",
            incident_at=datetime(2026, 11, 1, 3, 0, tzinfo=UTC),
            incident_place="人民路",
            allegations=["态度恶劣"],
        ),
        Envelope(Actor(actor_id="public-intake", role="public", organ="320600", unit=None)),
    )
    responsibility = ledger.complaint(complaint.originator_id).responsibility
    assert (responsibility.unit, responsibility.supervisor_id) == ("320600-U1", "P1")


@pytest.mark.slow
def test_demo_loads_through_the_commands_and_verifies(aux_ledger: AuxLedger) -> None:
    counts = load_demo(aux_ledger, officers=40, seed=3)
    assert counts.auxiliaries == 40 and counts.organs == 5 and counts.complaints > 0
    report = verify_ledger(AuxLedger(aux_ledger.settings, personal_data=False), full=True)
    assert report.ok, report.failures
    assert report.events_checked == counts.events
