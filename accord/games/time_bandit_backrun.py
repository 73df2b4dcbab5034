"""The time-bandit game's backrun MEV (``mev_kind = "backrun"``): MEV the ordering decides.

Each round a trader buys ``TOK`` with ``victim`` USD in a fresh Uniswap v2 pool
(:class:`~accord.contracts.amm.ProductAMM`, ``fee_bps``) holding ``pool_reserve`` of each
side, so the reference price is ``p0 = 1`` USD per TOK and any holding is worth its USD
plus its TOK (:func:`worth`, exact ints). The trade leaves the pool off that price; the
**backrun** sells ``a*`` TOK back for at least ``out*`` USD, where ``a*`` maximises
``out(a) − a`` over the integers with the pool's own arithmetic
(:func:`accord.games.latency_race.best_backrun`). It is worth ``out* − a*``: the MEV.

* **The honest block.** Where the mempool is ``public`` the honest searchers see the
  trade pending and each sends that backrun into the trade's block; under ``fcfs`` and
  ``priority`` (equal tips: arrival decides) the first after the trade captures it and
  the rest revert; under ``batch`` the trade and the backruns are batch calls on one
  pool, cleared at one uniform price (:meth:`~accord.contracts.amm.AMM.settle_batch`),
  which misses every backrun's ``min_out``: all are refunded (as in the latency race,
  ``docs/latency.md``). Where the mempool is ``private`` or ``sealed`` no searcher sees
  the trade before its block, and none backruns it.
* **The fork.** A block's contents are public once it is sealed, whatever the mempool
  was, so the bandit knows the trade when it forks. Its fork holds the reorged block's
  post, the sponsor's double spend and the trade, and its own backrun: in the same fork
  block as the trade (``placement = "same_block"``) or alone in the next one
  (``"next_block"``). The device orders each fork block by its rule (``ordering_enforced``)
  and settles batch calls together, as for any builder; the honest searchers' reorged
  backruns return to the mempool and the bandit leaves them out.

What the fork takes, ``V``, is not computed by hand: :func:`fork_value` plays that fork
on a probe device of the run's design and reads the bandit's holdings before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from accord.contracts.amm import ProductAMM
from accord.device import Account, AssetSpec, Device, DeviceConfig, Genesis, Transaction
from accord.games.latency_race import best_backrun
from accord.mechanisms.cfmm import Order, ProductPool, uniform_clearing
from accord.mechanisms.cfmm.v2 import amount_out

__all__ = [
    "LP",
    "TOKEN",
    "TRADER",
    "Backrun",
    "BackrunSetup",
    "allocations",
    "bandit_plan",
    "batch_order",
    "fork_blocks",
    "fork_value",
    "open_pool",
    "plan",
    "searcher_names",
    "worth",
]

USD = "USD"
TOKEN = "TOK"
LP, TRADER, BANDIT = "lp", "trader", "bandit"
GAS_LIMIT = 200_000
HOLDING = 10**15
"""TOK each searcher and the bandit hold at genesis (far more than any backrun sells)."""


class BackrunSetup(Protocol):
    """The parameters this module reads (``TimeBanditParams`` has them)."""

    @property
    def rounds(self) -> int: ...
    @property
    def searchers(self) -> int: ...
    @property
    def pool_reserve(self) -> int: ...
    @property
    def victim(self) -> int: ...
    @property
    def fee_bps(self) -> int: ...
    @property
    def placement(self) -> str: ...
    @property
    def bandit_order(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Backrun:
    """The backrun of one round's trade: sell ``amount`` TOK for at least ``min_out`` USD."""

    amount: int
    min_out: int

    @property
    def value(self) -> int:
        """``out* − a*``: its worth at the reference price (``p0 = 1``)."""
        return self.min_out - self.amount


def searcher_names(n: int) -> list[str]:
    """The honest searchers' accounts."""
    return [f"searcher_{i}" for i in range(n)]


def allocations(p: BackrunSetup) -> dict[str, dict[str, int]]:
    """Genesis holdings the backrun needs, per asset: the LP's reserves for every round,
    the trader's USD, the searchers' and the bandit's TOK."""
    return {
        USD: {LP: p.rounds * p.pool_reserve, TRADER: p.rounds * p.victim},
        TOKEN: {
            LP: p.rounds * p.pool_reserve,
            BANDIT: HOLDING,
            **dict.fromkeys(searcher_names(p.searchers), HOLDING),
        },
    }


def worth(dev: Device, who: str) -> int:
    """``who``'s USD plus TOK: its holdings at the reference price ``p0 = 1``."""
    return dev.balance(who, USD) + dev.balance(who, TOKEN)


def open_pool(dev: Device, p: BackrunSetup) -> str:
    """A fresh pool at ``p0 = 1`` (two blocks: deploy, add liquidity)."""
    lp = dev.account(LP)
    pool = dev.deploy(lp, ProductAMM, TOKEN, USD, p.fee_bps)
    added = dev.call(
        lp, pool, "add_liquidity", 0, LP, value={TOKEN: p.pool_reserve, USD: p.pool_reserve}
    )
    assert added.ok, added.error
    return pool


