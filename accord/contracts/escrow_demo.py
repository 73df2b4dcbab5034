"""An escrow that holds real ledger assets: ``ctx.lock`` on open, ``ctx.release`` on close.

A payer opens a deal by calling :meth:`Escrow.open`; the device locks the payer's funds
under the escrow contract (they stay the payer's, but only the escrow can move them).
The payer then either :meth:`Escrow.pay` s them to the payee, or the payee
:meth:`Escrow.refund` s them to the payer. Either way the lock is released exactly once:
conservation holds at every block, which :func:`accord.device.checks.conservation`
verifies.
"""

from __future__ import annotations

from accord.device import Context, Contract, Map, Revert, Var, public


class Escrow(Contract):
    """Deals ``id -> (payer, payee, asset, amount)``; absent (``None``) once closed."""

    next_id: Var[int] = Var(0)
    deals: Map[tuple[str, str, str, int] | None] = Map(None)

    @public
    def open(self, ctx: Context, payee: str, asset: str, amount: int) -> int:
        """Lock ``amount`` of the caller's ``asset`` for ``payee``; returns the deal id."""
        if type(payee) is not str or not payee or payee == ctx.sender:
            raise Revert(f"payee must be an address other than the payer, got {payee!r}")
        if type(asset) is not str or not asset:
            raise Revert(f"asset must be a non-empty symbol, got {asset!r}")
        if type(amount) is not int or amount <= 0:
            raise Revert(f"amount must be a positive int, got {amount!r}")
        ctx.lock(asset, amount)  # raises (a revert) if the caller cannot cover it
        deal = self.next_id
        self.next_id = deal + 1
        self.deals[deal] = (ctx.sender, payee, asset, amount)
        ctx.emit("Opened", deal=deal, payer=ctx.sender, payee=payee, amount=amount)
        return deal

    def _close(self, deal: int) -> tuple[str, str, str, int]:
        if type(deal) is not int:
            raise Revert(f"deal id must be an int, got {deal!r}")
        terms = self.deals[deal]
        if terms is None:
            raise Revert(f"no open deal {deal}")
        self.deals[deal] = None
        return terms

    @public
    def pay(self, ctx: Context, deal: int) -> None:
        """The payer releases the locked funds to the payee."""
        payer, payee, asset, amount = self._close(deal)
        if ctx.sender != payer:
            raise Revert(f"only the payer {payer} may pay deal {deal}")
        ctx.release(payer, asset, amount, payee)
        ctx.emit("Paid", deal=deal)

    @public
    def refund(self, ctx: Context, deal: int) -> None:
        """The payee declines: the locked funds return to the payer."""
        payer, payee, asset, amount = self._close(deal)
        if ctx.sender != payee:
            raise Revert(f"only the payee {payee} may refund deal {deal}")
        ctx.unlock(payer, asset, amount)
        ctx.emit("Refunded", deal=deal)
