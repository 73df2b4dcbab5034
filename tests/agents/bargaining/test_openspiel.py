"""Against OpenSpiel itself: the same instances, actions, legal moves and returns.

Needs ``pyspiel`` (``pip install 'accord[openspiel]'``); ``.[dev]`` installs it, so CI runs
these checks (a lighter install without it skips them). The other tests check the same
mapping against OpenSpiel's rules re-implemented (``test_sao.py``).
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

pyspiel = pytest.importorskip("pyspiel")

from accord.agents.bargaining import NEGOTIATORS, openspiel_actions, run_negotiation  # noqa: E402
from accord.envs import bargaining_v0  # noqa: E402
from accord.mechanisms.bargaining.deal_or_no_deal import Instance, read_instances  # noqa: E402

GAME = pyspiel.load_game("bargaining")
INSTANCES = read_instances()


def _instance(state: object) -> Instance:
    """The instance OpenSpiel's state shows (``Pool: Book: 1, Hat: 2, Basketball: 3`` ...)."""
    rows = [list(map(int, re.findall(r": (\d+)", line))) for line in str(state).splitlines()[:3]]
    pool, v0, v1 = (tuple(r) for r in rows)
    return Instance(pool, (v0, v1))  # type: ignore[arg-type]


def _start(k: int) -> object:
    state = GAME.new_initial_state()
    state.apply_action(k)
    return state


def test_openspiel_loads_the_same_1000_instances_in_the_same_order() -> None:
    assert GAME.num_distinct_actions() == 121
    assert [_instance(_start(k)) for k in range(1000)] == list(INSTANCES)


def test_negotiations_replay_in_openspiel_with_the_same_returns() -> None:
    pairs = list(itertools.product(NEGOTIATORS, repeat=2))
    for k in range(0, 1000, 20):
        for a, b in pairs:
            r = run_negotiation(INSTANCES[k], [NEGOTIATORS[a](), NEGOTIATORS[b]()], n_steps=9)
            state = _start(k)
            for action in openspiel_actions(r):
                assert action in state.legal_actions(), (k, a, b, action)
                state.apply_action(action)
            if r.agreement is None:  # OpenSpiel needs its 10th offer to end: any legal one
                assert r.steps == 9 and not state.is_terminal()
                state.apply_action(state.legal_actions()[0])
            assert state.is_terminal()
            assert tuple(state.returns()) == r.utilities


def test_the_env_follows_openspiel_move_by_move() -> None:
    env = bargaining_v0.parallel_env()
    rng = np.random.default_rng(0)
    for episode in range(60):
        k = int(rng.integers(1000))
        obs, _ = env.reset(seed=episode, options={"instance": k})
        state = _start(k)
        rewards: dict[str, float] = {}
        while env.agents:
            mover = f"player_{state.current_player()}"
            mask = obs[mover]["action_mask"]
            assert sorted(np.flatnonzero(mask).tolist()) == sorted(state.legal_actions())
            action = int(rng.choice(np.flatnonzero(mask)))
            if action != 120 and rng.random() < 0.2:
                action = 120 if mask[120] else action  # agree more often than uniformly
            obs, rewards, _, _, _ = env.step({mover: action})
            state.apply_action(action)
        assert state.is_terminal()
        assert (rewards["player_0"], rewards["player_1"]) == tuple(state.returns())
