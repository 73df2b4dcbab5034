"""x402's ``exact`` scheme on an accord device: EIP-3009 authorizations of a
:class:`~accord.contracts.payments.PaymentToken`.

The EVM flavour (``specs/schemes/exact/scheme_exact_evm.md`` at ``dd927a26``, method
``eip3009``) carries over with three choices of ours (``docs/x402.md``):

* **network**: CAIP-2 ``accord:<chain_id>`` (:func:`network_id`), the namespace the
  ERC-8004 registration files use for this device;
* **asset**: the ``PaymentToken``'s contract address; ``extra`` carries its EIP-712-style
  domain ``name`` and ``version``, ``assetTransferMethod: "eip3009"`` and
  ``primaryType: "ReceiveWithAuthorization"``;
* **what the payer signs**: a ``ReceiveWithAuthorization``, not a
  ``TransferWithAuthorization``, so only the payee can execute it and nobody can
  front-run the settlement; the facilitator submits it *as the payee*.

**Time.** EIP-3009's ``now`` is the executing block's timestamp in seconds
(:func:`~accord.contracts.payments.device_seconds`). The facilitator checks an
authorization against the block its settlement will land in, the next one:
``(head timestamp + block_time_ms) // 1000`` (:func:`settlement_seconds`). A client
reads the device's clock the same way (:func:`device_clock`); with ``genesis_time_ms``
set to a real unix time and blocks on a timer (``accord node``), that clock follows the
wall clock to within a block.

:func:`check` runs the spec's verification steps (§6.1.2: signature, balance, exact
amount, time window, parameter matching) and raises :class:`Invalid` with the reason
code of the first that fails; the facilitator then simulates the settlement
(:func:`accord.x402.dryrun.dry_run`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from accord.contracts.payments import RECEIVE, authorization_message
from accord.device import AgentDevice
from accord.device.transaction import Account
from accord.x402 import codes as C
from accord.x402.devices import PaymentDevice
from accord.x402.schemas import (
    X402_VERSION,
    Authorization,
    ExactPayload,
    PaymentPayload,
    PaymentRequirements,
    ResourceInfo,
    uint,
)

SCHEME = "exact"
NAMESPACE = "accord"
VALIDITY_BUFFER_SECONDS = 600
"""How far back a client dates ``validAfter`` (the reference client's 10 minutes), so
that a clock a little ahead of the device's does not make it "not yet valid"."""

__all__ = [
    "NAMESPACE",
    "SCHEME",
    "Invalid",
    "Settlement",
    "TokenInfo",
    "check",
    "device_clock",
    "network_id",
    "payment_requirements",
    "settlement_seconds",
    "sign_payment",
]


class Invalid(Exception):
    """A payment that fails verification: the spec's reason code and one line."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class TokenInfo:
    """A payment token as requirements name it: its address and domain."""

    address: str
    name: str
    version: str

    @classmethod
    def read(cls, device: AgentDevice, address: str) -> TokenInfo:
        """Read a deployed :class:`PaymentToken`'s domain from the device."""
        return cls(address, device.view(address, "name"), device.view(address, "version"))

    def extra(self) -> dict[str, Any]:
        """The requirements' ``extra``."""
        return {
            "name": self.name,
            "version": self.version,
            "assetTransferMethod": "eip3009",
            "primaryType": RECEIVE,
        }


@dataclass(frozen=True)
class Settlement:
    """What a verified payment settles: the ``receiveWithAuthorization`` arguments."""

    token: str
    payer: str
    payee: str
    value: int
    valid_after: int
    valid_before: int
    nonce: bytes
    signature: bytes

    def args(self) -> tuple[object, ...]:
        return (
            self.payer,
            self.payee,
            self.value,
            self.valid_after,
            self.valid_before,
            self.nonce,
            self.signature,
        )


def network_id(chain_id: int) -> str:
    """The CAIP-2 id of an accord device: ``accord:<chain_id>``."""
    return f"{NAMESPACE}:{chain_id}"


def device_clock(device: AgentDevice) -> Callable[[], int]:
    """A client clock reading the device's time (the head's timestamp, seconds)."""
    return lambda: device.now // 1000


def settlement_seconds(device: AgentDevice) -> int:
    """EIP-3009's ``now`` for a settlement submitted now: the next block's time."""
    return (device.now + device.config.block_time_ms) // 1000


def payment_requirements(
    chain_id: int, token: TokenInfo, pay_to: str, amount: int, *, max_timeout_seconds: int = 60
) -> PaymentRequirements:
    """One ``accepts`` entry: pay ``amount`` base units of ``token`` to ``pay_to``."""
    return PaymentRequirements(
        scheme=SCHEME,
        network=network_id(chain_id),
        amount=str(amount),
        asset=token.address,
        payTo=pay_to,
        maxTimeoutSeconds=max_timeout_seconds,
        extra=token.extra(),
    )


def sign_payment(
    account: Account,
    requirements: PaymentRequirements,
    *,
    now: int,
    nonce: bytes,
    resource: ResourceInfo | None = None,
) -> PaymentPayload:
    """The client's side: sign a ``ReceiveWithAuthorization`` meeting ``requirements``,
    valid from ``now - 600`` s to ``now + maxTimeoutSeconds``."""
    extra = requirements.extra or {}
    name, version = extra.get("name"), extra.get("version")
    if type(name) is not str or type(version) is not str:
        raise ValueError("requirements.extra must name the token's name and version")
    valid_after = max(0, now - VALIDITY_BUFFER_SECONDS)
    valid_before = now + requirements.maxTimeoutSeconds
    value = uint(requirements.amount)
    message = authorization_message(
        RECEIVE,
        token=requirements.asset,
        name=name,
        version=version,
        from_=account.address,
        to=requirements.payTo,
        value=value,
        valid_after=valid_after,
        valid_before=valid_before,
        nonce=nonce,
    )
    authorization = Authorization(
        **{"from": account.address},
        to=requirements.payTo,
        value=str(value),
        validAfter=str(valid_after),
        validBefore=str(valid_before),
        nonce="0x" + nonce.hex(),
    )
    return PaymentPayload(
        x402Version=X402_VERSION,
        resource=resource,
        accepted=requirements,
        payload=ExactPayload(
            signature="0x" + account.sign_message(message).hex(), authorization=authorization
        ),
    )


def check(
    device: PaymentDevice,
    x402_version: int,
    payload: PaymentPayload,
    requirements: PaymentRequirements,
    *,
    tokens: Collection[str],
    signers: Collection[str],
) -> Settlement:
    """Verify ``payload`` against ``requirements`` on ``device``; :class:`Invalid` names
    the first failure. ``tokens``: the token addresses this facilitator settles;
    ``signers``: the payees it holds keys for."""
    if x402_version != X402_VERSION or payload.x402Version != X402_VERSION:
        raise Invalid(
            C.INVALID_VERSION,
            f"x402Version must be {X402_VERSION}, got {x402_version} / {payload.x402Version}",
        )
    accepted = payload.accepted
    if requirements.scheme != SCHEME:
        raise Invalid(C.UNSUPPORTED_SCHEME, f"scheme {requirements.scheme!r} is not 'exact'")
    if accepted.scheme != requirements.scheme:
        raise Invalid(C.INVALID_SCHEME, f"accepted.scheme {accepted.scheme!r} is not 'exact'")
    network = network_id(device.chain_id)
    if requirements.network != network:
        raise Invalid(C.INVALID_NETWORK, f"network {requirements.network!r} is not {network!r}")
    if accepted.network != requirements.network:
        raise Invalid(
            C.INVALID_NETWORK, f"accepted.network {accepted.network!r} is not {network!r}"
        )
    token = requirements.asset
    if token not in tokens:
        raise Invalid(C.INVALID_REQUIREMENTS, f"asset {token[:80]!r} is not a token settled here")
    if accepted.asset != token:
        raise Invalid(
            C.INVALID_PAYLOAD, f"accepted.asset {accepted.asset[:80]!r} is not the asset {token!r}"
        )
    if requirements.payTo not in signers:
        raise Invalid(
            C.INVALID_REQUIREMENTS,
            f"payTo {requirements.payTo[:80]!r} is not a payee this facilitator settles for",
        )
    info = TokenInfo.read(device, token)
    extra = requirements.extra or {}
    if extra.get("name") != info.name or extra.get("version") != info.version:
        raise Invalid(
            C.INVALID_REQUIREMENTS,
            f"extra must carry the token's name {info.name!r} and version {info.version!r}",
        )
    auth = payload.payload.authorization
    payer = auth.from_
    if auth.to != requirements.payTo:
        raise Invalid(
            C.RECIPIENT_MISMATCH,
            f"authorization.to {auth.to[:80]!r} is not payTo {requirements.payTo!r}",
        )
    try:
        value, amount = uint(auth.value), uint(requirements.amount)
        after, before = uint(auth.validAfter), uint(auth.validBefore)
    except ValueError as exc:
        raise Invalid(C.INVALID_PAYLOAD, str(exc)) from None
    if value != amount:
        raise Invalid(
            C.VALUE_MISMATCH, f"authorization.value {value} is not the required amount {amount}"
        )
    now = settlement_seconds(device)
    if now <= after:
        raise Invalid(C.VALID_AFTER, f"not yet valid: validAfter {after} >= settlement time {now}")
    if now >= before:
        raise Invalid(C.VALID_BEFORE, f"expired: validBefore {before} <= settlement time {now}")
    nonce = bytes.fromhex(auth.nonce[2:])
    signature = bytes.fromhex(payload.payload.signature[2:])
    message = authorization_message(
        RECEIVE,
        token=token,
        name=info.name,
        version=info.version,
        from_=payer,
        to=auth.to,
        value=value,
        valid_after=after,
        valid_before=before,
        nonce=nonce,
    )
    if not device.verify_message(payer, message, signature):
        raise Invalid(C.SIGNATURE, f"not {payer[:80]!r}'s ReceiveWithAuthorization of these fields")
    status = device.view(token, "authorizationStatus", payer, nonce)
    if status != "unused":
        raise Invalid(C.NONCE_USED, f"nonce {auth.nonce} of {payer!r} is {status}")
    balance = device.view(token, "balanceOf", payer)
    if balance < value:
        raise Invalid(C.INSUFFICIENT_FUNDS, f"{payer!r} holds {balance}, needs {value}")
    settlement = Settlement(token, payer, auth.to, value, after, before, nonce, signature)
    return settlement
