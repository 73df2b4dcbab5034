"""Fills at fixed prices (a MILP) and exact integer settlement for :mod:`accord.mechanisms.batch`.

**Fills at fixed prices.** With the clearing prices ``p`` fixed, every order ``o`` that
may trade (``p_s·S_o ≥ p_b·B_o``) exchanges at the known rate ``π_o = p_s / p_b``, so its
fill fraction ``f_o`` enters everything linearly: it sells ``f_o·S_o`` and buys
``f_o·S_o·π_o``, for a surplus of ``f_o·(S_o·π_o − B_o)`` units of its buy token, scored
at the reference prices ``v``. Pools enter through an *inner* approximation of their
convex trading sets: sampled single-pair trades ``(d, out_given_in(d))``, exact integers,
of which each pool may use a convex combination ``Σ λ ≤ 1``. Because each pool's set of
acceptable trades is convex and contains zero (Angeris et al. 2022, §2), every such
combination is a trade the pool accepts, so the LP never plans an impossible pool trade.
The problem is then

    maximise Σ_o v_b(o)·(S_o·π_o − B_o)·f_o + Σ_t v_t·e_t   (+ a tie-break for volume)
    s.t.     Σ_{o sells t} S_o f_o − Σ_{o buys t} S_o π_o f_o + Σ_cols λ·(out − d)_t ≥ e_t  ∀t
             e_t ≤ Σ_{o buys t} S_o π_o f_o,   e ≥ 0,
             Σ_{cols of pool q} λ ≤ 1,  0 ≤ f ≤ 1,  f_o ∈ {0, 1} for fill-or-kill orders,

a MILP that HiGHS (via :func:`scipy.optimize.milp`) solves to optimality; it is an LP when
every order is partially fillable. ``e_t`` is what the pools deliver of ``t`` beyond what
its buyers get at the clearing prices: settlement hands it to them by price improvement,
so the LP counts it as theirs (with pools only; it needs a filled buyer, and counts at
most what the buyers get at the clearing prices, so no order is filled a sliver for a
windfall the integer settlement cannot deliver).

**Pools' plan.** The LP's combination of a pool's sampled trades is netted into one swap
per pool pair (:func:`accord.mechanisms.batch.execute.net_swaps`: a pool traded both ways is
dominated by its net trade, Angeris et al. 2022, §2). A tiny cost per unit of ``λ`` keeps
the LP from planning pool trades that no order needs (with no fills, any pool cycle is
otherwise as good as none).

**Integer settlement**, rounding towards the protocol: an order sells
``⌊f_o·S_o⌋ ≤ S_o`` and buys ``⌊sold·π_o⌋`` (CoW's ``executedBuy = executedSell·p_s/p_b``,
floored). Its limit is CoW's ``bought·S ≥ sold·B``; if flooring breaks it at a tight price,
``sold`` drops to a multiple of ``π_o``'s denominator, where the product is exact. The
pools' swaps, floored, run in a self-financing order with cfmm's exact ``out_given_in``
(:func:`accord.mechanisms.batch.execute.execute`): each spends only what the orders sold
and earlier swaps delivered, and a token no order buys is pushed on whole by its last
swap (one the orders sell but the LP left unused gets a swap into an untouched pool that
pays a token the orders buy). Any token left short (a few base units of rounding) is
repaired, each a bounded number of times, by tendering more to a pool swap into it from
a token with some left over; or by selling more of it from a partially filled order
whose own buy token has enough left over; or by cutting the fills of partially fillable
orders that buy it; or by cutting the pools' tenders of it; and last by dropping
fill-or-kill orders that buy it.
What is left over of a bought token goes to its buyers by price improvement
(:func:`accord.mechanisms.batch.execute.improve`: a lower buy price for every buyer of
the token alike); the rest is dust, reported per token, and conservation
``sold + pool out = bought + pool in + dust`` holds exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from accord.mechanisms.batch.execute import Executed, execute, improve, net_swaps
from accord.mechanisms.batch.types import Order
from accord.mechanisms.cfmm import Order as CfmmOrder
from accord.mechanisms.cfmm import Pool, uniform_clearing
from accord.mechanisms.routing.network import Network

__all__ = [
    "Column",
    "Plan",
    "Settlement",
    "planned_sold",
    "pool_columns",
    "settle",
    "settle_uniform",
    "solve_fills",
]

_GRID = tuple(2.0**k for k in range(-24, 3))
_MAX_COLUMNS = 64
_POOL_COST = 1e-7  # per unit of λ: no pool trade that no order needs
_IMPROVEMENT = 1.0  # a token's leftover the LP counts as its buyers' is at most this many
# times what they get at the clearing prices: enough for what pools pay beyond prices near
# the market, and no incentive to fill an order a sliver for a windfall on it


@dataclass(frozen=True, slots=True)
class Column:
    """A sampled single-pair pool trade: pool ``q`` takes ``d`` of local token ``i`` and
    pays ``out`` of local token ``j`` (exact ``out_given_in``)."""

    q: int
    i: int
    j: int
    d: int
    out: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The fill MILP's solution at one price vector: fractions, and the pools' netted
    swaps ``(pool, i, j, amount of i)``. ``sold``, when given, are the exact amounts the
    orders sell (instead of ``fills``)."""

    fills: tuple[float, ...]
    tenders: tuple[tuple[int, int, int, float], ...]
    value: float
    sold: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """Exact integer transfers: per order ``sold``/``bought``, the pools' swaps in the
    order they run (``(pool, tendered, received)``, one pair each), the pools after them,
    and the dust left over per global token. ``buy_prices`` are the prices buyers pay
    per order token after price improvement (``≤ prices``)."""

    prices: tuple[Fraction, ...]
    sold: tuple[int, ...]
    bought: tuple[int, ...]
    pool_trades: tuple[tuple[int, tuple[int, ...], tuple[int, ...]], ...]
    pools_after: tuple[Pool, ...]
    dust: tuple[int, ...]
    buy_prices: tuple[Fraction, ...] = ()


