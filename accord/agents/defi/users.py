"""DeFi users on the device: three ways to get a trade done across CFMM pools.

A user arrives with a :class:`TradeNeed` (sell ``amount`` of one token for as much of
another as it can get) and acts once, in the block it arrives. What differs is how:

* :class:`NaiveUser`: a fixed route (the first pool that trades the pair directly, else
  two hops through the network's hub token) with a slippage tolerance: ``min_out`` is
  the quote at the block's starting state less ``tolerance_bps``. This is the default
  wallet behaviour that sandwich bots feed on (Daian et al., "Flash Boys 2.0", IEEE S&P
  2020; Zhou et al., "High-Frequency Trading on Decentralized On-Chain Exchanges", IEEE
  S&P 2021).
* :class:`RoutedUser`: the optimal split route over every pool (Angeris et al.,
  "Optimal Routing for Constant Function Market Makers", EC 2022) from
  :func:`accord.mechanisms.routing.route_swap` on the current pool states, executing
  its exact integer trades, one swap per pool, each with the same tolerance.
* :class:`IntentUser`: states what it wants and lets the device settle it. Under the
  ``batch`` rule, where the market has a CoW settlement contract
  (:class:`accord.contracts.cow.CowSettlement`, ``Market.settlement``), it posts one
  limit order for the whole need (sell ``amount`` for at least the best route's quote
  less its tolerance, escrowed with the order); the contract settles every intent of the
  block together with :func:`accord.mechanisms.batch.clear`: coincidence of wants across
  all of them (rings included) at uniform clearing prices, the pools taking only the
  imbalance, as in CoW Protocol's batch auctions and Budish, Cramton & Shim's frequent
  batch auctions (QJE 2015). Without a settlement contract its route's swaps go to each
  pool's own batch as limit orders (netted only against the same pool's other orders).
  Under the other rules it posts a conditional commitment (``docs/commitments.md``)
  whose swaps run at the end of the block, after every transaction, and only if each
  pool still quotes at least its limit; if not, it waits for a better block until
  ``patience`` runs out. Nobody can trade after it in its block, so a sandwich's
  back-run has nowhere to go.

The :class:`Market` is the public state every DeFi agent observes: the pools (as exact
``cfmm`` curves with their addresses) and the external reference prices that value
tokens. Its :meth:`Market.best_route` memoises ``route_swap``, so the game's ideal
execution and a routed user asking the same question at the same state pay for one solve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from accord.agents.base import Action, Observation
from accord.contracts.cow import order_gas
from accord.device import Account, Transaction
from accord.device.commitments.build import all_of, call, commitment, view
from accord.device.commitments.language import Action as CommitmentAction
from accord.device.commitments.language import Commitment
from accord.mechanisms import cfmm
from accord.mechanisms.routing import Network, Route, route_swap

SWAP_GAS = 150_000
"""Gas limit of one swap transaction (a swap uses about half of it)."""

Curve = cfmm.ProductPool | cfmm.WeightedPool


@dataclass(frozen=True, slots=True)
class PoolInfo:
    """A pool contract's address and its exact curve (reserves, fee, weights, tokens)."""

    address: str
    curve: Curve

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.curve.tokens


@dataclass(frozen=True, slots=True)
class Hop:
    """One swap: sell ``amount_in`` of ``asset_in`` on ``pool`` for at least ``min_out``."""

    pool: str
    asset_in: str
    amount_in: int
    asset_out: str
    min_out: int


