"""Auction math against textbook values, plus properties over random bids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms import auctions as A
from accord.mechanisms.auctions import FIRST_PRICE, NO_SALE, SECOND_PRICE, Bid, Outcome

TEXTBOOK = [Bid("a", 10, 1), Bid("b", 7, 1), Bid("c", 3, 1)]


def test_vickrey_textbook() -> None:
    """Bids 10, 7, 3: the highest bidder wins and pays the second bid (Vickrey 1961)."""
    assert A.outcome(TEXTBOOK, 0, SECOND_PRICE) == Outcome("a", 7)


def test_first_price_textbook() -> None:
    assert A.outcome(TEXTBOOK, 0, FIRST_PRICE) == Outcome("a", 10)


@pytest.mark.parametrize(
    ("reserve", "second", "first"),
    [
        (0, ("a", 7), ("a", 10)),
        (5, ("a", 7), ("a", 10)),  # reserve below the runner-up: no effect
        (7, ("a", 7), ("a", 10)),
        (8, ("a", 8), ("a", 10)),  # reserve above the runner-up: the winner pays it
        (10, ("a", 10), ("a", 10)),  # a bid equal to the reserve is eligible
        (11, (None, 0), (None, 0)),  # nobody meets the reserve: no sale
    ],
)
def test_reserve_price(
    reserve: int, second: tuple[str | None, int], first: tuple[str | None, int]
) -> None:
    assert A.outcome(TEXTBOOK, reserve, SECOND_PRICE) == second
    assert A.outcome(TEXTBOOK, reserve, FIRST_PRICE) == first


def test_a_lone_bidder_pays_the_reserve_under_vickrey() -> None:
    assert A.outcome([Bid("a", 5, 1)], 2, SECOND_PRICE) == ("a", 2)
    assert A.outcome([Bid("a", 5, 1)], 2, FIRST_PRICE) == ("a", 5)
    assert A.outcome([Bid("a", 5, 1)], 0, SECOND_PRICE) == ("a", 0)


def test_bids_below_the_reserve_do_not_set_the_price() -> None:
    bids = [Bid("a", 10, 1), Bid("b", 4, 1)]
    assert A.outcome(bids, 6, SECOND_PRICE) == ("a", 6)


def test_no_bids_no_sale() -> None:
    assert A.outcome([], 0, SECOND_PRICE) == NO_SALE == (None, 0)


def test_ties_earliest_commit_then_address() -> None:
    bids = [Bid("zed", 9, 2), Bid("amy", 9, 3), Bid("bob", 9, 2), Bid("cat", 4, 1)]
    assert A.ranked(bids)[:3] == [Bid("bob", 9, 2), Bid("zed", 9, 2), Bid("amy", 9, 3)]
    assert A.outcome(bids, 0, FIRST_PRICE) == ("bob", 9)
    assert A.outcome(bids, 0, SECOND_PRICE) == ("bob", 9)  # the runner-up bid is equal


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="rule must be one of"):
        A.outcome(TEXTBOOK, 0, "dutch")
    with pytest.raises(ValueError, match="reserve must be a non-negative int"):
        A.outcome(TEXTBOOK, -1, FIRST_PRICE)
    with pytest.raises(ValueError, match="bid must be a non-negative int"):
        A.outcome([Bid("a", -1, 1)], 0, FIRST_PRICE)
    with pytest.raises(ValueError, match="bid must be a non-negative int"):
        A.outcome([Bid("a", True, 1)], 0, FIRST_PRICE)
    with pytest.raises(ValueError, match="bidder 'a' has more than one bid"):
        A.outcome([Bid("a", 1, 1), Bid("a", 2, 2)], 0, FIRST_PRICE)


def test_non_reveal_penalty() -> None:
    assert A.non_reveal_penalty(20, 5) == 5
    assert A.non_reveal_penalty(3, 5) == 3  # capped at the deposit
    with pytest.raises(ValueError, match="penalty must be a non-negative int"):
        A.non_reveal_penalty(3, -1)


BIDS = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 5)), min_size=0, max_size=8).map(
    lambda xs: [Bid(f"b{i}", amount, at) for i, (amount, at) in enumerate(xs)]
)


@given(bids=BIDS, reserve=st.integers(0, 100))
def test_second_price_is_max_of_runner_up_and_reserve(bids: list[Bid], reserve: int) -> None:
    eligible = sorted((b.amount for b in bids if b.amount >= reserve), reverse=True)
    second = A.outcome(bids, reserve, SECOND_PRICE)
    first = A.outcome(bids, reserve, FIRST_PRICE)
    if not eligible:
        assert second == first == NO_SALE
        return
    assert second.winner == first.winner
    winning = next(b for b in bids if b.bidder == second.winner)
    assert winning.amount == eligible[0]
    assert first.price == eligible[0]
    assert second.price == max(eligible[1] if len(eligible) > 1 else reserve, reserve)
    assert reserve <= second.price <= first.price  # never above the winner's own bid
    # ties: the winner committed no later than any other top bid, then has the least name
    tops = [b for b in bids if b.amount == eligible[0]]
    assert (winning.committed_at, winning.bidder) == min((b.committed_at, b.bidder) for b in tops)


@given(bids=BIDS, reserve=st.integers(0, 100))
def test_order_of_the_bids_does_not_matter(bids: list[Bid], reserve: int) -> None:
    for rule in A.RULES:
        assert A.outcome(bids, reserve, rule) == A.outcome(bids[::-1], reserve, rule)