def trade(dev: Device, pool: str, p: BackrunSetup) -> Transaction:
    """The trader's buy of TOK with ``victim`` USD (no slippage bound: a price-mover)."""
    return dev.sign(
        dev.account(TRADER), pool, "swap", USD, p.victim, 0, TRADER, TOKEN,
        value={USD: p.victim}, gas_limit=GAS_LIMIT,
    )  # fmt: skip


def backrun_tx(dev: Device, account: Account, pool: str, b: Backrun) -> Transaction:
    """``account``'s backrun: ``b.amount`` TOK in, at least ``b.min_out`` USD out."""
    return dev.sign(
        account, pool, "swap", TOKEN, b.amount, b.min_out, account.address, USD,
        value={TOKEN: b.amount}, gas_limit=GAS_LIMIT,
    )  # fmt: skip


def plan(p: BackrunSetup) -> Backrun:
    """The backrun of the trade, from the pool's v2 arithmetic after it (the searchers'
    and the bandit's order; what it captures is read from the device)."""
    bought = amount_out(p.victim, p.pool_reserve, p.pool_reserve, p.fee_bps)
    after = (p.pool_reserve - bought, p.pool_reserve + p.victim)  # (TOK, USD)
    amount, out = best_backrun(after, p.fee_bps, Fraction(1))
    return Backrun(amount, out)


def batch_order(p: BackrunSetup) -> Backrun:
    """The sale of TOK that takes most when it clears with the trade at one uniform
    price (:func:`~accord.mechanisms.cfmm.uniform_clearing`, which the pool's
    ``settle_batch`` calls): the ``s`` maximising ``out(s) − s``, asking ``s + 1`` back.

    Selling into the trade's batch fills part of the trade at the trade's own price,
    above ``p0``. Found by a grid over ``1..2·victim`` then an integer climb, as
    :func:`~accord.games.latency_race.best_backrun` climbs (the take is unimodal here;
    the tests check the climb's peak against its neighbours)."""
    pool = ProductPool((p.pool_reserve, p.pool_reserve), p.fee_bps)  # (TOK, USD)
    trade_order = Order(False, p.victim, 0)

    def take(amount: int) -> int:
        if amount < 1:
            return 0
        c = uniform_clearing(pool, 0, 1, (trade_order, Order(True, amount, amount + 1)))
        return c.outs[1] - amount if c.filled[1] else 0

    top = 2 * p.victim
    step = max(1, top // 200)
    best = max(range(step, top + 1, step), key=take)
    while step >= 1:
        while take(best + step) > take(best):
            best += step
        while take(best - step) > take(best):
            best -= step
        step //= 2
    return Backrun(best, best + 1) if take(best) > 0 else Backrun(0, 0)


def bandit_plan(p: BackrunSetup) -> Backrun:
    """The bandit's order: the backrun, or the sale sized for the batch price."""
    return batch_order(p) if p.bandit_order == "batch" else plan(p)


def fork_blocks(
    first: list[Transaction], grab: Transaction, placement: str, length: int
) -> list[list[Transaction]]:
    """The fork's ``length`` blocks: ``first`` (the reorged block's transactions it
    keeps, the trade among them) with the bandit's ``grab`` in it or alone in the next
    block (``placement``), the rest empty."""
    if length < 2:
        raise ValueError(f"a fork here has at least 2 blocks, got {length}")
    if placement == "same_block":
        return [[*first, grab]] + [[] for _ in range(length - 1)]
    if placement == "next_block":
        return [list(first), [grab]] + [[] for _ in range(length - 2)]
    raise ValueError(f"placement must be 'same_block' or 'next_block', got {placement!r}")


def fork_value(config: DeviceConfig, p: BackrunSetup, seed: int) -> int:
    """``V``: what the bandit's backrun takes in its fork, played on a probe device.

    The probe has the run's ordering, mempool and fee market; it opens a pool, seals the
    trade's block as the run does (with the honest searchers' backruns where they see
    it), forks that block with the trade and the bandit's backrun placed as the run
    places it, and returns the bandit's holdings after less before (USD plus TOK, exact;
    0 when its backrun is refunded or reverts)."""
    probe = config.model_copy(
        update={"finality_depth": 2, "record_inclusions": True, "fork_choice": "longest"}
    )
    held = allocations(p)
    genesis = Genesis(
        assets={
            probe.fee_asset: AssetSpec(
                issuer="treasury",
                alloc=dict.fromkeys([LP, TRADER, BANDIT, *searcher_names(p.searchers)], 10**18),
            ),
            USD: AssetSpec(issuer="fed", alloc=held[USD]),
            TOKEN: AssetSpec(issuer="treasury", alloc=held[TOKEN]),
        }
    )
    dev = Device(probe, genesis, seed=seed)
    pool = open_pool(dev, p)
    order = plan(p)
    hit = trade(dev, pool, p)
    dev.submit(hit)
    if probe.mempool == "public":
        for name in searcher_names(p.searchers):
            dev.submit(backrun_tx(dev, dev.account(name), pool, order))
    dev.build_block()
    before = worth(dev, BANDIT)
    grab = backrun_tx(dev, dev.account(BANDIT), pool, bandit_plan(p))
    dev.reorg(1, fork_blocks([hit], grab, p.placement, 2), builder=BANDIT)
    return worth(dev, BANDIT) - before
