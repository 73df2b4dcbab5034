"""Producing blocks: asking the builder, ordering, executing and sealing.

:meth:`BlockProduction.build_block` asks the builder for the next block (an honest
builder takes every arrived transaction and bundle, with no request built), orders the
items by the configured rule when the rule is enforced (or the builder follows it),
executes them (:class:`~accord.device.execution.Executor`), resolves the pending
commitments (:mod:`accord.device.commitments.resolver`), settles the block's fees and
seals it: EIP-1559's next base fee, the state hash, the header, the mempool pruned, the
event log and the block hooks. :meth:`BlockProduction.replay_block` re-executes a
logged block in its logged order.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Literal

from accord.device.admission import check_fields
from accord.device.beacon import BeaconWindow, beacon_value
from accord.device.block import Block, BlockHeader, Receipt, ReceiptFields, Skipped, tx_root
from accord.device.builder import Builder, BuildRequest, Choice, HonestBuilder
from accord.device.collector import collector_paused
from accord.device.commitments.registry import CommitmentRegistry
from accord.device.commitments.resolver import Resolution, resolve_commitments
from accord.device.config import DeviceConfig
from accord.device.errors import DeviceError
from accord.device.execution import UNMETERED, BlockEnv, Executor
from accord.device.fast_submit import Gate
from accord.device.fees import FeeMarket
from accord.device.host import BlockHook
from accord.device.ledger import MISSING, Ledger
from accord.device.mempool import Item, Mempool, PendingBundle, SealedBundle
from accord.device.merkle import EMPTY_ROOT
from accord.device.ordering import OrderingRule, settlement_order
from accord.device.receipts_root import receipts_root
from accord.device.state import StateDigest
from accord.device.store import BlockRecord, EventLog
from accord.device.transaction import Bundle, Transaction

if TYPE_CHECKING:
    from accord.device.forks import UndoRecord

_tx_hash = itemgetter(9)
"""A transaction's hash."""
_log = logging.getLogger("accord.device")

MAX_ATTEMPTS = 3
"""How many times a block is executed, each time without the item that failed it, before
an empty block is sealed instead (:meth:`BlockProduction._execute_block`)."""

_Sealing = tuple[
    int,
    int,
    str,
    int,
    list[Transaction],
    tuple[Receipt | ReceiptFields, ...],
    list[Transaction | Bundle],
    list[bytes],
    list[Skipped],
    bool,
]
""":meth:`BlockProduction._seal`'s arguments."""


def _item_hash(item: object) -> bytes:
    """The hash of a mempool item (a pending transaction or bundle) or a transaction."""
    if isinstance(item, PendingBundle):
        return item.hash
    if isinstance(item, Transaction):
        return item.hash
    return item[0].hash  # type: ignore[index,no-any-return]  # Pending: (tx, arrival, seq)


def _well_formed(item: object) -> bool:
    """Whether a mempool item's transactions have fields of the types the ordering rules
    compare (ints where ints are due, strings where strings are)."""
    txs = item.bundle.txs if isinstance(item, PendingBundle) else (item[0],)  # type: ignore[index]
    return all(
        type(tx) is Transaction
        and type(tx[0]) is str
        and type(tx[2]) is str
        and type(tx[3]) is str
        and type(tx[4]) is tuple
        and type(tx[5]) is tuple
        and all(type(field) is int for field in (tx[1], *tx[6:9]))
        and type(tx[9]) is bytes
        for tx in txs
    )


def _dropped(item: object, exc: BaseException) -> Skipped:
    """The record of an item dropped because the block failed on it."""
    kind: Literal["tx", "bundle"] = "bundle" if isinstance(item, PendingBundle) else "tx"
    try:
        reason = f"internal error: {type(exc).__name__}: {exc}"[:500]
    except Exception:
        reason = f"internal error: {type(exc).__name__}"
    return Skipped(_item_hash(item), kind, "internal", reason, True)


