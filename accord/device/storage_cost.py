"""What contract storage may hold and what a write costs: the canonical check and the
per-byte price.

Values (and keys) must be canonical (:mod:`accord.device.encoding`); a write costs
``gas.WRITE_NEW`` over an absent key, else ``gas.WRITE``, plus ``gas.STORAGE_BYTE_NEW``
/ ``gas.STORAGE_BYTE`` per byte of the key's and value's encodings beyond the first
``gas.STORAGE_FREE_BYTES`` (:mod:`accord.device.gas`), so data costs what it occupies.

These are the uncommon writes' helpers (:class:`~accord.device.fast_storage.BoundMap`
prices the common write, a short str key and a small int, without them). They stay
interpreted: they walk nested tuples by recursion, which Python bounds (a too-deep value
raises ``RecursionError``, an out of gas) where compiled code would not.
"""

from __future__ import annotations

from typing import Any

from accord.device import gas as G
from accord.device.encoding import canonical, is_canonical
from accord.device.missing import MISSING

_ATOMS = frozenset({int, str, bool, bytes, type(None)})
_WRITE, _WRITE_NEW = G.WRITE, G.WRITE_NEW
_FREE, _BYTE, _BYTE_NEW = G.STORAGE_FREE_BYTES, G.STORAGE_BYTE, G.STORAGE_BYTE_NEW
_SMALL_MIN, _SMALL_MAX = -(1 << 31), (1 << 31) - 1


def encoded_size(value: Any) -> int:
    """Length in bytes of ``value``'s canonical encoding (``marshal`` version 0, as
    :func:`accord.device.encoding.digest_bytes` writes it), computed without writing it:
    5 bytes for an int that fits 32 bits (``i`` + 4), else 5 + 2 per 15-bit digit (``l``);
    5 + the UTF-8 length for a str; 5 + the length for bytes; 1 for ``None``/bools;
    5 + the items' sizes for a tuple."""
    kind = type(value)
    if kind is int:
        if _SMALL_MIN <= value <= _SMALL_MAX:
            return 5
        digits: int = (abs(value).bit_length() + 14) // 15
        return 5 + 2 * digits
    if kind is str:
        text: str = value
        return 5 + (len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass")))
    if kind is bytes:
        return 5 + len(value)
    if kind is tuple:
        return 5 + sum(map(encoded_size, value))
    return 1


def shown(key: Any) -> str:
    """A short repr of ``key`` for an error message (a huge key is cut, not printed)."""
    if type(key) in (str, bytes) and len(key) > 64:
        return f"{key[:64]!r}..."
    if type(key) is int and key.bit_length() > 256:
        return f"<int of {key.bit_length()} bits>"
    text = repr(key) if type(key) is not tuple or len(key) <= 8 else f"<tuple of {len(key)}>"
    return text if len(text) <= 200 else text[:200] + "..."


def checked(value: Any, where: str) -> Any:
    """``value`` as a canonical value (lists frozen to tuples), or raise
    :class:`~accord.device.errors.InvalidValue` naming ``where``."""
    if type(value) in _ATOMS or is_canonical(value):
        return value
    return canonical(value, field=where)


def write_cost(old: Any, key: Any, value: Any) -> int:
    """Gas for writing ``value`` under ``key`` over ``old``: the base write plus the
    per-byte charge beyond ``STORAGE_FREE_BYTES`` (gas schedule in :mod:`.gas`)."""
    size = encoded_size(key) + encoded_size(value)
    if old is MISSING:
        return _WRITE_NEW + (_BYTE_NEW * (size - _FREE) if size > _FREE else 0)
    return _WRITE + (_BYTE * (size - _FREE) if size > _FREE else 0)
