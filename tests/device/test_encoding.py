"""The canonical byte encoding that every hash is taken over (``marshal`` version 0).

These bytes are part of the device's contract: transaction hashes, header hashes and the
state hash are taken over them, so a change would break every stored event log. The
expected values below are written out by hand from the format, not produced by the code.
"""

from __future__ import annotations

from enum import IntEnum
from hashlib import blake2b, blake2s

import pytest

from accord.device import Account, InvalidValue
from accord.device.encoding import digest, digest_bytes
from accord.device.transaction import transaction_hash


def test_each_canonical_type_has_one_encoding() -> None:
    assert digest_bytes(None) == b"N"
    assert digest_bytes(True) == b"T"
    assert digest_bytes(False) == b"F"
    assert digest_bytes(1) == b"i\x01\x00\x00\x00"  # int32, little endian
    assert digest_bytes(-2) == b"i\xfe\xff\xff\xff"
    # beyond 32 bits: 'l', the digit count, then 15-bit digits, little endian
    assert digest_bytes(2**31) == b"l\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00"
    assert digest_bytes("é") == b"u\x02\x00\x00\x00\xc3\xa9"  # length, then UTF-8
    assert digest_bytes(b"ab") == b"s\x02\x00\x00\x00ab"
    assert digest_bytes(("a", 1)) == b"(\x02\x00\x00\x00u\x01\x00\x00\x00ai\x01\x00\x00\x00"


def test_equal_values_encode_alike_whatever_their_identity() -> None:
    literal = "alice"
    built = "".join(["al", "ice"])  # not interned, unlike the literal
    assert built == literal and built is not literal  # two objects, one value
    assert digest_bytes((built, built)) == digest_bytes((literal, literal))
    assert digest_bytes(True) != digest_bytes(1)
    assert digest_bytes((1,)) != digest_bytes((True,))


def test_subclasses_and_objects_are_refused() -> None:
    class Color(IntEnum):
        RED = 1

    with pytest.raises(InvalidValue, match="cannot encode"):
        digest_bytes(Color.RED)
    with pytest.raises(InvalidValue, match="cannot encode"):
        digest_bytes((1, object()))  # type: ignore[arg-type]


def test_a_transaction_hash_is_blake2b_of_its_first_nine_fields_signed_by_blake2s() -> None:
    tx = Account("alice", b"k" * 32).sign(3, "bob", "", value={"ETH": 5}, max_fee=7)
    content = ("alice", 3, "bob", "", (), (("ETH", 5),), 200_000, 7, 0)
    assert tx[:9] == content
    expected = blake2b(digest_bytes(content), digest_size=32).digest()
    assert tx.hash == transaction_hash(content) == expected == digest(content)
    # the MAC: BLAKE2s-128 of key || hash, one 64-byte block, personalised
    # under the key for chain 1: BLAKE2b-256(chain id as 8 bytes, key=key)
    chained = blake2b(
        (1).to_bytes(8, "big"), key=b"k" * 32, digest_size=32, person=b"accord.chainkey"
    )
    mac = blake2s(chained.digest() + expected, digest_size=16, person=b"acc.mac1").digest()
    assert tx.signature == mac


# -- integers longer than any interpreter's string-conversion limit ----------------------
BIG = [10**5_000, -(10**5_000), 1 << 2_049, -(1 << 2_049), (1 << 60_000) - 1]


@pytest.mark.parametrize("value", BIG, ids=["1e5000", "-1e5000", "2^2049", "-2^2049", "2^60000-1"])
def test_an_int_too_long_for_decimal_json_round_trips_through_the_log_form(value: int) -> None:
    """``json.dumps`` of an int over ``sys.get_int_max_str_digits()`` (4,300 by default,
    640 at the least) raises; before the fix, one in a transaction's arguments made the
    event log's write fail after the block was sealed (``test_store``)."""
    from accord.device.encoding import from_json, from_jsonable, to_json, to_jsonable

    nested = ("k", value, (value, b"\x01"), 7)
    text = to_json(nested)
    assert from_json(text) == nested
    assert from_jsonable(to_jsonable(nested)) == nested
    assert to_jsonable(value) == {"$int": hex(value)}


@pytest.mark.parametrize(
    "value",
    [0, -1, 7, 10**600, -(10**600), (1 << 2_048) - 1],
    ids=["0", "-1", "7", "1e600", "-1e600", "2^2048-1"],
)
def test_ints_that_fit_keep_their_decimal_form(value: int) -> None:
    """Up to 2,048 bits (617 digits, under the least limit an interpreter may set): the
    form every log already holds."""
    from accord.device.encoding import to_json

    assert to_json((value,)) == f"[{value}]"


@pytest.mark.parametrize(
    "bad", [{"$int": 7}, {"$int": "0xzz"}, {"$int": "12"}, {"$int": "0x1", "x": 1}, {"$int": None}]
)
def test_a_malformed_int_object_is_refused(bad: object) -> None:
    from accord.device.encoding import from_jsonable

    with pytest.raises(InvalidValue):
        from_jsonable([bad])
