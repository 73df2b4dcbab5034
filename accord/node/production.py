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

**Restart.** :meth:`Node.open` replays ``chain.db`` (every block re-executed, every
state hash checked), refuses a ``node.toml`` whose device, genesis or seed differ from
the log's (one line naming what), resubmits the journal, and goes on appending.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.device import Block, Bundle, Device, DeviceConfig, Genesis, Transaction, replay
from accord.device.dry_run import dry_run
from accord.device.errors import DeviceError
from accord.device.forks import ForkRefused, Reorg
from accord.device.store import SqliteLog, is_event_log, read_sqlite
from accord.device.transaction import transaction_hash
from accord.node.config import NodeConfig
from accord.node.journal import MempoolJournal, ResumedLog

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


class Node:
    """One device served by the node, with its chain log and mempool journal."""

    def __init__(self, config: NodeConfig, device: Device, journal: MempoolJournal) -> None:
        self.config = config
        self.device = device
        self.journal = journal
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
        self.block_of: dict[bytes, int] = {}
        """Block number of every included transaction (for receipts and logs)."""
        for block in device.blocks:
            self._index(block)

    @classmethod
    def open(cls, config: NodeConfig) -> Node:
        """Start a new chain in ``data_dir``, or resume the one there (module docstring)."""
        data_dir = config.node.data_dir
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NodeStartError(f"data_dir {data_dir}: cannot create it: {exc}") from None
        path = config.chain_path
        if path.exists():
            if not is_event_log(path):
                raise NodeStartError(f"{path} exists and is not an accord event log")
            _check_matches(config, path)
            try:
                device = replay(path)
            except (DeviceError, sqlite3.Error) as exc:
                raise NodeStartError(f"{path}: cannot replay it: {exc}") from None
            device.log = ResumedLog(path)
        else:
            device = Device(
                config.device,
                config.genesis,
                seed=config.seed,
                store=SqliteLog(path, any_thread=True),
            )
        journal = MempoolJournal(config.mempool_path)
        journal.restore(device)
        return cls(config, device, journal)

    def close(self) -> None:
        self.journal.close()
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
        self._index(block)
        self.journal.prune(self.device)
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
        for block in result.undone:
            for tx in block.transactions:
                self.block_of.pop(tx.hash, None)
        for block in result.built:
            self._index(block)
        self.journal.prune(self.device)
        self._tell("reorg", result)
        return result

    def _tell(self, what: str, item: object) -> None:
        for watcher in self.watchers:
            try:
                getattr(watcher, what)(item)
            except Exception:  # a watcher's bug must not undo an acknowledged item
                _log.exception("a watcher failed on %s", what)

    def _index(self, block: Block) -> None:
        for tx in block.transactions:
            self.block_of[tx.hash] = block.number

    def snapshot(self) -> Path:
        """A consistent copy of the chain log up to the head, replayable on its own
        (``accord replay``): ``data_dir/snapshots/chain-<number>.db``."""
        folder = self.config.node.data_dir / "snapshots"
        folder.mkdir(exist_ok=True)
        target = folder / f"chain-{self.device.number}.db"
        target.unlink(missing_ok=True)
        source = sqlite3.connect(str(self.config.chain_path))
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
            source.close()
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
