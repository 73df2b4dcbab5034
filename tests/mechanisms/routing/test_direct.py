"""The Newton path's plans and their execution in base units."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import accord.mechanisms.routing.direct as routing_direct
from accord.mechanisms.cfmm import ProductPool, amount_out
from accord.mechanisms.routing import Network, route_swap
from accord.mechanisms.routing.network import random_network


def test_execution_pays_exactly_what_the_pool_pays_for_the_rounded_up_tender() -> None:
    pool = ProductPool((10**9, 2 * 10**9), 30)
    network = Network.build([pool], [("A", "B")])
    trades = {0: (np.array([0, 1]), np.array([1000.3, 0.0]), np.array([0.0, 1990.2]))}
    c = np.array([0.0, 1.0])
    lb = np.array([-1001.0, 0.0])
    ints, psi, worth = routing_direct.execute(network, c, lb, [-1001, 0], trades)
    paid = amount_out(1001, 10**9, 2 * 10**9, 30)
    assert ints == {0: ([1001, 0], [0, paid])}
    assert psi == [-1001, paid] and worth == paid
    assert routing_direct.int_net(2, network, ints) == psi


def test_a_tiny_swap_falls_back_on_the_plan_with_margins(monkeypatch: pytest.MonkeyPatch) -> None:
    # 225,335 base units over 5 pools: rounding the plain optimum leaves a token short
    # round a cycle (its execution collapses to nothing), so the plan that keeps a few
    # units of every tendered token is executed instead, and kept
    network, _ = random_network(np.random.default_rng(165), 5)
    sell, buy = network.tokens[0], network.tokens[-1]
    executed: list[float] = []
    execute = routing_direct.execute

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = execute(*args, **kwargs)
        executed.append(out[2])
        return out

    monkeypatch.setattr(routing_direct, "execute", spy)
    result = route_swap(network, sell, 225_335, buy)
    assert result.method == "newton"
    assert executed[0] == 0 and executed[-1] == result.value_int > 0
    assert 0 < result.relative_gap <= 1e-6
