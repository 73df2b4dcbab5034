"""Atomic users: best response ends at a pure Nash equilibrium (Rosenthal), closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.congestion import (
    atomic_equilibrium,
    braess,
    pigou,
    random_affine,
    wardrop,
)


@pytest.mark.parametrize("players", [1, 2, 3, 10, 100])
def test_braess_closed_form(players: int) -> None:
    """N users: N − 1 take s→a→b→t (cost 2 − 1/N) and one s→a→t (cost 2), so the total
    is 2 − 1/N + 1/N², tending to the Wardrop cost 2."""
    n = players
    result = atomic_equilibrium(braess(), n)
    expected = 2.0 - 1.0 / n + 1.0 / n**2 if n > 1 else 2.0
    assert result.total_cost == pytest.approx(expected, rel=1e-12)
    assert result.deviation_gain() == 0.0


@pytest.mark.parametrize("players", [1, 4, 50])
def test_pigou_everyone_on_the_variable_link(players: int) -> None:
    """On the variable link a user pays at most 1, never more than the fixed link."""
    result = atomic_equilibrium(pigou(), players)
    assert result.users.tolist() == [players, 0]
    assert result.total_cost == pytest.approx(1.0)


def test_potential_is_rosenthals() -> None:
    result = atomic_equilibrium(braess(), 4)
    w = 0.25
    # s-a: 4 users (x), a-t: 1 (1), b-t: 3 (x), a-b: 3 (0)
    expected = sum(j * w for j in range(1, 5)) + 1.0 + sum(j * w for j in range(1, 4))
    assert result.users.tolist() == [4, 1, 0, 3, 3]
    assert result.potential == pytest.approx(expected)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), players=st.integers(1, 30))
def test_best_response_ends_at_a_nash_equilibrium(seed: int, players: int) -> None:
    game = random_affine(np.random.default_rng(seed), nodes=5, demands=1)
    result = atomic_equilibrium(game, players)
    assert result.deviation_gain() <= 1e-9
    assert int(np.bincount(result.choice, minlength=len(game.paths)).sum()) == players
    assert result.edge_flow.tolist() == pytest.approx(
        (
            game.incidence @ np.bincount(result.choice, minlength=len(game.paths)) * result.weight
        ).tolist()
    )


def test_many_players_approach_wardrop() -> None:
    game = random_affine(np.random.default_rng(11), nodes=5, demands=1)
    target = wardrop(game).total_cost
    errors = [abs(atomic_equilibrium(game, n).total_cost - target) for n in (5, 50, 500)]
    assert errors[-1] < 0.01 * target
    assert errors[-1] <= errors[0]


def test_bad_arguments_are_refused() -> None:
    two = random_affine(np.random.default_rng(1), nodes=4, demands=2)
    with pytest.raises(ValueError, match="one demand"):
        atomic_equilibrium(two, 3)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="players"):
            atomic_equilibrium(pigou(), bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_rounds"):
        atomic_equilibrium(pigou(), 2, max_rounds=0)
