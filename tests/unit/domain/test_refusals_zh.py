"""Every refusal a person can meet in the console says in Chinese what is wrong (``zh``).

A row runs a refused check or command with values a caller gave and names those values: the
Chinese text must be there, be Chinese, and echo none of them (errors.py: no personal data),
just as the English message does not. Beyond the rows, every raise site in ``domain/`` and
``ledger/`` is read: each refusal that must say it in Chinese does, and formats into it only
what is not a caller's value (labels of value sets, bounds, counts, organ codes).
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

import domain.errors as errors
from domain import checks
from domain.authority import require_organ
from domain.auxiliary import Auxiliary
from domain.commands.organ import RegisterUnit
from domain.complaint import check_channel
from domain.decisions import document_number, evidence_references
from domain.errors import DomainError, FormatCharacterError, InvalidFieldError
from domain.identity import validate_resident_id
from domain.values import Gender, parse_post_type

from .decision_support import sanction
from .support import (
    ADMIN,
    AUX_ID,
    DAY,
    DISCIPLINE,
    OTHER_ORGAN,
    PERSONNEL,
    PERSONNEL_AT_UNIT,
    SETUP_DAY,
    UNIT_A,
    UNREGISTERED_UNIT,
    cst,
    hire,
    hiring,
    new_organ,
    rec,
    synthetic_resident_id,
)

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


BORN_2010 = synthetic_resident_id(born=date(2010, 4, 9), sequence=457)
WRONG_CHECK = BORN_2010[:-1] + ("0" if BORN_2010[-1] != "0" else "1")


def _hired() -> Auxiliary:
    return hire(new_organ())


def _hire(**overrides: object) -> Auxiliary:
    return hiring(new_organ(), **overrides)()


OTHER_CASES: dict[str, Case] = {
    "a naive instant": (
        lambda: checks.aware_instant("incident_at", datetime(2024, 3, 1, 9, 41)),
        errors.NaiveDatetimeError,
        "时区",
        ("9:41", "09:41"),
    ),
    "a date after the recording date": (
        lambda: rec(ADMIN, date(2024, 3, 9), at=cst(DAY)),
        errors.DateInFutureError,
        "不能预先登记",
        ("2024", "03-09", "3月9日"),
    ),
    "dates out of order": (
        partial(_hire, contract_end=date(2023, 6, 30)),
        errors.InvalidDateRangeError,
        "劳动合同",
        ("2023", "06-30"),
    ),
    "a resident ID number failing its check": (
        lambda: validate_resident_id(WRONG_CHECK, on=DAY),
        errors.InvalidResidentIdError,
        "校验码不符",
        (WRONG_CHECK, WRONG_CHECK[:6], "2010"),
    ),
    "a hire under age": (
        partial(_hire, resident_id=BORN_2010),
        errors.HiringAgeError,
        "年满18周岁且未满60周岁",
        (BORN_2010, "2010", "13"),
    ),
    "no quota set": (
        lambda: new_organ(quota=None).take_slot(rec(PERSONNEL, DAY), auxiliary_id=AUX_ID),
        errors.QuotaExceededError,
        "尚未核定员额",
        (),
    ),
    "an unregistered unit": (
        partial(_hire, unit=UNREGISTERED_UNIT),
        errors.UnknownUnitError,
        "第十条",
        (UNREGISTERED_UNIT,),
    ),
    "a level outside the scheme": (
        partial(_hire, level=77),
        errors.LevelOutOfSchemeError,
        "第十一条",
        ("77",),
    ),
    "a unit registered twice": (
        lambda: new_organ().register_unit(
            rec(ADMIN, SETUP_DAY), RegisterUnit(code=UNIT_A, name="测试派出所丙")
        ),
        errors.DuplicateRecordError,
        "已在本机关登记",
        (UNIT_A, "测试派出所丙"),
    ),
    "a hire by personnel of a unit": (
        partial(_hire, actor=PERSONNEL_AT_UNIT),
        errors.NotAuthorisedError,
        "机关本级办理",
        (UNIT_A, "hr-02"),
    ),
    "a record of another organ": (
        lambda: require_organ(PERSONNEL_AT_UNIT, OTHER_ORGAN),
        errors.OutsideScopeError,
        "其他机关",
        (OTHER_ORGAN, "hr-02"),
    ),
    "not a post type": (
        lambda: parse_post_type("队长助理"),
        errors.UnknownPostTypeError,
        "巡逻防控、社区管理",
        ("队长助理",),
    ),
    "not an auxiliary's post": (
        lambda: parse_post_type("志愿者"),
        errors.NotAnAuxiliaryPostError,
        "第二条",
        (),
    ),
    "a sanction without the statement": (
        lambda: _hired().impose_sanction(rec(DISCIPLINE, DAY), sanction(sanction_id="S-93")),
        errors.StatementMissingError,
        "第十八条",
        ("S-93", "测公纪", "执勤时未按规定着装"),
    ),
    "a person dismissed elsewhere": (
        lambda: _raise(errors.PriorRecordElsewhereError([(OTHER_ORGAN, "另一市公安局")])),
        errors.PriorRecordElsewhereError,
        "因故离职",
        (),
    ),
    "a person employed elsewhere": (
        lambda: _raise(errors.AlreadyEmployedError([(OTHER_ORGAN, "另一市公安局")])),
        errors.AlreadyEmployedError,
        "第五条、第八条",
        (),
    ),
}


def _raise(error: DomainError) -> None:
    raise error


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


@pytest.mark.parametrize("case", OTHER_CASES.values(), ids=OTHER_CASES.keys())
def test_another_refusal_says_in_chinese_what_is_wrong(case: Case) -> None:
    told_in_chinese(case)


def test_a_date_in_the_future_says_why_in_chinese_where_the_english_does() -> None:
    error = errors.DateInFutureError(
        "incident_at", "the incident cannot follow", reason_zh="事发在后"
    )
    assert error.zh is not None and error.zh.endswith("（事发在后）")
    assert str(error).endswith("(the incident cannot follow)")


# ------------------------------------------------------------------ every raise site

TOLD: frozenset[str] = frozenset(
    name
    for name, cls in vars(errors).items()
    if isinstance(cls, type)
    and issubclass(cls, DomainError)
    and (zh := inspect.signature(cls).parameters.get("zh")) is not None
    and zh.default is inspect.Parameter.empty
)
"""The refusals whose every raise site gives its Chinese (mypy holds them to it); the others
build theirs (``FormatCharacterError``) or are not met in the console (``InvalidPolicyError``)."""

FORMATTED = re.compile(
    r".*label_zh|.*(quota|headcount|version|lowest|highest|request_days|attempts \+ 1)"
    r"|(MIN|MAX)_[A-Z_]+|LENGTH|limit|[A-Z_]+_MAX|until\.(year|month|day)|assessed"
    r"|len\(self\.allegations\)|cmd\.allegation_number|prefix|held\.organ|holder|code"
    r"|who_zh|_suffix_zh\(article\)|labels|_CONTACT_NAMES_ZH\[channel\]|zh|lowest|highest"
    r"|step|zh_day\((?!rec\b|cmd\b|day\b)[\w.]+\)"
)
"""What a Chinese text may format in: labels, bounds, counts, years, codes of organs and
units, the role's label, dates already on the record (``zh_day`` of a recorded date, never of
the date being refused); never a name, number or text a caller typed."""

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [*(ROOT / "domain").rglob("*.py"), *(ROOT / "ledger").rglob("*.py")]


def _raise_sites() -> Iterator[tuple[str, ast.Call]]:
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in TOLD
            ):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def test_every_raise_site_says_in_chinese_what_is_wrong_without_a_given_value() -> None:
    sites = list(_raise_sites())
    assert len(sites) > 150  # every file was read
    for where, call in sites:
        zh = next((k.value for k in call.keywords if k.arg == "zh"), None)
        assert zh is not None, where
        if ast.unparse(zh) in {"zh", "self.zh"}:
            continue  # handed on: a class that builds its own, a check's Rule
        assert isinstance(zh, (ast.Constant, ast.JoinedStr)), where
        text = ast.unparse(zh)
        assert CHINESE.search(text), where
        parts = zh.values if isinstance(zh, ast.JoinedStr) else []
        for part in parts:
            if isinstance(part, ast.FormattedValue):
                expression = ast.unparse(part.value)
                assert FORMATTED.fullmatch(expression), (where, expression)
