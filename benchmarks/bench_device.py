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

* ``calls_per_s_ed25519`` / ``ratio_vs_titanoboa_ed25519``: the headline workload on a
  device that verifies ed25519 signatures (``DeviceConfig.signatures = "ed25519"``)
  instead of MACs; null on a device without that switch. The headline is MAC mode.

Every side is warmed up and timed in short interleaved repetitions of similar length
(accord MAC, accord ed25519, titanoboa, accord MAC, ...), so that a change of load on a
shared machine hits every side alike. Each repetition is timed twice: wall time
(:func:`time.perf_counter`) and CPU time (:func:`time.process_time`, which leaves out the
time spent waiting for a core). The figures are the **median** repetition of each side
(``--stat best`` for the best one); ``--clock`` says which clock the headline figures
use, and the other clock's figures are reported beside them (``*_cpu`` / ``*_wall``).
Both sides are checked for correctness (final balances) before anything is reported.

``hot_path`` says which implementation of the device's hot path ran: ``"compiled"``
(the mypyc build, :mod:`accord.device.accelerator`) or ``"pure"`` (``ACCORD_PURE_PYTHON=1``,
or an install without a C compiler); ``compiled_modules`` lists each module's state.

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
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from accord.device import (  # noqa: E402
    AssetSpec,
    Device,
    DeviceConfig,
    Genesis,
    Transaction,
    accelerator,
)
from benchmarks.bench_contracts import Escrow  # noqa: E402

VYPER_SOURCE = Path(__file__).resolve().parent / "escrow.vy"
GOAL_RATIO = 100.0
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
"""The two clocks every repetition reads."""
STATS: dict[str, Callable[[list[float]], float]] = {"median": statistics.median, "best": min}
START_BALANCE = 10**18
GAS_LIMIT = 100_000
MAX_FEE = 10_000
TX_FIELDS = {"gas_limit": GAS_LIMIT, "max_fee": MAX_FEE, "priority_fee": 1}


@dataclass(frozen=True, slots=True)
class SideResult:
    """One side's timings: calls per repetition, seconds per repetition by clock."""

    calls: int
    seconds: dict[str, list[float]]
    """Per clock (``wall``, ``cpu``), each repetition's seconds."""
    execute_seconds: dict[str, list[float]] | None = None
    """accord only: the part of each repetition spent building blocks (execution)."""
    sign_seconds: dict[str, list[float]] | None = None
    """accord only: each repetition of a separate run with signing inside the loop."""

    def calls_per_s(self, clock: str, stat: str, which: str = "seconds") -> float:
        timings: dict[str, list[float]] | None = getattr(self, which)
        assert timings is not None
        return self.calls / STATS[stat](timings[clock])


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _add(into: dict[str, float], start: tuple[float, float], end: tuple[float, float]) -> None:
    into["wall"] += end[0] - start[0]
    into["cpu"] += end[1] - start[1]


