"""The node's device: opened or resumed from its log, fed, and turned into blocks.

:class:`Node` owns one :class:`~accord.device.Device` and the files of
:mod:`accord.node.journal`. Every method runs on the server's one event-loop thread,
between two awaits, so the device (which is not thread-safe) is only ever touched by one
caller at a time and needs no lock.

**Acknowledged** (``docs/node.md``): a transaction or bundle is acknowledged when
``accord_sendTransaction`` / ``accord_sendBundle`` / ``accord_commit`` answers with its
hash. By then the device has admitted it and the mempool journal has committed it (in
the server, the rows of requests handled in the same turn of the event loop are
committed together, and each answer waits for that commit: :attr:`Node.group_commit`), so a
``kill -9`` at any later moment loses it not: after a restart it is pending again or
already in a sealed block. A block is acknowledged when ``/admin/block`` answers (or the
timer has produced it): by then it is in the chain log.

**Restart.** :meth:`Node.open` refuses a ``node.toml`` whose device, genesis or seed
differ from the log's (one line naming what), restores the newest usable state
checkpoint (:mod:`accord.node.checkpoints`; none, or none usable: from genesis),
replays ``chain.db``'s blocks after it (every block re-executed, every state hash
checked), resubmits the journal, and goes on appending.

**Memory.** The device keeps the last ``history`` blocks and the last headers it needs
(:data:`~accord.device.checkpoint.HEADERS_KEPT`, or ``finality_depth + 1`` if more);
every block is also in the block archive (:mod:`accord.node.archive`), which
:meth:`Node.block` and :attr:`Node.block_of` read past the window.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.device import Block, Bundle, Device, DeviceConfig, Genesis, Transaction
from accord.device.checkpoint import HEADERS_KEPT, export
from accord.device.dry_run import dry_run
from accord.device.errors import DeviceError
from accord.device.forks import ForkRefused, Reorg
from accord.device.replay import kept_receipts_roots, replay_records
from accord.device.store import NullLog, SqliteLog, is_event_log, read_sqlite
from accord.device.transaction import transaction_hash
from accord.node.archive import BlockArchive
from accord.node.checkpoints import CheckpointStore, open_checkpoint
from accord.node.config import NodeConfig
from accord.node.journal import MempoolJournal, ResumedLog
from accord.node.reads import value

_log = logging.getLogger("accord.node")


class NodeStartError(DeviceError):
    """The node cannot start: its log does not match its config, or cannot be read."""


class NodeDiverged(DeviceError):
    """A reorg failed after it began (its log write was rolled back): the live device
    is no longer what its log replays to, so the node seals nothing more until it is
    restarted (the restart replays the log, which ends before that fork)."""


@dataclass(frozen=True, slots=True)
class SimResult:
    """A dry run's outcome: a receipt's fields, or the refusal that skipped it."""

    status: str
    gas_used: int
    fee_paid: int
    result: object
    events: tuple[tuple[str, str, tuple[tuple[str, object], ...]], ...]
    error: str | None
    contract_address: str | None
    field: str | None = None


def _check_matches(config: NodeConfig, path: Path) -> None:
    header, _ = read_sqlite(path)
    logged_config = DeviceConfig.model_validate_json(header.config)
    if kept_receipts_roots(header.config, logged_config):  # (a log from before the switch)
        logged_config = logged_config.model_copy(update={"receipts_roots": True})
    if logged_config != config.device:
        diff = sorted(
            k
            for k in type(logged_config).model_fields
            if getattr(logged_config, k) != getattr(config.device, k)
        )
        raise NodeStartError(
            f"{path}: the log was written with another [device] config (differs in "
            f"{', '.join(diff)}); use another data_dir or the log's config"
        )
    if header.seed != config.seed:
        raise NodeStartError(
            f"{path}: the log's seed is {header.seed}, node.toml says {config.seed}"
        )
    logged = Genesis.model_validate_json(header.genesis)
    keys = config.genesis.public_keys
    if any(logged.public_keys.get(name) != key for name, key in keys.items()) or (
        logged.model_copy(update={"public_keys": {}})
        != config.genesis.model_copy(update={"public_keys": {}})
    ):
        raise NodeStartError(f"{path}: the log was written with another [genesis]")


class TxIndex:
    """Transaction hash -> number of the canonical block that included it, read like a
    dict: the block archive's index (its queue, then its table), each answer checked
    against the block itself (an index row a reorg left behind answers nothing)."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def get(self, tx_hash: bytes, default: int | None = None) -> int | None:
        node = self._node
        number = node.archive.block_of(tx_hash)
        if number is None:
            return default
        block = node.block(number)
        if block is None or not any(tx.hash == tx_hash for tx in block.transactions):
            return default
        return number

    def __getitem__(self, tx_hash: bytes) -> int:
        found = self.get(tx_hash)
        if found is None:
            raise KeyError(tx_hash.hex())
        return found

    def __len__(self) -> int:
        return self._node.archive.transactions()

    def keys(self) -> list[bytes]:
        """Every indexed transaction of the canonical chain (reads the whole index: for
        tests and tools, not requests)."""
        return [h for h in self._node.archive.hashes() if self.get(h) is not None]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.keys())

    def items(self) -> list[tuple[bytes, int]]:
        """``(hash, block number)`` of every indexed transaction (as :meth:`keys`)."""
        found = ((h, self.get(h)) for h in self._node.archive.hashes())
        return [(h, n) for h, n in found if n is not None]

    def __contains__(self, tx_hash: object) -> bool:
        return type(tx_hash) is bytes and self.get(tx_hash) is not None


