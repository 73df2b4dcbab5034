"""An escrow-style book of balances: the smallest useful contract.

The vault keeps a ``Map`` of balances that it does not back with ledger assets: it is
bookkeeping, which makes it the simplest contract with which to show storage, reverts,
events, bundles and batch settlement. :mod:`accord.contracts.escrow_demo` shows a
contract that holds real ledger assets.

* ``deposit(who, amount)`` credits ``who``. It is marked ``@public(batch=True)``: under
  the ``batch`` ordering rule the block's deposits settle together through
  :meth:`~accord.device.Contract.settle_batch` (the default, one by one in canonical
  order, is exact for deposits because they commute).
* ``move(a, b, amount)`` moves ``amount`` from ``a`` to ``b``; it reverts, changing
  nothing, when ``a`` holds less than ``amount`` or when the caller is neither ``a`` nor
  the vault's owner.
"""

from __future__ import annotations

from accord.contracts.args import address, base_units
from accord.device import Context, Contract, Map, Revert, Var, public


class Vault(Contract):
    """Balances by name; the deploying account is the owner."""

    owner: Var[str] = Var("")
    total: Var[int] = Var(0)
    balances: Map[int] = Map(0)

    def setup(self, ctx: Context, *args: object) -> None:
        if args:
            raise Revert("Vault takes no constructor arguments")
        self.owner = ctx.sender

    @public(batch=True)
    def deposit(self, ctx: Context, who: str, amount: int) -> int:
        """Credit ``amount`` to ``who``; returns ``who``'s new balance."""
        address("who", who)
        base_units("deposit amount", amount, positive=True)
        balance = self.balances[who] + amount
        self.balances[who] = balance
        self.total = self.total + amount
        ctx.emit("Deposit", who=who, amount=amount)
        return balance

    @public
    def move(self, ctx: Context, a: str, b: str, amount: int) -> int:
        """Move ``amount`` from ``a`` to ``b``; returns ``a``'s remaining balance."""
        address("a", a)
        address("b", b)
        base_units("move amount", amount, positive=True)
        if ctx.sender != a and ctx.sender != self.owner:
            raise Revert(f"{ctx.sender} may not move {a}'s balance")
        have = self.balances[a]
        if have < amount:
            raise Revert(f"insufficient balance: {a} holds {have}, needs {amount}")
        self.balances[a] = have - amount
        self.balances[b] = self.balances[b] + amount
        ctx.emit("Move", source=a, to=b, amount=amount)
        return have - amount

    @public
    def balance_of(self, ctx: Context, who: str) -> int:
        """``who``'s balance (a read, metered like any call)."""
        return self.balances[who]
