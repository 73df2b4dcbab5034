"""The two-stage contracting protocol of Haupt, Christoffersen, Damani & Hadfield-Menell
("Formal contracts mitigate social dilemmas in multi-agent RL", AAMAS journal 2024, §5).

Learning to contract and learning to play under a contract at once is hard: a proposal
is only worth what the play it leads to earns, and play under a contract that is never
accepted is never explored. The paper separates the two:

1. **Stage 1: play, conditioned on the contract.** Each episode draws a contract from
   the menu (uniformly; entry 0 is "no contract") and plays it as if every party had
   accepted (``reset(options={"contract": k})``); the policies see the contract, so one
   learner per agent covers the whole menu. Here a policy is tabular, so conditioning
   is exact: each agent keeps one :class:`~accord.agents.learning.tabular.QLearner` per
   menu entry.
2. **Stage 2: propose and accept, from stage 1's values.** With play fixed at stage 1's
   greedy policies, menu entry ``k`` is worth ``V_i(k)`` to agent ``i``: its mean return
   over an episode played under ``k``, estimated by rollouts (per episode, not per step:
   in the fishery a collapse ends the episode early, and a per-step mean would reward
   it). Negotiation is then a one-shot game
   on these values: the proposer picks ``k``, each other party accepts or rejects, and
   every party gets ``V_i(k)`` if all accepted, ``V_i(0)`` if not. Stage 2 learns it with
   independent bandit learners (the proposer's state is empty, a responder's is the
   proposal), ε-greedy from uniform exploration down to greedy.

Accepting is weakly dominant exactly when ``V_i(k) ≥ V_i(0)`` (a rejection by another
makes one's own answer irrelevant), so learned acceptance reproduces the individual
rationality constraint of the planner (:func:`~accord.mechanisms.contracting.best_contract`),
and a proposer who maximises its own value then proposes a contract all accept.

**The common interface** it relies on (every issue-14 env has it): ``possible_agents``,
``contract_menu`` (entry 0: no contract), ``reset(seed=..., options={"contract": k})``,
and, to evaluate the negotiated outcome on an env built with ``negotiate=True``,
``infos[agent]["phase"]`` in ``propose``/``accept``/``play``,
``infos[agent]["action_mask"]`` (the proposer is the one agent with a choice in the
``propose`` phase), and accept = action 1, reject = action 0.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from accord.agents.learning.tabular import QLearner, Schedule, linear_decay

__all__ = [
    "ACCEPT",
    "Negotiated",
    "StageOne",
    "StageTwo",
    "evaluate_negotiated",
    "stage_one",
    "stage_two",
    "two_stage",
]

ACCEPT, REJECT = 1, 0
State = Callable[[np.ndarray], Hashable]


def _stateless(obs: np.ndarray) -> Hashable:
    return ()


@dataclass
class StageOne:
    """Stage 1's outcome: each agent's play learners by menu entry, and the values
    ``values[agent][k]`` (mean return of an episode under entry ``k``, greedy play)."""

    learners: dict[str, list[QLearner]]
    values: dict[str, list[float]]
    episodes: int

    def policy(self, agent: str, k: int) -> Callable[[np.ndarray], int]:
        """Agent ``agent``'s greedy play under menu entry ``k``."""
        return self.learners[agent][k].greedy


@dataclass
class StageTwo:
    """Stage 2's outcome: the proposer, its learned values by menu entry, each
    responder's learned answer by proposal, and the greedy choices."""

    proposer: str
    proposal_values: np.ndarray
    answer_values: dict[str, np.ndarray]

    @property
    def proposal(self) -> int:
        """The menu entry the proposer proposes (lowest index on ties)."""
        return int(np.argmax(self.proposal_values))

    def accepts(self, agent: str, k: int) -> bool:
        """Whether ``agent`` accepts proposal ``k`` (rejects on ties)."""
        return bool(np.argmax(self.answer_values[agent][k]) == ACCEPT)


def _menu_size(env: Any) -> int:
    menu = env.contract_menu
    if len(menu) < 1 or menu[0] is not None:
        raise ValueError("env.contract_menu must start with None (entry 0: no contract)")
    return len(menu)


