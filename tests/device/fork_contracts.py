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


class InclusionProbe(Contract):
    """Stores, per transaction hash it was asked about, what ``ctx.included`` said
    (-1: ``None``)."""

    seen = Map(-2)

    @public
    def look(self, ctx: Context, tx_hash: bytes) -> int | None:
        found = ctx.included(tx_hash)
        self.seen[tx_hash] = -1 if found is None else found
        return found

    @public
    def seen_of(self, ctx: Context, tx_hash: bytes) -> int:
        return self.seen[tx_hash]
