"""The error hierarchy: stable snake_case codes, one per class."""

from __future__ import annotations

import re

import domain.errors as errors
from domain.errors import DomainError, InvalidFieldError, InvalidTransitionError


def _error_classes() -> list[type[DomainError]]:
    return [getattr(errors, name) for name in errors.__all__]


def test_every_exported_error_is_a_domain_error_with_a_snake_case_code() -> None:
    for cls in _error_classes():
        assert issubclass(cls, DomainError), cls
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", cls.code), cls


def test_codes_are_unique() -> None:
    codes = [cls.code for cls in _error_classes()]
    assert len(codes) == len(set(codes))


def test_the_required_error_classes_exist() -> None:
    required = {
        "DomainError",
        "InvalidFieldError",
        "NaiveDatetimeError",
        "DateInFutureError",
        "InvalidDateRangeError",
        "NotAuthorisedError",
        "OutsideScopeError",
        "QuotaExceededError",
        "UnknownUnitError",
        "UnknownPostTypeError",
        "NotAnAuxiliaryPostError",
        "InvalidResidentIdError",
        "LevelOutOfSchemeError",
        "AuxiliarySeparatedError",
        "CredentialError",
        "UnknownSanctionError",
        "UnknownInjuryError",
        "NoResponsibilityError",
        "InvalidTransitionError",
        "ComplainantNotNotifiedError",
        "UnknownAllegationError",
        "NotCorrectableError",
    }
    assert required <= set(errors.__all__)


def test_invalid_field_error_names_the_field_and_reason() -> None:
    error = InvalidFieldError("name", "must not be empty", zh="须填写")
    assert (error.field, error.reason, str(error), error.zh) == (
        "name",
        "must not be empty",
        "name must not be empty",
        "须填写",
    )
    assert error.code == "invalid_field"


def test_invalid_transition_error_names_status_and_command() -> None:
    error = InvalidTransitionError("received", "accept")
    assert (error.from_status, error.command) == ("received", "accept")
    assert str(error) == "accept is not allowed when the record is received"


def test_any_refusal_may_say_in_chinese_what_is_wrong() -> None:
    assert DomainError("refused").zh is None
    error = DomainError("refused", zh="不符合规定")
    assert (error.message, error.zh, str(error)) == ("refused", "不符合规定", "refused")
