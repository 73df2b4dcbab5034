"""The event log: everything needed to rebuild a run, in order.

A log holds the run's header (:class:`LogHeader`: config, genesis, seed, the digest of
each of their fields and the genesis hash, :mod:`accord.device.genesis_hash`), then a
sequence of records:

* ``account``: an account opened after genesis, with its public key (or, under the
  MAC, its key's fingerprint);
* ``block``: a sealed block's number, the items its builder proposed *in the order the
  device executed them*, the block's state hash and its receipts root (the Merkle root
  of its receipts, :mod:`accord.device.receipts_root`);
* ``fork``: a reorganisation (:mod:`accord.device.forks`): the head it started from,
  how many blocks it undid, its builder and how many alternative blocks follow (the
  ``block`` records after it). A log without forks has none, so older logs read as
  before.

A log written before headers had a receipts root has no ``receipts_root`` column (or
NULL in it): it replays as before, with only the state hashes checked; a log that has
one gets each block's receipts root checked too. Appending to such an older log adds
the column, and its new blocks carry their roots.

Replaying the records through a fresh device (:mod:`accord.device.replay`) re-executes
every block and must reproduce every state hash bit for bit.

:class:`MemoryLog` keeps records as objects (the default: cheap). :class:`SqliteLog`
writes each record in its own SQLite transaction, in WAL mode, so a process killed
mid-run loses no block that was sealed: a block is in the log as soon as it is sealed.

**Sidecar files.** While a log is written, SQLite keeps recent blocks in ``LOG-wal`` (and
an index in ``LOG-shm``) beside it. Closing the log (``close()``, or the end of the
process that wrote it) checkpoints them into the file and switches it back to
rollback-journal mode, so a closed log is one self-contained file, and reading it
(:func:`read_sqlite`, ``accord replay``) creates no sidecar. A log still in WAL mode was
not closed: its writer crashed (or still runs), and blocks since the last checkpoint are
only in its ``-wal``. If that file is missing (a log copied without it), the log reads
as a shorter run; :func:`open_readonly` then warns (:class:`SidecarWarning`) rather than
replaying fewer blocks in silence. ``docs/device.md`` says how to copy a log.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import warnings
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from accord.device.encoding import from_json, to_jsonable
from accord.device.errors import DeviceError
from accord.device.transaction import Bundle, Transaction

Item = Transaction | Bundle


class LogHeader(NamedTuple):
    """What a log starts with: enough to rebuild the device and check it was not edited.

    ``genesis`` holds every account's public key (``Genesis.public_keys``); no private
    key, MAC key or keyring secret is ever part of a log.
    """

    config: str
    """The config, as JSON."""
    genesis: str
    """The genesis, as JSON."""
    seed: int
    digests: dict[str, str]
    """Each meta field's digest, in hex, by name (``"config.ordering"``)."""
    genesis_hash: str
    """In hex."""


@dataclass(frozen=True, slots=True)
class AccountRecord:
    name: str
    public_key: bytes = b""
    """The ed25519 public key, or the MAC key's fingerprint (32 bytes)."""


@dataclass(frozen=True, slots=True)
class BlockRecord:
    number: int
    builder: str
    items: tuple[Item, ...]
    state_hash: bytes
    receipts_root: bytes | None = None
    """The block header's receipts root; ``None`` in a log written before it existed."""


@dataclass(frozen=True, slots=True)
class ForkRecord:
    """A fork adopted at head ``number``: its last ``depth`` blocks were undone, and the
    next ``blocks`` block records are the alternative ``builder`` built."""

    number: int
    depth: int
    builder: str
    blocks: int


Record = AccountRecord | BlockRecord | ForkRecord


class EventLog(Protocol):
    """Where a device writes its run."""

    def start(self, header: LogHeader) -> None: ...
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
        self.header: LogHeader | None = None
        self.records: deque[Record] = deque(maxlen=limit)
        self.truncated = False

    def start(self, header: LogHeader) -> None:
        self.header = header

    def append(self, record: Record) -> None:
        records = self.records
        if len(records) == records.maxlen:
            self.truncated = True
        records.append(record)


class NullLog:
    """An event log that keeps nothing: the cheapest choice when no replay is wanted."""

    def start(self, header: LogHeader) -> None:
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
    # The structure itself, not json.loads(to_json(...)): the same JSON once dumped,
    # without a round trip through a string for every transaction journaled or sealed.
    return to_jsonable(tuple(tx))


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


