"""The slashing and bond-payout math: exact integers, rounding towards the protocol."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms.slashing import (
    BPS,
    allocate_slash,
    bps_ceil,
    bps_floor,
    check_amount,
    check_bps,
    forfeit_bond,
    mature,
    penalty,
    slashable,
    split_slash,
)

amounts = st.integers(0, 10**30)
bps = st.integers(0, BPS)
queues = st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 100)), max_size=6).map(tuple)


def test_bps_rounding() -> None:
    assert bps_floor(1_001, 500) == 50  # 50.05
    assert bps_ceil(1_001, 500) == 51
    assert bps_floor(10, BPS) == bps_ceil(10, BPS) == 10
    assert bps_floor(7, 0) == bps_ceil(7, 0) == 0
    assert bps_ceil(1, 1) == 1  # a taken share rounds up even from 0.0001


@pytest.mark.parametrize("bad", [-1, 10_001, 1.5, True, "100"])
def test_bad_bps(bad: object) -> None:
    with pytest.raises(ValueError, match="burn_bps must be an int in"):
        check_bps(bad, "burn_bps")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -3, 2.0, False])
def test_bad_amounts(bad: object) -> None:
    with pytest.raises(ValueError, match="bond must be a positive int"):
        check_amount(bad, "bond")  # type: ignore[arg-type]
    assert check_amount(0, positive=False) == 0


def test_split_and_forfeit_examples() -> None:
    assert split_slash(333, 1_000) == (33, 300)
    assert split_slash(51, 1_000) == (5, 46)
    assert forfeit_bond(1_001, 1_000) == (900, 101)
    assert forfeit_bond(1_000, 0) == (1_000, 0)
    assert forfeit_bond(1_000, BPS) == (0, 1_000)
    assert penalty(1_001, 500) == 51
    assert penalty(0, 500) == 0


@given(amounts, bps)
def test_splits_conserve_and_favour_the_protocol(amount: int, share: int) -> None:
    for party, protocol in (split_slash(amount, share), forfeit_bond(amount, BPS - share)):
        assert party + protocol == amount
        assert party >= 0 and protocol >= 0
        assert party * BPS <= amount * share  # the party never gets more than its share
        assert (party + 1) * BPS > amount * share  # and loses less than one unit to dust


@given(amounts, bps)
def test_penalty_bounds(stake: int, rate: int) -> None:
    p = penalty(stake, rate)
    assert 0 <= p <= stake
    assert p * BPS >= stake * rate  # never below the rule's fraction
    assert (p - 1) * BPS < stake * rate


def test_allocate_takes_bond_then_latest_entries() -> None:
    cut = allocate_slash(100, ((50, 10), (70, 30), (20, 20)), 190)
    assert cut.taken == 190
    assert cut.bonded == 0
    # 100 from the bond, then 70 (ready 30), then 20 (ready 20); the entry ready at 10 stays
    assert cut.unbonding == ((50, 10),)
    partial = allocate_slash(10, ((50, 10), (70, 30)), 40)
    assert partial == (40, 0, ((50, 10), (40, 30)))
    capped = allocate_slash(5, ((5, 1),), 1_000)
    assert capped == (10, 0, ())


@given(st.integers(0, 10**6), queues, st.integers(0, 10**7))
def test_allocate_conserves(bonded: int, queue: tuple[tuple[int, int], ...], amount: int) -> None:
    before = slashable(bonded, queue)
    cut = allocate_slash(bonded, queue, amount)
    assert cut.taken == min(amount, before)
    assert slashable(cut.bonded, cut.unbonding) == before - cut.taken
    assert 0 <= cut.bonded <= bonded
    assert all(a > 0 for a, _ in cut.unbonding)
    # no entry grows and none changes its ready block
    ready_blocks = [r for _, r in queue]
    assert all(r in ready_blocks for _, r in cut.unbonding)


@given(queues, st.integers(0, 120))
def test_mature_partitions_the_queue(queue: tuple[tuple[int, int], ...], block: int) -> None:
    ready, waiting = mature(queue, block)
    assert ready + slashable(0, waiting) == slashable(0, queue)
    assert all(at > block for _, at in waiting)
    assert mature(((5, 3), (7, 4)), 3) == (5, ((7, 4),))
