"""Tracking codes read over the telephone: Crockford base32, 80 bits, a mod-37 check symbol."""

from __future__ import annotations

import random
import secrets
from uuid import uuid4

import pytest

from api import tracking_code as codes
from api.receipts import code_matches, make_legacy_code, tracking_hash


def test_a_code_has_80_bits_grouped_with_a_check_symbol() -> None:
    canonical = codes.encode(bytes(range(10)))
    assert len(canonical) == 17
    shown = codes.grouped(canonical)
    assert shown.count("-") == 4
    assert [len(part) for part in shown.split("-")] == [4, 4, 4, 4, 1]
    assert set(canonical[:16]) <= set(codes.ALPHABET)
    assert not set("ILOU") & set(canonical[:16])
    assert codes.parse(shown).canonical == canonical


def test_the_check_symbol_is_crockfords_mod_37() -> None:
    assert codes.check_symbol("0" * 16) == "0"
    assert codes.check_symbol("0" * 15 + "Z") == "Z"  # 31
    # 32 mod 37 is 32, the first extra check symbol
    assert codes.check_symbol("0" * 14 + "10") == "*"
    assert codes.check_symbol("0" * 14 + "14") == "U"  # 36


def test_reading_back_is_forgiving_of_case_separators_and_look_alikes() -> None:
    canonical = codes.encode(secrets.token_bytes(10))
    typed = " ".join(canonical[i : i + 3] for i in range(0, 17, 3)).lower()
    assert codes.parse(typed).canonical == canonical
    spoken = "0" * 16
    code = spoken + codes.check_symbol(spoken)
    assert codes.parse("oOoO-OOOO-0000-0000-" + code[-1]).canonical == code
    ones = "1" * 16
    code = ones + codes.check_symbol(ones)
    assert codes.parse("IlIL" + "1" * 12 + code[-1]).canonical == code


@pytest.mark.parametrize("text", ["", "ABC", "0" * 18, "0" * 15 + "U" + "0", "!" * 17])
def test_text_that_is_not_a_code_is_refused(text: str) -> None:
    with pytest.raises(codes.TrackingCodeError) as info:
        codes.parse(text)
    assert type(info.value) is codes.TrackingCodeError


def _sample(n: int) -> list[str]:
    rng = random.Random(20261203)
    return [codes.encode(rng.randbytes(10)) for _ in range(n)]


def test_every_single_substitution_is_caught() -> None:
    for code in _sample(40):
        for position in range(17):
            alphabet = codes.ALPHABET if position < 16 else codes.CHECK_ALPHABET
            for symbol in alphabet:
                if symbol == code[position]:
                    continue
                wrong = code[:position] + symbol + code[position + 1 :]
                with pytest.raises(codes.TrackingCheckError, match="check symbol does not match"):
                    codes.parse(wrong)


def test_every_adjacent_transposition_of_data_symbols_is_caught() -> None:
    for code in _sample(400):
        for position in range(15):
            a, b = code[position], code[position + 1]
            if a == b:
                continue
            swapped = code[:position] + b + a + code[position + 2 :]
            with pytest.raises(codes.TrackingCheckError):
                codes.parse(swapped)


def test_legacy_codes_still_match_their_stored_hash() -> None:
    complaint_id = uuid4()
    legacy = make_legacy_code(complaint_id, secrets.token_bytes(16))
    stored = tracking_hash(legacy)
    assert codes.parse(legacy.lower()).legacy_id == complaint_id
    assert code_matches(legacy.lower(), stored)
    canonical = codes.encode(secrets.token_bytes(10))
    assert code_matches(codes.grouped(canonical).lower(), tracking_hash(canonical))
    assert not code_matches(canonical, stored)
