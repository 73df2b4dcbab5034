"""The mining MDP's chain parameters and state space (accord.mechanisms.bandit_mdp.model):
every bad field refused in one line naming it."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.bandit_mdp import (
    ACTIONS,
    MAX_CUTOFF,
    Chain,
    honest_policy,
    sm1_policy,
    solve,
)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.just(math.nan),
    st.just(math.inf),
    st.floats(-1e30, -1e-9),
    st.integers(2, 10**30),
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["alpha", "gamma", "stale", "cost"]), value=junk)
def test_bad_chain_numbers_are_refused_in_one_line(field: str, value: Any) -> None:
    if field == "cost" and (value is None or (type(value) is int and value <= 1e9)):
        return  # None is "cost = α", and any non-negative cost is allowed
    with pytest.raises(ValueError) as info:
        Chain(**{"alpha": 0.2, field: value})
    assert "\n" not in str(info.value) and field in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"alpha": 0.0},
        {"alpha": 1.0},
        {"alpha": 1},
        {"alpha": Fraction(3, 2)},
        {"alpha": 0.2, "stale": 1.0},
        {"alpha": 0.2, "cutoff": 1},
        {"alpha": 0.2, "cutoff": MAX_CUTOFF + 1},
        {"alpha": 0.2, "cutoff": 20.0},
        {"alpha": 0.2, "confirmations": -1},
        {"alpha": 0.2, "confirmations": 20},
        {"alpha": 0.2, "confirmations": True},
        {"alpha": 0.2, "displace": 20},
        {"alpha": 0.2, "cost": -0.1},
    ],
)
def test_bad_chains_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as info:
        Chain(**kwargs)
    assert "\n" not in str(info.value)


def test_policies_name_only_known_actions() -> None:
    chain = Chain(0.25, cutoff=5)
    assert chain.states == 3 * 36 + 1
    for policy in (honest_policy(chain), sm1_policy(chain), solve(chain, 3.0).policy):
        assert len(policy) == chain.states and set(policy) <= set(ACTIONS)
