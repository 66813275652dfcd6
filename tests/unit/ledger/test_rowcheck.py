"""The row checker keeps its keys in objects it owns: no state shared by a whole process."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger import rowcheck
from ledger.rowcheck import KeyTable, KeyWindow, Note, RowChecker

KEY_ID = b"\x00\x00\x00\x07"


def _signed_note(key: Ed25519PrivateKey) -> Note:
    text = b"test.auxledger.local/ledger\n5\nroot\n"
    return (5, 9, KEY_ID, text, key.sign(text))


def _window(key: Ed25519PrivateKey) -> KeyWindow:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return KeyWindow(raw=raw, activated_at=1, valid_until=None, status="active")


def test_a_note_is_checked_against_the_key_table_it_is_given() -> None:
    key = Ed25519PrivateKey.generate()
    note = _signed_note(key)
    assert rowcheck.check_note(note, KeyTable({KEY_ID: _window(key)})) == []
    assert [f[0] for f in rowcheck.check_note(note, KeyTable())] == ["checkpoint_signature"]


def test_checkers_in_one_process_keep_their_own_keys() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = _signed_note(key)
    with (
        RowChecker({KEY_ID: _window(key)}, workers=1) as ours,
        RowChecker({KEY_ID: _window(other)}, workers=1) as theirs,
    ):
        ours.add_note(note)
        theirs.add_note(note)
        assert ours.failures() == []
        assert [f[0] for f in theirs.failures()] == ["checkpoint_signature"]
    assert KEY_ID not in rowcheck.WORKER.keys  # nothing process-wide was touched


def test_the_worker_state_resets() -> None:
    key = Ed25519PrivateKey.generate()
    try:
        rowcheck.init_worker({KEY_ID: _window(key)})
        assert rowcheck.check_batch_in_worker([], [_signed_note(key)]) == []
    finally:
        rowcheck.WORKER.reset()
    assert KEY_ID not in rowcheck.WORKER.keys
    assert rowcheck.WORKER.connection is None
