"""AMM pools on the device: swaps, liquidity, flash swaps and uniform-price batches.

A thin stateful shell over :mod:`accord.mechanisms.cfmm`: the pool holds real ledger
balances of its tokens, keeps ``reserve`` equal to them, and asks the math for every
amount. Three kinds share one base, :class:`AMM`:

- :class:`ProductAMM`: Uniswap v2 (``x·y = k``, fee on the input, exact v2 integers);
- :class:`WeightedAMM`: Balancer's weighted geometric mean, ``n`` tokens;
- :class:`ConstantSumAMM`: ``Σ p_k·x_k``, a fixed rate until a side runs dry.

**Paying in.** Every method that takes tokens takes them as the call's ``value``
(``device.sign(..., value={"TOK": 100})``): the device moves the value to the pool
before the method runs and undoes the move if it reverts, so a failed swap leaves
nothing behind but its gas fee. Each method checks that ``value`` holds exactly what it
needs, no more and no other asset. This is the device's own idiom (the ``value`` of a
transaction, locked and released for batch calls), rather than v2's
transfer-then-call, which needs a router to be atomic.

**Entry points** (``asset_out`` may be omitted in a two-token pool):

- ``swap(asset_in, amount_in, min_out, to, asset_out="") -> amount_out``: sell
  ``amount_in`` (sent as value) for at least ``min_out`` (else ``Revert``), paid to
  ``to``. Marked ``@public(batch=True)``: under the ``batch`` ordering rule every swap of
  a block on this pool is settled together by :meth:`AMM.settle_batch` (below).
- ``quote(asset_in, amount_in, asset_out="") -> int``, ``tokens()``, ``reserves()``,
  ``spot_price(asset_in, asset_out="") -> (numerator, denominator)`` (units of
  ``asset_out`` per unit of ``asset_in`` at the margin, fee excluded, exact and reduced).
- ``add_liquidity(min_shares, to) -> shares``: send every token as value. The first
  deposit mints ``isqrt(x·y) − 1000`` (v2; :data:`~accord.mechanisms.cfmm.MINIMUM_LIQUIDITY`
  more is minted to the pool itself and locked forever); later ones mint the pro-rata
  share of the scarcest token and refund what exceeds the pool's ratio.
- ``remove_liquidity(min_amounts, to) -> amounts``: send LP shares as value; pays the
  pro-rata share of every reserve, floored.
- ``flash_swap(amounts_out, to, method, data) -> amounts_in``: Uniswap v2's flash swap
  (``UniswapV2Pair.swap`` with data). The pool sends ``amounts_out`` to the contract
  ``to`` first, calls ``to.method(initiator, amounts_out, data)``, and then requires
  its balances, net of the fee on whatever came back, to satisfy the invariant
  (``cfmm`` pool ``accepts``); otherwise it reverts and everything, the loan included,
  unwinds. The borrower repays with ``ctx.transfer(asset, pool, amount)`` inside its
  callback. Reentrant calls into the pool during the callback revert (v2's ``lock``).
- ``sync()`` and ``skim(to)``: as in v2, for tokens sent to the pool by a plain
  transfer: ``sync`` adds them to the reserves, ``skim`` pays them out.

**Batch settlement.** Under the ``batch`` ordering rule (a frequent batch auction,
Budish, Cramton & Shim 2015), the block's swaps on a pool are cleared by
:func:`accord.mechanisms.cfmm.uniform_clearing`: per token pair, the two directions are
netted, only the imbalance trades against the curve, and every order gets one price, as
in CoW Protocol's batches with coincidence of wants. Amounts are floored, the dust stays
with the pool. An order whose ``min_out`` the uniform price misses gets its input back
(result 0, a ``Refunded`` event) and the price is recomputed without it; a malformed
order is refunded the same way, so one bad order cannot fail the batch. Pairs of a
many-token pool clear one after the other, in token-index order.

**Events**: ``Swap``, ``Mint``, ``Burn``, ``Sync``, ``Refunded``, ``Batch``; events of a
batched swap carry its ``tx`` hash, so each receipt shows its own; the batch's ``Batch``
and ``Sync`` appear in every batched swap's receipt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

from accord.contracts.args import base_units
from accord.device import BatchCall, Context, Contract, Revert, UnknownAsset, Var, public
from accord.device.encoding import Canonical
from accord.mechanisms import cfmm
from accord.mechanisms.introot import ROOT_WORD_GAS, iroot, root_gas

CURVE_GAS = 200
"""Gas charged per evaluation of the curve (the math the storage schedule does not see)."""


def _address(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise Revert(f"{name} must be a non-empty address, got {value!r}")
    return value


class AMM(Contract):
    """Shared storage and entry points; a subclass supplies the curve (:meth:`curve`)."""

    symbols: Var[tuple[str, ...]] = Var(())
    reserve: Var[tuple[int, ...]] = Var(())
    fee_bps: Var[int] = Var(30)
    params: Var[tuple[int, ...]] = Var(())  # weights or prices, by kind
    lp_asset: Var[str] = Var("")
    lp_supply: Var[int] = Var(0)
    busy: Var[bool] = Var(False)

    # -- the curve -----------------------------------------------------------------------
    def curve(self, reserves: tuple[int, ...] | None = None) -> cfmm.Pool:
        """The pool's math at ``reserves`` (default: the current reserves)."""
        raise NotImplementedError

    def initial_shares(self, amounts: tuple[int, ...]) -> int:
        """Shares minted by the first deposit (before the locked minimum)."""
        raise NotImplementedError

    def initial_shares_gas(self, amounts: tuple[int, ...]) -> int:
        """Gas charged, before it runs, for :meth:`initial_shares` on ``amounts``."""
        return CURVE_GAS

    def _init(
        self, ctx: Context, tokens: tuple[str, ...], fee_bps: object, lp_symbol: object
    ) -> None:
        if len(set(tokens)) != len(tokens) or not all(isinstance(t, str) and t for t in tokens):
            raise Revert(f"tokens must be distinct asset symbols, got {tokens!r}")
        fee = base_units("fee_bps", fee_bps)
        if fee >= cfmm.BPS:
            raise Revert(f"fee_bps must be below {cfmm.BPS}, got {fee}")
        for t in tokens:
            try:
                ctx.transfer(t, ctx.this, 0)  # a zero move: checks the asset exists
            except UnknownAsset:
                raise Revert(f"token {t!r} does not exist") from None
        if not isinstance(lp_symbol, str):
            raise Revert(f"lp_symbol must be a string, got {lp_symbol!r}")
        lp = lp_symbol or f"LP-{'-'.join(tokens)}-{ctx.this[2:10]}"
        if lp in tokens:
            raise Revert(f"lp_symbol {lp!r} is one of the pool's tokens")
        self.symbols = tokens
        self.reserve = (0,) * len(tokens)
        self.fee_bps = fee
        self.lp_asset = lp
        try:
            ctx.create_asset(lp)
        except Exception as exc:
            raise Revert(f"cannot create LP asset {lp!r}: {exc}") from None

    # -- helpers -------------------------------------------------------------------------
    def _open(self) -> None:
        if self.busy:
            raise Revert("pool is locked: reentrant call during a flash swap")

    def _pair(self, asset_in: object, asset_out: object) -> tuple[int, int]:
        tokens = self.symbols
        if asset_in not in tokens:
            raise Revert(f"asset_in {asset_in!r} is not one of the pool's tokens {tokens}")
        i = tokens.index(asset_in)
        if asset_out == "":
            if len(tokens) != 2:
                raise Revert(f"asset_out is required in a pool of {len(tokens)} tokens")
            return i, 1 - i
        if asset_out not in tokens:
            raise Revert(f"asset_out {asset_out!r} is not one of the pool's tokens {tokens}")
        j = tokens.index(asset_out)
        if i == j:
            raise Revert(f"asset_in and asset_out are both {asset_in!r}")
        return i, j

    @staticmethod
    def _no_value(ctx: Context, method: str) -> None:
        if ctx.value:
            raise Revert(f"{method} takes no value, got {dict(ctx.value)}")

    def _live_curve(self) -> cfmm.Pool:
        if self.lp_supply == 0:
            raise Revert("the pool has no liquidity yet")
        return self.curve()

    def _set_reserves(self, ctx: Context, reserves: tuple[int, ...]) -> None:
        self.reserve = reserves
        ctx.emit("Sync", reserves=reserves)

    # -- swaps ---------------------------------------------------------------------------
    @public(batch=True)
    def swap(
        self,
        ctx: Context,
        asset_in: str,
        amount_in: int,
        min_out: int,
        to: str,
        asset_out: str = "",
    ) -> int:
        """Sell ``amount_in`` of ``asset_in`` (sent as value) for at least ``min_out``."""
        self._open()
        i, j = self._pair(asset_in, asset_out)
        amount = base_units("amount_in", amount_in, positive=True)
        floor = base_units("min_out", min_out)
        _address("to", to)
        if dict(ctx.value) != {asset_in: amount}:
            raise Revert(
                f"swap must send exactly amount_in={amount} {asset_in} as value, "
                f"got {dict(ctx.value)}"
            )
        curve = self._live_curve()
        ctx.use_gas(CURVE_GAS)
        out = curve.out_given_in(i, j, amount, ctx.use_gas)
        if out == 0:
            raise Revert(f"insufficient output amount: {amount} {asset_in} buys nothing")
        if out < floor:
            raise Revert(f"slippage: amount out {out} is below min_out {floor}")
        tokens = self.symbols
        ctx.transfer(tokens[j], to, out)
        ctx.emit(
            "Swap",
            sender=ctx.sender,
            to=to,
            asset_in=asset_in,
            amount_in=amount,
            asset_out=tokens[j],
            amount_out=out,
        )
        self._set_reserves(ctx, curve.after(i, j, amount, out).reserves)
        return out

    @public
    def quote(self, ctx: Context, asset_in: str, amount_in: int, asset_out: str = "") -> int:
        """What ``swap`` would pay now for ``amount_in`` (a view)."""
        self._no_value(ctx, "quote")
        i, j = self._pair(asset_in, asset_out)
        amount = base_units("amount_in", amount_in)
        ctx.use_gas(CURVE_GAS)
        return self._live_curve().out_given_in(i, j, amount, ctx.use_gas)

    @public
    def tokens(self, ctx: Context) -> tuple[str, ...]:
        """The pool's token symbols, in reserve order (a view)."""
        self._no_value(ctx, "tokens")
        return self.symbols

    @public
    def reserves(self, ctx: Context) -> tuple[int, ...]:
        """The reserves, in the order of ``tokens`` (a view)."""
        self._no_value(ctx, "reserves")
        return self.reserve

    @public
    def spot_price(self, ctx: Context, asset_in: str, asset_out: str = "") -> tuple[int, int]:
        """Marginal units of ``asset_out`` per unit of ``asset_in``, fee excluded, as an
        exact reduced ``(numerator, denominator)`` (a view)."""
        self._no_value(ctx, "spot_price")
        i, j = self._pair(asset_in, asset_out)
        price = self._live_curve().spot_price(i, j)
        return price.numerator, price.denominator

    # -- liquidity -----------------------------------------------------------------------
    @public
    def add_liquidity(self, ctx: Context, min_shares: int, to: str) -> int:
        """Deposit the tokens sent as value; mint LP shares to ``to``."""
        self._open()
        floor = base_units("min_shares", min_shares)
        _address("to", to)
        tokens = self.symbols
        extra = sorted(set(ctx.value) - set(tokens))
        if extra:
            raise Revert(f"add_liquidity takes only the pool's tokens {tokens}, got {extra}")
        amounts = tuple(ctx.value.get(t, 0) for t in tokens)
        supply = self.lp_supply
        reserves = self.reserve
        lp = self.lp_asset
        if supply == 0:
            if min(amounts) == 0:
                raise Revert(f"the first deposit must include every token {tokens}")
            ctx.use_gas(self.initial_shares_gas(amounts))  # before the work, bounded by it
            shares = self.initial_shares(amounts) - cfmm.MINIMUM_LIQUIDITY
            if shares <= 0:
                raise Revert(f"deposit {amounts} mints no liquidity (insufficient liquidity)")
            used = amounts
            ctx.mint(lp, ctx.this, cfmm.MINIMUM_LIQUIDITY)  # locked forever
            supply = cfmm.MINIMUM_LIQUIDITY
        else:
            try:
                shares, used = cfmm.proportional_join(amounts, reserves, supply)
            except ValueError as exc:
                raise Revert(str(exc)) from None
        if shares < floor:
            raise Revert(f"slippage: {shares} shares is below min_shares {floor}")
        for t, a, u in zip(tokens, amounts, used, strict=True):
            if a > u:
                ctx.transfer(t, ctx.sender, a - u)
        ctx.mint(lp, to, shares)
        self.lp_supply = supply + shares
        ctx.emit("Mint", sender=ctx.sender, to=to, amounts=used, shares=shares)
        self._set_reserves(ctx, tuple(r + u for r, u in zip(reserves, used, strict=True)))
        return shares

    @public
    def remove_liquidity(
        self, ctx: Context, min_amounts: tuple[int, ...], to: str
    ) -> tuple[int, ...]:
        """Burn the LP shares sent as value; pay the pro-rata reserves to ``to``."""
        self._open()
        _address("to", to)
        tokens = self.symbols
        lp = self.lp_asset
        shares = ctx.value.get(lp, 0)
        if shares <= 0 or len(ctx.value) != 1:
            raise Revert(f"remove_liquidity must send only {lp} shares as value")
        if not isinstance(min_amounts, tuple) or len(min_amounts) != len(tokens):
            raise Revert(f"min_amounts must hold one minimum per token {tokens}")
        floors = [base_units(f"min_amounts[{k}]", m) for k, m in enumerate(min_amounts)]
        supply = self.lp_supply
        reserves = self.reserve
        amounts = cfmm.proportional_exit(shares, reserves, supply)
        for t, a, m in zip(tokens, amounts, floors, strict=True):
            if a < m:
                raise Revert(f"slippage: {a} {t} is below its minimum {m}")
        ctx.burn(lp, shares)
        self.lp_supply = supply - shares
        for t, a in zip(tokens, amounts, strict=True):
            if a:
                ctx.transfer(t, to, a)
        ctx.emit("Burn", sender=ctx.sender, to=to, amounts=amounts, shares=shares)
        self._set_reserves(ctx, tuple(r - a for r, a in zip(reserves, amounts, strict=True)))
        return amounts

    # -- flash swap ----------------------------------------------------------------------
    @public
    def flash_swap(
        self, ctx: Context, amounts_out: tuple[int, ...], to: str, method: str, data: Any = None
    ) -> tuple[int, ...]:
        """Lend ``amounts_out`` to contract ``to``, call ``to.method(initiator,
        amounts_out, data)``, then require the invariant with fee on what came back."""
        self._open()
        self._no_value(ctx, "flash_swap")
        tokens = self.symbols
        n = len(tokens)
        if not isinstance(amounts_out, tuple) or len(amounts_out) != n:
            raise Revert(f"amounts_out must hold one amount per token {tokens}")
        outs = tuple(base_units(f"amounts_out[{k}]", a) for k, a in enumerate(amounts_out))
        if not any(outs):
            raise Revert("flash_swap must borrow something: amounts_out are all zero")
        if not isinstance(method, str) or not method:
            raise Revert("flash_swap needs the borrower's callback method")
        _address("to", to)
        curve = self._live_curve()
        reserves = self.reserve
        for k, (o, r) in enumerate(zip(outs, reserves, strict=True)):
            if o > r:
                raise Revert(f"amounts_out[{k}] = {o} exceeds the reserve {r} of {tokens[k]}")
        for t, o in zip(tokens, outs, strict=True):
            if o:
                ctx.transfer(t, to, o)
        self.busy = True
        ctx.call(to, method, ctx.sender, outs, data)
        self.busy = False
        balances = tuple(ctx.balance(ctx.this, t) for t in tokens)
        ins = tuple(max(b - (r - o), 0) for b, r, o in zip(balances, reserves, outs, strict=True))
        ctx.use_gas(CURVE_GAS)
        if not curve.accepts(ins, outs, ctx.use_gas):
            raise Revert(f"K: flash swap not repaid (in {ins}, out {outs}, fee included)")
        ctx.emit("Swap", sender=ctx.sender, to=to, amounts_in=ins, amounts_out=outs)
        self._set_reserves(ctx, balances)
        return ins

    # -- reserves and balances ------------------------------------------------------------
    @public
    def sync(self, ctx: Context) -> tuple[int, ...]:
        """Set the reserves to the pool's balances (v2 ``sync``): donations join them."""
        self._open()
        self._no_value(ctx, "sync")
        balances = tuple(ctx.balance(ctx.this, t) for t in self.symbols)
        self._set_reserves(ctx, balances)
        return balances

    @public
    def skim(self, ctx: Context, to: str) -> tuple[int, ...]:
        """Pay out whatever the balances hold above the reserves (v2 ``skim``)."""
        self._open()
        self._no_value(ctx, "skim")
        _address("to", to)
        extra = tuple(
            ctx.balance(ctx.this, t) - r for t, r in zip(self.symbols, self.reserve, strict=True)
        )
        for t, e in zip(self.symbols, extra, strict=True):
            if e:
                ctx.transfer(t, to, e)
        return extra

    # -- batch settlement ------------------------------------------------------------------
    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        """Clear every swap of the block at one price per pair (module docstring)."""
        results: list[Canonical] = [0] * len(calls)
        tokens = self.symbols
        pairs: dict[tuple[int, int], list[tuple[int, bool, cfmm.Order, str]]] = {}
        for k, call in enumerate(calls):
            try:
                i, j, order, to = self._batch_order(call)
            except Revert as exc:
                self._refund(ctx, call, exc.reason)
                continue
            lo, hi = min(i, j), max(i, j)
            pairs.setdefault((lo, hi), []).append((k, i == lo, order, to))
        if not pairs:
            return results
        if self.lp_supply == 0:
            for call in calls:
                self._refund(ctx, call, "the pool has no liquidity yet")
            return [0] * len(calls)
        curve = self.curve()
        for (lo, hi), entries in sorted(pairs.items()):
            orders = tuple(e[2] for e in entries)  # charged per round, before each
            clearing = cfmm.uniform_clearing(curve, lo, hi, orders, ctx.use_gas)
            price = clearing.price
            price_pair = (price.numerator, price.denominator) if price is not None else None
            for (k, sells_lo, order, to), out, filled in zip(
                entries, clearing.outs, clearing.filled, strict=True
            ):
                call = calls[k]
                src, dst = (lo, hi) if sells_lo else (hi, lo)
                if not filled:
                    self._refund(ctx, call, f"min_out {order.min_out} not met at the batch price")
                    continue
                ctx.transfer(tokens[dst], to, out)
                results[k] = out
                ctx.emit(
                    "Swap",
                    tx=call.tx_hash,
                    price=price_pair,
                    sender=call.sender,
                    to=to,
                    asset_in=tokens[src],
                    amount_in=order.amount,
                    asset_out=tokens[dst],
                    amount_out=out,
                )
            ctx.emit(
                "Batch",
                pair=(tokens[lo], tokens[hi]),
                price=price_pair,
                orders=len(entries),
                filled=sum(clearing.filled),
                tendered=clearing.tendered,
                received=clearing.received,
            )
            curve = clearing.pool
        self._set_reserves(ctx, curve.reserves)
        return results

    def _batch_order(self, call: BatchCall) -> tuple[int, int, cfmm.Order, str]:
        if call.method != "swap":
            raise Revert(f"{call.method!r} does not settle in batch")
        if not 4 <= len(call.args) <= 5:
            raise Revert(f"swap takes 4 or 5 arguments, got {len(call.args)}")
        asset_in, amount_in, min_out, to = call.args[:4]
        asset_out = call.args[4] if len(call.args) == 5 else ""
        i, j = self._pair(asset_in, asset_out)
        amount = base_units("amount_in", amount_in, positive=True)
        floor = base_units("min_out", min_out)
        if dict(call.value) != {asset_in: amount}:
            raise Revert(f"swap must send exactly amount_in={amount} {asset_in!r} as value")
        return i, j, cfmm.Order(i < j, amount, floor), _address("to", to)

    @staticmethod
    def _refund(ctx: Context, call: BatchCall, reason: str) -> None:
        for asset, amount in sorted(call.value.items()):
            ctx.transfer(asset, call.sender, amount)
        ctx.emit("Refunded", tx=call.tx_hash, sender=call.sender, reason=reason)


