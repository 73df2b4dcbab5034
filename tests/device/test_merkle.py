"""RFC 6962 Merkle trees: Certificate Transparency's published test vectors, every
inclusion proof of trees of 1..40 leaves, and tampered proofs refused."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device.merkle import (
    EMPTY_ROOT,
    audit_path,
    leaf_hash,
    node_hash,
    root,
    root_from_path,
)

# Certificate Transparency's reference leaves and tree heads (the test data of the
# RFC 6962 reference implementations: certificate-transparency's merkle_tree_test.cc,
# reused by RFC 9162 implementations).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PATHS = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}


def test_the_empty_tree_is_sha256_of_nothing() -> None:
    assert root([]) == EMPTY_ROOT == sha256(b"").digest()
    assert EMPTY_ROOT.hex().startswith("e3b0c442")


def test_roots_are_certificate_transparencys_for_every_size() -> None:
    leaves = [leaf_hash(d) for d in CT_LEAVES]
    for n in range(1, 9):
        assert root(leaves[:n]).hex() == CT_ROOTS[n - 1]


def test_published_audit_paths() -> None:
    leaves = [leaf_hash(d) for d in CT_LEAVES]
    for (index, size), expected in CT_PATHS.items():
        path = audit_path(leaves[:size], index)
        assert [p.hex() for p in path] == expected
        assert root_from_path(leaves[index], index, size, path).hex() == CT_ROOTS[size - 1]


def test_domain_separation() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(b"x") == sha256(b"\x00x").digest()
    assert node_hash(a, b) == sha256(b"\x01" + a + b).digest()
    # an inner node's bytes read as a leaf give another hash
    assert leaf_hash(a + b) != node_hash(a, b)


@pytest.mark.parametrize("size", range(1, 41))
def test_every_proof_of_every_size_verifies_at_its_index_only(size: int) -> None:
    leaves = [leaf_hash(bytes([i, size])) for i in range(size)]
    top = root(leaves)
    for index in range(size):
        path = audit_path(leaves, index)
        assert root_from_path(leaves[index], index, size, path) == top
        for other in range(size):  # the same path at another index or size: another root
            if other != index:
                assert _root_or_none(leaves[index], other, size, path) != top


def test_a_path_does_not_pin_the_trees_size() -> None:
    """Leaf 0's path is the same in trees of 3 and 4 leaves: why a block header binds its
    receipt count beside the root (a proof's size comes from the trusted header)."""
    leaves = [leaf_hash(bytes([i])) for i in range(4)]
    path = audit_path(leaves[:3], 0)
    assert root_from_path(leaves[0], 0, 4, path) == root(leaves[:3])


def _root_or_none(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    try:
        return root_from_path(leaf, index, size, path)
    except ValueError:
        return None


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(1, 64),
    data=st.data(),
)
def test_any_tampered_path_is_refused(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    top = root(leaves)
    index = data.draw(st.integers(0, size - 1))
    path = audit_path(leaves, index)
    kind = data.draw(st.sampled_from(["flip", "drop", "add", "swap", "leaf"]))
    if kind == "flip" and path:
        i = data.draw(st.integers(0, len(path) - 1))
        byte = data.draw(st.integers(0, 31))
        bit = data.draw(st.integers(0, 7))
        p = bytearray(path[i])
        p[byte] ^= 1 << bit
        path[i] = bytes(p)
    elif kind == "drop" and path:
        path.pop(data.draw(st.integers(0, len(path) - 1)))
    elif kind == "add":
        path.insert(
            data.draw(st.integers(0, len(path))), data.draw(st.binary(min_size=32, max_size=32))
        )
    elif kind == "swap" and len(path) > 1:
        path.reverse()
        if path == audit_path(leaves, index):
            return
    elif kind == "leaf":
        leaf = leaf_hash(b"not a leaf" + data.draw(st.binary(max_size=8)))
        assert _root_or_none(leaf, index, size, path) != top
        return
    else:
        return
    assert _root_or_none(leaves[index], index, size, path) != top


@pytest.mark.parametrize(("index", "size"), [(0, 0), (-1, 3), (3, 3), (True, 3)])
def test_an_index_outside_the_tree_is_an_error(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="inside a tree"):
        root_from_path(leaf_hash(b""), index, size, [])


def test_audit_path_of_a_missing_leaf() -> None:
    with pytest.raises(IndexError):
        audit_path([leaf_hash(b"")], 1)
