"""The prior-record backfill (issue 13, item 6): separations for cause stored without a
marker are found by a hire again once ``backfill_prior_records`` has run, on both backends.

How the missing marker is made, honestly. Today every separation for cause writes its marker
in the same save, and nothing after a separation can make it "for cause" later: an appeal
cannot be decided, nor a sanction imposed or revoked, once the auxiliary has separated
(``AuxiliarySeparatedError``), and a correction of the resident ID number notes the marker
itself. Recording a dismissal through the domain with the marker step skipped would be a
back door that the real system does not have, so these tests do not. The state a ledger
written before markers existed is in -- a separation for cause that no hire can find -- is
reached here by an operator's path the system does have: the key folder loses
``blind-index.key`` and ``auxledger init`` writes a new one. The markers written under the
old key are then unreachable (a hire computes the new index and finds nothing), exactly as if
they had never been written; the backfill must read the separations from the event store
(checked) and note them under the current index. The no-op run on a ledger whose markers are
all in place, the refusal of the hire afterwards, the skipped erased record, the separation
not for cause, and the second run that records nothing are asserted on the same ledgers.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from api.cli import main
from domain.commands.auxiliary import ReturnToAgency, Separate
from domain.errors import NotAuthorisedError, PriorRecordElsewhereError
from domain.holds import PriorRecordMarker
from domain.identity import resident_id_check_char
from ledger.config import Settings
from ledger.privacy import BLIND_INDEX_KEY_FILE
from ledger.records import AuxLedger, Envelope
from ledger.verify import verify_ledger
from tests import builders
from tests.integration.two_organs import (
    ADMIN,
    DAY2,
    DAY3,
    NAMES,
    WHEN,
    A,
    B,
    actor,
    hire,
    hire_command,
    set_up,
)
from tests.serving import use_environ

DISPATCHED = {"employment_form": "labour_dispatch", "dispatch_agency": "试验劳务派遣公司"}


def _number(serial: str) -> str:
    id17 = "320699199005" + serial
    return id17 + resident_id_check_char(id17)


DISMISSED, RETURNED, RESIGNED, ERASED_ONE, EMPLOYED = (
    _number(s) for s in ("12421", "12432", "12443", "12454", "12465")
)


def _setup(ledger: AuxLedger) -> AuxLedger:
    return set_up(ledger, quota=8)


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    return _setup(aux_ledger)


def _separations(ledger: AuxLedger) -> dict[str, UUID]:
    """Four people of organ A: dismissed; returned to the agency while demoted (for cause);
    resigned (not for cause); dismissed and since erased."""
    personnel = Envelope(actor("personnel", A), effective=DAY3)
    discipline = Envelope(actor("discipline", A), effective=DAY2)
    people: dict[str, UUID] = {}
    for name, number in (("dismissed", DISMISSED), ("erased", ERASED_ONE)):
        aux = people[name] = hire(ledger, A, number)
        builders.impose_sanction(ledger, aux, discipline, sanction_id="S-1", kind="termination")
        ledger.command_auxiliary(aux, Separate(reason="dismissed"), personnel)
    aux = people["returned"] = hire(ledger, A, RETURNED, **DISPATCHED)
    builders.impose_sanction(ledger, aux, discipline, sanction_id="S-1", kind="demotion")
    ledger.command_auxiliary(aux, ReturnToAgency(return_grounds="严重违反派遣协议"), personnel)
    aux = people["resigned"] = hire(ledger, A, RESIGNED)
    ledger.command_auxiliary(aux, Separate(reason="resigned"), personnel)
    ledger.erase_subject(ADMIN, people["erased"], "本人申请删除（测试）")
    return people


def _new_blind_index_key(settings: Settings) -> AuxLedger:
    """The key folder lost ``blind-index.key``; ``auxledger init`` wrote a new one; a new
    process starts on the same database."""
    (settings.key_dir / BLIND_INDEX_KEY_FILE).unlink()
    restarted = AuxLedger(settings)
    restarted.initialise("test")
    return _clocked(restarted)


def _clocked(ledger: AuxLedger) -> AuxLedger:
    ledger.clock = lambda: WHEN
    return ledger


def test_a_ledger_whose_separations_have_markers_is_left_as_it_is(ledger: AuxLedger) -> None:
    people = _separations(ledger)
    assert {aux for aux, _ in ledger.prior_records(DISMISSED)} == {people["dismissed"]}
    head = ledger.ledger_recorder.max_notification_id()
    with pytest.raises(NotAuthorisedError):
        ledger.backfill_prior_records(actor("personnel", A))
    done = ledger.backfill_prior_records(ADMIN)
    assert (done.scanned, done.written) == (4, 0)
    assert ledger.ledger_recorder.max_notification_id() == head


def test_separations_whose_markers_are_unreachable_are_noted_again_once(
    ledger: AuxLedger,
) -> None:
    people = _separations(ledger)
    employed = hire(ledger, A, EMPLOYED)
    ledger.close()
    restarted = _new_blind_index_key(ledger.settings)
    # The gap: the separations for cause and the hire are stored, but no hire would find them.
    assert restarted.prior_records(DISMISSED) == []
    assert restarted.prior_records(RETURNED) == []
    assert restarted.employed_records(EMPLOYED) == []

    head = restarted.ledger_recorder.max_notification_id()
    done = restarted.backfill_prior_records(ADMIN)
    # Four separations read; the dismissal and the return while demoted are noted; the
    # resignation is not for cause and the erased record no longer counts. Five hires read;
    # each person not erased is noted in a hire marker under the new key.
    assert (done.scanned, done.written) == (4, 2)
    assert (done.hires_scanned, done.hires_written) == (5, 4)
    assert restarted.ledger_recorder.max_notification_id() == head + 6
    assert restarted.employed_records(EMPLOYED) == [(employed, A)]
    again = restarted.backfill_prior_records(ADMIN)
    assert (again.written, again.hires_written) == (0, 0)
    for name, number in (("dismissed", DISMISSED), ("returned", RETURNED)):
        assert restarted.prior_records(number) == [(people[name], A)]
        marker_id = PriorRecordMarker.id_for(restarted.privacy.blind_index("resident_id", number))
        opened = list(restarted.repository.event_store.get(marker_id))
        assert [type(e).__name__ for e in opened] == ["Opened"]
        assert opened[0].actor.actor_id == ADMIN.actor_id
    assert restarted.prior_records(RESIGNED) == []
    assert restarted.prior_records(ERASED_ONE) == []

    # A hire of the dismissed person by the other organ is refused again, storing nothing.
    cmd = hire_command(B, DISMISSED)
    with pytest.raises(PriorRecordElsewhereError) as refused:
        restarted.hire(B, cmd, Envelope(actor("personnel", B), effective=DAY3))
    assert refused.value.organs == ((A, NAMES[A]),)
    assert cmd.auxiliary_id is not None and not restarted.exists(cmd.auxiliary_id)

    # A second run records nothing, and the markers are signed, chained and logged.
    head = restarted.ledger_recorder.max_notification_id()
    again = restarted.backfill_prior_records(ADMIN)
    assert (again.scanned, again.written) == (4, 0)
    assert restarted.ledger_recorder.max_notification_id() == head
    assert verify_ledger(restarted, full=True).ok
    restarted.close()


def test_the_backfill_verb_prints_one_line(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_environ(settings, monkeypatch)
    assert main(["init"]) == 0
    ledger = _setup(AuxLedger(settings))
    _separations(ledger)
    ledger.close()
    capsys.readouterr()
    assert main(["holds", "backfill-markers"]) == 0
    out, err = capsys.readouterr()
    assert out == (
        "scanned 4 separations: 0 prior-record markers written; "
        "scanned 4 hires: 0 hire markers written\n"
    )
    assert err == ""
    (settings.key_dir / BLIND_INDEX_KEY_FILE).unlink()
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["holds", "backfill-markers"]) == 0
    assert capsys.readouterr().out == (
        "scanned 4 separations: 2 prior-record markers written; "
        "scanned 4 hires: 3 hire markers written\n"  # the erased record is not noted
    )
    assert main(["holds", "backfill-markers"]) == 0
    assert capsys.readouterr().out == (
        "scanned 4 separations: 0 prior-record markers written; "
        "scanned 4 hires: 0 hire markers written\n"
    )
    # No sub-verb: one usage line and exit code 2.
    assert main(["holds"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
