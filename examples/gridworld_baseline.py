"""The gridworlds' numpy baseline: independent REINFORCE learners with and without a
contract, trained for minutes on 2 cores (docs/social-dilemmas.md, "Gridworlds").

For each env and seed, two runs train from scratch: uncontracted (menu entry 0) and under
one contract (``--contract``, settled on the device every step that moves money). Each
then plays ``--eval`` episodes without learning; the table reports, per episode and
summed over the agents, the contract's feature (cells cleaned, or sparse apples eaten),
the apples eaten (the welfare: transfers sum to 0), the base units moved, and the CPU
seconds the training took.

Usage::

    .venv/bin/python examples/gridworld_baseline.py --env cleanup --seeds 0,1,2
    .venv/bin/python examples/gridworld_baseline.py --env harvest --steps 500 --json
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from accord.agents.learning.policy_gradient import PolicyGradient, evaluate, train
from accord.envs import cleanup_v0, harvest_v0

DEFAULTS: dict[str, dict[str, Any]] = {
    "cleanup": {"module": cleanup_v0, "contract": 3, "feature": "cells cleaned"},
    "harvest": {"module": harvest_v0, "contract": 4, "feature": "sparse apples eaten"},
}


def one_run(
    name: str, contract: int, seed: int, episodes: int, steps: int, evals: int, gamma: float
) -> dict[str, Any]:
    env = DEFAULTS[name]["module"].parallel_env(steps=steps)
    size = env.observation_space("agent_0").shape[0]
    learner = PolicyGradient(
        env.possible_agents,
        size,
        env.action_space("agent_0").n,
        np.random.default_rng(seed),
        gamma=gamma,
    )
    start = time.process_time()
    train(env, learner, episodes=episodes, seed=seed, contracts=(contract,))
    seconds = time.process_time() - start
    log = evaluate(env, learner, episodes=evals, seed=10_000 + seed, contract=contract)
    moved = np.abs(np.array(log.returns) - np.array(log.payoffs)).sum() * env.fields.unit / 2
    return {
        "env": name,
        "contract": contract,
        "theta": None if contract == 0 else env.contract_menu[contract][-1],
        "seed": seed,
        "feature": float(np.mean([f.sum() for f in log.features])),
        "apples": float(np.mean([p.sum() for p in log.payoffs])),
        "moved": float(moved / evals),
        "train_cpu_s": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=("cleanup", "harvest", "both"), default="both")
    parser.add_argument("--episodes", type=int, default=300, help="training episodes")
    parser.add_argument("--steps", type=int, default=200, help="steps per episode")
    parser.add_argument("--eval", type=int, default=10, help="evaluation episodes")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds")
    parser.add_argument("--gamma", type=float, default=0.95)
    parser.add_argument("--contract", type=int, default=None, help="menu entry (default per env)")
    parser.add_argument("--json", action="store_true", help="last stdout line: JSON")
    args = parser.parse_args(argv)
    if args.episodes < 1 or args.steps < 1 or args.eval < 1:
        parser.error("--episodes, --steps and --eval must be >= 1")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be comma-separated ints, got {args.seeds!r}")
    names = ["cleanup", "harvest"] if args.env == "both" else [args.env]
    rows = []
    for name in names:
        contract = args.contract if args.contract is not None else DEFAULTS[name]["contract"]
        for seed in seeds:
            for k in (0, contract):
                row = one_run(name, k, seed, args.episodes, args.steps, args.eval, args.gamma)
                rows.append(row)
                if not args.json:
                    print(
                        f"{name:8s} seed {seed} contract {k} (θ={row['theta']}): "
                        f"{DEFAULTS[name]['feature']} {row['feature']:.1f}, apples "
                        f"{row['apples']:.1f}, base units moved {row['moved']:.0f}, "
                        f"training {row['train_cpu_s']} s CPU",
                        flush=True,
                    )
    if args.json:
        print(json.dumps(rows))
    return rows


if __name__ == "__main__":
    main()
