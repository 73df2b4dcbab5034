"""``fishery_v0``: PettingZoo conformance and the common contracting interface."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test, parallel_seed_test

from accord.envs import fishery_v0
from accord.mechanisms.contracting import fishery_space


@pytest.mark.parametrize("negotiate", [False, True])
def test_parallel_api(negotiate: bool) -> None:
    parallel_api_test(fishery_v0.parallel_env(negotiate=negotiate), num_cycles=60)


def test_parallel_seed() -> None:
    parallel_seed_test(lambda: fishery_v0.parallel_env(negotiate=True))


def test_contract_interface_and_rewards() -> None:
    env = fishery_v0.parallel_env()
    assert env.contract_space == fishery_space(20, 3, 100)
    assert env.contract_menu[0] is None and env.contract_menu[14] == (10, 2)
    _, infos = env.reset(seed=1, options={"contract": 14})
    assert infos["fisher_0"]["contract"] == 14 and infos["fisher_0"]["phase"] == "play"
    total = dict.fromkeys(env.possible_agents, 0.0)
    caught = 0
    while env.agents:  # everyone asks for the whole lake: fisher_0 is served first
        _, rewards, _, _, infos = env.step(dict.fromkeys(env.agents, 100))
        for a, r in rewards.items():
            total[a] += r
        caught += sum(i["catch"] for i in infos.values())
        assert sum(i["transfer"] for i in infos.values()) == 0
    assert sum(total.values()) == caught == 100  # rewards sum to the catch
    assert total["fisher_0"] == 100 - 2 * 90  # paid p * (100 - q) to the others
    with pytest.raises(ValueError, match="options"):
        env.reset(seed=0, options={"contract": 99})


def test_negotiation_steps() -> None:
    env = fishery_v0.parallel_env(negotiate=True)
    obs, infos = env.reset(seed=0)
    assert infos["fisher_0"]["phase"] == "propose"
    assert (
        infos["fisher_0"]["action_mask"][:25].all() and infos["fisher_1"]["action_mask"].sum() == 1
    )
    _, _, _, _, infos = env.step({a: (14 if a == "fisher_0" else 0) for a in env.agents})
    assert infos["fisher_1"]["phase"] == "accept"
    obs, _, _, _, infos = env.step(dict.fromkeys(env.agents, 1))
    assert infos["fisher_2"]["contract"] == 14 and infos["fisher_2"]["phase"] == "play"
    assert obs["fisher_2"][7] == 1.0  # a contract is in force
    # a rejection leaves no contract
    env.reset(seed=0)
    env.step({a: (14 if a == "fisher_0" else 0) for a in env.agents})
    _, _, _, _, infos = env.step({a: (0 if a == "fisher_3" else 1) for a in env.agents})
    assert infos["fisher_0"]["contract"] == 0


def test_observation_in_bounds_and_seeded() -> None:
    env = fishery_v0.parallel_env()
    obs, _ = env.reset(seed=5)
    rng = np.random.default_rng(0)
    while env.agents:
        for o in obs.values():
            assert o.shape == (17,) and (o >= 0).all() and (o <= 1).all()
        obs, *_ = env.step({a: int(rng.integers(0, 15)) for a in env.agents})
    a = fishery_v0.parallel_env()
    b = fishery_v0.parallel_env()
    a.reset(seed=3)
    b.reset(seed=3)
    for _ in range(3):
        a.step(dict.fromkeys(a.possible_agents, 9))
        b.step(dict.fromkeys(b.possible_agents, 9))
    assert a.state_hash() == b.state_hash()
