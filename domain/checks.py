"""Argument checks shared by the aggregates: text, identifiers, dates, instants, numbers.

Invariants kept here:

- Short text (names, places, bodies, categories) is 1 to 200 characters after trimming, with
  no control characters; free text (reasons, descriptions, summaries) is 1 to 4000 characters
  and may hold line breaks and tabs but no other control characters.
- No text or identifier holds a format character (Unicode category Cf): bidirectional
  controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), zero-width characters
  (U+200B-U+200D, U+2060, U+FEFF), soft hyphens, tag characters and the rest; they would make
  a record read differently from what it holds (``FormatCharacterError``).
- Identifiers (codes, serials, ids chosen by a caller) are 1 to 64 characters with no white
  space or control characters; opaque tokens (record hashes, tracking hashes) likewise, up to
  200 characters.
- A date is a ``datetime.date`` and never a ``datetime`` (a ``datetime`` is a ``date`` to
  Python, and would be stored with a time that means nothing).
- An instant is timezone-aware and is stored in UTC.
- Amounts of money are finite ``Decimal`` yuan, greater than zero, with at most two decimal
  places.
- Refusals name the field and the reason, in English and in Chinese (``Rule``); they never
  echo the value given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, TypeVar

from domain.errors import FormatCharacterError, InvalidFieldError, NaiveDatetimeError

SHORT_TEXT_MAX = 200
FREE_TEXT_MAX = 4000
IDENTIFIER_MAX = 64
TOKEN_MAX = 200
YEAR_MIN = 1990
YEAR_MAX = 2100

_FREE_TEXT_ALLOWED_CONTROLS = frozenset("\n\r\t")
_PHONE = re.compile(r"\+?[0-9][0-9 \-]*[0-9]")

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class Rule(NamedTuple):
    """What a field must be: in English, the reason of the API's detail; in Chinese, what the
    console tells its user (the field's Chinese name stands beside it, so not repeated)."""

    en: str
    zh: str

    def refuse(self, field: str) -> InvalidFieldError:
        """The refusal of ``field`` for breaking this rule."""
        return InvalidFieldError(field, self.en, zh=self.zh)


MUST_BE_TEXT = Rule("must be text", "须为文字")
NOT_EMPTY = Rule("must not be empty", "须填写")
NO_SPACE = Rule(
    "must not contain white space or control characters", "不得含有空格、换行等空白字符或控制字符"
)
ONE_LINE = Rule("must not contain control characters", "须为一行文字，不得含有换行或其他控制字符")
NO_CONTROL = Rule("must not contain control characters", "除换行和制表符外，不得含有控制字符")
WHOLE_NUMBER = Rule("must be a whole number", "须为整数")
UUID_REQUIRED = Rule("must be a UUID", "须为系统生成的记录编号（UUID）")


def at_most(limit: int) -> Rule:
    """Text of at most ``limit`` characters."""
    return Rule(f"must be at most {limit} characters long", f"不超过{limit}个字")


def between(lowest: int, highest: int) -> Rule:
    """A whole number from ``lowest`` to ``highest``."""
    return Rule(f"must be between {lowest} and {highest}", f"须在{lowest}至{highest}之间")


def _or_none(check: Callable[[str, object], T]) -> Callable[[str, object], T | None]:
    """The check for an optional field: None stays None, any other value goes to ``check``."""

    def optional(field: str, value: object) -> T | None:
        return None if value is None else check(field, value)

    optional.__name__ = optional.__qualname__ = f"optional_{check.__name__}"
    optional.__doc__ = f"``{check.__name__}``, or None when the value is None."
    return optional


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL_CHARS = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]))
_CONTROLS: dict[frozenset[str], re.Pattern[str]] = {}
_SPACE_OR_CONTROL = re.compile(f"[\\s{re.escape(_CONTROL_CHARS)}]")


def _has_control(text: str, allowed: frozenset[str] = frozenset()) -> bool:
    """True if ``text`` holds a control character other than those ``allowed``."""
    pattern = _CONTROLS.get(allowed)
    if pattern is None:
        chars = "".join(ch for ch in _CONTROL_CHARS if ch not in allowed)
        pattern = _CONTROLS[allowed] = re.compile(f"[{re.escape(chars)}]")
    return pattern.search(text) is not None


# Letters and symbols that render as nothing at all (Hangul fillers, the blank Braille cell).
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_format_character(text: str) -> bool:
    """True if ``text`` holds a format character (Unicode category Cf): a bidirectional
    control, a zero-width character, a soft hyphen, a tag character, ..."""
    # Every format character is also not printable: the common case is one C-level pass.
    return not text.isprintable() and any(unicodedata.category(ch) == "Cf" for ch in text)


def has_visible_character(text: str) -> bool:
    """True if ``text`` holds at least one character a reader can see (not white space, not
    a control or format character, not a blank glyph)."""
    return any(ch.isprintable() and not ch.isspace() and ch not in _BLANK_GLYPHS for ch in text)