class BlockProduction:
    """The device's block production (a part of :class:`~accord.device.device.Device`,
    which sets these attributes)."""

    config: DeviceConfig
    ledger: Ledger
    mempool: Mempool
    executor: Executor
    builder: Builder
    rule: OrderingRule
    fee_market: FeeMarket
    registry: CommitmentRegistry
    resolutions: deque[Resolution]
    base_fee: int
    headers: list[BlockHeader]
    beacons: BeaconWindow
    beacon_root: bytes
    _record_inclusions: bool
    _receipts_roots: bool
    """Whether the seal records included transactions' blocks (``records_inclusions``)."""
    blocks: deque[Block]
    log: EventLog
    block_hooks: list[BlockHook]
    _digest: StateDigest
    _history: int | None
    _indexed: int
    _receipts: dict[bytes, Receipt]
    _now: int
    _arrival: int
    """The common arrival time of what is submitted now (and the gate's copy of it)."""
    _gate: Gate
    _default_latency: int
    _undo: deque[UndoRecord] | None
    _building: bool
    """While a builder chooses a block's items (:meth:`Forks.reorg` is refused then)."""

    if TYPE_CHECKING:

        @property
        def number(self) -> int: ...

        def verify(self, tx: Transaction) -> None: ...

        def _admissible(self, tx: object) -> tuple[Transaction, int]: ...

        def _enter(self, tx: Transaction, arrival: int, gas: int | None = None) -> bytes: ...

        def _check_logged(self, number: int, index: int, item: object) -> None: ...

        def submit_bundle(self, bundle: Bundle, *, sender: str, at: int | None = None) -> bytes: ...

        def _keep_undo(self, undo: deque[UndoRecord]) -> None: ...

    def build_block(self, builder: Builder | None = None) -> Block:
        """Ask the builder for the next block, order it, execute it and seal it."""
        builder = builder or self.builder
        number = self.number + 1
        timestamp = self.config.genesis_time_ms + number * self.config.block_time_ms
        if type(builder) is HonestBuilder:
            # An honest builder includes everything that has arrived; skip the request.
            honest: list[Item] = self.mempool.arrived_entries(timestamp, self._arrival)  # type: ignore[assignment]
            drains = len(honest) == len(self.mempool)  # every pending tx is an item
            honest.extend(self.mempool.arrived_bundles(timestamp, number))
            ordered = self._order(honest, number)
            drains = drains and len(ordered) == len(honest)
            return self._execute_block(number, timestamp, builder.address, ordered, drains=drains)
        sealed = self.config.mempool == "sealed"
        pending = self.mempool.view(
            builder.address, timestamp, self.config.mempool, builder.address
        )
        arrived_bundles = self.mempool.arrived_bundles(timestamp, number)
        bundles: list[PendingBundle | SealedBundle] = [
            SealedBundle(
                b.hash, len(b.bundle.txs), b.tip(self.config.fee_market, self.base_fee), b.arrival
            )
            if sealed
            else b
            for b in arrived_bundles
        ]
        request = BuildRequest(
            number,
            timestamp,
            self.base_fee,
            self.config.block_gas_limit,
            self.config.ordering,
            self.config.mempool,
            tuple(pending),
            tuple(bundles),
        )
        self._building = True  # the builder is agent code: it may not fork meanwhile
        try:
            items = self._resolve(builder.build(request), builder, timestamp, number)
        except Exception as exc:  # agent code and agent choices: never a halt
            self._building = False
            return self._build_locally(builder, number, exc)
        finally:
            self._building = False
        if self.config.ordering_enforced or builder.follows_rule:
            items = self._order(items, number)
        return self._execute_block(number, timestamp, builder.address, items)

    def _order(self, items: list[Item], number: int) -> list[Item]:
        """The ordering rule's order of ``items``; never raises.

        The rule compares fields (nonces, fees, arrival), so a transaction whose fields
        are of the wrong type (one that reached the mempool without admission) would
        make it raise: then the malformed items are dropped from the mempool (logged),
        and the rest ordered; if that still fails, the block is built empty.
        """
        try:
            return self.rule.order(items, number=number, base_fee=self.base_fee)
        except Exception as exc:
            bad = [item for item in items if not _well_formed(item)]
            _log.error(
                "block %d: the ordering rule failed (%s); dropping %d malformed items",
                number,
                type(exc).__name__,
                len(bad),
            )
            for item in bad:
                if isinstance(item, PendingBundle):
                    self.mempool.remove_bundle(item.hash)
                else:
                    self.mempool.remove((item[0][9],))
            kept = [item for item in items if _well_formed(item)]
        try:
            return self.rule.order(kept, number=number, base_fee=self.base_fee)
        except Exception:
            return []

    def _build_locally(self, builder: Builder, number: int, exc: Exception) -> Block:
        """The block ``builder`` offered cannot be used: build it with the honest builder.

        A builder is agent code, and its choices are agent input: it may raise, choose an
        item that does not exist or has not arrived, insert where the design forbids it,
        or insert what the admission gate refuses. None of that may halt the device
        (issue 11's liveness), and none of it may change state beyond what the gate
        admitted before the refusal (a builder's own transactions that passed the gate
        stay pending, like anyone's). So the builder loses this block, and the device's
        own honest builder at ``config.builder`` builds it instead: the fallback an
        Ethereum proposer takes when a relay's payload cannot be used (mev-boost's local
        block production). ``Block.builder_refused`` keeps the reason.
        """
        try:  # the exception is the builder's own object: even its str() may raise
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        except Exception:
            reason = type(exc).__name__
        _log.info(
            "block %d: builder %s's block refused (%s); built locally",
            number,
            builder.address,
            reason,
        )
        block = self.build_block(HonestBuilder(self.config.builder))
        block.builder_refused = reason
        return block

    def build_blocks(self, count: int) -> list[Block]:
        return [self.build_block() for _ in range(count)]

    def _resolve(
        self, choices: Iterable[Choice], builder: Builder, timestamp: int, number: int
    ) -> list[Item]:
        items: list[Item] = []
        seen: set[bytes] = set()
        for choice in choices:
            if isinstance(choice, bytes):
                entry: Item | None = self.mempool.get(choice) or self.mempool.bundle(choice)
                if entry is None or entry[1] > timestamp:
                    raise DeviceError(
                        f"builder {builder.address} chose unknown item {choice.hex()}"
                    )
                if isinstance(entry, PendingBundle) and not entry.bundle.in_range(number):
                    raise DeviceError(
                        f"builder {builder.address} chose bundle {choice.hex()} outside its "
                        f"block range [{entry.bundle.min_block}, {entry.bundle.max_block}]"
                    )
            else:
                if not self.config.builder_may_insert:
                    raise DeviceError(
                        f"builder {builder.address} inserted its own item, "
                        "but builder_may_insert is false"
                    )
                # The builder's own items pass the same admission gate as anyone's
                # (accord.device.admission); a refusal refuses the builder's whole block,
                # as a bad choice does (build_block then builds it locally).
                if isinstance(choice, Bundle):
                    self.submit_bundle(choice, sender=builder.address, at=timestamp)
                    entry = self.mempool.bundle(choice.hash)
                else:
                    entry = self._insert(choice, timestamp)
            assert entry is not None
            key = entry.hash if isinstance(entry, PendingBundle) else entry[0][9]
            if key not in seen:
                seen.add(key)
                items.append(entry)
        return items

    def _insert(self, choice: object, timestamp: int) -> Item:
        """A builder's own transaction, through the admission gate (or the pending
        transaction it equals), arriving at ``timestamp``."""
        checked = check_fields(choice, self.config.block_gas_limit)
        found = self.mempool.get(checked[9])
        if found is None or found.tx != checked:  # exact types: == compares values
            self._enter(self._admissible(checked)[0], timestamp)
            found = self.mempool.get(checked[9])
        assert found is not None
        return found

    def _execute_block(
        self,
        number: int,
        timestamp: int,
        builder: str,
        items: Sequence[Item],
        *,
        strict: bool = False,
        drains: bool = False,
    ) -> Block:
        """Execute ``items`` in order and seal the block.

        Items that are invalid now (a nonce gap, an unaffordable fee) are skipped and
        stay pending; items that can never become valid are skipped and dropped from
        the mempool (:meth:`Executor.never_valid`); items that do not fit the remaining
        gas are not attempted. Each lands in ``Block.skipped`` with its reason. With
        ``strict``, the first rejection is raised instead and nothing is sealed.

        The journal is kept for the whole block (marks are relative, so rolling back a
        call or a bundle works the same) and cleared once at the end. The cyclic garbage
        collector is paused meanwhile (:mod:`accord.device.collector`).

        **Whole-block rollback.** Nothing a transaction does makes this raise (the
        executor turns it into a rejection or a revert). If something escapes anyway, a
        bug in the device rather than in contract code, the block is rolled back to its
        pre-state (:meth:`_roll_back`), the item being processed (the executor's
        ``offenders``) is dropped from the mempool and recorded in ``skipped`` (field
        ``"internal"``), the error is logged, and the block is built again without it.
        After :data:`MAX_ATTEMPTS` failed attempts, or when no item is to blame (the
        commitments' resolution, the fee accounting), an *empty* block is sealed: no
        items, no resolution, so production always moves on. ``KeyboardInterrupt`` also
        rolls the block back and drops the item it interrupted (a contract raising it
        must not halt the device), then propagates: the user asked to stop. With
        ``strict`` (the automine helpers), the block is rolled back and the error
        raised, and nothing is sealed. The block hooks run after sealing and are the
        user's own: what they raise propagates, with the block sealed.
        """
        dropped: list[Skipped] = []
        attempt = 0
        with collector_paused():
            while True:
                point = self._block_savepoint()
                try:
                    if attempt >= MAX_ATTEMPTS:  # give up: an empty block
                        sealed = self._empty_block(number, timestamp, builder)
                    else:
                        sealed = self._execute_block_now(
                            number, timestamp, builder, items, strict, drains
                        )
                except BaseException as exc:
                    offenders = self.executor.offenders
                    self._roll_back(point)
                    if strict:
                        raise
                    hashes = {_item_hash(o) for o in offenders}
                    dropped.extend(_dropped(o, exc) for o in offenders)
                    if isinstance(exc, KeyboardInterrupt):
                        self._drop(dropped)
                        raise
                    _log.error(
                        "block %d: internal error, rolled back (attempt %d), dropping %s",
                        number,
                        attempt + 1,
                        ", ".join(h.hex()[:16] for h in hashes) or "nothing: sealing it empty",
                        exc_info=exc,
                    )
                    if hashes:
                        items = [i for i in items if _item_hash(i) not in hashes]
                        attempt += 1
                    else:
                        attempt = MAX_ATTEMPTS
                    drains = False
                    continue
                break
            if dropped:
                sealed[8].extend(dropped)
            return self._seal(*sealed)

    def _block_savepoint(self) -> tuple[int, int]:
        """What :meth:`_roll_back` needs beyond the state's origins: how many tables the
        ledger tracked and how many resolutions were recorded before the block."""
        return len(self.ledger.tracked), len(self.resolutions)

    def _roll_back(self, point: tuple[int, int]) -> None:
        """Put the state back as the head block sealed it.

        The state hash's tracking already records, for every key of every tracked table
        written since the last seal, its value then (the ``origin`` dicts: the block
        loop records nonce bumps, prepayments and refunds there too, and the contract
        registry is a tracked table), so restoring those values restores the head's
        state exactly, deployments included, without the hot loop journaling anything
        more. Tables first tracked during the block (the storage of contracts it
        deployed) are forgotten.
        """
        ledger = self.ledger
        tracked_before, resolutions_before = point
        for tracked in ledger.tracked.values():
            data = tracked.data
            for key, old in tracked.origin.items():
                if old is MISSING:
                    data.pop(key, None)
                else:
                    data[key] = old
        for table_id in list(ledger.tracked)[tracked_before:]:
            del ledger.tracked[table_id]
        ledger.journal.clear()
        ledger.events.clear()
        ledger.gas_used, ledger.gas_limit = 0, UNMETERED
        while len(self.resolutions) > resolutions_before:
            self.resolutions.pop()

    def _drop(self, dropped: list[Skipped]) -> None:
        for item in dropped:
            if item.kind == "tx":
                self.mempool.remove((item.hash,))
            else:
                self.mempool.remove_bundle(item.hash)

    def _empty_block(self, number: int, timestamp: int, builder: str) -> _Sealing:
        """An empty block's sealing arguments: nothing executed, nothing resolved."""
        return (number, timestamp, builder, 0, [], (), [], [], [], False)

    def _execute_block_now(
        self,
        number: int,
        timestamp: int,
        builder: str,
        items: Sequence[Item],
        strict: bool,
        drains: bool,
    ) -> _Sealing:
        """Execute the block; returns :meth:`_seal`'s arguments (sealed by the caller,
        outside the whole-block rollback)."""
        env = BlockEnv(number, timestamp, self.base_fee, builder)
        executor = self.executor
        done = executor.run(
            items,
            env,
            self.config.block_gas_limit,
            strict=strict,
            batch=self.config.ordering == "batch",
        )
        attempted, included, skipped = done.attempted, done.included, done.skipped
        receipts: list[Receipt | ReceiptFields] = done.receipts  # type: ignore[assignment]
        batched = done.batched
        journal = self.ledger.journal
        if batched:
            settled: dict[bytes, Receipt | ReceiptFields] = {}
            for address in settlement_order(batched, executor.contracts):
                for receipt in executor.settle_batch(address, batched[address], env):
                    settled[receipt[0]] = receipt
                journal.clear()
            receipts = [
                r if r is not None else settled[tx.hash]
                for tx, r in zip(included, receipts, strict=True)
            ]
        if self.registry.count():
            self.resolutions.append(resolve_commitments(self, self.registry, number, timestamp))
        gas_used = executor.end_block(builder, receipts, env.base_fee)
        journal.clear()
        self.ledger.events.clear()
        # Whether every pending transaction was included (then the mempool is emptied
        # at once): the items were the whole mempool, and as many of them were included
        # as it holds now (nothing was skipped, nothing was added during the block).
        emptied = drains and len(included) - done.bundled == len(self.mempool)
        return (
            number,
            timestamp,
            builder,
            gas_used,
            included,
            tuple(receipts),
            attempted,
            done.done_bundles,
            skipped,
            emptied,
        )

    def _seal(
        self,
        number: int,
        timestamp: int,
        builder: str,
        gas_used: int,
        included: list[Transaction],
        receipts: tuple[Receipt | ReceiptFields, ...],
        attempted: list[Transaction | Bundle],
        done_bundles: list[bytes],
        skipped: list[Skipped],
        emptied: bool = False,
    ) -> Block:
        """Seal the block: base fee, state hash, header, mempool, event log, hooks."""
        base_fee = self.base_fee
        next_base_fee = self.fee_market.base_fee_after(
            base_fee, gas_used, self.config.block_gas_limit
        )
        if self._record_inclusions and included:
            # Each included transaction's block, in the tracked table contracts read
            # (ctx.included): written before the undo record and the fold, so the state
            # hash covers it and a reorg's undo removes it (docs/finality.md).
            ledger = self.ledger
            inclusions = ledger.inclusions
            origin = ledger.inclusions_origin
            for tx in included:
                h = tx[9]
                if h not in origin:
                    origin[h] = inclusions.get(h, MISSING)
                inclusions[h] = number
        if self._undo is not None:  # finality_depth > 0: keep the block's undo first
            self._keep_undo(self._undo)
        root = self._digest.digest(number, next_base_fee)
        header = BlockHeader(
            number,
            timestamp,
            self.headers[-1].hash,
            builder,
            base_fee,
            self.config.block_gas_limit,
            gas_used,
            tx_root(included),
            root,
            self.beacons.values[-1],  # beacon(number), held since the parent was sealed
            len(receipts),
            receipts_root(receipts) if self._receipts_roots else EMPTY_ROOT,
        )
        # The next block's beacon, once per block (accord.device.beacon).
        self.beacons.push(number + 1, beacon_value(self.beacon_root, number + 1, header))
        block = Block(header, tuple(included), receipts, tuple(skipped))
        self.base_fee = next_base_fee
        self.headers.append(header)
        self._now = timestamp
        self._arrival = self._gate.arrival = timestamp + self._default_latency
        if self._history is not None and len(self.blocks) == self._history:
            oldest = self.blocks[0]
            if oldest.number <= self._indexed:
                forget = self._receipts.pop
                for old in oldest.receipts:
                    forget(old[0], None)
        self.blocks.append(block)
        mempool = self.mempool
        if emptied:
            mempool.txs.clear()
        else:
            mempool.remove(map(_tx_hash, included))
        for item in skipped:
            if item.dropped and item.kind == "tx":
                mempool.remove((item.hash,))
            elif item.dropped:
                mempool.remove_bundle(item.hash)
        for h in done_bundles:
            mempool.remove_bundle(h)
        mempool.prune(
            self.ledger.nonces,
            number,
            timestamp=block.header.timestamp,
            lifetime=self.config.mempool_lifetime_ms,
        )
        logged_root = header.receipts_root if self._receipts_roots else None
        self.log.append(BlockRecord(number, builder, tuple(attempted), root, logged_root))
        for hook in self.block_hooks:
            hook(self, block)
        return block

    def replay_block(self, record: BlockRecord) -> Block:
        """Re-execute a logged block's items in their logged order (used by replay)."""
        number = self.number + 1
        if record.number != number:
            raise DeviceError(f"log has block {record.number} where {number} was expected")
        timestamp = self.config.genesis_time_ms + number * self.config.block_time_ms
        items: list[Item] = []
        for index, item in enumerate(record.items):
            # The gate's stateless steps (fields, signature); LogRejected names the
            # block, the item and the field.
            self._check_logged(number, index, item)
            if isinstance(item, Bundle):
                items.append(self.mempool.add_bundle(item, timestamp, "replay"))
            else:
                items.append(self.mempool.get(item.hash) or self.mempool.add(item, timestamp))
        return self._execute_block(number, timestamp, record.builder, items)
