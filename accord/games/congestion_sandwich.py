"""MEV in the ``congestion_device`` game: the users' slippage limits, the sandwicher that
reads the mempool, and the two models its runs are set against.

**Limits.** A user with tolerance ``η = eta_bps/10⁴`` who expects ``q`` base units of
``Y`` asks for at least ``⌊q·(10⁴ − eta_bps)/10⁴⌋`` (exact integers, :func:`limit`).

**The sandwicher** (:class:`PoolSandwicher`) sees the mempool as the device lets it. For
each visible swap on the game's pools it sizes, on the pool's exact integers, the most
profitable front-run that keeps the victim at its limit within its own budget of ``X``
(:func:`accord.agents.defi.sandwich.best_sandwich`: Zhou et al., IEEE S&P 2021, §IV) and
submits the bundle ``[front, victim, back]`` (Flashbots' ``eth_sendBundle``) tipping
:data:`SEARCHER_TIP` a gas, so the ``priority`` rule runs it ahead of the users' untipped swaps.
Without a fee the profit rises with the front-run, so the victim is pushed to its limit
and loses ``η`` of its quote. It fails by the device's rules, not by its choice: under
``fcfs`` the bundle arrived after its victim and ranks behind it (the victim's swap runs
alone, the bundle's front-run then misses its own limit), under ``batch`` the device
refuses a bundle holding a batch call, and under a ``private`` or ``sealed`` mempool it
sees no swap to attack.

**The η-model** (:func:`shallow_eta`): Kulkarni, Diamandis & Chitra (WINE 2023,
arXiv:2207.11835, §3) sandwich every CFMM edge but not the link; the deep pool stands
for the link (a front-run moving it by ``η`` would take ``depth`` times the shallow
pool's capital; the sandwicher's budget is a fraction of that), so only the shallow
edge is put under ``η``, which is ``cfmm_pigou``'s network.

**The sequential model** (:func:`sequential`, no fee, a continuum of small users, one
swap a block). A sandwiched victim receives ``(1 − η)·q`` and the back-run returns the
front-run's ``Y``, so the pool ends as if ``(1 − η)·q`` had been drawn: with no fee
each swap of ``a`` moves the shallow pool by ``(1 − η)·a`` of input, not ``a``. Users
keep choosing it while their expected price there, ``(1 − η_u)·(R/(R + x))²``
(``η_u = η`` for users who anticipate the sandwich, 0 for those who do not), beats the
deep pool's ``p_d``: the pool stops at ``x* = R(√((1 − η_u)/p_d) − 1)``, the users have
sent ``x*/(1 − η)`` to it (clipped at the demand) and received ``R·x*/(R + x*)`` from it
and ``p_d`` a unit from the deep pool. Kulkarni et al.'s forward function
``(1 − η)·G(x)`` charges the whole flow's price impact instead; the two agree to first
order in ``x/R``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from accord.agents.defi.sandwich import best_sandwich
from accord.device import Account, Bundle, Device, Pending, Rejected
from accord.mechanisms.cfmm import ProductPool
from accord.mechanisms.congestion import Cfmm, Game

__all__ = ["BPS", "PoolSandwicher", "Sequential", "limit", "sequential", "shallow_eta"]

BPS = 10_000
SEARCHER_TIP = 10
"""The sandwicher's priority fee a gas: the bundle ranks by its gas-weighted mean tip
(floored), about 2/3 of this with the untipped victim inside, above the users' 0."""


def limit(quote: int, eta_bps: int) -> int:
    """A user's ``min_out`` for an expected ``quote``: ``⌊quote·(10⁴ − η_bps)/10⁴⌋``."""
    if type(quote) is not int or quote < 0:
        raise ValueError(f"quote must be a non-negative int, got {quote!r}")
    if type(eta_bps) is not int or not 0 <= eta_bps < BPS:
        raise ValueError(f"eta_bps must be an int in [0, {BPS}), got {eta_bps!r}")
    return quote * (BPS - eta_bps) // BPS


def shallow_eta(game: Game, eta: float) -> Game:
    """``game`` with its first edge (the shallow pool) under sandwich loss ``eta`` and the
    others as they are (the deep pool is the model's unsandwiched link)."""
    first = game.edges[0]
    if not isinstance(first.cost, Cfmm):
        raise ValueError(f"edge 0 is a {type(first.cost).__name__}, not a Cfmm")
    edges = (replace(first, cost=first.cost.with_eta(eta)), *game.edges[1:])
    return Game(edges, game.demands, game.paths, game.commodity)


