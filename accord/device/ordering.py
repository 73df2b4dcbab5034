"""Ordering rules: how a block's transactions are sequenced.

Every rule ranks items by a key and then merges per-sender lanes so that one sender's
transactions always run in nonce order (geth's price-and-nonce heap, generalised to any
key). A bundle is its own lane.

* :class:`Fcfs` — by arrival time, then submission order.
* :class:`PriorityFee` — by tip per gas, highest first, then arrival.
* :class:`RandomOrder` — by a seeded draw per block; position cannot be bought.
* :class:`FrequentBatch` — canonical order by hash. In a frequent batch auction
  (Budish, Cramton & Shim 2015) every transaction in a block is simultaneous: batchable
  calls settle together at uniform prices, and the rest run in an order no one chooses.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from operator import ge as _ge
from typing import Any, Protocol, TypeVar

import numpy as np

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


class RandomOrder:
    """A uniformly random order, drawn from a generator seeded by (seed, block number)."""

    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def order(self, items: Sequence[T], *, number: int, base_fee: int) -> list[T]:
        rng = np.random.default_rng([self.seed, number, 0x0D0E])
        by_seq = sorted(items, key=lambda it: it[2])
        draws = {it[2]: int(d) for it, d in zip(by_seq, rng.permutation(len(by_seq)), strict=True)}
        return merge_lanes(items, lambda it: draws[it[2]])


class FrequentBatch:
    """Canonical order by hash: no position can be bought or raced for."""

    name = "batch"

    def order(self, items: Sequence[T], *, number: int, base_fee: int) -> list[T]:
        return merge_lanes(items, _hash)


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
