"""Submitting to the device: signature checks, the mempool and what each party sees.

:meth:`Submission.submit` is how a signed transaction enters the mempool, through the
admission gate (:mod:`accord.device.admission`): its fields' types and ranges, its hash
recomputed from its fields (an altered transaction fails), its signature checked
against the sender's public key or MAC key on this chain (a forged one, or one signed
for another chain, fails, :mod:`accord.device.transaction`), an unused nonce, a gas
limit that fits a block, a sender that can pay, and the pool's bounds; it then arrives
after the sender's latency. Bundles go to the builder only
(:meth:`Submission.submit_bundle`), and :meth:`Submission.pending_view` is the
mempool as an observer may see it under the configured visibility.
"""

from __future__ import annotations

import hmac
from itertools import count
from marshal import dumps as _dumps
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature

from accord.device import gas as G
from accord.device.admission import MAX_AMOUNT, Admission
from accord.device.config import DeviceConfig
from accord.device.errors import (
    BadSignature,
    UnknownAccount,
)
from accord.device.ledger import Ledger
from accord.device.mempool import Entry, Mempool, Pending, SealedTx
from accord.device.transaction import (
    TX_HASH,
    Bundle,
    Transaction,
    message_digest,
    signing_payload,
    transaction_hash,
)

if TYPE_CHECKING:
    from accord.device.builder import Builder
    from accord.device.execution import Executor

_NONZERO = G.CALLDATA_NONZERO
_SAVED = G.CALLDATA_NONZERO - G.CALLDATA_ZERO
_CALLDATA_BASE = G.TX_BASE + 5 * _NONZERO - 3 * _SAVED
"""``TX_BASE`` plus the calldata's 5-byte tuple header (``(``, then 3 of ``\\x00``)."""
_MAX_AMOUNT = MAX_AMOUNT
_ATOMS = frozenset({int, str, bool, bytes, type(None)})
_TX_TYPES = (str, int, str, str, tuple, tuple, int, int, int, bytes, bytes)
"""The exact types of a :class:`Transaction`'s fields, in order."""


