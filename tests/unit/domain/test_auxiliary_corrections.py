"""Corrections: new events pointing at the event they correct; never edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import pytest

from domain.auxiliary import (
    CORRECTABLE_FIELDS,
    MAX_HIRING_AGE,
    MIN_HIRING_AGE,
    PERSONAL_CORRECTABLE_FIELDS,
    Auxiliary,
)
from domain.commands.auxiliary import Correct, RenewContract, Separate
from domain.errors import (
    HiringAgeError,
    InvalidDateRangeError,
    InvalidFieldError,
    InvalidResidentIdError,
    NotAuthorisedError,
    NotCorrectableError,
)
from domain.events import Recording
from domain.organ import Organ
from domain.values import Actor, Gender

from .refusals import Refusal, refusals
from .support import (
    PERSONNEL,
    PERSONNEL_AT_UNIT,
    UNIT_A_ACTOR,
    hiring,
    rec,
    replay,
    synthetic_resident_id,
)

HASH = "sha256:" + "0f" * 32


@dataclass(frozen=True)
class Correcting:
    """A ``Correct`` with the event it points at, run as the service runs it once it has
    found that event's version and record hash."""

    command: Correct
    target_version: Any = 1
    target_hash: Any = HASH

    def run(self, auxiliary: Auxiliary, rec: Recording) -> None:
        auxiliary.correct(
            rec, self.command, target_version=self.target_version, target_hash=self.target_hash
        )


def correcting(*, target_version: Any = 1, target_hash: Any = HASH, **overrides: Any) -> Correcting:
    """The name corrected to 测试辅警乙, pointing at the hire, with overrides."""
    fields: dict[str, Any] = {
        "field": "name",
        "value": "测试辅警乙",
        "reason": "录入错误",
        **overrides,
    }
    return Correcting(Correct(**fields), target_version, target_hash)


def _correct(auxiliary: Auxiliary, *, actor: Actor = PERSONNEL, **overrides: Any) -> None:
    correcting(**overrides).run(auxiliary, rec(actor))


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


by_personnel = partial(Refusal, PERSONNEL)
"""A refusal of a correction the personnel department asks for."""


def _name_corrected(auxiliary: Auxiliary) -> None:
    _correct(auxiliary)
    auxiliary.collect_events()


def _renewed(auxiliary: Auxiliary) -> None:
    auxiliary.renew_contract(rec(PERSONNEL), RenewContract(contract_end=date(2029, 12, 31)))
    auxiliary.collect_events()


@refusals(
    a_corrected_contract_end_stays_consistent=by_personnel(
        correcting(field="contract_end", value=date(2023, 12, 31)), InvalidDateRangeError
    ),
    a_corrected_contract_start_stays_consistent=by_personnel(
        correcting(field="contract_start", value=date(2024, 1, 3)), InvalidDateRangeError
    ),
    **{
        f"fields_off_the_whitelist_are_not_correctable-{field}": by_personnel(
            correcting(field=field), NotCorrectableError, says="name, gender"
        )
        for field in ("level", "organ", "unit", "employment_form", "supervisor_id", ["name"], None)
    },
    **{
        f"the_target_version_must_exist-{version}": by_personnel(
            correcting(target_version=version), NotCorrectableError
        )
        for version in (0, 2, -1)
    },
    the_target_must_be_the_event_whose_value_is_in_force=by_personnel(
        correcting(value="测试辅警丙"),
        NotCorrectableError,
        message="the value of name in force was recorded by version 2, not by version 1",
        given=_name_corrected,
    ),
    a_renewed_contract_end_is_corrected_at_the_renewal=by_personnel(
        correcting(field="contract_end", value=date(2029, 6, 30)),
        NotCorrectableError,
        given=_renewed,
    ),
    dispatch_agency_is_correctable_only_under_labour_dispatch=by_personnel(
        correcting(field="dispatch_agency", value="测试人力资源公司"), NotCorrectableError
    ),
    a_correction_must_change_the_value=by_personnel(
        correcting(value="测试辅警甲"), InvalidFieldError, field="value"
    ),
    a_correction_must_change_the_gender=by_personnel(
        correcting(field="gender", value="male"), InvalidFieldError
    ),
    a_corrected_resident_id_is_validated=by_personnel(
        correcting(field="resident_id", value="110105194912310021"), InvalidResidentIdError
    ),
    **{
        f"corrected_values_are_validated-{field}": by_personnel(
            correcting(field=field, value=value), InvalidFieldError, field="value"
        )
        for field, value in (
            ("phone", "abc"),
            ("name", ""),
            ("gender", "other"),
            ("contract_end", "2027-01-01"),
            ("resident_id", 110105194912310020),
        )
    },
    **{
        f"the_target_hash_is_a_token-{target_hash!r}": by_personnel(
            correcting(target_hash=target_hash), InvalidFieldError, field="target_hash"
        )
        for target_hash in ("", "has space", "x" * 201, 12345)
    },
    only_the_personnel_department_corrects=Refusal(UNIT_A_ACTOR, correcting(), NotAuthorisedError),
    a_resident_id_is_corrected_at_organ_level=Refusal(
        PERSONNEL_AT_UNIT,
        correcting(field="resident_id", value=synthetic_resident_id(date(1990, 5, 12))),
        NotAuthorisedError,
        says="only the organ itself may correct a resident ID number",
    ),
)
def test_correction_refusals(auxiliary: Auxiliary, refusal: Refusal) -> None:
    refusal.check(auxiliary)


