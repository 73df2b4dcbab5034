"""The matrix dilemma env: conformance, payoffs and transfers by hand, negotiation, input."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import parallel_api_test, parallel_seed_test

from accord.envs import matrix_dilemma_v0


@pytest.mark.parametrize(
    "params",
    [
        {"rounds": 5},
        {"rounds": 4, "negotiate": True, "players": 3, "game": "stag_hunt"},
        {"rounds": 3, "game": "public_goods", "players": 4, "multiplier": "8/5", "contract": 2},
    ],
)
def test_passes_the_parallel_api_test(params: dict[str, object]) -> None:
    parallel_api_test(matrix_dilemma_v0.parallel_env(**params), num_cycles=40)


@pytest.mark.parametrize("negotiate", [False, True])
def test_passes_the_seed_test(negotiate: bool) -> None:
    parallel_seed_test(
        lambda: matrix_dilemma_v0.parallel_env(rounds=4, negotiate=negotiate, contract=3),
        num_cycles=40,
    )


def test_the_menu_and_the_space() -> None:
    env = matrix_dilemma_v0.parallel_env(thetas=(150, 300))
    assert env.contract_menu == (None, (150,), (300,))
    assert env.action_space("player_0").n == 2


def test_pd_payoffs_and_transfers_by_hand() -> None:
    # PD 5/3/1/0, θ = 300 base units = 3 points (unit 100).
    env = matrix_dilemma_v0.parallel_env(rounds=3)
    _, info = env.reset(seed=0, options={"contract": 3})
    assert info["player_0"]["contract"] == 3 and info["player_0"]["phase"] == "play"
    # C vs D: 0 + 3 = 3 and 5 - 3 = 2
    _, r, _, _, info = env.step({"player_0": 0, "player_1": 1})
    assert r == {"player_0": 3.0, "player_1": 2.0}
    assert (info["player_0"]["transfer"], info["player_1"]["transfer"]) == (300, -300)
    # C vs C: 3 each, nothing moves; D vs D: 1 each, nothing moves (no cooperator)
    _, r, _, _, info = env.step({"player_0": 0, "player_1": 0})
    assert r == {"player_0": 3.0, "player_1": 3.0} and info["player_1"]["transfer"] == 0
    _, r, term, _, info = env.step({"player_0": 1, "player_1": 1})
    assert r == {"player_0": 1.0, "player_1": 1.0} and info["player_0"]["transfer"] == 0
    assert term == {"player_0": True, "player_1": True} and env.agents == []


def test_three_players_split_exactly() -> None:
    # one defector pays θ = 100, split between two cooperators: 50 each
    env = matrix_dilemma_v0.parallel_env(players=3, rounds=2, contract=1)
    env.reset(seed=0)
    _, r, _, _, info = env.step({"player_0": 0, "player_1": 1, "player_2": 0})
    assert [info[p]["transfer"] for p in env.possible_agents] == [50, -100, 50]
    # C(1) = 3/2, D(2) = 5; rewards add transfer / unit
    assert r == {"player_0": 2.0, "player_1": 4.0, "player_2": 2.0}
    # two defectors pay 100 each to the lone cooperator: 200
    _, _, _, _, info = env.step({"player_0": 1, "player_1": 0, "player_2": 1})
    assert [info[p]["transfer"] for p in env.possible_agents] == [-100, 200, -100]


def test_negotiation_accepted_and_rejected() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=1, negotiate=True)
    obs, info = env.reset(seed=0)
    assert info["player_0"]["phase"] == "propose"
    assert info["player_0"]["action_mask"].tolist() == [1, 1, 1, 1, 1, 1]
    assert info["player_1"]["action_mask"].tolist() == [1, 0, 0, 0, 0, 0]
    assert obs["player_0"][0] == 1.0
    obs, r, _, _, info = env.step({"player_0": 4, "player_1": 0})
    assert info["player_1"]["phase"] == "accept" and r == {"player_0": 0.0, "player_1": 0.0}
    assert info["player_1"]["action_mask"].tolist() == [1, 1, 0, 0, 0, 0]
    assert obs["player_1"][3] == pytest.approx(0.8)  # θ = 400 of 500 proposed
    obs, _, _, _, info = env.step({"player_0": 0, "player_1": 1})
    assert info["player_0"]["contract"] == 4 and obs["player_0"][4] == pytest.approx(0.8)
    _, r, term, _, _ = env.step({"player_0": 0, "player_1": 1})
    assert r == {"player_0": 4.0, "player_1": 1.0} and all(term.values())
    # a rejection leaves the game uncontracted
    env.reset(seed=1)
    env.step({"player_0": 4, "player_1": 0})
    _, _, _, _, info = env.step({"player_0": 0, "player_1": 0})
    assert info["player_0"]["contract"] == 0
    _, r, _, _, _ = env.step({"player_0": 0, "player_1": 1})
    assert r == {"player_0": 0.0, "player_1": 5.0}


def test_masked_actions_fall_back_and_are_flagged() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=1, negotiate=True)
    env.reset(seed=0)
    _, _, _, _, info = env.step({"player_0": 2, "player_1": 5})  # the responder may not propose
    assert info["player_1"]["invalid"] and not info["player_0"]["invalid"]
    _, _, _, _, info = env.step({"player_0": 0, "player_1": 3})  # 3 is no answer: reject
    assert info["player_1"]["invalid"] and info["player_0"]["contract"] == 0
    _, r, _, _, info = env.step({"player_0": 0, "player_1": 5})  # 5 is no move: defect
    assert info["player_1"]["invalid"] and info["player_1"]["cooperated"] is False
    assert r == {"player_0": 0.0, "player_1": 5.0}


def test_the_option_contract_skips_negotiation() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=1, negotiate=True)
    _, info = env.reset(seed=0, options={"contract": 2})
    assert info["player_0"]["phase"] == "play" and info["player_0"]["contract"] == 2


def test_same_seed_same_state_hash() -> None:
    def run() -> str:
        env = matrix_dilemma_v0.parallel_env(rounds=3, contract=3)
        env.reset(seed=7)
        for moves in ((0, 1), (1, 0), (0, 0)):
            env.step(dict(zip(env.possible_agents, moves, strict=True)))
        return env.state_hash()

    assert run() == run()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="contract must index the menu"):
        matrix_dilemma_v0.parallel_env(contract=9)
    with pytest.raises(ValueError, match="proposer"):
        matrix_dilemma_v0.parallel_env(proposer=2)
    with pytest.raises(ValueError, match="T > R > P > S"):
        matrix_dilemma_v0.parallel_env(T=1)
    with pytest.raises(ValueError, match="thetas"):
        matrix_dilemma_v0.parallel_env(thetas=(100, 100))
    with pytest.raises(ValueError, match="multiplier"):
        matrix_dilemma_v0.parallel_env(game="public_goods", players=3, multiplier="x")
    with pytest.raises(ValueError, match="1 < r < n"):
        matrix_dilemma_v0.parallel_env(game="public_goods", players=3, multiplier=5)
    with pytest.raises(ValueError, match="extra"):
        matrix_dilemma_v0.parallel_env(colour="red")
    env = matrix_dilemma_v0.parallel_env(rounds=1)
    with pytest.raises(ValueError, match="options"):
        env.reset(seed=0, options={"contract": 6})
    with pytest.raises(ValueError, match="options"):
        env.reset(seed=0, options={"contract": True})
    env.reset(seed=0)
    with pytest.raises(ValueError, match="player_1: action 2"):
        env.step({"player_0": 0, "player_1": 2})
    with pytest.raises(KeyError, match="no action for player_1"):
        env.step({"player_0": 0})
    with pytest.raises(KeyError, match="not in the episode"):
        env.step({"player_0": 0, "player_1": 0, "player_9": 0})
    env.step({"player_0": 0, "player_1": 0})
    with pytest.raises(RuntimeError, match="over"):
        env.step({"player_0": 0, "player_1": 0})
    assert isinstance(env.observation_space("player_0").sample(), np.ndarray)


def test_transfers_move_real_money_on_the_device() -> None:
    # deposits default to max θ x rounds = 500 x 3; θ = 300: C vs D moves 300 COIN
    env = matrix_dilemma_v0.parallel_env(rounds=3)
    env.reset(seed=0, options={"contract": 3})
    dev = env.device
    # both deposits are locked under the contract: no free COIN until it ends
    assert [dev.balance(p, "COIN") for p in env.possible_agents] == [0, 0]
    env.step({"player_0": 0, "player_1": 1})
    env.step({"player_0": 1, "player_1": 0})
    _, _, _, _, info = env.step({"player_0": 0, "player_1": 1})
    assert [dev.balance(p, "COIN") for p in env.possible_agents] == [1500 + 300, 1500 - 300]
    assert sum(dev.balance(p, "COIN") for p in env.possible_agents) == 2 * 1500
    assert info["player_0"]["gas"] > 0 and not info["player_0"]["in_force"]  # ended
    assert env.table.fees_paid() > 0


def test_a_deposit_that_runs_out_ends_the_contract() -> None:
    # θ = 300 but each deposits only 400: the second defection finds 100 left
    env = matrix_dilemma_v0.parallel_env(rounds=3, deposit=400)
    env.reset(seed=0, options={"contract": 3})
    _, _, _, _, info = env.step({"player_0": 0, "player_1": 1})
    assert info["player_1"]["transfer"] == -300 and info["player_1"]["in_force"]
    obs, r, _, _, info = env.step({"player_0": 0, "player_1": 1})
    assert info["player_1"]["transfer"] == -100 and not info["player_1"]["in_force"]
    assert r == {"player_0": 1.0, "player_1": 4.0} and obs["player_0"][5] == 0.0
    _, r, _, _, info = env.step({"player_0": 0, "player_1": 1})
    assert info["player_1"]["transfer"] == 0 and r == {"player_0": 0.0, "player_1": 5.0}
    dev = env.device
    assert [dev.balance(p, "COIN") for p in env.possible_agents] == [800, 0]


def test_keeper_fees_paid_by_the_parties() -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=2, fee_payer="parties", keeper_fee=10, contract=3)
    env.reset(seed=0)
    _, r, _, _, info = env.step({"player_0": 0, "player_1": 0})
    # every round is settled when a fee is due: 10 split as 5 + 5
    assert [info[p]["fee"] for p in env.possible_agents] == [5, 5]
    assert r == {"player_0": 2.95, "player_1": 2.95}
    assert env.device.balance("referee", "COIN") == 10


def test_the_common_interface() -> None:
    env = matrix_dilemma_v0.parallel_env(game="stag_hunt")
    space = env.contract_space
    assert space.rule == "defector_pays" and space.params[0].high == 500
    assert all(entry is None or space.check_params(entry) == entry for entry in env.contract_menu)