def _text(field: str, value: object, limit: int, allowed: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise MUST_BE_TEXT.refuse(field)
    text = value.strip()
    if not text:
        raise NOT_EMPTY.refuse(field)
    if len(text) > limit:
        raise at_most(limit).refuse(field)
    if _has_control(text, allowed):
        raise (NO_CONTROL if allowed else ONE_LINE).refuse(field)
    if has_format_character(text):
        raise FormatCharacterError(field)
    return text


def short_text(field: str, value: object) -> str:
    """Return trimmed short text (1..200 characters, single line) or raise."""
    return _text(field, value, SHORT_TEXT_MAX, frozenset())


optional_short_text = _or_none(short_text)


def free_text(field: str, value: object) -> str:
    """Return trimmed free text (1..4000 characters, line breaks allowed) or raise."""
    return _text(field, value, FREE_TEXT_MAX, _FREE_TEXT_ALLOWED_CONTROLS)


optional_free_text = _or_none(free_text)


def identifier(field: str, value: object) -> str:
    """Return an identifier (1..64 characters, no white space) or raise."""
    if not isinstance(value, str):
        raise MUST_BE_TEXT.refuse(field)
    if not value:
        raise NOT_EMPTY.refuse(field)
    if len(value) > IDENTIFIER_MAX:
        raise at_most(IDENTIFIER_MAX).refuse(field)
    if _SPACE_OR_CONTROL.search(value):
        raise NO_SPACE.refuse(field)
    if has_format_character(value):
        raise FormatCharacterError(field)
    return value


optional_identifier = _or_none(identifier)


def opaque_token(field: str, value: object) -> str:
    """Return a printable token such as a hash (1..200 characters, no white space) or raise."""
    if not isinstance(value, str) or not 1 <= len(value) <= TOKEN_MAX:
        raise InvalidFieldError(
            field, f"must be 1 to {TOKEN_MAX} characters of text", zh=f"须为1至{TOKEN_MAX}个字符"
        )
    # Every white-space character but the ASCII space is also not printable.
    if not value.isprintable() or " " in value:
        raise NO_SPACE.refuse(field)
    return value


optional_opaque_token = _or_none(opaque_token)


def phone_number(field: str, value: object) -> str:
    """Return a telephone number (5..20 digits, optional +, spaces and hyphens) or raise."""
    if not isinstance(value, str):
        raise MUST_BE_TEXT.refuse(field)
    text = value.strip()
    digits = sum(ch in "0123456789" for ch in text)
    if not _PHONE.fullmatch(text) or not 5 <= digits <= 20:
        raise InvalidFieldError(
            field,
            "must be a telephone number of 5 to 20 digits (spaces, hyphens, leading +)",
            zh="须为5至20位数字的电话号码（可含空格、连字符和开头的+）",
        )
    return text


optional_phone_number = _or_none(phone_number)


def member(enum: type[E], field: str, value: object) -> E:
    """Return the member of a StrEnum named by its value (or the member itself) or raise."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in enum)
    # A labelled value set (domain.values.LabelledEnum) is told by its Chinese labels.
    labels = "、".join(str(getattr(m, "label_zh", m.value)) for m in enum)
    raise InvalidFieldError(field, f"must be one of: {allowed}", zh=f"须为以下之一：{labels}")


def plain_date(field: str, value: object) -> date:
    """Return a calendar date (not a datetime) or raise."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidFieldError(
            field, "must be a calendar date (not a date-time)", zh="须为日期（年月日），不带时刻"
        )
    return value


optional_plain_date = _or_none(plain_date)


def aware_instant(field: str, value: object) -> datetime:
    """Return a timezone-aware instant converted to UTC, or raise."""
    if not isinstance(value, datetime):
        raise InvalidFieldError(field, "must be a date-time", zh="须为日期和时刻")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetimeError(field)
    return value.astimezone(UTC)


def integer(field: str, value: object, lowest: int, highest: int) -> int:
    """Return an int (never a bool) within [lowest, highest] or raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise WHOLE_NUMBER.refuse(field)
    if not lowest <= value <= highest:
        raise between(lowest, highest).refuse(field)
    return value


def year(field: str, value: object) -> int:
    """Return a calendar year within the range the ledger accepts, or raise."""
    return integer(field, value, YEAR_MIN, YEAR_MAX)


def amount_of_money(field: str, value: object) -> Decimal:
    """Return a positive Decimal amount with at most two decimal places, or raise."""
    if not isinstance(value, Decimal):
        raise InvalidFieldError(field, "must be a Decimal amount", zh="须为以元计的金额")
    if not value.is_finite() or value <= 0:
        raise InvalidFieldError(field, "must be greater than zero", zh="须大于零")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise InvalidFieldError(
            field, "must have at most two decimal places (fen)", zh="最多两位小数（精确到分）"
        )
    return value


def boolean(field: str, value: object) -> bool:
    """Return a bool or raise (0 and 1 are not accepted as truth values)."""
    if not isinstance(value, bool):
        raise InvalidFieldError(field, "must be true or false", zh="须为“是”或“否”")
    return value
