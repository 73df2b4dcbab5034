"""A remote facilitator, reached over HTTP: :class:`HttpFacilitator`.

The resource server's client of the facilitator API (``specs/x402-specification-v2.md``
at ``dd927a26``, §7): it posts :class:`VerifyRequest`/:class:`SettleRequest` to
``/verify`` and ``/settle`` and reads ``/supported``, with the same interface as an
in-process :class:`~accord.x402.facilitator.Facilitator`. A facilitator that cannot be
reached, or answers with something that is not the schema, is an
``unexpected_verify_error``/``unexpected_settle_error`` (never an exception in the
middleware).
"""

from __future__ import annotations

import httpx

from accord.x402 import codes as C
from accord.x402.schemas import (
    HeaderError,
    SettlementResponse,
    SettleRequest,
    SupportedResponse,
    VerifyRequest,
    VerifyResponse,
    dump,
    parse_json,
)

__all__ = ["HttpFacilitator"]


class HttpFacilitator:
    """The facilitator at ``http`` (an ``httpx.Client`` with its ``base_url``)."""

    def __init__(self, http: httpx.Client, *, network: str) -> None:
        self.http = http
        self.network = network

    def verify(self, request: VerifyRequest) -> VerifyResponse:
        payer = request.paymentPayload.payload.authorization.from_
        try:
            answer = self.http.post("/verify", json=dump(request))
            return parse_json(answer.content, VerifyResponse, where="facilitator /verify")
        except (httpx.HTTPError, HeaderError) as exc:
            return VerifyResponse(
                isValid=False,
                invalidReason=C.UNEXPECTED_VERIFY,
                invalidMessage=str(exc)[:300],
                payer=payer,
            )

    def settle(self, request: SettleRequest) -> SettlementResponse:
        payer = request.paymentPayload.payload.authorization.from_
        try:
            answer = self.http.post("/settle", json=dump(request))
            return parse_json(answer.content, SettlementResponse, where="facilitator /settle")
        except (httpx.HTTPError, HeaderError) as exc:
            return SettlementResponse(
                success=False,
                errorReason=C.UNEXPECTED_SETTLE,
                errorMessage=str(exc)[:300],
                payer=payer,
                transaction="",
                network=self.network,
            )

    def supported(self) -> SupportedResponse:
        answer = self.http.get("/supported")
        return parse_json(answer.content, SupportedResponse, where="facilitator /supported")
