"""Synthetic data and helpers for the domain tests (no real people, no database)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.auxiliary import Auxiliary
from domain.commands.auxiliary import Hire, Transfer
from domain.commands.organ import RegisterOrgan, RegisterUnit, SetQuota
from domain.complaint import Complaint
from domain.errors import DomainError
from domain.events import Recording, recording
from domain.identity import resident_id_check_char
from domain.organ import Organ
from domain.policy import Policy
from domain.values import CHINA_STANDARD_TIME, Actor, Allegation, Responsibility

POLICY = Policy.default()

ORGAN_CODE = "test-bureau"
OTHER_ORGAN = "other-bureau"
UNIT_A = f"{ORGAN_CODE}-a"
UNIT_B = f"{ORGAN_CODE}-b"
UNREGISTERED_UNIT = f"{ORGAN_CODE}-z"

SETUP_DAY = date(2023, 12, 1)
HIRE_DAY = date(2024, 1, 2)
DAY = date(2024, 3, 1)

AUX_ID = UUID("00000000-0000-4000-8000-000000000001")
AUX_ID_2 = UUID("00000000-0000-4000-8000-000000000002")
COMPLAINT_ID = UUID("00000000-0000-4000-8000-0000000000c1")
COMPLAINANT_ID = UUID("00000000-0000-4000-8000-0000000000f1")

ADMIN = Actor("admin-01", "admin", ORGAN_CODE, None)
ESTABLISHMENT = Actor("est-01", "establishment", ORGAN_CODE, None)
PERSONNEL = Actor("hr-01", "personnel", ORGAN_CODE, None)
PERSONNEL_AT_UNIT = Actor("hr-02", "personnel", ORGAN_CODE, UNIT_A)
UNIT_A_ACTOR = Actor("unit-a-01", "unit", ORGAN_CODE, UNIT_A)
UNIT_B_ACTOR = Actor("unit-b-01", "unit", ORGAN_CODE, UNIT_B)
DISCIPLINE = Actor("disc-01", "discipline", ORGAN_CODE, None)
COMPLAINTS = Actor("cmp-01", "complaints", ORGAN_CODE, None)
PUBLIC = Actor("public-intake", "public", ORGAN_CODE, None)
OTHER_PERSONNEL = Actor("hr-09", "personnel", OTHER_ORGAN, None)
OTHER_ESTABLISHMENT = Actor("est-09", "establishment", OTHER_ORGAN, None)
OTHER_COMPLAINTS = Actor("cmp-09", "complaints", OTHER_ORGAN, None)
OTHER_DISCIPLINE = Actor("disc-09", "discipline", OTHER_ORGAN, None)
INSPECTOR = Actor("insp-01", "inspector", ORGAN_CODE, None)
OTHER_INSPECTOR = Actor("insp-09", "inspector", OTHER_ORGAN, None)

BASIS = "通政规〔2023〕1号"

ANONYMOUS = dict.fromkeys(Complaint.Received.personal_fields)
"""The complainant's personal data of a complaint, none of it given: an anonymous complaint."""


def cst(d: date, hour: int = 10, minute: int = 0) -> datetime:
    """The UTC instant of a China-Standard-Time wall-clock time on ``d``."""
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=CHINA_STANDARD_TIME).astimezone(
        UTC
    )


def rec(
    actor: Actor,
    effective: date = DAY,
    at: datetime | None = None,
    basis: str | None = BASIS,
    policy: Policy = POLICY,
) -> Recording:
    """The checked attribution every command takes; recorded at 10:00 CST on ``effective``.

    ``recording`` checks it here, as the application service does before the aggregate is
    asked: a refusal of the attribution itself (a naive instant, a future date) is raised by
    this call.
    """
    return recording(
        actor=actor,
        at=at if at is not None else cst(effective),
        effective=effective,
        basis=basis,
        policy=policy,
    )


def synthetic_resident_id(
    born: date = date(1996, 5, 17), sequence: int = 123, area: str = "320602"
) -> str:
    """A well-formed resident ID number for a fictitious person."""
    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    return body + resident_id_check_char(body)


