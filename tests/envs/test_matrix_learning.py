"""Issue 14's must-hold, with fixed seeds: in the prisoner's dilemma and the stag hunt the
baseline learners reach >= 95% of the optimal welfare with contracts and do not without;
and the two-stage protocol learns to propose and accept the contract that gets there.

Settings: two players, 10 rounds an episode, the default menu θ = 100..500 base units
(1..5 points), stateless independent Q-learners (sample-average steps, γ = 0), ε falling
linearly from 1 to 0 over the first half of training, greedy evaluation. Seeds 0-4 for the
baseline, 0-2 for the two-stage protocol; nothing here is tuned per seed.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from accord.agents.dilemmas import planner_choice
from accord.agents.learning.two_stage import evaluate_negotiated, two_stage
from accord.envs import matrix_dilemma_v0
from accord.envs.learners import Discretiser, QLearner, evaluate, linear_decay, train
from accord.mechanisms.dilemmas import optimal_welfare, theta_dominant

EPISODES = 60


def learned_welfare(game: str, contract: int, seed: int) -> float:
    """Welfare per round of greedy play after training, as a share of the optimum."""
    env = matrix_dilemma_v0.parallel_env(game=game, rounds=10)
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
    greedy = {a: q.greedy for a, q in learners.items()}
    mean = evaluate(env, greedy, episodes=1, seed=seed, options=options)
    return sum(mean.values()) / float(optimal_welfare(env.game))


def planners_entry(game: str) -> int:
    env = matrix_dilemma_v0.parallel_env(game=game)
    menu = [None, *(Fraction(t, env.params.unit) for t in env.params.thetas)]
    return planner_choice(env.game, menu)


@pytest.mark.parametrize(
    ("game", "without", "entry"),
    [("prisoners_dilemma", Fraction(1, 3), 3), ("stag_hunt", Fraction(3, 4), 4)],
)
@pytest.mark.parametrize("seed", range(5))
def test_with_contracts_at_least_95_percent_without_not(
    game: str, without: Fraction, entry: int, seed: int
) -> None:
    assert planners_entry(game) == entry  # θ = 300 > T - R = 2; θ = 400 > P - S = 3
    # without a contract: mutual defection (1 of 3 a round) / all-hare (3 of 4 a round)
    assert learned_welfare(game, 0, seed) == pytest.approx(float(without))
    # with the planner's contract: the optimum
    assert learned_welfare(game, entry, seed) == pytest.approx(1.0)


@pytest.mark.parametrize("game", ["prisoners_dilemma", "stag_hunt"])
@pytest.mark.parametrize("seed", range(3))
def test_two_stage_learns_a_contract_that_reaches_the_optimum(game: str, seed: int) -> None:
    env = matrix_dilemma_v0.parallel_env(game=game, rounds=10, negotiate=True)
    one, two = two_stage(env, episodes=120, iterations=1000, seed=seed)
    thresh = theta_dominant(env.game) * env.params.unit  # 200 (PD) / 300 (stag hunt)
    menu = env.contract_menu
    # stage 1's values (10 rounds): the worst equilibrium without a contract, all-C
    # above θ_dom
    uncontracted, cooperative = {"prisoners_dilemma": (10.0, 30.0), "stag_hunt": (30.0, 40.0)}[game]
    for agent in env.possible_agents:
        assert one.values[agent][0] == uncontracted
        for k in range(1, len(menu)):
            entry = menu[k]
            assert entry is not None
            if entry[0] > thresh:
                assert one.values[agent][k] == cooperative
    # stage 2: a contract above the threshold is proposed and accepted; play is optimal
    got = evaluate_negotiated(env, one, two, seed=seed)
    chosen = menu[got.proposal]
    assert chosen is not None and chosen[0] >= thresh
    assert got.accepted and got.contract == got.proposal
    assert got.welfare_per_step / float(optimal_welfare(env.game)) >= 0.95


@pytest.mark.parametrize("seed", range(3))
def test_two_stage_in_chicken_needs_no_contract(seed: int) -> None:
    # the uncontracted learners settle on one driver (5) and one swerver (1): welfare 6
    # is already the optimum; the driver-proposer proposes nothing
    env = matrix_dilemma_v0.parallel_env(game="chicken", rounds=10, negotiate=True)
    one, two = two_stage(env, episodes=120, iterations=1000, seed=seed)
    got = evaluate_negotiated(env, one, two, seed=seed)
    assert sorted(v[0] for v in one.values.values()) == [10.0, 50.0]
    assert got.welfare_per_step == float(optimal_welfare(env.game))


def test_two_stage_is_deterministic() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=3, negotiate=True)
    a = two_stage(env, episodes=30, iterations=200, seed=4)
    b = two_stage(env, episodes=30, iterations=200, seed=4)
    assert a[0].values == b[0].values
    assert np.array_equal(a[1].proposal_values, b[1].proposal_values)


def test_play_learners_use_only_the_play_actions() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=2, negotiate=True)
    assert env.action_space("player_0").n == 6
    one, _ = two_stage(env, episodes=12, iterations=10, seed=0)
    assert {q.n_actions for qs in one.learners.values() for q in qs} == {2}


def test_two_stage_runs_on_the_fishery_env() -> None:
    """The protocol is generic: on fishery_v0 (one quota contract, q = 10, p = 2) it
    trains, values every entry for every fisher and negotiates. With 20 episodes a
    contract the stateless learners only learn to grab: the lake collapses in round 1
    either way (100 tons caught), so the proposer gains nothing and proposes nothing.
    A fishery learner needs the stock in its state and far more episodes."""
    from accord.envs import fishery_v0

    env = fishery_v0.parallel_env(negotiate=True, quotas=(10,), penalties=(2,))
    one, two = two_stage(env, episodes=40, iterations=300, seed=0)
    assert all(len(v) == 2 for v in one.values.values()) and len(one.values) == 5
    assert sum(v[0] for v in one.values.values()) == 100.0  # one round, the whole lake
    got = evaluate_negotiated(env, one, two, seed=0)
    assert got.proposal == 0 and got.welfare_per_step == 100.0