@dataclass(frozen=True, eq=False)
class Market:
    """The public DeFi state: pools at the block's starting state and reference prices.

    ``prices`` value one base unit of each token (the "external market" that CEX-DEX
    arbitrage trades against); ``fee_price`` values one base unit of the fee asset, so
    that gas costs and tips are comparable with trading profits. ``hub`` is the token
    every other token has a pool with (naive users route through it).
    """

    pools: tuple[PoolInfo, ...]
    prices: Mapping[str, float]
    fee_price: float
    hub: str
    settlement: str = ""
    """Address of the CoW settlement contract intents go to under ``batch`` ("" if none)."""
    _routes: dict[tuple[str, int, str], Route | list[Hop]] = field(default_factory=dict, repr=False)
    fallbacks: list[tuple[str, int, str]] = field(default_factory=list, repr=False)
    _network: list[Network] = field(default_factory=list, repr=False)
    memo: dict[tuple[object, ...], object] = field(default_factory=dict, repr=False)
    """Per-block memo shared by every agent that reads this market (e.g. sandwich sizes)."""

    def by_address(self, address: str) -> PoolInfo | None:
        for p in self.pools:
            if p.address == address:
                return p
        return None

    def direct(self, a: str, b: str) -> PoolInfo | None:
        """The first pool (in deployment order) that trades ``a`` for ``b``."""
        for p in self.pools:
            if a in p.tokens and b in p.tokens:
                return p
        return None

    def network(self) -> Network:
        if not self._network:
            self._network.append(Network.build([p.curve for p in self.pools]))
        return self._network[0]

    def best_route(self, sell: str, amount: int, buy: str) -> Route | list[Hop]:
        """The optimal route for selling ``amount`` of ``sell`` for ``buy`` (memoised).

        If the router fails (it raises on numerically hard cases), the best simple path
        of at most two hops, quoted exactly, stands in; ``fallbacks`` counts those.
        """
        key = (sell, amount, buy)
        found = self._routes.get(key)
        if found is None:
            try:
                found = route_swap(self.network(), sell, amount, buy)
            except (ValueError, ArithmeticError):
                self.fallbacks.append(key)
                found = self.best_path(sell, amount, buy)
            self._routes[key] = found
        return found

    def best_path(self, sell: str, amount: int, buy: str) -> list[Hop]:
        """The best path of one or two pools, by exact quote (``min_out`` = the quote)."""
        best: list[Hop] = []
        best_out = 0
        for first in self.pools:
            if sell not in first.tokens:
                continue
            for mid in first.tokens:
                if mid == sell:
                    continue
                c = first.curve
                out1 = c.out_given_in(c.index(sell), c.index(mid), amount)
                hop1 = Hop(first.address, sell, amount, mid, out1)
                if mid == buy:
                    if out1 > best_out:
                        best, best_out = [hop1], out1
                    continue
                for second in self.pools:
                    if second is first or mid not in second.tokens or buy not in second.tokens:
                        continue
                    d = second.curve
                    out2 = d.out_given_in(d.index(mid), d.index(buy), out1) if out1 else 0
                    if out2 > best_out:
                        best, best_out = [hop1, Hop(second.address, mid, out1, buy, out2)], out2
        return best

    def value(self, flows: Mapping[str, int]) -> float:
        """Reference value of token amounts (unknown tokens are worth nothing)."""
        return sum(self.prices.get(t, 0.0) * a for t, a in flows.items())


@dataclass(frozen=True, slots=True)
class TradeNeed:
    """A user's private trade need: sell ``amount`` of ``sell``, buy ``buy``."""

    need_id: int
    sell: str
    buy: str
    amount: int
    tolerance_bps: int


def route_flows(route: Route | list[Hop]) -> dict[str, int]:
    """The trader's integer net flow per token of a route (or of a path of hops)."""
    if isinstance(route, Route):
        return {t: a for t, a in zip(route.tokens, route.net_int, strict=True) if a}
    flows: dict[str, int] = {}
    for h in route:
        flows[h.asset_in] = flows.get(h.asset_in, 0) - h.amount_in
        flows[h.asset_out] = flows.get(h.asset_out, 0) + h.min_out
    return {t: a for t, a in flows.items() if a}


def route_hops(
    market: Market, route: Route | list[Hop], sell: str, tolerance_bps: int
) -> list[Hop]:
    """An integer route as swaps, ordered so each token is received before it is re-sold.

    Each pool's trade in a swap route tenders one token and receives another (pools of
    two tokens); hops are sorted by how far their input token is from ``sell`` in the
    route's own flow graph (breadth first), so multi-hop paths execute in sequence.
    """
    if not isinstance(route, Route):
        return [
            Hop(h.pool, h.asset_in, h.amount_in, h.asset_out, _floor_bps(h.min_out, tolerance_bps))
            for h in route
        ]
    hops: list[tuple[str, str, int, str, int]] = []
    for t in route.trades:
        ins = [(k, a) for k, a in enumerate(t.tendered_int) if a > 0]
        outs = [(k, a) for k, a in enumerate(t.received_int) if a > 0]
        if len(ins) != 1 or len(outs) != 1:
            continue  # a zero or a many-token trade: not expressible as one swap
        address = market.pools[t.pool].address
        hops.append((address, t.tokens[ins[0][0]], ins[0][1], t.tokens[outs[0][0]], outs[0][1]))
    depth = {sell: 0}
    for _ in range(len(hops) + 1):
        for _, a, _, b, _ in hops:
            if a in depth and b not in depth:
                depth[b] = depth[a] + 1
    hops.sort(key=lambda h: (depth.get(h[1], len(hops)), h[0]))
    return [Hop(p, a, x, b, _floor_bps(y, tolerance_bps)) for p, a, x, b, y in hops]


