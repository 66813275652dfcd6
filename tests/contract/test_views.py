"""Contract of the read-model views (``projections.views``), on both backends.

Each test states one invariant of the module docstring: exactly once (a stale or repeated
batch is refused, under the projection's write lock), whole batches, ``reset`` in one
transaction, ``ensure`` idempotent and safe when run at the same time, the state table. The
library's own tracking-recorder cases run on the views too.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import TrackingRecorderTestCase

from ledger.records import AuxLedger
from projections.base import ReadModelProjection
from projections.db import sql
from projections.errors import EventApplyError, TrackingConflictError
from projections.state import State
from projections.tables import Column, Table
from projections.views import (
    STATE_TABLE,
    PostgresReadModelView,
    ReadModelView,
    SQLiteReadModelView,
)
from tests.conftest import at_once
from tests.contract.conftest import OnPostgres, OnSQLite

APP = "contract"
TRACKING = "rm_contract_tracking"

NOTES = Table(
    "rm_contract_note",
    (Column("contract_position", "int", nullable=False), Column("contract_label", "text")),
    key=("contract_position",),
    mode="append",
)


@dataclass
class Note:
    """A stand-in event: the projection stores its label at its position."""

    label: str
    key: int | None = None  # the row key when it is not the event's position
    originator_id: UUID = field(default_factory=uuid4)


class Broken(Note):
    """An event whose handler fails (a bug in a projection)."""


class Gate(Note):
    """An event whose handler waits until the test lets it go (holds the transaction open)."""

    entered: ClassVar[threading.Event]
    release: ClassVar[threading.Event]


class NotesProjection(ReadModelProjection):
    """The smallest projection: one append table, no rule-period flags."""

    name = "contract"
    tables = (NOTES,)
    flags = None

    def apply(self, state: State, event: Any, position: int) -> None:
        if isinstance(event, Broken):
            raise ValueError("handler bug")
        if isinstance(event, Gate):
            Gate.entered.set()
            assert Gate.release.wait(30)
        key = position if event.key is None else event.key
        state.add(NOTES, {"contract_position": key, "contract_label": event.label})


class ReadModelViewContract(ABC):
    """What every backend's read-model view does."""

    @abstractmethod
    def create_view(self, ledger: AuxLedger) -> ReadModelView:
        """A new view (with connections of its own) on the ledger's database."""

    @pytest.fixture
    def projection(self, ledger: AuxLedger) -> Iterator[NotesProjection]:
        projection = NotesProjection(self.create_view(ledger))
        projection.view.ensure()
        try:
            yield projection
        finally:
            projection.view.db.close()

    def other(self, ledger: AuxLedger) -> NotesProjection:
        """A second view of the same projection: another worker."""
        projection = NotesProjection(self.create_view(ledger))
        projection.view.ensure()
        return projection

    @staticmethod
    def rows(projection: NotesProjection) -> list[tuple[int, str]]:
        with projection.view.db.read() as s:
            found = s.query(
                "SELECT contract_position, contract_label FROM {rm_contract_note} "
                "ORDER BY contract_position",
                tables=(NOTES,),
            )
        return [(r["contract_position"], r["contract_label"]) for r in found]

    @staticmethod
    def apply(
        projection: NotesProjection, events: list[tuple[Note, int]], *, after: int | None
    ) -> int:
        return projection.view.apply_events(
            projection,
            events,
            application_name=APP,
            after=after,
            position=events[-1][1] if events else (after or 0) + 1,
        )

    # ------------------------------------------------------------------ exactly once

    def test_a_batch_and_its_position_are_written_together(
        self, projection: NotesProjection
    ) -> None:
        assert projection.view.position(APP) == 0
        written = self.apply(projection, [(Note("a"), 1), (Note("b"), 2)], after=0)
        assert written == 2
        assert projection.view.position(APP) == 2
        assert self.rows(projection) == [(1, "a"), (2, "b")]
        assert projection.view.position("another application") == 0

    def test_a_repeated_batch_is_refused_and_changes_nothing(
        self, projection: NotesProjection
    ) -> None:
        batch = [(Note("a"), 1), (Note("b"), 2)]
        self.apply(projection, batch, after=0)
        with pytest.raises(TrackingConflictError, match="is at position 2, not 0"):
            self.apply(projection, batch, after=0)
        assert projection.view.position(APP) == 2
        assert self.rows(projection) == [(1, "a"), (2, "b")]

    def test_an_overlapping_batch_is_refused(self, projection: NotesProjection) -> None:
        self.apply(projection, [(Note("a"), 1), (Note("b"), 2)], after=0)
        with pytest.raises(TrackingConflictError, match="is at position 2, not 1"):
            self.apply(projection, [(Note("b"), 2), (Note("c"), 3)], after=1)
        assert projection.view.position(APP) == 2
        assert self.rows(projection) == [(1, "a"), (2, "b")]

    def test_a_position_that_does_not_move_forward_is_refused(
        self, projection: NotesProjection
    ) -> None:
        self.apply(projection, [(Note("a"), 1), (Note("b"), 2)], after=0)
        # The library's one-event path (no ``after``): the tracking upsert alone refuses it.
        with pytest.raises(IntegrityError):
            self.apply(projection, [(Note("again"), 2)], after=None)
        with pytest.raises(IntegrityError):
            self.apply(projection, [(Note("older"), 1)], after=None)
        self.apply(projection, [(Note("c"), 3)], after=None)
        assert projection.view.position(APP) == 3
        assert self.rows(projection) == [(1, "a"), (2, "b"), (3, "c")]

    def test_a_stale_worker_waits_for_the_lock_then_is_refused(
        self, projection: NotesProjection, ledger: AuxLedger
    ) -> None:
        # Worker A holds its batch's transaction open; worker B read the same position.
        Gate.entered, Gate.release = threading.Event(), threading.Event()
        second = self.other(ledger)
        outcome: dict[str, BaseException | int] = {}

        def run(name: str, target: NotesProjection, batch: list[tuple[Note, int]]) -> None:
            try:
                outcome[name] = self.apply(target, batch, after=0)
            except BaseException as e:  # compared below
                outcome[name] = e

        a = threading.Thread(target=run, args=("a", projection, [(Gate("a"), 1), (Note("b"), 2)]))
        b = threading.Thread(target=run, args=("b", second, [(Note("x"), 1), (Note("y"), 2)]))
        try:
            a.start()
            assert Gate.entered.wait(30)
            b.start()
            b.join(1.0)
            assert b.is_alive(), "worker B went ahead while worker A held the projection's lock"
            Gate.release.set()
            a.join(30)
            b.join(60)
        finally:
            Gate.release.set()
            second.view.db.close()
        assert outcome["a"] == 2
        assert isinstance(outcome["b"], TrackingConflictError)
        assert self.rows(projection) == [(1, "a"), (2, "b")]

    # ------------------------------------------------------------------ whole batches

    def test_a_failing_handler_leaves_nothing_behind(self, projection: NotesProjection) -> None:
        broken = Broken("boom")
        with pytest.raises(EventApplyError) as info:
            self.apply(projection, [(Note("a"), 1), (broken, 2), (Note("c"), 3)], after=0)
        assert info.value.event.position == 2
        assert info.value.event.event_class == "Broken"
        assert info.value.event.aggregate_id == str(broken.originator_id)
        assert isinstance(info.value.__cause__, ValueError)
        assert projection.view.position(APP) == 0
        assert self.rows(projection) == []

    def test_a_batch_that_fails_while_writing_rolls_back_whole(
        self, projection: NotesProjection
    ) -> None:
        self.apply(projection, [(Note("a"), 1)], after=0)
        # The second batch's rows are written after its tracking position; one of them
        # collides with a committed row (an append table refuses it): nothing of it stays.
        with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError, IntegrityError)):
            self.apply(projection, [(Note("b"), 2), (Note("dup", key=1), 3)], after=1)
        assert projection.view.position(APP) == 1
        assert self.rows(projection) == [(1, "a")]

    # ------------------------------------------------------------------ reset

    def test_reset_empties_the_tables_and_forgets_the_position(
        self, projection: NotesProjection
    ) -> None:
        view = projection.view
        self.apply(projection, [(Note("a"), 1), (Note("b"), 2)], after=0)
        view.insert_tracking(Tracking("another application", 7))
        view.save_state("contract", {"state": "failed", "error": "it broke"})
        view.save_state("neighbour", {"state": "failed", "error": "not ours"})

        view.reset(projection, APP)

        assert view.position(APP) == 0
        assert self.rows(projection) == []
        assert view.position("another application") == 7
        assert view.load_state("contract") is None
        assert view.load_state("neighbour") is not None
        # The next batch is checked against position 0.
        with pytest.raises(TrackingConflictError):
            self.apply(projection, [(Note("c"), 3)], after=2)
        self.apply(projection, [(Note("a"), 1)], after=0)
        assert self.rows(projection) == [(1, "a")]

    def test_reset_keeps_a_running_leaders_heartbeat(self, projection: NotesProjection) -> None:
        projection.view.save_state("contract", {"state": "running", "worker": "w-1"})
        projection.view.reset(projection, APP)
        state = projection.view.load_state("contract")
        assert state is not None and (state["state"], state["worker"]) == ("running", "w-1")

    def test_reset_brings_a_table_to_its_current_definition(
        self, projection: NotesProjection
    ) -> None:
        view = projection.view
        with view.db.write(None) as session:
            session.execute(sql("DROP TABLE {rm_contract_note}"))
            session.execute(sql("CREATE TABLE {rm_contract_note} (contract_position bigint)"))
        view.reset(projection, APP)
        self.apply(projection, [(Note("a"), 1)], after=0)
        assert self.rows(projection) == [(1, "a")]

    # ------------------------------------------------------------------ ensure

    def test_ensure_is_idempotent(self, projection: NotesProjection) -> None:
        self.apply(projection, [(Note("a"), 1)], after=0)
        projection.view.ensure()
        projection.view.ensure(tables=False)
        assert projection.view.position(APP) == 1
        assert self.rows(projection) == [(1, "a")]
        for name in (NOTES.name, TRACKING, STATE_TABLE.name):
            assert projection.view.db.table_exists(name)

    def test_ensure_without_tables_creates_tracking_and_state_only(self, ledger: AuxLedger) -> None:
        projection = NotesProjection(self.create_view(ledger))
        try:
            projection.view.ensure(tables=False)
            assert projection.view.db.table_exists(TRACKING)
            assert projection.view.db.table_exists(STATE_TABLE.name)
            assert not projection.view.db.table_exists(NOTES.name)
        finally:
            projection.view.db.close()

    def test_ensure_at_the_same_time_in_many_workers(self, ledger: AuxLedger) -> None:
        views = [NotesProjection(self.create_view(ledger)).view for _ in range(4)]
        errors = at_once(lambda view: view.ensure(), views)
        try:
            assert errors == []
            assert views[0].position(APP) == 0
            assert views[0].db.table_exists(NOTES.name)
        finally:
            for v in views:
                v.db.close()

    def test_ensure_adds_state_columns_an_older_version_lacked(
        self, projection: NotesProjection
    ) -> None:
        view = projection.view
        with view.db.write(None) as session:
            session.execute(sql("ALTER TABLE {rm_projection_state} DROP COLUMN failed_event_class"))
        view.ensure()
        view.save_state("contract", {"state": "failed", "failed_event_class": "Broken"})
        state = view.load_state("contract")
        assert state is not None and state["failed_event_class"] == "Broken"

    # ------------------------------------------------------------------ state table

    def test_the_state_row_is_replaced_whole(self, projection: NotesProjection) -> None:
        view = projection.view
        assert view.load_state("contract") is None
        view.save_state("contract", {"state": "failed", "failed_position": 5, "error": "it broke"})
        state = view.load_state("contract")
        assert state is not None
        assert (state["state"], state["failed_position"], state["error"]) == (
            "failed",
            5,
            "it broke",
        )
        view.save_state("contract", {"state": "running", "worker": "w-2"})
        state = view.load_state("contract")
        assert state is not None
        assert (state["state"], state["worker"], state["failed_position"], state["error"]) == (
            "running",
            "w-2",
            None,
            None,
        )