class SidecarWarning(UserWarning):
    """A log was not closed and its ``-wal`` sidecar is missing: blocks may be lost."""


def _finish(db: sqlite3.Connection) -> None:
    """Checkpoint the WAL into the file and leave it in rollback-journal mode, so the
    closed log is one file and read-only opens create no ``-wal``/``-shm``."""
    # Another connection reading it (or a finalizer on another thread) makes the switch
    # fail; SQLite's own close still checkpoints, and the file stays in WAL mode.
    with contextlib.suppress(sqlite3.Error):
        db.execute("PRAGMA journal_mode=DELETE")
    with contextlib.suppress(sqlite3.Error):
        db.close()


def in_wal_mode(path: Path) -> bool:
    """Whether the SQLite file at ``path`` is in WAL mode (header bytes 18-19 are 2:
    https://www.sqlite.org/fileformat.html#file_format_version_numbers)."""
    try:
        with path.open("rb") as f:
            head = f.read(20)
    except OSError:
        return False
    return head[:16] == b"SQLite format 3\x00" and head[18:20] == b"\x02\x02"


def open_readonly(path: str | Path, *, warn: bool = True) -> sqlite3.Connection:
    """A read-only connection to a log that creates no sidecar file beside it.

    A log in WAL mode without its ``-wal`` was not closed and was copied (or its sidecar
    deleted): it is opened as it stands (``immutable``, creating nothing) and, with
    ``warn``, a :class:`SidecarWarning` says blocks may be missing.
    """
    path = Path(path)
    wal = path.with_name(path.name + "-wal")
    if in_wal_mode(path) and not wal.exists():
        if warn:
            warnings.warn(
                f"{path} was not closed (its writer crashed or still runs) and {wal.name} "
                "is not beside it: blocks sealed since its last checkpoint may be missing; "
                "copy a log with its -wal and -shm files (docs/device.md)",
                SidecarWarning,
                stacklevel=2,
            )
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def is_event_log(path: str | Path) -> bool:
    """Whether ``path`` is a regular file holding an accord event log (a SQLite file with
    the log's ``meta`` table): what may be replaced by a new run without asking. Reads
    it read-only and creates no sidecar."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            return False
    try:
        db = open_readonly(path, warn=False)
    except sqlite3.Error:
        return False
    try:
        keys = {k for (k,) in db.execute("SELECT key FROM meta").fetchall()}
    except sqlite3.Error:
        return False
    finally:
        db.close()
    return {"config", "genesis", "seed"} <= keys


class SqliteLog:
    """An event log persisted to SQLite, one committed transaction per record.

    ``close()`` (or the writer's end, by a finalizer) checkpoints the WAL into the file:
    see the module's note on sidecar files. ``any_thread``: the log may be written from
    a thread other than the one that opened it (its user serialises every use, as the
    node's event loop does, :mod:`accord.node`).
    """

    def __init__(self, path: str | Path, *, any_thread: bool = False) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(
            str(self.path), isolation_level=None, check_same_thread=not any_thread
        )
        self._closer = weakref.finalize(self, _finish, self._db)
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
                state_hash BLOB,
                receipts_root BLOB
            );
            """
        )
        if not _has_receipts_root(self._db):  # a log written before receipts roots
            self._db.execute("ALTER TABLE records ADD COLUMN receipts_root BLOB")

    def start(self, header: LogHeader) -> None:
        if self._db.execute("SELECT COUNT(*) FROM meta").fetchone()[0]:
            raise DeviceError(f"{self.path} already holds a run; use a new file")
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [
                    ("config", header.config),
                    ("genesis", header.genesis),
                    ("seed", str(header.seed)),
                    ("digests", json.dumps(header.digests, sort_keys=True)),
                    ("genesis_hash", header.genesis_hash),
                ],
            )

    def append(self, record: Record) -> None:
        row: tuple[str, int | None, str, bytes | None, bytes | None]
        if isinstance(record, AccountRecord):
            payload = json.dumps({"name": record.name, "public_key": record.public_key.hex()})
            row = ("account", None, payload, None, None)
        elif isinstance(record, ForkRecord):
            payload = json.dumps(
                {"depth": record.depth, "builder": record.builder, "blocks": record.blocks}
            )
            row = ("fork", record.number, payload, None, None)
        else:
            body = {"builder": record.builder, "items": [encode_item(i) for i in record.items]}
            payload = json.dumps(body, separators=(",", ":"))
            row = ("block", record.number, payload, record.state_hash, record.receipts_root)
        self._db.execute(
            "INSERT INTO records(kind, number, payload, state_hash, receipts_root) "
            "VALUES (?, ?, ?, ?, ?)",
            row,
        )

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Write every record appended inside the ``with`` in one SQLite transaction:
        all of them are committed at its end, or none if it raises. A reorg's fork
        record and its alternative blocks are sealed this way (``accord/node``), so a
        process killed between them leaves the log at the head before the fork."""
        db = self._db
        db.execute("BEGIN")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def last_seq(self) -> int:
        """The sequence number of the newest record (0: none); :func:`read_sqlite`'s
        ``after`` reads the records past it."""
        row = self._db.execute("SELECT MAX(seq) FROM records").fetchone()
        return 0 if row[0] is None else int(row[0])

    def close(self) -> None:
        """Checkpoint and close: the log is then one self-contained file."""
        self._closer()


def _has_receipts_root(db: sqlite3.Connection) -> bool:
    """Whether the log's ``records`` table has the ``receipts_root`` column."""
    try:
        columns = db.execute("PRAGMA table_info(records)").fetchall()
    except sqlite3.DatabaseError:
        return False
    return any(column[1] == "receipts_root" for column in columns)


