"""The middleware with a facilitator reached over HTTP (HttpFacilitator)."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from accord.x402 import HttpFacilitator, PaidRoute, PaymentMiddleware
from accord.x402 import codes as C
from tests.x402.world import PAYEE, PAYER, PRICE, make_world


def test_a_remote_facilitator_verifies_and_settles_over_http() -> None:
    world = make_world()
    remote = HttpFacilitator(world.facilitator_http, network="accord:1")
    assert remote.supported().signers == {"accord:*": (PAYEE,)}

    async def quote(request: object) -> JSONResponse:
        return JSONResponse({"out": 1})

    app = Starlette(routes=[Route("/quote", quote)])
    app.add_middleware(
        PaymentMiddleware, facilitator=remote, routes=[PaidRoute("/quote", (world.requirements,))]
    )
    world.http = TestClient(app)
    paid = world.client().request("GET", "/quote")
    assert paid.response.status_code == 200 and paid.response.json() == {"out": 1}
    assert paid.settlement is not None and paid.settlement.success
    assert world.tokens(PAYEE) == PRICE and world.tokens(PAYER) == 500_000 - PRICE


def test_an_unreachable_facilitator_is_an_unexpected_error_not_a_crash() -> None:
    world = make_world()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = httpx.Client(transport=httpx.MockTransport(refuse), base_url="http://facilitator")
    remote = HttpFacilitator(down, network="accord:1")
    from accord.x402 import SettleRequest, VerifyRequest

    request = VerifyRequest(
        x402Version=2, paymentPayload=world.payload(), paymentRequirements=world.requirements
    )
    verdict = remote.verify(request)
    assert verdict.isValid is False and verdict.invalidReason == C.UNEXPECTED_VERIFY
    settled = remote.settle(SettleRequest(**dict(request)))
    assert settled.success is False and settled.errorReason == C.UNEXPECTED_SETTLE
    assert "connection refused" in (settled.errorMessage or "")


def test_a_facilitator_that_raises_is_a_500_and_the_body_is_withheld() -> None:
    world = make_world()

    class Broken:
        def __init__(self, fail_in: str) -> None:
            self.fail_in = fail_in

        def verify(self, request: object) -> object:
            if self.fail_in == "verify":
                raise RuntimeError("verify exploded")
            return world.facilitator.verify(request)  # type: ignore[arg-type]

        def settle(self, request: object) -> object:
            raise RuntimeError("settle exploded")

        def supported(self) -> object:
            return world.facilitator.supported()

    async def quote(request: object) -> JSONResponse:
        return JSONResponse({"secret": 1})

    for where in ("verify", "settle"):
        app = Starlette(routes=[Route("/quote", quote)])
        app.add_middleware(
            PaymentMiddleware,
            facilitator=Broken(where),
            routes=[PaidRoute("/quote", (world.requirements,))],
        )
        world.http = TestClient(app)
        before = world.fingerprint()
        response = world.pay(world.payload())
        assert response.status_code == 500
        assert "secret" not in response.text
        assert f"unexpected_{where}_error: RuntimeError: {where} exploded" in response.text
        assert world.fingerprint() == before
