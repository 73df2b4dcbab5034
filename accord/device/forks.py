"""Forks: the last ``finality_depth`` blocks stay reversible, and a fork may replace them.

With ``DeviceConfig.finality_depth = k > 0`` the device keeps, for each of its last
``k`` sealed blocks, an :class:`UndoRecord`: what sealing the block changed, taken at
the seal before the state digest folds and forgets the block's writes. The state part
is the ledger's own tracking (:mod:`accord.device.ledger`): every tracked table's
``origin`` dict holds, for each key the block wrote, its value before the block, so a
copy of those dicts is the block's undo, at a cost proportional to what it wrote. The
rest is small: the state hash's accumulator, the tables the block first tracked (the
storage of contracts it deployed), a beacon or block the windows evicted. With
``k = 0`` (the default) nothing is kept and sealing pays one test.

:meth:`Forks.reorg` undoes the last ``d <= k`` blocks, newest first, returns their
transactions to the mempool through the admission gate, logs a
:class:`~accord.device.store.ForkRecord` and builds the alternative blocks it was
given. It is refused, changing nothing, when the fork is deeper than ``k`` (it would
touch a final block), when its input is malformed, or when the alternative does not win
under the configured fork-choice rule (:func:`fork_wins`). ``docs/finality.md`` has the
model.

Reorged transactions go back to the pool as geth reinjects the transactions of blocks a
reorg discarded (go-ethereum ``core/txpool/legacypool``, ``reset``: "Inject any
transactions discarded due to reorgs"): one by one, bundled ones too (a bundle's
atomicity does not survive a reorg, which is what "uncle bandit" attacks on Flashbots
bundles exploit), and through the gate against the rolled-back state, which may refuse
one (a full pool, a replacement). Items the sealed blocks had dropped, pruned or
consumed (bundles) are not restored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.device.block import Block, BlockHeader
from accord.device.errors import DeviceError
from accord.device.ledger import MISSING
from accord.device.store import ForkRecord
from accord.device.transaction import Bundle, Transaction

if TYPE_CHECKING:
    from accord.device.beacon import BeaconWindow
    from accord.device.block import Receipt
    from accord.device.commitments.resolver import Resolution
    from accord.device.config import DeviceConfig
    from accord.device.ledger import Ledger
    from accord.device.mempool import Item, Mempool
    from accord.device.state import StateDigest
    from accord.device.store import EventLog

__all__ = ["ForkRefused", "Forks", "Reorg", "UndoRecord", "fork_wins"]


class ForkRefused(DeviceError):
    """A fork the device refuses: malformed, too deep, or losing under the fork choice.
    Nothing changed."""


@dataclass(frozen=True, slots=True)
class UndoRecord:
    """What sealing one block changed, enough to put the device back as its parent left
    it (headers, base fee and clock come from the headers themselves)."""

    origins: tuple[tuple[int, dict[object, object]], ...]
    """Per tracked table (by its id in ``Ledger.tracked``), each key the block wrote and
    its value before the block (``MISSING``: absent)."""
    tracked_before: int
    """How many tables the ledger tracked before the block: those after are the
    storage of contracts the block deployed, forgotten by the undo."""
    accumulator: int
    """The state hash's H(S) before the block."""
    beacon_evicted: bytes | None
    """The beacon the window dropped when the block's successor beacon was pushed."""
    block_evicted: Block | None
    """The block ``Device.blocks`` dropped (a device with ``history``)."""
    resolved: bool
    """Whether the block appended a commitment resolution to ``Device.resolutions``."""


@dataclass(frozen=True, slots=True)
class Reorg:
    """What :meth:`Forks.reorg` did."""

    fork_point: int
    """The last block both chains share."""
    undone: tuple[Block, ...]
    """The replaced blocks, oldest first."""
    built: tuple[Block, ...]
    """The alternative blocks, oldest first."""
    returned: tuple[bytes, ...]
    """Reorged transactions the alternative did not include, pending again."""
    dropped: tuple[tuple[bytes, str], ...]
    """Reorged transactions the alternative did not include that are not pending, each
    with the reason (the gate refused it, or the new branch used its nonce)."""
    refused: tuple[tuple[bytes, str], ...]
    """Alternative items the admission gate refused (not in their block), with why."""