def read_sqlite(path: str | Path, *, after: int = 0) -> tuple[LogHeader, Iterator[Record]]:
    """Open a persisted log: its header and its records (those past sequence number
    ``after``: :meth:`SqliteLog.last_seq`, to resume from a checkpoint)."""
    path = Path(path)
    if not path.exists():
        raise DeviceError(f"no event log at {path}")
    try:
        db = open_readonly(path)
    except sqlite3.Error as exc:
        raise DeviceError(f"{path}: cannot open it: {exc}") from None
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as exc:
        raise DeviceError(f"{path} is not an accord event log: {exc}") from None
    missing = {"config", "genesis", "seed"} - set(meta)
    if missing:
        raise DeviceError(f"{path} is not an accord event log: missing {sorted(missing)}")
    if "digests" not in meta or "genesis_hash" not in meta:
        raise DeviceError(
            f"{path}: the log has no field digests or genesis hash (written before "
            "genesis hashes existed), so its meta cannot be checked; re-record the run"
        )
    try:
        digests = json.loads(meta["digests"])
    except ValueError:
        digests = None
    if type(digests) is not dict or not all(
        type(k) is str and type(v) is str and len(v) == 64 for k, v in digests.items()
    ):
        raise DeviceError(f"{path}: the log's field digests are malformed")

    try:
        seed = int(meta["seed"])
    except ValueError:
        raise DeviceError(f"{path}: seed {meta['seed']!r} in the log is not an integer") from None

    root_column = "receipts_root" if _has_receipts_root(db) else "NULL"

    def records() -> Iterator[Record]:
        try:
            rows = db.execute(
                f"SELECT seq, kind, number, payload, state_hash, {root_column} "
                "FROM records WHERE seq > ? ORDER BY seq",
                (after,),
            )
            for seq, kind, number, payload, digest, receipts_root in rows:
                try:
                    if kind == "account":
                        data = json.loads(payload)
                        yield AccountRecord(data["name"], bytes.fromhex(data["public_key"]))
                        continue
                    if kind == "fork":
                        data = json.loads(payload)
                        yield ForkRecord(
                            int(number),
                            int(data["depth"]),
                            str(data["builder"]),
                            int(data["blocks"]),
                        )
                        continue
                    body = json.loads(payload)
                    items = tuple(decode_item(d) for d in body["items"])
                    root = None if receipts_root is None else bytes(receipts_root)
                    yield BlockRecord(number, body["builder"], items, bytes(digest), root)
                except (ValueError, KeyError, TypeError) as exc:
                    raise DeviceError(
                        f"{path}: malformed {kind} record {seq} (block {number}): "
                        f"{type(exc).__name__}: {exc}"
                    ) from None
        finally:
            db.close()

    header = LogHeader(meta["config"], meta["genesis"], seed, digests, meta["genesis_hash"])
    return header, records()
