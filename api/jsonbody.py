"""Request bodies parsed strictly: UTF-8, no repeated keys, no NaN, each failure named.

FastAPI parses a JSON body with ``Request.json()`` (the standard ``json`` module) and answers
any failure other than a syntax error with a bare 400 "There was an error parsing the body".
Routes of this API use ``StrictJsonRoute``, whose requests parse the body here instead; every
failure is raised as a ``JSONDecodeError`` carrying a specific message, which FastAPI turns
into a validation error and ``api.problems`` into a ``malformed_json`` problem quoting it.

Invariants:
- A body that is not UTF-8, repeats a key in one object (the last value would silently win:
  what was signed would not be what the sender meant), holds ``NaN`` or ``Infinity``, nests
  deeper than ``MAX_DEPTH`` or holds a number too long to convert is refused; nothing reaches
  the endpoint.
- Messages name the rule and, for a repeated key, the key if it looks like a field name;
  never a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from api.problems import ApiProblem

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_DEPTH = 32
"""Objects and arrays inside one another, at most (the API's bodies need three or four)."""


class _RefusedError(ValueError):
    """A rule of this module refused the body."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    built = dict(pairs)
    if len(built) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # Named only if it looks like a field name: a key could be anything.
                named = f"the key {key!r}" if _FIELD_NAME.match(key) else "a key"
                raise _RefusedError(f"{named} appears twice in one object")
            seen.add(key)
    return built


def _constant(name: str) -> Any:
    raise _RefusedError(f"{name} is not a JSON number")


def _depth(text: str) -> int:
    """The deepest nesting of objects and arrays (outside strings)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_body(body: bytes) -> Any:
    """The JSON value of a request body, or ``JSONDecodeError`` saying what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", e.start) from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise json.JSONDecodeError(f"the body nests more than {MAX_DEPTH} levels deep", "", 0)
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError:
        raise
    except _RefusedError as e:
        raise json.JSONDecodeError(str(e), "", 0) from None
    except ValueError:  # an integer past the interpreter's digit limit
        raise json.JSONDecodeError("a number in the body has too many digits", "", 0) from None


class StrictJsonRequest(Request):
    """A request whose ``json()`` is ``parse_body``."""

    async def json(self) -> Any:
        """The parsed body (parsed once)."""
        if not hasattr(self, "_json"):
            self._json = parse_body(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An API route whose endpoint sees a ``StrictJsonRequest``, and which refuses a query
    parameter it does not declare (400 ``unknown_query_parameter``): a misspelt or unknown
    filter such as ``?name=`` would otherwise be ignored and the answer look filtered."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, given the strict request."""
        handler = super().get_route_handler()
        declared = frozenset(_query_names(self.dependant))

        async def strict_handler(request: Request) -> Response:
            unknown = sorted(set(request.query_params.keys()) - declared)
            if unknown:
                raise ApiProblem("unknown_query_parameter", _unknown_detail(unknown, declared))
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route and its dependencies declare."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _unknown_detail(unknown: list[str], declared: frozenset[str]) -> str:
    """Names the unknown parameters (if they look like names) and the route's own."""
    named = [name for name in unknown if _FIELD_NAME.match(name)]
    shown = ", ".join(named[:5]) if named else "a parameter"
    takes = ", ".join(sorted(declared)) if declared else "no query parameters"
    return f"unknown query parameter: {shown}; this route takes: {takes}"
