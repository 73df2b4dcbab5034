"""SharedPolicyEnv: what a parameter-shared policy needs of a ParallelEnv, checked on
accord's envs and on a small env whose agents leave at different times."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

pytest.importorskip("pettingzoo")

import gymnasium
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from pettingzoo import ParallelEnv

from accord.agents.learning.shared_policy import SharedPolicyEnv, flat_space
from accord.envs import bargaining_v0, commitment_pd_v0


class Leaving(ParallelEnv):  # type: ignore[misc]
    """Three agents; agent k leaves (terminated) after step k+1; reward = its action."""

    metadata: ClassVar[dict[str, Any]] = {"name": "leaving", "render_modes": []}

    def __init__(self, contract_menu: tuple[int, ...] | None = None) -> None:
        self.possible_agents = ["a_0", "a_1", "a_2"]
        self.agents: list[str] = []
        self.render_mode = None
        self.options: list[dict[str, Any] | None] = []
        if contract_menu is not None:
            self.contract_menu = contract_menu
        self._t = 0

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return gymnasium.spaces.Box(-1.0, 2.0, (2,), np.float32)

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        return gymnasium.spaces.Discrete(3)

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        self.options.append(options)
        self.agents = list(self.possible_agents)
        self._t = 0
        return {a: np.full(2, 1.0, np.float32) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]) -> Any:
        assert set(actions) == set(self.agents), (actions, self.agents)
        self._t += 1
        left = [a for k, a in enumerate(self.agents) if int(a[-1]) + 1 == self._t]
        obs = {a: np.full(2, float(self._t), np.float32) for a in self.agents}
        rewards = {a: float(actions[a]) for a in self.agents}
        terms = {a: a in left for a in self.agents}
        truncs = dict.fromkeys(self.agents, False)
        infos: dict[str, dict[str, Any]] = {a: {} for a in self.agents}
        self.agents = [a for a in self.agents if a not in left]
        return obs, rewards, terms, truncs, infos


def test_agents_that_leave_keep_a_zero_slot_until_the_episode_ends() -> None:
    env = SharedPolicyEnv(Leaving())
    obs, infos = env.reset(seed=0)
    assert set(obs) == set(infos) == set(env.agents) == {"a_0", "a_1", "a_2"}
    obs, rew, term, _, infos = env.step({"a_0": 2, "a_1": 1, "a_2": 0})
    assert rew == {"a_0": 2.0, "a_1": 1.0, "a_2": 0.0}
    assert term == {"a_0": True, "a_1": False, "a_2": False}
    assert env.agents == ["a_0", "a_1", "a_2"]  # the episode goes on for every slot
    obs, rew, term, _, infos = env.step({"a_0": 2, "a_1": 1, "a_2": 2})
    assert rew == {"a_0": 0.0, "a_1": 1.0, "a_2": 2.0}  # a_0's action is ignored
    assert term == {"a_0": True, "a_1": True, "a_2": False}
    assert obs["a_0"].tolist() == [0.0, 0.0] and obs["a_2"].tolist() == [2.0, 2.0]
    assert infos["a_0"]["acting"] is False and infos["a_0"]["action_mask"].tolist() == [1, 0, 0]
    assert infos["a_2"]["acting"] is True and infos["a_2"]["action_mask"].tolist() == [1, 1, 1]
    obs, rew, term, _trunc, infos = env.step({"a_0": 0, "a_1": 0, "a_2": 1})
    assert all(term.values()) and env.agents == []


def test_the_supersuit_vector_runs_an_env_whose_agents_leave() -> None:
    supersuit = pytest.importorskip("supersuit")
    vec = supersuit.pettingzoo_env_to_vec_env_v1(SharedPolicyEnv(Leaving()))
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (3, 2)
    for _ in range(2):
        vec.step(np.array([1, 1, 1]))
    obs, rew, term, _trunc, _infos = vec.step(np.array([1, 1, 1]))
    assert rew.tolist() == [0.0, 0.0, 1.0] and term.all()
    assert obs.tolist() == [[1.0, 1.0]] * 3  # reset for the next episode


def test_bargaining_dict_observations_become_flat_and_masks_move_to_infos() -> None:
    env = SharedPolicyEnv(bargaining_v0.parallel_env())
    assert env.observation_space("player_0") == flat_space(
        bargaining_v0.parallel_env().observation_space("player_0")
    )
    obs, infos = env.reset(seed=3)
    assert obs["player_0"].shape == (15,) and obs["player_0"].dtype == np.float32
    raw, _ = bargaining_v0.parallel_env().reset(seed=3)
    assert infos["player_0"]["action_mask"].tolist() == raw["player_0"]["action_mask"].tolist()
    assert infos["player_0"]["acting"] is True
    # the waiting player has no legal action in the env: only action 0 is offered, unused
    assert not raw["player_1"]["action_mask"].any()
    assert infos["player_1"]["action_mask"].tolist() == [1] + [0] * 120
    assert infos["player_1"]["acting"] is False


def test_commitment_pd_passes_through_with_all_actions_legal() -> None:
    env = SharedPolicyEnv(commitment_pd_v0.parallel_env(rounds=2))
    _, infos = env.reset(seed=0)
    assert [i["action_mask"].tolist() for i in infos.values()] == [[1] * 5] * 2
    _obs, rew, _term, _trunc, _ = env.step({"player_0": 3, "player_1": 3})
    assert rew == {"player_0": 3.0, "player_1": 3.0}


def test_the_contract_is_passed_to_every_reset_and_sampled_reproducibly() -> None:
    inner = Leaving(contract_menu=(0, 5, 10, 20))
    env = SharedPolicyEnv(inner, contract=2)
    env.reset(seed=0)
    env.reset()
    env.reset(options={"other": 1})
    assert inner.options == [{"contract": 2}, {"contract": 2}, {"other": 1, "contract": 2}]
    inner = Leaving(contract_menu=(0, 5, 10, 20))
    env = SharedPolicyEnv(inner, contract="sample")

    def draws() -> list[int]:
        inner.options.clear()
        env.reset(seed=7)
        for _ in range(29):
            env.reset()
        return [o["contract"] for o in inner.options if o is not None]

    first = draws()
    assert first == draws() and set(first) == {0, 1, 2, 3}


def test_spaces_that_differ_or_are_not_discrete_are_refused() -> None:
    class Odd(Leaving):
        def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
            return gymnasium.spaces.Discrete(3 if agent != "a_2" else 4)

    with pytest.raises(ValueError, match=r"agents \['a_2'\] have other spaces"):
        SharedPolicyEnv(Odd())

    class Continuous(Leaving):
        def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
            return gymnasium.spaces.Box(0.0, 1.0, (1,))

    with pytest.raises(ValueError, match="needs a Discrete action space"):
        SharedPolicyEnv(Continuous())

    class Tuple(Leaving):
        def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
            return gymnasium.spaces.Tuple((gymnasium.spaces.Discrete(2),))

    with pytest.raises(ValueError, match="needs a Box observation"):
        SharedPolicyEnv(Tuple())


def test_a_contract_for_an_env_without_a_menu_is_refused() -> None:
    with pytest.raises(ValueError, match="has no contract_menu"):
        SharedPolicyEnv(commitment_pd_v0.parallel_env(), contract=1)


@given(
    st.one_of(
        st.integers(),
        st.floats(allow_nan=True),
        st.booleans(),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=2),
    )
)
def test_hostile_contract_choices_are_refused_in_one_line(contract: object) -> None:
    menu = (0, 5, 10)
    ok = contract == "sample" or (type(contract) is int and 0 <= contract < len(menu))
    if ok:
        assert SharedPolicyEnv(Leaving(contract_menu=menu), contract=contract).contract == contract  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError, match="contract must be 'sample' or a menu index") as info:
        SharedPolicyEnv(Leaving(contract_menu=menu), contract=contract)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_a_mask_of_the_wrong_shape_is_an_error() -> None:
    class BadMask(Leaving):
        def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
            obs, _infos = super().reset(seed, options)
            return obs, {a: {"action_mask": np.ones(2, np.int8)} for a in obs}

    with pytest.raises(ValueError, match=r"action_mask has shape \(2,\)"):
        SharedPolicyEnv(BadMask()).reset(seed=0)


SMALL: dict[str, dict[str, Any]] = {
    "bargaining_v0": {},
    "commitment_pd_v0": {"rounds": 3},
    "defi_routing_v0": {"max_blocks": 2},
    "fishery_v0": {"rounds": 3, "negotiate": True},
    "matrix_dilemma_v0": {"rounds": 3, "negotiate": True, "players": 3},
}


VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "matrix unilateral, negotiated": (
        "matrix_dilemma_v0",
        {"rounds": 3, "negotiate": True, "contract_kind": "unilateral"},
    ),
    "matrix mutual, negotiated after a round": (
        "matrix_dilemma_v0",
        {"rounds": 3, "negotiate": True, "players": 3, "propose_at": 1},
    ),
    "matrix unilateral, negotiated after two rounds": (
        "matrix_dilemma_v0",
        {"rounds": 3, "negotiate": True, "contract_kind": "unilateral", "propose_at": 2},
    ),
}
"""Options that change an env's phases (issue 14's variants), run the same way."""


@pytest.mark.parametrize(
    ("name", "params"), [*((n, SMALL[n]) for n in sorted(SMALL)), *VARIANTS.values()]
)
def test_every_registered_env_runs_in_the_supersuit_vector_with_legal_actions(
    name: str, params: dict[str, Any]
) -> None:
    supersuit = pytest.importorskip("supersuit")
    from accord.envs.registry import ENVS, make

    assert set(SMALL) == set(ENVS)  # a new env gets a line here
    shared = SharedPolicyEnv(make(name, **params))
    vec = supersuit.pettingzoo_env_to_vec_env_v1(shared)
    obs, infos = vec.reset(seed=0)
    space = shared.observation_space(shared.possible_agents[0])
    rng = np.random.default_rng(0)
    ends = 0
    for _ in range(40):
        assert obs.shape == (len(shared.possible_agents), *space.shape)
        assert obs.dtype == space.dtype and all(space.contains(o) for o in obs)
        actions = np.array([rng.choice(np.flatnonzero(i["action_mask"])) for i in infos])
        obs, rewards, terms, truncs, infos = vec.step(actions)
        assert np.isfinite(rewards).all()
        assert not any(i.get("illegal_move") or i.get("invalid") for i in infos)
        ends += int((terms | truncs).all())
    assert ends >= 1  # at least one episode ended and the vector reset itself
