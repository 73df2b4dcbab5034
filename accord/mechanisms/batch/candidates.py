"""Candidate clearing-price vectors for :mod:`accord.mechanisms.batch`.

A batch's clearing prices ``p`` are only defined up to scale, and on one token pair only
their ratio ``π = p_u / p_w`` matters. The batch solver fixes ``p`` from a finite set of
candidates and solves the fills at each by a (mixed-integer) LP, so this set is where the
optimality guarantee comes from. Its members, as ratios on each token pair:

- every order's **limit price** (``p_sell / p_buy = min_buy / sell``: the order is just
  willing), every pool's **spot price** with and without its fee, and the **valuation
  ratio** (the reference prices the surplus is scored in, CoW Protocol's external prices);
- the price at which each order would **execute alone** against each pool that trades its
  pair (``out_given_in(sell) / sell``, the pool's average price), and the **routed
  prices** of :mod:`accord.mechanisms.batch.routes`: each order alone, each one-sided book
  and each pair's imbalance routed optimally over all the pools
  (:func:`accord.mechanisms.routing.route_swap`), so multi-hop and split executions are
  candidates at their real prices;
- on each pair, the **breakpoints of the two-token problem**: between two consecutive limit
  prices the set of eligible orders is fixed, one side of the book is short and filled
  completely, and the long side is rationed best limit first. With the surplus scored at
  fixed reference prices, the optimum as a function of ``π`` is then concave and piecewise
  linear, with kinks exactly where the two sides balance (``π = Y / X``) and where the
  rationed side's greedy fill passes an order (``π = cumulative Y / X`` or
  ``π = Y / cumulative X``). Together with the limit prices these points contain a
  maximiser of the two-token problem with partially fillable orders, so on two tokens
  without pools the search is exact.

Each limit price also comes nudged by a factor ``1 ± 10⁻¹²``: at a price exactly on an
order's limit, ``bought·S ≥ sold·B`` holds in integers only for multiples of the price's
denominator, and a hair of slack lets the order trade in full at realistic sizes.

With more than two tokens, a vector is built from each spanning tree of the token graph
and a choice of one candidate ratio per tree edge (the vertices of the arrangement of
limit-price hyperplanes in log-price space, where ``n − 1`` independent ratios are tight),
deterministically, up to a cap.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction

from accord.mechanisms.batch.routes import Routed
from accord.mechanisms.batch.types import Order
from accord.mechanisms.cfmm import BPS
from accord.mechanisms.routing.network import Network

__all__ = ["pair_breakpoints", "price_candidates", "routed_candidates"]

_NUDGE = 1 + Fraction(1, 10**12)


def pair_breakpoints(u: str, w: str, orders: Sequence[Order]) -> set[Fraction]:
    """Ratios ``π = p_u / p_w`` where the two-token problem on ``(u, w)`` can have a kink.

    "A-sellers" sell ``u`` for ``w`` and are eligible when ``π ≥ min_buy/sell``;
    "B-sellers" sell ``w`` for ``u`` and are eligible when ``π ≤ sell/min_buy``.
    """
    a_side = [o for o in orders if o.sell_token == u and o.buy_token == w]
    b_side = [o for o in orders if o.sell_token == w and o.buy_token == u]
    a_lim = [Fraction(o.min_buy_amount, o.sell_amount) for o in a_side]
    b_cap = [
        Fraction(o.sell_amount, o.min_buy_amount) if o.min_buy_amount else None for o in b_side
    ]
    points = {x for x in a_lim if x > 0} | {x for x in b_cap if x is not None}
    out = set(points)
    if not a_side or not b_side:
        return out
    ordered = sorted(points)
    reps: list[Fraction] = []
    if ordered:
        reps.append(ordered[0] / 2)
        reps.extend(ordered)
        reps.extend((x + y) / 2 for x, y in itertools.pairwise(ordered))
        reps.append(ordered[-1] * 2)
    else:
        reps.append(Fraction(1))
    for pi in reps:
        a_ok = [o for o, lim in zip(a_side, a_lim, strict=True) if lim <= pi]
        b_ok = [o for o, cap in zip(b_side, b_cap, strict=True) if cap is None or cap >= pi]
        x = sum(o.sell_amount for o in a_ok)
        y = sum(o.sell_amount for o in b_ok)
        if not x or not y:
            continue
        out.add(Fraction(y, x))
        # B-sellers rationed best (lowest min_buy/sell) first; A-sellers likewise
        cum = 0
        for o in sorted(b_ok, key=lambda o: Fraction(o.min_buy_amount, o.sell_amount)):
            cum += o.sell_amount
            out.add(Fraction(cum, x))
        cum = 0
        for o in sorted(a_ok, key=lambda o: Fraction(o.min_buy_amount, o.sell_amount)):
            cum += o.sell_amount
            out.add(Fraction(y, cum))
    return {x for x in out if x > 0}


def _pool_ratios(
    network: Network | None,
    orders: Sequence[Order],
    index: Mapping[str, int],
    alone: Mapping[tuple[str, int, str], Routed],
) -> dict[tuple[int, int], set[Fraction]]:
    """Spot prices (with and without fee), lone-order execution prices per pool, and,
    for an order that no single pool trades, its price routed alone (``alone``, keyed by
    ``(sell, amount, buy)``)."""
    ratios: dict[tuple[int, int], set[Fraction]] = {}
    if network is None:
        return ratios
    for pool, ids in zip(network.pools, network.pool_tokens, strict=True):
        names = [network.tokens[g] for g in ids]
        gamma = Fraction(BPS - pool.fee_bps, BPS)
        for i, j in itertools.permutations(range(len(names)), 2):
            u, w = names[i], names[j]
            if u not in index or w not in index or index[u] > index[w]:
                continue
            spot = pool.spot_price(i, j)
            if spot > 0:
                ratios.setdefault((index[u], index[w]), set()).update(
                    {spot, spot * gamma, spot / gamma}
                )
        for o in orders:
            if o.sell_token in names and o.buy_token in names and o.sell_token in index:
                i, j = names.index(o.sell_token), names.index(o.buy_token)
                got = pool.out_given_in(i, j, o.sell_amount)
                if got > 0:
                    r = Fraction(got, o.sell_amount)
                    a, b = index[o.sell_token], index[o.buy_token]
                    ratios.setdefault((min(a, b), max(a, b)), set()).add(r if a < b else 1 / r)
    for o in orders:  # an order no single pool trades: its price routed alone
        direct = any(
            {o.sell_token, o.buy_token} <= {network.tokens[g] for g in ids}
            for ids in network.pool_tokens
        )
        lone = alone.get((o.sell_token, o.sell_amount, o.buy_token))
        if not direct and lone is not None:
            a, b = index[o.sell_token], index[o.buy_token]
            price = lone.price
            ratios.setdefault((min(a, b), max(a, b)), set()).add(price if a < b else 1 / price)
    return ratios


def _find(parent: list[int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _spanning_trees(n: int, edges: list[tuple[int, int]]) -> Iterator[tuple[tuple[int, int], ...]]:
    for combo in itertools.combinations(edges, n - 1):
        parent = list(range(n))
        ok = True
        for a, b in combo:
            ra, rb = _find(parent, a), _find(parent, b)
            if ra == rb:
                ok = False
                break
            parent[ra] = rb
        if ok:
            yield combo


def price_candidates(
    tokens: Sequence[str],
    orders: Sequence[Order],
    network: Network | None,
    valuation: Mapping[str, Fraction],
    max_candidates: int,
    routes: Sequence[Routed] = (),
) -> list[tuple[Fraction, ...]]:
    """Distinct candidate price vectors over ``tokens`` (normalised: ``p[0] = 1``).
    ``routes`` are the batch's routed executions (:mod:`accord.mechanisms.batch.routes`),
    of which this round uses the lone orders that no single pool trades;
    :func:`routed_candidates` uses the rest.

    The valuation vector comes first (the market's own prices), then the tree vectors in
    a fixed order; nothing depends on the orders' positions beyond that order.
    """
    n = len(tokens)
    index = {t: k for k, t in enumerate(tokens)}
    ratios: dict[tuple[int, int], set[Fraction]] = {}
    for a, b in itertools.combinations(range(n), 2):
        ratios[(a, b)] = {valuation[tokens[a]] / valuation[tokens[b]]}
    alone = {(r.sell, r.amount, r.buy): r for r in routes}
    for (a, b), rs in _pool_ratios(network, orders, index, alone).items():
        ratios[(a, b)] |= rs
    pairs = {
        (min(index[o.sell_token], index[o.buy_token]), max(index[o.sell_token], index[o.buy_token]))
        for o in orders
    }
    for a, b in sorted(pairs):
        ratios[(a, b)] |= pair_breakpoints(tokens[a], tokens[b], orders)
        # an order exactly at its limit can sell only multiples of the price's denominator
        # in integers; a price a hair off the limit (either way) lets it trade in full
        limits = {
            o.limit if index[o.sell_token] == a else 1 / o.limit
            for o in orders
            if {index[o.sell_token], index[o.buy_token]} == {a, b} and o.min_buy_amount
        }
        ratios[(a, b)] |= {r * k for r in limits for k in (_NUDGE, 1 / _NUDGE)}
    base = tuple(valuation[t] / valuation[tokens[0]] for t in tokens)
    seen = {base}
    out = [base]
    if n < 2:
        return out
    edges = sorted(ratios)
    # order-bearing pairs first, so trees made of order edges come early
    edges.sort(key=lambda e: (e not in pairs, e))
    for tree in _spanning_trees(n, edges):
        choices = [sorted(ratios[e]) for e in tree]
        for pick in itertools.product(*choices):
            vec = _tree_vector(n, tree, pick)
            if vec not in seen:
                seen.add(vec)
                out.append(vec)
                if len(out) >= max_candidates:
                    return out
    return out


def _tree_vector(
    n: int, tree: tuple[tuple[int, int], ...], pick: tuple[Fraction, ...]
) -> tuple[Fraction, ...]:
    """Prices with ``p[0] = 1`` and ``p[a] / p[b] = r`` on every tree edge ``(a, b, r)``."""
    p: list[Fraction | None] = [None] * n
    p[0] = Fraction(1)
    pending = list(zip(tree, pick, strict=True))
    while pending:
        rest = []
        for (a, b), r in pending:
            pa, pb = p[a], p[b]
            if pa is not None and pb is None:
                p[b] = pa / r
            elif pb is not None and pa is None:
                p[a] = pb * r
            elif pa is None and pb is None:
                rest.append(((a, b), r))
        if len(rest) == len(pending):  # pragma: no cover - a spanning tree always resolves
            raise AssertionError("tree does not span the tokens")
        pending = rest
    return tuple(x for x in p if x is not None)


def routed_candidates(
    tokens: Sequence[str], best: Sequence[Fraction], routes: Sequence[Routed]
) -> list[tuple[Fraction, ...]]:
    """The second round of candidates: the first round's best vector ``best``, re-priced on
    one pair at a time to a routed execution's real price (``p_a / p_b = out / amount``,
    moving ``p_b``, then moving ``p_a``), normalised so ``p[0] = 1``. A local search, so
    the routed prices add to the first round's candidates without displacing any under
    its cap."""
    index = {t: k for k, t in enumerate(tokens)}
    out: list[tuple[Fraction, ...]] = []
    for r in routes:
        if r.sell not in index or r.buy not in index:
            continue
        a, b = index[r.sell], index[r.buy]
        for move in (b, a):
            p = list(best)
            p[move] = p[a] / r.price if move == b else p[b] * r.price
            vec = tuple(x / p[0] for x in p)
            if vec not in out:
                out.append(vec)
    return out
