"""Batch auctions with coincidence of wants and uniform clearing prices (CoW-style).

A batch collects limit sell orders over many tokens and settles them together. Every
token ``t`` gets one clearing price ``p_t``, and every order selling ``s`` for ``b`` trades
at the same rate ``p_s / p_b``: position in the batch is worth nothing (Budish, Cramton &
Shim, "The High-Frequency Trading Arms Race: Frequent Batch Auctions as a Market Design
Response", QJE 2015). Orders are matched against each other first: opposite orders, and
rings such as A→B→C→A, trade directly; only the imbalance goes to the AMM pools, if any are
given. This is the batch-auction problem of CoW Protocol (docs.cow.fi, "Solver competition
rules": the limit-price constraint, uniform directional clearing prices, solutions ranked
by the surplus they give users) and of T. Walther, "Multi-token Batch Auctions with
Uniform Clearing Prices — Features and Models" (Gnosis, 2018), whose models are
mixed-integer programs over prices and traded volumes.

**The problem.** Orders ``o`` sell ``S_o`` of ``s(o)`` for at least ``B_o`` of ``b(o)``,
fill-or-kill or partially fillable. Find prices ``p > 0`` and fills ``0 ≤ f_o ≤ 1``
(``f_o ∈ {0, 1}`` for fill-or-kill) and pool trades that

    maximise  Σ_o v_b(o) · (f_o·S_o·p_s/p_b − f_o·B_o)           (user surplus)
    s.t.      f_o > 0  ⇒  S_o·p_s ≥ B_o·p_b                        (limit prices)
              Σ_{o sells t} f_o S_o + pools' output of t
                ≥ Σ_{o buys t} f_o S_o p_s/p_b + pools' input of t   (conservation, ∀t)
              each pool's invariant, with its fee, holds.

An order's surplus is what it receives beyond its limit for the part it sold. It is scored
at **fixed reference prices** ``v`` (``valuation``; every token 1 per base unit if not
given), as CoW Protocol scores surplus in the native token at external prices. Scoring at
the clearing prices themselves, as the literal reading of "valued at the clearing prices"
suggests, needs the prices normalised, and the optimum then depends on which token is the
numéraire: two crossing orders (100 A for ≥ 100 B; 200 B for ≥ 100 A) clear at ``√2`` B
per A with A as numéraire and at 2 with B. With fixed ``v`` the answer does not depend on
such a choice, clearing prices stay rational, and surplus is comparable across batches and
ordering rules (what the DeFi game measures). Ties between equally good settlements go to
more traded volume, then to the one whose clearing prices need the fewest improved buy
prices (below), then to the prices closest to ``v`` in log-price.

**Price improvement.** What the pools pay beyond the clearing prices goes to the buyers:
each bought token ``t`` gets a buy price ``p'_t ≤ p_t``, the same for all its buyers, and
an order selling ``s`` for ``b`` trades at ``p_s / p'_b`` — one rate per direction, CoW
Protocol's uniform directional clearing prices
(:func:`accord.mechanisms.batch.execute.improve`). Settlements are scored after it.

**Why candidates and a MILP.** The problem is bilinear (fills times prices) and, with
fill-or-kill orders, combinatorial. For fixed prices it is a MILP, an LP when all orders
are partial (:mod:`accord.mechanisms.batch.settlement`), which HiGHS solves to optimality.
So the solver enumerates candidate price vectors (:mod:`accord.mechanisms.batch.candidates`:
limit prices, pool spot and lone-execution prices, the valuation, and the breakpoints of
the two-token problem, combined along spanning trees of the token graph), solves the fills
at each, settles each exactly in integers (:mod:`accord.mechanisms.batch.execute`: each
pool's trades netted, run in a self-financing order, the leftover returned by price
improvement), and keeps the best. A second round re-prices the best vector at the real
prices of routed executions (:mod:`accord.mechanisms.batch.routes`: each order alone, each
one-sided book, each pair's imbalance, routed optimally over all pools), whose hops are
also sampled trades of the LP; and the router's execution of a settlement's imbalance,
when it is one token against one other, replaces the LP's pool trades if that gives the
users more: for the chosen settlement, and for every candidate whose settlement had to cut
fills the LP planned (the LP holds its conservation rows only up to HiGHS's feasibility
tolerance, so its plan can fall a base unit short of what an order at its limit is due, and
a fill-or-kill order is dropped). With two tokens and one pool
every settlement also goes through :func:`accord.mechanisms.cfmm.uniform_clearing`, which
nets the two sides and prices the imbalance exactly on the curve, so a one-sided batch
gets exactly the pool's ``out_given_in``.

**What is guaranteed.**

- Always: a feasible settlement in exact integers. Users get exactly what their
  directional price gives (``bought = ⌊sold·p_s/p'_b⌋``), never sell more than
  ``sell_amount``, and get at least their limit (``bought·S ≥ sold·B``;
  ``bought ≥ min_buy_amount`` on a full fill). Fill-or-kill orders are all or nothing.
  The pool trades are single swaps in the order they run, each the pool's exact
  ``out_given_in`` on the state the earlier ones left, each spending only what the orders
  sold and earlier swaps delivered; a two-token pool trades one way only. Conservation
  holds exactly, with the rounding dust reported per token (less than a base unit per
  buyer of a token whose price improved).
- Two tokens, partially fillable orders, no pools (``BatchResult.exact``): the real optimum
  lies among the candidates (the objective is concave and piecewise linear in the price
  between limit prices, with kinks at the candidate breakpoints). It is reported as
  ``upper_bound``, and ``upper_bound − surplus`` is what integer settlement costs: a base
  unit or so per order, except that at a price exactly on an order's limit the order can
  only sell multiples of the price's denominator (``bought·S ≥ sold·B`` must hold in
  integers), which matters only for amounts of a few base units.
- Otherwise: the best settlement among the candidates searched, at least as good as
  filling no order, as any lone order executed against a pool or routed alone (those
  prices are candidates), and, with two tokens and one pool, as clearing every order at
  once on the curve. No gap is certified for multi-token rings with pools. The first
  round is capped at ``max_candidates`` price vectors, taken in a fixed order; the
  second adds at most two per routed execution.

Nothing depends on the orders' positions except that fixed order of the candidates, and
the result is a pure function of the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction

from accord.mechanisms.batch.candidates import price_candidates, routed_candidates
from accord.mechanisms.batch.routes import Routed, batch_routes, route_imbalance
from accord.mechanisms.batch.settlement import (
    Plan,
    Settlement,
    planned_sold,
    pool_columns,
    settle,
    settle_uniform,
    solve_fills,
)
from accord.mechanisms.batch.types import BatchResult, Fill, Order, PoolTrade
from accord.mechanisms.cfmm import Pool
from accord.mechanisms.routing.network import Network

__all__ = ["BatchResult", "Fill", "Order", "PoolTrade", "clear"]

MAX_CANDIDATES = 400
"""Default cap on the candidate price vectors tried."""

REROUTE_REPAIRS = 8
"""Repair rounds the search gives the router's execution of a plan it had to cut: one
that fits needs none or a few (rounding); one that takes more is a routed cycle the
orders' sales cannot finance, which would take every round of the repair loop."""


