"""Integer settlement of a fill plan: the amounts planned, and the repair loop's budget."""

from __future__ import annotations

from fractions import Fraction

from accord.mechanisms.batch.settlement import Plan, planned_sold, settle
from accord.mechanisms.batch.types import Order
from accord.mechanisms.cfmm import Pool, ProductPool
from accord.mechanisms.routing.network import Network

SPLIT: list[Pool] = [
    ProductPool((3 * 10**6, 10**6), 30, ("B", "C")),
    ProductPool((10**6, 2 * 10**6), 30, ("A", "B")),
    ProductPool((3 * 10**6, 2 * 10**6), 30, ("A", "C")),
]
# 9,552 A at 6,329 C: the router's output over SPLIT, where the A/C pool alone pays 6,328
PRICES = {"A": Fraction(1), "C": Fraction(9_552, 6_329)}
DIRECT = Plan((1.0,), ((2, 0, 1, 9_552.0),), 0.0)  # all of it into the A/C pool


def test_planned_sold_floors_fills_and_keeps_fill_or_kill_whole() -> None:
    # x's limit (0.7 C per A) is above the price: it sells nothing whatever the plan says
    orders = [
        Order("p", "u", "A", "C", 1_000, 600, partial=True),
        Order("k", "u", "A", "C", 1_000, 600, partial=False),
        Order("x", "u", "A", "C", 1_000, 700, partial=True),
    ]
    prices = {"A": Fraction(2, 3), "C": Fraction(1)}  # 2/3 C per A
    # 0.4999999999 of 1,000 is 499.9999999: a hair up, 500; fill-or-kill at 0.6 is whole
    plan = Plan((0.4999999999, 0.6, 1.0), (), 0.0)
    assert planned_sold(prices, orders, plan) == [500, 1_000, 0]
    assert planned_sold(prices, orders, Plan((0.0, 0.4, 0.0), (), 0.0)) == [0, 0, 0]
    # 7 A buys ⌊14/3⌋ = 4 C < 7·0.6: cut to 6, a multiple of the price's denominator
    exact = Plan((0.0,) * 3, (), 0.0, (7, 1_000, 5))
    assert planned_sold(prices, orders, exact) == [6, 1_000, 0]


def test_a_pool_plan_one_unit_short_drops_a_fill_or_kill_order() -> None:
    # the fill LP's plan at this price within HiGHS's tolerance: 6,328 C for 6,329 due
    order = Order("s", "u", "A", "C", 9_552, 6_329, partial=False)
    s = settle(("A", "C", "B"), PRICES, [order], DIRECT, Network.build(SPLIT))
    assert s is not None
    assert (s.sold, s.bought, s.pool_trades) == ((0,), (0,), ())


def test_the_repair_budget_bounds_the_rounds() -> None:
    # partially fillable, the same short plan is repaired in one round: sell 9,551 A, all
    # of it to the pool (6,328 C), buy ⌊9,551·6,329/9,552⌋ = 6,328 C
    order = Order("s", "u", "A", "C", 9_552, 6_000, partial=True)
    network = Network.build(SPLIT)
    assert settle(("A", "C", "B"), PRICES, [order], DIRECT, network, repairs=0) is None
    for repairs in (1, None):
        s = settle(("A", "C", "B"), PRICES, [order], DIRECT, network, repairs=repairs)
        assert s is not None
        assert (s.sold, s.bought) == ((9_551,), (6_328,))
        assert s.pool_trades == ((2, (9_551, 0), (0, 6_328)),)
        assert s.dust == (0, 0, 0)
