"""Named officials (issue 13, item 1): a token's holder is sealed personal data of the
official, every event recorded with the token names the holder by an opaque id, and erasing
the official's data leaves every record verifiable.

Every test runs on a real SQLite file and a real PostgreSQL schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from domain.commands.organ import RegisterOrgan
from domain.identity import resident_id_check_char
from domain.values import Actor
from ledger.access import (
    ApiToken,
    HolderError,
    access_entries,
    issue_token,
    list_tokens,
    load_token,
    official_id,
    record_access,
)
from ledger.log import MerkleLog
from ledger.privacy import ERASED, MASTER_KEY_FILE, SEALED
from ledger.records import AuxLedger, Envelope
from ledger.verify import verify_ledger
from tests import builders
from tests.integration.test_privacy import _leaks, _raw_database_bytes

pytestmark = pytest.mark.both_backends

ORGAN = "320699"
ADMIN = Actor(actor_id="dpo", role="admin", organ="ledger", unit=None)
ROOT = Actor(actor_id="root", role="admin", organ=ORGAN, unit=None)
WHEN = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
# Synthetic and distinctive, easy to find in raw bytes if they ever leaked.
POLICE_NUMBER = "Z99017"
HOLDER_NAME = "ZQXHOLDER 测试警员"
ID17 = "32069919880305418"
RESIDENT_ID = ID17 + resident_id_check_char(ID17)


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    aux_ledger.clock = lambda: WHEN
    builders.set_up_organ(
        aux_ledger,
        RegisterOrgan(code=ORGAN, name="试验公安局", region="试验市"),
        [(f"{ORGAN}-U1", "试验派出所")],
        5,
        admin=ROOT,
        establishment=Actor(actor_id="est", role="establishment", organ=ORGAN, unit=None),
        effective=date(2026, 11, 1),
    )
    return aux_ledger


def _personnel_token(ledger: AuxLedger, **holder: str) -> ApiToken:
    return issue_token(
        ledger,
        role="personnel",
        organ=ORGAN,
        unit=None,
        label="人事科",
        issued_by="test",
        **holder,
    ).token


def _named(ledger: AuxLedger) -> ApiToken:
    return _personnel_token(ledger, holder_police_number=POLICE_NUMBER, holder_name=HOLDER_NAME)


def _hire(ledger: AuxLedger, actor: Actor) -> UUID:
    auxiliary_id = uuid4()
    ledger.hire(
        ORGAN,
        builders.hire_command(
            auxiliary_id=auxiliary_id,
            unit=f"{ORGAN}-U1",
            contract_start=date(2026, 11, 1),
            contract_end=date(2029, 10, 31),
            resident_id=RESIDENT_ID,
            phone="19900007777",
        ),
        Envelope(actor, effective=date(2026, 11, 1)),
    )
    return auxiliary_id


def test_the_holder_is_sealed_and_read_back(ledger: AuxLedger) -> None:
    token = _named(ledger)
    assert token.holder_id == official_id(ledger, POLICE_NUMBER)
    row = ledger.recorder.select_events(token.id)[0]
    assert b'"_type_":"pii"' in row.state
    assert HOLDER_NAME.encode() not in row.state and POLICE_NUMBER.encode() not in row.state
    loaded = load_token(AuxLedger(ledger.settings), token.id)
    assert loaded is not None and loaded.holder is not None
    assert (loaded.holder.police_number, loaded.holder.name) == (POLICE_NUMBER, HOLDER_NAME)
    assert loaded.actor().holder == str(token.holder_id)
    # Without the master key the holder reads as sealed, and the token still acts.
    (ledger.settings.key_dir / MASTER_KEY_FILE).unlink()
    auditor = load_token(AuxLedger(ledger.settings, personal_data=False), token.id)
    assert auditor is not None and auditor.holder is not None
    assert auditor.holder.name == SEALED and not auditor.holder.readable
    assert auditor.actor().holder == str(token.holder_id)


def test_one_official_is_one_data_subject(ledger: AuxLedger) -> None:
    first = _named(ledger)
    second = _personnel_token(
        ledger, holder_police_number=POLICE_NUMBER.lower(), holder_name=HOLDER_NAME
    )
    other = _personnel_token(ledger, holder_police_number="Z99018", holder_name="另一警员")
    assert first.holder_id == second.holder_id != other.holder_id
    assert str(first.holder_id) != POLICE_NUMBER  # opaque, keyed: not the number itself


def test_a_token_without_holder_keeps_the_old_record_and_names_nobody(
    ledger: AuxLedger,
) -> None:
    token = _personnel_token(ledger)
    assert token.holder is None and token.actor().holder is None
    row = ledger.recorder.select_events(token.id)[0]
    assert b'"_type_":"pii"' not in row.state
    # An event recorded by an actor without a holder encodes the actor as before.
    auxiliary_id = _hire(ledger, token.actor())
    hired = ledger.recorder.select_events(auxiliary_id)[0]
    assert b'"holder"' not in hired.state


@pytest.mark.parametrize(
    ("number", "name"),
    [
        (POLICE_NUMBER, None),
        (None, HOLDER_NAME),
        ("99 01", HOLDER_NAME),
        ("990", HOLDER_NAME),
        (POLICE_NUMBER, "  "),
        (POLICE_NUMBER, "测试\u200b"),
        (POLICE_NUMBER, "x" * 51),
    ],
)
def test_a_badly_named_holder_is_refused_and_records_nothing(
    ledger: AuxLedger, number: str | None, name: str | None
) -> None:
    size = MerkleLog(ledger.ledger_recorder).tree_size()
    holder = {
        k: v for k, v in (("holder_police_number", number), ("holder_name", name)) if v is not None
    }
    with pytest.raises(HolderError) as refused:
        _personnel_token(ledger, **holder)
    assert POLICE_NUMBER not in str(refused.value) and "测试" not in str(refused.value)
    assert MerkleLog(ledger.ledger_recorder).tree_size() == size
    assert list_tokens(ledger) == []


def test_every_event_and_access_record_names_the_holder(ledger: AuxLedger) -> None:
    token = _named(ledger)
    actor = token.actor()
    auxiliary_id = _hire(ledger, actor)
    for row in ledger.recorder.select_events(auxiliary_id):
        assert str(token.holder_id).encode() in row.state
        assert HOLDER_NAME.encode() not in row.state
    events = ledger.repository.event_store.get(auxiliary_id)
    assert all(e.actor.holder == str(token.holder_id) for e in events)  # type: ignore[attr-defined]
    organ_events = list(ledger.repository.event_store.get(ledger.organ(ORGAN).id))
    assert organ_events[-1].actor.holder == str(token.holder_id)  # type: ignore[attr-defined]  # the slot
    record_access(
        ledger,
        actor,
        record_type="auxiliary",
        record_id=auxiliary_id,
        fields=["phone"],
        reason=None,
        purpose="test",
    )
    entries, _ = access_entries(ledger)
    assert [e.holder for _, e in entries] == [str(token.holder_id)]


def test_erasing_the_official_leaves_every_record_verifiable(ledger: AuxLedger) -> None:
    token = _named(ledger)
    auxiliary_id = _hire(ledger, token.actor())
    assert token.holder_id is not None
    ledger.erase_subject(ADMIN, token.holder_id, "PIPL Art. 47 request of the official")
    fresh = AuxLedger(ledger.settings)
    erased = load_token(fresh, token.id)
    assert erased is not None and erased.holder is not None and erased.holder.erased
    assert erased.holder.name == ERASED
    # The token still acts, and the events recorded with it still name the holder's id.
    assert erased.actor().holder == str(token.holder_id)
    assert fresh.auxiliary(auxiliary_id).phone == "19900007777"  # the auxiliary's data stays
    report = verify_ledger(AuxLedger(ledger.settings, personal_data=False), full=True)
    assert report.ok, report.failures
    blob = _raw_database_bytes(ledger.settings)
    assert HOLDER_NAME.encode() not in blob and _leaks(blob) == []
