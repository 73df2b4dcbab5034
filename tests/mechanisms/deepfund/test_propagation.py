"""Propagation against closed forms: chains, diamonds, cycles (geometric series), and
the certified error bound; every solver agrees; singular cycles are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accord.mechanisms.deepfund import (
    METHODS,
    SingularGraph,
    closed_classes,
    inverse_norm_bound,
    propagate,
    weight_matrix,
)
from accord.mechanisms.deepfund.graph import Graph, GraphError, random_graph

SOLVERS = [m for m in METHODS if m != "auto"]


def flows(graph: Graph, result_flow: np.ndarray) -> dict[str, float]:
    return {name: float(result_flow[i]) for i, name in enumerate(graph.nodes)}


@pytest.mark.parametrize("method", METHODS)
def test_chain(method: str) -> None:
    w, v = 0.6, 0.25
    g = Graph.from_edges([("a", "b", w), ("b", "c", v)])
    p = propagate(g, "a", method=method)  # type: ignore[arg-type]
    assert flows(g, p.flow) == pytest.approx({"a": 1.0, "b": w, "c": w * v}, abs=1e-15)
    expected = {"a": 1 - w, "b": w * (1 - v), "c": w * v}
    assert p.credits() == pytest.approx(expected, abs=1e-15)
    assert sum(p.credits().values()) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("method", METHODS)
def test_diamond_sums_both_paths(method: str) -> None:
    p_, q, x, y = 0.3, 0.5, 0.4, 0.2
    g = Graph.from_edges([("r", "a", p_), ("r", "b", q), ("a", "d", x), ("b", "d", y)])
    p = propagate(g, "r", method=method)  # type: ignore[arg-type]
    c = p.credits()
    assert c["d"] == pytest.approx(p_ * x + q * y, abs=1e-15)
    assert c["r"] == pytest.approx(1 - p_ - q, abs=1e-15)
    assert c["a"] == pytest.approx(p_ * (1 - x), abs=1e-15)
    assert c["b"] == pytest.approx(q * (1 - y), abs=1e-15)
    assert sum(c.values()) == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("method", METHODS)
def test_two_cycle_is_a_geometric_series(method: str) -> None:
    w, v = 0.5, 0.4
    g = Graph.from_edges([("a", "b", w), ("b", "a", v)])
    p = propagate(g, "a", method=method)  # type: ignore[arg-type]
    s_a, s_b = 1 / (1 - w * v), w / (1 - w * v)  # Σ_k (wv)^k, w Σ_k (wv)^k
    assert flows(g, p.flow) == pytest.approx({"a": s_a, "b": s_b}, abs=1e-12)
    assert p.credits() == pytest.approx({"a": (1 - w) * s_a, "b": (1 - v) * s_b}, abs=1e-12)
    assert p.error_bound <= 1e-12
    # the bound is honest: the error really is within it
    assert abs(p.flow[0] - s_a) + abs(p.flow[1] - s_b) <= p.error_bound + 1e-15


@pytest.mark.parametrize("method", METHODS)
def test_cycle_with_an_exit_and_a_three_cycle(method: str) -> None:
    # a → b (w), b → a (v), b → c (u); c → d (x), d → e (y), e → c (z): two cycles in series
    w, v, u, x, y, z = 0.7, 0.5, 0.3, 0.9, 0.8, 0.5
    g = Graph.from_edges(
        [("a", "b", w), ("b", "a", v), ("b", "c", u), ("c", "d", x), ("d", "e", y), ("e", "c", z)]
    )
    p = propagate(g, "a", method=method)  # type: ignore[arg-type]
    s_a = 1 / (1 - w * v)
    s_b = w * s_a
    s_c = u * s_b / (1 - x * y * z)
    s_d, s_e = x * s_c, x * y * s_c
    expected = {"a": s_a, "b": s_b, "c": s_c, "d": s_d, "e": s_e}
    assert flows(g, p.flow) == pytest.approx(expected, abs=1e-12)
    c = p.credits()
    assert c["b"] == pytest.approx((1 - v - u) * s_b, abs=1e-12)
    assert c["e"] == pytest.approx((1 - z) * s_e, abs=1e-12)
    assert sum(c.values()) == pytest.approx(1.0, abs=1e-12)


def test_a_dag_terminates_exactly() -> None:
    g = Graph.from_edges([("a", "b", 0.5), ("b", "c", 0.5), ("a", "c", 0.25)])
    p = propagate(g, "a")
    assert p.method == "neumann" and p.error_bound == 0.0 and p.iterations == 3
    assert p.credits() == {"a": 0.25, "b": 0.25, "c": 0.5}


def test_only_reached_nodes_are_credited_root_first() -> None:
    g = Graph.from_edges([("x", "a", 0.5), ("a", "b", 0.5), ("c", "d", 0.5)])
    p = propagate(g, "a")
    assert list(p.credits()) == ["a", "b"]
    assert p.flow[g.index["x"]] == 0.0 and p.flow[g.index["d"]] == 0.0


def test_root_that_keeps_nothing_still_gets_a_bound() -> None:
    # the contest's "ethereum" root splits everything among seeds: ρ = 1, but every path
    # leaks within two steps, so the fixed point still carries a certified bound
    g = Graph.from_edges([("eth", "a", 0.5), ("eth", "b", 0.5), ("a", "b", 0.6), ("b", "a", 0.3)])
    bound = inverse_norm_bound(weight_matrix(g), g.out_weight).norm
    dense = np.linalg.inv(np.eye(g.n) - weight_matrix(g).toarray().T)
    assert math.isfinite(bound) and bound >= np.abs(dense).sum(axis=0).max() - 1e-12
    p = propagate(g, "eth")
    assert p.method == "neumann" and p.error_bound <= 1e-12
    exact = dense[:, g.index["eth"]]
    assert np.abs(p.flow - exact).sum() <= p.error_bound + 1e-15
    assert p.credits()["eth"] == 0.0


def test_inverse_norm_bound_is_one_over_one_minus_rho() -> None:
    g = Graph.from_edges([("a", "b", 0.9), ("b", "a", 0.5)])
    bound = inverse_norm_bound(weight_matrix(g), g.out_weight)
    assert bound.norm == pytest.approx(10.0) and bound.rate == pytest.approx(0.9, rel=1e-11)
    # certifying 1e-12 then takes at most log(1e-13)/log(0.9) ≈ 284 steps
    assert bound.steps(1e-12) == pytest.approx(1 + math.log(1e-13) / math.log(0.9))


def test_slow_leaks_go_to_the_direct_solver() -> None:
    # n0 keeps one millionth, n1 nothing: the series would need ~10^8 steps
    g = Graph.from_edges([("n0", "n1", 0.999999), ("n1", "n0", 1.0)])
    bound = inverse_norm_bound(weight_matrix(g), g.out_weight)
    true_norm = np.abs(np.linalg.inv(np.eye(2) - weight_matrix(g).toarray().T)).sum(axis=0).max()
    assert true_norm <= bound.norm == pytest.approx(2 / (1 - 0.999999), rel=1e-5)
    assert bound.steps(1e-12) > 10**7
    p = propagate(g, "n0")
    assert p.method == "spsolve"
    s0 = 1 / (1 - 0.999999)  # Σ_k (0.999999 · 1)^k
    assert p.flow[0] == pytest.approx(s0, rel=1e-9) and p.flow[1] == pytest.approx(
        0.999999 * s0, rel=1e-9
    )
    assert p.credits() == pytest.approx({"n0": 1.0, "n1": 0.0}, abs=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_solvers_agree_on_random_cyclic_graphs(seed: int) -> None:
    g = random_graph(300, 2400, np.random.default_rng(seed))
    results = {m: propagate(g, 7, method=m) for m in SOLVERS}  # type: ignore[arg-type]
    dense = np.linalg.solve(np.eye(g.n) - weight_matrix(g).toarray().T, np.eye(g.n)[7])
    for method, p in results.items():
        err = float(np.abs(p.flow - dense).sum())
        assert err <= 1e-12, method
        assert err <= p.error_bound + 1e-14, method
        assert p.shares.sum() == pytest.approx(1.0, abs=1e-12)


def test_random_graph_keeps_its_promises() -> None:
    g = random_graph(500, 5000, np.random.default_rng(0), low=0.5, high=0.9)
    assert g.n == 500 and g.m == 5000
    assert not np.any(g.src == g.dst)
    has_out = np.bincount(g.src, minlength=g.n) > 0
    assert g.out_weight[has_out].min() >= 0.5 - 1e-12
    assert g.out_weight.max() <= 0.9 + 1e-12
    again = random_graph(500, 5000, np.random.default_rng(0))
    assert np.array_equal(g.weight, again.weight) and np.array_equal(g.dst, again.dst)


@pytest.mark.parametrize("method", METHODS)
def test_a_cycle_that_keeps_nothing_is_singular(method: str) -> None:
    g = Graph.from_edges([("root", "a", 0.5), ("a", "b", 1.0), ("b", "a", 1.0)])
    with pytest.raises(GraphError, match=r"'a', 'b'.*keeps nothing") as info:
        propagate(g, "root", method=method)  # type: ignore[arg-type]
    if method != "neumann":
        assert isinstance(info.value, SingularGraph)
    assert closed_classes(g) == [["a", "b"]]


def test_neumann_alone_refuses_when_no_bound_exists() -> None:
    # not singular (b leaks to c), but only after 70 steps of a ring that keeps nothing
    ring = [(f"k{i}", f"k{i + 1}", 1.0) for i in range(69)]
    g = Graph.from_edges([("root", "k0", 0.5), *ring, ("k69", "k0", 0.5), ("k69", "c", 0.5)])
    assert propagate(g, "root").method == "spsolve"
    assert propagate(g, "root").credits()["c"] == pytest.approx(0.5, abs=1e-12)
    with pytest.raises(GraphError, match="neumann needs a bound"):
        propagate(g, "root", method="neumann")


def test_a_dead_cycle_the_root_never_reaches_does_not_matter() -> None:
    g = Graph.from_edges([("r", "x", 0.5), ("a", "b", 1.0), ("b", "a", 1.0)])
    p = propagate(g, "r")
    assert p.method == "spsolve"
    assert p.credits() == pytest.approx({"r": 0.5, "x": 0.5}, abs=1e-15)


def test_a_leaking_cycle_is_not_singular() -> None:
    # a and b keep nothing, but b leaks to c: not closed, so not singular
    g = Graph.from_edges([("a", "b", 1.0), ("b", "a", 0.5), ("b", "c", 0.5)])
    assert closed_classes(g) == []
    p = propagate(g, "a")
    assert p.credits() == pytest.approx({"a": 0.0, "b": 0.0, "c": 1.0}, abs=1e-12)


def test_bad_arguments_are_named() -> None:
    g = Graph.from_edges([("a", "b", 0.5)])
    with pytest.raises(GraphError, match="unknown node 'zz'"):
        propagate(g, "zz")
    with pytest.raises(GraphError, match=r"outside 0\.\.1"):
        propagate(g, 5)
    with pytest.raises(ValueError, match="unknown method 'lu'"):
        propagate(g, "a", method="lu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tol must be a positive number"):
        propagate(g, "a", tol=0.0)
