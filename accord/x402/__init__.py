"""x402 version 2 pay-per-call over HTTP, settled on an accord device.

x402 (``coinbase/x402``, ``specs/x402-specification-v2.md`` at ``dd927a26``) turns HTTP
402 into a payment protocol: a resource server answers an unpaid request with 402 and
``PAYMENT-REQUIRED``; the client retries with ``PAYMENT-SIGNATURE`` (a signed EIP-3009
authorization); a facilitator verifies and settles it; the server answers with
``PAYMENT-RESPONSE``. Here settlement is a ``receiveWithAuthorization`` of a
:class:`~accord.contracts.payments.PaymentToken` on the device (``docs/x402.md``).

* :mod:`.schemas`: the spec's messages (pydantic) and the base64 header codec;
* :mod:`.codes`: the reason codes;
* :mod:`.exact`: the ``exact`` scheme on the device (network id, requirements,
  signing, verification, the mapping of time);
* :mod:`.facilitator`: :class:`Facilitator` and its HTTP API (``/verify``, ``/settle``,
  ``/supported``); :mod:`.dryrun`, its simulation of the settlement in the next block;
  :mod:`.devices`, what it settles on (an embedded device, or one behind a node);
* :mod:`.middleware`: :class:`PaymentMiddleware`, the resource server's side;
* :mod:`.client`: :class:`X402Client`, which pays and retries.
"""

from accord.x402.client import Paid, PaymentError, X402Client
from accord.x402.devices import NodeDevice, PaymentDevice
from accord.x402.exact import (
    Invalid,
    TokenInfo,
    device_clock,
    network_id,
    payment_requirements,
    settlement_seconds,
    sign_payment,
)
from accord.x402.facilitator import Facilitator, FacilitatorAPI, facilitator_app, next_block
from accord.x402.http_facilitator import HttpFacilitator
from accord.x402.middleware import PaidRoute, PaymentMiddleware
from accord.x402.schemas import (
    PAYMENT_REQUIRED,
    PAYMENT_RESPONSE,
    PAYMENT_SIGNATURE,
    X402_VERSION,
    HeaderError,
    PaymentPayload,
    PaymentRequired,
    PaymentRequirements,
    ResourceInfo,
    SettlementResponse,
    SettleRequest,
    SupportedResponse,
    VerifyRequest,
    VerifyResponse,
    decode_header,
    encode_header,
)

__all__ = [
    "PAYMENT_REQUIRED",
    "PAYMENT_RESPONSE",
    "PAYMENT_SIGNATURE",
    "X402_VERSION",
    "Facilitator",
    "FacilitatorAPI",
    "HeaderError",
    "HttpFacilitator",
    "Invalid",
    "NodeDevice",
    "Paid",
    "PaidRoute",
    "PaymentDevice",
    "PaymentError",
    "PaymentMiddleware",
    "PaymentPayload",
    "PaymentRequired",
    "PaymentRequirements",
    "ResourceInfo",
    "SettleRequest",
    "SettlementResponse",
    "SupportedResponse",
    "TokenInfo",
    "VerifyRequest",
    "VerifyResponse",
    "X402Client",
    "decode_header",
    "device_clock",
    "encode_header",
    "facilitator_app",
    "network_id",
    "next_block",
    "payment_requirements",
    "settlement_seconds",
    "sign_payment",
]
