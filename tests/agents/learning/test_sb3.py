"""Parameter-shared PPO (Stable-Baselines3 through SuperSuit) on accord's envs: real,
short training runs with fixed seeds. Skipped only where the rl-sb3 extra is absent."""

from __future__ import annotations

import random
from typing import Any

import pytest

pytest.importorskip("sb3_contrib")
pytest.importorskip("supersuit")
pytest.importorskip("torch")

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sb3_contrib import MaskablePPO
from stable_baselines3 import PPO

from accord.agents.learning.sb3 import (
    PPOSettings,
    contained_randomness,
    evaluate,
    train,
    vectorise,
)
from accord.agents.learning.shared_policy import SharedPolicyEnv
from accord.envs import bargaining_v0, commitment_pd_v0, matrix_dilemma_v0
from accord.envs.pd import MENU

FAST = {"n_steps": 32, "batch_size": 64, "eval_episodes": 2}


def pd(**params: Any) -> Any:
    return lambda: commitment_pd_v0.parallel_env(rounds=5, **params)


def test_ppo_learns_the_program_equilibrium_and_defects_without_programs() -> None:
    """Program equilibrium (Tennenholtz 2004): with conditional programs, PrudentBot or
    FairBot against itself cooperates (3 a round); with only C and D the dilemma's
    unique equilibrium is mutual defection (1 a round). A random pair of programs earns
    less than 3 (PrudentBot against a uniform opponent averages 1.8 a round)."""
    run = PPOSettings(timesteps=2048, seed=0, **FAST)
    programs = train(pd(), run)
    assert isinstance(programs.model, PPO) and not isinstance(programs.model, MaskablePPO)
    assert programs.final.returns == {"player_0": 15.0, "player_1": 15.0}
    chosen = {MENU[k] for k, n in enumerate(programs.final.action_counts) if n}
    assert chosen <= {"FairBot", "PrudentBot"}
    plain = train(pd(menu=("CooperateBot", "DefectBot")), run)
    assert plain.final.returns == {"player_0": 5.0, "player_1": 5.0}
    assert plain.final.action_shares == (0.0, 1.0)


def test_ppo_cooperates_in_the_matrix_pd_under_a_contract_and_defects_without() -> None:
    """Haupt et al. (2024): in the PD (T=5, R=3, P=1, S=0) a transfer θ from a defector
    to the cooperator makes cooperation dominant once θ > T - R = 2 points (C earns
    R = 3 against C and S + θ against D; D earns T - θ and P). Menu entry 3 is θ = 300
    base units = 3 points; entry 0 is no contract, where D is dominant."""
    make = lambda: matrix_dilemma_v0.parallel_env(rounds=5)  # noqa: E731
    assert make().contract_menu[3] == (300,) and make().params.unit == 100
    run = PPOSettings(timesteps=1024, seed=0, **FAST)
    contract = train(make, run.model_copy(update={"contract": 3}))
    assert contract.final.returns == {"player_0": 15.0, "player_1": 15.0}  # the optimum
    assert contract.final.action_shares == (1.0, 0.0)
    none = train(make, run.model_copy(update={"contract": 0}))
    assert none.final.returns == {"player_0": 5.0, "player_1": 5.0}
    assert none.final.action_shares == (0.0, 1.0)


def _weights(model: PPO) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.policy.parameters()]


def test_a_run_is_a_pure_function_of_its_seed_and_leaves_global_randomness_alone() -> None:
    random.seed(123)
    np.random.seed(456)
    torch.manual_seed(789)
    before = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
    threads = torch.get_num_threads()
    run = PPOSettings(timesteps=512, seed=4, eval_every=256, **FAST)
    a, b = train(pd(), run), train(pd(), run)
    assert a.curve == b.curve and [t for t, _ in a.curve] == [0, 256, 512]
    for x, y in zip(_weights(a.model), _weights(b.model), strict=True):
        assert np.array_equal(x, y)  # bit for bit, on this installation
    other = train(pd(), run.model_copy(update={"seed": 5}))
    assert any(
        not np.array_equal(x, y)
        for x, y in zip(_weights(a.model), _weights(other.model), strict=True)
    )
    assert random.getstate() == before[0]
    assert np.array_equal(np.random.get_state()[1], before[1])
    assert torch.equal(torch.get_rng_state(), before[2])
    assert torch.get_num_threads() == threads


