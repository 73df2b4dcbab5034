"""Env steps per second of issue 14's envs against a plain PettingZoo env of the same size.

Each env (``harvest_v0``, ``cleanup_v0``, ``matrix_dilemma_v0`` and ``fishery_v0``) runs
``--steps`` steps (episodes back to back, resets included) with actions drawn in advance
from a seeded generator among the actions its mask allows, twice: uncontracted (menu
entry 0) and under a contract (menu entry 2 in the gridworlds, 1 in the matrix and
fishery envs; every step's transfers settled on the device through the contracting
driver). The figure compared is
``steps_per_s`` under the contract; ``ratio_vs_reference`` divides it by the reference
env's steps/s (> 1: faster than the reference).

**The reference.** No env shipped inside the installed PettingZoo runs without an extra
dependency (``classic`` and ``butterfly`` need pygame, ``sisl`` is gone, ``mpe`` moved
to ``mpe2``, ``atari`` needs ``multi_agent_ale_py``), so the reference is a minimal plain
``ParallelEnv`` written here to the PettingZoo API without the device, of the same size
as each env: for a gridworld, the same map size, agents, window and actions, apples
that regrow with a constant probability, per-agent moves and windows in the way one
writes a small PettingZoo gridworld (:class:`PlainGrid`); for the matrix and fishery
envs, the same players, observation size and actions, payoffs from a table
(:class:`PlainMatrix`). So the ratio is the price of the device, the contract and the
games' rules over the least a PettingZoo env of that size must do.

Also reported: ``settle_us``, the cost of one settlement on the device (the contracted
run's extra time over the uncontracted one, per settlement sent), ``settled_share`` (the
share of steps that sent one: steps whose transfers are all zero are not sent) and the
gas of a settlement. Timing: the median of ``--repeats`` runs, wall clock or
(``--clock cpu``) process CPU time (on a machine shared with other jobs, prefer
``cpu``); the report records the 1-minute load average before and after the runs
(``load_1min``).

Usage::

    .venv/bin/python benchmarks/bench_envs.py --json   # last stdout line: JSON
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import gymnasium
import numpy as np
from pettingzoo import ParallelEnv

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class PlainGrid(ParallelEnv):  # type: ignore[misc]
    """A plain PettingZoo gridworld of a given size: agents walk, eat apples that regrow
    with a constant probability, and see a window of apples, agents and walls."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "plain_grid",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(self, rows: int, cols: int, agents: int, view: int, actions: int, steps: int):
        self.rows, self.cols, self.view, self.steps = rows, cols, view, steps
        self.possible_agents = [f"agent_{i}" for i in range(agents)]
        size = 3 * (2 * view + 1) ** 2 + 2
        box = gymnasium.spaces.Box(0.0, 1.0, shape=(size,), dtype=np.float32)
        self._obs = dict.fromkeys(self.possible_agents, box)
        self._act = {a: gymnasium.spaces.Discrete(actions) for a in self.possible_agents}
        self.agents: list[str] = []

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._obs[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._act[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        self.rng = np.random.default_rng(seed)
        self.apples = self.rng.random((self.rows, self.cols)) < 0.3
        self.walls = np.zeros((self.rows, self.cols), dtype=bool)
        self.walls[[0, -1], :] = self.walls[:, [0, -1]] = True
        self.apples &= ~self.walls
        self.pos = {a: [1 + i, 1] for i, a in enumerate(self.possible_agents)}
        self.t = 0
        self.agents = list(self.possible_agents)
        return {a: self._observe(a) for a in self.agents}, {a: {} for a in self.agents}

    def _observe(self, agent: str) -> np.ndarray:
        v = self.view
        r, c = self.pos[agent]
        grid = np.zeros((3, self.rows + 2 * v, self.cols + 2 * v), dtype=np.float32)
        grid[2] = 1.0
        grid[0, v:-v, v:-v] = self.apples
        grid[2, v:-v, v:-v] = self.walls
        for other, (orow, ocol) in self.pos.items():
            if other != agent:
                grid[1, orow + v, ocol + v] = 1.0
        window = grid[:, r : r + 2 * v + 1, c : c + 2 * v + 1].ravel()
        where = np.array([r / (self.rows - 1), c / (self.cols - 1)], dtype=np.float32)
        return np.concatenate([window, where])

    def step(self, actions: dict[str, int]) -> Any:
        moves = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
        rewards = {}
        for agent in self.agents:
            a = int(actions[agent])
            dr, dc = moves[a] if a < len(moves) else (0, 0)
            r, c = self.pos[agent][0] + dr, self.pos[agent][1] + dc
            taken = any(p == [r, c] for o, p in self.pos.items() if o != agent)
            if not self.walls[r, c] and not taken:
                self.pos[agent] = [r, c]
            r, c = self.pos[agent]
            rewards[agent] = float(self.apples[r, c])
            self.apples[r, c] = False
        self.apples |= (self.rng.random(self.apples.shape) < 0.02) & ~self.walls
        self.t += 1
        over = self.t >= self.steps
        obs = {a: self._observe(a) for a in self.agents}
        infos: dict[str, dict[str, Any]] = {a: {} for a in self.agents}
        truncs = dict.fromkeys(self.agents, over)
        terms = dict.fromkeys(self.agents, False)
        if over:
            self.agents = []
        return obs, rewards, terms, truncs, infos


class PlainMatrix(ParallelEnv):  # type: ignore[misc]
    """A plain PettingZoo matrix game: each player's payoff from a table of its own move
    and the number of others cooperating; the observation is last round's moves."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "plain_matrix",
        "render_modes": [],
        "is_parallelizable": True,
    }

    def __init__(self, agents: int, obs_size: int, actions: int, steps: int):
        self.possible_agents = [f"player_{i}" for i in range(agents)]
        box = gymnasium.spaces.Box(0.0, 1.0, shape=(obs_size,), dtype=np.float32)
        self._obs = dict.fromkeys(self.possible_agents, box)
        self._act = {a: gymnasium.spaces.Discrete(actions) for a in self.possible_agents}
        self.size, self.steps = obs_size, steps
        self.table = np.arange(2 * agents, dtype=float).reshape(2, agents)
        self.agents: list[str] = []

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._obs[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return self._act[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        self.t = 0
        self.agents = list(self.possible_agents)
        zero = np.zeros(self.size, dtype=np.float32)
        return {a: zero.copy() for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]) -> Any:
        moves = [int(actions[a]) & 1 for a in self.agents]
        coop = len(moves) - sum(moves)
        rewards = {}
        obs = {}
        for i, agent in enumerate(self.agents):
            rewards[agent] = float(self.table[moves[i], coop - (1 - moves[i])])
            v = np.zeros(self.size, dtype=np.float32)
            v[0] = moves[i]
            v[1] = coop / len(moves)
            obs[agent] = v
        self.t += 1
        over = self.t >= self.steps
        infos: dict[str, dict[str, Any]] = {a: {} for a in self.agents}
        truncs = dict.fromkeys(self.agents, over)
        terms = dict.fromkeys(self.agents, False)
        if over:
            self.agents = []
        return obs, rewards, terms, truncs, infos


def run(
    make: Callable[[], Any],
    steps: int,
    seed: int,
    options: dict[str, Any] | None,
    clock: Callable[[], float],
) -> dict[str, float]:
    """Time ``steps`` env steps (resets included) with random valid actions."""
    env = make()
    rng = np.random.default_rng(seed)
    draws = rng.random((steps + 64, len(env.possible_agents)))
    done = 0
    settled = 0
    gas = 0
    episode = 0
    start = clock()
    _, infos = env.reset(seed=seed, options=options)
    while done < steps:
        if not env.agents:
            episode += 1
            _, infos = env.reset(seed=seed + episode, options=options)
        actions = {}
        for i, agent in enumerate(env.agents):
            mask = infos[agent].get("action_mask") if agent in infos else None
            n = int(env.action_space(agent).n)
            valid = np.flatnonzero(mask) if mask is not None else np.arange(n)
            actions[agent] = int(valid[int(draws[done % len(draws), i] * len(valid))])
        _, _, _, _, infos = env.step(actions)
        g = max((int(info.get("gas", 0)) for info in infos.values()), default=0)
        settled += g > 0
        gas += g
        done += 1
    elapsed = clock() - start
    return {"seconds": elapsed, "settled": settled, "gas": gas}


def median_run(
    make: Callable[[], Any],
    steps: int,
    repeats: int,
    options: dict[str, Any] | None,
    clock: Callable[[], float],
) -> dict[str, float]:
    runs = [run(make, steps, 0, options, clock) for _ in range(repeats)]
    out = dict(runs[0])
    out["seconds"] = statistics.median(r["seconds"] for r in runs)
    return out


UNILATERAL: dict[str, Any] = {"contract_kind": "unilateral"}
"""The matrix env's unilateral variant (player 0 stakes θ on its own defection): timed as
its own row, ``matrix_dilemma_v0_unilateral``."""


def targets(episode: int) -> dict[str, dict[str, Any]]:
    """Each env: its factory, its contracted menu entry, and its reference's factory."""
    from accord.envs import cleanup_v0, harvest_v0

    out: dict[str, dict[str, Any]] = {}
    for name, module in (("harvest_v0", harvest_v0), ("cleanup_v0", cleanup_v0)):
        probe = module.parallel_env(steps=episode)
        rows, cols = probe.game.layout.shape
        agents = len(probe.possible_agents)
        view = probe.game.params.view
        actions = probe.game.actions

        def make(m: Any = module) -> Any:
            return m.parallel_env(steps=episode)

        def reference(
            r: int = rows, c: int = cols, n: int = agents, v: int = view, a: int = actions
        ) -> Any:
            return PlainGrid(r, c, n, v, a, episode)

        out[name] = {"make": make, "contract": 2, "reference": reference}
    matrix: dict[str, Any] = {"rounds": episode}
    for name, module_name, base in (
        ("matrix_dilemma_v0", "matrix_dilemma_v0", matrix),
        ("matrix_dilemma_v0_unilateral", "matrix_dilemma_v0", matrix | UNILATERAL),
        ("fishery_v0", "fishery_v0", {}),
    ):
        try:
            module = importlib.import_module(f"accord.envs.{module_name}")
        except ImportError:
            out[name] = {"missing": True}
            continue
        kwargs: dict[str, Any] = dict(base)
        try:
            probe = module.parallel_env(**kwargs)
        except (TypeError, ValueError):
            kwargs = {}
            probe = module.parallel_env()
        agents = len(probe.possible_agents)
        size = int(probe.observation_space(probe.possible_agents[0]).shape[0])
        actions = int(probe.action_space(probe.possible_agents[0]).n)
        contract = 1 if len(getattr(probe, "contract_menu", ())) > 1 else 0

        def make_m(m: Any = module, kw: dict[str, Any] = kwargs) -> Any:
            return m.parallel_env(**kw)

        def reference_m(n: int = agents, s: int = size, a: int = actions) -> Any:
            return PlainMatrix(n, s, a, episode)

        out[name] = {"make": make_m, "contract": contract, "reference": reference_m}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000, help="env steps per timed run")
    parser.add_argument("--episode", type=int, default=200, help="steps per episode")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--json", action="store_true", help="last stdout line: JSON")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.episode < 1 or args.repeats < 1:
        parser.error("--steps, --episode and --repeats must be >= 1")
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    report: dict[str, Any] = {
        "steps": args.steps,
        "episode": args.episode,
        "repeats": args.repeats,
        "clock": args.clock,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_1min": [round(os.getloadavg()[0], 2)],
        "envs": {},
    }
    for name, t in targets(args.episode).items():
        if t.get("missing"):
            report["envs"][name] = {"missing": "not on main yet"}
            continue
        warm = min(args.steps, 50)  # first-call costs (imports, caches) stay out of the runs
        run(t["make"], warm, 0, {"contract": t["contract"]}, clock)
        run(t["reference"], warm, 0, None, clock)
        plain = median_run(t["make"], args.steps, args.repeats, {"contract": 0}, clock)
        signed = median_run(t["make"], args.steps, args.repeats, {"contract": t["contract"]}, clock)
        ref = median_run(t["reference"], args.steps, args.repeats, None, clock)
        sps = args.steps / signed["seconds"]
        ref_sps = args.steps / ref["seconds"]
        settled = int(signed["settled"])
        extra = max(signed["seconds"] - plain["seconds"], 0.0)
        report["envs"][name] = {
            "steps_per_s": round(sps, 1),
            "steps_per_s_uncontracted": round(args.steps / plain["seconds"], 1),
            "reference_steps_per_s": round(ref_sps, 1),
            "ratio_vs_reference": round(sps / ref_sps, 5),
            "ratio_vs_reference_uncontracted": round(args.steps / plain["seconds"] / ref_sps, 5),
            "contract": t["contract"],
            "settled_share": round(settled / args.steps, 4),
            "settle_us": round(extra / settled * 1e6, 1) if settled else None,
            "gas_per_settlement": int(signed["gas"]) // settled if settled else 0,
        }
    report["load_1min"].append(round(os.getloadavg()[0], 2))
    if args.json:
        print(json.dumps(report))
    else:
        for name, row in report["envs"].items():
            print(name, row)
    return report


if __name__ == "__main__":
    main()
