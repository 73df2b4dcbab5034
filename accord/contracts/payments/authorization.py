"""EIP-3009 ("Transfer With Authorization") messages and argument checks.

EIP-3009 (``ethereum/ERCs``, ``ERCS/erc-3009.md`` at commit ``184ca8f5``; status Draft,
``requires: 20, 712``) lets a token holder sign, off-chain, an authorization

    ``TransferWithAuthorization(from, to, value, validAfter, validBefore, nonce)``

that someone else submits, paying the gas. Three rules make it safe, and each is kept
here:

* **single use**: ``nonce`` is 32 random bytes, unique *per authorizer* (not
  sequential: many authorizations may be outstanding and settle in any order); a used
  or canceled nonce is refused for ever (``authorizationState``);
* **time-bounded**: valid only while ``validAfter < now < validBefore`` (both strict,
  as the reference ``EIP3009.sol``), in unix seconds;
* **no front-running the payee**: ``ReceiveWithAuthorization`` has its own type hash
  and its function requires the caller to be ``to``, so an authorization of that type
  can be executed by the payee only ("Security Considerations").

On Ethereum the authorizer signs the EIP-712 digest of the typed data under the token's
domain ``(name, version, chainId, verifyingContract)``. On the device it signs, with
:meth:`accord.device.Account.sign_message`, the canonical bytes of the same fields
behind a domain string (as :func:`accord.device.permits.permit_message` builds a permit):
the primary type (so a transfer authorization is never a receive authorization), the
token's name, version and address (EIP-712's ``verifyingContract``), then the message
fields. The chain id is bound by the message signature itself (``docs/device.md``,
"Signed messages"), so an authorization signed for another device verifies nowhere
else.

**Time on the device.** ``now`` is the executing block's timestamp in whole seconds,
``ctx.timestamp // 1000``: block *n*'s timestamp is ``genesis_time_ms + n ×
block_time_ms`` (``docs/x402.md``, "Time").
"""

from __future__ import annotations

from typing import Final, Literal

from accord.device import Revert
from accord.device.encoding import digest_bytes
from accord.device.permits import MAX_AMOUNT, check_amount

AUTHORIZATION_DOMAIN = "accord.eip3009.v1"
"""The first item of every authorization message (domain separation)."""
TRANSFER: Final = "TransferWithAuthorization"
RECEIVE: Final = "ReceiveWithAuthorization"
CANCEL = "CancelAuthorization"
NONCE_BYTES = 32
MAX_SIGNATURE_BYTES = 128
MAX_TIME = (1 << 256) - 1
"""``uint256``: the largest ``validAfter``/``validBefore``."""
MAX_ADDRESS_CHARS = 256

Kind = Literal["TransferWithAuthorization", "ReceiveWithAuthorization"]

__all__ = [
    "AUTHORIZATION_DOMAIN",
    "CANCEL",
    "MAX_AMOUNT",
    "NONCE_BYTES",
    "RECEIVE",
    "TRANSFER",
    "Kind",
    "authorization_message",
    "cancel_message",
    "check_address",
    "check_nonce",
    "check_signature",
    "check_time",
    "device_seconds",
]


def authorization_message(
    kind: Kind,
    *,
    token: str,
    name: str,
    version: str,
    from_: str,
    to: str,
    value: int,
    valid_after: int,
    valid_before: int,
    nonce: bytes,
) -> bytes:
    """The bytes ``from_`` signs to authorize moving ``value`` of ``token`` to ``to``."""
    return digest_bytes(
        (
            AUTHORIZATION_DOMAIN,
            kind,
            name,
            version,
            token,
            from_,
            to,
            value,
            valid_after,
            valid_before,
            nonce,
        )
    )


def cancel_message(*, token: str, name: str, version: str, authorizer: str, nonce: bytes) -> bytes:
    """The bytes ``authorizer`` signs to cancel its unused authorization ``nonce``."""
    return digest_bytes((AUTHORIZATION_DOMAIN, CANCEL, name, version, token, authorizer, nonce))


def device_seconds(timestamp_ms: int) -> int:
    """EIP-3009's ``now`` on the device: a block timestamp (ms) in whole seconds."""
    return timestamp_ms // 1000


def check_address(field: str, value: object) -> str:
    """A non-empty ``str`` of at most 256 characters (an account or contract)."""
    if type(value) is not str or not value:
        raise Revert(f"{field} must be a non-empty str, got {_kind(value)}")
    if len(value) > MAX_ADDRESS_CHARS:
        raise Revert(f"{field} is too long: {len(value)} characters, at most {MAX_ADDRESS_CHARS}")
    return value


def check_time(field: str, value: object) -> int:
    """A ``uint256`` of unix seconds."""
    if type(value) is not int:
        raise Revert(f"{field} must be an int of unix seconds, got {_kind(value)}")
    if value < 0 or value > MAX_TIME:
        shown = value if value.bit_length() <= 256 else f"an int of {value.bit_length()} bits"
        raise Revert(f"{field} must be in [0, 2**256 - 1], got {shown}")
    return value


def check_nonce(value: object) -> bytes:
    """A ``bytes32``."""
    if type(value) is not bytes or len(value) != NONCE_BYTES:
        got = f"{len(value)} bytes" if type(value) is bytes else _kind(value)
        raise Revert(f"nonce must be {NONCE_BYTES} bytes, got {got}")
    return value


def check_signature(value: object) -> bytes:
    """Bytes, at most :data:`MAX_SIGNATURE_BYTES` (ed25519's are 64, the MAC's 16)."""
    if type(value) is not bytes or len(value) > MAX_SIGNATURE_BYTES:
        got = f"{len(value)} bytes" if type(value) is bytes else _kind(value)
        raise Revert(f"signature must be bytes (at most {MAX_SIGNATURE_BYTES}), got {got}")
    return value


def check_value(value: object) -> int:
    """A ``uint256`` amount in base units."""
    return check_amount("value", value)


def _kind(value: object) -> str:
    return type(value).__name__
