"""Batch auctions: hand-computed clearings, CoW rings, pools, and invariants (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accord.mechanisms.batch import BatchResult, Order, clear
from accord.mechanisms.batch.settlement import solve_fills
from accord.mechanisms.cfmm import Order as CfmmOrder
from accord.mechanisms.cfmm import Pool, ProductPool, WeightedPool, amount_out, uniform_clearing
from accord.mechanisms.routing import route_swap


def _order(oid: str, sell: str, buy: str, amount: int, minimum: int, partial: bool = True) -> Order:
    return Order(oid, f"owner-{oid}", sell, buy, amount, minimum, partial)


def _check_invariants(result: BatchResult, orders: list[Order], pools: list[Pool]) -> None:
    """Conservation, limits, uniform directional prices, and pool swaps that each pool
    accepts in the order they run and that spend only what is held, checked independently."""
    net = dict.fromkeys(result.tokens, 0)
    for o, f in zip(orders, result.fills, strict=True):
        assert f.order_id == o.id
        assert 0 <= f.sold <= o.sell_amount
        if not o.partial:
            assert f.sold in (0, o.sell_amount)
        if f.sold:
            pi = result.prices[o.sell_token] / result.buy_prices[o.buy_token]
            assert f.bought * o.sell_amount >= f.sold * o.min_buy_amount  # limit
            assert f.bought == f.sold * pi.numerator // pi.denominator  # uniform price, floored
            if not o.partial:
                assert f.bought >= o.min_buy_amount
        else:
            assert f.bought == 0
        net[o.sell_token] += f.sold
    for t in result.buy_prices:
        assert 0 < result.buy_prices[t] <= result.prices[t]
    state = list(pools)
    for t in result.pool_trades:
        (i,) = [k for k, d in enumerate(t.tendered) if d]  # one swap: one token in, one out
        (j,) = [k for k, r in enumerate(t.received) if r]
        assert state[t.pool].out_given_in(i, j, t.tendered[i]) == t.received[j]
        assert net[t.tokens[i]] >= t.tendered[i]  # self-financing: only what is held
        state[t.pool] = state[t.pool].after(i, j, t.tendered[i], t.received[j])
        for name, d, r in zip(t.tokens, t.tendered, t.received, strict=True):
            net[name] += r - d
    assert tuple(state) == result.pools_after
    for o, f in zip(orders, result.fills, strict=True):
        net[o.buy_token] -= f.bought
    assert net == result.dust
    assert all(v >= 0 for v in result.dust.values())
    total = sum((f.surplus_value for f in result.fills), Fraction(0))
    assert result.surplus == total
    assert all(f.surplus >= 0 for f in result.fills)


# -- two tokens, no pools --------------------------------------------------------------------
def test_two_opposite_orders_cross_at_the_surplus_maximising_price() -> None:
    # a: 100 A for ≥ 100 B (limit 1 B/A); b: 200 B for ≥ 100 A (pays up to 2 B/A).
    # At π B per A ∈ [1, 2]: a sells 100 A for 100π B (surplus 100π − 100), b sells 100π
    # B for 100 A (limit 50π A, surplus 100 − 50π). Total 50π: largest at π = 2.
    orders = [_order("a", "A", "B", 100, 100), _order("b", "B", "A", 200, 100)]
    r = clear(orders)
    assert r.exact
    assert r.prices == {"A": 1, "B": Fraction(1, 2)}
    assert r.integer_prices == {"A": 2, "B": 1}
    assert (r.fill("a").sold, r.fill("a").bought) == (100, 200)
    assert (r.fill("b").sold, r.fill("b").bought) == (200, 100)
    assert r.surplus == 100
    assert r.pool_trades == () and all(v == 0 for v in r.dust.values())
    _check_invariants(r, orders, [])


def test_the_price_follows_the_valuation() -> None:
    # With A worth 3 and B 1: 50π·... total = 3·(100 − 50π) + (100π − 100) = 200 − 50π,
    # largest at π = 1: b sells only 100 B and keeps 50 A of surplus (worth 150).
    orders = [_order("a", "A", "B", 100, 100), _order("b", "B", "A", 200, 100)]
    r = clear(orders, valuation={"A": 3, "B": 1})
    assert r.prices == {"A": 1, "B": 1}
    assert (r.fill("a").sold, r.fill("a").bought) == (100, 100)
    assert (r.fill("b").sold, r.fill("b").bought) == (100, 100)
    assert r.fill("b").surplus == 50
    assert r.surplus == 150


def test_fill_or_kill_pair_clears_at_the_only_balancing_price() -> None:
    # Both all-or-nothing: 100 A against 150 B balances only at 1.5 B per A.
    orders = [
        _order("a", "A", "B", 100, 100, partial=False),
        _order("b", "B", "A", 150, 100, partial=False),
    ]
    r = clear(orders)
    assert r.prices["A"] / r.prices["B"] == Fraction(3, 2)
    assert (r.fill("a").sold, r.fill("a").bought) == (100, 150)
    assert (r.fill("b").sold, r.fill("b").bought) == (150, 100)
    assert r.surplus == 50  # a gets 50 B beyond its limit, b exactly its limit
    _check_invariants(r, orders, [])


def test_orders_that_do_not_cross_stay_unfilled() -> None:
    # a wants ≥ 2 B per A, b pays ≤ 1 B per A: no price satisfies both.
    orders = [_order("a", "A", "B", 100, 200), _order("b", "B", "A", 100, 100)]
    r = clear(orders)
    assert all(f.sold == 0 and f.bought == 0 for f in r.fills)
    assert r.surplus == 0
    assert r.pool_trades == ()


def test_same_side_orders_alone_cannot_trade() -> None:
    r = clear([_order("a", "A", "B", 100, 1), _order("b", "A", "B", 50, 1)])
    assert all(f.sold == 0 for f in r.fills)


def test_empty_batch() -> None:
    r = clear([])
    assert r.fills == () and r.surplus == 0


# -- rings -----------------------------------------------------------------------------------
def test_three_token_ring_is_matched_without_the_pools() -> None:
    orders = [
        _order("x", "A", "B", 100, 90, partial=False),
        _order("y", "B", "C", 100, 90, partial=False),
        _order("z", "C", "A", 100, 90, partial=False),
    ]
    pools: list[Pool] = [
        ProductPool((10**6, 10**6), 30, ("A", "B")),
        ProductPool((10**6, 10**6), 30, ("B", "C")),
        ProductPool((10**6, 10**6), 30, ("C", "A")),
    ]
    r = clear(orders, pools)
    assert r.prices == {"A": 1, "B": 1, "C": 1}
    assert [(f.sold, f.bought) for f in r.fills] == [(100, 100)] * 3
    assert r.pool_trades == ()
    assert r.pools_after == tuple(pools)
    assert r.surplus == 30
    _check_invariants(r, orders, pools)


def test_ring_with_unequal_sizes_moves_prices_to_the_short_leg() -> None:
    # At equal prices value must circulate at the smallest leg's 60 (surplus 3·30 = 90).
    # Pricing B at 2 does better: x sells all 100 A at its limit 0.5 B/A for 50 B; y sells
    # those 50 B at 2 C/B for 100 C (limit 25: surplus 75); z sells 100 C at 1 A/C for
    # 100 A (limit 50: surplus 50). Total 125, and every leg balances.
    orders = [
        _order("x", "A", "B", 100, 50),
        _order("y", "B", "C", 60, 30),
        _order("z", "C", "A", 100, 50),
    ]
    r = clear(orders)
    assert r.prices == {"A": 1, "B": 2, "C": 1}
    assert [(f.sold, f.bought) for f in r.fills] == [(100, 50), (50, 100), (100, 100)]
    assert r.surplus == 125
    _check_invariants(r, orders, [])


# -- pools -----------------------------------------------------------------------------------
POOL = ProductPool((10**6, 2 * 10**6), 30, ("A", "B"))


@pytest.mark.parametrize("partial", [False, True])
def test_one_sided_batch_trades_exactly_like_the_pool(partial: bool) -> None:
    order = _order("s", "A", "B", 1_000, 1_000, partial)
    r = clear([order], [POOL])
    out = amount_out(1_000, 10**6, 2 * 10**6)
    assert (r.fill("s").sold, r.fill("s").bought) == (1_000, out)
    assert [(t.tendered, t.received) for t in r.pool_trades] == [((1_000, 0), (0, out))]
    clearing = uniform_clearing(POOL, 0, 1, (CfmmOrder(True, 1_000, 1_000),))
    assert clearing.outs == (out,)
    assert r.prices["A"] / r.prices["B"] == clearing.price
    assert r.pools_after == (clearing.pool,)
    _check_invariants(r, [order], [POOL])


def test_cow_nets_opposite_orders_and_sends_only_the_imbalance_to_the_pool() -> None:
    orders = [_order("a", "A", "B", 1_000, 1_000, False), _order("b", "B", "A", 1_500, 500, False)]
    r = clear(orders, [POOL])
    (trade,) = r.pool_trades
    # 1,000 A against 1,500 B at about 2 B/A: roughly 250 A of imbalance goes to the pool
    assert 200 <= trade.tendered[0] <= 300 and trade.tendered[1] == 0
    # alone, a gets 1,992 B (surplus 992) and b 747 A (surplus 247): 1,239 in all
    alone_a = amount_out(1_000, 10**6, 2 * 10**6)
    alone_b = amount_out(1_500, 2 * 10**6, 10**6)
    assert (alone_a, alone_b) == (1_992, 747)
    assert r.surplus >= (alone_a - 1_000) + (alone_b - 500)
    _check_invariants(r, orders, [POOL])


def test_order_routes_through_a_pool_only_token() -> None:
    pools: list[Pool] = [
        ProductPool((10**6, 10**6), 30, ("A", "X")),
        ProductPool((10**6, 10**6), 30, ("X", "B")),
    ]
    order = _order("s", "A", "B", 1_000, 900, partial=False)
    r = clear([order], pools)
    assert r.fill("s").sold == 1_000
    assert r.fill("s").bought >= 900
    assert "X" in r.tokens and "X" not in r.prices
    _check_invariants(r, [order], pools)


# the B/C pool first: a settlement that ran pools in their listed order would spend B
# before the A → B hop delivered it
CHAIN: list[Pool] = [
    ProductPool((3 * 10**6, 10**6), 30, ("B", "C")),
    ProductPool((10**6, 2 * 10**6), 30, ("A", "B")),
]


@pytest.mark.parametrize("amount", [1_000, 10_000, 100_000])
@pytest.mark.parametrize("tight", [False, True])
@pytest.mark.parametrize("unit", [1, 10**9])
def test_a_lone_order_over_two_hops_gets_the_chained_pool_output(
    amount: int, tight: bool, unit: int
) -> None:
    # Closed form: Uniswap v2's amount_out chained over the two hops, which is what the
    # router (route_swap) delivers; before price improvement the order got its limit
    # price and the pools' excess stayed as dust (6,261 of 6,518 C for 10,000 A). With
    # unit = 10⁹ the amounts are the DeFi game's (10¹³ base units, pools of 10¹⁵).
    pools: list[Pool] = [
        ProductPool(tuple(r * unit for r in p.reserves), 30, p.tokens) for p in CHAIN
    ]
    amount *= unit
    hop = amount_out(amount, 10**6 * unit, 2 * 10**6 * unit)
    chained = amount_out(hop, 3 * 10**6 * unit, 10**6 * unit)
    # the router gets it up to its certified gap (at 10¹³ it leaves a few hundred B
    # unrouted); the batch pushes every unit it holds of A and B on, so it gets it all
    routed = route_swap(pools, "A", amount, "C").amount("C")
    assert chained - 10**-8 * chained <= routed <= chained
    # fill-or-kill when tight: partially fillable, it would stop where the marginal price
    # falls to its limit (more surplus than the whole: the objective is surplus)
    order = _order("s", "A", "C", amount, chained * 99 // 100 if tight else 0, partial=not tight)
    r = clear([order], pools)
    assert (r.fill("s").sold, r.fill("s").bought) == (amount, chained)
    assert [(t.pool, t.tendered, t.received) for t in r.pool_trades] == [
        (1, (amount, 0), (0, hop)),  # A → B first: the settlement holds no B before it
        (0, (hop, 0), (0, chained)),
    ]
    assert r.dust == {"A": 0, "B": 0, "C": 0}
    _check_invariants(r, [order], pools)


SPLIT: list[Pool] = [*CHAIN, ProductPool((3 * 10**6, 2 * 10**6), 30, ("A", "C"))]


def test_buyers_of_one_token_share_the_pools_output_at_one_rate() -> None:
    # Two orders sell A for C over the two hops. The pools pay chained(30,000) C for the
    # whole book; both orders get it at one rate (a lower buy price of C for both), and
    # less than a base unit per buyer is left.
    orders = [_order("x", "A", "C", 10_000, 6_000), _order("y", "A", "C", 20_000, 12_000)]
    r = clear(orders, CHAIN)
    total = amount_out(amount_out(30_000, 10**6, 2 * 10**6), 3 * 10**6, 10**6)
    got = [f.bought for f in r.fills]
    assert sum(got) + r.dust["C"] == total and r.dust["C"] <= 1
    assert abs(got[1] - 2 * got[0]) <= 1
    _check_invariants(r, orders, CHAIN)


MISPRICED: list[Pool] = [
    ProductPool((10**7, 11 * 10**6), 30, ("A", "B")),
    ProductPool((10**7, 10**7), 30, ("B", "C")),
    ProductPool((10**7, 10**7), 30, ("A", "C")),
    WeightedPool((10**7, 35 * 10**6), (80, 20), 30, ("A", "B")),
]


def test_a_batch_whose_plan_trades_a_pool_both_ways_settles() -> None:
    # Found by random search: the fill LP combined A → C and C → A trades of the A/C pool,
    # and the settlement's own check then refused the sum of the two swaps (the pool does
    # not accept it as one trade) and raised. Now each pool trades its net flow.
    orders = [
        _order("o0", "A", "C", 642_030, 588_196, partial=False),
        _order("o1", "A", "C", 490_577, 539_010, partial=False),
    ]
    r = clear(orders, MISPRICED)
    for q in range(len(MISPRICED)):
        directions = {(t.tendered.index(max(t.tendered))) for t in r.pool_trades if t.pool == q}
        assert len(directions) <= 1  # one direction per pool
    assert r.surplus > 0
    _check_invariants(r, orders, MISPRICED)


def test_orders_that_cannot_fill_leave_mispriced_pools_alone() -> None:
    # The pools hold an arbitrage cycle (A → C → B → A) and no order can fill on its own.
    # A previous version traded the cycle anyway, with 580 B that the batch does not hold
    # before the cycle pays it back (1 A sold, 7 B of the profit kept as dust). Run in an
    # order that spends only what is held, the cycle cannot start: nothing trades.
    pools: list[Pool] = [
        ProductPool((50_000, 60_000), 30, ("A", "B")),
        ProductPool((40_000, 30_000), 5, ("B", "C")),
        ProductPool((30_000, 30_000), 30, ("A", "C")),
    ]
    orders = [
        _order("o0", "A", "B", 396, 10_777),
        _order("o1", "A", "B", 624, 6_857),
        _order("o2", "B", "A", 2_149, 8_894),
    ]
    r = clear(orders, pools)
    assert all(f.sold == 0 for f in r.fills)
    assert r.pool_trades == () and set(r.dust.values()) == {0}


def test_a_sold_token_nobody_buys_goes_to_a_pool_not_to_dust() -> None:
    # Found by random search: o2's 1,804 A had no buyer (o1 cannot fill) and the fill LP
    # had no use for it, so it stayed as dust. Now it is swept into the A/B pool and the
    # B it buys goes to o2, the buyer of B, by price improvement.
    pools: list[Pool] = [
        ProductPool((50_000, 60_000), 30, ("A", "B")),
        ProductPool((40_000, 30_000), 5, ("B", "C")),
    ]
    orders = [
        _order("o0", "B", "C", 7_569, 180, partial=False),
        _order("o1", "B", "A", 7_902, 7_757, partial=False),
        _order("o2", "A", "B", 1_804, 215, partial=False),
    ]
    r = clear(orders, pools, max_candidates=60)
    assert r.fill("o2").sold == 1_804 and r.fill("o1").sold == 0
    assert (0, (1_804, 0), (0, amount_out(1_804, 50_000, 60_000))) in [
        (t.pool, t.tendered, t.received) for t in r.pool_trades
    ]
    assert set(r.dust.values()) == {0}
    _check_invariants(r, orders, pools)


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sell_amount": 0}, "'o1': sell_amount must be at least 1"),
        ({"sell_amount": 1.5}, "'o1': sell_amount must be an int"),
        ({"min_buy_amount": -1}, "'o1': min_buy_amount must be at least 0"),
        ({"buy_token": "A"}, "'o1': sell_token and buy_token are both 'A'"),
        ({"partial": 1}, "'o1': partial must be a bool"),
        ({"owner": ""}, "'o1': owner must be a non-empty string"),
    ],
)
def test_bad_orders_are_named(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "id": "o1",
        "owner": "alice",
        "sell_token": "A",
        "buy_token": "B",
        "sell_amount": 10,
        "min_buy_amount": 1,
        "partial": True,
    }
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Order(**fields)  # type: ignore[arg-type]


def test_bad_batches_are_named() -> None:
    a = _order("a", "A", "B", 10, 1)
    with pytest.raises(ValueError, match="order id 'a' appears twice"):
        clear([a, a])
    with pytest.raises(ValueError, match="valuation has no price for token 'B'"):
        clear([a], valuation={"A": 1})
    with pytest.raises(ValueError, match="valuation of 'B' must be positive"):
        clear([a], valuation={"A": 1, "B": 0})
    with pytest.raises(ValueError, match=r"orders\[0\] is a tuple"):
        clear([("a",)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="max_candidates"):
        clear([a], max_candidates=0)
    with pytest.raises(ValueError, match="token names"):
        clear([a], [ProductPool((10, 10))])


# -- determinism -----------------------------------------------------------------------------
def test_deterministic_and_independent_of_order_positions() -> None:
    orders = [
        _order("a", "A", "B", 100, 90),
        _order("b", "B", "A", 120, 100),
        _order("c", "A", "B", 40, 50),
        _order("d", "B", "C", 70, 60, partial=False),
        _order("e", "C", "A", 80, 70),
    ]
    first, second = clear(orders), clear(orders)
    assert first == second
    flipped = clear(orders[::-1])
    assert flipped.surplus == first.surplus
    assert flipped.prices == first.prices


# -- properties ------------------------------------------------------------------------------
TOKENS = ("A", "B", "C")


@st.composite
def batches(draw: st.DrawFn, tokens: tuple[str, ...] = TOKENS) -> list[Order]:
    n = draw(st.integers(1, 5))
    out = []
    for k in range(n):
        sell, buy = draw(st.permutations(tokens))[:2]
        amount = draw(st.integers(1, 10_000))
        minimum = draw(st.integers(0, 15_000))
        out.append(_order(f"o{k}", sell, buy, amount, minimum, draw(st.booleans())))
    return out


PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(batches(), st.booleans())
def test_conservation_and_limits_always_hold(orders: list[Order], with_pools: bool) -> None:
    pools: list[Pool] = (
        [
            ProductPool((50_000, 60_000), 30, ("A", "B")),
            ProductPool((40_000, 30_000), 5, ("B", "C")),
        ]
        if with_pools
        else []
    )
    r = clear(orders, pools, max_candidates=60)
    _check_invariants(r, orders, pools)


@PROPERTY
@given(batches(("A", "B")), st.lists(st.fractions(Fraction(1, 4), 4), min_size=1, max_size=6))
def test_two_token_search_is_exact(orders: list[Order], probes: list[Fraction]) -> None:
    # No price does better in reals than the reported optimum, which bounds the settlement.
    orders = [Order(o.id, o.owner, o.sell_token, o.buy_token, o.sell_amount,
                    o.min_buy_amount, True) for o in orders]  # fmt: skip
    r = clear(orders)
    assert r.exact and r.upper_bound is not None
    assert float(r.surplus) <= r.upper_bound * (1 + 1e-9) + 1e-9
    value = {"A": Fraction(1), "B": Fraction(1)}
    for pi in probes:
        plan = solve_fills(("A", "B"), {"A": pi, "B": Fraction(1)}, orders, value, None, [])
        assert plan.value <= r.upper_bound * (1 + 1e-7) + 1e-7


def test_rounding_costs_little_at_realistic_sizes() -> None:
    e18 = 10**18
    orders = [
        _order("a", "A", "B", 11 * e18 + 7, 5 * e18 + 3),
        _order("b", "B", "A", 4 * e18 + 1, 1),
        _order("c", "A", "B", 3 * e18, 2 * e18),
    ]
    r = clear(orders)
    assert r.upper_bound is not None
    assert r.upper_bound - float(r.surplus) <= 1e-9 * r.upper_bound


@PROPERTY
@given(batches(("A", "B")))
def test_batch_beats_any_order_alone_against_the_pool(orders: list[Order]) -> None:
    r = clear(orders, [POOL])
    for o in orders:
        alone = clear([o], [POOL])
        assert r.surplus >= alone.surplus


@PROPERTY
@given(st.integers(1, 20_000), st.integers(1, 40_000), st.booleans(), st.booleans())
def test_cow_of_opposite_orders_beats_executing_each_alone(
    x: int, y: int, pa: bool, pb: bool
) -> None:
    # Each alone gets the pool's price on its whole amount; together they net first and
    # the pool only sees the imbalance, so the pair does at least as well (up to rounding).
    a = _order("a", "A", "B", x, 0, pa)
    b = _order("b", "B", "A", y, 0, pb)
    together = clear([a, b], [POOL])
    apart = clear([a], [POOL]).surplus + clear([b], [POOL]).surplus
    assert together.surplus >= apart - 4
    _check_invariants(together, [a, b], [POOL])


@PROPERTY
@given(st.integers(1_000, 300_000), st.integers(90, 100))
@example(1_000, 100).via("the limit is the router's output exactly")
@example(300_000, 100).via("the limit is the router's output exactly")
@example(9552, 100).via(
    "the LP's plan fell a unit short at the limit price and the order was dropped, "
    "the router's execution never tried (explore profile)"
)
def test_a_lone_order_gets_at_least_the_routers_output(amount: int, percent: int) -> None:
    # Over two parallel routes (A → C direct, and A → B → C), the router splits the order
    # optimally; a fill-or-kill order whose limit the router meets is filled, and gets at
    # least what the router delivers (its execution is tried in place of the LP's).
    routed = route_swap(SPLIT, "A", amount, "C").amount("C")
    order = _order("s", "A", "C", amount, routed * percent // 100, partial=False)
    r = clear([order], SPLIT)
    assert r.fill("s").sold == amount
    assert r.fill("s").bought >= routed
    _check_invariants(r, [order], SPLIT)


def test_a_plan_the_pools_fall_short_of_is_rerouted() -> None:
    # 9,552 A for at least 6,329 C, fill-or-kill: exactly what the router gets over SPLIT
    # (838 A over A → B → C for 554 C, 8,714 A direct for 5,775 C). At that limit price
    # the fill LP may plan the whole order into the A/C pool alone, which pays 6,328 C:
    # its conservation row is met only within HiGHS's feasibility tolerance (one base
    # unit in 8·10⁶ after row scaling). Settlement cannot repair a fill-or-kill order's
    # shortfall and drops it (test_batch_settle); the batch once tried the router only on
    # the imbalance of the best settlement, which then filled nothing.
    order = _order("s", "A", "C", 9_552, 6_329, partial=False)
    assert route_swap(SPLIT, "A", 9_552, "C").amount("C") == 6_329
    assert SPLIT[2].out_given_in(0, 1, 9_552) == 6_328
    r = clear([order], SPLIT)
    assert (r.fill("s").sold, r.fill("s").bought) == (9_552, 6_329)
    assert [(t.pool, t.tendered, t.received) for t in r.pool_trades] == [
        (1, (838, 0), (0, 1_669)),  # A → B, then B → C, then A → C
        (0, (1_669, 0), (0, 554)),
        (2, (8_714, 0), (0, 5_775)),
    ]
    assert r.dust == {"A": 0, "C": 0, "B": 0}
    _check_invariants(r, [order], SPLIT)
