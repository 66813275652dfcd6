"""Commands on the ledger's rules (Art. 20): load a rule set.

The record they go to is the ledger's one ``Rules`` record (``AuxLedger.load_rule_sets``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.checks import optional_free_text
from domain.errors import InvalidFieldError
from domain.policy import RuleSet
from domain.rules import parse_rule_set

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, kw_only=True)
class LoadRuleSet:
    """Load a rule set, or a new content for a rule set id loaded before (admin)."""

    rule_set: RuleSet
    notes: str | None = None
    """What the regulation is silent on, where the values come from (free text)."""
    source_sha256: str | None = None
    """The SHA-256 of the rule file it was read from (hex), if any."""

    def __post_init__(self) -> None:
        if self.source_sha256 is not None and not _SHA256.fullmatch(self.source_sha256):
            raise InvalidFieldError(
                "source_sha256", "must be 64 lower-case hex digits", zh="须为64位小写十六进制数字"
            )

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source_sha256: str | None = None
    ) -> LoadRuleSet:
        """The command a rule file's mapping describes (``InvalidRuleSetError`` if it is not
        a valid rule set)."""
        rule_set = parse_rule_set(data)
        return cls(
            rule_set=rule_set,
            notes=optional_free_text("notes", data.get("notes")),
            source_sha256=source_sha256,
        )
