"""Canonical values and their encodings.

Everything the device stores, hashes or logs is a *canonical value*: ``None``, ``bool``,
``int``, ``str``, ``bytes`` or a ``tuple`` of canonical values. Lists are accepted on
input and frozen to tuples; floats, dicts and objects are refused, because they would
make hashes or replays depend on things outside the state (float formatting, insertion
order, identity).

Two encodings:

* :func:`digest_bytes` — the bytes that hashes are taken over: the ``marshal`` format,
  version 0, of a canonical value. Version 0 writes each of these six types one way
  only: no object references and no interning flags (those came with versions 3 and 1),
  so equal values give equal bytes whatever their identity or refcount; it has not
  changed for these types since Python 3.0 (``tests/device/test_encoding.py`` pins
  it), and it is written in C, about 2.5× faster than ``repr``, which matters because
  the device hashes every transaction it verifies. ``bool`` is distinct from ``int``
  (``T``/``F`` against ``i``), and a subclass of a canonical type (an ``IntEnum``, a
  ``str`` subclass) or an arbitrary object raises :class:`InvalidValue`. ``marshal``
  also writes floats, lists and dicts, so values from outside must pass
  :func:`canonical` first, as :meth:`~accord.device.transaction.Account.sign` does.
* :func:`to_json` / :func:`from_json` — the event log's form. Tuples become arrays,
  bytes become ``{"$bytes": hex}`` and an int over :data:`JSON_INT_BITS` becomes
  ``{"$int": hex}``; decoding turns arrays back into tuples, so a value round-trips
  exactly and its digest is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from marshal import dumps as _dumps
from typing import Any, TypeAlias

from accord.device.errors import InvalidValue

Canonical: TypeAlias = bool | int | str | bytes | tuple[Any, ...] | None

_ATOMS = frozenset({int, str, bool, bytes, type(None)})


def canonical(value: object, *, field: str = "args") -> Canonical:
    """Return ``value`` as a canonical value (lists frozen to tuples), or raise.

    Raises :class:`InvalidValue` naming ``field`` and the offending type.
    """
    kind = type(value)
    if kind in _ATOMS:
        return value  # type: ignore[return-value]
    if isinstance(value, (tuple, list)) and (kind is tuple or kind is list):
        items: list[Canonical] = []
        for i, item in enumerate(value):
            items.append(canonical(item, field=f"{field}[{i}]"))
        return tuple(items)
    raise InvalidValue(
        f"{kind.__name__} is not a canonical value (use int, str, bytes, bool, None or tuple)",
        field=field,
    )


def canonical_args(args: tuple[object, ...] | list[object]) -> tuple[Canonical, ...]:
    """Freeze a call's positional arguments; fast when they are all atoms."""
    for item in args:
        if type(item) not in _ATOMS:
            return canonical(tuple(args))  # type: ignore[return-value]
    return tuple(args)  # type: ignore[arg-type]


def is_canonical(value: object) -> bool:
    """Whether ``value`` is already canonical (no conversion needed)."""
    kind = type(value)
    if kind in _ATOMS:
        return True
    if kind is tuple:
        return all(is_canonical(item) for item in value)  # type: ignore[attr-defined]
    return False


def digest_bytes(value: Canonical) -> bytes:
    """The bytes a hash is taken over: ``marshal`` version 0 of a canonical value.

    Raises :class:`InvalidValue` for a value ``marshal`` cannot write; note that it
    writes lists, dicts and floats, so callers that accept outside values must check
    them with :func:`canonical` first (:class:`~accord.device.transaction.Account`
    does, and a transaction built by hand with such values fails verification).
    """
    try:
        return _dumps(value, 0)
    except ValueError as exc:
        raise InvalidValue(f"cannot encode {value!r}: {exc}", field="value") from None


def digest(value: Canonical, *, size: int = 32) -> bytes:
    """BLAKE2b digest of a canonical value."""
    return hashlib.blake2b(digest_bytes(value), digest_size=size).digest()


JSON_INT_BITS = 2_048
"""Ints up to this many bits are written as JSON numbers; longer ones as
``{"$int": hex}``. ``json.dumps`` and ``json.loads`` refuse an int longer than
``sys.get_int_max_str_digits()`` (CPython's guard against quadratic conversion,
CVE-2020-10735: 4,300 digits by default, 640 at the least), which a canonical int
(a transaction's argument, a contract's storage) may exceed; 2,048 bits is at most 617
digits, so the form works under any limit, and hex conversion is linear and unlimited."""


def to_jsonable(value: Any) -> Any:
    """The JSON structure :func:`to_json` writes (tuples as lists, bytes as
    ``{"$bytes": hex}``, ints over :data:`JSON_INT_BITS` as ``{"$int": hex}``), not yet
    serialised."""
    kind = type(value)
    if kind is tuple or kind is list:
        return [to_jsonable(v) for v in value]
    if kind is bytes:
        return {"$bytes": value.hex()}
    if kind is int and value.bit_length() > JSON_INT_BITS:
        return {"$int": hex(value)}
    return value


def _from_jsonable(value: Any) -> Any:
    if type(value) is list:
        return tuple(_from_jsonable(v) for v in value)
    if type(value) is dict:
        if set(value) == {"$bytes"}:
            return bytes.fromhex(value["$bytes"])
        if set(value) == {"$int"}:
            return int_from_hex(value["$int"])
        raise InvalidValue(f"unexpected object {str(value)[:80]} in encoded value", field="log")
    return value


def int_from_hex(text: object, field: str = "log") -> int:
    """The int of a ``{"$int": hex}`` (only the form :func:`to_jsonable` writes: an int
    over :data:`JSON_INT_BITS` bits; anything else raises :class:`InvalidValue` naming
    ``field``)."""
    raw = text if type(text) is str else ""
    negative = raw.startswith("-0x")
    digits = raw[3:] if negative else raw[2:] if raw.startswith("0x") else ""
    try:
        number = int(digits, 16) if digits else 0
    except ValueError:
        number = 0
    if number.bit_length() <= JSON_INT_BITS:
        raise InvalidValue(
            f"$int must be the hex of an int over {JSON_INT_BITS} bits, got {str(text)[:40]}",
            field=field,
        )
    return -number if negative else number


def from_jsonable(value: Any) -> Any:
    """Inverse of :func:`to_jsonable` (raises :class:`InvalidValue` on an unknown object)."""
    return _from_jsonable(value)


def to_json(value: Canonical) -> str:
    """Compact JSON for the event log."""
    return json.dumps(to_jsonable(value), separators=(",", ":"))


def from_json(text: str) -> Canonical:
    """Inverse of :func:`to_json`."""
    return _from_jsonable(json.loads(text))  # type: ignore[no-any-return]
