"""A best-path router over a set of AMM pools: the on-device "route it for me" call.

``swap_best(asset_in, amount_in, asset_out, min_out, to)`` tries every simple path of at
most ``max_hops`` pools from ``asset_in`` to ``asset_out`` through the pools it was set
up with, quotes each hop exactly with the pools' own ``quote`` (so rounding is the
pools', Uniswap v2's for product pools), and executes the path that pays the most,
hop by hop, in one transaction: it either delivers at least ``min_out`` or reverts
whole. Ties go to the path listed first (pools in setup order, then shorter paths).

This is single-path routing by exhaustive search, exact and cheap for the handful of
pools a commitment names. Splitting one order across paths optimally is the convex
problem of Angeris et al. (2022), solved off-device in :mod:`accord.mechanisms.routing`.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.args import address, base_units
from accord.device import Context, Contract, Revert, Var, public

QUOTE_GAS = 2_000
"""Gas per hop quoted while searching, on top of the nested calls' own gas."""
SEARCH_GAS = 100
"""Gas per pool examined while enumerating paths (EIP-2929's warm read, 100): the search
is charged as it goes, so a router with many pools or a large ``max_hops`` runs out of
gas instead of enumerating for free before its first quote."""


class Router(Contract):
    """``setup(*pools, max_hops=3)``: route through these pool contracts."""

    pools: Var[tuple[tuple[str, tuple[str, ...]], ...]] = Var(())
    max_hops: Var[int] = Var(3)

    def setup(self, ctx: Context, *args: Any) -> None:
        pools = list(args)
        if pools and type(pools[-1]) is int:
            self.max_hops = pools.pop()
        if not pools or not all(isinstance(p, str) for p in pools):
            raise Revert("Router takes pool addresses (and an optional max_hops int)")
        if self.max_hops < 1:
            raise Revert(f"max_hops must be >= 1, got {self.max_hops}")
        self.pools = tuple((p, tuple(ctx.call(p, "tokens"))) for p in pools)

    def _paths(
        self, ctx: Context, asset_in: str, asset_out: str
    ) -> list[list[tuple[str, str, str]]]:
        """Every simple path as hops ``(pool, asset_in, asset_out)``, in search order."""
        out: list[list[tuple[str, str, str]]] = []

        def extend(path: list[tuple[str, str, str]], at: str, seen: set[str]) -> None:
            if len(path) == self.max_hops:
                return
            pools = self.pools
            ctx.use_gas(SEARCH_GAS * len(pools))
            for pool, tokens in pools:
                if at not in tokens or any(pool == hop[0] for hop in path):
                    continue
                for nxt in tokens:
                    if nxt == at or nxt in seen:
                        continue
                    hop = [*path, (pool, at, nxt)]
                    if nxt == asset_out:
                        out.append(hop)
                    else:
                        extend(hop, nxt, seen | {nxt})

        extend([], asset_in, {asset_in})
        return sorted(out, key=len)

    def _quote_path(self, ctx: Context, path: list[tuple[str, str, str]], amount: int) -> int:
        for pool, a, b in path:
            ctx.use_gas(QUOTE_GAS)
            try:
                amount = ctx.call(pool, "quote", a, amount, b)
            except Revert:
                return 0
            if amount <= 0:
                return 0
        return amount

    def _best(
        self, ctx: Context, asset_in: str, amount_in: int, asset_out: str
    ) -> tuple[int, list[tuple[str, str, str]]]:
        address("asset_in", asset_in)
        address("asset_out", asset_out)
        base_units("amount_in", amount_in, positive=True)
        if asset_in == asset_out:
            raise Revert("asset_in and asset_out are the same")
        best, best_path = 0, []
        for path in self._paths(ctx, asset_in, asset_out):
            out = self._quote_path(ctx, path, amount_in)
            if out > best:
                best, best_path = out, path
        if not best_path:
            raise Revert(f"no path from {asset_in} to {asset_out} pays anything")
        return best, best_path

    @public
    def quote_best(
        self, ctx: Context, asset_in: str, amount_in: int, asset_out: str
    ) -> tuple[int, tuple[str, ...]]:
        """``(amount_out, pools)`` of the best path now (a view)."""
        out, path = self._best(ctx, asset_in, amount_in, asset_out)
        return out, tuple(hop[0] for hop in path)

    @public
    def swap_best(
        self, ctx: Context, asset_in: str, amount_in: int, asset_out: str, min_out: int, to: str
    ) -> int:
        """Swap ``amount_in`` (sent as value) along the best path; pay ``to``."""
        base_units("min_out", min_out)
        if address("to", to) == ctx.this:  # what the router is paid it can never pay out
            raise Revert("to must not be the router itself: the output would be stuck there")
        if dict(ctx.value) != {asset_in: amount_in}:
            raise Revert(f"send exactly amount_in={amount_in} {asset_in} as value")
        _, path = self._best(ctx, asset_in, amount_in, asset_out)
        amount = amount_in
        for k, (pool, a, b) in enumerate(path):
            receiver = to if k == len(path) - 1 else ctx.this
            amount = ctx.call(pool, "swap", a, amount, 0, receiver, b, value={a: amount})
        if amount < min_out:
            raise Revert(f"slippage: best path pays {amount}, below min_out {min_out}")
        ctx.emit("Routed", pools=tuple(hop[0] for hop in path), amount_out=amount)
        return amount
