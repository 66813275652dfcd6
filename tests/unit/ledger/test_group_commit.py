"""The group-commit queue on its own, with a fake writer in place of the database: the order
batches are written in, which batches are merged, what a failing write does to its callers
and to the queue, and shutdown. Fast: no database, no sleeps longer than a poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import DataError, OperationalError, ProgrammingError, StoredEvent

from ledger.persistence.group_commit import GroupCommitQueue

SIGNER = object()


def _batch(name: str, size: int = 1) -> list[StoredEvent]:
    return [
        StoredEvent(originator_id=uuid4(), originator_version=1, topic=name, state=b"x")
        for _ in range(size)
    ]


class FakeWriter:
    """Hands out consecutive ids; can hold a write until released, or fail one."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], dict[str, Any]]] = []
        self.next_id = 1
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail: Callable[[list[str]], BaseException | None] = lambda names: None
        self._lock = threading.Lock()

    def hold(self) -> None:
        self.release.clear()

    def __call__(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> list[int]:
        names = [e.topic for e in events]
        with self._lock:
            self.calls.append((names, kwargs))
        self.entered.set()
        assert self.release.wait(5), "the test never released the writer"
        error = self.fail(names)
        if error is not None:
            raise error
        with self._lock:
            ids = list(range(self.next_id, self.next_id + len(events)))
            self.next_id += len(events)
        return ids

    def batches(self) -> list[list[str]]:
        return [sorted(set(names)) for names, _ in self.calls]


class Caller(threading.Thread):
    """One saving thread: its ids or its error."""

    def __init__(self, queue: GroupCommitQueue, events: list[StoredEvent], **kwargs: Any):
        super().__init__(daemon=True)
        self.queue, self.events, self.kwargs = queue, events, kwargs
        self.ids: list[int] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.ids = self.queue.submit(self.events, self.kwargs)
        except BaseException as e:
            self.error = e

    def result(self) -> list[int] | None:
        self.join(5)
        assert not self.is_alive(), "a caller was never woken"
        return self.ids


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _leader_holding(queue: GroupCommitQueue, writer: FakeWriter, name: str = "lead") -> Caller:
    """A caller whose write is in progress (held) while the test queues others."""
    writer.hold()
    leader = Caller(queue, _batch(name), signer=SIGNER)
    leader.start()
    assert writer.entered.wait(5)
    return leader


def _queue_in_order(queue: GroupCommitQueue, *callers: Caller) -> None:
    """Start the callers one after another, each queued before the next starts."""
    for caller in callers:
        before = queue.pending()
        caller.start()
        _until(lambda b=before: queue.pending() == b + 1)


def test_a_lone_save_is_written_at_once_with_its_own_ids() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer)
    assert queue.submit(_batch("one", 3), {"signer": SIGNER}) == [1, 2, 3]
    assert queue.submit(_batch("two", 2), {"signer": SIGNER}) == [4, 5]
    assert writer.batches() == [["one"], ["two"]]


def test_saves_arriving_during_a_write_are_merged_in_order_with_their_own_ids() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer)
    leader = _leader_holding(queue, writer)
    callers = [Caller(queue, _batch(f"c{i}", i + 1), signer=SIGNER) for i in range(5)]
    _queue_in_order(queue, *callers)
    writer.release.set()
    assert leader.result() == [1]
    assert [c.result() for c in callers] == [
        [2],
        [3, 4],
        [5, 6, 7],
        [8, 9, 10, 11],
        [12, 13, 14, 15, 16],
    ]
    assert len(writer.calls) == 2  # the leader's write, then all five in one
    names, _ = writer.calls[1]
    assert names == [c.events[0].topic for c in callers for _ in c.events]


def test_merging_stops_at_the_limit_and_at_special_or_differently_signed_batches() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer, max_events=4)
    leader = _leader_holding(queue, writer)
    other_signer = object()
    callers = [
        Caller(queue, _batch("p1", 2), signer=SIGNER),
        Caller(queue, _batch("p2", 2), signer=SIGNER),  # reaches the limit with p1
        Caller(queue, _batch("p3"), signer=SIGNER),
        Caller(queue, _batch("p4"), signer=SIGNER, erase_subject=uuid4()),  # always alone
        Caller(queue, _batch("p5"), signer=SIGNER),
        Caller(queue, _batch("p6"), signer=other_signer),  # another signer: not merged
        Caller(queue, _batch("p7"), signer=other_signer, tracking=object()),  # alone
    ]
    _queue_in_order(queue, *callers)
    writer.release.set()
    leader.result()
    for caller in callers:
        assert caller.result() is not None, caller.error
    assert writer.batches() == [
        ["lead"],
        ["p1", "p2"],
        ["p3"],
        ["p4"],
        ["p5"],
        ["p6"],
        ["p7"],
    ]