def fork_wins(
    rule: str, shares: dict[str, int], replaced: Sequence[str], builder: str, length: int
) -> bool:
    """Whether ``length`` blocks by ``builder`` beat the blocks built by ``replaced``.

    ``longest``: more blocks. ``heaviest``: more weight, a block weighing its builder's
    share in basis points (Nakamoto's most-work rule with work in proportion to a
    builder's share α of production; Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash
    System", 2008, §4). A tie keeps the chain in place (first seen wins), so an equal
    fork never replaces it.
    """
    if rule == "longest":
        return length > len(replaced)
    weight = sum(shares.get(b, 0) for b in replaced)
    return length * shares.get(builder, 0) > weight


class Forks:
    """The device's forks (a part of :class:`~accord.device.device.Device`)."""

    config: DeviceConfig
    ledger: Ledger
    mempool: Mempool
    headers: list[BlockHeader]
    blocks: deque[Block]
    beacons: BeaconWindow
    resolutions: deque[Resolution]
    base_fee: int
    log: EventLog
    _digest: StateDigest
    _receipts: dict[bytes, Receipt]
    _indexed: int
    _now: int
    _arrival: int
    _default_latency: int
    _undo: deque[UndoRecord] | None
    """One record per reversible block, newest last (``None`` with ``finality_depth`` 0)."""
    _tracked_count: int
    """How many tables the ledger tracked when the head was sealed."""
    _building: bool
    """Whether a builder is choosing a block's items (agent code runs): no fork then."""

    if TYPE_CHECKING:
        from accord.device.fast_submit import Gate

        _gate: Gate

        @property
        def number(self) -> int: ...

        def _admissible(self, tx: object) -> tuple[Transaction, int]: ...

        def _enter(self, tx: Transaction, arrival: int, gas: int | None = None) -> bytes: ...

        def _admit(self, tx: object, at: object = None) -> bytes: ...

        def _check_logged(self, number: int, index: int, item: object) -> None: ...

        def submit_bundle(self, bundle: Bundle, *, sender: str, at: int | None = None) -> bytes: ...

        def _order(self, items: list[Item], number: int) -> list[Item]: ...

        def _execute_block(
            self, number: int, timestamp: int, builder: str, items: Sequence[Item]
        ) -> Block: ...

    # -- finality ----------------------------------------------------------------------
    def is_final(self, number: object) -> bool:
        """Whether block ``number`` is final: sealed, with ``finality_depth`` blocks built
        on it (with depth 0, as soon as it is sealed). No fork can replace a final block."""
        if type(number) is not int:
            raise TypeError(f"a block number is an int, got {type(number).__name__}")
        return 0 <= number <= max(0, self.number - self.config.finality_depth)

    # -- sealing -----------------------------------------------------------------------
    def _start_undo(self) -> None:
        """After genesis: keep undo records if blocks are reversible."""
        k = self.config.finality_depth
        self._undo = deque(maxlen=k) if k > 0 else None
        self._building = False
        self._tracked_count = len(self.ledger.tracked)

    def _keep_undo(self, undo: deque[UndoRecord]) -> None:
        """At the seal, before the digest folds the block's writes in: its undo record."""
        ledger = self.ledger
        tracked = ledger.tracked
        beacons = self.beacons.values
        blocks = self.blocks
        resolutions = self.resolutions
        undo.append(
            UndoRecord(
                tuple((tid, dict(t.origin)) for tid, t in tracked.items() if t.origin),
                self._tracked_count,
                self._digest.accumulator,
                beacons[0] if len(beacons) == beacons.maxlen else None,
                blocks[0] if blocks.maxlen is not None and len(blocks) == blocks.maxlen else None,
                bool(resolutions) and resolutions[-1].number == self.number + 1,
            )
        )
        self._tracked_count = len(tracked)

    def _undo_block(self, record: UndoRecord) -> Block:
        """Put the device back as the head's parent left it; returns the undone block."""
        ledger = self.ledger
        tracked = ledger.tracked
        for table_id in list(tracked)[record.tracked_before :]:
            del tracked[table_id]
        for table_id, origin in record.origins:
            table = tracked.get(table_id)
            if table is None:  # first tracked in this block: forgotten above
                continue
            data = table.data
            for key, old in origin.items():
                if old is MISSING:
                    data.pop(key, None)
                else:
                    data[key] = old
        self._digest.accumulator = record.accumulator
        self._tracked_count = record.tracked_before
        block = self.blocks.pop()
        if record.block_evicted is not None:
            self.blocks.appendleft(record.block_evicted)
        header = self.headers.pop()
        self.base_fee = header.base_fee
        beacons = self.beacons
        beacons.values.pop()
        beacons.latest -= 1
        if record.beacon_evicted is not None:
            beacons.values.appendleft(record.beacon_evicted)
        if record.resolved:
            self.resolutions.pop()
        return block

    # -- reorganising ------------------------------------------------------------------
    def reorg(
        self,
        depth: int,
        blocks: Sequence[Sequence[Transaction | Bundle]],
        *,
        builder: str | None = None,
    ) -> Reorg:
        """Replace the last ``depth`` blocks with ``blocks``, built by ``builder``.

        Each alternative block is the items it includes, in the builder's order (the
        device orders them by its rule when ``ordering_enforced``, as for any builder).
        An item not pending is submitted through the admission gate just before its
        block (a refusal leaves it out: :attr:`Reorg.refused`). Refused with
        :class:`ForkRefused` (one line, nothing changed): called from a builder while it
        chooses a block (re-entrant), ``depth`` not an int in
        ``1..min(finality_depth, head)``, malformed blocks or items, an item twice, more
        than ``depth + finality_depth`` blocks, a fork that does not win under
        ``fork_choice`` (:func:`fork_wins`), or one that would lower the finalized block
        (a ``heaviest`` fork shorter than what it replaces, once the head is past
        ``finality_depth``: finality never goes back).
        """
        builder = self.config.builder if builder is None else builder
        if self._building:
            raise ForkRefused("a fork cannot start while a builder is choosing a block")
        self._check_depth(depth)
        alternative = self._check_blocks(blocks, depth)
        if type(builder) is not str or not builder:
            raise ForkRefused(f"builder must be a non-empty string, got {builder!r}")
        replaced = [h.builder for h in self.headers[-depth:]]
        config = self.config
        if not fork_wins(config.fork_choice, config.builder_shares, replaced, builder, len(blocks)):
            raise ForkRefused(
                f"the fork of {len(blocks)} blocks by {builder!r} does not beat the "
                f"{depth} blocks it would replace under fork_choice={config.fork_choice!r}"
            )
        head, k = self.number, config.finality_depth
        if max(0, head - depth + len(blocks) - k) < max(0, head - k):
            # Only heaviest lets a shorter fork win: it would lower the head, and with it
            # the finalized block. Finality never goes back (a block once final is final
            # for good; its undo record is gone anyway).
            raise ForkRefused(
                f"the fork of {len(blocks)} blocks replacing {depth} would lower the "
                f"finalized block from {head - k} to {max(0, head - depth + len(blocks) - k)}: "
                "finality never goes back"
            )
        fork_point = head - depth
        undone, reorged, dropped = self._fork(depth, builder, len(blocks))
        refused: list[tuple[bytes, str]] = []
        built: list[Block] = []
        for items in alternative:
            built.append(self._build_alternative(items, builder, refused))
        included = {tx.hash for block in built for tx in block.transactions}
        nonces = self.ledger.nonces
        returned = []
        for tx in reorged:
            if tx.hash in included or tx.hash in dropped:
                continue
            if tx.hash in self.mempool.txs:
                returned.append(tx.hash)
            else:
                dropped[tx.hash] = (
                    f"nonce {tx.nonce} of {tx.sender} was used in the new branch "
                    f"(now at {nonces.get(tx.sender, 0)})"
                )
        return Reorg(
            fork_point,
            tuple(undone),
            tuple(built),
            tuple(returned),
            tuple((h, r) for h, r in dropped.items() if h not in included),
            tuple(refused),
        )

    def _check_depth(self, depth: object) -> None:
        k = self.config.finality_depth
        if type(depth) is not int:
            raise ForkRefused(f"depth must be an int, got {type(depth).__name__}")
        if k == 0:
            raise ForkRefused("finality_depth is 0: every block is final, nothing can fork")
        if not 1 <= depth <= min(k, self.number):
            raise ForkRefused(
                f"depth {depth} is outside 1..{min(k, self.number)}: a fork may replace at "
                f"most finality_depth={k} blocks and never a final one (head {self.number}, "
                f"finalized {max(0, self.number - k)})"
            )
        undo = self._undo
        if undo is None or len(undo) < depth:  # not kept (a device reorganised before)
            raise ForkRefused(f"depth {depth}: only {len(undo or ())} blocks can be undone")

    def _check_blocks(self, blocks: object, depth: int) -> list[list[Transaction | Bundle]]:
        """The alternative's stateless checks (the gate's fields and signatures)."""
        limit = depth + self.config.finality_depth
        if not isinstance(blocks, (list, tuple)):
            raise ForkRefused(f"blocks must be a list of blocks, got {type(blocks).__name__}")
        if not 1 <= len(blocks) <= limit:
            raise ForkRefused(f"a fork of depth {depth} has 1..{limit} blocks, got {len(blocks)}")
        seen: set[bytes] = set()
        out: list[list[Transaction | Bundle]] = []
        for b, items in enumerate(blocks):
            if not isinstance(items, (list, tuple)):
                raise ForkRefused(f"block {b} must be a list of items, got {type(items).__name__}")
            if len(items) > self.config.mempool_capacity:
                raise ForkRefused(f"block {b} has more than mempool_capacity items")
            for i, item in enumerate(items):
                if type(item) is not Transaction and type(item) is not Bundle:
                    raise ForkRefused(
                        f"block {b} item {i} is a {type(item).__name__}, not a Transaction "
                        "or Bundle"
                    )
                try:
                    self._check_logged(self.number + 1 + b, i, item)
                except DeviceError as exc:
                    raise ForkRefused(f"block {b} item {i}: {exc}") from None
                hashes = [tx.hash for tx in item.txs] if type(item) is Bundle else [item.hash]
                for h in hashes:
                    if h in seen:
                        raise ForkRefused(
                            f"block {b} item {i}: transaction {h.hex()} appears twice"
                        )
                    seen.add(h)
            out.append(list(items))
        return out

    def _fork(
        self, depth: int, builder: str, length: int
    ) -> tuple[list[Block], list[Transaction], dict[bytes, str]]:
        """Undo ``depth`` blocks, log the fork and return their transactions to the
        pool through the gate. Returns the undone blocks (oldest first), their
        transactions in chain order and those the gate refused, with its reason."""
        undo = self._undo
        assert undo is not None
        head = self.number
        ledger = self.ledger
        for table in ledger.tracked.values():  # leftovers of a dry run: equal values
            for key, old in table.origin.items():
                if old is MISSING:
                    table.data.pop(key, None)
                else:
                    table.data[key] = old
        undone = [self._undo_block(undo.pop()) for _ in range(depth)]
        undone.reverse()
        for table in ledger.tracked.values():
            table.origin.clear()
        self._receipts.clear()
        self._indexed = 0
        self._now = self.headers[-1].timestamp
        self._arrival = self._gate.arrival = self._now + self._default_latency
        self.log.append(ForkRecord(head, depth, builder, length))
        reorged = [tx for block in undone for tx in block.transactions]
        dropped: dict[bytes, str] = {}
        for tx in reorged:
            try:
                checked, gas = self._admissible(tx)
                self._enter(checked, self._arrival, gas)
            except DeviceError as exc:
                dropped[tx.hash] = str(exc).splitlines()[0]
        return undone, reorged, dropped

    def _build_alternative(
        self, items: list[Transaction | Bundle], builder: str, refused: list[tuple[bytes, str]]
    ) -> Block:
        """Build one alternative block from ``items`` (submitting those not pending)."""
        number = self.number + 1
        timestamp = self.config.genesis_time_ms + number * self.config.block_time_ms
        mempool = self.mempool
        chosen: list[Item] = []
        for item in items:
            try:
                if type(item) is Bundle:
                    if mempool.bundle(item.hash) is None:
                        self.submit_bundle(item, sender=builder)
                    found: Item | None = mempool.bundle(item.hash)
                else:
                    if item.hash not in mempool.txs:
                        self._admit(item)
                    found = mempool.get(item.hash)
            except DeviceError as exc:
                refused.append((item.hash, str(exc).splitlines()[0]))
                continue
            assert found is not None
            chosen.append(found)
        if self.config.ordering_enforced:
            chosen = self._order(chosen, number)
        return self._execute_block(number, timestamp, builder, chosen)

    def replay_fork(self, record: ForkRecord) -> None:
        """Follow a logged fork (replay): undo its blocks; the blocks after it in the
        log are the alternative."""
        if record.number != self.number:
            raise DeviceError(
                f"log has a fork from head {record.number} where the head is {self.number}"
            )
        self._check_depth(record.depth)
        self._fork(record.depth, record.builder, record.blocks)
