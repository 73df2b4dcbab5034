"""What the header's receipts root costs a receipt (:mod:`accord.device.receipts_root`).

Times ``receipts_root`` over a block of ``--receipts`` receipts of two kinds: *plain*
(the executor's field tuple with an int result and no events, bench_device's escrow
call's shape) and *events* (each with one two-field event, which takes the general
path). The figure is the median over ``--repeats`` of the CPU time of ``--loops`` roots,
per receipt, in microseconds (``time.process_time``: on a shared machine wall time
mostly measures the neighbours). Nothing in it depends on the root's layout, so the same
file times any tree: ``PYTHONPATH=TREE python benchmarks/bench_receipts_root.py``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_receipts_root.py --json    # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from hashlib import sha256
from typing import Any

from accord.device import Event, Receipt
from accord.device.receipts_root import receipts_root


def plain(n: int) -> list[tuple[Any, ...]]:
    """``n`` distinct plain receipts as the executor records them (field tuples)."""
    gas = [30_000 + i for i in range(n)]
    return [
        (sha256(i.to_bytes(8, "big")).digest(), "success", g, 7 * g, g, i, (), None, None)
        for i, g in enumerate(gas)
    ]


def with_events(n: int) -> list[Receipt]:
    """``n`` receipts that each emitted one event."""
    return [
        Receipt(*r[:6], (Event("0xe5c0", "Moved", (("amount", 1), ("to", "b"))),), None, None)
        for r in plain(n)
    ]


def per_receipt_us(receipts: Sequence[Any], loops: int, repeats: int) -> float:
    """Median CPU microseconds a receipt over ``repeats`` runs of ``loops`` roots."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(loops):
            receipts_root(receipts)
        times.append(time.process_time() - start)
    return statistics.median(times) / (loops * len(receipts)) * 1e6


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=1_000)
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    result = {
        "receipts": args.receipts,
        "plain_us_per_receipt": round(
            per_receipt_us(plain(args.receipts), args.loops, args.repeats), 4
        ),
        "events_us_per_receipt": round(
            per_receipt_us(with_events(args.receipts), max(args.loops // 4, 1), args.repeats), 4
        ),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    main()
