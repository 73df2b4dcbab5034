"""CFMM math: exact Uniswap v2 numbers, Balancer and constant-sum pools, invariants."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.mechanisms import cfmm
from accord.mechanisms.cfmm import (
    MINIMUM_LIQUIDITY,
    ConstantSumPool,
    Pool,
    ProductPool,
    WeightedPool,
    amount_in,
    amount_out,
    bps_from_fee,
    burn_liquidity,
    mint_liquidity,
    proportional_exit,
    proportional_join,
)
from tests.mechanisms.cfmm.strategies import (
    amount,
    any_pool,
    fee,
    product_pools,
    reserve,
    small_reserve,
    weight,
)


# -- Uniswap v2, exact numbers ------------------------------------------------------------
def test_amount_out_known_values() -> None:
    # 100·9970·1000 // (1000·10000 + 100·9970) = 997_000_000 // 10_997_000 = 90
    assert amount_out(100, 1000, 1000) == 90
    # 500·9970 = 4_985_000; 4_985_000·10_000 // (5000·10_000 + 4_985_000)
    #   = 49_850_000_000 // 54_985_000 = 906  (54_985_000·906 = 49_816_410_000)
    assert amount_out(500, 5000, 10_000) == 906
    # no fee: 100·1000 // 1100 = 90
    assert amount_out(100, 1000, 1000, 0) == 90
    # 1 ETH into 100 ETH / 200,000 USDC (6 decimals), 30 bps:
    #   997·10^16·2·10^11 // (100·10^18·1000... ) in bps units → 1_974_316_068 (≈ 1974.3 USDC)
    assert amount_out(10**18, 100 * 10**18, 200_000 * 10**6) == (
        10**18 * 997 * 200_000 * 10**6 // (100 * 10**18 * 1000 + 10**18 * 997)
    )
    assert amount_out(10**18, 100 * 10**18, 200_000 * 10**6) == 1_974_316_068
    assert amount_out(0, 1000, 1000) == 0


def test_amount_in_known_values() -> None:
    # 1000·90·10000 // (910·9970) + 1 = 900_000_000 // 9_072_700 + 1 = 99 + 1 = 100
    assert amount_in(90, 1000, 1000) == 100
    # v2's "+1" even when the division is exact: fee 0, 1000·500 // 500 + 1 = 1001
    assert amount_in(500, 1000, 1000, 0) == 1001
    assert amount_in(0, 1000, 1000) == 0


@given(amount, reserve, reserve)
def test_fee_30_bps_is_uniswap_997_over_1000(a: int, r_in: int, r_out: int) -> None:
    assert amount_out(a, r_in, r_out, 30) == a * 997 * r_out // (r_in * 1000 + a * 997)
    out = min(a, r_out - 1)
    if out > 0:
        assert amount_in(out, r_in, r_out, 30) == r_in * out * 1000 // ((r_out - out) * 997) + 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: amount_out(-1, 10, 10), "amount_in must be non-negative"),
        (lambda: amount_out(1, 0, 10), "reserve_in must be positive"),
        (lambda: amount_out(1, 10, -5), "reserve_out must be positive"),
        (lambda: amount_out(1.5, 10, 10), "amount_in must be an int"),  # type: ignore[arg-type]
        (lambda: amount_out(True, 10, 10), "amount_in must be an int"),
        (lambda: amount_out(1, 10, 10, 10_000), "fee_bps must be in"),
        (lambda: amount_out(1, 10, 10, -1), "fee_bps must be in"),
        (lambda: amount_in(10, 10, 10), "amount_out must be below reserve_out 10"),
        (lambda: amount_in(11, 10, 10), "amount_out must be below reserve_out"),
        (lambda: amount_in(-1, 10, 10), "amount_out must be non-negative"),
        (lambda: amount_in(1, 10, 10, 30.0), "fee_bps must be an int"),  # type: ignore[arg-type]
    ],
)
def test_bad_arguments_are_named(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


@given(amount, reserve, reserve, fee)
def test_round_trips(a: int, r_in: int, r_out: int, f: int) -> None:
    out = amount_out(a, r_in, r_out, f)
    assert out < r_out
    # the input v2 asks for `out` is at most one more than what produced it
    assert amount_in(out, r_in, r_out, f) <= a + 1
    # and buying `out` with amount_in(out) yields at least `out`
    need = amount_in(out, r_in, r_out, f)
    assert amount_out(need, r_in, r_out, f) >= out


@given(amount, amount, reserve, reserve, fee)
def test_amount_out_is_monotone(a: int, b: int, r_in: int, r_out: int, f: int) -> None:
    lo, hi = sorted((a, b))
    assert amount_out(lo, r_in, r_out, f) <= amount_out(hi, r_in, r_out, f)
    assert amount_out(hi, r_in, r_out, f) <= amount_out(hi, r_in, r_out, max(f - 1, 0))


@given(st.integers(1, 10**30), reserve, reserve, fee)
def test_amount_in_is_monotone(o: int, r_in: int, r_out: int, f: int) -> None:
    o = o % r_out
    o2 = min(o + 1, r_out - 1)
    assert amount_in(o, r_in, r_out, f) <= amount_in(o2, r_in, r_out, f)


@given(amount, reserve, reserve, fee)
def test_amount_out_is_the_floor_of_the_real_formula(a: int, r_in: int, r_out: int, f: int) -> None:
    gamma = Fraction(10_000 - f, 10_000)
    real = r_out * gamma * a / (r_in + gamma * a)
    assert amount_out(a, r_in, r_out, f) == math.floor(real)


# -- pools: invariants with fee never decrease ----------------------------------------------
def exact_weighted_value(pool: WeightedPool) -> int:
    """``∏ B_k^{w_k}`` as an exact int (small weights only)."""
    out = 1
    for b, w in zip(pool.reserves, pool.weights, strict=True):
        out *= b**w
    return out


@settings(max_examples=300, deadline=None)
@given(any_pool, st.data())
def test_out_given_in_is_the_largest_output_the_invariant_allows(
    pool: Pool, data: st.DataObject
) -> None:
    n = len(pool.reserves)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1).filter(lambda k: k != i))
    a = data.draw(st.integers(0, 10**26))
    out, after = pool.swap(i, j, a)
    assert 0 <= out <= pool.reserves[j]
    assert pool.accepts_swap(i, j, a, out)
    if out < pool.reserves[j]:
        assert not pool.accepts_swap(i, j, a, out + 1)
    assert after.reserves[i] == pool.reserves[i] + a
    assert after.reserves[j] == pool.reserves[j] - out
    # the invariant never decreases (it is checked above net of the fee; here gross)
    if isinstance(pool, WeightedPool):
        assert isinstance(after, WeightedPool)
        assert exact_weighted_value(after) >= exact_weighted_value(pool)
    else:
        assert after.invariant() >= pool.invariant()


@settings(max_examples=300, deadline=None)
@given(any_pool, st.data())
def test_in_given_out_is_the_smallest_input_the_invariant_allows(
    pool: Pool, data: st.DataObject
) -> None:
    n = len(pool.reserves)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1).filter(lambda k: k != i))
    limit = pool.reserves[j] if isinstance(pool, ConstantSumPool) else pool.reserves[j] - 1
    o = data.draw(st.integers(0, limit))
    need = pool.in_given_out(i, j, o)
    assert pool.accepts_swap(i, j, need, o)
    assert pool.out_given_in(i, j, need) >= o
    if o > 0 and not isinstance(pool, ProductPool):  # v2 may ask one more than the minimum
        assert not pool.accepts_swap(i, j, need - 1, o)
    if isinstance(pool, ProductPool) and o > 0 and need >= 2:
        assert not pool.accepts_swap(i, j, need - 2, o)


@settings(max_examples=150, deadline=None)
@given(any_pool, st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3), amount), max_size=8))
def test_swap_sequences_never_decrease_the_invariant(
    pool: Pool, trades: list[tuple[int, int, int]]
) -> None:
    n = len(pool.reserves)
    for i0, step, a in trades:
        i, j = i0 % n, (i0 + step) % n
        if i == j:
            continue
        _out, after = pool.swap(i, j, a % 10**26)
        if isinstance(pool, WeightedPool):
            assert isinstance(after, WeightedPool)
            assert exact_weighted_value(after) >= exact_weighted_value(pool)
        else:
            assert after.invariant() >= pool.invariant()
        pool = after


@settings(max_examples=200, deadline=None)
@given(any_pool, st.data())
def test_out_given_in_is_monotone(pool: Pool, data: st.DataObject) -> None:
    n = len(pool.reserves)
    i = data.draw(st.integers(0, n - 1))
    j = data.draw(st.integers(0, n - 1).filter(lambda k: k != i))
    a, b = sorted((data.draw(amount), data.draw(amount)))
    assert pool.out_given_in(i, j, a) <= pool.out_given_in(i, j, b)


@given(product_pools(), st.data())
def test_product_pool_is_uniswap(pool: ProductPool, data: st.DataObject) -> None:
    a = data.draw(amount)
    (r0, r1), f = pool.reserves, pool.fee_bps
    assert pool.out_given_in(0, 1, a) == amount_out(a, r0, r1, f)
    assert pool.out_given_in(1, 0, a) == amount_out(a, r1, r0, f)
    o = data.draw(st.integers(0, r1 - 1))
    assert pool.in_given_out(0, 1, o) == amount_in(o, r0, r1, f)


@settings(deadline=None)
@given(small_reserve, small_reserve, fee, weight, amount)
def test_equal_weights_are_a_product_pool(r0: int, r1: int, f: int, w: int, a: int) -> None:
    weighted = WeightedPool((r0, r1), (w, w), f)
    assert weighted.out_given_in(0, 1, a) == amount_out(a, r0, r1, f)
    o = a % r1
    exact, v2 = weighted.in_given_out(0, 1, o), amount_in(o, r0, r1, f)
    assert exact <= v2 <= exact + 1


def test_weighted_known_values() -> None:
    # 80/20 pool, 1000/1000, no fee, 100 in: out = 1000·(1 − (1000/1100)^(80/20))
    #   = 1000·(1 − 10⁴/14641) = 1000·4641/14641 = 316.98… → 316 (floor: towards the pool)
    pool = WeightedPool((1000, 1000), (80, 20), 0)
    assert pool.out_given_in(0, 1, 100) == 316
    # the other way: out = 1000·(1 − (1000/1100)^(1/4)) = 1000·(1 − 0.976454…) = 23.5… → 23
    assert pool.out_given_in(1, 0, 100) == 23
    # in for 316: 1000·((1000/684)^(1/4) − 1) = 99.6… → 100 (ceiling)
    assert pool.in_given_out(0, 1, 316) == 100
    assert pool.in_given_out(0, 1, 317) == 101  # 1000·((1000/683)^¼ − 1) = 100.0…, up
    # spot price (B_o/w_o)/(B_i/w_i) = (1000/20)/(1000/80) = 4 units of token 1 per token 0
    assert pool.spot_price(0, 1) == 4
    assert pool.spot_price(1, 0) == Fraction(1, 4)
    assert WeightedPool((1000, 1000), (80, 20), 30).spot_price(0, 1, with_fee=True) == Fraction(
        4 * 997, 1000
    )


def test_weighted_pool_with_large_weights_keeps_a_margin() -> None:
    # weights that do not reduce: no exact power, one base unit of margin towards the pool
    big = WeightedPool((10**20, 4 * 10**20), (333_331, 666_667), 10)
    small = WeightedPool((10**20, 4 * 10**20), (1, 2), 10)  # nearly the same pool
    out = big.out_given_in(0, 1, 10**18)
    assert big.accepts_swap(0, 1, 10**18, out)
    assert abs(out - small.out_given_in(0, 1, 10**18)) < 10**15
    need = big.in_given_out(0, 1, out)
    assert need <= 10**18 + 2 and big.accepts_swap(0, 1, need, out)


def test_constant_sum_known_values() -> None:
    pool = ConstantSumPool((100, 50), prices=(3, 2))
    assert pool.spot_price(0, 1) == Fraction(3, 2)
    assert pool.out_given_in(0, 1, 20) == 30  # 20 · 3/2
    assert pool.out_given_in(0, 1, 100) == 50  # capped by the output reserve
    assert pool.out_given_in(1, 0, 10) == 6  # 10 · 2/3 = 6.67 → 6
    assert pool.in_given_out(1, 0, 6) == 9  # 6 · 3/2 = 9
    assert pool.in_given_out(1, 0, 7) == 11  # 10.5 → 11
    one_to_one = ConstantSumPool((1000, 1000), fee_bps=30)
    assert one_to_one.prices == (1, 1)
    assert one_to_one.out_given_in(0, 1, 1000) == 997
    assert one_to_one.in_given_out(0, 1, 997) == 1000
    with pytest.raises(ValueError, match="amount_out must be at most reserve 50"):
        pool.in_given_out(0, 1, 51)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ProductPool((0, 10)), r"ProductPool.reserves\[0\] must be positive"),
        (lambda: ProductPool((1, 2, 3)), "must hold 2 reserves"),
        (lambda: ProductPool((1, 2), 10_000), "fee_bps must be in"),
        (lambda: ProductPool((1, 2), tokens=("A", "A")), "distinct"),
        (lambda: ProductPool((1, 2), tokens=("A",)), "1 names for 2 reserves"),
        (lambda: WeightedPool((1, 2), (1, 0)), r"weights\[1\] must be positive"),
        (lambda: WeightedPool((1, 2), (1,)), "weights must be a tuple of 2"),
        (lambda: WeightedPool((5,), (1,)), "at least 2"),
        (lambda: ConstantSumPool((1, -2)), r"reserves\[1\] must be non-negative"),
        (lambda: ConstantSumPool((1, 2), prices=(1, 0)), r"prices\[1\] must be positive"),
        (lambda: ProductPool([1, 2]), "reserves must be a tuple"),  # type: ignore[arg-type]
    ],
)
def test_bad_pools_are_named(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_bad_swaps_are_named() -> None:
    pool = ProductPool((1000, 1000), tokens=("A", "B"))
    with pytest.raises(ValueError, match="token indices i and j must differ"):
        pool.out_given_in(0, 0, 1)
    with pytest.raises(ValueError, match=r"token index j must be an int in \[0, 2\)"):
        pool.out_given_in(0, 2, 1)
    with pytest.raises(ValueError, match="amount_in must be non-negative"):
        pool.swap(0, 1, -1)
    with pytest.raises(ValueError, match="token 'C' is not in pool"):
        pool.index("C")
    assert pool.index("B") == 1
    with pytest.raises(ValueError, match=r"tendered\[0\] must be non-negative"):
        pool.accepts((-1, 0), (0, 0))
    assert not pool.accepts((0, 0), (0, 1000))  # would empty a reserve


def test_accepts_is_uniswaps_swap_check() -> None:
    pool = ProductPool((1000, 1000))
    # 100 in, 90 out: (1000·1100 − 3·100)·(1000·910) = 1_099_700·910_000 ≥ 10^12
    assert pool.accepts((100, 0), (0, 90))
    # 91 out: 1_099_700·909_000 = 999_627_300_000 < 10^12
    assert not pool.accepts((100, 0), (0, 91))
    # a flash swap that repays in the other token: take 100 B, pay 112 A
    assert pool.accepts((112, 0), (0, 100)) == (
        (1000 * 10_000 + 9_970 * 112) * (900 * 10_000) >= 10**6 * 10**8
    )


def test_fee_helpers() -> None:
    assert bps_from_fee(0.003) == 30
    assert bps_from_fee(0.0) == 0
    with pytest.raises(ValueError, match="whole number of basis points"):
        bps_from_fee(0.00015)
    with pytest.raises(ValueError, match=r"fee must be a fraction in \[0, 1\)"):
        bps_from_fee(1.0)
    pool = ProductPool((10, 10), 25)
    assert pool.fee == 0.0025 and pool.gamma == 0.9975


# -- liquidity ------------------------------------------------------------------------------
def test_liquidity_known_values() -> None:
    # first deposit: isqrt(4000·9000) − 1000 = 6000 − 1000 = 5000
    assert mint_liquidity(4000, 9000, 0, 0, 0) == 5000
    # later: min(400·6000 // 4000, 1000·6000 // 9000) = min(600, 666) = 600
    assert mint_liquidity(400, 1000, 4000, 9000, 6000) == 600
    # burn 600 of 6600 against 4400/10000: 600·4400 // 6600 = 400, 600·10000 // 6600 = 909
    assert burn_liquidity(600, 4400, 10_000, 6600) == (400, 909)
    with pytest.raises(ValueError, match="mints no liquidity"):
        mint_liquidity(10, 10, 0, 0, 0)  # isqrt(100) − 1000 < 0
    with pytest.raises(ValueError, match="exceeds total_supply"):
        burn_liquidity(7000, 1, 1, 6000)
    with pytest.raises(ValueError, match="reserve0 must be positive"):
        mint_liquidity(1, 1, 0, 5, 10)


@given(
    st.integers(MINIMUM_LIQUIDITY + 1, 10**24),
    st.integers(MINIMUM_LIQUIDITY + 1, 10**24),
    st.integers(1, 10**24),
    st.integers(1, 10**24),
)
def test_mint_then_burn_never_returns_more(r0: int, r1: int, a0: int, a1: int) -> None:
    if math.isqrt(r0 * r1) <= MINIMUM_LIQUIDITY:
        return
    supply = mint_liquidity(r0, r1, 0, 0, 0) + MINIMUM_LIQUIDITY
    try:
        minted = mint_liquidity(a0, a1, r0, r1, supply)
    except ValueError:
        return
    back0, back1 = burn_liquidity(minted, r0 + a0, r1 + a1, supply + minted)
    assert back0 <= a0 and back1 <= a1
    # and the remaining holders' share per unit never falls
    assert (r0 + a0 - back0) * supply >= r0 * supply
    assert (r0 + a0 - back0) * supply >= r0 * supply


def test_public_names_are_stable() -> None:
    for name in ("amount_out", "amount_in", "ProductPool", "WeightedPool", "ConstantSumPool"):
        assert name in cfmm.__all__


# -- proportional liquidity ---------------------------------------------------------------
@given(
    st.lists(st.integers(1, 10**24), min_size=2, max_size=4),
    st.integers(1, 10**24),
    st.data(),
)
def test_proportional_join_and_exit_never_dilute(
    reserves: list[int], supply: int, data: st.DataObject
) -> None:
    amounts = tuple(data.draw(st.integers(0, 10**24)) for _ in reserves)
    try:
        shares, used = proportional_join(amounts, tuple(reserves), supply)
    except ValueError as exc:
        assert "mints no liquidity" in str(exc)
        return
    assert all(u <= a for u, a in zip(used, amounts, strict=True))
    after = [r + u for r, u in zip(reserves, used, strict=True)]
    for r, new in zip(reserves, after, strict=True):
        assert new * supply >= r * (supply + shares)  # each share's claim never falls
    back = proportional_exit(shares, tuple(after), supply + shares)
    assert all(b <= u for b, u in zip(back, used, strict=True))


def test_proportional_join_known_values() -> None:
    # min(400·6000//4000, 1000·6000//9000) = 600; uses ceil(600·4000/6000) = 400 and 900
    assert proportional_join((400, 1000), (4000, 9000), 6000) == (600, (400, 900))
    # a drained side (constant sum) neither limits nor takes
    assert proportional_join((100, 50), (1000, 0), 1000) == (100, (100, 0))
    assert proportional_exit(600, (4400, 9900), 6600) == (400, 900)
    with pytest.raises(ValueError, match="every reserve is zero"):
        proportional_join((1, 1), (0, 0), 10)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**300), st.integers(1, 12))
def test_ceil_root_is_the_least_integer_whose_power_reaches(m: int, k: int) -> None:
    from accord.mechanisms.introot import ceil_root as _ceil_root

    s = _ceil_root(m, k)
    assert s**k >= m
    assert s == 0 or (s - 1) ** k < m