def _valuation(
    tokens: Sequence[str], valuation: Mapping[str, object] | None
) -> dict[str, Fraction]:
    if valuation is None:
        return {t: Fraction(1) for t in tokens}
    out: dict[str, Fraction] = {}
    for t in tokens:
        if t not in valuation:
            raise ValueError(f"valuation has no price for token {t!r}")
        v = valuation[t]
        if isinstance(v, bool) or not isinstance(v, int | float | Fraction):
            raise ValueError(f"valuation of {t!r} must be a number, got {v!r}")
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"valuation of {t!r} must be finite, got {v}")
        if v <= 0:
            raise ValueError(f"valuation of {t!r} must be positive, got {v}")
        out[t] = Fraction(v)
    return out


def _check_orders(orders: Sequence[Order]) -> tuple[Order, ...]:
    seen: set[str] = set()
    for k, o in enumerate(orders):
        if not isinstance(o, Order):
            raise ValueError(f"orders[{k}] is a {type(o).__name__}, not a batch Order")
        if o.id in seen:
            raise ValueError(f"order id {o.id!r} appears twice")
        seen.add(o.id)
    return tuple(orders)


def _distance(prices: Sequence[Fraction], ref: Sequence[Fraction]) -> float:
    """Spread of ``log(p/v)`` around its mean: 0 iff ``p`` is a multiple of ``v``."""
    logs = [math.log(p / v) for p, v in zip(prices, ref, strict=True)]
    mean = sum(logs) / len(logs)
    return sum(abs(x - mean) for x in logs)


