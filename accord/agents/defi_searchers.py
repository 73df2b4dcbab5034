"""Searchers and an extracting builder: who takes value from DeFi users, and how.

**Sandwich within the victim's slippage tolerance** (Zhou, Qin, Torres, Le & Gervais,
"High-Frequency Trading on Decentralized On-Chain Exchanges", IEEE S&P 2021, §IV). A
victim sells ``a`` of token i on a pool for at least ``m`` of j. The attacker sells
``f`` of i first, which moves the price against the victim, lets the victim trade, then
sells back what it bought. The victim's output falls as ``f`` grows, so the largest
front-run the victim's ``min_out`` admits is

    f_max = max { f ≤ budget : out(a | pool after f) ≥ m },

found by bisection on the exact integer curve (:mod:`accord.mechanisms.cfmm`, Uniswap v2's
rounding bit for bit), and the attacker's profit ``back_out(f) − f`` is maximised over
``[0, f_max]`` by an integer ternary search (it is unimodal for constant-product and
weighted curves). :func:`best_sandwich` returns the exact amounts.

How the attacker gets its position depends on the device (``docs/device.md``): a
Flashbots bundle ``[front, victim, back]`` (``eth_sendBundle``, the all-or-nothing
"MEV-geth" interface; Daian et al., "Flash Boys 2.0", IEEE S&P 2020) that ranks by its
gas-weighted tip, or, without bundles, two transactions whose priority fees bracket the
victim's. The attacker bids ``bid_share`` of its expected profit as tips: competition
between searchers hands most of the MEV to the builder, as measured on Ethereum by
Flashbots' MEV-Explore. Neither works when the victim's contents cannot be read (a
``private`` mempool for searchers, ``sealed`` for everyone) and position is worth
nothing under the ``batch`` rule, where all swaps on a pool in a block clear at one
price (Budish, Cramton & Shim, QJE 2015); a ``rule_blind`` searcher attacks anyway,
which is how the tests show that it gains nothing.

**Arbitrage** against the external market (CEX-DEX arbitrage): at reference prices
``p`` each pool's optimal trade is in closed form (the dual's per-pool subproblem in
Angeris et al., "Optimal Routing for CFMMs", 2022, and
:mod:`accord.mechanisms.routing_closed_forms`). An :class:`Arbitrageur` trades pools
back to the market at the block's starting state; a back-runner (``backrun=True``) first
replays the visible pending swaps on its copy of the pools and arbitrages what they will
leave, landing after them by bidding no tip. With nothing visible (a ``private`` or
``sealed`` mempool) a back-runner *is* an arbitrageur: same information, same order.

Under the ``batch`` rule there is no "first": every arbitrageur's order on a pool clears
at the same uniform price, together with the users'. If each of ``n`` arbitrageurs sent
the single-trader optimum ``x*``, the batch would trade ``n·x*`` and, for ``n = 2`` on a
locally quadratic profit ``a·x − b·x²`` (optimum ``x* = a/2b``), exactly the amount that
leaves no profit at all: every arbitrage order misses its floor and is refunded, the pools
stay mispriced, and users who trade alongside are crowded out. A batch-aware arbitrageur
(``competitors = n > 1``) therefore reduces its demand to the symmetric Cournot quantity
``2·x*/(n + 1)`` (each trader of ``n`` maximises ``x·(a − b·Σx)``), the standard
demand reduction of uniform-price multi-unit auctions (Ausubel, Cramton, Pycia, Rostek &
Weretka, "Demand Reduction and Inefficiency in Multi-Unit Auctions", REStud 2014).

**Builders**: :class:`ExtractingBuilder` sees the mempool as the device lets the builder
see it, inserts its own sandwiches when ``builder_may_insert`` is on (paying the tips to
itself), and drops searchers' bundles that would race its own for the same victim.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from accord.agents.base import Action, Observation
from accord.agents.defi import Curve, Hop, Market, market_of, swap_tx
from accord.device import Account, BuildRequest, Bundle, Pending, PendingBundle
from accord.device.builder import Choice
from accord.mechanisms import cfmm
from accord.mechanisms.routing_closed_forms import product_arbitrage, weighted_arbitrage

SWAP_GAS_USED = 60_000
"""A swap's gas use, roughly, for valuing gas costs before the fact."""


