"""The tables of docs/social-dilemmas.md, "Matrix dilemmas" and "Learning": the closed-form
thresholds, what scripted and learning players reach with and without contracts.

    python examples/dilemma_tables.py        # about a minute on one core

Two players (four in the public goods game, r = 8/5), 10 rounds, the env's default menu
θ = 100..500 base units (1..5 points at 100 base units a point). Baseline learners:
stateless independent Q-learners, 60 episodes with ε from 1 to 0 over the first 30,
seeds 0-4; the two-stage protocol: 120 stage-1 episodes, 1,000 stage-2 negotiations,
seeds 0-2. It prints Markdown.
"""

from __future__ import annotations

import statistics
from fractions import Fraction

import numpy as np

from accord.agents.dilemmas import planner_choice
from accord.agents.learning.two_stage import evaluate_negotiated, two_stage
from accord.envs import matrix_dilemma_v0
from accord.envs.learners import Discretiser, QLearner, evaluate, linear_decay, train
from accord.mechanisms.dilemmas import (
    equilibria,
    optimal_welfare,
    theta_dominant,
    theta_equilibrium,
)

GAMES: dict[str, dict[str, object]] = {
    "prisoners_dilemma": {},
    "stag_hunt": {},
    "chicken": {},
    "public_goods": {"players": 4, "multiplier": "8/5"},
}
EPISODES = 60


def learned(game: str, extra: dict[str, object], contract: int, seed: int) -> float:
    """Greedy welfare per round after baseline training, as a share of the optimum."""
    env = matrix_dilemma_v0.parallel_env(game=game, rounds=10, **extra)
    learners = {
        a: QLearner(2, Discretiser({}), np.random.default_rng([seed, i]))
        for i, a in enumerate(env.possible_agents)
    }
    options = {"contract": contract}
    train(
        env,
        learners,
        episodes=EPISODES,
        seed=seed,
        epsilon=linear_decay(1.0, 0.0, EPISODES // 2),
        options=lambda episode: options,
    )
    mean = evaluate(
        env, {a: q.greedy for a, q in learners.items()}, episodes=1, seed=seed, options=options
    )
    return sum(mean.values()) / float(optimal_welfare(env.game))


def main() -> None:
    print("| game | θ_eq | θ_dom | equilibria (cooperators) | planner's θ |")
    print("|---|---|---|---|---|")
    entries = {}
    for game, extra in GAMES.items():
        env = matrix_dilemma_v0.parallel_env(game=game, **extra)  # type: ignore[arg-type]
        unit = env.params.unit
        menu = [None, *(Fraction(t, unit) for t in env.params.thetas)]
        k = planner_choice(env.game, menu)
        entries[game] = k
        theta = env.params.thetas[k - 1] if k else "none"
        print(
            f"| {game} | {theta_equilibrium(env.game)} | {theta_dominant(env.game)} "
            f"| {list(equilibria(env.game))} | {theta} |"
        )
    print()
    print("| game | learners, no contract | learners, planner's contract |")
    print("|---|---|---|")
    for game, extra in GAMES.items():
        k = entries[game]
        without = [learned(game, extra, 0, s) for s in range(5)]
        with_ = [learned(game, extra, k, s) for s in range(5)]
        print(
            f"| {game} | {statistics.mean(without):.3f} (min {min(without):.3f}) "
            f"| {statistics.mean(with_):.3f} (min {min(with_):.3f}) |"
        )
    print()
    print("| game | seed | proposed θ | accepted | welfare / optimum |")
    print("|---|---|---|---|---|")
    for game, extra in GAMES.items():
        for seed in range(3):
            env = matrix_dilemma_v0.parallel_env(
                game=game,
                rounds=10,
                negotiate=True,
                **extra,  # type: ignore[arg-type]
            )
            one, two = two_stage(env, episodes=120, iterations=1000, seed=seed)
            got = evaluate_negotiated(env, one, two, seed=seed)
            entry = env.contract_menu[got.proposal]
            share = got.welfare_per_step / float(optimal_welfare(env.game))
            print(
                f"| {game} | {seed} | {entry[0] if entry else 'none'} | "
                f"{'yes' if got.accepted else 'no'} | {share:.3f} |"
            )


if __name__ == "__main__":
    main()
