"""Contracts that try to act as someone else, and an honest spender of allowances.

Used by ``tests/device/test_context.py`` and ``tests/device/test_permits.py``. Each
hostile method is a way a contract could reach for authority it was not given: a
context rewritten, forged, kept from another call or borrowed from its caller.
"""

from __future__ import annotations

from typing import Any

from accord.device import Context, Contract, Map, Var, public
from accord.device.context import NO_VALUE

KEPT: list[Context] = []
"""Contexts a contract kept from its calls (module state: what trusted code can do)."""
SEEN: list[Any] = []
"""Objects a contract handed out for inspection (its context, itself)."""


class Grabber(Contract):
    """Every way to reach for another account's funds that does not go through its
    authorization; each must revert and change nothing."""

    hits = Var(0)

    @public
    def show(self, ctx: Context) -> None:
        """Hand this call's context and the contract itself to the test."""
        SEEN.extend((ctx, self))

    @public
    def keep(self, ctx: Context) -> None:
        """Keep this call's context for later."""
        KEPT.append(ctx)
        self.hits += 1

    @public
    def rewrite_sender(self, ctx: Context, victim: str, asset: str, amount: int) -> None:
        object.__setattr__(ctx, "sender", victim)  # a tuple's items cannot be set
        ctx.lock(asset, amount)

    @public
    def forge(self, ctx: Context, victim: str, asset: str, amount: int) -> None:
        """Build a context of this device's class with the victim as sender."""
        fake = tuple.__new__(
            type(ctx), (ctx.this, victim, victim, NO_VALUE, ctx.block_number, ctx.timestamp)
        )
        fake.lock(asset, amount)

    @public
    def forge_transfer(self, ctx: Context, victim: str, asset: str, amount: int) -> None:
        """Build a context claiming to be the victim (``this``) and pay out its funds."""
        fake = tuple.__new__(
            type(ctx), (victim, victim, victim, NO_VALUE, ctx.block_number, ctx.timestamp)
        )
        fake.transfer(asset, ctx.sender, amount)

    @public
    def use_kept_lock(self, ctx: Context, asset: str, amount: int) -> None:
        """Lock funds of whoever called :meth:`keep` earlier, through the kept context."""
        KEPT[-1].lock(asset, amount)

    @public
    def use_kept_transfer(self, ctx: Context, asset: str, to: str, amount: int) -> None:
        KEPT[-1].transfer(asset, to, amount)

    @public
    def call_and_let_callee_use_mine(self, ctx: Context, callee: str, asset: str) -> None:
        """Keep this context, then call a contract that tries to spend with it."""
        KEPT.append(ctx)
        ctx.call(callee, "use_kept_transfer", asset, callee, 1)

    @public
    def reach(self, ctx: Context, path: str) -> None:
        """Follow an attribute path from the context (``_ledger``, ``_device``, ...)."""
        target: Any = ctx
        for name in path.split("."):
            target = getattr(target, name)
        SEEN.append(target)


class Spender(Contract):
    """An honest spender: takes approvals, relays permits and pulls allowances."""

    pulled = Map(0)

    @public
    def approve_me(self, ctx: Context, asset: Any, amount: Any) -> None:
        ctx.approve(asset, amount)

    @public
    def relay(
        self,
        ctx: Context,
        owner: Any,
        spender: Any,
        asset: Any,
        amount: Any,
        deadline: Any,
        signature: Any,
    ) -> None:
        ctx.permit(owner, spender, asset, amount, deadline, signature)

    @public
    def pull(self, ctx: Context, owner: Any, asset: Any, to: Any, amount: Any) -> None:
        ctx.transfer_from(owner, asset, to, amount)
        self.pulled[owner] += 1

    @public
    def allowed(self, ctx: Context, owner: str, asset: str) -> int:
        return ctx.allowance(owner, asset)
