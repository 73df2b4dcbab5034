"""Benchmark: the DeFi routing flagship with 1,000 agents for 1,000 blocks.

``python benchmarks/bench_defi.py --json`` prints a summary; the last line is JSON with
``s_1000_agents_1000_blocks`` (wall-clock seconds of one run, goal ≤ 60 s). ``--agents``
and ``--blocks`` shrink it (the smoke test runs it tiny).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from accord.device import DeviceConfig
from accord.games.defi.routing import Params, play


def flagship(agents: int, blocks: int) -> Params:
    """About 1 % searchers, the rest users; one trade need per block on average."""
    searchers = max(3, agents // 100)
    return Params(
        blocks=blocks,
        users=agents - searchers,
        sandwichers=searchers - 2 * (searchers // 3),
        arbitrageurs=searchers // 3,
        backrunners=searchers // 3,
        arrival_rate=1.0,
        check_conservation=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--ordering", default="priority")
    parser.add_argument("--mempool", default="public")
    args = parser.parse_args()
    params = flagship(args.agents, args.blocks)
    config = DeviceConfig(ordering=args.ordering, mempool=args.mempool)
    warnings.simplefilter("ignore", RuntimeWarning)
    start = time.perf_counter()
    result = play(params, config, seed=0)
    seconds = time.perf_counter() - start
    m = result.metrics
    print(
        f"{args.agents} agents, {args.blocks} blocks ({args.ordering}/{args.mempool}): "
        f"{seconds:.1f} s, {m['needs']} trade needs, {m['sandwiches_landed']} sandwiches"
    )
    key = f"s_{args.agents}_agents_{args.blocks}_blocks"
    out = {
        key: round(seconds, 3),
        "needs": m["needs"],
        "blocks": result.blocks,
        "user_surplus_bps": m["user_surplus_bps"],
        "mev_searchers_usd": m["mev_searchers_usd"],
    }
    print(json.dumps(out) if args.json else out)


if __name__ == "__main__":
    main()
