"""Contract storage: declared, journaled, metered and canonical.

A contract declares its state in the class body::

    class Vault(Contract):
        owner = Var("")          # a single slot
        balances = Map(0)        # key -> value, every absent key reads as the default

Reads cost ``gas.READ``; writes cost ``gas.WRITE_NEW`` when the slot held its default
and ``gas.WRITE`` otherwise (:mod:`accord.device.gas`). Every write is journaled in the
ledger, so a revert undoes it. Writing a slot's default deletes the slot, so the state,
and its hash, depend only on the values, not on the path that led to them.

Values must be canonical (:mod:`accord.device.encoding`): ints, strings, bytes, bools,
``None`` and tuples of these. A float or an object raises at the write, not later.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from accord.device import gas as G
from accord.device.encoding import canonical, is_canonical
from accord.device.errors import OutOfGas
from accord.device.ledger import MISSING

if TYPE_CHECKING:
    from accord.device.ledger import Ledger

V = TypeVar("V")
_ATOMS = frozenset({int, str, bool, bytes, type(None)})
_READ, _WRITE, _WRITE_NEW = G.READ, G.WRITE, G.WRITE_NEW  # module constants: cheaper lookups


def _checked(value: Any, where: str) -> Any:
    if type(value) in _ATOMS or is_canonical(value):
        return value
    return canonical(value, field=where)


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
        return BoundMap(ledger, data, self.default, self.name, origin)

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


class BoundMap(Generic[V]):
    """A deployed contract's mapping: dict-like, journaled and metered."""

    __slots__ = ("_data", "_default", "_ledger", "_origin", "name")

    def __init__(
        self,
        ledger: Ledger,
        data: dict[Any, Any],
        default: V,
        name: str,
        origin: dict[Any, Any] | None = None,
    ) -> None:
        self._ledger = ledger
        self._data = data
        self._default = default
        self.name = name
        self._origin: dict[Any, Any] = {} if origin is None else origin

    def __getitem__(self, key: Any) -> V:
        ledger = self._ledger
        used = ledger.gas_used + _READ
        ledger.gas_used = used
        if used > ledger.gas_limit:
            raise OutOfGas(used, ledger.gas_limit)
        return self._data.get(key, self._default)  # type: ignore[no-any-return]

    def __setitem__(self, key: Any, value: V) -> None:
        ledger = self._ledger
        data = self._data
        old = data.get(key, MISSING)
        used = ledger.gas_used + (_WRITE_NEW if old is MISSING else _WRITE)
        ledger.gas_used = used
        if used > ledger.gas_limit:
            raise OutOfGas(used, ledger.gas_limit)
        if type(value) not in _ATOMS:
            value = _checked(value, f"{self.name}[{key!r}]")
        if type(key) not in _ATOMS:
            key = _checked(key, f"{self.name} key")
        ledger.journal.append((data, key, old))
        origin = self._origin
        if key not in origin:
            origin[key] = old
        if value == self._default:
            data.pop(key, None)
        else:
            data[key] = value

    def __delitem__(self, key: Any) -> None:
        self[key] = self._default

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` holds a non-default value (metered as a read)."""
        self._ledger.use_gas(G.READ)
        return key in self._data

    def get(self, key: Any, default: V | None = None) -> V | None:
        self._ledger.use_gas(G.READ)
        return self._data.get(key, self._default if default is None else default)  # type: ignore[no-any-return]

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> Iterator[Any]:
        """Keys holding non-default values, sorted (deterministic iteration)."""
        self._ledger.use_gas(G.READ * max(1, len(self._data)))
        return iter(sorted(self._data, key=repr))

    def items(self) -> Iterator[tuple[Any, V]]:
        """(key, value) pairs holding non-default values, sorted by key."""
        self._ledger.use_gas(G.READ * max(1, len(self._data)))
        data = self._data
        return iter([(k, data[k]) for k in sorted(data, key=repr)])


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
        ledger: Ledger = instance._ledger  # type: ignore[attr-defined]
        ledger.use_gas(G.READ)
        return instance._vars.get(self.name, self.default)  # type: ignore[attr-defined,no-any-return]

    def __set__(self, instance: object, value: V) -> None:
        ledger: Ledger = instance._ledger  # type: ignore[attr-defined]
        slots: dict[str, Any] = instance._vars  # type: ignore[attr-defined]
        old = slots.get(self.name, MISSING)
        ledger.use_gas(G.WRITE_NEW if old is MISSING else G.WRITE)
        value = _checked(value, self.name)
        ledger.journal.append((slots, self.name, old))
        origin: dict[str, Any] = instance._vars_origin  # type: ignore[attr-defined]
        if self.name not in origin:
            origin[self.name] = old
        if value == self.default:
            slots.pop(self.name, None)
        else:
            slots[self.name] = value