# -- the math ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Sandwich:
    """A sandwich's exact amounts: sell ``front_in`` of i for ``front_out`` of j, the
    victim gets ``victim_out``, sell ``front_out`` of j back for ``back_out`` of i.
    ``profit = back_out − front_in`` (in token i)."""

    front_in: int
    front_out: int
    victim_out: int
    back_out: int

    @property
    def profit(self) -> int:
        return self.back_out - self.front_in


def _after_front(curve: Curve, i: int, j: int, f: int) -> tuple[int, Curve]:
    if f == 0:
        return 0, curve
    return curve.swap(i, j, f)


def largest_front_run(
    curve: Curve, i: int, j: int, victim_in: int, victim_min_out: int, budget: int
) -> int:
    """The largest ``f ≤ budget`` after which the victim still gets ``victim_min_out``.

    ``-1`` if the victim's trade fails even alone. Bisection on the exact integer
    output, which is non-increasing in ``f``.
    """

    if isinstance(curve, cfmm.ProductPool):  # the same integers, without pool objects
        x, y, fee = curve.reserves[i], curve.reserves[j], curve.fee_bps

        def ok(f: int) -> bool:
            fo = cfmm.amount_out(f, x, y, fee)
            return cfmm.amount_out(victim_in, x + f, y - fo, fee) >= victim_min_out

    else:

        def ok(f: int) -> bool:
            _, pool = _after_front(curve, i, j, f)
            return pool.out_given_in(i, j, victim_in) >= victim_min_out

    if not ok(0):
        return -1
    if ok(budget):
        return budget
    lo, hi = 0, budget  # ok(lo), not ok(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def sandwich_at(curve: Curve, i: int, j: int, victim_in: int, f: int) -> Sandwich:
    """The exact outcome of front-running ``victim_in`` with ``f``."""
    if isinstance(curve, cfmm.ProductPool):  # Uniswap v2's integers on plain reserves
        x, y, fee = curve.reserves[i], curve.reserves[j], curve.fee_bps
        fo = cfmm.amount_out(f, x, y, fee)
        vo = cfmm.amount_out(victim_in, x + f, y - fo, fee)
        bo = cfmm.amount_out(fo, y - fo - vo, x + f + victim_in, fee) if fo else 0
        return Sandwich(f, fo, vo, bo)
    fo, pool = _after_front(curve, i, j, f)
    vo, pool = pool.swap(i, j, victim_in)
    bo = pool.out_given_in(j, i, fo) if fo else 0
    return Sandwich(f, fo, vo, bo)


def best_sandwich(
    curve: Curve, i: int, j: int, victim_in: int, victim_min_out: int, budget: int
) -> Sandwich | None:
    """The most profitable sandwich that keeps the victim at its ``min_out`` (or None)."""
    f_max = largest_front_run(curve, i, j, victim_in, victim_min_out, budget)
    return _best_below(curve, i, j, victim_in, f_max)


