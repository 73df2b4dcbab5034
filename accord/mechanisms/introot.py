"""Integer k-th roots by Newton's method from above: exact, no float, bounded steps.

``iroot(x, k) = ⌊x^{1/k}⌋`` is Newton's iteration for ``f(r) = r^k − x`` in integers,

    r_{n+1} = ⌊((k − 1)·r_n + ⌊x / r_n^{k−1}⌋) / k⌋,

started *above* the root. By the AM–GM inequality every iterate stays ``≥ ⌊x^{1/k}⌋``, and
while ``r_n`` is above the root the sequence strictly decreases, so the first ``n`` with
``r_{n+1} ≥ r_n`` gives the root (the integer Newton method of ``math.isqrt`` for
``k = 2``; for general ``k`` see e.g. Crandall & Pomerance, *Prime Numbers: A
Computational Perspective*, §9.2.2, Algorithm 9.2.11).

The start is ``2^⌈bits(x)/k⌉``, a power of two at most ``2^{1.5}`` times the root,
computed from the bit length alone: no float guess (whose rounding, for a 10^24-sized
operand, used to leave a walk of 10^8 unit steps). While the iterate is far above the
root each step shrinks it by about the factor ``(k−1)/k``, so at most about ``1.04·k``
steps reach within a factor ``1 + 1/k`` of the root, from where convergence is
quadratic: :func:`root_steps` is a bound that :func:`iroot` enforces (the tests measure
at most a third of it).
"""

from __future__ import annotations

__all__ = ["ceil_root", "iroot", "root_gas", "root_steps"]

ROOT_WORD_GAS = 5
"""Gas per 256-bit word operation of a root's arithmetic: EVM ``MUL``/``DIV`` (G_low, 5)."""


def root_steps(x: int, k: int) -> int:
    """An upper bound on the Newton steps :func:`iroot` takes for ``x`` and ``k``."""
    return 2 * k + 2 * max(x.bit_length(), 1).bit_length() + 8


def iroot(x: int, k: int) -> int:
    """``⌊x^{1/k}⌋`` for an int ``x ≥ 0`` and ``k ≥ 1`` (module docstring)."""
    if type(x) is not int or type(k) is not int:
        raise TypeError("iroot takes ints")
    if x < 0 or k < 1:
        raise ValueError(f"iroot needs x >= 0 and k >= 1, got x < 0 or k = {k}")
    if x < 2 or k == 1:
        return x
    r = 1 << -(-x.bit_length() // k)  # 2^⌈bits/k⌉ > x^{1/k}
    for _ in range(root_steps(x, k)):
        y = ((k - 1) * r + x // r ** (k - 1)) // k
        if y >= r:
            return r
        r = y
    raise ArithmeticError(f"iroot did not converge in {root_steps(x, k)} steps")  # a bug


def ceil_root(m: int, k: int) -> int:
    """The least integer ``s ≥ 0`` with ``s^k ≥ m`` (``m ≥ 0``, ``k ≥ 1``)."""
    if m <= 1 or k == 1:
        return max(m, 0)
    r = iroot(m, k)
    return r if r**k >= m else r + 1


def root_gas(x: int, k: int) -> int:
    """Gas for :func:`iroot` on ``x``: each of at most :func:`root_steps` steps raises a
    ``bits(x)/k``-bit number to the ``k−1``-th power and divides ``x`` by it, about
    ``k·w²`` word operations for ``w = ⌈bits(x)/256⌉`` (schoolbook multiplication)."""
    words = -(-max(x.bit_length(), 1) // 256)
    return ROOT_WORD_GAS * root_steps(x, k) * k * words * words