class Node:
    """One device served by the node, with its chain log and mempool journal."""

    def __init__(
        self,
        config: NodeConfig,
        device: Device,
        journal: MempoolJournal,
        archive: BlockArchive | None = None,
        checkpoints: CheckpointStore | None = None,
    ) -> None:
        self.config = config
        self.device = device
        self.journal = journal
        self.archive = archive if archive is not None else _archive(config)
        self.checkpoints = (
            checkpoints if checkpoints is not None else CheckpointStore(config.checkpoints_path)
        )
        self.watchers: list[Any] = []
        """Told of each admitted transaction (``pending(tx)``), each sealed block
        (``block(block)``) and each reorg (``reorg(reorg)``, after its alternative blocks
        are sealed): the WebSocket hub (:mod:`accord.node.subscriptions`), the explorer's
        index. They must not block; one that raises is logged and production goes on."""
        self.group_commit = False
        """When True (the server sets it), :meth:`send` only stages an item's journal
        row and the caller must :meth:`commit` before acknowledging it, so that the rows
        of concurrent requests are committed in one SQLite transaction."""
        self._staged: list[tuple[bytes, Transaction | Bundle]] = []
        self.diverged = False
        """Set when a reorg failed after it began (:class:`NodeDiverged`)."""
        self.block_of = TxIndex(self)
        """Block number of every included transaction (for receipts and logs)."""
        for block in device.blocks:
            self.archive.add(block)
        self.every = config.node.checkpoint_every if config.device.finality_depth == 0 else 0
        """Blocks between checkpoints (0: none; always 0 under ``finality_depth > 0``,
        whose undo records a checkpoint does not hold)."""
        self._headers = max(HEADERS_KEPT, config.device.finality_depth + 1)
        self.started_from: int | None = None
        """The block of the checkpoint the node started from (None: from genesis)."""

    @classmethod
    def open(cls, config: NodeConfig) -> Node:
        """Start a new chain in ``data_dir``, or resume the one there (module docstring)."""
        data_dir = config.node.data_dir
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NodeStartError(f"data_dir {data_dir}: cannot create it: {exc}") from None
        path = config.chain_path
        history = config.node.history or None
        archive = _archive(config)
        checkpoints = CheckpointStore(config.checkpoints_path)
        started_from = None
        if path.exists():
            if not is_event_log(path):
                raise NodeStartError(f"{path} exists and is not an accord event log")
            _check_matches(config, path)
            try:
                device, started_from = _resume(config, path, archive, checkpoints)
            except (DeviceError, sqlite3.Error) as exc:
                raise NodeStartError(f"{path}: cannot replay it: {exc}") from None
            device.log = ResumedLog(path)
        else:
            device = Device(
                config.device,
                config.genesis,
                seed=config.seed,
                store=SqliteLog(path, any_thread=True),
                history=history,
            )
        journal = MempoolJournal(config.mempool_path)
        journal.restore(device)
        node = cls(config, device, journal, archive, checkpoints)
        node.started_from = started_from
        return node

    def close(self) -> None:
        self.journal.close()
        self.archive.close()
        self.checkpoints.close()
        log = self.device.log
        if isinstance(log, SqliteLog):
            log.close()

    # -- in ------------------------------------------------------------------------------
    def send(self, tx: Transaction) -> bytes:
        """Admit ``tx`` (the device's gate raises :class:`Rejected`, changing nothing),
        then journal it; returns its hash once both are done (with :attr:`group_commit`,
        once it is staged: :meth:`commit` makes it durable)."""
        tx_hash = self.device.submit(tx)
        self._journal(tx_hash, tx)
        return tx_hash

    def send_bundle(self, bundle: Bundle) -> bytes:
        """Admit a bundle, its sender being its first transaction's signer."""
        bundle_hash = self.device.submit_bundle(bundle, sender=bundle.txs[0].sender)
        self._journal(bundle_hash, bundle)
        return bundle_hash

    @property
    def staged(self) -> int:
        """Admitted items whose journal rows wait for :meth:`commit`."""
        return len(self._staged)

    def _journal(self, item_hash: bytes, item: Transaction | Bundle) -> None:
        self.journal.stage(item_hash, item)
        self._staged.append((item_hash, item))
        if not self.group_commit:
            self.commit()

    def commit(self) -> int:
        """Commit every staged journal row in one SQLite transaction, then tell the
        watchers of the transactions; returns how many. If the commit fails, the staged
        items are not durable, so not acknowledged: they are taken back out of the
        mempool and the error is raised (the server answers each of their requests with
        an error)."""
        staged, self._staged = self._staged, []
        try:
            self.journal.flush()
        except sqlite3.Error:
            mempool = self.device.mempool
            for item_hash, item in staged:
                if isinstance(item, Bundle):
                    mempool.remove_bundle(item_hash)
                else:
                    mempool.remove((item_hash,))
            raise
        for _, item in staged:
            if not isinstance(item, Bundle):
                self._tell("pending", item)
        return len(staged)

    # -- out -----------------------------------------------------------------------------
    def has_work(self) -> bool:
        device = self.device
        return bool(len(device.mempool) or device.mempool.bundles() or device.registry.count())

    def _check_diverged(self) -> None:
        if self.diverged:
            raise NodeDiverged(
                "a reorg failed after it began and its log write was rolled back: the live "
                "device is no longer what chain.db replays to; restart the node"
            )

    def produce(self) -> Block:
        """Build and seal the next block (in the chain log when this returns)."""
        self._check_diverged()
        block = self.device.build_block()
        self.archive.add(block)
        self.journal.prune(self.device)
        self._trim_headers()
        if self.every and block.number % self.every == 0:
            try:
                self.checkpoint()
            except (DeviceError, sqlite3.Error, OSError):  # the block stands without it
                _log.exception("block %d: the checkpoint was not written", block.number)
        self._tell("block", block)
        return block

    def reorg(
        self,
        depth: int,
        blocks: list[list[Transaction | Bundle]],
        builder: str | None = None,
    ) -> Reorg:
        """Replace the last ``depth`` blocks with ``blocks`` (``Device.reorg``: the
        fork-choice rule decides, and a refusal raises :class:`~accord.device.forks.
        ForkRefused` having changed nothing, the log included).

        The fork record and the alternative blocks go to the chain log in one SQLite
        transaction (:meth:`SqliteLog.atomic`): when this returns they are committed, and
        a ``kill -9`` before that leaves the log at the old head, so a restart replays
        either the whole fork or none of it. The reorged transactions the alternative
        left out are pending again in the device; replay returns them to the pool the
        same way, so they need no journal row."""
        self._check_diverged()
        log = self.device.log
        sealed = log.atomic() if isinstance(log, SqliteLog) else contextlib.nullcontext()
        try:
            with sealed:
                result = self.device.reorg(depth, blocks, builder=builder)
        except ForkRefused:  # refused before anything changed
            raise
        except BaseException:
            self.diverged = True
            raise
        self.archive.forget(result.fork_point)
        for block in result.built:
            self.archive.add(block)
        self._trim_headers()
        self.journal.prune(self.device)
        self._tell("reorg", result)
        return result

    def checkpoint(self) -> int:
        """Write the state at the head as a checkpoint (after the archive holds every
        block up to it); returns its block number."""
        self.archive.flush()
        log = self.device.log
        if not isinstance(log, SqliteLog):
            raise DeviceError("a checkpoint needs the chain log on disk")
        number = self.device.number
        self.checkpoints.write(number, log.last_seq(), export(self.device))
        return number

    def _trim_headers(self) -> None:
        """Keep the headers the device needs, when it keeps a bounded history (amortised:
        trimmed once they are twice that many)."""
        headers = self.device.headers
        if self.config.node.history and len(headers) > 2 * self._headers:
            del headers[: len(headers) - self._headers]

    def block(self, number: int) -> Block | None:
        """Block ``number``: from memory while the device keeps it, else from the
        archive; None past the head (or before 0)."""
        device = self.device
        if not 0 <= number <= device.number:
            return None
        blocks = device.blocks
        if blocks and blocks[0].number <= number:
            found: Block = blocks[number - blocks[0].number]
            return found
        return self.archive.block(number)

    def _tell(self, what: str, item: object) -> None:
        for watcher in self.watchers:
            try:
                getattr(watcher, what)(item)
            except Exception:  # a watcher's bug must not undo an acknowledged item
                _log.exception("a watcher failed on %s", what)

    def snapshot(self) -> Path:
        """Consistent copies (SQLite's backup API) of the chain log up to the head,
        replayable on its own (``accord replay``), and of the accounts' sponsorships
        when there are any: ``data_dir/snapshots/chain-<number>.db`` (returned) and
        ``accounts-<number>.db`` beside it."""
        folder = self.config.node.data_dir / "snapshots"
        folder.mkdir(exist_ok=True)
        number = self.device.number
        target = folder / f"chain-{number}.db"
        _backup(self.config.chain_path, target)
        if self.config.accounts_path.exists():
            _backup(self.config.accounts_path, folder / f"accounts-{number}.db")
        return target

    # -- dry runs ------------------------------------------------------------------------
    def simulate(self, content: tuple[Any, ...]) -> SimResult:
        """Run unsigned transaction ``content`` (its nine fields) after the pending
        transactions, as the next block would, and roll everything back: nothing
        changes (``state_hash()`` is the head's after it). The signature is not checked
        (nothing is kept); the block is given room for the call beyond what is pending;
        under the ``batch`` rule batchable calls run one by one."""
        tx = Transaction(*content, transaction_hash(content), b"")  # type: ignore[call-arg]
        run = dry_run(self.device, tx)
        receipt = run.receipt
        if receipt is None:
            field, reason = run.refusal
            return SimResult("rejected", 0, 0, None, (), reason, None, field)
        return SimResult(
            receipt[1],
            receipt[2],
            receipt[3],
            receipt[5],
            tuple((e.address, e.name, e.data) for e in receipt[6]),
            receipt[7],
            receipt[8],
        )