def _best_below(curve: Curve, i: int, j: int, victim_in: int, f_max: int) -> Sandwich | None:
    """The most profitable front-run in ``[0, f_max]`` (ternary search), or None."""
    if f_max <= 0:
        return None
    lo, hi = 0, f_max
    while hi - lo > 2:  # ternary search on a unimodal integer function
        m1 = lo + (hi - lo) // 3
        m2 = hi - (hi - lo) // 3
        if (
            sandwich_at(curve, i, j, victim_in, m1).profit
            < sandwich_at(curve, i, j, victim_in, m2).profit
        ):
            lo = m1 + 1
        else:
            hi = m2 - 1
    best = max(
        (sandwich_at(curve, i, j, victim_in, f) for f in {lo, hi, (lo + hi) // 2, f_max}),
        key=lambda s: (s.profit, -s.front_in),
    )
    return best if best.profit > 0 else None


def shared_best_sandwich(market: Market, s: SwapCall, budget: int) -> Sandwich | None:
    """:func:`best_sandwich` of a visible victim, memoised on the block's ``market``.

    Every sandwicher sizes the same victims on the same pools; the largest front-run is
    computed once without the budget (capped at four times the pool's input reserve) and
    clipped to each attacker's budget, which gives exactly :func:`best_sandwich`'s
    answer because the victim's output is monotone in the front-run.
    """
    cap = 4 * s.curve.reserves[s.i]
    key = ("sandwich", s.pool, s.i, s.j, s.amount_in, s.min_out)
    f_unc = market.memo.get(key)
    if f_unc is None:
        f_unc = largest_front_run(s.curve, s.i, s.j, s.amount_in, s.min_out, cap)
        market.memo[key] = f_unc
    assert isinstance(f_unc, int)
    if f_unc >= cap and budget > cap:  # beyond the cap: no sharing
        return best_sandwich(s.curve, s.i, s.j, s.amount_in, s.min_out, budget)
    f_max = min(f_unc, budget)
    key2 = (*key, f_max)
    if key2 not in market.memo:
        market.memo[key2] = _best_below(s.curve, s.i, s.j, s.amount_in, f_max)
    found = market.memo[key2]
    assert found is None or isinstance(found, Sandwich)
    return found


@dataclass(frozen=True, slots=True)
class PoolArbitrage:
    """The best trade of one pool against reference prices: ``value`` at those prices."""

    hop: Hop
    amount_out: int
    value: float


def pool_arbitrage(
    address: str, curve: Curve, prices: Mapping[str, float] | Market
) -> PoolArbitrage | None:
    """Optimal single-pool arbitrage at reference prices, executed exactly in integers.

    The float trade is the closed form of :mod:`accord.mechanisms.routing_closed_forms`
    (the no-arbitrage band of a product pool, the breakpoint solve of a weighted one);
    the tender is floored and the output is the pool's exact ``out_given_in``.
    """
    book = prices.prices if isinstance(prices, Market) else prices
    p = np.array([[book[t] for t in curve.tokens]])
    reserves = np.array([curve.reserves], dtype=float)
    gamma = np.array([curve.gamma])
    if isinstance(curve, cfmm.WeightedPool):
        w = np.array([curve.normalized_weights])
        _, net = weighted_arbitrage(reserves, w, gamma, p)
    else:
        _, net = product_arbitrage(reserves, gamma, p)
    row = net[0]
    if not (row < 0).any():
        return None
    i = int(np.argmin(row))
    j = 1 - i
    amount = int(-row[i])
    if amount <= 0:
        return None
    out = curve.out_given_in(i, j, amount)
    value = p[0, j] * out - p[0, i] * amount
    if value <= 0:
        return None
    hop = Hop(address, curve.tokens[i], amount, curve.tokens[j], out)
    return PoolArbitrage(hop, out, float(value))


# -- reading the mempool ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SwapCall:
    """A pending swap transaction, decoded against the market's pools."""

    pending: Pending
    pool: str
    curve: Curve
    i: int
    j: int
    amount_in: int
    min_out: int


def decode_swap(pending: Pending, market: Market) -> SwapCall | None:
    """The swap a pending transaction makes on one of the market's pools, if it is one."""
    tx = pending.tx
    if tx.method != "swap":
        return None
    info = market.by_address(tx.to)
    if info is None or not 4 <= len(tx.args) <= 5:
        return None
    asset_in, amount_in, min_out = tx.args[0], tx.args[1], tx.args[2]
    asset_out = tx.args[4] if len(tx.args) == 5 else ""
    tokens = info.tokens
    if asset_in not in tokens or type(amount_in) is not int or type(min_out) is not int:
        return None
    i = tokens.index(asset_in)
    j = tokens.index(asset_out) if asset_out in tokens else 1 - i
    if len(tokens) != 2 or i == j or amount_in <= 0:
        return None
    return SwapCall(pending, tx.to, info.curve, i, j, amount_in, min_out)


def expected_order(pending: Sequence[Pending], ordering: str, base_fee: int) -> list[Pending]:
    """Pending transactions in the order the rule is expected to run them."""
    if ordering == "priority":
        return sorted(pending, key=lambda p: (-p.tip("eip1559", base_fee), p.arrival, p.seq))
    return sorted(pending, key=lambda p: (p.arrival, p.seq))


def simulate(
    market: Market, swaps: Sequence[SwapCall], ordering: str, base_fee: int
) -> dict[str, Curve]:
    """The pools after the given pending swaps run (those whose ``min_out`` holds)."""
    curves: dict[str, Curve] = {p.address: p.curve for p in market.pools}
    by_hash = {s.pending.hash: s for s in swaps}
    for p in expected_order([s.pending for s in swaps], ordering, base_fee):
        s = by_hash[p.hash]
        curve = curves[s.pool]
        out = curve.out_given_in(s.i, s.j, s.amount_in)
        if out >= s.min_out and out > 0:
            curves[s.pool] = curve.after(s.i, s.j, s.amount_in, out)
    return curves


def targets(obs: Observation, market: Market, me: str) -> list[SwapCall]:
    """Others' visible swaps that could run next: each sender's lowest pending nonce."""
    lowest: dict[str, Pending] = {}
    for p in obs.visible():
        sender = p.tx.sender
        if sender == me:
            continue
        if sender not in lowest or p.tx.nonce < lowest[sender].tx.nonce:
            lowest[sender] = p
    return [s for p in lowest.values() if (s := decode_swap(p, market)) is not None]


# -- searchers -------------------------------------------------------------------------
class Searcher:
    """Shared plumbing: an account, a seeded generator and a bid share."""

    kind: str = "searcher"

    def __init__(
        self,
        account: Account,
        rng: np.random.Generator,
        *,
        bid_share: float = 0.5,
        bundles: bool = True,
        rule_blind: bool = False,
    ) -> None:
        self.account = account
        self.name = account.address
        self.rng = rng
        self.bid_share = bid_share
        self.bundles = bundles
        self.rule_blind = rule_blind

    def act(self, obs: Observation) -> Sequence[Action]:
        raise NotImplementedError

    def _tip(self, value: float, market: Market, gas: int, ordering: str) -> int:
        """Tip per gas that pays ``bid_share`` of ``value`` (with a little seeded noise).

        Only the ``priority`` rule sells position for tips; under the others a tip buys
        nothing, so a searcher bids none.
        """
        if ordering != "priority":
            return 0
        share = self.bid_share * float(self.rng.uniform(0.9, 1.1))
        return max(0, int(share * value / market.fee_price / gas))


class Sandwicher(Searcher):
    """Sandwiches the most profitable visible victim, within its slippage tolerance."""

    kind = "sandwich"

    def act(self, obs: Observation) -> Sequence[Action]:
        if obs.ordering == "batch" and not self.rule_blind:
            return []  # a batch clears at one price: position is worth nothing
        market = market_of(obs)
        gas_value = 2 * SWAP_GAS_USED * obs.base_fee * market.fee_price
        best: tuple[float, SwapCall, Sandwich] | None = None
        for s in targets(obs, market, self.name):
            asset = s.curve.tokens[s.i]
            budget = obs.balances.get(asset, 0)
            sw = shared_best_sandwich(market, s, budget)
            if sw is None:
                continue
            value = sw.profit * market.prices[asset] - gas_value
            if value > 0 and (best is None or value > best[0]):
                best = (value, s, sw)
        if best is None:
            return []
        value, s, sw = best
        return sandwich_actions(
            self.account,
            obs,
            s,
            sw,
            self._tip(value, market, 2 * SWAP_GAS_USED, obs.ordering),
            self.bundles,
        )


def sandwich_actions(
    account: Account,
    obs: Observation,
    s: SwapCall,
    sw: Sandwich,
    tip: int,
    bundles: bool,
    nonce: int | None = None,
) -> list[Action]:
    """``[Bundle(front, victim, back)]``, or two transactions bracketing the victim.

    The back-run's ``min_out`` is the front-run's input, so the attack never loses
    tokens: if anything moved the pool first, a bundle fails whole and costs nothing.
    """
    a, b = s.curve.tokens[s.i], s.curve.tokens[s.j]
    n = obs.nonce if nonce is None else nonce
    front = Hop(s.pool, a, sw.front_in, b, sw.front_out)
    back = Hop(s.pool, b, sw.front_out, a, sw.front_in + 1)
    if bundles and obs.ordering != "batch":
        txs = (
            swap_tx(account, n, front, obs, priority_fee=tip),
            s.pending.tx,
            swap_tx(account, n + 1, back, obs, priority_fee=tip),
        )
        return [Bundle(txs, min_block=obs.number, max_block=obs.number)]
    victim_tip = s.pending.tip(obs.fee_market, obs.base_fee)
    return [
        swap_tx(account, n, front, obs, priority_fee=victim_tip + 1 + tip),
        swap_tx(account, n + 1, back, obs, priority_fee=0),
    ]


class Arbitrageur(Searcher):
    """Trades pools back to the reference prices; ``backrun`` arbitrages what the
    visible pending swaps will leave instead of the block's starting state."""

    kind = "arbitrage"

    def __init__(
        self,
        account: Account,
        rng: np.random.Generator,
        *,
        backrun: bool = False,
        bid_share: float = 0.5,
        max_trades: int = 2,
        competitors: int = 1,
    ) -> None:
        super().__init__(account, rng, bid_share=bid_share, bundles=False)
        self.backrun = backrun
        self.max_trades = max_trades
        self.competitors = max(1, competitors)
        """Arbitrageurs (this one included) expected to trade the same pools; under the
        ``batch`` rule each sizes its order to the Cournot share (module docstring)."""
        if backrun:
            self.kind = "backrun"

    def act(self, obs: Observation) -> Sequence[Action]:
        market = market_of(obs)
        if self.backrun:
            curves = simulate(market, targets(obs, market, self.name), obs.ordering, obs.base_fee)
        else:
            curves = {p.address: p.curve for p in market.pools}
        gas_value = SWAP_GAS_USED * obs.base_fee * market.fee_price
        found: list[PoolArbitrage] = []
        n = self.competitors if obs.ordering == "batch" else 1
        for address, curve in curves.items():
            arb = pool_arbitrage(address, curve, market)
            if arb is not None and n > 1:
                arb = _cournot_share(arb, curve, market, n)
            if arb is None or arb.value <= 2 * gas_value:
                continue
            if obs.balances.get(arb.hop.asset_in, 0) < arb.hop.amount_in:
                continue
            found.append(arb)
        found.sort(key=lambda a: (-a.value, a.hop.pool))
        actions: list[Action] = []
        for k, arb in enumerate(found[: self.max_trades]):
            h = arb.hop
            # never trade below the reference value of what is given up, gas included
            floor = (h.amount_in * market.prices[h.asset_in] + gas_value) / market.prices[
                h.asset_out
            ]
            hop = Hop(h.pool, h.asset_in, h.amount_in, h.asset_out, math.ceil(floor))
            tip = (
                0
                if self.backrun
                else self._tip(arb.value - gas_value, market, SWAP_GAS_USED, obs.ordering)
            )
            actions.append(swap_tx(self.account, obs.nonce + k, hop, obs, priority_fee=tip))
        return actions


def _cournot_share(
    arb: PoolArbitrage, curve: Curve, market: Market, n: int
) -> PoolArbitrage | None:
    """The symmetric Cournot order ``2·x*/(n + 1)`` of ``n`` arbitrageurs in one batch,
    valued as if it traded alone (its fill at the batch's uniform price is worse)."""
    h = arb.hop
    amount = 2 * h.amount_in // (n + 1)
    i, j = curve.index(h.asset_in), curve.index(h.asset_out)
    out = curve.out_given_in(i, j, amount) if amount > 0 else 0
    value = market.prices[h.asset_out] * out - market.prices[h.asset_in] * amount
    if out <= 0 or value <= 0:
        return None
    return PoolArbitrage(Hop(h.pool, h.asset_in, amount, h.asset_out, out), out, value)


# -- builders --------------------------------------------------------------------------
class ExtractingBuilder:
    """A builder that sandwiches the victims it can see, with its own transactions.

    ``market`` returns the pools at the block's starting state, ``nonce`` the builder
    account's next nonce and ``balance(asset)`` its inventory. Without ``may_insert``
    (the device's ``builder_may_insert``) it builds like an honest builder. Its own
    bundles carry ``self_tip`` per gas, a tip it pays to itself, so that an enforced
    priority rule puts them first.
    """

    follows_rule: ClassVar[bool] = False

    def __init__(
        self,
        account: Account,
        market: Callable[[], Market],
        nonce: Callable[[], int],
        balance: Callable[[str], int],
        *,
        may_insert: bool,
        max_sandwiches: int = 1,
        self_tip: int = 10**6,
    ) -> None:
        self.account = account
        self.address = account.address
        self.market = market
        self.nonce = nonce
        self.balance = balance
        self.may_insert = may_insert
        self.max_sandwiches = max_sandwiches
        self.self_tip = self_tip
        self.inserted: list[Bundle] = []
        """Every bundle this builder inserted, in order."""

    def build(self, request: BuildRequest) -> list[Choice]:
        txs = [p for p in request.pending]
        bundles = list(request.bundles)
        if not self.may_insert or request.ordering == "batch":
            honest: list[Choice] = [p.hash for p in txs]
            honest.extend(b.hash for b in bundles)
            return honest
        market = self.market()
        obs = Observation(
            agent=self.address,
            number=request.number,
            time_ms=request.timestamp,
            base_fee=request.base_fee,
            ordering=request.ordering,
            visibility=request.visibility,
            fee_market="eip1559",
            nonce=self.nonce(),
            mempool=tuple(txs),
        )
        found: list[tuple[int, SwapCall, Sandwich]] = []
        for s in targets(obs, market, self.address):
            budget = self.balance(s.curve.tokens[s.i])
            sw = best_sandwich(s.curve, s.i, s.j, s.amount_in, s.min_out, budget)
            if sw is not None:
                value = sw.profit * market.prices[s.curve.tokens[s.i]]
                found.append((int(value), s, sw))
        found.sort(key=lambda f: (-f[0], f[1].pending.hash))
        chosen: list[Choice] = []
        victims: set[bytes] = set()
        taken: set[str] = set()
        n = obs.nonce
        for _, s, sw in found:
            if len(victims) >= self.max_sandwiches or s.pool in taken:
                continue
            tip = self.self_tip * (self.max_sandwiches - len(victims))
            (bundle,) = sandwich_actions(self.account, obs, s, sw, tip, True, nonce=n)
            assert isinstance(bundle, Bundle)
            chosen.append(bundle)
            self.inserted.append(bundle)
            victims.add(s.pending.hash)
            taken.add(s.pool)
            n += 2
        chosen.extend(p.hash for p in txs)
        for b in bundles:  # drop searchers' bundles racing for the same victims
            if isinstance(b, PendingBundle) and victims & {t.hash for t in b.bundle.txs}:
                continue
            chosen.append(b.hash)
        return chosen
