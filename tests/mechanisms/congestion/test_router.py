"""The CFMM game's optimum is the optimal router's swap; the Wardrop split is not."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.cfmm import ProductPool, WeightedPool
from accord.mechanisms.congestion import compare_with_router, parallel_pools, price_of_anarchy

E18 = 10**18
POOLS = [
    ProductPool((1_000 * E18, 2_000_000 * E18), 30, ("ETH", "USDC")),
    ProductPool((3_000 * E18, 6_300_000 * E18), 5, ("ETH", "USDC")),
    ProductPool((1_010_000 * E18, 500 * E18), 100, ("USDC", "ETH")),
]


def test_optimum_is_the_routers_split() -> None:
    c = compare_with_router(POOLS, "ETH", 100 * E18, "USDC")
    assert c.optimum.tolist() == pytest.approx(c.router.tolist(), rel=1e-6, abs=1e-6 * E18)
    assert c.optimum_out == pytest.approx(c.router_out, rel=1e-9)
    assert 0 <= c.optimum_out - c.optimum_out_int <= len(POOLS) + 1e-6 * c.optimum_out
    assert c.wardrop_out < c.optimum_out  # selfish small traders leave value behind
    assert c.wardrop.sum() == pytest.approx(100 * E18, rel=1e-12)


@settings(max_examples=6, deadline=None)
@given(
    sizes=st.lists(st.integers(10**21, 10**22), min_size=2, max_size=4),
    tilts=st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4),
    fees=st.lists(st.sampled_from([5, 30, 100]), min_size=4, max_size=4),
    price=st.floats(0.01, 100.0),
    share=st.floats(1e-4, 0.5),
)
def test_router_agreement_on_random_pools(
    sizes: list[int], tilts: list[float], fees: list[int], price: float, share: float
) -> None:
    """Pools priced within their fee bands of one price (no arbitrage between them, which
    the router would take and a one-way routing game cannot)."""
    pools = [
        ProductPool((size, int(size * price * (1.0 + 1e-4 * tilts[k]))), fees[k], ("A", "B"))
        for k, size in enumerate(sizes)
    ]
    amount = max(1, int(share * min(p.reserves[0] for p in pools)))
    c = compare_with_router(pools, "A", amount, "B")
    assert c.router_gap < 1e-6  # the router certifies its route
    assert c.optimum_out == pytest.approx(c.router_out, rel=1e-8)
    assert c.optimum.tolist() == pytest.approx(c.router.tolist(), rel=1e-5, abs=1e-6 * amount)
    assert c.wardrop_out <= c.optimum_out * (1 + 1e-12)


def test_the_router_finds_the_optimum_on_deep_disparate_pools() -> None:
    """Two equal-price pools 1e20 and ~1.9e22 deep and a swap of 2e-5 of their depth: the
    router once returned an empty route here (gap 1; Newton's trust step overshot the
    narrow fee band). The optimum splits in proportion to depth and pays what one pool
    with the summed reserves would."""
    small, deep, amount = 10**20, 18_680_786_338_487_167_090_688, 390_625_000_000_000_000
    pools = [ProductPool((s, s), 5, ("A", "B")) for s in (small, deep)]
    c = compare_with_router(pools, "A", amount, "B")
    merged = amount * 0.9995 * (small + deep) / (small + deep + 0.9995 * amount)
    assert c.router_gap < 1e-7
    assert c.router_out == pytest.approx(merged, rel=1e-8)
    assert c.optimum_out == pytest.approx(merged, rel=1e-8)
    assert c.optimum_out == pytest.approx(c.optimum_out_int, rel=1e-15)
    share = np.array([small, deep]) / (small + deep)
    assert c.router.tolist() == pytest.approx((amount * share).tolist(), rel=1e-6)
    assert c.optimum.tolist() == pytest.approx((amount * share).tolist(), rel=1e-6)


def test_price_of_anarchy_of_pools_is_at_least_one() -> None:
    low, _ = price_of_anarchy(parallel_pools(POOLS, "ETH", 100 * E18, "USDC")).poa_bounds
    assert low >= 1.0


def test_bad_pools_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one pool"):
        parallel_pools([], "ETH", 1, "USDC")
    with pytest.raises(ValueError, match="positive int"):
        parallel_pools(POOLS, "ETH", 0, "USDC")
    with pytest.raises(ValueError, match="positive int"):
        parallel_pools(POOLS, "ETH", 1.5, "USDC")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not trade"):
        parallel_pools(POOLS, "ETH", 1, "DAI")
    weighted = WeightedPool((E18, E18), (1, 1), 30, ("ETH", "USDC"))
    with pytest.raises(ValueError, match="not a ProductPool"):
        parallel_pools([weighted], "ETH", 1, "USDC")  # type: ignore[list-item]
    assert np.isfinite(parallel_pools(POOLS, "USDC", E18, "ETH").total_demand)
