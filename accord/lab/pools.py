"""Pool files for ``accord route``: JSON in, a routing ``Network`` out.

The format (issue 4)::

    {"tokens": ["A", "B", "C"],
     "pools": [{"kind": "product", "tokens": ["A", "B"], "reserves": [1000000, 2000000],
                "fee": 0.003},
               {"kind": "weighted", "tokens": ["A", "B", "C"], "reserves": [...],
                "weights": [2, 1, 1], "fee": 0.003},
               {"kind": "constant_sum", "tokens": ["B", "C"], "reserves": [...],
                "fee": 0.0001}]}

``tokens`` (optional) fixes the token order and forbids others; reserves are ints in base
units; ``fee`` is the fraction the pool takes (so ``γ = 1 − fee``) and must be a whole
number of basis points (:func:`~accord.mechanisms.cfmm.bps_from_fee`); when absent it is
the pool kind's default (30 bps for product and weighted pools, 0 for constant-sum).
``weights`` belong to weighted pools only and are positive ints; constant-sum pools may
give ``prices`` (positive ints, each token's value in a common unit). Every problem is a
:class:`PoolFileError` naming the file and the field (``pools[2].fee``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from accord.mechanisms.cfmm import (
    ConstantSumPool,
    Pool,
    ProductPool,
    WeightedPool,
    bps_from_fee,
)
from accord.mechanisms.routing import Network

__all__ = ["PoolFileError", "load_pools", "parse_pools", "parse_prices", "parse_swap"]


class PoolFileError(ValueError):
    """A pool file, price list or swap that cannot be routed; the message names why."""


class _PoolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["product", "weighted", "constant_sum"]
    tokens: list[str] = Field(min_length=2)
    reserves: list[StrictInt]
    weights: list[StrictInt] | None = None
    prices: list[StrictInt] | None = None
    fee: float | None = None


class _PoolFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    tokens: list[str] | None = None
    pools: list[_PoolSpec] = Field(min_length=1)


def load_pools(path: str | Path) -> Network:
    """Read a pool file into a routing network."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PoolFileError(f"{path}: no such pool file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PoolFileError(f"{path}: cannot read it: {exc}") from None
    return parse_pools(text, source=str(path))


def parse_pools(text: str, *, source: str = "<pools>") -> Network:
    """Parse a pool file's JSON text into a routing network."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PoolFileError(f"{source}: malformed JSON: {exc}") from None
    try:
        spec = _PoolFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        reason = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PoolFileError(f"{source}: {loc.lstrip('.') or 'file'}: {reason}{more}") from None
    pools = [_pool(source, i, p) for i, p in enumerate(spec.pools)]
    try:
        return Network.build(pools, tokens=spec.tokens)
    except ValueError as exc:
        raise PoolFileError(f"{source}: {exc}") from None


def _pool(source: str, i: int, spec: _PoolSpec) -> Pool:
    where = f"{source}: pools[{i}]"
    if spec.weights is not None and spec.kind != "weighted":
        raise PoolFileError(f"{where}.weights: only weighted pools have weights")
    if spec.prices is not None and spec.kind != "constant_sum":
        raise PoolFileError(f"{where}.prices: only constant_sum pools have prices")
    if len(spec.reserves) != len(spec.tokens):
        raise PoolFileError(
            f"{where}.reserves: {len(spec.reserves)} reserves for {len(spec.tokens)} tokens"
        )
    try:
        fee_bps = None if spec.fee is None else bps_from_fee(spec.fee)
    except ValueError as exc:
        raise PoolFileError(f"{where}.fee: {exc}") from None
    tokens, reserves = tuple(spec.tokens), tuple(spec.reserves)
    try:
        if spec.kind == "product":
            return ProductPool(reserves, 30 if fee_bps is None else fee_bps, tokens)
        if spec.kind == "weighted":
            if spec.weights is None:
                raise PoolFileError(f"{where}.weights: required for a weighted pool")
            weights = tuple(spec.weights)
            return WeightedPool(reserves, weights, 30 if fee_bps is None else fee_bps, tokens)
        prices = tuple(spec.prices) if spec.prices is not None else ()
        return ConstantSumPool(reserves, 0 if fee_bps is None else fee_bps, prices, tokens)
    except PoolFileError:
        raise
    except ValueError as exc:
        raise PoolFileError(f"{where}: {exc}") from None


def parse_prices(text: str, network: Network) -> dict[str, float]:
    """``"A=1.5,B=10"`` -> ``{"A": 1.5, "B": 10.0}``, every token one the pools trade."""
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
        prices[token] = price
    return prices


def parse_swap(text: str, network: Network) -> tuple[str, int]:
    """``"A:100"`` -> ``("A", 100)``: tender up to 100 base units of A."""
    token, sep, amount = text.rpartition(":")
    token = token.strip()
    if not sep or not token:
        raise PoolFileError(f"--swap: {text!r} is not TOKEN:AMOUNT (e.g. A:100)")
    try:
        units = int(amount.strip())
    except ValueError:
        raise PoolFileError(
            f"--swap: amount {amount.strip()!r} is not an int (base units)"
        ) from None
    if units <= 0:
        raise PoolFileError(f"--swap: amount must be positive, got {units}")
    if token not in network.tokens:
        known = ", ".join(network.tokens)
        raise PoolFileError(f"--swap: unknown token {token!r} (the pools trade {known})")
    return token, units
