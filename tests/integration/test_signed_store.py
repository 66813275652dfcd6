"""The signed, chained store on real databases: writes are sealed, reads are checked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import pytest

from ledger.application import LedgerApplication
from ledger.config import Settings
from ledger.errors import (
    BadSignatureError,
    ConcurrencyConflictError,
    KeyNotValidError,
    RecordMismatchError,
    UnknownKeyError,
    VersionGapError,
)
from ledger.log import MerkleLog
from ledger.record import GENESIS_PREVIOUS, parse_record, record_hash
from tests.conftest import initialised, make_settings, race
from tests.integration.aggregates import Notebook
from tests.integration.tamper import Tamperer

E = TypeVar("E", bound=Exception)


@pytest.fixture
def app(settings: Settings) -> LedgerApplication:
    ledger = initialised(LedgerApplication, settings)
    return ledger


def _notebook(app: LedgerApplication, pages: int = 3) -> Notebook:
    book = Notebook.open("field notes")
    for i in range(pages):
        book.write(f"page {i}")
    app.save(book)
    return book


def _refused_on_read(app: LedgerApplication, aggregate_id: UUID, error: type[E]) -> E:
    """The ``error`` a fresh process meets reading ``aggregate_id`` back."""
    with pytest.raises(error) as caught:
        LedgerApplication(app.settings).repository.get(aggregate_id)
    return caught.value


def test_every_record_is_signed_and_chained(app: LedgerApplication) -> None:
    book = _notebook(app, pages=3)
    rows = app.recorder.select_events(book.id)
    assert [r.originator_version for r in rows] == [1, 2, 3, 4]
    previous = GENESIS_PREVIOUS
    active = app.active_signer()
    for row in rows:
        record = parse_record(row.state)
        assert record.previous_hash == previous
        assert record.key_id == active.key_id
        assert record.topic == row.topic
        previous = record_hash(row.state)
    assert app.repository.get(book.id).pages == ["page 0", "page 1", "page 2"]


def test_every_save_is_logged_and_checkpointed(app: LedgerApplication) -> None:
    log = MerkleLog(app.ledger_recorder)
    before = log.tree_size()
    book = _notebook(app, pages=1)
    assert log.tree_size() == before + 2
    latest = log.latest_checkpoint()
    assert latest is not None and latest.tree_size == before + 2
    book = app.repository.get(book.id)
    book.write("another")
    app.save(book)
    assert log.latest_checkpoint().tree_size == before + 3  # type: ignore[union-attr]


def test_changed_payload_byte_is_caught_on_read(app: LedgerApplication) -> None:
    book = _notebook(app)
    Tamperer(app).flip_payload_byte(book.id, 2)
    caught = _refused_on_read(app, book.id, BadSignatureError)
    assert caught.originator_id == str(book.id)
    assert caught.originator_version == 2


def test_a_long_history_is_anchored_on_its_newest_signature(app: LedgerApplication) -> None:
    # Reads check one signature (the newest) and the chain below it; any change to an older
    # record still fails, named at the record that was changed, not the one after it.
    book = _notebook(app, pages=30)
    tamper = Tamperer(app)
    state = tamper.state(book.id, 12)
    tamper.set_state(book.id, 12, state[:-1] + bytes([state[-1] ^ 1]))  # its signature only
    assert _refused_on_read(app, book.id, BadSignatureError).originator_version == 12
    tamper.set_state(book.id, 12, state)
    newest = tamper.state(book.id, 31)
    tamper.set_state(book.id, 31, newest[:-1] + bytes([newest[-1] ^ 1]))
    assert _refused_on_read(app, book.id, BadSignatureError).originator_version == 31
    tamper.set_state(book.id, 31, newest)
    assert len(LedgerApplication(app.settings).repository.get(book.id).pages) == 30


def test_deleted_middle_event_is_caught_on_read(app: LedgerApplication) -> None:
    book = _notebook(app)
    Tamperer(app).delete_event(book.id, 2)
    assert _refused_on_read(app, book.id, VersionGapError).originator_version == 3


def test_event_moved_to_another_aggregate_is_caught_on_read(app: LedgerApplication) -> None:
    book = _notebook(app)
    other = _notebook(app, pages=1)
    Tamperer(app).move_event(book.id, 4, other.id)
    _refused_on_read(app, other.id, RecordMismatchError)


def test_changed_topic_is_caught_on_read(app: LedgerApplication) -> None:
    book = _notebook(app)
    Tamperer(app).set_topic(book.id, 2, "tests.integration.aggregates:Notebook.Opened")
    _refused_on_read(app, book.id, RecordMismatchError)


def test_record_signed_by_unknown_key_is_refused(app: LedgerApplication, tmp_path: Path) -> None:
    book = _notebook(app, pages=1)
    stranger = LedgerApplication(
        make_settings(tmp_path / "other", f"sqlite:///{tmp_path / 'stranger.sqlite'}"),
        create_tables=True,
    )
    stranger.initialise("stranger")
    forged = Notebook.open("forged")
    forged_id = forged.id
    stranger.save(forged)
    row = stranger.recorder.select_events(forged_id)[0]
    Tamperer(app).insert_raw(forged_id, 1, row.topic, row.state)
    _refused_on_read(app, forged_id, UnknownKeyError)
    assert app.repository.get(book.id).pages == ["page 0"]


def test_record_signed_after_revocation_is_refused(app: LedgerApplication) -> None:
    old_key = app.active_signer()
    app.rotate_key("test")
    app.revoke_key(old_key.public.key_id_hex, "laptop stolen", "test")
    # A thief with the old key writes a correctly chained, correctly signed record.
    forged = Tamperer(app).insert_forged(old_key, "after revocation")
    _refused_on_read(app, forged, KeyNotValidError)


def test_two_writers_one_wins_and_the_chain_never_forks(settings: Settings) -> None:
    app = initialised(LedgerApplication, settings)
    book = _notebook(app, pages=1)

    def writer(name: str) -> Callable[[], object]:
        writer_app = LedgerApplication(settings)
        copy = writer_app.repository.get(book.id)
        copy.write(name)
        return lambda: writer_app.save(copy)

    assert sorted(race(writer, ("a", "b"), (ConcurrencyConflictError,))) == ["refused", "won"]
    rows = app.recorder.select_events(book.id)
    assert [r.originator_version for r in rows] == [1, 2, 3]
    assert len(LedgerApplication(settings).repository.get(book.id).pages) == 2


def test_a_process_with_a_stale_key_re_signs_with_the_new_one(settings: Settings) -> None:
    first = initialised(LedgerApplication, settings)
    second = LedgerApplication(settings)
    book = _notebook(second, pages=1)
    old = second.active_signer().key_id
    first.rotate_key("test")
    copy = second.repository.get(book.id)
    copy.write("after rotation")
    second.save(copy)
    last = second.recorder.select_events(book.id)[-1]
    assert parse_record(last.state).key_id != old
    assert LedgerApplication(settings).repository.get(book.id).pages[-1] == "after rotation"
