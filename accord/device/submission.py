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
from typing import TYPE_CHECKING, Any

from accord.device.admission import Admission
from accord.device.config import DeviceConfig
from accord.device.errors import (
    BadSignature,
    UnknownAccount,
)
from accord.device.fast_submit import Gate
from accord.device.ledger import Ledger
from accord.device.mempool import Entry, Mempool, Pending, SealedTx
from accord.device.transaction import (
    Bundle,
    Transaction,
    message_digest,
    signing_payload,
    transaction_hash,
)

if TYPE_CHECKING:
    from accord.device.builder import Builder
    from accord.device.execution import Executor


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
    _gate: Gate
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
            verified: bool = public.verify(signature, signing_payload(self._chain_id, digest))
            return verified
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
        # The gate's common case, compiled when the build could (fast_submit); it
        # hands anything else to Admission._admit, which runs the whole gate in order.
        return self._gate.submit(tx, at)

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