def _floor_bps(amount: int, bps: int) -> int:
    return amount * (cfmm.BPS - bps) // cfmm.BPS


def swap_tx(
    account: Account,
    nonce: int,
    hop: Hop,
    obs: Observation,
    *,
    priority_fee: int = 0,
    gas_limit: int = SWAP_GAS,
) -> Transaction:
    """A signed ``pool.swap`` paying ``hop.amount_in`` as value, output to the signer."""
    return account.sign(
        nonce,
        hop.pool,
        "swap",
        hop.asset_in,
        hop.amount_in,
        hop.min_out,
        account.address,
        hop.asset_out,
        value={hop.asset_in: hop.amount_in},
        gas_limit=gas_limit,
        max_fee=obs.max_fee(priority_fee),
        priority_fee=priority_fee,
    )


def market_of(obs: Observation) -> Market:
    market = obs.state.get("market")
    if not isinstance(market, Market):
        raise TypeError("a DeFi agent needs obs.state['market'] (a Market)")
    return market


class User:
    """A user with a trade need, acting once in the block its need arrives.

    Subclasses say how the need becomes swaps (:meth:`plan`); the base class signs them
    with consecutive nonces and a fixed ``priority_fee`` per gas.
    """

    kind: ClassVar[str] = "user"

    def __init__(self, account: Account, rng: np.random.Generator, *, priority_fee: int = 0):
        self.account = account
        self.name = account.address
        self.rng = rng
        self.priority_fee = priority_fee

    def plan(self, market: Market, need: TradeNeed) -> list[Hop]:
        raise NotImplementedError

    def act(self, obs: Observation) -> Sequence[Action]:
        need = obs.private.get("need")
        if not isinstance(need, TradeNeed):
            return []
        hops = self.plan(market_of(obs), need)
        return [
            swap_tx(self.account, obs.nonce + k, hop, obs, priority_fee=self.priority_fee)
            for k, hop in enumerate(hops)
        ]


class NaiveUser(User):
    """Fixed route, quoted at the block's starting state, ``min_out`` within tolerance."""

    kind = "naive"

    def plan(self, market: Market, need: TradeNeed) -> list[Hop]:
        direct = market.direct(need.sell, need.buy)
        path: list[tuple[PoolInfo, str, str]]
        if direct is not None:
            path = [(direct, need.sell, need.buy)]
        else:
            first = market.direct(need.sell, market.hub)
            second = market.direct(market.hub, need.buy)
            if first is None or second is None:
                return []
            path = [(first, need.sell, market.hub), (second, market.hub, need.buy)]
        hops: list[Hop] = []
        amount = need.amount
        for pool, a, b in path:
            c = pool.curve
            out = c.out_given_in(c.index(a), c.index(b), amount)
            if out <= 0:
                return []
            hops.append(Hop(pool.address, a, amount, b, _floor_bps(out, need.tolerance_bps)))
            amount = out
        return hops


class RoutedUser(User):
    """The optimal route (``route_swap``) at the block's starting state, within tolerance."""

    kind = "routed"

    def plan(self, market: Market, need: TradeNeed) -> list[Hop]:
        route = market.best_route(need.sell, need.amount, need.buy)
        return route_hops(market, route, need.sell, need.tolerance_bps)


