"""Tables of refused commands for the domain tests: a row a refusal, one test a table.

A row names who runs which command and what the refusal must be; the command runs as the
application service runs it, through its own ``run`` (which calls the aggregate's method).
``refusals(...)`` turns keyword rows into the parametrisation of a test that runs
``refusal.check`` on its fixture. The keyword is the case's id, so a refusal reads as the
name of what the rule says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.values import Actor

from .support import DAY, rec, refused


@dataclass(frozen=True)
class Refusal:
    """``command`` run by ``actor``, recorded on ``effective``, is refused with exactly
    ``error`` and adds no event.

    ``field`` is the field the error blames, ``says`` a phrase of its message, ``message``
    the whole message and ``has`` other attributes of the error (its ``code``, the
    ``from_status`` of a refused transition), where the case checks them; ``at`` is the
    instant recorded where it is not 10:00 CST on ``effective``; ``given`` first brings the
    aggregate into the state the refusal needs (it runs on the test's own aggregate).
    """

    actor: Actor
    command: Any
    error: type[DomainError]
    field: str | None = None
    says: str | None = None
    message: str | None = None
    has: Mapping[str, object] | None = None
    effective: date = DAY
    at: datetime | None = None
    given: Callable[[Any], object] | None = None

    def check(self, aggregate: Aggregate, /, *context: Any) -> DomainError:
        """Run the refused command on ``aggregate`` (``context``: what its ``run`` takes
        beyond the attribution, such as an auxiliary's organ) and check the error raised."""
        if self.given is not None:
            self.given(aggregate)
        recorded = rec(self.actor, self.effective, self.at)
        error = refused(aggregate, self.error, self.command.run, aggregate, recorded, *context)
        if self.field is not None:
            assert getattr(error, "field", None) == self.field, str(error)
        if self.says is not None:
            assert self.says in str(error), str(error)
        if self.message is not None:
            assert str(error) == self.message
        for name, value in (self.has or {}).items():
            assert getattr(error, name) == value, f"{name}: {error}"
        return error


def refusals(**cases: Refusal) -> pytest.MarkDecorator:
    """Parametrise a test's ``refusal`` over ``cases``, each with its keyword as its id."""
    return pytest.mark.parametrize(
        "refusal", [pytest.param(case, id=name) for name, case in cases.items()]
    )