def clear(
    orders: Sequence[Order],
    pools: Sequence[Pool] | Network = (),
    *,
    labels: Sequence[Sequence[str]] | None = None,
    valuation: Mapping[str, int | float | Fraction] | None = None,
    max_candidates: int = MAX_CANDIDATES,
) -> BatchResult:
    """Settle a batch of orders, optionally against AMM pools (module docstring).

    ``pools`` are :mod:`accord.mechanisms.cfmm` pools named by their ``tokens`` field or by
    ``labels`` (as in :func:`accord.mechanisms.routing.route_swap`), or a built
    :class:`~accord.mechanisms.routing.network.Network`. ``valuation`` maps each order
    token to its reference price per base unit. Raises ``ValueError`` naming the order,
    field or token for bad input.
    """
    orders = _check_orders(orders)
    if type(max_candidates) is not int or max_candidates < 1:
        raise ValueError(f"max_candidates must be a positive int, got {max_candidates!r}")
    network: Network | None
    if isinstance(pools, Network):
        network = pools
    elif len(pools):
        network = Network.build(pools, labels)
    else:
        network = None
    order_tokens = tuple(sorted({t for o in orders for t in (o.sell_token, o.buy_token)}))
    extra = sorted(set(network.tokens) - set(order_tokens)) if network is not None else []
    tokens = (*order_tokens, *extra)
    value = _valuation(order_tokens, valuation)
    if not orders:
        return _result(tokens, order_tokens, orders, None, network, value, 0, False)
    routes = batch_routes(network, orders, value)
    columns = pool_columns(network, orders, [h for r in routes for h in r.hops])
    candidates = price_candidates(order_tokens, orders, network, value, max_candidates, routes)
    uniform = (
        network is not None
        and len(network.pools) == 1
        and len(order_tokens) == 2
        and set(network.tokens) == set(order_tokens)
    )
    best: tuple[tuple[Fraction, Fraction, int, float, int], Settlement] | None = None
    tried = 0

    def consider(s: Settlement | None) -> None:
        nonlocal best, tried
        tried += 1
        if s is None:
            return
        key = _score(orders, s, value, tried)
        if best is None or key > best[0]:
            best = (key, s)

    real_best = 0.0
    # the router's answers, seeded with the executions already routed for the candidates
    reroutes: dict[tuple[str, int, str], Routed | None] = {
        (r.sell, r.amount, r.buy): r for r in routes
    }

    def search(vectors: Sequence[tuple[Fraction, ...]]) -> None:
        nonlocal real_best
        for vec in vectors:
            prices = dict(zip(order_tokens, vec, strict=True))
            plan = solve_fills(tokens, prices, orders, value, network, columns)
            real_best = max(real_best, plan.value)
            settled = settle(tokens, prices, orders, plan, network)
            consider(settled)
            want = planned_sold(prices, orders, plan)
            if network is not None and (
                settled is None or any(x < w for x, w in zip(settled.sold, want, strict=True))
            ):  # repair cut the LP's fills: the pools' plan fell short; try the router's
                consider(
                    _rerouted(tokens, prices, orders, want, network, reroutes, REROUTE_REPAIRS)
                )
            if uniform and settled is not None and any(settled.sold):
                assert network is not None
                consider(settle_uniform(order_tokens, orders, settled.sold, network))

    search(candidates)
    if routes:  # the second round: the best so far, re-priced at the routed prices
        start = best[1].prices if best is not None else candidates[0]
        search([v for v in routed_candidates(order_tokens, start, routes) if v not in candidates])
    if uniform:
        assert network is not None
        consider(settle_uniform(order_tokens, orders, [o.sell_amount for o in orders], network))
    if best is not None and network is not None:
        prices = dict(zip(order_tokens, best[1].prices, strict=True))
        consider(_rerouted(tokens, prices, orders, best[1].sold, network, reroutes))
    exact = len(order_tokens) == 2 and network is None and all(o.partial for o in orders)
    chosen = best[1] if best is not None else None
    result = _result(tokens, order_tokens, orders, chosen, network, value, tried, exact)
    if exact:
        result = replace(result, upper_bound=max(real_best, float(result.surplus)))
    return result


