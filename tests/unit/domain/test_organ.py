"""Organs, units and the staffing quota (Art. 5, 8, 10)."""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime
from uuid import UUID, uuid5

import pytest
from eventsourcing.persistence import IntegrityError

from domain.commands.organ import AdjustQuota, RegisterOrgan, RegisterUnit, SetQuota
from domain.errors import (
    DateInFutureError,
    DuplicateRecordError,
    InvalidFieldError,
    InvalidTransitionError,
    NaiveDatetimeError,
    NotAuthorisedError,
    OutsideScopeError,
    QuotaExceededError,
    SlotNotHeldError,
    UnknownUnitError,
)
from domain.organ import Organ, UnitCode
from domain.values import ID_NAMESPACE, Actor

from .refusals import Refusal, refusals
from .support import (
    ADMIN,
    AUX_ID,
    AUX_ID_2,
    DAY,
    ESTABLISHMENT,
    ORGAN_CODE,
    OTHER_ESTABLISHMENT,
    OTHER_PERSONNEL,
    PERSONNEL,
    SETUP_DAY,
    UNIT_A,
    UNIT_A_ACTOR,
    UNIT_B,
    RoundTripApplication,
    cst,
    new_organ,
    rec,
    refused,
    refused_creation,
    register_organ,
    replay,
)

UNIT_C = f"{ORGAN_CODE}-c"
UNIT_D = f"{ORGAN_CODE}-d"


def register(
    *,
    actor: Actor = ADMIN,
    effective: date = SETUP_DAY,
    at: datetime | None = None,
    **overrides: str,
) -> Organ:
    fields = {"code": ORGAN_CODE, "name": "测试市公安局", "region": "测试市", **overrides}
    return Organ.register(
        rec(actor, effective, at if at is not None else cst(SETUP_DAY)), RegisterOrgan(**fields)
    )


# ------------------------------------------------------------------------------ register


def test_register_records_the_organ_under_an_id_derived_from_its_code() -> None:
    organ = register()
    assert organ.id == Organ.id_for(ORGAN_CODE) == uuid5(ID_NAMESPACE, "organ:" + ORGAN_CODE)
    assert (organ.code, organ.name, organ.region) == (ORGAN_CODE, "测试市公安局", "测试市")
    assert organ.units == {} and organ.quota is None and organ.headcount == 0
    [event] = organ.pending_events
    assert isinstance(event, Organ.Registered)
    assert event.actor == ADMIN
    assert event.timestamp == cst(SETUP_DAY)
    assert event.effective == SETUP_DAY
    assert event.rule_id == "nantong-2023"
    assert event.basis == "通政规〔2023〕1号"


def test_the_establishment_authority_may_register_an_organ() -> None:
    assert register(actor=ESTABLISHMENT).code == ORGAN_CODE


def test_register_is_refused_to_the_personnel_department() -> None:
    error = refused_creation(NotAuthorisedError, lambda: register(actor=PERSONNEL))
    assert "administrator or the establishment authority" in str(error)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "test bureau"}, "code"),
        ({"code": ""}, "code"),
        ({"name": "  "}, "name"),
        ({"name": "局" * 201}, "name"),
        ({"region": "测试\n市"}, "region"),
    ],
)
def test_register_refuses_malformed_fields(overrides: dict[str, object], field: str) -> None:
    error = refused_creation(InvalidFieldError, lambda: register(**overrides))  # type: ignore[arg-type]
    assert error.field == field


def test_register_refuses_a_naive_instant_and_a_future_effective_date() -> None:
    refused_creation(NaiveDatetimeError, lambda: register(at=datetime(2023, 12, 1, 10)))
    refused_creation(DateInFutureError, lambda: register(effective=date(2023, 12, 2)))


# ------------------------------------------------------------------------------ units


def test_register_unit(organ: Organ) -> None:
    organ.register_unit(rec(PERSONNEL), RegisterUnit(code=UNIT_C, name="测试派出所丙"))
    assert organ.units[UNIT_C] == "测试派出所丙"
    assert organ.has_unit(UNIT_C) and organ.has_unit(UNIT_A) and not organ.has_unit("x")
    [event] = organ.collect_events()
    assert isinstance(event, Organ.UnitRegistered)
    assert (event.unit_code, event.unit_name) == (UNIT_C, "测试派出所丙")


@pytest.mark.parametrize(
    "code",
    [
        "320602-006",  # another organ's code as prefix: the review's 320681 taking 320602-006
        "other-bureau-c",
        "station-c",  # no organ code at all
        f"{ORGAN_CODE}c",  # no hyphen
        f"{ORGAN_CODE}-",  # nothing after it
        f"x{ORGAN_CODE}-c",
    ],
)
def test_a_unit_code_begins_with_its_organs_code(organ: Organ, code: str) -> None:
    Refusal(
        PERSONNEL,
        RegisterUnit(code=code, name="丙"),
        InvalidFieldError,
        field="code",
        says=f"({ORGAN_CODE}-…)",
    ).check(organ)
    assert not organ.has_unit(code)


