"""Benchmark: optimal routing (accord.mechanisms.routing) over seeded random networks.

For each size m (default 100, 1,000 and 10,000 pools over ⌈2√m⌉ tokens, product and
weighted pools half each, 5% mispricing) it times

* an **arbitrage** at the reference prices (maximise market value, give up no token), and
* a **swap** of 1% of token T0's pooled reserves into the last token,

each end to end (dual solve, primal recovery and exact integer execution through cfmm),
and once more with ``integers=False`` (the certified float plan only, which is what a
conic solver returns), and reports each route's relative duality gap and the method
that produced it (``newton``: projected Newton on the dual; ``lp``: L-BFGS-B and column
generation). Timings are the median of ``--repeat`` runs after a warm-up run; building
the network, and its float arrays (timed on their own as ``ms_arrays_<size>``), is not
timed.

``ms_10k_pools`` is the 10,000-pool arbitrage's float route (dual solve and feasible,
certified primal); ``ms_10k_pools_integers`` the same route executed in base units.

If CVXPY is installed (the ``bench`` extra: ``pip install -e '.[bench]'``) the 1,000-pool
arbitrage is also solved as a generic conic program with Clarabel (exact power cones), for
the side-by-side ratio against the end-to-end route (``ratio_vs_cvxpy_1k``) and the float
route (``ratio_vs_cvxpy_1k_float``, like for like: Clarabel's answer is floats too), and
the two optimal values are compared (``cvxpy_value_rel_diff_1k``, CVXPY's minus ours
over ours); without CVXPY the ratio
is null.

OpenBLAS is pinned to one thread before NumPy loads: L-BFGS-B's small dense products are
otherwise slowed many times over by thread start-up on a shared machine.

Usage: ``python benchmarks/bench_routing.py [--sizes 100,1000,10000] [--repeat 3] [--json]``.
With ``--json`` the last line of stdout is one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import importlib.util
import json
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from accord.mechanisms.cfmm import BPS, ConstantSumPool, WeightedPool
from accord.mechanisms.routing import Network, Route, route_arbitrage, route_swap
from accord.mechanisms.routing.kernels import COMPILED
from accord.mechanisms.routing.network import random_network

SEED = 20240601


def _label(m: int) -> str:
    return f"{m // 1000}k" if m >= 1000 and m % 1000 == 0 else str(m)


def _median_ms(fn: Callable[[], Route], repeat: int) -> tuple[float, Route]:
    times = []
    result = fn()  # warm-up, also the result reported
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), result


def _arrays_ms(network: Network) -> float:
    """Milliseconds to build the network's float arrays from its exact pools (done once
    per network, on the first route: the warm-up run pays it, the timed runs do not)."""
    fresh = Network.build(network.pools, tokens=network.tokens)
    start = time.perf_counter()
    view = fresh.view
    _ = (view.spot_edges, view.spot_graph, fresh.token_labels, fresh.first_tokens)
    for g in view.groups:
        _ = (g.log_ratio, g.fee_log)
    return (time.perf_counter() - start) * 1e3


def _cvxpy_arbitrage(network: Network, prices: dict[str, float]) -> tuple[float, float] | None:
    """``(seconds, objective)`` of CVXPY + Clarabel on the same arbitrage (the geometric
    means as exact exponential cones), or None if CVXPY is absent. The seconds include
    CVXPY's compilation, as a user calling ``problem.solve`` pays it."""
    if importlib.util.find_spec("cvxpy") is None:
        return None
    import cvxpy as cp  # type: ignore[import-not-found]

    n = len(network.tokens)
    c = np.array([prices.get(t, 0.0) for t in network.tokens])
    # Scaled so that the conic solver sees numbers of order one: each pool trades
    # fractions of its reserves (d̂ = Δ/R, λ̂ = Λ/R), each token's net-flow row is divided
    # by its largest reserve, and the objective by the value the pools hold.
    token_scale = np.zeros(n)
    for pool, ids in zip(network.pools, network.pool_tokens, strict=True):
        np.maximum.at(token_scale, list(ids), np.array(pool.reserves, dtype=float))
    value_scale = sum(
        float(np.dot(c[list(ids)], np.array(pool.reserves, dtype=float)))
        for pool, ids in zip(network.pools, network.pool_tokens, strict=True)
    )
    psi: Any = 0
    cons = []
    for pool, ids in zip(network.pools, network.pool_tokens, strict=True):
        k = len(ids)
        r = np.array(pool.reserves, dtype=float)
        d = cp.Variable(k, nonneg=True)
        lam = cp.Variable(k, nonneg=True)
        gamma = (BPS - pool.fee_bps) / BPS
        if isinstance(pool, ConstantSumPool):
            p = np.array(pool.prices, dtype=float) * r
            cons += [(p / p.sum()) @ (gamma * d - lam) >= 0, lam <= 1]
        else:
            w = (
                np.array(pool.normalized_weights)
                if isinstance(pool, WeightedPool)
                else np.array([0.5, 0.5])
            )
            cons.append(w @ cp.log(1 + gamma * d - lam) >= 0)  # Σ w log(R'/R) ≥ 0
        a = np.zeros((n, k))
        a[list(ids), range(k)] = r / token_scale[list(ids)]
        psi = psi + a @ (lam - d)
    cons.append(psi >= 0)
    problem = cp.Problem(cp.Maximize((c * token_scale / value_scale) @ psi), cons)
    start = time.perf_counter()
    problem.solve(solver=cp.CLARABEL)
    return time.perf_counter() - start, float(problem.value) * value_scale


