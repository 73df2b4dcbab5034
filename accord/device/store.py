"""The event log: everything needed to rebuild a run, in order.

A log holds the run's config, genesis and seed, then a sequence of records:

* ``account``: an account opened after genesis;
* ``block``: a sealed block's number, the items its builder proposed *in the order the
  device executed them*, and the block's state hash.

Replaying the records through a fresh device (:mod:`accord.device.replay`) re-executes
every block and must reproduce every state hash bit for bit.

:class:`MemoryLog` keeps records as objects (the default: cheap). :class:`SqliteLog`
writes each record in its own SQLite transaction, in WAL mode, so a process killed
mid-run loses no block that was sealed: a block is in the log as soon as it is sealed.
"""

from __future__ import annotations

import json
import sqlite3
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from accord.device.encoding import from_json, to_json
from accord.device.errors import DeviceError
from accord.device.transaction import Bundle, Transaction

Item = Transaction | Bundle


@dataclass(frozen=True, slots=True)
class AccountRecord:
    name: str


@dataclass(frozen=True, slots=True)
class BlockRecord:
    number: int
    builder: str
    items: tuple[Item, ...]
    state_hash: bytes


Record = AccountRecord | BlockRecord


class EventLog(Protocol):
    """Where a device writes its run."""

    def start(self, config_json: str, genesis_json: str, seed: int) -> None: ...
    def append(self, record: Record) -> None: ...


class MemoryLog:
    """An in-memory event log, complete or bounded.

    With ``limit``, only the last ``limit`` records are kept (a
    :class:`~accord.device.device.Device` created with ``history=n`` and no store gets
    ``MemoryLog(limit=n)``, so that memory stays flat over long runs). A log that has
    dropped records is ``truncated`` and cannot be replayed: persist to SQLite
    (``store=path``) to keep a replayable log of a long run.
    """

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        self.header: tuple[str, str, int] | None = None
        self.records: deque[Record] = deque(maxlen=limit)
        self.truncated = False

    def start(self, config_json: str, genesis_json: str, seed: int) -> None:
        self.header = (config_json, genesis_json, seed)

    def append(self, record: Record) -> None:
        records = self.records
        if len(records) == records.maxlen:
            self.truncated = True
        records.append(record)


class NullLog:
    """An event log that keeps nothing: the cheapest choice when no replay is wanted."""

    def start(self, config_json: str, genesis_json: str, seed: int) -> None:
        pass

    def append(self, record: Record) -> None:
        pass


def encode_item(item: Item) -> Any:
    if isinstance(item, Bundle):
        return {
            "bundle": [list(_tx_fields(tx)) for tx in item.txs],
            "min_block": item.min_block,
            "max_block": item.max_block,
            "reverting": sorted(h.hex() for h in item.reverting),
        }
    return list(_tx_fields(item))


def _tx_fields(tx: Transaction) -> Any:
    return json.loads(to_json(tuple(tx)))


def decode_item(data: Any) -> Item:
    if isinstance(data, dict):
        return Bundle(
            tuple(_decode_tx(t) for t in data["bundle"]),
            min_block=data["min_block"],
            max_block=data["max_block"],
            reverting=frozenset(bytes.fromhex(h) for h in data["reverting"]),
        )
    return _decode_tx(data)


def _decode_tx(fields: Any) -> Transaction:
    values = from_json(json.dumps(fields))
    if not isinstance(values, tuple) or len(values) != len(Transaction._fields):
        raise DeviceError(f"malformed transaction record in log: {fields!r}")
    return Transaction(*values)


class SqliteLog:
    """An event log persisted to SQLite, one committed transaction per record."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(str(self.path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS records(
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL,
                number INTEGER,
                payload TEXT NOT NULL,
                state_hash BLOB
            );
            """
        )

    def start(self, config_json: str, genesis_json: str, seed: int) -> None:
        if self._db.execute("SELECT COUNT(*) FROM meta").fetchone()[0]:
            raise DeviceError(f"{self.path} already holds a run; use a new file")
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [("config", config_json), ("genesis", genesis_json), ("seed", str(seed))],
            )

    def append(self, record: Record) -> None:
        row: tuple[str, int | None, str, bytes | None]
        if isinstance(record, AccountRecord):
            row = ("account", None, json.dumps(record.name), None)
        else:
            body = {"builder": record.builder, "items": [encode_item(i) for i in record.items]}
            payload = json.dumps(body, separators=(",", ":"))
            row = ("block", record.number, payload, record.state_hash)
        self._db.execute(
            "INSERT INTO records(kind, number, payload, state_hash) VALUES (?, ?, ?, ?)", row
        )

    def close(self) -> None:
        self._db.close()


def read_sqlite(path: str | Path) -> tuple[tuple[str, str, int], Iterator[Record]]:
    """Open a persisted log: its header (config, genesis, seed) and its records."""
    path = Path(path)
    if not path.exists():
        raise DeviceError(f"no event log at {path}")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise DeviceError(f"{path} is not an accord event log: {exc}") from None
    missing = {"config", "genesis", "seed"} - set(meta)
    if missing:
        raise DeviceError(f"{path} is not an accord event log: missing {sorted(missing)}")

    try:
        seed = int(meta["seed"])
    except ValueError:
        raise DeviceError(f"{path}: seed {meta['seed']!r} in the log is not an integer") from None

    def records() -> Iterator[Record]:
        try:
            rows = db.execute(
                "SELECT seq, kind, number, payload, state_hash FROM records ORDER BY seq"
            )
            for seq, kind, number, payload, digest in rows:
                try:
                    if kind == "account":
                        yield AccountRecord(json.loads(payload))
                        continue
                    body = json.loads(payload)
                    items = tuple(decode_item(d) for d in body["items"])
                    yield BlockRecord(number, body["builder"], items, bytes(digest))
                except (ValueError, KeyError, TypeError) as exc:
                    raise DeviceError(
                        f"{path}: malformed {kind} record {seq} (block {number}): "
                        f"{type(exc).__name__}: {exc}"
                    ) from None
        finally:
            db.close()

    return (meta["config"], meta["genesis"], seed), records()
