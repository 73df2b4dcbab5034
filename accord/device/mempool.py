"""The mempool: pending transactions and bundles, their arrival times, and who sees what.

A transaction submitted at time ``t`` by an account with latency ``L`` arrives at
``t + L``; only arrived transactions can be seen or included. Visibility is a switch:

* ``public``: everyone sees every arrived transaction in full;
* ``private``: only the builder sees others' transactions (each agent sees its own);
* ``sealed``: nobody, the builder included, sees a transaction's contents before it is
  included, only a :class:`SealedTx` envelope (hash, sender, nonce, gas and fees), as
  with commit-reveal or threshold-encrypted mempools.

Bundles go to the builder only, as ``eth_sendBundle`` does; under ``sealed`` the builder
sees them as envelopes too.

Inside, a pending transaction is a plain ``(tx, arrival, seq, gas)`` tuple (an
:data:`Entry`; ``gas`` is its intrinsic gas as admission computed it, or ``None``):
submission stores one per transaction, and building a NamedTuple costs several times as
much. Everything handed out (:meth:`Mempool.get`, :meth:`Mempool.arrived`, views) is a
:class:`Pending`, the same tuple with field names. Ordering rules take either.

**Lanes and the cheapest.** Admission (:mod:`accord.device.admission`) bounds the pool
as geth's transaction pool does: a per-sender number of slots, replacement of a
``(sender, nonce)`` by a fee bump, and a global capacity at which the cheapest pending
transaction is evicted for a better-paying newcomer. For that the pool keeps
:attr:`Mempool.lanes` (sender → nonce → hash, kept in step by every method here) and,
only once the pool has been full, a lazily built heap of ``(max_fee, priority_fee)``
(:meth:`Mempool.cheapest`), so that submission pays nothing for eviction until the
pool is full.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from itertools import count
from typing import NamedTuple, TypeAlias

from accord.device.transaction import Bundle, Transaction

_new_tuple = tuple.__new__


Entry: TypeAlias = tuple[Transaction, int, int, int | None]
"""A pending transaction as the mempool stores it: ``(tx, arrival, seq, gas)``.

