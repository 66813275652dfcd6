"""What ``ledger.aggregate_cache`` relies on in the eventsourcing library.

These fail when the library changes how a repository keeps its aggregate cache: then the
adapter must change with it (or go, if the library learns to empty its cache itself).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application, Cache, LRUCache
from eventsourcing.domain import Aggregate

from ledger.aggregate_cache import empty_aggregate_cache
from ledger.config import Settings


class Thing(Aggregate):
    """A library aggregate (no ledger code involved)."""


def _app(maxsize: str) -> tuple[Application[UUID], UUID]:
    app: Application[UUID] = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "AGGREGATE_CACHE_MAXSIZE": maxsize}
    )
    thing = Thing()
    app.save(thing)
    app.repository.get(thing.id)  # cached now
    return app, thing.id


def test_the_ledger_configures_a_size_limited_cache_the_adapter_can_remake() -> None:
    maxsize = Settings.from_environ({}).eventsourcing_env()["AGGREGATE_CACHE_MAXSIZE"]
    app, thing_id = _app(maxsize)
    cache = app.repository.cache
    assert type(cache) is LRUCache and cache.maxsize == int(maxsize)
    assert cache.get(thing_id).id == thing_id
    empty_aggregate_cache(app.repository)
    fresh = app.repository.cache
    assert type(fresh) is LRUCache and fresh is not cache and fresh.maxsize == cache.maxsize
    with pytest.raises(KeyError):
        fresh.get(thing_id)
    assert app.repository.get(thing_id).id == thing_id  # loaded again, and cached again
    assert fresh.get(thing_id).id == thing_id


def test_the_library_still_cannot_empty_its_cache_itself() -> None:
    """If this fails, ``LRUCache.clear()`` empties the cache now: the adapter may go."""
    app, thing_id = _app("5")
    cache: Any = app.repository.cache
    cache.clear()
    assert cache.get(thing_id).id == thing_id


def test_an_unlimited_cache_is_remade_too() -> None:
    app, thing_id = _app("0")
    assert type(app.repository.cache) is Cache
    empty_aggregate_cache(app.repository)
    with pytest.raises(KeyError):
        app.repository.cache.get(thing_id)
