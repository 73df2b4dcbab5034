"""The on-chain aggregates of ERC-8004's reputation and validation registries.

Pure integer math, no state: :mod:`accord.contracts.agents` walks its storage and hands
the matching entries here.

**Feedback summary** (``getSummary`` of the Reputation Registry, ERC-8004 draft of
2026-01, ``ethereum/ERCs`` ``ERCS/erc-8004.md``: returns ``(count, summaryValue,
summaryValueDecimals)``). A feedback is a signed fixed-point number ``value ·
10^-valueDecimals`` with ``valueDecimals`` in ``0..18``. The standard does not say how
values of different decimals combine; we follow the reference deployment's rule (the
``erc-8004/erc-8004-contracts`` registries, version 2): every value is brought to 18
decimals (``value · 10^(18 − d)``, exact), the sum is divided by the count, and the
average is given at the *mode* of the decimals (the most frequent; on a tie the
smallest), both divisions truncating toward zero as Solidity's signed ``/`` does. No
entries: ``(0, 0, 0)``. Python ints do not overflow, so unlike ``int128`` the summary
is exact for any count.

**Validation summary** (``getSummary`` of the Validation Registry: ``(count,
averageResponse)``): the responses (``0..100``) of the answered requests, averaged
with the floor (all non-negative); no answered request: ``(0, 0)``.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_DECIMALS = 18
"""``valueDecimals`` is at most 18 (the standard's "0-18")."""

__all__ = ["MAX_DECIMALS", "feedback_summary", "trunc_div", "validation_summary"]


def trunc_div(a: int, b: int) -> int:
    """``a / b`` truncated toward zero (Solidity's signed division), ``b > 0``."""
    q = abs(a) // b
    return -q if a < 0 else q


def feedback_summary(entries: Iterable[tuple[int, int]]) -> tuple[int, int, int]:
    """``(count, summaryValue, summaryValueDecimals)`` of ``(value, valueDecimals)``
    entries (module docstring).

    >>> feedback_summary([(87, 0), (9977, 2)])  # 87 and 99.77: mean 93.385 -> at 0 dp
    (2, 93, 0)
    >>> feedback_summary([(-32, 1), (-33, 1), (5, 0)])  # -3.2, -3.3, 5: mean -0.5
    (3, -5, 1)
    """
    total = 0
    count = 0
    per_decimals = [0] * (MAX_DECIMALS + 1)
    for value, decimals in entries:
        total += value * 10 ** (MAX_DECIMALS - decimals)
        count += 1
        per_decimals[decimals] += 1
    if count == 0:
        return 0, 0, 0
    mode = max(range(MAX_DECIMALS + 1), key=lambda d: (per_decimals[d], -d))
    average = trunc_div(trunc_div(total, count), 10 ** (MAX_DECIMALS - mode))
    return count, average, mode


def validation_summary(responses: Iterable[int]) -> tuple[int, int]:
    """``(count, averageResponse)`` of responses in ``0..100``, the average floored.

    >>> validation_summary([100, 0, 50])
    (3, 50)
    """
    total = count = 0
    for response in responses:
        total += response
        count += 1
    return (count, total // count) if count else (0, 0)
