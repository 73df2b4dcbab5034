"""The admission gate's common case: :meth:`Submission.submit`'s hot path, compiled.

This module is ordinary typed Python. When the package is installed from source, the
build compiles it to a C extension with mypyc (``setup.py``; :mod:`.accelerator` says
which path runs), and without a C compiler it runs as it is: both paths give the same
results, bit for bit, and CI runs the device tests under each.

:meth:`Gate.submit` decides only the common case, a valid transaction: atoms-only
arguments, no value or one asset's, not a deploy, a MAC-signed sender, room in the
pool. At any doubt it hands the transaction to :meth:`Admission._admit`, which runs the
whole gate in order (:mod:`accord.device.admission`) to raise the precise error or admit
the rest. So nothing here may refuse: every test below either admits exactly as the
full gate would, or defers to it.

**Typing under compilation.** mypyc checks a value's declared type at run time, where
Python would not, so a field the gate has not checked yet is never given a narrower
type than ``Any``: a hostile field reaches the slow path, not a ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import blake2b, blake2s
from itertools import count
from marshal import dumps
from typing import Any, Final, Protocol

from accord.device import gas as G
from accord.device.admission import MAX_AMOUNT
from accord.device.ledger import Ledger
from accord.device.mempool import Entry, Mempool
from accord.device.transaction import TX_HASH, Transaction

_NONZERO: Final = G.CALLDATA_NONZERO
_SAVED: Final = G.CALLDATA_NONZERO - G.CALLDATA_ZERO
_CALLDATA_BASE: Final = G.TX_BASE + 5 * _NONZERO - 3 * _SAVED
"""``TX_BASE`` plus the calldata's 5-byte tuple header (``(``, then 3 of ``\\x00``)."""
_MAX_AMOUNT: Final = MAX_AMOUNT
# What every call reads, held in the module's C statics where compiled (a plain global
# is a dictionary lookup per use), and the hash objects' methods as their descriptors
# (called directly: no method lookup per call). The transaction hash's state is a
# BLAKE2b (TX_HASH), an account's MAC state a BLAKE2s (transaction.mac_state).
_TRANSACTION: Final[object] = Transaction
_DUMPS: Final = dumps
_TX_HASH: Final[Any] = TX_HASH
_B_COPY: Final[Any] = blake2b.copy
_B_UPDATE: Final[Any] = blake2b.update
_B_DIGEST: Final[Any] = blake2b.digest
_S_COPY: Final[Any] = blake2s.copy
_S_UPDATE: Final[Any] = blake2s.update
_S_DIGEST: Final[Any] = blake2s.digest
_COUNT: Final[Any] = bytes.count


def _length_at(data: bytes, i: int) -> int:
    """The 4-byte little-endian length that marshal writes at ``data[i:i + 4]``."""
    return data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24


class Host(Protocol):
    """What the gate uses of the device (a :class:`Submission`, which sets these
    attributes; named here without importing it back)."""

    ledger: Ledger
    mempool: Mempool
    _macs: dict[str, Any]
    """Each MAC-signed account's keyed BLAKE2s state (``copy`` + ``update``)."""
    _pending: dict[bytes, Entry]
    _seq: count[int]
    _nonces: dict[str, int]
    _gas_limit: int
    _latency: dict[str, int]
    _arrival: int

    def _admit(self, tx: object, at: object = None) -> bytes: ...

    def _arrival_at(self, sender: str, at: object) -> int: ...


