"""``exp`` and ``ln`` in fixed-point integers, as intervals that hold the true value.

A device must not let a float decide state: libm's ``exp`` and ``log`` may differ across
platforms in the last bit, and so would a balance computed with them. Everything here is
Python ``int`` arithmetic on fixed-point numbers with :data:`FRAC_BITS` fractional bits
(the int ``x`` stands for ``x / ONE``), so every installation computes the same bits.

Every function returns an interval ``(lo, hi)`` with ``lo ≤ true value · ONE ≤ hi``,
proved by *directed rounding*: the lower end is built only from floors of quantities
that are themselves lower bounds (sums, products and quotients of non-negative numbers
are monotone), the upper end only from ceilings of upper bounds plus a bound on each
series' truncated tail. A caller that must round towards someone (the LMSR maker,
:mod:`accord.mechanisms.lmsr`) takes the end that favours it and is then safe whatever
the interval's width; the width only decides how often it rounds one unit further than
the exact ceiling would.

The methods (all series have non-negative terms; every loop has a constant bound):

* ``e^{−r}``, ``r = num/den ≥ 0``: split ``r = k + a/64 + g`` with ``k`` an integer,
  ``a ∈ [0, 63]`` and ``0 ≤ g < 1/64``; ``e^r = e^k · e^{a/64} · e^g``, the first two
  from tables of intervals built once at import by directed multiplication, ``e^g`` by
  its Taylor series to :data:`EXP_TERMS` terms, whose tail is at most
  ``2 g^{N+1}/(N+1)!`` (the ratio of consecutive tail terms is below 1/2); then
  ``e^{−r} = 1/e^r`` by directed division. For ``r > KMAX`` the interval is
  ``[0, 1]`` ulp (``e^{−101} < 2^{−145}``).
* ``ln x``, ``x ≥ 1``: ``x = 2^j · (1 + a/32) · y`` with ``a ∈ [0, 31]`` and
  ``y ∈ [1, 1 + 1/32)``; ``ln x = j ln 2 + ln(1 + a/32) + 2 atanh(z)``,
  ``z = (y − 1)/(y + 1) ≤ 1/65``, ``atanh z = Σ z^{2k+1}/(2k+1)`` (Abramowitz & Stegun
  4.1.27) to :data:`LN_TERMS` terms; the tail is at most ``z^{2N+3}/((2N+3)(1 − z²))``.
  ``ln 2 = 2 atanh(1/3)`` and ``ln(1 + a/32) = 2 atanh(a/(64 + a))`` come from the same
  series at import, with enough terms for ``z ≤ 1/3``.

Precision: ``exp_neg``'s interval is at most ~70 ulps wide and ``ln``'s at most
``~200 (1 + j)`` ulps (``2^{FRAC_BITS}`` ulps make 1); measured against 150-digit
:mod:`decimal` in ``tests/mechanisms/test_fixedpoint.py``.
"""

from __future__ import annotations

FRAC_BITS = 128
"""Fractional bits of every fixed-point number here."""
ONE = 1 << FRAC_BITS
EXP_TERMS = 17
"""Taylor terms of ``e^g``, ``g < 1/64``: the tail ``2 · 64^{−18}/18!`` is below
``2^{−159}``."""
LN_TERMS = 12
"""``atanh`` terms for ``z ≤ 1/65``: the tail ``65^{−27}/27`` is below ``2^{−162}``."""
KMAX = 100
"""``e^{−r}`` for ``r > KMAX`` is below ``e^{−101} < 2^{−145}``: one ulp at most."""

Interval = tuple[int, int]
"""``(lo, hi)``: fixed-point bounds, ``lo ≤ true · ONE ≤ hi``."""


