"""Executing a batch's pool trades in integers for :mod:`accord.mechanisms.batch`.

Three steps turn the fill LP's pool plan (:mod:`accord.mechanisms.batch.settlement`) into
transfers that a settlement contract can run exactly as planned.

**Netting** (:func:`net_swaps`). The LP combines sampled trades of a pool, and may combine
trades in both directions of one pool. Executed as two swaps they are not one trade the
pool accepts (the second swap is checked against reserves that already hold the first's
whole input, fee included, so ``accepts`` on their sum fails), and they waste the fee
twice. A pool's set of acceptable trades ``{(Δ, Λ) : φ(R + γΔ − Λ) ≥ φ(R)}`` is convex
and, since ``φ`` is non-decreasing, closed under netting: taking ``m`` off both the
tendered and the received amount of one token raises ``R + γΔ − Λ`` by ``(1 − γ)·m ≥ 0``
(Angeris, Chitra, Evans & Boyd, "Optimal Routing for Constant Function Market Makers",
EC 2022, §2: an optimal trade never tenders and receives the same token). So each pool
trades only its net flow, one swap per pool pair, and pays at least what the LP planned.

**A self-financing order** (:func:`execute`). The settlement holds only what the orders
sold before the pools trade, so a swap may only spend tokens already delivered: the
orders' sold amounts, then earlier swaps' outputs. Swaps run in topological order of the
token flow (Kahn, "Topological sorting of large networks", CACM 1962): a swap out of a
token waits until every swap into it has run. A cycle of pool trades (an arbitrage among
mis-priced pools) runs in slices, each spending only what the cycle has delivered so
far; what cannot be financed within a bounded number of slices is not traded. A token
that no filled order buys is pushed on whole by its last swap out (a route's
intermediate token, and what the orders sold beyond the LP's tender), so it does not
stay behind as dust.

**Price improvement** (:func:`improve`). What is left of a bought token after paying
every buyer at the clearing prices goes back to its buyers by lowering that token's
*buy* price ``p'_t ≤ p_t`` for all of them alike: every buyer of ``t`` receives
``⌊sold·p_s / p'_t⌋``. This keeps CoW Protocol's uniform directional clearing prices
(docs.cow.fi, "Solver competition rules": all orders trading the same tokens in the same
direction receive the same price) and its objective, surplus to users. With
``A_t`` the buyers' share plus the leftover and ``a_o = sold_o·p_s(o)``, the price
``p'_t = Σ a_o / A_t`` pays out ``Σ ⌊a_o / p'_t⌋ ≤ A_t`` exactly, and leaves less than
one base unit per buyer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from accord.mechanisms.batch.types import Order
from accord.mechanisms.cfmm import Pool
from accord.mechanisms.routing.network import Network

__all__ = ["Executed", "Swap", "execute", "improve", "net_swaps"]

Swap = tuple[int, int, int, float]
"""A planned swap ``(pool, i, j, amount of local token i)``."""

_SLICES = 8
"""Slices per swap that a cycle of pool trades may take to finance itself."""


@dataclass(frozen=True, slots=True)
class Executed:
    """One executed swap: pool ``q`` took ``amount`` of local token ``i`` and paid ``out``
    of local token ``j`` (its exact ``out_given_in`` at its state then)."""

    q: int
    i: int
    j: int
    amount: int
    out: int


def net_swaps(network: Network, flows: Mapping[int, Sequence[float]]) -> list[Swap]:
    """Each pool's net flow as swaps (module docstring, netting).

    ``flows[q][k]`` is what pool ``q`` takes in (> 0) or pays out (< 0) of its local
    token ``k``. A two-token pool gets at most one swap, from the token it takes to the
    token it pays. A pool of more tokens splits each token it takes over the tokens it
    pays, in proportion to their share of the pool's reserves.
    """
    swaps: list[Swap] = []
    for q in sorted(flows):
        flow = flows[q]
        reserves = network.pools[q].reserves
        ins = [(k, f) for k, f in enumerate(flow) if f > 0]
        outs = [(k, -f / reserves[k]) for k, f in enumerate(flow) if f < 0]
        weight = sum(w for _, w in outs)
        if not ins or weight <= 0:
            continue
        for i, amount in ins:
            for j, w in outs:
                swaps.append((q, i, j, amount if len(outs) == 1 else amount * w / weight))
    return swaps


def execute(
    network: Network,
    swaps: Sequence[tuple[int, int, int, int]],
    balance: Sequence[int],
    drain: set[int],
) -> tuple[list[Pool], list[Executed], list[int]]:
    """Run integer ``swaps`` in a self-financing order (module docstring).

    ``balance`` is what the settlement holds per global token before the pools trade
    (the orders' sold amounts); ``drain`` the global tokens no filled order buys, which
    their last swap out tenders in full. Returns the pools after, the executed swaps in
    order, and the balance after them. Every swap spends at most what is held then.
    """
    pools = list(network.pools)
    bal = list(balance)
    token = network.pool_tokens
    pending = [list(s) for s in sorted(swaps) if s[3] > 0]
    done: list[Executed] = []

    def run(q: int, i: int, j: int, amount: int) -> None:
        t = token[q][i]
        amount = min(amount, bal[t])
        if amount <= 0:
            return
        out, after = pools[q].swap(i, j, amount)
        if out <= 0:
            return  # a tender that buys nothing is not made
        pools[q] = after
        bal[t] -= amount
        bal[token[q][j]] += out
        done.append(Executed(q, i, j, amount, out))

    budget = _SLICES * len(pending) + 8
    while pending and budget > 0:
        budget -= 1
        feeding = {token[q][j] for q, _, j, _ in pending}
        ready = [s for s in pending if token[s[0]][s[1]] not in feeding]
        if ready:
            q, i, j, want = ready[0]
            pending.remove(ready[0])
            t = token[q][i]
            if t in drain and not any(token[p[0]][p[1]] == t for p in pending):
                want = bal[t]  # the last swap out of a token nobody buys takes all of it
            run(q, i, j, want)
            continue
        # a cycle: the token best covered by what is held sends a slice down every swap
        # out of it, in proportion to what each still wants
        wants: dict[int, int] = {}
        for q, i, _, want in pending:
            wants[token[q][i]] = wants.get(token[q][i], 0) + want
        t = max(wants, key=lambda t: (min(Fraction(bal[t], wants[t]), Fraction(1)), -t))
        if bal[t] <= 0:
            break
        share = min(Fraction(bal[t], wants[t]), Fraction(1))
        for swap in [s for s in pending if token[s[0]][s[1]] == t]:
            q, i, j, want = swap
            amount = want if share == 1 else int(want * share)
            swap[3] -= amount
            if swap[3] <= 0:
                pending.remove(swap)
            run(q, i, j, amount)
    for q, i, j, want in pending:  # what the slices did not finance: as far as it is held
        run(q, i, j, want)
    return pools, done, bal


def improve(
    tokens: Sequence[str],
    prices: Mapping[str, Fraction],
    orders: Sequence[Order],
    sold: Sequence[int],
    bought: Sequence[int],
    balance: Sequence[int],
) -> tuple[dict[str, Fraction], list[int], list[int]]:
    """Return each bought token's leftover to its buyers (module docstring).

    ``balance`` is what is left per token after paying ``bought``. Returns the buy
    prices (``prices[t]`` where nothing changes), the new ``bought`` (never less, for
    every order) and the new leftover (less than one base unit per buyer of a token
    whose price improved).
    """
    index = {t: k for k, t in enumerate(tokens)}
    buy_prices = dict(prices)
    new_bought = list(bought)
    left = list(balance)
    for t in sorted({o.buy_token for o, s in zip(orders, sold, strict=True) if s > 0}):
        buyers = [k for k, o in enumerate(orders) if sold[k] > 0 and o.buy_token == t]
        value = {k: sold[k] * prices[orders[k].sell_token] for k in buyers}
        total = sum(value.values(), Fraction(0))
        paid = sum(new_bought[k] for k in buyers)
        available = paid + left[index[t]]
        if total <= 0 or available * prices[t] <= total:
            continue  # the leftover cannot raise every buyer's rate
        better = {k: v * available // total for k, v in value.items()}
        if sum(better.values()) <= paid:
            continue  # rounding would eat it all: keep the clearing price
        buy_prices[t] = total / available
        for k, b in better.items():
            new_bought[k] = int(b)
        left[index[t]] = available - sum(new_bought[k] for k in buyers)
    return buy_prices, new_bought, left
