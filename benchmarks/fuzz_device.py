"""Fuzz the device with hostile inputs through its public API, checking it after every block.

Each **episode** is a fresh device under a drawn design (ordering rule, mempool
visibility, fee market, builder rights, gas limit, latencies) with two contracts
(``benchmarks.bench_contracts``), the hostile test contracts when they can be deployed
(``tests/device/hostile_contracts.py``), honest senders, hostile senders and zero-balance
spammers. Every block gets a little honest traffic and one batch of one hostile class
(:mod:`benchmarks.fuzz_inputs`); then the block is built and checked:

* **halt**: ``build_block`` raised (anything, ``SystemExit`` included), a block step
  ran past ``--timeout`` seconds, or the device rolled a block back for an internal
  error (it logs it, then seals the block without the item at fault, or empty);
* **invariant break**: conservation or non-negativity (:mod:`accord.device.checks`)
  fails, a balance, lock, supply or base fee is not an ``int``, ``state_hash()`` differs
  from the head's, a refused input changed the mempool, a module a deployer named was
  imported, an honest account lost more than its own transactions could take (someone
  acted for it), or, at the end of the episode, replaying the event log
  (:mod:`accord.device.replay`) raises or ends at another head.

A halt or a break ends its episode (the device is no longer trustworthy). The fuzzer
then **isolates** the input at fault: it re-runs the episode from its seed without a
half of the candidate inputs (those admitted and not yet included), keeps the half that
still fails the same way, and so on (bisection, at most ``--isolate`` times per kind of
failure). Each failure is recorded with its class, the exception and the input's repr,
never raised.

The ``finality`` class (:mod:`benchmarks.fuzz_finality`: commitments on the finality
atoms, on devices that fork) runs after the others, in episodes of its own drawn from a
stream of its own (``--seed`` plus :data:`FINALITY_SEED`), so the other classes' figures
are what they were before it existed; its breaks include a commitment that fired on
information that was not final. It is reported under ``per_class["finality"]`` and ``finality``.

Inputs a submit refused with something other than a ``Rejected`` error (a
``TypeError``...) are counted as ``unclean_refusals``: not a halt (nothing was built),
but a bad error.

Usage (from the repository root)::

    .venv/bin/python benchmarks/fuzz_device.py --json            # >= 1,000,000 inputs
    .venv/bin/python benchmarks/fuzz_device.py --inputs 5000 --seed 3 --json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks`` and ``tests`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import fuzz_finality  # noqa: E402
from benchmarks.fuzz_episode import (  # noqa: E402
    CLASSES,
    Episode,
    Failure,
    draw_params,
)

DEFAULT_INPUTS = 1_000_000
FINALITY_SEED = 0xF1A1_17E5
"""Added to ``--seed`` for the finality class's own random stream."""