def test_a_unit_code_is_claimed_for_the_whole_ledger(organ: Organ) -> None:
    organ.register_unit(rec(PERSONNEL), RegisterUnit(code=UNIT_C, name="测试派出所丙"))
    claim = UnitCode.claim(rec(PERSONNEL), organ=organ, code=UNIT_C)
    assert (claim.code, claim.organ) == (UNIT_C, organ.code)
    # The id depends on the code alone: another organ's claim on it is the same aggregate,
    # whose version 1 the event store holds once.
    assert claim.id == UnitCode.id_for(UNIT_C) != UnitCode.id_for(UNIT_D)
    with pytest.raises(UnknownUnitError):
        UnitCode.claim(rec(PERSONNEL), organ=organ, code=UNIT_D)


# ------------------------------------------------------------------------------ quota


def test_the_establishment_authority_sets_the_quota() -> None:
    organ = register_organ(quota=None)
    organ.set_quota(rec(ESTABLISHMENT), SetQuota(quota=5))
    assert organ.quota == 5
    [event] = organ.collect_events()
    assert isinstance(event, Organ.QuotaSet) and event.quota == 5


def test_a_quota_of_zero_is_allowed() -> None:
    organ = register_organ(quota=None)
    organ.set_quota(rec(ESTABLISHMENT), SetQuota(quota=0))
    assert organ.quota == 0


@refusals(
    **{
        f"only_the_establishment_authority_sets_the_quota-{actor.role}": Refusal(
            actor,
            SetQuota(quota=5),
            NotAuthorisedError,
            message="only the establishment authority may set a staffing quota (Art. 5)",
            has={"article": "Art. 5", "required": ("establishment",)},
        )
        for actor in (PERSONNEL, ADMIN)
    },
    another_organs_establishment_authority_is_out_of_scope=Refusal(
        OTHER_ESTABLISHMENT, SetQuota(quota=5), OutsideScopeError
    ),
    **{
        f"quota_must_be_a_whole_number_from_zero-{quota!r}": Refusal(
            ESTABLISHMENT, SetQuota(quota=quota), InvalidFieldError, field="quota"
        )
        for quota in (-1, True, 2.5, "5", 1_000_001)
    },
    adjust_needs_a_quota=Refusal(
        ESTABLISHMENT, AdjustQuota(new_quota=4, reason="r"), InvalidTransitionError
    ),
)
def test_refusals_before_a_quota_is_set(refusal: Refusal) -> None:
    refusal.check(register_organ(quota=None))


@refusals(
    a_unit_code_is_registered_once=Refusal(
        ADMIN, RegisterUnit(code=UNIT_B, name="重复"), DuplicateRecordError
    ),
    a_using_unit_may_not_register_units=Refusal(
        UNIT_A_ACTOR, RegisterUnit(code=UNIT_C, name="丙"), NotAuthorisedError
    ),
    another_organ_may_not_register_units=Refusal(
        OTHER_PERSONNEL, RegisterUnit(code=UNIT_C, name="丙"), OutsideScopeError
    ),
    the_quota_is_set_once=Refusal(ESTABLISHMENT, SetQuota(quota=9), InvalidTransitionError),
    adjust_needs_a_change=Refusal(
        ESTABLISHMENT, AdjustQuota(new_quota=3, reason="r"), InvalidFieldError, field="new_quota"
    ),
    adjust_needs_a_reason=Refusal(
        ESTABLISHMENT, AdjustQuota(new_quota=4, reason=""), InvalidFieldError, field="reason"
    ),
    only_the_establishment_authority_adjusts_the_quota=Refusal(
        PERSONNEL, AdjustQuota(new_quota=4, reason="r"), NotAuthorisedError
    ),
)
def test_unit_and_quota_refusals(organ: Organ, refusal: Refusal) -> None:
    refusal.check(organ)


def test_the_quota_is_adjusted_once_set(organ: Organ) -> None:
    organ.adjust_quota(rec(ESTABLISHMENT), AdjustQuota(new_quota=9, reason="辖区人口增长"))
    assert organ.quota == 9
    [event] = organ.collect_events()
    assert isinstance(event, Organ.QuotaAdjusted)
    assert (event.quota, event.reason) == (9, "辖区人口增长")


# ------------------------------------------------------------------------------ slots


def test_take_slot_counts_the_headcount(organ: Organ) -> None:
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    assert organ.headcount == 1 and organ.occupied == {AUX_ID}
    [event] = organ.collect_events()
    assert isinstance(event, Organ.SlotTaken) and event.auxiliary_id == AUX_ID


def test_take_slot_is_refused_without_a_quota() -> None:
    organ = register_organ(quota=None)
    error = refused(organ, QuotaExceededError, organ.take_slot, rec(PERSONNEL), auxiliary_id=AUX_ID)
    assert "Art. 5" in str(error)


