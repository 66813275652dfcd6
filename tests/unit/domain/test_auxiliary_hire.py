"""Hiring an auxiliary (Art. 2, 8, 9, 11; GB 11643)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from domain.auxiliary import MAX_HIRING_AGE, MIN_HIRING_AGE, Auxiliary
from domain.errors import (
    DateInFutureError,
    DomainError,
    HiringAgeError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidResidentIdError,
    LevelOutOfSchemeError,
    NaiveDatetimeError,
    NotAnAuxiliaryPostError,
    NotAuthorisedError,
    OutsideScopeError,
    UnknownPostTypeError,
    UnknownUnitError,
)
from domain.identity import age_on
from domain.organ import Organ
from domain.policy import NANTONG_2023, LevelScheme, Policy, RuleSet
from domain.values import (
    AuxiliaryStatus,
    EmploymentForm,
    Gender,
    PostCategory,
    PostType,
    Responsibility,
)

from .support import (
    AUX_ID,
    HIRE_DAY,
    ORGAN_CODE,
    OTHER_PERSONNEL,
    PERSONNEL,
    PERSONNEL_AT_UNIT,
    UNIT_A,
    UNIT_A_ACTOR,
    UNREGISTERED_UNIT,
    cst,
    hiring,
    refused_creation,
    synthetic_resident_id,
)


def hire_refused(error: type[DomainError], organ: Organ, /, **overrides: Any) -> Any:
    return refused_creation(error, hiring(organ, **overrides))


def test_hire_records_the_auxiliary(organ: Organ) -> None:
    auxiliary = hiring(organ)()
    assert auxiliary.id == AUX_ID
    assert auxiliary.organ == ORGAN_CODE
    assert auxiliary.hired_on == HIRE_DAY
    assert auxiliary.status is AuxiliaryStatus.active
    assert (auxiliary.unit, auxiliary.supervisor_id, auxiliary.supervisor_name) == (
        UNIT_A,
        "PO-1001",
        "测试警官甲",
    )
    assert auxiliary.post_type is PostType.patrol
    assert auxiliary.post_category is PostCategory.duty
    assert auxiliary.level == 1
    assert auxiliary.employment_form is EmploymentForm.direct_contract
    assert auxiliary.dispatch_agency is None
    assert (auxiliary.contract_start, auxiliary.contract_end) == (
        date(2024, 1, 1),
        date(2026, 12, 31),
    )
    assert (auxiliary.name, auxiliary.gender) == ("测试辅警甲", Gender.male)
    assert auxiliary.resident_id == synthetic_resident_id()
    assert (auxiliary.phone, auxiliary.address) == ("13800000001", "测试市测试路1号")
    assert auxiliary.responsibility_on(HIRE_DAY) == Responsibility(
        ORGAN_CODE, UNIT_A, "PO-1001", "测试警官甲"
    )
    [event] = auxiliary.pending_events
    assert isinstance(event, Auxiliary.Hired)
    assert event.actor == PERSONNEL
    assert event.timestamp == cst(HIRE_DAY)
    assert event.rule_id == "nantong-2023"
    assert (event.employment_form, event.post_type, event.gender) == (
        "direct_contract",
        "patrol",
        "male",
    )
    assert type(event.post_type) is str and type(event.gender) is str


def test_hire_marks_personal_data_for_encryption() -> None:
    assert Auxiliary.Hired.personal_fields == ("resident_id", "phone", "address")
    assert Auxiliary.Hired.personal_subject == "originator_id"


def test_hire_accepts_chinese_post_labels_and_enum_members(organ: Organ) -> None:
    auxiliary = hiring(organ, post_type="接警", gender=Gender.female)()
    assert auxiliary.post_type is PostType.call_intake
    assert auxiliary.post_category is PostCategory.civilian
    assert auxiliary.gender is Gender.female


def test_hire_under_labour_dispatch_names_the_agency(organ: Organ) -> None:
    auxiliary = hiring(
        organ, employment_form="labour_dispatch", dispatch_agency="测试人力资源公司"
    )()
    assert auxiliary.employment_form is EmploymentForm.labour_dispatch
    assert auxiliary.dispatch_agency == "测试人力资源公司"


def test_hire_records_the_rule_set_of_the_effective_date(organ: Organ) -> None:
    older = RuleSet(
        "nantong-2018", "旧办法", "通政办发〔2018〕2号", date(2018, 1, 10), date(2023, 2, 28)
    )
    policy = Policy(rules=(NANTONG_2023, older))
    auxiliary = hiring(
        organ, effective=date(2023, 2, 1), policy=policy, contract_start=date(2023, 2, 1)
    )()
    assert auxiliary.pending_events[0].rule_id == "nantong-2018"  # type: ignore[attr-defined]


def test_a_unit_level_personnel_actor_may_not_hire(organ: Organ) -> None:
    error = hire_refused(NotAuthorisedError, organ, actor=PERSONNEL_AT_UNIT)
    assert str(error) == (
        "only the organ itself may record a hire; a unit-level actor may not (Art. 8)"
    )


def test_a_using_unit_may_not_hire(organ: Organ) -> None:
    error = hire_refused(NotAuthorisedError, organ, actor=UNIT_A_ACTOR)
    assert str(error) == "only the organ's personnel department may record a hire (Art. 8)"


def test_another_organ_may_not_hire_into_this_organ(organ: Organ) -> None:
    hire_refused(OutsideScopeError, organ, actor=OTHER_PERSONNEL)


def test_the_unit_must_be_registered_with_the_organ(organ: Organ) -> None:
    error = hire_refused(UnknownUnitError, organ, unit=UNREGISTERED_UNIT)
    assert "Art. 10" in str(error)


def test_the_organ_must_be_an_organ_record(organ: Organ) -> None:
    error = hire_refused(InvalidFieldError, organ, organ=ORGAN_CODE)
    assert error.field == "organ"


@pytest.mark.parametrize("post", ["保洁", "护校队", "volunteer", "logistics", "治安联防"])
def test_article_2_work_is_not_a_post(organ: Organ, post: str) -> None:
    hire_refused(NotAnAuxiliaryPostError, organ, post_type=post)


def test_unknown_post_types_are_refused(organ: Organ) -> None:
    hire_refused(UnknownPostTypeError, organ, post_type="detective")


def test_the_resident_id_must_pass_gb_11643(organ: Organ) -> None:
    bad = synthetic_resident_id()[:-1] + ("0" if synthetic_resident_id()[-1] != "0" else "1")
    error = hire_refused(InvalidResidentIdError, organ, resident_id=bad)
    assert bad not in str(error)


@pytest.mark.parametrize(
    "born",
    [
        date(2019, 6, 1),  # a child
        date(2006, 1, 3),  # 17 on the hiring day, 18 the day after
        date(1963, 1, 2),  # 61
        date(1964, 1, 2),  # 60 on the hiring day
        date(1940, 5, 17),
    ],
)
def test_the_person_hired_is_of_hiring_age(organ: Organ, born: date) -> None:
    number = synthetic_resident_id(born=born)
    error = hire_refused(HiringAgeError, organ, resident_id=number)
    assert f"at least {MIN_HIRING_AGE} and under {MAX_HIRING_AGE}" in str(error)
    assert "Art. 8" in str(error)
    assert number not in str(error) and str(born.year) not in str(error)


@pytest.mark.parametrize(
    "born",
    [
        date(2006, 1, 2),  # 18 on the hiring day
        date(1964, 1, 3),  # 59 on the hiring day, 60 the day after
    ],
)
def test_the_hiring_age_bounds_are_inclusive_below_and_exclusive_above(
    organ: Organ, born: date
) -> None:
    auxiliary = hiring(organ, resident_id=synthetic_resident_id(born=born))()
    assert auxiliary.hired_on == HIRE_DAY


def test_the_age_is_judged_on_the_hiring_date_not_the_recording_date(organ: Organ) -> None:
    # 17 when the hire takes effect, 18 when it is recorded a week later.
    number = synthetic_resident_id(born=date(2006, 1, 5))
    refused_creation(
        HiringAgeError,
        hiring(organ, resident_id=number, at=cst(date(2024, 1, 9))),
    )


def test_age_on_counts_whole_years() -> None:
    assert age_on(date(2006, 1, 2), date(2024, 1, 1)) == 17
    assert age_on(date(2006, 1, 2), date(2024, 1, 2)) == 18
    assert age_on(date(2004, 2, 29), date(2022, 2, 28)) == 17
    assert age_on(date(2004, 2, 29), date(2022, 3, 1)) == 18


def test_labour_dispatch_needs_an_agency(organ: Organ) -> None:
    error = hire_refused(InvalidFieldError, organ, employment_form="labour_dispatch")
    assert error.field == "dispatch_agency"
    assert "Art. 8" in str(error)


def test_a_direct_contract_names_no_agency(organ: Organ) -> None:
    error = hire_refused(InvalidFieldError, organ, dispatch_agency="测试人力资源公司")
    assert error.field == "dispatch_agency"


def test_employment_form_is_a_closed_set(organ: Organ) -> None:
    error = hire_refused(InvalidFieldError, organ, employment_form="volunteer_agreement")
    assert error.field == "employment_form"


def test_the_contract_must_end_after_it_starts(organ: Organ) -> None:
    hire_refused(
        InvalidDateRangeError,
        organ,
        contract_start=date(2024, 1, 1),
        contract_end=date(2024, 1, 1),
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2024, 1, 3), date(2026, 12, 31)), (date(2021, 1, 1), date(2024, 1, 2))],
)
def test_the_hire_takes_effect_within_the_contract(organ: Organ, start: date, end: date) -> None:
    hire_refused(InvalidDateRangeError, organ, contract_start=start, contract_end=end)


def test_contract_dates_are_dates_not_datetimes(organ: Organ) -> None:
    error = hire_refused(InvalidFieldError, organ, contract_start=cst(date(2024, 1, 1)))
    assert error.field == "contract_start"


@pytest.mark.parametrize("level", [0, 11])
def test_the_level_lies_within_the_scheme(organ: Organ, level: int) -> None:
    hire_refused(LevelOutOfSchemeError, organ, level=level)


def test_a_configured_twelve_level_scheme_allows_level_12(organ: Organ) -> None:
    policy = Policy(levels=LevelScheme(1, 12))
    auxiliary = hiring(organ, level=12, policy=policy)()
    assert auxiliary.level == 12


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "名" * 201}, "name"),
        ({"gender": "unknown"}, "gender"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "1234"}, "phone"),
        ({"address": "   "}, "address"),
        ({"supervisor_id": "PO 1001"}, "supervisor_id"),
        ({"supervisor_name": ""}, "supervisor_name"),
        ({"unit": ""}, "unit"),
        ({"id": "not-a-uuid"}, "id"),
    ],
)
def test_hire_refuses_malformed_fields(organ: Organ, overrides: dict[str, Any], field: str) -> None:
    error = hire_refused(InvalidFieldError, organ, **overrides)
    assert error.field == field


def test_hire_refuses_a_naive_instant(organ: Organ) -> None:
    hire_refused(NaiveDatetimeError, organ, at=datetime(2024, 1, 2, 10))


def test_hire_refuses_a_future_effective_date(organ: Organ) -> None:
    hire_refused(DateInFutureError, organ, at=cst(date(2024, 1, 1)))


def test_a_hire_does_not_touch_the_quota(organ: Organ) -> None:
    # The application takes the slot with organ.take_slot in the same transaction.
    hiring(organ)()
    assert organ.headcount == 0
    assert organ.pending_events == []


def test_the_aggregate_repr_shows_no_personal_data(organ: Organ) -> None:
    auxiliary = hiring(organ)()
    text = repr(auxiliary)
    for value in (auxiliary.name, auxiliary.resident_id, auxiliary.phone, auxiliary.address):
        assert value not in text
