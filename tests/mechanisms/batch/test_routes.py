"""Routed executions for the batch: exact multi-hop outputs, hops, imbalances."""

from __future__ import annotations

import itertools
from fractions import Fraction

from accord.mechanisms.batch.routes import Routed, batch_routes, route_imbalance, routed
from accord.mechanisms.batch.types import Order
from accord.mechanisms.cfmm import Pool, ProductPool, amount_out
from accord.mechanisms.routing.network import Network

E6 = 10**6
CHAIN: list[Pool] = [
    ProductPool((E6, 2 * E6), 30, ("A", "B")),
    ProductPool((3 * E6, E6), 30, ("B", "C")),
]


def test_a_lone_two_hop_route_is_the_chained_uniswap_output() -> None:
    network = Network.build(CHAIN)
    r = routed(network, "A", 10_000, "C")
    assert r is not None
    hop = amount_out(10_000, E6, 2 * E6)
    assert (hop, r.out) == (19_743, amount_out(hop, 3 * E6, E6)) == (19_743, 6_518)
    assert r.hops == ((0, 0, 1, 10_000), (1, 0, 1, hop))
    assert r.price == Fraction(6_518, 10_000)


def test_unconnected_tokens_have_no_route() -> None:
    network = Network.build(CHAIN)
    assert routed(network, "A", 10_000, "Z") is None
    assert routed(network, "A", 0, "C") is None


def test_every_order_alone_and_each_one_sided_book_is_routed() -> None:
    network = Network.build(CHAIN)
    orders = [
        Order("x", "u1", "A", "C", 10_000, 0),
        Order("y", "u2", "A", "C", 30_000, 0),
    ]
    value = dict.fromkeys("ABC", Fraction(1))
    routes = batch_routes(network, orders, value)
    assert [(r.sell, r.amount, r.buy) for r in routes] == [
        ("A", 10_000, "C"),
        ("A", 30_000, "C"),
        ("A", 40_000, "C"),  # the whole book
    ]
    for r in routes:
        assert r.out == amount_out(amount_out(r.amount, E6, 2 * E6), 3 * E6, E6)
    assert batch_routes(network, orders[::-1], value) == routes  # positions do not matter


def test_the_imbalance_price_iteration_converges_to_a_balancing_price() -> None:
    # X = 100,000 A against Y = 60,000 B on one pool; started at 2 B/A, each round routes
    # the imbalance X − Y/π and re-prices π = (out + Y)/X. The pool's average price on the
    # imbalance equals π at the fixed point, so the last route nearly balances.
    network = Network.build([ProductPool((E6, 2 * E6), 30, ("A", "B"))])
    orders = [Order("a", "u1", "A", "B", 100_000, 0), Order("b", "u2", "B", "A", 60_000, 0)]
    routes = batch_routes(network, orders, {"A": Fraction(2), "B": Fraction(1)})
    imbalances = [r for r in routes if r.sell == "A" and r.amount < 100_000]
    assert [r.amount for r in imbalances] == [70_000, 68_500, 68_061]
    steps = [a.amount - b.amount for a, b in itertools.pairwise(imbalances)]
    assert steps[1] < steps[0]  # contracting
    last = imbalances[-1]
    pi = Fraction(last.out + 60_000, 100_000)
    assert abs((100_000 - 60_000 / pi) - last.amount) < 0.005 * last.amount


def test_route_imbalance_needs_one_token_against_one_other() -> None:
    network = Network.build(CHAIN)
    orders = [Order("x", "u1", "A", "C", 10_000, 0), Order("y", "u2", "B", "C", 5_000, 0)]
    assert route_imbalance(network, orders, [10_000, 0], [3_000, 0]) is not None
    # two tokens given (A and B) for C: not a single swap
    assert route_imbalance(network, orders, [10_000, 5_000], [3_000, 1_000]) is None
    r = route_imbalance(network, orders, [10_000, 0], [3_000, 0])
    assert r is not None and (r.sell, r.amount, r.buy) == ("A", 10_000, "C")


def test_route_imbalance_keeps_the_routers_answers_in_its_cache() -> None:
    network = Network.build(CHAIN)
    orders = [Order("x", "u1", "A", "C", 10_000, 0)]
    cache: dict[tuple[str, int, str], Routed | None] = {}
    r = route_imbalance(network, orders, [10_000], [3_000], cache)
    assert r is not None and r.out == 6_518  # the chained Uniswap output above
    assert cache == {("A", 10_000, "C"): r}
    # a cached answer is used as is: the batch seeds the cache with its routed executions
    seeded = Routed("A", "C", 10_000, 1, ())
    assert route_imbalance(network, orders, [10_000], [3_000], {("A", 10_000, "C"): seeded}) is (
        seeded
    )
    assert route_imbalance(network, orders, [10_000], [3_000], {("A", 10_000, "C"): None}) is None
