"""Exactly once, restart safety, loud failures, status and lag, drift detection, workers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from domain.commands.auxiliary import Commend
from ledger.errors import BadSignatureError
from ledger.stream import read_checked
from projections import (
    PersonnelQueries,
    ProjectionFailedError,
    ProjectionSupervisor,
    ReadModels,
    check,
    ensure_schema,
)
from projections.errors import EventApplyError, TrackingConflictError, UnknownProjectionError
from projections.personnel import PersonnelProjection
from tests.conftest import at_once
from tests.integration.tamper import Tamperer
from tests.projections import dataset as ds
from tests.projections.conftest import Built, by_hand


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def clean(models: ReadModels) -> bool:
    return all(r.ok for r in check(models))


def test_rebuild_then_check_is_clean_and_status_is_current(fresh: Built) -> None:
    applied = fresh.models.rebuild()
    head = fresh.models.head()
    assert applied["personnel"] + applied["complaints"] == head - 1  # not the key registry
    reports = check(fresh.models)
    assert [(r.projection, r.ok, r.position) for r in reports] == [
        ("personnel", True, head),
        ("complaints", True, head),
        ("identity", True, head),
        ("complainant", True, head),
    ]
    assert reports[0].rows > 0 and reports[0].events == applied["personnel"]
    for status in fresh.models.status():
        assert (status.position, status.head, status.lag, status.stale) == (head, head, 0, False)
        assert status.state == "stopped" and status.error is None


def test_ensure_schema_is_idempotent(fresh: Built) -> None:
    ensure_schema(fresh.ledger)
    ensure_schema(fresh.ledger)
    assert fresh.models.db.table_exists("rm_auxiliary")
    assert fresh.models.db.table_exists("rm_personnel_tracking")
    assert fresh.models.position("personnel") == 0


def test_check_reports_drift_after_rows_are_changed_by_hand(fresh: Built) -> None:
    fresh.models.rebuild()
    by_hand(fresh, "UPDATE {rm_auxiliary} SET level = %s WHERE auxiliary_id = %s", (9, ds.X1))
    by_hand(fresh, "DELETE FROM {rm_commendation} WHERE auxiliary_id = %s", (ds.X1,))
    by_hand(
        fresh, "UPDATE {rm_complaint} SET status = %s WHERE complaint_id = %s", ("closed", ds.C4)
    )
    personnel, complaints, _identity, _complainant = check(fresh.models)
    assert not personnel.ok and not complaints.ok
    assert [(d.table, d.kind, d.column, d.live, d.replay) for d in personnel.differences] == [
        ("rm_auxiliary", "changed", "level", 9, 3),
        ("rm_commendation", "missing", None, None, None),
    ]
    assert personnel.differences[0].key == (ds.X1,)
    assert personnel.differences[1].describe() == (
        f"personnel: rm_commendation [{ds.X1}, 6] is missing from the table"
    )
    assert [d.describe() for d in complaints.differences] == [
        f"complaints: rm_complaint [{ds.C4}] status: table has 'closed', replay has 'received'"
    ]
    fresh.models.rebuild(["personnel"])
    assert check(fresh.models, ["personnel"])[0].ok


def test_a_repeated_batch_is_refused_by_tracking(fresh: Built) -> None:
    models = fresh.models
    projection = models.projection("personnel")
    batch = read_checked(fresh.ledger, 0, 5, topics=projection.topics)
    events = [(c.event, c.notification_id) for c in batch]
    last = batch[-1].notification_id
    name = models.application_name
    projection.view.apply_events(projection, events, application_name=name, after=0, position=last)
    assert models.position("personnel") == last
    with pytest.raises(TrackingConflictError, match=f"is at position {last}, not 0"):
        projection.view.apply_events(
            projection, events, application_name=name, after=0, position=last
        )
    # The library's one-event path: its tracking upsert refuses a position already recorded.
    with pytest.raises(IntegrityError):
        projection.process_event(batch[-1].event, Tracking(name, last))
    assert models.position("personnel") == last
    assert check(models, ["personnel"])[0].ok


def test_the_library_runner_path_applies_one_event_per_transaction(fresh: Built) -> None:
    models = fresh.models
    projection = models.projection("complaints")
    for checked in read_checked(fresh.ledger, 0, 1000, topics=projection.topics):
        projection.process_event(
            checked.event, Tracking(models.application_name, checked.notification_id)
        )
    reference = ReadModels(fresh.ledger)
    try:
        assert check(models, ["complaints"])[0].ok
        assert models.position("complaints") == max(
            c.notification_id for c in read_checked(fresh.ledger, 0, 1000, topics=projection.topics)
        )
    finally:
        reference.close()


def test_a_failing_batch_leaves_nothing_behind(
    fresh: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = fresh.models
    original = PersonnelProjection.apply
    calls = {"n": 0}

    def failing(self: Any, state: Any, event: Any, position: int) -> None:
        calls["n"] += 1
        if calls["n"] == 13:
            raise RuntimeError("handler bug")
        original(self, state, event, position)

    monkeypatch.setattr(PersonnelProjection, "apply", failing)
    with pytest.raises(
        EventApplyError, match=r"the event at position \d+ \(\w+ of aggregate"
    ) as info:
        models.catch_up("personnel", batch_size=10)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert str(info.value.__cause__) == "handler bug"
    # The first batch of ten committed; the second rolled back whole.
    position = models.position("personnel")
    assert position > 0
    assert check(models, ["personnel"])[0].ok
    monkeypatch.setattr(PersonnelProjection, "apply", original)
    models.catch_up("personnel", batch_size=10)
    assert models.position("personnel") == models.head()
    assert check(models, ["personnel"])[0].ok


def test_stopping_midway_and_restarting_gives_the_same_read_model(fresh: Built) -> None:
    batches = {"n": 0}

    def after_two() -> bool:
        batches["n"] += 1
        return batches["n"] > 2

    applied = fresh.models.catch_up("personnel", batch_size=7, should_stop=after_two)
    assert applied == 14
    assert 0 < fresh.models.position("personnel") < fresh.models.head()
    assert check(fresh.models, ["personnel"])[0].ok
    restarted = ReadModels(fresh.ledger)  # a new process, as far as the tables can tell
    try:
        restarted.catch_up("personnel", batch_size=7)
        restarted.catch_up("complaints", batch_size=7)
        assert restarted.position("personnel") == restarted.head()
        assert clean(restarted)
    finally:
        restarted.close()


@pytest.mark.both_backends
def test_two_workers_on_one_projection_apply_each_event_once(fresh: Built) -> None:
    others = [ReadModels(fresh.ledger) for _ in range(2)]
    errors = at_once(lambda models: models.catch_up("personnel", batch_size=3), others)
    try:
        assert errors == []
        assert fresh.models.position("personnel") == fresh.models.head()
        assert check(fresh.models, ["personnel"])[0].ok
    finally:
        for m in others:
            m.close()


def test_status_shows_the_lag_of_a_stopped_projection(fresh: Built) -> None:
    fresh.models.rebuild()
    ds.aux(fresh.ledger, ds.X1, ds.TODAY, Commend(kind="citation", issuing_body="政治处"))
    personnel, complaints, _identity, _complainant = fresh.models.status()
    assert (personnel.lag, personnel.stale, personnel.state) == (1, True, "stopped")
    assert (complaints.lag, complaints.stale) == (1, True)
    fresh.models.catch_up("complaints")
    # Nothing of the complaints projection's: it moves to the head all the same.
    assert fresh.models.status()[1].lag == 0


@pytest.mark.both_backends
def test_a_worker_follows_new_events(fresh: Built) -> None:
    # On PostgreSQL the poll interval is long: the update can only arrive by NOTIFY in time.
    poll = 60.0 if fresh.backend == "postgres" else 0.1
    supervisor = ProjectionSupervisor(fresh.models, poll_interval=poll)
    supervisor.start()
    try:
        wait_for(lambda: all(s.lag == 0 for s in supervisor.status()))
        assert [s.state for s in supervisor.status()] == ["running"] * 4
        assert [s.state for s in fresh.models.status()] == ["running"] * 4  # heartbeat
        queries = PersonnelQueries(fresh.models)
        assert queries.auxiliary(ds.X1).commendations == 1
        ds.aux(fresh.ledger, ds.X1, ds.TODAY, Commend(kind="citation", issuing_body="处"))
        wait_for(lambda: queries.auxiliary(ds.X1).commendations == 2, timeout=10)
    finally:
        supervisor.stop()
    assert [s.state for s in supervisor.status()] == ["stopped"] * 4
    assert [s.state for s in fresh.models.status()] == ["stopped"] * 4
    assert supervisor.failures() == []
    assert clean(fresh.models)


def test_a_tampered_event_stops_the_projection_loudly(fresh: Built) -> None:
    tamper = Tamperer(fresh.ledger)
    position = tamper.notification_id(ds.X3, 2)
    tamper.flip_payload_byte(ds.X3, 2)
    with pytest.raises(BadSignatureError):
        fresh.models.rebuild(["personnel"])
    supervisor = ProjectionSupervisor(fresh.models, poll_interval=0.1)
    supervisor.start()
    try:
        worker = supervisor.workers["personnel"]
        wait_for(lambda: worker.state == "failed")
        with pytest.raises(ProjectionFailedError, match="bad_signature") as info:
            worker.join(5)
        assert info.value.kind == "bad_signature"
        assert isinstance(info.value.cause, BadSignatureError)
        wait_for(lambda: supervisor.status()[1].lag == 0)  # complaints carry on
        personnel, complaints, _identity, _complainant = supervisor.status()
        assert personnel.state == "failed" and personnel.stale
        assert personnel.error_kind == "bad_signature"
        assert personnel.position < position <= personnel.head
        assert personnel.lag == personnel.head - personnel.position
        assert personnel.failed_position == personnel.position
        assert (complaints.state, complaints.stale) == ("running", False)
        # Another process sees the failure too.
        elsewhere = ReadModels(fresh.ledger)
        try:
            kept = elsewhere.status()[0]
            assert (kept.state, kept.error_kind, kept.stale) == ("failed", "bad_signature", True)
        finally:
            elsewhere.close()
    finally:
        supervisor.stop()
    assert supervisor.failures()[0].kind == "bad_signature"


def test_unknown_projection_names_are_refused(fresh: Built) -> None:
    with pytest.raises(UnknownProjectionError, match="no projection 'salaries'"):
        fresh.models.rebuild(["salaries"])
    with pytest.raises(UnknownProjectionError):
        ProjectionSupervisor(fresh.models, names=["salaries"])


def test_read_models_hold_no_personal_data(fresh: Built) -> None:
    fresh.models.rebuild()
    dumped: list[str] = []
    with fresh.models.db.read() as s:
        for projection in fresh.models.projections.values():
            for table in projection.all_tables:
                for row in s.query(fresh.models.db.select_template(table), tables=(table,)):
                    dumped.extend(str(v) for v in row.values())
    text = "\n".join(dumped)
    assert "甲一" in text  # names of auxiliaries are kept on purpose
    for value in (*ds.PERSONAL_VALUES, *(ds.resident_id(n) for n in range(1, 5))):
        assert value not in text, value
    assert str(date(2023, 6, 1)) in text  # the date of a health check, not its result


def test_queries_and_status_work_on_a_new_ledger(aux_ledger: Any) -> None:
    models = ReadModels(aux_ledger)  # no ensure_schema, no rebuild
    try:
        assert PersonnelQueries(models).status().total == 0
        head = models.head()
        assert [(s.position, s.lag, s.stale) for s in models.status()] == [
            (0, head, head > 0),
            (0, head, head > 0),
            (0, head, head > 0),
            (0, head, head > 0),
        ]
    finally:
        models.close()


def test_query_sessions_cannot_write(fresh: Built) -> None:
    fresh.models.rebuild()
    with (
        pytest.raises(Exception, match=r"(?i)read-only|readonly|read only"),
        fresh.models.db.read() as s,
    ):
        s.execute("DELETE FROM {rm_auxiliary}")
    assert PersonnelQueries(fresh.models).status().total == 4


def test_rebuild_brings_an_outdated_table_to_its_current_definition(fresh: Built) -> None:
    by_hand(fresh, "DROP TABLE {rm_commendation}")
    by_hand(fresh, "CREATE TABLE {rm_commendation} (auxiliary_id text, kind text)")
    with pytest.raises(Exception, match=r"(?i)column"):
        fresh.models.catch_up("personnel")
    fresh.models.rebuild(["personnel"])
    assert check(fresh.models, ["personnel"])[0].ok
