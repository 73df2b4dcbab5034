"""Pool files for ``accord route``: JSON in, a routing ``Network`` out.

The format (issue 4; ``decimals`` since issue 12; documented in ``docs/routing.md``)::

    {"tokens": ["A", "B", "C", "D"],
     "decimals": {"A": 18, "B": 6},
     "pools": [{"kind": "product", "tokens": ["A", "B"], "reserves": [4, 8000.5],
                "fee": 0.003},
               {"kind": "weighted", "tokens": ["A", "B", "C"], "reserves": [...],
                "weights": [0.5, 0.25, 0.25], "fee": 0.003},
               {"kind": "constant_sum", "tokens": ["C", "D"], "reserves": [...],
                "fee": 0.0001}]}

``tokens`` (optional) fixes the token order and forbids others. ``decimals`` (optional,
one int for every token or a map from token to int, 0 to 77) says how many decimals each
token has: a reserve written ``4`` for an 18-decimal token is ``4 × 10¹⁸`` base units. A
token without decimals is written in base units, as before issue 12. Every amount is
converted exactly (the JSON number's decimal text, never a float): a reserve with more
fractional digits than its token's decimals, or one that does not fit in 256 bits, is
refused, so the router and its integer execution see exact base units only.

``fee`` is the fraction the pool takes (``γ = 1 − fee``) and must be a whole number of
basis points (``0.003`` is 30); when absent it is the pool kind's default (30 bps for
product and weighted pools, 0 for constant-sum). ``weights`` belong to weighted pools
only and are positive numbers, relative to each other (``[0.4, 0.3, 0.2, 0.1]`` is the
pool ``[4, 3, 2, 1]``, reduced exactly). Constant-sum pools may give ``prices`` (positive
ints, each token's value in a common unit). Every problem is a :class:`PoolFileError`
naming the file and the field (``pools[2].fee``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StrictInt, ValidationError

from accord.mechanisms.cfmm import ConstantSumPool, Pool, ProductPool, WeightedPool
from accord.mechanisms.routing import Network

__all__ = [
    "MAX_DECIMALS",
    "PoolFile",
    "PoolFileError",
    "load_pool_file",
    "load_pools",
    "parse_pool_file",
    "parse_pools",
    "parse_prices",
    "parse_swap",
]

#: Base units fit in 256 bits (an ERC-20 balance), so 77 decimals leave room for 1 unit.
MAX_DECIMALS = 77
_LIMIT = 2**256
#: A number's significant digits and exponent are bounded before any exact arithmetic,
#: so ``1e-999999999`` costs nothing to refuse.
_DIGITS, _EXPONENT = 80, 80
_BPS = 10_000


def _number(value: object) -> int | Decimal:
    """A JSON number: an int, or a Decimal (JSON floats are parsed as their exact text)."""
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"must be a number, got {type(value).__name__} {value!r:.40}")


def _decimals_field(value: object) -> int | dict[str, int] | None:
    """``decimals``: one int for every token, or a map from token name to int."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, dict) and all(
        type(v) is int and isinstance(k, str) for k, v in value.items()
    ):
        return value
    raise ValueError("must be an int, or a map from token name to int")


Number = Annotated[int | Decimal, PlainValidator(_number)]
Decimals = Annotated[int | dict[str, int] | None, PlainValidator(_decimals_field)]


class PoolFileError(ValueError):
    """A pool file, price list or swap that cannot be routed; the message names why."""


class _PoolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["product", "weighted", "constant_sum"]
    tokens: list[str] = Field(min_length=2)
    reserves: list[Number]
    weights: list[Number] | None = None
    prices: list[StrictInt] | None = None
    fee: Number | None = None


class _PoolFileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    tokens: list[str] | None = None
    decimals: Decimals = None
    pools: list[_PoolSpec] = Field(min_length=1)


@dataclass(frozen=True)
class PoolFile:
    """A parsed pool file: its network (base units) and each token's decimals."""

    network: Network
    decimals: dict[str, int]  # every token of the network; 0 = written in base units

    def human(self, token: str, units: int) -> str:
        """``units`` base units of ``token`` in its human units, exactly (``4.5``)."""
        d = self.decimals.get(token, 0)
        if d == 0:
            return f"{units:,}"
        sign = "-" if units < 0 else ""
        whole, frac = divmod(abs(units), 10**d)
        digits = f"{frac:0{d}d}".rstrip("0")
        return f"{sign}{whole:,}" + (f".{digits}" if digits else "")


