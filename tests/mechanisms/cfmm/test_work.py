"""Bounded, charged work in the CFMM math: weighted pools' closed forms and batch rounds.

Pins ``accord/mechanisms/cfmm/pools.py`` and ``cfmm/clearing.py`` (issue 11, "Gas bounds
work"): no weighted-pool method walks over amounts (a walk by ±1 from a decimal guess
used to run ~10^10 steps on a three-token pool with reserves 10^36), each one's Newton
steps stay within :func:`~accord.mechanisms.introot.root_steps` and are charged one by one
before they run, and ``uniform_clearing`` charges every round's bookkeeping per order
before the round, so a many-order batch pays ``orders × rounds``.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accord.mechanisms.cfmm import (
    EXACT_WEIGHT_LIMIT,
    Order,
    ProductPool,
    WeightedPool,
    uniform_clearing,
)
from accord.mechanisms.cfmm.clearing import EVALUATION_GAS, ORDER_ROUND_GAS
from accord.mechanisms.cfmm.pools import _pow_gas, decimal_gas
from accord.mechanisms.introot import root_step_gas, root_steps
from tests.mechanisms.test_introot import newton_steps

BPS = 10_000


class OutOfBudget(Exception):
    pass


def ledger(budget: int | None = None) -> tuple[list[int], object]:
    """A charge callback that records each charge and raises past ``budget``."""
    charges: list[int] = []

    def charge(gas: int) -> None:
        if budget is not None and sum(charges) + gas > budget:
            raise OutOfBudget(gas)
        charges.append(gas)

    return charges, charge


def pair_weights(pool: WeightedPool, i: int, j: int) -> tuple[int, int]:
    g = math.gcd(pool.weights[i], pool.weights[j])
    return pool.weights[i] // g, pool.weights[j] // g


@st.composite
def hostile_weighted(draw: st.DrawFn) -> tuple[WeightedPool, int, int, int]:
    """Extreme pools: reserves 1 … 2^200, weights from tiny to 2^64 (pairs past the exact
    limit included), amounts 0 … 2^256."""
    n = draw(st.integers(2, 4))
    reserves = tuple(draw(st.one_of(st.integers(1, 10), st.integers(1, 2**200))) for _ in range(n))
    weights = tuple(
        draw(st.one_of(st.integers(1, 40), st.integers(1, 2**64), st.just(600))) for _ in range(n)
    )
    i = draw(st.integers(0, n - 1))
    j = draw(st.integers(0, n - 1).filter(lambda k: k != i))
    amount = draw(st.one_of(st.integers(0, 10), st.integers(0, 2**256)))
    return WeightedPool(reserves, weights, draw(st.integers(0, 9_999))), i, j, amount


@settings(max_examples=200, deadline=None)
@given(hostile_weighted())
@example((WeightedPool((10**36, 10**36, 10**36), (1, 1, 600), 30), 0, 1, 10**36 // 7))
@example((WeightedPool((2**200, 3), (40, 1), 0), 1, 0, 2**256))
def test_weighted_out_given_in_is_closed_form_within_its_step_bound_and_charged_per_step(
    case: tuple[WeightedPool, int, int, int],
) -> None:
    pool, i, j, a = case
    charges, charge = ledger()
    out = pool.out_given_in(i, j, a, charge)
    assert out == pool.out_given_in(i, j, a)  # the charge changes nothing
    b_i, b_o = pool.reserves[i], pool.reserves[j]
    assert 0 <= out <= max(b_o - 1, 0)
    if a == 0:
        assert out == 0 and charges == []
        return
    w_i, w_o = pair_weights(pool, i, j)
    if w_i + w_o > EXACT_WEIGHT_LIMIT:  # one decimal evaluation, no loop
        assert len(charges) == 1 and charges[0] >= decimal_gas(60)
        assert pool.accepts_swap(i, j, a, out)
        return
    # exact: the largest output the (exact) invariant check accepts
    assert pool.accepts_swap(i, j, a, out)
    if out + 1 < b_o:
        assert not pool.accepts_swap(i, j, a, out + 1)
    gamma = BPS - pool.fee_bps
    x_i = BPS * b_i + gamma * a
    m = -(-((BPS * b_i) ** w_i * (BPS * b_o) ** w_o) // x_i**w_i)
    powers = 2 * _pow_gas(w_i * x_i.bit_length() + w_o * (BPS * b_o).bit_length())
    assert charges[0] == powers
    if m <= 1 or w_o == 1:  # no root to take
        assert charges == [powers]
        return
    steps = newton_steps(m, w_o)
    assert steps <= root_steps(m, w_o)
    # one charge per Newton step, before it, and one for the final check
    assert charges[1:] == [root_step_gas(m, w_o)] * (steps + 1)
    assert sum(charges) == powers + (steps + 1) * root_step_gas(m, w_o)


@settings(max_examples=150, deadline=None)
@given(hostile_weighted())
@example((WeightedPool((10**36, 10**36, 10**36), (1, 1, 600), 30), 0, 1, 10**36 // 7))
@example((WeightedPool((10**30, 10**30), (1, 40), 30), 0, 1, 10**30 - 1))
def test_weighted_in_given_out_is_the_least_accepted_input_and_charged(
    case: tuple[WeightedPool, int, int, int],
) -> None:
    pool, i, j, a = case
    b_o = pool.reserves[j]
    out = a % b_o
    charges, charge = ledger()
    w_i, w_o = pair_weights(pool, i, j)
    try:
        need = pool.in_given_out(i, j, out, charge)
    except ValueError as exc:  # only an astronomically large input is refused
        assert w_i + w_o > EXACT_WEIGHT_LIMIT and "would need an input over" in str(exc)
        b_i = pool.reserves[i]
        assert w_o * math.log10(b_o / (b_o - out)) / w_i + math.log10(BPS * b_i) > 70
        assert len(charges) <= 2
        return
    assert need == pool.in_given_out(i, j, out)
    if out == 0:
        assert need == 0 and charges == []
        return
    assert pool.accepts_swap(i, j, need, out)
    if w_i + w_o > EXACT_WEIGHT_LIMIT:
        assert 1 <= len(charges) <= 2  # a first estimate, then its size's precision
        return
    assert not pool.accepts_swap(i, j, need - 1, out)
    m = -(-((BPS * pool.reserves[i]) ** w_i * (BPS * b_o) ** w_o) // (BPS * (b_o - out)) ** w_o)
    if m > 1 and w_i > 1:
        steps = newton_steps(m, w_i)
        assert steps <= root_steps(m, w_i)
        assert charges[1:] == [root_step_gas(m, w_i)] * (steps + 1)


def test_the_walk_that_ran_for_ever_is_now_exact_and_immediate() -> None:
    """Three tokens with weights (1, 1, 600): the pair (0, 1) is exact but the pool's
    weights sum past the limit, and the old code walked ±1 from a decimal guess with a
    logarithmic check whose margin spans ~10^10 units at reserves 10^36."""
    r = 10**36
    pool = WeightedPool((r, r, r), (1, 1, 600), 30)
    charges, charge = ledger()
    out = pool.out_given_in(0, 1, r // 7, charge)
    assert out == ProductPool((r, r), 30).out_given_in(0, 1, r // 7)  # weights 1:1
    assert pool.accepts_swap(0, 1, r // 7, out) and not pool.accepts_swap(0, 1, r // 7, out + 1)
    assert len(charges) == 1  # the powers; w_o = 1 needs no root


def test_an_unaffordable_root_stops_before_its_first_newton_step() -> None:
    """Weights 511:1 at 2^256 reserves: each Newton step's charge alone exceeds a 30M
    block, so the call fails on its first step's charge, before that step runs."""
    pool = WeightedPool((2**256, 2**256), (1, 511), 30)
    charges, charge = ledger(budget=30_000_000)
    with pytest.raises(OutOfBudget) as raised:
        pool.out_given_in(0, 1, 2**255, charge)
    assert len(charges) == 1  # the powers were paid, no Newton step was
    m_bits = (2**256 * BPS).bit_length() * 512
    assert raised.value.args[0] >= root_step_gas((1 << m_bits) - 1, 511) // 2 > 30_000_000


