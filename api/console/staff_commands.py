"""A record's commands as forms on its console page: one form per row of an API command table
(``api.routers.commands.CommandRoute``), shown to and posted by exactly the roles of that
row's route, built from the row's body model (``staff_forms``) and recorded through the API's
own service call (``send_body`` with the table's ``Target``).

Invariants:
- A form is shown only to a role its command's route admits, and never on an oversight read
  of an organ below the actor's (``below``); where the page passes what the record's state
  allows (``forms(offered=…)``), only those forms, in that order. A form not offered may
  still be posted (a page read earlier): the domain refuses it as it refuses the API.
- A posted form is checked in this order, and a refusal at any step records nothing: the
  CSRF token (``staff.checked_form``, 403), the command exists (404 ``unknown_action``), the
  role (``require_roles``, 403), the record's scope and the page's own access rules (the
  caller's ``admit``: 404, 403 ``oversight_read_only``, an inspector's reason), the body
  model (422, naming the fields in Chinese, never a value typed), then the domain and the
  ledger (their problem's status: 409, 422, 403 …).
- The page's version travels in the form (``version``), as ``If-Match`` would: a page read
  before the record changed is refused (409 ``conflict``) rather than applied to a record
  the person has not seen.
- What was typed is shown again only where the caller hands it back (``forms(typed=…)``),
  in the refused form's own inputs, never in a message (the hire page, the dossier and the
  complaint page do; a choice keeps the option chosen, the complaint's allegation too).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from fastapi import Request
from pydantic import BaseModel, ValidationError

from api.console import staff as staff_pages
from api.console.staff_forms import body_from_form, form_fields, invalid_fields
from api.deps import may, require_roles
from api.problems import CATALOGUE, ApiProblem
from api.routers.commands import Commanding, CommandRoute, Target, send_body
from domain.values import Actor, Role
from ledger.records import AuxLedger, Recorded

K = TypeVar("K")
C = TypeVar("C")


@dataclass(frozen=True)
class Sent(Generic[C]):
    """A form's command, recorded."""

    command: CommandRoute[C]
    recorded: Recorded

    @property
    def name(self) -> str:
        """The command's name (``?done=`` on the page shown next)."""
        return self.command.name


