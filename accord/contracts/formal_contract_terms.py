"""FormalContract's argument checks, limits and fee shares (the contract's pure helpers).

Every check raises :class:`~accord.device.Revert` with a one-line message naming the
argument, so a bad call changes nothing but its fee (``docs/contracts/formal_contract.md``).
"""

from __future__ import annotations

from typing import Any

from accord.contracts.args import address
from accord.device import Revert
from accord.mechanisms.contracting import MAX_PARTIES, ContractError, split

__all__ = [
    "MAX_BATCH",
    "MAX_DEPOSIT",
    "MAX_STEP",
    "SHARED",
    "bounded",
    "deposits",
    "fee_shares",
    "parties",
    "require",
    "short",
]

SHARED = "*"
"""``fee_payer`` value: the keeper fee is split among all parties."""
MAX_STEP = 2**63 - 1
"""Largest step number (the observer's clock)."""
MAX_DEPOSIT = 2**128
"""Largest deposit per party (keeps the rule's products small)."""
MAX_BATCH = 256
"""Most steps one ``settle_many`` settles (each charged its gas before any runs)."""


def require(fn: Any, *args: Any) -> Any:
    """Run a mechanism check; its :class:`ContractError` becomes a :class:`Revert`."""
    try:
        return fn(*args)
    except ContractError as exc:
        raise Revert(str(exc)) from None


def short(value: object) -> str:
    """``repr(value)``, cut to about 60 characters (a 20 KB argument stays readable)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}...<{len(text)} chars>"


def bounded(name: str, value: object, low: int, high: int) -> int:
    """``value`` if it is an int (not a bool) in ``[low, high]``; else a Revert."""
    if type(value) is not int or not low <= value <= high:
        raise Revert(f"{name} must be an int in [{low}, {high}], got {short(value)}")
    return value


def parties(value: object) -> tuple[str, ...]:
    """2 to ``MAX_PARTIES`` distinct non-empty addresses."""
    if type(value) is not tuple or not 2 <= len(value) <= MAX_PARTIES:
        raise Revert(f"parties must be a tuple of 2 to {MAX_PARTIES} addresses, got {short(value)}")
    for i, who in enumerate(value):
        address(f"parties[{i}]", who)
    if len(set(value)) != len(value):
        raise Revert(f"parties must be distinct, got {short(value)}")
    return value


def deposits(value: object, n: int) -> tuple[int, ...]:
    """One deposit per party, each an int in ``[0, MAX_DEPOSIT]``."""
    if type(value) is not tuple or len(value) != n:
        raise Revert(f"deposits must be a tuple of {n} ints, one per party, got {short(value)}")
    for i, d in enumerate(value):
        bounded(f"deposits[{i}]", d, 0, MAX_DEPOSIT)
    return value


def fee_shares(terms: tuple[Any, ...]) -> tuple[int, ...]:
    """Each party's share of one settlement's keeper fee under ``terms``: all of it for
    the ``fee_payer``, or split among all parties (``"*"``, exact split), or none."""
    names, fee_payer, fee = terms[1], terms[7], terms[8]
    n = len(names)
    if not fee:
        return (0,) * n
    if fee_payer == SHARED:
        return split(fee, n)
    return tuple(fee if who == fee_payer else 0 for who in names)
