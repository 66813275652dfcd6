"""Who may do what: role and scope checks shared by the aggregates.

Invariants kept here:

- A command names the roles that may perform it and the article that gives them the power; a
  refusal (``NotAuthorisedError``) says both.
- An actor acts only on records of their own organ (``OutsideScopeError``); a unit-level actor
  acts only on what their own unit answers for.
- Recruitment and hiring are organ-level acts: an actor attached to a unit is refused even when
  the role would otherwise allow it (Art. 8: branches and stations may not recruit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from domain.errors import InvalidFieldError, NotAuthorisedError, OutsideScopeError
from domain.values import Actor, Role

ROLE_PHRASES: Mapping[Role, str] = MappingProxyType(
    {
        Role.establishment: "the establishment authority",
        Role.personnel: "the organ's personnel department",
        Role.unit: "the using unit",
        Role.complaints: "the complaints office",
        Role.discipline: "the discipline and inspection office",
        Role.inspector: "the police inspectorate",
        Role.auditor: "an auditor",
        Role.admin: "an administrator",
        Role.public: "the public intake",
        Role.system: "the system",
    }
)
"""How a refusal names each role."""


def _suffix(article: str | None) -> str:
    return f" ({article})" if article else ""


_NUMERALS = "零一二三四五六七八九"


def article_zh(article: str) -> str:
    """An article of the measures as they number it in Chinese: ``Art. 18`` is 第十八条."""
    tens, ones = divmod(int(article.removeprefix("Art. ")), 10)
    text = (_NUMERALS[tens] if tens > 1 else "") + ("十" if tens else "")
    return f"第{text}{_NUMERALS[ones] if ones else ''}条"


def _suffix_zh(article: str | None) -> str:
    return f"（{article_zh(article)}）" if article else ""


def require_actor(actor: object) -> Actor:
    """Return the actor if it is an ``Actor``, else raise."""
    if not isinstance(actor, Actor):
        raise InvalidFieldError("actor", "must be an Actor", zh="缺少办理人员的身份")
    return actor


def require_role(
    actor: Actor, allowed: Iterable[Role], *, action: str, article: str | None
) -> None:
    """Refuse unless the actor holds one of the allowed roles."""
    roles = tuple(allowed)
    if require_actor(actor).role_enum not in roles:
        who = " or ".join(ROLE_PHRASES[r] for r in roles)
        who_zh = "或".join(r.label_zh for r in roles)
        raise NotAuthorisedError(
            f"only {who} may {action}{_suffix(article)}",
            required=[r.value for r in roles],
            article=article,
            zh=f"只有{who_zh}可以办理此项{_suffix_zh(article)}",
        )


def require_organ_level(actor: Actor, *, action: str, article: str | None) -> None:
    """Refuse an actor attached to a unit: the act belongs to the organ itself."""
    if actor.unit is not None:
        raise NotAuthorisedError(
            f"only the organ itself may {action}; a unit-level actor may not{_suffix(article)}",
            required=[actor.role],
            article=article,
            zh=f"此项须由机关本级办理，用辅部门的人员不能办理{_suffix_zh(article)}",
        )


def require_organ(actor: Actor, organ: str) -> None:
    """Refuse an actor of another organ than the one that holds the record."""
    if actor.organ != organ:
        raise OutsideScopeError(
            f"the actor belongs to organ {actor.organ}, not to organ {organ} that holds this "
            "record",
            zh="该记录属于其他机关，不在本机关的管辖范围内",
        )


def require_unit(actor: Actor, unit: str) -> None:
    """Refuse a unit-level actor of another unit than the one that answers for the record."""
    if actor.unit != unit:
        raise OutsideScopeError(
            f"the actor acts for unit {actor.unit or '(none)'}, not for unit {unit} "
            "that answers for this auxiliary (Art. 10)",
            zh="该辅警由其他用辅部门负责，不在本部门的管辖范围内（第十条）",
        )
