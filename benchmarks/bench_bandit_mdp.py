"""The time-bandit MDP's figures and what they cost (:mod:`accord.mechanisms.bandit_mdp`).

Computes, and times by CPU (``time.process_time``):

* the published point (Zhou et al., S&P 2021, §VII.B; quoted by Qin, Zhou & Gervais,
  S&P 2022): α = 10 %, γ = 0, r_s = 5.72 %, k = 1, c_m = α, cutoff 20, where the papers
  report ``MEV_v`` = 4 block rewards;
* ``docs/finality.md``'s table: ``V*`` for α in 10-40 % and k in 1-3, with and without
  Ethereum's stale rate, beside :mod:`accord.mechanisms.time_bandit`'s gambler's ruin at
  ``d = k`` (give up after 1 and after 6 public blocks);
* Qin, Zhou & Gervais's "BEV forking threshold" (S&P 2022, Fig. 13): the least share
  that forks for 0.5× to 512× the block reward, and for their largest BEV, 616.6×;
* the optimal selfish-mining share at α = 1/3 and 0.35, γ = 0, as the cutoff grows.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_bandit_mdp.py --json    # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from accord.mechanisms.bandit_mdp import Chain, optimal_revenue, share_threshold, threshold
from accord.mechanisms.time_bandit import threshold as ruin_threshold

ETHEREUM_STALE = 0.0572


def table(tol: float) -> list[dict[str, Any]]:
    """One row per (α, k): the MDP's V* with and without stale blocks, and the ruin's."""
    rows = []
    for percent in (10, 20, 30, 40):
        alpha = percent / 100
        for k in (1, 2, 3):
            share = Fraction(percent, 100)
            rows.append(
                {
                    "alpha": alpha,
                    "k": k,
                    "ruin_g1": round(float(ruin_threshold(share, k, 1)), 2),
                    "ruin_g6": round(float(ruin_threshold(share, k, 6)), 2),
                    "mdp_stale": round(
                        threshold(Chain(alpha, stale=ETHEREUM_STALE, confirmations=k), tol=tol),
                        2,
                    ),
                    "mdp": round(threshold(Chain(alpha, confirmations=k), tol=tol), 2),
                }
            )
    return rows


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tol", type=float, default=0.005, help="bisection tolerance")
    parser.add_argument("--cutoffs", type=int, nargs="*", default=[20, 40, 60])
    parser.add_argument(
        "--multipliers", type=float, nargs="*", default=[0.5 * 2**i for i in range(11)] + [616.6]
    )
    parser.add_argument("--share-tol", type=float, default=1e-5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    start = time.process_time()
    published = threshold(Chain(0.1, stale=ETHEREUM_STALE), tol=args.tol)
    published_s = time.process_time() - start
    start = time.process_time()
    rows = table(args.tol)
    table_s = time.process_time() - start
    start = time.process_time()
    forking = [
        {"bev": x, "min_share": round(share_threshold(x, tol=args.share_tol), 6)}
        for x in args.multipliers
    ]
    forking_s = time.process_time() - start
    selfish = []
    for cutoff in args.cutoffs:
        start = time.process_time()
        third = optimal_revenue(Chain(1 / 3, cutoff=cutoff))
        point35 = optimal_revenue(Chain(0.35, cutoff=cutoff))
        seconds = time.process_time() - start
        selfish.append(
            {
                "cutoff": cutoff,
                "alpha_third": round(third, 6),
                "alpha_0.35": round(point35, 6),
                "cpu_s": round(seconds, 3),
            }
        )
    result = {
        "published_point": {
            "paper": 4,
            "model": round(published, 3),
            "tol": args.tol,
            "cpu_s": round(published_s, 3),
        },
        "table": rows,
        "table_cpu_s": round(table_s, 3),
        "bev_forking_threshold": forking,
        "bev_forking_threshold_cpu_s": round(forking_s, 3),
        "optimal_selfish_share_gamma0": selfish,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"published point: paper 4, model {published:.3f} ({published_s:.2f} s)")
        print("alpha k | ruin g=1 | ruin g=6 | MDP r_s=5.72% | MDP r_s=0")
        for row in rows:
            print(
                f"{row['alpha']:.1f} {row['k']} | {row['ruin_g1']} | {row['ruin_g6']} | "
                f"{row['mdp_stale']} | {row['mdp']}"
            )
        for entry in forking + selfish:
            print(entry)
    return result


if __name__ == "__main__":
    main()