# -- uniform clearing: rounds --------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(1_000, 10**24), st.integers(0, 9_999))
def test_a_batch_of_orders_that_each_miss_runs_one_round_per_order_and_pays_each(
    n: int, reserve: int, fee: int
) -> None:
    """Every order asks far more than any price gives, each by a different shortfall: the
    clearing drops exactly one per round, so it runs ``n`` rounds over ``n`` orders, and
    every round was charged ``ORDER_ROUND_GAS · n`` before it ran."""
    pool = ProductPool((reserve, reserve), fee)
    orders = tuple(Order(k % 2 == 0, 1_000 + k, 10**40 + k * 10**30) for k in range(n))
    charges, charge = ledger()
    clearing = uniform_clearing(pool, 0, 1, orders, charge)
    assert clearing.filled == (False,) * n and clearing.price is None
    assert clearing.rounds == n + 1  # n drops, then a round with nothing left
    assert sum(charges) == (
        ORDER_ROUND_GAS * n * (clearing.rounds + 1) + EVALUATION_GAS * clearing.evaluations
    )
    bisection = sum(o.amount for o in orders).bit_length() + 1
    assert clearing.evaluations <= 2 * clearing.rounds * bisection


def test_an_unaffordable_batch_stops_before_the_round_it_cannot_pay() -> None:
    n = 200
    pool = ProductPool((10**18, 10**18), 30)
    orders = tuple(Order(k % 2 == 0, 1_000 + k, 10**40 + k * 10**30) for k in range(n))
    budget = ORDER_ROUND_GAS * n * 10 + 10**6
    charges, charge = ledger(budget)
    with pytest.raises(OutOfBudget):
        uniform_clearing(pool, 0, 1, orders, charge)
    rounds_paid = sum(1 for c in charges if c == ORDER_ROUND_GAS * n)
    assert rounds_paid <= budget // (ORDER_ROUND_GAS * n) < n
    assert sum(charges) <= budget
