"""Exact verification of a CoW settlement that a solver submits: no solver on the device.

CoW Protocol settles a batch of orders by a *solver competition* (docs.cow.fi, "Solver
competition rules"): solvers, off chain and with any algorithm, propose settlements; the
settlement contract enforces the limit price of every order; a solution is valid only
if it respects uniform directional clearing prices and has a positive score; the best
score wins. :class:`accord.contracts.cow.CowSettlement` is that contract on the device,
and this module is its check, as a pure function of exact integers, so that the same
bytes give the same verdict on any installation (no float, no solver, no library whose
result depends on the build).

**A solution** is a canonical tuple ``(prices, trades, interactions)``:

* ``prices``: ``((token, price, buy_price), ...)``, tokens strictly increasing, each an
  int in ``[1, MAX_PRICE)`` with ``buy_price ≤ price``: one integer price vector in which,
  as in ``GPv2Settlement.settle`` (where a token may be listed twice), a token has the
  price its sellers get and the price its buyers pay. Every order selling ``s`` for ``b``
  then trades at the same rate ``price_s / buy_price_b``: CoW's *uniform directional
  clearing prices* (the rules above; Walther, "Multi-token Batch Auctions with Uniform
  Clearing Prices", Gnosis 2018, for the uniform price). A buy price below the price
  gives the token's buyers what the pools paid beyond the clearing prices (price
  improvement); equal prices are the plain uniform clearing price;
* ``trades``: ``((order_id, sold, bought), ...)``, order ids strictly increasing (so no
  order twice), each an order of the batch being settled;
* ``interactions``: ``((pool, asset_in, amount_in, asset_out, min_out), ...)``: swaps
  the contract runs itself, in this order, on registered pools (each pool at most once).

**The checks**, each failing with the field and the reason (:class:`InvalidSolution`):

1. *Shape and types*: ints are ``int`` (not ``bool``), within their ranges; sizes are
   bounded (:data:`MAX_ORDERS`, :data:`MAX_PRICES`, :data:`MAX_INTERACTIONS`).
2. *Orders*: every traded id is an order of this batch; ``1 ≤ sold ≤ sell_amount``, and
   ``sold = sell_amount`` for a fill-or-kill order (all or nothing).
3. *Uniform directional prices, rounded towards the protocol*:
   ``bought = ⌊sold·price_sell / buy_price_buy⌋`` exactly (GPv2's executed buy amount of
   a sell order, rounded down).
4. *Limit price* (CoW's on-chain rule): ``bought·sell_amount ≥ sold·min_buy``.
5. *Interactions*: each pool is registered, trades its own pair, and quotes at least
   ``min_out`` for ``amount_in`` *now* (the caller's ``quote``): a solution cannot win
   with output a pool would not pay. At execution each swap runs with ``min_out``.
6. *Conservation*, per token: ``Σ sold + Σ min_out ≥ Σ bought + Σ amount_in``: what the
   orders sell and the pools deliver covers what the orders buy and the pools take.
7. *Score*: the users' surplus ``Σ v_buy·(bought − sold·min_buy/sell_amount)`` at the
   batch's reference valuation ``v`` (the pools' spot prices when the batch's first
   solution arrived), an exact :class:`~fractions.Fraction`; it must be positive (CoW's
   validity rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

__all__ = [
    "MAX_AMOUNT",
    "MAX_INTERACTIONS",
    "MAX_ORDERS",
    "MAX_PRICE",
    "MAX_PRICES",
    "BookOrder",
    "InvalidSolution",
    "Verified",
    "items",
    "verify",
]

MAX_ORDERS = 64
"""Orders one batch holds (an order beyond it reverts): bounds every loop over a batch."""

MAX_PRICES = 64
"""Tokens one solution may price."""

MAX_INTERACTIONS = 16
"""Pool swaps one solution may ask for."""

MAX_AMOUNT = 2**128
"""Amounts are below this (base units): big enough for any supply, small enough that the
products the checks form stay a few hundred bits."""

MAX_PRICE = 2**512
"""Clearing prices are below this (an exact ratio of two amounts needs ~2 × 128 bits;
common denominators of a few of them more)."""


class BookOrder(NamedTuple):
    """An escrowed order as the contract stores it."""

    batch: int
    owner: str
    receiver: str
    sell_token: str
    sell_amount: int
    buy_token: str
    min_buy: int
    partial: bool


class InvalidSolution(ValueError):
    """A solution fails a check: ``field`` names where (``trades[2].bought``), the message
    why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"solution.{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Verified:
    """A solution that passed every check: its parts, typed, and its exact score."""

    prices: dict[str, tuple[int, int]]
    trades: tuple[tuple[int, int, int], ...]
    interactions: tuple[tuple[str, str, int, str, int], ...]
    score: Fraction