class IntentUser(User):
    """Posts its optimal route as limit orders (``batch``) or as a conditional commitment.

    ``patience`` is how many blocks the commitment may wait for its limit prices; with
    ``fallback_bps``, if they never come, the same swaps run at expiry with that looser
    tolerance (the commitment's ``otherwise``, still after every transaction of the
    block), as :func:`accord.agents.intents.swap_if_offer` falls back to a router.
    ``partial`` makes its CoW order partially fillable (CoW Protocol's
    ``partiallyFillable``): the batch may sell part of it at the clearing price and
    return the rest, where a fill-or-kill order would be refunded whole.
    """

    kind = "intent"

    def __init__(
        self,
        account: Account,
        rng: np.random.Generator,
        *,
        priority_fee: int = 0,
        patience: int = 2,
        fallback_bps: int | None = None,
        partial: bool = True,
    ) -> None:
        super().__init__(account, rng, priority_fee=priority_fee)
        self.patience = patience
        self.fallback_bps = fallback_bps
        self.partial = partial

    def plan(self, market: Market, need: TradeNeed) -> list[Hop]:
        route = market.best_route(need.sell, need.amount, need.buy)
        return route_hops(market, route, need.sell, need.tolerance_bps)

    def plan_commitment(self, obs: Observation, need: TradeNeed, hops: list[Hop]) -> Commitment:
        """The commitment: every hop's pool still quotes its limit, then all hops run."""
        actions: list[CommitmentAction] = [
            call(
                h.pool,
                "swap",
                h.asset_in,
                h.amount_in,
                h.min_out,
                self.name,
                h.asset_out,
                value={h.asset_in: h.amount_in},
                gas=SWAP_GAS,
            )
            for h in hops
        ]
        conditions = [
            view(h.pool, "quote", h.asset_in, h.amount_in, h.asset_out) >= h.min_out for h in hops
        ]
        otherwise: list[CommitmentAction] = []
        if self.fallback_bps is not None:
            widen = (cfmm.BPS - self.fallback_bps) / (cfmm.BPS - need.tolerance_bps)
            otherwise = [
                call(
                    h.pool,
                    "swap",
                    h.asset_in,
                    h.amount_in,
                    int(h.min_out * widen),
                    self.name,
                    h.asset_out,
                    value={h.asset_in: h.amount_in},
                    gas=SWAP_GAS,
                )
                for h in hops
            ]
        return commitment(
            self.name,
            f"need-{need.need_id}",
            expiry=obs.number + self.patience,
            condition=all_of(*conditions),
            actions=actions,
            otherwise=otherwise,
        )

    def limit(self, market: Market, need: TradeNeed) -> int:
        """The order's ``min_buy``: the best route's quote at the block's starting state,
        less the fallback tolerance (else the need's own), floored."""
        quote = route_flows(market.best_route(need.sell, need.amount, need.buy)).get(need.buy, 0)
        bps = self.fallback_bps if self.fallback_bps is not None else need.tolerance_bps
        return _floor_bps(max(quote, 0), bps)

    def order_tx(self, obs: Observation, market: Market, need: TradeNeed) -> Transaction:
        """The need as one CoW order: ``settlement.order(sell, amount, buy, min_buy, me)``
        with the sold amount as value (escrowed until the batch settles)."""
        return self.account.sign(
            obs.nonce,
            market.settlement,
            "order",
            need.sell,
            need.amount,
            need.buy,
            self.limit(market, need),
            self.name,
            self.partial,
            value={need.sell: need.amount},
            gas_limit=order_gas(len(market.pools)),
            max_fee=obs.max_fee(self.priority_fee),
            priority_fee=self.priority_fee,
        )

    def act(self, obs: Observation) -> Sequence[Action]:
        need = obs.private.get("need")
        if not isinstance(need, TradeNeed):
            return []
        hops = self.plan(market_of(obs), need)
        if not hops:
            return []
        if obs.ordering == "batch":
            # the batch itself is the protection (one price, opposite orders netted); a
            # refunded order cannot wait, so limits are the fallback tolerance
            market = market_of(obs)
            if market.settlement:
                return [self.order_tx(obs, market, need)]
            if self.fallback_bps is not None:
                widen = (cfmm.BPS - self.fallback_bps) / (cfmm.BPS - need.tolerance_bps)
                hops = [
                    Hop(h.pool, h.asset_in, h.amount_in, h.asset_out, int(h.min_out * widen))
                    for h in hops
                ]
            return [
                swap_tx(self.account, obs.nonce + k, hop, obs, priority_fee=self.priority_fee)
                for k, hop in enumerate(hops)
            ]
        return [self.plan_commitment(obs, need, hops)]


USER_KINDS: dict[str, type[User]] = {
    "naive": NaiveUser,
    "routed": RoutedUser,
    "intent": IntentUser,
}
"""User classes by the name a game's parameters use for them."""
