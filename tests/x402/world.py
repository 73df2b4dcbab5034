"""A device with a PaymentToken, a paid route and its facilitator, shared by the x402 tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from accord.contracts.payments import RECEIVE, PaymentToken, authorization_message
from accord.device import AssetSpec, Device, DeviceConfig, Genesis, checks
from accord.device.keys import Keyring
from accord.x402 import (
    Facilitator,
    PaidRoute,
    PaymentMiddleware,
    PaymentPayload,
    PaymentRequirements,
    TokenInfo,
    X402Client,
    device_clock,
    encode_header,
    facilitator_app,
    network_id,
    payment_requirements,
)
from accord.x402.schemas import Authorization, ExactPayload

PAYER, PAYEE, THIEF, OTHER = "alice", "svc", "mallory", "bob"
PRICE = 1_000
DEPOSIT = 500_000
GENESIS_MS = 1_767_225_600_000
"""2026-01-01T00:00:00Z: the device's clock starts at a real unix time."""


def nonce(n: int) -> bytes:
    return n.to_bytes(32, "big")


def make_device(keyring: Keyring | None = None, **config: Any) -> Device:
    people = (PAYER, PAYEE, THIEF, OTHER)
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=dict.fromkeys(people, 10**18)),
            "USD": AssetSpec(issuer="fed", alloc=dict.fromkeys((PAYER, THIEF), 1_000_000)),
        }
    )
    device = Device(
        DeviceConfig(genesis_time_ms=GENESIS_MS, **config), genesis, seed=3, keyring=keyring
    )
    checks.check_every_block(device)
    return device


@dataclass
class World:
    device: Device
    token: str
    info: TokenInfo
    requirements: PaymentRequirements
    facilitator: Facilitator
    http: TestClient
    facilitator_http: TestClient
    calls: list[str] = field(default_factory=list)
    nonces: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- reading -----------------------------------------------------------------------
    def tokens(self, who: str) -> int:
        return int(self.device.view(self.token, "balanceOf", who))

    def eth(self, who: str) -> int:
        return self.device.balance(who, "ETH")

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything a refusal must leave alone."""
        d = self.device
        return (d.number, d.state_hash(), d.contract_at(self.token).storage())

    def backed(self) -> None:
        """The token's invariant: supply = the sum of balances = the USD it holds."""
        storage = self.device.contract_at(self.token).storage()
        supply = storage.get("supply", 0)
        assert sum(storage.get("balances", {}).values()) == supply
        assert self.device.balance(self.token, "USD") == supply

    # -- paying ------------------------------------------------------------------------
    def client(self, who: str = PAYER, *, max_amount: int = 10 * PRICE) -> X402Client:
        return X402Client(
            self.device.account(who),
            self.http,
            clock=device_clock(self.device),
            max_amount=max_amount,
            networks=[network_id(self.device.chain_id)],
            nonces=lambda: nonce(next(self.nonces)),
        )

    def now(self) -> int:
        return self.device.now // 1000

    def payload(
        self,
        *,
        signer: str = PAYER,
        from_: str = PAYER,
        to: str = PAYEE,
        value: int = PRICE,
        after: int | None = None,
        before: int | None = None,
        n: int | None = None,
        accepted: PaymentRequirements | None = None,
        kind: str = RECEIVE,
        tamper: Callable[[dict[str, Any]], None] | None = None,
    ) -> PaymentPayload:
        """A payload signed by ``signer`` for these fields (defaults: a valid payment)."""
        now = self.now()
        after = now - 600 if after is None else after
        before = now + 60 if before is None else before
        key = nonce(next(self.nonces) if n is None else n)
        message = authorization_message(
            kind,  # type: ignore[arg-type]
            token=self.token,
            name=self.info.name,
            version=self.info.version,
            from_=from_,
            to=to,
            value=value,
            valid_after=after,
            valid_before=before,
            nonce=key,
        )
        fields: dict[str, Any] = {
            "from": from_,
            "to": to,
            "value": str(value),
            "validAfter": str(after),
            "validBefore": str(before),
            "nonce": "0x" + key.hex(),
        }
        if tamper is not None:
            tamper(fields)
        signature = self.device.account(signer).sign_message(message)
        return PaymentPayload(
            x402Version=2,
            accepted=accepted or self.requirements,
            payload=ExactPayload(
                signature="0x" + signature.hex(), authorization=Authorization(**fields)
            ),
        )

    def pay(self, payload: PaymentPayload | str) -> Any:
        header = payload if isinstance(payload, str) else encode_header(payload)
        return self.http.get("/quote", headers={"PAYMENT-SIGNATURE": header})


def make_world(
    keyring: Keyring | None = None,
    *,
    produce: Callable[[Device], None] | None = None,
    route_status: int = 200,
    **config: Any,
) -> World:
    device = make_device(keyring, **config)
    token = open_token(device)
    kwargs = {} if produce is None else {"produce": produce}
    facilitator = Facilitator(device, [token], [device.account(PAYEE)], **kwargs)
    return assemble(World, device, token, facilitator, route_status=route_status)


def open_token(device: Any) -> str:
    """Deploy the PaymentToken and wrap the payer's deposit (any agent-facing device)."""
    token: str = device.deploy(device.account(PAYER), PaymentToken, "USD", "Accord USD", "1")
    receipt = device.call(device.account(PAYER), token, "deposit", value={"USD": DEPOSIT})
    assert receipt.ok, receipt.error
    return token


W = TypeVar("W", bound=World)


def assemble(
    cls: type[W],
    device: Any,
    token: str,
    facilitator: Facilitator,
    *,
    route_status: int = 200,
    **extra: Any,
) -> W:
    """The resource server (a paid ``/quote``, a free ``/free``) in front of
    ``facilitator``, and the world around them."""
    info = TokenInfo.read(device, token)
    requirements = payment_requirements(device.chain_id, info, PAYEE, PRICE)
    calls: list[str] = []

    async def quote(request: Request) -> JSONResponse:
        calls.append(str(request.url))
        return JSONResponse({"route": ["USD", "ETH"], "out": 1234}, status_code=route_status)

    async def free(request: Request) -> JSONResponse:
        return JSONResponse({"free": True})

    app = Starlette(routes=[Route("/quote", quote), Route("/free", free)])
    app.add_middleware(
        PaymentMiddleware,
        facilitator=facilitator,
        routes=[PaidRoute("/quote", (requirements,), "a routing quote")],
    )
    return cls(
        device,
        token,
        info,
        requirements,
        facilitator,
        TestClient(app),
        TestClient(facilitator_app(facilitator)),
        calls,
        **extra,
    )
