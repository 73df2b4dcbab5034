"""Where ``bench_device``'s time goes, counted in a way the machine's load cannot move.

``bench_device`` times the device against titanoboa; on a shared machine its figures move
by tens of percent with the load. This script runs the same workload (one block of
``move(a, b, 1)`` escrow calls from one sender, submitted and built as the benchmark's
timed loop does) under an opcode tracer (``sys.settrace`` with ``f_trace_opcodes``), and
reports how many bytecode instructions CPython executes per transaction in each Python
function. The count is the same on every run of the same code, so it compares two
versions exactly, and it shows which function a change should target. It says nothing
of the C work a single instruction may start (``marshal``, BLAKE2, dict lookups): for
that, count machine instructions under ``valgrind --tool=cachegrind`` (see
``benchmarks/README.md``). The tracer slows Python down about a hundredfold, so nothing
here is timed. Modules the install compiled (:mod:`accord.device.accelerator`) run no
bytecode: ``ACCORD_PURE_PYTHON=1`` counts the whole pure-Python path.

Usage (from the repository root)::

    .venv/bin/python benchmarks/profile_device.py            # a table
    .venv/bin/python benchmarks/profile_device.py --json     # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.device import accelerator  # noqa: E402
from benchmarks.bench_device import AccordBench  # noqa: E402


def count_opcodes(calls: int) -> tuple[Counter[str], int, int]:
    """Bytecode instructions executed per function (``file:function``) while one block of
    ``calls`` pre-signed transactions is submitted and built, after a warm-up block; and
    how many of them ran in ``submit`` + its callees and in ``build_block`` + its callees
    (each phase counted apart)."""
    bench = AccordBench(calls, calls, "mac", sign_runs=False)
    bench.warm()
    device = bench.device
    txs = bench._signed(device.nonce("alice"), calls)
    counts: Counter[str] = Counter()

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        code = frame.f_code
        name = f"{Path(code.co_filename).name}:{code.co_name}"

        def local(frame: FrameType, event: str, arg: object) -> Any:
            if event == "opcode":
                counts[name] += 1
            return local

        return local

    submit, build_block = device.submit, device.build_block
    sys.settrace(tracer)
    try:
        for tx in txs:
            submit(tx)
    finally:
        sys.settrace(None)
    in_submit = sum(counts.values())
    sys.settrace(tracer)
    try:
        build_block()
    finally:
        sys.settrace(None)
    if device.nonce("alice") != txs[-1].nonce + 1:
        raise AssertionError("not every transaction was included")
    return counts, in_submit, sum(counts.values()) - in_submit


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=1_000, help="transactions in the block")
    p.add_argument("--top", type=int, default=12, help="functions listed")
    p.add_argument("--json", action="store_true", help="print only a JSON line")
    args = p.parse_args(argv)
    if args.calls <= 0 or args.top <= 0:
        p.error("--calls and --top must be positive")
    counts, in_submit, in_build = count_opcodes(args.calls)
    per_tx = {name: round(n / args.calls, 1) for name, n in counts.most_common(args.top)}
    report: dict[str, Any] = {
        "benchmark": "escrow move(a, b, 1), one block",
        "calls": args.calls,
        "opcodes_per_tx": round((in_submit + in_build) / args.calls, 1),
        "submit_opcodes_per_tx": round(in_submit / args.calls, 1),
        "build_opcodes_per_tx": round(in_build / args.calls, 1),
        "by_function": per_tx,
        "python": sys.version.split()[0],
        # Compiled modules run no bytecode: under "compiled", what is counted is what
        # still runs interpreted; ACCORD_PURE_PYTHON=1 counts the whole pure path.
        "hot_path": "compiled" if accelerator.compiled() else "pure",
    }
    if args.json:
        print(json.dumps(report))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"bytecode instructions per transaction ({args.calls:,} in a block)")
        table.add_column("function")
        table.add_column("per tx", justify="right")
        for name, n in per_tx.items():
            table.add_row(name, f"{n:,.1f}")
        console = Console()
        console.print(table)
        console.print(
            f"in all {report['opcodes_per_tx']:,.1f} per transaction: submit "
            f"{report['submit_opcodes_per_tx']:,.1f}, build_block "
            f"{report['build_opcodes_per_tx']:,.1f} (Python {report['python']}; "
            f"device hot path: {report['hot_path']})"
        )
    return report


if __name__ == "__main__":
    main()
