"""Throughput of the device against titanoboa, on one escrow workload, in one process.

The workload is ``move(a, b, 1)`` on an escrow contract that checks and moves an internal
balance (``assert balances[a] >= amount; balances[a] -= amount; balances[b] += amount``).

* **accord** (the headline, ``accord_calls_per_s`` and ``ratio_vs_titanoboa``): the
  device processing client-signed transactions. The client signs each block's
  transactions first (:meth:`Account.sign`, explicit nonces; a titanoboa call carries no
  signature, so signing is the client's work and stays outside the timer). The timed
  loop then submits each one (:meth:`Device.submit`: the hash recomputed from the
  contents, the sender's MAC checked, nonce, duplicate and gas-limit checks, mempool
  insertion) and builds a block every ``--block-size`` transactions
  (:meth:`Device.build_block`: honest builder, priority ordering, validation, fee
  prepayment, gas metering, the call, journaled storage writes, refund, receipts,
  base-fee burn and tip, the EIP-1559 base-fee update, the state hash, the event log,
  mempool pruning).
* ``accord_sign_submit_build_calls_per_s``: the same, with signing inside the timed
  loop (a separate run per repetition): client and device together.
* ``accord_execute_calls_per_s``: the part of the headline spent inside
  ``build_block`` alone.
* **titanoboa**: ``benchmarks/escrow.vy`` loaded with ``boa.load`` and called as
  ``contract.move(a, b, 1)`` in boa's default mode (one py-evm message call per call; no
  signatures, mempool or blocks).

Both sides are warmed up, timed with :func:`time.perf_counter` (or, with ``--clock cpu``,
:func:`time.thread_time`: the CPU time of the benchmarking thread, which on a shared
machine leaves out the time spent waiting for a core) in short interleaved repetitions of
similar length (accord, titanoboa, accord, ...; the best of ``--repeats`` counts for
each, which on a shared machine estimates each side's speed with a CPU to itself) and checked
for correctness (final balances) before anything is reported.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_device.py            # a table
    .venv/bin/python benchmarks/bench_device.py --json     # last stdout line is JSON
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.device import AssetSpec, Device, DeviceConfig, Genesis, Transaction  # noqa: E402
from benchmarks.bench_contracts import Escrow  # noqa: E402

VYPER_SOURCE = Path(__file__).resolve().parent / "escrow.vy"
GOAL_RATIO = 100.0
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.thread_time}
clock: Callable[[], float] = time.perf_counter
"""The clock every timing reads (``--clock``): wall time by default."""
START_BALANCE = 10**18
GAS_LIMIT = 100_000
MAX_FEE = 10_000
TX_FIELDS = {"gas_limit": GAS_LIMIT, "max_fee": MAX_FEE, "priority_fee": 1}


@dataclass(frozen=True, slots=True)
class SideResult:
    """One side's timings: calls per repetition, seconds per repetition."""

    calls: int
    seconds: list[float]
    execute_seconds: list[float] | None = None
    """accord only: the part of each repetition spent building blocks (execution)."""
    sign_seconds: list[float] | None = None
    """accord only: each repetition of a separate run with signing inside the loop."""

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.best


