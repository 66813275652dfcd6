"""Decisions with reasons (Art. 18): what a sanction decision must state, who may review it.

Invariants kept here:

- A sanction decision names the article of the measures it relies on, one of
  ``SANCTION_ARTICLES``: only Art. 18 lets the organ or body "give handling" (给予相应处理) to
  an auxiliary who broke the rules. The articles are the text's, not local policy.
- A decision document number (文书编号) has the form of a Chinese official document number:
  the issuer's abbreviation (2-12 Chinese characters), the year in 〔〕 brackets and a serial
  number followed by 号, e.g. ``通公纪〔2024〕12号``. The year lies between 1990 and the year
  the decision is recorded.
- Evidence is a non-empty list of at most ``MAX_EVIDENCE`` distinct short references.
- Two actors are the same person when both name a holder and the holders are equal, or, when
  either names none, when their token ids (``actor_id``) are equal (``same_person``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.checks import short_text
from domain.errors import InvalidFieldError
from domain.values import Actor

__all__ = [
    "MAX_EVIDENCE",
    "SANCTION_ARTICLES",
    "Statement",
    "document_number",
    "evidence_references",
    "same_person",
    "sanction_article",
]

SANCTION_ARTICLES: tuple[str, ...] = ("Art. 18",)
"""The articles of the measures a sanction may rely on (articles.md)."""

MAX_EVIDENCE = 50

_DOCUMENT_NUMBER = re.compile(r"([\u4e00-\u9fff]{2,12})〔([0-9]{4})〕([0-9]{1,6})号")


def sanction_article(value: object) -> str:
    """The article a sanction relies on, one of ``SANCTION_ARTICLES``."""
    if not isinstance(value, str) or value not in SANCTION_ARTICLES:
        allowed = ", ".join(SANCTION_ARTICLES)
        raise InvalidFieldError(
            "article",
            f"must be an article that allows sanctions: {allowed}",
            zh="须为规定可以作出处理处分的条款（第十八条）",
        )
    return value


def document_number(field: str, value: object, *, recorded_on: date) -> str:
    """A decision document number (文书编号) such as ``通公纪〔2024〕12号``."""
    match = _DOCUMENT_NUMBER.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidFieldError(
            field,
            "must be a document number such as 通公纪〔2024〕12号 (issuer〔year〕number号)",
            zh="须为正式文书编号，写作“机关简称〔年份〕序号号”，如 通公纪〔2024〕12号",
        )
    if not 1990 <= int(match.group(2)) <= recorded_on.year:
        raise InvalidFieldError(
            field,
            "names a year before 1990 or after the recording year",
            zh="文书编号中的年份须在1990年至今年之间",
        )
    if int(match.group(3)) < 1:
        raise InvalidFieldError(
            field, "must have a serial number of at least 1", zh="文书编号的序号须不小于1"
        )
    return match.group(0)


def evidence_references(value: object) -> list[str]:
    """The evidence a decision rests on: a non-empty list of distinct short references."""
    if not isinstance(value, list | tuple) or not value:
        raise InvalidFieldError(
            "evidence", "must list at least one evidence reference", zh="须列明至少一项证据材料"
        )
    if len(value) > MAX_EVIDENCE:
        raise InvalidFieldError(
            "evidence",
            f"may hold at most {MAX_EVIDENCE} references",
            zh=f"证据材料最多{MAX_EVIDENCE}项",
        )
    refs: list[str] = []
    for item in value:
        ref = short_text("evidence", item)
        if ref in refs:
            raise InvalidFieldError(
                "evidence", "must not repeat a reference", zh="证据材料不得重复列出"
            )
        refs.append(ref)
    return refs


def same_person(one: Actor, other: Actor) -> bool:
    """Whether two attributions name the same person: their holders when both name one,
    else their token ids."""
    if one.holder is not None and other.holder is not None:
        return one.holder == other.holder
    return one.actor_id == other.actor_id


@dataclass(frozen=True)
class Statement:
    """The auxiliary's statement and defence (陈述申辩) in a sanction case, or its written
    waiver; ``statement`` is personal data and None for a waiver."""

    sanction_id: str
    heard_on: date
    heard_by: str | None
    statement: str | None
    waiver_reference: str | None

    @property
    def waived(self) -> bool:
        """Whether the auxiliary waived the statement in writing."""
        return self.waiver_reference is not None
