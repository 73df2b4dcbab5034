"""Bargaining benchmarks (issue 13): one function per part, one JSON line merging them.

* ``episodes_per_s``: all 1,000 Deal or No Deal instances × every ordered pair of the
  scripted negotiators (5 × 5 = 25 pairs, 25,000 negotiations), each negotiation played
  **on the device** (:mod:`accord.games.bargaining_device`: a host-escrowed pool, every
  offer a conditional commitment, acceptances as complements), in lock-step waves of
  ``--wave`` negotiations per block on one device. Timed: the whole sweep, negotiators'
  own thinking included (they run off the device, between blocks), device set-up
  excluded. Also reported: the agreement rate of every pair, blocks, and whether every
  item ended where the agreements put it.

Usage::

    .venv/bin/python benchmarks/bench_bargaining.py --json   # last stdout line: JSON
    .venv/bin/python benchmarks/bench_bargaining.py --instances 50 --part episodes_per_s
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
from accord.games.bargaining_device import ITEMS, PLAYERS, Match, new_table  # noqa: E402
from accord.games.deal_or_no_deal import NEGOTIATORS  # noqa: E402
from accord.mechanisms.bargaining.deal_or_no_deal import MAX_TURNS, read_instances  # noqa: E402


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
    }


PARTS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "episodes_per_s": episodes_per_s,
}
"""Each part's function; ``--part`` picks some, the default runs them all."""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--part", action="append", choices=sorted(PARTS), help="(repeatable)")
    p.add_argument("--instances", type=int, default=1000, help="Deal or No Deal instances")
    p.add_argument("--wave", type=int, default=2500, help="negotiations per block")
    p.add_argument("--seed", type=int, default=0)
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
