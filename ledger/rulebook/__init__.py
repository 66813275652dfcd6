"""Rule files: reading a rule set from TOML or JSON, and the rule sets shipped with auxledger.

The format is described in ``docs/operations.md`` (*Rules*) and checked by
``domain.rules.parse_rule_set``. This module only reads bytes and decodes them.

Invariants:

- A file that is not valid TOML (or JSON, for a ``.json`` name) is refused as a whole with
  ``InvalidRuleSetError``; the message names the file's position, never its content.
- The command carries the SHA-256 of the exact bytes read, so the stored event says which file
  it came from.
- The shipped rule sets (``SHIPPED``) are package data, found by ``importlib.resources`` in an
  installed copy as in a checkout, oldest first.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path

from domain.commands.rules import LoadRuleSet
from domain.errors import InvalidRuleSetError

__all__ = ["SHIPPED", "read_rule_file", "rule_set_from_bytes", "shipped_rule_sets"]

SHIPPED = ("nantong-2018.toml", "nantong-2023.toml")
"""The rule sets shipped with auxledger, oldest first."""


def rule_set_from_bytes(raw: bytes, *, json_format: bool = False) -> LoadRuleSet:
    """The load command a rule file's bytes describe, or ``InvalidRuleSetError``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRuleSetError(["the file is not UTF-8 text"]) from None
    try:
        data = json.loads(text) if json_format else tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # The library's message gives line and column only, never the text.
        raise InvalidRuleSetError([f"not valid TOML: {e}"]) from None
    except json.JSONDecodeError as e:
        raise InvalidRuleSetError([f"not valid JSON (line {e.lineno}, column {e.colno})"]) from None
    if not isinstance(data, dict):
        raise InvalidRuleSetError(["a rule set must be a table of keys"])
    return LoadRuleSet.from_mapping(data, source_sha256=hashlib.sha256(raw).hexdigest())


def read_rule_file(path: Path) -> LoadRuleSet:
    """Read a rule file (``.json`` as JSON, anything else as TOML); OSError if unreadable."""
    return rule_set_from_bytes(path.read_bytes(), json_format=path.suffix.lower() == ".json")


def shipped_rule_sets() -> tuple[LoadRuleSet, ...]:
    """The load commands of the shipped rule sets, oldest first."""
    folder = resources.files(__name__)
    return tuple(rule_set_from_bytes(folder.joinpath(name).read_bytes()) for name in SHIPPED)
