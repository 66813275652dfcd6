"""A per-client token bucket for the public intake (one bucket table per worker process).

Invariants:
- Each client key refills at ``per_minute`` tokens a minute up to ``burst``; a request that
  finds the bucket empty is refused with the seconds until one token is back (``Retry-After``).
- The table is bounded (``max_clients``): the least recently seen clients are forgotten first,
  so a flood of distinct addresses cannot grow memory without limit.
- A client is its address as the server resolved it (``AUXLEDGER_TRUSTED_PROXIES``: only a
  trusted proxy's ``X-Forwarded-For`` counts). An IPv4 client is its whole address; an IPv6
  client is its /64, the block one host or household is given and may rotate through
  (RFC 4941 temporary addresses), so rotating addresses does not give it fresh buckets.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

IPV6_CLIENT_PREFIX = 64


def client_key(host: str) -> str:
    """The bucket of a client address: IPv4 whole, IPv6 by its /64, anything else as given.

    An IPv4-mapped IPv6 address (``::ffff:192.0.2.1``, from a dual-stack socket) is the IPv4
    client it maps.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


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

    def waiting(self, client: str) -> int | None:
        """Whole seconds until ``client`` has a token again, or None if it has one now; takes
        nothing (a limit charged afterwards, on what a request turned out to be)."""
        client = client_key(client)
        now = self._clock()
        with self._lock:
            found = self._buckets.get(client)
        if found is None:
            return None
        tokens = min(self.burst, found[0] + (now - found[1]) * self.rate)
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def take(self, client: str) -> int | None:
        """Take one token for ``client`` (an address, see ``client_key``): None if allowed,
        else whole seconds to wait."""
        client = client_key(client)
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
