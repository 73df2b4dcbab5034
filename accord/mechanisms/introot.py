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

**Gas.** A caller on the device passes ``charge`` (e.g. ``ctx.use_gas``): :func:`iroot`
calls it with :func:`root_step_gas` *before* each Newton step, so a root is charged by
the steps it actually takes, and one that cannot be paid stops before its next step.
:func:`root_gas` is the bound, :func:`root_steps` steps' worth, for a caller that charges
everything up front.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ceil_root", "iroot", "root_gas", "root_step_gas", "root_steps"]

ROOT_WORD_GAS = 5
"""Gas per 256-bit word operation of a root's arithmetic: EVM ``MUL``/``DIV`` (G_low, 5)."""

Charge = Callable[[int], object]
"""Called with an amount of gas before the work it pays for (raises to stop it)."""


def root_steps(x: int, k: int) -> int:
    """An upper bound on the Newton steps :func:`iroot` takes for ``x`` and ``k``."""
    return 2 * k + 2 * max(x.bit_length(), 1).bit_length() + 8


def iroot(x: int, k: int, charge: Charge | None = None) -> int:
    """``⌊x^{1/k}⌋`` for an int ``x ≥ 0`` and ``k ≥ 1`` (module docstring); ``charge``
    is called with :func:`root_step_gas` before each Newton step."""
    if type(x) is not int or type(k) is not int:
        raise TypeError("iroot takes ints")
    if x < 0 or k < 1:
        raise ValueError(f"iroot needs x >= 0 and k >= 1, got x < 0 or k = {k}")
    if x < 2 or k == 1:
        return x
    r = 1 << -(-x.bit_length() // k)  # 2^⌈bits/k⌉ > x^{1/k}
    step = root_step_gas(x, k) if charge is not None else 0
    for _ in range(root_steps(x, k)):
        if charge is not None:
            charge(step)
        y = ((k - 1) * r + x // r ** (k - 1)) // k
        if y >= r:
            return r
        r = y
    raise ArithmeticError(f"iroot did not converge in {root_steps(x, k)} steps")  # a bug


def ceil_root(m: int, k: int, charge: Charge | None = None) -> int:
    """The least integer ``s ≥ 0`` with ``s^k ≥ m`` (``m ≥ 0``, ``k ≥ 1``); ``charge`` as
    for :func:`iroot` (the final check ``r^k ≥ m`` is one more step's worth)."""
    if m <= 1 or k == 1:
        return max(m, 0)
    r = iroot(m, k, charge)
    if charge is not None:
        charge(root_step_gas(m, k))
    return r if r**k >= m else r + 1


def root_step_gas(x: int, k: int) -> int:
    """Gas for one Newton step of :func:`iroot` on ``x``: it raises a ``bits(x)/k``-bit
    number to the ``k−1``-th power and divides ``x`` by it, at most ``k·w²`` word
    operations for ``w = ⌈bits(x)/256⌉`` (schoolbook multiplication: ``k−1`` products
    each at most ``w`` words by ``w``; a bound, CPython's binary powering does less)."""
    words = -(-max(x.bit_length(), 1) // 256)
    return ROOT_WORD_GAS * k * words * words


def root_gas(x: int, k: int) -> int:
    """Gas bound for :func:`iroot` on ``x``: :func:`root_steps` steps of
    :func:`root_step_gas`."""
    return root_steps(x, k) * root_step_gas(x, k)
