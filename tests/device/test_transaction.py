"""Transactions and bundles as data: signing, hashing, canonical arguments, bundles."""

from __future__ import annotations

from hashlib import blake2s

import pytest

from accord.device import Account, Bundle, InvalidValue
from accord.device.transaction import (
    DEFAULT_GAS_LIMIT,
    MAC_PERSON,
    chain_key,
    mac,
    mac_state,
    transaction_hash,
)

ALICE = Account("alice", b"k" * 32)
BOB = Account("bob", b"b" * 32)


def test_sign_fields_hash_and_signature() -> None:
    tx = ALICE.sign(3, "0xabc", "deposit", "x", 5, value={"ETH": 7}, max_fee=9, priority_fee=2)
    assert tx.content() == (
        "alice",
        3,
        "0xabc",
        "deposit",
        ("x", 5),
        (("ETH", 7),),
        DEFAULT_GAS_LIMIT,
        9,
        2,
    )
    assert tx.hash == transaction_hash(tx.content())
    # the MAC under the account's key for chain 1 (the default chain id)
    assert tx.signature == mac(chain_key(ALICE.key, 1), tx.hash)
    assert len(tx.hash) == 32 and len(tx.signature) == 16
    assert tx.value_map() == {"ETH": 7}
    assert tx.short() == "alice#3→0xabc.deposit"
    assert ALICE.sign(0, "bob", value={"ETH": 1}).short() == "alice#0→bob.transfer"
    assert ALICE.sign(0, "", "m:C").short() == "alice#0→DEPLOY.m:C"


def test_signing_is_deterministic_and_key_dependent() -> None:
    one = ALICE.sign(0, "bob", value={"ETH": 1})
    two = ALICE.sign(0, "bob", value={"ETH": 1})
    assert one == two
    other_key = Account("alice", b"z" * 32).sign(0, "bob", value={"ETH": 1})
    assert other_key.hash == one.hash
    assert other_key.signature != one.signature
    assert ALICE.sign(1, "bob", value={"ETH": 1}).hash != one.hash


def test_the_mac_is_one_personalised_blake2s_block_of_key_and_digest() -> None:
    digest = bytes(range(32))
    expected = blake2s(ALICE.key + digest, digest_size=16, person=MAC_PERSON).digest()
    assert mac(ALICE.key, digest) == expected
    state = mac_state(ALICE.key).copy()
    state.update(digest)
    assert state.digest() == expected
    # every byte of the key and of the digest matters
    for i in (0, 17, 31):
        flipped = bytes(b ^ (1 << (i % 8)) if j == i else b for j, b in enumerate(digest))
        assert mac(ALICE.key, flipped) != expected
        other = bytes(b ^ 1 if j == i else b for j, b in enumerate(ALICE.key))
        assert mac(other, digest) != expected
    # not RFC 7693's keyed mode (which pads the key to a block), nor unpersonalised
    assert expected != blake2s(digest, key=ALICE.key, digest_size=16).digest()
    assert expected != blake2s(ALICE.key + digest, digest_size=16).digest()


def test_the_mac_refuses_keys_and_digests_of_other_lengths() -> None:
    with pytest.raises(ValueError, match="32-byte digest, got 31"):
        mac(ALICE.key, b"d" * 31)
    with pytest.raises(ValueError, match="32 bytes, got 16"):
        mac_state(b"k" * 16)
    with pytest.raises(InvalidValue, match="32 bytes") as info:
        Account("alice", b"k" * 33)
    assert info.value.field == "key"


def test_value_is_sorted_and_zero_amounts_dropped() -> None:
    tx = ALICE.sign(0, "bob", value={"USD": 2, "ETH": 0, "BTC": 1})
    assert tx.value == (("BTC", 1), ("USD", 2))
    assert ALICE.sign(0, "bob", value={}).value == ()


@pytest.mark.parametrize("value", [{"ETH": -1}, {"ETH": 1.5}, {1: 2}, {"ETH": True}])
def test_bad_value_is_refused(value: dict[object, object]) -> None:
    with pytest.raises(InvalidValue) as info:
        ALICE.sign(0, "bob", value=value)  # type: ignore[arg-type]
    assert info.value.field == "value"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((1.5,), "args[0]"),
        (("ok", {"a": 1}), "args[1]"),
        ((object(),), "args[0]"),
        (("ok", [1, 2.0]), "args[1][1]"),
        (({1, 2},), "args[0]"),
    ],
)
def test_non_canonical_args_name_the_argument(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(InvalidValue) as info:
        ALICE.sign(0, "0xabc", "m", *args)
    assert info.value.field == field
    assert field in str(info.value)


def test_lists_are_frozen_to_tuples() -> None:
    tx = ALICE.sign(0, "0xabc", "m", [1, [2, b"x"]], None, True)
    assert tx.args == ((1, (2, b"x")), None, True)
    assert tx.hash == ALICE.sign(0, "0xabc", "m", (1, (2, b"x")), None, True).hash


@pytest.mark.parametrize("name", ["nonce", "gas_limit", "max_fee", "priority_fee"])
@pytest.mark.parametrize("bad", [-1, 1.0, "1"])
def test_numeric_fields_must_be_non_negative_ints(name: str, bad: object) -> None:
    kwargs: dict[str, object] = {"nonce": 0, "gas_limit": 50_000, "max_fee": 5, "priority_fee": 0}
    kwargs[name] = bad
    nonce = kwargs.pop("nonce")
    with pytest.raises(InvalidValue) as info:
        ALICE.sign(nonce, "bob", **kwargs)  # type: ignore[arg-type]
    assert info.value.field == name


def test_target_and_method_must_be_strings() -> None:
    with pytest.raises(InvalidValue):
        ALICE.sign(0, 5, "m")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        ALICE.sign(0, "bob", None)  # type: ignore[arg-type]


def test_account_repr_hides_the_key() -> None:
    assert "k" * 32 not in repr(ALICE)
    assert "alice" in repr(ALICE)


def test_bundle_validation_hash_and_range() -> None:
    a = ALICE.sign(0, "bob", value={"ETH": 1})
    b = BOB.sign(0, "alice", value={"ETH": 1})
    with pytest.raises(InvalidValue) as info:
        Bundle(())
    assert info.value.field == "txs"
    with pytest.raises(InvalidValue) as info:
        Bundle((a,), min_block=5, max_block=4)
    assert info.value.field == "max_block"
    bundle = Bundle((a, b), min_block=2, max_block=4)
    assert bundle.hash != Bundle((b, a)).hash  # the order is
    assert [bundle.in_range(n) for n in range(6)] == [False, False, True, True, True, False]
    assert Bundle((a,)).in_range(10**9)
    assert Bundle((a,), min_block=3).in_range(2) is False
