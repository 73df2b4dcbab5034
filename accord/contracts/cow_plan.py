"""The pure parts of :mod:`accord.contracts.cow`'s settlement: valuation, swap order,
routing the imbalance, and sharing what is left over. No device here: each function
takes exact integers and pools and returns a plan, so it is testable alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from accord.mechanisms import cfmm
from accord.mechanisms.batch import BatchResult, Order
from accord.mechanisms.routing import route_swap

PoolSpec = tuple[str, str, tuple[str, ...], int, tuple[int, ...]]
"""A registered pool: ``(address, kind, tokens, fee_bps, params)``."""

_VALUATION_DENOMINATOR = 10**12


def curve(spec: PoolSpec, reserves: tuple[int, ...]) -> cfmm.Pool:
    """The ``cfmm`` pool a registered pool is at ``reserves``."""
    _, kind, tokens, fee, params = spec
    if kind == "weighted":
        return cfmm.WeightedPool(reserves, params, fee, tokens)
    if kind == "constant_sum":
        return cfmm.ConstantSumPool(reserves, fee, params, tokens)
    return cfmm.ProductPool(reserves, fee, tokens)


def valuation(
    curves: Sequence[cfmm.Pool], numeraire: str, tokens: Sequence[str]
) -> dict[str, Fraction]:
    """Reference prices per base unit from the pools' spot prices (fee excluded).

    Breadth first from ``numeraire`` over the pools, in their order; a token the pools do
    not connect to it is priced from the smallest token of its own component (at 1), and a
    token no pool trades is worth 1. Prices are rounded to denominators ≤ 10¹² (they only
    weigh the orders' surpluses against each other).
    """
    price: dict[str, Fraction] = {}
    names = sorted({t for c in curves for t in c.tokens} | set(tokens))
    for root in ([numeraire] if numeraire in names else []) + names:
        if root in price:
            continue
        price[root] = Fraction(1)
        frontier = [root]
        while frontier:
            nxt: list[str] = []
            for c in curves:
                for a in frontier:
                    if a not in c.tokens:
                        continue
                    i = c.index(a)
                    for j, b in enumerate(c.tokens):
                        if b in price or j == i:
                            continue
                        spot = c.spot_price(j, i)  # units of a per unit of b
                        if spot > 0:
                            price[b] = (price[a] * spot).limit_denominator(_VALUATION_DENOMINATOR)
                            if price[b] == 0:
                                price[b] = Fraction(1, _VALUATION_DENOMINATOR)
                            nxt.append(b)
            frontier = nxt
    return price


def share_leftover(
    orders: Sequence[Order],
    sold: Sequence[int],
    bought: Sequence[int],
    leftover: Mapping[str, int],
) -> tuple[list[int], list[int]]:
    """Give a batch's leftover tokens back to its filled orders: ``(more bought, sold back)``.

    The solver plans pool trades on an inner approximation of each curve (sampled exact
    trades), so on the real curve the pools can pay more than the clearing prices hand
    out; that, and the rounding dust, is the leftover. Of token ``t``, it goes to the
    orders that bought ``t``, in proportion to what they bought (every buyer of ``t`` gets
    the same improvement of its rate, a directional uniform price); if none bought ``t``,
    to the orders that sold it, in proportion to what they sold (they sold less, at most
    all they sold). Shares are floored, so the rest (a few base units) stays in the
    contract and ``Σ shares ≤ leftover`` for every token. Limits only get better.
    """
    n = len(orders)
    more, back = [0] * n, [0] * n
    for t in sorted(leftover):
        amount = leftover[t]
        if amount <= 0:
            continue
        buyers = [k for k in range(n) if sold[k] > 0 and orders[k].buy_token == t]
        if buyers:
            total = sum(bought[k] for k in buyers)
            for k in buyers:
                more[k] += amount * bought[k] // total
            continue
        sellers = [k for k in range(n) if sold[k] > 0 and orders[k].sell_token == t]
        total = sum(sold[k] for k in sellers)
        for k in sellers:
            back[k] += min(amount * sold[k] // total, sold[k] - back[k])
    return more, back


@dataclass(frozen=True, slots=True)
class Swap:
    """One pool swap of a settlement: ``amount`` of ``asset_in`` for at least ``min_out``
    (the planned output) on ``pool`` (the solver's pool index ``q``). ``last_hop``: the
    last swap out of a token no filled order buys, which may tender all the batch holds."""

    q: int
    pool: str
    asset_in: str
    asset_out: str
    amount: int
    min_out: int
    last_hop: bool = False


def swap_plan(
    result: BatchResult,
    specs: Sequence[PoolSpec],
    orders: Sequence[Order],
    holdings: Mapping[str, int],
) -> list[Swap] | None:
    """The solution's pool trades as swaps in an order the contract can fund, or ``None``.

    A swap can run once the contract holds its input: the orders' escrow (``holdings``)
    or an earlier swap's output, so multi-hop routes run hop by hop. On one pool, the
    ``i → j`` swap runs before ``j → i``, as the solver executed them. ``None`` if some
    swaps wait on each other (a cycle of pool trades would need capital up front).
    """
    swaps: list[Swap] = []
    for trade in result.pool_trades:
        address, tokens = specs[trade.pool][0], specs[trade.pool][2]
        for i, j in ((0, 1), (1, 0)):
            amount, planned = trade.tendered[i], trade.received[j]
            if amount and planned:
                swaps.append(Swap(trade.pool, address, tokens[i], tokens[j], amount, planned))
    bought = {o.buy_token for o, f in zip(orders, result.fills, strict=True) if f.sold}
    return _fundable(swaps, holdings, bought)


def _fundable(
    swaps: Sequence[Swap], holdings: Mapping[str, int], bought: set[str]
) -> list[Swap] | None:
    """``swaps`` in an order the contract can fund from ``holdings`` and earlier outputs
    (one pool's swaps keep their order), each marked ``last_hop`` if it is the last swap
    out of a token no order buys; ``None`` if some swaps wait on each other."""
    balance = dict(holdings)
    done: list[Swap] = []
    pending = list(swaps)
    while pending:
        waiting: list[Swap] = []
        for swap in pending:
            if any(w.q == swap.q for w in waiting) or balance.get(swap.asset_in, 0) < swap.amount:
                waiting.append(swap)
                continue
            balance[swap.asset_in] -= swap.amount
            balance[swap.asset_out] = balance.get(swap.asset_out, 0) + swap.min_out
            done.append(swap)
        if len(waiting) == len(pending):
            return None
        pending = waiting
    plan: list[Swap] = []
    for k, swap in enumerate(done):
        later = any(s.asset_in == swap.asset_in for s in done[k + 1 :])
        plan.append(replace(swap, last_hop=swap.asset_in not in bought and not later))
    return plan


def deepest_per_pair(
    live: Sequence[tuple[PoolSpec, cfmm.Pool]],
) -> list[tuple[PoolSpec, cfmm.Pool]]:
    """One pool per token pair: the one with the largest reserve product (first if tied)."""
    best: dict[frozenset[str], tuple[int, int]] = {}
    for k, (_, curve) in enumerate(live):
        pair = frozenset(curve.tokens)
        depth = curve.reserves[0] * curve.reserves[1]
        if pair not in best or depth > best[pair][0]:
            best[pair] = (depth, k)
    keep = {k for _, k in best.values()}
    return [entry for k, entry in enumerate(live) if k in keep]


def _imbalance(result: BatchResult, orders: Sequence[Order]) -> dict[str, int]:
    """Per token, what the filled orders sold less what they bought."""
    net: dict[str, int] = {}
    for o, f in zip(orders, result.fills, strict=True):
        if f.sold:
            net[o.sell_token] = net.get(o.sell_token, 0) + f.sold
            net[o.buy_token] = net.get(o.buy_token, 0) - f.bought
    return net


def delivered(result: BatchResult, orders: Sequence[Order]) -> int:
    """What the solver's pool trades deliver of the one token the orders are short of
    (net of what they tender of it), or 0 if the imbalance is not one token against one."""
    short = [t for t, n in _imbalance(result, orders).items() if n < 0]
    if len(short) != 1:
        return 0
    total = 0
    for trade in result.pool_trades:
        for name, d, r in zip(trade.tokens, trade.tendered, trade.received, strict=True):
            if name == short[0]:
                total += r - d
    return total


def routed_plan(
    result: BatchResult,
    orders: Sequence[Order],
    pools: Sequence[tuple[PoolSpec, cfmm.Pool]],
    holdings: Mapping[str, int],
) -> tuple[list[Swap], int] | None:
    """The optimal route of the filled orders' imbalance, as swaps, and what it delivers.

    Applies when the orders (as the batch filled them) have a surplus of exactly one token
    and a shortfall of exactly one other: the pools' job is then a plain swap of the one
    for the other, which :func:`accord.mechanisms.routing.route_swap` solves optimally
    over every pool (Angeris et al., "Optimal Routing for Constant Function Market
    Makers", EC 2022), splitting across parallel routes. ``None`` if it does not apply,
    the router fails, its output does not cover the shortfall, or its trades cannot be
    funded in order.
    """
    net = _imbalance(result, orders)
    give = [(t, n) for t, n in sorted(net.items()) if n > 0]
    need = [(t, -n) for t, n in sorted(net.items()) if n < 0]
    if len(give) != 1 or len(need) != 1 or not pools:
        return None
    (sell, amount), (buy, required) = give[0], need[0]
    try:
        route = route_swap([c for _, c in pools], sell, amount, buy)
    except (ValueError, ArithmeticError):
        return None
    out = route.amount(buy)
    if out < required:
        return None
    swaps: list[Swap] = []
    for trade in route.trades:
        ins = [(k, a) for k, a in enumerate(trade.tendered_int) if a > 0]
        outs = [(k, a) for k, a in enumerate(trade.received_int) if a > 0]
        if not ins and not outs:
            continue
        if len(ins) != 1 or len(outs) != 1:
            return None  # not one swap
        spec = pools[trade.pool][0]
        tokens = spec[2]
        (i, x), (j, y) = ins[0], outs[0]
        swaps.append(Swap(trade.pool, spec[0], tokens[i], tokens[j], x, y))
    plan = _fundable(swaps, holdings, {buy})
    return (plan, out) if plan is not None else None
