"""The contract spaces' transfer rules: worked examples, exact splits, conservation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.contracting import (
    ContractError,
    ContractSpace,
    Param,
    cleanup_space,
    fishery_space,
    harvest_space,
    matrix_space,
    max_owed,
    split,
    transfers,
    unilateral_space,
)

SPACES = (
    matrix_space(50),
    fishery_space(20, 9, 100),
    harvest_space(7, 10),
    cleanup_space(7, 10),
    unilateral_space(3, 40, feature_max=5),
)


def test_split_gives_the_first_remainder_parties_one_more() -> None:
    assert split(10, 3) == (4, 3, 3)
    assert split(11, 3) == (4, 4, 3)
    assert split(2, 5) == (1, 1, 0, 0, 0)
    assert split(0, 4) == (0, 0, 0, 0)


@given(st.integers(0, 10**40), st.integers(1, 64))
def test_split_conserves_and_differs_by_at_most_one(amount: int, k: int) -> None:
    shares = split(amount, k)
    assert len(shares) == k and sum(shares) == amount
    assert max(shares) - min(shares) <= 1
    assert list(shares) == sorted(shares, reverse=True)


def test_prisoners_dilemma_defector_pays_the_cooperators() -> None:
    pd = matrix_space(10)
    assert transfers(pd, (4,), (1, 0)) == (-4, 4)
    assert transfers(pd, (4,), (0, 0)) == (0, 0)
    assert transfers(pd, (4,), (1, 1)) == (0, 0)  # nobody to pay
    # two defectors pay 4 each; 8 split between the two cooperators
    assert transfers(pd, (4,), (1, 0, 1, 0)) == (-4, 4, -4, 4)
    # one defector, three cooperators: 7 = 3 + 2 + 2
    assert transfers(pd, (7,), (0, 0, 1, 0)) == (3, 2, -7, 2)


def test_fishery_penalty_per_unit_over_quota_goes_to_the_others() -> None:
    fish = fishery_space(20, 9, 100)
    # quota 10, penalty 2: fisher 0 caught 15 (5 over: pays 10), fisher 2 caught 13
    # (3 over: pays 6); each split among the 4 others in party order: 10 = 3+3+2+2 to
    # fishers 1-4, 6 = 2+2+1+1 to fishers 0, 1, 3, 4
    assert transfers(fish, (10, 2), (15, 10, 13, 0, 0)) == (-10 + 2, 3 + 2, 3 - 6, 2 + 1, 2 + 1)


def test_harvest_threshold_is_zero_and_cleanup_pays_the_cleaner() -> None:
    harvest = harvest_space(7, 10)
    assert harvest.params[0] == Param("threshold", 0, 0)
    assert transfers(harvest, (0, 3), (2, 0, 0)) == (-6, 3, 3)
    cleanup = cleanup_space(7, 10)
    assert transfers(cleanup, (3,), (1, 0, 0)) == (3, -2, -1)
    # both clean: 3 from the two others for party 0, 6 for party 2
    assert transfers(cleanup, (3,), (1, 0, 2)) == (3 - 3, -2 - 3, -1 + 6)


def test_unilateral_only_the_committer_pays() -> None:
    uni = unilateral_space(3, 40, feature_max=5)
    assert transfers(uni, (0, 10), (1, 5, 5)) == (-10, 5, 5)
    assert transfers(uni, (2, 10), (1, 5, 5)) == (0, 0, 0)
    assert transfers(uni, (2, 10), (5, 0, 0)) == (-30, 15, 15)


@st.composite
def _case(draw: st.DrawFn) -> tuple[ContractSpace, tuple[int, ...], tuple[int, ...]]:
    space = draw(st.sampled_from(SPACES))
    params = tuple(draw(st.integers(p.low, p.high)) for p in space.params)
    n = draw(st.integers(2, 12))
    features = tuple(draw(st.lists(st.integers(0, space.feature_max), min_size=n, max_size=n)))
    return space, params, features


@given(_case())
def test_transfers_are_zero_sum_and_bounded(
    case: tuple[ContractSpace, tuple[int, ...], tuple[int, ...]],
) -> None:
    space, params, features = case
    net = transfers(space, params, features)
    assert sum(net) == 0 and all(type(t) is int for t in net)
    n = len(features)
    rate = max(params)
    bound = rate * space.feature_max * n  # nobody moves more than every party's whole charge
    assert all(abs(t) <= bound for t in net)
    if not any(params[-1:]):  # the rate (last parameter) 0: nothing moves
        assert not any(net)


BAD = (None, True, False, -1, 1.0, float("nan"), "1", b"1", (1,), [1], 2**200)


@pytest.mark.parametrize("bad", BAD)
def test_hostile_features_and_params_are_refused_by_name(bad: object) -> None:
    pd = matrix_space(10)
    with pytest.raises(ContractError, match="feature of party 1"):
        transfers(pd, (3,), (0, bad))
    with pytest.raises(ContractError, match="theta"):
        transfers(pd, (bad,), (0, 1))


def test_wrong_lengths_are_refused() -> None:
    pd = matrix_space(10)
    with pytest.raises(ContractError, match="one per party"):
        transfers(pd, (3,), (0, 1), parties=3)
    with pytest.raises(ContractError, match="at least 2 parties"):
        transfers(pd, (3,), (1,))
    with pytest.raises(ContractError, match="tuple of 1"):
        transfers(pd, (3, 4), (0, 1))
    with pytest.raises(ContractError, match=r"in \[0, 10\]"):
        transfers(pd, (11,), (0, 1))
    with pytest.raises(ContractError, match=r"in \[0, 1\]"):
        transfers(pd, (3,), (0, 2))


@given(st.sampled_from(SPACES), st.integers(2, 4), st.data())
def test_max_owed_is_the_worst_case_over_every_feature_profile(
    space: ContractSpace, n: int, data: st.DataObject
) -> None:
    params = tuple(data.draw(st.integers(p.low, min(p.high, 9))) for p in space.params)
    top = min(space.feature_max, 5)
    small = ContractSpace(space.name, space.rule, space.params, top)
    worst = [0] * n
    from itertools import product

    for features in product(range(top + 1), repeat=n):
        for i, t in enumerate(transfers(small, params, features)):
            worst[i] = max(worst[i], -t)
    assert tuple(worst) == max_owed(small, params, n)