def cdiv(a: int, b: int) -> int:
    """``⌈a / b⌉`` for ``b > 0``, exactly."""
    return -(-a // b)


def _exp_small(g_lo: int, g_hi: int, terms: int) -> Interval:
    """``e^g`` for fixed-point bounds ``0 ≤ g_lo ≤ g ≤ g_hi ≤ ONE``."""
    lo_term = hi_term = lo = hi = ONE
    for j in range(1, terms + 1):
        lo_term = (lo_term * g_lo >> FRAC_BITS) // j
        hi_term = cdiv(cdiv(hi_term * g_hi, ONE), j)
        lo += lo_term
        hi += hi_term
    tail = cdiv(cdiv(hi_term * g_hi, ONE), terms + 1)  # ≥ g^{N+1}/(N+1)! · ONE
    return lo, hi + 2 * tail


def _mul(x: Interval, y: Interval) -> Interval:
    return x[0] * y[0] >> FRAC_BITS, cdiv(x[1] * y[1], ONE)


def _powers(base: Interval, count: int) -> list[Interval]:
    table = [(ONE, ONE)]
    for _ in range(count):
        table.append(_mul(table[-1], base))
    return table


_E_INT = _powers(_exp_small(ONE, ONE, 60), KMAX)
"""``e^k`` for ``k = 0 … KMAX`` (``e`` itself to 60 Taylor terms: tail ``2/61!``)."""
_E_64TH = _powers(_exp_small(ONE >> 6, ONE >> 6, 40), 63)
"""``e^{a/64}`` for ``a = 0 … 63``."""


def exp_neg(num: int, den: int) -> Interval:
    """``e^{−num/den}`` for ints ``num ≥ 0``, ``den > 0`` (not checked: callers own
    their inputs)."""
    k, rem = divmod(num, den)
    if k > KMAX:
        return 0, 1
    f_lo = (rem << FRAC_BITS) // den
    f_hi = cdiv(rem << FRAC_BITS, den)
    a = f_lo >> (FRAC_BITS - 6)
    base = a << (FRAC_BITS - 6)
    g = _exp_small(f_lo - base, f_hi - base, EXP_TERMS)
    lo, hi = _mul(_mul(_E_INT[k], _E_64TH[a]), g)  # e^r
    return ONE * ONE // hi, cdiv(ONE * ONE, lo)


def _atanh(z_lo: int, z_hi: int, terms: int) -> Interval:
    """``atanh z`` for fixed-point bounds ``0 ≤ z_lo ≤ z ≤ z_hi ≤ ONE / 3``."""
    z2_lo = z_lo * z_lo >> FRAC_BITS
    z2_hi = cdiv(z_hi * z_hi, ONE)
    lo_term, hi_term, lo, hi = z_lo, z_hi, z_lo, z_hi
    for k in range(1, terms + 1):
        lo_term = lo_term * z2_lo >> FRAC_BITS
        hi_term = cdiv(hi_term * z2_hi, ONE)
        lo += lo_term // (2 * k + 1)
        hi += cdiv(hi_term, 2 * k + 1)
    # tail ≤ z^{2N+3} / ((2N+3)(1 − z²)) ≤ hi_term · z² (as z² ≤ 1/9 and 2N+3 ≥ 3)
    return lo, hi + cdiv(hi_term * z2_hi, ONE)


def _atanh_of(num: int, den: int, terms: int) -> Interval:
    """``2 atanh(num/den)`` for a rational ``0 ≤ num/den ≤ 1/3``."""
    lo, hi = _atanh(num * ONE // den, cdiv(num * ONE, den), terms)
    return 2 * lo, 2 * hi


LN2: Interval = _atanh_of(1, 3, 100)
"""``ln 2 = 2 atanh(1/3)`` (tail ``3^{−203}``)."""
_LN_32ND = [_atanh_of(a, 64 + a, 100) for a in range(32)]
"""``ln(1 + a/32) = 2 atanh(a/(64 + a))`` for ``a = 0 … 31`` (``a/(64+a) < 1/3``)."""


def _ln_bound(x: int, upper: bool) -> int:
    """A bound on ``ln(x / ONE) · ONE`` for a fixed-point ``x ≥ ONE``: the lower one
    from floors, the upper one from ceilings."""
    j = x.bit_length() - 1 - FRAC_BITS  # x / ONE ∈ [2^j, 2^{j+1})
    y = x >> j if not upper else cdiv(x, 1 << j)  # x / 2^j ∈ [1, 2]
    a = min((y - ONE) >> (FRAC_BITS - 5), 31)
    c = 32 + a  # y = (c / 32) · y', y' ∈ [1, 1 + 1/32]
    if upper:
        y1 = cdiv(y * 32, c)
        z = cdiv((y1 - ONE) * ONE, y1 + ONE)
        return j * LN2[1] + _LN_32ND[a][1] + 2 * _atanh(z, z, LN_TERMS)[1]
    y1 = y * 32 // c
    z = (y1 - ONE) * ONE // (y1 + ONE)
    return j * LN2[0] + _LN_32ND[a][0] + 2 * _atanh(z, z, LN_TERMS)[0]


def ln(x: Interval) -> Interval:
    """``ln`` of a fixed-point interval ``[lo, hi]`` of values at least 1."""
    lo, hi = x
    if lo < ONE:
        raise ValueError("ln takes values of at least 1 here")
    return _ln_bound(lo, False), _ln_bound(hi, True)


def ln_int(n: int) -> Interval:
    """``ln n`` for an integer ``n ≥ 1``."""
    return ln((n * ONE, n * ONE))
