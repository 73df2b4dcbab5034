"""The router's result: routes compared by content, trades built from arrays on demand."""

from __future__ import annotations

import numpy as np
import pytest

from accord.mechanisms.routing import route_arbitrage
from accord.mechanisms.routing.kernels import evaluate
from accord.mechanisms.routing.network import random_network
from accord.mechanisms.routing.result import blocks_of


def test_routes_compare_by_content_and_build_trades_on_demand() -> None:
    network, reference = random_network(np.random.default_rng(9), 60)
    first = route_arbitrage(network, reference)
    second = route_arbitrage(network, reference)
    assert "trades" not in first.__dict__  # not built until read
    assert first == second
    trades = first.trades
    assert trades and [t.pool for t in trades] == sorted(t.pool for t in trades)
    assert evaluate(network.view, np.array(first.prices)).value == pytest.approx(
        first.dual_value, rel=1e-12
    )


def test_blocks_group_trades_by_arity_in_pool_order() -> None:
    trades = {
        7: (np.array([0, 1]), np.array([1.0, 0.0]), np.array([0.0, 2.0])),
        2: (np.array([1, 2, 3]), np.array([0.0, 3.0, 0.0]), np.array([4.0, 0.0, 0.5])),
        4: (np.array([2, 0]), np.array([0.0, 5.0]), np.array([6.0, 0.0])),
    }
    two, three = blocks_of(trades)
    assert two.pools.tolist() == [4, 7] and three.pools.tolist() == [2]
    assert two.tokens.tolist() == [[2, 0], [0, 1]]
    assert two.tendered.tolist() == [[0.0, 5.0], [1.0, 0.0]]
    assert three.received.tolist() == [[4.0, 0.0, 0.5]]