def test_a_correction_points_at_the_event_whose_value_is_in_force(auxiliary: Auxiliary) -> None:
    _name_corrected(auxiliary)
    _correct(auxiliary, target_version=2, value="测试辅警丙")
    assert auxiliary.name == "测试辅警丙"


def test_a_renewed_contract_end_is_corrected_at_the_renewal(auxiliary: Auxiliary) -> None:
    _renewed(auxiliary)
    _correct(auxiliary, target_version=2, field="contract_end", value=date(2029, 6, 30))
    assert auxiliary.contract_end == date(2029, 6, 30)


def test_dispatch_agency_is_correctable_under_labour_dispatch(organ: Organ) -> None:
    dispatched = hiring(
        organ, employment_form="labour_dispatch", dispatch_agency="测试人力甲公司"
    )()
    _correct(dispatched, field="dispatch_agency", value="测试人力乙公司")
    assert dispatched.dispatch_agency == "测试人力乙公司"


def test_field_version_refuses_unknown_fields(auxiliary: Auxiliary) -> None:
    with pytest.raises(NotCorrectableError):
        auxiliary.field_version("level")


# ------------------------------------------------------------------- the corrected number's age


def _separated(auxiliary: Auxiliary) -> None:
    auxiliary.separate(rec(PERSONNEL, date(2024, 2, 20)), Separate(reason="resigned"))
    auxiliary.collect_events()


def _born(born: date) -> Correcting:
    return correcting(field="resident_id", value=synthetic_resident_id(born=born, sequence=124))


@pytest.mark.parametrize("given", [None, _separated], ids=["active", "separated"])
@pytest.mark.parametrize(
    ("refused_born", "accepted_born"),
    [
        (date(2019, 6, 1), date(2006, 1, 2)),  # a child; 18 on the hiring day 2024-01-02
        (date(2006, 1, 3), date(2006, 1, 2)),  # 17 on the hiring day, 18 the day after
        (date(1964, 1, 2), date(1964, 1, 3)),  # 60 on the hiring day; 59 on it
        (date(1940, 5, 17), date(1964, 1, 3)),
    ],
)
def test_a_corrected_resident_id_is_held_to_the_hiring_age_on_the_hiring_date(
    auxiliary: Auxiliary, refused_born: date, accepted_born: date, given: Any
) -> None:
    refusal = by_personnel(
        _born(refused_born), HiringAgeError, says="corrected resident ID number", given=given
    )
    error = refusal.check(auxiliary)
    message = str(error)
    assert f"at least {MIN_HIRING_AGE} and under {MAX_HIRING_AGE}" in message
    assert "hiring date" in message and "Art. 8" in message
    assert str(refused_born.year) not in message
    assert synthetic_resident_id(born=refused_born, sequence=124) not in message
    assert error.code == "hiring_age"
    # The same correction with a birth date within the bounds goes through.
    _born(accepted_born).run(auxiliary, rec(PERSONNEL))
    assert auxiliary.resident_id == synthetic_resident_id(born=accepted_born, sequence=124)


def test_a_corrected_number_is_judged_on_the_hiring_date_not_the_correction_date(
    auxiliary: Auxiliary,
) -> None:
    # 17 on the hiring date 2024-01-02, 18 when the correction is recorded on 2024-03-01.
    by_personnel(_born(date(2006, 1, 5)), HiringAgeError).check(auxiliary)
