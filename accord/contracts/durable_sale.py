"""DurableGoodsSale: a seller sells units of a durable good over periods, at posted or
committed prices (the Coase problem; math in :mod:`accord.mechanisms.coase`).

The seller (the deployer) stocks units of ``good`` (:meth:`stock`). The sale runs
``periods`` periods of ``period_blocks`` blocks each, from the block after deployment.

* **Committed** (``prices`` given at setup, one per period): the path is fixed on the
  device; :meth:`post` reverts. Buyers can read every future price.
* **Uncommitted** (``prices = ()``): the seller :meth:`post`\\ s each period's price in
  that period, once; nobody can know a future price, and the seller cannot bind one.

:meth:`buy` (one unit per buyer, ever) pays exactly the current period's price in
``asset``, straight to the seller, and hands one unit over. After the last period the
seller may :meth:`withdraw` the unsold units. Nothing is minted or burnt here.
"""

from __future__ import annotations

from typing import Any

from accord.contracts.args import address, base_units
from accord.device import Context, Contract, Map, Revert, Var, public

__all__ = ["DurableGoodsSale"]

MAX_PERIODS = 1_000


class DurableGoodsSale(Contract):
    """One durable-goods sale (module docstring)."""

    asset: Var[str] = Var("")
    good: Var[str] = Var("")
    seller: Var[str] = Var("")
    start: Var[int] = Var(0)
    periods: Var[int] = Var(0)
    period_blocks: Var[int] = Var(0)
    committed: Var[bool] = Var(False)
    stock_left: Var[int] = Var(0)
    sold: Var[int] = Var(0)
    prices: Map[int] = Map(0)
    """``period -> price`` (0: none posted)."""
    bought: Map[int] = Map(0)
    """``buyer -> the period it bought in`` (0: not yet)."""

    def setup(
        self,
        ctx: Context,
        asset: str,
        good: str,
        periods: int,
        period_blocks: int,
        prices: tuple[Any, ...] = (),
    ) -> None:
        """Sell ``good`` for ``asset`` over ``periods`` periods; ``prices`` commits the
        whole path (one positive int per period), ``()`` leaves it to :meth:`post`."""
        self.asset, self.good = address("asset", asset), address("good", good)
        if self.asset == self.good:
            raise Revert("asset and good must differ")
        base_units("periods", periods, positive=True)
        if periods > MAX_PERIODS:
            raise Revert(f"periods must be at most {MAX_PERIODS}, got {periods}")
        base_units("period_blocks", period_blocks, positive=True)
        if period_blocks > 10_000:
            raise Revert(f"period_blocks must be at most 10000, got {period_blocks}")
        if type(prices) is not tuple:
            raise Revert(f"prices must be a tuple of ints (or () to post), got {prices!r}")
        if prices and len(prices) != periods:
            raise Revert(f"prices must give one price per period ({periods}), got {len(prices)}")
        for t, p in enumerate(prices, start=1):
            self.prices[t] = base_units(f"prices[{t - 1}]", p, positive=True)
        self.committed = bool(prices)
        self.periods, self.period_blocks = periods, period_blocks
        self.start = ctx.block_number + 1
        self.seller = ctx.sender

    def _period(self, ctx: Context) -> int:
        """The current period (1-based), 0 before the sale, ``periods + 1`` after it."""
        now = ctx.block_number
        if now < self.start:
            return 0
        return min(self.periods + 1, (now - self.start) // self.period_blocks + 1)

    def _no_value(self, ctx: Context, method: str) -> None:
        if ctx.value:
            raise Revert(f"{method} takes no value")

    @public
    def stock(self, ctx: Context) -> int:
        """The seller deposits units of the good (sent as value); returns the stock."""
        if ctx.sender != self.seller:
            raise Revert("only the seller stocks the sale")
        sent = dict(ctx.value)
        if set(sent) != {self.good}:
            raise Revert(f"stock takes units of {self.good} only, got {sent}")
        if self._period(ctx) > self.periods:
            raise Revert("the sale is over")
        self.stock_left = self.stock_left + sent[self.good]
        return self.stock_left

    @public
    def post(self, ctx: Context, price: int) -> None:
        """The uncommitted seller posts this period's price, once."""
        self._no_value(ctx, "post")
        if ctx.sender != self.seller:
            raise Revert("only the seller posts prices")
        if self.committed:
            raise Revert("the price path is committed: no price can be posted")
        t = self._period(ctx)
        if not 1 <= t <= self.periods:
            raise Revert(f"no period is open at block {ctx.block_number}")
        base_units("price", price, positive=True)
        if self.prices[t]:
            raise Revert(f"period {t}'s price is already posted")
        self.prices[t] = price
        ctx.emit("Posted", period=t, price=price)

    @public
    def buy(self, ctx: Context) -> int:
        """Buy one unit at the current price (sent as value, exactly); returns the price."""
        t = self._period(ctx)
        if not 1 <= t <= self.periods:
            raise Revert(f"no period is open at block {ctx.block_number}")
        price = self.prices[t]
        if not price:
            raise Revert(f"period {t} has no price yet")
        who = ctx.sender
        if who == self.seller:
            raise Revert("the seller cannot buy")
        if self.bought[who]:
            raise Revert(f"{who} already bought in period {self.bought[who]}")
        if self.stock_left <= 0:
            raise Revert("sold out")
        if dict(ctx.value) != {self.asset: price}:
            raise Revert(f"buy takes exactly {price} {self.asset}, got {dict(ctx.value)}")
        self.bought[who] = t
        self.stock_left = self.stock_left - 1
        self.sold = self.sold + 1
        ctx.transfer(self.asset, self.seller, price)
        ctx.transfer(self.good, who, 1)
        ctx.emit("Sold", buyer=who, period=t, price=price)
        return price

    @public
    def withdraw(self, ctx: Context) -> int:
        """After the last period the seller takes back the unsold units."""
        self._no_value(ctx, "withdraw")
        if ctx.sender != self.seller:
            raise Revert("only the seller withdraws")
        if self._period(ctx) <= self.periods:
            raise Revert("the sale is still running")
        left = self.stock_left
        if left:
            self.stock_left = 0
            ctx.transfer(self.good, self.seller, left)
        return left

    # -- views ---------------------------------------------------------------------------
    @public
    def quote(self, ctx: Context) -> tuple[int, int]:
        """``(period, price)`` now (price 0: none posted, or no period open)."""
        t = self._period(ctx)
        return (t, self.prices[t] if 1 <= t <= self.periods else 0)

    @public
    def path(self, ctx: Context) -> tuple[int, ...]:
        """Every period's price as stored (0 where none is posted yet)."""
        return tuple(self.prices[t] for t in range(1, self.periods + 1))
