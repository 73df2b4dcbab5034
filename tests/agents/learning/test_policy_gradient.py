"""The numpy policy-gradient learners: the update on a closed-form problem, masks, bad
arguments, and the learning effect of contracts in Cleanup and Harvest (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from accord.agents.learning.policy_gradient import (
    Episode,
    PolicyGradient,
    contract_values,
    evaluate,
    train,
)
from accord.envs import cleanup_v0
from accord.envs.gridworld import ASSET


def _bandit_episode(learner: PolicyGradient, x: np.ndarray, pay: np.ndarray) -> Episode:
    """One step: each agent's action from its policy, reward pay[action]."""
    a = learner.act(x)
    r = pay[a]
    masks = np.ones((1, *learner.weights.shape[:2]), dtype=np.int8)
    zeros = np.zeros((1, len(a)))
    return Episode(x[None], a[None], r[None].astype(float), masks, zeros, zeros)


def test_the_policy_moves_towards_the_better_action() -> None:
    """A one-step bandit (reward 1 for action 2, else 0): REINFORCE raises π(2)."""
    learner = PolicyGradient(["a", "b"], 3, 4, np.random.default_rng(0), lr=2.0)
    x = np.ones((2, 3))
    start = learner.probabilities(x)[:, 2].copy()
    pay = np.array([0.0, 0.0, 1.0, 0.0])
    for _ in range(300):
        learner.update(_bandit_episode(learner, x, pay))
    assert np.allclose(start, 0.25)
    assert (learner.probabilities(x)[:, 2] > 0.9).all()


def test_probabilities_and_masks() -> None:
    learner = PolicyGradient(["a"], 2, 3, np.random.default_rng(1))
    learner.weights[0] = [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    x = np.array([[np.log(2.0), 0.0]])
    p = learner.probabilities(x)
    assert p[0] == pytest.approx([0.5, 0.25, 0.25])
    mask = np.array([[0, 1, 1]])
    assert learner.probabilities(x, mask)[0] == pytest.approx([0.0, 0.5, 0.5])
    draws = {int(learner.act(x, mask)[0]) for _ in range(200)}
    assert draws == {1, 2}
    assert int(learner.act(x, greedy=True)[0]) == 0


def test_the_baseline_learns_the_mean_return() -> None:
    learner = PolicyGradient(["a"], 1, 2, np.random.default_rng(2), lr_value=1.0)
    x = np.zeros((1, 1))
    for _ in range(400):
        learner.update(_bandit_episode(learner, x, np.array([3.0, 3.0])))
    assert learner.value[0, -1] == pytest.approx(3.0, rel=1e-3)  # the bias weight


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"agents": []}, "distinct"),
        ({"agents": ["a", "a"]}, "distinct"),
        ({"features": 0}, "features and actions"),
        ({"lr": 0.0}, "lr must"),
        ({"lr_value": float("nan")}, "lr_value must"),
        ({"gamma": 1.5}, "gamma"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"agents": ["a"], "features": 2, "actions": 2}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PolicyGradient(
            args["agents"],  # type: ignore[arg-type]
            args["features"],  # type: ignore[arg-type]
            args["actions"],  # type: ignore[arg-type]
            np.random.default_rng(0),
            **{k: v for k, v in kwargs.items() if k in ("lr", "lr_value", "gamma")},  # type: ignore[arg-type]
        )


def _trained(module: object, contract: int, seed: int, episodes: int) -> tuple[float, float]:
    """Contract features per episode (summed over agents): in the first 10 training
    episodes, and in 5 evaluation episodes after ``episodes`` of training. The river
    fills at the public maps' rate (``waste_rate = 0.5``, five times the small map's
    default), so that there is waste to clean all episode long."""
    env = module.parallel_env(steps=100, waste_rate=0.5)  # type: ignore[attr-defined]
    size = env.observation_space("agent_0").shape[0]
    learner = PolicyGradient(
        env.possible_agents, size, env.action_space("agent_0").n, np.random.default_rng(seed)
    )
    log = train(env, learner, episodes=episodes, seed=seed, contracts=(contract,))
    after = evaluate(env, learner, episodes=5, seed=100 + seed, contract=contract)
    first = float(np.mean([f.sum() for f in log.features[:10]]))
    return first, float(np.mean([f.sum() for f in after.features]))


