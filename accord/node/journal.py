"""What the node keeps on disk besides the device: the chain log resumed, the mempool journal.

* **The chain log** is the device's own SQLite event log (:class:`~accord.device.store.
  SqliteLog`, ``chain.db``): a block is written, in its own committed SQLite
  transaction, when it is sealed. On restart the node replays it
  (:func:`accord.device.replay`, every state hash checked) and keeps appending to the
  same file through :class:`ResumedLog`.
* **The mempool journal** (``mempool.db``): every transaction and bundle the device
  admitted, written and committed *before* the node answers the client. Rows staged by
  concurrent requests are committed together, in one SQLite transaction (:meth:`
  MempoolJournal.flush`, a group commit), and each of those requests is answered only
  after that commit. On restart its
  rows are submitted again, in the order they were first admitted; those the chain
  already holds (their nonces are used) are refused and deleted. Rows leave the journal
  once their item has left the mempool (included, or dropped by the device's rules).

Both files run SQLite's WAL mode with ``synchronous=NORMAL``: a committed row survives
the death of the process at any moment (``kill -9``); a power loss may lose the last
commits (``synchronous=FULL`` would fsync each), as for the device's own log. The
connections may be used from any thread: the node touches them only from its one event
loop, one call at a time.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Literal

from accord.device import Bundle, Device, Rejected, Transaction
from accord.device.store import SqliteLog, decode_item, encode_item

Kind = Literal["tx", "bundle"]


class ResumedLog(SqliteLog):
    """A chain log that already holds its run: the replayed device appends to it."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, any_thread=True)

    def start(self, header: object) -> None:
        """The header is in the file already (the replay checked it)."""


class MempoolJournal:
    """The admitted, not yet included transactions and bundles, on disk (module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS pending("
            "seq INTEGER PRIMARY KEY AUTOINCREMENT, hash BLOB UNIQUE NOT NULL, "
            "kind TEXT NOT NULL, payload TEXT NOT NULL)"
        )
        self._staged: list[tuple[bytes, Kind, str]] = []

    def add(self, item_hash: bytes, item: Transaction | Bundle) -> None:
        """Record an admitted item (committed when this returns)."""
        self.stage(item_hash, item)
        self.flush()

    def stage(self, item_hash: bytes, item: Transaction | Bundle) -> None:
        """Queue an admitted item's row; nothing is on disk until :meth:`flush`."""
        kind: Kind = "bundle" if isinstance(item, Bundle) else "tx"
        payload = json.dumps(encode_item(item), separators=(",", ":"))
        self._staged.append((item_hash, kind, payload))

    def flush(self) -> int:
        """Commit every staged row in one SQLite transaction (group commit); returns how
        many. On an error nothing staged is kept, on disk or here, and it is raised."""
        rows, self._staged = self._staged, []
        if rows:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR REPLACE INTO pending(hash, kind, payload) VALUES (?, ?, ?)", rows
                )
        return len(rows)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM pending").fetchone()[0])

    def prune(self, device: Device) -> int:
        """Forget the items no longer in the device's mempool; returns how many."""
        rows = self._db.execute("SELECT hash, kind FROM pending").fetchall()
        mempool = device.mempool
        gone = [
            (h,)
            for h, kind in rows
            if (kind == "tx" and bytes(h) not in mempool)
            or (kind == "bundle" and mempool.bundle(bytes(h)) is None)
        ]
        if gone:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("DELETE FROM pending WHERE hash = ?", gone)
        return len(gone)

    def restore(self, device: Device) -> tuple[int, int]:
        """Submit the journal's items again, in order; returns (restored, forgotten).
        Items the device refuses now (already included, nonce used) are forgotten."""
        restored = forgotten = 0
        rows = self._db.execute("SELECT hash, kind, payload FROM pending ORDER BY seq").fetchall()
        for item_hash, _kind, payload in rows:
            try:
                item = decode_item(json.loads(payload))
                if isinstance(item, Bundle):
                    device.submit_bundle(item, sender=item.txs[0].sender)
                else:
                    device.submit(item)
                restored += 1
            except (Rejected, ValueError, KeyError, TypeError):
                self._db.execute("DELETE FROM pending WHERE hash = ?", (item_hash,))
                forgotten += 1
        return restored, forgotten

    def close(self) -> None:
        self._db.close()
