"""Uniform-price batch clearing on one pool (cfmm_clearing): uniform, safe, order-free."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms.cfmm import (
    Order,
    Pool,
    ProductPool,
    amount_out,
    uniform_clearing,
)
from tests.mechanisms.cfmm.strategies import (
    orders_strategy,
    product_pools,
    sum_pools,
    weighted_pools,
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(product_pools(), weighted_pools(), sum_pools()), orders_strategy, st.data())
def test_uniform_clearing_is_uniform_safe_and_order_free(
    pool: Pool, orders: list[Order], data: st.DataObject
) -> None:
    n = len(pool.reserves)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1).filter(lambda k: k != i))
    clearing = uniform_clearing(pool, i, j, tuple(orders))
    assert pool.accepts(clearing.tendered, clearing.received)
    price = clearing.price
    for o, out, filled in zip(orders, clearing.outs, clearing.filled, strict=True):
        if not filled:
            assert out == 0
            continue
        assert price is not None and out >= max(o.min_out, 1)
        assert out == (math.floor(o.amount * price) if o.sells_i else math.floor(o.amount / price))
    # the orders' positions do not matter
    perm = data.draw(st.permutations(range(len(orders))))
    again = uniform_clearing(pool, i, j, tuple(orders[k] for k in perm))
    assert again.price == clearing.price
    assert again.outs == tuple(clearing.outs[k] for k in perm)
    assert again.pool == clearing.pool


def test_uniform_clearing_known_values() -> None:
    pool = ProductPool((10_000, 10_000))
    # 1000 A against 500 B: the largest net flow d with out(d)·(1000 − d) ≥ 500·d is
    # d = 474 (out 451: 451·526 = 237_226 ≥ 237_000; d = 475: 452·525 = 237_300 < 237_500);
    # p = (451 + 500)/1000 = 951/1000; the A-seller gets 951, the B-seller
    # floor(500·1000/951) = 525, so the pool takes 1000 − 525 = 475 A (one unit of dust)
    c = uniform_clearing(pool, 0, 1, (Order(True, 1_000), Order(False, 500)))
    assert amount_out(474, 10_000, 10_000) == 451
    assert (c.price, c.outs, c.tendered, c.received) == (
        Fraction(951, 1_000),
        (951, 525),
        (475, 0),
        (0, 451),
    )
    # balanced flow inside the fee band crosses without the pool at Y/X = 1
    c = uniform_clearing(pool, 0, 1, (Order(True, 1_000), Order(False, 1_000)))
    assert (c.price, c.outs, c.tendered, c.received) == (
        Fraction(1),
        (1_000, 1_000),
        (0, 0),
        (0, 0),
    )
    # an unmet minimum is dropped and the rest re-cleared: the A-seller trades alone
    c = uniform_clearing(pool, 0, 1, (Order(True, 1_000), Order(False, 1_000, 1_001)))
    assert c.filled == (True, False) and c.outs == (906, 0)
    # one-sided: everyone shares amount_out of the total
    c = uniform_clearing(pool, 0, 1, (Order(True, 1_000), Order(True, 1_000)))
    assert c.outs == (831, 831) and amount_out(2_000, 10_000, 10_000) == 1_662
    with pytest.raises(ValueError, match=r"orders\[0\].amount must be positive"):
        uniform_clearing(pool, 0, 1, (Order(True, 0),))


def test_uniform_clearing_drops_only_the_worst_missing_order() -> None:
    """Three A-sellers on a 10k/10k pool: at the price of all three together (767 each)
    every one misses its ``min_out``, so dropping every missing order at once would fill
    none. Dropping only the worst (900 wants the most: shortfall 133/900 against 33/800)
    re-prices the other two at 831 each, which they accept."""
    pool = ProductPool((10_000, 10_000))
    together = uniform_clearing(pool, 0, 1, (Order(True, 1_000),) * 3)
    assert together.outs == (767, 767, 767) and amount_out(3_000, 10_000, 10_000) == 2_302
    orders = (Order(True, 1_000, 800), Order(True, 1_000, 800), Order(True, 1_000, 900))
    c = uniform_clearing(pool, 0, 1, orders)
    assert c.filled == (True, True, False) and c.outs == (831, 831, 0)
    assert (c.tendered, c.received) == ((2_000, 0), (0, 1_662))
    # wherever the worst order stands, the same two fill
    c = uniform_clearing(pool, 0, 1, (orders[2], orders[0], orders[1]))
    assert c.filled == (False, True, True) and c.outs == (0, 831, 831)


def test_uniform_clearing_drops_tied_orders_together() -> None:
    """Two identical orders that miss by the same shortfall are dropped together: breaking
    the tie by position would fill one and not the other depending on where it stands."""
    pool = ProductPool((10_000, 10_000))
    orders = (Order(True, 1_000, 850), Order(True, 1_000, 850), Order(False, 100, 0))
    c = uniform_clearing(pool, 0, 1, orders)
    assert c.filled == (False, False, True)
    assert c.outs == (0, 0, amount_out(100, 10_000, 10_000))


@settings(max_examples=150, deadline=None)
@given(st.one_of(product_pools(), weighted_pools(), sum_pools()), orders_strategy, st.data())
def test_uniform_clearing_with_duplicates_is_order_free(
    pool: Pool, orders: list[Order], data: st.DataObject
) -> None:
    """Identical orders (ties in shortfall) do not make the result depend on positions."""
    extra = data.draw(st.lists(st.sampled_from(orders), max_size=4))
    book = [*orders, *extra]
    n = len(pool.reserves)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1).filter(lambda k: k != i))
    clearing = uniform_clearing(pool, i, j, tuple(book))
    perm = data.draw(st.permutations(range(len(book))))
    again = uniform_clearing(pool, i, j, tuple(book[k] for k in perm))
    assert again.price == clearing.price and again.pool == clearing.pool
    assert again.outs == tuple(clearing.outs[k] for k in perm)
    assert again.filled == tuple(clearing.filled[k] for k in perm)
    for o, out, filled in zip(book, clearing.outs, clearing.filled, strict=True):
        assert (out >= max(o.min_out, 1)) if filled else out == 0
