"""The commitment PD env: conformance, the device's resolver against the modal solver."""

from __future__ import annotations

import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import parallel_api_test, parallel_seed_test

from accord.envs import commitment_pd_v0
from accord.envs.pd import MENU
from accord.games.program_equilibrium import PD_PAYOFFS, STANDARD_BOTS, play


def test_passes_the_parallel_api_test() -> None:
    parallel_api_test(commitment_pd_v0.parallel_env(rounds=5), num_cycles=20)


def test_passes_the_seed_test() -> None:
    parallel_seed_test(lambda: commitment_pd_v0.parallel_env(rounds=5), num_cycles=20)


def test_the_device_resolves_every_pair_as_the_modal_solver_does() -> None:
    env = commitment_pd_v0.parallel_env(rounds=25)
    env.reset(seed=0)
    by_name = {bot.id.split("/")[0]: bot for bot in STANDARD_BOTS}
    for i, a in enumerate(MENU):
        for j, b in enumerate(MENU):
            assert env.moves(i, j) == play(by_name[a], by_name[b]), (a, b)


def test_known_outcomes_and_payoffs() -> None:
    env = commitment_pd_v0.parallel_env(rounds=3)
    obs, _ = env.reset(seed=1)
    fair, prudent, coop, defect = (
        MENU.index(n) for n in ("FairBot", "PrudentBot", "CooperateBot", "DefectBot")
    )
    _, r, _, _, info = env.step({"player_0": fair, "player_1": prudent})
    assert (info["player_0"]["move"], info["player_1"]["move"]) == ("C", "C")
    assert r == {"player_0": 3.0, "player_1": 3.0}
    obs, r, _, _, _ = env.step({"player_0": prudent, "player_1": coop})
    assert r == {"player_0": float(PD_PAYOFFS[("D", "C")][0]), "player_1": 0.0}
    # player_1 sees that its opponent played PrudentBot and that it was exploited (C, D)
    n = len(MENU)
    assert obs["player_1"][prudent] == 1.0 and obs["player_1"][n + 1 + 1] == 1.0
    _, r, _, trunc, _ = env.step({"player_0": defect, "player_1": fair})
    assert r == {"player_0": 1.0, "player_1": 1.0}
    assert trunc == {"player_0": True, "player_1": True} and env.agents == []


def test_plain_menu_and_bad_input() -> None:
    env = commitment_pd_v0.parallel_env(menu=("CooperateBot", "DefectBot"))
    assert env.action_space("player_0").n == 2
    with pytest.raises(ValueError, match="menu"):
        commitment_pd_v0.parallel_env(menu=("FairBot", "SkyNetBot"))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="player_1: action 2"):
        env.step({"player_0": 0, "player_1": 2})