class Gate:
    """The common case of one device's admission gate, with the tables it reads at
    hand (their identity never changes: the device clears them, never replaces them).

    Compiled, the tables are fields of a C struct, read without a dictionary lookup.
    So are the pool's ``room``, ``fee_asset`` and ``checks_assets``, which the gate's
    slow path sets once (the first transaction takes it) and nothing changes after:
    they are read from the pool until then. So is the device's ``_arrival``
    (:attr:`arrival`), which the device sets at every block.
    """

    def __init__(self, device: Host) -> None:
        self.device = device
        self.pool = device.mempool
        self.lanes = device.mempool.lanes
        self.balances: dict[tuple[str, str], int] = device.ledger.balances
        self.macs = device._macs
        self.pending = device._pending
        self.next_seq: Callable[[], int] = device._seq.__next__
        self.nonces = device._nonces
        self.gas_limit = device._gas_limit
        self.latency = device._latency
        self.room = 0
        self.fee_asset = ""
        self.checks_assets = False
        self.arrival: int = device._arrival
        """The device's ``_arrival`` (the common arrival time of what is submitted now),
        which the device sets here too whenever it changes it (at every seal)."""

    def submit(self, tx: Any, at: Any = None) -> bytes:
        """:meth:`Submission.submit`: admit ``tx`` (arriving after the sender's latency, or
        at ``at``) and return its hash, or raise the gate's :class:`Rejected` error."""
        # (The type is compared through a name, not as ``type(tx) is``: mypy would narrow
        # ``tx`` to a Transaction, and mypyc would then check each field's declared type
        # when slicing, before the checks below.)
        kind = type(tx)
        if kind is not _TRANSACTION or len(tx) != 11:
            return self.device._admit(tx, at)
        # Unpacked from a plain tuple (the signed fields, which marshal encodes below):
        # unpacking the NamedTuple itself would go through an iterator. Each field's exact
        # type is checked (a str subclass, a bool or a numpy integer: the slow path names
        # it) before the code below relies on it.
        fields: tuple[Any, ...] = tx  # (a tuple's slice and items, not generic ones)
        content = fields[:9]
        sender, nonce, to, method, args, value, gas_limit, max_fee, priority_fee = content
        tx_hash: Any = fields[9]
        signature: Any = fields[10]
        if not (
            type(sender) is str
            and type(nonce) is int
            and type(to) is str
            and type(method) is str
            and type(args) is tuple
            and type(value) is tuple
            and type(gas_limit) is int
            and type(max_fee) is int
            and type(priority_fee) is int
            and type(tx_hash) is bytes
            and type(signature) is bytes
            and to  # no to: a deploy
            and 0 <= priority_fee <= max_fee
        ):
            return self.device._admit(tx, at)
        # nonce, gas_limit and max_fee in [0, 2**31) (hence within MAX_NONCE and
        # MAX_AMOUNT, and priority_fee too): one shift of their union, nonzero for a
        # negative one or one of 2**31 or more. Those take the slow path, which checks
        # them in full; below, marshal encodes each of them in 5 bytes.
        if (nonce | gas_limit | max_fee) >> 31:
            return self.device._admit(tx, at)
        # The arguments' types (a nested tuple, bytes, whose zero bytes pay the non-zero
        # price (gas.intrinsic_gas), or anything else: the slow path checks it in full).
        # A loop of identity tests: cheaper than any one C-level call (or a set's lookup
        # per argument) for a few arguments.
        for arg in args:
            kind = type(arg)
            if not (kind is str or kind is int or kind is bool or arg is None):
                return self.device._admit(tx, at)
        try:
            data: bytes = _DUMPS(content, 0)
        except ValueError:  # a value entry that cannot be encoded
            return self.device._admit(tx, at)
        digest = _B_COPY(_TX_HASH)
        _B_UPDATE(digest, data)
        state = self.macs.get(sender)
        tx_digest: bytes = _B_DIGEST(digest)  # (typed: compared as bytes, not generically)
        if state is None or tx_digest != tx_hash:
            # ed25519 (or an unknown sender, or an altered transaction): the whole gate,
            # in order; its cost is small beside the signature check's
            return self.device._admit(tx, at)
        # The intrinsic gas (gas.intrinsic_gas) from the bytes just encoded: marshal
        # version 0 encodes a tuple as b"(" + 4-byte count + its items' encodings, with
        # no back-references, so the calldata (method, args, value) is a 5-byte header
        # (3 zero bytes) plus data[start:end]: after the header, sender ("u" + 4-byte
        # little-endian length n + n bytes of UTF-8, from byte 5), nonce ("i" + 4 bytes
        # below 2**31) and to (the same as sender); before gas_limit, max_fee and
        # priority_fee (5 bytes each, checked above). The two lengths are read from the
        # encoding (a name's UTF-8 length, whatever its characters).
        at_to = 15 + _length_at(data, 6)  # sender's "u" at 5, nonce's "i" at its end
        start = at_to + 5 + _length_at(data, at_to + 1)
        end = len(data) - 15
        zeros: int = _COUNT(data, 0, start, end)
        intrinsic = _CALLDATA_BASE + _NONZERO * (end - start) - _SAVED * zeros
        state = _S_COPY(state)
        _S_UPDATE(state, tx_hash)
        mac: bytes = _S_DIGEST(state)
        pending = self.pending
        pool = self.pool
        room = self.room
        if not room:  # (Admission._enter sets the pool's, once)
            room = self.room = pool.room
            self.fee_asset = pool.fee_asset
            self.checks_assets = pool.checks_assets
        fee_asset = self.fee_asset
        need = gas_limit * max_fee
        if value:  # one (asset, amount) pair, a plain transfer's; anything else: slow path
            if len(value) != 1:
                return self.device._admit(tx, at)
            pair: Any = value[0]
            if type(pair) is not tuple or len(pair) != 2:
                return self.device._admit(tx, at)
            asset, amount = pair
            if type(asset) is not str or type(amount) is not int or not 0 < amount <= _MAX_AMOUNT:
                return self.device._admit(tx, at)
            if asset == fee_asset:
                need += amount
            elif self.checks_assets:
                return self.device._admit(tx, at)
        # room is 0 until the gate's slow path (the first transaction takes it) has
        # set the pool's: until then every transaction takes the slow path.
        if (
            mac != signature
            or nonce < self.nonces.get(sender, 0)
            or tx_hash in pending
            or gas_limit < intrinsic
            or gas_limit > self.gas_limit
            or self.balances.get((sender, fee_asset), 0) < need
            # Below min(slots, capacity) pending in all, no sender can be at its slots
            # and the pool is not full; else the slow path counts.
            or len(pending) >= room
        ):
            return self.device._admit(tx, at)
        lanes = self.lanes
        lane = lanes.get(sender)
        if lane is None:  # the sender's first pending transaction (Mempool.add's lane)
            lane = lanes[sender] = {}
        elif nonce in lane:  # a replacement
            return self.device._admit(tx, at)
        if at is None and not self.latency:
            arrival = self.arrival
        else:
            arrival = self.device._arrival_at(sender, at)
            if arrival > pool.latest:
                pool.latest = arrival
        admitted: bytes = tx_hash  # checked above
        pending[admitted] = (tx, arrival, self.next_seq(), intrinsic)  # Mempool.add inlined
        lane[nonce] = admitted
        return admitted
