"""The numpy baseline learns what theory says: when a sandwich pays, and to cooperate
through commitments."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from accord.agents.defi.searchers import best_sandwich
from accord.envs import commitment_pd_v0, defi_routing_v0
from accord.envs.learners import (
    Discretiser,
    QLearner,
    constant,
    evaluate,
    midpoints,
    train,
)
from accord.envs.pd import MENU

TOLERANCES = (10, 50, 100, 300)
BATCH = {"ordering": "batch", "fee_market": "first_price"}


def _searcher(seed: int) -> QLearner:
    # entry 0: a victim is readable; entry 2: its slippage tolerance (one bin per value)
    bins = Discretiser({0: [0.5], 2: midpoints([t / 1e4 for t in TOLERANCES])})
    return QLearner(2, bins, np.random.default_rng(seed), epsilon=0.2)


def _env(device: dict[str, str] | None = None) -> defi_routing_v0.DefiRoutingEnv:
    return defi_routing_v0.parallel_env(
        device=device, actions=("abstain", "sandwich"), tolerances_bps=TOLERANCES
    )


def _sandwich_pays(tolerance_bps: int) -> bool:
    """Theory: the exact best sandwich's profit at reference prices exceeds its gas.

    The victim sells 1% of the input reserve of a pool at the reference price; the
    sandwich is :func:`best_sandwich` on the exact integer curve; its gas is two swaps
    at ``searcher_tip`` per gas (first-price fees), read off one sandwich's receipt.
    """
    env = defi_routing_v0.parallel_env(tokens=2, tolerances_bps=(tolerance_bps,), max_blocks=2)
    env.reset(seed=0)
    pool = env._market_now.pools[0]
    (victim,) = [p for p in env.device.pending_view("searcher_0") if p.tx.sender == "victim_0"]
    asset, amount, min_out = victim.tx.args[0], victim.tx.args[1], victim.tx.args[2]
    i = pool.tokens.index(asset)
    sw = best_sandwich(pool.curve, i, 1 - i, amount, min_out, 10**40)
    assert sw is not None
    _, _, _, _, infos = env.step({"searcher_0": 1})
    gas_usd = -infos["searcher_0"]["delta"]["ETH"] * env.params.fee_price_usd
    # 2 × ~63,430 gas × 300,000 × 1e-9: a swap's events pay 8 gas per byte, and their
    # amounts' encodings grow with the amounts, so the gas varies by a few dozen; each
    # swap also pays its calldata (EIP-2028)
    assert gas_usd == pytest.approx(38.06, rel=2e-3)
    return sw.profit * env.prices[asset] > gas_usd


def test_a_searcher_learns_to_sandwich_exactly_when_the_tolerance_makes_it_pay() -> None:
    learner = _searcher(1)
    train(_env(), {"searcher_0": learner}, episodes=10, seed=3)
    policy = learner.policy()
    assert sorted(policy) == [(1, k) for k in range(len(TOLERANCES))]
    expected = {(1, k): int(_sandwich_pays(t)) for k, t in enumerate(TOLERANCES)}
    assert expected == {(1, 0): 0, (1, 1): 1, (1, 2): 1, (1, 3): 1}  # 10 bps does not pay
    assert policy == expected
    # the learned values are each action's mean reward: abstaining is worth exactly 0
    assert all(row[0] == 0.0 for row in learner.q.values())
    assert learner.q[(1, 0)][1] < 0 < learner.q[(1, 3)][1]
    score = {
        name: evaluate(_env(), {"searcher_0": p}, episodes=4, seed=99)["searcher_0"]
        for name, p in {
            "learned": learner.greedy,
            "always": constant(1),
            "never": constant(0),
        }.items()
    }
    assert score["never"] == 0.0
    assert score["learned"] > score["always"] > 0.0
    # the gap is the loss the learner avoids on 10 bps victims (a quarter of the blocks)
    # (a 10 bps sandwich loses ~$19.84: its ~$37.38 of gas less its token profit)
    assert score["learned"] - score["always"] == pytest.approx(0.25 * 19.84, rel=0.3)


def test_under_the_batch_rule_the_same_searcher_learns_to_stop_sandwiching() -> None:
    learner = _searcher(1)
    train(_env(BATCH), {"searcher_0": learner}, episodes=10, seed=3)
    policy = learner.policy()
    # under priority these two states are the most profitable sandwiches; here they lose
    assert policy[(1, 2)] == 0 and policy[(1, 3)] == 0
    assert learner.q[(1, 2)][1] < 0 and learner.q[(1, 3)][1] < 0
    learned = evaluate(_env(BATCH), {"searcher_0": learner.greedy}, episodes=4, seed=99)
    always = evaluate(_env(BATCH), {"searcher_0": constant(1)}, episodes=4, seed=99)
    priority = evaluate(_env(), {"searcher_0": constant(1)}, episodes=4, seed=99)
    assert learned["searcher_0"] > always["searcher_0"]
    assert always["searcher_0"] < 0.1 * priority["searcher_0"]


def _stateless(n: int, seed: int) -> QLearner:
    return QLearner(n, lambda obs: (), np.random.default_rng(seed), epsilon=0.1)


def test_learners_with_commitments_cooperate_and_without_them_defect() -> None:
    for menu, cooperative in ((MENU, True), (("CooperateBot", "DefectBot"), False)):
        env = commitment_pd_v0.parallel_env(rounds=20, menu=menu)
        learners = {p: _stateless(len(menu), k) for k, p in enumerate(env.possible_agents)}
        train(env, learners, episodes=30, seed=0)
        programs = {menu[learner.greedy(np.zeros(1))] for learner in learners.values()}
        greedy = {p: learner.greedy for p, learner in learners.items()}
        score = evaluate(
            commitment_pd_v0.parallel_env(rounds=20, menu=menu), greedy, episodes=1, seed=5
        )
        if cooperative:  # conditional cooperators: they cooperate and DefectBot cannot exploit
            assert programs <= {"FairBot", "PrudentBot"}
            assert score == {"player_0": 3.0, "player_1": 3.0}
        else:  # the plain dilemma's unique equilibrium
            assert programs == {"DefectBot"}
            assert score == {"player_0": 1.0, "player_1": 1.0}


def test_prudentbot_is_the_best_reply_to_a_random_program_and_an_equilibrium() -> None:
    env = commitment_pd_v0.parallel_env(rounds=25)
    env.reset(seed=0)
    payoff = np.zeros((len(MENU), len(MENU)))
    for i in range(len(MENU)):
        for j in range(len(MENU)):
            move = env.moves(i, j)
            payoff[i, j] = {"CC": 3, "CD": 0, "DC": 5, "DD": 1}["".join(move)]
    prudent = MENU.index("PrudentBot")
    assert int(np.argmax(payoff.mean(axis=1))) == prudent
    assert payoff.mean(axis=1)[prudent] == pytest.approx(13 / 5)
    assert payoff[prudent, prudent] == 3 == payoff[:, prudent].max()


def test_sample_average_q_is_the_mean_reward_and_ties_keep_the_first_action() -> None:
    learner = QLearner(3, lambda obs: int(obs[0]), np.random.default_rng(0), epsilon=0.0)
    assert learner.greedy(np.array([0.0])) == 0
    for r in (1.0, 2.0, 6.0):
        learner.update(np.array([0.0]), 2, r, np.array([0.0]), True)
    assert learner.q[0].tolist() == [0.0, 0.0, 3.0]
    assert learner.greedy(np.array([0.0])) == 2
    discounted = QLearner(
        2, lambda obs: int(obs[0]), np.random.default_rng(0), gamma=0.5, alpha=1.0
    )
    discounted.q[1] = np.array([0.0, 4.0])
    discounted.n[1] = np.zeros(2, dtype=np.int64)
    discounted.update(np.array([0.0]), 0, 1.0, np.array([1.0]), False)
    assert discounted.q[0][0] == 1.0 + 0.5 * 4.0


def test_discretiser_bins_and_bad_input() -> None:
    d = Discretiser({2: midpoints([0.001, 0.005, 0.03]), 0: [0.5]})
    assert d(np.array([1.0, 9.0, 0.005])) == (1, 1)
    assert d(np.array([0.0, 9.0, 0.2])) == (0, 2)
    with pytest.raises(ValueError, match=r"edges\[1\] must be strictly increasing"):
        Discretiser({1: [0.3, 0.2]})
    with pytest.raises(ValueError, match="epsilon"):
        QLearner(2, lambda obs: (), np.random.default_rng(0), epsilon=1.5)
