"""The block archive: sealed blocks the node no longer keeps in memory, on disk.

The node's device keeps the last ``history`` blocks (``[node] history``); the archive
(``data_dir/blocks.db``, SQLite in WAL mode) holds every block with its transactions,
receipts and skipped items, and an index from transaction hash to block number, so
that ``accord_getBlock``, ``accord_getTransactionReceipt``, ``accord_getTransaction``,
``accord_getProof`` and ``accord_getLogs`` answer an old block as they answered it
when it was in memory.

**When a block is written.** Sealed blocks queue in memory and are written together,
in one SQLite transaction, when the queue reaches ``batch`` blocks, before a
checkpoint is written (:mod:`accord.node.checkpoints`) and when the node closes. A
block in the queue is still read from it, so a read never misses. A crash loses the
queue, never more than the blocks after the newest checkpoint, which the restart
replays from the chain log and queues again (rows are keyed by number and written with
``INSERT OR REPLACE``: the same deterministic block gives the same row).

**Encoding.** JSON: headers, transactions and values as the event log writes them
(:func:`accord.device.encoding.to_jsonable`). A result that is not a canonical value
(a contract may return any object) is stored as what is read of it,
:class:`~accord.device.receipts_root.OpaqueResult`: its receipt leaf and its JSON
form, so its proof and its reading are unchanged.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accord.device import Block, BlockHeader, Receipt, Skipped
from accord.device.commitments.registry import REGISTRY_ADDRESS
from accord.device.context import Event
from accord.device.encoding import from_jsonable, is_canonical, to_jsonable
from accord.device.receipts_root import OpaqueResult, result_leaf
from accord.device.store import decode_item, encode_item

_HEADER_FIELDS = tuple(BlockHeader.__dataclass_fields__)


def encode_block(block: Block, wire: Callable[[object], Any]) -> str:
    """A block as the archive's JSON; ``wire`` is a result's JSON form (for results
    that are not canonical values)."""
    h = block.header
    receipts = []
    for r in block.receipts:
        result = r.result
        if is_canonical(result):
            stored: Any = {"v": to_jsonable(result)}
        else:
            leaf, type_name = result_leaf(result)
            stored = {"leaf": to_jsonable(leaf), "type": type_name, "wire": wire(result)}
        receipts.append(
            [
                r.tx_hash.hex(),
                r.status,
                r.gas_used,
                r.fee_paid,
                r.tip_paid,
                stored,
                [[e.address, e.name, to_jsonable(e.data)] for e in r.events],
                r.error,
                r.contract_address,
            ]
        )
    body = {
        "header": [to_jsonable(getattr(h, name)) for name in _HEADER_FIELDS],
        "txs": [encode_item(tx) for tx in block.transactions],
        "receipts": receipts,
        "skipped": [[s.hash.hex(), s.kind, s.field, s.reason, s.dropped] for s in block.skipped],
        "refused": block.builder_refused,
    }
    return json.dumps(body, separators=(",", ":"))


def posted_in(block: Block) -> list[tuple[str, bytes]]:
    """``(commitment id, transaction hash)`` of each ``Posted`` event the commitment
    registry emitted in ``block``, in order (the explorer links a commitment to it)."""
    found = []
    for tx, receipt in zip(block.transactions, block.receipts, strict=False):
        for event in receipt.events:
            if event.address == REGISTRY_ADDRESS and event.name == "Posted":
                commitment = dict(event.data).get("id")
                if type(commitment) is str:
                    found.append((commitment, tx.hash))
    return found


def decode_block(text: str) -> Block:
    """Inverse of :func:`encode_block`."""
    body = json.loads(text)
    header = BlockHeader(*(from_jsonable(f) for f in body["header"]))
    receipts = []
    for tx_hash, status, gas_used, fee, tip, stored, events, error, address in body["receipts"]:
        if "v" in stored:
            result: object = from_jsonable(stored["v"])
        else:
            result = OpaqueResult(from_jsonable(stored["leaf"]), stored["type"], stored["wire"])
        receipts.append(
            Receipt(
                bytes.fromhex(tx_hash),
                status,
                gas_used,
                fee,
                tip,
                result,
                tuple(Event(a, n, from_jsonable(d)) for a, n, d in events),
                error,
                address,
            )
        )
    skipped = tuple(
        Skipped(bytes.fromhex(h), kind, field, reason, dropped)
        for h, kind, field, reason, dropped in body["skipped"]
    )
    txs = tuple(decode_item(t) for t in body["txs"])
    block = Block(header, txs, tuple(receipts), skipped)  # type: ignore[arg-type]
    block.builder_refused = body["refused"]
    return block


class BlockArchive:
    """Every sealed block, on disk, and a queue of those not written yet (module docstring)."""

    def __init__(self, path: str | Path, wire: Callable[[object], Any], *, batch: int) -> None:
        self.path = Path(path)
        self._wire = wire
        self.batch = max(1, batch)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS blocks(
                number INTEGER PRIMARY KEY, hash BLOB NOT NULL, payload TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS txs(
                hash BLOB PRIMARY KEY, number INTEGER NOT NULL,
                position INTEGER NOT NULL, sender TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS txs_by_number ON txs(number, position);
            CREATE TABLE IF NOT EXISTS posted(
                number INTEGER NOT NULL, position INTEGER NOT NULL,
                id TEXT NOT NULL, hash BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS posted_by_number ON posted(number);
            """
        )
        self.queue: dict[int, Block] = {}
        """Sealed blocks not written yet, by number."""
        self._tx_queue: dict[bytes, int] = {}
        row = self._db.execute("SELECT MAX(number) FROM blocks").fetchone()
        self.written = -1 if row[0] is None else int(row[0])
        """The newest block number on disk (-1: none)."""

    def add(self, block: Block) -> None:
        """Queue a sealed block (in place of a queued or archived block of the same
        number that a fork replaced); writes the queue when it is full."""
        number = block.number
        old = self.queue.get(number)
        if old is not None:
            for tx in old.transactions:
                self._tx_queue.pop(tx.hash, None)
        elif number <= self.written and self._hash(number) == block.header.hash:
            return  # on disk already (a replay of what an earlier run wrote)
        self.queue[number] = block
        for tx in block.transactions:
            self._tx_queue[tx.hash] = number
        if len(self.queue) >= self.batch:
            self.flush()

    def _hash(self, number: int) -> bytes | None:
        row = self._db.execute("SELECT hash FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None else bytes(row[0])

    def flush(self) -> int:
        """Write every queued block in one SQLite transaction, each in place of the
        row of its number and that row's transactions; returns how many."""
        if not self.queue:
            return 0
        numbers = [(n,) for n in self.queue]
        blocks = [(n, b.header.hash, encode_block(b, self._wire)) for n, b in self.queue.items()]
        txs = [
            (tx.hash, n, i, tx.sender)
            for n, b in self.queue.items()
            for i, tx in enumerate(b.transactions)
        ]
        posted = [
            (n, i, commitment, tx_hash)
            for n, b in self.queue.items()
            for i, (commitment, tx_hash) in enumerate(posted_in(b))
        ]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM txs WHERE number = ?", numbers)
            self._db.executemany("DELETE FROM posted WHERE number = ?", numbers)
            self._db.executemany(
                "INSERT OR REPLACE INTO blocks(number, hash, payload) VALUES (?, ?, ?)", blocks
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO txs(hash, number, position, sender) VALUES (?, ?, ?, ?)",
                txs,
            )
            self._db.executemany("INSERT INTO posted VALUES (?, ?, ?, ?)", posted)
        self.written = max(self.written, max(self.queue))
        self.queue.clear()
        self._tx_queue.clear()
        return len(blocks)

    def forget(self, fork_point: int) -> None:
        """A reorg replaced the blocks after ``fork_point``: forget them, queued and
        archived (the alternative blocks are added after)."""
        for number in [n for n in self.queue if n > fork_point]:
            for tx in self.queue.pop(number).transactions:
                self._tx_queue.pop(tx.hash, None)
        if self.written > fork_point:
            with self._db:
                self._db.execute("BEGIN")
                self._db.execute("DELETE FROM blocks WHERE number > ?", (fork_point,))
                self._db.execute("DELETE FROM txs WHERE number > ?", (fork_point,))
                self._db.execute("DELETE FROM posted WHERE number > ?", (fork_point,))
            self.written = fork_point

    def block(self, number: int) -> Block | None:
        """Block ``number`` from the queue or the disk, or None if it holds none."""
        queued = self.queue.get(number)
        if queued is not None:
            return queued
        row = self._db.execute("SELECT payload FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None else decode_block(row[0])

    def header_hash(self, number: int) -> bytes | None:
        """The hash of block ``number``'s header as archived, or None."""
        queued = self.queue.get(number)
        return queued.header.hash if queued is not None else self._hash(number)

    def block_of(self, tx_hash: bytes) -> int | None:
        """The number of the archived block that included ``tx_hash``, or None."""
        queued = self._tx_queue.get(tx_hash)
        if queued is not None:
            return queued
        row = self._db.execute("SELECT number FROM txs WHERE hash = ?", (tx_hash,)).fetchone()
        return None if row is None else int(row[0])

    def senders(self, before: int) -> list[tuple[str, bytes]]:
        """``(sender, hash)`` of each archived transaction of the blocks before
        ``before``, in chain order (what the explorer's index holds of them)."""
        rows = self._db.execute(
            "SELECT sender, hash FROM txs WHERE number < ? ORDER BY number, position", (before,)
        ).fetchall()
        found = [(str(sender), bytes(h)) for sender, h in rows]
        for number in sorted(n for n in self.queue if n < before):
            found.extend((tx.sender, tx.hash) for tx in self.queue[number].transactions)
        return found

    def postings(self, before: int) -> list[tuple[str, bytes]]:
        """``(commitment id, hash)`` of each ``Posted`` event of the registry in the
        archived blocks before ``before``, in chain order."""
        rows = self._db.execute(
            "SELECT id, hash FROM posted WHERE number < ? ORDER BY number, position", (before,)
        ).fetchall()
        found = [(str(c), bytes(h)) for c, h in rows]
        for number in sorted(n for n in self.queue if n < before):
            found.extend(posted_in(self.queue[number]))
        return found

    def hashes(self) -> list[bytes]:
        """Every indexed transaction hash (on disk, then queued)."""
        rows = self._db.execute("SELECT hash FROM txs ORDER BY number").fetchall()
        on_disk = [bytes(h) for (h,) in rows]
        seen = set(on_disk)
        return on_disk + [h for h in self._tx_queue if h not in seen]

    def transactions(self) -> int:
        """How many included transactions it indexes (queued and on disk)."""
        row = self._db.execute("SELECT COUNT(*) FROM txs").fetchone()
        return int(row[0]) + len(self._tx_queue)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._db.close()