@dataclass(frozen=True)
class CommandForms(Generic[K, C]):
    """The forms of one aggregate's commands on its console page."""

    target: Target[K, C]
    """How the commands reach the application service (the API routes' own)."""
    commands: tuple[CommandRoute[C], ...]
    action_labels: Mapping[str, str]
    """The Chinese name of each command's form, by the command's name."""
    form_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """A command's own names for fields whose shared name (``FIELD_NAMES``) would mislead."""
    hidden: Mapping[str, Collection[str]] = field(default_factory=dict)
    """Fields a command's form leaves to the server."""
    form_choices: Mapping[str, Mapping[str, Sequence[tuple[str, str]]]] = field(
        default_factory=dict
    )
    """A command's own choices for a field, where the value set offers one the command
    always refuses (a separation's reason ``returned_to_agency``: its own form)."""
    what: str = "command"
    """What an unknown command is named in its 404 (``complaint command``)."""

    @property
    def roles(self) -> tuple[Role, ...]:
        """Every role some command admits: who may reach the command route at all."""
        return tuple(dict.fromkeys(r for c in self.commands for r in c.roles))

    def label(self, command: CommandRoute[C]) -> str:
        """The Chinese name of a command's form (its summary if it has none)."""
        return self.action_labels.get(command.name, command.summary)

    def forms(
        self,
        actor: Actor,
        *,
        below: bool,
        failed: str | None,
        typed: Mapping[str, Sequence[str]] | None = None,
        choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
        offered: Sequence[str] | None = None,
        subjects: Mapping[str, Mapping[str, Sequence[tuple[str, str]]]] | None = None,
    ) -> list[dict[str, Any]]:
        """The forms the actor may send on the page (none on an oversight read of an organ
        below); ``failed``: the slug of the form that was just refused, shown open, with
        ``typed`` (what was sent) in its inputs; ``choices``: fields offered as a choice on
        this page (the organ's units, the fields this actor may correct); ``offered``: the
        names of the commands the record's state allows, in the order to show them (the
        record's own answer, e.g. ``Complaint.open_commands``; None: every command, in the
        table's order); ``subjects``: a command's own choices on this page, by the command's
        name, for a field that names something on the record (the sanctions an appeal may
        name: the record's own answer, e.g. ``Auxiliary.subjects``)."""
        if below:
            return []
        order = {c.name: n for n, c in enumerate(self.commands)}
        if offered is not None:
            order = {name: n for n, name in enumerate(offered)}
        shown = sorted((c for c in self.commands if c.name in order), key=lambda c: order[c.name])
        return [
            {
                "slug": command.slug,
                "name": command.name,
                "label": self.label(command),
                "summary": command.summary,
                "fields": form_fields(
                    cast(type[BaseModel], command.body),
                    labels=self.form_labels.get(command.name),
                    hidden=self.hidden.get(command.name, ()),
                    choices={
                        **(choices or {}),
                        **self.form_choices.get(command.name, {}),
                        **(subjects or {}).get(command.name, {}),
                    },
                ),
                "open": command.slug == failed,
                "typed": {
                    name: "\n".join(values)  # a list's ticked boxes, one a line
                    for name, values in (typed or {}).items()
                    if values and command.slug == failed
                },
            }
            for command in shown
            if may(actor, command.roles)
        ]

    async def post(
        self,
        request: Request,
        staff: staff_pages.Staff,
        ledger: AuxLedger,
        key: K,
        slug: str,
        admit: Callable[[], object],
    ) -> Sent[C] | staff_pages.Refusal:
        """Check and record one posted form: the command recorded, or the refusal to show on
        the page (nothing recorded). CSRF, an unknown command, the role and ``admit`` (the
        record's scope and the page's access rules) are answered as error pages."""
        fields = await staff_pages.checked_form(request, staff)
        return self.send(staff, ledger, key, slug, fields, admit)

    def send(
        self,
        staff: staff_pages.Staff,
        ledger: AuxLedger,
        key: K,
        slug: str,
        fields: Mapping[str, Sequence[str]],
        admit: Callable[[], object],
    ) -> Sent[C] | staff_pages.Refusal:
        """``post`` once the form was read and its CSRF token checked
        (``staff.checked_form``): for a page that shows what was typed again."""
        chosen = next((c for c in self.commands if c.slug == slug), None)
        if chosen is None:
            raise ApiProblem("unknown_action", f"no such {self.what}")
        require_roles(staff.actor, chosen.roles)
        admit()
        version = staff_pages.one(fields, "version")
        expected = int(version) if version.isdigit() and len(version) < 10 else None
        try:
            body = body_from_form(
                cast(type[BaseModel], chosen.body),
                fields,
                hidden=self.hidden.get(chosen.name, ()),
            )
            recorded = send_body(
                self.target, ledger, staff.actor, key, cast(Commanding[C], body), expected
            )
        except ValidationError as error:
            failed_names = invalid_fields(error, self.form_labels.get(chosen.name))
            fields_failed = ", ".join(dict.fromkeys(str(e["loc"][0]) for e in error.errors()))
            return staff_pages.Refusal(  # 422: the fields named, never a value typed
                "validation", f"fields that failed: {fields_failed}", zh=f"请检查：{failed_names}"
            )
        except staff_pages.REFUSALS as error:
            return staff_pages.refusal_of(error)
        return Sent(chosen, recorded)


def refused_status(refusal: staff_pages.Refusal) -> int:
    """The HTTP status of a refused command, as the API's problem would carry it."""
    return CATALOGUE[refusal.code].status
