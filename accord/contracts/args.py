"""Argument checks shared by contracts: a bad argument reverts with a message naming it."""

from __future__ import annotations

from accord.device import Revert

__all__ = ["address", "base_units"]


def base_units(name: str, value: object, *, positive: bool = False) -> int:
    """``value`` if it is an int amount (not a bool) that is non-negative, or positive with
    ``positive``; else a :class:`Revert` naming ``name``."""
    if type(value) is not int:
        raise Revert(f"{name} must be an int in base units, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise Revert(f"{name} must be {'positive' if positive else 'non-negative'}, got {value}")
    return value


def address(name: str, value: object) -> str:
    """``value`` if it is a non-empty str (an account, a contract or an asset symbol);
    else a :class:`Revert` naming ``name``."""
    if type(value) is not str or not value:
        raise Revert(f"{name} must be a non-empty str, got {value!r}")
    return value