SEEDS = (0, 1, 2, 3)


def test_contracted_learners_clean_more() -> None:
    """Cleanup (waste_rate 0.5), 2 agents, 100-step episodes, 80 training episodes,
    seeds 0-3: under the contract θ = 200 per cell (0.2 apples' worth, menu entry 3)
    the learners end up cleaning at least 1.8 times as many cells as uncontracted ones
    (pooled over the seeds; on each seed more, and more than at their own start).
    Without a contract cleaning pays the cleaner nothing and stays near where random
    play puts it. (Measured: 26.6, 30.0, 28.4, 26.8 cells an episode against 12.6,
    19.6, 10.8, 9.8.)"""
    plain = [_trained(cleanup_v0, 0, s, 80) for s in SEEDS]
    paid = [_trained(cleanup_v0, 3, s, 80) for s in SEEDS]
    for (_, p_end), (p_start, c_end) in zip(plain, paid, strict=True):
        assert c_end > p_end + 5
        assert c_end > 1.5 * p_start
    assert sum(c for _, c in paid) >= 1.8 * sum(p for _, p in plain)


class _PlayPolicies:
    """The learner's greedy play as the two-stage protocol's ``StageOne.policy`` asks for
    it (the observation already carries the contract in force)."""

    def __init__(self, learner: PolicyGradient, play_mask: np.ndarray) -> None:
        self.learner, self.mask = learner, play_mask

    def policy(self, agent: str, k: int) -> object:
        return lambda obs: self.learner.act_one(agent, obs, self.mask, greedy=True)


def test_the_two_stage_protocol_runs_on_cleanup_and_its_contract_lands_on_the_device() -> None:
    """Stage 1: one policy per agent trained on contracts drawn from the whole menu
    (seed 0); its values per menu entry; stage 2 (the matrix part's bandits) learns to
    propose and answer; the negotiated episode then runs through the env's proposal and
    acceptance steps, and the contract in force on the device is the proposal exactly
    when every responder's stage-1 value of it is at least its value of no contract. The
    river fills at the public maps' rate (waste_rate 0.5): at the small map's default
    hardly an apple grows in 60 steps and every value is within 0.05 of 0."""
    from accord.agents.learning.two_stage import evaluate_negotiated, stage_two

    env = cleanup_v0.parallel_env(steps=60, waste_rate=0.5)
    size = env.observation_space("agent_0").shape[0]
    learner = PolicyGradient(
        env.possible_agents, size, env.action_space("agent_0").n, np.random.default_rng(0)
    )
    menu = tuple(range(len(env.contract_menu)))
    train(env, learner, episodes=40, seed=0, contracts=menu)
    values = contract_values(env, learner, episodes=2, seed=7)
    assert set(values) == {"agent_0", "agent_1"} and all(
        len(v) == len(menu) for v in values.values()
    )
    two = stage_two(values, "agent_0", iterations=400, seed=0)
    negotiating = cleanup_v0.parallel_env(steps=60, waste_rate=0.5, negotiate=True, proposer=0)
    env.reset(seed=0)
    play_mask = env.action_mask("agent_0")
    out = evaluate_negotiated(negotiating, _PlayPolicies(learner, play_mask), two, seed=3)  # type: ignore[arg-type]
    assert out.proposal == two.proposal
    # one responder: accepting is worth v(k), rejecting v(0); the bandit learns which
    p = two.proposal
    wanted = p != 0 and values["agent_1"][p] > values["agent_1"][0]
    assert two.accepts("agent_1", p) == wanted
    assert out.accepted == wanted
    assert out.contract == (p if wanted else 0)
    # on seed 0 the proposer asks for entry 3 (its best value: it cleans more than the
    # other, who would pay) and the responder rejects: no contract, deposits all free
    assert (p, wanted) == (3, False)
    for a in negotiating.possible_agents:
        assert negotiating.device.balance(a, ASSET) == negotiating.fields.deposit
