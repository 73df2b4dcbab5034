"""LMSR: cost, prices, the b·ln n loss bound, the log-score identity, closed-form trades,
and the integer charge that rounds towards the maker (never exceeding the subsidy)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import lmsr


def exact_cost(q: tuple[int, ...], b: int, prec: int = 120) -> Decimal:
    """C(q) by the definition, in 120-digit decimal arithmetic (no log-sum-exp shift)."""
    with localcontext() as ctx:
        ctx.prec = prec
        return b * sum((Decimal(x) / b).exp() for x in q).ln()


def test_cost_and_prices_at_zero() -> None:
    assert lmsr.cost([0, 0], 100) == pytest.approx(100 * math.log(2), rel=1e-15)
    assert lmsr.cost([0, 0, 0, 0], 7.5) == pytest.approx(7.5 * math.log(4), rel=1e-15)
    np.testing.assert_allclose(lmsr.prices([0, 0, 0], 10), [1 / 3] * 3, rtol=1e-15)


def test_prices_are_softmax_and_sum_to_one() -> None:
    q, b = np.array([3.0, -1.0, 10.0]), 4.0
    expected = np.exp(q / b) / np.exp(q / b).sum()
    np.testing.assert_allclose(lmsr.prices(q, b), expected, rtol=1e-14)
    assert lmsr.prices(q, b).sum() == pytest.approx(1.0, abs=1e-15)


def test_log_sum_exp_is_stable_far_from_zero() -> None:
    # exp(1e6) overflows a float; the shifted form does not.
    c = lmsr.cost([1e6, 1e6 + 1], 1.0)
    assert c == pytest.approx(1e6 + 1 + math.log1p(math.exp(-1)), rel=1e-15)
    np.testing.assert_allclose(
        lmsr.prices([1e6, 1e6 + 1], 1.0), [1 / (1 + math.e), math.e / (1 + math.e)]
    )


def test_trade_cost_of_a_single_outcome_closed_form() -> None:
    b, x = 50.0, 30.0
    expected = b * math.log((math.exp(x / b) + 1) / 2)
    assert lmsr.trade_cost([0, 0], [x, 0], b) == pytest.approx(expected, rel=1e-14)
    # buying one of every outcome costs exactly 1 each: C(q + k·1) = C(q) + k
    assert lmsr.trade_cost([5, -2, 9], [4, 4, 4], 3.0) == pytest.approx(4.0, rel=1e-14)


@pytest.mark.parametrize("n", [2, 3, 10])
def test_worst_case_loss_is_b_ln_n(n: int) -> None:
    """From q = 0, buy outcome 0 out to certainty; it happens. The maker's loss
    x − (C(q) − C(0)) = b ln n − b ln(1 + (n − 1) e^{−x/b}) rises to b ln n."""
    b = 20.0
    losses = []
    for x in (b, 5 * b, 20 * b, 60 * b):
        paid = lmsr.trade_cost(np.zeros(n), [x] + [0] * (n - 1), b)
        loss = x - paid
        closed = b * math.log(n) - b * math.log1p((n - 1) * math.exp(-x / b))
        assert loss == pytest.approx(closed, rel=1e-12)
        losses.append(loss)
    assert losses == sorted(losses)
    assert losses[-1] == pytest.approx(lmsr.worst_case_loss(b, n), rel=1e-15)
    assert lmsr.worst_case_loss(b, n) == b * math.log(n)


def test_worst_case_loss_in_base_units_is_floor_b_ln_n() -> None:
    """Integer version: buying out to certainty leaves the maker ⌊b ln n⌋ short, one
    unit under the subsidy ⌈b ln n⌉ (the ceiling charge keeps the fraction)."""
    for b, n, floor in ((1_000, 2, 693), (10**18, 2, 693_147_180_559_945_309), (777, 5, 1_250)):
        x = 200 * b
        loss = x - lmsr.charge((0,) * n, (x,) + (0,) * (n - 1), b)
        assert loss == floor == lmsr.subsidy(b, n) - 1


def test_subsidy_exact_values() -> None:
    assert lmsr.subsidy(100, 2) == 70  # 69.31…
    assert lmsr.subsidy(10**18, 2) == 693_147_180_559_945_310  # ln 2 = 0.6931471805599453094…
    assert lmsr.subsidy(1_000, 3) == 1_099  # 1098.61…
    assert lmsr.subsidy(5, 1) == 0


def test_market_scoring_rule_identity() -> None:
    """Moving prices p → p' pays b·ln(p'ₒ/pₒ) on outcome o (Hanson 2003): LMSR is the
    log scoring rule run as a market."""
    b = 10.0
    q0 = np.array([1.0, 4.0, -2.0])
    delta = np.array([6.0, -3.0, 2.5])
    p0, p1 = lmsr.prices(q0, b), lmsr.prices(q0 + delta, b)
    paid = lmsr.trade_cost(q0, delta, b)
    for o in range(3):
        assert delta[o] - paid == pytest.approx(b * math.log(p1[o] / p0[o]), rel=1e-12)


def test_shares_to_price_reaches_the_target() -> None:
    q, b = [10.0, -5.0, 3.0], 25.0
    for i, target in ((0, 0.9), (1, 0.05), (2, 0.4)):
        x = lmsr.shares_to_price(q, b, i, target)
        after = list(q)
        after[i] += x
        assert lmsr.prices(after, b)[i] == pytest.approx(target, rel=1e-12)
    # binary, from 0: x = b ln(π / (1 − π))
    assert lmsr.shares_to_price([0, 0], 10.0, 0, 0.8) == pytest.approx(10 * math.log(4))


def test_shares_for_budget_inverts_the_cost() -> None:
    q, b = [3.0, 7.0], 12.0
    for budget in (0.0, 0.5, 5.0, 80.0):
        x = lmsr.shares_for_budget(q, b, 1, budget)
        assert lmsr.trade_cost(q, [0, x], b) == pytest.approx(budget, abs=1e-10)
    # Binary from 0 with budget B: x = b ln(2 e^{B/b} − 1)
    assert lmsr.shares_for_budget([0, 0], 10.0, 0, 3.0) == pytest.approx(
        10 * math.log(2 * math.exp(0.3) - 1)
    )


def test_charge_is_the_exact_ceiling() -> None:
    cases = [
        ((0, 0), (1_000, 0), 1_000),
        ((0, 0), (0, 1), 10**6),
        ((123, -45, 6), (-7, 89, 0), 50),
        ((10**20, 0), (10**18, -(10**18)), 10**19),
        ((0, 0), (-500, 0), 1_000),  # a sale: proceeds rounded down
    ]
    for q, d, b in cases:
        after = tuple(x + y for x, y in zip(q, d, strict=True))
        true = exact_cost(after, b) - exact_cost(q, b)
        assert lmsr.charge(q, d, b) == math.ceil(true), (q, d, b)
    # the sale of 500 from q = 0: 1000·ln((e^{−1/2} + 1)/2) = −219.07…, the seller gets 219
    assert lmsr.charge((0, 0), (-500, 0), 1_000) == -219


def test_charge_exact_integer_cases() -> None:
    assert lmsr.charge((0, 0), (0, 0), 7) == 0
    assert lmsr.charge((3, 9, -4), (5, 5, 5), 7) == 5  # one full set of each outcome
    assert lmsr.charge((0, 5), (5, -5), 7) == 0  # the state permuted: same cost
    assert lmsr.charge((0, 5), (7, -3), 7) == 2  # permuted and shifted by 2


def test_charge_matches_the_float_cost() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        q = tuple(int(v) for v in rng.integers(-5_000, 5_000, size=3))
        d = tuple(int(v) for v in rng.integers(-2_000, 2_000, size=3))
        c = lmsr.charge(q, d, 1_500)
        f = lmsr.trade_cost(q, d, 1_500.0)
        assert f <= c < f + 1 + 1e-9


def test_price_ppb() -> None:
    assert lmsr.price_ppb((0, 0), 100, 0) == 500_000_000
    assert lmsr.price_ppb((0, 0, 0), 100, 2) == 333_333_333
    b, q = 1_000, (700, 0)
    assert lmsr.price_ppb(q, b, 0) == math.floor(1e9 / (1 + math.exp(-0.7)))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lmsr.cost([0, 0], 0), "liquidity b must be a positive number"),
        (lambda: lmsr.cost([], 1), "non-empty vector"),
        (lambda: lmsr.trade_cost([0, 0], [1], 1), "delta has 1 outcomes, q has 2"),
        (lambda: lmsr.charge((0, 0), (1, 0), 0), "liquidity b must be a positive int"),
        (lambda: lmsr.charge((0, 0), (1.5, 0), 10), r"delta\[0\] must be an int"),
        (lambda: lmsr.charge((0, 0), (1, 0, 0), 10), "delta has 3 outcomes, q has 2"),
        (lambda: lmsr.shares_to_price([0, 0], 1, 0, 1.0), r"target price must be in \(0, 1\)"),
        (lambda: lmsr.shares_to_price([0, 0], 1, 2, 0.5), "outcome index 2 is out of range"),
        (lambda: lmsr.shares_for_budget([0, 0], 1, 0, -1), "budget must be >= 0"),
        (lambda: lmsr.subsidy(10, 0), r"number of outcomes n must be an int in \[1, 64\]"),
    ],
)
def test_bad_input_names_the_problem(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


trades = st.lists(st.tuples(st.integers(0, 2), st.integers(-3_000, 6_000)), min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(b=st.integers(1, 5_000), seq=trades)
def test_maker_never_owes_more_than_subsidy_plus_receipts(
    b: int, seq: list[tuple[int, int]]
) -> None:
    """Any trade sequence (buys and sales of any outcome, at any size): the maker starts
    with ⌈b ln n⌉ and collects every ceiling charge; for every outcome i it can pay the
    qᵢ shares outstanding, i.e. its loss never exceeds the subsidy."""
    n = 3
    cash = lmsr.subsidy(b, n)
    q = [0] * n
    for i, amount in seq:
        amount = max(amount, -q[i]) if q[i] > 0 else max(amount, 0)  # sell only what was sold
        delta = [0] * n
        delta[i] = amount
        cash += lmsr.charge(tuple(q), tuple(delta), b)
        q[i] += amount
        assert cash >= max(q), (cash, q)
        assert cash >= 0


def test_readme_futarchy_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2] / "README.md"
    blocks = re.findall(r"^```python\n(.*?)^```", readme.read_text(), flags=re.DOTALL | re.M)
    mine = [b for b in blocks if "lmsr.charge" in b]
    assert len(mine) == 1, "README.md needs one example using lmsr.charge"
    exec(compile(mine[0], str(readme), "exec"), {"__name__": "readme_futarchy"})
    assert capsys.readouterr().out.splitlines() == [
        "[0.5 0.5] 1434 694",
        "140.0",
        "[('A', 150), ('B', 300), ('C', 150), ('F', 400)]",
    ]
    # 1000·ln((e² + 1)/2) = 1433.5…; 1000·ln 2 = 693.1…
    assert math.ceil(1_000 * math.log((math.exp(2) + 1) / 2)) == 1_434


# -- the integer half: fixed-point intervals, never undercharging, exact sizing --------
ONE = 2**128  # accord.mechanisms.fixedpoint.ONE: the documented 128 fractional bits


def shifted_cost(q: Sequence[int], b: int) -> Decimal:
    """C(q) = m + b ln Σ exp((qᵢ − m)/b) in 150-digit decimal (no overflow for any q)."""
    with localcontext() as ctx:
        ctx.prec = 150
        m = max(q)
        return m + b * sum((Decimal(x - m) / b).exp() for x in q).ln()


states = st.lists(st.integers(-(10**12), 10**12), min_size=2, max_size=5)
liquidity = st.integers(1, 10**9) | st.integers(1, 2**96)


@settings(max_examples=200, deadline=None)
@given(q=states, b=liquidity)
def test_cost_bounds_hold_c_and_are_narrow(q: list[int], b: int) -> None:
    """lo ≤ C(q)·2^128 ≤ hi, and hi − lo ≤ b·2^-111 base units (the documented precision)."""
    lo, hi = lmsr.cost_bounds(q, b)
    with localcontext() as ctx:  # the product at full precision, whatever the global context
        ctx.prec = 150
        true = shifted_cost(q, b) * ONE
    assert lo <= true <= hi
    assert (hi - lo) * 2**111 <= b * ONE


@settings(max_examples=200, deadline=None)
@given(q=states, b=liquidity, data=st.data())
def test_charge_never_undercharges_and_is_at_most_one_above_the_ceiling(
    q: list[int], b: int, data: st.DataObject
) -> None:
    """charge ≥ the true cost (a buyer pays at least it, a seller gets at most it), and
    charge ∈ {⌈true⌉, ⌈true⌉ + 1}, the latter only within b·2^-110 of an integer."""
    d = data.draw(st.lists(st.integers(-(10**12), 10**12), min_size=len(q), max_size=len(q)))
    after = tuple(x + y for x, y in zip(q, d, strict=True))
    c = lmsr.charge(q, d, b)
    with localcontext() as ctx:
        ctx.prec = 150
        true = shifted_cost(after, b) - shifted_cost(q, b)
        ceiling = math.ceil(true)
        assert c >= true
        if c != ceiling:
            assert c == ceiling + 1
            assert (ceiling - true) * 2**110 <= b


def test_charge_matches_the_float_closed_form_within_the_precision() -> None:
    """Binary market, x shares of outcome 0 from q = 0: b ln((e^{x/b} + 1)/2)."""
    for b, x in [(10_000, 5_000), (10_000, 1), (10**18, 10**17), (7, 1_000)]:
        true = b * math.log((math.exp(x / b) + 1) / 2)
        assert abs(lmsr.charge((0, 0), (x, 0), b) - true) <= 1 + 1e-12 * true


def price(q: Sequence[int], b: int, i: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return 1 / sum((Decimal(x - q[i]) / b).exp() for x in q)


@settings(max_examples=150, deadline=None)
@given(
    q=st.lists(st.integers(-50_000, 50_000), min_size=2, max_size=2),
    b=st.integers(100, 100_000),
    i=st.integers(0, 1),
    budget=st.integers(0, 200_000),
    limit=st.integers(0, lmsr.PRICE_SCALE),
)
def test_size_buy_is_the_largest_order_that_fits(
    q: list[int], b: int, i: int, budget: int, limit: int
) -> None:
    """x fits (its charge ≤ budget and the price after ≤ limit), x + 1 does not; and x is
    within one share of the float closed forms (shares_for_budget, shares_to_price)."""
    x, cost = lmsr.size_buy(q, b, i, budget, limit)
    delta = [0, 0]
    delta[i] = x
    after = [q[0] + delta[0], q[1] + delta[1]]
    if (x, cost) == (0, 0) and not lmsr.price_at_most(q, b, i, limit):
        return  # already above the limit: nothing bought
    assert cost == lmsr.charge(q, delta, b) <= budget
    assert lmsr.price_at_most(after, b, i, limit)
    assert price(after, b, i) <= Decimal(limit) / lmsr.PRICE_SCALE  # the true price
    more = list(delta)
    more[i] += 1
    beyond = [q[0] + more[0], q[1] + more[1]]
    assert lmsr.charge(q, more, b) > budget or not lmsr.price_at_most(beyond, b, i, limit)
    cap = lmsr.shares_for_budget(q, float(b), i, float(budget))
    if 0 < limit < lmsr.PRICE_SCALE:
        cap = min(cap, lmsr.shares_to_price(q, float(b), i, limit / lmsr.PRICE_SCALE))
    assert abs(x - max(0, math.floor(cap))) <= 1


def test_size_buy_exact_cases() -> None:
    # NO to 0.7 from q = 0, b = 10,000: x = b ln(7/3) = 8,472.98…, floored
    assert lmsr.size_buy((0, 0), 10_000, 1, 20_000, 700_000_000)[0] == 8_472
    assert lmsr.size_buy((0, 0), 10_000, 0, 0, 900_000_000) == (0, 0)  # no budget
    assert lmsr.size_buy((0, 0), 10_000, 0, 10**6, 400_000_000) == (0, 0)  # above already
    # one base unit buys one share while the price is low: cost ⌈b ln((e^{1/b}+1)/2)⌉ = 1
    assert lmsr.size_buy((0, 0), 10_000, 0, 1, 900_000_000) == (1, 1)
    # a huge budget is stopped by the price limit, in a bounded number of steps
    x, cost = lmsr.size_buy((0, 0), 10_000, 0, 10**30, 999_999_999)
    assert x == math.floor(10_000 * math.log(999_999_999))  # 207,232
    assert cost == lmsr.charge((0, 0), (x, 0), 10_000)
    assert lmsr.buy_steps((0, 0), 10_000, 0, 10**30) == 101


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (((0, 0), 10, 2, 5, 1), r"outcome index 2 is out of range"),
        (((0, 0), 10, -1, 5, 1), r"outcome index -1 is out of range"),
        (((0, 0), 10, "0", 5, 1), r"outcome index '0' is out of range"),
        (((0, 0), 10, 0, -1, 1), "budget must be a non-negative int"),
        (((0, 0), 10, 0, 5.0, 1), "budget must be a non-negative int"),
        (((0, 0), 10, 0, True, 1), "budget must be a non-negative int"),
        (((0, 0), 10, 0, 5, 10**9 + 1), r"limit_ppb must be an int in \[0, 1000000000\]"),
        (((0, 0), 10, 0, 5, 0.5), r"limit_ppb must be an int"),
        (((0, 0), 0, 0, 5, 1), "liquidity b must be a positive int"),
        (((0, 0), 2.5, 0, 5, 1), "liquidity b must be a positive int"),
        (((0, 0.5), 10, 0, 5, 1), r"q\[1\] must be an int"),
        (("ab", 10, 0, 5, 1), "q must be a sequence of ints"),
        (((0,) * 65, 10, 0, 5, 1), "q has 65 outcomes, above 64"),
    ],
)
def test_size_buy_refuses_hostile_input(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lmsr.size_buy(*args)


def test_charge_and_price_refuse_hostile_input() -> None:
    with pytest.raises(ValueError, match=r"q\[0\] must be an int"):
        lmsr.charge((float("nan"), 0), (1, 0), 10)
    with pytest.raises(ValueError, match=r"outcome index 5 is out of range"):
        lmsr.price_ppb((0, 0), 10, 5)
    with pytest.raises(ValueError, match="delta must be a sequence of ints"):
        lmsr.charge((0, 0), 5, 10)  # type: ignore[arg-type]
    # huge but valid: a 10^300-share trade is charged (its cost ~ the shares), quickly
    assert lmsr.charge((0, 0), (10**300, 0), 10_000) == 10**300 - lmsr.subsidy(10_000, 2) + 1
