"""Stake-weighted juror drawing: a sum tree, and the court's deterministic randomness.

**The sum tree** (Kleros' ``SortitionSumTreeFactory``; its v2 ``SortitionModule`` and
``SortitionSumTree``). Each juror owns a leaf holding its weight (its stake); every
inner node holds the sum of its children, so the root is the total. To draw, pick a
point ``u`` uniform in ``[0, total)`` and descend: go left if ``u`` falls below the left
child's sum, else subtract it and go right. The leaf reached owns ``u``'s slice, so a
juror is drawn with probability ``weight / total``. Both a weight update and a draw
touch one node per level: ``O(log n)``. Kleros uses a K-ary tree that grows; this one is
binary over a fixed power-of-two ``capacity`` (heap layout: root 1, children ``2i`` and
``2i + 1``, leaf of slot ``s`` at ``capacity + s``), which keeps every walk exactly
``log2(capacity)`` steps long, so its gas is known before it starts. Freed slots are
reused by the contract (Kleros keeps a stack of vacant leaves too).

Draws are **with replacement**, as Kleros' ("Multiple draws per juror are possible in the
same dispute"): a juror may be drawn several times and then casts several votes.

**The randomness.** Kleros asks an RNG contract (a block hash, later Chainlink VRF or
Randomizer) for a number and draws from ``keccak(rn, disputeID, nonce)``. The court here
reads the device's randomness beacon (``ctx.beacon``, :mod:`accord.device.beacon`, after
EIP-4399's ``PREVRANDAO``) of a block fixed before its beacon is known: the first block
after the evidence period (:func:`accord.mechanisms.beacon.beacon_block` says which block
when the draw comes after the beacon window). ``round_seed = BLAKE2b-512(beacon ‖
(dispute, round, block), key=court seed)``; draw ``i`` is ``BLAKE2b-512(i, key=round_seed)
mod total``. The modulo's bias is below ``total / 2**512``. It is a pure function of the
log, like everything on the device; who can predict or grind it is in
``docs/arbitration.md`` ("Court") and ``docs/security.md``.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

PERSON = b"accord.court"
"""BLAKE2b personalisation of the court's draws."""


class NodeStore(Protocol):
    """Where the tree's nodes live: a contract ``Map(0)`` on the device, a
    ``defaultdict(int)`` off it. Missing nodes read as 0."""

    def __getitem__(self, node: int, /) -> int: ...

    def __setitem__(self, node: int, value: int, /) -> None: ...


def check_capacity(capacity: object) -> int:
    """``capacity`` if it is a power of two in ``[2, 2**20]``; ``ValueError`` otherwise."""
    if type(capacity) is not int or not 2 <= capacity <= 1 << 20 or capacity & (capacity - 1):
        raise ValueError(f"capacity must be a power of two in [2, 2**20], got {capacity!r}")
    return capacity


def depth(capacity: int) -> int:
    """Levels below the root: ``log2(capacity)``; a walk reads or writes ``depth + 1`` nodes."""
    return check_capacity(capacity).bit_length() - 1


def total(store: NodeStore) -> int:
    """The sum of all weights (the root)."""
    return store[1]


def weight(store: NodeStore, capacity: int, slot: int) -> int:
    """The weight of leaf ``slot``."""
    return store[capacity + slot]


def set_weight(store: NodeStore, capacity: int, slot: int, value: int) -> None:
    """Set leaf ``slot`` to ``value`` and fix the sums on its path to the root."""
    if type(slot) is not int or not 0 <= slot < capacity:
        raise ValueError(f"slot must be an int in [0, {capacity}), got {slot!r}")
    if type(value) is not int or value < 0:
        raise ValueError(f"weight must be a non-negative int, got {value!r}")
    node = capacity + slot
    delta = value - store[node]
    if delta == 0:
        return
    while node >= 1:
        store[node] = store[node] + delta
        node >>= 1


def locate(store: NodeStore, capacity: int, point: int) -> int:
    """The slot whose slice of ``[0, total)`` holds ``point``."""
    if type(point) is not int or not 0 <= point < store[1]:
        raise ValueError(f"point must be an int in [0, {store[1]}), got {point!r}")
    node = 1
    while node < capacity:
        left = store[2 * node]
        if point < left:
            node = 2 * node
        else:
            point -= left
            node = 2 * node + 1
    return node - capacity


def round_seed(seed: bytes, beacon: bytes, dispute: int, round_index: int, block: int) -> bytes:
    """The 64-byte seed of one round's draws: ``beacon`` is the device's beacon of
    ``block`` (the block the round's draw is fixed to), ``seed`` the court's key."""
    data = repr((dispute, round_index, block)).encode()
    return hashlib.blake2b(beacon + data, digest_size=64, key=seed[:64], person=PERSON).digest()


def draw_point(seed: bytes, index: int, total_weight: int) -> int:
    """Draw ``index``'s point, uniform in ``[0, total_weight)`` up to a ``2**-512`` bias."""
    if type(total_weight) is not int or total_weight <= 0:
        raise ValueError(f"total_weight must be a positive int, got {total_weight!r}")
    digest = hashlib.blake2b(
        index.to_bytes(8, "big"), digest_size=64, key=seed[:64], person=PERSON
    ).digest()
    return int.from_bytes(digest, "big") % total_weight


def draw(store: NodeStore, capacity: int, seed: bytes, index: int) -> int:
    """The slot of draw ``index`` from the tree as it is (``ValueError`` if it is empty)."""
    return locate(store, capacity, draw_point(seed, index, store[1]))
