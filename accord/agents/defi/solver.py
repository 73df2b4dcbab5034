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
   less than that before the deadline. The exact variant scores best and runs when nothing
   moved, which under the ``batch`` rule is always the case: the settlement runs before
   the pools' own batches of the block (``CowSettlement``'s docstring). The others are a
   fallback for the other rules, and for a batch executed late behind another;
4. checks each variant with the contract's own :func:`~accord.contracts.cow_verify.verify`
   and sends the ones that pass as ``settle(N, solution)``, then ``execute(N)`` (the
   deadline: under the ``batch`` rule it runs after every solver's ``settle`` of the
   block and before the pools' batches).

If no variant verifies (netting ``clear``'s slices, one swap per pool, can miss a limit
that ``clear`` met), it falls back to the batch's best order alone along its best path of
one or two pools, whole or, if partially fillable, the largest part within its limit
(:func:`path_solution`); the other orders are refunded. If nothing verifies, it still
sends ``execute(N)``, which refunds every order whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from accord.agents.base import Action, Observation
from accord.agents.defi.users import Hop, Market, market_of
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

PRECISION = 64
"""Bits added to the clearing prices before :func:`fit` sets buy prices (its ceilings
are then a 2^-64 fraction of a price)."""

FIT_ROUNDS = 16
"""Sweeps :func:`fit` makes at most."""

PART_STEPS = 64
"""Bisection steps :func:`path_solution` takes at most to size a partial fill (2^64
covers every amount below 2^64 to the base unit; larger ones stop a little short)."""

Swap = tuple[str, str, int, str, int]
"""``(pool, asset_in, amount_in, asset_out, min_out)``."""

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
    curves: Sequence[cfmm.Pool] = (),
) -> Solution | None:
    """The contract's solution for ``result`` (orders in the order of ``ids``, pools the
    solver knew as ``q`` at ``addresses[q]`` and ``curves[q]``), with the pools' outputs
    promised ``slack_bps`` below what they pay; ``None`` if it cannot be expressed.

    When every pool trades once and there is no slack, the fills and prices are
    ``clear``'s exactly. Otherwise (``clear`` financed a cycle in slices, a pool trading
    several times; or outputs promised below the quote) each pool's slices are netted
    into one swap priced on ``curves`` (the contract allows one swap per pool), and the
    buy prices are refitted to what the swaps deliver (:func:`fit`)."""
    fills = {oid: f.sold for oid, f in zip(ids, result.fills, strict=True) if f.sold > 0}
    tokens = sorted({t for oid in fills for t in (book[oid].sell_token, book[oid].buy_token)})
    if not tokens:
        return None
    pools = [t.pool for t in result.pool_trades]
    if len(set(pools)) == len(pools) and not (slack_bps and curves):
        return _as_planned(result, fills, book, addresses, slack_bps, tokens)
    if not curves:
        return None
    available = _available(fills, book, ())
    wanted = {book[oid].buy_token for oid in fills}
    swaps = _netted(result, curves, addresses, slack_bps, available, wanted)
    if swaps is None:
        return None
    start = _integers(
        {
            **{(t, 0): result.prices[t] for t in tokens},
            **{(t, 1): result.buy_prices.get(t, result.prices[t]) for t in tokens},
        }
    )
    vector = {t: [start[t, 0] << PRECISION, start[t, 1] << PRECISION] for t in tokens}
    fit(vector, fills, book, available)
    prices = tuple((t, vector[t][0], vector[t][1]) for t in tokens)
    trades = tuple(
        (oid, x, x * vector[book[oid].sell_token][0] // vector[book[oid].buy_token][1])
        for oid, x in sorted(fills.items())
    )
    return prices, trades, tuple(swaps)


def _as_planned(
    result: BatchResult,
    fills: Mapping[int, int],
    book: Mapping[int, BookOrder],
    addresses: Sequence[str],
    slack_bps: int,
    tokens: Sequence[str],
) -> Solution | None:
    """``clear``'s own fills, prices and pool trades (one swap per pool)."""
    sold_tokens = {book[oid].sell_token for oid in fills}
    swaps: list[Swap] = []
    delivered: set[str] = set()
    for trade in result.pool_trades:
        ins = [k for k, a in enumerate(trade.tendered) if a]
        outs = [k for k, a in enumerate(trade.received) if a]
        if len(ins) != 1 or len(outs) != 1:
            return None
        i, j = ins[0], outs[0]
        out = trade.received[j] * (cfmm.BPS - slack_bps) // cfmm.BPS
        address = addresses[trade.pool]
        swaps.append((address, trade.tokens[i], trade.tendered[i], trade.tokens[j], out))
        delivered.add(trade.tokens[j])
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
        (oid, x, x * ints[book[oid].sell_token, 0] // ints[book[oid].buy_token, 1])
        for oid, x in sorted(fills.items())
    )
    return prices, trades, tuple(swaps)


def _netted(
    result: BatchResult,
    curves: Sequence[cfmm.Pool],
    addresses: Sequence[str],
    slack_bps: int,
    have: dict[str, int],
    wanted: set[str],
) -> list[Swap] | None:
    """Each pool's slices as one swap of their net input, in an order that spends only
    what is there (``have``: the orders' sales, then each swap's output), each input cut
    to what is there, each output on the pool's curve (exact integers, what the pool will
    quote), less the slack where the output is a final delivery (no swap takes it in).

    A swap whose output no order buys (``wanted``), nor leads to what one buys through the
    swaps still to run (:func:`_useful`), is left out: netting ``clear``'s slices can turn
    an arbitrage cycle it financed (a pool that trades twice, around another) into a leg
    whose output would be stranded in the contract, bought with what the orders were due
    (a solution that then misses a limit)."""
    net: dict[int, list[int]] = {}
    for trade in result.pool_trades:
        flow = net.setdefault(trade.pool, [0] * len(trade.tokens))
        for k in range(len(trade.tokens)):
            flow[k] += trade.tendered[k] - trade.received[k]
    left: list[tuple[int, int, int, int]] = []
    for q in sorted(net):
        flow = net[q]
        ins = [k for k, a in enumerate(flow) if a > 0]
        if len(flow) != 2 or len(ins) != 1:
            if any(flow):
                return None
            continue
        left.append((q, ins[0], 1 - ins[0], flow[ins[0]]))
    feeds = {curves[n[0]].tokens[n[1]] for n in left}  # tokens some swap takes in
    swaps: list[Swap] = []
    while left:
        funded = [n for n in left if have.get(curves[n[0]].tokens[n[1]], 0) >= n[3]]
        q, i, j, x = (
            funded or sorted(left, key=lambda n: -have.get(curves[n[0]].tokens[n[1]], 0))
        )[0]
        left.remove((q, i, j, x))
        curve = curves[q]
        x = min(x, have.get(curve.tokens[i], 0))
        if x <= 0 or not _useful(curve.tokens[j], left, curves, wanted):
            continue
        out = curve.out_given_in(i, j, x)
        if curve.tokens[j] not in feeds:  # slack on final deliveries only
            out = out * (cfmm.BPS - slack_bps) // cfmm.BPS
        have[curve.tokens[i]] -= x
        have[curve.tokens[j]] = have.get(curve.tokens[j], 0) + out
        swaps.append((addresses[q], curve.tokens[i], x, curve.tokens[j], out))
    return swaps


def _useful(
    token: str,
    left: Sequence[tuple[int, int, int, int]],
    curves: Sequence[cfmm.Pool],
    wanted: set[str],
) -> bool:
    """Whether ``token`` is bought by an order (``wanted``) or leads to such a token
    through the swaps ``left`` (``(pool, in, out, amount)``), each used once."""
    seen = {token}
    frontier = [token]
    while frontier:
        t = frontier.pop()
        if t in wanted:
            return True
        for q, i, j, _ in left:
            if curves[q].tokens[i] == t and curves[q].tokens[j] not in seen:
                seen.add(curves[q].tokens[j])
                frontier.append(curves[q].tokens[j])
    return False


def _available(
    fills: Mapping[int, int], book: Mapping[int, BookOrder], swaps: Sequence[Swap]
) -> dict[str, int]:
    """Per token: what the orders sell plus what the swaps deliver less what they take."""
    available: dict[str, int] = {}
    for oid, x in fills.items():
        t = book[oid].sell_token
        available[t] = available.get(t, 0) + x
    for _, asset_in, amount_in, asset_out, out in swaps:
        available[asset_in] = available.get(asset_in, 0) - amount_in
        available[asset_out] = available.get(asset_out, 0) + out
    return available


def fit(
    vector: dict[str, list[int]],
    sold: Mapping[int, int],
    book: Mapping[int, BookOrder],
    available: Mapping[str, int],
    rounds: int = FIT_ROUNDS,
) -> None:
    """Set each bought token's buy price to what its buyers can be paid, in place.

    ``vector[t] = [price, buy_price]``. A token ``t``'s buyers are due
    ``Σ ⌊sold·price_sell / buy_price_t⌋``, at most ``Σ sold·price_sell / buy_price_t``;
    so ``buy_price_t = ⌈Σ sold·price_sell / available_t⌉`` pays them all that is
    available of ``t`` and never more (exact integers). Where that is above ``t``'s own
    price, the price rises with it (a buy price may not exceed the price), which pays
    ``t``'s sellers more of what they buy, so a few Gauss–Seidel sweeps settle it; the
    contract's check has the last word (limits included).
    """
    buyers: dict[str, list[int]] = {}
    for oid in sorted(sold):
        buyers.setdefault(book[oid].buy_token, []).append(oid)
    for _ in range(rounds):
        moved = False
        for t in sorted(buyers):
            have = available.get(t, 0)
            if have <= 0:
                return
            due = sum(sold[o] * vector[book[o].sell_token][0] for o in buyers[t])
            need = max(-(-due // have), 1)
            if need > vector[t][0]:
                vector[t][0] = need
                moved = True
            if need != vector[t][1]:
                vector[t][1] = need
                moved = True
        if not moved:
            return


def path_solution(oid: int, order: BookOrder, market: Market) -> Solution | None:
    """The settlement of order ``oid`` alone along its best path of one or two pools
    (:meth:`Market.best_path`, exact integer quotes on the pools as ``market`` has them):
    the whole order, or for a partially fillable one the largest part whose path beats
    its limit (bisection, at most :data:`PART_STEPS` steps, the average price falling as
    the part grows); ``None`` if none does. Its two prices make ``bought`` the path's
    output exactly (``price_sell = out``, ``price_buy = sold``), and each swap spends what
    the one before delivered, so conservation holds to the base unit.

    A fallback, not a batch solution: when none of ``clear``'s variants verifies (its
    netted slices missed a limit), settling the batch's best order by itself and
    refunding the rest still beats refunding every order."""

    def path(x: int) -> list[Hop] | None:
        hops = market.best_path(order.sell_token, x, order.buy_token)
        meets = hops and hops[-1].min_out * order.sell_amount > x * order.min_buy
        return hops if meets and len({h.pool for h in hops}) == len(hops) else None

    sold, hops = order.sell_amount, path(order.sell_amount)
    if hops is None and order.partial:  # the largest part whose path meets the limit
        low, high = 0, order.sell_amount  # path(low) meets the limit (or low = 0)
        for _ in range(PART_STEPS):
            if high - low <= 1:
                break
            mid = (low + high) // 2
            if path(mid) is None:
                high = mid
            else:
                low = mid
        sold, hops = low, path(low) if low else None
    if hops is None:
        return None
    out = hops[-1].min_out
    prices = sorted([(order.sell_token, out, out), (order.buy_token, sold, sold)])
    swaps = tuple((h.pool, h.asset_in, h.amount_in, h.asset_out, h.min_out) for h in hops)
    return tuple(prices), ((oid, sold, out),), swaps


class CowSolver:
    """Solves each batch of a CoW settlement and submits it (module docstring)."""

    kind = "solver"

    def __init__(
        self,
        account: Account,
        *,
        max_candidates: int = 64,
        slack_bps: Sequence[int] = (0, 50, 150),
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
            solution = solution_of(result, ids, book, [p.address for p in live], slack, curves)
            if solution is None or any(solution == s for _, s in found):
                continue
            try:
                found.append((verify(book, solution, pools, value, quote), solution))
            except InvalidSolution as exc:
                self.failures.append(f"batch {cow.batch} slack {slack}: {exc}")
        if not found:  # no variant verified: the best order alone along its best path
            for oid in ids:
                alone = path_solution(oid, book[oid], market)
                if alone is None:
                    continue
                try:
                    found.append((verify(book, alone, pools, value, quote), alone))
                except InvalidSolution as exc:
                    self.failures.append(f"batch {cow.batch} order {oid} alone: {exc}")
            found = sorted(found, key=lambda vs: -vs[0].score)[:1]
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