def finality_inputs(inputs: int) -> int:
    """The finality class's default size: 3,000 inputs at the default run, fewer at
    small ones (at least 60: ten blocks)."""
    return min(3_000, max(60, inputs // 300))


@dataclass
class Totals:
    """What a run found, over all its episodes."""

    inputs: Counter[str] = field(default_factory=Counter)
    admitted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    unclean: Counter[str] = field(default_factory=Counter)
    halts: Counter[str] = field(default_factory=Counter)
    breaks: Counter[str] = field(default_factory=Counter)
    honest: int = 0
    blocks: int = 0
    episodes: int = 0
    max_block_ms: float = 0.0
    max_block_class: str = ""
    failures: list[dict[str, Any]] = field(default_factory=list)
    unclean_examples: dict[str, str] = field(default_factory=dict)
    isolated: Counter[str] = field(default_factory=Counter)
    designs: Counter[str] = field(default_factory=Counter)


def isolate(episode: Episode, failure: Failure, budget: int) -> dict[str, Any]:
    """Bisect the candidate inputs of ``failure`` down to one that still causes a
    failure of the same kind (a halt, or a break), re-running the episode each time."""
    candidates = list(failure.candidates)
    reruns = 0
    found: Failure | None = None

    def fails(keep: list[int]) -> bool:
        nonlocal reruns, found
        reruns += 1
        again = Episode(episode.params, episode.seed).rerun(episode.actions, failure, set(keep))
        if again is not None and again.halt == failure.halt:
            found = again
            return True
        return False

    if not candidates or not fails(candidates):
        return {"isolated": False, "reruns": reruns}
    while len(candidates) > 1 and reruns < budget:
        half = len(candidates) // 2
        if fails(candidates[:half]):
            candidates = candidates[:half]
        elif fails(candidates[half:]):
            candidates = candidates[half:]
        else:
            break
    out: dict[str, Any] = {"isolated": len(candidates) == 1, "reruns": reruns}
    if len(candidates) == 1 and found is not None:
        out["inputs"] = candidates
        out["isolated_error"] = found.error[:300]
    else:
        out["candidates_left"] = len(candidates)
    return out


def record(totals: Totals, episode: Episode, failure: Failure, args: argparse.Namespace) -> None:
    kind = "halt" if failure.halt else "break"
    (totals.halts if failure.halt else totals.breaks)[failure.cls] += 1
    key = f"{kind}:{failure.signature}"
    entry: dict[str, Any] = {
        "kind": kind,
        "class": failure.cls,
        "signature": failure.signature,
        "error": failure.error[:300],
        "block": failure.block,
        "design": episode.params.label(),
        "episode_seed": episode.seed,
    }
    if failure.stuck is not None:
        entry["stuck"] = failure.stuck
    if totals.isolated[key] < args.isolate and failure.candidates:
        totals.isolated[key] += 1
        found = isolate(episode, failure, budget=24)
        culprits = found.pop("inputs", [])
        entry.update(found)
        entry["inputs"] = [episode.describe(i) for i in culprits[:3]]
        if found.get("isolated"):
            entry["class"] = episode.input_class(culprits[0])
    elif failure.example:
        entry["inputs"] = [failure.example[:300]]
    if len(totals.failures) < args.max_examples:
        totals.failures.append(entry)


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    totals = Totals()
    started, cpu_started = time.perf_counter(), time.process_time()
    # What imported modules or contracts print, and what the device logs about the
    # inputs it drops, must not mix with the report.
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        while sum(totals.inputs.values()) < args.inputs:
            params = draw_params(rng)
            episode = Episode(params, rng.getrandbits(32), timeout=args.timeout)
            totals.episodes += 1
            totals.designs[params.ordering] += 1
            failures = episode.play(
                args.blocks,
                remaining=args.inputs - sum(totals.inputs.values()),
                every_class=args.every_class,
            )
            for name in CLASSES:
                totals.inputs[name] += episode.inputs[name]
                totals.admitted[name] += episode.admitted[name]
                totals.refused[name] += episode.refused[name]
                totals.unclean[name] += episode.unclean[name]
            for name, example in episode.unclean_examples.items():
                totals.unclean_examples.setdefault(name, example)
            totals.honest += episode.honest
            totals.blocks += episode.blocks
            if episode.max_block_ms > totals.max_block_ms:
                totals.max_block_ms, totals.max_block_class = (
                    episode.max_block_ms,
                    episode.max_block_cls,
                )
            for failure in failures:
                record(totals, episode, failure, args)
        # The finality class: episodes of its own, from a stream of its own, after the
        # others (whose draws are then what they were before it existed).
        size = (
            finality_inputs(args.inputs) if args.finality_inputs is None else args.finality_inputs
        )
        fin = fuzz_finality.play(
            random.Random(args.seed + FINALITY_SEED), size, args.blocks, args.timeout
        )
    name = fuzz_finality.CLASS
    totals.inputs[name] += fin.inputs
    totals.admitted[name] += fin.admitted
    totals.refused[name] += fin.refused
    totals.unclean[name] += fin.unclean
    totals.halts[name] += fin.halts
    totals.breaks[name] += fin.breaks - fin.replay_breaks
    totals.breaks["replay"] += fin.replay_breaks
    if fin.max_block_ms > totals.max_block_ms:
        totals.max_block_ms, totals.max_block_class = fin.max_block_ms, name
    for failure in fin.failures:
        if len(totals.failures) < args.max_examples:
            totals.failures.append(failure)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    per_class = {
        name: {
            "inputs": totals.inputs[name],
            "admitted": totals.admitted[name],
            "refused": totals.refused[name],
            "unclean_refusals": totals.unclean[name],
            "halts": totals.halts[name],
            "invariant_breaks": totals.breaks[name],
        }
        for name in (*CLASSES, fuzz_finality.CLASS)
    }
    return {
        "benchmark": "device fuzzer: hostile inputs through the public API",
        "seed": args.seed,
        "inputs_tried": sum(totals.inputs.values()),
        "halts": sum(totals.halts.values()),
        "invariant_breaks": sum(totals.breaks.values()),
        "max_block_ms": round(totals.max_block_ms, 2),
        "max_block_class": totals.max_block_class,
        "replay_breaks": totals.breaks["replay"],
        "unclean_refusals": sum(totals.unclean.values()),
        "per_class": per_class,
        "honest_txs": totals.honest,
        "blocks": totals.blocks,
        "episodes": totals.episodes,
        "orderings": dict(sorted(totals.designs.items())),
        "finality": {
            "episodes": fin.episodes,
            "blocks": fin.blocks,
            "forks": fin.forks,
            "forks_refused": fin.forks_refused,
            "posted": fin.posted,
            "tracked_fired": fin.tracked_fired,
            "replay_breaks": fin.replay_breaks,
            "inputs_by_kind": dict(sorted(fin.kinds.items())),
        },
        "failures": totals.failures,
        "unclean_examples": totals.unclean_examples,
        "elapsed_s": round(elapsed, 2),
        "cpu_s": round(cpu, 2),
        "inputs_per_s": round(sum(totals.inputs.values()) / max(elapsed, 1e-9), 1),
        "python": sys.version.split()[0],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--inputs", type=int, default=DEFAULT_INPUTS, help="hostile inputs to try (at least)"
    )
    p.add_argument("--blocks", type=int, default=30, help="blocks per episode")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per block step")
    p.add_argument("--isolate", type=int, default=2, help="bisections per kind of failure")
    p.add_argument(
        "--every-class",
        action="store_true",
        help="the hostile classes take turns, block by block, instead of being drawn by "
        "weight (small runs then cover every class)",
    )
    p.add_argument(
        "--finality-inputs",
        type=int,
        default=None,
        help="inputs of the finality class (its own episodes; default: inputs / 300, "
        "between 60 and 3,000)",
    )
    p.add_argument("--max-examples", type=int, default=60, help="failures listed in full")
    p.add_argument("--json", action="store_true", help="print only a JSON line")
    args = p.parse_args(argv)
    if args.inputs <= 0 or args.blocks <= 0:
        p.error("--inputs and --blocks must be positive")
    if args.finality_inputs is not None and args.finality_inputs < 0:
        p.error("--finality-inputs must be >= 0")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    previous = signal.getsignal(signal.SIGALRM)
    try:
        report = run(args)
    finally:
        signal.signal(signal.SIGALRM, previous)
    if args.json:
        print(json.dumps(report))
    else:
        print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
