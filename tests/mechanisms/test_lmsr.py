"""LMSR: cost, prices, the b·ln n loss bound, the log-score identity, closed-form trades,
and the integer charge that rounds towards the maker (never exceeding the subsidy)."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

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
        (lambda: lmsr.subsidy(10, 0), "number of outcomes n must be a positive int"),
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
