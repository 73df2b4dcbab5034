"""The token bucket, on an injected clock."""

from __future__ import annotations

import pytest

from accord.node import RateLimiter
from tests.node.conftest import FakeClock


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, 3, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # buckets are per client
    clock.now = 0.25
    assert not limiter.available("a") and not limiter.allow("a")
    clock.now = 0.5
    assert limiter.available("a") and limiter.available("a")  # looking takes nothing
    assert [limiter.allow("a") for _ in range(2)] == [True, False]
    clock.now = 1000.0
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]  # capped at burst


def test_at_most_max_clients_buckets_are_kept() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, 1, max_clients=3, clock=clock)
    for name in ("a", "b", "c", "d", "e"):
        assert limiter.allow(name)
    assert len(limiter) == 3
    assert not limiter.allow("e")  # remembered: recently used
    assert limiter.allow("a")  # forgotten (least recently used): a full bucket again


@pytest.mark.parametrize(
    ("rate", "burst", "clients"), [(0, 1, 1), (1, 0, 1), (1, 1, 0), (-1, 1, 1)]
)
def test_bad_parameters_are_refused(rate: float, burst: int, clients: int) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        RateLimiter(rate, burst, max_clients=clients)
