"""CoW settlement: a block's intent orders settled together, user to user first.

Users post *intents*: "sell ``sell_amount`` of ``sell_token`` for at least ``min_buy`` of
``buy_token``", a limit order whose sell side is escrowed with the order. Under the
``batch`` ordering rule the device collects every ``order`` call of a block (its value
locked under this contract) and hands them to :meth:`CowSettlement.settle_batch`
together, which settles them all at once with :func:`accord.mechanisms.batch.clear`:

* **coincidence of wants**: opposite orders, and rings such as A → B → C → A, trade with
  each other directly;
* **uniform clearing prices**: one price per token, so every order selling ``s`` for ``b``
  trades at the same rate and its position in the block is worth nothing (Budish, Cramton
  & Shim, QJE 2015); what the pools pay beyond those prices goes to the buyers as a lower
  buy price for every buyer of the token alike (CoW's uniform *directional* prices);
* **user surplus** is the objective, scored at the pools' spot prices in a numéraire
  (CoW Protocol's "Solver competition rules" score surplus at external prices; on the
  device the pools are the market it can see);
* **the pools are the liquidity** for the imbalance: their current states enter the
  solve, and the settlement executes the pools' part itself, as ordinary ``swap`` calls
  from this contract (``Context.call`` with value), one swap after another in the
  solution's order (which spends only what the orders sold and earlier swaps delivered,
  so the orders' escrow funds it), each with ``min_out`` equal to the planned output.
  A nested call runs
  at once: it cannot join the pool's own per-pool batch, so this contract trades against
  each pool at the state it finds it in when it settles. The device settles batched
  contracts in canonical order (by address), so that is before or after the pools' own
  batches of the block, the same for every intent of the block.

This is CoW Protocol's settlement contract (``GPv2Settlement.settle``: orders, clearing
prices, and "interactions" with AMMs for what the orders do not match among themselves)
on the device, with the solver in the contract.

**Never partly lost.** An order that the batch fills gets ``bought`` of its buy token
(at least its limit: ``bought·sell_amount ≥ sold·min_buy``, all of it if fill-or-kill)
and whatever it did not sell back. An order that misses its limit, a malformed one, and
every order of a batch the solver cannot settle get their whole escrow back (a
``Refunded`` event), as does every order of a settlement that reverts (the device unlocks
them). The rounding dust of each batch (a few base units, rounded towards the protocol)
stays in the contract; ``dust()`` shows it. Amounts are exact integers throughout.

**Outside the batch rule** ``order`` settles at once, as a batch of one: against the pools
at the best uniform price the solver finds, reverting if that misses ``min_buy``.

**Entry points**: ``order(sell_token, sell_amount, buy_token, min_buy, to="",
partial=False) -> bought`` (batchable; value ``{sell_token: sell_amount}``), and the views
``pools()``, ``matched(token)``, ``traded(token)``, ``dust(token)``.
``setup(pools, numeraire="", max_candidates=64)`` registers the pools: a tuple of
``(address, kind, fee_bps, params)`` with ``kind`` one of ``product``, ``weighted``,
``constant_sum`` and ``params`` its weights or prices (``()`` for product pools), as the
pool contract was deployed; each description is checked against the pool's own quote.
Pools of two tokens only (``swap`` trades one pair).

**Events**: ``Filled`` and ``Refunded`` per order (with its ``tx``), ``Settled`` per batch
(``orders``, ``filled``, ``prices``, ``matched`` per token, ``pool_trades``),
``Unsettled`` if the solver fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.contracts.args import base_units
from accord.contracts.cow_plan import PoolSpec, Swap, curve, swap_plan, valuation
from accord.device import BatchCall, Context, Contract, DeviceError, Map, Revert, Var, public
from accord.device.encoding import Canonical
from accord.mechanisms import cfmm
from accord.mechanisms.batch import BatchResult, Order, clear

ORDER_GAS = 300_000
"""Gas for one order's share of a settlement (the device shares a settlement's gas equally
among its orders), before the pools: see :func:`order_gas`."""

POOL_GAS = 40_000
"""Gas per registered pool: reading its reserves, and a swap if the batch trades with it."""

SOLVE_GAS = 1_000
"""Gas charged per candidate price vector the solver tries (work the schedule does not see)."""

KINDS = ("product", "weighted", "constant_sum")


def order_gas(pools: int) -> int:
    """A gas limit for one order on a settlement over ``pools`` pools, enough even when the
    order is alone in its batch."""
    return ORDER_GAS + POOL_GAS * pools


def _token(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise Revert(f"{name} must be a token symbol, got {value!r}")
    return value


class CowSettlement(Contract):
    """Settles every intent order of a block together (module docstring)."""

    registry: Var[tuple[PoolSpec, ...]] = Var(())
    numeraire: Var[str] = Var("")
    max_candidates: Var[int] = Var(64)
    matched_volume: Map[int] = Map(0)
    traded_volume: Map[int] = Map(0)
    settled: Var[int] = Var(0)

    def setup(self, ctx: Context, *args: Any) -> None:
        if len(args) > 3:
            raise Revert("CowSettlement takes (pools, numeraire='', max_candidates=64)")
        pools = args[0] if args else ()
        numeraire = args[1] if len(args) > 1 else ""
        cap = args[2] if len(args) > 2 else 64
        if not isinstance(pools, tuple):
            raise Revert(
                f"pools must be a tuple of (address, kind, fee_bps, params), got {pools!r}"
            )
        if not isinstance(numeraire, str):
            raise Revert(f"numeraire must be a token symbol, got {numeraire!r}")
        self.max_candidates = base_units("max_candidates", cap, positive=True)
        specs: list[PoolSpec] = []
        for k, entry in enumerate(pools):
            specs.append(self._register(ctx, k, entry))
        addresses = [s[0] for s in specs]
        if len(set(addresses)) != len(addresses):
            raise Revert("pools lists one address twice")
        self.registry = tuple(specs)
        self.numeraire = numeraire

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
                if quoted != pool.out_given_in(i, j, probe):
                    raise Revert(
                        f"{where}: the pool quotes {quoted} {tokens[j]} for {probe} {tokens[i]}, "
                        f"a {kind} pool with fee {fee_bps} and params {values} gives "
                        f"{pool.out_given_in(i, j, probe)}: the description is wrong"
                    )
        return spec

    # -- orders --------------------------------------------------------------------------
    @public(batch=True)
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
        """Sell ``sell_amount`` (sent as value) for at least ``min_buy``, settled at once
        as a batch of one (outside the batch rule); reverts if the limit is missed."""
        args: tuple[Canonical, ...] = (sell_token, sell_amount, buy_token, min_buy, to, partial)
        call = BatchCall(b"", ctx.sender, "order", args, ctx.value)
        order, receiver = self._parse(call, "direct")
        solved = self._solve(ctx, (order,))
        if isinstance(solved, str):
            raise Revert(f"cannot settle: {solved}")
        fill = solved[0].fills[0]
        if fill.sold == 0:
            raise Revert(f"min_buy {order.min_buy_amount} not met at the best price")
        self._execute(ctx, [call], [order], [receiver], *solved)
        return fill.bought

    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        """Settle every order of the block together (module docstring)."""
        results: list[Canonical] = [0] * len(calls)
        parsed: list[tuple[int, Order, str]] = []
        for k, call in enumerate(calls):
            try:
                order, receiver = self._parse(call, call.tx_hash.hex())
            except Revert as exc:
                self._refund(ctx, call, call.value, exc.reason)
                continue
            parsed.append((k, order, receiver))
        if not parsed:
            return results
        orders = tuple(o for _, o, _ in parsed)
        solved = self._solve(ctx, orders)
        valid = [calls[k] for k, _, _ in parsed]
        if isinstance(solved, str):
            ctx.emit("Unsettled", orders=len(orders), reason=solved)
            for call in valid:
                self._refund(ctx, call, call.value, f"batch not settled: {solved}")
            return results
        bought = self._execute(ctx, valid, list(orders), [r for _, _, r in parsed], *solved)
        for (k, _, _), b in zip(parsed, bought, strict=True):
            results[k] = b
        return results

    def _parse(self, call: BatchCall, order_id: str) -> tuple[Order, str]:
        if call.method != "order":
            raise Revert(f"{call.method!r} does not settle in batch")
        if not 4 <= len(call.args) <= 6:
            raise Revert(f"order takes 4 to 6 arguments, got {len(call.args)}")
        sell = _token("sell_token", call.args[0])
        buy = _token("buy_token", call.args[2])
        amount, floor = call.args[1], call.args[3]
        to = call.args[4] if len(call.args) > 4 else ""
        partial = call.args[5] if len(call.args) > 5 else False
        if sell == buy:
            raise Revert(f"sell_token and buy_token are both {sell!r}")
        amount = base_units("sell_amount", amount, positive=True)
        floor = base_units("min_buy", floor)
        if not isinstance(to, str):
            raise Revert(f"to must be an address, got {to!r}")
        if not isinstance(partial, bool):
            raise Revert(f"partial must be a bool, got {partial!r}")
        if dict(call.value) != {sell: amount}:
            raise Revert(
                f"order must send exactly sell_amount={amount} {sell} as value, "
                f"got {dict(call.value)}"
            )
        order = Order(order_id, call.sender, sell, buy, amount, floor, partial)
        return order, to or call.sender

    # -- solving and executing -------------------------------------------------------------
    def _live(self, ctx: Context) -> list[tuple[PoolSpec, cfmm.Pool]]:
        """The registered pools with liquidity, at their current reserves."""
        live: list[tuple[PoolSpec, cfmm.Pool]] = []
        for spec in self.registry:
            reserves = ctx.call(spec[0], "reserves")
            if isinstance(reserves, tuple) and all(reserves):
                live.append((spec, curve(spec, reserves)))
        return live

    def _solve(
        self, ctx: Context, orders: tuple[Order, ...]
    ) -> tuple[BatchResult, list[Swap]] | str:
        """The batch's solution over every live pool and its swaps in execution order, or
        why there is none (the solver failed)."""
        live = self._live(ctx)
        tokens = sorted({t for o in orders for t in (o.sell_token, o.buy_token)})
        value = valuation([c for _, c in live], self.numeraire, tokens)
        try:
            result = clear(
                orders,
                [c for _, c in live],
                valuation={t: value[t] for t in tokens},
                max_candidates=self.max_candidates,
            )
        except (ValueError, ArithmeticError, AssertionError) as exc:
            # AssertionError: the solver's self-check (batch._verify) refused its answer
            ctx.use_gas(SOLVE_GAS * self.max_candidates)
            return f"{len(live)} pools: {type(exc).__name__}: {exc}"
        ctx.use_gas(SOLVE_GAS * result.candidates)
        return result, swap_plan(result, [spec for spec, _ in live])

    def _execute(
        self,
        ctx: Context,
        calls: Sequence[BatchCall],
        orders: Sequence[Order],
        receivers: Sequence[str],
        result: BatchResult,
        plan: Sequence[Swap],
    ) -> list[int]:
        """Trade the pools' part, then pay every order (or refund it).

        Each swap's ``min_out`` is its planned output, so a pool that pays less reverts
        the whole settlement (and the device refunds every order). The fills are paid as
        the solver settled them: the pools' output beyond the clearing prices is already
        in them (price improvement), and the contract keeps only ``result.dust``.
        """
        for swap in plan:
            ctx.call(
                swap.pool,
                "swap",
                swap.asset_in,
                swap.amount,
                swap.min_out,
                ctx.this,
                swap.asset_out,
                value={swap.asset_in: swap.amount},
            )
        paid: list[int] = []
        per_token: dict[str, int] = {}
        sold_per_token: dict[str, int] = {}
        for call, order, to, fill in zip(calls, orders, receivers, result.fills, strict=True):
            if fill.sold == 0:
                self._refund(ctx, call, {order.sell_token: order.sell_amount}, "limit not met")
                paid.append(0)
                continue
            ctx.transfer(order.buy_token, to, fill.bought)
            if order.sell_amount > fill.sold:
                ctx.transfer(order.sell_token, call.sender, order.sell_amount - fill.sold)
            per_token[order.buy_token] = per_token.get(order.buy_token, 0) + fill.bought
            sold_per_token[order.sell_token] = sold_per_token.get(order.sell_token, 0) + fill.sold
            ctx.emit(
                "Filled",
                tx=call.tx_hash,
                owner=call.sender,
                to=to,
                sell_token=order.sell_token,
                sold=fill.sold,
                buy_token=order.buy_token,
                bought=fill.bought,
            )
            paid.append(fill.bought)
        # coincidence of wants: what buyers of t got from sellers of t, not from a pool
        matched = {t: min(b, sold_per_token.get(t, 0)) for t, b in sorted(per_token.items())}
        for t, b in sorted(per_token.items()):
            self.traded_volume[t] += b
            if matched[t]:
                self.matched_volume[t] += matched[t]
        self.settled += 1
        ctx.emit(
            "Settled",
            orders=len(orders),
            filled=sum(1 for b in paid if b),
            prices=tuple(sorted(result.integer_prices.items())),
            matched=tuple((t, m) for t, m in matched.items() if m),
            pool_trades=len(result.pool_trades),
        )
        return paid

    @staticmethod
    def _refund(ctx: Context, call: BatchCall, value: Any, reason: str) -> None:
        for asset, amount in sorted(dict(value).items()):
            if amount:
                ctx.transfer(asset, call.sender, amount)
        ctx.emit("Refunded", tx=call.tx_hash, sender=call.sender, reason=reason)

    # -- views -----------------------------------------------------------------------------
    @public
    def pools(self, ctx: Context) -> tuple[PoolSpec, ...]:
        """The registered pools ``(address, kind, tokens, fee_bps, params)``."""
        return self.registry

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
        """The rounding dust the contract holds of ``token``."""
        return ctx.balance(ctx.this, token)
