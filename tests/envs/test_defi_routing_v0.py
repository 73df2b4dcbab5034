"""The DeFi env: PettingZoo conformance, seeding, what each visibility shows, exact rewards."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import parallel_api_test, parallel_seed_test

from accord.agents.defi.searchers import best_sandwich
from accord.envs import defi_routing_v0
from accord.envs.defi import OBS_FIELDS

FAST = {"check_conservation": True, "max_blocks": 6}


def test_passes_the_parallel_api_test() -> None:
    parallel_api_test(defi_routing_v0.parallel_env(searchers=2, **FAST), num_cycles=20)


def test_passes_the_seed_test() -> None:
    parallel_seed_test(lambda: defi_routing_v0.parallel_env(searchers=2, **FAST), num_cycles=20)


def test_passes_the_api_test_under_every_visibility_and_rule() -> None:
    for ordering in ("fcfs", "batch"):
        for mempool in ("private", "sealed"):
            device = {"ordering": ordering, "mempool": mempool, "fee_market": "first_price"}
            env = defi_routing_v0.parallel_env(device=device, **FAST)
            parallel_api_test(env, num_cycles=8)


def _episode(env: defi_routing_v0.DefiRoutingEnv, seed: int, actions: list[int]) -> list[object]:
    obs, _ = env.reset(seed=seed)
    trace: list[object] = [obs["searcher_0"].tolist()]
    for a in actions:
        obs, rewards, _, _, infos = env.step({"searcher_0": a, "searcher_1": (a + 1) % 3})
        trace += [obs["searcher_0"].tolist(), rewards, infos["searcher_0"]["delta"]]
    trace.append(env.state_hash())
    return trace


def test_reset_with_a_seed_reproduces_the_episode_bit_for_bit() -> None:
    env = defi_routing_v0.parallel_env(searchers=2, **FAST)
    actions = [1, 2, 0, 1, 1, 2]
    first = _episode(env, 11, actions)
    _episode(env, 12, actions)
    assert _episode(env, 11, actions) == first
    assert _episode(defi_routing_v0.parallel_env(searchers=2, **FAST), 11, actions) == first
    assert _episode(env, 12, actions) != first


def test_unseeded_resets_continue_the_seeded_sequence() -> None:
    a = defi_routing_v0.parallel_env(**FAST)
    b = defi_routing_v0.parallel_env(**FAST)
    a.reset(seed=5)
    b.reset(seed=5)
    for _ in range(2):
        oa, _ = a.reset()
        ob, _ = b.reset()
        assert a.state_hash() == b.state_hash()
        assert np.array_equal(oa["searcher_0"], ob["searcher_0"])


def test_observations_are_in_their_space_and_show_the_victim() -> None:
    env = defi_routing_v0.parallel_env(tolerances_bps=(50,), trade_shares=(0.02,), **FAST)
    obs, _ = env.reset(seed=1)
    o = obs["searcher_0"]
    assert env.observation_space("searcher_0").contains(o)
    assert o.shape == (len(OBS_FIELDS),)
    assert o[0] == 1.0  # a readable victim
    assert o[1] == pytest.approx(0.02, rel=1e-9)  # its share of the input reserve
    assert o[2] == pytest.approx(0.005, abs=1e-6)  # its 50 bps tolerance, read off min_out
    assert o[3] == 1.0 and o[4] == 0.0  # one readable pending tx, none sealed
    assert o[6 + 1] == 1.0  # priority ordering
    assert o[10] == 1.0  # public mempool


@pytest.mark.parametrize("mempool", ["private", "sealed"])
def test_a_hidden_mempool_hides_the_victim_and_nothing_can_be_sandwiched(mempool: str) -> None:
    device = {"mempool": mempool, "fee_market": "first_price"}
    env = defi_routing_v0.parallel_env(device=device, tolerances_bps=(300,), **FAST)
    obs, _ = env.reset(seed=2)
    o = obs["searcher_0"]
    assert o[0] == 0.0 and o[1] == 0.0 and o[2] == 0.0 and o[3] == 0.0
    assert o[4] == (1.0 if mempool == "sealed" else 0.0)  # an envelope, unreadable
    for _ in range(3):
        _, rewards, _, _, infos = env.step({"searcher_0": 1})
        assert infos["searcher_0"]["sent"] == 0
        assert rewards["searcher_0"] == 0.0


def test_rewards_are_the_exact_balance_changes_at_reference_prices() -> None:
    env = defi_routing_v0.parallel_env(searchers=2, **FAST)
    env.reset(seed=4)
    seen = 0
    for k in range(6):
        before = {a: env._holdings(a) for a in env.agents}
        _, rewards, _, _, infos = env.step({"searcher_0": 1, "searcher_1": 2 - k % 2})
        for agent, reward in rewards.items():
            after = env._holdings(agent)
            delta = {t: after[t] - before[agent][t] for t in after}
            assert infos[agent]["delta"] == {t: d for t, d in delta.items() if d}
            assert all(type(d) is int for d in delta.values())
            fee = env.config.fee_asset
            usd = sum(
                (env.params.fee_price_usd if t == fee else env.prices[t]) * d
                for t, d in delta.items()
            )
            assert reward == usd
            seen += reward != 0.0
    assert seen > 0


def test_a_sandwich_earns_its_exact_profit_less_its_gas() -> None:
    """The reward of a sandwich is best_sandwich's exact token profit, minus the tip paid."""
    env = defi_routing_v0.parallel_env(tolerances_bps=(100,), tokens=2, **FAST)
    env.reset(seed=3)
    pool = env._market_now.pools[0]
    pending = [p for p in env.device.pending_view("searcher_0") if p.tx.sender == "victim_0"]
    (victim,) = pending
    asset_in, amount, min_out = victim.tx.args[0], victim.tx.args[1], victim.tx.args[2]
    i = pool.tokens.index(asset_in)
    sw = best_sandwich(pool.curve, i, 1 - i, amount, min_out, 10**40)
    assert sw is not None and sw.profit > 0
    _, rewards, _, _, infos = env.step({"searcher_0": 1})
    delta = infos["searcher_0"]["delta"]
    assert delta[asset_in] == sw.profit
    assert pool.tokens[1 - i] not in delta  # everything bought in front is sold back
    gas_paid = -delta["ETH"]
    assert gas_paid % env.params.searcher_tip == 0  # first price: the tip × gas used
    expected = sw.profit * env.prices[asset_in] - gas_paid * env.params.fee_price_usd
    assert rewards["searcher_0"] == pytest.approx(expected, rel=1e-12)


def test_bad_input_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="tolerances_bps"):
        defi_routing_v0.parallel_env(tolerances_bps=(20_000,))
    with pytest.raises(ValueError, match="unknown_knob"):
        defi_routing_v0.parallel_env(unknown_knob=1)
    with pytest.raises(ValueError, match="actions"):
        defi_routing_v0.parallel_env(actions=("abstain", "rug_pull"))
    with pytest.raises(ValueError, match="ordering"):
        defi_routing_v0.parallel_env(device={"ordering": "chaos"})
    env = defi_routing_v0.parallel_env(**FAST)
    env.reset(seed=0)
    hash_before = env.state_hash()
    with pytest.raises(ValueError, match="searcher_0: action 7"):
        env.step({"searcher_0": 7})
    with pytest.raises(KeyError, match="no action for searcher_0"):
        env.step({})
    assert env.state_hash() == hash_before  # nothing changed


def test_the_aec_form_runs() -> None:
    aec = defi_routing_v0.env(**FAST)
    aec.reset(seed=0)
    steps = 0
    for _agent in aec.agent_iter():
        _, _, term, trunc, _ = aec.last()
        aec.step(None if term or trunc else 0)
        steps += 1
    assert steps == FAST["max_blocks"] + 1
