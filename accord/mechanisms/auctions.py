"""Sealed-bid single-item auctions: who wins and what they pay. Pure integer math.

Two payment rules over the same ranked bids (Krishna, *Auction Theory*, 2nd ed., ch. 2;
Vickrey, "Counterspeculation, auctions, and competitive sealed tenders", *J. Finance*
16(1), 1961):

* **first price** (:data:`FIRST_PRICE`): the highest bidder pays its own bid. Bidders
  shade their bids below their values, and the best shade depends on beliefs about the
  others.
* **second price** (:data:`SECOND_PRICE`, Vickrey): the highest bidder pays the
  second-highest *eligible* bid, or the reserve price if that is higher (or if it bid
  alone). Bidding one's true value is a weakly dominant strategy.

With a reserve price ``r`` (Myerson, "Optimal auction design", *Math. of OR* 6(1), 1981)
a bid below ``r`` is not eligible: it cannot win and does not set the price. So::

    eligible = [b for b in bids if b.amount >= r]
    winner   = first of eligible ranked by (amount desc, committed_at asc, bidder asc)
    price    = winner.amount                               (first price)
             = max(r, second eligible amount, if any)      (second price)

**Ties** are broken deterministically: the earlier commitment (lower ``committed_at``
block) wins, then the lexicographically smaller address. Under the second-price rule a
tie at the top costs the winner its own bid, since the runner-up bid is equal.

Textbook checks (``tests/mechanisms/test_auctions.py``): bids 10, 7, 3 → the 10 wins and
pays 7 under Vickrey, 10 under first price; reserve 8 → pays 8; reserve 11 → no sale; a
lone bid 5 with reserve 2 → pays 2 under Vickrey.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

FIRST_PRICE, SECOND_PRICE = "first_price", "second_price"
RULES = (FIRST_PRICE, SECOND_PRICE)


class Bid(NamedTuple):
    """A revealed bid: who, how much (base units) and the block its commitment landed in."""

    bidder: str
    amount: int
    committed_at: int


class Outcome(NamedTuple):
    """The winner (``None``: no sale) and the price it pays (0 when there is no sale)."""

    winner: str | None
    price: int


NO_SALE = Outcome(None, 0)


def check_rule(rule: object) -> str:
    """``rule`` if it is one of :data:`RULES`; ``ValueError`` naming the choices otherwise."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    return rule


def check_bid(amount: object, name: str = "bid") -> int:
    """``amount`` if it is a non-negative int (not a bool); ``ValueError`` otherwise."""
    if type(amount) is not int or amount < 0:
        raise ValueError(f"{name} must be a non-negative int in base units, got {amount!r}")
    return amount


def rank_key(bid: Bid) -> tuple[int, int, str]:
    """Sort key putting the winning bid first: highest amount, earliest commit, address."""
    return (-bid.amount, bid.committed_at, bid.bidder)


def ranked(bids: Iterable[Bid]) -> list[Bid]:
    """``bids`` best first (:func:`rank_key`)."""
    return sorted(bids, key=rank_key)


def outcome(bids: Sequence[Bid], reserve: int, rule: str) -> Outcome:
    """Winner and price of a sealed-bid auction with reserve price ``reserve``.

    Bidders must be distinct (``ValueError`` otherwise): one address, one bid.
    """
    check_rule(rule)
    check_bid(reserve, "reserve")
    seen: set[str] = set()
    for b in bids:
        check_bid(b.amount)
        if b.bidder in seen:
            raise ValueError(f"bidder {b.bidder!r} has more than one bid")
        seen.add(b.bidder)
    eligible = ranked(b for b in bids if b.amount >= reserve)
    if not eligible:
        return NO_SALE
    top = eligible[0]
    if rule == FIRST_PRICE:
        return Outcome(top.bidder, top.amount)
    runner_up = eligible[1].amount if len(eligible) > 1 else reserve
    return Outcome(top.bidder, max(runner_up, reserve))


def non_reveal_penalty(deposit: int, penalty: int) -> int:
    """What a bidder who never revealed forfeits: the configured ``penalty``, capped at
    its ``deposit`` (the rest of the deposit is refunded)."""
    return min(check_bid(deposit, "deposit"), check_bid(penalty, "penalty"))
