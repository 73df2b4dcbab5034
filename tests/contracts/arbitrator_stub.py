"""A test double of an ERC-792 arbitrator, for driving an ArbitrationClause's court phase.

It is not a court: a test decides its rulings (:meth:`StubArbitrator.give`), so the
clause's handling of every ruling (0, 1, 2, late, forged, for another dispute) can be
pinned exactly. It keeps the fees it is paid, as a court pays them to its jurors.
``reenter`` makes :meth:`create_dispute` call back into the arbitrable first (a hostile
court), to check the clause's re-entrancy guard. The real court is
:class:`accord.contracts.court.Court`.
"""

from __future__ import annotations

from typing import Any

from accord.device import Context, Contract, Map, Revert, Var, public


class StubArbitrator(Contract):
    asset: Var[str] = Var("")
    cost: Var[int] = Var(0)
    count: Var[int] = Var(0)
    reenter: Var[tuple[Any, ...]] = Var(())
    arbitrable: Map[str] = Map("")

    def setup(self, ctx: Context, asset: str, cost: int) -> None:
        self.asset = asset
        self.cost = cost

    @public
    def set_cost(self, ctx: Context, cost: int) -> None:
        self.cost = cost

    @public
    def arm(self, ctx: Context, plan: tuple[Any, ...]) -> None:
        """``(method, args)`` the next create_dispute calls on its caller first."""
        self.reenter = plan

    @public
    def arbitration_cost(self, ctx: Context) -> int:
        return self.cost

    @public
    def create_dispute(self, ctx: Context, choices: int) -> int:
        if dict(ctx.value) != ({self.asset: self.cost} if self.cost else {}):
            raise Revert(f"create_dispute must pay {self.cost}, paid {dict(ctx.value)}")
        dispute = self.count
        self.count = dispute + 1
        self.arbitrable[dispute] = ctx.sender
        if self.reenter:
            method, args = self.reenter
            ctx.call(ctx.sender, method, *args)
        return dispute

    @public
    def give(self, ctx: Context, dispute: int, ruling: int, back: int = 0) -> None:
        """Rule (the test decides): calls ``rule`` on the dispute's arbitrable, carrying
        ``back`` of the fee, as a court that drew no juror returns it."""
        value = {self.asset: back} if back else None
        ctx.call(self.arbitrable[dispute], "rule", dispute, ruling, value=value)

    @public
    def refund(self, ctx: Context, dispute: int) -> None:
        """Send the fee to the arbitrable outside any ruling (a stray transfer the
        arbitrable must not take for any dispute's returned fee)."""
        ctx.transfer(self.asset, self.arbitrable[dispute], self.cost)
