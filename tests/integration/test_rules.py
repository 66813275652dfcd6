"""Rule sets loaded as signed events: stored, chained, logged, read back by other processes,
refused whole, and judging decisions by their effective date. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.commands.organ import RegisterOrgan
from domain.commands.rules import LoadRuleSet
from domain.errors import DuplicateRecordError, InvalidRuleSetError, LevelOutOfSchemeError
from domain.identity import resident_id_check_char
from domain.policy import NANTONG_2018, LevelScheme, Policy
from domain.rules import Rules
from domain.values import Actor
from ledger.config import Settings
from ledger.log import MerkleLog
from ledger.records import AuxLedger, Envelope
from ledger.rulebook import read_rule_file, shipped_rule_sets
from ledger.verify import verify_ledger
from tests import builders

ADMIN = Actor(actor_id="op-1", role="admin", organ="ledger", unit=None)
ROOT = Actor(actor_id="root", role="admin", organ="320699", unit=None)
PERSONNEL = Actor(actor_id="hr-1", role="personnel", organ="320699", unit=None)
ESTABLISHMENT = Actor(actor_id="est-1", role="establishment", organ="320699", unit=None)
WHEN = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
ID17 = "32069919880305417"


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    aux_ledger.clock = lambda: WHEN
    return aux_ledger


def size(ledger: AuxLedger) -> int:
    return MerkleLog(ledger.ledger_recorder).tree_size()


def twelve_levels() -> LoadRuleSet:
    """The shipped 2023 rule set amended to a twelve-level scheme."""
    cmd = shipped_rule_sets()[1]
    amended = dataclasses.replace(cmd.rule_set, levels=LevelScheme(1, 12))
    return dataclasses.replace(cmd, rule_set=amended, notes="十二级", source_sha256=None)


def test_shipped_rule_sets_are_stored_and_judge_by_effective_date(ledger: AuxLedger) -> None:
    before = size(ledger)
    assert ledger.rules() is None
    assert ledger.policy == Policy.default()
    recorded = ledger.load_rule_sets(shipped_rule_sets(), Envelope(ADMIN))
    assert size(ledger) == before + 3  # opened, 2018, 2023: one transaction
    assert recorded.topic == "domain.rules:Rules.RuleSetLoaded"
    assert recorded.hash == ledger.record_hash(Rules.ID, 3)
    assert [r.rule_id for r in ledger.policy.rules] == ["nantong-2018", "nantong-2023"]
    assert ledger.policy.rule_for(date(2022, 12, 31)) == NANTONG_2018.completed(Policy())
    rules = ledger.rules()
    assert rules is not None
    assert [load[0] for load in rules.loads] == ["nantong-2018", "nantong-2023"]
    assert rules.notes("nantong-2018") is not None
    report = verify_ledger(ledger)
    assert report.ok, report


def test_another_process_reads_the_rule_sets(ledger: AuxLedger, settings: Settings) -> None:
    other = AuxLedger(settings)
    try:
        assert other.policy.rules == Policy.default().rules
        ledger.load_rule_sets(shipped_rule_sets(), Envelope(ADMIN))
        other._rules_checked = float("-inf")  # the re-check interval has passed
        assert [r.rule_id for r in other.policy.rules] == ["nantong-2018", "nantong-2023"]
        ledger.load_rule_sets([twelve_levels()], Envelope(ADMIN))
        other._rules_checked = float("-inf")
        assert other.policy.levels == LevelScheme(1, 12)
    finally:
        other.close()


def test_a_refused_rule_set_stores_nothing(ledger: AuxLedger, tmp_path: Path) -> None:
    ledger.load_rule_sets(shipped_rule_sets(), Envelope(ADMIN))
    before = size(ledger)
    clash = dataclasses.replace(
        NANTONG_2018,
        rule_id="other",
        effective_from=date(2022, 1, 1),
        effective_until=date(2024, 1, 1),
    )
    good = twelve_levels()
    with pytest.raises(InvalidRuleSetError, match="overlaps"):
        ledger.load_rule_sets([good, LoadRuleSet(rule_set=clash)], Envelope(ADMIN))
    with pytest.raises(DuplicateRecordError):
        ledger.load_rule_sets(shipped_rule_sets()[:1], Envelope(ADMIN))
    bad = tmp_path / "bad.toml"
    bad.write_text('format = 1\nid = "x"\ntitle = "t"\n', encoding="utf-8")
    with pytest.raises(InvalidRuleSetError, match="document"):
        ledger.load_rule_sets([read_rule_file(bad)], Envelope(ADMIN))
    assert size(ledger) == before
    assert ledger.policy.levels == LevelScheme(1, 10)  # the good one went with the bad one


def _hire(ledger: AuxLedger, level: int, effective: date, person: str = ID17) -> UUID:
    auxiliary_id = uuid4()
    ledger.hire(
        "320699",
        builders.hire_command(
            auxiliary_id=auxiliary_id,
            unit="320699-U1",
            contract_start=effective,
            contract_end=date(2029, 10, 31),
            level=level,
            resident_id=person + resident_id_check_char(person),
        ),
        Envelope(PERSONNEL, effective=effective),
    )
    return auxiliary_id


def test_a_hire_is_judged_by_the_rule_set_in_force_on_its_date(ledger: AuxLedger) -> None:
    builders.set_up_organ(
        ledger,
        RegisterOrgan(code="320699", name="试验公安局", region="试验市"),
        [("320699-U1", "试验派出所")],
        5,
        admin=ROOT,
        establishment=ESTABLISHMENT,
        effective=date(2022, 1, 1),
    )
    ledger.load_rule_sets([shipped_rule_sets()[0], twelve_levels()], Envelope(ADMIN))
    later = _hire(ledger, 12, date(2024, 5, 1))  # under nantong-2023 as loaded: levels 1-12
    with pytest.raises(LevelOutOfSchemeError):
        _hire(ledger, 12, date(2022, 5, 1))  # under nantong-2018: the ledger's own 1-10
    earlier = _hire(ledger, 10, date(2022, 5, 1), ID17[:-1] + "2")  # another person
    hired = [next(iter(ledger.events.get(a))) for a in (later, earlier)]
    assert [(e.effective, e.rule_id) for e in hired] == [  # type: ignore[attr-defined]
        (date(2024, 5, 1), "nantong-2023"),
        (date(2022, 5, 1), "nantong-2018"),
    ]


def test_rule_sets_loaded_in_a_batch_apply_once_it_is_saved(ledger: AuxLedger) -> None:
    with ledger.batch():
        ledger.load_rule_sets(shipped_rule_sets(), Envelope(ADMIN))
        assert [r.rule_id for r in ledger.policy.rules] == ["nantong-2023"]  # not saved yet
    assert [r.rule_id for r in ledger.policy.rules] == ["nantong-2018", "nantong-2023"]


def test_the_demo_loads_the_shipped_rules_and_amends_the_calendar(aux_ledger: AuxLedger) -> None:
    from api.demo import load_demo  # noqa: PLC0415

    load_demo(aux_ledger, officers=3, seed=5)
    rules = aux_ledger.rules()
    assert rules is not None
    assert [(rule_id, version) for rule_id, version, _, _ in rules.loads] == [
        ("nantong-2018", 2),
        ("nantong-2023", 3),
        ("nantong-2023", 4),
    ]
    calendar = aux_ledger.policy.in_force(date(2024, 10, 1)).calendar
    assert not calendar.is_working_day(date(2024, 10, 1))
    assert calendar.is_working_day(date(2024, 10, 12))  # a Saturday worked (调休)
    assert aux_ledger.policy.rule_for(date(2023, 2, 1)).rule_id == "nantong-2018"
