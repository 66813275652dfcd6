"""Contract of the subject-key store (``ledger.privacy.SubjectKeyStore``), on both backends.

The store holds each data subject's data key wrapped by the master key, and the master key's
check value. The abstract case states what every backend's store does; the concrete classes
give the factory (and an erasure done by hand, as the recorder's erasure statement does it:
the wrapped key becomes NULL).
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography.exceptions import InvalidTag
from psycopg.sql import SQL, Identifier

from ledger.persistence import (
    SUBJECT_KEYS,
    PostgresLedgerRecorder,
    PostgresSubjectKeyStore,
    SQLiteLedgerRecorder,
    SQLiteSubjectKeyStore,
)
from ledger.privacy import MasterKey, SealedFieldError, SubjectKeyStore
from ledger.records import AuxLedger
from tests.conftest import at_once
from tests.contract.conftest import OnPostgres, OnSQLite


def _master() -> MasterKey:
    return MasterKey(secrets.token_bytes(32))


def _wrapped(master: MasterKey, subjects: list[UUID]) -> dict[UUID, tuple[bytes, str]]:
    return {s: (master.wrap(s, secrets.token_bytes(32)), master.key_id) for s in subjects}


class SubjectKeyStoreContract(ABC):
    """What every backend's subject-key store does."""

    @abstractmethod
    def create_store(self, ledger: AuxLedger) -> SubjectKeyStore:
        """The backend's store on the ledger's recorder."""

    @abstractmethod
    def erase_by_hand(self, ledger: AuxLedger, subject: UUID) -> None:
        """Destroy a subject's wrapped key as the recorder's erasure does (NULL)."""

    @pytest.fixture
    def store(self, ledger: AuxLedger) -> SubjectKeyStore:
        return self.create_store(ledger)

    def test_unknown_subjects_are_absent(self, store: SubjectKeyStore) -> None:
        assert store.fetch([uuid4(), uuid4()]) == {}
        assert store.fetch([]) == {}

    def test_inserted_keys_are_fetched_by_subject(self, store: SubjectKeyStore) -> None:
        master = _master()
        subjects = [uuid4() for _ in range(3)]
        rows = _wrapped(master, subjects)
        store.insert_missing(rows)
        unknown = uuid4()
        found = store.fetch([*subjects, unknown])
        assert found == {s: rows[s][0] for s in subjects}
        assert all(isinstance(k, UUID) and isinstance(v, bytes) for k, v in found.items())
        assert master.unwrap(subjects[0], found[subjects[0]] or b"") is not None

    def test_many_subjects_are_fetched_in_one_call(self, store: SubjectKeyStore) -> None:
        # More than one chunk of the SQLite store's IN list (500).
        subjects = [uuid4() for _ in range(1234)]
        rows = _wrapped(_master(), subjects)
        store.insert_missing(rows)
        found = store.fetch(subjects)
        assert len(found) == len(subjects)
        assert found == {s: w for s, (w, _) in rows.items()}

    def test_insert_missing_keeps_an_existing_key(self, store: SubjectKeyStore) -> None:
        master = _master()
        subject, other = uuid4(), uuid4()
        first = _wrapped(master, [subject])
        store.insert_missing(first)
        second = _wrapped(master, [subject, other])
        store.insert_missing(second)  # no error: the subject's row is left as it was
        found = store.fetch([subject, other])
        assert found[subject] == first[subject][0]
        assert found[other] == second[other][0]

    def test_an_erased_key_is_fetched_as_none(
        self, store: SubjectKeyStore, ledger: AuxLedger
    ) -> None:
        subject, kept = uuid4(), uuid4()
        rows = _wrapped(_master(), [subject, kept])
        store.insert_missing(rows)
        self.erase_by_hand(ledger, subject)
        assert store.fetch([subject, kept]) == {subject: None, kept: rows[kept][0]}
        store.insert_missing(_wrapped(_master(), [subject]))  # never a new key after erasure
        assert store.fetch([subject]) == {subject: None}

    def test_the_check_value_is_stored_once(self, store: SubjectKeyStore) -> None:
        assert store.check_value() is None
        first, second = _master(), _master()
        check = first.check_value()
        store.set_check_value(first.key_id, check)
        assert store.check_value() == (first.key_id, check)
        store.set_check_value(second.key_id, second.check_value())
        assert store.check_value() == (first.key_id, check)

    def test_rewrap_moves_every_live_key_to_the_new_master(
        self, store: SubjectKeyStore, ledger: AuxLedger
    ) -> None:
        old, new = _master(), _master()
        store.set_check_value(old.key_id, old.check_value())
        live = [uuid4() for _ in range(5)]
        erased = uuid4()
        keys = {s: secrets.token_bytes(32) for s in [*live, erased]}
        store.insert_missing({s: (old.wrap(s, k), old.key_id) for s, k in keys.items()})
        self.erase_by_hand(ledger, erased)

        assert store.rewrap(old, new) == len(live)

        stored = store.check_value()
        assert stored is not None and stored[0] == new.key_id and new.matches(stored[1])
        found = store.fetch([*live, erased])
        assert found[erased] is None
        for subject in live:
            wrapped = found[subject]
            assert wrapped is not None
            assert new.unwrap(subject, wrapped) == keys[subject]
            with pytest.raises(InvalidTag):
                old.unwrap(subject, wrapped)

    def test_a_failed_rewrap_changes_nothing(self, store: SubjectKeyStore) -> None:
        old, stranger, new = _master(), _master(), _master()
        check = old.check_value()
        store.set_check_value(old.key_id, check)
        good = _wrapped(old, [uuid4() for _ in range(3)])
        bad = _wrapped(stranger, [uuid4()])  # not wrapped by the old master
        store.insert_missing({**good, **bad})
        before = store.fetch([*good, *bad])

        with pytest.raises(SealedFieldError, match="does not unwrap with master key"):
            store.rewrap(old, new)

        assert store.check_value() == (old.key_id, check)
        assert store.fetch([*good, *bad]) == before

    def test_concurrent_inserts_of_one_subject_keep_one_key(self, store: SubjectKeyStore) -> None:
        subject = uuid4()
        candidates = [_wrapped(_master(), [subject]) for _ in range(4)]
        assert at_once(store.insert_missing, candidates) == []
        stored = store.fetch([subject])[subject]
        assert stored in {c[subject][0] for c in candidates}


