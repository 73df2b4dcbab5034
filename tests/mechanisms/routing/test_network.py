"""The router's view of a network: float arrays, components, reference prices."""

from __future__ import annotations

import numpy as np
import pytest

from accord.mechanisms.cfmm import Pool, ProductPool, WeightedPool
from accord.mechanisms.routing.network import (
    Network,
    component,
    float_view,
    random_network,
    reference_prices,
    subview,
)


def test_reference_prices_follow_spot_prices_from_the_valued_token() -> None:
    # A–B at 2 B per A, B–C at 3 C per B: valued at A only, ν_B = ν_A/2, ν_C = ν_A/6
    pools: list[Pool] = [
        ProductPool((10**6, 2 * 10**6), 30),
        ProductPool((10**6, 3 * 10**6), 30),
    ]
    network = Network.build(pools, [("A", "B"), ("B", "C")])
    nu = reference_prices(network.view, np.array([6.0, 0.0, 0.0]))
    assert nu == pytest.approx([6.0, 3.0, 1.0], rel=1e-12)
    # valued at A and C: both keep their own price, B comes from the first pool reached
    nu = reference_prices(network.view, np.array([6.0, 0.0, 5.0]))
    assert nu[0] == 6.0 and nu[2] == 5.0 and nu[1] in (pytest.approx(3.0), pytest.approx(15.0))


def test_components_split_a_network_by_shared_pools() -> None:
    pools: list[Pool] = [
        ProductPool((10**6, 10**6), 30),
        ProductPool((10**6, 10**6), 30),
        WeightedPool((10**6, 10**6, 10**6), (1, 2, 1), 30),
    ]
    network = Network.build(pools, [("A", "B"), ("C", "D"), ("D", "E", "F")])
    keep, tokens = component(network, [network.index("E")])
    assert keep.tolist() == [False, True, True]
    assert tokens == {network.index(t) for t in "CDEF"}
    part = subview(network.view, keep)
    assert sorted(int(p) for g in part.groups for p in g.pools) == [1, 2]


def test_the_cached_arrays_are_the_float_view() -> None:
    network, _ = random_network(np.random.default_rng(1), 50)
    fresh = float_view(network)
    assert network.view is network.view  # built once
    for cached, built in zip(network.view.groups, fresh.groups, strict=True):
        assert cached.kind == built.kind
        assert (cached.pools == built.pools).all()
        assert (cached.reserves == built.reserves).all()
        assert cached.log_ratio == pytest.approx(np.log(built.reserves / built.shape))
        assert cached.fee_log == pytest.approx(-np.log(built.gamma))
