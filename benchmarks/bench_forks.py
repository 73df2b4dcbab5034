"""What reversible blocks cost: sealing with undo records, and a reorg.

Runs ``bench_device``'s escrow workload (``move(a, b, 1)``, client-signed, MAC
signatures) on devices that differ only in ``finality_depth``, repetitions interleaved
so that the machine's load favours neither, and reports the median calls per second of
submit + build for each depth, by this process's CPU time (``time.process_time``: on a
shared machine wall time mostly measures the neighbours). Then, on the deepest device,
it times a reorg of ``--reorg-depth`` full blocks onto an alternative of one block more
holding the same transactions (undo, return to the mempool through the gate, rebuild),
and checks that the rebuilt blocks end on the original head's state hash: the figure
is per undone and rebuilt transaction.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_forks.py --json    # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.device import AssetSpec, Device, DeviceConfig, Genesis, accelerator  # noqa: E402
from benchmarks.bench_contracts import Escrow  # noqa: E402

GAS_LIMIT = 100_000
TX_FIELDS = {"gas_limit": GAS_LIMIT, "max_fee": 10_000, "priority_fee": 1}


class Side:
    """A device at one finality depth with the escrow deployed and funded."""

    def __init__(self, depth: int, block_size: int) -> None:
        config = DeviceConfig(
            block_gas_limit=block_size * GAS_LIMIT,
            signatures="mac",
            finality_depth=depth,
        )
        genesis = Genesis(
            assets={"ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**30})},
            contract_modules=("accord.contracts", "benchmarks"),
        )
        self.depth, self.block_size = depth, block_size
        self.device = device = Device(config, genesis, history=max(depth, 1) + 1)
        self.alice = device.account("alice")
        self.address = device.deploy(self.alice, Escrow)
        assert device.call(self.alice, self.address, "deposit", "a", 10**18).ok
        self.seconds: list[float] = []

    def run(self, calls: int) -> None:
        device, size = self.device, self.block_size
        elapsed = 0.0
        for _ in range(calls // size):
            first = device.nonce("alice")
            sign = self.alice.sign
            txs = [
                sign(first + i, self.address, "move", "a", "b", 1, **TX_FIELDS)  # type: ignore[arg-type]
                for i in range(size)
            ]
            start = time.process_time()
            for tx in txs:
                device.submit(tx)
            device.build_block()
            elapsed += time.process_time() - start
        assert not len(device.mempool)
        self.seconds.append(elapsed)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=5_000, help="calls per repetition")
    p.add_argument("--block-size", type=int, default=1_000, help="transactions per block")
    p.add_argument("--repeats", type=int, default=5, help="repetitions (median counts)")
    p.add_argument("--depths", type=int, nargs="+", default=[0, 16], help="finality depths")
    p.add_argument("--reorg-depth", type=int, default=4, help="blocks undone by the reorg")
    p.add_argument("--json", action="store_true", help="print only a JSON line")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    sides = [Side(depth, args.block_size) for depth in args.depths]
    for side in sides:
        side.run(args.block_size)  # warm up
        side.seconds.clear()
    for _ in range(args.repeats):
        for side in sides:
            side.run(args.calls)
    per_s = {
        str(side.depth): round(args.calls / statistics.median(side.seconds), 1) for side in sides
    }
    seconds = {str(s.depth): [round(t, 4) for t in s.seconds] for s in sides}
    deepest = max(sides, key=lambda s: s.depth)
    d = min(args.reorg_depth, deepest.depth)
    reorg: dict[str, Any] | None = None
    if d > 0:
        device = deepest.device
        deepest.run(d * args.block_size)
        head_hash = device.head.state_hash
        same = [list(b.transactions) for b in list(device.blocks)[-d:]]
        start = time.process_time()
        done = device.reorg(d, [*same, []])
        took = time.process_time() - start
        assert device.headers[-2].state_hash == head_hash
        assert not done.returned and not done.dropped
        txs = d * args.block_size
        reorg = {
            "depth": d,
            "transactions": txs,
            "seconds": round(took, 4),
            "transactions_per_s": round(txs / took, 1),
        }
    base = per_s[str(min(args.depths))]
    report: dict[str, Any] = {
        "benchmark": "escrow move(a, b, 1) by finality_depth",
        "calls_per_s": per_s,
        "relative_to_lowest_depth": {k: round(v / base, 3) for k, v in per_s.items()},
        "seconds": seconds,
        "reorg": reorg,
        "calls": args.calls,
        "block_size": args.block_size,
        "repeats": args.repeats,
        "hot_path": "compiled" if accelerator.compiled() else "pure",
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>26}: {value}")
    return report


if __name__ == "__main__":
    main()