class ProductAMM(AMM):
    """A Uniswap v2 pool: ``setup(token0, token1, fee_bps=30, lp_symbol="")``."""

    def setup(self, ctx: Context, *args: Any) -> None:
        if not 2 <= len(args) <= 4:
            raise Revert("ProductAMM takes (token0, token1, fee_bps=30, lp_symbol='')")
        token0, token1, *rest = args
        fee = rest[0] if rest else 30
        lp = rest[1] if len(rest) > 1 else ""
        self._init(ctx, (token0, token1), fee, lp)

    def curve(self, reserves: tuple[int, ...] | None = None) -> cfmm.ProductPool:
        return cfmm.ProductPool(reserves or self.reserve, self.fee_bps, self.symbols)

    def initial_shares(self, amounts: tuple[int, ...]) -> int:
        return math.isqrt(amounts[0] * amounts[1])


class WeightedAMM(AMM):
    """A Balancer pool: ``setup(tokens, weights, fee_bps=30, lp_symbol="")``.

    ``weights`` are positive ints, relative (``(80, 20)``). The first deposit mints the
    weighted geometric mean of the amounts, floored (Balancer's invariant ``V``).
    """

    def setup(self, ctx: Context, *args: Any) -> None:
        if not 2 <= len(args) <= 4:
            raise Revert("WeightedAMM takes (tokens, weights, fee_bps=30, lp_symbol='')")
        tokens, weights, *rest = args
        if not isinstance(tokens, tuple) or len(tokens) < 2:
            raise Revert(f"tokens must be a tuple of at least 2 symbols, got {tokens!r}")
        if not isinstance(weights, tuple) or len(weights) != len(tokens):
            raise Revert(f"weights must hold one positive int per token, got {weights!r}")
        self.params = tuple(
            base_units(f"weights[{k}]", w, positive=True) for k, w in enumerate(weights)
        )
        self._init(ctx, tokens, rest[0] if rest else 30, rest[1] if len(rest) > 1 else "")

    def curve(self, reserves: tuple[int, ...] | None = None) -> cfmm.WeightedPool:
        return cfmm.WeightedPool(reserves or self.reserve, self.params, self.fee_bps, self.symbols)

    def initial_shares_gas(self, amounts: tuple[int, ...]) -> int:
        """The exact path's work: the product ``∏ a^w`` (``Σw`` multiplications of words
        growing to its size) and its ``Σw``-th root by Newton's method from above
        (:func:`~accord.mechanisms.introot.root_gas`); the high-precision-log path is
        charged as one root of the same size."""
        reduced = _reduced(self.params)
        total = sum(reduced)
        bits = sum(w * max(a.bit_length(), 1) for w, a in zip(reduced, amounts, strict=True))
        words = -(-bits // 256)
        return CURVE_GAS + ROOT_WORD_GAS * total * words + root_gas((1 << bits) - 1, total)

    def initial_shares(self, amounts: tuple[int, ...]) -> int:
        reduced = _reduced(self.params)
        total = sum(reduced)
        if total <= cfmm.EXACT_WEIGHT_LIMIT:  # exact: the largest V with V^W ≤ ∏ a^w
            product = 1
            for w, a in zip(reduced, amounts, strict=True):
                product *= a**w
            return iroot(product, total)
        with localcontext() as dec:
            dec.prec = 80
            log = Decimal(0)
            for w, a in zip(reduced, amounts, strict=True):
                log += Decimal(w) * Decimal(a).ln()
            value = (log / total).exp()
            return max(int(value.to_integral_value(rounding=ROUND_FLOOR)) - 1, 0)


def _reduced(weights: tuple[int, ...]) -> list[int]:
    g = math.gcd(*weights)
    return [w // g for w in weights]


class ConstantSumAMM(AMM):
    """A constant-sum pool: ``setup(tokens, prices=(1, …), fee_bps=0, lp_symbol="")``.

    The first deposit mints ``Σ p_k·a_k`` shares.
    """

    def setup(self, ctx: Context, *args: Any) -> None:
        if not 1 <= len(args) <= 4:
            raise Revert("ConstantSumAMM takes (tokens, prices=(), fee_bps=0, lp_symbol='')")
        tokens, *rest = args
        if not isinstance(tokens, tuple) or len(tokens) < 2:
            raise Revert(f"tokens must be a tuple of at least 2 symbols, got {tokens!r}")
        prices = rest[0] if rest and rest[0] else (1,) * len(tokens)
        if not isinstance(prices, tuple) or len(prices) != len(tokens):
            raise Revert(f"prices must hold one positive int per token, got {prices!r}")
        self.params = tuple(
            base_units(f"prices[{k}]", p, positive=True) for k, p in enumerate(prices)
        )
        fee = rest[1] if len(rest) > 1 else 0
        self._init(ctx, tokens, fee, rest[2] if len(rest) > 2 else "")

    def curve(self, reserves: tuple[int, ...] | None = None) -> cfmm.ConstantSumPool:
        return cfmm.ConstantSumPool(
            reserves or self.reserve, self.fee_bps, self.params, self.symbols
        )

    def initial_shares(self, amounts: tuple[int, ...]) -> int:
        return sum(p * a for p, a in zip(self.params, amounts, strict=True))


def pool_state(storage: Mapping[str, Any], kind: type[AMM] = ProductAMM) -> cfmm.Pool:
    """The ``cfmm`` pool a deployed contract's ``storage()`` describes (off-device quotes).

    ``pool_state(device.contract_at(address).storage(), ProductAMM).out_given_in(0, 1, x)``
    is what ``swap`` would pay, without a transaction or gas.
    """
    reserves = storage.get("reserve", ())
    fee = storage.get("fee_bps", 30)
    tokens = storage.get("symbols", ())
    params = storage.get("params", ())
    if kind is WeightedAMM:
        return cfmm.WeightedPool(reserves, params, fee, tokens)
    if kind is ConstantSumAMM:
        return cfmm.ConstantSumPool(reserves, fee, params, tokens)
    return cfmm.ProductPool(reserves, fee, tokens)
