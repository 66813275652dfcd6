"""Pieces every router uses: the documented error answers, recorded-event replies, reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Protocol

from fastapi import Depends, Header, Query, Response

from api.deps import IfMatch, LedgerDep, RuntimeDep, expected_version
from api.problems import ApiProblem
from api.runtime import Runtime
from api.schemas.common import RecordedPublic
from domain.checks import has_format_character, has_visible_character
from domain.values import Actor
from ledger.records import AuxLedger, Envelope, Recorded

PUBLIC_ERRORS: tuple[int, ...] = (400, 404, 413, 415, 422, 429, 503)
TOKEN_ERRORS: tuple[int, ...] = (400, 401, 403, 404, 409, 413, 415, 422, 503)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for the documented problem statuses (their schema is added centrally)."""
    return {status: {"description": "Problem (application/problem+json)"} for status in statuses}


def recorded_reply(recorded: Recorded, response: Response, runtime: Runtime) -> RecordedPublic:
    """The reply to a command: the new event, its version as the ``ETag``."""
    response.headers["ETag"] = f'"{recorded.originator_version}"'
    runtime.metrics.appended(recorded.topic)
    return RecordedPublic.of(recorded)


class Attributed(Protocol):
    """A command's body: the attribution every command accepts."""

    @property
    def effective(self) -> date | None:
        """When the fact takes effect (today if None)."""

    @property
    def basis(self) -> str | None:
        """The article or document number it rests on."""


@dataclass(frozen=True)
class Sending:
    """What a route sending a command to a record needs besides its body and actor: the
    ledger, the runtime, the response (for the ``ETag``) and the ``If-Match`` header, read
    when the envelope is built."""

    ledger: AuxLedger
    runtime: Runtime
    response: Response
    if_match: str | None

    def expected(self) -> int | None:
        """The version the client read (``If-Match``), or None; 400 if malformed."""
        return expected_version(self.if_match)

    def envelope(self, actor: Actor, body: Attributed) -> Envelope:
        """The command's envelope: the actor, the body's attribution, the version read."""
        return Envelope(actor, body.effective, body.basis, self.expected())

    def reply(self, recorded: Recorded) -> RecordedPublic:
        """``recorded_reply`` to the command."""
        return recorded_reply(recorded, self.response, self.runtime)


async def sending(
    ledger: LedgerDep, runtime: RuntimeDep, response: Response, if_match: IfMatch = None
) -> Sending:
    """The ``Sending`` of a request (a coroutine: no hop to the thread pool)."""
    return Sending(ledger, runtime, response, if_match)


SendingDep = Annotated[Sending, Depends(sending)]


def access_reason(
    reason: Annotated[
        str | None,
        Query(max_length=500, description="Why you read personal data (inspectors: unmasks it)"),
    ] = None,
    x_access_reason: Annotated[
        str | None,
        Header(alias="X-Access-Reason", max_length=500, description="Same as ?reason="),
    ] = None,
) -> str | None:
    """The reason given for reading a personal record, if any (query wins over header).

    A reason with no visible character (blank, or only zero-width characters) is no reason:
    None. A reason holding a bidirectional control or an invisible character is refused.

    A header's bytes reach Python decoded as Latin-1 (RFC 9110's historical default); a
    client sends UTF-8, so they are decoded again as UTF-8 (a reason in Chinese would
    otherwise be recorded garbled), and bytes that are not UTF-8 are refused.
    """
    if reason is None and x_access_reason is not None:
        try:
            x_access_reason = x_access_reason.encode("latin-1").decode("utf-8")
        except UnicodeError:
            raise ApiProblem(
                "validation", "the X-Access-Reason header must be UTF-8 text"
            ) from None
    text = (reason if reason is not None else x_access_reason) or ""
    text = text.strip()
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise ApiProblem("validation", "the access reason must be one line of text")
    if not has_visible_character(text):
        # Blank, or only zero-width and other invisible characters: no reason at all.
        return None
    if has_format_character(text):
        raise ApiProblem(
            "format_character",
            "the access reason must not contain bidirectional controls or invisible "
            "(zero-width) characters",
        )
    return text


ReasonDep = Annotated[str | None, Depends(access_reason)]
"""The reason given for reading a personal record, if any (``access_reason``)."""
