"""Payments on the device: :class:`PaymentToken`, a token with EIP-3009 authorizations.

* :mod:`.authorization`: the signed messages (``TransferWithAuthorization``,
  ``ReceiveWithAuthorization``, ``CancelAuthorization``), their argument checks and the
  mapping of EIP-3009's unix seconds onto block timestamps;
* :mod:`.token`: the contract.

x402's ``exact`` scheme (``accord/x402/``, ``docs/x402.md``) settles on it.
"""

from accord.contracts.payments.authorization import (
    CANCEL,
    NONCE_BYTES,
    RECEIVE,
    TRANSFER,
    Kind,
    authorization_message,
    cancel_message,
    device_seconds,
)
from accord.contracts.payments.token import PaymentToken

__all__ = [
    "CANCEL",
    "NONCE_BYTES",
    "RECEIVE",
    "TRANSFER",
    "Kind",
    "PaymentToken",
    "authorization_message",
    "cancel_message",
    "device_seconds",
]
