"""Benchmark: deep-funding propagation (accord.mechanisms.deepfund) on a large random graph.

The graph (default 1,000,000 nodes and 10,000,000 edges) is drawn with a seeded numpy
Generator by :func:`~accord.mechanisms.deepfund.graph.random_graph`: uniform sources and
targets (cycles everywhere), each source's out-weights scaled to sum to U(0.5, 0.9).
Drawing and validating it is timed separately (``gen_s``) and not counted. The figure
``s_1m_nodes`` is the median over ``--repeat`` runs of ``propagate(graph, root)`` end to
end: building the CSR matrix from the arrays, the solve to a certified 1-norm error of at
most 1e-12 (see the module docstring: ``‖s − ŝ‖₁ ≤ ‖r‖₁/(1 − ρ)`` with ρ = 0.9), and the
shares. The goal is ≤ 10 s.

Side by side, at the full size, restarted GMRES on the same operator with iterative
refinement to the same certified bound (``gmres_s``), and at small sizes (``--lu-sizes``,
default 1,000 and 3,000 nodes, ten edges a node) SuperLU's sparse direct solve
(``spsolve``), whose fill-in on random graphs grows so fast that 10,000 nodes already take
over a minute; each with the largest difference of its flows from the fixed point.

Usage: ``python benchmarks/bench_deepfund.py [--nodes N] [--edges M] [--repeat 3] [--json]``.
With ``--json`` the last line of stdout is one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import platform
import resource
import statistics
import time
from typing import Any

import numpy as np

from accord.mechanisms.deepfund import Propagation, propagate
from accord.mechanisms.deepfund.graph import Graph, random_graph

SEED = 20250601


def _timed(graph: Graph, method: str) -> tuple[float, Propagation]:
    start = time.perf_counter()
    result = propagate(graph, 0, method=method)  # type: ignore[arg-type]
    return time.perf_counter() - start, result


def _lu_rows(sizes: list[int], per_node: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        graph = random_graph(n, per_node * n, np.random.default_rng([seed, n]))
        t_fp, fixed = _timed(graph, "neumann")
        t_lu, lu = _timed(graph, "spsolve")
        rows.append(
            {
                "nodes": n,
                "edges": graph.m,
                "neumann_s": round(t_fp, 4),
                "spsolve_s": round(t_lu, 4),
                "max_abs_diff": float(np.abs(fixed.flow - lu.flow).max()),
                "spsolve_error_bound": lu.error_bound,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--lu-sizes", default="1000,3000", help="comma-separated; '' for none")
    parser.add_argument("--no-gmres", action="store_true", help="skip GMRES at full size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    graph = random_graph(args.nodes, args.edges, np.random.default_rng(args.seed))
    gen_s = time.perf_counter() - start
    print(f"graph: {graph.n:,} nodes, {graph.m:,} edges, drawn in {gen_s:.2f} s", flush=True)

    times = []
    result: Propagation | None = None
    for _ in range(max(1, args.repeat)):
        elapsed, result = _timed(graph, "auto")
        times.append(elapsed)
        print(f"  propagate: {elapsed:.2f} s", flush=True)
    assert result is not None
    shares_sum = float(result.shares.sum())
    print(
        f"fixed point: {result.iterations} steps, error ≤ {result.error_bound:.2e}, "
        f"shares sum to {shares_sum:.15f}"
    )

    gmres: dict[str, Any] | None = None
    if not args.no_gmres:
        t_gm, gm = _timed(graph, "gmres")
        gmres = {
            "gmres_s": round(t_gm, 3),
            "gmres_error_bound": gm.error_bound,
            "gmres_max_abs_diff": float(np.abs(gm.flow - result.flow).max()),
        }
        print(f"gmres: {t_gm:.2f} s, error ≤ {gm.error_bound:.2e}")

    sizes = [int(x) for x in args.lu_sizes.split(",") if x.strip()]
    per_node = max(1, round(args.edges / args.nodes))
    lu_rows = _lu_rows(sizes, per_node, args.seed)
    for row in lu_rows:
        print(
            f"  {row['nodes']:,} nodes: fixed point {row['neumann_s']:.3f} s, spsolve "
            f"{row['spsolve_s']:.3f} s, |Δ| ≤ {row['max_abs_diff']:.1e}"
        )

    out: dict[str, Any] = {
        "s_1m_nodes": round(statistics.median(times), 3),
        "runs_s": [round(t, 3) for t in times],
        "nodes": graph.n,
        "edges": graph.m,
        "gen_s": round(gen_s, 3),
        "method": result.method,
        "iterations": result.iterations,
        "error_bound": result.error_bound,
        "shares_sum": shares_sum,
        **(gmres or {}),
        "spsolve_small": lu_rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps(out, separators=(",", ":")))
    else:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
