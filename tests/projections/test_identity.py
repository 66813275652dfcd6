"""The identity projection: blind index of resident ID numbers, corrections, erasure, no key."""

from __future__ import annotations

from typing import Any

import pytest

from domain.commands.auxiliary import Correct
from ledger.privacy import ERASED, SEALED
from ledger.records import Envelope
from projections.check import check
from projections.db import sql
from projections.errors import BlindIndexUnavailableError, InvalidFilterValueError
from projections.identity import IDENTITY, RESIDENT_ID_KIND, IdentityProjection
from projections.queries import PersonnelQueries
from tests.holds import end_erasure_blockers
from tests.projections import dataset as ds
from tests.projections.conftest import Built


def _index(fresh: Built) -> dict[Any, str | None]:
    with fresh.models.db.read() as s:
        rows = s.query(
            sql("SELECT auxiliary_id, resident_index FROM {rm_identity}"), [], tables=(IDENTITY,)
        )
    return {r["auxiliary_id"]: r["resident_index"] for r in rows}


def _hash(fresh: Built, number: str) -> str:
    return fresh.ledger.privacy.blind_index(RESIDENT_ID_KIND, number)


def test_hires_corrections_and_erasure(fresh: Built) -> None:
    fresh.models.rebuild()
    index = _index(fresh)
    assert index[ds.X1] == _hash(fresh, ds.resident_id(1))
    assert index[ds.X4] == _hash(fresh, ds.resident_id(4))
    assert all(ds.resident_id(n) not in str(index) for n in range(1, 10))
    queries = PersonnelQueries(fresh.models)
    assert [p.auxiliary_id for p in queries.by_resident_index(index[ds.X1] or "")] == [ds.X1]
    assert queries.by_resident_index(index[ds.X4] or "", organ="A01") == []

    # A corrected number replaces the old one in the index.
    ds.at(fresh.ledger, ds.TODAY)
    new_number = ds.resident_id(77)
    fresh.ledger.correct_auxiliary(
        ds.X1, Correct(field="resident_id", value=new_number, reason="录入错误"), Envelope(ds.PER_A)
    )
    fresh.models.catch_up("identity")
    assert _index(fresh)[ds.X1] == _hash(fresh, new_number)
    assert queries.by_resident_index(_hash(fresh, ds.resident_id(1))) == []

    # Erasure clears it; the live table and a replay agree; a rebuild gives the same rows.
    end_erasure_blockers(fresh.ledger, ds.X1)
    fresh.ledger.erase_subject(ds.ADMIN_A, ds.X1, "PIPL request")
    fresh.models.catch_up("identity")
    erased = _index(fresh)
    assert erased[ds.X1] is None and erased[ds.X4] == index[ds.X4]
    assert all(r.ok for r in check(fresh.models))
    fresh.models.rebuild(["identity"])
    assert _index(fresh) == erased
    assert all(r.ok for r in check(fresh.models, ["identity"]))


def test_bad_index_values_are_refused(fresh: Built) -> None:
    queries = PersonnelQueries(fresh.models)
    with pytest.raises(InvalidFilterValueError, match="resident_index"):
        queries.by_resident_index(ds.resident_id(1))


def test_without_the_keys_the_projection_refuses_to_guess(fresh: Built) -> None:
    projection = fresh.models.projection("identity")
    assert isinstance(projection, IdentityProjection)
    assert projection._index(ERASED) is None
    with pytest.raises(BlindIndexUnavailableError, match="master key"):
        projection._index(SEALED)
    keyless = IdentityProjection(projection.view)
    with pytest.raises(BlindIndexUnavailableError, match="blind-index key"):
        keyless._index(ds.resident_id(1))


def test_a_projecting_process_opens_only_the_personal_data_the_read_models_read(
    fresh: Built,
) -> None:
    """``auxledger serve``'s projection process opens hires' and corrections' personal fields
    (the identity index needs the resident ID number) and leaves every other event's sealed:
    a complainant's contact details are never decrypted there. The read models it builds
    are the same as a fully opening process builds."""
    from ledger.records import AuxLedger  # noqa: PLC0415
    from projections.service import PERSONAL_DATA_READ, ReadModels  # noqa: PLC0415

    projector = AuxLedger(fresh.ledger.settings, open_only=PERSONAL_DATA_READ)
    complaint = projector.complaint(ds.C1)
    assert complaint.complainant_name == SEALED
    assert fresh.ledger.complaint(ds.C1).complainant_name not in (SEALED, ERASED)
    assert projector.auxiliary(ds.X1).resident_id == ds.resident_id(1)

    models = ReadModels(projector)
    try:
        models.rebuild()
        fresh.models.rebuild()
        built_here = _index(Built(projector, models, fresh.data, fresh.backend))
        assert built_here[ds.X1] == _hash(fresh, ds.resident_id(1))
        assert built_here == _index(fresh)
        assert all(r.ok for r in check(models))
    finally:
        models.close()
