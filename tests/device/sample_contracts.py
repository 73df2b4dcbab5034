"""Contracts used by the device tests.

They live in an importable module because a deploy transaction names its class as
``module:Class`` and replay re-imports it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from accord.device import BatchCall, Context, Contract, Map, Revert, Var, public
from accord.device.encoding import Canonical

STATE_HASH: list[Callable[[], bytes]] = []
"""What :meth:`Scratch.peek_then_put` calls (the test appends its device's ``state_hash``)."""


class Vault(Contract):
    """Internal balances moved by calls; a few methods that fail in different ways."""

    balances = Map(0)
    owner = Var("")
    deposits = Var(0)

    def setup(self, ctx: Context, *args: Any) -> None:
        self.owner = ctx.sender

    @public
    def deposit(self, ctx: Context, who: str, amount: int) -> None:
        self.balances[who] += amount

    @public
    def deposit_logged(self, ctx: Context, who: str, amount: int) -> None:
        self.balances[who] += amount
        ctx.emit("Deposit", who=who, amount=amount)

    @public
    def move(self, ctx: Context, a: str, b: str, amount: int) -> None:
        if self.balances[a] < amount:
            raise Revert("insufficient")
        self.balances[a] -= amount
        self.balances[b] += amount

    @public
    def deposit_then_revert(self, ctx: Context, who: str, amount: int) -> None:
        self.balances[who] += amount
        ctx.emit("Deposit", who=who, amount=amount)
        raise Revert("changed my mind")

    @public
    def boom(self, ctx: Context) -> None:
        self.balances["boom"] = 1
        _ = 1 // 0

    @public
    def store_float(self, ctx: Context, key: str) -> None:
        self.balances[key] = 1.5  # type: ignore[assignment]

    @public
    def set_undeclared(self, ctx: Context) -> None:
        self.total = 1

    @public
    def burn_gas(self, ctx: Context, amount: int) -> None:
        self.balances["hog"] = 1
        ctx.use_gas(amount)

    @public
    def pay_in(self, ctx: Context) -> int:
        """Credit the ETH sent with the call to the caller's internal balance."""
        amount = ctx.value.get("ETH", 0)
        self.balances[ctx.sender] += amount
        return amount

    @public
    def credit_me(self, ctx: Context, amount: int) -> tuple[str, int]:
        """Credit ``amount`` to the caller's internal balance; returns who was credited
        and the ETH the call carried (the call's context as the contract saw it)."""
        self.balances[ctx.sender] += amount
        return ctx.sender, ctx.value.get("ETH", 0)

    @public
    def pay_in_then_revert(self, ctx: Context) -> None:
        self.balances[ctx.sender] += ctx.value.get("ETH", 0)
        raise Revert("no thanks")

    @public
    def withdraw(self, ctx: Context, amount: int) -> None:
        if self.balances[ctx.sender] < amount:
            raise Revert("insufficient")
        self.balances[ctx.sender] -= amount
        ctx.transfer("ETH", ctx.sender, amount)

    def not_public(self, ctx: Context) -> None:
        self.deposits = 99


class Callee(Contract):
    """Target of nested calls."""

    slots = Map(0)
    last_sender = Var("")
    last_origin = Var("")

    @public
    def put(self, ctx: Context, key: str, value: int) -> int:
        self.slots[key] = value
        self.last_sender = ctx.sender
        self.last_origin = ctx.origin
        return value * 2

    @public
    def put_then_revert(self, ctx: Context, key: str, value: int) -> None:
        self.slots[key] = value
        ctx.emit("Put", key=key)
        raise Revert("callee says no")

    @public
    def hog(self, ctx: Context) -> None:
        self.slots["hog"] = 1
        ctx.use_gas(10**9)


class Caller(Contract):
    """Calls a :class:`Callee`, sometimes catching its revert."""

    marks = Var(0)
    caught = Var(0)
    result = Var(0)

    @public
    def forward(self, ctx: Context, callee: str, key: str, value: int) -> None:
        self.marks += 1
        self.result = ctx.call(callee, "put", key, value)

    @public
    def swallow(self, ctx: Context, callee: str, key: str) -> None:
        self.marks += 1
        try:
            ctx.call(callee, "put_then_revert", key, 5)
        except Revert:
            self.caught += 1

    @public
    def propagate(self, ctx: Context, callee: str, key: str) -> None:
        self.marks += 1
        ctx.call(callee, "put_then_revert", key, 5)

    @public
    def swallow_hog(self, ctx: Context, callee: str) -> None:
        with contextlib.suppress(Revert):
            ctx.call(callee, "hog")

    @public
    def call_private(self, ctx: Context, callee: str) -> None:
        ctx.call(callee, "settle_batch")


class Escrow(Contract):
    """Locks the caller's funds; the caller may refund them or pay them to someone."""

    held = Map(0)

    @public
    def deposit(self, ctx: Context, asset: str, amount: int) -> None:
        ctx.lock(asset, amount)
        self.held[(ctx.sender, asset)] += amount

    @public
    def refund(self, ctx: Context, asset: str, amount: int) -> None:
        if self.held[(ctx.sender, asset)] < amount:
            raise Revert("not held")
        self.held[(ctx.sender, asset)] -= amount
        ctx.unlock(ctx.sender, asset, amount)

    @public
    def pay(self, ctx: Context, asset: str, amount: int, to: str) -> None:
        if self.held[(ctx.sender, asset)] < amount:
            raise Revert("not held")
        self.held[(ctx.sender, asset)] -= amount
        ctx.release(ctx.sender, asset, amount, to)

    @public
    def steal(self, ctx: Context, owner: str, asset: str, amount: int) -> None:
        """Release a lock this contract does not hold (another escrow's): must fail."""
        ctx.release(owner, asset, amount, ctx.sender)


class Token(Contract):
    """Issues its own asset; only the deployer may mint."""

    symbol = Var("")
    owner = Var("")

    def setup(self, ctx: Context, *args: Any) -> None:
        (symbol,) = args
        self.symbol = symbol
        self.owner = ctx.sender
        ctx.create_asset(symbol)

    @public
    def mint(self, ctx: Context, to: str, amount: int) -> None:
        if ctx.sender != self.owner:
            raise Revert("only owner")
        ctx.mint(self.symbol, to, amount)

    @public
    def mint_other(self, ctx: Context, asset: str, to: str, amount: int) -> None:
        ctx.mint(asset, to, amount)

    @public
    def burn_own(self, ctx: Context, amount: int) -> None:
        ctx.burn(self.symbol, amount)


class CallMarket(Contract):
    """A uniform-price call market for one unit orders of TOK against USD.

    ``order("buy", limit)`` must send ``limit`` USD; ``order("sell", limit)`` one TOK.
    At settlement, buyers are ranked by limit (high first) and sellers by limit (low
    first), ties by sender name, never by position in the block. The ``k`` crossing
    pairs trade at one price, the ``k``-th seller's limit; buyers get the change back.
    """

    halted = Var(False)
    last_batch = Var(0)
    last_price = Var(0)
    trades = Var(0)

    @public(batch=True)
    def order(self, ctx: Context, side: str, limit: int) -> None:
        raise Revert("the call market settles only in batch")

    @public
    def halt(self, ctx: Context) -> None:
        self.halted = True

    def settle_batch(self, ctx: Context, calls: Sequence[BatchCall]) -> list[Canonical]:
        self.last_batch = len(calls)
        if self.halted:
            raise Revert("market halted")
        buys: list[tuple[int, str, int]] = []
        sells: list[tuple[int, str, int]] = []
        for i, call in enumerate(calls):
            side, limit = call.args
            assert isinstance(limit, int)
            if side == "buy":
                if call.value.get("USD", 0) != limit:
                    raise Revert("a buy must send its limit in USD")
                buys.append((-limit, call.sender, i))
            elif side == "sell":
                if call.value.get("TOK", 0) != 1:
                    raise Revert("a sell must send one TOK")
                sells.append((limit, call.sender, i))
            else:
                raise Revert(f"bad side {side!r}")
        buys.sort()
        sells.sort()
        k = 0
        while k < min(len(buys), len(sells)) and -buys[k][0] >= sells[k][0]:
            k += 1
        price = sells[k - 1][0] if k else 0
        results: list[Canonical] = [0] * len(calls)
        for rank, (neg_limit, sender, i) in enumerate(buys):
            if rank < k:
                ctx.transfer("TOK", sender, 1)
                if -neg_limit - price:
                    ctx.transfer("USD", sender, -neg_limit - price)
                results[i] = price
            else:
                ctx.transfer("USD", sender, -neg_limit)
        for rank, (_, sender, i) in enumerate(sells):
            if rank < k:
                if price:
                    ctx.transfer("USD", sender, price)
                results[i] = price
            else:
                ctx.transfer("TOK", sender, 1)
        self.last_price = price
        self.trades += k
        return results


class Tally(Contract):
    """A batchable counter settled by the default one-by-one ``settle_batch``."""

    count = Var(0)
    seen = Map(0)

    @public(batch=True)
    def bump(self, ctx: Context) -> int:
        self.count += 1
        self.seen[ctx.sender] += 1
        return self.count


class Scratch(Contract):
    """Stores arbitrary canonical keys and values (state-hash tests), optionally failing.

    ``setup`` writes a slot and reverts when its argument says so, to exercise a
    deployment that is rolled back after its storage was written.
    """

    slots = Map(0)
    note = Var(None)

    def setup(self, ctx: Context, *args: Any) -> None:
        self.note = "born"
        if args and args[0] == "fail":
            raise Revert("setup refused")

    @public
    def put(self, ctx: Context, key: Canonical, value: Canonical, fail: bool) -> None:
        self.slots[key] = value
        self.note = (key, value)
        if fail:
            raise Revert("put refused")

    @public
    def peek_then_put(self, ctx: Context, key: Canonical, value: Canonical) -> bytes:
        """Ask the device for its state hash in the middle of a call, then write (the
        test hands the device's ``state_hash`` in through :data:`STATE_HASH`: a contract
        holds no handle to the device)."""
        seen: bytes = STATE_HASH[-1]()
        self.slots[key] = value
        return seen

    @public
    def put_via(self, ctx: Context, other: str, key: Canonical, value: Canonical) -> None:
        """Write here, then in ``other`` through a nested call whose revert is swallowed."""
        self.slots[("via", key)] = value
        with contextlib.suppress(Revert):
            ctx.call(other, "put", key, value, True)


class Thief(Contract):
    """Tries to rewrite its context to lock someone else's funds (must revert)."""

    seen = Map(None)

    @public
    def steal_from(self, ctx: Context, victim: str, asset: str, amount: int) -> None:
        ctx.sender = victim  # type: ignore[misc]  # read-only: raises AttributeError
        ctx.lock(asset, amount)

    @public
    def note(self, ctx: Context, tag: str) -> None:
        """Record the facts this call saw."""
        self.seen[tag] = (ctx.sender, ctx.origin, ctx.this, ctx.block_number, ctx.timestamp)


class Notary(Contract):
    """Counts messages whose signature checks out, and reads asset facts (Context reads)."""

    accepted = Map(0)

    @public
    def attest(self, ctx: Context, signer: str, message: bytes, signature: bytes) -> bool:
        if not ctx.verify_signature(signer, message, signature):
            raise Revert(f"bad signature for {signer}")
        self.accepted[signer] += 1
        return True

    @public
    def asset_facts(self, ctx: Context, asset: str) -> tuple[bool, int]:
        return ctx.asset_exists(asset), ctx.supply(asset)
