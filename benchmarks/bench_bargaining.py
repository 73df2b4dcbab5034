"""Bargaining benchmarks (issue 13): one function per part, one JSON line merging them.

* ``episodes_per_s``: all 1,000 Deal or No Deal instances × every ordered pair of the
  scripted negotiators (5 × 5 = 25 pairs, 25,000 negotiations), each negotiation played
  **on the device** (:mod:`accord.games.bargaining_device`: a host-escrowed pool, every
  offer a conditional commitment, acceptances as complements), in lock-step waves of
  ``--wave`` negotiations per block on one device. Timed: the whole sweep, negotiators'
  own thinking included (they run off the device, between blocks), device set-up
  excluded. Also reported: the agreement rate of every pair, its joint value against the
  maximum, Pareto rate, distance to the Nash split and offers (the game's metrics,
  computed after the timing), blocks, and whether every item ended where the agreements
  put it.
* ``ratio_vs_mc``: bilateral trade's quadrature against Monte-Carlo. For each of the six
  mechanisms on U[0,1]² (every figure has a closed form there: first best 1/6, the
  ½-double auction and the second best 9/64 with P(trade) 9/32, the best posted price
  1/8 and 1/4), :func:`expected_outcome` (quadrature, all five figures) and
  :func:`simulate` at ``--draws`` (default 10⁶) draws are timed, best of ``--repeat``.
  Accuracy is the largest absolute error of gains, P(trade) and efficiency against the
  closed forms. **Definition**: ``ratio_vs_mc = Σ t_mc / Σ t_quad`` over the six
  mechanisms, counted only if the quadrature's error is at most the Monte-Carlo run's
  on every mechanism (``quad_at_least_as_accurate``); it is then a lower bound on how
  many times faster quadrature reaches the same or better accuracy, since Monte-Carlo
  would need ``(err_mc / err_quad)²`` times more draws to match it. Per mechanism:
  ``ratio_vs_mc_by_mechanism``, ``quad_error_by_mechanism``, ``mc_error_by_mechanism``.

Usage::

    .venv/bin/python benchmarks/bench_bargaining.py --json   # last stdout line: JSON
    .venv/bin/python benchmarks/bench_bargaining.py --instances 50 --part episodes_per_s
    .venv/bin/python benchmarks/bench_bargaining.py --part ratio_vs_mc --draws 100000
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accord.device import DeviceConfig  # noqa: E402
from accord.games.bargaining_device import ITEMS, PLAYERS, Episode, Match, new_table  # noqa: E402
from accord.games.deal_or_no_deal import NEGOTIATORS, summarise  # noqa: E402
from accord.mechanisms.bargaining import (  # noqa: E402
    AGV,
    VCG,
    FirstBest,
    KDoubleAuction,
    PostedPrice,
    SecondBest,
    UniformPrior,
    expected_outcome,
    simulate,
)
from accord.mechanisms.bargaining.deal_or_no_deal import MAX_TURNS, read_instances  # noqa: E402

PAIR_FIGURES = ("joint_value_ratio", "pareto_rate", "nash_distance", "turns")
"""The game's metrics reported per pair besides the agreement rate (not timed)."""


def episodes_per_s(args: argparse.Namespace) -> dict[str, Any]:
    """Every instance × every ordered pair of scripted negotiators, on one device."""
    instances = read_instances()[: args.instances]
    pairs = list(itertools.product(NEGOTIATORS, repeat=2))
    matches = [
        Match(inst, (NEGOTIATORS[a](), NEGOTIATORS[b]()), tag=(a, b))
        for a, b in pairs
        for inst in instances
    ]
    config = DeviceConfig(
        signatures="mac",  # a closed simulation: the benchmark times the protocol
        block_gas_limit=args.wave * 400_000,
        max_pending_per_sender=max(4_096, args.wave),
    )
    table = new_table(config, [m.instance for m in matches], args.seed, n_steps=MAX_TURNS - 1)
    gc.collect()
    start = time.perf_counter()
    episodes = table.play(matches, args.wave)
    seconds = time.perf_counter() - start
    agreed: dict[str, list[int]] = {f"{a}-{b}": [0, 0] for a, b in pairs}
    for e in episodes:
        count = agreed["-".join(e.match.tag)]
        count[0] += e.agreement is not None
        count[1] += 1
    device = table.device
    settled = all(
        device.balance(PLAYERS[0], item)
        == sum(e.agreement[i] for e in episodes if e.agreement is not None)
        for i, item in enumerate(ITEMS)
    )
    by_pair: dict[str, list[Episode]] = {}
    for e in episodes:
        by_pair.setdefault("-".join(e.match.tag), []).append(e)
    figures = {pair: summarise(eps) for pair, eps in by_pair.items()}
    return {
        "episodes_per_s": round(len(episodes) / seconds, 1),
        "dond_episodes": len(episodes),
        "dond_pairs": len(pairs),
        "dond_seconds": round(seconds, 2),
        "dond_blocks": table.blocks,
        "dond_wave": args.wave,
        "dond_agreement_rate": round(sum(a for a, _ in agreed.values()) / len(episodes), 4),
        "dond_agreement_rate_by_pair": {k: round(a / n, 4) for k, (a, n) in agreed.items()},
        "dond_items_settled_exactly": settled,
        "dond_by_pair": {
            pair: {k: round(f[k], 4) for k in PAIR_FIGURES} for pair, f in figures.items()
        },
    }