@dataclass(frozen=True)
class Sequential:
    """The sequential model's prediction: the fraction of the demand sent to the shallow
    pool and the users' total output (units of ``Y``)."""

    share: float
    out: float


def sequential(
    reserve: float,
    deep_price: float,
    demand: float,
    eta: float,
    *,
    anticipate: bool,
    sandwiched: bool,
) -> Sequential:
    """The sequential model (module docstring) for a no-fee shallow pool of ``reserve``
    a side at price 1, a deep pool paying ``deep_price``, ``demand`` of input."""
    for name, v in (("reserve", reserve), ("deep_price", deep_price), ("demand", demand)):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be finite and positive, got {v!r}")
    if not (math.isfinite(eta) and 0.0 <= eta < 1.0):
        raise ValueError(f"eta must be in [0, 1), got {eta!r}")
    eta_u = eta if anticipate else 0.0
    eta_l = eta if sandwiched else 0.0
    x = max(0.0, reserve * (math.sqrt((1.0 - eta_u) / deep_price) - 1.0))
    sent = x / (1.0 - eta_l)
    if sent > demand:
        sent, x = demand, (1.0 - eta_l) * demand
    out = reserve * x / (reserve + x) + deep_price * (demand - sent)
    return Sequential(sent / demand, out)


class PoolSandwicher:
    """Sandwiches every visible swap of ``X`` for ``Y`` on ``pools`` (module docstring)."""

    def __init__(
        self, dev: Device, account: Account, pools: Sequence[str], fee_bps: int, x: str, y: str
    ) -> None:
        self.dev, self.account, self.pools, self.fee_bps = dev, account, tuple(pools), fee_bps
        self.x, self.y = x, y
        self.attempts = 0
        self.landed = 0
        self._nonce = dev.nonce(account.address)

    def _victims(self) -> list[Pending]:
        """Others' pending swaps of ``X`` for ``Y`` on the pools that it can read."""
        me = self.account.address
        return [
            p
            for p in self.dev.pending_view(me)
            if isinstance(p, Pending) and p.tx.sender != me and self._is_swap(p)
        ]

    def _is_swap(self, p: Pending) -> bool:
        tx, args = p.tx, p.tx.args
        return (
            tx.to in self.pools
            and tx.method == "swap"
            and len(args) == 5
            and args[0] == self.x
            and args[4] == self.y
            and type(args[1]) is int
            and type(args[2]) is int
            and args[1] > 0
        )

    def attack(self) -> int:
        """Submit a bundle for each visible victim it can profit from (attempts, whether
        the device admits the bundle or refuses it); returns the attempts so far."""
        dev, me = self.dev, self.account
        self._nonce = dev.nonce(me.address)
        admitted = 0
        for victim in self._victims():
            tx = victim.tx
            amount, min_out = tx.args[1], tx.args[2]
            assert type(amount) is int and type(min_out) is int
            reserves = tuple(dev.view(tx.to, "reserves"))
            curve = ProductPool(reserves, self.fee_bps, (self.x, self.y))
            budget = dev.balance(me.address, self.x)
            sw = best_sandwich(curve, 0, 1, amount, min_out, budget)
            if sw is None:
                continue
            self.attempts += 1
            n = self._nonce + 2 * admitted
            front = dev.sign(
                me, tx.to, "swap", self.x, sw.front_in, sw.front_out, me.address, self.y,
                value={self.x: sw.front_in}, priority_fee=SEARCHER_TIP, nonce=n,
            )  # fmt: skip
            back = dev.sign(
                me, tx.to, "swap", self.y, sw.front_out, sw.front_in + 1, me.address, self.x,
                value={self.y: sw.front_out}, priority_fee=SEARCHER_TIP, nonce=n + 1,
            )  # fmt: skip
            block = dev.number + 1
            try:
                dev.submit_bundle(
                    Bundle((front, tx, back), min_block=block, max_block=block),
                    sender=me.address,
                )
            except Rejected:
                continue  # e.g. batch: a bundle cannot order a batch call
            admitted += 1
        return self.attempts

    def settle(self) -> None:
        """After a block: count the attacks that landed (each runs two transactions)."""
        self.landed += (self.dev.nonce(self.account.address) - self._nonce) // 2
