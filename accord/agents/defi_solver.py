"""A CoW solver: solves a batch off the device and submits the settlement for verification.

CoW Protocol's solvers are off-chain agents that compete to settle each batch
(docs.cow.fi, "Solver competition rules"); the settlement contract only checks what they
submit. :class:`CowSolver` is one of them for :class:`accord.contracts.cow.CowSettlement`.
After block ``N`` is sealed it reads batch ``N``'s orders from the contract's storage
(``CowSettlement.batch``, visible to everyone however the mempool is configured) and:

1. solves it with :func:`accord.mechanisms.batch.clear` (the LP/MILP over candidate
   price vectors, the router for imbalances: floats and HiGHS are fine here, off the
   device) on the pools as they are after block ``N``, scored at the same reference
   valuation the contract will use (:func:`accord.contracts.cow_plan.valuation`);
2. turns the result into the contract's solution format (:func:`solution_of`): one
   integer price vector with each token's clearing price and its improved buy price
   (``clear``'s uniform directional prices, so what the pools pay beyond the clearing
   prices goes to the token's buyers), each fill at ``⌊sold·price/buy_price⌋``, the
   pool trades as swaps;
3. one variant per ``slack_bps``: the pools' outputs promised ``slack`` below the quote
   (and those tokens' buy prices raised to match), so a solution survives a pool moving by
   less than that before the deadline; the exact variant wins when nothing moved;
4. checks each variant with the contract's own :func:`~accord.contracts.cow_verify.verify`
   and sends the ones that pass as ``settle(N, solution)``, then ``execute(N)`` (the
   deadline: under the ``batch`` rule it runs at the end of the block, after every
   solver's ``settle``).

If the batch has orders but no variant verifies, it still sends ``execute(N)``, which
refunds every order whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from accord.agents.base import Action, Observation
from accord.agents.defi import Market, market_of
from accord.contracts.cow import execute_gas, settle_gas
from accord.contracts.cow_plan import valuation
from accord.contracts.cow_verify import BookOrder, InvalidSolution, Verified, verify
from accord.device import Account
from accord.mechanisms import cfmm
from accord.mechanisms.batch import BatchResult, Order, clear

__all__ = ["CowBook", "CowSolver", "solution_of"]

SETTLE_MARGIN = 600_000
"""Gas beyond :func:`settle_gas` a solver allows for metered pool reads and storage."""

EXECUTE_MARGIN = 600_000
"""Gas beyond :func:`execute_gas` for the transfers' and storage's metered work."""

SWAP_GAS = 200_000
"""Gas a solver allows per swap of its solutions at execution (charged and metered)."""

Solution = tuple[
    tuple[tuple[str, int, int], ...],
    tuple[tuple[int, int, int], ...],
    tuple[tuple[str, str, int, str, int], ...],
]


@dataclass(frozen=True, slots=True)
class CowBook:
    """Batch ``batch``'s open orders as the contract's ``batch`` view lists them."""

    settlement: str
    numeraire: str
    batch: int
    orders: tuple[tuple[object, ...], ...]
    stale: tuple[int, ...] = ()
    """Earlier batches still open (their ``execute`` failed): executed again, first."""

    def book(self) -> dict[int, BookOrder]:
        return {row[0]: BookOrder(*row[1:]) for row in self.orders}  # type: ignore[misc, arg-type]


def _integers(prices: Mapping[tuple[str, int], Fraction]) -> dict[tuple[str, int], int]:
    """The same ratios as the smallest positive integers."""
    scale = math.lcm(*(p.denominator for p in prices.values()))
    ints = {t: int(p * scale) for t, p in prices.items()}
    common = math.gcd(*ints.values())
    return {t: v // common for t, v in ints.items()}


def solution_of(
    result: BatchResult,
    ids: Sequence[int],
    book: Mapping[int, BookOrder],
    addresses: Sequence[str],
    slack_bps: int = 0,
) -> Solution | None:
    """The contract's solution for ``result`` (orders in the order of ``ids``, pools the
    solver knew as ``q`` at ``addresses[q]``), with the pools' outputs promised
    ``slack_bps`` below what they pay; ``None`` if it cannot be expressed (a pool traded
    twice)."""
    fills = {oid: f for oid, f in zip(ids, result.fills, strict=True) if f.sold > 0}
    sold_tokens = {book[oid].sell_token for oid in fills}
    swaps: list[tuple[str, str, int, str, int]] = []
    seen: set[int] = set()
    delivered: set[str] = set()
    for trade in result.pool_trades:
        if trade.pool in seen:
            return None
        seen.add(trade.pool)
        ins = [k for k, a in enumerate(trade.tendered) if a]
        outs = [k for k, a in enumerate(trade.received) if a]
        if len(ins) != 1 or len(outs) != 1:
            return None
        i, j = ins[0], outs[0]
        out = trade.received[j] * (cfmm.BPS - slack_bps) // cfmm.BPS
        swaps.append(
            (addresses[trade.pool], trade.tokens[i], trade.tendered[i], trade.tokens[j], out)
        )
        delivered.add(trade.tokens[j])
    tokens = sorted({t for oid in fills for t in (book[oid].sell_token, book[oid].buy_token)})
    if not tokens:
        return None
    sell: dict[str, Fraction] = {}
    buy: dict[str, Fraction] = {}
    for t in tokens:
        improved = result.buy_prices.get(t, result.prices[t])
        if slack_bps and t in delivered:
            improved = improved * cfmm.BPS / (cfmm.BPS - slack_bps)
        # a token nobody sold has only buyers: its price is its buy price
        sell[t] = result.prices[t] if t in sold_tokens else improved
        buy[t] = min(improved, sell[t])
    ints = _integers(
        {**{(t, 0): p for t, p in sell.items()}, **{(t, 1): p for t, p in buy.items()}}
    )
    prices = tuple((t, ints[t, 0], ints[t, 1]) for t in tokens)
    trades = tuple(
        (oid, f.sold, f.sold * ints[book[oid].sell_token, 0] // ints[book[oid].buy_token, 1])
        for oid, f in sorted(fills.items())
    )
    return prices, trades, tuple(swaps)


class CowSolver:
    """Solves each batch of a CoW settlement and submits it (module docstring)."""

    kind = "solver"

    def __init__(
        self,
        account: Account,
        *,
        max_candidates: int = 64,
        slack_bps: Sequence[int] = (0, 30),
        priority_fee: int = 0,
    ) -> None:
        self.account = account
        self.name = account.address
        self.max_candidates = max_candidates
        self.slack_bps = tuple(slack_bps)
        self.priority_fee = priority_fee
        self.failures: list[str] = []

    def solve(self, market: Market, cow: CowBook) -> list[tuple[Verified, Solution]]:
        """The verified variants for ``cow``'s batch, best first (the same checks and
        valuation as the contract, on the pools as ``market`` has them)."""
        book = cow.book()
        ids = sorted(book)
        orders = [
            Order(str(oid), o.owner, o.sell_token, o.buy_token, o.sell_amount, o.min_buy, o.partial)
            for oid, o in ((k, book[k]) for k in ids)
        ]
        live = [p for p in market.pools if all(p.curve.reserves)]
        curves = [p.curve for p in live]
        tokens = sorted({t for o in book.values() for t in (o.sell_token, o.buy_token)})
        value = valuation(curves, cow.numeraire, tokens)
        try:
            result = clear(orders, curves, valuation=value, max_candidates=self.max_candidates)
        except (ValueError, ArithmeticError, AssertionError) as exc:
            self.failures.append(f"batch {cow.batch}: {type(exc).__name__}: {exc}")
            return []
        by_address = {p.address: p.curve for p in live}
        pools = {p.address: p.curve.tokens for p in market.pools}

        def quote(pool: str, asset_in: str, amount: int, asset_out: str) -> int:
            c = by_address.get(pool)
            if c is None:
                return 0
            return c.out_given_in(c.index(asset_in), c.index(asset_out), amount)

        found: list[tuple[Verified, Solution]] = []
        for slack in self.slack_bps:
            solution = solution_of(result, ids, book, [p.address for p in live], slack)
            if solution is None or any(solution == s for _, s in found):
                continue
            try:
                found.append((verify(book, solution, pools, value, quote), solution))
            except InvalidSolution as exc:
                self.failures.append(f"batch {cow.batch} slack {slack}: {exc}")
        found.sort(key=lambda vs: -vs[0].score)
        return found

    def act(self, obs: Observation) -> Sequence[Action]:
        cow = obs.state.get("cow_book")
        if not isinstance(cow, CowBook) or not (cow.orders or cow.stale):
            return []
        found = self.solve(market_of(obs), cow) if cow.orders else []
        max_fee = obs.max_fee(self.priority_fee)
        txs: list[Action] = []
        for _, solution in found:
            txs.append(
                self.account.sign(
                    obs.nonce + len(txs),
                    cow.settlement,
                    "settle",
                    cow.batch,
                    solution,
                    gas_limit=settle_gas(solution) + SETTLE_MARGIN,
                    max_fee=max_fee,
                    priority_fee=self.priority_fee,
                )
            )
        swaps = sum(len(s[2]) for _, s in found)
        for batch in (*cow.stale, *((cow.batch,) if cow.orders else ())):
            txs.append(
                self.account.sign(
                    obs.nonce + len(txs),
                    cow.settlement,
                    "execute",
                    batch,
                    gas_limit=execute_gas(len(cow.orders)) + EXECUTE_MARGIN + SWAP_GAS * swaps,
                    max_fee=max_fee,
                    priority_fee=self.priority_fee,
                )
            )
        return txs
