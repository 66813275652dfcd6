"""A per-client token bucket for the public intake (one bucket table per worker process).

Invariants:
- Each client key refills at ``per_minute`` tokens a minute up to ``burst``; a request that
  finds the bucket empty is refused with the seconds until one token is back (``Retry-After``).
- The table is bounded (``max_clients``): the least recently seen clients are forgotten first,
  so a flood of distinct addresses cannot grow memory without limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """Token buckets keyed by client."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> int | None:
        """Take one token for ``client``: None if allowed, else whole seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                allowed = True
            else:
                self._buckets[client] = (tokens, now)
                allowed = False
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        if allowed:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))
