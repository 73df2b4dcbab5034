"""Per-IP and per-key rate limits: token buckets with an injected clock.

A bucket holds up to ``burst`` tokens and refills at ``rate`` tokens a second; each
request (per client IP) or each signed payload (per sender) takes one, and is refused
when none is left (HTTP 429 for an IP, JSON-RPC error -32005 for a key, as EIP-1474's
"limit exceeded"). The clock is a parameter, so tests are deterministic. At most
``max_clients`` buckets are kept: past it the least recently used is forgotten (a
forgotten client starts again with a full bucket), so a flood of new addresses cannot
grow the node's memory without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

Clock = Callable[[], float]


class RateLimiter:
    """Token buckets keyed by client (an IP, a sender name)."""

    def __init__(
        self, rate: float, burst: int, *, max_clients: int = 100_000, clock: Clock = time.monotonic
    ) -> None:
        if rate <= 0 or burst <= 0 or max_clients <= 0:
            raise ValueError("rate, burst and max_clients must be positive")
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        """client -> (tokens, when they were counted)."""

    def __len__(self) -> int:
        return len(self._buckets)

    def available(self, client: str) -> bool:
        """Whether ``client`` has a token now (nothing taken)."""
        found = self._buckets.get(client)
        if found is None:
            return True
        tokens, then = found
        return tokens + max(0.0, self.clock() - then) * self.rate >= 1.0

    def allow(self, client: str) -> bool:
        """Take a token for ``client``; False (and nothing taken) when it has none."""
        now = self.clock()
        buckets = self._buckets
        found = buckets.pop(client, None)
        if found is None:
            tokens = float(self.burst)
            while len(buckets) >= self.max_clients:
                buckets.popitem(last=False)
        else:
            tokens, then = found
            tokens = min(float(self.burst), tokens + max(0.0, now - then) * self.rate)
        allowed = tokens >= 1.0
        buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        return allowed
