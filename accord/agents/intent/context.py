"""What a sentence is compiled against: who says it, when, and which contracts exist.

A sentence such as "swap 500 A for D" names no account, block or pool; the commitment it
becomes must. :class:`IntentContext` supplies them: the owner (the person confirming),
the first block the commitment may fire in, how long it stays open, the pools by the
pair they trade, and the router for best-path swaps. Without explicit pools (the CLI's
default) every pair gets a placeholder address ``pool-<X>-<Y>`` (the pair sorted), which
the rendering shows, so nobody mistakes it for a deployed pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IntentContext:
    """``pools`` maps each pool's address to its tokens; ``None`` means placeholders."""

    owner: str = "me"
    block: int = 1
    patience: int = 10
    pools: Mapping[str, tuple[str, ...]] | None = None
    router: str | None = "router"
    label: str | None = None
    assets: tuple[str, ...] = field(default=())
    """Known asset symbols (empty: any symbol is accepted)."""

    def pool_for(self, a: str, b: str) -> str | None:
        """The first pool (in the mapping's order) that trades ``a`` and ``b``."""
        if self.pools is None:
            x, y = sorted((a, b))
            return f"pool-{x}-{y}"
        for address, tokens in self.pools.items():
            if a in tokens and b in tokens:
                return address
        return None

    def known_contracts(self) -> set[str] | None:
        """Addresses a commitment may call (``None``: anything, placeholders in use)."""
        if self.pools is None:
            return None
        known = set(self.pools)
        if self.router is not None:
            known.add(self.router)
        return known

    def expiry(self, within: int | None = None, by: int | None = None) -> int:
        if by is not None:
            return by
        return self.block + (self.patience if within is None else within)