class AccordBench:
    """The accord side: a device with the escrow deployed, run one repetition at a time."""

    def __init__(self, calls: int, block_size: int) -> None:
        if calls % block_size:
            raise SystemExit(f"--calls ({calls}) must be a multiple of --block-size ({block_size})")
        self.calls, self.block_size = calls, block_size
        config = DeviceConfig(block_gas_limit=block_size * GAS_LIMIT, initial_base_fee=1_000)
        genesis = Genesis(assets={"ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**30})})
        self.device = device = Device(config, genesis, history=1)
        self.alice = alice = device.account("alice")
        self.address = device.deploy(alice, Escrow)
        receipt = device.call(alice, self.address, "deposit", "a", START_BALANCE)
        assert receipt.ok, receipt.error
        self.moved = 0
        self.seconds: list[float] = []
        self.execute_seconds: list[float] = []
        self.sign_seconds: list[float] = []

    def _signed(self, first: int, n: int) -> list[Transaction]:
        sign, address = self.alice.sign, self.address
        return [
            sign(first + i, address, "move", "a", "b", 1, **TX_FIELDS)  # type: ignore[arg-type]
            for i in range(n)
        ]

    def _check(self, first: int, n: int) -> None:
        device = self.device
        if device.nonce("alice") != first + n or len(device.mempool):
            raise AssertionError(f"accord: not every transaction was included ({n} sent)")
        self.moved += n

    def device_run(self, n: int) -> tuple[float, float]:
        """Submit + build ``n`` transactions, signed block by block before the timer
        starts for that block: (time in submit + build, time inside build_block)."""
        submit, build_block, size = self.device.submit, self.device.build_block, self.block_size
        first = self.device.nonce("alice")
        elapsed = in_build = 0.0
        for block in range(first, first + n, size):
            txs = self._signed(block, size)  # the client's work, outside the timer
            start = clock()
            for tx in txs:
                submit(tx)
            began = clock()
            build_block()
            done = clock()
            elapsed += done - start
            in_build += done - began
        self._check(first, n)
        return elapsed, in_build

    def sign_run(self, n: int) -> float:
        """Sign + submit + build ``n`` transactions, all inside the timer."""
        sign, submit, build_block = self.alice.sign, self.device.submit, self.device.build_block
        address, size = self.address, self.block_size
        first = self.device.nonce("alice")
        start = clock()
        for block in range(first, first + n, size):
            for nonce in range(block, block + size):
                submit(sign(nonce, address, "move", "a", "b", 1, **TX_FIELDS))  # type: ignore[arg-type]
            build_block()
        elapsed = clock() - start
        self._check(first, n)
        return elapsed

    def warm(self) -> None:
        self.device_run(self.block_size)
        self.sign_run(self.block_size)

    def repetition(self) -> None:
        total, in_build = self.device_run(self.calls)
        self.seconds.append(total)
        self.execute_seconds.append(in_build)
        self.sign_seconds.append(self.sign_run(self.calls))

    def result(self) -> SideResult:
        """The timings, after checking the escrow's final balances."""
        balances = self.device.contract_at(self.address).storage()["balances"]
        if balances.get("a") != START_BALANCE - self.moved or balances.get("b") != self.moved:
            raise AssertionError(f"accord: wrong final balances {balances} after {self.moved}")
        return SideResult(self.calls, self.seconds, self.execute_seconds, self.sign_seconds)


def boa_available() -> bool:
    try:
        import boa  # noqa: F401
    except ImportError:
        return False
    return True


class BoaBench:
    """The titanoboa side: ``benchmarks/escrow.vy`` loaded, ``move(a, b, 1)`` per call."""

    def __init__(self, calls: int, warmup: int) -> None:
        import boa

        self.calls, self.warmup = calls, warmup
        self.contract: Any = boa.load(str(VYPER_SOURCE))
        self.a = "0x" + "00" * 19 + "0a"
        self.b = "0x" + "00" * 19 + "0b"
        self.contract.deposit(self.a, START_BALANCE)
        self.moved = 0
        self.seconds: list[float] = []

    def run(self, n: int) -> float:
        move, a, b = self.contract.move, self.a, self.b
        start = clock()
        for _ in range(n):
            move(a, b, 1)
        elapsed = clock() - start
        self.moved += n
        return elapsed

    def warm(self) -> None:
        self.run(self.warmup)

    def repetition(self) -> None:
        self.seconds.append(self.run(self.calls))

    def result(self) -> SideResult:
        got_a, got_b = self.contract.balances(self.a), self.contract.balances(self.b)
        if got_a != START_BALANCE - self.moved or got_b != self.moved:
            raise AssertionError(f"titanoboa: wrong final balances a={got_a} b={got_b}")
        return SideResult(self.calls, self.seconds)


def version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=5_000, help="accord calls per repetition")
    p.add_argument(
        "--boa-calls",
        type=int,
        default=None,
        help="titanoboa calls per repetition (default: min(--calls, 50): py-evm is slow, "
        "and a repetition then lasts about as long as accord's)",
    )
    p.add_argument("--repeats", type=int, default=50, help="repetitions; the best one counts")
    p.add_argument("--block-size", type=int, default=1_000, help="transactions per block")
    p.add_argument("--no-titanoboa", action="store_true", help="skip titanoboa (report null)")
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: time.perf_counter; cpu: time.thread_time (this thread's CPU time)",
    )
    p.add_argument("--json", action="store_true", help="print only a JSON line")
    args = p.parse_args(argv)
    if args.calls <= 0 or args.repeats <= 0 or args.block_size <= 0:
        p.error("--calls, --repeats and --block-size must be positive")
    args.block_size = min(args.block_size, args.calls)
    if args.calls % args.block_size:
        p.error("--calls must be a multiple of --block-size")
    if args.boa_calls is None:
        args.boa_calls = min(args.calls, 50)
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    global clock
    args = parse_args(argv)
    clock = CLOCKS[args.clock]
    accord_bench = AccordBench(args.calls, args.block_size)
    boa_bench = None
    if not args.no_titanoboa and boa_available():
        boa_bench = BoaBench(args.boa_calls, min(200, args.boa_calls))
    # Interleaved repetitions (accord, titanoboa, accord, ...): on a shared machine the
    # load changes over time, and alternating keeps it from favouring either side.
    sides: list[AccordBench | BoaBench] = [accord_bench]
    if boa_bench is not None:
        sides.append(boa_bench)
    for side in sides:
        side.warm()
    for _ in range(args.repeats):
        for side in sides:
            side.repetition()
    accord = accord_bench.result()
    boa = boa_bench.result() if boa_bench is not None else None
    assert accord.execute_seconds is not None and accord.sign_seconds is not None
    execute_per_s = accord.calls / min(accord.execute_seconds)
    sign_per_s = accord.calls / min(accord.sign_seconds)

    def ratio_of(per_s: float) -> float | None:
        return round(per_s / boa.calls_per_s, 2) if boa else None

    ratio = ratio_of(accord.calls_per_s)
    report: dict[str, Any] = {
        "benchmark": "escrow move(a, b, 1)",
        "accord_calls_per_s": round(accord.calls_per_s, 1),
        "titanoboa_calls_per_s": round(boa.calls_per_s, 1) if boa else None,
        "ratio_vs_titanoboa": ratio,
        "accord_sign_submit_build_calls_per_s": round(sign_per_s, 1),
        "ratio_sign_submit_build_vs_titanoboa": ratio_of(sign_per_s),
        "accord_execute_calls_per_s": round(execute_per_s, 1),
        "ratio_execute_vs_titanoboa": ratio_of(execute_per_s),
        "timed": "accord: Device.submit + Device.build_block of client-signed transactions",
        "clock": args.clock,
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio >= GOAL_RATIO if ratio is not None else None,
        "calls": args.calls,
        "titanoboa_calls": boa.calls if boa else None,
        "repeats": args.repeats,
        "block_size": args.block_size,
        "accord_seconds": [round(s, 4) for s in accord.seconds],
        "accord_sign_submit_build_seconds": [round(s, 4) for s in accord.sign_seconds],
        "accord_execute_seconds": [round(s, 4) for s in accord.execute_seconds],
        "titanoboa_seconds": [round(s, 4) for s in boa.seconds] if boa else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "titanoboa_version": version("titanoboa"),
        "vyper_version": version("vyper"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    if args.json:
        print(json.dumps(report, sort_keys=False))
    else:
        print_table(report, accord, boa)
    return report


def print_table(report: dict[str, Any], accord: SideResult, boa: SideResult | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{report['benchmark']}: best of {report['repeats']}")
    table.add_column("engine")
    table.add_column("calls / rep", justify="right")
    table.add_column("best s", justify="right")
    table.add_column("calls/s", justify="right")
    table.add_column("what is timed")
    table.add_row(
        "accord",
        f"{accord.calls:,}",
        f"{accord.best:.3f}",
        f"{accord.calls_per_s:,.0f}",
        f"submit + build, pre-signed ({report['block_size']:,} txs/block)",
    )
    if boa is not None:
        table.add_row(
            f"titanoboa {report['titanoboa_version']}",
            f"{boa.calls:,}",
            f"{boa.best:.3f}",
            f"{boa.calls_per_s:,.0f}",
            "contract.move(a, b, 1)",
        )
    else:
        table.add_row("titanoboa", "-", "-", "-", "not installed or skipped")
    console = Console()
    console.print(table)
    ratio = report["ratio_vs_titanoboa"]
    if ratio is not None:
        verdict = "[green]met[/]" if report["goal_met"] else "[red]not met[/]"
        console.print(
            f"ratio accord / titanoboa: {ratio:.1f}x (goal >= {GOAL_RATIO:.0f}x: {verdict})"
        )
    for key, what in (
        ("sign_submit_build", "client signing + submit + build"),
        ("execute", "inside build_block alone"),
    ):
        other = report[f"ratio_{key}_vs_titanoboa"]
        console.print(
            f"accord {what}: {report[f'accord_{key}_calls_per_s']:,.0f} calls/s"
            + (f", {other:.1f}x" if other is not None else "")
        )
    console.print(f"Python {report['python']}, {report['cpus']} CPUs")


if __name__ == "__main__":
    main()
