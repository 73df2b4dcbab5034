"""Contract storage's metered, journaled operations and the gas meter: the hot path, compiled.

Every storage access a contract makes (``self.balances[a]``, ``self.balances[b] += x``,
a ``Var``'s read and write) runs a method of :class:`BoundMap`. This module is ordinary
typed Python that the build compiles with mypyc where it can, and runs as it is where it
cannot (:mod:`accord.device.accelerator`): both paths give the same results, bit for bit.
Compiled, ``self.balances[a]`` from contract code goes straight to C (the type's mapping
slot), with no Python frame.

**The meter.** :class:`Meter` is a ledger's gas meter of the running call (``used``,
``limit``) and its write journal: what a storage operation charges and records.
:attr:`Ledger.meter <accord.device.ledger.Ledger.meter>` holds it.

**No handle (the capability discipline of** :mod:`accord.device.context` **).** A contract
holds its BoundMaps, so a BoundMap must not lead to its ledger, its meter or its journal
(whose entries name other contracts' storage). It holds only its own data and the
meter's :attr:`Meter.key`, a number (and the ledger's
:class:`~accord.device.ledger.MeterToken`, which holds nothing); the operations find the
meter by that key in this module's table (:func:`_meter`), which nothing reachable by
attribute access from a contract leads to. (Python can reach a module's globals through
``import`` or ``gc``, as it can a closure's cells: contract code is trusted code,
``docs/security.md``.) A meter leaves the table when its ledger and all its maps are
gone (:func:`release`, a ``weakref.finalize`` of the token), and keys are never reused.

**Typing under compilation.** mypyc checks a value's declared type at run time, where
Python would not: every key and value a contract passes is typed ``Any``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any, Final, Generic, TypeVar

from accord.device import gas as G
from accord.device.errors import OutOfGas
from accord.device.missing import MISSING
from accord.device.storage_cost import checked, shown, write_cost

V = TypeVar("V")

_MISSING: Final[Any] = MISSING
_ATOMS: Final = frozenset({int, str, bool, bytes, type(None)})
_READ: Final = G.READ
_WRITE: Final = G.WRITE
_WRITE_NEW: Final = G.WRITE_NEW
_FAST_KEY: Final = 16
_FAST_HI: Final = (1 << 62) - 1
"""A str key of at most 16 characters (≤ 69 encoded bytes) and an int value of at most
62 bits (≤ 13 bytes; any value up to 100 bits would do) fit ``STORAGE_FREE_BYTES``: the
common write is priced without measuring it
(:func:`accord.device.storage_cost.write_cost` would give the same price). 62 bits:
compiled, such an int is a machine word, compared without a call."""
UNLIMITED: Final = 1 << 62
"""A new meter's limit: nothing is metered until a call sets one."""


class Meter:
    """One ledger's gas meter of the running call and its write journal.

    ``used`` and ``limit`` are the running call's gas (the device sets both before each
    call; :meth:`charge` and every storage operation add to ``used`` and raise
    :class:`OutOfGas` past ``limit``); ``journal`` is the ledger's write journal (the
    same list). ``key`` names it in this module's table (module docstring).
    """

    def __init__(self, journal: list[Any]) -> None:
        self.used: int = 0
        self.limit: int = UNLIMITED
        self.journal = journal
        self.key: int = next(_KEYS)
        _METERS[self.key] = self

    def charge(self, amount: int) -> None:
        """Add ``amount`` gas; raises :class:`OutOfGas` past the limit."""
        used = self.used + amount
        self.used = used
        if used > self.limit:
            raise OutOfGas(used, self.limit)


class _Last:
    """The meter the last storage operation used (a one-entry cache of the table)."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter


_KEYS: Final = count(1)
_METERS: Final[dict[int, Meter]] = {}
"""Every live ledger's meter, by key."""
_LAST: Final = _Last(Meter([]))  # key 1: no map has it


def release(key: int) -> None:
    """Forget meter ``key`` (its ledger was collected): its maps then refuse use."""
    _METERS.pop(key, None)