Quote = Callable[[str, str, int, str], int]
"""``quote(pool, asset_in, amount_in, asset_out)``: what the pool pays now."""


def _int(field: str, value: object, low: int, high: int) -> int:
    if type(value) is not int:
        raise InvalidSolution(field, f"must be an int, got {type(value).__name__} {value!r:.60}")
    if not low <= value < high:
        shown = str(value) if value.bit_length() < 80 else f"an int of {value.bit_length()} bits"
        bound = str(high) if high.bit_length() < 80 else f"2**{high.bit_length() - 1}"
        raise InvalidSolution(field, f"must be in [{low}, {bound}), got {shown}")
    return value


def _str(field: str, value: object) -> str:
    if type(value) is not str or not value:
        raise InvalidSolution(field, f"must be a non-empty str, got {value!r:.60}")
    return value


def _tuple(
    field: str, value: object, length: int | None = None, cap: int = 0
) -> tuple[object, ...]:
    if type(value) is not tuple:
        raise InvalidSolution(field, f"must be a tuple, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise InvalidSolution(field, f"must have {length} entries, got {len(value)}")
    if cap and len(value) > cap:
        raise InvalidSolution(field, f"has {len(value)} entries, at most {cap} allowed")
    return value


def items(solution: object) -> int:
    """How many entries the solution lists (prices + trades + interactions), after
    checking its outer shape: what the verification's gas is proportional to."""
    parts = _tuple("", solution, 3)
    caps = (MAX_PRICES, MAX_ORDERS, MAX_INTERACTIONS)
    names = ("prices", "trades", "interactions")
    return sum(len(_tuple(n, p, cap=c)) for n, p, c in zip(names, parts, caps, strict=True))


def _prices(raw: object) -> dict[str, tuple[int, int]]:
    prices: dict[str, tuple[int, int]] = {}
    last = ""
    for k, entry in enumerate(_tuple("prices", raw, cap=MAX_PRICES)):
        token, price, buy_price = _tuple(f"prices[{k}]", entry, 3)
        token = _str(f"prices[{k}].token", token)
        if token <= last:
            raise InvalidSolution(f"prices[{k}].token", f"{token!r} is not after {last!r}")
        price = _int(f"prices[{k}].price", price, 1, MAX_PRICE)
        buy_price = _int(f"prices[{k}].buy_price", buy_price, 1, price + 1)
        prices[token] = (price, buy_price)
        last = token
    return prices


def verify(
    batch: Mapping[int, BookOrder],
    solution: object,
    pools: Mapping[str, tuple[str, ...]],
    valuation: Mapping[str, Fraction],
    quote: Quote,
) -> Verified:
    """Check ``solution`` for the orders ``batch`` (id → order) against the registered
    ``pools`` (address → tokens) and return it typed with its score (module docstring).
    Raises :class:`InvalidSolution` at the first failed check."""
    items(solution)
    parts: tuple[object, ...] = solution  # type: ignore[assignment]  # checked by items
    raw_prices, raw_trades, raw_interactions = parts
    prices = _prices(raw_prices)
    flow: dict[str, int] = {}  # per token: what the batch has minus what it owes
    score = Fraction(0)
    trades: list[tuple[int, int, int]] = []
    last = -1
    for k, entry in enumerate(_tuple("trades", raw_trades, cap=MAX_ORDERS)):
        where = f"trades[{k}]"
        oid, sold, bought = _tuple(where, entry, 3)
        oid = _int(f"{where}.order", oid, 0, MAX_AMOUNT)
        if oid <= last:
            raise InvalidSolution(f"{where}.order", f"order {oid} is listed twice or out of order")
        last = oid
        order = batch.get(oid)
        if order is None:
            raise InvalidSolution(f"{where}.order", f"order {oid} is not in this batch")
        sold = _int(f"{where}.sold", sold, 1, order.sell_amount + 1)
        if not order.partial and sold != order.sell_amount:
            raise InvalidSolution(
                f"{where}.sold", f"order {oid} is fill-or-kill: sold must be {order.sell_amount}"
            )
        bought = _int(f"{where}.bought", bought, 0, MAX_AMOUNT)
        for token in (order.sell_token, order.buy_token):
            if token not in prices:
                raise InvalidSolution("prices", f"no price for {token!r} (order {oid})")
        uniform = sold * prices[order.sell_token][0] // prices[order.buy_token][1]
        if bought != uniform:
            raise InvalidSolution(
                f"{where}.bought",
                f"order {oid} must get floor(sold·price/buy_price) = {uniform}, got {bought}",
            )
        if bought * order.sell_amount < sold * order.min_buy:
            raise InvalidSolution(
                f"{where}.bought", f"order {oid}'s limit price is violated ({bought} for {sold})"
            )
        flow[order.sell_token] = flow.get(order.sell_token, 0) + sold
        flow[order.buy_token] = flow.get(order.buy_token, 0) - bought
        if order.buy_token not in valuation:
            raise InvalidSolution(f"{where}.order", f"no valuation of {order.buy_token!r}")
        gain = Fraction(bought * order.sell_amount - sold * order.min_buy, order.sell_amount)
        score += valuation[order.buy_token] * gain
        trades.append((oid, sold, bought))
    interactions: list[tuple[str, str, int, str, int]] = []
    used: set[str] = set()
    for k, entry in enumerate(_tuple("interactions", raw_interactions, cap=MAX_INTERACTIONS)):
        where = f"interactions[{k}]"
        pool, asset_in, amount_in, asset_out, min_out = _tuple(where, entry, 5)
        pool = _str(f"{where}.pool", pool)
        if pool not in pools:
            raise InvalidSolution(f"{where}.pool", f"{pool!r} is not a registered pool")
        if pool in used:
            raise InvalidSolution(f"{where}.pool", f"pool {pool!r} is used twice")
        used.add(pool)
        asset_in, asset_out = (
            _str(f"{where}.asset_in", asset_in),
            _str(f"{where}.asset_out", asset_out),
        )
        if asset_in == asset_out or {asset_in, asset_out} - set(pools[pool]):
            raise InvalidSolution(
                f"{where}",
                f"pool {pool!r} trades {pools[pool]}, not {asset_in!r} for {asset_out!r}",
            )
        amount_in = _int(f"{where}.amount_in", amount_in, 1, MAX_AMOUNT)
        min_out = _int(f"{where}.min_out", min_out, 0, MAX_AMOUNT)
        quoted = quote(pool, asset_in, amount_in, asset_out)
        if quoted < min_out:
            raise InvalidSolution(
                f"{where}.min_out", f"pool {pool!r} pays {quoted} now, less than {min_out}"
            )
        flow[asset_in] = flow.get(asset_in, 0) - amount_in
        flow[asset_out] = flow.get(asset_out, 0) + min_out
        interactions.append((pool, asset_in, amount_in, asset_out, min_out))
    for token in sorted(flow):
        if flow[token] < 0:
            raise InvalidSolution(
                "conservation", f"{token!r} is short by {-flow[token]} base units"
            )
    if score <= 0:
        raise InvalidSolution("trades", f"the score must be positive, got {score}")
    return Verified(prices, tuple(trades), tuple(interactions), score)
