"""CoW settlement as a solver competition: orders escrowed, solutions verified exactly.

This is CoW Protocol's design (docs.cow.fi, "Solver competition rules"; the settlement
contract ``GPv2Settlement.settle``) on the device, with the solver *off* the device:

1. **Orders** (block ``N``). ``order(sell_token, sell_amount, buy_token, min_buy, to="",
   partial=False)`` escrows ``sell_amount`` (sent as value) in this contract and records
   the order in batch ``N`` (the block that includes it), under a sequential id. The
   order is now in the contract's storage, which every agent can read after block ``N``
   whatever the mempool's visibility (public, private or sealed): the batch is "closed
   for orders" when its block is sealed.
2. **Solutions** (block ``N + 1`` … ``N + window``). Any solver (or only the allowlisted
   ones, if ``setup`` names them; CoW whitelists its solvers) sends
   ``settle(N, solution)``, computed off the device with any algorithm. The call is
   charged up front for its verification (:func:`settle_gas`, proportional to the
   solution's size, every loop bounded), then verified exactly in integers
   (:func:`accord.contracts.cow_verify.verify`: the batch's orders only, each at most
   once, limit prices, fill-or-kill all or nothing, one uniform integer price vector,
   conservation with the pools' part, every pool quoting its ``min_out`` now). A
   solution that fails reverts with the field and the reason: its solver paid its gas and
   nothing else changed. A valid one is scored (users' surplus at the pools' spot prices
   when the batch's first solution came, an exact ``Fraction``) and kept if it is among
   the :data:`MAX_KEPT` best (ties go to the earlier submission).
3. **Deadline** (block ``N + 1`` or later). ``execute(N)`` settles the batch: the kept
   solutions are tried best first; each runs its pool swaps (``swap`` with ``min_out``,
   output measured on this contract's balance) and pays its fills, inside a nested call
   that rolls back whole if a pool pays less; the first that runs settles the batch.
   If none does, or none was submitted, every order of the batch is refunded whole.
   ``execute`` is batchable: under the ``batch`` ordering rule the device runs it after
   every ``settle`` of the block, so the competition is simultaneous, and, since this
   contract ``settles_earlier_batches``, *before* the pools' own batches of block
   ``N + 1`` (:func:`accord.device.ordering.settlement_order`: batches settle in the order
   their books closed). Nothing moves a pool in block ``N + 1`` before that (under
   ``batch`` every swap is a batchable call), so the settlement trades on exactly the
   pools its solvers read after block ``N`` and every ``settle`` was verified against,
   and the best solution runs as verified. Under the other rules it runs where the
   builder puts it. Anyone may call it (an order's owner too), so no escrow waits on a
   solver.

**Never partly lost.** Every order is either filled within its limit (its unsold rest
returned) or refunded whole. Rounding dust and whatever a pool pays beyond ``min_out``
stay in the contract (``dust()``); the contract checks after each settlement that it
still holds every other batch's escrow.

**Solvers are not paid** by the contract: a winning solver gets nothing but the
settlement of the orders it solved, and pays its own gas. A fee would come out of the
users' surplus; CoW pays its solvers from the protocol (second-price rewards, CIP-20 and
CIP-38), which has no counterpart here yet.

**Gas.** ``order`` costs :data:`ORDER_GAS`; ``settle`` :func:`settle_gas` up front;
``execute`` :func:`execute_gas` up front, before anything runs; the pool calls and storage
are metered on top. Re-entry while a settlement runs (a pool calling back) reverts.

**Entry points**: ``order``, ``settle(batch_id, solution)``, ``execute(batch_id)``
(batchable), and the views ``pools()``, ``batch(batch_id)``, ``best(batch_id)``,
``matched(token)``, ``traded(token)``, ``dust(token)``. ``setup(pools, numeraire="",
solvers=(), window=1)`` registers the pools (``(address, kind, fee_bps, params)``, each
checked against the pool's own quote), the token prices are read in, the solver
allowlist (empty: anyone) and how many blocks after its own a batch takes solutions.

**Events**: ``Ordered``, ``Submitted`` (a kept solution), ``Filled`` and ``Refunded`` per
order, ``Settled`` per batch (``solver``, ``prices``, ``matched`` per token,
``pool_trades``), ``Unsettled`` with the reason when no solution ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from accord.contracts.args import base_units
from accord.contracts.cow_plan import PoolSpec, curve, valuation
from accord.contracts.cow_verify import (
    MAX_AMOUNT,
    MAX_INTERACTIONS,
    MAX_ORDERS,
    BookOrder,
    InvalidSolution,
    items,
    verify,
)
from accord.device import BatchCall, Context, Contract, DeviceError, Map, Revert, Var, public
from accord.device.encoding import Canonical
from accord.mechanisms import cfmm

ORDER_GAS = 60_000
"""Gas charged up front for recording and escrowing one order (storage on top)."""

SETTLE_GAS = 40_000
"""Gas charged up front for any ``settle`` call, before its solution is looked at."""

ITEM_GAS = 4_000
"""Gas per entry of a solution (price, trade or interaction), charged up front."""

POOL_GAS = 40_000
"""Gas per registered pool read (the valuation) or swapped (execution)."""

EXECUTE_GAS = 40_000
"""Gas charged up front for closing a batch, plus :data:`PAY_GAS` per order."""

PAY_GAS = 10_000
"""Gas per order paid or refunded at execution."""

MAX_KEPT = 4
"""Verified solutions kept per batch (the best ones): execution tries at most these."""

KINDS = ("product", "weighted", "constant_sum")


def settle_gas(solution: object) -> int:
    """Gas a ``settle`` call is charged up front: :data:`SETTLE_GAS` plus
    :data:`ITEM_GAS` per entry and :data:`POOL_GAS` per interaction (its quote)."""
    try:
        n = items(solution)
        pools = len(solution[2])  # type: ignore[index]
    except (InvalidSolution, TypeError, ValueError):
        return SETTLE_GAS
    return SETTLE_GAS + ITEM_GAS * n + POOL_GAS * pools


def execute_gas(orders: int) -> int:
    """Gas ``execute`` is charged up front for a batch of ``orders`` orders; each kept
    solution it tries is charged :data:`POOL_GAS` per swap before it runs."""
    return EXECUTE_GAS + PAY_GAS * orders


def order_gas(pools: int = 0) -> int:
    """A gas limit for one ``order`` call (storage included)."""
    return ORDER_GAS + 140_000


def _token(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise Revert(f"{name} must be a token symbol, got {value!r}")
    return value


class CowSettlement(Contract):
    """Escrows orders per block and settles each batch with the best verified solution
    a solver submitted (module docstring)."""

    settles_earlier_batches = True  # execute(N) settles batch N's book, closed in block N
    registry: Var[tuple[PoolSpec, ...]] = Var(())
    numeraire: Var[str] = Var("")
    solvers: Var[tuple[str, ...]] = Var(())
    window: Var[int] = Var(1)
    next_order: Var[int] = Var(0)
    submissions: Var[int] = Var(0)
    busy: Var[bool] = Var(False)
    settled: Var[int] = Var(0)
    orders: Map[tuple[Any, ...]] = Map(())
    batch_orders: Map[tuple[int, ...]] = Map(())
    batch_valuation: Map[tuple[Any, ...]] = Map(())
    candidates: Map[tuple[Any, ...]] = Map(())
    escrowed: Map[int] = Map(0)
    matched_volume: Map[int] = Map(0)
    traded_volume: Map[int] = Map(0)

    def setup(self, ctx: Context, *args: Any) -> None:
        if len(args) > 4:
            raise Revert("CowSettlement takes (pools, numeraire='', solvers=(), window=1)")
        pools = args[0] if args else ()
        numeraire = args[1] if len(args) > 1 else ""
        solvers = args[2] if len(args) > 2 else ()
        window = args[3] if len(args) > 3 else 1
        if not isinstance(pools, tuple):
            raise Revert(
                f"pools must be a tuple of (address, kind, fee_bps, params), got {pools!r}"
            )
        if not isinstance(numeraire, str):
            raise Revert(f"numeraire must be a token symbol, got {numeraire!r}")
        if not isinstance(solvers, tuple) or not all(isinstance(s, str) and s for s in solvers):
            raise Revert(f"solvers must be a tuple of account names, got {solvers!r}")
        self.window = base_units("window", window, positive=True)
        if len(pools) > 4 * MAX_INTERACTIONS:
            raise Revert(f"at most {4 * MAX_INTERACTIONS} pools, got {len(pools)}")
        specs = [self._register(ctx, k, entry) for k, entry in enumerate(pools)]
        addresses = [s[0] for s in specs]
        if len(set(addresses)) != len(addresses):
            raise Revert("pools lists one address twice")
        self.registry = tuple(specs)
        self.numeraire = numeraire
        self.solvers = tuple(sorted(set(solvers)))

    def _register(self, ctx: Context, k: int, entry: object) -> PoolSpec:
        where = f"pools[{k}]"
        if not isinstance(entry, tuple) or len(entry) != 4:
            raise Revert(f"{where} must be (address, kind, fee_bps, params), got {entry!r}")
        address, kind, fee, params = entry
        if not isinstance(address, str) or not address:
            raise Revert(f"{where}: address must be a non-empty string, got {address!r}")
        if kind not in KINDS:
            raise Revert(f"{where}: kind must be one of {KINDS}, got {kind!r}")
        fee_bps = base_units(f"{where}.fee_bps", fee)
        if fee_bps >= cfmm.BPS:
            raise Revert(f"{where}: fee_bps must be below {cfmm.BPS}, got {fee_bps}")
        if not isinstance(params, tuple):
            raise Revert(f"{where}: params must be a tuple of ints, got {params!r}")
        values = tuple(
            base_units(f"{where}.params[{m}]", p, positive=True) for m, p in enumerate(params)
        )
        try:
            tokens = ctx.call(address, "tokens")
            reserves = ctx.call(address, "reserves")
        except (Revert, DeviceError) as exc:
            raise Revert(f"{where}: {address} is not a pool ({exc})") from None
        if not isinstance(tokens, tuple) or len(tokens) != 2:
            raise Revert(
                f"{where}: only two-token pools can be used (swap trades a pair), got {tokens!r}"
            )
        if kind != "product" and len(values) != 2:
            raise Revert(f"{where}: a {kind} pool needs two params, got {values!r}")
        spec: PoolSpec = (address, kind, tokens, fee_bps, values if kind != "product" else ())
        try:
            pool = curve(spec, (1, 1))
        except ValueError as exc:
            raise Revert(f"{where}: {exc}") from None
        if all(reserves):
            pool = curve(spec, reserves)
            for i, j in ((0, 1), (1, 0)):
                probe = reserves[i] // 1000 + 1
                quoted = ctx.call(address, "quote", tokens[i], probe, tokens[j])
                expected = pool.out_given_in(i, j, probe, ctx.use_gas)  # charged per step
                if quoted != expected:
                    raise Revert(
                        f"{where}: the pool quotes {quoted} {tokens[j]} for {probe} {tokens[i]}, "
                        f"a {kind} pool with fee {fee_bps} and params {values} gives "
                        f"{expected}: the description is wrong"
                    )
        return spec

    def _not_busy(self) -> None:
        if self.busy:
            raise Revert("re-entrant call: a settlement is running")

    # -- 1. orders -------------------------------------------------------------------------
    @public
    def order(
        self,
        ctx: Context,
        sell_token: str,
        sell_amount: int,
        buy_token: str,
        min_buy: int,
        to: str = "",
        partial: bool = False,
    ) -> int:
        """Escrow ``sell_amount`` (sent as value) for at least ``min_buy`` in proportion,
        in the batch of this block; returns the order's id (module docstring)."""
        ctx.use_gas(ORDER_GAS)
        self._not_busy()
        sell = _token("sell_token", sell_token)
        buy = _token("buy_token", buy_token)
        if sell == buy:
            raise Revert(f"sell_token and buy_token are both {sell!r}")
        amount = base_units("sell_amount", sell_amount, positive=True)
        floor = base_units("min_buy", min_buy)
        if amount >= MAX_AMOUNT or floor >= MAX_AMOUNT:
            raise Revert(f"sell_amount and min_buy must be below 2**128, got {amount}, {floor}")
        if not isinstance(to, str):
            raise Revert(f"to must be an address, got {to!r}")
        if not isinstance(partial, bool):
            raise Revert(f"partial must be a bool, got {partial!r}")
        if dict(ctx.value) != {sell: amount}:
            raise Revert(
                f"order must send exactly sell_amount={amount} {sell} as value, "
                f"got {dict(ctx.value)}"
            )
        batch = ctx.block_number
        ids = self.batch_orders[batch]
        if len(ids) >= MAX_ORDERS:
            raise Revert(f"batch {batch} is full ({MAX_ORDERS} orders)")
        oid = self.next_order
        self.next_order = oid + 1
        record = BookOrder(batch, ctx.sender, to or ctx.sender, sell, amount, buy, floor, partial)
        self.orders[oid] = tuple(record)
        self.batch_orders[batch] = (*ids, oid)
        self.escrowed[sell] += amount
        ctx.emit("Ordered", id=oid, batch=batch, owner=ctx.sender, sell_token=sell, sold=amount)
        return oid

    # -- 2. solutions ----------------------------------------------------------------------
    @public
    def settle(self, ctx: Context, batch_id: int, solution: Any) -> int:
        """Verify ``solution`` for batch ``batch_id`` and keep it if it is among the best;
        returns its rank among the kept (0: the best so far). Reverts naming the failed
        check otherwise (module docstring)."""
        ctx.use_gas(settle_gas(solution))
        self._not_busy()
        if self.solvers and ctx.sender not in self.solvers:
            raise Revert(f"sender {ctx.sender!r} is not an allowlisted solver")
        if ctx.value:
            raise Revert("settle takes no value")
        batch = base_units("batch_id", batch_id)
        ids = self.batch_orders[batch]
        if ctx.block_number <= batch:
            raise Revert(f"batch {batch} takes solutions from block {batch + 1} (early)")
        if ctx.block_number > batch + self.window:
            raise Revert(f"batch {batch} took solutions until block {batch + self.window} (late)")
        if not ids:
            raise Revert(f"batch {batch} has no open orders")
        book = {oid: BookOrder(*self.orders[oid]) for oid in ids}
        value = self._valuation(ctx, batch, book)
        pools = {spec[0]: spec[2] for spec in self.registry}

        def quote(pool: str, asset_in: str, amount: int, asset_out: str) -> int:
            try:
                out = ctx.call(pool, "quote", asset_in, amount, asset_out)
            except (Revert, DeviceError) as exc:
                raise InvalidSolution("interactions", f"{pool} refused to quote: {exc}") from None
            return out if type(out) is int else -1

        try:
            checked = verify(book, solution, pools, value, quote)
        except InvalidSolution as exc:
            raise Revert(str(exc)) from None
        seq = self.submissions
        self.submissions = seq + 1
        entry = (checked.score.numerator, checked.score.denominator, seq, ctx.sender, solution)
        kept = sorted(
            (*self.candidates[batch], entry), key=lambda c: (-Fraction(c[0], c[1]), c[2])
        )[:MAX_KEPT]
        if entry not in kept:
            raise Revert(f"the solution scores below the {MAX_KEPT} kept for batch {batch}")
        self.candidates[batch] = tuple(kept)
        rank = kept.index(entry)
        ctx.emit("Submitted", batch=batch, solver=ctx.sender, score=str(checked.score), rank=rank)
        return rank

    def _valuation(
        self, ctx: Context, batch: int, book: dict[int, BookOrder]
    ) -> dict[str, Fraction]:
        """The batch's reference prices: the pools' spot prices when its first solution
        came (stored, so every solution of the batch is scored alike)."""
        stored = self.batch_valuation[batch]
        if not stored:
            tokens = sorted({t for o in book.values() for t in (o.sell_token, o.buy_token)})
            ctx.use_gas(POOL_GAS * len(self.registry))
            live = []
            for spec in self.registry:
                reserves = ctx.call(spec[0], "reserves")
                if isinstance(reserves, tuple) and all(reserves):
                    live.append(curve(spec, reserves))
            prices = valuation(live, self.numeraire, tokens)
            stored = tuple((t, prices[t].numerator, prices[t].denominator) for t in tokens)
            self.batch_valuation[batch] = stored
        return {t: Fraction(n, d) for t, n, d in stored}

    # -- 3. execution ----------------------------------------------------------------------
    @public(batch=True)
    def execute(self, ctx: Context, batch_id: int) -> str:
        """Settle batch ``batch_id`` with its best solution that runs, or refund it."""
        if ctx.value:
            raise Revert("execute takes no value")
        return self._close(ctx, base_units("batch_id", batch_id))

    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        """The block's ``execute`` calls, after every other transaction: each distinct
        batch once, in increasing order. A bad call gets its reason as its result (and any
        value back) without touching the others."""
        results: list[Canonical] = [""] * len(calls)
        wanted: dict[int, list[int]] = {}
        for k, call in enumerate(calls):
            for asset, amount in sorted(dict(call.value).items()):
                if amount:
                    ctx.transfer(asset, call.sender, amount)
            args = call.args
            if call.method != "execute" or len(args) != 1 or type(args[0]) is not int:
                results[k] = f"refused: execute takes one int batch_id, got {args!r:.80}"
                continue
            wanted.setdefault(args[0], []).append(k)
        for batch in sorted(wanted):
            try:
                outcome = self._close(ctx, batch) if batch >= 0 else "refused: negative batch_id"
            except Revert as exc:
                outcome = f"refused: {exc.reason}"
            for k in wanted[batch]:
                results[k] = outcome
        return results

    def _close(self, ctx: Context, batch: int) -> str:
        self._not_busy()
        if ctx.block_number <= batch:
            raise Revert(f"batch {batch} can be executed from block {batch + 1} (early)")
        ids = self.batch_orders[batch]
        if not ids:
            raise Revert(f"batch {batch} has no open orders")
        kept = self.candidates[batch]
        ctx.use_gas(execute_gas(len(ids)))
        self.busy = True
        outcome = ""
        for rank in range(len(kept)):
            ctx.use_gas(POOL_GAS * len(kept[rank][4][2]))
            try:
                ctx.call(ctx.this, "run_solution", batch, rank)
            except Revert as exc:
                ctx.emit("Failed", batch=batch, rank=rank, reason=exc.reason)
                continue
            outcome = f"settled by {kept[rank][3]}"
            break
        else:
            reason = "no solution was submitted" if not kept else "no kept solution ran"
            for oid in ids:
                order = BookOrder(*self.orders[oid])
                self._refund(ctx, oid, order, f"batch not settled: {reason}")
            ctx.emit("Unsettled", batch=batch, orders=len(ids), reason=reason)
            outcome = f"refunded: {reason}"
        tokens = {t for c in kept for i in c[4][2] for t in (i[1], i[3])}
        for oid in ids:
            order = BookOrder(*self.orders[oid])
            self.escrowed[order.sell_token] -= order.sell_amount
            tokens |= {order.sell_token, order.buy_token}
            self.orders[oid] = ()
        for token in sorted(tokens):
            if ctx.balance(ctx.this, token) < self.escrowed[token]:
                raise Revert(f"settlement would spend other batches' {token} escrow")
        self.batch_orders[batch] = ()
        self.candidates[batch] = ()
        self.batch_valuation[batch] = ()
        self.busy = False
        return outcome

    @public
    def run_solution(self, ctx: Context, batch: int, rank: int) -> None:
        """Run kept solution ``rank`` of ``batch``: its swaps, then its fills. Only this
        contract calls it, inside :meth:`_close`, so a pool that pays less than
        ``min_out`` rolls every swap of the solution back."""
        if ctx.sender != ctx.this or not self.busy:
            raise Revert("run_solution is internal to execute")
        _, _, _, solver, solution = self.candidates[batch][rank]
        prices, trades, interactions = solution
        for pool, asset_in, amount_in, asset_out, min_out in interactions:
            before = ctx.balance(ctx.this, asset_out)
            ctx.call(
                pool,
                "swap",
                asset_in,
                amount_in,
                min_out,
                ctx.this,
                asset_out,
                value={asset_in: amount_in},
            )
            got = ctx.balance(ctx.this, asset_out) - before
            if got < min_out:
                raise Revert(f"pool {pool} paid {got} {asset_out}, less than {min_out}")
        filled = {oid: (sold, bought) for oid, sold, bought in trades}
        bought_per: dict[str, int] = {}
        sold_per: dict[str, int] = {}
        for oid in self.batch_orders[batch]:
            order = BookOrder(*self.orders[oid])
            if oid not in filled:
                self._refund(ctx, oid, order, "not in the winning solution")
                continue
            sold, bought = filled[oid]
            if bought:
                ctx.transfer(order.buy_token, order.receiver, bought)
            if order.sell_amount > sold:
                ctx.transfer(order.sell_token, order.owner, order.sell_amount - sold)
            bought_per[order.buy_token] = bought_per.get(order.buy_token, 0) + bought
            sold_per[order.sell_token] = sold_per.get(order.sell_token, 0) + sold
            ctx.emit(
                "Filled",
                id=oid,
                owner=order.owner,
                to=order.receiver,
                sell_token=order.sell_token,
                sold=sold,
                buy_token=order.buy_token,
                bought=bought,
            )
        # coincidence of wants: what buyers of t got from sellers of t, not from a pool
        matched = {t: min(b, sold_per.get(t, 0)) for t, b in sorted(bought_per.items())}
        for t, b in sorted(bought_per.items()):
            self.traded_volume[t] += b
            if matched[t]:
                self.matched_volume[t] += matched[t]
        self.settled += 1
        ctx.emit(
            "Settled",
            batch=batch,
            solver=solver,
            orders=len(self.batch_orders[batch]),
            filled=len(trades),
            prices=prices,
            matched=tuple((t, m) for t, m in matched.items() if m),
            pool_trades=len(interactions),
        )

    def _refund(self, ctx: Context, oid: int, order: BookOrder, reason: str) -> None:
        ctx.transfer(order.sell_token, order.owner, order.sell_amount)
        ctx.emit("Refunded", id=oid, owner=order.owner, reason=reason)

    # -- views -----------------------------------------------------------------------------
    @public
    def pools(self, ctx: Context) -> tuple[PoolSpec, ...]:
        """The registered pools ``(address, kind, tokens, fee_bps, params)``."""
        return self.registry

    @public
    def batch(self, ctx: Context, batch_id: int) -> tuple[tuple[Any, ...], ...]:
        """The open orders of batch ``batch_id``: ``(id, batch, owner, receiver,
        sell_token, sell_amount, buy_token, min_buy, partial)`` each (what solvers read)."""
        batch = base_units("batch_id", batch_id)
        return tuple((oid, *self.orders[oid]) for oid in self.batch_orders[batch])

    @public
    def best(self, ctx: Context, batch_id: int) -> tuple[Any, ...]:
        """The best kept solution of ``batch_id`` as ``(score, solver)`` (``()`` if none)."""
        kept = self.candidates[base_units("batch_id", batch_id)]
        return (str(Fraction(kept[0][0], kept[0][1])), kept[0][3]) if kept else ()

    @public
    def matched(self, ctx: Context, token: str) -> int:
        """Total ``token`` that buyers got straight from sellers (not from a pool)."""
        return self.matched_volume[token]

    @public
    def traded(self, ctx: Context, token: str) -> int:
        """Total ``token`` bought through this contract."""
        return self.traded_volume[token]

    @public
    def dust(self, ctx: Context, token: str) -> int:
        """What the contract holds of ``token`` beyond the open orders' escrow (rounding,
        and what pools paid beyond ``min_out``)."""
        return ctx.balance(ctx.this, token) - self.escrowed[token]
