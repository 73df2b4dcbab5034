"""Binary Merkle trees as Certificate Transparency defines them, and inclusion proofs.

The tree over a list of leaf *data* ``d[0..n)`` is RFC 6962's Merkle Tree Hash (§2.1),
with SHA-256 and its domain separation (a leaf can never be read as an inner node)::

    MTH({})      = SHA-256()                                  (the empty string's hash)
    leaf(d)      = SHA-256(0x00 || d)
    MTH({d})     = leaf(d)
    MTH(D[0:n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])),   k the largest power of
                                                                  two smaller than n

Built bottom-up, pairing neighbours level by level and carrying an unpaired last node up
unchanged, which gives the same tree (the left subtree is always the largest complete
one). An *inclusion proof* (audit path, RFC 6962 §2.1.1) of leaf ``m`` is the list of
sibling hashes from the leaf up to the root; :func:`root_from_path` is RFC 9162's
verification algorithm (§2.1.3.2), which also refuses a path of the wrong length for
``(index, size)``. The tests check the roots and paths against Certificate
Transparency's published test vectors.

Nothing here knows what the leaves are; :mod:`accord.device.receipts_root` makes a
block's receipts into leaves.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from hashlib import sha256
from itertools import repeat
from typing import Any

LEAF = b"\x00"
NODE = b"\x01"
EMPTY_ROOT = sha256(b"").digest()
"""MTH of no leaves (RFC 6962 §2.1): ``e3b0c442...b855``."""

_HASH = type(sha256())
_digest, _update, _copy = _HASH.digest, _HASH.update, _HASH.copy
LEAF_STATE = sha256(LEAF)
"""A SHA-256 state fed the leaf prefix: copied for each leaf (cheaper than a new hash)."""
NODE_STATE = sha256(NODE)


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return sha256(NODE + left + right).digest()


def prefixed_digests(prefix: Any, *parts: Sequence[bytes]) -> list[bytes]:
    """``[SHA-256(prefix || parts[0][i] || parts[1][i] ...) for each i]``, ``prefix`` a
    hash object already fed its prefix byte: each hash is a copy of it fed the parts, in
    C-level ``map`` pipelines (no Python frame, no concatenated bytes, per item)."""
    objects = list(map(_copy, repeat(prefix, len(parts[-1]))))
    for part in parts:
        deque(map(_update, objects, part), maxlen=0)
    return list(map(_digest, objects))


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    """One level up: neighbours hashed in pairs, an unpaired last node carried."""
    up = prefixed_digests(NODE_STATE, level[0::2], level[1::2])
    if len(level) & 1:
        up.append(level[-1])
    return up


def root(leaves: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of leaf *hashes* (each already :func:`leaf_hash`)."""
    if not leaves:
        return EMPTY_ROOT
    level = leaves
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


def audit_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` among leaf *hashes* ``leaves``: the sibling
    of each node on the way up, bottom first (RFC 6962 §2.1.1's ``PATH``)."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} of a tree of {len(leaves)}")
    path: list[bytes] = []
    level = list(leaves)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        index //= 2
        level = _next_level(level)
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root that leaf hash ``leaf`` at ``index`` of a tree of ``size`` leaves and its
    audit ``path`` give (RFC 9162 §2.1.3.2). Raises ``ValueError`` when the path cannot be
    one of such a leaf: an index outside the tree, or a path too short or too long."""
    if type(index) is not int or type(size) is not int or not 0 <= index < size:
        raise ValueError(f"index {index!r} is not inside a tree of {size!r} leaves")
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            raise ValueError(f"the path is longer than a tree of {size} leaves has levels")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError(f"the path is shorter than leaf {index} of {size} needs")
    return r
