"""The organ tree (issue 13, item 2): an organ placed under its parent, never in a cycle."""

from __future__ import annotations

from domain.commands.organ import SetParent
from domain.errors import (
    DuplicateRecordError,
    InvalidFieldError,
    NotAuthorisedError,
    OrganCycleError,
    OutsideScopeError,
)
from domain.organ import Organ

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


def test_an_organ_is_placed_under_its_parent_and_replays_so() -> None:
    organ = new_organ()
    assert organ.parent is None  # a root until placed
    organ.set_parent(rec(ESTABLISHMENT), SetParent(parent=CITY), ancestry=(CITY,))
    event = organ.pending_events[-1]
    assert isinstance(event, Organ.ParentSet) and event.parent == CITY
    assert organ.parent == CITY
    assert replay(list(organ.collect_events())).parent == CITY


def test_a_reorganisation_moves_it_and_the_same_parent_twice_is_refused() -> None:
    organ = new_organ()
    organ.set_parent(rec(ADMIN), SetParent(parent=CITY), ancestry=(CITY,))
    refused(
        organ,
        DuplicateRecordError,
        organ.set_parent,
        rec(ADMIN),
        SetParent(parent=CITY),
        ancestry=(CITY,),
    )
    organ.set_parent(rec(ADMIN), SetParent(parent="province"), ancestry=("province",))
    assert organ.parent == "province"


def test_no_cycle_under_itself_or_below_itself() -> None:
    organ = new_organ()
    refused(
        organ,
        OrganCycleError,
        organ.set_parent,
        rec(ADMIN),
        SetParent(parent=ORGAN_CODE),
        ancestry=(ORGAN_CODE,),
    )
    # The county below the organ cannot become its parent: its chain runs through the organ.
    refused(
        organ,
        OrganCycleError,
        organ.set_parent,
        rec(ADMIN),
        SetParent(parent="county"),
        ancestry=("county", ORGAN_CODE, CITY),
    )


def test_the_chain_must_begin_with_the_parent() -> None:
    organ = new_organ()
    refused(
        organ, InvalidFieldError, organ.set_parent, rec(ADMIN), SetParent(parent=CITY), ancestry=()
    )
    refused(
        organ,
        InvalidFieldError,
        organ.set_parent,
        rec(ADMIN),
        SetParent(parent=CITY),
        ancestry=("elsewhere",),
    )


def test_only_the_organs_own_admin_or_establishment_authority_place_it() -> None:
    organ = new_organ()
    refused(
        organ,
        NotAuthorisedError,
        organ.set_parent,
        rec(DISCIPLINE),
        SetParent(parent=CITY),
        ancestry=(CITY,),
    )
    refused(
        organ,
        OutsideScopeError,
        organ.set_parent,
        rec(OTHER_ESTABLISHMENT),
        SetParent(parent=CITY),
        ancestry=(CITY,),
    )