def _rollout(
    env: Any,
    act: Callable[[str, np.ndarray], int],
    options: Mapping[str, Any] | None,
    seed: int | None,
    learn: Callable[[str, np.ndarray, int, float, np.ndarray, bool], None] | None = None,
) -> dict[str, float]:
    """Play one episode; each agent's total reward over it."""
    obs, _ = env.reset(seed=seed, options=dict(options) if options else None)
    totals = dict.fromkeys(env.possible_agents, 0.0)
    while env.agents:
        actions = {a: act(a, obs[a]) for a in env.agents}
        nxt, rewards, terms, truncs, _ = env.step(actions)
        for a in actions:
            r = float(rewards[a])
            totals[a] += r
            if learn is not None:
                learn(a, obs[a], actions[a], r, nxt[a], bool(terms[a] or truncs[a]))
        obs = nxt
    return totals


def _play_actions(env: Any, seed: int) -> int:
    """How many actions play has: one past the highest the first play step's mask
    allows (an env built with ``negotiate=True`` has more actions, for proposing, than
    play may use), or the whole action space without a mask."""
    agent = env.possible_agents[0]
    _, infos = env.reset(seed=seed, options={"contract": 0})
    mask = infos.get(agent, {}).get("action_mask")
    if mask is None:
        return int(env.action_space(agent).n)
    allowed = np.flatnonzero(np.asarray(mask))
    if allowed.size == 0:
        raise ValueError(f"{agent}'s first play step allows no action")
    return int(allowed.max()) + 1


