"""The open node under load, against anvil, side by side (issue 15).

K concurrent clients over loopback submit pre-signed transactions, alternately a plain
transfer and an escrow ``move``, while blocks are produced on a timer; the same
workload runs against **anvil** (``@foundry-rs/anvil`` from npm, started by this
script) through JSON-RPC. Sides and the client are described in
:mod:`benchmarks.node_accord`, :mod:`benchmarks.node_anvil` and
:mod:`benchmarks.node_load`.

* accord: the real ``accord node`` as a subprocess (chain log and mempool journal on
  disk, every acknowledgement after its journal commit), ``accord_sendTransaction``
  with ed25519-signed transactions; blocks every ``--block-ms`` by the node's timer.
* anvil: ``eth_sendRawTransaction`` with EIP-1559 transactions signed by
  ``eth-account``; interval mining (``--block-time``) at the same period.

Two configurations, each timed on both sides in interleaved repetitions (accord,
anvil, accord, ...): ``single`` (one transaction per HTTP request: the headline keys)
and ``batch`` (``--batch`` transactions per JSON-RPC batch request, keys prefixed
``batch_``). Per configuration and side:

* ``tx_per_s``: transactions acknowledged *and* included, over the time from the first
  send to the last inclusion seen: the median repetition;
* ``p50_ms`` / ``p99_ms``: send → acknowledgement (the hash answered) per request, over
  all repetitions (nearest rank); ``include_p50_ms`` / ``include_p99_ms``: send →
  seen in a block, per transaction;
* ``ratio_vs_anvil``: accord's ``tx_per_s`` over anvil's;
* ``cpu_us_per_tx``: CPU time the server process (all threads) used per transaction
  (median repetition, from ``/proc``): unlike wall time it does not grow when other jobs
  share the machine; ``cpu_ratio_vs_anvil`` is anvil's over accord's (above 1: accord
  spends less CPU a transaction). ``tx_per_s_runs`` lists every repetition.

After the runs both sides are checked (every acknowledged transaction included with
success, every nonce, the sink's balance, every escrow balance); a failure stops the
script with the reason, and nothing is reported. Without anvil (``--no-anvil``, or it
cannot be installed) the anvil keys are null and ``anvil_reason`` says why.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_node.py                 # a table
    .venv/bin/python benchmarks/bench_node.py --json          # last stdout line is JSON
    .venv/bin/python benchmarks/bench_node.py --profile node.prof   # accord under cProfile
    .venv/bin/python benchmarks/bench_node.py --py-spy node.txt     # sampled by py-spy
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.node_accord import AccordNode  # noqa: E402
from benchmarks.node_load import (  # noqa: E402
    RunResult,
    percentile,
    process_cpu_seconds,
    run_load,
)

GOAL_RATIO = 20.0
GOAL_P99_MS = 50.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", "-k", type=int, default=16, help="concurrent clients (K)")
    p.add_argument("--txs", type=int, default=250, help="transactions per client per repetition")
    p.add_argument("--batch", type=int, default=50, help="transactions per batch request")
    p.add_argument("--block-ms", type=int, default=100, help="block interval, both sides")
    p.add_argument("--repeats", type=int, default=3, help="repetitions; the median counts")
    p.add_argument("--no-anvil", action="store_true", help="skip anvil (report null)")
    p.add_argument("--no-batch", action="store_true", help="skip the batch configuration")
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="run the accord node under cProfile and write its stats here (slower)",
    )
    p.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        help="sample the accord node with py-spy, raw folded stacks written here (its CPU "
        "figures are then py-spy's own process, not the node's)",
    )
    p.add_argument("--json", action="store_true", help="print only a JSON line")
    args = p.parse_args(argv)
    if min(args.clients, args.txs, args.batch, args.block_ms, args.repeats) <= 0:
        p.error("--clients, --txs, --batch, --block-ms and --repeats must be positive")
    if args.txs % args.batch:
        p.error("--txs must be a multiple of --batch")
    return args


def _run(side: Any, per_client: int, batch: int, mode: str) -> RunResult:
    plans = side.plans(per_client, batch)  # signed before the clock starts
    pid = side.process.pid
    before = process_cpu_seconds(pid)
    result = asyncio.run(run_load(side, "127.0.0.1", side.port, plans, mode=mode))
    after = process_cpu_seconds(pid)
    if before is not None and after is not None:
        result.server_cpu_s = after - before
    return result


def _figures(runs: list[RunResult]) -> dict[str, Any] | None:
    if not runs:
        return None
    acks = [ms for r in runs for ms in r.ack_ms]
    incl = [ms for r in runs for ms in r.include_ms]
    cpu = [r.server_cpu_s / r.txs for r in runs if r.server_cpu_s is not None]
    return {
        "tx_per_s": round(statistics.median(r.tx_per_s for r in runs), 1),
        "tx_per_s_runs": [round(r.tx_per_s, 1) for r in runs],
        "cpu_us_per_tx": round(statistics.median(cpu) * 1e6, 1) if cpu else None,
        "p50_ms": round(percentile(acks, 50), 2),
        "p99_ms": round(percentile(acks, 99), 2),
        "include_p50_ms": round(percentile(incl, 50), 1),
        "include_p99_ms": round(percentile(incl, 99), 1),
        "repaired": sum(r.repaired for r in runs),
        "txs": sum(r.txs for r in runs),
        "requests": sum(r.requests for r in runs),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    anvil_path, anvil_reason = None, "--no-anvil"
    if not args.no_anvil:
        from benchmarks.node_anvil import anvil_binary

        anvil_path, anvil_reason = anvil_binary()
    modes = [("single", 1)] + ([] if args.no_batch else [("batch", args.batch)])
    runs: dict[tuple[str, str], list[RunResult]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-node-") as tmp:
        accord = AccordNode(args.clients, args.block_ms, Path(tmp), max(args.batch, 100))
        sides: list[Any] = [accord]
        try:
            accord.start(profile=args.profile, spy=args.py_spy)
            accord.setup()
            if anvil_path is not None:
                from benchmarks.node_anvil import AnvilNode

                anvil = AnvilNode(anvil_path, args.clients, args.block_ms)
                sides.append(anvil)
                anvil.start()
                anvil.setup()
            for side in sides:  # warm up: connections, caches, the first blocks
                _run(side, 2, 1, "warmup")
            for _ in range(args.repeats):
                for mode, batch in modes:
                    for side in sides:
                        runs.setdefault((side.name, mode), []).append(
                            _run(side, args.txs, batch, mode)
                        )
            for side in sides:
                side.verify()
        finally:
            for side in sides:
                side.stop()
    report: dict[str, Any] = {
        "benchmark": "node: signed transfers and escrow moves, K clients over loopback",
        "K": args.clients,
        "clients": args.clients,
        "txs_per_client": args.txs,
        "batch_size": args.batch,
        "block_ms": args.block_ms,
        "repeats": args.repeats,
        "verified": True,
        "anvil_mining": "evm_mine every block_ms",
        "anvil_version": anvil_reason if anvil_path is not None else None,
        "anvil_reason": None if anvil_path is not None else anvil_reason,
    }
    counts: dict[str, Any] = {}
    for mode, _ in modes:
        prefix = "" if mode == "single" else "batch_"
        ours = _figures(runs.get(("accord", mode), []))
        theirs = _figures(runs.get(("anvil", mode), []))
        assert ours is not None
        keys = ("tx_per_s", "p50_ms", "p99_ms", "include_p50_ms", "include_p99_ms")
        for key in (*keys, "repaired", "tx_per_s_runs", "cpu_us_per_tx"):
            report[prefix + key] = ours[key]
            report[f"anvil_{prefix}{key}"] = None if theirs is None else theirs[key]
        cpu_ours, cpu_theirs = (
            ours["cpu_us_per_tx"],
            None if theirs is None else theirs["cpu_us_per_tx"],
        )
        report[prefix + "cpu_ratio_vs_anvil"] = (
            None if not (cpu_ours and cpu_theirs) else round(float(cpu_theirs) / float(cpu_ours), 3)
        )
        report[prefix + "ratio_vs_anvil"] = (
            None
            if theirs is None
            else round(float(ours["tx_per_s"]) / float(theirs["tx_per_s"]), 3)
        )
        counts[mode] = {
            "accord": {"txs": ours["txs"], "requests": ours["requests"]},
            "anvil": None
            if theirs is None
            else {"txs": theirs["txs"], "requests": theirs["requests"]},
        }
    report["counts"] = counts
    ratio = report["ratio_vs_anvil"]
    report["goal"] = {
        "ratio_vs_anvil": GOAL_RATIO,
        "p99_ms": GOAL_P99_MS,
        "met": None
        if ratio is None
        else bool(ratio >= GOAL_RATIO and report["p99_ms"] <= GOAL_P99_MS),
    }
    report["python"] = platform.python_version()
    report["cpus"] = os.cpu_count()
    report["load_1min"] = round(os.getloadavg()[0], 2)
    if args.profile is not None:
        report["profile"] = str(args.profile)
    if args.py_spy is not None:
        report["py_spy"] = str(args.py_spy)
    if args.json:
        print(json.dumps(report))
    else:
        _table(report, modes)
    return report


def _table(report: dict[str, Any], modes: list[tuple[str, int]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"accord node vs anvil: K={report['K']}, blocks every {report['block_ms']} ms"
    )
    for col in (
        "configuration",
        "side",
        "tx/s",
        "ack p50 ms",
        "ack p99 ms",
        "incl p50 ms",
        "incl p99 ms",
    ):
        table.add_column(col, justify="right" if col not in ("configuration", "side") else "left")
    for mode, batch in modes:
        prefix = "" if mode == "single" else "batch_"
        label = "1 tx / request" if mode == "single" else f"{batch} tx / batch request"
        for side in ("accord", "anvil"):
            pre = prefix if side == "accord" else f"anvil_{prefix}"
            cells = [
                report[pre + k]
                for k in ("tx_per_s", "p50_ms", "p99_ms", "include_p50_ms", "include_p99_ms")
            ]
            table.add_row(label, side, *("-" if c is None else f"{c:,}" for c in cells))
        table.add_row(label, "ratio", str(report[prefix + "ratio_vs_anvil"]), "", "", "", "")
    console = Console()
    console.print(table)
    if report["anvil_reason"]:
        console.print(f"anvil: null ({report['anvil_reason']})")
    goal = report["goal"]
    console.print(
        f"goal ≥ {goal['ratio_vs_anvil']:g}× anvil with p99 ≤ {goal['p99_ms']:g} ms: "
        f"{'met' if goal['met'] else 'not met' if goal['met'] is False else 'not measured'}"
    )


if __name__ == "__main__":
    main()