UNIT_SQUARE = {
    # name: (mechanism, (gains, P(trade), efficiency)) on U[0,1]², the closed forms
    "k_double_auction": (KDoubleAuction(0.5), (9 / 64, 9 / 32, 27 / 32)),
    "posted_price": (PostedPrice(), (1 / 8, 1 / 4, 3 / 4)),
    "second_best": (SecondBest(), (9 / 64, 9 / 32, 27 / 32)),
    "first_best": (FirstBest(), (1 / 6, 1 / 2, 1.0)),
    "vcg": (VCG(), (1 / 6, 1 / 2, 1.0)),
    "agv": (AGV(), (1 / 6, 1 / 2, 1.0)),
}


def _best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def ratio_vs_mc(args: argparse.Namespace) -> dict[str, Any]:
    """Quadrature vs Monte-Carlo on U[0,1]² for the six mechanisms (module docstring)."""
    u = UniformPrior(0.0, 1.0)
    t_quad, t_mc, err_quad, err_mc, ratios = {}, {}, {}, {}, {}
    for name, (mech, exact) in UNIT_SQUARE.items():
        tq, quad = _best_of(args.repeat, lambda m=mech: expected_outcome(m, u, u))
        tm, sim = _best_of(args.repeat, lambda m=mech: simulate(m, u, u, args.draws, args.seed))
        got_q = (quad.gains, quad.p_trade, quad.efficiency)
        got_m = (sim.mean.gains, sim.mean.p_trade, sim.mean.efficiency)
        err_quad[name] = max(abs(a - b) for a, b in zip(got_q, exact, strict=True))
        err_mc[name] = max(abs(a - b) for a, b in zip(got_m, exact, strict=True))
        t_quad[name], t_mc[name] = tq, tm
        ratios[name] = round(tm / tq, 2)
    better = all(err_quad[n] <= err_mc[n] for n in UNIT_SQUARE)
    total = sum(t_mc.values()) / sum(t_quad.values())
    return {
        "ratio_vs_mc": round(total, 2) if better else 0.0,
        "quad_at_least_as_accurate": better,
        "mc_draws": args.draws,
        "quad_seconds": round(sum(t_quad.values()), 4),
        "mc_seconds": round(sum(t_mc.values()), 4),
        "quad_max_error": max(err_quad.values()),
        "mc_max_error": max(err_mc.values()),
        "ratio_vs_mc_by_mechanism": ratios,
        "quad_error_by_mechanism": err_quad,
        "mc_error_by_mechanism": err_mc,
    }


PARTS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "episodes_per_s": episodes_per_s,
    "ratio_vs_mc": ratio_vs_mc,
}
"""Each part's function; ``--part`` picks some, the default runs them all."""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--part", action="append", choices=sorted(PARTS), help="(repeatable)")
    p.add_argument("--instances", type=int, default=1000, help="Deal or No Deal instances")
    p.add_argument("--wave", type=int, default=2500, help="negotiations per block")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=1_000_000, help="Monte-Carlo draws (ratio_vs_mc)")
    p.add_argument("--repeat", type=int, default=3, help="timings: best of (ratio_vs_mc)")
    p.add_argument("--json", action="store_true", help="print one JSON line last")
    args = p.parse_args(argv)
    report: dict[str, Any] = {"python": platform.python_version()}
    for name in args.part or list(PARTS):
        report.update(PARTS[name](args))
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>28}: {value}")
    return report


if __name__ == "__main__":
    main()
