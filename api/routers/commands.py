"""The one route generator for every aggregate's commands: ``POST {path}`` per table row.

A table row (``CommandRoute``) names the path, the body model, the roles that may send it, the
summary; the body model's ``command()`` builds the domain command object (a frozen dataclass
of ``domain.commands``), so a renamed field fails mypy there. An aggregate's ``Target`` says
how its commands reach the application service (``AuxLedger.command_auxiliary`` and the like)
and which path parameter names the record. The handler a row gets does four things: admit the
role, check the record is in the token's scope, build ``Envelope`` and the command from the
body, call the service -- no name is looked up on the way.
"""

# No ``from __future__ import annotations``: FastAPI reads the generated handlers' signatures,
# whose annotations must be real classes and dependencies.

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import APIRouter, Depends

from api.deps import roles
from api.routers.common import TOKEN_ERRORS, Attributed, Sending, SendingDep, errors
from api.schemas.common import RecordedPublic
from domain.values import Actor, Role
from ledger.records import AuxLedger, Envelope, Recorded

C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)
K = TypeVar("K")


class Commanding(Attributed, Protocol[C_co]):
    """A command body: the attribution every command accepts, and the command it builds."""

    def command(self) -> C_co:
        """The domain command object."""


@dataclass(frozen=True)
class CommandRoute(Generic[C]):
    """One command of an aggregate, exposed as ``POST {target prefix}{path}``."""

    name: str
    """The handler's name (in operation ids, and the console's label key)."""
    path: str
    body: type[Commanding[C]]
    roles: tuple[Role, ...]
    summary: str
    status_code: int = 200
    description: str | None = None
    """The operation's description; the body model's docstring if None."""

    @property
    def slug(self) -> str:
        """The path's last segment (``impose-sanction``): the console's form names."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Target(Generic[K, C]):
    """How the commands of one aggregate reach the application service."""

    key: str
    """The path parameter naming the record (``auxiliary_id``, ``complaint_id``, ``code``)."""
    key_type: Any
    """Its annotation: a type, or an ``Annotated`` dependency that checks the scope itself."""
    send: Callable[[AuxLedger, K, C, Envelope], Recorded]
    """The service's typed method, e.g. ``AuxLedger.command_auxiliary``."""
    scope: Any = None
    """A dependency answering 404 when the record is not in the token's scope (or None)."""
    key_first: bool = True
    """The path parameter leads the handler's parameters (else it follows the actor)."""
    operation_prefix: str | None = None
    """Operation ids are ``{prefix}_{name}``; FastAPI's default ids if None."""


def send_body(
    target: Target[K, C],
    ledger: AuxLedger,
    actor: Actor,
    key: K,
    body: Commanding[C],
    expected: int | None,
) -> Recorded:
    """Record one command from its body (the API's routes and the console's forms alike)."""
    envelope = Envelope(actor, body.effective, body.basis, expected)
    return target.send(ledger, key, body.command(), envelope)


def add_command_routes(
    router: APIRouter, target: Target[K, C], rows: Sequence[CommandRoute[C]]
) -> None:
    """Add one ``POST`` route per row to the router."""
    for row in rows:
        _add_route(router, target, row)


def _add_route(router: APIRouter, target: Target[K, C], row: CommandRoute[C]) -> None:
    keyword = inspect.Parameter.KEYWORD_ONLY

    def handler(**kwargs: Any) -> RecordedPublic:
        sending: Sending = kwargs["sending"]
        recorded = send_body(
            target,
            sending.ledger,
            kwargs["actor"],
            kwargs[target.key],
            kwargs["body"],
            sending.expected(),
        )
        return sending.reply(recorded)

    key = inspect.Parameter(target.key, keyword, annotation=target.key_type)
    actor = inspect.Parameter(
        "actor", keyword, annotation=Annotated[Actor, Depends(roles(*row.roles))]
    )
    parameters = [
        *([key] if target.key_first else []),
        inspect.Parameter("body", keyword, annotation=row.body),
        actor,
        *([] if target.key_first else [key]),
        *(
            []
            if target.scope is None
            else [inspect.Parameter("scoped", keyword, annotation=target.scope)]
        ),
        inspect.Parameter("sending", keyword, annotation=SendingDep),
    ]
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=RecordedPublic
    )
    handler.__name__ = row.name
    handler.__doc__ = row.description if row.description is not None else row.body.__doc__
    router.add_api_route(
        row.path,
        handler,
        methods=["POST"],
        status_code=row.status_code,
        summary=row.summary,
        responses=errors(*TOKEN_ERRORS),
        response_model=RecordedPublic,
        operation_id=(
            None if target.operation_prefix is None else f"{target.operation_prefix}_{row.name}"
        ),
    )