def test_a_merged_write_carries_every_batchs_new_data_keys() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer)
    leader = _leader_holding(queue, writer)
    a, b = uuid4(), uuid4()
    callers = [
        Caller(queue, _batch("a"), signer=SIGNER, subject_keys={a: (b"ka", "m")}),
        Caller(queue, _batch("b"), signer=SIGNER, subject_keys={b: (b"kb", "m")}),
    ]
    _queue_in_order(queue, *callers)
    writer.release.set()
    leader.result()
    assert [c.result() for c in callers] == [[2], [3]]
    _, kwargs = writer.calls[1]
    assert kwargs["subject_keys"] == {a: (b"ka", "m"), b: (b"kb", "m")}
    assert kwargs["signer"] is SIGNER


def test_a_failing_merged_write_is_retried_alone_and_fails_only_its_own_caller() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer)
    leader = _leader_holding(queue, writer)
    writer.fail = lambda names: DataError("conflict") if "bad" in names else None
    callers = [Caller(queue, _batch(name), signer=SIGNER) for name in ("good1", "bad", "good2")]
    _queue_in_order(queue, *callers)
    writer.release.set()
    leader.result()
    good1, bad, good2 = callers
    assert good1.result() == [2]
    assert bad.result() is None and isinstance(bad.error, DataError)
    assert good2.result() == [3]
    assert writer.batches() == [["lead"], ["bad", "good1", "good2"], ["good1"], ["bad"], ["good2"]]


def test_when_every_write_fails_each_waiter_gets_its_error_and_the_queue_still_works() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer)
    leader = _leader_holding(queue, writer)
    writer.fail = lambda names: DataError("the database refused it")
    callers = [Caller(queue, _batch(f"c{i}"), signer=SIGNER) for i in range(3)]
    _queue_in_order(queue, *callers)
    writer.release.set()
    leader.result()
    assert isinstance(leader.error, DataError)
    for caller in callers:
        assert caller.result() is None and isinstance(caller.error, DataError)
    writer.fail = lambda names: None
    assert queue.submit(_batch("after"), {"signer": SIGNER}) == [1]
    assert queue.pending() == 0


def test_an_interrupted_leader_fails_its_batch_and_hands_on_the_lead() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer)
    leader = _leader_holding(queue, writer)
    writer.fail = lambda names: KeyboardInterrupt() if len(names) > 1 else None
    first = Caller(queue, _batch("f1"), signer=SIGNER)
    second = Caller(queue, _batch("f2"), signer=SIGNER)
    _queue_in_order(queue, first, second)
    writer.release.set()
    assert leader.result() == [1]
    first.result()
    second.result()
    # The first follower led the merged write and was interrupted in it; the other caller
    # of that batch is told, not left waiting.
    assert isinstance(first.error, KeyboardInterrupt)
    assert isinstance(second.error, ProgrammingError)
    writer.fail = lambda names: None
    assert queue.submit(_batch("after"), {"signer": SIGNER}) == [2]


def test_close_finishes_the_accepted_saves_and_refuses_new_ones() -> None:
    writer = FakeWriter()
    queue = GroupCommitQueue(writer)
    leader = _leader_holding(queue, writer)
    callers = [Caller(queue, _batch(f"c{i}"), signer=SIGNER) for i in range(2)]
    _queue_in_order(queue, *callers)
    assert queue.close(timeout=0.05) is False  # a write is still held
    with pytest.raises(OperationalError):
        queue.submit(_batch("late"), {"signer": SIGNER})
    writer.release.set()
    assert queue.close(timeout=5) is True
    assert leader.result() == [1]
    assert [c.result() for c in callers] == [[2], [3]]
    assert writer.batches() == [["lead"], ["c0", "c1"]]


def test_closing_an_idle_queue_returns_at_once_and_twice() -> None:
    queue = GroupCommitQueue(FakeWriter())
    assert queue.close(timeout=0) is True
    assert queue.close(timeout=0) is True
    with pytest.raises(OperationalError):
        queue.submit(_batch("late"), {})
