"""``Database.lookup``: a lone query answers what the same query in ``read()`` answers."""

from __future__ import annotations

from projections.personnel import AUXILIARY, CREDENTIAL
from tests.projections.conftest import Built

WORK_ID_ROWS = (
    "SELECT k.auxiliary_id, k.serial, k.credential_status, a.organ, a.status "
    "FROM {rm_credential} k JOIN {rm_auxiliary} a ON a.auxiliary_id = k.auxiliary_id "
    "WHERE k.kind = %s ORDER BY k.serial, k.auxiliary_id"
)


def test_a_lookup_answers_as_a_read_does(built: Built) -> None:
    db = built.models.db
    tables = (CREDENTIAL, AUXILIARY)
    with db.read() as s:
        expected = s.query(WORK_ID_ROWS, ["work_id"], tables=tables)
    assert expected, "the data set issues work IDs"
    assert db.lookup(WORK_ID_ROWS, ["work_id"], tables=tables) == expected
    assert db.lookup(WORK_ID_ROWS, ["no such kind"], tables=tables) == []