class AccordBench:
    """The accord side: a device with the escrow deployed, run one repetition at a time."""

    def __init__(
        self, calls: int, block_size: int, signatures: str | None = None, sign_runs: bool = True
    ) -> None:
        if calls % block_size:
            raise SystemExit(f"--calls ({calls}) must be a multiple of --block-size ({block_size})")
        self.calls, self.block_size, self.sign_runs = calls, block_size, sign_runs
        extra: dict[str, Any] = {}
        if signatures is not None:
            extra["signatures"] = signatures
        config = DeviceConfig(
            block_gas_limit=block_size * GAS_LIMIT, initial_base_fee=1_000, **extra
        )
        genesis = Genesis(
            assets={"ETH": AssetSpec(issuer="treasury", alloc={"alice": 10**30})},
            contract_modules=("accord.contracts", "benchmarks"),
        )
        self.device = device = Device(config, genesis, history=1)
        self.alice = alice = device.account("alice")
        self.address = device.deploy(alice, Escrow)
        receipt = device.call(alice, self.address, "deposit", "a", START_BALANCE)
        assert receipt.ok, receipt.error
        self.moved = 0
        self.seconds: dict[str, list[float]] = {"wall": [], "cpu": []}
        self.execute_seconds: dict[str, list[float]] = {"wall": [], "cpu": []}
        self.sign_seconds: dict[str, list[float]] = {"wall": [], "cpu": []}

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

    def device_run(self, n: int) -> tuple[dict[str, float], dict[str, float]]:
        """Submit + build ``n`` transactions, signed block by block before the timer
        starts for that block: (time in submit + build, time inside build_block), by
        clock."""
        submit, build_block, size = self.device.submit, self.device.build_block, self.block_size
        first = self.device.nonce("alice")
        elapsed = {"wall": 0.0, "cpu": 0.0}
        in_build = {"wall": 0.0, "cpu": 0.0}
        for block in range(first, first + n, size):
            txs = self._signed(block, size)  # the client's work, outside the timer
            start = _clocks()
            for tx in txs:
                submit(tx)
            began = _clocks()
            build_block()
            done = _clocks()
            _add(elapsed, start, done)
            _add(in_build, began, done)
        self._check(first, n)
        return elapsed, in_build

    def sign_run(self, n: int) -> dict[str, float]:
        """Sign + submit + build ``n`` transactions, all inside the timer."""
        sign, submit, build_block = self.alice.sign, self.device.submit, self.device.build_block
        address, size = self.address, self.block_size
        first = self.device.nonce("alice")
        elapsed = {"wall": 0.0, "cpu": 0.0}
        start = _clocks()
        for block in range(first, first + n, size):
            for nonce in range(block, block + size):
                submit(sign(nonce, address, "move", "a", "b", 1, **TX_FIELDS))  # type: ignore[arg-type]
            build_block()
        _add(elapsed, start, _clocks())
        self._check(first, n)
        return elapsed

    def warm(self) -> None:
        self.device_run(self.block_size)
        if self.sign_runs:
            self.sign_run(self.block_size)

    def repetition(self) -> None:
        total, in_build = self.device_run(self.calls)
        for clock in CLOCKS:
            self.seconds[clock].append(total[clock])
            self.execute_seconds[clock].append(in_build[clock])
        if self.sign_runs:  # a separate run, with the client's signing timed too
            signing = self.sign_run(self.calls)
            for clock in CLOCKS:
                self.sign_seconds[clock].append(signing[clock])

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
        self.seconds: dict[str, list[float]] = {"wall": [], "cpu": []}

    def run(self, n: int) -> dict[str, float]:
        move, a, b = self.contract.move, self.a, self.b
        elapsed = {"wall": 0.0, "cpu": 0.0}
        start = _clocks()
        for _ in range(n):
            move(a, b, 1)
        _add(elapsed, start, _clocks())
        self.moved += n
        return elapsed

    def warm(self) -> None:
        self.run(self.warmup)

    def repetition(self) -> None:
        elapsed = self.run(self.calls)
        for clock in CLOCKS:
            self.seconds[clock].append(elapsed[clock])

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
    p.add_argument(
        "--repeats", type=int, default=21, help="repetitions; the median one counts (--stat)"
    )
    p.add_argument("--block-size", type=int, default=1_000, help="transactions per block")
    p.add_argument("--no-titanoboa", action="store_true", help="skip titanoboa (report null)")
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="the headline's clock (both are reported): wall, time.perf_counter; "
        "cpu, time.process_time (this process's CPU time)",
    )
    p.add_argument(
        "--stat",
        choices=sorted(STATS),
        default="median",
        help="which repetition counts: the median (default) or the best",
    )
    p.add_argument(
        "--ed25519-calls",
        type=int,
        default=None,
        help="calls per repetition on the ed25519 device (default: min(--calls, 1,000): "
        "verifying costs ~20x a MAC, and a repetition then lasts about as long as the "
        "others)",
    )
    p.add_argument(
        "--no-ed25519", action="store_true", help="skip the ed25519 device (report null)"
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
    if args.ed25519_calls is None:
        args.ed25519_calls = min(args.calls, 1_000)
    if args.ed25519_calls <= 0 or args.ed25519_calls % min(args.block_size, args.ed25519_calls):
        p.error("--ed25519-calls must be positive and a multiple of the block size")
    return args


def ed25519_available() -> bool:
    """Whether this device can verify ed25519 signatures (``DeviceConfig.signatures``)."""
    return "signatures" in DeviceConfig.model_fields


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    clock, other, stat = args.clock, "cpu" if args.clock == "wall" else "wall", args.stat
    mac = "mac" if ed25519_available() else None
    accord_bench = AccordBench(args.calls, args.block_size, mac)
    ed_bench = None
    if not args.no_ed25519 and ed25519_available():
        # Only the headline's run: ed25519 signing is the client's work, and slow.
        ed_calls = args.ed25519_calls
        ed_bench = AccordBench(ed_calls, min(args.block_size, ed_calls), "ed25519", sign_runs=False)
    boa_bench = None
    if not args.no_titanoboa and boa_available():
        boa_bench = BoaBench(args.boa_calls, min(200, args.boa_calls))
    # Interleaved repetitions (accord, accord ed25519, titanoboa, accord, ...): on a
    # shared machine the load changes over time, and alternating keeps it from favouring
    # any side.
    sides: list[AccordBench | BoaBench] = [accord_bench]
    if ed_bench is not None:
        sides.append(ed_bench)
    if boa_bench is not None:
        sides.append(boa_bench)
    for side in sides:
        side.warm()
    for _ in range(args.repeats):
        for side in sides:
            side.repetition()
    accord = accord_bench.result()
    ed = ed_bench.result() if ed_bench is not None else None
    boa = boa_bench.result() if boa_bench is not None else None

    def per_s(side: SideResult | None, on: str = clock, which: str = "seconds") -> float | None:
        return round(side.calls_per_s(on, stat, which), 1) if side is not None else None

    def ratio_of(figure: float | None, on: str = clock) -> float | None:
        if boa is None or figure is None:
            return None
        return round(figure / boa.calls_per_s(on, stat), 2)

    def seconds(side: SideResult | None, on: str, which: str = "seconds") -> list[float] | None:
        if side is None:
            return None
        timings: dict[str, list[float]] = getattr(side, which)
        return [round(t, 4) for t in timings[on]]

    headline = per_s(accord)
    ratio = ratio_of(headline)
    sign_per_s = per_s(accord, which="sign_seconds")
    execute_per_s = per_s(accord, which="execute_seconds")
    ed_per_s = per_s(ed)
    report: dict[str, Any] = {
        "benchmark": "escrow move(a, b, 1)",
        "accord_calls_per_s": headline,
        "titanoboa_calls_per_s": per_s(boa),
        "ratio_vs_titanoboa": ratio,
        "signatures": "mac",
        "calls_per_s_ed25519": ed_per_s,
        "ratio_vs_titanoboa_ed25519": ratio_of(ed_per_s),
        "accord_sign_submit_build_calls_per_s": sign_per_s,
        "ratio_sign_submit_build_vs_titanoboa": ratio_of(sign_per_s),
        "accord_execute_calls_per_s": execute_per_s,
        "ratio_execute_vs_titanoboa": ratio_of(execute_per_s),
        f"accord_calls_per_s_{other}": per_s(accord, other),
        f"titanoboa_calls_per_s_{other}": per_s(boa, other),
        f"ratio_vs_titanoboa_{other}": ratio_of(per_s(accord, other), other),
        f"calls_per_s_ed25519_{other}": per_s(ed, other),
        f"ratio_vs_titanoboa_ed25519_{other}": ratio_of(per_s(ed, other), other),
        "timed": "accord: Device.submit + Device.build_block of client-signed transactions",
        # Which implementation of the device's hot path ran (accord.device.accelerator):
        # "compiled" (mypyc, the installed build) or "pure" (ACCORD_PURE_PYTHON=1, or no
        # C compiler at install); and each compiled module's state.
        "hot_path": "compiled" if accelerator.compiled() else "pure",
        "compiled_modules": accelerator.compiled_modules(),
        "clock": clock,
        "stat": stat,
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio >= GOAL_RATIO if ratio is not None else None,
        "calls": args.calls,
        "titanoboa_calls": boa.calls if boa else None,
        "ed25519_calls": ed.calls if ed else None,
        "repeats": args.repeats,
        "block_size": args.block_size,
        "accord_seconds": seconds(accord, clock),
        "accord_sign_submit_build_seconds": seconds(accord, clock, "sign_seconds"),
        "accord_execute_seconds": seconds(accord, clock, "execute_seconds"),
        "ed25519_seconds": seconds(ed, clock),
        "titanoboa_seconds": seconds(boa, clock),
        f"accord_seconds_{other}": seconds(accord, other),
        f"ed25519_seconds_{other}": seconds(ed, other),
        f"titanoboa_seconds_{other}": seconds(boa, other),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "titanoboa_version": version("titanoboa"),
        "vyper_version": version("vyper"),
        "cryptography_version": version("cryptography"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    if args.json:
        print(json.dumps(report, sort_keys=False))
    else:
        print_table(report, accord, ed, boa)
    return report


def print_table(
    report: dict[str, Any], accord: SideResult, ed: SideResult | None, boa: SideResult | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    clock, stat = report["clock"], report["stat"]
    other = "cpu" if clock == "wall" else "wall"
    table = Table(title=f"{report['benchmark']}: {stat} of {report['repeats']}, {clock} clock")
    table.add_column("engine")
    table.add_column("calls / rep", justify="right")
    table.add_column(f"{stat} s", justify="right")
    table.add_column("calls/s", justify="right")
    table.add_column(f"calls/s ({other})", justify="right")
    table.add_column("what is timed")
    rows: list[tuple[str, SideResult | None, str]] = [
        (
            "accord (MAC)",
            accord,
            f"submit + build, pre-signed ({report['block_size']:,} txs/block)",
        ),
        ("accord (ed25519)", ed, "the same, ed25519 signatures verified"),
        (f"titanoboa {report['titanoboa_version']}", boa, "contract.move(a, b, 1)"),
    ]
    for name, side, what in rows:
        if side is None:
            table.add_row(name, "-", "-", "-", "-", "not available or skipped")
            continue
        table.add_row(
            name,
            f"{side.calls:,}",
            f"{STATS[stat](side.seconds[clock]):.3f}",
            f"{side.calls_per_s(clock, stat):,.0f}",
            f"{side.calls_per_s(other, stat):,.0f}",
            what,
        )
    console = Console()
    console.print(table)
    ratio = report["ratio_vs_titanoboa"]
    if ratio is not None:
        verdict = "[green]met[/]" if report["goal_met"] else "[red]not met[/]"
        console.print(
            f"ratio accord / titanoboa: {ratio:.1f}x (goal >= {GOAL_RATIO:.0f}x: {verdict}); "
            f"{report[f'ratio_vs_titanoboa_{other}']:.1f}x by {other} time"
        )
    if report["ratio_vs_titanoboa_ed25519"] is not None:
        console.print(f"ratio ed25519 / titanoboa: {report['ratio_vs_titanoboa_ed25519']:.1f}x")
    for key, what in (
        ("sign_submit_build", "client signing + submit + build"),
        ("execute", "inside build_block alone"),
    ):
        ratio_key = report[f"ratio_{key}_vs_titanoboa"]
        console.print(
            f"accord {what}: {report[f'accord_{key}_calls_per_s']:,.0f} calls/s"
            + (f", {ratio_key:.1f}x" if ratio_key is not None else "")
        )
    console.print(
        f"Python {report['python']}, {report['cpus']} CPUs; device hot path: {report['hot_path']}"
    )


if __name__ == "__main__":
    main()
