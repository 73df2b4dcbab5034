"""The wire format: the written-out encoding is marshal's, values round-trip, and a
transaction signed with nothing but a key is the device's own."""

from __future__ import annotations

import json
import marshal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import AssetSpec, Device, DeviceConfig, Genesis
from accord.node.signing import Signer
from accord.node.wire import (
    MAX_DEPTH,
    WireError,
    bundle_from_json,
    encode,
    transaction_from_json,
    transaction_to_json,
    value_from_json,
    value_to_json,
)

atoms = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**300), max_value=2**300)
    | st.text()
    | st.binary()
)
canonical = st.recursive(atoms, lambda inner: st.lists(inner, max_size=4).map(tuple), max_leaves=20)


@given(canonical)
def test_the_written_out_encoding_is_marshal_version_0(value: Any) -> None:
    assert encode(value) == marshal.dumps(value, 0)


def test_encoding_edge_ints() -> None:
    for n in (0, -1, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**15, 2**256 - 1, -(2**64)):
        assert encode(n) == marshal.dumps(n, 0), n
    assert (
        encode((1, "é", b"\x00"))
        == b"(\x03\x00\x00\x00i\x01\x00\x00\x00u\x02\x00\x00\x00\xc3\xa9s\x01\x00\x00\x00\x00"
    )


@given(canonical)
def test_values_round_trip_through_json(value: Any) -> None:
    assert value_from_json(value_to_json(value)) == value


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (1.5, "not an integer"),
        ({"$bytes": "zz"}, "not hex"),
        ({"x": 1}, "$bytes"),
        ({"$bytes": 5}, "$bytes"),
        ([[1, 2.0]], "args[0][1]"),
    ],
)
def test_bad_values_are_refused_naming_where(data: Any, says: str) -> None:
    with pytest.raises(WireError, match=r".*" + says.replace("[", r"\[").replace("$", r"\$")):
        value_from_json(data)


def test_nesting_past_the_limit_is_refused_not_recursed() -> None:
    deep: Any = 1
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(WireError, match="nested deeper"):
        value_from_json(deep)
    very_deep: Any = []
    for _ in range(100_000):
        very_deep = [very_deep]
    with pytest.raises(WireError, match="nested deeper"):
        value_from_json(very_deep)


def _device(signer: Signer, chain_id: int = 9) -> Device:
    genesis = Genesis(
        public_keys={signer.address: signer.public_key.hex()},
        assets={"ETH": AssetSpec(issuer="treasury", alloc={signer.address: 10**18})},
    )
    return Device(DeviceConfig(chain_id=chain_id), genesis)


def test_a_key_only_signer_makes_the_devices_transaction() -> None:
    signer = Signer.generate("alice", chain_id=9)
    device = _device(signer)
    wire = signer.sign(0, "bob", "", value={"ETH": 5}, gas_limit=50_000, max_fee=3_000)
    tx = transaction_from_json(wire)
    assert transaction_to_json(tx) == wire
    device.submit(tx)
    device.build_block()
    assert device.balance("bob", "ETH") == 5
    assert device.nonce("alice") == 1


def test_the_device_refuses_another_chains_signature() -> None:
    signer = Signer.generate("alice", chain_id=8)
    device = _device(Signer(signer.private_key, "alice", chain_id=9))
    tx = transaction_from_json(signer.transfer(0, "bob", {"ETH": 1}))
    with pytest.raises(Exception, match="for chain 9"):
        device.submit(tx)


good = Signer(bytes(range(32)), "alice", chain_id=1).transfer(0, "bob", {"ETH": 1})


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"nonce": "0"}, "transaction.nonce: expected an integer"),
        ({"nonce": 1.0}, "transaction.nonce: expected an integer"),
        ({"max_fee": True}, "transaction.max_fee: expected an integer"),
        ({"sender": 5}, "transaction.sender: expected a string"),
        ({"hash": "00"}, "transaction.hash: expected 32 bytes"),
        ({"signature": "xyz"}, "transaction.signature: not hex"),
        ({"value": {"ETH": 1}}, "transaction.value: expected an array"),
        ({"value": [["ETH"]]}, r"transaction.value\[0\]: expected \[asset, amount\]"),
        ({"value": [["ETH", "1"]]}, r"transaction.value\[0\]: expected \[string, integer\]"),
        ({"args": {}}, "transaction.args: expected an array"),
        ({"extra": 1}, "unknown keys 'extra'"),
    ],
)
def test_malformed_transactions_name_the_field(change: dict[str, Any], says: str) -> None:
    with pytest.raises(WireError, match=says):
        transaction_from_json({**good, **change})


def test_missing_keys_and_wrong_shapes() -> None:
    with pytest.raises(WireError, match="missing hash, signature"):
        transaction_from_json({k: v for k, v in good.items() if k not in ("hash", "signature")})
    with pytest.raises(WireError, match="expected an object, got list"):
        transaction_from_json([good])
    with pytest.raises(WireError, match="non-empty array"):
        bundle_from_json({"txs": []})
    with pytest.raises(WireError, match="max_block"):
        bundle_from_json({"txs": [good], "min_block": 5, "max_block": 2})


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.integers(),
        st.integers(min_value=2**2040, max_value=2**2100),
        st.builds(lambda e, s: s * 7**e, st.integers(700, 6000), st.sampled_from([1, -1])),
    )
)
def test_any_int_round_trips_through_its_json_form(value: int) -> None:
    """Ints up to 2,048 bits are JSON numbers; longer ones {"$int": hex}, which even an
    int of more than 4,300 digits (beyond CPython's JSON guard) survives."""
    data = value_to_json((value,))
    text = json.dumps(data)
    assert value_from_json(json.loads(text)) == (value,)
    assert (type(data[0]) is int) == (value.bit_length() <= 2_048)


@pytest.mark.parametrize(
    "bad",
    [
        {"$int": "0x5"},  # small ints are JSON numbers: one form per value
        {"$int": hex(2**2048)[:-1] + "g"},
        {"$int": 5},
        {"$int": None},
        {"$int": "0x"},
        {"$int": "0x" + "f" * 600, "x": 1},
    ],
)
def test_a_malformed_int_object_is_refused_naming_where(bad: dict[str, object]) -> None:
    with pytest.raises(WireError, match=r"^args\[0\]: "):
        value_from_json([bad])
