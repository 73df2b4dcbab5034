"""Contract storage: declared, journaled, metered and canonical.

A contract declares its state in the class body::

    class Vault(Contract):
        owner = Var("")          # a single slot
        balances = Map(0)        # key -> value, every absent key reads as the default

Reads cost ``gas.READ``; writes cost ``gas.WRITE_NEW`` when the slot held its default
and ``gas.WRITE`` otherwise, plus a charge per byte of the key's and value's encodings
beyond the first ``gas.STORAGE_FREE_BYTES`` (:mod:`accord.device.gas`), so data costs
what it occupies. Every write is journaled in the ledger, so a revert undoes it.
Writing a slot's default deletes the slot, so the state,
and its hash, depend only on the values, not on the path that led to them.

Values must be canonical (:mod:`accord.device.encoding`): ints, strings, bytes, bools,
``None`` and tuples of these. A float or an object raises at the write, not later.

A deployed contract's storage holds no handle to the ledger: the metered, journaled
operations of :class:`BoundMap` are functions of a per-ledger subclass
(:func:`storage_class`) that reach the ledger through their closures, as the call
context's do (:mod:`accord.device.context`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, overload

from accord.device import gas as G
from accord.device.encoding import canonical, is_canonical
from accord.device.errors import OutOfGas
from accord.device.ledger import MISSING

if TYPE_CHECKING:
    from accord.device.ledger import Ledger

V = TypeVar("V")
_ATOMS = frozenset({int, str, bool, bytes, type(None)})
_READ, _WRITE, _WRITE_NEW = G.READ, G.WRITE, G.WRITE_NEW  # module constants: cheaper lookups
_FREE, _BYTE, _BYTE_NEW = G.STORAGE_FREE_BYTES, G.STORAGE_BYTE, G.STORAGE_BYTE_NEW
_SMALL_MIN, _SMALL_MAX = -(1 << 31), (1 << 31) - 1
_FAST_KEY, _FAST_HI = 16, 1 << 100
"""A str key of at most 16 characters (≤ 69 encoded bytes) and an int value of at most
100 bits (≤ 19 bytes) fit ``STORAGE_FREE_BYTES``: the common write is priced without
measuring it."""


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


def _shown(key: Any) -> str:
    """A short repr of ``key`` for an error message (a huge key is cut, not printed)."""
    if type(key) in (str, bytes) and len(key) > 64:
        return f"{key[:64]!r}..."
    if type(key) is int and key.bit_length() > 256:
        return f"<int of {key.bit_length()} bits>"
    text = repr(key) if type(key) is not tuple or len(key) <= 8 else f"<tuple of {len(key)}>"
    return text if len(text) <= 200 else text[:200] + "..."


def _checked(value: Any, where: str) -> Any:
    if type(value) in _ATOMS or is_canonical(value):
        return value
    return canonical(value, field=where)


def _write_cost(old: Any, key: Any, value: Any) -> int:
    """Gas for writing ``value`` under ``key`` over ``old``: the base write plus the
    per-byte charge beyond ``STORAGE_FREE_BYTES`` (gas schedule in :mod:`.gas`)."""
    size = encoded_size(key) + encoded_size(value)
    if old is MISSING:
        return _WRITE_NEW + (_BYTE_NEW * (size - _FREE) if size > _FREE else 0)
    return _WRITE + (_BYTE * (size - _FREE) if size > _FREE else 0)


class Map(Generic[V]):
    """Declares a key → value mapping in a contract's storage."""

    def __init__(self, default: V) -> None:
        if not is_canonical(default):
            raise TypeError(f"Map default must be canonical, got {default!r}")
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def bind(self, ledger: Ledger, address: str) -> BoundMap[V]:
        """A fresh, empty mapping for the contract at ``address``, tracked for hashing."""
        data: dict[Any, Any] = {}
        origin = ledger.track(("map", address, self.name), data)
        return storage_class(ledger)(data, self.default, self.name, origin)

    @overload
    def __get__(self, instance: None, owner: type) -> Map[V]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> BoundMap[V]: ...
    def __get__(self, instance: object | None, owner: type) -> Map[V] | BoundMap[V]:
        # For type checkers (an instance's Map reads as its BoundMap): at run time
        # Contract takes its Maps off the class, so this is reached only by a Map
        # declared outside a Contract.
        if instance is None:
            return self
        raise AttributeError(f"storage {self.name!r} is used before the contract is deployed")


def _unbound(*_: object) -> NoReturn:
    raise TypeError("this BoundMap was not made by a ledger (storage_class)")


