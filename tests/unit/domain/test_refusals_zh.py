"""Every refusal a person can meet in the console says in Chinese what is wrong (``zh``).

A row runs a refused check or command with values a caller gave and names those values: the
Chinese text must be there, be Chinese, and echo none of them (errors.py: no personal data),
just as the English message does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from domain import checks
from domain.complaint import check_channel
from domain.decisions import document_number, evidence_references
from domain.errors import DomainError, FormatCharacterError, InvalidFieldError
from domain.values import Gender

from .support import DAY

CHINESE = re.compile(r"[\u4e00-\u9fff]")

Case = tuple[Callable[[], object], type[DomainError], str, tuple[str, ...]]
"""The refused call, the error it raises, a phrase of its Chinese, the values given."""

LONG_NAME = "李明" + "甲" * 199

FIELD_CASES: dict[str, Case] = {
    "empty": (lambda: checks.short_text("name", "   "), InvalidFieldError, "须填写", ()),
    "too long": (
        lambda: checks.short_text("name", LONG_NAME),
        InvalidFieldError,
        "不超过200个字",
        (LONG_NAME, "李明"),
    ),
    "not one line": (
        lambda: checks.short_text("address", "测试路\n1号"),
        InvalidFieldError,
        "须为一行文字",
        ("测试路", "1号"),
    ),
    "a control character": (
        lambda: checks.free_text("statement", "本人\x00陈述"),
        InvalidFieldError,
        "不得含有控制字符",
        ("本人", "陈述"),
    ),
    "a format character": (
        lambda: checks.short_text("name", "李\u202e明"),
        FormatCharacterError,
        "不可见",
        ("李", "明"),
    ),
    "white space in an identifier": (
        lambda: checks.identifier("serial", "GZ 0417"),
        InvalidFieldError,
        "空白字符",
        ("GZ", "0417"),
    ),
    "a long identifier": (
        lambda: checks.identifier("serial", "Q" * 65),
        InvalidFieldError,
        "不超过64个字",
        ("Q" * 65,),
    ),
    "not one of the set": (
        lambda: checks.member(Gender, "gender", "unknown-gender"),
        InvalidFieldError,
        "男、女",
        ("unknown-gender",),
    ),
    "a date-time for a date": (
        lambda: checks.plain_date("start", datetime(2024, 3, 1, 9, 41)),
        InvalidFieldError,
        "须为日期",
        ("2024", "9:41", "09:41"),
    ),
    "a number out of range": (
        lambda: checks.integer("hours", 5713, 0, 1000),
        InvalidFieldError,
        "须在0至1000之间",
        ("5713",),
    ),
    "a year out of range": (
        lambda: checks.year("year", 1789),
        InvalidFieldError,
        "须在1990至2100之间",
        ("1789",),
    ),
    "fractions of a fen": (
        lambda: checks.amount_of_money("amount", Decimal("318.456")),
        InvalidFieldError,
        "两位小数",
        ("318.456", "318"),
    ),
    "not yes or no": (lambda: checks.boolean("fit", 1), InvalidFieldError, "是", ()),
    "not a telephone number": (
        lambda: checks.phone_number("phone", "138-abc-71"),
        InvalidFieldError,
        "电话号码",
        ("138", "abc"),
    ),
    "not a token": (
        lambda: checks.opaque_token("target_hash", "ab cd"),
        InvalidFieldError,
        "空白字符",
        ("ab cd",),
    ),
    "not a document number": (
        lambda: document_number("document_number", "通公纪2024-12", recorded_on=DAY),
        InvalidFieldError,
        "须为正式文书编号",
        ("通公纪2024-12",),
    ),
    "evidence repeated": (
        lambda: evidence_references(["询问笔录甲", "询问笔录甲"]),
        InvalidFieldError,
        "不得重复",
        ("询问笔录甲",),
    ),
    "no number of the outside system": (
        lambda: check_channel("hotline_12389", None, None),
        InvalidFieldError,
        "12389举报电话",
        (),
    ),
}


def told_in_chinese(case: Case) -> DomainError:
    """Run the case and check its Chinese text; the error, for further checks."""
    call, error, phrase, given = case
    with pytest.raises(DomainError) as info:
        call()
    refusal = info.value
    assert type(refusal) is error, f"{type(refusal).__name__}: {refusal}"
    zh = refusal.zh
    assert zh is not None and CHINESE.search(zh), str(refusal)
    assert phrase in zh, zh
    assert not zh.endswith("。"), zh  # the console closes the sentence
    for value in given:
        assert value not in zh, (value, zh)
        assert value not in str(refusal), (value, str(refusal))
    return refusal


@pytest.mark.parametrize("case", FIELD_CASES.values(), ids=FIELD_CASES.keys())
def test_a_field_refusal_says_in_chinese_what_is_wrong(case: Case) -> None:
    refusal = told_in_chinese(case)
    assert isinstance(refusal, InvalidFieldError)
    assert refusal.field not in refusal.zh  # the console names the field beside the title


def test_the_generic_checks_tell_short_and_free_text_apart() -> None:
    for check, zh in ((checks.short_text, "须为一行文字"), (checks.free_text, "除换行和制表符外")):
        with pytest.raises(InvalidFieldError) as info:
            check("reason", "甲\x07乙")
        assert info.value.reason == "must not contain control characters"  # the English alike
        assert info.value.zh is not None and info.value.zh.startswith(zh)
