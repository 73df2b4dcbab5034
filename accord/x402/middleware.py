"""The resource server's side: an ASGI middleware that charges for routes with x402.

HTTP transport of x402 v2 (``specs/transports-v2/http.md`` at ``dd927a26``):

1. a request to a paid route without ``PAYMENT-SIGNATURE`` gets **402** and a
   ``PAYMENT-REQUIRED`` header, base64 JSON of :class:`PaymentRequired`
   (``x402Version``, ``resource``, ``accepts``); the body is the same JSON;
2. a request with a ``PAYMENT-SIGNATURE`` that cannot be read (not base64, not JSON,
   not the schema) gets **400** with the reason, and ``PAYMENT-REQUIRED`` again;
3. a payload whose ``accepted`` matches none of the route's requirements, or that the
   facilitator does not verify, gets **402** with the reason in ``error``;
4. a verified payment runs the route; its response is held back, the payment is
   settled, and the response goes out with ``PAYMENT-RESPONSE`` (base64
   :class:`SettlementResponse`). If settlement fails, the client gets **402** with
   the failed ``PAYMENT-RESPONSE`` and never sees the route's body; if the route
   itself fails (status >= 400), nothing is settled and its response goes out as is;
5. a facilitator that raises (instead of answering) is the spec's Server Error: **500**
   with the reason in ``PAYMENT-REQUIRED``'s ``error``, and the route's body withheld.

The facilitator is verified against the requirements *the server* set, never the
client's ``accepted``. Starlette's ``Request`` reads the headers; calls to the
facilitator run in a worker thread (an in-process :class:`Facilitator` locks the
device).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.x402 import codes as C
from accord.x402.facilitator import FacilitatorAPI
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
    VerifyRequest,
    decode_header,
    dump,
    encode_header,
)

__all__ = ["PaidRoute", "PaymentMiddleware"]


@dataclass(frozen=True)
class PaidRoute:
    """A path and how it may be paid for (its ``accepts``)."""

    path: str
    accepts: tuple[PaymentRequirements, ...]
    description: str = ""
    mime_type: str = "application/json"


class PaymentMiddleware:
    """Charge for :class:`PaidRoute`\\s through ``facilitator`` (module docstring)."""

    def __init__(
        self, app: ASGIApp, *, facilitator: FacilitatorAPI, routes: Iterable[PaidRoute]
    ) -> None:
        self.app = app
        self.facilitator = facilitator
        self.routes = {r.path: r for r in routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope.get("path", "")) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        resource = ResourceInfo(
            url=str(request.url)[:2048],
            description=route.description or None,
            mimeType=route.mime_type or None,
        )
        header = request.headers.get(PAYMENT_SIGNATURE)
        if header is None:
            await _required(send, route, resource, f"{PAYMENT_SIGNATURE} header is required")
            return
        try:
            payload = decode_header(header, PaymentPayload, header=PAYMENT_SIGNATURE)
        except HeaderError as exc:
            await _required(send, route, resource, f"{C.INVALID_PAYLOAD}: {exc}", status=400)
            return
        requirements, mismatch = _match(payload.accepted, route.accepts)
        if requirements is None:
            await _required(send, route, resource, mismatch)
            return
        try:
            verdict = await run_in_threadpool(
                self.facilitator.verify,
                VerifyRequest(
                    x402Version=X402_VERSION,
                    paymentPayload=payload,
                    paymentRequirements=requirements,
                ),
            )
        except Exception as exc:  # a broken facilitator: the spec's Server Error
            error = f"{C.UNEXPECTED_VERIFY}: {type(exc).__name__}: {exc}"
            await _required(send, route, resource, error, status=500)
            return
        if not verdict.isValid:
            reason = f"{verdict.invalidReason}: {verdict.invalidMessage or ''}".rstrip(": ")
            await _required(send, route, resource, reason)
            return
        status, messages = await _buffered(self.app, scope, receive)
        if status >= 400:
            for message in messages:
                await send(message)
            return
        try:
            result = await run_in_threadpool(
                self.facilitator.settle,
                SettleRequest(
                    x402Version=X402_VERSION,
                    paymentPayload=payload,
                    paymentRequirements=requirements,
                ),
            )
        except Exception as exc:  # the route's body is withheld: nothing was settled
            error = f"{C.UNEXPECTED_SETTLE}: {type(exc).__name__}: {exc}"
            await _required(send, route, resource, error, status=500)
            return
        if not result.success:
            reason = f"{result.errorReason}: {result.errorMessage or ''}".rstrip(": ")
            await _required(send, route, resource, reason, settlement=result)
            return
        start = dict(messages[0])
        start["headers"] = [
            *start.get("headers", []),
            (PAYMENT_RESPONSE.lower().encode(), encode_header(result).encode()),
        ]
        await send(start)
        for message in messages[1:]:
            await send(message)


def _match(
    accepted: PaymentRequirements, offers: tuple[PaymentRequirements, ...]
) -> tuple[PaymentRequirements | None, str]:
    """The server's requirement the client's ``accepted`` chose, or why there is none."""
    for field, code in (
        ("scheme", C.INVALID_SCHEME),
        ("network", C.INVALID_NETWORK),
        ("asset", C.INVALID_PAYLOAD),
        ("payTo", C.RECIPIENT_MISMATCH),
        ("amount", C.VALUE_MISMATCH),
    ):
        mine = getattr(accepted, field)
        offers = tuple(o for o in offers if getattr(o, field) == mine)
        if not offers:
            return None, f"{code}: accepted.{field} {str(mine)[:80]!r} is not offered here"
    return offers[0], ""


async def _buffered(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[Message]]:
    """Run ``app`` and keep what it sends (the status and body), sending nothing."""
    messages: list[Message] = []

    async def keep(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, keep)
    status = int(messages[0]["status"]) if messages else 500
    return status, messages


async def _required(
    send: Send,
    route: PaidRoute,
    resource: ResourceInfo,
    error: str,
    *,
    status: int = 402,
    settlement: SettlementResponse | None = None,
) -> None:
    required = PaymentRequired(
        x402Version=X402_VERSION, error=error[:1024], resource=resource, accepts=route.accepts
    )
    body = json.dumps(dump(required)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (PAYMENT_REQUIRED.lower().encode(), encode_header(required).encode()),
    ]
    if settlement is not None:
        headers.append((PAYMENT_RESPONSE.lower().encode(), encode_header(settlement).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