def pool_columns(
    network: Network | None,
    orders: Sequence[Order],
    extra: Sequence[tuple[int, int, int, int]] = (),
) -> list[Column]:
    """Sampled trades for every pool and ordered pair: a geometric grid of tenders from
    ``R_i·2⁻²⁴`` to ``4·R_i``, every order amount (and their running totals) sold in the
    pool's input token, and the ``extra`` tenders ``(pool, i, j, amount)`` (the hops of
    routed executions, :mod:`accord.mechanisms.batch.routes`), so lone orders, whole
    one-sided books and multi-hop routes are sampled exactly."""
    cols: list[Column] = []
    if network is None:
        return cols
    hops: dict[tuple[int, int, int], set[int]] = {}
    for q, i, j, d in extra:
        hops.setdefault((q, i, j), set()).add(d)
    for q, (pool, ids) in enumerate(zip(network.pools, network.pool_tokens, strict=True)):
        names = [network.tokens[g] for g in ids]
        for i in range(len(names)):
            amounts = sorted(o.sell_amount for o in orders if o.sell_token == names[i])
            points = {int(pool.reserves[i] * g) for g in _GRID} | set(amounts)
            points |= set(_running_totals(amounts))
            pts = sorted(x for x in points if x > 0)
            if len(pts) > _MAX_COLUMNS:
                step = len(pts) / _MAX_COLUMNS
                keep = {pts[int(k * step)] for k in range(_MAX_COLUMNS)} | set(amounts)
                pts = sorted(keep)
            for j in range(len(names)):
                if i == j:
                    continue
                for d in sorted(set(pts) | hops.get((q, i, j), set())):
                    out = pool.out_given_in(i, j, d)
                    if out > 0:
                        cols.append(Column(q, i, j, d, out))
    return cols


