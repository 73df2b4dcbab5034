"""Routed executions that tell :mod:`accord.mechanisms.batch` what the pools really pay.

The batch's fill LP sees the pools only through sampled trades, and its candidate prices
come from limit prices, spot prices and single-pool executions. A trade that the pools
carry over several hops (A → B on one pool, then B → C on another), or split over
parallel routes, then has no candidate at its real price, and no sampled trade of the
second hop matches what the first hop delivers. The optimal router
(:func:`accord.mechanisms.routing.route_swap`; Angeris, Chitra, Evans & Boyd, "Optimal
Routing for Constant Function Market Makers", EC 2022) gives that execution exactly, in
integers each pool accepts. Each routed execution here gives the batch

- a **candidate price** on its pair, ``out / amount``, and
- its **hops** as extra sampled trades, so at that price the LP can plan exactly the
  routed trades.

The executions routed: every order alone; on each directed pair, all its orders together
(a one-sided book); and on each pair with orders both ways, the imbalance at the price
where it balances, found by fixed-point iteration: at ``π`` (``u`` in ``w``) the users
sell ``X`` of ``u`` and ``Y`` of ``w``; the pools take ``I = X − Y/π`` of ``u`` and must
return ``O(I) = X·π − Y`` of ``w``, so ``π ← (O(X − Y/π) + Y) / X`` (mirrored when ``w``
is long), started from the valuation ratio.

:func:`route_imbalance` routes the imbalance of a settled batch, so the batch can replace
its pools' part by the router's when that delivers more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from accord.mechanisms.batch.execute import net_swaps
from accord.mechanisms.batch.types import Order
from accord.mechanisms.routing import route_swap
from accord.mechanisms.routing.network import Network

__all__ = ["MAX_ROUTES", "Routed", "batch_routes", "route_imbalance", "routed"]

MAX_ROUTES = 24
"""Cap on the router calls one batch makes for its candidates."""

_ITERATIONS = 3


@dataclass(frozen=True, slots=True)
class Routed:
    """``amount`` of ``sell`` routed to ``out`` of ``buy``; ``hops`` the pools' netted
    swaps ``(pool, i, j, amount of i)`` in local token indices."""

    sell: str
    buy: str
    amount: int
    out: int
    hops: tuple[tuple[int, int, int, int], ...]

    @property
    def price(self) -> Fraction:
        """``out / amount``: units of ``buy`` per unit of ``sell``."""
        return Fraction(self.out, self.amount)


def routed(network: Network, sell: str, amount: int, buy: str) -> Routed | None:
    """``amount`` of ``sell`` routed optimally to ``buy``, or ``None`` if the pools do
    not connect them, the router fails, or nothing arrives."""
    if sell not in network.tokens or buy not in network.tokens or amount <= 0:
        return None
    try:
        route = route_swap(network, sell, amount, buy)
    except (ValueError, ArithmeticError):
        return None
    out = route.amount(buy)
    if out <= 0:
        return None
    flows = {
        t.pool: [float(d - r) for d, r in zip(t.tendered_int, t.received_int, strict=True)]
        for t in route.trades
        if any(t.tendered_int) or any(t.received_int)
    }
    hops = tuple((q, i, j, int(x)) for q, i, j, x in net_swaps(network, flows) if int(x) > 0)
    return Routed(sell, buy, amount, out, hops)


def batch_routes(
    network: Network | None,
    orders: Sequence[Order],
    valuation: Mapping[str, Fraction],
    limit: int = MAX_ROUTES,
) -> list[Routed]:
    """The routed executions of a batch (module docstring): every order alone, then at
    most ``limit`` more router calls, in an order that does not depend on the orders'
    positions."""
    if network is None or not orders:
        return []
    pools: Network = network
    out: list[Routed] = []
    calls = 0
    cache: dict[tuple[str, int, str], Routed | None] = {}

    def run(sell: str, amount: int, buy: str) -> Routed | None:
        nonlocal calls
        key = (sell, amount, buy)
        if key not in cache:
            if calls >= limit:
                return None
            calls += 1
            found = routed(pools, sell, amount, buy)
            cache[key] = found
            if found is not None:
                out.append(found)
        return cache[key]

    lone = sorted({(o.sell_token, o.sell_amount, o.buy_token) for o in orders})
    limit += len(lone)  # every order alone, then at most ``limit`` more
    for sell, amount, buy in lone:
        run(sell, amount, buy)
    totals: dict[tuple[str, str], int] = {}
    for o in orders:
        totals[(o.sell_token, o.buy_token)] = totals.get((o.sell_token, o.buy_token), 0)
        totals[(o.sell_token, o.buy_token)] += o.sell_amount
    for (u, w), x in sorted(totals.items()):
        run(u, x, w)
        y = totals.get((w, u), 0)
        if u < w and y:
            _balance(run, u, w, x, y, valuation[u] / valuation[w])
    return out


def _balance(
    run: Callable[[str, int, str], Routed | None], u: str, w: str, x: int, y: int, start: Fraction
) -> None:
    """The fixed-point iteration for the price where the pools carry the imbalance."""
    pi = start
    for _ in range(_ITERATIONS):
        if x * pi > y:  # u is long: the pools take u and return w
            r = run(u, x - int(y / pi), w)
            if r is None:
                return
            pi = Fraction(r.out + y, x)
        else:  # w is long: the pools take w and return u
            r = run(w, y - int(x * pi), u)
            if r is None:
                return
            pi = Fraction(y, x + r.out)


def route_imbalance(
    network: Network | None,
    orders: Sequence[Order],
    sold: Sequence[int],
    bought: Sequence[int],
    cache: dict[tuple[str, int, str], Routed | None] | None = None,
) -> Routed | None:
    """The router's execution of a settled batch's imbalance, when the filled orders give
    more than they take of exactly one token and less of exactly one other; ``None``
    otherwise. ``cache``, keyed by ``(sell, amount, buy)``, keeps the router's answers
    across calls (the router is deterministic, so a cached answer is the same)."""
    if network is None:
        return None
    net: dict[str, int] = {}
    for o, s, b in zip(orders, sold, bought, strict=True):
        if s > 0:
            net[o.sell_token] = net.get(o.sell_token, 0) + s
            net[o.buy_token] = net.get(o.buy_token, 0) - b
    give = sorted(t for t, v in net.items() if v > 0)
    need = sorted(t for t, v in net.items() if v < 0)
    if len(give) != 1 or len(need) != 1:
        return None
    key = (give[0], net[give[0]], need[0])
    if cache is None:
        return routed(network, *key)
    if key not in cache:
        cache[key] = routed(network, *key)
    return cache[key]
