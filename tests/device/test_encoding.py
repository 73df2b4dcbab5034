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
