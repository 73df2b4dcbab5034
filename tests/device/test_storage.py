"""Contract storage: Var and Map are journaled, metered, canonical and default-deleting."""

from __future__ import annotations

import gc
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import InvalidValue, Map, OutOfGas, Var, fast_storage, gas
from accord.device.contract import Contract
from accord.device.encoding import digest_bytes
from accord.device.ledger import MISSING, Ledger
from accord.device.storage import encoded_size
from accord.device.storage_cost import write_cost
from tests.device.conftest import make_device
from tests.device.sample_contracts import Callee, Scratch, Vault

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


@pytest.mark.parametrize("key", ["k" * 16, "k" * 17, "é" * 16])
@pytest.mark.parametrize(
    "value", [1, -1, 2**62 - 1, -(2**62) + 1, 2**62, -(2**62), 2**100, -(2**100), 2**700]
)
def test_a_write_costs_write_cost_on_either_side_of_the_common_case(key: str, value: int) -> None:
    """The common write (a short str key, an int of at most 62 bits) is priced without
    measuring it; every write, in it or not, costs what ``write_cost`` says."""
    vault, ledger = bound(Vault)
    for old in (MISSING, 7):
        if old is not MISSING:
            vault.balances[key] = old
        ledger.gas_used = 0
        vault.balances[key] = value
        assert ledger.gas_used == write_cost(old, key, value)
        vault.balances[key] = 0  # the default: deleted


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


def test_a_map_outlives_its_ledger_and_its_meter_leaves_with_the_last_of_them() -> None:
    # A map finds its ledger's meter by key in fast_storage's table (it holds no handle);
    # the ledger and each map hold the key's token, which keeps the meter there.
    vault, ledger = bound(Vault)
    key = ledger.meter.key
    assert fast_storage._METERS[key] is ledger.meter
    del ledger
    gc.collect()
    vault.balances["a"] = 5  # still metered and journaled by the (unreachable) meter
    assert vault.balances["a"] == 5 and key in fast_storage._METERS
    del vault
    gc.collect()
    assert key not in fast_storage._METERS


def test_a_map_of_an_unknown_meter_refuses_use() -> None:
    stray = fast_storage.BoundMap({}, 0, "stray", {}, 10**12, object())
    with pytest.raises(RuntimeError, match="not made by a ledger"):
        stray["a"]
    with pytest.raises(RuntimeError, match="not made by a ledger"):
        stray["a"] = 1


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


CANONICAL = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=-(2**700), max_value=2**700),
        st.text(max_size=40),
        st.binary(max_size=40),
    ),
    lambda inner: st.lists(inner, max_size=4).map(tuple),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=CANONICAL)
def test_encoded_size_is_the_canonical_encodings_length(value: object) -> None:
    assert encoded_size(value) == len(digest_bytes(value))  # type: ignore[arg-type]


def test_storage_costs_gas_per_byte_beyond_the_slot() -> None:
    vault, ledger = bound(Vault)
    key = "k" * 1_000  # 1,005 encoded bytes, a value of 5: 914 bytes beyond the free 96
    extra = encoded_size(key) + encoded_size(1) - gas.STORAGE_FREE_BYTES
    assert extra == 914
    ledger.gas_used = 0
    vault.balances[key] = 1
    assert ledger.gas_used == gas.WRITE_NEW + gas.STORAGE_BYTE_NEW * extra
    ledger.gas_used = 0
    vault.balances[key] = 2  # a rewrite: SSTORE_RESET per byte
    assert ledger.gas_used == gas.WRITE + gas.STORAGE_BYTE * extra
    ledger.gas_used = 0
    vault.owner = "x" * 300  # Vars too
    assert ledger.gas_used == gas.WRITE_NEW + gas.STORAGE_BYTE_NEW * (
        encoded_size("owner") + encoded_size("x" * 300) - gas.STORAGE_FREE_BYTES
    )
    ledger.gas_used = 0
    vault.balances["short"] = 10**30  # small writes cost what they always did
    assert ledger.gas_used == gas.WRITE_NEW


def test_a_huge_key_runs_out_of_gas_and_writes_nothing() -> None:
    """The issue's 20 MB key cost 50,950 gas and wrote 40 MB of log; now it cannot fit a
    block (here 1 MB against a whole 30M block: its calldata, 16 gas a byte (EIP-2028),
    fits; storing it, 68 a byte, does not; 2 MB could not even be sent)."""
    device = make_device()
    alice = device.account("alice")
    scratch = device.deploy(alice, Scratch)
    key = "k" * 1_000_000
    assert gas.intrinsic_gas("put", (key, 1, False), ()) < 30_000_000
    assert gas.STORAGE_BYTE_NEW * (len(key) - gas.STORAGE_FREE_BYTES) > 30_000_000
    receipt = device.call(alice, scratch, "put", key, 1, False, gas_limit=30_000_000)
    assert receipt.status == "out_of_gas"
    assert device.contract_at(scratch).storage()["slots"] == {}


def test_a_big_event_pays_per_byte() -> None:
    device = make_device()
    alice = device.account("alice")
    vault = device.deploy(alice, Vault)
    small = device.call(alice, vault, "deposit_logged", "x", 3)
    big = device.call(alice, vault, "deposit_logged", "x" * 10_001, 3, gas_limit=10_000_000)
    assert small.ok and big.ok
    # 10,000 more bytes of event data at G_logdata = 8, and the longer key's storage.
    storage = gas.STORAGE_BYTE_NEW * (
        encoded_size("x" * 10_001) + encoded_size(3) - gas.STORAGE_FREE_BYTES
    )
    calldata = gas.intrinsic_gas("deposit_logged", ("x" * 10_001, 3), ()) - gas.intrinsic_gas(
        "deposit_logged", ("x", 3), ()
    )
    assert 16 * 10_000 <= calldata < 16 * 10_001  # EIP-2028: 10,000 more non-zero bytes
    assert big.gas_used - small.gas_used == gas.EVENT_BYTE * 10_000 + storage + calldata