class Submission(Admission):
    """The device's submission methods (a part of :class:`~accord.device.device.Device`,
    which sets these attributes)."""

    config: DeviceConfig
    ledger: Ledger
    mempool: Mempool
    executor: Executor
    builder: Builder
    _macs: dict[str, Any]
    _public: dict[str, Any]
    _bound: dict[str, bytes]
    _chain_id: int
    trusts_signatures: bool
    _pending: dict[bytes, Entry]
    _seq: count[int]
    _nonces: dict[str, int]
    _gas_limit: int
    _latency: dict[str, int]
    _default_latency: int
    _now: int
    _arrival: int

    if TYPE_CHECKING:

        @property
        def now(self) -> int: ...

        def latency(self, account: str) -> int: ...

    def verify_message(self, signer: str, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is ``signer``'s :meth:`Account.sign_message` of
        ``message`` on this chain (False for an unknown signer, a malformed signature
        or a message that is not bytes)."""
        if type(signature) is not bytes or type(message) is not bytes:
            return False
        return self._signed_by(signer, message_digest(message), signature)

    def _signed_by(self, signer: object, digest: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (bytes) is ``signer``'s signature of ``digest`` on this
        chain, under the configured scheme."""
        if type(signer) is not str:
            return False
        state = self._macs.get(signer)
        if state is not None:
            state = state.copy()
            state.update(digest)
            return hmac.compare_digest(state.digest(), signature)
        public = self._public.get(signer)
        if public is not None:
            try:
                public.verify(signature, signing_payload(self._chain_id, digest))
            except InvalidSignature:
                return False
            return True
        return self.trusts_signatures and signer in self._bound

    def verify(self, tx: Transaction) -> None:
        """Check that ``tx`` was signed by its sender's key for this chain and not
        altered since.

        The hash is recomputed from the contents (an altered transaction fails here) and
        the signature checked with the sender's key (a forged one, or one made for
        another chain id, fails here): both, every time. A device that trusts
        signatures (a replay without the MAC key file) checks the hash only.
        """
        if type(tx) is not Transaction:
            raise BadSignature(f"not a Transaction: {type(tx).__name__}")
        sender = tx[0]
        if type(sender) is not str or sender not in self._bound:
            raise UnknownAccount(f"no account {sender!r} on this device")
        digest = transaction_hash(tx[:9])
        if digest != tx[9]:
            raise BadSignature("the transaction's hash does not match its contents (altered)")
        signature = tx[10]
        if type(signature) is not bytes or not self._signed_by(sender, digest, signature):
            raise BadSignature(
                f"not signed by {sender!r}'s key for chain {self._chain_id} "
                "(forged, or signed for another chain)"
            )

    def submit(self, tx: Transaction, *, at: int | None = None) -> bytes:
        """Send a transaction to the mempool; it arrives after the sender's latency.

        Every transaction passes the admission gate (:mod:`accord.device.admission`):
        its fields' types, ranges and shapes, its hash and signature, an unused nonce,
        a gas limit that fits a block, a sender that can pay ``max_fee × gas_limit``
        plus its value in the fee asset, and the pool's bounds (slots per sender,
        replacement by fee bump, eviction of the cheapest when full). A refusal raises
        a :class:`Rejected` error naming the field, and nothing changes.
        """
        # The gate's common case (a valid transaction: atoms-only arguments, no value or
        # one asset's, not a deploy, room in the pool) inlined; at any doubt
        # Admission._admit runs the whole gate in order, to raise the precise error or
        # admit the rest.
        if type(tx) is not Transaction or len(tx) != 11:
            return self._admit(tx, at)
        # Unpacked from a plain tuple (the signed fields, which marshal encodes below):
        # unpacking the NamedTuple itself would go through an iterator.
        content = tx[:9]
        sender, nonce, to, method, args, value, gas_limit, max_fee, priority_fee = content
        tx_hash, signature = tx[9], tx[10]
        # Every field's exact type in one comparison (a str subclass, a bool or a numpy
        # integer: the slow path names it).
        if (
            type(sender),
            type(nonce),
            type(to),
            type(method),
            type(args),
            type(value),
            type(gas_limit),
            type(max_fee),
            type(priority_fee),
            type(tx_hash),
            type(signature),
        ) != _TX_TYPES or not (to and 0 <= priority_fee <= max_fee):  # no to: a deploy
            return self._admit(tx, at)
        # nonce, gas_limit and max_fee in [0, 2**31) (hence within MAX_NONCE and
        # MAX_AMOUNT, and priority_fee too): one shift of their union, nonzero for a
        # negative one or one of 2**31 or more. Those take the slow path, which checks
        # them in full; below, marshal encodes each of them in 5 bytes.
        if (nonce | gas_limit | max_fee) >> 31:
            return self._admit(tx, at)
        # The arguments' types (a nested tuple or anything else: the slow path checks
        # it in full). A loop: cheaper than any one C-level call for a few arguments.
        for arg in args:
            if type(arg) not in _ATOMS:
                return self._admit(tx, at)
        try:
            data = _dumps(content, 0)
        except ValueError:  # a value entry that cannot be encoded
            return self._admit(tx, at)
        digest = TX_HASH.copy()
        digest.update(data)
        state = self._macs.get(sender)
        if state is None or digest.digest() != tx_hash:
            # ed25519 (or an unknown sender, or an altered transaction): the whole gate,
            # in order; its cost is small beside the signature check's
            return self._admit(tx, at)
        # The intrinsic gas (gas.intrinsic_gas) from the bytes just encoded: marshal
        # version 0 encodes a tuple as b"(" + 4-byte count + its items' encodings, with
        # no back-references, so the calldata (method, args, value) is a 5-byte header
        # (3 zero bytes) plus data[start:end]: after the header, sender ("u" + 4-byte
        # length + UTF-8), nonce ("i" + 4 bytes below 2**31) and to; before gas_limit,
        # max_fee and priority_fee (5 bytes each, checked above). A non-ASCII name takes
        # the slow path, which computes it in full.
        if not (sender.isascii() and to.isascii()):
            return self._admit(tx, at)
        start = 20 + len(sender) + len(to)
        end = len(data) - 15
        intrinsic = _CALLDATA_BASE + _NONZERO * (end - start) - _SAVED * data.count(0, start, end)
        state = state.copy()
        state.update(tx_hash)
        pending = self._pending
        pool = self.mempool
        need = gas_limit * max_fee
        if value:  # one (asset, amount) pair, a plain transfer's; anything else: slow path
            if len(value) != 1:
                return self._admit(tx, at)
            pair = value[0]
            if type(pair) is not tuple or len(pair) != 2:
                return self._admit(tx, at)
            asset, amount = pair
            if type(asset) is not str or type(amount) is not int or not 0 < amount <= _MAX_AMOUNT:
                return self._admit(tx, at)
            if asset == pool.fee_asset:
                need += amount
            elif pool.checks_assets:
                return self._admit(tx, at)
        # pool.room is 0 until the gate's slow path (the first transaction takes it)
        # has set it: until then every transaction takes the slow path.
        if (
            state.digest() != signature
            or nonce < self._nonces.get(sender, 0)
            or tx_hash in pending
            or gas_limit < intrinsic
            or gas_limit > self._gas_limit
            or pool.balances.get((sender, pool.fee_asset), 0) < need
            # Below min(slots, capacity) pending in all, no sender can be at its slots
            # and the pool is not full; else the slow path counts.
            or len(pending) >= pool.room
        ):
            return self._admit(tx, at)
        lane = pool.lanes.get(sender)
        if lane is None:  # the sender's first pending transaction (Mempool.add's lane)
            lane = pool.lanes[sender] = {}
        elif nonce in lane:  # a replacement
            return self._admit(tx, at)
        if at is None and not self._latency:
            arrival = self._arrival
        else:
            arrival = self._arrival_at(sender, at)
            if arrival > pool.latest:
                pool.latest = arrival
        pending[tx_hash] = (tx, arrival, next(self._seq), intrinsic)  # Mempool.add inlined
        lane[nonce] = tx_hash
        return tx_hash

    def submit_bundle(self, bundle: Bundle, *, sender: str, at: int | None = None) -> bytes:
        """Send a bundle privately to the builder (``eth_sendBundle``).

        The bundle passes the admission gate (:func:`~accord.device.admission.check_bundle`
        and :meth:`~accord.device.admission.Admission._admit_bundle`): its own fields,
        each transaction's fields, signature and unused nonce (a failure raises
        :class:`BundleFailed` naming the transaction), its first transaction's funds
        and the sender's pending bundles. Under the ``batch`` ordering rule, a call to a
        batchable method is refused too (it settles in the block's batch, so a bundle
        cannot sequence it; checked again at inclusion for contracts deployed since).
        """
        checked = self._admit_bundle(bundle, sender, at)
        if self.config.ordering == "batch":
            self.executor.batch_call_in_bundle(checked)
        sent_at = self.now if at is None else at
        self.mempool.add_bundle(checked, sent_at + self.latency(sender), sender)
        return checked.hash

    def pending_view(self, observer: str, *, at: int | None = None) -> list[Pending | SealedTx]:
        """The mempool as ``observer`` may see it under the configured visibility."""
        now = self.now if at is None else at
        return self.mempool.view(observer, now, self.config.mempool, self.builder.address)
