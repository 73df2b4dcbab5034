"""x402 end to end: 402, pay, retry, settle on the device, PAYMENT-RESPONSE; every refusal."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from accord.contracts.payments import cancel_message
from accord.x402 import (
    PaidRoute,
    PaymentMiddleware,
    PaymentRequired,
    SettlementResponse,
    decode_header,
    encode_header,
)
from accord.x402 import codes as C
from tests.x402.world import DEPOSIT, OTHER, PAYEE, PAYER, PRICE, THIEF, World, make_world


@pytest.fixture
def world() -> World:
    return make_world()


def required_of(response: Any) -> PaymentRequired:
    return decode_header(
        response.headers["PAYMENT-REQUIRED"], PaymentRequired, header="PAYMENT-REQUIRED"
    )


def test_an_unpaid_request_gets_402_and_payment_required(world: World) -> None:
    response = world.http.get("/quote")
    assert response.status_code == 402
    required = required_of(response)
    assert required.x402Version == 2
    assert required.error == "PAYMENT-SIGNATURE header is required"
    assert required.resource.url == "http://testserver/quote"
    assert required.resource.description == "a routing quote"
    (offer,) = required.accepts
    assert offer.scheme == "exact"
    assert offer.network == "accord:1"
    assert offer.amount == "1000"
    assert offer.asset == world.token
    assert offer.payTo == PAYEE
    assert offer.maxTimeoutSeconds == 60
    assert offer.extra == {
        "name": "Accord USD",
        "version": "1",
        "assetTransferMethod": "eip3009",
        "primaryType": "ReceiveWithAuthorization",
    }
    assert response.json() == json.loads(base64.b64decode(response.headers["PAYMENT-REQUIRED"]))
    assert world.calls == []
    assert world.http.get("/free").json() == {"free": True}  # unpriced routes pass through


def test_pay_retry_settle_with_exact_balances_and_fees(world: World) -> None:
    device = world.device
    eth_supply = device.supply("ETH")
    before = {w: (world.tokens(w), world.eth(w)) for w in (PAYER, PAYEE, "builder")}
    number = device.number
    paid = world.client().request("GET", "/quote")
    assert paid.response.status_code == 200
    assert paid.response.json() == {"route": ["USD", "ETH"], "out": 1234}
    settlement = paid.settlement
    assert settlement is not None and settlement.success
    assert settlement.payer == PAYER and settlement.amount == "1000"
    assert settlement.network == "accord:1"
    assert device.number == number + 1  # one block: the settlement
    (tx,) = device.blocks[-1].transactions
    assert settlement.transaction == "0x" + tx.hash.hex()
    assert (tx.sender, tx.to, tx.method) == (PAYEE, world.token, "receiveWithAuthorization")
    receipt = device.receipt(tx.hash)
    assert receipt.ok and receipt.fee_paid > 0
    events = [e.name for e in receipt.events]
    assert events == ["AuthorizationUsed", "Transfer"]
    # the payer pays exactly the price and no gas; the payee gets the price, pays the gas
    assert world.tokens(PAYER) == before[PAYER][0] - PRICE == DEPOSIT - PRICE
    assert world.eth(PAYER) == before[PAYER][1]
    assert world.tokens(PAYEE) == before[PAYEE][0] + PRICE == PRICE
    assert world.eth(PAYEE) == before[PAYEE][1] - receipt.fee_paid
    assert world.eth("builder") == before["builder"][1] + receipt.tip_paid
    burned = receipt.fee_paid - receipt.tip_paid
    assert device.supply("ETH") == eth_supply - burned
    world.backed()
    assert world.client().spent == 0  # a fresh client has spent nothing
    assert len(world.calls) == 1


def test_a_client_pays_once_per_call_and_keeps_count(world: World) -> None:
    client = world.client()
    for _ in range(3):
        assert client.request("GET", "/quote").response.status_code == 200
    assert client.spent == 3 * PRICE
    assert world.tokens(PAYEE) == 3 * PRICE
    assert world.tokens(PAYER) == DEPOSIT - 3 * PRICE


def refused(world: World, header: str, status: int, reason: str) -> str:
    """Send ``header``; it must be refused with ``status``, naming ``reason``, and change
    nothing (no block, same state, the route not run)."""
    before = world.fingerprint()
    response = world.pay(header)
    assert response.status_code == status, response.text
    error = required_of(response).error or ""
    assert error.startswith(reason), error
    assert "\n" not in error
    assert world.fingerprint() == before
    assert world.calls == []
    return error


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("not base64 !!", "invalid_payload: PAYMENT-SIGNATURE: not base64"),
        ("", "invalid_payload: PAYMENT-SIGNATURE: empty"),
        (b64("{not json"), "invalid_payload: PAYMENT-SIGNATURE: not JSON"),
        (b64("[1, 2]"), "invalid_payload: PAYMENT-SIGNATURE: must be a JSON object"),
        (b64('{"x402Version": NaN}'), "invalid_payload: PAYMENT-SIGNATURE: not JSON"),
        (b64(b"\xff\xfe"), "invalid_payload: PAYMENT-SIGNATURE: not JSON"),
        (b64('{"x402Version": 2}'), "invalid_payload: PAYMENT-SIGNATURE: accepted: Field required"),
        ("A" * 20_000, "invalid_payload: PAYMENT-SIGNATURE: 20000 characters"),
    ],
)
def test_an_unreadable_header_is_400(world: World, header: str, reason: str) -> None:
    refused(world, header, 400, reason)


def test_duplicated_keys_and_wrong_types_are_400(world: World) -> None:
    good = json.loads(base64.b64decode(encode_header(world.payload())))
    text = json.dumps(good)
    doubled = text.replace('"x402Version": 2', '"x402Version": 2, "x402Version": 2', 1)
    refused(world, b64(doubled), 400, "invalid_payload: PAYMENT-SIGNATURE: not JSON we accept")
    for path, junk, where in (
        (("x402Version",), "2", "x402Version"),
        (("payload", "authorization", "value"), 1000, "payload.authorization.value"),
        (("payload", "authorization", "value"), "-1", "payload.authorization.value"),
        (("payload", "authorization", "value"), "01000", "payload.authorization.value"),
        (("payload", "authorization", "nonce"), "0x12", "payload.authorization.nonce"),
        (("payload", "signature"), "zz", "payload.signature"),
        (("accepted", "maxTimeoutSeconds"), True, "accepted.maxTimeoutSeconds"),
    ):
        bad = json.loads(text)
        node = bad
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = junk
        refused(world, b64(json.dumps(bad)), 400, f"invalid_payload: PAYMENT-SIGNATURE: {where}")


def test_wrong_scheme_network_asset_pay_to_or_amount_is_402(world: World) -> None:
    req = world.requirements
    for field, value, reason in (
        ("scheme", "upto", C.INVALID_SCHEME),
        ("network", "accord:2", C.INVALID_NETWORK),
        ("network", "eip155:8453", C.INVALID_NETWORK),
        ("asset", "USD", C.INVALID_PAYLOAD),
        ("payTo", THIEF, C.RECIPIENT_MISMATCH),
        ("amount", "999", C.VALUE_MISMATCH),
    ):
        accepted = req.model_copy(update={field: value})
        error = refused(world, encode_header(world.payload(accepted=accepted)), 402, reason)
        assert f"accepted.{field}" in error


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"value": PRICE - 1}, C.VALUE_MISMATCH),
        ({"value": PRICE + 1}, C.VALUE_MISMATCH),
        ({"to": OTHER}, C.RECIPIENT_MISMATCH),
        ({"signer": THIEF}, C.SIGNATURE),
        ({"from_": THIEF, "signer": PAYER}, C.SIGNATURE),
        ({"kind": "TransferWithAuthorization"}, C.SIGNATURE),
        ({"from_": OTHER, "signer": OTHER}, C.INSUFFICIENT_FUNDS),
    ],
)
def test_a_bad_authorization_is_402_naming_the_reason(
    world: World, kwargs: dict[str, Any], reason: str
) -> None:
    refused(world, encode_header(world.payload(**kwargs)), 402, reason)


def test_a_tampered_field_breaks_the_signature(world: World) -> None:
    def more(fields: dict[str, Any]) -> None:
        fields["validBefore"] = str(int(fields["validBefore"]) + 3600)

    refused(world, encode_header(world.payload(tamper=more)), 402, C.SIGNATURE)


def test_expired_and_not_yet_valid_are_refused_at_the_settlement_block(world: World) -> None:
    settle_at = (world.device.head.timestamp + world.device.config.block_time_ms) // 1000
    refused(world, encode_header(world.payload(before=settle_at)), 402, C.VALID_BEFORE)
    refused(world, encode_header(world.payload(after=settle_at)), 402, C.VALID_AFTER)
    # one second inside either bound is valid (EIP-3009's strict inequalities)
    ok = world.pay(world.payload(after=settle_at - 1, before=settle_at + 1))
    assert ok.status_code == 200


def test_a_replayed_payment_is_refused(world: World) -> None:
    payload = world.payload(n=5)
    assert world.pay(payload).status_code == 200
    world.calls.clear()
    error = refused(world, encode_header(payload), 402, C.NONCE_USED)
    assert "is used" in error
    # the same nonce in a fresh authorization is refused too: nonces are per authorizer
    refused(world, encode_header(world.payload(n=5, before=world.now() + 50)), 402, C.NONCE_USED)
    # another authorizer may use the same nonce
    world.device.call(world.device.account(THIEF), world.token, "deposit", value={"USD": PRICE})
    assert world.pay(world.payload(n=5, from_=THIEF, signer=THIEF)).status_code == 200


def test_a_canceled_authorization_cannot_be_paid_with(world: World) -> None:
    payload = world.payload(n=77)
    message = cancel_message(
        token=world.token,
        name="Accord USD",
        version="1",
        authorizer=PAYER,
        nonce=(77).to_bytes(32, "big"),
    )
    signature = world.device.account(PAYER).sign_message(message)
    receipt = world.device.call(
        world.device.account(THIEF),
        world.token,
        "cancelAuthorization",
        PAYER,
        (77).to_bytes(32, "big"),
        signature,
    )
    assert receipt.ok, receipt.error
    error = refused(world, encode_header(payload), 402, C.NONCE_USED)
    assert "canceled" in error


def post(world: World, path: str, payload: Any) -> dict[str, Any]:
    body = {
        "x402Version": 2,
        "paymentPayload": json.loads(base64.b64decode(encode_header(payload))),
        "paymentRequirements": world.requirements.model_dump(mode="json", exclude_none=True),
    }
    response = world.facilitator_http.post(path, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_settle_without_verify_is_refused_and_changes_nothing(world: World) -> None:
    before = world.fingerprint()
    answer = post(world, "/settle", world.payload())
    assert answer["success"] is False
    assert answer["errorReason"] == C.PAYMENT_NOT_VERIFIED
    assert answer["transaction"] == "" and answer["network"] == "accord:1"
    assert world.fingerprint() == before


def test_verify_then_settle_once_then_a_double_settle_is_refused(world: World) -> None:
    payload = world.payload()
    before = world.fingerprint()
    assert post(world, "/verify", payload) == {"isValid": True, "payer": PAYER}
    assert world.fingerprint() == before  # verifying changes nothing on the device
    first = post(world, "/settle", payload)
    assert first["success"] is True and first["amount"] == "1000"
    assert world.tokens(PAYEE) == PRICE
    after = world.fingerprint()
    again = post(world, "/settle", payload)
    assert again["success"] is False and again["errorReason"] == C.NONCE_USED
    assert first["transaction"] in again["errorMessage"]
    assert post(world, "/verify", payload)["invalidReason"] == C.NONCE_USED
    assert world.fingerprint() == after
    assert world.tokens(PAYEE) == PRICE


def test_supported_lists_the_kind_and_the_payees_it_signs_for(world: World) -> None:
    assert world.facilitator_http.get("/supported").json() == {
        "kinds": [{"x402Version": 2, "scheme": "exact", "network": "accord:1"}],
        "extensions": [],
        "signers": {"accord:*": [PAYEE]},
    }


def test_requirements_the_facilitator_cannot_settle_are_refused(world: World) -> None:
    for update in ({"payTo": OTHER}, {"asset": "0xdead"}, {"extra": {"name": "x"}}):
        requirements = world.requirements.model_copy(update=update)
        payload = world.payload(accepted=requirements, to=requirements.payTo)
        body = {
            "x402Version": 2,
            "paymentPayload": json.loads(base64.b64decode(encode_header(payload))),
            "paymentRequirements": requirements.model_dump(mode="json", exclude_none=True),
        }
        answer = world.facilitator_http.post("/verify", json=body).json()
        assert answer["isValid"] is False
        assert answer["invalidReason"] == C.INVALID_REQUIREMENTS, answer


def test_facilitator_bodies_that_are_not_the_schema_are_400(world: World) -> None:
    before = world.fingerprint()
    for path in ("/verify", "/settle"):
        for body in (b"", b"{", b"[]", b'{"x402Version": 2}', b'{"a": 1, "a": 2}'):
            response = world.facilitator_http.post(path, content=body)
            assert response.status_code == 400
            answer = response.json()
            assert answer.get("invalidReason", answer.get("errorReason")) == C.INVALID_PAYLOAD
        big = world.facilitator_http.post(path, content=b" " * (65 * 1024))
        assert big.status_code == 413
    assert world.facilitator_http.get("/verify").status_code == 405
    assert world.fingerprint() == before


def test_a_payer_who_drains_between_verify_and_settle_gets_no_response() -> None:
    world = make_world()

    class Draining:
        def verify(self, request: Any) -> Any:
            return world.facilitator.verify(request)

        def settle(self, request: Any) -> Any:
            all_in = world.tokens(PAYER)
            device = world.device
            assert device.call(device.account(PAYER), world.token, "transfer", OTHER, all_in).ok
            return world.facilitator.settle(request)

        def supported(self) -> Any:
            return world.facilitator.supported()

    async def quote(request: Any) -> JSONResponse:
        return JSONResponse({"route": ["USD", "ETH"]})

    starlette = Starlette(routes=[Route("/quote", quote)])
    starlette.add_middleware(
        PaymentMiddleware,
        facilitator=Draining(),
        routes=[PaidRoute("/quote", (world.requirements,))],
    )
    world.http = TestClient(starlette)
    response = world.pay(world.payload())
    assert response.status_code == 402
    assert "route" not in response.text  # the route ran, but its body is withheld
    result = decode_header(
        response.headers["PAYMENT-RESPONSE"], SettlementResponse, header="PAYMENT-RESPONSE"
    )
    assert result.success is False and result.errorReason == C.INSUFFICIENT_FUNDS
    assert world.tokens(PAYEE) == 0


def test_a_failing_route_is_not_charged() -> None:
    world = make_world(route_status=500)
    before = world.fingerprint()
    response = world.pay(world.payload())
    assert response.status_code == 500
    assert "PAYMENT-RESPONSE" not in response.headers
    assert world.fingerprint() == before
    assert world.tokens(PAYER) == DEPOSIT


def test_a_front_runner_copying_the_settlement_gets_nothing() -> None:
    stolen: list[Any] = []

    def produce(device: Any) -> None:  # the thief watches the public mempool
        (seen,) = [p for p in device.pending_view(THIEF) if p.tx.sender == PAYEE]
        tx = seen.tx
        copy = device.sign(device.account(THIEF), tx.to, tx.method, *tx.args, priority_fee=50)
        device.submit(copy)
        stolen.append(copy)
        device.build_block()

    world = make_world(produce=produce)
    thief_eth = world.eth(THIEF)
    paid = world.client().request("GET", "/quote")
    assert paid.response.status_code == 200 and paid.settlement is not None
    assert paid.settlement.success
    (copy,) = stolen
    block = world.device.blocks[-1]
    assert [tx.sender for tx in block.transactions] == [THIEF, PAYEE]
    receipt = world.device.receipt(copy.hash)
    assert receipt.error == "caller must be the payee: 'mallory' is not 'svc'"
    assert world.eth(THIEF) == thief_eth - receipt.fee_paid  # it paid to try
    assert world.tokens(PAYEE) == PRICE and world.tokens(THIEF) == 0
    world.backed()


def test_amounts_and_times_above_uint256_are_refused(world: World) -> None:
    for field in ("value", "validAfter", "validBefore"):
        data = json.loads(base64.b64decode(encode_header(world.payload())))
        data["payload"]["authorization"][field] = str(2**256)
        error = refused(world, b64(json.dumps(data)), 402, C.INVALID_PAYLOAD)
        assert "above 2**256 - 1" in error


def test_a_payee_that_cannot_pay_the_gas_fails_the_simulation_and_nothing_changes() -> None:
    from accord.x402 import Facilitator, VerifyRequest, payment_requirements

    world = make_world()
    device = world.device
    poor = device.open_account("poor")
    assert poor is not None and device.balance("poor", "ETH") == 0
    facilitator = Facilitator(device, [world.token], [poor])
    requirements = payment_requirements(device.chain_id, world.info, "poor", PRICE)
    request = VerifyRequest(
        x402Version=2,
        paymentPayload=world.payload(to="poor", accepted=requirements),
        paymentRequirements=requirements,
    )
    before = world.fingerprint()
    verdict = facilitator.verify(request)
    assert verdict.isValid is False and verdict.invalidReason == C.TRANSACTION_STATE
    assert (verdict.invalidMessage or "").startswith("simulation: rejected: sender")
    assert world.fingerprint() == before
