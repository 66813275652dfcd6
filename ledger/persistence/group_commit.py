"""Group commit: concurrent saves of one process written in one transaction.

``GroupCommitQueue.submit`` is called by every thread that saves. The first caller becomes
the *leader*: it takes the oldest batch with the compatible batches queued behind it, writes
them with one call of the writer (one head move, one checkpoint, one commit), wakes exactly
the callers it wrote, and hands the lead to the oldest caller still waiting. There is no
thread of its own: a caller waits only while another caller writes its batch.

Invariants:
- Batches are written in the order they were submitted; each caller gets exactly its own
  notification ids (the merged write's ids, cut at the batch boundaries).
- Only plain saves are merged (``groupable``), with the same signer, up to
  ``GROUP_COMMIT_MAX_EVENTS`` events; a batch with special instructions (erasure, key
  activation, tracking) is written alone.
- If a merged write fails, every batch in it is written again on its own, so one batch's
  conflict never fails another; a batch that fails on its own fails its caller only.
- An error that escapes the leader (``KeyboardInterrupt`` and the like) fails every caller
  of the batch it was writing, and the lead still passes on: the queue stays usable.
- ``close`` refuses new batches (``OperationalError``, as a closed connection pool would)
  and waits until every batch already submitted is written: a save accepted before the
  recorder closes is never cut off by the closing pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import OperationalError, ProgrammingError, StoredEvent

GROUP_COMMIT_MAX_EVENTS = 2000

Writer = Callable[[Sequence[StoredEvent], dict[str, Any]], list[int]]
"""Writes one batch (events and the save's keyword arguments) and returns its ids."""


@dataclass
class _WriteRequest:
    """One caller's batch waiting to be written (group commit)."""

    events: list[StoredEvent]
    kwargs: dict[str, Any]
    ids: list[int] | None = None
    error: BaseException | None = None
    done: bool = False
    wake: threading.Event = field(default_factory=threading.Event)
    """Set once: when the batch was written, or when its caller is handed the lead."""


def groupable(kwargs: dict[str, Any]) -> bool:
    """Only plain saves are merged with others' (no erasure, activation or tracking)."""
    return not any(
        kwargs.get(name) is not None for name in ("erase_subject", "activate_key", "tracking")
    )


class GroupCommitQueue:
    """Merges one process's concurrent saves into as few writes as it can (see above)."""

    def __init__(self, write: Writer, *, max_events: int = GROUP_COMMIT_MAX_EVENTS) -> None:
        self._write = write
        self._max_events = max_events
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._queue: list[_WriteRequest] = []
        self._leading = False
        self._closed = False

    def pending(self) -> int:
        """How many batches wait to be written (not counting one being written)."""
        with self._lock:
            return len(self._queue)

    def close(self, timeout: float | None = None) -> bool:
        """Refuse new batches, and wait (at most ``timeout`` seconds) until every batch
        already submitted is written. True if they all were, False if the time ran out."""
        with self._idle:
            self._closed = True
            return self._idle.wait_for(lambda: not self._leading, timeout)

    def submit(self, events: Sequence[StoredEvent], kwargs: dict[str, Any]) -> list[int]:
        """Write ``events`` (alone or with others' batches) and return their ids."""
        request = _WriteRequest(list(events), kwargs)
        with self._lock:
            if self._closed:
                raise OperationalError("the recorder is closed")
            self._queue.append(request)
            lead = not self._leading
            self._leading = True
        if not lead:
            # Woken once: when a leader wrote this batch, or when it handed over the lead.
            request.wake.wait()
        if not request.done:
            self._lead()
        if request.error is not None:
            raise request.error
        assert request.ids is not None
        return request.ids

    def _lead(self) -> None:
        """Write the oldest batch (the leader's own) with compatible followers; wake exactly
        the callers written, and hand the lead to the oldest caller still waiting."""
        with self._lock:
            batch = self._take_batch()
        try:
            self._write_batch(batch)
        finally:
            for written in batch:
                if not written.done:  # an escaping error (KeyboardInterrupt and the like)
                    written.error = ProgrammingError("the group commit leader was interrupted")
                    written.done = True
                written.wake.set()
            with self._lock:
                if self._queue:
                    self._queue[0].wake.set()  # the oldest waiting caller leads next
                else:
                    self._leading = False
                    self._idle.notify_all()

    def _take_batch(self) -> list[_WriteRequest]:
        """Requests to write together: the head of the queue and compatible followers."""
        first = self._queue.pop(0)
        batch = [first]
        if not groupable(first.kwargs):
            return batch
        size = len(first.events)
        while self._queue and size < self._max_events:
            nxt = self._queue[0]
            if not groupable(nxt.kwargs) or nxt.kwargs.get("signer") is not first.kwargs.get(
                "signer"
            ):
                break
            batch.append(self._queue.pop(0))
            size += len(nxt.events)
        return batch

    def _write_batch(self, batch: list[_WriteRequest]) -> None:
        if len(batch) > 1:
            merged = [e for request in batch for e in request.events]
            merged_kwargs = dict(batch[0].kwargs)
            merged_kwargs["subject_keys"] = {
                subject: row
                for request in batch
                for subject, row in (request.kwargs.get("subject_keys") or {}).items()
            }
            merged_ids: list[int] | None
            try:
                merged_ids = self._write(merged, merged_kwargs)
            except Exception:  # not swallowed: every batch is retried alone below
                merged_ids = None
            if merged_ids is not None:
                start = 0
                for request in batch:
                    request.ids = merged_ids[start : start + len(request.events)]
                    start += len(request.events)
                    request.done = True
                return
        for request in batch:
            try:
                request.ids = self._write(request.events, request.kwargs)
            except BaseException as e:
                request.error = e
            request.done = True