def new_organ(quota: int | None = 3) -> Organ:
    """A registered organ with units A and B and (by default) a quota of 3; events pending."""
    organ = Organ.register(
        rec(ADMIN, SETUP_DAY), RegisterOrgan(code=ORGAN_CODE, name="测试市公安局", region="测试市")
    )
    organ.register_unit(rec(ADMIN, SETUP_DAY), RegisterUnit(code=UNIT_A, name="测试派出所甲"))
    organ.register_unit(rec(ADMIN, SETUP_DAY), RegisterUnit(code=UNIT_B, name="测试交警大队乙"))
    if quota is not None:
        organ.set_quota(rec(ESTABLISHMENT, SETUP_DAY), SetQuota(quota=quota))
    return organ


def register_organ(quota: int | None = 3) -> Organ:
    """As ``new_organ``, with its events collected."""
    organ = new_organ(quota)
    organ.collect_events()
    return organ


def hiring(
    organ: Any,
    /,
    *,
    actor: Actor = PERSONNEL,
    effective: date = HIRE_DAY,
    at: datetime | None = None,
    basis: str | None = BASIS,
    policy: Policy = POLICY,
    id: Any = AUX_ID,
    **overrides: Any,
) -> Callable[[], Auxiliary]:
    """A valid hire with overrides, to run: the attribution is checked when it runs, so a
    refusal of it is raised inside ``refused_creation`` too."""
    fields: dict[str, Any] = {
        "unit": UNIT_A,
        "supervisor_id": "PO-1001",
        "supervisor_name": "测试警官甲",
        "employment_form": "direct_contract",
        "dispatch_agency": None,
        "contract_start": date(2024, 1, 1),
        "contract_end": date(2026, 12, 31),
        "post_type": "patrol",
        "level": 1,
        "name": "测试辅警甲",
        "gender": "male",
        "resident_id": synthetic_resident_id(),
        "phone": "13800000001",
        "address": "测试市测试路1号",
        **overrides,
    }
    organ = fields.pop("organ", organ)
    return lambda: Auxiliary.hire(
        rec(actor, effective, at if at is not None else cst(effective), basis, policy),
        Hire(**fields),
        id=id,
        organ=organ,
    )


def hire(organ: Organ, /, **overrides: Any) -> Auxiliary:
    """A hired auxiliary (events collected)."""
    auxiliary = hiring(organ, **overrides)()
    auxiliary.collect_events()
    return auxiliary


def transfer_to(unit: str) -> Transfer:
    """A transfer to ``unit`` under officer PO-2002 (测试警官乙)."""
    return Transfer(unit=unit, supervisor_id="PO-2002", supervisor_name="测试警官乙")


def move_to_unit_b(
    auxiliary: Auxiliary, organ: Organ, effective: date, at: datetime | None = None
) -> None:
    """The personnel department transfers the auxiliary to unit B under officer PO-2002 from
    ``effective`` (recorded at ``at``, by default 10:00 CST that day); events pending."""
    auxiliary.transfer(rec(PERSONNEL, effective, at), transfer_to(UNIT_B), organ=organ)


E = TypeVar("E", bound=DomainError)


def refused(
    aggregate: Aggregate,
    error: type[E],
    command: Callable[..., object],
    /,
    *args: Any,
    **kwargs: Any,
) -> E:
    """Run ``command(*args, **kwargs)``: it must be refused with exactly ``error``, adding no
    event."""
    version = aggregate.version
    pending = len(aggregate.pending_events)
    with pytest.raises(DomainError) as info:
        command(*args, **kwargs)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert len(aggregate.pending_events) == pending
    assert aggregate.version == version
    return info.value  # type: ignore[return-value,unused-ignore]


def refused_creation(
    error: type[E], command: Callable[..., object], /, *args: Any, **kwargs: Any
) -> E:
    """Run a creating ``command(*args, **kwargs)``: it must be refused with exactly ``error``."""
    with pytest.raises(DomainError) as info:
        command(*args, **kwargs)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    return info.value  # type: ignore[return-value,unused-ignore]


def replay(events: list[Any]) -> Any:
    """Rebuild an aggregate from its events, as the repository does."""
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def _dataclass_transcoding(cls: type) -> Transcoding:
    class _AsDict(Transcoding):
        type = cls
        name = cls.__name__.lower()

        def encode(self, obj: Any) -> dict[str, Any]:
            return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

        def decode(self, data: dict[str, Any]) -> Any:
            return cls(**data)

    return _AsDict()


class RoundTripApplication(Application[UUID]):
    """An in-memory application with the transcodings the ledger registers (test double)."""

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(_DateAsISO())
        for cls in (Actor, Allegation, Responsibility):
            transcoder.register(_dataclass_transcoding(cls))
