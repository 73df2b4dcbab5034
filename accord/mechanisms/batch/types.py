"""Frozen records for :mod:`accord.mechanisms.batch`: orders in, a settled batch out."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from accord.mechanisms.cfmm import Pool

__all__ = ["BatchResult", "Fill", "Order", "PoolTrade"]


def _check_int(order: str, name: str, value: object, minimum: int) -> None:
    if type(value) is not int:
        raise ValueError(f"order {order!r}: {name} must be an int in base units, got {value!r}")
    if value < minimum:
        raise ValueError(f"order {order!r}: {name} must be at least {minimum}, got {value}")


@dataclass(frozen=True, slots=True)
class Order:
    """A limit sell order: sell at most ``sell_amount`` of ``sell_token`` (base units) for at
    least ``min_buy_amount`` of ``buy_token`` in proportion.

    Fill-or-kill (``partial=False``) sells exactly ``sell_amount`` or nothing; a partially
    fillable order sells any ``sold ≤ sell_amount`` for ``bought`` with
    ``bought·sell_amount ≥ sold·min_buy_amount`` (CoW Protocol's limit check). Bad fields
    raise ``ValueError`` naming the order and the field.
    """

    id: str
    owner: str
    sell_token: str
    buy_token: str
    sell_amount: int
    min_buy_amount: int
    partial: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"order id must be a non-empty string, got {self.id!r}")
        if not isinstance(self.owner, str) or not self.owner:
            raise ValueError(f"order {self.id!r}: owner must be a non-empty string")
        for name in ("sell_token", "buy_token"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"order {self.id!r}: {name} must be a non-empty string")
        if self.sell_token == self.buy_token:
            raise ValueError(
                f"order {self.id!r}: sell_token and buy_token are both {self.buy_token!r}"
            )
        _check_int(self.id, "sell_amount", self.sell_amount, 1)
        _check_int(self.id, "min_buy_amount", self.min_buy_amount, 0)
        if not isinstance(self.partial, bool):
            raise ValueError(f"order {self.id!r}: partial must be a bool, got {self.partial!r}")

    @property
    def limit(self) -> Fraction:
        """The worst acceptable rate, ``min_buy_amount / sell_amount`` buy units per sell unit."""
        return Fraction(self.min_buy_amount, self.sell_amount)


@dataclass(frozen=True, slots=True)
class Fill:
    """What one order did: ``sold`` of its sell token for ``bought`` of its buy token.

    ``surplus`` is what it received beyond its limit for the part sold, in buy-token base
    units (``bought − sold·min_buy/sell``, exact); ``surplus_value`` that at the reference
    valuation.
    """

    order_id: str
    sold: int
    bought: int
    surplus: Fraction
    surplus_value: Fraction

    @property
    def filled(self) -> bool:
        return self.sold > 0


@dataclass(frozen=True, slots=True)
class PoolTrade:
    """One swap on a pool, in the pool's own token order: ``tendered`` went into the pool
    (one token), ``received`` came out (another). A batch's pool trades are listed in the
    order they run: each is exactly ``out_given_in`` on the pool as the earlier ones left
    it (so its ``accepts`` holds), and each spends only what the orders sold and earlier
    swaps delivered. A two-token pool trades at most once, in one direction, unless a
    cycle of pool trades must finance itself in slices."""

    pool: int
    tokens: tuple[str, ...]
    tendered: tuple[int, ...]
    received: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A settled batch.

    ``prices`` are the uniform clearing prices (exact, normalised so the first token is 1)
    and ``integer_prices`` the same vector scaled to the smallest integers (CoW's
    clearing-price vector). ``buy_prices`` are what buyers pay per token after price
    improvement (``buy_prices[t] ≤ prices[t]``, equal where the batch had nothing left
    over to give): an order of ``s`` for ``b`` trades at ``prices[s] / buy_prices[b]``, the
    same rate for every order in that direction (CoW's uniform directional prices).
    ``fills`` follow the input orders. ``dust`` is what the settlement keeps per token after
    rounding towards the protocol (never negative), so for every token
    ``Σ sold + Σ pool received = Σ bought + Σ pool tendered + dust``.
    ``surplus`` is the total ``surplus_value``. ``candidates`` is how many price vectors
    were tried; ``exact`` says the search provably contains the real optimum (two tokens,
    partially fillable orders, no pools), and then ``upper_bound`` is that optimum, a bound
    on any settlement's surplus, so ``upper_bound − surplus`` is the integer rounding's
    cost (``None`` when not exact).
    """

    tokens: tuple[str, ...]
    prices: dict[str, Fraction]
    buy_prices: dict[str, Fraction]
    integer_prices: dict[str, int]
    fills: tuple[Fill, ...]
    pool_trades: tuple[PoolTrade, ...]
    pools_after: tuple[Pool, ...]
    surplus: Fraction
    dust: dict[str, int]
    candidates: int
    exact: bool
    upper_bound: float | None = None

    def fill(self, order_id: str) -> Fill:
        """The fill of an order by id."""
        for f in self.fills:
            if f.order_id == order_id:
                return f
        raise ValueError(f"no order {order_id!r} in this batch")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (prices as strings of exact fractions)."""
        return {
            "prices": {t: str(p) for t, p in self.prices.items()},
            "buy_prices": {t: str(p) for t, p in self.buy_prices.items()},
            "fills": {f.order_id: {"sold": f.sold, "bought": f.bought} for f in self.fills},
            "pool_trades": [
                {
                    "pool": t.pool,
                    "tendered": dict(zip(t.tokens, t.tendered, strict=True)),
                    "received": dict(zip(t.tokens, t.received, strict=True)),
                }
                for t in self.pool_trades
            ],
            "surplus": str(self.surplus),
            "dust": {t: d for t, d in self.dust.items() if d},
        }