class TestSQLiteSubjectKeyStore(OnSQLite, SubjectKeyStoreContract):
    def create_store(self, ledger: AuxLedger) -> SubjectKeyStore:
        recorder = ledger.ledger_recorder
        assert isinstance(recorder, SQLiteLedgerRecorder)
        return SQLiteSubjectKeyStore(recorder)

    def erase_by_hand(self, ledger: AuxLedger, subject: UUID) -> None:
        recorder: Any = ledger.ledger_recorder
        with recorder.datastore.transaction(commit=True) as c:
            c.execute(
                f"UPDATE {SUBJECT_KEYS} SET wrapped = NULL WHERE subject_id = ?",
                (subject.hex,),
            )


class TestPostgresSubjectKeyStore(OnPostgres, SubjectKeyStoreContract):
    def create_store(self, ledger: AuxLedger) -> SubjectKeyStore:
        recorder = ledger.ledger_recorder
        assert isinstance(recorder, PostgresLedgerRecorder)
        return PostgresSubjectKeyStore(recorder)

    def erase_by_hand(self, ledger: AuxLedger, subject: UUID) -> None:
        recorder: Any = ledger.ledger_recorder
        table = SQL("{}.{}").format(Identifier(recorder.datastore.schema), Identifier(SUBJECT_KEYS))
        with recorder.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("UPDATE {} SET wrapped = NULL WHERE subject_id = %s").format(table),
                (subject,),
            )
