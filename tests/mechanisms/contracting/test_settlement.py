"""settle_step and payments: deposits, fees, exhaustion, conservation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.contracting import ContractError, payments, settle_step


def test_covered_step_moves_exactly_the_transfers() -> None:
    done = settle_step((-7, 3, 4), (10, 5, 0))
    assert done == ((0, 0, 0), (-7, 3, 4), (3, 5, 0), False)


def test_short_payer_pays_what_is_left_and_receivers_share_pro_rata() -> None:
    # owed 7, only 5 left: receivers owed 3 and 4 get floor(15/7)=2 and floor(20/7)=2,
    # the one unit left to the first receiver
    done = settle_step((-7, 3, 4), (5, 0, 0))
    assert done == ((0, 0, 0), (-5, 3, 2), (0, 0, 0), True)


def test_fees_come_first() -> None:
    done = settle_step((-4, 4), (5, 9), (2, 0))
    assert done == ((2, 0), (-3, 3), (0, 9), True)
    assert settle_step((0, 0), (1, 1), (2, 0)).exhausted


def test_bad_inputs() -> None:
    with pytest.raises(ContractError, match="sum to 0"):
        settle_step((1, 0), (1, 1))
    with pytest.raises(ContractError, match="net must have 2"):
        settle_step((1, -1, 0), (1, 1))
    with pytest.raises(ContractError, match="left"):
        settle_step((1, -1), (1, -1))


@given(
    st.lists(st.integers(-1000, 1000), min_size=2, max_size=10).map(
        lambda xs: (*xs[:-1], -sum(xs[:-1]))
    ),
    st.data(),
)
def test_settlement_conserves(net: tuple[int, ...], data: st.DataObject) -> None:
    n = len(net)
    left = tuple(data.draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)))
    fees = tuple(data.draw(st.lists(st.integers(0, 50), min_size=n, max_size=n)))
    done = settle_step(net, left, fees)
    assert sum(done.transfers) == 0
    for i in range(n):
        # what left i's deposit is exactly what it paid
        assert left[i] - done.left[i] == done.fees[i] + max(0, -done.transfers[i])
        assert 0 <= done.fees[i] <= fees[i] and done.left[i] >= 0
        assert (done.transfers[i] >= net[i]) if net[i] < 0 else (0 <= done.transfers[i] <= net[i])
    covered = all(max(0, -t) + f <= d for t, f, d in zip(net, fees, left, strict=True))
    assert done.exhausted == (not covered)
    if covered:
        assert done.transfers == net
    moves = payments(done.transfers)
    assert len(moves) <= max(0, sum(1 for t in done.transfers if t) - 1)
    got = [0] * n
    for payer, receiver, amount in moves:
        assert amount > 0 and done.transfers[payer] < 0 < done.transfers[receiver]
        got[payer] -= amount
        got[receiver] += amount
    assert tuple(got) == done.transfers