def load_pool_file(path: str | Path) -> PoolFile:
    """Read a pool file: its network and its tokens' decimals."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PoolFileError(f"{path}: no such pool file") from None
    except IsADirectoryError:
        raise PoolFileError(f"{path}: is a directory, not a pool file") from None
    except UnicodeDecodeError as exc:
        raise PoolFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise PoolFileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    return parse_pool_file(text, source=str(path))


def load_pools(path: str | Path) -> Network:
    """Read a pool file into a routing network (base units)."""
    return load_pool_file(path).network


def parse_pools(text: str, *, source: str = "<pools>") -> Network:
    """Parse a pool file's JSON text into a routing network (base units)."""
    return parse_pool_file(text, source=source).network


def _no_constant(name: str) -> object:
    raise PoolFileError(f"{name} is not a number a pool file may hold")


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")
#: A pool file nests 4 deep; deeper JSON is refused before the parser recurses into it
#: (a deep enough nesting exhausts the C stack under a raised recursion limit).
MAX_DEPTH = 16


def _too_deep(text: str) -> bool:
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def parse_pool_file(text: str, *, source: str = "<pools>") -> PoolFile:
    """Parse a pool file's JSON text: its network and its tokens' decimals."""
    if _too_deep(text):
        raise PoolFileError(f"{source}: malformed JSON: nested deeper than {MAX_DEPTH} levels")
    try:
        raw = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except PoolFileError as exc:
        raise PoolFileError(f"{source}: malformed JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PoolFileError(f"{source}: malformed JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:  # an int of more than 4,300 digits; nesting
        raise PoolFileError(f"{source}: malformed JSON: {str(exc)[:120]}") from None
    try:
        spec = _PoolFileSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        reason = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        reason = reason.removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PoolFileError(f"{source}: {loc.lstrip('.') or 'file'}: {reason}{more}") from None
    names = list(spec.tokens) if spec.tokens is not None else []
    for pool in spec.pools:
        names.extend(t for t in pool.tokens if t not in names)
    decimals = _decimals(source, spec.decimals, names)
    pools = [_pool(source, i, p, decimals) for i, p in enumerate(spec.pools)]
    try:
        network = Network.build(pools, tokens=spec.tokens)
    except ValueError as exc:
        raise PoolFileError(f"{source}: {exc}") from None
    return PoolFile(network, {t: decimals.get(t, 0) for t in network.tokens})


def _decimals(
    source: str, given: int | dict[str, int] | None, tokens: Sequence[str]
) -> dict[str, int]:
    if given is None:
        return {}
    table = dict.fromkeys(tokens, given) if isinstance(given, int) else dict(given)
    for token, d in table.items():
        where = "decimals" if isinstance(given, int) else f"decimals.{token}"
        if token not in tokens:
            raise PoolFileError(f"{source}: {where}: no pool trades token {token!r}")
        if not 0 <= d <= MAX_DECIMALS:
            raise PoolFileError(
                f"{source}: {where}: must be an int in [0, {MAX_DECIMALS}], got {d}"
            )
    return table


def exact(value: int | Decimal, where: str) -> Fraction:
    """A JSON number as an exact fraction; bounded first, so no input costs much."""
    if isinstance(value, int):
        if abs(value) >= _LIMIT:
            raise PoolFileError(f"{where}: {value} does not fit in 256 bits")
        return Fraction(value)
    if not value.is_finite():
        raise PoolFileError(f"{where}: {value} is not a finite number")
    digits, exponent = value.as_tuple().digits, int(value.as_tuple().exponent)
    if exponent > _EXPONENT:
        raise PoolFileError(f"{where}: {value} does not fit in 256 bits")
    if len(digits) > _DIGITS or exponent < -_EXPONENT:
        raise PoolFileError(f"{where}: {value} has more digits than any amount can hold")
    return Fraction(value)


def to_base_units(value: int | Decimal, decimals: int, where: str, token: str) -> int:
    """Human units to base units, exactly: ``value × 10^decimals``, or a refusal."""
    scaled = exact(value, where) * 10**decimals
    if scaled.denominator != 1:
        if decimals == 0:
            raise PoolFileError(
                f"{where}: {value} has a fraction, but {token} has no decimals: it is written "
                'in base units (give "decimals" to write human units)'
            )
        raise PoolFileError(f"{where}: {value} has more than {decimals} decimals ({token})")
    if abs(scaled.numerator) >= _LIMIT:
        raise PoolFileError(f"{where}: {value} {token} does not fit in 256 bits of base units")
    return int(scaled.numerator)


def _weights(values: Sequence[int | Decimal], where: str) -> tuple[int, ...]:
    """Relative weights as the smallest ints in the same ratio (``0.4, 0.3`` -> ``4, 3``)."""
    fractions = [exact(w, f"{where}[{k}]") for k, w in enumerate(values)]
    for k, f in enumerate(fractions):
        if f <= 0:
            raise PoolFileError(f"{where}[{k}]: must be positive, got {values[k]}")
    scale = math.lcm(*(f.denominator for f in fractions))
    ints = [int(f * scale) for f in fractions]
    g = math.gcd(*ints)
    return tuple(w // g for w in ints)


def _fee_bps(fee: int | Decimal, where: str) -> int:
    """A fee fraction as whole basis points, exactly (``0.003`` -> 30), or a refusal."""
    f = exact(fee, where)
    if not 0 <= f < 1:
        raise PoolFileError(f"{where}: fee must be a fraction in [0, 1), got {fee}")
    bps = f * _BPS
    if bps.denominator != 1:
        raise PoolFileError(f"{where}: fee {fee} is not a whole number of basis points")
    return int(bps.numerator)


def _pool(source: str, i: int, spec: _PoolSpec, decimals: dict[str, int]) -> Pool:
    where = f"{source}: pools[{i}]"
    if spec.weights is not None and spec.kind != "weighted":
        raise PoolFileError(f"{where}.weights: only weighted pools have weights")
    if spec.prices is not None and spec.kind != "constant_sum":
        raise PoolFileError(f"{where}.prices: only constant_sum pools have prices")
    if len(spec.reserves) != len(spec.tokens):
        raise PoolFileError(
            f"{where}.reserves: {len(spec.reserves)} reserves for {len(spec.tokens)} tokens"
        )
    fee_bps = None if spec.fee is None else _fee_bps(spec.fee, f"{where}.fee")
    tokens = tuple(spec.tokens)
    reserves = tuple(
        to_base_units(r, decimals.get(t, 0), f"{where}.reserves[{k}]", t)
        for k, (r, t) in enumerate(zip(spec.reserves, tokens, strict=True))
    )
    try:
        if spec.kind == "product":
            return ProductPool(reserves, 30 if fee_bps is None else fee_bps, tokens)
        if spec.kind == "weighted":
            if spec.weights is None:
                raise PoolFileError(f"{where}.weights: required for a weighted pool")
            weights = _weights(spec.weights, f"{where}.weights")
            return WeightedPool(reserves, weights, 30 if fee_bps is None else fee_bps, tokens)
        prices = tuple(spec.prices) if spec.prices is not None else ()
        return ConstantSumPool(reserves, 0 if fee_bps is None else fee_bps, prices, tokens)
    except PoolFileError:
        raise
    except ValueError as exc:
        raise PoolFileError(f"{where}: {exc}") from None


def parse_prices(
    text: str, network: Network, decimals: dict[str, int] | None = None
) -> dict[str, float]:
    """``"A=1.5,B=10"`` -> ``{"A": 1.5, "B": 10.0}``, every token one the pools trade.

    A price is per human unit of a token with ``decimals`` (per base unit otherwise);
    the result is per base unit, what the router takes."""
    prices: dict[str, float] = {}
    for part in text.split(","):
        token, sep, number = part.strip().partition("=")
        token = token.strip()
        if not sep or not token:
            raise PoolFileError(f"--prices: {part.strip()!r} is not TOKEN=PRICE")
        try:
            price = float(number)
        except ValueError:
            raise PoolFileError(
                f"--prices: {token}'s price {number.strip()!r} is not a number"
            ) from None
        if not math.isfinite(price) or price < 0:
            raise PoolFileError(f"--prices: {token}'s price must be finite and >= 0, got {price}")
        if token not in network.tokens:
            known = ", ".join(network.tokens)
            raise PoolFileError(f"--prices: unknown token {token!r} (the pools trade {known})")
        if token in prices:
            raise PoolFileError(f"--prices: {token} is priced twice")
        prices[token] = price / 10 ** (decimals or {}).get(token, 0)
    return prices


def parse_swap(
    text: str, network: Network, decimals: dict[str, int] | None = None
) -> tuple[str, int]:
    """``"A:100"`` -> ``("A", 100)``: tender up to 100 of A, in A's human units when the
    pool file gives A ``decimals`` (``A:1.5`` is then exact), in base units otherwise."""
    token, sep, amount = text.rpartition(":")
    token = token.strip()
    if not sep or not token:
        raise PoolFileError(f"--swap: {text!r} is not TOKEN:AMOUNT (e.g. A:100)")
    if token not in network.tokens:
        known = ", ".join(network.tokens)
        raise PoolFileError(f"--swap: unknown token {token!r} (the pools trade {known})")
    d = (decimals or {}).get(token, 0)
    try:
        value: int | Decimal = int(amount.strip()) if d == 0 else Decimal(amount.strip())
    except (ValueError, InvalidOperation):
        unit = "an int (base units)" if d == 0 else f"a number ({token} has {d} decimals)"
        raise PoolFileError(f"--swap: amount {amount.strip()!r} is not {unit}") from None
    units = to_base_units(value, d, "--swap", token)
    if units <= 0:
        raise PoolFileError(f"--swap: amount must be positive, got {amount.strip()}")
    return token, units
