"""Shared field types and bodies: text kinds, command attribution, recorded events, problems.

Text fields refuse lone surrogates and control characters at the edge (they cannot be
stored as UTF-8 and would otherwise fail deep inside the ledger); the domain then applies
its own rules (lengths after trimming, identifiers, dates) and answers 422 with its code.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)

from ledger.records import Recorded


def _plain(value: str) -> str:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("must be valid Unicode text (no lone surrogates)")
    if any((ord(c) < 0x20 and c not in "\n\r\t") or ord(c) == 0x7F for c in value):
        raise ValueError("must not contain control characters")
    return value


def _one_line(value: str) -> str:
    if any(c in "\n\r\t" for c in value):
        raise ValueError("must be on one line")
    return value


ShortText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_plain),
    AfterValidator(_one_line),
]
"""Names, places, bodies: 1-200 characters on one line."""

FreeText = Annotated[str, StringConstraints(min_length=1, max_length=4000), AfterValidator(_plain)]
"""Reasons, descriptions, summaries: 1-4000 characters, line breaks allowed."""

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
"""Codes of organs and units, serials, ids chosen by a caller."""


def normal_work_id(value: str) -> str:
    """A work ID as issued: without surrounding white space, in capitals (``ntfj0600000000``
    and ``NTFJ0600000000`` are the same work ID, as a tracking code is in any case)."""
    return value.strip().upper()


WorkId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._:-]{1,64}$"),
    AfterValidator(normal_work_id),
]
"""The number on a work ID as the public types it: any case, spaces around it ignored."""

PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{3,24}[0-9]$")]
"""A telephone number: digits with optional spaces, hyphens and a leading +."""

ResidentId = Annotated[str, StringConstraints(pattern=r"^[0-9]{17}[0-9Xx]$")]
"""An 18-character resident ID number (the check character is verified by the domain)."""


EARLIEST_DAY = date(1950, 1, 1)
LATEST_DAY = date(2100, 12, 31)
"""The calendar range of every date and time the API accepts (outside it: 422)."""

_DAY_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MOMENT_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
_WHOLE_TEXT = re.compile(r"^[0-9]{1,19}$")
_RANGE = f"between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"


def _day_text(value: object) -> object:
    # JSON and query strings carry dates as text: no numbers (read as Unix times otherwise).
    if type(value) is date or (isinstance(value, str) and _DAY_TEXT.match(value)):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def _day_in_range(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must be {_RANGE}")
    return value


def _moment_text(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _MOMENT_TEXT.match(value)):
        return value
    raise ValueError("must be a date and time written YYYY-MM-DDTHH:MM[:SS] with a time zone")


def _moment_in_range(value: datetime) -> datetime:
    # The wall-clock date is checked before anything converts the time (near year 1 or
    # 9999 a conversion to UTC overflows).
    if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
        raise ValueError(f"must be {_RANGE}")
    return value


def _whole_text(value: object) -> object:
    # A query string's number: digits only (not "1_0", "1.0", "+1" or " 1").
    if isinstance(value, str) and not _WHOLE_TEXT.match(value):
        raise ValueError("must be a whole number written in digits")
    return value


Day = Annotated[date, BeforeValidator(_day_text), AfterValidator(_day_in_range)]
"""A calendar date written ``YYYY-MM-DD``, 1950-01-01 to 2100-12-31."""

Moment = Annotated[AwareDatetime, BeforeValidator(_moment_text), AfterValidator(_moment_in_range)]
"""An instant written in ISO 8601 with a time zone, on a date in the range of ``Day``."""

Whole = Annotated[int, Strict()]
"""A JSON integer (not a string, a boolean or a float)."""

Flag = Annotated[bool, Strict()]
"""A JSON ``true`` or ``false`` (not a string or a number)."""

QueryWhole = Annotated[int, BeforeValidator(_whole_text)]
"""A whole number in a query string or path, written in digits."""


class RequestBody(BaseModel):
    """Base of every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class CommandBody(RequestBody):
    """Attribution every command accepts: when the fact takes effect and on what basis."""

    effective: Day | None = Field(
        default=None,
        description="Date (China Standard Time) the fact takes effect; today if omitted; "
        "never in the future",
    )
    basis: Annotated[
        str | None, AfterValidator(lambda v: v if v is None else _one_line(_plain(v)))
    ] = Field(
        default=None, max_length=200, description="Article or document number the fact rests on"
    )


class RecordedPublic(BaseModel):
    """The event a command recorded: quote ``originator_version`` in ``If-Match`` next time."""

    originator_id: UUID
    originator_version: int
    hash: str = Field(description="Hex SHA-256 of the exact signed record")
    topic: str
    recorded_at: datetime

    @classmethod
    def of(cls, recorded: Recorded) -> RecordedPublic:
        """From the application's ``Recorded``."""
        return cls(
            originator_id=recorded.originator_id,
            originator_version=recorded.originator_version,
            hash=recorded.hash,
            topic=recorded.topic,
            recorded_at=recorded.recorded_at,
        )


class FieldError(BaseModel):
    """One invalid field: where and which rule (never the value sent)."""

    field: str
    message: str


class ProblemPublic(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="/problems/<code>")
    title: str
    status: int
    detail: str
    code: str
    request_id: str | None
    errors: list[FieldError] | None = None
