"""X402Client against hostile servers: a 402 it cannot read or will not pay is one
PaymentError line and signs nothing; it never signs more than its cap, pays at most
once per call, and counts only what was settled."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accord.x402 import PaymentError, PaymentPayload, X402Client, decode_header, encode_header
from tests.x402.world import PAYER, PRICE, make_world

WORLD = make_world()


def client_for(handler: Any, *, max_amount: int = PRICE) -> tuple[X402Client, list[Any]]:
    seen: list[Any] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)  # type: ignore[no-any-return]

    http = httpx.Client(transport=httpx.MockTransport(record), base_url="http://svc")
    client = X402Client(
        WORLD.device.account(PAYER),
        http,
        clock=lambda: 1_767_225_600,
        max_amount=max_amount,
        networks=["accord:1"],
    )
    return client, seen


def offer(**update: Any) -> dict[str, Any]:
    required = json.loads(base64.b64decode(WORLD.http.get("/quote").headers["PAYMENT-REQUIRED"]))
    required["accepts"][0].update(update)
    return dict(required)


def answer_402(required: Any, raw: str | None = None) -> Any:
    header = raw if raw is not None else base64.b64encode(json.dumps(required).encode()).decode()

    def handler(request: httpx.Request) -> httpx.Response:
        if "PAYMENT-SIGNATURE" in request.headers:
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(402, headers={"PAYMENT-REQUIRED": header})

    return handler


@pytest.mark.parametrize(
    ("required", "message"),
    [
        (offer(amount=str(PRICE + 1)), "amount 1001 above 1000"),
        (offer(network="eip155:8453"), "network 'eip155:8453'"),
        (offer(scheme="upto"), "scheme 'upto'"),
        ({**offer(), "accepts": []}, "none offered"),
    ],
)
def test_it_refuses_to_pay_what_it_should_not(required: Any, message: str) -> None:
    client, seen = client_for(answer_402(required))
    with pytest.raises(PaymentError, match=message):
        client.request("GET", "/x")
    assert len(seen) == 1  # nothing signed, nothing sent


def test_a_402_without_its_header_or_with_junk_is_one_line() -> None:
    client, _ = client_for(lambda r: httpx.Response(402))
    with pytest.raises(PaymentError, match="402 without a PAYMENT-REQUIRED header"):
        client.request("GET", "/x")
    client, _ = client_for(answer_402(None, raw="%%%"))
    with pytest.raises(PaymentError, match="PAYMENT-REQUIRED: not base64"):
        client.request("GET", "/x")


def test_it_pays_once_and_counts_only_what_settled() -> None:
    client, seen = client_for(answer_402(offer()))
    paid = client.request("GET", "/x")
    assert paid.response.status_code == 200 and len(seen) == 2
    sent = decode_header(
        seen[1].headers["PAYMENT-SIGNATURE"], PaymentPayload, header="PAYMENT-SIGNATURE"
    )
    assert sent.payload.authorization.value == str(PRICE)
    assert sent.payload.authorization.validAfter == str(1_767_225_600 - 600)
    assert sent.payload.authorization.validBefore == str(1_767_225_600 + 60)
    assert paid.settlement is None and client.spent == 0  # no PAYMENT-RESPONSE: nothing settled


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(amount=str(2**256), header=None)
@example(amount=str(2**256 - 1), header=None)
@example(amount="0", header=None)
@given(
    amount=st.integers(0, 2**256 + 5).map(str) | st.text(max_size=10),
    header=st.none() | st.text(max_size=60).filter(str.isascii),
)
def test_any_402_is_paid_within_the_cap_or_refused_in_one_line(amount: str, header: Any) -> None:
    required = offer(amount=amount)
    client, seen = client_for(answer_402(required, raw=header))
    try:
        client.request("GET", "/x")
    except PaymentError as exc:
        assert "\n" not in str(exc) and len(seen) == 1
        return
    sent = decode_header(
        seen[1].headers["PAYMENT-SIGNATURE"], PaymentPayload, header="PAYMENT-SIGNATURE"
    )
    assert int(sent.payload.authorization.value) <= PRICE
    assert encode_header(sent)  # a well-formed payload
