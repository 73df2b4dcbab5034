"""The node's state checkpoints: written every ``checkpoint_every`` blocks, tried first
on restart.

``data_dir/checkpoints.db`` (SQLite, WAL, ``synchronous=FULL``) holds the newest
:data:`KEEP` checkpoints, one row each: the block number, the chain log's sequence
number of that block's record (:meth:`accord.device.store.SqliteLog.last_seq`), a
BLAKE2b-256 checksum and the checkpoint itself (:func:`accord.device.checkpoint.export`).
A row is written in one SQLite transaction, so a process killed while writing leaves
the previous rows and no partial one; a row torn or edited afterwards fails its
checksum or its verification.

On restart (:meth:`accord.node.production.Node.open`) the rows are tried newest first.
One is used only if its checksum holds, the chain log's record at its sequence number
is its block (number, state hash, receipts root, builder), the block archive holds
that block with the same header hash (:mod:`accord.node.archive`), and its state
hashes from scratch to that header's state hash
(:func:`accord.device.checkpoint.restore`). Each refusal is logged in one line; with
none usable the whole chain is replayed, as before checkpoints existed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from accord.device import Device
from accord.device.checkpoint import CheckpointRefused, Expected, checksum, restore
from accord.device.store import open_readonly

KEEP = 2
"""Checkpoints kept: the newest and the one before (if the newest is refused)."""

_log = logging.getLogger("accord.node")


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    seq: int
    checksum: bytes
    data: bytes


class CheckpointStore:
    """The checkpoints of one ``data_dir`` (module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as exc:
            # Not a database (overwritten, or torn below SQLite): nothing in it can be
            # trusted; keep it for a look, start an empty one, replay the chain.
            aside = self.path.with_name(self.path.name + ".unreadable")
            _log.warning("%s cannot be read (%s): set aside as %s", self.path, exc, aside.name)
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS checkpoints(number INTEGER PRIMARY KEY, "
                "seq INTEGER NOT NULL, checksum BLOB NOT NULL, payload BLOB NOT NULL)"
            )
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def write(self, number: int, seq: int, data: bytes) -> None:
        """Keep the checkpoint of block ``number`` (committed when this returns), and
        forget all but the newest :data:`KEEP`."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?)",
                (number, seq, checksum(data), data),
            )
            self._db.execute(
                "DELETE FROM checkpoints WHERE number NOT IN "
                "(SELECT number FROM checkpoints ORDER BY number DESC LIMIT ?)",
                (KEEP,),
            )

    def rows(self) -> Iterator[Row]:
        """The checkpoints, newest first (a row that cannot be read ends the list)."""
        try:
            found = self._db.execute(
                "SELECT number, seq, checksum, payload FROM checkpoints ORDER BY number DESC"
            ).fetchall()
        except sqlite3.Error as exc:
            _log.warning(
                "%s: cannot read the checkpoints (%s); replaying the chain", self.path, exc
            )
            return
        for number, seq, digest, data in found:
            yield Row(int(number), int(seq), bytes(digest), bytes(data))

    def close(self) -> None:
        self._db.close()


def open_checkpoint(
    store: CheckpointStore,
    chain_path: Path,
    archived_hash: Callable[[int], bytes | None],
    make_device: Callable[[], Device],
) -> tuple[Device, int] | None:
    """The device restored from the newest usable checkpoint and the chain log's
    sequence number it ends at, or None (module docstring)."""
    for row in store.rows():
        try:
            device = _restore(row, chain_path, archived_hash, make_device)
        except CheckpointRefused as exc:
            _log.warning("checkpoint of block %d refused: %s", row.number, exc)
            continue
        return device, row.seq
    return None


def _restore(
    row: Row,
    chain_path: Path,
    archived_hash: Callable[[int], bytes | None],
    make_device: Callable[[], Device],
) -> Device:
    if checksum(row.data) != row.checksum:
        raise CheckpointRefused("its checksum does not match (torn or corrupted)")
    db = open_readonly(chain_path)
    try:
        record = db.execute(
            "SELECT kind, number, payload, state_hash, receipts_root FROM records WHERE seq = ?",
            (row.seq,),
        ).fetchone()
    finally:
        db.close()
    if record is None or record[0] != "block" or record[1] != row.number:
        raise CheckpointRefused(f"the chain log holds no block {row.number} at record {row.seq}")
    try:
        builder = json.loads(record[2])["builder"]
    except (ValueError, KeyError, TypeError):
        raise CheckpointRefused(f"the chain log's record {row.seq} is malformed") from None
    head_hash = archived_hash(row.number)
    if head_hash is None:
        raise CheckpointRefused(f"the block archive does not hold block {row.number}")
    root = None if record[4] is None else bytes(record[4])
    expect = Expected(row.number, bytes(record[3]), root, builder, head_hash)
    return restore(row.data, make_device, expect=expect)
