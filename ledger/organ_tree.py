"""The organ tree (issue 13): which organs lie below an organ, read from the ledger.

Invariants:
- The tree is what the organs' ``ParentSet`` events say, each read through the checking
  mapper and each organ loaded through the checking repository: no unchecked row decides a
  scope. The latest placement of an organ counts.
- ``organs_below`` never includes the organ itself, and terminates on any placement history
  (the domain refuses cycles; a cycle here could only come from records made by another
  program, and is walked once).
"""

from __future__ import annotations

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
    children: dict[str, set[str]] = {}
    for child, parent in organ_parents(app).items():
        children.setdefault(parent, set()).add(child)
    below: set[str] = set()
    queue = [organ_code]
    while queue:
        for child in children.get(queue.pop(), ()):
            if child not in below and child != organ_code:
                below.add(child)
                queue.append(child)
    return frozenset(below)
