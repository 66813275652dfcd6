"""Hire checks across organs and legal holds (issue 13, items 6 and 7), on both backends.

A person dismissed (or separated while a serious sanction stood) in one organ is found when
any organ hires them again; the refusal names the organ to ask and nothing of the record, and
stores nothing; an override reason lets the hire through and is kept. An erasure is refused
while a complaint, a sanction or appeal, or an explicit hold stands, and allowed once the
hold is released.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from api.demo import load_demo
from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import AppealSanction, Correct, DecideAppeal, Separate
from domain.commands.complaint import MatchSubject, ReceiveComplaint, TakeComplaint
from domain.commands.holds import PlaceLegalHold, ReleaseLegalHold
from domain.errors import AlreadyEmployedError, NotAuthorisedError, PriorRecordElsewhereError
from domain.holds import LegalHolds
from domain.identity import resident_id_check_char
from domain.organ import Organ
from domain.values import Actor
from ledger.privacy import ERASED, LegalHoldError
from ledger.records import AuxLedger, Envelope
from tests import builders
from tests.integration.two_organs import (
    ADDRESS,
    ADMIN,
    DAY2,
    DAY3,
    NAME,
    NAMES,
    PHONE,
    A,
    B,
    actor,
    hire,
    hire_command,
    set_up,
)

ID17 = "32069919900512421"
RESIDENT_ID = ID17 + resident_id_check_char(ID17)


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    return set_up(aux_ledger, quota=5)


def _hire(
    ledger: AuxLedger, organ: str, *, override: str | None = None, number: str = RESIDENT_ID
) -> UUID:
    return hire(ledger, organ, number, override_reason=override)


def _sanction(ledger: AuxLedger, aux: UUID, organ: str, kind: str, sid: str = "S-1") -> None:
    builders.impose_sanction(
        ledger,
        aux,
        Envelope(actor("discipline", organ), effective=DAY2),
        sanction_id=sid,
        kind=kind,
    )


def _separate(ledger: AuxLedger, aux: UUID, organ: str, reason: str) -> None:
    ledger.command_auxiliary(
        aux, Separate(reason=reason), Envelope(actor("personnel", organ), effective=DAY3)
    )


def _dismissed_in_a(ledger: AuxLedger) -> UUID:
    aux = _hire(ledger, A)
    _sanction(ledger, aux, A, "termination")
    _separate(ledger, aux, A, "dismissed")
    return aux


def test_a_hire_elsewhere_after_a_dismissal_is_refused_naming_only_the_organ(
    ledger: AuxLedger,
) -> None:
    _dismissed_in_a(ledger)
    organ_version = ledger.organ(B).version
    head = ledger.ledger_recorder.max_notification_id()
    cmd = hire_command(B, RESIDENT_ID)
    with pytest.raises(PriorRecordElsewhereError) as refused:
        ledger.hire(B, cmd, Envelope(actor("personnel", B), effective=DAY3))
    assert refused.value.code == "prior_record_elsewhere"
    assert refused.value.organs == ((A, NAMES[A]),)
    message = str(refused.value)
    assert A in message and NAMES[A] in message
    for personal in (RESIDENT_ID, NAME, PHONE, ADDRESS, "dismiss", "termination", "2026"):
        assert personal not in message
    # Nothing stored: no auxiliary, no slot taken, no event at all.
    assert cmd.auxiliary_id is not None and not ledger.exists(cmd.auxiliary_id)
    assert ledger.organ(B).version == organ_version
    assert ledger.ledger_recorder.max_notification_id() == head


def test_an_override_reason_lets_the_hire_through_and_is_kept(ledger: AuxLedger) -> None:
    _dismissed_in_a(ledger)
    aux = _hire(ledger, B, override="已向试验甲公安局核实，系误解除")
    rehired = ledger.auxiliary(aux)
    assert rehired.prior_record_override == ((A,), "已向试验甲公安局核实，系误解除")
    events = ledger.repository.event_store.get(aux)
    assert [type(e).__name__ for e in events] == ["Hired", "PriorRecordOverridden"]


def test_the_same_organs_own_prior_record_counts(ledger: AuxLedger) -> None:
    _dismissed_in_a(ledger)
    with pytest.raises(PriorRecordElsewhereError) as refused:
        _hire(ledger, A)
    assert refused.value.organs == ((A, NAMES[A]),)


def test_a_separation_while_a_serious_sanction_stands_counts_a_resignation_does_not(
    ledger: AuxLedger,
) -> None:
    first = _hire(ledger, A)
    _separate(ledger, first, A, "resigned")
    _hire(ledger, B)  # a plain resignation warns no one
    demoted = _hire(ledger, A, number=_other_number())
    _sanction(ledger, demoted, A, "demotion")
    _separate(ledger, demoted, A, "resigned")
    with pytest.raises(PriorRecordElsewhereError):
        _hire(ledger, B, number=_other_number())


def _resigned_under_appeal(ledger: AuxLedger) -> UUID:
    aux = _hire(ledger, A)
    _sanction(ledger, aux, A, "demotion")
    ledger.command_auxiliary(
        aux,
        AppealSanction(sanction_id="S-1", grounds="不服"),
        Envelope(actor("discipline", A), effective=DAY2),
    )
    _separate(ledger, aux, A, "resigned")
    return aux


def test_a_serious_sanction_under_appeal_is_not_yet_sustained(ledger: AuxLedger) -> None:
    _resigned_under_appeal(ledger)
    _hire(ledger, B)


@pytest.mark.parametrize("upheld", [True, False])
def test_an_appeal_pending_at_a_resignation_is_decided_after_it(
    ledger: AuxLedger, upheld: bool
) -> None:
    """A resignation does not end the appeal: the inspectorate decides it afterwards, and an
    upheld demotion makes the separation one for cause, found by the next hire."""
    aux = _resigned_under_appeal(ledger)
    ledger.command_auxiliary(
        aux,
        DecideAppeal(sanction_id="S-1", upheld=upheld),
        Envelope(actor("inspector", A), effective=DAY3),
    )
    decided = ledger.auxiliary(aux)
    assert decided.status.value == "separated"
    assert decided.sanctions["S-1"].appeal.value == ("upheld" if upheld else "overturned")
    if upheld:
        assert ledger.prior_records(RESIDENT_ID) == [(aux, A)]
        with pytest.raises(PriorRecordElsewhereError) as refused:
            _hire(ledger, B)
        assert refused.value.organs == ((A, NAMES[A]),)
    else:
        assert ledger.prior_records(RESIDENT_ID) == []
        _hire(ledger, B)


def test_an_erased_prior_record_no_longer_counts(ledger: AuxLedger) -> None:
    aux = _dismissed_in_a(ledger)
    ledger.erase_subject(ADMIN, aux, "保存期限届满")
    assert ledger.auxiliary(aux).resident_id == ERASED
    _hire(ledger, B)


def test_a_corrected_resident_id_is_followed(ledger: AuxLedger) -> None:
    aux = _hire(ledger, A, number=_other_number())
    _sanction(ledger, aux, A, "termination")
    _separate(ledger, aux, A, "dismissed")
    target = ledger.auxiliary(aux).field_version("resident_id")
    ledger.correct_auxiliary(
        aux,
        Correct(field="resident_id", value=RESIDENT_ID, reason="录入错误"),
        Envelope(actor("personnel", A), effective=DAY3),
    )
    assert target == 1
    with pytest.raises(PriorRecordElsewhereError):
        _hire(ledger, B)
    _hire(ledger, B, number=_other_number())  # the old number is no longer this record's


def test_a_hire_of_a_person_employed_elsewhere_is_refused_naming_only_the_organ(
    ledger: AuxLedger,
) -> None:
    _hire(ledger, A)
    organ_version = ledger.organ(B).version
    head = ledger.ledger_recorder.max_notification_id()
    for override in (None, "已核实"):  # no override: one person, one post and slot (Art. 5, 8)
        cmd = hire_command(B, RESIDENT_ID, override_reason=override)
        with pytest.raises(AlreadyEmployedError) as refused:
            ledger.hire(B, cmd, Envelope(actor("personnel", B), effective=DAY3))
        assert refused.value.code == "already_employed"
        assert refused.value.organs == ((A, NAMES[A]),)
        message = str(refused.value)
        assert A in message and NAMES[A] in message and "Art. 5, 8" in message
        for personal in (RESIDENT_ID, NAME, PHONE, ADDRESS, "2026"):
            assert personal not in message
        # Nothing stored: no auxiliary, no slot taken, no event at all.
        assert cmd.auxiliary_id is not None and not ledger.exists(cmd.auxiliary_id)
    assert ledger.organ(B).version == organ_version
    assert ledger.ledger_recorder.max_notification_id() == head
    with pytest.raises(AlreadyEmployedError):
        _hire(ledger, A)  # the same organ's own record counts too


def test_a_separated_record_does_not_count_and_is_found_again_after_a_rehire(
    ledger: AuxLedger,
) -> None:
    first = _hire(ledger, A)
    _separate(ledger, first, A, "resigned")
    second = _hire(ledger, B)  # the record in A is separated: one post at a time
    assert ledger.auxiliary(second).organ == B
    with pytest.raises(AlreadyEmployedError) as refused:
        _hire(ledger, A)
    assert refused.value.organs == ((B, NAMES[B]),)


def test_a_corrected_number_is_the_one_that_counts(ledger: AuxLedger) -> None:
    aux = _hire(ledger, A, number=_other_number())
    ledger.correct_auxiliary(
        aux,
        Correct(field="resident_id", value=RESIDENT_ID, reason="录入错误"),
        Envelope(actor("personnel", A), effective=DAY3),
    )
    with pytest.raises(AlreadyEmployedError):
        _hire(ledger, B)  # the record now holds this number
    _hire(ledger, B, number=_other_number())  # the old number is no longer this record's


def _correct_number(ledger: AuxLedger, aux: UUID, organ: str, number: str) -> None:
    ledger.correct_auxiliary(
        aux,
        Correct(field="resident_id", value=number, reason="录入错误"),
        Envelope(actor("personnel", organ), effective=DAY3),
    )


def test_a_correction_to_the_number_of_a_person_employed_elsewhere_is_refused(
    ledger: AuxLedger,
) -> None:
    _hire(ledger, A)
    aux = _hire(ledger, B, number=_other_number())
    version = ledger.auxiliary(aux).version
    head = ledger.ledger_recorder.max_notification_id()
    with pytest.raises(AlreadyEmployedError) as refused:
        _correct_number(ledger, aux, B, RESIDENT_ID)
    assert refused.value.code == "already_employed"
    assert refused.value.organs == ((A, NAMES[A]),)
    message = str(refused.value)
    assert A in message and NAMES[A] in message and "Art. 5, 8" in message
    for personal in (RESIDENT_ID, _other_number(), NAME, PHONE, ADDRESS, "2026"):
        assert personal not in message
    # Nothing stored: no correction, no marker noted, no event at all.
    assert ledger.ledger_recorder.max_notification_id() == head
    assert ledger.auxiliary(aux).version == version
    assert ledger.auxiliary(aux).resident_id == _other_number()
    # A separated record holds no post: its number is corrected whatever others hold.
    _separate(ledger, aux, B, "resigned")
    _correct_number(ledger, aux, B, RESIDENT_ID)
    assert ledger.auxiliary(aux).resident_id == RESIDENT_ID


def test_a_records_own_earlier_number_is_not_elsewhere_but_another_records_is(
    ledger: AuxLedger,
) -> None:
    aux = _hire(ledger, A)
    _correct_number(ledger, aux, A, _other_number())
    _correct_number(ledger, aux, A, RESIDENT_ID)  # back to the number it was hired with
    assert ledger.auxiliary(aux).resident_id == RESIDENT_ID
    _correct_number(ledger, aux, A, _other_number())
    with ledger.batch():  # the check reads the batch's record, which has the number already
        _correct_number(ledger, aux, A, RESIDENT_ID)
    assert ledger.auxiliary(aux).resident_id == RESIDENT_ID
    other = _hire(ledger, A, number=_third_number())
    head = ledger.ledger_recorder.max_notification_id()
    with pytest.raises(AlreadyEmployedError) as refused:
        _correct_number(ledger, other, A, RESIDENT_ID)  # the same organ's record counts too
    assert refused.value.organs == ((A, NAMES[A]),)
    assert ledger.ledger_recorder.max_notification_id() == head


def _other_number() -> str:
    body = "32069919850101123"
    return body + resident_id_check_char(body)


def _third_number() -> str:
    body = "32069919921103456"
    return body + resident_id_check_char(body)


# ------------------------------------------------------------------------------ legal holds


def _place(ledger: AuxLedger, aux: UUID, hold_id: str = "H-1", role: str = "discipline") -> None:
    ledger.command_legal_hold(
        aux,
        PlaceLegalHold(hold_id=hold_id, reason="诉讼保全", reference="(2026)苏0602民初1号"),
        Envelope(actor(role, A), effective=DAY3),
    )


def test_an_explicit_hold_blocks_erasure_until_released(ledger: AuxLedger) -> None:
    aux = _hire(ledger, A)
    _place(ledger, aux)
    head = ledger.ledger_recorder.max_notification_id()
    with pytest.raises(LegalHoldError) as refused:
        ledger.erase_subject(ADMIN, aux, "本人申请")
    assert refused.value.code == "legal_hold"
    assert refused.value.holds == (("legal_hold", "H-1"),)
    for personal in (RESIDENT_ID, NAME, PHONE, ADDRESS):
        assert personal not in str(refused.value)
    assert ledger.ledger_recorder.max_notification_id() == head
    assert ledger.auxiliary(aux).name == NAME  # the key is intact
    ledger.command_legal_hold(
        aux,
        ReleaseLegalHold(hold_id="H-1", reason="诉讼终结"),
        Envelope(actor("inspector", A), effective=DAY3),
    )
    ledger.erase_subject(ADMIN, aux, "本人申请")
    holds = ledger.load(LegalHolds, LegalHolds.id_for(aux))
    assert holds.erasures_cleared == 1
    assert [h.standing for h in holds.holds] == [False]


def test_only_discipline_inspectors_and_administrators_place_holds(ledger: AuxLedger) -> None:
    aux = _hire(ledger, A)
    with pytest.raises(NotAuthorisedError):
        _place(ledger, aux, role="personnel")
    assert not ledger.exists(LegalHolds.id_for(aux))
    _place(ledger, aux, "H-2", role="admin")


def test_an_open_complaint_and_a_pending_appeal_block_erasure(ledger: AuxLedger) -> None:
    aux = _hire(ledger, A)
    complaint_id = uuid4()
    ledger.receive_complaint(
        ReceiveComplaint(
            complaint_id=complaint_id,
            auxiliary_id=aux,
            channel="online",
            incident_at=datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
            incident_place="试验广场",
            allegations=["态度粗暴"],
            complainant_name=None,
            complainant_phone=None,
            complainant_resident_id=None,
            complainant_address=None,
            contact_text=None,
            tracking_hash=None,
        ),
        Envelope(Actor(actor_id="intake", role="public", organ=A, unit=None), effective=DAY3),
    )
    _sanction(ledger, aux, A, "warning")
    ledger.command_auxiliary(
        aux,
        AppealSanction(sanction_id="S-1", grounds="不服"),
        Envelope(actor("discipline", A), effective=DAY3),
    )
    with pytest.raises(LegalHoldError) as refused:
        ledger.erase_subject(ADMIN, aux, "本人申请")
    assert set(refused.value.holds) == {("complaint", str(complaint_id)), ("appeal", "S-1")}


def test_an_unnamed_complaint_blocks_erasure_once_it_is_matched(ledger: AuxLedger) -> None:
    aux = _hire(ledger, A)
    office = Envelope(actor("complaints", A), effective=DAY3)
    complaint_id = uuid4()
    ledger.take_complaint(
        TakeComplaint(
            channel="walk_in",
            subject_description="穿辅警制服的年轻男子",
            incident_at=datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
            incident_place="试验广场",
            allegations=["态度粗暴"],
            complaint_id=complaint_id,
        ),
        office,
    )
    ledger.erase_subject(ADMIN, _hire(ledger, A, number=_other_number()), "本人申请")
    ledger.match_complaint(complaint_id, MatchSubject(auxiliary_id=aux), office)
    with pytest.raises(LegalHoldError) as refused:
        ledger.erase_subject(ADMIN, aux, "本人申请")
    assert set(refused.value.holds) == {("complaint", str(complaint_id))}


def test_a_hold_placed_meanwhile_and_the_erasure_cannot_both_commit(ledger: AuxLedger) -> None:
    aux = _hire(ledger, A)
    _place(ledger, aux)
    ledger.command_legal_hold(
        aux,
        ReleaseLegalHold(hold_id="H-1", reason="诉讼终结"),
        Envelope(actor("discipline", A), effective=DAY3),
    )
    # A hold placed by another process between the erasure's check and its save: the
    # erasure's ErasureCleared takes the version the placement took, so the store refuses it.
    stale = ledger.load(LegalHolds, LegalHolds.id_for(aux))
    _place(ledger, aux, "H-3")
    rec = ledger.recording(Envelope(ADMIN))
    stale.clear_erasure(rec)
    from ledger.errors import ConcurrencyConflictError  # noqa: PLC0415

    with pytest.raises(ConcurrencyConflictError):
        ledger.save(stale)
    assert ledger.load(Auxiliary, aux).name == NAME
    assert isinstance(ledger.organ(A), Organ)


def test_the_demo_rehires_a_dismissed_person_with_an_override_and_releases_a_hold(
    aux_ledger: AuxLedger,
) -> None:
    counts = load_demo(aux_ledger, officers=40, seed=9)  # a seed with a dismissal
    overridden = aux_ledger.recorder.select_notifications(
        start=None, limit=10, topics=[get_topic(Auxiliary.PriorRecordOverridden)]
    )
    released = aux_ledger.recorder.select_notifications(
        start=None, limit=10, topics=[get_topic(LegalHolds.Released)]
    )
    assert len(overridden) == 1 and len(released) == 1, counts
    rehired = aux_ledger.auxiliary(overridden[0].originator_id)
    assert rehired.prior_record_override is not None
    warned, _ = rehired.prior_record_override
    assert rehired.organ not in warned
    holds = aux_ledger.load(LegalHolds, released[0].originator_id)
    assert holds.holds and not holds.standing()
