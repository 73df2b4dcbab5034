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

Weighted pools solve a pair whose weights, in lowest terms, sum to at most
:data:`EXACT_WEIGHT_LIMIT` exactly, in closed form: big-int powers and one integer root by
Newton's method from above (:mod:`accord.mechanisms.introot`), with no walk over amounts.
A heavier pair takes its real-valued formula with :mod:`decimal` at a precision of about
60 digits beyond the amounts and keeps a margin of one base unit, towards the pool. The
product and constant-sum pools do constant work. Every method takes an optional
``charge`` callback that a device contract sets to ``ctx.use_gas``: a weighted pool calls
it before each power, Newton step and decimal evaluation (:class:`WeightedPool`).

Import these names from :mod:`accord.mechanisms.cfmm`, which re-exports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, Overflow, localcontext
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
from accord.mechanisms.introot import ROOT_WORD_GAS, Charge, ceil_root

EXACT_WEIGHT_LIMIT = 512
"""Largest sum of gcd-reduced weights for which weighted pools check exactly."""

_EXTRA_DIGITS = 60
MAX_INPUT_DIGITS = 80
"""``in_given_out`` refuses an output whose input would exceed ``10^80`` times the input
reserve (more than any amount a transaction carries, 2^256 < 10^78, on any reserve): the
precision its exact ceiling needs grows with its size."""

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

    def swap(
        self, i: int, j: int, amount_in: int, charge: Charge | None = None
    ) -> tuple[int, Self]:
        """``(out, pool_after)`` for tendering ``amount_in`` of token i for token j."""
        out = self.out_given_in(i, j, amount_in, charge)
        return out, self.after(i, j, amount_in, out)

    def out_given_in(self, i: int, j: int, amount_in: int, charge: Charge | None = None) -> int:
        raise NotImplementedError

    def accepts_swap(
        self, i: int, j: int, amount_in: int, amount_out: int, charge: Charge | None = None
    ) -> bool:
        """Whether the pool accepts ``amount_in`` of i for ``amount_out`` of j."""
        n = len(self.reserves)
        i, j = check_pair(n, i, j)
        tendered = [0] * n
        received = [0] * n
        tendered[i] = amount_in
        received[j] = amount_out
        return self.accepts(tuple(tendered), tuple(received), charge)

    def accepts(
        self, tendered: tuple[int, ...], received: tuple[int, ...], charge: Charge | None = None
    ) -> bool:
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

    def out_given_in(self, i: int, j: int, amount_in: int, charge: Charge | None = None) -> int:
        i, j = check_pair(2, i, j)
        return amount_out(amount_in, self.reserves[i], self.reserves[j], self.fee_bps)

    def in_given_out(self, i: int, j: int, amount_out: int, charge: Charge | None = None) -> int:
        i, j = check_pair(2, i, j)
        return amount_in(amount_out, self.reserves[i], self.reserves[j], self.fee_bps)

    def accepts(
        self, tendered: tuple[int, ...], received: tuple[int, ...], charge: Charge | None = None
    ) -> bool:
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
def _pow_gas(bits: int) -> int:
    """Gas for big-integer powers and products whose result has ``bits`` bits: at most
    ``w²`` 256-bit word operations for ``w = ⌈bits/256⌉`` (binary powering squares numbers
    of ``w/2, w/4, …`` words and multiplies by the base: a schoolbook bound of ``w²``),
    twice, at :data:`~accord.mechanisms.introot.ROOT_WORD_GAS` each."""
    words = -(-max(bits, 1) // 256)
    return 2 * ROOT_WORD_GAS * words * words


DECIMAL_WORD_GAS = 100
"""Gas per unit of a high-precision :mod:`decimal` ``ln``/``**``/``exp`` at ``w``
19-digit words (libmpdec's word): ``w³ + 20·w²`` units (measured: at most ~0.7 µs per
unit up to 1,200 digits), priced as the step meter's ~100 gas per µs."""


def decimal_gas(prec: int) -> int:
    """Gas for one transcendental :mod:`decimal` operation at ``prec`` digits."""
    w = -(-prec // 19)
    return DECIMAL_WORD_GAS * (w * w * w + 20 * w * w)


def _digits(x: int) -> int:
    """An upper bound on the decimal digits of ``|x|`` from its bit length (no ``str``:
    CPython refuses ``str`` of ints beyond 4,300 digits): ``⌈bits·log₁₀2⌉ + 1``."""
    return x.bit_length() * 30_103 // 100_000 + 2


def _ipow_check(bases: list[int], exps: list[int]) -> int:
    out = 1
    for b, e in zip(bases, exps, strict=True):
        out *= b**e
    return out


def _charged(charge: Charge | None, gas: int) -> None:
    if charge is not None:
        charge(gas)


@dataclass(frozen=True, slots=True)
class WeightedPool(_PoolOps):
    """A Balancer pool: ``n ≥ 2`` reserves with positive integer ``weights``.

    Weights are relative (``(80, 20)`` and ``(4, 1)`` are the same pool); the invariant
    is ``∏ B_k^{w_k / Σw}``. The fee is taken on the input (Balancer whitepaper, "Trading
    formulas"; ``swapFee``). Integer results are the floor (out) and ceiling (in) of the
    whitepaper's real formulas, found exactly (module docstring).

    **Bounded, charged work.** No method loops over amounts. A pair whose weights reduce
    to a sum of at most :data:`EXACT_WEIGHT_LIMIT` is solved in closed form: big-integer
    powers and one integer root by Newton's method from above, whose step count
    :func:`~accord.mechanisms.introot.root_steps` bounds. Heavier pairs take one
    high-precision :mod:`decimal` evaluation (two for ``in_given_out``). Each method takes
    an optional ``charge`` (a device contract passes ``ctx.use_gas``), called before each
    piece of work with its gas: :func:`_pow_gas` per power, the root's gas per Newton
    step, :func:`decimal_gas` per decimal evaluation.
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

    def accepts(
        self, tendered: tuple[int, ...], received: tuple[int, ...], charge: Charge | None = None
    ) -> bool:
        """``∏ (10⁴·(B_k − Λ_k) + (10⁴ − fee)·Δ_k)^{w_k} ≥ ∏ (10⁴·B_k)^{w_k}``, each new
        reserve positive. Untouched reserves cancel; the touched ones' weights, reduced by
        their gcd, are checked exactly when they sum to at most
        :data:`EXACT_WEIGHT_LIMIT`. Beyond that, logarithms at high precision with a
        strict margin far below one base unit's effect (rejecting, towards the pool, what
        is too close to call)."""
        n = len(self.reserves)
        _flows(n, tendered, received)
        gamma = BPS - self.fee_bps
        new: list[int] = []
        for r, d, lam in zip(self.reserves, tendered, received, strict=True):
            if r + d - lam <= 0:
                return False
            new.append(BPS * (r - lam) + gamma * d)
        old = [BPS * r for r in self.reserves]
        touched = [k for k in range(n) if new[k] != old[k]]
        if not touched:
            return True
        g = math.gcd(*(self.weights[k] for k in touched))
        ws = [self.weights[k] // g for k in touched]
        if sum(ws) <= EXACT_WEIGHT_LIMIT:
            sizes = [max(new[k], old[k]).bit_length() for k in touched]
            bits = sum(w * b for w, b in zip(ws, sizes, strict=True))
            _charged(charge, 2 * _pow_gas(bits))
            return _ipow_check([new[k] for k in touched], ws) >= _ipow_check(
                [old[k] for k in touched], ws
            )
        digits = max(_digits(x) for x in (*new, *old))
        prec = digits + _digits(max(ws)) + _EXTRA_DIGITS
        _charged(charge, 2 * len(touched) * decimal_gas(prec))
        with localcontext() as ctx:
            ctx.prec = prec
            gain = sum(
                Decimal(w) * (Decimal(new[k]).ln() - Decimal(old[k]).ln())
                for w, k in zip(ws, touched, strict=True)
            )
            # one base unit moves the gain by at least ~10^-(digits+5); the error of the
            # sum is below 10^-(digits+50)
            return bool(gain > Decimal(10) ** -(digits + _EXTRA_DIGITS // 2))

    def _pair_weights(self, i: int, j: int) -> tuple[int, int]:
        g = math.gcd(self.weights[i], self.weights[j])
        return self.weights[i] // g, self.weights[j] // g

    def out_given_in(self, i: int, j: int, amount_in: int, charge: Charge | None = None) -> int:
        """``floor(B_o · (1 − (B_i / (B_i + γ·A_i))^(w_i/w_o)))`` (Balancer, out-given-in).

        With the pair's weights reduced to ``w_i + w_o ≤`` :data:`EXACT_WEIGHT_LIMIT`, this
        is the largest output :meth:`accepts` takes, found in integers: with ``N =
        (10⁴B_i)^{w_i}(10⁴B_o)^{w_o}`` and ``D = (10⁴B_i + γA_i)^{w_i}``, the new output
        reserve must be at least ``⌈s/10⁴⌉`` for the least integer ``s`` with ``s^{w_o}·D
        ≥ N``, i.e. ``s = ⌈⌈N/D⌉^{1/w_o}⌉`` (an integer root by Newton's method from
        above). Otherwise the floor of the real formula at high decimal precision, less
        one unit of margin towards the pool.
        """
        i, j = check_pair(len(self.reserves), i, j)
        a = check_nonneg("amount_in", amount_in)
        if a == 0:
            return 0
        w_i, w_o = self._pair_weights(i, j)
        b_i, b_o = self.reserves[i], self.reserves[j]
        gamma = BPS - self.fee_bps
        if w_i + w_o <= EXACT_WEIGHT_LIMIT:
            x_i = BPS * b_i + gamma * a
            _charged(charge, 2 * _pow_gas(w_i * x_i.bit_length() + w_o * (BPS * b_o).bit_length()))
            need = (BPS * b_i) ** w_i * (BPS * b_o) ** w_o
            s = ceil_root(-(-need // x_i**w_i), w_o, charge)
            keep = -(-s // BPS)  # the least output reserve left
            return min(max(b_o - keep, 0), b_o - 1)
        prec = _digits(max(b_i, b_o, a)) + 5 + _digits(max(w_i, w_o)) + _EXTRA_DIGITS
        _charged(charge, decimal_gas(prec))
        with localcontext() as ctx:
            ctx.prec = prec
            base = Decimal(BPS * b_i) / Decimal(BPS * b_i + gamma * a)
            real = Decimal(b_o) * (1 - base ** (Decimal(w_i) / Decimal(w_o)))
            guess = int(real.to_integral_value(rounding=ROUND_FLOOR))
        return max(min(guess, b_o - 1) - 1, 0)

    def in_given_out(self, i: int, j: int, amount_out: int, charge: Charge | None = None) -> int:
        """``ceil(B_i · ((B_o / (B_o − A_o))^(w_o/w_i) − 1) / γ)`` (Balancer, in-given-out).

        ``amount_out`` must be below the output reserve ``B_o``. With exact pair weights
        (as in :meth:`out_given_in`) the smallest input :meth:`accepts` takes: the input
        reserve must reach the least ``t`` with ``t^{w_i}·S ≥ N``, ``S = (10⁴(B_o −
        A_o))^{w_o}``, i.e. ``t = ⌈⌈N/S⌉^{1/w_i}⌉`` and ``A_i = ⌈(t − 10⁴B_i)/γ⌉``.
        Otherwise the ceiling of the real formula plus one unit, at a precision set by a
        first estimate of its size.
        """
        i, j = check_pair(len(self.reserves), i, j)
        out = check_nonneg("amount_out", amount_out)
        b_i, b_o = self.reserves[i], self.reserves[j]
        if out >= b_o:
            raise ValueError(f"amount_out must be below reserve {b_o} of token {j}, got {out}")
        if out == 0:
            return 0
        w_i, w_o = self._pair_weights(i, j)
        gamma = BPS - self.fee_bps
        if w_i + w_o <= EXACT_WEIGHT_LIMIT:
            bits = (w_i + 1) * (BPS * b_i).bit_length() + 2 * w_o * (BPS * b_o).bit_length()
            _charged(charge, 2 * _pow_gas(bits))
            need = (BPS * b_i) ** w_i * (BPS * b_o) ** w_o
            t = ceil_root(-(-need // (BPS * (b_o - out)) ** w_o), w_i, charge)
            return max(-(-(t - BPS * b_i) // gamma), 1)
        prec = _digits(max(b_i, b_o)) + 5 + _digits(max(w_i, w_o)) + _EXTRA_DIGITS
        for _ in range(2):  # the second pass at the precision the result's size needs
            _charged(charge, decimal_gas(prec))
            with localcontext() as ctx:
                ctx.prec = prec
                ratio = Decimal(b_o) / Decimal(b_o - out)
                try:
                    power = ratio ** (Decimal(w_o) / Decimal(w_i))
                except Overflow:  # beyond decimal's exponent range: far past the cap below
                    power = Decimal(10) ** (MAX_INPUT_DIGITS + 5)
                real = Decimal(b_i * BPS) * (power - 1) / gamma
                size = real.adjusted() + 1  # digits of the integer part
            if size > _digits(b_i) + MAX_INPUT_DIGITS:
                raise ValueError(
                    f"amount_out {out} would need an input over 10^{MAX_INPUT_DIGITS} times the "
                    f"input reserve {b_i}"
                )
            if size + _EXTRA_DIGITS <= prec:
                break
            prec = size + 5 + _digits(max(w_i, w_o)) + _EXTRA_DIGITS
        return max(int(real.to_integral_value(rounding=ROUND_CEILING)), 1) + 1


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

    def out_given_in(self, i: int, j: int, amount_in: int, charge: Charge | None = None) -> int:
        """``min(floor(A_i·γ·p_i/p_j), B_j)``."""
        i, j = check_pair(len(self.reserves), i, j)
        a = check_nonneg("amount_in", amount_in)
        out = a * (BPS - self.fee_bps) * self.prices[i] // (BPS * self.prices[j])
        return min(out, self.reserves[j])

    def in_given_out(self, i: int, j: int, amount_out: int, charge: Charge | None = None) -> int:
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

    def accepts(
        self, tendered: tuple[int, ...], received: tuple[int, ...], charge: Charge | None = None
    ) -> bool:
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
