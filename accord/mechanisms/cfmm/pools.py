"""The CFMM pool kinds: product, weighted and constant-sum pools with exact invariant checks.

Pure math, no device. Three pool kinds, each a frozen dataclass with the same methods
(token indices ``i`` is tendered, ``j`` received), and :data:`Pool`, their union:

- :class:`ProductPool`: Uniswap v2, ``x · y = k`` with the fee taken on the input. Its
  ``out_given_in``/``in_given_out`` are :func:`~accord.mechanisms.cfmm.v2.amount_out` and
  :func:`~accord.mechanisms.cfmm.v2.amount_in`, exactly ``UniswapV2Library.getAmountOut``/
  ``getAmountIn`` in basis points.
- :class:`WeightedPool`: Balancer's weighted geometric mean, ``∏ B_k^{w_k} = V``
  (Martinelli & Mushegian, "A non-custodial portfolio manager, liquidity provider, and
  price sensor", 2019, §"Trading formulas"): out-given-in
  ``A_o = B_o · (1 − (B_i / (B_i + A_i·(1−fee)))^(w_i/w_o))`` and in-given-out
  ``A_i = B_i · ((B_o / (B_o − A_o))^(w_o/w_i) − 1) / (1−fee)``, spot price
  ``(B_o/w_o) / (B_i/w_i)`` units of o per unit of i.
- :class:`ConstantSumPool`: ``Σ p_k · B_k = V`` (1:1 when every ``p_k`` is 1), which
  trades at the fixed rate ``p_i / p_j`` until the output reserve runs out.

The invariant check, with the fee, is the trading-function form of Angeris & Chitra
("Improved price oracles: constant function market makers", 2020) and Angeris et al.
("Optimal routing for constant function market makers", 2022): a pool accepts tendering
``Δ`` and receiving ``Λ`` iff ``φ(R + γΔ − Λ) ≥ φ(R)``, with ``γ = 1 − fee``. For
:class:`ProductPool` this is exactly Uniswap v2's ``swap`` check
``(1000·b0 − 3·a0_in)·(1000·b1 − 3·a1_in) ≥ r0·r1·1000²`` (``UniswapV2Pair.sol``), in
basis points. Each pool's :meth:`accepts` evaluates it in exact integer arithmetic, and
its ``out_given_in``/``in_given_out`` return the largest/smallest integer it accepts.

Weighted pools compute their real-valued formula with :mod:`decimal` at a precision of
about 60 digits beyond the amounts, then step the integer to the exact boundary of the
invariant (big-int powers with the weight ratio in lowest terms). When the reduced weights
are too large for exact powers (sum above :data:`EXACT_WEIGHT_LIMIT`), they keep a margin
of one base unit instead, still towards the pool.

Import these names from :mod:`accord.mechanisms.cfmm`, which re-exports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from typing import Self

from accord.mechanisms.cfmm.v2 import (
    BPS,
    amount_in,
    amount_out,
    check_fee,
    check_nonneg,
    check_positive,
)
from accord.mechanisms.introot import ceil_root

EXACT_WEIGHT_LIMIT = 512
"""Largest sum of gcd-reduced weights for which weighted pools check exactly."""

_EXTRA_DIGITS = 60

__all__ = [
    "EXACT_WEIGHT_LIMIT",
    "ConstantSumPool",
    "Pool",
    "ProductPool",
    "WeightedPool",
]


# -- shared pool checks ------------------------------------------------------------------------
def _pool_fields(
    kind: str, tokens: tuple[str, ...], reserves: tuple[int, ...], fee_bps: int, *, zero_ok: bool
) -> None:
    if not isinstance(reserves, tuple):
        raise ValueError(f"{kind}.reserves must be a tuple of ints, got {reserves!r}")
    for k, r in enumerate(reserves):
        (check_nonneg if zero_ok else check_positive)(f"{kind}.reserves[{k}]", r)
    check_fee(fee_bps)
    if tokens:
        if len(tokens) != len(reserves):
            raise ValueError(f"{kind}.tokens has {len(tokens)} names for {len(reserves)} reserves")
        if len(set(tokens)) != len(tokens) or not all(isinstance(t, str) for t in tokens):
            raise ValueError(f"{kind}.tokens must be distinct strings, got {tokens!r}")


def check_pair(n: int, i: object, j: object) -> tuple[int, int]:
    if type(i) is not int or not 0 <= i < n:
        raise ValueError(f"token index i must be an int in [0, {n}), got {i!r}")
    if type(j) is not int or not 0 <= j < n:
        raise ValueError(f"token index j must be an int in [0, {n}), got {j!r}")
    if i == j:
        raise ValueError(f"token indices i and j must differ, got {i} twice")
    return i, j


def _flows(n: int, tendered: tuple[int, ...], received: tuple[int, ...]) -> None:
    if len(tendered) != n or len(received) != n:
        raise ValueError(f"tendered and received must have one entry per token ({n})")
    for k in range(n):
        check_nonneg(f"tendered[{k}]", tendered[k])
        check_nonneg(f"received[{k}]", received[k])


class _PoolOps:
    """Methods shared by the pool kinds (their fields: tokens, reserves, fee_bps)."""

    __slots__ = ()
    tokens: tuple[str, ...]
    reserves: tuple[int, ...]
    fee_bps: int

    @property
    def fee(self) -> float:
        """The fee as a fraction of the input."""
        return self.fee_bps / BPS

    @property
    def gamma(self) -> float:
        """``γ = 1 − fee``: the share of the input that counts against the invariant."""
        return (BPS - self.fee_bps) / BPS

    def index(self, token: str) -> int:
        """Index of a token by name."""
        try:
            return self.tokens.index(token)
        except ValueError:
            raise ValueError(f"token {token!r} is not in pool {self.tokens!r}") from None

    def with_reserves(self, reserves: tuple[int, ...]) -> Self:
        """The same pool with other reserves (validated)."""
        return replace(self, reserves=tuple(reserves))  # type: ignore[type-var]

    def after(self, i: int, j: int, amount_in: int, amount_out: int) -> Self:
        """The pool after ``amount_in`` of token i came in and ``amount_out`` of j left."""
        i, j = check_pair(len(self.reserves), i, j)
        r = list(self.reserves)
        r[i] += check_nonneg("amount_in", amount_in)
        r[j] -= check_nonneg("amount_out", amount_out)
        return self.with_reserves(tuple(r))

    def swap(self, i: int, j: int, amount_in: int) -> tuple[int, Self]:
        """``(out, pool_after)`` for tendering ``amount_in`` of token i for token j."""
        out = self.out_given_in(i, j, amount_in)
        return out, self.after(i, j, amount_in, out)

    def out_given_in(self, i: int, j: int, amount_in: int) -> int:
        raise NotImplementedError

    def accepts_swap(self, i: int, j: int, amount_in: int, amount_out: int) -> bool:
        """Whether the pool accepts ``amount_in`` of i for ``amount_out`` of j."""
        n = len(self.reserves)
        i, j = check_pair(n, i, j)
        tendered = [0] * n
        received = [0] * n
        tendered[i] = amount_in
        received[j] = amount_out
        return self.accepts(tuple(tendered), tuple(received))

    def accepts(self, tendered: tuple[int, ...], received: tuple[int, ...]) -> bool:
        raise NotImplementedError


# -- constant product --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProductPool(_PoolOps):
    """A Uniswap v2 pool: two reserves, ``x·y`` non-decreasing net of the input fee.

    ``tokens`` (optional names) index the reserves. ``out_given_in`` is
    :func:`amount_out` and ``in_given_out`` is :func:`amount_in`, exactly.
    """

    reserves: tuple[int, ...]
    fee_bps: int = 30
    tokens: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _pool_fields("ProductPool", self.tokens, self.reserves, self.fee_bps, zero_ok=False)
        if len(self.reserves) != 2:
            raise ValueError(f"ProductPool.reserves must hold 2 reserves, got {self.reserves}")

    def invariant(self) -> int:
        """``k = x·y``."""
        return self.reserves[0] * self.reserves[1]

    def spot_price(self, i: int, j: int, *, with_fee: bool = False) -> Fraction:
        """Units of j per unit of i at the margin: ``R_j / R_i`` (times ``γ`` with fee)."""
        i, j = check_pair(2, i, j)
        price = Fraction(self.reserves[j], self.reserves[i])
        return price * Fraction(BPS - self.fee_bps, BPS) if with_fee else price

    def out_given_in(self, i: int, j: int, amount_in: int) -> int:
        i, j = check_pair(2, i, j)
        return amount_out(amount_in, self.reserves[i], self.reserves[j], self.fee_bps)

    def in_given_out(self, i: int, j: int, amount_out: int) -> int:
        i, j = check_pair(2, i, j)
        return amount_in(amount_out, self.reserves[i], self.reserves[j], self.fee_bps)

    def accepts(self, tendered: tuple[int, ...], received: tuple[int, ...]) -> bool:
        """Uniswap v2's ``swap`` check, in bps: each ``R + Δ − Λ > 0`` and
        ``∏ (10⁴·(R + Δ − Λ) − fee·Δ) ≥ R0·R1·10⁸``."""
        _flows(2, tendered, received)
        gamma = BPS - self.fee_bps
        lhs = 1
        for r, d, lam in zip(self.reserves, tendered, received, strict=True):
            if r + d - lam <= 0:
                return False
            lhs *= BPS * (r - lam) + gamma * d
        return lhs >= self.invariant() * BPS * BPS


# -- weighted geometric mean -----------------------------------------------------------------
def _ceil_root(m: int, k: int) -> int:
    """The least integer ``s ≥ 0`` with ``s^k ≥ m`` (``m ≥ 0``, ``k ≥ 1``): Newton's
    method for the integer k-th root from above, in bounded steps, no float
    (:func:`accord.mechanisms.introot.ceil_root`)."""
    return ceil_root(m, k)


def _ipow_check(bases: list[int], exps: list[int]) -> int:
    out = 1
    for b, e in zip(bases, exps, strict=True):
        out *= b**e
    return out


@dataclass(frozen=True, slots=True)
class WeightedPool(_PoolOps):
    """A Balancer pool: ``n ≥ 2`` reserves with positive integer ``weights``.

    Weights are relative (``(80, 20)`` and ``(4, 1)`` are the same pool); the invariant
    is ``∏ B_k^{w_k / Σw}``. The fee is taken on the input (Balancer whitepaper, "Trading
    formulas"; ``swapFee``). Integer results are the floor (out) and ceiling (in) of the
    whitepaper's real formulas, found exactly (module docstring).
    """

    reserves: tuple[int, ...]
    weights: tuple[int, ...]
    fee_bps: int = 30
    tokens: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _pool_fields("WeightedPool", self.tokens, self.reserves, self.fee_bps, zero_ok=False)
        n = len(self.reserves)
        if n < 2:
            raise ValueError(f"WeightedPool.reserves must hold at least 2, got {self.reserves}")
        if not isinstance(self.weights, tuple) or len(self.weights) != n:
            raise ValueError(f"WeightedPool.weights must be a tuple of {n} positive ints")
        for k, w in enumerate(self.weights):
            check_positive(f"WeightedPool.weights[{k}]", w)

    @property
    def normalized_weights(self) -> tuple[float, ...]:
        """Weights summing to one."""
        total = sum(self.weights)
        return tuple(w / total for w in self.weights)

    def _reduced(self) -> tuple[int, ...]:
        g = math.gcd(*self.weights)
        return tuple(w // g for w in self.weights)

    def invariant(self) -> float:
        """``∏ B_k^{w_k/Σw}`` (a float: for display; :meth:`accepts` checks exactly)."""
        total = sum(self.weights)
        return math.exp(
            sum(w / total * math.log(b) for w, b in zip(self.weights, self.reserves, strict=True))
        )

    def spot_price(self, i: int, j: int, *, with_fee: bool = False) -> Fraction:
        """Units of j per unit of i at the margin: ``(B_j/w_j) / (B_i/w_i)``."""
        i, j = check_pair(len(self.reserves), i, j)
        price = Fraction(self.reserves[j] * self.weights[i], self.reserves[i] * self.weights[j])
        return price * Fraction(BPS - self.fee_bps, BPS) if with_fee else price

    def accepts(self, tendered: tuple[int, ...], received: tuple[int, ...]) -> bool:
        """``∏ (10⁴·(B_k − Λ_k) + (10⁴ − fee)·Δ_k)^{w_k} ≥ ∏ (10⁴·B_k)^{w_k}``, each new
        reserve positive. Exact with gcd-reduced weights summing to at most
        :data:`EXACT_WEIGHT_LIMIT`; beyond that, logarithms at high precision with a
        strict margin (rejecting, towards the pool, what is too close to call)."""
        n = len(self.reserves)
        _flows(n, tendered, received)
        gamma = BPS - self.fee_bps
        new: list[int] = []
        for r, d, lam in zip(self.reserves, tendered, received, strict=True):
            if r + d - lam <= 0:
                return False
            new.append(BPS * (r - lam) + gamma * d)
        old = [BPS * r for r in self.reserves]
        weights = self._reduced()
        if sum(weights) <= EXACT_WEIGHT_LIMIT:
            # cancel untouched reserves: they contribute equally to both sides
            touched = [k for k in range(n) if new[k] != old[k]]
            ws = [weights[k] for k in touched]
            return _ipow_check([new[k] for k in touched], ws) >= _ipow_check(
                [old[k] for k in touched], ws
            )
        digits = max(len(str(x)) for x in (*new, *old))
        with localcontext() as ctx:
            ctx.prec = digits + _EXTRA_DIGITS
            gain = sum(
                (Decimal(w) * (Decimal(a).ln() - Decimal(b).ln()))
                for w, a, b in zip(weights, new, old, strict=True)
            )
            return bool(gain > Decimal(10) ** (-_EXTRA_DIGITS // 2))

    def _exact_out(self, i: int, j: int, a: int) -> int:
        """The largest ``out`` with ``accepts_swap(i, j, a, out)`` (see :meth:`out_given_in`)."""
        w = self._reduced()
        g = math.gcd(w[i], w[j])
        w_i, w_o = w[i] // g, w[j] // g
        b_i, b_o = self.reserves[i], self.reserves[j]
        gamma = BPS - self.fee_bps
        need = (BPS * b_i) ** w_i * (BPS * b_o) ** w_o
        have = (BPS * b_i + gamma * a) ** w_i
        s = _ceil_root(-(-need // have), w_o)
        keep = -(-s // BPS)  # the least output reserve left
        return min(max(b_o - keep, 0), b_o - 1)

    def _exact(self, i: int, j: int) -> bool:
        w = self._reduced()
        g = math.gcd(w[i], w[j])
        return (w[i] + w[j]) // g <= EXACT_WEIGHT_LIMIT

    def out_given_in(self, i: int, j: int, amount_in: int) -> int:
        """``floor(B_o · (1 − (B_i / (B_i + γ·A_i))^(w_i/w_o)))`` (Balancer, out-given-in).

        With exact weights this is the largest output :meth:`accepts` takes, found in
        integers: with ``N = (10⁴B_i)^{w_i}(10⁴B_o)^{w_o}`` and ``D = (10⁴B_i +
        γA_i)^{w_i}``, the new output reserve must be at least ``⌈s/10⁴⌉`` for the least
        integer ``s`` with ``s^{w_o}·D ≥ N``, i.e. ``s = ⌈⌈N/D⌉^{1/w_o}⌉`` (an integer
        root by Newton's method). Otherwise the floor of the real formula at high decimal
        precision, adjusted to what :meth:`accepts` takes (or one below it, when even the
        pair's weights are too large for exact powers).
        """
        i, j = check_pair(len(self.reserves), i, j)
        a = check_nonneg("amount_in", amount_in)
        if a == 0:
            return 0
        if sum(self._reduced()) <= EXACT_WEIGHT_LIMIT:  # accepts is exact integer math
            return self._exact_out(i, j, a)
        b_i, b_o = self.reserves[i], self.reserves[j]
        w_i, w_o = self.weights[i], self.weights[j]
        gamma = BPS - self.fee_bps
        digits = len(str(max(b_i, b_o, a))) + 5
        with localcontext() as ctx:
            ctx.prec = digits + _EXTRA_DIGITS
            base = Decimal(BPS * b_i) / Decimal(BPS * b_i + gamma * a)
            real = Decimal(b_o) * (1 - base ** (Decimal(w_i) / Decimal(w_o)))
            guess = int(real.to_integral_value(rounding=ROUND_FLOOR))
        guess = min(max(guess, 0), b_o - 1)
        if not self._exact(i, j):
            return max(guess - 1, 0)
        while guess > 0 and not self.accepts_swap(i, j, a, guess):
            guess -= 1
        while guess + 1 < b_o and self.accepts_swap(i, j, a, guess + 1):
            guess += 1
        return guess

    def in_given_out(self, i: int, j: int, amount_out: int) -> int:
        """``ceil(B_i · ((B_o / (B_o − A_o))^(w_o/w_i) − 1) / γ)`` (Balancer, in-given-out).

        ``amount_out`` must be below the output reserve ``B_o``.
        """
        i, j = check_pair(len(self.reserves), i, j)
        out = check_nonneg("amount_out", amount_out)
        b_i, b_o = self.reserves[i], self.reserves[j]
        if out >= b_o:
            raise ValueError(f"amount_out must be below reserve {b_o} of token {j}, got {out}")
        if out == 0:
            return 0
        w_i, w_o = self.weights[i], self.weights[j]
        gamma = BPS - self.fee_bps
        digits = len(str(max(b_i, b_o))) + 5
        with localcontext() as ctx:
            ctx.prec = digits + _EXTRA_DIGITS + len(str(b_o))
            ratio = Decimal(b_o) / Decimal(b_o - out)
            real = Decimal(b_i * BPS) * (ratio ** (Decimal(w_o) / Decimal(w_i)) - 1) / gamma
            guess = int(real.to_integral_value(rounding=ROUND_CEILING))
        guess = max(guess, 1)
        if not self._exact(i, j):
            return guess + 1
        while not self.accepts_swap(i, j, guess, out):
            guess += 1
        while guess > 1 and self.accepts_swap(i, j, guess - 1, out):
            guess -= 1
        return guess


# -- constant sum -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ConstantSumPool(_PoolOps):
    """A constant-sum pool: ``Σ p_k·B_k`` non-decreasing net of the input fee.

    ``prices`` are positive ints, each token's value in a common unit (default all 1:
    1:1 swaps; ``(3, 2)`` values token 0 at 1.5 of token 1). The pool swaps at
    ``p_i / p_j`` less the fee until the output reserve is exhausted: an input larger
    than that buys the whole reserve and the pool keeps the rest (the cap). Reserves may
    be zero.
    """

    reserves: tuple[int, ...]
    fee_bps: int = 0
    prices: tuple[int, ...] = ()
    tokens: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _pool_fields("ConstantSumPool", self.tokens, self.reserves, self.fee_bps, zero_ok=True)
        n = len(self.reserves)
        if n < 2:
            raise ValueError(f"ConstantSumPool.reserves must hold at least 2, got {self.reserves}")
        if not self.prices:
            object.__setattr__(self, "prices", (1,) * n)
        if not isinstance(self.prices, tuple) or len(self.prices) != n:
            raise ValueError(f"ConstantSumPool.prices must be a tuple of {n} positive ints")
        for k, p in enumerate(self.prices):
            check_positive(f"ConstantSumPool.prices[{k}]", p)

    def invariant(self) -> int:
        """``Σ p_k·B_k``."""
        return sum(p * b for p, b in zip(self.prices, self.reserves, strict=True))

    def spot_price(self, i: int, j: int, *, with_fee: bool = False) -> Fraction:
        """Units of j per unit of i: ``p_i / p_j`` (times ``γ`` with fee), at any size
        up to the output reserve."""
        i, j = check_pair(len(self.reserves), i, j)
        price = Fraction(self.prices[i], self.prices[j])
        return price * Fraction(BPS - self.fee_bps, BPS) if with_fee else price

    def out_given_in(self, i: int, j: int, amount_in: int) -> int:
        """``min(floor(A_i·γ·p_i/p_j), B_j)``."""
        i, j = check_pair(len(self.reserves), i, j)
        a = check_nonneg("amount_in", amount_in)
        out = a * (BPS - self.fee_bps) * self.prices[i] // (BPS * self.prices[j])
        return min(out, self.reserves[j])

    def in_given_out(self, i: int, j: int, amount_out: int) -> int:
        """``ceil(A_o·p_j / (γ·p_i))``; ``amount_out`` may be at most ``B_j``."""
        i, j = check_pair(len(self.reserves), i, j)
        out = check_nonneg("amount_out", amount_out)
        if out > self.reserves[j]:
            raise ValueError(
                f"amount_out must be at most reserve {self.reserves[j]} of token {j}, got {out}"
            )
        num = out * BPS * self.prices[j]
        den = (BPS - self.fee_bps) * self.prices[i]
        return -(-num // den)

    def accepts(self, tendered: tuple[int, ...], received: tuple[int, ...]) -> bool:
        """``Σ p_k·(10⁴·(B_k − Λ_k) + (10⁴ − fee)·Δ_k) ≥ 10⁴·Σ p_k·B_k``, reserves ≥ 0."""
        n = len(self.reserves)
        _flows(n, tendered, received)
        gamma = BPS - self.fee_bps
        lhs = 0
        for p, r, d, lam in zip(self.prices, self.reserves, tendered, received, strict=True):
            if r + d - lam < 0:
                return False
            lhs += p * (BPS * (r - lam) + gamma * d)
        return lhs >= BPS * self.invariant()


Pool = ProductPool | WeightedPool | ConstantSumPool
"""Any pool kind; all share ``tokens``, ``reserves``, ``fee_bps`` and the swap methods."""