``gas`` is the transaction's intrinsic gas (:func:`accord.device.gas.intrinsic_gas`) as
the admission gate computed it, carried to the block loop so that it does not encode the
calldata again (the hash is recomputed from the contents at admission, so the entry's
transaction has exactly this intrinsic gas); ``None`` where no gate computed it (a
replayed item, a builder's own): the block loop computes it then."""


class Pending(NamedTuple):
    """A transaction waiting in the mempool (an :data:`Entry` with field names)."""

    tx: Transaction
    arrival: int
    seq: int
    gas: int | None = None
    """The intrinsic gas admission computed (``None``: the block loop computes it)."""

    @property
    def hash(self) -> bytes:
        return self.tx.hash

    @property
    def lane(self) -> str:
        return self.tx.sender

    @property
    def nonce(self) -> int:
        return self.tx.nonce

    def tip(self, fee_kind: str, base_fee: int) -> int:
        tx = self.tx
        if fee_kind == "first_price":
            return tx.max_fee
        return max(0, min(tx.priority_fee, tx.max_fee - base_fee))


class PendingBundle(NamedTuple):
    """A bundle waiting for a block in its range (``arrival`` and ``seq`` at the same
    positions as a :class:`Pending`'s, so ordering keys can index either; the block loop
    tells the two apart by type before it reads anything else)."""

    bundle: Bundle
    arrival: int
    seq: int
    sender: str

    @property
    def hash(self) -> bytes:
        return self.bundle.hash

    @property
    def lane(self) -> str:
        return "bundle:" + self.hash.hex()

    @property
    def nonce(self) -> int:
        return 0

    def tip(self, fee_kind: str, base_fee: int) -> int:
        """Gas-weighted mean tip of the bundle's transactions (floor)."""
        total_gas = sum(tx.gas_limit for tx in self.bundle.txs) or 1
        paid = 0
        for tx in self.bundle.txs:
            tip = (
                tx.max_fee
                if fee_kind == "first_price"
                else min(tx.priority_fee, tx.max_fee - base_fee)
            )
            paid += max(0, tip) * tx.gas_limit
        return paid // total_gas


Item: TypeAlias = Entry | Pending | PendingBundle
"""What a block is built from: pending transactions (plain entries or :class:`Pending`,
both ``(tx, arrival, seq, gas)``) and bundles (``(bundle, arrival, seq, sender)``)."""


class SealedTx(NamedTuple):
    """What a sealed mempool shows of a transaction: no target, method, args or value."""

    hash: bytes
    sender: str
    nonce: int
    gas_limit: int
    max_fee: int
    priority_fee: int
    arrival: int


class SealedBundle(NamedTuple):
    """What a sealed mempool shows a builder of a bundle."""

    hash: bytes
    size: int
    tip: int
    arrival: int


def _fee_key(entry: Entry) -> tuple[int, int, int, int, bytes]:
    """A pending transaction's place in :meth:`Mempool.cheapest`'s heap."""
    tx = entry[0]
    return (tx[7], tx[8], -tx[1], -entry[2], tx[9])


def seal(pending: Pending) -> SealedTx:
    tx = pending.tx
    return SealedTx(
        tx.hash, tx.sender, tx.nonce, tx.gas_limit, tx.max_fee, tx.priority_fee, pending.arrival
    )


class Mempool:
    """Pending transactions and bundles, in submission order."""

    def __init__(self) -> None:
        self.txs: dict[bytes, Entry] = {}
        """Pending transactions by hash, in submission order (read-only outside the
        device, which inserts into it directly when submitting)."""
        self._bundles: dict[bytes, PendingBundle] = {}
        self.seq = count(1)
        """Submission order, shared by transactions and bundles."""
        self.lanes: dict[str, dict[int, bytes]] = {}
        """Per sender, the pending transactions' hashes by nonce (read-only outside the
        device; :meth:`lane` heals it if the pool was changed behind its back)."""
        self._heap: list[tuple[int, int, int, int, bytes]] | None = None
        """``(max_fee, priority_fee, -nonce, -seq, hash)`` of pending transactions, built
        the first time the pool is full (:meth:`cheapest`); entries of transactions no
        longer pending are skipped when they reach the top."""
        self._heaped = 0
        """The highest ``seq`` already pushed on ``_heap``."""
        self.latest = 0
        """At least the arrival time of every transaction added by :meth:`add` (and by
        submission's inlined common case when it computes an arrival of its own); the
        rest arrive at the device's common arrival time (:meth:`arrived_entries`)."""
        # What Submission.submit's inlined common case reads, set by the admission gate
        # (Admission._enter) from the device's config and ledger: until then (room 0)
        # every transaction takes the gate's slow path.
        self.room = 0
        """``min(max_pending_per_sender, mempool_capacity)``: below this many pending
        transactions in all, no sender is at its slots and the pool is not full."""
        self.fee_asset = ""
        self.checks_assets = False
        """``DeviceConfig.admission_checks_assets``."""
        self.balances: dict[tuple[str, str], int] = {}
        """The ledger's balances (the gate reads the sender's fee-asset balance)."""

    def __len__(self) -> int:
        return len(self.txs)

    def __contains__(self, tx_hash: bytes) -> bool:
        return tx_hash in self.txs

    def get(self, tx_hash: bytes) -> Pending | None:
        entry = self.txs.get(tx_hash)
        return None if entry is None else _new_tuple(Pending, entry)

    def add(self, tx: Transaction, arrival: int, gas: int | None = None) -> Entry:
        """Add ``tx``, arriving at ``arrival``, with the intrinsic gas the gate computed
        (``None``: the block loop computes it)."""
        entry = self.txs[tx[9]] = (tx, arrival, next(self.seq), gas)
        if arrival > self.latest:
            self.latest = arrival
        lane = self.lanes.get(tx[0])
        if lane is None:
            lane = self.lanes[tx[0]] = {}
        lane[tx[1]] = tx[9]
        return entry

    def lane(self, sender: str) -> dict[int, bytes]:
        """``sender``'s pending transactions' hashes by nonce (a live dict).

        Entries whose transaction left the pool without passing through this class (a
        caller clearing ``txs`` directly) are dropped here first, so the lane is exact.
        """
        lane = self.lanes.get(sender)
        if lane is None:
            lane = self.lanes[sender] = {}
            return lane
        txs = self.txs
        stale = [n for n, h in lane.items() if h not in txs]
        for n in stale:
            del lane[n]
        return lane

    def discard(self, tx_hash: bytes) -> Entry | None:
        """Remove one pending transaction (and its lane entry); returns its entry."""
        entry = self.txs.pop(tx_hash, None)
        if entry is not None:
            tx = entry[0]
            lane = self.lanes.get(tx[0])
            if lane is not None and lane.get(tx[1]) == tx_hash:
                del lane[tx[1]]
        return entry

    def cheapest(self) -> Entry | None:
        """The pending transaction that pays least: lowest ``max_fee``, then lowest
        ``priority_fee``, then (so that evicting it opens no nonce gap where it can be
        avoided) highest nonce, then newest. ``None`` if the pool is empty.

        geth's pool evicts the same way, by a heap of fee caps then tips
        (``core/txpool/legacypool``'s ``pricedList``). The heap here is built the first
        time it is asked for and then topped up with what was added since (entries are
        in submission order, so the new ones are at the end of ``txs``), so submissions
        below capacity never touch it.
        """
        txs = self.txs
        heap = self._heap
        if heap is None or len(heap) > 2 * len(txs) + 64:
            heap = self._heap = [_fee_key(e) for e in txs.values()]
            heapq.heapify(heap)
        else:
            fresh = []
            for entry in reversed(txs.values()):
                if entry[2] <= self._heaped:
                    break
                fresh.append(entry)
            for entry in fresh:
                heapq.heappush(heap, _fee_key(entry))
        if txs:
            self._heaped = max(self._heaped, next(reversed(txs.values()))[2])
        while heap:
            top = heap[0]
            found = txs.get(top[4])
            if found is not None and found[2] == -top[3]:
                return found
            heapq.heappop(heap)
        return None

    def add_bundle(self, bundle: Bundle, arrival: int, sender: str) -> PendingBundle:
        entry = PendingBundle(bundle, arrival, next(self.seq), sender)
        self._bundles[bundle.hash] = entry
        return entry

    def arrived(self, now: int) -> list[Pending]:
        """Transactions that have arrived by ``now``, in submission order."""
        return [_new_tuple(Pending, p) for p in self.txs.values() if p[1] <= now]

    def arrived_entries(self, now: int, common: int | None = None) -> list[Entry]:
        """:meth:`arrived` as plain entries (the honest builder's path).

        ``common`` is the latest arrival time submission gives a transaction it inserts
        without :meth:`add` (the device's arrival time after the head block; it only
        grows): when it and :attr:`latest` are both ``<= now``, every pending
        transaction has arrived and the entries are copied with no test per entry.
        """
        if common is not None and common <= now and self.latest <= now:
            return list(self.txs.values())
        return [p for p in self.txs.values() if p[1] <= now]

    def bundles(self) -> list[PendingBundle]:
        return list(self._bundles.values())

    def arrived_bundles(self, now: int, number: int) -> list[PendingBundle]:
        """Bundles arrived by ``now`` whose block range admits block ``number``."""
        return [b for b in self._bundles.values() if b.arrival <= now and b.bundle.in_range(number)]

    def bundle(self, bundle_hash: bytes) -> PendingBundle | None:
        return self._bundles.get(bundle_hash)

    def remove(self, tx_hashes: Iterable[bytes]) -> None:
        pop, lanes = self.txs.pop, self.lanes
        for h in tx_hashes:
            entry = pop(h, None)
            if entry is not None:
                tx = entry[0]
                lane = lanes.get(tx[0])
                if lane is not None and lane.get(tx[1]) == h:
                    del lane[tx[1]]

    def remove_bundle(self, bundle_hash: bytes) -> None:
        self._bundles.pop(bundle_hash, None)

    def prune(
        self,
        nonces: dict[str, int],
        number: int,
        *,
        timestamp: int = 0,
        lifetime: int | None = None,
    ) -> None:
        """Drop transactions whose nonce is used and bundles whose range has passed, and,
        with a ``lifetime`` (ms), everything that arrived ``lifetime`` or more before
        ``timestamp``."""
        get = nonces.get
        born = -1 if lifetime is None else timestamp - lifetime  # arrived at or before: old
        stale = [h for h, p in self.txs.items() if p[0][1] < get(p[0][0], 0) or p[1] <= born]
        if stale:
            self.remove(stale)
        if not self.txs:  # emptied (here or by the caller): nothing is left in any lane
            self.lanes.clear()
            self._heap = None
        expired = [
            h
            for h, b in self._bundles.items()
            if (b.bundle.max_block is not None and b.bundle.max_block <= number)
            or b.arrival <= born
        ]
        for h in expired:
            del self._bundles[h]

    def view(
        self, observer: str, now: int, visibility: str, builder: str
    ) -> list[Pending | SealedTx]:
        """What ``observer`` sees of the arrived transactions under ``visibility``."""
        out: list[Pending | SealedTx] = []
        for entry in self.txs.values():
            if entry[1] > now:
                continue
            p = _new_tuple(Pending, entry)
            own = p.tx.sender == observer
            if own or visibility == "public":
                out.append(p)
            elif visibility == "private":
                if observer == builder:
                    out.append(p)
            else:
                out.append(seal(p))
        return out