def test_take_slot_is_refused_when_the_quota_is_used_up() -> None:
    organ = register_organ(quota=1)
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    organ.collect_events()
    error = refused(
        organ, QuotaExceededError, organ.take_slot, rec(PERSONNEL), auxiliary_id=AUX_ID_2
    )
    assert error.code == "quota_exceeded"
    assert str(error) == (
        "the organ's staffing quota of 1 is fully used (1 held); "
        "a hire must stay within the quota (Art. 5, 8)"
    )


def test_an_auxiliary_takes_one_slot_only(organ: Organ) -> None:
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    organ.collect_events()
    refused(organ, DuplicateRecordError, organ.take_slot, rec(PERSONNEL), auxiliary_id=AUX_ID)


@pytest.mark.parametrize("actor", [UNIT_A_ACTOR, ESTABLISHMENT, ADMIN])
def test_only_the_personnel_department_takes_slots(organ: Organ, actor: Actor) -> None:
    refused(organ, NotAuthorisedError, organ.take_slot, rec(actor), auxiliary_id=AUX_ID)


def test_take_slot_needs_a_uuid(organ: Organ) -> None:
    refused(organ, InvalidFieldError, organ.take_slot, rec(PERSONNEL), auxiliary_id=str(AUX_ID))


def test_a_quota_may_be_cut_below_the_headcount_and_then_no_slot_is_free() -> None:
    organ = register_organ(quota=2)
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID_2)
    organ.adjust_quota(rec(ESTABLISHMENT), AdjustQuota(new_quota=1, reason="压减规模"))
    organ.collect_events()
    assert (organ.quota, organ.headcount) == (1, 2)
    refused(organ, QuotaExceededError, organ.take_slot, rec(PERSONNEL), auxiliary_id=UUID(int=3))


def test_release_slot_frees_it(organ: Organ) -> None:
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    organ.release_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    assert organ.headcount == 0
    events = organ.collect_events()
    assert isinstance(events[-1], Organ.SlotReleased)


def test_release_slot_needs_a_held_slot(organ: Organ) -> None:
    refused(organ, SlotNotHeldError, organ.release_slot, rec(PERSONNEL), auxiliary_id=AUX_ID)


# ------------------------------------------------------------------------------ the race


def test_two_hires_racing_for_the_last_slot_cannot_both_be_recorded() -> None:
    """Both writers decide against the same version; the store admits exactly one."""
    app = RoundTripApplication()
    app.save(new_organ(quota=1))
    organ_id = Organ.id_for(ORGAN_CODE)

    writer_a: Organ = app.repository.get(organ_id)
    writer_b: Organ = app.repository.get(organ_id)
    writer_a.take_slot(rec(PERSONNEL, DAY), auxiliary_id=AUX_ID)
    writer_b.take_slot(rec(PERSONNEL, DAY), auxiliary_id=AUX_ID_2)
    [event_a], [event_b] = writer_a.pending_events, writer_b.pending_events
    assert event_a.originator_version == event_b.originator_version == 5

    app.save(writer_a)
    with pytest.raises(IntegrityError):
        app.save(writer_b)

    # The loser retries against the stored state and is refused by the rule itself.
    retry: Organ = app.repository.get(organ_id)
    assert retry.occupied == {AUX_ID}
    refused(retry, QuotaExceededError, retry.take_slot, rec(PERSONNEL), auxiliary_id=AUX_ID_2)


def test_replaying_the_events_rebuilds_the_same_organ() -> None:
    organ = new_organ()
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    organ.adjust_quota(rec(ESTABLISHMENT), AdjustQuota(new_quota=4, reason="调整"))
    rebuilt = replay(list(organ.collect_events()))
    assert rebuilt == organ
    assert (rebuilt.quota, rebuilt.occupied, rebuilt.units) == (4, {AUX_ID}, organ.units)


def test_a_deep_copy_shares_no_mutable_state_with_the_organ() -> None:
    # The repository's cache hands out deep copies (Organ.__deepcopy__ copies the slot set
    # without rebuilding its UUIDs): a command on the copy leaves the cached organ as it was.
    organ = new_organ()
    organ.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID)
    organ.collect_events()
    copied, version = deepcopy(organ), organ.version
    assert vars(copied) == vars(organ) and copied == organ
    assert copied.occupied is not organ.occupied and copied.units is not organ.units
    copied.take_slot(rec(PERSONNEL), auxiliary_id=AUX_ID_2)
    copied.register_unit(rec(PERSONNEL), RegisterUnit(code=UNIT_C, name="测试派出所丙"))
    assert (organ.occupied, organ.version, organ.has_unit(UNIT_C)) == ({AUX_ID}, version, False)
    assert organ.collect_events() == [] and len(copied.collect_events()) == 2
    assert copied.occupied == {AUX_ID, AUX_ID_2} and copied.version == version + 2
