"""A claimant contract that re-enters ReorgBounty (test_reorg_bounty_hostile.py)."""

from __future__ import annotations

from accord.device import Context, Contract, Revert, Var, public


class GreedyClaimant(Contract):
    """Claims a bounty, then tries again in the same call (and refunds it, as if it
    were the sponsor); counts the claims that paid."""

    paid: Var[int] = Var(0)

    @public
    def grab(self, ctx: Context, bounty_contract: str, bounty: int) -> int:
        got = ctx.call(bounty_contract, "claim", bounty)
        self.paid = self.paid + got
        for method in ("claim", "refund"):
            try:
                again = ctx.call(bounty_contract, method, bounty)
            except Revert:
                continue
            self.paid = self.paid + again
        return self.paid