def _running_totals(values: Sequence[int]) -> list[int]:
    total, out = 0, []
    for v in values:
        total += v
        out.append(total)
    return out


def solve_fills(
    tokens: Sequence[str],
    prices: Mapping[str, Fraction],
    orders: Sequence[Order],
    valuation: Mapping[str, Fraction],
    network: Network | None,
    columns: Sequence[Column],
) -> Plan:
    """The fill MILP (module docstring) at fixed ``prices``."""
    m = len(orders)
    index = {t: k for k, t in enumerate(tokens)}
    weights = np.zeros(m)
    upper = np.zeros(m)
    rate = np.zeros(m)
    for k, o in enumerate(orders):
        pi = prices[o.sell_token] / prices[o.buy_token]
        if pi * o.sell_amount >= o.min_buy_amount:
            upper[k] = 1.0
            rate[k] = float(pi)
            weights[k] = float(valuation[o.buy_token] * (o.sell_amount * pi - o.min_buy_amount))
    if not upper.any():
        return Plan((0.0,) * m, (), 0.0)
    usable = list(columns) if network is not None else []
    # with pools, a leftover of a token that filled orders buy is theirs (price
    # improvement): one variable per such token, worth its valuation
    kept = (
        sorted({o.buy_token for k, o in enumerate(orders) if upper[k]} & set(valuation))
        if usable
        else []
    )
    n_var = m + len(usable) + len(kept)
    a = np.zeros((len(tokens), n_var))
    for k, o in enumerate(orders):
        a[index[o.sell_token], k] += o.sell_amount
        a[index[o.buy_token], k] -= o.sell_amount * rate[k]
    n_pools = len(network.pools) if network is not None else 0
    pool_rows = np.zeros((n_pools, n_var))
    for c_idx, col in enumerate(usable):
        assert network is not None
        ids = network.pool_tokens[col.q]
        a[index[network.tokens[ids[col.i]]], m + c_idx] -= col.d
        a[index[network.tokens[ids[col.j]]], m + c_idx] += col.out
        pool_rows[col.q, m + c_idx] = 1.0
    scale = np.abs(a).max(axis=1)
    scale[scale == 0] = 1.0
    a = a / scale[:, None]
    # e_t in units of its row's scale, so every coefficient is of order one
    link = np.zeros((len(kept), n_var))
    for r, t in enumerate(kept):
        a[index[t], m + len(usable) + r] = -1.0
        link[r, m + len(usable) + r] = 1.0
        for k, o in enumerate(orders):
            if o.buy_token == t:
                link[r, k] = -_IMPROVEMENT * o.sell_amount * rate[k] / scale[index[t]]
    keep = np.array([float(valuation[t]) * scale[index[t]] for t in kept])
    # everything in units of the largest value at stake, so every coefficient is at most 1
    norm = max(float(np.abs(weights).max()), float(keep.max()) if kept else 0.0) or 1.0
    # a tie-break for traded value, so orders exactly at their limit still fill; with
    # pools it must beat HiGHS's absolute MIP gap (10⁻⁶), or a fill-or-kill order that
    # only the pools' exact capacity can fill is left out as "optimal within the gap"
    tie = 1e-5 if kept else 1e-9
    volume = np.array([float(valuation[o.sell_token] * o.sell_amount) for o in orders]) * upper
    vmax = float(volume.max()) or 1.0
    c = np.concatenate(
        [-weights / norm - tie * volume / vmax, np.full(len(usable), _POOL_COST), -keep / norm]
    )
    constraints = [LinearConstraint(a, np.zeros(len(tokens)), np.full(len(tokens), np.inf))]
    if n_pools:
        constraints.append(LinearConstraint(pool_rows, np.zeros(n_pools), np.ones(n_pools)))
    if kept:
        constraints.append(LinearConstraint(link, np.full(len(kept), -np.inf), np.zeros(len(kept))))
    integrality = np.zeros(n_var)
    for k, o in enumerate(orders):
        if not o.partial:
            integrality[k] = 1
    bounds = Bounds(
        np.zeros(n_var),
        np.concatenate([upper, np.ones(len(usable)), np.full(len(kept), np.inf)]),
    )
    res = milp(c, constraints=constraints, integrality=integrality, bounds=bounds)
    if res.x is None:  # pragma: no cover - zero fills are always feasible
        return Plan((0.0,) * m, (), 0.0)
    x = np.clip(res.x[: m + len(usable)], 0.0, 1.0)
    flows: dict[int, list[float]] = {}
    for c_idx, col in enumerate(usable):
        lam = float(x[m + c_idx])
        if lam > 1e-12:
            assert network is not None
            flow = flows.setdefault(col.q, [0.0] * len(network.pool_tokens[col.q]))
            flow[col.i] += lam * col.d
            flow[col.j] -= lam * col.out
    swaps = net_swaps(network, flows) if network is not None else []
    value = float(weights @ x[:m]) + float(keep @ res.x[m + len(usable) :])
    return Plan(tuple(float(v) for v in x[:m]), tuple(swaps), value)


