"""Personal data: sealed inside signed events, crypto-shredded on erasure, keys rotated.

Every test runs on a real SQLite file and a real PostgreSQL schema. The raw scans read the
database's own files (SQLite file and WAL; PostgreSQL relation files after a CHECKPOINT)
and every row of every table, looking for the plaintext bytes of personal fields.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from api.demo import builders
from domain.commands.auxiliary import Correct, Hire
from ledger.config import Settings
from ledger.errors import ConcurrencyConflictError, StaleSigningKeyError
from ledger.log import MerkleLog
from ledger.persistence import SUBJECT_KEYS
from ledger.privacy import (
    ERASED,
    MASTER_KEY_FILE,
    SEALED,
    ErasureError,
    ErasureRecord,
    MasterKey,
    MasterKeyMismatchError,
    MasterKeyRotatedError,
    PersonalDataError,
    SealedFieldError,
    field_aad,
)
from ledger.records import AuxLedger, Envelope
from ledger.verify import verify_ledger
from tests.holds import end_erasure_blockers
from tests.integration import trial
from tests.integration.tamper import Tamperer
from tests.integration.trial import (
    ADMIN,
    PERSONNEL,
    PHONE,
    RESIDENT_ID,
    WHEN,
    set_up,
)

# Distinctive plaintexts, easy to find in raw bytes if they ever leaked (and the trial
# organ's RESIDENT_ID and PHONE).
ADDRESS = "ZQXADDRESS 崇川区试验路9号"
COMPLAINANT = "ZQXCOMPLAINANT"
CONTACT = "ZQXCONTACT evenings only"
MARKERS = [RESIDENT_ID, PHONE, ADDRESS, COMPLAINANT, CONTACT]


def _ledger(settings: Settings) -> AuxLedger:
    return AuxLedger(settings, clock=lambda: WHEN)


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    return set_up(aux_ledger)


def _hire_command(auxiliary_id: UUID, person: int = 0) -> Hire:
    """The synthetic patrol auxiliary these tests hire (personal fields to seal); ``person``
    > 0: another person (a person holds one post at a time)."""
    if person:
        return trial.hire_command(
            auxiliary_id, address=ADDRESS, resident_id=builders.other_resident_id(person)
        )
    return trial.hire_command(auxiliary_id, address=ADDRESS)


def _hire(ledger: AuxLedger, person: int = 0) -> UUID:
    auxiliary_id = uuid4()
    ledger.hire(
        "320699",
        _hire_command(auxiliary_id, person),
        Envelope(PERSONNEL, effective=date(2026, 11, 1)),
    )
    return auxiliary_id


def _complaint(ledger: AuxLedger, auxiliary_id: UUID) -> UUID:
    """A complaint about ``auxiliary_id`` whose complainant and contact are markers."""
    return trial.complain(ledger, auxiliary_id, complainant_name=COMPLAINANT, contact_text=CONTACT)


def _raw_database_bytes(settings: Settings) -> bytes:
    """Every byte the database holds for this ledger: files on disk and every row."""
    db = settings.database
    chunks: list[bytes] = []
    if not db.is_postgres:
        assert db.sqlite_path is not None
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = Path(str(db.sqlite_path) + suffix)
            if path.exists():
                chunks.append(path.read_bytes())
        return b"".join(chunks)
    with psycopg.connect(db.conninfo(), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        data_dir = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
        relations = conn.execute(
            "SELECT c.oid::regclass::text, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
            "AND c.relkind IN ('r', 'i', 't')",
            (db.schema,),
        ).fetchall()
        files = 0
        for name, _kind in relations:
            path = conn.execute("SELECT pg_relation_filepath(%s::regclass)", (name,)).fetchone()[0]
            full = Path(data_dir) / path if path else None
            if full is not None and os.access(full.parent, os.R_OK):
                for file in full.parent.glob(full.name + "*"):
                    chunks.append(file.read_bytes())
                    files += 1
        assert files or not os.access(data_dir, os.R_OK), "no relation file was scanned"
        for name, kind in relations:
            if kind == "r":
                for row in conn.execute(
                    sql.SQL("SELECT t::text FROM {} t").format(sql.SQL(name))
                ).fetchall():
                    chunks.append(row[0].encode("utf-8"))
    return b"\n".join(chunks)


def _leaks(blob: bytes) -> list[str]:
    found = []
    for marker in MARKERS:
        for form in (marker.encode("utf-8"), marker.encode("utf-8").hex().encode()):
            if form in blob:
                found.append(marker)
    return found


def test_personal_fields_are_only_ciphertext_in_the_database(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    _complaint(ledger, auxiliary_id)
    assert _leaks(_raw_database_bytes(ledger.settings)) == []
    # ... while the application reads them back for whoever may see them.
    fresh = _ledger(ledger.settings)
    auxiliary = fresh.auxiliary(auxiliary_id)
    assert (auxiliary.resident_id, auxiliary.phone, auxiliary.address) == (
        RESIDENT_ID,
        PHONE,
        ADDRESS,
    )


def test_signatures_and_leaves_cover_the_ciphertext(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    row = ledger.recorder.select_events(auxiliary_id)[0]
    assert b'"_type_":"pii"' in row.state
    assert PHONE.encode() not in row.state
    assert verify_ledger(AuxLedger(ledger.settings, personal_data=False), full=True).ok


def test_an_auditor_without_the_master_key_sees_sealed_values(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    (ledger.settings.key_dir / MASTER_KEY_FILE).unlink()
    auditor = AuxLedger(ledger.settings, personal_data=False)
    assert auditor.auxiliary(auxiliary_id).phone == SEALED
    with pytest.raises(PersonalDataError):
        AuxLedger(ledger.settings)  # a writer refuses to start without it


def test_erasure_end_to_end(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    complaint_id = _complaint(ledger, auxiliary_id)
    complainant = ledger.complaint(complaint_id).complainant_id
    end_erasure_blockers(ledger, auxiliary_id)  # an open complaint is a legal hold
    size_before = MerkleLog(ledger.ledger_recorder).tree_size()

    recorded = ledger.erase_subject(ADMIN, auxiliary_id, "PIPL Art. 47 request 2026-118")
    ledger.erase_subject(ADMIN, complainant, "complainant asked for deletion")
    # Each erasure: its record, and the subject's holds record opened and cleared with it.
    assert recorded.hash and MerkleLog(ledger.ledger_recorder).tree_size() == size_before + 6

    fresh = _ledger(ledger.settings)
    auxiliary = fresh.auxiliary(auxiliary_id)
    assert (auxiliary.resident_id, auxiliary.phone, auxiliary.address) == (ERASED,) * 3
    assert auxiliary.name == "王小明"  # not personal data under the regulation's record
    complaint = fresh.complaint(complaint_id)
    assert (complaint.complainant_name, complaint.contact_text) == (ERASED, ERASED)
    # The erasure record holds no personal data; the key rows are gone.
    erasure_rows = fresh.recorder.select_events(recorded.originator_id)
    assert _leaks(erasure_rows[0].state) == []
    keys = ledger.privacy.store.fetch([auxiliary_id, complainant])
    assert keys == {auxiliary_id: None, complainant: None}
    # Proofs and signatures still hold; nothing of the plaintext anywhere.
    report = verify_ledger(AuxLedger(ledger.settings, personal_data=False), full=True)
    assert report.ok, report.failures
    assert _leaks(_raw_database_bytes(ledger.settings)) == []


def test_erasing_twice_or_an_unknown_subject_is_refused_and_records_nothing(
    ledger: AuxLedger,
) -> None:
    auxiliary_id = _hire(ledger)
    ledger.erase_subject(ADMIN, auxiliary_id, "request")
    log = MerkleLog(ledger.ledger_recorder)
    size = log.tree_size()
    with pytest.raises(ErasureError, match="already erased"):
        ledger.erase_subject(ADMIN, auxiliary_id, "again")
    with pytest.raises(ErasureError, match="no personal data"):
        ledger.erase_subject(ADMIN, uuid4(), "who?")
    with pytest.raises(ErasureError, match="reason"):
        ledger.erase_subject(ADMIN, _hire(ledger), "  ")
    assert log.tree_size() == size + 3  # only the second hire (auxiliary, slot, hire marker)


def test_only_an_administrator_may_erase(ledger: AuxLedger) -> None:
    from domain.errors import NotAuthorisedError  # noqa: PLC0415

    auxiliary_id = _hire(ledger)
    with pytest.raises(NotAuthorisedError):
        ledger.erase_subject(PERSONNEL, auxiliary_id, "request")
    assert ledger.auxiliary(auxiliary_id).phone == PHONE


def test_a_failed_erasure_leaves_the_key_intact(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    tamper = Tamperer(ledger)
    tamper.sql("UPDATE {head} SET active_key_id = ? WHERE id = 1", (b"\x00\x00\x00\x01",))
    log = MerkleLog(ledger.ledger_recorder)
    size = log.tree_size()
    with pytest.raises(StaleSigningKeyError):
        ledger.erase_subject(ADMIN, auxiliary_id, "request")
    assert log.tree_size() == size
    assert ledger.privacy.store.fetch([auxiliary_id])[auxiliary_id] is not None
    assert not ledger.exists(ErasureRecord.id_for(auxiliary_id))


def test_a_wrong_master_key_fails_closed_at_start(ledger: AuxLedger) -> None:
    _hire(ledger)
    path = ledger.settings.key_dir / MASTER_KEY_FILE
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    with pytest.raises(MasterKeyMismatchError, match="AUXLEDGER_KEY_DIR"):
        AuxLedger(ledger.settings)


def test_a_master_key_given_in_the_settings_opens_the_personal_data(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    path = ledger.settings.key_dir / MASTER_KEY_FILE
    raw = base64.b64decode(path.read_text())
    path.unlink()
    given = replace(ledger.settings, master_key=raw)  # AUXLEDGER_MASTER_KEY, read by Settings
    assert _ledger(given).auxiliary(auxiliary_id).phone == PHONE
    with pytest.raises(MasterKeyMismatchError, match="AUXLEDGER_KEY_DIR"):
        AuxLedger(replace(ledger.settings, master_key=os.urandom(32)))


def test_master_key_rotation_rewraps_keys_and_touches_no_event(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    rows_before = [r.state for r in ledger.recorder.select_notifications(start=None, limit=1000)]
    wrapped_before = ledger.privacy.store.fetch([auxiliary_id])[auxiliary_id]
    old_file = (ledger.settings.key_dir / MASTER_KEY_FILE).read_bytes()
    old_id, new_id, count = ledger.privacy.rotate_master()
    assert old_id != new_id and count == 1
    assert (ledger.settings.key_dir / MASTER_KEY_FILE).read_bytes() != old_file
    assert ledger.privacy.store.fetch([auxiliary_id])[auxiliary_id] != wrapped_before
    rows_after = [r.state for r in ledger.recorder.select_notifications(start=None, limit=1000)]
    assert rows_after == rows_before
    fresh = _ledger(ledger.settings)
    assert fresh.auxiliary(auxiliary_id).phone == PHONE
    assert verify_ledger(AuxLedger(ledger.settings, personal_data=False), full=True).ok


def _master_file(settings: Settings) -> MasterKey:
    return MasterKey(base64.b64decode((settings.key_dir / MASTER_KEY_FILE).read_text()))


def test_a_process_seals_under_the_master_key_another_process_rotated(
    ledger: AuxLedger,
) -> None:
    other = _ledger(ledger.settings)  # a second process on the same ledger, key loaded
    first = _hire(other)
    old_id, new_id, _ = ledger.privacy.rotate_master()
    other.privacy.forget()  # its cached data keys expired: it unwraps again
    assert other.auxiliary(first).phone == PHONE
    auxiliary_id = _hire(other, person=1)
    wrapped = other.privacy.store.fetch([auxiliary_id])[auxiliary_id]
    assert wrapped is not None
    _master_file(ledger.settings).unwrap(auxiliary_id, wrapped)  # opens with the new key
    assert _master_file(ledger.settings).key_id == new_id != old_id
    assert _ledger(ledger.settings).auxiliary(auxiliary_id).phone == PHONE
    assert ledger.privacy.rotate_master()[2] == 2  # a second rotation re-wraps both keys


def test_a_key_wrapped_before_another_process_rotated_is_never_stored(
    ledger: AuxLedger,
) -> None:
    other = _ledger(ledger.settings)
    _hire(other)
    auxiliary_id = uuid4()
    # The other process wrapped the new subject's key, then the rotation commits.
    other.privacy.ensure_keys([auxiliary_id], new=[auxiliary_id])
    ledger.privacy.rotate_master()
    other.hire(
        "320699",
        _hire_command(auxiliary_id, person=1),
        Envelope(PERSONNEL, effective=date(2026, 11, 1)),
    )
    wrapped = other.privacy.store.fetch([auxiliary_id])[auxiliary_id]
    assert wrapped is not None
    _master_file(ledger.settings).unwrap(auxiliary_id, wrapped)
    assert _ledger(ledger.settings).auxiliary(auxiliary_id).phone == PHONE


def test_a_process_without_the_rotated_master_key_refuses_and_stores_nothing(
    ledger: AuxLedger,
) -> None:
    known = _hire(ledger)
    old_raw = _master_file(ledger.settings).raw
    # The other process has its master key from AUXLEDGER_MASTER_KEY: no new key reaches it.
    other = _ledger(replace(ledger.settings, master_key=old_raw))
    _hire(other, person=1)
    ledger.privacy.rotate_master()
    size = MerkleLog(ledger.ledger_recorder).tree_size()
    auxiliary_id = uuid4()
    with pytest.raises(MasterKeyRotatedError, match="nothing is sealed or stored"):
        other.hire(
            "320699",
            _hire_command(auxiliary_id, person=2),
            Envelope(PERSONNEL, effective=date(2026, 11, 1)),
        )
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size
    assert auxiliary_id not in ledger.privacy.store.fetch([auxiliary_id])
    other.privacy.forget()
    with pytest.raises(MasterKeyRotatedError):
        other.privacy.data_key(known)
    assert _ledger(ledger.settings).auxiliary(known).phone == PHONE


def test_rotation_names_a_data_key_that_does_not_unwrap_and_changes_nothing(
    ledger: AuxLedger,
) -> None:
    auxiliary_id = _hire(ledger)
    stray = MasterKey(os.urandom(32))
    ledger.privacy.store.insert_missing(
        {uuid4(): (stray.wrap(auxiliary_id, os.urandom(32)), stray.key_id)}
    )
    before = (ledger.settings.key_dir / MASTER_KEY_FILE).read_bytes()
    with pytest.raises(SealedFieldError, match="does not unwrap with master key"):
        ledger.privacy.rotate_master()
    assert (ledger.settings.key_dir / MASTER_KEY_FILE).read_bytes() == before
    assert not (ledger.settings.key_dir / "master.key.new").exists()
    assert _ledger(ledger.settings).auxiliary(auxiliary_id).phone == PHONE


def test_ciphertext_cannot_move_between_fields_or_events(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    row = ledger.recorder.select_events(auxiliary_id)[0]
    record = ledger.record_mapper.verifier.check(row)  # type: ignore[union-attr]
    state = ledger.record_mapper.transcoder.decode(record.payload)
    sealed_phone = state["phone"]
    aad = field_aad(auxiliary_id, auxiliary_id, 1, row.topic, "address")
    with pytest.raises(SealedFieldError):
        ledger.privacy.open(sealed_phone, aad)
    other = field_aad(auxiliary_id, uuid4(), 1, row.topic, "phone")
    with pytest.raises(SealedFieldError):
        ledger.privacy.open(sealed_phone, other)
    right = field_aad(auxiliary_id, auxiliary_id, 1, row.topic, "phone")
    assert ledger.privacy.open(sealed_phone, right) == f'"{PHONE}"'.encode()


def test_blind_index_is_keyed_and_stable(ledger: AuxLedger) -> None:
    first = ledger.privacy.blind_index("resident_id", RESIDENT_ID.lower())
    assert first == ledger.privacy.blind_index("resident_id", RESIDENT_ID)
    assert RESIDENT_ID not in first and len(first) == 64
    assert first != ledger.privacy.blind_index("phone", RESIDENT_ID)


def test_no_new_personal_data_is_sealed_for_an_erased_subject(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    ledger.erase_subject(ADMIN, auxiliary_id, "request")
    with pytest.raises((PersonalDataError, ConcurrencyConflictError)):
        ledger.correct_auxiliary(
            auxiliary_id,
            Correct(field="phone", value="19900000000", reason="new number"),
            Envelope(PERSONNEL),
        )
    assert ledger.privacy.store.fetch([auxiliary_id])[auxiliary_id] is None


def test_subject_key_table_holds_no_plaintext_key_material(ledger: AuxLedger) -> None:
    auxiliary_id = _hire(ledger)
    tamper = Tamperer(ledger)
    rows = tamper.sql(
        "SELECT wrapped FROM "
        + (f'"{tamper.recorder.datastore.schema}".' if tamper.pg else "")
        + SUBJECT_KEYS
    )
    assert rows and all(len(bytes(r[0])) == 12 + 32 + 16 for r in rows)
    key = ledger.privacy.data_key(auxiliary_id)
    assert key is not None and all(key not in bytes(r[0]) for r in rows)


def test_the_raw_scan_finds_plaintext_when_it_is_there(ledger: AuxLedger) -> None:
    """The scan used above can fail: a plaintext written by hand is found."""
    tamper = Tamperer(ledger)
    tamper.sql("UPDATE {checkpoints} SET note = ? WHERE tree_size = 1", (f"x {PHONE} y",))
    assert PHONE in _leaks(_raw_database_bytes(ledger.settings))


def test_a_new_persons_key_is_stored_only_with_their_events(ledger: AuxLedger) -> None:
    tamper = Tamperer(ledger)
    tamper.sql("UPDATE {head} SET active_key_id = ? WHERE id = 1", (b"\x00\x00\x00\x02",))
    auxiliary_id = uuid4()
    with pytest.raises(StaleSigningKeyError):
        ledger.hire(
            "320699",
            _hire_command(auxiliary_id),
            Envelope(PERSONNEL, effective=date(2026, 11, 1)),
        )
    assert ledger.privacy.store.fetch([auxiliary_id]) == {}


def test_two_writers_making_a_key_for_the_same_new_person(ledger: AuxLedger) -> None:
    from eventsourcing.persistence import StoredEvent  # noqa: PLC0415

    from ledger.privacy import SubjectKeyConflictError  # noqa: PLC0415

    other = _ledger(ledger.settings)
    subject = uuid4()
    mine = ledger.privacy.ensure_keys({subject})
    theirs = other.privacy.ensure_keys({subject})
    assert mine[subject] != theirs[subject]
    ledger.save(ErasureRecord.record(uuid4(), "carrier", "t", "admin", "x"), subject_keys=mine)
    with pytest.raises(SubjectKeyConflictError):
        other.recorder.insert_events(
            [StoredEvent(uuid4(), 1, "x:Y", b"{}")],
            signer=other.active_signer(),
            subject_keys=theirs,
        )
    assert ledger.privacy.store.fetch([subject])[subject] == mine[subject][0]


def test_an_erasure_elsewhere_reaches_cached_records(
    ledger: AuxLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ledger.records as records  # noqa: PLC0415

    auxiliary_id = _hire(ledger)
    reader = _ledger(ledger.settings)
    assert reader.auxiliary(auxiliary_id).phone == PHONE  # now cached, opened
    _ledger(ledger.settings).erase_subject(ADMIN, auxiliary_id, "request")
    monkeypatch.setattr(records, "ERASURE_RECHECK_SECONDS", 0.0)
    assert reader.auxiliary(auxiliary_id).phone == ERASED


def test_a_new_complainant_needs_no_key_lookup_and_a_false_claim_is_still_refused(
    ledger: AuxLedger,
) -> None:
    """Intake makes the complainant's id itself, so it does not look for a stored key; a
    subject wrongly called new (one that has a key) still cannot get a second key."""
    from eventsourcing.persistence import StoredEvent  # noqa: PLC0415

    from ledger.privacy import SubjectKeyConflictError  # noqa: PLC0415

    auxiliary_id = _hire(ledger)
    store = ledger.privacy.store
    looked_up: list[set[UUID]] = []
    real_fetch = store.fetch

    def counting_fetch(subjects: Iterable[UUID]) -> dict[UUID, bytes | None]:
        wanted = set(subjects)
        looked_up.append(wanted)
        return real_fetch(wanted)

    store.fetch = counting_fetch  # type: ignore[method-assign]
    complaint_id = _complaint(ledger, auxiliary_id)
    complainant = ledger.complaint(complaint_id).complainant_id
    assert all(complainant not in wanted for wanted in looked_up)
    assert real_fetch([complainant])[complainant] is not None  # stored with the intake

    other = _ledger(ledger.settings)
    wrongly_new = other.privacy.ensure_keys({auxiliary_id}, new={auxiliary_id})
    with pytest.raises(SubjectKeyConflictError):
        other.recorder.insert_events(
            [StoredEvent(uuid4(), 1, "x:Y", b"{}")],
            signer=other.active_signer(),
            subject_keys=wrongly_new,
        )
