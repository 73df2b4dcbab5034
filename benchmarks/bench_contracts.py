"""Device contracts used by the benchmarks.

They live in an importable module (``benchmarks.bench_contracts``) because a deploying
transaction names its class as ``"module:Class"`` and the device imports it, as a replay
of the event log would.

* :class:`Escrow` — the throughput workload: ``move(a, b, amount)`` checks and moves an
  internal balance. ``benchmarks/escrow.vy`` is the same contract in Vyper.
* :class:`LockBox` — escrow of real ledger assets for the soak test: callers lock funds
  under the contract, then unlock them or release them to someone else.
"""

from __future__ import annotations

from accord.device import Context, Contract, Map, Revert, Var, public


class Escrow(Contract):
    """Internal balances that anyone may move if the source can cover the amount."""

    balances = Map(0)

    @public
    def deposit(self, ctx: Context, who: str, amount: int) -> None:
        self.balances[who] += amount

    @public
    def move(self, ctx: Context, a: str, b: str, amount: int) -> None:
        # Vyper: assert self.balances[a] >= amount
        if self.balances[a] < amount:
            raise Revert("insufficient")
        self.balances[a] -= amount
        self.balances[b] += amount

    @public
    def balance_of(self, ctx: Context, who: str) -> int:
        """``who``'s balance (Vyper's ``balances(who)`` getter), read by bench_node."""
        held: int = self.balances[who]
        return held


class LockBox(Contract):
    """Escrow of ledger assets: ``held[(owner, asset)]`` mirrors the ledger's locks.

    * ``lock(asset, amount)`` locks the caller's free funds under the contract;
    * ``unlock(asset, amount)`` gives the caller's locked funds back;
    * ``release(asset, amount, to)`` pays the caller's locked funds to ``to``;
    * ``fail(reason)`` always reverts; ``spin(gas)`` burns gas (to run out of it).
    """

    held = Map(0)
    operations = Var(0)

    def _take(self, ctx: Context, asset: str, amount: int) -> None:
        key = (ctx.sender, asset)
        have = self.held[key]
        if have < amount:
            raise Revert(f"{ctx.sender} has {have} {asset} locked, not {amount}")
        self.held[key] = have - amount

    @public
    def lock(self, ctx: Context, asset: str, amount: int) -> None:
        ctx.lock(asset, amount)
        self.held[(ctx.sender, asset)] += amount
        self.operations += 1

    @public
    def unlock(self, ctx: Context, asset: str, amount: int) -> None:
        self._take(ctx, asset, amount)
        ctx.unlock(ctx.sender, asset, amount)
        self.operations += 1

    @public
    def release(self, ctx: Context, asset: str, amount: int, to: str) -> None:
        self._take(ctx, asset, amount)
        ctx.release(ctx.sender, asset, amount, to)
        self.operations += 1

    @public
    def fail(self, ctx: Context, reason: str) -> None:
        self.operations += 1
        raise Revert(reason)

    @public
    def spin(self, ctx: Context, gas: int) -> None:
        ctx.use_gas(gas)