class TestSQLiteReadModelView(OnSQLite, ReadModelViewContract):
    def create_view(self, ledger: AuxLedger) -> ReadModelView:
        datastore = ledger.ledger_recorder.datastore
        assert isinstance(datastore, SQLiteDatastore)
        return SQLiteReadModelView(datastore, tracking_table_name=TRACKING)


class TestPostgresReadModelView(OnPostgres, ReadModelViewContract):
    def create_view(self, ledger: AuxLedger) -> ReadModelView:
        datastore = ledger.ledger_recorder.datastore
        assert isinstance(datastore, PostgresDatastore)
        return PostgresReadModelView(datastore, tracking_table_name=TRACKING)


# --------------------------------------------------------------------------- library cases


@pytest.fixture
def _view_ledger(request: pytest.FixtureRequest, ledger: AuxLedger) -> None:
    request.instance.ledger = ledger


class _LibraryCases:
    """The library's tracking-recorder cases on a view made by ``create_view``."""

    ledger: AuxLedger

    def create_view(self, ledger: AuxLedger) -> ReadModelView:
        raise NotImplementedError

    def create_recorder(self) -> TrackingRecorder:
        view = self.create_view(self.ledger)
        view.ensure(tables=False)
        return view


@pytest.mark.usefixtures("_view_ledger")
class TestSQLiteViewIsATrackingRecorder(OnSQLite, _LibraryCases, TrackingRecorderTestCase):
    """The library's tracking-recorder cases, on the SQLite view."""

    create_view = TestSQLiteReadModelView.create_view


@pytest.mark.usefixtures("_view_ledger")
class TestPostgresViewIsATrackingRecorder(OnPostgres, _LibraryCases, TrackingRecorderTestCase):
    """The library's tracking-recorder cases, on the PostgreSQL view."""

    create_view = TestPostgresReadModelView.create_view
