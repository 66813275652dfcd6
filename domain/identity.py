"""Resident identity numbers (居民身份证号码), GB 11643-1999.

Invariants kept here:

- A valid number is 18 characters: 17 ASCII digits and a check character that is a digit or
  ``X``; a lowercase ``x`` is accepted and returned as ``X``; surrounding white space is
  dropped.
- The check character is ``"10X98765432"[sum(d_i * w_i) mod 11]`` over the first 17 digits with
  weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
- Characters 1-2 are a province-level division of GB/T 2260 (11-15, 21-23, 31-37, 41-46,
  50-54, 61-65; 71, 81, 82 and 83 for Taiwan, Hong Kong, Macao and the residence permits of
  their residents): a number from nowhere is refused.
- Characters 7-14 are the birth date: a real calendar date, not before 1900-01-01 and not later
  than the date the number is checked on.
- A refusal says which rule failed (length, non-digit, region, birth date, check character)
  and never echoes the number or any part of it.
"""

from __future__ import annotations

from datetime import date

from domain.errors import InvalidResidentIdError

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_DIGITS = frozenset("0123456789")
_EARLIEST_BIRTH_DATE = date(1900, 1, 1)
LENGTH = 18
PROVINCES = frozenset(
    (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    )
)
"""Province-level codes of GB/T 2260 that open a resident ID number."""


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID number."""
    if len(first17) != LENGTH - 1 or not set(first17) <= _DIGITS:
        raise InvalidResidentIdError(
            "check character needs exactly 17 leading digits", zh="计算校验码须有前17位数字"
        )
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _birth_date(body: str) -> date:
    try:
        return date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise InvalidResidentIdError(
            "has characters 7-14 that are not a real calendar date of birth",
            zh="第7至14位不是真实的出生日期",
        ) from None


def birth_date_of(resident_id: str) -> date:
    """The birth date encoded in characters 7-14 of a resident ID number."""
    text = resident_id.strip()
    if len(text) != LENGTH or not set(text[: LENGTH - 1]) <= _DIGITS:
        raise InvalidResidentIdError(
            "must be 17 digits followed by a check character", zh="须为17位数字加1位校验码"
        )
    return _birth_date(text)


def age_on(born: date, day: date) -> int:
    """Whole years (周岁) from ``born`` to ``day``: one more on each birthday; someone born on
    29 February turns a year older on 1 March in a common year."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def validate_resident_id(value: str, *, on: date) -> str:
    """Return the normalised number (upper-case X) if it is valid on the given date, else raise."""
    if not isinstance(value, str):
        raise InvalidResidentIdError("must be text", zh="须为文字")
    text = value.strip().upper()
    if len(text) != LENGTH:
        raise InvalidResidentIdError(f"must be {LENGTH} characters long", zh=f"号码须为{LENGTH}位")
    body, check = text[: LENGTH - 1], text[-1]
    if not set(body) <= _DIGITS:
        raise InvalidResidentIdError(
            "must have digits in its first 17 characters", zh="前17位须为数字"
        )
    if check not in _DIGITS and check != "X":
        raise InvalidResidentIdError("must end in a digit or X", zh="最后一位须为数字或X")
    if int(body[:2]) not in PROVINCES:
        raise InvalidResidentIdError(
            "does not open with a province-level region code (GB/T 2260)",
            zh="前两位不是省级行政区划代码（GB/T 2260）",
        )
    born = _birth_date(body)
    if born < _EARLIEST_BIRTH_DATE:
        raise InvalidResidentIdError(
            "has a birth date before 1900", zh="号码中的出生日期早于1900年"
        )
    if born > on:
        raise InvalidResidentIdError(
            "has a birth date in the future", zh="号码中的出生日期晚于今天"
        )
    if resident_id_check_char(body) != check:
        raise InvalidResidentIdError("fails its check character", zh="校验码不符，请核对号码")
    return text
