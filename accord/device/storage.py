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
operations of :class:`BoundMap` (:mod:`accord.device.fast_storage`, compiled by the
build where it can) find the ledger's gas meter and journal by a key, in a table that
nothing a contract reaches by attribute access leads to, as the call context's
operations reach the ledger through their closures (:mod:`accord.device.context`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from accord.device.encoding import is_canonical
from accord.device.fast_storage import BoundMap
from accord.device.storage_cost import encoded_size

if TYPE_CHECKING:
    from accord.device.ledger import Ledger

__all__ = ["BoundMap", "Map", "Var", "encoded_size"]

V = TypeVar("V")


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
        data: dict[Any, V] = {}
        origin = ledger.track(("map", address, self.name), data)
        return BoundMap(data, self.default, self.name, origin, ledger.meter.key, ledger.meter_token)

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
