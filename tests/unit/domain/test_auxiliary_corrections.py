"""Corrections: new events pointing at the event they correct; never edits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.auxiliary import CORRECTABLE_FIELDS, PERSONAL_CORRECTABLE_FIELDS, Auxiliary
from domain.commands.auxiliary import Correct, RenewContract
from domain.errors import (
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidResidentIdError,
    NotAuthorisedError,
    NotCorrectableError,
)
from domain.organ import Organ
from domain.values import Actor, Gender

from .support import (
    PERSONNEL,
    UNIT_A_ACTOR,
    hiring,
    rec,
    refused,
    replay,
    synthetic_resident_id,
)

HASH = "sha256:" + "0f" * 32


def _correct(
    auxiliary: Auxiliary,
    *,
    actor: Actor = PERSONNEL,
    target_version: Any = 1,
    target_hash: Any = HASH,
    **overrides: Any,
) -> None:
    fields: dict[str, Any] = {
        "field": "name",
        "value": "测试辅警乙",
        "reason": "录入错误",
        **overrides,
    }
    auxiliary.correct(
        rec(actor), Correct(**fields), target_version=target_version, target_hash=target_hash
    )


def test_the_whitelist() -> None:
    assert CORRECTABLE_FIELDS == (
        "name",
        "gender",
        "contract_start",
        "contract_end",
        "dispatch_agency",
    )
    assert PERSONAL_CORRECTABLE_FIELDS == ("phone", "address", "resident_id")


def test_a_correction_is_a_new_event_and_the_old_one_is_untouched(organ: Organ) -> None:
    auxiliary = hiring(organ)()
    [hired] = auxiliary.collect_events()
    _correct(auxiliary)
    assert auxiliary.name == "测试辅警乙"
    assert hired.name == "测试辅警甲"  # type: ignore[attr-defined]
    [event] = auxiliary.collect_events()
    assert type(event) is Auxiliary.Corrected
    assert (event.target_version, event.target_hash, event.field, event.value, event.reason) == (
        1,
        HASH,
        "name",
        "测试辅警乙",
        "录入错误",
    )
    assert Auxiliary.Corrected.personal_fields == ()
    [correction] = auxiliary.corrections
    assert (correction.version, correction.target_version, correction.field) == (2, 1, "name")
    assert auxiliary.field_version("name") == 2
    assert replay([hired, event]) == auxiliary


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("phone", "13900000002", "13900000002"),
        ("address", "测试市测试路2号", "测试市测试路2号"),
        (
            "resident_id",
            synthetic_resident_id(sequence=124).lower(),
            synthetic_resident_id(sequence=124).upper(),
        ),
    ],
)
def test_personal_data_corrections_are_marked_personal(
    auxiliary: Auxiliary, field: str, value: str, expected: str
) -> None:
    _correct(auxiliary, field=field, value=value)
    assert getattr(auxiliary, field) == expected
    [event] = auxiliary.collect_events()
    assert type(event) is Auxiliary.PersonalDataCorrected
    assert isinstance(event, Auxiliary.Corrected)
    assert event.personal_fields == ("value",)
    assert event.personal_subject == "originator_id"


def test_gender_correction_updates_the_enum(auxiliary: Auxiliary) -> None:
    _correct(auxiliary, field="gender", value="female")
    assert auxiliary.gender is Gender.female
    [event] = auxiliary.collect_events()
    assert event.value == "female" and type(event.value) is str  # type: ignore[attr-defined]


def test_contract_dates_are_correctable(auxiliary: Auxiliary) -> None:
    _correct(auxiliary, field="contract_end", value=date(2027, 6, 30))
    _correct(auxiliary, field="contract_start", value=date(2023, 12, 1))
    assert (auxiliary.contract_start, auxiliary.contract_end) == (
        date(2023, 12, 1),
        date(2027, 6, 30),
    )


def test_a_corrected_contract_stays_consistent(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        InvalidDateRangeError,
        _correct,
        auxiliary=auxiliary,
        field="contract_end",
        value=date(2023, 12, 31),
    )
    refused(
        auxiliary,
        InvalidDateRangeError,
        _correct,
        auxiliary=auxiliary,
        field="contract_start",
        value=date(2024, 1, 3),
    )


@pytest.mark.parametrize(
    "field", ["level", "organ", "unit", "employment_form", "supervisor_id", ["name"], None]
)
def test_fields_off_the_whitelist_are_not_correctable(auxiliary: Auxiliary, field: object) -> None:
    error = refused(auxiliary, NotCorrectableError, _correct, auxiliary=auxiliary, field=field)
    assert "name, gender" in str(error)


@pytest.mark.parametrize("version", [0, 2, -1])
def test_the_target_version_must_exist(auxiliary: Auxiliary, version: int) -> None:
    refused(
        auxiliary,
        NotCorrectableError,
        _correct,
        auxiliary=auxiliary,
        target_version=version,
    )


def test_the_target_must_be_the_event_whose_value_is_in_force(auxiliary: Auxiliary) -> None:
    _correct(auxiliary)
    auxiliary.collect_events()
    error = refused(
        auxiliary,
        NotCorrectableError,
        _correct,
        auxiliary=auxiliary,
        target_version=1,
        value="测试辅警丙",
    )
    assert str(error) == "the value of name in force was recorded by version 2, not by version 1"
    _correct(auxiliary, target_version=2, value="测试辅警丙")
    assert auxiliary.name == "测试辅警丙"


def test_a_renewed_contract_end_is_corrected_at_the_renewal(auxiliary: Auxiliary) -> None:
    auxiliary.renew_contract(rec(PERSONNEL), RenewContract(contract_end=date(2029, 12, 31)))
    auxiliary.collect_events()
    refused(
        auxiliary,
        NotCorrectableError,
        _correct,
        auxiliary=auxiliary,
        field="contract_end",
        value=date(2029, 6, 30),
    )
    _correct(auxiliary, target_version=2, field="contract_end", value=date(2029, 6, 30))
    assert auxiliary.contract_end == date(2029, 6, 30)


def test_dispatch_agency_is_correctable_only_under_labour_dispatch(
    auxiliary: Auxiliary, organ: Organ
) -> None:
    refused(
        auxiliary,
        NotCorrectableError,
        _correct,
        auxiliary=auxiliary,
        field="dispatch_agency",
        value="测试人力资源公司",
    )
    dispatched = hiring(
        organ, employment_form="labour_dispatch", dispatch_agency="测试人力甲公司"
    )()
    _correct(dispatched, field="dispatch_agency", value="测试人力乙公司")
    assert dispatched.dispatch_agency == "测试人力乙公司"


def test_a_correction_must_change_the_value(auxiliary: Auxiliary) -> None:
    error = refused(auxiliary, InvalidFieldError, _correct, auxiliary=auxiliary, value="测试辅警甲")
    assert error.field == "value"
    refused(
        auxiliary, InvalidFieldError, _correct, auxiliary=auxiliary, field="gender", value="male"
    )


def test_corrected_values_are_validated(auxiliary: Auxiliary) -> None:
    refused(
        auxiliary,
        InvalidResidentIdError,
        _correct,
        auxiliary=auxiliary,
        field="resident_id",
        value="110105194912310021",
    )
    for field, value in (
        ("phone", "abc"),
        ("name", ""),
        ("gender", "other"),
        ("contract_end", "2027-01-01"),
        ("resident_id", 110105194912310020),
    ):
        error = refused(
            auxiliary, InvalidFieldError, _correct, auxiliary=auxiliary, field=field, value=value
        )
        assert error.field == "value"


@pytest.mark.parametrize("target_hash", ["", "has space", "x" * 201, 12345])
def test_the_target_hash_is_a_token(auxiliary: Auxiliary, target_hash: object) -> None:
    error = refused(
        auxiliary, InvalidFieldError, _correct, auxiliary=auxiliary, target_hash=target_hash
    )
    assert error.field == "target_hash"


def test_only_the_personnel_department_corrects(auxiliary: Auxiliary) -> None:
    refused(auxiliary, NotAuthorisedError, _correct, auxiliary=auxiliary, actor=UNIT_A_ACTOR)


def test_field_version_refuses_unknown_fields(auxiliary: Auxiliary) -> None:
    with pytest.raises(NotCorrectableError):
        auxiliary.field_version("level")