def run(sizes: list[int], repeat: int) -> dict[str, Any]:
    report: dict[str, Any] = {"seed": SEED, "repeat": repeat, "sizes": sizes}
    gaps: dict[str, float] = {}
    for m in sizes:
        network, prices = random_network(np.random.default_rng(SEED + m), m)
        sell, buy = network.tokens[0], network.tokens[-1]
        held = sum(
            pool.reserves[ids.index(0)]
            for pool, ids in zip(network.pools, network.pool_tokens, strict=True)
            if 0 in ids
        )
        amount = max(held // 100, 1)
        tag = _label(m)
        jobs: dict[str, Callable[[], Route]] = {
            "arbitrage": partial(route_arbitrage, network, prices),
            "swap": partial(route_swap, network, sell, amount, buy),
            "arbitrage_float": partial(route_arbitrage, network, prices, integers=False),
            "swap_float": partial(route_swap, network, sell, amount, buy, integers=False),
        }
        report[f"ms_arrays_{tag}"] = round(_arrays_ms(network), 2)
        for name, job in jobs.items():
            ms, result = _median_ms(job, repeat)
            report[f"ms_{name}_{tag}"] = round(ms, 2)
            report[f"method_{name}_{tag}"] = result.method
            if not name.endswith("_float"):
                gaps[f"{name}_{tag}"] = result.relative_gap
                report[f"iterations_{name}_{tag}"] = result.iterations
                report[f"value_{name}_{tag}"] = result.value
        report[f"tokens_{tag}"] = len(network.tokens)
        if m == 1000:
            report["max_rel_gap_1k"] = max(gaps["arbitrage_1k"], gaps["swap_1k"])
            solved = _cvxpy_arbitrage(network, prices)
            report["cvxpy"] = "clarabel" if solved is not None else "not installed"
            report["ratio_vs_cvxpy_1k"] = None
            if solved is not None:
                seconds, objective = solved
                report["ms_cvxpy_1k"] = round(seconds * 1e3, 1)
                report["ratio_vs_cvxpy_1k"] = round(seconds * 1e3 / report["ms_arbitrage_1k"], 1)
                report["ratio_vs_cvxpy_1k_float"] = round(
                    seconds * 1e3 / report["ms_arbitrage_float_1k"], 1
                )
                # (CVXPY's value − ours) / ours: negative when Clarabel, stopping at its
                # default tolerances, found less than our certified route
                ours = report["value_arbitrage_1k"]
                report["cvxpy_value_rel_diff_1k"] = (objective - ours) / max(abs(ours), 1e-300)
        if m == 10_000:
            report["ms_10k_pools"] = report["ms_arbitrage_float_10k"]
            report["ms_10k_pools_integers"] = report["ms_arbitrage_10k"]
    report["rel_gap"] = gaps
    report["max_rel_gap"] = max(gaps.values()) if gaps else None
    report["kernels"] = "numba" if COMPILED else "numpy"
    report["python"] = platform.python_version()
    report["blas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="pool counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("--sizes must list positive pool counts and --repeat must be positive")
    report = run(sizes, args.repeat)
    for key, value in report.items():
        if key.startswith("ms_"):
            print(f"{key:>28}: {value:10.2f} ms")
    for key, value in report["rel_gap"].items():
        print(f"{'gap_' + key:>28}: {value:10.2e}")
    if args.json:
        print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main()
