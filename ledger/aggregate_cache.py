"""Emptying the repository's aggregate cache: the one place that relies on how the
eventsourcing library keeps it.

The library caches aggregates in ``Repository.cache`` (an ``LRUCache`` when
``AGGREGATE_CACHE_MAXSIZE`` is set, which ``Settings.eventsourcing_env`` does) and offers no
way to empty it: ``LRUCache.clear()`` resets only its recency list and leaves every entry.
After an erasure the cached aggregates hold opened personal fields, so they must go.

Invariant: only public names are used -- the ``Repository.cache`` attribute and the
constructors ``LRUCache(maxsize)`` and ``Cache()`` -- never a cache's inner dict, list or lock.
``tests/unit/ledger/test_aggregate_cache.py`` fails if the library changes what this relies on.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Cache, LRUCache, Repository


def empty_aggregate_cache(repository: Repository[UUID]) -> None:
    """Give ``repository`` a new, empty cache of the same kind and size (none stays none).

    A read already under way may finish with what it found, as it could before; every read
    that starts afterwards loads (and checks) the aggregate again.
    """
    cache = repository.cache
    if isinstance(cache, LRUCache):
        repository.cache = LRUCache[UUID, Any](maxsize=cache.maxsize)
    elif cache is not None:
        repository.cache = Cache[UUID, Any]()
