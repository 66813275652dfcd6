"""The organ tree and oversight tokens (issue 13, item 2), on SQLite and PostgreSQL: placing
an organ under a registered parent without a cycle, and who may hold oversight scope."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.commands.organ import RegisterOrgan, SetParent
from domain.errors import OrganCycleError, OutsideScopeError, UnknownOrganError
from domain.values import Actor
from ledger.access import OversightError, ReasonRequiredError, issue_token, record_access
from ledger.log import MerkleLog
from ledger.organ_tree import organ_parents, organs_below
from ledger.records import AuxLedger, Envelope

pytestmark = pytest.mark.both_backends

CITY, DISTRICT, COUNTY, STATION_CITY = "320600", "320602", "320612", "320699"
DAY = date(2026, 11, 1)


def admin(organ: str) -> Actor:
    return Actor(actor_id=f"admin-{organ}", role="admin", organ=organ, unit=None)


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    aux_ledger.clock = lambda: datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    for code in (CITY, DISTRICT, COUNTY, STATION_CITY):
        aux_ledger.register_organ(
            RegisterOrgan(code=code, name=f"{code}局", region="南通市"),
            Envelope(admin(code), DAY),
        )
    return aux_ledger


def place(ledger: AuxLedger, organ: str, parent: str) -> None:
    ledger.set_organ_parent(organ, SetParent(parent=parent), Envelope(admin(organ), DAY))


def size(ledger: AuxLedger) -> int:
    return MerkleLog(ledger.ledger_recorder).tree_size()


def test_organs_form_a_tree_read_back_through_checked_records(ledger: AuxLedger) -> None:
    assert organs_below(ledger, CITY) == frozenset()
    place(ledger, DISTRICT, CITY)
    place(ledger, COUNTY, DISTRICT)
    assert ledger.organ(DISTRICT).parent == CITY
    assert organ_parents(ledger) == {DISTRICT: CITY, COUNTY: DISTRICT}
    assert organs_below(AuxLedger(ledger.settings), CITY) == {DISTRICT, COUNTY}
    assert organs_below(ledger, DISTRICT) == {COUNTY}
    assert organs_below(ledger, COUNTY) == frozenset()
    # A reorganisation: the latest placement counts.
    place(ledger, COUNTY, CITY)
    assert organs_below(ledger, DISTRICT) == frozenset()
    assert organs_below(ledger, CITY) == {DISTRICT, COUNTY}


def test_an_unknown_parent_or_a_cycle_is_refused_and_records_nothing(
    ledger: AuxLedger,
) -> None:
    place(ledger, DISTRICT, CITY)
    place(ledger, COUNTY, DISTRICT)
    before = size(ledger)
    with pytest.raises(UnknownOrganError):
        place(ledger, STATION_CITY, "329999")
    with pytest.raises(OrganCycleError):
        place(ledger, CITY, COUNTY)  # the county lies below the city
    with pytest.raises(OrganCycleError):
        place(ledger, CITY, CITY)
    with pytest.raises(OutsideScopeError):  # another organ's admin cannot place it
        ledger.set_organ_parent(DISTRICT, SetParent(parent=COUNTY), Envelope(admin(CITY), DAY))
    assert size(ledger) == before
    assert ledger.organ(CITY).parent is None


def test_only_oversight_roles_of_an_organ_with_organs_below_may_oversee(
    ledger: AuxLedger,
) -> None:
    def issue(role: str, organ: str) -> None:
        issue_token(
            ledger,
            role=role,
            organ=organ,
            unit=None,
            label=f"{role} {organ}",
            issued_by="test",
            oversight=True,
        )

    with pytest.raises(OversightError):
        issue("inspector", CITY)  # nothing below it yet
    place(ledger, DISTRICT, CITY)
    before = size(ledger)
    for role in ("personnel", "admin", "complaints", "establishment"):
        with pytest.raises(OversightError):
            issue(role, CITY)
    with pytest.raises(OversightError):
        issue("inspector", DISTRICT)  # a leaf
    assert size(ledger) == before
    for role in ("inspector", "discipline", "auditor"):
        issue(role, CITY)
    assert size(ledger) == before + 3


def test_an_oversight_read_needs_a_reason_whatever_the_role(ledger: AuxLedger) -> None:
    auditor = Actor(actor_id="auditor-city", role="auditor", organ=CITY, unit=None)
    before = size(ledger)
    with pytest.raises(ReasonRequiredError):
        record_access(
            ledger,
            auditor,
            record_type="auxiliary",
            record_id="x",
            fields=[],
            reason=None,
            purpose="test",
            overseen=True,
        )
    assert size(ledger) == before
    recorded = record_access(
        ledger,
        auditor,
        record_type="auxiliary",
        record_id="x",
        fields=[],
        reason="年度审计抽查",
        purpose="test",
        overseen=True,
    )
    assert recorded.reason == "年度审计抽查" and size(ledger) == before + 1


def test_the_demo_places_every_organ_under_the_city_bureau(aux_ledger: AuxLedger) -> None:
    from api.demo import load_demo  # noqa: PLC0415 - the demo is a client of the ledger
    from api.demo.data import ORGANS  # noqa: PLC0415

    load_demo(aux_ledger, officers=12, seed=1)
    codes = {code for code, *_ in ORGANS}
    assert organs_below(aux_ledger, CITY) == codes - {CITY}
