"""The organ tree (issue 13, item 2): an organ placed under its parent, never in a cycle."""

from __future__ import annotations

import pytest

from domain.commands.organ import SetParent
from domain.errors import (
    DomainError,
    DuplicateRecordError,
    InvalidFieldError,
    NotAuthorisedError,
    OrganCycleError,
    OutsideScopeError,
)
from domain.organ import Organ
from domain.values import Actor

from .support import (
    ADMIN,
    DISCIPLINE,
    ESTABLISHMENT,
    ORGAN_CODE,
    OTHER_ESTABLISHMENT,
    new_organ,
    rec,
    refused,
    replay,
)

CITY = "city-bureau"


def place(organ: Organ, actor: Actor, parent: str, ancestry: tuple[str, ...]) -> None:
    """Place ``organ`` under ``parent`` whose chain upwards is ``ancestry``, as ``actor``."""
    organ.set_parent(rec(actor), SetParent(parent=parent), ancestry=ancestry)


def test_an_organ_is_placed_under_its_parent_and_replays_so() -> None:
    organ = new_organ()
    assert organ.parent is None  # a root until placed
    place(organ, ESTABLISHMENT, CITY, (CITY,))
    event = organ.pending_events[-1]
    assert isinstance(event, Organ.ParentSet) and event.parent == CITY
    assert organ.parent == CITY
    assert replay(list(organ.collect_events())).parent == CITY


def test_a_reorganisation_moves_it_and_the_same_parent_twice_is_refused() -> None:
    organ = new_organ()
    place(organ, ADMIN, CITY, (CITY,))
    refused(organ, DuplicateRecordError, place, organ, ADMIN, CITY, (CITY,))
    place(organ, ADMIN, "province", ("province",))
    assert organ.parent == "province"


@pytest.mark.parametrize(
    ("actor", "parent", "ancestry", "error"),
    [
        pytest.param(ADMIN, ORGAN_CODE, (ORGAN_CODE,), OrganCycleError, id="no_cycle_under_itself"),
        # The county below the organ cannot become its parent: its chain runs through the organ.
        pytest.param(
            ADMIN,
            "county",
            ("county", ORGAN_CODE, CITY),
            OrganCycleError,
            id="no_cycle_below_itself",
        ),
        pytest.param(ADMIN, CITY, (), InvalidFieldError, id="the_chain_must_not_be_empty"),
        pytest.param(
            ADMIN,
            CITY,
            ("elsewhere",),
            InvalidFieldError,
            id="the_chain_must_begin_with_the_parent",
        ),
        pytest.param(
            DISCIPLINE, CITY, (CITY,), NotAuthorisedError, id="only_admin_or_establishment_place_it"
        ),
        pytest.param(
            OTHER_ESTABLISHMENT,
            CITY,
            (CITY,),
            OutsideScopeError,
            id="only_the_organs_own_authority_places_it",
        ),
    ],
)
def test_placing_refusals(
    actor: Actor, parent: str, ancestry: tuple[str, ...], error: type[DomainError]
) -> None:
    organ = new_organ()
    refused(organ, error, place, organ, actor, parent, ancestry)
