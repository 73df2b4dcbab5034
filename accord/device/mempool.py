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

Inside, a pending transaction is a plain ``(tx, arrival, seq)`` tuple (an :data:`Entry`):
submission stores one per transaction, and building a NamedTuple costs several times as
much. Everything handed out (:meth:`Mempool.get`, :meth:`Mempool.arrived`, views) is a
:class:`Pending`, the same tuple with field names. Ordering rules take either.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import count
from typing import NamedTuple, TypeAlias

from accord.device.transaction import Bundle, Transaction

_new_tuple = tuple.__new__


Entry: TypeAlias = tuple[Transaction, int, int]
"""A pending transaction as the mempool stores it: ``(tx, arrival, seq)``."""


class Pending(NamedTuple):
    """A transaction waiting in the mempool (an :data:`Entry` with field names)."""

    tx: Transaction
    arrival: int
    seq: int

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
    positions as a :class:`Pending`'s, so ordering keys can index either)."""

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
both ``(tx, arrival, seq)``) and bundles (``(bundle, arrival, seq, sender)``)."""


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

    def __len__(self) -> int:
        return len(self.txs)

    def __contains__(self, tx_hash: bytes) -> bool:
        return tx_hash in self.txs

    def get(self, tx_hash: bytes) -> Pending | None:
        entry = self.txs.get(tx_hash)
        return None if entry is None else _new_tuple(Pending, entry)

    def add(self, tx: Transaction, arrival: int) -> Entry:
        entry = self.txs[tx[9]] = (tx, arrival, next(self.seq))
        return entry

    def add_bundle(self, bundle: Bundle, arrival: int, sender: str) -> PendingBundle:
        entry = PendingBundle(bundle, arrival, next(self.seq), sender)
        self._bundles[bundle.hash] = entry
        return entry

    def arrived(self, now: int) -> list[Pending]:
        """Transactions that have arrived by ``now``, in submission order."""
        return [_new_tuple(Pending, p) for p in self.txs.values() if p[1] <= now]

    def arrived_entries(self, now: int) -> list[Entry]:
        """:meth:`arrived` as plain entries (the honest builder's path)."""
        return [p for p in self.txs.values() if p[1] <= now]

    def bundles(self) -> list[PendingBundle]:
        return list(self._bundles.values())

    def arrived_bundles(self, now: int, number: int) -> list[PendingBundle]:
        """Bundles arrived by ``now`` whose block range admits block ``number``."""
        return [b for b in self._bundles.values() if b.arrival <= now and b.bundle.in_range(number)]

    def bundle(self, bundle_hash: bytes) -> PendingBundle | None:
        return self._bundles.get(bundle_hash)

    def remove(self, tx_hashes: Iterable[bytes]) -> None:
        pop = self.txs.pop
        for h in tx_hashes:
            pop(h, None)

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
        for h in stale:
            del self.txs[h]
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
