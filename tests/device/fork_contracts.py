"""A contract that records what ``ctx.finalized`` says (``tests/device/test_forks.py``)."""

from __future__ import annotations

from accord.device import Context, Contract, Map, public


class FinalityProbe(Contract):
    """Stores, per block it was called in, the newest final block the call saw."""

    seen = Map(-1)

    @public
    def look(self, ctx: Context) -> int:
        self.seen[ctx.block_number] = ctx.finalized
        return ctx.finalized