def _backup(source_path: Path, target: Path) -> None:
    """A consistent copy of a SQLite file (its committed state, WAL included), as one
    self-contained file."""
    target.unlink(missing_ok=True)
    source = sqlite3.connect(str(source_path))
    dest = sqlite3.connect(str(target))
    try:
        source.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()
        source.close()


def _archive(config: NodeConfig) -> BlockArchive:
    history = config.node.history
    return BlockArchive(config.archive_path, value, batch=min(history, 256) if history else 256)


def _resume(
    config: NodeConfig, path: Path, archive: BlockArchive, checkpoints: CheckpointStore
) -> tuple[Device, int | None]:
    """The device of the log at ``path``: from the newest usable checkpoint, then the
    log's records after it (or all of them), every block archived as it is replayed."""
    header, _ = read_sqlite(path)
    logged_config = DeviceConfig.model_validate_json(header.config)
    logged_genesis = Genesis.model_validate_json(header.genesis)
    history = config.node.history or None

    def fresh() -> Device:
        device = Device(
            logged_config, logged_genesis, seed=header.seed, store=NullLog(), history=history
        )
        for block in device.blocks:  # the genesis block, sealed before any hook
            archive.add(block)
        device.block_hooks.append(lambda _device, block: archive.add(block))
        return device

    start, after, started_from = None, 0, None
    if config.node.checkpoint_every and config.device.finality_depth == 0:
        restored = open_checkpoint(checkpoints, path, archive.header_hash, fresh)
        if restored is not None:
            start, after = restored
            started_from = start.number
    _, records = read_sqlite(path, after=after)
    device = replay_records(header, records, start=start or fresh())
    device.block_hooks.clear()
    return device, started_from
