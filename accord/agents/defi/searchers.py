"""Searchers and an extracting builder: who takes value from DeFi users, and how.

**Sandwichers** attack a visible victim with the largest front-run its slippage tolerance
admits and the most profitable one below it (Zhou, Qin, Torres, Le & Gervais,
"High-Frequency Trading on Decentralized On-Chain Exchanges", IEEE S&P 2021, §IV), sized
exactly by :mod:`accord.agents.defi.sandwich`; the victims are read from the mempool by
:mod:`accord.agents.defi.mempool`.

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
``p`` each pool's optimal trade is in closed form (:mod:`accord.agents.defi.arbitrage`:
the dual's per-pool subproblem in Angeris et al., "Optimal Routing for CFMMs", 2022, and
:mod:`accord.mechanisms.routing.closed_forms`). An :class:`Arbitrageur` trades pools
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
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from accord.agents.base import Action, Observation
from accord.agents.defi.arbitrage import PoolArbitrage, pool_arbitrage
from accord.agents.defi.mempool import SwapCall, decode_swap, expected_order, simulate, targets
from accord.agents.defi.sandwich import (
    Sandwich,
    best_sandwich,
    largest_front_run,
    sandwich_at,
    shared_best_sandwich,
)
from accord.agents.defi.users import Curve, Hop, Market, market_of, swap_tx
from accord.device import Account, BuildRequest, Bundle, PendingBundle
from accord.device.builder import Choice

SWAP_GAS_USED = 60_000
"""A swap's gas use, roughly, for valuing gas costs before the fact."""

__all__ = [
    "SWAP_GAS_USED",
    "Arbitrageur",
    "ExtractingBuilder",
    "PoolArbitrage",
    "Sandwich",
    "Sandwicher",
    "Searcher",
    "SwapCall",
    "best_sandwich",
    "decode_swap",
    "expected_order",
    "largest_front_run",
    "pool_arbitrage",
    "sandwich_actions",
    "sandwich_at",
    "shared_best_sandwich",
    "simulate",
    "targets",
]


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
