"""Submitting to the device: signature checks, the mempool and what each party sees.

:meth:`Submission.submit` is how a signed transaction enters the mempool: its hash is
recomputed from its fields (an altered transaction fails), its signature checked
against the sender's public key or MAC key on this chain (a forged one, or one signed
for another chain, fails, :mod:`accord.device.transaction`), its nonce must not be
used, it must not be pending already and its gas limit must fit a block; it then
arrives after the sender's latency. Bundles go to the builder only
(:meth:`Submission.submit_bundle`), and :meth:`Submission.pending_view` is the
mempool as an observer may see it under the configured visibility.
"""

from __future__ import annotations

import hmac
from itertools import count
from marshal import dumps as _dumps
from typing import TYPE_CHECKING, Any, NoReturn

from cryptography.exceptions import InvalidSignature

from accord.device import gas as G
from accord.device.config import DeviceConfig
from accord.device.errors import (
    BadNonce,
    BadSignature,
    BundleFailed,
    GasLimitTooLow,
    Rejected,
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

_TX_BASE = G.TX_BASE


class Submission:
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

    def _refuse(self, tx: Transaction) -> NoReturn:
        """Raise the precise error for a transaction that :meth:`submit` refuses."""
        self.verify(tx)
        sender, nonce, gas_limit = tx[0], tx[1], tx[6]
        current = self.ledger.nonces.get(sender, 0)
        if nonce < current:
            raise BadNonce(f"replayed: {sender} is at nonce {current}, transaction has {nonce}")
        if tx[9] in self.mempool.txs:
            raise Rejected("already pending", field="hash")
        raise GasLimitTooLow(f"{gas_limit} is outside [{G.TX_BASE}, {self._gas_limit}]")

    def submit(self, tx: Transaction, *, at: int | None = None) -> bytes:
        """Send a transaction to the mempool; it arrives after the sender's latency.

        Raises a :class:`Rejected` error (nothing changes) for a forged transaction, a
        used nonce, a duplicate or an impossible gas limit.
        """
        # verify() and the checks below inlined for the common case (a valid
        # transaction); at any doubt _refuse() runs them in order, to raise the precise
        # error.
        content = tx[:9]
        digest = TX_HASH.copy()
        try:
            digest.update(_dumps(content, 0))
        except ValueError:  # fields that cannot be encoded
            self._refuse(tx)
        # Read from the slice: unpacking a plain tuple is faster than a NamedTuple.
        sender, nonce, _, _, _, _, gas_limit, _, _ = content
        tx_hash = tx[9]
        state = self._macs.get(sender)
        if state is None:  # ed25519 (or an unknown sender): the full check
            self.verify(tx)
            forged = False
        elif digest.digest() != tx_hash:
            self._refuse(tx)
        else:
            state = state.copy()
            state.update(tx_hash)
            forged = state.digest() != tx[10]
        pending = self._pending
        if (
            forged
            or nonce < self._nonces.get(sender, 0)
            or tx_hash in pending
            or gas_limit < _TX_BASE
            or gas_limit > self._gas_limit
        ):
            self._refuse(tx)
        if at is None and not self._latency:
            arrival = self._arrival
        else:
            sent = self._now if at is None else at
            arrival = sent + self._latency.get(sender, self._default_latency)
        pending[tx_hash] = (tx, arrival, next(self._seq))  # Mempool.add inlined
        return tx_hash

    def submit_bundle(self, bundle: Bundle, *, sender: str, at: int | None = None) -> bytes:
        """Send a bundle privately to the builder (``eth_sendBundle``).

        Raises :class:`BundleFailed` naming the transaction at fault for a forged one
        and, under the ``batch`` ordering rule, for a call to a batchable method (which
        settles in the block's batch, so a bundle cannot sequence it; checked again at
        inclusion for contracts deployed since).
        """
        for i, tx in enumerate(bundle.txs):
            try:
                self.verify(tx)
            except Rejected as exc:
                raise BundleFailed(str(exc), index=i, cause=exc) from exc
        if self.config.ordering == "batch":
            self.executor.batch_call_in_bundle(bundle)
        sent_at = self.now if at is None else at
        self.mempool.add_bundle(bundle, sent_at + self.latency(sender), sender)
        return bundle.hash

    def pending_view(self, observer: str, *, at: int | None = None) -> list[Pending | SealedTx]:
        """The mempool as ``observer`` may see it under the configured visibility."""
        now = self.now if at is None else at
        return self.mempool.view(observer, now, self.config.mempool, self.builder.address)
