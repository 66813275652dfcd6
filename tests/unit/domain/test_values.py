"""Value sets, labels, post types (Art. 2, 9) and value objects."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

import domain.values as values
from domain.errors import (
    InvalidFieldError,
    NaiveDatetimeError,
    NotAnAuxiliaryPostError,
    UnknownPostTypeError,
)
from domain.values import (
    LABELS_ZH,
    Actor,
    Allegation,
    AssessmentGrade,
    PostCategory,
    PostType,
    Role,
    SanctionKind,
    china_date,
    label_zh,
    parse_post_type,
    post_category,
)


def _value_sets() -> list[type[values.LabelledEnum]]:
    return [
        obj
        for obj in vars(values).values()
        if isinstance(obj, type)
        and issubclass(obj, values.LabelledEnum)
        and obj is not values.LabelledEnum
    ]


def test_every_member_of_every_value_set_has_a_chinese_label() -> None:
    sets = _value_sets()
    assert len(sets) >= 20
    for enum in sets:
        assert set(LABELS_ZH[enum]) == {m.value for m in enum}, enum
        for m in enum:
            assert m.label_zh and label_zh(m) == m.label_zh


def test_values_are_english_snake_case_and_equal_the_member_name() -> None:
    for enum in _value_sets():
        for m in enum:
            assert m.value == m.name
            assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", m.value), m


def test_the_required_value_sets_have_exactly_the_briefed_members() -> None:
    assert [m.value for m in Role] == [
        "establishment", "personnel", "unit", "complaints", "discipline",
        "inspector", "auditor", "admin", "public", "system",
    ]  # fmt: skip
    assert [m.value for m in SanctionKind] == [
        "criticism", "circulated_criticism", "warning", "demerit",
        "demotion", "suspension", "termination",
    ]  # fmt: skip
    assert {m.value: m.label_zh for m in AssessmentGrade} == {
        "excellent": "优秀",
        "competent": "合格",
        "basically_competent": "基本合格",
        "incompetent": "不合格",
    }


def test_post_categories_follow_article_9() -> None:
    assert {p: post_category(p) for p in PostType} == {
        PostType.patrol: PostCategory.duty,
        PostType.community: PostCategory.duty,
        PostType.traffic: PostCategory.duty,
        PostType.call_intake: PostCategory.civilian,
        PostType.certificate_assistance: PostCategory.civilian,
        PostType.technical_support: PostCategory.civilian,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patrol", PostType.patrol),
        ("巡逻防控", PostType.patrol),
        ("社区管理", PostType.community),
        ("交通协管", PostType.traffic),
        ("接警", PostType.call_intake),
        ("证件协办", PostType.certificate_assistance),
        ("技术支持", PostType.technical_support),
        (" Call Intake ", PostType.call_intake),
        ("technical-support", PostType.technical_support),
        (PostType.traffic, PostType.traffic),
    ],
)
def test_parse_post_type_accepts_values_and_chinese_labels(text: str, expected: PostType) -> None:
    assert parse_post_type(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "治安联防", "治安志愿者", "护村队", "护校队", "膳食", "保卫", "保洁",
        "joint_defence", "security_volunteer", "village_guard", "school_guard",
        "catering", "security_guarding", "cleaning", "volunteer", "logistics", "后勤",
    ],
)  # fmt: skip
def test_parse_post_type_refuses_article_2_work(text: str) -> None:
    with pytest.raises(NotAnAuxiliaryPostError) as info:
        parse_post_type(text)
    assert "Art. 2" in str(info.value)


@pytest.mark.parametrize("text", ["detective", "", "刑侦", "patrol officer"])
def test_parse_post_type_refuses_unknown_post_types_without_echoing(text: str) -> None:
    with pytest.raises(UnknownPostTypeError) as info:
        parse_post_type(text)
    assert "Art. 9" in str(info.value)
    if text:
        assert text not in str(info.value)


def test_actor_stores_its_role_as_a_plain_string() -> None:
    actor = Actor("hr-01", Role.personnel, "test-bureau", None)
    assert type(actor.role) is str
    assert actor.role == "personnel"
    assert actor.role_enum is Role.personnel


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("hr-01", "chief", "test-bureau", None), "actor.role"),
        (("", "personnel", "test-bureau", None), "actor.actor_id"),
        (("hr 01", "personnel", "test-bureau", None), "actor.actor_id"),
        (("hr-01", "personnel", "", None), "actor.organ"),
        (("hr-01", "unit", "test-bureau", ""), "actor.unit"),
    ],
)
def test_actor_refuses_malformed_fields(args: tuple[str, str, str, str | None], field: str) -> None:
    with pytest.raises(InvalidFieldError) as info:
        Actor(*args)
    assert info.value.field == field


def test_allegation_numbers_start_at_one() -> None:
    assert Allegation(1, "text").number == 1
    with pytest.raises(InvalidFieldError):
        Allegation(0, "text")
    with pytest.raises(InvalidFieldError):
        Allegation(1, "  ")


def test_china_date_is_the_calendar_date_at_utc_plus_eight() -> None:
    assert china_date(datetime(2024, 2, 29, 15, 59, tzinfo=UTC)) == date(2024, 2, 29)
    assert china_date(datetime(2024, 2, 29, 16, 0, tzinfo=UTC)) == date(2024, 3, 1)
    with pytest.raises(NaiveDatetimeError):
        china_date(datetime(2024, 2, 29, 16, 0))


def test_every_event_class_has_a_chinese_label() -> None:
    import domain.auxiliary  # noqa: PLC0415
    import domain.complaint  # noqa: PLC0415
    import domain.misconduct  # noqa: PLC0415
    import domain.organ  # noqa: PLC0415
    import domain.pay  # noqa: PLC0415, F401
    from domain.events import LedgerEvent  # noqa: PLC0415

    seen: set[type] = set()
    todo = [LedgerEvent]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    concrete = [c for c in seen if "." in c.__qualname__ and c.__name__ not in ("Event", "Created")]
    assert len(concrete) >= 45
    for event in concrete:
        kind = values.event_type_of(event.__qualname__)
        assert kind is not None, event.__qualname__
        assert kind.label_zh
    assert values.event_type_of("Nothing.Such") is None