def test_bargaining_trains_with_maskable_ppo_and_never_moves_illegally() -> None:
    make = lambda: bargaining_v0.parallel_env(opponent="Boulware")  # noqa: E731
    result = train(make, PPOSettings(timesteps=512, seed=0, copies=2, **FAST))
    assert isinstance(result.model, MaskablePPO)
    env = SharedPolicyEnv(make())
    for episode in range(10):
        obs, infos = env.reset(seed=episode)
        while env.agents:
            mask = infos["player_0"]["action_mask"].astype(bool)
            act, _ = result.model.predict(obs["player_0"], deterministic=True, action_masks=mask)
            assert mask[int(act)]
            obs, rewards, _, _, infos = env.step({"player_0": int(act)})
            assert infos["player_0"]["illegal_move"] is False
            assert rewards["player_0"] >= 0.0


def test_the_vector_has_one_entry_per_agent_and_copy_and_masks_per_entry() -> None:
    venv = vectorise(lambda: bargaining_v0.parallel_env(), copies=3, seed=0)
    assert venv.num_envs == 6
    obs = venv.reset()
    assert obs.shape == (6, 15)
    masks = np.stack(venv.env_method("action_masks"))
    assert masks.shape == (6, 121)
    # the first mover (player 0) may offer; the waiting player 1 only has the no-op 0
    assert masks[0].sum() > 1 and masks[1].tolist() == [True] + [False] * 120
    assert venv.has_attr("action_masks") and not venv.has_attr("anything_else")
    with pytest.raises(AttributeError, match="no per-entry method"):
        venv.env_method("close")


def test_evaluate_reports_returns_and_the_actions_of_acting_agents() -> None:
    result = train(pd(), PPOSettings(timesteps=256, seed=0, **FAST))
    e = evaluate(result.model, pd(), episodes=3, seed=0)
    assert e.episodes == 3 and sum(e.action_counts) == 3 * 5 * 2
    assert abs(sum(e.action_shares) - 1.0) < 1e-12
    with contained_randomness():
        untrained = PPO("MlpPolicy", vectorise(pd(), seed=0), seed=1, device="cpu")
    sampled = evaluate(untrained, pd(), episodes=20, seed=5, greedy=False)
    assert sampled == evaluate(untrained, pd(), episodes=20, seed=5, greedy=False)
    # an untrained policy is near uniform: its 200 sampled choices use all 5 programs
    assert min(sampled.action_counts) > 10


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            ["timesteps", "seed", "copies", "n_steps", "learning_rate", "gamma", "hidden"]
        ),
        st.one_of(
            st.integers(min_value=-(2**70), max_value=2**70),
            st.floats(allow_nan=True, allow_infinity=True),
            st.text(max_size=4),
            st.lists(st.integers(min_value=-5, max_value=10_000), max_size=10),
            st.none(),
        ),
        min_size=1,
    )
)
def test_hostile_settings_are_refused_or_valid(fields: dict[str, Any]) -> None:
    try:
        s = PPOSettings(**fields)
    except ValidationError:
        return
    assert 1 <= s.timesteps <= 10**9 and 1 <= s.copies <= 256 and s.n_steps >= 2
    assert 0 < s.learning_rate <= 1 and 0 <= s.gamma <= 1
    assert 1 <= len(s.hidden) <= 8 and all(1 <= w <= 4096 for w in s.hidden)


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        PPOSettings(timestep=5)  # type: ignore[call-arg]


def test_training_writes_nothing_to_the_temporary_directory(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SB3 left to itself makes an empty ``SB3-<time>`` folder in the temporary directory
    at every ``learn`` call; training here gives it a logger with no outputs."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    train(pd(), PPOSettings(timesteps=128, seed=0, eval_every=64, **FAST))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("SB3-")] == []
