"""Forms built from the API's own request bodies: one form per command, checked by the very
pydantic model the API checks its JSON with, then by the domain.

A field's input follows its JSON schema: a date picker for ``format: date``, a list of
Chinese labels for a value set (``LABELS_ZH`` by the enum's name), a number for an integer,
a text area for long text, a choice of two for a boolean (sent as the JSON boolean, its words
``BOOLEAN_WORDS``, none chosen until the person chooses), a text area of one entry per line
for a list of strings (sent as the list, empty lines dropped), a text box for anything else
(an amount, a number or a string). A new command gets its form from its body model alone; a caller
may name a field differently for one command (``labels``) and leave out a field the server
fills in itself (``hidden``: never shown, and never read from a posted form).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from api.console.staff_fields import BOOLEAN_WORDS, FIELD_NAMES, FIELD_RULES
from api.console.web import zh

EXTRA_NAMES: Mapping[str, str] = {"effective": "生效日期", "basis": "依据（条款或文号）"}


@dataclass(frozen=True)
class FormField:
    """One input of a command's form."""

    name: str
    label: str
    kind: str  # date, select, boolean, number, textarea, lines, text
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    maximum: int | None = None
    hint: str | None = None
    """What the field takes, where its name alone does not say (``FIELD_RULES``)."""


def _plain(schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """The schema of a field without its ``null`` alternative, and whether null is allowed."""
    options = schema.get("anyOf")
    if options:
        others = [o for o in options if o.get("type") != "null"]
        if len(others) == 1:
            return {**schema, **others[0]}, True
    return schema, False


def _label(name: str, labels: Mapping[str, str]) -> str:
    return labels.get(name) or EXTRA_NAMES.get(name) or FIELD_NAMES.get(name, name)


def form_fields(
    model: type[BaseModel],
    *,
    labels: Mapping[str, str] | None = None,
    hidden: Collection[str] = (),
    choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[FormField]:
    """The inputs of a body model, the command's own fields first, then date and basis;
    ``labels`` name fields for this command, ``hidden`` fields are left out, ``choices``
    make a text field a choice of (value, Chinese label) the page offers (the model and the
    domain still check what is sent)."""
    schema = model.model_json_schema()
    definitions: Mapping[str, Any] = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    properties: Mapping[str, Any] = schema.get("properties", {})
    names = [n for n in properties if n not in ("effective", "basis")] + [
        n for n in ("effective", "basis") if n in properties
    ]
    built = []
    for name in names:
        if name in hidden:
            continue
        field_schema, nullable = _plain(properties[name])
        label = _label(name, labels or {})
        offered: tuple[tuple[str, str], ...] = ()
        ref = field_schema.get("$ref")
        if choices is not None and name in choices:
            offered = tuple(choices[name])
            kind = "picks" if field_schema.get("type") == "array" else "select"
        elif ref:
            enum_name = ref.rsplit("/", 1)[-1]
            values = definitions.get(enum_name, {}).get("enum", ())
            offered = tuple((v, zh(v, enum_name)) for v in values)
            kind = "select"
        elif field_schema.get("type") == "boolean":
            yes, no = BOOLEAN_WORDS.get(name, ("是", "否"))
            offered = (("true", yes), ("false", no))
            kind = "boolean"
        elif field_schema.get("type") == "array":
            kind = "lines"
        elif field_schema.get("format") == "date":
            kind = "date"
        elif field_schema.get("type") == "integer":
            kind = "number"
        elif field_schema.get("type") == "string" and int(field_schema.get("maxLength", 0)) > 200:
            kind = "textarea"
        else:
            kind = "text"
        built.append(
            FormField(
                name=name,
                label=label,
                kind=kind,
                required=name in required and not nullable,
                choices=offered,
                maximum=field_schema.get("maxLength"),
                hint=FIELD_RULES.get(name),
            )
        )
    return built


def body_from_form(
    model: type[BaseModel], fields: Mapping[str, Sequence[str]], *, hidden: Collection[str] = ()
) -> BaseModel:
    """The model built from a form, as the API builds it from JSON (``ValidationError`` if a
    field fails): empty inputs are left out, digits become the integers JSON would carry,
    ``true``/``false`` the booleans, a list's lines its entries (empty lines dropped);
    ``hidden`` fields are not read (the model's default stands)."""
    kinds = {f.name: f.kind for f in form_fields(model, hidden=hidden)}
    data: dict[str, Any] = {}
    for name, kind in kinds.items():
        values = list(fields.get(name, ()))
        if kind == "lines":  # a text area's lines, or the boxes ticked of a list of choices
            entries = [line.strip() for value in values for line in value.splitlines()]
            if any(entries):
                data[name] = [entry for entry in entries if entry]
            continue
        text = values[0].strip() if values else ""
        if not text:
            continue
        if kind == "number" and text.isdigit() and len(text) < 10:
            data[name] = int(text)
        elif kind == "boolean" and text in ("true", "false"):
            data[name] = text == "true"
        else:
            data[name] = text
    return model.model_validate(data)


def invalid_fields(error: ValidationError, labels: Mapping[str, str] | None = None) -> str:
    """The Chinese names of the fields that failed (``labels``: as the form names them), each
    with what it takes where its name alone does not say (``FIELD_RULES``: 调查人员警号（填警号，
    …）), for the form's message (never values)."""
    names = []
    for item in error.errors():
        location = item.get("loc", ())
        name = str(location[0]) if location else "body"
        label = _label(name, labels or {})
        if name in FIELD_RULES:
            label = f"{label}（{FIELD_RULES[name]}）"
        if label not in names:
            names.append(label)
    return "、".join(names)
