"""The commit-reveal mechanism: the hash, phases, windows, and pro-rata forfeits."""

from __future__ import annotations

import ast
import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.mechanisms import commit_reveal as CR
from accord.mechanisms.shares import pro_rata

SALT = bytes(range(16))
KNOWN = "84f0799af7b54703bbbc46c8cbee2ae84595f2f490711613b889de92914f6733"


def test_hash_is_blake2b_256_of_the_repr_of_the_tuple() -> None:
    for value in ("rock", 10, None, True, b"\x00", ("paper", (1, b"x")), -5, ""):
        data = repr((value, SALT, "alice")).encode()
        expected = hashlib.blake2b(data, digest_size=32, person=b"accord.commit").digest()
        assert CR.commitment_hash(value, SALT, "alice") == expected
        assert len(expected) == 32
        assert ast.literal_eval(data.decode()) == (value, SALT, "alice")  # injective


def test_known_vector() -> None:
    """Pinned: outstanding commitments must stay openable, so the encoding never drifts
    (not even if the device changes the encoding of its own hashes)."""
    assert CR.commitment_hash("yes", b"s" * 16, "alice").hex() == KNOWN


def test_every_input_matters() -> None:
    base = CR.commitment_hash(7, SALT, "alice")
    assert CR.commitment_hash(7, SALT, "alice") == base  # deterministic
    assert CR.commitment_hash(8, SALT, "alice") != base
    assert CR.commitment_hash(7, bytes(16), "alice") != base
    assert CR.commitment_hash(7, SALT, "bob") != base  # the copier's hash differs
    assert CR.commitment_hash("7", SALT, "alice") != base  # types are encoded
    assert CR.commitment_hash(True, SALT, "alice") != CR.commitment_hash(1, SALT, "alice")


@pytest.mark.parametrize(
    ("value", "salt", "sender", "message"),
    [
        (1.5, SALT, "alice", "value must be a canonical value .* got float"),
        ([1, 2], SALT, "alice", "got list"),
        ((1, {"a": 1}), SALT, "alice", r"value\[1\] must be a canonical value"),
        (1, b"short", "alice", "salt must be at least 16 bytes, got 5"),
        (1, "a string salt 16", "alice", "salt must be bytes, got str"),
        (1, SALT, "", "sender must be a non-empty address str"),
        (1, SALT, 5, "sender must be a non-empty address str"),
    ],
)
def test_bad_inputs_name_the_problem(value: Any, salt: Any, sender: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CR.commitment_hash(value, salt, sender)


def test_opens_and_check_commitment() -> None:
    c = CR.commitment_hash("rock", SALT, "alice")
    assert CR.opens(c, "rock", SALT, "alice")
    assert not CR.opens(c, "paper", SALT, "alice")
    assert not CR.opens(c, "rock", SALT, "mallory")
    assert CR.check_commitment(c) == c
    for bad in (c[:31], c + b"\x00", c.hex(), None):
        with pytest.raises(ValueError, match="commitment must be 32 bytes"):
            CR.check_commitment(bad)


def test_phases_split_by_block() -> None:
    assert [CR.phase(b, 4, 7) for b in range(1, 10)] == [
        "commit",
        "commit",
        "commit",
        "commit",
        "reveal",
        "reveal",
        "reveal",
        "closed",
        "closed",
    ]
    CR.require_phase(CR.REVEAL, 5, 4, 7)
    with pytest.raises(ValueError, match=r"reveals are accepted in blocks 5\.\.7 \(now block 4"):
        CR.require_phase(CR.REVEAL, 4, 4, 7)
    with pytest.raises(ValueError, match=r"commits are accepted up to block 4 \(now block 5, the"):
        CR.require_phase(CR.COMMIT, 5, 4, 7)
    with pytest.raises(
        ValueError, match=r"the round closes after block 7 \(now block 7, the reveal"
    ):
        CR.require_phase(CR.CLOSED, 7, 4, 7)


def test_windows_checked_at_creation() -> None:
    CR.check_windows(0, 1, 2)
    with pytest.raises(ValueError, match="commit_end 3 must be after the current block 3"):
        CR.check_windows(3, 3, 9)
    with pytest.raises(ValueError, match="reveal_end 5 must be after commit_end 5"):
        CR.check_windows(3, 5, 5)
    with pytest.raises(ValueError, match="reveal_end must be an int block number"):
        CR.check_windows(3, 5, "9")


def test_redistribute_hand_computed() -> None:
    assert CR.redistribute(200, [100, 100, 100]) == ((66, 66, 66), 2)
    assert CR.redistribute(300, [100, 100, 100]) == ((100, 100, 100), 0)
    assert CR.redistribute(7, [1, 2]) == ((2, 4), 1)
    assert CR.redistribute(50, []) == ((), 50)  # nobody revealed: all to the sink
    assert CR.redistribute(0, [5]) == ((0,), 0)


def test_pro_rata_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="pool must be a non-negative int"):
        pro_rata(-1, [1])
    with pytest.raises(ValueError, match="weight 1 must be a non-negative int"):
        pro_rata(10, [1, -1])
    assert pro_rata(10, [0, 0]) == ((0, 0), 10)


@given(
    pool=st.integers(0, 10**24),
    weights=st.lists(st.integers(0, 10**20), max_size=12),
)
def test_pro_rata_conserves_and_never_overpays(pool: int, weights: list[int]) -> None:
    parts, dust = pro_rata(pool, weights)
    assert sum(parts) + dust == pool
    assert dust >= 0
    total = sum(weights)
    if total:
        assert dust < max(1, sum(1 for w in weights if w))  # < one unit per payee
        for part, w in zip(parts, weights, strict=True):
            assert part * total <= pool * w < (part + 1) * total


@given(
    a=st.tuples(st.integers(), st.binary(min_size=16, max_size=20), st.sampled_from("abc")),
    b=st.tuples(st.integers(), st.binary(min_size=16, max_size=20), st.sampled_from("abc")),
)
def test_distinct_inputs_distinct_hashes(
    a: tuple[int, bytes, str], b: tuple[int, bytes, str]
) -> None:
    assert (CR.commitment_hash(*a) == CR.commitment_hash(*b)) == (a == b)
