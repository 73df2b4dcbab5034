"""Harvest and Cleanup envs: PettingZoo conformance, contracts settled on the device
(conserved, equal to the rule's transfers, deposits exhausted), negotiation, bad input."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from hypothesis import given
from hypothesis import strategies as st
from pettingzoo.test import parallel_api_test, parallel_seed_test

from accord.envs import cleanup_v0, harvest_v0
from accord.envs.gridworld import ASSET, REFEREE
from accord.games.gridworld import CLEAN
from accord.mechanisms.contracting import transfers

MODULES = [harvest_v0, cleanup_v0]
STAY, UP, DOWN, LEFT, RIGHT = range(5)


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("negotiate", [False, True])
def test_passes_the_parallel_api_test(module: Any, negotiate: bool) -> None:
    parallel_api_test(module.parallel_env(steps=25, negotiate=negotiate), num_cycles=60)


@pytest.mark.parametrize("module", MODULES)
def test_passes_the_seed_test(module: Any) -> None:
    parallel_seed_test(lambda: module.parallel_env(steps=25, contract=2), num_cycles=40)


def _random_episode(env: Any, seed: int, contract: int, steps_seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(steps_seed)
    env.reset(seed=seed, options={"contract": contract})
    device = env.device
    agents = env.possible_agents
    start = dict.fromkeys(agents, env.fields.deposit)  # the genesis (locked from reset on)
    paid = dict.fromkeys(agents, 0)
    features: list[tuple[int, ...]] = []
    rewards = dict.fromkeys(agents, 0.0)
    while env.agents:
        acts = {a: int(rng.integers(env.game.actions)) for a in agents}
        _, r, _, _, info = env.step(acts)
        features.append(tuple(info[a]["feature"] for a in agents))
        for a in agents:
            paid[a] += info[a]["transfer"]
            rewards[a] += r[a]
    end = {a: device.balance(a, ASSET) for a in agents}
    return {"start": start, "end": end, "paid": paid, "features": features, "rewards": rewards}


@pytest.mark.parametrize("module", MODULES)
def test_transfers_settle_on_the_device_and_are_conserved(module: Any) -> None:
    """Under a contract, each step's transfers are the rule's (the device paid them),
    they sum to 0, and the balances moved by exactly what the infos reported."""
    env = module.parallel_env(steps=150)
    k = 3
    params = env.contract_menu[k]
    out = _random_episode(env, seed=4, contract=k)
    want = dict.fromkeys(env.possible_agents, 0)
    for f in out["features"]:
        net = transfers(env.contract_space, params, f)
        for a, t in zip(env.possible_agents, net, strict=True):
            want[a] += t
    assert out["paid"] == want
    assert any(want.values()), "the episode moved no money: pick another seed"
    assert sum(out["paid"].values()) == 0
    for a in env.possible_agents:
        assert out["end"][a] - out["start"][a] == out["paid"][a]
        assert env.device.locked(a, ASSET, env._driver.address) == 0  # ended: refunded


@pytest.mark.parametrize("module", MODULES)
def test_no_contract_moves_no_money_and_uses_no_gas(module: Any) -> None:
    env = module.parallel_env(steps=60)
    out = _random_episode(env, seed=1, contract=0)
    assert out["paid"] == dict.fromkeys(env.possible_agents, 0)
    assert out["end"] == out["start"]
    assert env._driver is None


def test_cleanup_pays_the_cleaner_theta_per_cell() -> None:
    env = cleanup_v0.parallel_env(steps=5, contract=2, unit=1000)
    theta = env.contract_menu[2][0]
    env.reset(seed=0)
    env.game.positions[:] = [(2, 2), (4, 8)]  # agent_0 in the river, agent_1 in the field
    cells = int(env.game.waste[1:4, 1:4].sum())
    _, r, _, _, info = env.step({"agent_0": CLEAN, "agent_1": STAY})
    assert info["agent_0"]["feature"] == cells > 0
    assert info["agent_0"]["transfer"] == theta * cells == -info["agent_1"]["transfer"]
    assert r["agent_0"] == pytest.approx(theta * cells / 1000)
    assert info["agent_0"]["gas"] > 0


def test_harvest_charges_a_sparse_apple_to_the_others() -> None:
    layout = ("@@@@@@@", "@PA  P@", "@     @", "@@@@@@@")
    env = harvest_v0.parallel_env(layout=layout, steps=3, contract=4, agents=2)
    theta = env.contract_menu[4][1]
    env.reset(seed=0)
    env.game.positions[:] = [(1, 1), (1, 5)]
    _, r, _, _, info = env.step({"agent_0": RIGHT, "agent_1": STAY})
    assert info["agent_0"]["feature"] == 1  # the apple had no neighbour
    assert info["agent_0"]["transfer"] == -theta and info["agent_1"]["transfer"] == theta
    assert r["agent_0"] == pytest.approx(1 - theta / 1000)


def test_an_exhausted_deposit_ends_the_contract() -> None:
    """A deposit of 150 at θ = 100 per cell: the payer pays what it has left and the
    contract ends; later cleaning moves nothing."""
    env = cleanup_v0.parallel_env(steps=20, contract=2, deposit=150)
    env.reset(seed=0)
    env.game.positions[:] = [(2, 2), (6, 8)]
    _, _, _, _, info = env.step({"agent_0": CLEAN, "agent_1": STAY})
    assert info["agent_1"]["transfer"] == -150 and info["agent_0"]["contract"] is None
    env.game.positions[:] = [(5, 2), (6, 8)]
    _, _, _, _, info = env.step({"agent_0": CLEAN, "agent_1": STAY})
    assert info["agent_0"]["feature"] > 0 and info["agent_0"]["transfer"] == 0
    assert env.device.balance("agent_1", ASSET) == 0
    assert env.device.balance("agent_0", ASSET) == 300


@pytest.mark.parametrize("module", MODULES)
def test_negotiation_on_the_device(module: Any) -> None:
    env = module.parallel_env(steps=10, negotiate=True, proposer=1)
    obs, info = env.reset(seed=3)
    assert info["agent_1"]["phase"] == "propose"
    assert info["agent_1"]["action_mask"][: len(env.contract_menu)].all()
    assert info["agent_0"]["action_mask"].tolist()[:2] == [1, 0]
    _, r, _, _, info = env.step({"agent_0": 0, "agent_1": 2})
    assert r == {"agent_0": 0.0, "agent_1": 0.0} and info["agent_0"]["phase"] == "accept"
    obs, _, _, _, info = env.step({"agent_0": 1, "agent_1": 0})
    assert info["agent_0"]["contract"] == 2 and info["agent_0"]["phase"] == "play"
    tail = obs["agent_0"][-(env.contract_space.arity + 5) :]
    assert tail[env.contract_space.arity] == 1.0  # in force
    # rejected: no contract, every deposit back
    env.reset(seed=3)
    env.step({"agent_0": 0, "agent_1": 2})
    _, _, _, _, info = env.step({"agent_0": 0, "agent_1": 0})
    assert info["agent_0"]["contract"] is None
    assert env.device.balance("agent_1", ASSET) == env.fields.deposit
    # an action outside the mask is the phase's default, flagged
    env.reset(seed=3)
    _, _, _, _, info = env.step({"agent_0": 3, "agent_1": 0})
    assert info["agent_0"]["invalid"] and not info["agent_1"]["invalid"]


def test_a_contract_option_overrides_negotiation() -> None:
    env = cleanup_v0.parallel_env(steps=5, negotiate=True)
    _, info = env.reset(seed=0, options={"contract": 1})
    assert info["agent_0"]["phase"] == "play" and info["agent_0"]["contract"] == 1


@pytest.mark.parametrize("module", MODULES)
def test_runs_are_deterministic_per_seed(module: Any) -> None:
    def run() -> tuple[str, dict[str, float]]:
        env = module.parallel_env(steps=80)
        out = _random_episode(env, seed=9, contract=2, steps_seed=5)
        return env.device.state_hash().hex(), out["rewards"]

    assert run() == run()


@functools.cache
def _env(module: Any, contract: int) -> Any:
    """One env per module and contract, reused across Hypothesis examples."""
    return module.parallel_env(steps=5, contract=contract)


@pytest.mark.parametrize("module", MODULES)
@given(
    value=st.one_of(
        st.integers(-5, -1),
        st.integers(5, 10**30),
        st.floats(allow_nan=True),
        st.text(max_size=3),
        st.booleans(),
        st.none(),
        st.lists(st.integers(0, 3), max_size=2),
    )
)
def test_hostile_contract_options_are_refused(module: Any, value: object) -> None:
    env = _env(module, 0)
    with pytest.raises(ValueError, match=r"options\['contract'\]"):
        env.reset(seed=0, options={"contract": value})


@pytest.mark.parametrize("module", MODULES)
@given(
    value=st.one_of(
        st.integers(-(10**20), -1),
        st.integers(6, 10**20),
        st.floats(allow_nan=True),
        st.text(max_size=3),
        st.none(),
        st.lists(st.integers(0, 3), max_size=2),
    )
)
def test_hostile_actions_are_refused_and_change_nothing(module: Any, value: object) -> None:
    env = _env(module, 1)
    env.reset(seed=0)
    before = (env.game.positions.copy(), env._t, env.device.state_hash())
    with pytest.raises(ValueError, match="agent_0: action"):
        env.step({"agent_0": value, "agent_1": 0})
    assert (env.game.positions == before[0]).all() and env._t == before[1]
    assert env.device.state_hash() == before[2]


def test_missing_unknown_agents_and_bad_params() -> None:
    env = cleanup_v0.parallel_env(steps=2)
    env.reset(seed=0)
    with pytest.raises(KeyError, match="no action for agent_1"):
        env.step({"agent_0": 0})
    with pytest.raises(KeyError, match="not in the episode"):
        env.step({"agent_0": 0, "agent_1": 0, "agent_9": 0})
    env.step({"agent_0": 0, "agent_1": 0})
    env.step({"agent_0": 0, "agent_1": 0})
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step({"agent_0": 0, "agent_1": 0})
    with pytest.raises(ValueError, match="menu index"):
        cleanup_v0.parallel_env(contract=9)
    with pytest.raises(ValueError, match="proposer"):
        harvest_v0.parallel_env(proposer=2)
    with pytest.raises(ValueError, match="extra"):
        harvest_v0.parallel_env(colour="red")
    with pytest.raises(ValueError, match="render_mode"):
        harvest_v0.parallel_env(render_mode="human")


def test_the_referee_pays_the_settlements_gas() -> None:
    env = cleanup_v0.parallel_env(steps=3, contract=3)
    env.reset(seed=0)
    fee = env.config.fee_asset
    before = {a: env.device.balance(a, fee) for a in (*env.possible_agents, REFEREE)}
    env.game.positions[:] = [(2, 2), (6, 8)]
    _, _, _, _, info = env.step({"agent_0": CLEAN, "agent_1": STAY})
    assert info["agent_0"]["gas"] > 0 and info["agent_0"]["transfer"] > 0
    after = {a: env.device.balance(a, fee) for a in (*env.possible_agents, REFEREE)}
    assert after[REFEREE] < before[REFEREE]
    assert all(after[a] == before[a] for a in env.possible_agents)
