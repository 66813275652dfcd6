"""The demo takes complaints from the office's channels, some unnamed and matched later."""

from __future__ import annotations

import pytest

from api.demo import load_demo
from ledger.records import AuxLedger
from projections.queries import ComplaintQueries
from projections.service import ReadModels


@pytest.mark.slow
def test_demo_complaints_come_from_channels_and_unnamed_ones_are_matched(
    aux_ledger: AuxLedger,
) -> None:
    load_demo(aux_ledger, officers=60, seed=1)
    models = ReadModels(aux_ledger)
    try:
        models.rebuild()
        rows = ComplaintQueries(models).registry(page_size=500).items
    finally:
        models.close()
    channels = {r.channel for r in rows}
    assert {"online", "hotline_12389", "letters_visits"} <= channels
    assert all(r.outside_reference for r in rows if r.channel.startswith(("hotline", "letters")))
    assert all(r.outside_reference is None for r in rows if r.channel in ("online", "walk_in"))
    assert all(r.taken_by == "public-intake" for r in rows if r.channel == "online")
    matched_later = [r for r in rows if r.matched_on is not None]
    assert matched_later and all(r.auxiliary_id is not None for r in matched_later)
