"""docs/rl.md's learning curves: parameter-shared PPO (Stable-Baselines3) in the matrix
dilemmas with and without a contract, over seeds 0-2. The curves evaluate the policy's
sampled actions (8 episodes from a fixed seed every 256 steps), so they show the policy
moving from uniform to sure; the table at the end gives the sampled policy at 4,096.

    python examples/rl_sb3_figures.py            # writes docs/figures/rl-sb3-matrix.png
    python examples/rl_sb3_figures.py fishery    # writes docs/figures/rl-sb3-fishery.png

Needs the rl-sb3 extra. Prints one line per (game, contract, seed) and the table that
docs/rl.md shows; about 5 minutes on two cores (the fishery: about 25).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from accord.agents.learning.sb3 import PPOSettings, train
from accord.envs import fishery_v0, matrix_dilemma_v0

ROUNDS = 5
SEEDS = (0, 1, 2)
SETTINGS = (("prisoners_dilemma", 0), ("prisoners_dilemma", 3), ("stag_hunt", 0), ("stag_hunt", 3))
OUT = Path(__file__).resolve().parents[1] / "docs" / "figures" / "rl-sb3-matrix.png"


def main() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    rows = []
    for game, k in SETTINGS:
        make = lambda game=game: matrix_dilemma_v0.parallel_env(rounds=ROUNDS, game=game)  # noqa: E731
        theta = make().theta(k)
        curves = []
        for seed in SEEDS:
            run = PPOSettings(
                timesteps=4096,
                seed=seed,
                n_steps=32,
                eval_every=256,
                eval_episodes=8,
                eval_greedy=False,
                contract=k,
            )
            result = train(make, run)
            steps = [t for t, _ in result.curve]
            curves.append([e.mean_return / ROUNDS for _, e in result.curve])
            final = result.final
            print(game, k, seed, final.mean_return / ROUNDS, final.action_shares, flush=True)
            rows.append((game, theta, seed, final.mean_return / ROUNDS, final.action_shares[0]))
        ax = axes[SETTINGS.index((game, k)) // 2]
        arr = np.array(curves)
        label = "no contract" if theta is None else f"θ = {theta / 100:g} points"
        ax.plot(steps, arr.mean(axis=0), label=label)
        ax.fill_between(steps, arr.min(axis=0), arr.max(axis=0), alpha=0.2)
        ax.set_title(game.replace("_", " "))
        ax.set_xlabel("training steps (agent-steps)")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("return per agent per round")
    fig.suptitle(
        "One shared PPO policy (SB3), sampled actions, 2 players, seeds 0-2 (band: min-max)"
    )
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")
    print("| game | contract | seed | return per agent per round | cooperation |")
    for game, theta, seed, per_round, coop in rows:
        c = "none" if theta is None else f"θ = {theta / 100:g}"
        print(f"| {game} | {c} | {seed} | {per_round:g} | {coop:.2f} |")


def fishery() -> None:
    """GovSim's lake (5 fishers, 12 rounds), with no contract and with the quota 10 and
    penalty 2 per ton over it: one shared policy, seeds 0-1, 30,720 steps each."""
    k = fishery_v0.parallel_env().contract_menu.index((10, 2))
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for contract, label in ((0, "no contract"), (k, "quota 10, penalty 2 per ton over")):
        curves = []
        for seed in (0, 1):
            run = PPOSettings(
                timesteps=30_720,
                seed=seed,
                n_steps=48,
                eval_every=3_072,
                eval_episodes=2,
                eval_greedy=False,
                contract=contract,
            )
            result = train(lambda: fishery_v0.parallel_env(), run)
            steps = [t for t, _ in result.curve]
            curves.append([e.mean_return for _, e in result.curve])
            print("fishery", label, seed, [round(c, 1) for c in curves[-1]], flush=True)
        arr = np.array(curves)
        ax.plot(steps, arr.mean(axis=0), label=label)
        ax.fill_between(steps, arr.min(axis=0), arr.max(axis=0), alpha=0.2)
    ax.axhline(120, color="grey", linestyle=":", label="sustainable optimum (10 a round)")
    ax.set_xlabel("training steps (agent-steps)")
    ax.set_ylabel("catch per fisher per season")
    ax.set_title("fishery_v0: one shared PPO policy, sampled actions, seeds 0-1", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = OUT.with_name("rl-sb3-fishery.png")
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    fishery() if sys.argv[1:] == ["fishery"] else main()