def _bought(sold: int, pi: Fraction) -> int:
    return sold * pi.numerator // pi.denominator


def _fit_limit(o: Order, sold: int, pi: Fraction) -> int:
    """Largest ``s ≤ sold`` with ``⌊s·π⌋·S ≥ s·B`` (CoW's limit check)."""
    if sold <= 0 or pi * o.sell_amount < o.min_buy_amount:
        return 0
    if _bought(sold, pi) * o.sell_amount >= sold * o.min_buy_amount:
        return sold
    if not o.partial:  # ⌊S·π⌋ ≥ B whenever S·π ≥ B: unreachable for a full fill
        return 0  # pragma: no cover
    return sold - sold % pi.denominator


def planned_sold(prices: Mapping[str, Fraction], orders: Sequence[Order], plan: Plan) -> list[int]:
    """What each order sells under ``plan`` before settlement repairs anything: its fill
    floored (``plan.sold`` if given; a fill-or-kill order all or nothing), and cut to the
    largest amount whose floored output meets its limit at ``prices``."""
    sold = []
    for k, o in enumerate(orders):
        pi = prices[o.sell_token] / prices[o.buy_token]
        f = plan.fills[k]
        if plan.sold is not None:
            want = plan.sold[k]
        elif o.partial:  # a hair up, so 5022.9999999 of a planned 5023 is 5023
            want = math.floor(f * o.sell_amount + 1e-6)
        else:
            want = o.sell_amount if f > 0.5 else 0
        sold.append(_fit_limit(o, min(max(want, 0), o.sell_amount), pi))
    return sold


