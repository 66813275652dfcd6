"""A tiny aggregate for exercising the ledger machinery without the personnel domain."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate


class Notebook(Aggregate):
    """Pages appended one by one."""

    class Opened(Aggregate.Created):
        title: str

    class PageWritten(Aggregate.Event):
        text: str

        def apply(self, aggregate: Any) -> None:
            aggregate.pages.append(self.text)

    def __init__(self, title: str) -> None:
        self.title = title
        self.pages: list[str] = []

    @classmethod
    def open(cls, title: str) -> Notebook:
        return cls._create(cls.Opened, title=title)

    def write(self, text: str) -> None:
        self.trigger_event(self.PageWritten, text=text)