def stage_one(
    env: Any,
    *,
    episodes: int,
    seed: int,
    state: State = _stateless,
    epsilon: Schedule | None = None,
    eval_episodes: int = 1,
    alpha: float | None = None,
) -> StageOne:
    """Train contract-conditioned play on contracts drawn uniformly from the menu, then
    estimate each entry's value to each agent by greedy rollouts.

    ``state`` maps an observation to a table key (default: none, a stateless learner per
    contract); ``epsilon`` is the exploration schedule by the number of episodes a
    contract has been played (default: from 1 down to 0 over the first half of its
    expected share ``episodes / len(menu)``).
    """
    if episodes < 1 or eval_episodes < 1:
        raise ValueError(
            f"episodes and eval_episodes must be >= 1, got {episodes}, {eval_episodes}"
        )
    size = _menu_size(env)
    rng = np.random.default_rng(seed)
    agents = list(env.possible_agents)
    actions = _play_actions(env, seed)
    learners = {
        a: [
            QLearner(actions, state, np.random.default_rng([seed, i, k]), alpha=alpha)
            for k in range(size)
        ]
        for i, a in enumerate(agents)
    }
    schedule = epsilon or linear_decay(1.0, 0.0, max(1, episodes // (2 * size)))
    played = [0] * size
    for episode in range(episodes):
        k = int(rng.integers(size))
        for a in agents:
            learners[a][k].epsilon = schedule(played[k])
        played[k] += 1

        def act(agent: str, obs: np.ndarray, k: int = k) -> int:
            return learners[agent][k].act(obs)

        def learn(
            agent: str,
            obs: np.ndarray,
            action: int,
            r: float,
            nxt: np.ndarray,
            done: bool,
            k: int = k,
        ) -> None:
            learners[agent][k].update(obs, action, r, nxt, done)

        _rollout(env, act, {"contract": k}, seed if episode == 0 else None, learn)
    values: dict[str, list[float]] = {a: [] for a in agents}
    for k in range(size):

        def greedy(agent: str, obs: np.ndarray, k: int = k) -> int:
            return learners[agent][k].greedy(obs)

        totals = dict.fromkeys(agents, 0.0)
        for e in range(eval_episodes):
            got = _rollout(env, greedy, {"contract": k}, seed + 1 if e == 0 else None)
            for a in agents:
                totals[a] += got[a]
        for a in agents:
            values[a].append(totals[a] / eval_episodes)
    return StageOne(learners, values, episodes)


def stage_two(
    values: Mapping[str, list[float]],
    proposer: str,
    *,
    iterations: int,
    seed: int,
) -> StageTwo:
    """Learn to propose and to accept from stage 1's ``values`` (module docstring).

    Independent ε-greedy bandit learners with sample-average values, ε falling linearly
    from 1 to 0 over the first half of the iterations.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    agents = list(values)
    if proposer not in values:
        raise ValueError(f"proposer {proposer!r} is not one of {agents}")
    size = len(values[proposer])
    if size < 1 or any(len(v) != size for v in values.values()):
        raise ValueError("values must give every agent one value per menu entry")
    rng = np.random.default_rng(seed)
    responders = [a for a in agents if a != proposer]
    v = {a: np.asarray(values[a], dtype=float) for a in agents}
    q_prop, n_prop = np.zeros(size), np.zeros(size)
    q_ans = {a: np.zeros((size, 2)) for a in responders}
    n_ans = {a: np.zeros((size, 2)) for a in responders}
    schedule = linear_decay(1.0, 0.0, max(1, iterations // 2))
    for t in range(iterations):
        eps = schedule(t)
        k = int(rng.integers(size)) if rng.random() < eps else int(np.argmax(q_prop))
        answers = {}
        for a in responders:
            answers[a] = int(rng.integers(2)) if rng.random() < eps else int(np.argmax(q_ans[a][k]))
        agreed = k != 0 and all(x == ACCEPT for x in answers.values())
        outcome = k if agreed else 0
        n_prop[k] += 1
        q_prop[k] += (v[proposer][outcome] - q_prop[k]) / n_prop[k]
        for a in responders:
            x = answers[a]
            n_ans[a][k, x] += 1
            q_ans[a][k, x] += (v[a][outcome] - q_ans[a][k, x]) / n_ans[a][k, x]
    return StageTwo(proposer, q_prop, q_ans)


@dataclass(frozen=True)
class Negotiated:
    """One negotiated episode: the proposal, whether all accepted, the contract in force
    (menu index), and the welfare per play step (rewards summed over the agents)."""

    proposal: int
    accepted: bool
    contract: int
    welfare_per_step: float
    rewards: dict[str, float]


def evaluate_negotiated(env: Any, one: StageOne, two: StageTwo, *, seed: int) -> Negotiated:
    """Play one episode of ``env`` (built with ``negotiate=True``) with the learned
    proposal, answers and play; welfare counts the play steps only."""
    obs, infos = env.reset(seed=seed)
    proposal = 0
    contract = 0
    totals = dict.fromkeys(env.possible_agents, 0.0)
    plays = 0
    accepted = False
    while env.agents:
        phase = infos[env.agents[0]]["phase"]
        actions: dict[str, int] = {}
        for a in env.agents:
            mask = infos[a]["action_mask"]
            if phase == "propose":
                actions[a] = two.proposal if a == two.proposer and mask.sum() > 1 else 0
            elif phase == "accept":
                actions[a] = ACCEPT if a != two.proposer and two.accepts(a, proposal) else REJECT
            else:
                actions[a] = one.policy(a, contract)(obs[a])
        if phase == "propose":
            proposal = actions[two.proposer]
        obs, rewards, _, _, infos = env.step(actions)
        if phase in ("propose", "accept"):  # a unilateral stake is in force at once
            contract = int(infos[env.possible_agents[0]]["contract"] or 0)
            accepted = contract == proposal != 0
        if phase == "play":
            plays += 1
            for a in rewards:
                totals[a] += float(rewards[a])
    welfare = sum(totals.values()) / max(plays, 1)
    return Negotiated(proposal, accepted, contract, welfare, totals)


def two_stage(
    env: Any,
    *,
    episodes: int,
    iterations: int,
    seed: int,
    proposer: str | None = None,
    state: State = _stateless,
) -> tuple[StageOne, StageTwo]:
    """Both stages on ``env`` (contracts set by ``reset`` options): stage 1 for
    ``episodes`` episodes, stage 2 for ``iterations`` negotiations; the proposer is
    ``proposer`` (default: the env's first agent)."""
    one = stage_one(env, episodes=episodes, seed=seed, state=state)
    who = proposer if proposer is not None else env.possible_agents[0]
    two = stage_two(one.values, who, iterations=iterations, seed=seed)
    return one, two
