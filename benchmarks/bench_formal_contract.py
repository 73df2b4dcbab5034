"""What one settled step of a formal contract costs: wall time and gas.

Envs settle a contract every step (a gridworld episode has hundreds), through
:class:`accord.games.contracting.Contracting`. This measures ``Contracting.settle`` with
``skip_idle=False`` (every step builds its block: the worst case) for contracts of
``--parties`` parties (default 2, 5, 10) under each signature scheme (MAC and ed25519),
on a prisoner's-dilemma contract whose features draw a defector half the time (seeded),
so that most steps move money. Reported per case: microseconds per settled step (median
of ``--repeats`` runs of ``--steps`` steps), gas used per step (mean); the same steps
settled through :class:`~accord.games.contracting.Deferred` (exact at once, 64 steps a
transaction: ``deferred_*``); and a step that ``skip_idle`` skips (nothing moves: no
block).

Usage::

    .venv/bin/python benchmarks/bench_formal_contract.py --json   # last line: JSON
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from accord.device import AssetSpec, Device, DeviceConfig, Genesis  # noqa: E402
from accord.games.contracting import Contracting  # noqa: E402
from accord.mechanisms.contracting import matrix_space  # noqa: E402

REFEREE = "referee"


def run(parties: int, scheme: str, steps: int, seed: int) -> dict[str, float]:
    """One timed episode of ``steps`` settled steps; returns µs/step and gas/step."""
    names = tuple(f"p{i}" for i in range(parties))
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys((*names, REFEREE), 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys(names, 10**12)),
        }
    )
    device = Device(
        DeviceConfig(signatures=scheme, fee_market="first_price"), genesis, seed=seed, history=2
    )
    driver = Contracting.on(device, REFEREE)
    cid = driver.propose(
        names[0],
        names,
        matrix_space(100),
        (10,),
        asset="USD",
        deposits=10**9,
        observer=REFEREE,
        end=10**9,
    )
    for who in names[1:]:
        driver.respond(who, cid, True)
    rng = np.random.default_rng(seed)
    features = [tuple(int(x) for x in rng.integers(0, 2, parties)) for _ in range(steps)]
    gas = 0
    start = time.perf_counter()
    for step, f in enumerate(features):
        gas += driver.settle(REFEREE, cid, step, f, skip_idle=False).gas_used
    elapsed = time.perf_counter() - start
    idle = (0,) * parties
    t0 = time.perf_counter()
    for step in range(steps, 2 * steps):
        driver.settle(REFEREE, cid, step, idle)
    skipped = time.perf_counter() - t0
    assert sum(driver.transferred(cid)) == 0
    # the same features, deferred: exact at once, sent 64 steps to a transaction
    cid = driver.propose(
        names[0],
        names,
        matrix_space(100),
        (10,),
        asset="USD",
        deposits=10**9,
        observer=REFEREE,
        end=10**9,
    )
    for who in names[1:]:
        driver.respond(who, cid, True)
    deferred = driver.deferred(REFEREE, cid, batch=64)
    t1 = time.perf_counter()
    for step, f in enumerate(features):
        deferred.settle(step, f)
    deferred.flush()
    batched = time.perf_counter() - t1
    return {
        "us_per_step": elapsed / steps * 1e6,
        "gas_per_step": gas / steps,
        "skipped_us_per_step": skipped / steps * 1e6,
        "deferred_us_per_step": batched / steps * 1e6,
        "deferred_gas_per_step": deferred.gas_used / steps,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, nargs="+", default=[2, 5, 10])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cases = []
    for scheme in ("mac", "ed25519"):
        for n in args.parties:
            runs = [run(n, scheme, args.steps, args.seed + r) for r in range(args.repeats)]
            case = {"signatures": scheme, "parties": n}
            for key in runs[0]:
                case[key] = round(statistics.median(r[key] for r in runs), 1)
            cases.append(case)
            if not args.json:
                print(
                    f"{scheme:8} {n:3} parties: {case['us_per_step']:8.1f} µs/step "
                    f"{case['gas_per_step']:9.0f} gas/step; deferred (64 a batch): "
                    f"{case['deferred_us_per_step']:6.1f} µs/step "
                    f"{case['deferred_gas_per_step']:7.0f} gas/step; skipped idle step: "
                    f"{case['skipped_us_per_step']:.1f} µs"
                )
    report = {"bench": "formal_contract", "steps": args.steps, "cases": cases}
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
