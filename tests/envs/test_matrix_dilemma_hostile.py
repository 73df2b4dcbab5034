"""The matrix dilemma env against generated hostile input: every bad action, option or
parameter is refused with a one-line error and changes nothing (the round, the phase,
the device's state hash, the episode-seed stream)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pettingzoo")

from accord.envs import matrix_dilemma_v0

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=-1),
    st.integers(min_value=6, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=10),
    st.lists(st.integers(0, 1), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(np.float64("nan")),
    st.just(np.array([0, 1])),
    st.just(np.bool_(True)),
)


param_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=-(10**9) - 1),
    st.integers(min_value=10**31, max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.text(max_size=3), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(np.float64("nan")),
    st.just(np.bool_(True)),
    st.just(np.int64(3)),
)


def snapshot(env: matrix_dilemma_v0.MatrixDilemmaEnv) -> tuple[object, ...]:
    return (env.table.round, env._phase, env.state_hash(), list(env.agents))


@settings(max_examples=80, deadline=None)
@given(bad=junk, who=st.sampled_from(["player_0", "player_1"]), negotiate=st.booleans())
def test_hostile_actions_are_refused_and_change_nothing(
    bad: object, who: str, negotiate: bool
) -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=2, negotiate=negotiate, contract=3)
    env.reset(seed=0)
    before = snapshot(env)
    actions: dict[str, object] = {"player_0": 0, "player_1": 0, who: bad}
    with pytest.raises(ValueError, match=f"{who}: action") as err:
        env.step(actions)
    assert "\n" not in str(err.value) and len(str(err.value)) < 200
    assert snapshot(env) == before
    env.step({"player_0": 0, "player_1": 0})  # the episode goes on


@settings(max_examples=40, deadline=None)
@given(actions=st.one_of(st.lists(st.integers(0, 1)), st.text(), st.integers(), st.none()))
def test_actions_that_are_no_dict_are_refused(actions: object) -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=1)
    env.reset(seed=0)
    before = snapshot(env)
    with pytest.raises(ValueError, match="actions must be a dict"):
        env.step(actions)  # type: ignore[arg-type]
    assert snapshot(env) == before


@settings(max_examples=60, deadline=None)
@given(
    options=st.one_of(
        st.fixed_dictionaries({"contract": junk}),
        st.lists(st.integers(), max_size=2),
        st.text(max_size=5),
    )
)
def test_hostile_reset_options_are_refused_before_anything_changes(options: object) -> None:
    env = matrix_dilemma_v0.parallel_env(rounds=2)
    env.reset(seed=3)
    env.step({"player_0": 0, "player_1": 1})
    before = snapshot(env)
    with pytest.raises(ValueError, match="options") as err:
        env.reset(options=options)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)
    assert snapshot(env) == before
    # the episode-seed stream did not move: the next reset is the one it would have been
    fresh = matrix_dilemma_v0.parallel_env(rounds=2)
    fresh.reset(seed=3)
    env.reset()
    fresh.reset()
    assert env.state_hash() == fresh.state_hash()


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(
        [
            "players",
            "rounds",
            "thetas",
            "unit",
            "deposit",
            "contract",
            "proposer",
            "keeper_fee",
            "T",
            "propose_at",
            "contract_kind",
        ]
    ),
    value=param_junk,
)
def test_hostile_params_are_refused(key: str, value: object) -> None:
    if key in ("deposit", "T") and value is None:
        return  # None is their default
    with pytest.raises(ValueError) as err:
        matrix_dilemma_v0.parallel_env(**{key: value})
    assert "\n" not in str(err.value) and key in str(err.value)


@settings(max_examples=40, deadline=None)
@given(
    players=st.integers(2, 5),
    theta=st.integers(1, 10**6),
    deposit_rounds=st.integers(0, 4),
    moves=st.lists(st.lists(st.integers(0, 1), min_size=5, max_size=5), min_size=1, max_size=6),
)
def test_every_transfer_is_conserved_to_the_unit(
    players: int, theta: int, deposit_rounds: int, moves: list[list[int]]
) -> None:
    """Generated θ, deposits and moves: each player's final COIN is its deposit plus the
    transfers the env reported, to the unit, and the total never changes."""
    deposit = theta * deposit_rounds + deposit_rounds  # may run out before the end
    env = matrix_dilemma_v0.parallel_env(
        players=players, rounds=len(moves), thetas=(theta,), contract=1, deposit=deposit
    )
    env.reset(seed=0)
    reported = dict.fromkeys(env.possible_agents, 0)
    for round_moves in moves:
        _, _, _, _, infos = env.step(dict(zip(env.possible_agents, round_moves, strict=False)))
        assert sum(infos[a]["transfer"] for a in infos) == 0
        for a in infos:
            reported[a] += infos[a]["transfer"]
    dev = env.device
    final = {a: dev.balance(a, "COIN") for a in env.possible_agents}
    assert final == {a: deposit + reported[a] for a in env.possible_agents}
    assert sum(final.values()) == players * deposit
    assert min(final.values()) >= 0