def settle(
    tokens: Sequence[str],
    prices: Mapping[str, Fraction],
    orders: Sequence[Order],
    plan: Plan,
    network: Network | None,
    repairs: int | None = None,
) -> Settlement | None:
    """Exact integer transfers for ``plan`` at ``prices`` (module docstring), or ``None``
    if rounding could not be repaired, within ``repairs`` rounds of repair if given."""
    index = {t: k for k, t in enumerate(tokens)}
    pis = [prices[o.sell_token] / prices[o.buy_token] for o in orders]
    sold = planned_sold(prices, orders, plan)
    swaps = [[q, i, j, math.floor(t)] for q, i, j, t in plan.tenders if math.floor(t) > 0]
    if network is not None:
        swaps += _sweeps(network, prices, orders, sold, swaps)
    grown = topped = 0
    done: list[Executed] = []
    rounds = 20 * (len(orders) + len(swaps)) + 100
    for _ in range(rounds if repairs is None else min(rounds, repairs + 1)):
        bought = [_bought(s, pi) for s, pi in zip(sold, pis, strict=True)]
        sold = [s if b > 0 else 0 for s, b in zip(sold, bought, strict=True)]
        bal = [0] * len(tokens)
        for o, s in zip(orders, sold, strict=True):
            bal[index[o.sell_token]] += s
        pools_after: list[Pool] = list(network.pools) if network is not None else []
        trades: list[tuple[int, tuple[int, ...], tuple[int, ...]]] = []
        if network is not None and swaps:
            held = [bal[index[t]] if t in index else 0 for t in network.tokens]
            wanted = {o.buy_token for o, s in zip(orders, sold, strict=True) if s > 0}
            drain = {g for g, t in enumerate(network.tokens) if t not in wanted}
            pools_after, done, after = execute(
                network, [(q, i, j, a) for q, i, j, a in swaps], held, drain
            )
            for g, t in enumerate(network.tokens):
                bal[index[t]] += after[g] - held[g]
            for e in done:
                tend = [0] * len(network.pool_tokens[e.q])
                recv = [0] * len(tend)
                tend[e.i], recv[e.j] = e.amount, e.out
                trades.append((e.q, tuple(tend), tuple(recv)))
        for o, b in zip(orders, bought, strict=True):
            bal[index[o.buy_token]] -= b
        short = [t for t in range(len(tokens)) if bal[t] < 0]
        if not short:
            buy_prices, bought, bal = improve(tokens, prices, orders, sold, bought, bal)
            return Settlement(
                tuple(prices[t] for t in tokens if t in prices),
                tuple(sold),
                tuple(bought),
                tuple(trades),
                tuple(pools_after),
                tuple(bal),
                tuple(buy_prices[t] for t in tokens if t in prices),
            )
        lack = short[0]
        need = -bal[lack]
        topping = [  # a swap into it whose input token has enough left over: tender more
            e
            for e in done
            if _name(network, e.q, e.j) == tokens[lack] and bal[index[_name(network, e.q, e.i)]] > 0
        ]
        if topping and topped < 4 * len(swaps) + 4:
            e = max(topping, key=lambda e: (bal[index[_name(network, e.q, e.i)]], -e.q))
            extra = min(bal[index[_name(network, e.q, e.i)]], -(-need * e.amount // e.out) + 1)
            for swap in swaps:
                if swap[:3] == [e.q, e.i, e.j]:
                    swap[3] = max(swap[3], e.amount) + extra
            topped += 1
            continue
        growing = [  # a partially filled seller of it whose buy token has room to spare
            k
            for k, o in enumerate(orders)
            if index[o.sell_token] == lack
            and o.partial
            and 0 < sold[k] < o.sell_amount
            and bal[index[o.buy_token]] >= _bought(need, pis[k])
        ]
        if growing and grown < 4 * len(orders) + 4:
            k = max(growing, key=lambda k: (orders[k].sell_amount - sold[k], -k))
            grown += 1
            sold[k] = _fit_limit(orders[k], min(sold[k] + need, orders[k].sell_amount), pis[k])
            continue
        buyers = [
            k
            for k, o in enumerate(orders)
            if index[o.buy_token] == lack and bought[k] > 0 and o.partial
        ]
        if buyers:
            k = max(buyers, key=lambda k: (bought[k], -k))
            o, pi = orders[k], pis[k]
            target = max(bought[k] - need, 0)
            new = ((target + 1) * pi.denominator - 1) // pi.numerator
            sold[k] = _fit_limit(o, min(new, sold[k]), pi)
            continue
        feeding = [s for s in swaps if s[3] > 0 and _token(network, s) == tokens[lack]]
        if feeding:  # tender less of it to the pools before dropping a fill-or-kill order
            swap = max(feeding, key=lambda s: (s[3], -s[0]))
            swap[3] = max(swap[3] - need, 0)
            continue
        fok = [k for k, o in enumerate(orders) if index[o.buy_token] == lack and bought[k] > 0]
        if not fok:  # pragma: no cover - swaps never spend more than is held
            return None
        sold[max(fok, key=lambda k: (bought[k], -k))] = 0
    # a plan whose pool trades form a cycle the orders' sales cannot finance (a routed
    # arbitrage) can take every round, each cutting a partial fill a little
    return None


def _sweeps(
    network: Network,
    prices: Mapping[str, Fraction],
    orders: Sequence[Order],
    sold: Sequence[int],
    swaps: Sequence[Sequence[int]],
) -> list[list[int]]:
    """A swap for each token the orders sell but no filled order buys and no planned swap
    takes (the LP leaves it over when it has no use for it): into an untouched pool that
    pays a token filled orders buy, the one paying the most at the clearing prices. The
    drain rule of :func:`accord.mechanisms.batch.execute.execute` then tenders all of it,
    and the buyers get the output by price improvement instead of the token staying
    behind as dust."""
    wanted = {o.buy_token for o, x in zip(orders, sold, strict=True) if x > 0}
    held: dict[str, int] = {}
    for o, x in zip(orders, sold, strict=True):
        held[o.sell_token] = held.get(o.sell_token, 0) + x
    used = {q for q, *_ in swaps}
    taken = {_token(network, s) for s in swaps}
    out: list[list[int]] = []
    for t in sorted(set(held) - wanted - taken):
        best: tuple[Fraction, list[int]] | None = None
        for q, ids in enumerate(network.pool_tokens):
            names = [network.tokens[g] for g in ids]
            if q in used or t not in names or held[t] <= 0:
                continue
            i = names.index(t)
            for j, u in enumerate(names):
                if u in wanted and u in prices:
                    worth = network.pools[q].out_given_in(i, j, held[t]) * prices[u]
                    if worth > 0 and (best is None or worth > best[0]):
                        best = (worth, [q, i, j, held[t]])
        if best is not None:
            used.add(best[1][0])
            out.append(best[1])
    return out


def _token(network: Network | None, swap: Sequence[int]) -> str:
    """The name of the token a swap tenders."""
    return _name(network, swap[0], swap[1])


def _name(network: Network | None, q: int, k: int) -> str:
    """The name of pool ``q``'s local token ``k``."""
    assert network is not None
    return network.tokens[network.pool_tokens[q][k]]


def settle_uniform(
    tokens: Sequence[str],
    orders: Sequence[Order],
    sold: Sequence[int],
    network: Network,
) -> Settlement | None:
    """Two tokens and one pool: :func:`accord.mechanisms.cfmm.uniform_clearing` on the
    orders selling ``sold``, with each order's limit as its ``min_out`` (scaled to the
    part sold). The pool takes only the imbalance, every order gets the same price, and a
    one-sided batch gets exactly the pool's ``out_given_in`` of the total."""
    pool = network.pools[0]
    names = [network.tokens[g] for g in network.pool_tokens[0]]
    u, w = tokens
    i, j = names.index(u), names.index(w)
    active = [k for k, s in enumerate(sold) if s > 0]
    if not active:
        return None
    cfmm_orders = tuple(
        CfmmOrder(
            orders[k].sell_token == u,
            sold[k],
            -(-sold[k] * orders[k].min_buy_amount // orders[k].sell_amount),
        )
        for k in active
    )
    clearing = uniform_clearing(pool, i, j, cfmm_orders)
    if clearing.price is None or clearing.price == 0:
        return None
    out_sold = [0] * len(orders)
    out_bought = [0] * len(orders)
    for k, got, ok in zip(active, clearing.outs, clearing.filled, strict=True):
        if ok:
            out_sold[k], out_bought[k] = sold[k], got
    tend = [0] * len(names)
    recv = [0] * len(names)
    tend[i], tend[j] = clearing.tendered[i], clearing.tendered[j]
    recv[i], recv[j] = clearing.received[i], clearing.received[j]
    trades = ((0, tuple(tend), tuple(recv)),) if any(tend) or any(recv) else ()
    return Settlement(
        (Fraction(1), 1 / clearing.price),
        tuple(out_sold),
        tuple(out_bought),
        trades,
        (clearing.pool,),
        (0,) * len(tokens),
        (Fraction(1), 1 / clearing.price),
    )
