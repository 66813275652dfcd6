"""The organ tree (issue 13): which organs lie below an organ, read from the ledger.

Invariants:
- The tree is what the organs' ``ParentSet`` events say, each read through the checking
  mapper and each organ loaded through the checking repository: no unchecked row decides a
  scope. The latest placement of an organ counts.
- ``organs_below`` never includes the organ itself, and terminates on any placement history
  (the domain refuses cycles; a cycle here could only come from records made by another
  program, and is walked once).
- ``OrganTreeCache`` keeps one process's copy of the tree: read once (the scan above), then
  answered from memory for ``ttl_seconds`` (the API uses its token cache's lifetime), and
  dropped at once when this process records a ``ParentSet`` (``forget``). A placement recorded
  by another process reaches this one within ``ttl_seconds``, as a revocation does.
"""

from __future__ import annotations

import threading
import time
from uuid import UUID

from domain.organ import Organ
from ledger.application import LedgerApplication

PARENT_SET_TOPIC = "domain.organ:Organ.ParentSet"


def organ_parents(app: LedgerApplication) -> dict[str, str]:
    """Every placed organ's code and its parent's code (roots are absent)."""
    placed: dict[UUID, str] = {}
    start: int | None = None
    while True:
        batch = app.recorder.select_notifications(start=start, limit=500, topics=[PARENT_SET_TOPIC])
        if not batch:
            break
        for notification in batch:
            event = app.mapper.to_domain_event(notification)
            if isinstance(event, Organ.ParentSet):
                placed[UUID(str(event.originator_id))] = event.parent
        start = batch[-1].id + 1
    parents: dict[str, str] = {}
    for organ_id, parent in placed.items():
        organ: object = app.repository.get(organ_id)
        if isinstance(organ, Organ):
            parents[organ.code] = parent
    return parents


def organs_below(app: LedgerApplication, organ_code: str) -> frozenset[str]:
    """The codes of every organ below ``organ_code``, at any depth."""
    return _below(_children(organ_parents(app)), organ_code)


def _children(parents: dict[str, str]) -> dict[str, set[str]]:
    children: dict[str, set[str]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, set()).add(child)
    return children


def _below(children: dict[str, set[str]], organ_code: str) -> frozenset[str]:
    below: set[str] = set()
    queue = [organ_code]
    while queue:
        for child in children.get(queue.pop(), ()):
            if child not in below and child != organ_code:
                below.add(child)
                queue.append(child)
    return frozenset(below)


class OrganTreeCache:
    """One process's copy of the organ tree, kept ``ttl_seconds`` (0: none kept, every call
    scans) and forgotten when this process places an organ.

    The copy is the children of every organ, read by one ``organ_parents`` scan (every
    ``ParentSet`` checked on read); the organs below each organ asked for are kept with it.
    ``forget`` drops the copy (the API calls it after ``PUT /v1/organs/{code}/parent``), so
    the next check reads the tree again; a placement by another process is seen once the
    copy expires.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._read_at = 0.0
        self._children: dict[str, set[str]] | None = None
        self._below: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def organs_below(self, app: LedgerApplication, organ_code: str) -> frozenset[str]:
        """``organs_below``, from the copy while it is fresh."""
        if self.ttl <= 0:
            return organs_below(app, organ_code)
        with self._lock:
            fresh = self._children is not None and time.monotonic() - self._read_at <= self.ttl
            if fresh and organ_code in self._below:
                return self._below[organ_code]
            children = self._children if fresh else None
        if children is None:
            read_at = time.monotonic()
            children = _children(organ_parents(app))
            with self._lock:
                if self._read_at <= read_at:  # a forget() since the scan began wins
                    self._children, self._read_at, self._below = children, read_at, {}
        below = _below(children, organ_code)
        with self._lock:
            if self._children is children:
                self._below[organ_code] = below
        return below

    def forget(self) -> None:
        """Drop the copy (after a ``ParentSet`` recorded through this process)."""
        with self._lock:
            self._children = None
            self._below = {}
            self._read_at = time.monotonic()
