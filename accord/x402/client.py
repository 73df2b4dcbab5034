"""A Python client that pays for x402 resources and retries.

The client's half of the HTTP transport (``specs/transports-v2/http.md`` at
``dd927a26``): request; on **402**, read ``PAYMENT-REQUIRED``, choose an ``accepts``
entry it can pay (scheme ``exact``, a network and asset it trusts, an amount within
its per-call cap), sign a ``ReceiveWithAuthorization`` for it
(:func:`~accord.x402.exact.sign_payment`), and send the request again with
``PAYMENT-SIGNATURE``; then read ``PAYMENT-RESPONSE``. It pays at most once per call
and never signs more than ``max_amount``.

The clock is the client's view of EIP-3009's ``now`` in unix seconds: for an embedded
device, :func:`~accord.x402.exact.device_clock`; against a node whose genesis time is
a real unix time, ``time.time``. Nonces are 32 fresh random bytes by default; a test
passes its own to be reproducible.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import httpx

from accord.contracts.payments import NONCE_BYTES
from accord.device.transaction import Account
from accord.x402.exact import SCHEME, sign_payment
from accord.x402.schemas import (
    PAYMENT_REQUIRED,
    PAYMENT_RESPONSE,
    PAYMENT_SIGNATURE,
    HeaderError,
    PaymentPayload,
    PaymentRequired,
    PaymentRequirements,
    SettlementResponse,
    decode_header,
    encode_header,
    uint,
)

__all__ = ["Paid", "PaymentError", "X402Client"]


class PaymentError(Exception):
    """The client cannot or will not pay (one line)."""


@dataclass
class Paid:
    """A response, with what was paid for it (``None`` if nothing was asked)."""

    response: httpx.Response
    payload: PaymentPayload | None = None
    settlement: SettlementResponse | None = None
    required: PaymentRequired | None = field(default=None, repr=False)


def _amount(text: str) -> int:
    """An offer's amount; one above 2**256 - 1 counts as unpayable (infinite)."""
    try:
        return uint(text)
    except ValueError:
        return 1 << 257


def _random_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


class X402Client:
    """Pays ``exact`` x402 requirements as ``account`` (module docstring)."""

    def __init__(
        self,
        account: Account,
        http: httpx.Client,
        *,
        clock: Callable[[], int],
        max_amount: int,
        networks: Collection[str],
        assets: Collection[str] | None = None,
        nonces: Callable[[], bytes] = _random_nonce,
    ) -> None:
        self.account = account
        self.http = http
        self.clock = clock
        self.max_amount = max_amount
        self.networks = frozenset(networks)
        self.assets = None if assets is None else frozenset(assets)
        self.nonces = nonces
        self.spent = 0
        """Sum of the amounts settled for this client."""

    def choose(self, required: PaymentRequired) -> PaymentRequirements:
        """The first ``accepts`` entry this client pays, or :class:`PaymentError`."""
        reasons = []
        for offer in required.accepts:
            if offer.scheme != SCHEME:
                reasons.append(f"scheme {offer.scheme!r}")
            elif offer.network not in self.networks:
                reasons.append(f"network {offer.network!r}")
            elif self.assets is not None and offer.asset not in self.assets:
                reasons.append(f"asset {offer.asset!r}")
            elif _amount(offer.amount) > self.max_amount:
                reasons.append(f"amount {offer.amount[:20]} above {self.max_amount}")
            else:
                return offer
        raise PaymentError(f"no payable requirement ({'; '.join(reasons) or 'none offered'})")

    def request(self, method: str, url: str, **kwargs: Any) -> Paid:
        """Send the request; pay and retry once on 402."""
        first = self.http.request(method, url, **kwargs)
        if first.status_code != 402:
            return Paid(first)
        header = first.headers.get(PAYMENT_REQUIRED)
        if header is None:
            raise PaymentError(f"402 without a {PAYMENT_REQUIRED} header")
        try:
            required = decode_header(header, PaymentRequired, header=PAYMENT_REQUIRED)
        except HeaderError as exc:
            raise PaymentError(str(exc)) from None
        offer = self.choose(required)
        payload = sign_payment(
            self.account, offer, now=self.clock(), nonce=self.nonces(), resource=required.resource
        )
        headers = dict(kwargs.pop("headers", None) or {})
        headers[PAYMENT_SIGNATURE] = encode_header(payload)
        second = self.http.request(method, url, headers=headers, **kwargs)
        settlement = None
        answer = second.headers.get(PAYMENT_RESPONSE)
        if answer is not None:
            try:
                settlement = decode_header(answer, SettlementResponse, header=PAYMENT_RESPONSE)
            except HeaderError as exc:
                raise PaymentError(str(exc)) from None
            if settlement.success and settlement.amount is not None:
                self.spent += uint(settlement.amount)
        return Paid(second, payload, settlement, required)
