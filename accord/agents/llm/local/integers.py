"""Integers within bounds as a grammar: the digit strings of exactly ``[low, high]``.

llama-cpp-python's JSON-schema converter drops ``minimum``/``maximum`` on integers
(``llama_grammar.py``: "TODO: support minimum, maximum ..."), so a model held to its
grammar may still answer ``-5`` for a positive amount. Here a range becomes digit
classes, by the usual decomposition of a range into same-length pieces and each piece
into a common prefix, a first-digit interval and free digits (as in regex generators for
numeric ranges): ``[13, 247]`` is ``1[3-9] | [2-9][0-9] | 1[0-9][0-9] | 2[0-3][0-9] |
24[0-7]``. No leading zeros and no ``-0``, as JSON writes integers (RFC 8259, section 6).

A side left open is limited to :data:`OPEN_DIGITS` digits so that a model cannot run
away writing digits; a written bound is kept exactly, up to :data:`MAX_DIGITS`.
"""

from __future__ import annotations

from accord.agents.llm.local.grammar import Lit, Node, Rep, alt, digits, seq

OPEN_DIGITS = 18
"""Digits of an integer whose schema leaves that side open (``|x| < 10**18``)."""
MAX_DIGITS = 40
"""The most digits a written bound may have."""


class RangeError(ValueError):
    """Bounds that cannot be turned into a grammar (empty, or too many digits)."""


def integer_range(low: int | None, high: int | None) -> Node:
    """The JSON integers ``n`` with ``low <= n <= high`` (``None``: open on that side)."""
    for bound in (low, high):
        if bound is not None and len(str(abs(bound))) > MAX_DIGITS:
            raise RangeError(f"an integer bound has more than {MAX_DIGITS} digits")
    if low is not None and high is not None and low > high:
        raise RangeError(f"no integer lies between {low} and {high}")
    parts: list[Node] = []
    if low is None or low < 0:  # negative numbers: "-" and a magnitude in [m_lo, m_hi]
        m_lo = 1 if high is None or high >= 0 else -high
        m_hi = None if low is None else -low
        parts.append(seq(Lit("-"), _natural(m_lo, m_hi)))
    if high is None or high >= 0:
        parts.append(_natural(0 if low is None else max(low, 0), high))
    # Non-negatives first: a model drawn to the first alternative starts with a digit.
    return alt(*reversed(parts))


def _natural(low: int, high: int | None) -> Node:
    """Non-negative integers in ``[low, high]``."""
    if high is None:
        high = max(10**OPEN_DIGITS - 1, 10 ** len(str(low)) - 1)
    pieces: list[Node] = []
    full: list[int] = []  # widths taken whole (10**(w-1) .. 10**w - 1), w >= 2: merged
    for width in range(len(str(low)), len(str(high)) + 1):
        a = max(low, 10 ** (width - 1) if width > 1 else 0)
        b = min(high, 10**width - 1)
        if width > 1 and a == 10 ** (width - 1) and b == 10**width - 1:
            full.append(width)
        elif a <= b:
            pieces += _same_width(str(a), str(b))
    if full:  # consecutive by construction: [1-9] then w-1 free digits, w in full
        free = Rep(digits(0, 9), full[0] - 1, full[-1] - 1)
        pieces.insert(1 if pieces and len(str(low)) < full[0] else 0, seq(digits(1, 9), free))
    return alt(*pieces)


def _same_width(a: str, b: str) -> list[Node]:
    """Digit strings of one width from ``a`` to ``b`` (``a <= b``; zeros allowed inside)."""
    if a == b:
        return [Lit(a)]
    i = 0
    while a[i] == b[i]:
        i += 1
    prefix, a, b = Lit(a[:i]), a[i:], b[i:]
    rest = len(a) - 1
    if rest == 0:
        return [seq(prefix, digits(int(a), int(b)))]
    low_full = a[1:] == "0" * rest  # a's first digit takes every tail
    high_full = b[1:] == "9" * rest
    first = int(a[0]) + (0 if low_full else 1)
    last = int(b[0]) - (0 if high_full else 1)
    out: list[Node] = []
    if not low_full:
        out += [seq(prefix, Lit(a[0]), t) for t in _same_width(a[1:], "9" * rest)]
    if first <= last:
        out.append(seq(prefix, digits(first, last), Rep(digits(0, 9), rest, rest)))
    if not high_full:
        out += [seq(prefix, Lit(b[0]), t) for t in _same_width("0" * rest, b[1:])]
    return out
