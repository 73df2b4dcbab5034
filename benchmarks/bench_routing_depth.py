"""Benchmark: swaps small against deep pools (accord.mechanisms.routing), accuracy and time.

Two equal-price constant-product pools at 5 bps, 1% and 99% of a depth ``S`` (default
1e22 base units), and swaps of ``S·10^-e`` for ``e`` = 1..13. For equal prices and fees
the optimum splits in proportion to depth and pays what one pool with the summed
reserves pays, so each route is checked against cfmm's exact ``amount_out`` on the
merged pool: ``ratio`` is the executed output over it (at most 1), ``short`` the base
units missing. Also reported: the route's certified relative gap, its method
(``newton`` or ``lp``) and its time (median of ``--repeat`` runs after a warm-up).

Before the fix in docs/routing.md ("Line search", "Resolution"), swaps of 1e-4 of the
depth and smaller got the empty route (relative gap 1).

Usage: ``python benchmarks/bench_routing_depth.py [--depth 10**22] [--repeat 3] [--json]``.
With ``--json`` the last line of stdout is one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import statistics
import time
from typing import Any

from accord.mechanisms.cfmm import ProductPool, amount_out
from accord.mechanisms.routing import route_swap

EXPONENTS = range(1, 14)


def run(depth: int, repeat: int) -> dict[str, Any]:
    """Route every swap size; the report keyed by ``1e-<e>``."""
    pools = [ProductPool((s, s), 5, ("A", "B")) for s in (depth // 100, depth - depth // 100)]
    rows: dict[str, dict[str, Any]] = {}
    for e in EXPONENTS:
        amount = depth // 10**e
        route = route_swap(pools, "A", amount, "B")  # warm-up, and the route reported
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            route_swap(pools, "A", amount, "B")
            times.append((time.perf_counter() - start) * 1e3)
        exact = amount_out(amount, depth, depth, 5)
        rows[f"1e-{e}"] = {
            "method": route.method,
            "rel_gap": route.relative_gap,
            "ratio": route.net_int[1] / exact,
            "short": exact - route.net_int[1],
            "ms": round(statistics.median(times), 2),
        }
    return {
        "depth": depth,
        "repeat": repeat,
        "swaps": rows,
        "max_rel_gap": max(r["rel_gap"] for r in rows.values()),
        "min_ratio": min(r["ratio"] for r in rows.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=10**22, help="summed reserves, base units")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per swap")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    if args.depth < 10**15 or args.repeat < 1:
        parser.error("--depth must be at least 1e15 and --repeat positive")
    report = run(args.depth, args.repeat)
    for key, row in report["swaps"].items():
        print(
            f"t/S={key:<6} {row['method']:6} gap {row['rel_gap']:.1e}  "
            f"out/exact {row['ratio']:.12f}  short {row['short']:>9}  {row['ms']:8.2f} ms"
        )
    if args.json:
        print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main()