class BoundMap(Generic[V]):
    """A deployed contract's mapping: dict-like, journaled and metered.

    The metered methods come from the per-ledger subclass :func:`storage_class` makes;
    an instance holds its data, default, name and state-hash origins, and no ledger.
    """

    __slots__ = ("_data", "_default", "_origin", "name")

    def __init__(
        self,
        data: dict[Any, Any],
        default: V,
        name: str,
        origin: dict[Any, Any] | None = None,
    ) -> None:
        self._data = data
        self._default = default
        self.name = name
        self._origin: dict[Any, Any] = {} if origin is None else origin

    def __getitem__(self, key: Any) -> V:
        _unbound()

    def __setitem__(self, key: Any, value: V) -> None:
        _unbound()

    def __delitem__(self, key: Any) -> None:
        self[key] = self._default

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` holds a non-default value (metered as a read)."""
        _unbound()

    def get(self, key: Any, default: V | None = None) -> V | None:
        _unbound()

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> Iterator[Any]:
        """Keys holding non-default values, sorted (deterministic iteration)."""
        _unbound()

    def items(self) -> Iterator[tuple[Any, V]]:
        """(key, value) pairs holding non-default values, sorted by key."""
        _unbound()

    def slot(self, name: str, default: Any) -> Any:
        """A ``Var`` slot's value (this map holds a contract's Vars; metered read)."""
        _unbound()

    def set_slot(self, name: str, value: Any, default: Any) -> None:
        """Write a ``Var`` slot (metered and journaled; the default deletes it)."""
        _unbound()


def storage_class(ledger: Ledger) -> type[BoundMap[Any]]:
    """``ledger``'s :class:`BoundMap` subclass (made once per ledger, then cached on it):
    its methods meter and journal through closures over ``ledger``, so its instances,
    which contracts hold, carry no reference to the ledger."""
    made = ledger.storage_classes
    if made is not None:
        return made  # type: ignore[no-any-return]
    journal = ledger.journal
    use_gas = ledger.use_gas

    def getitem(self: BoundMap[Any], key: Any) -> Any:
        used = ledger.gas_used + _READ
        ledger.gas_used = used
        if used > ledger.gas_limit:
            raise OutOfGas(used, ledger.gas_limit)
        return self._data.get(key, self._default)

    def setitem(self: BoundMap[Any], key: Any, value: Any) -> None:
        data = self._data
        if (
            type(value) is int
            and type(key) is str
            and abs(value) < _FAST_HI
            and len(key) <= _FAST_KEY
        ):  # the common write: canonical, and priced without measuring it
            old = data.get(key, MISSING)
            used = ledger.gas_used + (_WRITE_NEW if old is MISSING else _WRITE)
        else:
            if type(value) not in _ATOMS:
                value = _checked(value, f"{self.name}[{_shown(key)}]")
            if type(key) not in _ATOMS:
                key = _checked(key, f"{self.name} key")
            old = data.get(key, MISSING)
            used = ledger.gas_used + _write_cost(old, key, value)
        ledger.gas_used = used
        if used > ledger.gas_limit:
            raise OutOfGas(used, ledger.gas_limit)
        journal.append((data, key, old))
        if key not in self._origin:
            self._origin[key] = old
        if value == self._default:
            data.pop(key, None)
        else:
            data[key] = value

    def contains(self: BoundMap[Any], key: object) -> bool:
        use_gas(_READ)
        return key in self._data

    def get(self: BoundMap[Any], key: Any, default: Any = None) -> Any:
        use_gas(_READ)
        return self._data.get(key, self._default if default is None else default)

    def keys(self: BoundMap[Any]) -> Iterator[Any]:
        use_gas(_READ * max(1, len(self._data)))
        return iter(sorted(self._data, key=repr))

    def items(self: BoundMap[Any]) -> Iterator[tuple[Any, Any]]:
        use_gas(_READ * max(1, len(self._data)))
        data = self._data
        return iter([(k, data[k]) for k in sorted(data, key=repr)])

    def slot(self: BoundMap[Any], name: str, default: Any) -> Any:
        use_gas(_READ)
        return self._data.get(name, default)

    def set_slot(self: BoundMap[Any], name: str, value: Any, default: Any) -> None:
        slots = self._data
        value = _checked(value, name)
        old = slots.get(name, MISSING)
        use_gas(_write_cost(old, name, value))
        journal.append((slots, name, old))
        origin = self._origin
        if name not in origin:
            origin[name] = old
        if value == default:
            slots.pop(name, None)
        else:
            slots[name] = value

    namespace = {
        "__slots__": (),
        "__module__": BoundMap.__module__,
        "__qualname__": "BoundMap",
        "__doc__": BoundMap.__doc__,
        "__getitem__": getitem,
        "__setitem__": setitem,
        "__contains__": contains,
        "get": get,
        "keys": keys,
        "items": items,
        "slot": slot,
        "set_slot": set_slot,
    }
    cls: type[BoundMap[Any]] = type("BoundMap", (BoundMap,), namespace)
    ledger.storage_classes = cls
    return cls


class Var(Generic[V]):
    """Declares a single storage slot in a contract."""

    def __init__(self, default: V) -> None:
        if not is_canonical(default):
            raise TypeError(f"Var default must be canonical, got {default!r}")
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Var[V]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> V: ...
    def __get__(self, instance: object | None, owner: type) -> V | Var[V]:
        if instance is None:
            return self
        return instance._var_store.slot(self.name, self.default)  # type: ignore[attr-defined,no-any-return]

    def __set__(self, instance: object, value: V) -> None:
        instance._var_store.set_slot(self.name, value, self.default)  # type: ignore[attr-defined]
