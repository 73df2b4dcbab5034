"""Contract storage: Var and Map are journaled, metered, canonical and default-deleting."""

from __future__ import annotations

from typing import TypeVar

import pytest

from accord.device import InvalidValue, Map, OutOfGas, Var, gas
from accord.device.contract import Contract
from accord.device.ledger import Ledger
from tests.device.sample_contracts import Callee, Vault

C = TypeVar("C", bound=Contract)


def bound(cls: type[C], ledger: Ledger | None = None) -> tuple[C, Ledger]:
    """An instance bound to a ledger, as deployment does, without a device."""
    ledger = ledger or Ledger()
    instance = cls.__new__(cls)
    instance._bind("0xc0ffee", ledger)
    return instance, ledger


def test_map_reads_default_and_writes_are_journaled() -> None:
    vault, ledger = bound(Vault)
    assert vault.balances["x"] == 0
    mark = ledger.mark()
    vault.balances["x"] = 5
    vault.balances["y"] += 3
    vault.owner = "alice"
    assert vault.storage() == {"owner": "alice", "balances": {"x": 5, "y": 3}}
    ledger.rollback(mark)
    assert vault.storage() == {"balances": {}}
    assert vault.owner == ""


def test_nested_rollback_keeps_earlier_writes() -> None:
    vault, ledger = bound(Vault)
    vault.balances["x"] = 1
    outer = ledger.mark()
    vault.balances["x"] = 2
    inner = ledger.mark()
    vault.balances["x"] = 3
    vault.balances["z"] = 9
    ledger.rollback(inner)
    assert vault.storage()["balances"] == {"x": 2}
    ledger.rollback(outer)
    assert vault.storage()["balances"] == {"x": 1}


def test_writing_the_default_deletes_the_slot() -> None:
    vault, ledger = bound(Vault)
    vault.balances["x"] = 5
    vault.balances["x"] = 0
    assert "x" not in vault.balances._data
    assert len(vault.balances) == 0
    vault.owner = "alice"
    vault.owner = ""
    assert vault._vars == {}
    vault.balances["y"] = 7
    del vault.balances["y"]
    assert vault.storage() == {"balances": {}}
    mark = ledger.mark()
    vault.balances["q"] = 4
    del vault.balances["q"]
    vault.balances["q"] = 6
    ledger.rollback(mark)
    assert vault.storage() == {"balances": {}}


def test_gas_schedule_of_storage() -> None:
    vault, ledger = bound(Vault)
    ledger.gas_used = 0
    _ = vault.balances["x"]
    assert ledger.gas_used == gas.READ
    vault.balances["x"] = 1  # slot held its default: WRITE_NEW
    assert ledger.gas_used == gas.READ + gas.WRITE_NEW
    vault.balances["x"] = 2  # slot held a value: WRITE
    assert ledger.gas_used == gas.READ + gas.WRITE_NEW + gas.WRITE
    ledger.gas_used = 0
    vault.owner = "a"
    vault.owner = "b"
    _ = vault.owner
    assert ledger.gas_used == gas.WRITE_NEW + gas.WRITE + gas.READ


def test_out_of_gas_stops_the_write() -> None:
    vault, ledger = bound(Vault)
    ledger.gas_used, ledger.gas_limit = 0, gas.WRITE_NEW - 1
    with pytest.raises(OutOfGas):
        vault.balances["x"] = 1
    assert vault.storage()["balances"] == {}
    assert ledger.journal == []


def test_values_must_be_canonical() -> None:
    vault, _ = bound(Vault)
    with pytest.raises(InvalidValue) as info:
        vault.balances["x"] = 1.5  # type: ignore[assignment]
    assert "balances['x']" in info.value.field
    with pytest.raises(InvalidValue):
        vault.balances["x"] = {"a": 1}  # type: ignore[assignment]
    with pytest.raises(InvalidValue):
        vault.owner = object()  # type: ignore[assignment]
    with pytest.raises(InvalidValue):
        vault.balances[1.5] = 1
    vault.balances["t"] = [1, (2, "x")]  # type: ignore[assignment]
    assert vault.balances._data["t"] == (1, (2, "x"))  # lists frozen to tuples
    assert vault.storage()["balances"] == {"t": (1, (2, "x"))}


def test_declarations_need_canonical_defaults() -> None:
    with pytest.raises(TypeError):
        Map(1.5)
    with pytest.raises(TypeError):
        Var([])


def test_undeclared_attributes_are_refused() -> None:
    vault, _ = bound(Vault)
    with pytest.raises(AttributeError, match="must be declared as Var or Map"):
        vault.total = 1
    with pytest.raises(AttributeError):
        vault.balances = {}  # type: ignore[assignment]  # Maps cannot be rebound


def test_map_used_before_deployment() -> None:
    vault = Vault.__new__(Vault)
    with pytest.raises(AttributeError, match="'balances' of Vault is used before the contract"):
        _ = vault.balances["a"]
    with pytest.raises(AttributeError, match="before the contract is deployed"):
        vault.balances["a"] = 1
    with pytest.raises(AttributeError, match="before the contract is deployed"):
        vault.balances.keys()


def test_maps_leave_the_class_and_live_on_each_instance() -> None:
    # An instance attribute with no class attribute of its name is what CPython reads
    # fastest (see Contract.__init_subclass__); the class keeps its Maps in _maps.
    assert "balances" not in vars(Vault) and set(Vault._maps) == {"balances"}
    vault, _ = bound(Vault)
    other, _ = bound(Vault)
    vault.balances["a"] = 5
    assert vault.balances["a"] == 5 and other.balances["a"] == 0


def test_map_iteration_is_sorted_and_metered() -> None:
    vault, ledger = bound(Vault)
    for key in ("c", "a", "b"):
        vault.balances[key] = ord(key)
    ledger.gas_used = 0
    assert list(vault.balances.keys()) == ["a", "b", "c"]
    assert ledger.gas_used == 3 * gas.READ
    assert list(vault.balances.items()) == [("a", 97), ("b", 98), ("c", 99)]
    assert "a" in vault.balances
    assert "z" not in vault.balances
    assert vault.balances.get("z", 7) == 7
    assert vault.balances.get("a") == 97


def test_two_instances_do_not_share_storage() -> None:
    ledger = Ledger()
    one, _ = bound(Callee, ledger)
    two = Callee.__new__(Callee)
    two._bind("0xbeef", ledger)
    one.slots["k"] = 1
    assert two.slots["k"] == 0
    assert two.storage() == {"slots": {}}
