"""Bidirectional controls and invisible characters are refused in text (issue 14, j)."""

from __future__ import annotations

import pytest

from domain.checks import (
    free_text,
    has_format_character,
    has_visible_character,
    identifier,
    short_text,
)
from domain.errors import FormatCharacterError, InvalidFieldError

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068"]
BIDI += ["\u2069", "\u200e", "\u200f", "\u061c"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize("char", BIDI + ZERO_WIDTH + ["\u00ad", "\U000e0041"])
def test_text_and_identifiers_refuse_format_characters(char: str) -> None:
    for check, value in (
        (short_text, f"人民路{char}路口"),
        (free_text, f"第一行\n执勤{char}态度"),
        (identifier, f"NTFJ{char}0001"),
    ):
        with pytest.raises(FormatCharacterError) as refused:
            check("incident_place", value)
        assert refused.value.code == "format_character"
        assert refused.value.field == "incident_place"
        assert char not in refused.value.message
        assert isinstance(refused.value, InvalidFieldError)


def test_ordinary_text_passes() -> None:
    assert short_text("x", " 人民路与青年路路口 ") == "人民路与青年路路口"
    assert free_text("x", "第一行\n\t第二行") == "第一行\n\t第二行"
    assert not has_format_character("张三 Zhang-San (某某)\n")


def test_visible_characters() -> None:
    assert has_visible_character("审计 2026")
    assert has_visible_character(" a ")
    for blank in ("", "   ", "\u200b\u200b", "\u200b \u2060\ufeff", "\u202e", "\u3164", "\t"):
        assert not has_visible_character(blank), repr(blank)
