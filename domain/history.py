"""Effective-dated histories: what was true on a date, whatever order it was recorded in.

Invariants kept here:

- Entries are ordered by effective date, then by recording order (the event's version), so a
  backdated entry recorded later takes its place in the past, and two entries effective on the
  same day resolve to the one recorded last.
- Nothing is ever removed: the history is the complete list of what was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Dated(Generic[T]):
    """A value that took effect on a date, recorded by the event with the given version."""

    effective: date
    sequence: int
    value: T


class Timeline(Generic[T]):
    """An effective-dated history of one value."""

    def __init__(self) -> None:
        self._entries: list[Dated[T]] = []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeline) and self._entries == other._entries

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, like list

    def add(self, effective: date, sequence: int, value: T) -> None:
        """Record that ``value`` took effect on ``effective`` (recorded at ``sequence``)."""
        self._entries.append(Dated(effective, sequence, value))
        self._entries.sort(key=lambda e: (e.effective, e.sequence))

    def entry_on(self, d: date) -> Dated[T] | None:
        """The entry in effect on ``d``, or None if nothing had taken effect by then."""
        found: Dated[T] | None = None
        for entry in self._entries:
            if entry.effective > d:
                break
            found = entry
        return found

    def latest(self) -> Dated[T] | None:
        """The entry in effect after everything recorded so far."""
        return self._entries[-1] if self._entries else None

    @property
    def entries(self) -> tuple[Dated[T], ...]:
        """All entries in effective order."""
        return tuple(self._entries)