def _meter(key: int) -> Meter:
    """The meter of key ``key``: the last one used, or the table's."""
    meter = _LAST.meter
    if meter.key == key:
        return meter
    found = _METERS.get(key)
    if found is None:
        raise RuntimeError(f"no meter {key}: this map was not made by a ledger")
    _LAST.meter = found
    return found


class BoundMap(Generic[V]):
    """A deployed contract's mapping: dict-like, journaled and metered.

    Holds its data, default, name, the state hash's origins of its keys, and its
    ledger's meter key (no handle: module docstring). Reads cost ``gas.READ``; writes
    ``gas.WRITE_NEW`` over an absent key, else ``gas.WRITE``, plus the per-byte charge
    (:mod:`accord.device.storage`); writing the default deletes the key.
    """

    def __init__(
        self,
        data: dict[Any, V],
        default: V,
        name: str,
        origin: dict[Any, Any],
        meter: int,
        token: object,
    ) -> None:
        self._data = data
        self._default = default
        self.name = name
        self._origin = origin
        self._meter = meter
        self._token = token  # keeps the meter in the table (never read)

    def __getitem__(self, key: Any) -> V:
        meter = _LAST.meter
        if meter.key != self._meter:
            meter = _meter(self._meter)
        used = meter.used + _READ
        meter.used = used
        if used > meter.limit:
            raise OutOfGas(used, meter.limit)
        return self._data.get(key, self._default)

    def __setitem__(self, key: Any, new: V) -> None:
        meter = _LAST.meter
        if meter.key != self._meter:
            meter = _meter(self._meter)
        data = self._data
        value: Any = new
        if (
            type(value) is int
            and type(key) is str
            and -_FAST_HI <= value <= _FAST_HI
            and len(key) <= _FAST_KEY
        ):  # the common write: canonical, and priced without measuring it
            old = data.get(key, _MISSING)
            used = meter.used + (_WRITE_NEW if old is _MISSING else _WRITE)
        else:
            if type(value) not in _ATOMS:
                value = checked(value, f"{self.name}[{shown(key)}]")
            if type(key) not in _ATOMS:
                key = checked(key, f"{self.name} key")
            old = data.get(key, _MISSING)
            used = meter.used + write_cost(old, key, value)
        meter.used = used
        if used > meter.limit:
            raise OutOfGas(used, meter.limit)
        meter.journal.append((data, key, old))
        origin = self._origin
        if key not in origin:
            origin[key] = old
        if value == self._default:
            data.pop(key, None)
        else:
            data[key] = value

    def __delitem__(self, key: Any) -> None:
        self[key] = self._default

    def __contains__(self, key: Any) -> bool:
        """Whether ``key`` holds a non-default value (metered as a read)."""
        _meter(self._meter).charge(_READ)
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Any, default: V | None = None) -> V | None:
        _meter(self._meter).charge(_READ)
        return self._data.get(key, self._default if default is None else default)

    def keys(self) -> Iterator[Any]:
        """Keys holding non-default values, sorted (deterministic iteration)."""
        data = self._data
        _meter(self._meter).charge(_READ * max(1, len(data)))
        return iter(sorted(data, key=repr))

    def items(self) -> Iterator[tuple[Any, V]]:
        """(key, value) pairs holding non-default values, sorted by key."""
        data = self._data
        _meter(self._meter).charge(_READ * max(1, len(data)))
        return iter([(k, data[k]) for k in sorted(data, key=repr)])

    def slot(self, name: str, default: Any) -> Any:
        """A ``Var`` slot's value (this map holds a contract's Vars; metered read)."""
        _meter(self._meter).charge(_READ)
        return self._data.get(name, default)

    def set_slot(self, name: str, value: Any, default: Any) -> None:
        """Write a ``Var`` slot (metered and journaled; the default deletes it)."""
        meter = _meter(self._meter)
        slots = self._data
        value = checked(value, name)
        old = slots.get(name, _MISSING)
        meter.charge(write_cost(old, name, value))
        meter.journal.append((slots, name, old))
        origin = self._origin
        if name not in origin:
            origin[name] = old
        if value == default:
            slots.pop(name, None)
        else:
            slots[name] = value
