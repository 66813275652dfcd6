"""Resident ID numbers, GB 11643-1999."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidResidentIdError
from domain.identity import birth_date_of, resident_id_check_char, validate_resident_id

from .support import synthetic_resident_id

ON = date(2024, 3, 1)


def test_the_known_good_number_is_valid() -> None:
    assert validate_resident_id("11010519491231002X", on=ON) == "11010519491231002X"
    assert resident_id_check_char("11010519491231002") == "X"
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)


def test_lowercase_x_is_accepted_and_returned_uppercase() -> None:
    assert validate_resident_id("11010519491231002x", on=ON) == "11010519491231002X"


def test_surrounding_white_space_is_dropped() -> None:
    assert validate_resident_id(" 11010519491231002X\n", on=ON) == "11010519491231002X"


def test_check_char_follows_the_weights_and_mapping() -> None:
    # 17 zeros: sum 0 -> "1"; a single 1 in first place: 7 mod 11 -> "5".
    assert resident_id_check_char("0" * 17) == "1"
    assert resident_id_check_char("1" + "0" * 16) == "5"
    assert resident_id_check_char("0" * 16 + "1") == "X"  # weight 2 -> index 2


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=ON),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_generated_numbers_are_valid_and_carry_their_birth_date(born: date, sequence: int) -> None:
    number = synthetic_resident_id(born=born, sequence=sequence)
    assert validate_resident_id(number, on=ON) == number
    assert birth_date_of(number) == born


@given(
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_changing_any_one_digit_is_detected(position: int, delta: int) -> None:
    number = synthetic_resident_id()
    digit = (int(number[position]) + delta) % 10
    mutated = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(InvalidResidentIdError):
        validate_resident_id(mutated, on=ON)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("11010519491231002", "must be 18 characters long"),
        ("11010519491231002X1", "must be 18 characters long"),
        ("", "must be 18 characters long"),
        ("1101051949123100AX", "must have digits in its first 17 characters"),
        ("11010519491231002A", "must end in a digit or X"),
        ("１１０１０５１９４９１２３１００２X", "must have digits in its first 17 characters"),
        (synthetic_resident_id(born=date(2000, 1, 1))[:6] + "20230230" + "0001",
         "has characters 7-14 that are not a real calendar date of birth"),
        ("110105" + "18991231" + "0010", "has a birth date before 1900"),
        (synthetic_resident_id(born=date(2024, 3, 2)), "has a birth date in the future"),
        ("110105194912310021", "fails its check character"),
        ("999999" + "19860716" + "495" + resident_id_check_char("99999919860716495"),
         "does not open with a province-level region code (GB/T 2260)"),
        ("100105" + "19491231" + "002" + resident_id_check_char("10010519491231002"),
         "does not open with a province-level region code (GB/T 2260)"),
    ],
)  # fmt: skip
def test_invalid_numbers_are_refused_with_the_reason_and_without_the_value(
    value: str, reason: str
) -> None:
    with pytest.raises(InvalidResidentIdError) as info:
        validate_resident_id(value, on=ON)
    assert info.value.reason == reason
    assert info.value.code == "invalid_resident_id"
    if value:
        assert value not in str(info.value)
        assert value[:14] not in str(info.value)


def test_the_birth_date_may_be_the_checking_day_itself() -> None:
    number = synthetic_resident_id(born=ON)
    assert validate_resident_id(number, on=ON) == number


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidResidentIdError):
        validate_resident_id(110105194912310020, on=ON)  # type: ignore[arg-type]


def test_check_char_needs_exactly_17_digits() -> None:
    for bad in ("1234", "1101051949123100X", "1" * 18):
        with pytest.raises(InvalidResidentIdError):
            resident_id_check_char(bad)


def test_birth_date_of_refuses_malformed_numbers() -> None:
    with pytest.raises(InvalidResidentIdError):
        birth_date_of("1101051949")
    with pytest.raises(InvalidResidentIdError):
        birth_date_of("110105" + "19491331" + "002X")