def _rerouted(
    tokens: tuple[str, ...],
    prices: Mapping[str, Fraction],
    orders: Sequence[Order],
    sold: Sequence[int],
    network: Network,
    cache: dict[tuple[str, int, str], Routed | None],
    repairs: int | None = None,
) -> Settlement | None:
    """The orders selling ``sold`` at ``prices``, with the pools' part the router's
    execution of their imbalance (:func:`accord.mechanisms.batch.routes.route_imbalance`)
    instead of the LP's: the LP plans the pools on sampled trades, splits flow over
    parallel routes less well than the router, and meets its conservation rows only up to
    HiGHS's feasibility tolerance, so its plan can fall a base unit short of what an order
    at its limit is due. Tried for the chosen settlement and for every plan whose
    settlement had to cut fills (those with at most ``repairs`` rounds of repair). What
    the route delivers beyond the orders' due goes to the buyers by price improvement."""
    rates = [prices[o.sell_token] / prices[o.buy_token] for o in orders]
    due = [x * pi.numerator // pi.denominator for x, pi in zip(sold, rates, strict=True)]
    route = route_imbalance(network, orders, sold, due, cache)
    if route is None:
        return None
    plan = Plan((0.0,) * len(orders), tuple((q, i, j, float(d)) for q, i, j, d in route.hops),
                0.0, tuple(sold))  # fmt: skip
    return settle(tokens, prices, orders, plan, network, repairs)


def _score(
    orders: Sequence[Order], s: Settlement, value: Mapping[str, Fraction], index: int
) -> tuple[Fraction, Fraction, int, float, int]:
    """Surplus first, then traded volume; among equal trades, the clearing prices that
    need the fewest improved buy prices (they then describe the trades themselves), then
    those closest to the valuation, then the earliest candidate."""
    surplus = sum(
        (
            Fraction(b * o.sell_amount - x * o.min_buy_amount, o.sell_amount) * value[o.buy_token]
            for o, x, b in zip(orders, s.sold, s.bought, strict=True)
        ),
        Fraction(0),
    )
    volume = sum(
        (x * value[o.sell_token] for o, x in zip(orders, s.sold, strict=True)), Fraction(0)
    )
    ref = [value[t] for t in sorted(value)]
    improved = sum(1 for p, b in zip(s.prices, s.buy_prices, strict=False) if b != p)
    return surplus, volume, -improved, -_distance(s.prices, ref), -index


def _result(
    tokens: tuple[str, ...],
    order_tokens: tuple[str, ...],
    orders: Sequence[Order],
    s: Settlement | None,
    network: Network | None,
    value: Mapping[str, Fraction],
    tried: int,
    exact: bool,
) -> BatchResult:
    if s is None:
        base = value[order_tokens[0]] if order_tokens else Fraction(1)
        prices = {t: value[t] / base for t in order_tokens}
        buy_prices = dict(prices)
        sold = bought = (0,) * len(orders)
        dust = dict.fromkeys(tokens, 0)
        trades: tuple[PoolTrade, ...] = ()
        after: tuple[Pool, ...] = network.pools if network is not None else ()
    else:
        prices = {t: p / s.prices[0] for t, p in zip(order_tokens, s.prices, strict=True)}
        buy_prices = {
            t: p / s.prices[0] for t, p in zip(order_tokens, s.buy_prices or s.prices, strict=True)
        }
        sold, bought = s.sold, s.bought
        dust = dict(zip(tokens, s.dust, strict=True))
        after = s.pools_after
        names = (
            [tuple(network.tokens[g] for g in ids) for ids in network.pool_tokens]
            if network is not None
            else []
        )
        trades = tuple(PoolTrade(q, names[q], t, r) for q, t, r in s.pool_trades)
    scale = math.lcm(*(p.denominator for p in prices.values())) if prices else 1
    integer = {t: int(p * scale) for t, p in prices.items()}
    g = math.gcd(*integer.values()) if integer else 1
    fills = tuple(
        Fill(
            o.id,
            x,
            b,
            Fraction(b * o.sell_amount - x * o.min_buy_amount, o.sell_amount),
            Fraction(b * o.sell_amount - x * o.min_buy_amount, o.sell_amount) * value[o.buy_token],
        )
        for o, x, b in zip(orders, sold, bought, strict=True)
    )
    result = BatchResult(
        tokens=tokens,
        prices=prices,
        buy_prices=buy_prices,
        integer_prices={t: v // g for t, v in integer.items()},
        fills=fills,
        pool_trades=trades,
        pools_after=after,
        surplus=sum((f.surplus_value for f in fills), Fraction(0)),
        dust=dust,
        candidates=tried,
        exact=exact,
    )
    _verify(result, orders, network)
    return result


def _verify(result: BatchResult, orders: Sequence[Order], network: Network | None) -> None:
    """The settlement's invariants; a failure is a bug here, never a user error."""
    net = dict.fromkeys(result.tokens, 0)
    for o, f in zip(orders, result.fills, strict=True):
        pi = result.prices[o.sell_token] / result.buy_prices[o.buy_token]
        ok = 0 <= f.sold <= o.sell_amount and f.bought * o.sell_amount >= f.sold * o.min_buy_amount
        ok = ok and (o.partial or f.sold in (0, o.sell_amount))
        ok = ok and f.bought == f.sold * pi.numerator // pi.denominator
        ok = ok and result.buy_prices[o.buy_token] <= result.prices[o.buy_token]
        if not ok:  # pragma: no cover
            raise AssertionError(f"order {o.id!r} settled outside its terms: {f}")
        net[o.sell_token] += f.sold
    held = dict(net)  # before the pools trade, the settlement holds what the orders sold
    pools = list(network.pools) if network is not None else []
    for t in result.pool_trades:
        assert network is not None
        ins = [k for k, d in enumerate(t.tendered) if d]
        outs = [k for k, r in enumerate(t.received) if r]
        pool = pools[t.pool]
        ok = len(ins) == 1 and len(outs) == 1 and pool.accepts(t.tendered, t.received)
        ok = ok and held[t.tokens[ins[0]]] >= t.tendered[ins[0]]
        if not ok:  # pragma: no cover
            raise AssertionError(f"pool trade {t} is not a funded swap the pool accepts")
        pools[t.pool] = pool.after(ins[0], outs[0], t.tendered[ins[0]], t.received[outs[0]])
        for name, d, r in zip(t.tokens, t.tendered, t.received, strict=True):
            held[name] += r - d
            net[name] += r - d
    for o, f in zip(orders, result.fills, strict=True):
        net[o.buy_token] -= f.bought
    if tuple(pools) != result.pools_after:  # pragma: no cover
        raise AssertionError("the pools after the batch are not its trades' result")
    if net != result.dust or any(v < 0 for v in net.values()):  # pragma: no cover
        raise AssertionError(f"conservation broken: {net} against dust {result.dust}")
