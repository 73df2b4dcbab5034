"""Error reason codes of ``invalidReason`` (verify) and ``errorReason`` (settle).

The spec's list (``specs/x402-specification-v2.md`` at ``dd927a26``, §9 "Error
Handling") where it has one; the reference SDK's codes
(``python/x402/mechanisms/evm/constants.py``) where the spec has none (a used nonce);
and one of ours, :data:`PAYMENT_NOT_VERIFIED` (``docs/x402.md``, "Where we differ").
The ``exact`` scheme here is EIP-3009 on an accord device, so its payload codes keep
the spec's ``invalid_exact_evm_payload_*`` names: clients that handle them need
nothing new.
"""

from __future__ import annotations

INSUFFICIENT_FUNDS = "insufficient_funds"
VALID_AFTER = "invalid_exact_evm_payload_authorization_valid_after"
VALID_BEFORE = "invalid_exact_evm_payload_authorization_valid_before"
VALUE_MISMATCH = "invalid_exact_evm_payload_authorization_value_mismatch"
SIGNATURE = "invalid_exact_evm_payload_signature"
RECIPIENT_MISMATCH = "invalid_exact_evm_payload_recipient_mismatch"
INVALID_NETWORK = "invalid_network"
INVALID_PAYLOAD = "invalid_payload"
INVALID_REQUIREMENTS = "invalid_payment_requirements"
INVALID_SCHEME = "invalid_scheme"
UNSUPPORTED_SCHEME = "unsupported_scheme"
INVALID_VERSION = "invalid_x402_version"
TRANSACTION_STATE = "invalid_transaction_state"
UNEXPECTED_VERIFY = "unexpected_verify_error"
UNEXPECTED_SETTLE = "unexpected_settle_error"
NONCE_USED = "invalid_exact_evm_nonce_already_used"
"""The reference SDK's ``ERR_NONCE_ALREADY_USED`` (the spec lists none)."""
PAYMENT_NOT_VERIFIED = "payment_not_verified"
"""Ours: ``/settle`` of a payment this facilitator has not verified (or already settled)."""

ALL = (
    INSUFFICIENT_FUNDS,
    VALID_AFTER,
    VALID_BEFORE,
    VALUE_MISMATCH,
    SIGNATURE,
    RECIPIENT_MISMATCH,
    INVALID_NETWORK,
    INVALID_PAYLOAD,
    INVALID_REQUIREMENTS,
    INVALID_SCHEME,
    UNSUPPORTED_SCHEME,
    INVALID_VERSION,
    TRANSACTION_STATE,
    UNEXPECTED_VERIFY,
    UNEXPECTED_SETTLE,
    NONCE_USED,
    PAYMENT_NOT_VERIFIED,
)
