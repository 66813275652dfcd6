"""A sanction rests on what was found (Art. 18): every complaint finding it links must be a
sustained or partly sustained finding, in force, of a complaint about the same auxiliary.
Anything else is refused on ``linked_findings`` and stores nothing; on both backends, over the
hand-built data set of the read-model tests (its complaints C1-C5 and their findings)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import InvalidFieldError
from ledger.records import AuxLedger
from tests.projections import dataset
from tests.projections.dataset import C1, C2, C3, C4, C5, X1


@pytest.fixture
def ledger(aux_ledger: AuxLedger) -> AuxLedger:
    dataset.build(aux_ledger)
    return aux_ledger


@pytest.mark.parametrize(
    "link",
    [
        pytest.param(f"{C1}:2", id="not-sustained"),
        pytest.param(f"{C3}:1", id="overturned-on-reopening"),
        pytest.param(f"{C4}:1", id="no-finding-yet"),
        pytest.param(f"{C1}:9", id="no-such-allegation"),
        pytest.param(f"{C5}:1", id="another-auxiliarys-complaint"),
        pytest.param(f"{uuid4()}:1", id="no-such-complaint"),
        pytest.param(f"{X1}:1", id="not-a-complaint"),
    ],
)
def test_a_sanction_linking_what_was_not_found_is_refused(ledger: AuxLedger, link: str) -> None:
    head = ledger.ledger_recorder.max_notification_id()
    version = ledger.auxiliary(X1).version
    with pytest.raises(InvalidFieldError) as refused:
        dataset.sanction(ledger, X1, date(2024, 12, 20), "SAN9", "warning", links=(link,))
    assert refused.value.field == "linked_findings"
    assert "not a sustained finding of a complaint about this auxiliary" in str(refused.value)
    # The statement's waiver went in first (its own command); the sanction stored nothing.
    assert ledger.ledger_recorder.max_notification_id() == head + 1
    assert ledger.auxiliary(X1).version == version + 1
    assert "SAN9" not in ledger.auxiliary(X1).sanctions


def test_sustained_and_partly_sustained_findings_may_be_linked(ledger: AuxLedger) -> None:
    links = (f"{C1}:1", f"{C2}:1")
    dataset.sanction(ledger, X1, date(2024, 12, 20), "SAN9", "warning", links=links)
    assert "SAN9" in ledger.auxiliary(X1).sanctions
