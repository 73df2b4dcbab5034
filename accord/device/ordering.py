"""Ordering rules: how a block's transactions are sequenced.

Every rule ranks items by a key and then merges per-sender lanes so that one sender's
transactions always run in nonce order (geth's price-and-nonce heap, generalised to any
key). A bundle is its own lane.

* :class:`Fcfs` — by arrival time, then submission order.
* :class:`PriorityFee` — by tip per gas, highest first, then arrival.
* :class:`RandomOrder` — by a keyed hash of (seed, block number, item hash): a fresh
  draw per block that no fee buys (see the class for what a sender *can* grind).
* :class:`FrequentBatch` — canonical order by hash. In a frequent batch auction
  (Budish, Cramton & Shim 2015) every transaction in a block is simultaneous: batchable
  calls settle together at uniform prices, and the rest run in an order no one chooses.
  The block's batches then settle in the order their books closed
  (:func:`settlement_order`).
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import ge as _ge
from typing import Any, Protocol, TypeVar

from accord.device.mempool import Item, PendingBundle

T = TypeVar("T", bound=Item)


class OrderingRule(Protocol):
    """Orders the items chosen for block ``number``."""

    name: str

    def order(self, items: Sequence[T], *, number: int, base_fee: int) -> list[T]: ...


def _nonce(item: Item) -> int:
    return 0 if isinstance(item, PendingBundle) else item[0][1]


def _lane(item: Item) -> str:
    return item.lane if isinstance(item, PendingBundle) else item[0][0]


def _hash(item: Item) -> bytes:
    return item.hash if isinstance(item, PendingBundle) else item[0][9]


def _nonce_order(queue: list[T]) -> list[T]:
    """One lane in nonce order (ties, i.e. two transactions with one nonce, by seq).

    Lanes usually arrive in nonce order already, one after another (a sender signs
    nonces in turn), so that is checked before any sort: a comparison with a range,
    cheaper than comparing neighbours. (A lane of several items is a sender's
    transactions: bundles are lanes of their own.)
    """
    if len(queue) > 1:
        nonces = [item[0][1] for item in queue]  # type: ignore[index]  # tx lanes only
        first = nonces[0]
        if nonces != list(range(first, first + len(nonces))) and any(
            map(_ge, nonces, nonces[1:])  # not strictly increasing
        ):
            return sorted(queue, key=lambda it: (_nonce(it), it[2]))
    return queue


def merge_lanes(items: Sequence[T], key: Callable[[T], Any]) -> list[T]:
    """Order ``items`` by ``key`` while keeping each lane (sender) in nonce order.

    Each lane is put in nonce order; then the lane heads are merged by ``key`` with a
    heap (geth's price-and-nonce heap). Two common shapes skip the heap: one item per
    lane (a plain sort) and a single lane (nonce order is the whole order).
    """
    try:  # no test per item in the common block without bundles
        names: list[str] = [item[0][0] for item in items]  # type: ignore[index]
    except TypeError:  # a bundle (not subscriptable) among the items
        names = [
            item[0][0] if type(item) is not PendingBundle else item.lane  # type: ignore[union-attr,index]
            for item in items
        ]
    if len(names) > 1 and names.count(names[0]) == len(names):
        return _nonce_order(list(items))  # one lane: nonce order is the whole order
    if len(set(names)) == len(items):  # one item per lane: a plain sort
        return sorted(items, key=key)
    lanes: dict[str, list[T]] = {}
    for name, item in zip(names, items, strict=True):
        queue = lanes.get(name)
        if queue is None:
            lanes[name] = [item]
        else:
            queue.append(item)
    heap: list[tuple[Any, int, str]] = []
    for lane, queue in lanes.items():
        if len(queue) > 1:
            queue = lanes[lane] = _nonce_order(queue)
        heap.append((key(queue[0]), queue[0][2], lane))
    heapq.heapify(heap)
    positions = dict.fromkeys(lanes, 0)
    out: list[T] = []
    while heap:
        _, _, lane = heapq.heappop(heap)
        queue = lanes[lane]
        i = positions[lane]
        out.append(queue[i])
        i += 1
        positions[lane] = i
        if i < len(queue):
            nxt = queue[i]
            heapq.heappush(heap, (key(nxt), nxt[2], lane))
    return out


class Fcfs:
    """First come, first served: by arrival."""

    name = "fcfs"

    def order(self, items: Sequence[T], *, number: int, base_fee: int) -> list[T]:
        return merge_lanes(items, lambda it: (it[1], it[2]))


class PriorityFee:
    """Highest tip per gas first, ties by arrival (the Ethereum convention)."""

    name = "priority"

    def __init__(self, fee_kind: str = "eip1559") -> None:
        self.fee_kind = fee_kind

    def order(self, items: Sequence[T], *, number: int, base_fee: int) -> list[T]:
        kind = self.fee_kind
        first_price = kind == "first_price"

        def key(it: Item) -> tuple[int, int, int]:
            if isinstance(it, PendingBundle):
                return (-it.tip(kind, base_fee), it[1], it[2])
            tx = it[0]  # Pending.tip inlined (the common item)
            tip = tx[7] if first_price else min(tx[8], tx[7] - base_fee)
            return (-tip if tip > 0 else 0, it[1], it[2])

        return merge_lanes(items, key)


RANDOM_PERSON = b"accord.random"
"""BLAKE2b personalisation of the random rule's key (RFC 7693 §2.8)."""


def random_key(seed: int) -> bytes:
    """The random rule's 32-byte BLAKE2b key: ``BLAKE2b-256(str(seed), person="accord.random")``."""
    return hashlib.blake2b(str(seed).encode(), digest_size=32, person=RANDOM_PERSON).digest()


def random_sort_key(key: bytes, number: int, item_hash: bytes) -> bytes:
    """An item's place under :class:`RandomOrder` in block ``number``:
    ``BLAKE2b-128(number as 8 bytes big-endian ‖ item hash, key=key)``."""
    return hashlib.blake2b(number.to_bytes(8, "big") + item_hash, digest_size=16, key=key).digest()


class RandomOrder:
    """A fresh uniform order every block, from the device's own hash-based permutation.

    Items are sorted by ``BLAKE2b-128(number ‖ item hash, key=random_key(seed))``
    (:func:`random_sort_key`; ``number`` is the block number as 8 big-endian bytes, the
    item hash a transaction's or a bundle's hash), ties (none, unless one hash is pending
    twice) by submission order; lanes stay in nonce order (:func:`merge_lanes`). Keyed
    BLAKE2b is a PRF (RFC 7693), so for hashes no one chose with the key in mind this is a
    uniformly random permutation, drawn afresh each block. It is the device's own
    function of bytes, so the order is the same on every installation: it does not
    depend on NumPy's ``Generator`` streams, which NEP 19 does not promise to keep
    across versions.

    What a sender can and cannot influence. The seed is no secret (a log's meta records
    it) and the next block's number is known, so a sender **can grind its transaction's
    hash**: re-sign with another fee, gas limit or payload until the sort key for the
    block it aims at is small, and run first among that block's items with about as
    many tries as there are items. That is what hash ordering allows under the batch
    rule too (:class:`FrequentBatch` sorts by the hash itself); the difference is that
    a hash ground for block ``n`` draws a fresh, uniform place in any other block, so
    the sender must be included in the very block it ground for, whereas a hash ground
    low under ``batch`` stays first in every block. A sender cannot: buy a place with a
    fee (the tip is not in the key), move another sender's items relative to each
    other, run its own nonces out of order, or change the seed or the block number.
    Position is for sale to CPU time, not to money; a rule that a searcher cannot grind
    at all needs randomness no sender knows when it signs (a commit-reveal beacon),
    which this device does not have.
    """

    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._key = random_key(seed)

    def order(self, items: Sequence[T], *, number: int, base_fee: int) -> list[T]:
        prefix = hashlib.blake2b(number.to_bytes(8, "big"), digest_size=16, key=self._key)
        draws: dict[int, tuple[bytes, int]] = {}
        for it in items:
            h = prefix.copy()
            h.update(_hash(it))
            draws[it[2]] = (h.digest(), it[2])
        return merge_lanes(items, lambda it: draws[it[2]])


class FrequentBatch:
    """Canonical order by hash: no position can be bought or raced for."""

    name = "batch"

    def order(self, items: Sequence[T], *, number: int, base_fee: int) -> list[T]:
        return merge_lanes(items, _hash)


def settlement_order(addresses: Iterable[str], contracts: Mapping[str, object]) -> list[str]:
    """The order in which the batch rule settles the block's batches, one per contract.

    Batches settle in the order their books closed, as a frequent batch auction processes
    its batches serially in time (Budish, Cramton & Shim 2015: the orders of interval
    ``t`` clear at the end of ``t``, before anything sent later). A contract that settles
    a batch closed in an *earlier* block (``settles_earlier_batches``, e.g. the CoW
    settlement's ``execute(N)`` in block ``N + 1``) goes first: nothing of this block's
    own batches runs before it, so the pools (whose swaps are all batch calls under this
    rule) are as block ``N`` left them, which is what its solvers read. (Ethereum runs
    its pre-block system calls the same way, before any of the block's transactions:
    EIP-4788, EIP-2935.) Within each group, contracts settle by address, a canonical
    order no sender chooses.
    """

    def key(address: str) -> tuple[bool, str]:
        earlier = getattr(type(contracts.get(address)), "settles_earlier_batches", False)
        return (earlier is not True, address)

    return sorted(addresses, key=key)


def make_rule(name: str, *, seed: int, fee_kind: str) -> OrderingRule:
    """The rule a config names."""
    if name == "fcfs":
        return Fcfs()
    if name == "priority":
        return PriorityFee(fee_kind)
    if name == "random":
        return RandomOrder(seed)
    if name == "batch":
        return FrequentBatch()
    raise ValueError(f"unknown ordering rule {name!r} (fcfs, priority, random, batch)")
