"""A flash-swap borrower for :mod:`accord.contracts.amm`, for tests, docs and agents.

Uniswap v2 calls ``uniswapV2Call(sender, amount0, amount1, data)`` on the borrower; an
:class:`~accord.contracts.amm.AMM` pool calls ``to.method(initiator, amounts_out,
data)``. This borrower's ``on_flash`` reads ``data`` as ``(mode, repay)``:

- ``("repay", (a0, a1, ...))``: pay ``a_k`` of the pool's token ``k`` back to the pool
  from the borrower's own balance (fund it first with a plain transfer);
- ``("reenter", (asset, amount))``: try to swap on the same pool inside the callback,
  which the pool refuses (its reentrancy lock);
- ``("keep", ())``: repay nothing, so the pool must revert the whole flash swap.
"""

from __future__ import annotations

from typing import Any

from accord.device import Context, Contract, Revert, Var, public


class FlashBorrower(Contract):
    """Repays, keeps or reenters, as its ``data`` says; remembers the last loan."""

    last_loan: Var[tuple[int, ...]] = Var(())
    last_initiator: Var[str] = Var("")

    @public
    def on_flash(
        self, ctx: Context, initiator: str, amounts_out: tuple[int, ...], data: Any
    ) -> None:
        if not isinstance(data, tuple) or len(data) != 2:
            raise Revert(f"data must be (mode, args), got {data!r}")
        mode, args = data
        self.last_loan = amounts_out
        self.last_initiator = initiator
        pool = ctx.sender
        tokens = ctx.call(pool, "tokens")
        if mode == "repay":
            for token, amount in zip(tokens, args, strict=True):
                if amount:
                    ctx.transfer(token, pool, amount)
        elif mode == "reenter":
            asset, amount = args
            ctx.call(pool, "swap", asset, amount, 0, ctx.this, value={asset: amount})
        elif mode != "keep":
            raise Revert(f"unknown mode {mode!r}")
