"""Benchmark: the distilled-human-judgement fit (accord.mechanisms.judgement.fitting).

Two figures, on seeded synthetic rounds shaped like a deep-funding contest: ``n`` items
with true log-credits ``t ~ N(0, 1)``; ``k`` submitted lists ``log x_j = t + σ_j ε_j``
(``σ_j`` uniform in [0.2, 2]); ``m`` jury samples on random pairs with
``c = t[b] − t[a] + N(0, 0.5²)``.

* ``ratio_vs_slsqp_k100``: the exact fit (:func:`fit_geometric`: copy detection, the
  ``k × k`` Gram matrix, NNLS) against :func:`scipy.optimize.minimize` with
  ``method="SLSQP"`` on the same problem, ``min ‖Aw − c‖²`` over the simplex with the
  analytic gradient (``ftol = 1e-12``), both starting from the ``m × k`` sample matrix
  ``A`` and ``c`` (``k = 100``, ``m = 10,000``). The answers are checked to agree (same
  cost to 1e-6 relative, ours never worse). ``ratio_vs_slsqp_gram_k100`` is the same
  against SLSQP handed the Gram matrix for free (its objective then costs ``O(k²)``).
* ``s_1m_items_k100``: end to end, from the lists as an in-memory ``n × k`` array of
  positive weights (``n = 1,000,000``, ``k = 100``) and the 10,000 samples' index
  arrays to the weights: gather the ``2m`` sampled rows, take logs, difference, fit.
  The dense ``n × k`` log matrix is never built (per-parent normalisation cancels in
  each difference, so the weights are used as they are); building the inputs is not
  timed.

Timings are the best of ``--repeat`` runs after a warm-up (the machine is shared).
OpenBLAS is pinned to one thread before NumPy loads.

Usage: ``python benchmarks/bench_judgement.py [--items N] [--lists K] [--samples M]
[--repeat R] [--json]``. With ``--json`` the last line of stdout is one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import minimize

from accord.mechanisms.judgement.fitting import Fit, fit_geometric, kkt_violation

SEED = 20251203
GOAL_RATIO, GOAL_S = 50.0, 2.0


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    result = fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def round_arrays(
    n: int, k: int, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(weights n×k, a, b, c)``: lists as positive weights, built in row blocks."""
    truth = rng.normal(size=n)
    sigma = rng.uniform(0.2, 2.0, size=k)
    weights = np.empty((n, k))
    block = 50_000
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        noise = rng.normal(size=(hi - lo, k))
        np.exp(truth[lo:hi, None] + sigma * noise, out=weights[lo:hi])
    a = rng.integers(0, n, size=m)
    b = (a + rng.integers(1, n, size=m)) % n  # b ≠ a
    c = truth[b] - truth[a] + 0.5 * rng.normal(size=m)
    return weights, a, b, c


def end_to_end(weights: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> Fit:
    """From the lists' weights and the samples to the fit: only the sampled rows."""
    design = np.log(weights[b]) - np.log(weights[a])
    return fit_geometric(design, c)


def slsqp(design: np.ndarray, c: np.ndarray, gram: bool) -> np.ndarray:
    """The generic reference: SLSQP on ‖Aw − c‖² over the simplex, analytic gradient."""
    k = design.shape[1]
    if gram:
        g, h, cc = design.T @ design, design.T @ c, float(c @ c)

        def f(w: np.ndarray) -> float:
            return float(w @ g @ w - 2.0 * h @ w + cc)

        def jac(w: np.ndarray) -> np.ndarray:
            return np.asarray(2.0 * (g @ w - h))

    else:

        def f(w: np.ndarray) -> float:
            r = design @ w - c
            return float(r @ r)

        def jac(w: np.ndarray) -> np.ndarray:
            return np.asarray(2.0 * design.T @ (design @ w - c))

    res = minimize(
        f,
        np.full(k, 1.0 / k),
        jac=jac,
        method="SLSQP",
        bounds=[(0.0, None)] * k,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(k)}],
        options={"ftol": 1e-12, "maxiter": 2_000},
    )
    return np.asarray(res.x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--lists", type=int, default=100)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--ref-repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    weights, a, b, c = round_arrays(args.items, args.lists, args.samples, rng)
    build_s = time.perf_counter() - t0

    s_e2e, result = best_of(lambda: end_to_end(weights, a, b, c), args.repeat)
    design = np.log(weights[b]) - np.log(weights[a])
    s_fit, ours = best_of(lambda: fit_geometric(design, c), args.repeat)
    s_ref, w_ref = best_of(lambda: slsqp(design, c, gram=False), args.ref_repeat)
    s_ref_gram, w_ref_gram = best_of(lambda: slsqp(design, c, gram=True), args.ref_repeat)

    def cost(w: np.ndarray) -> float:
        r = design @ w - c
        return float(r @ r)

    ref_cost = min(cost(w_ref), cost(w_ref_gram))
    rel = (ours.cost - ref_cost) / ref_cost
    same = abs(rel) <= 1e-6 and ours.cost <= ref_cost * (1 + 1e-12)
    report = {
        "items": args.items,
        "lists": args.lists,
        "samples": args.samples,
        "build_inputs_s": round(build_s, 3),
        "fit_ms": round(s_fit * 1e3, 3),
        "slsqp_ms": round(s_ref * 1e3, 3),
        "slsqp_gram_ms": round(s_ref_gram * 1e3, 3),
        "ratio_vs_slsqp_k100": round(s_ref / s_fit, 2),
        "ratio_vs_slsqp_gram_k100": round(s_ref_gram / s_fit, 2),
        "cost_ours": ours.cost,
        "cost_slsqp": cost(w_ref),
        "cost_slsqp_gram": cost(w_ref_gram),
        "cost_rel_diff": rel,
        "same_answer": same,
        "kkt_violation": kkt_violation(design, c, ours.weights),
        "support": int((ours.weights > 0).sum()),
        "s_1m_items_k100": round(s_e2e, 4),
        "e2e_matches_fit": bool(np.array_equal(result.weights, ours.weights)),
        "meets_goal": bool(s_ref / s_fit >= GOAL_RATIO and s_e2e <= GOAL_S and same),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}",
    }
    if not args.json:
        for key, value in report.items():
            print(f"{key:28s} {value}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
