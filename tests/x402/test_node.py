"""x402 against a node: the facilitator holds the payee's key, checks and simulates on
the node (``accord_simulate``) and settles the payee's signed ``receiveWithAuthorization``
over JSON-RPC; the payment is on the node's chain; every refusal of the embedded flow
applies unchanged (``docs/x402.md``, "Against a node")."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import UnknownAccount
from accord.x402 import PaymentRequired, SettlementResponse, decode_header, encode_header
from accord.x402 import codes as C
from accord.x402.facilitator import next_block
from tests.x402 import test_flow as flow
from tests.x402.node_world import NodeWorld, node_world
from tests.x402.world import DEPOSIT, PAYEE, PAYER, PRICE, THIEF


@pytest.fixture
def world(tmp_path: Path) -> Iterator[NodeWorld]:
    with node_world(tmp_path / "node") as opened:
        yield opened


# The embedded flow's cases, run as they stand against the node world: the 402 and its
# PAYMENT-REQUIRED, paying per call, every unreadable or wrong header (400/402, one
# line, nothing changed on the node), wrong authorizations, tampering, the time window
# at the settlement block, replays, cancellations, the facilitator's /verify, /settle
# and /supported.
test_an_unpaid_request_gets_402_and_payment_required = (
    flow.test_an_unpaid_request_gets_402_and_payment_required
)
test_a_client_pays_once_per_call_and_keeps_count = (
    flow.test_a_client_pays_once_per_call_and_keeps_count
)
test_an_unreadable_header_is_400 = flow.test_an_unreadable_header_is_400
test_duplicated_keys_and_wrong_types_are_400 = flow.test_duplicated_keys_and_wrong_types_are_400
test_wrong_scheme_network_asset_pay_to_or_amount_is_402 = (
    flow.test_wrong_scheme_network_asset_pay_to_or_amount_is_402
)
test_a_bad_authorization_is_402_naming_the_reason = (
    flow.test_a_bad_authorization_is_402_naming_the_reason
)
test_a_tampered_field_breaks_the_signature = flow.test_a_tampered_field_breaks_the_signature
test_expired_and_not_yet_valid_are_refused_at_the_settlement_block = (
    flow.test_expired_and_not_yet_valid_are_refused_at_the_settlement_block
)
test_a_replayed_payment_is_refused = flow.test_a_replayed_payment_is_refused
test_a_canceled_authorization_cannot_be_paid_with = (
    flow.test_a_canceled_authorization_cannot_be_paid_with
)
test_settle_without_verify_is_refused_and_changes_nothing = (
    flow.test_settle_without_verify_is_refused_and_changes_nothing
)
test_verify_then_settle_once_then_a_double_settle_is_refused = (
    flow.test_verify_then_settle_once_then_a_double_settle_is_refused
)
test_supported_lists_the_kind_and_the_payees_it_signs_for = (
    flow.test_supported_lists_the_kind_and_the_payees_it_signs_for
)
test_requirements_the_facilitator_cannot_settle_are_refused = (
    flow.test_requirements_the_facilitator_cannot_settle_are_refused
)
test_facilitator_bodies_that_are_not_the_schema_are_400 = (
    flow.test_facilitator_bodies_that_are_not_the_schema_are_400
)
test_amounts_and_times_above_uint256_are_refused = (
    flow.test_amounts_and_times_above_uint256_are_refused
)


def test_402_then_pay_then_settled_on_the_node(world: NodeWorld) -> None:
    node, agents = world.node, world.agents
    assert node is not None and agents is not None
    for name in (PAYER, PAYEE, THIEF):  # the node can sign for nobody
        with pytest.raises(UnknownAccount):
            node.device.account(name)
    unpaid = world.http.get("/quote")
    assert unpaid.status_code == 402
    required = decode_header(
        unpaid.headers["PAYMENT-REQUIRED"], PaymentRequired, header="PAYMENT-REQUIRED"
    )
    assert required.accepts == (world.requirements,)
    eth = {w: node.device.balance(w, "ETH") for w in (PAYER, PAYEE)}
    number = node.device.number
    paid = world.client().request("GET", "/quote")
    assert paid.response.status_code == 200 and world.calls == ["http://testserver/quote"]
    header = paid.response.headers["PAYMENT-RESPONSE"]
    settlement = decode_header(header, SettlementResponse, header="PAYMENT-RESPONSE")
    assert settlement.success and settlement.amount == str(PRICE) and settlement.payer == PAYER
    # the settlement is the one transaction of the node's next block, sent by the payee
    assert node.device.number == number + 1
    (tx,) = node.device.blocks[-1].transactions
    assert settlement.transaction == "0x" + tx.hash.hex()
    assert (tx.sender, tx.to, tx.method) == (PAYEE, world.token, "receiveWithAuthorization")
    receipt = agents.receipt(tx.hash)  # over JSON-RPC
    assert receipt.ok and [e.name for e in receipt.events] == ["AuthorizationUsed", "Transfer"]
    assert receipt == node.device.receipt(tx.hash)
    # exact money: the price moved, the payer paid no gas, the payee paid the fee
    assert world.tokens(PAYEE) == PRICE and world.tokens(PAYER) == DEPOSIT - PRICE
    assert node.device.balance(PAYER, "ETH") == eth[PAYER]
    assert node.device.balance(PAYEE, "ETH") == eth[PAYEE] - receipt.fee_paid > 0
    world.backed()
    # the same PAYMENT-SIGNATURE again: refused, and nothing moves on the node
    signature = paid.response.request.headers["PAYMENT-SIGNATURE"]
    before = world.fingerprint()
    again = world.pay(signature)
    assert again.status_code == 402
    refused = decode_header(
        again.headers["PAYMENT-REQUIRED"], PaymentRequired, header="PAYMENT-REQUIRED"
    )
    assert (refused.error or "").startswith(C.NONCE_USED)
    assert world.fingerprint() == before and world.tokens(PAYEE) == PRICE


def test_a_node_sealing_on_its_timer_settles_without_the_admin_token(tmp_path: Path) -> None:
    with node_world(
        tmp_path / "node", facilitator_token=None, produce=next_block(), block_interval_ms=20
    ) as world:
        paid = world.client().request("GET", "/quote")
        assert paid.response.status_code == 200, paid.response.text
        assert paid.settlement is not None and paid.settlement.success
        assert world.tokens(PAYEE) == PRICE


def test_a_settlement_never_included_is_a_failed_response(tmp_path: Path) -> None:
    """No admin token and no timer: the settlement waits in the mempool, the client gets
    402 with the failure and never the route's body, after ``next_block``'s timeout."""
    with node_world(
        tmp_path / "node", facilitator_token=None, produce=next_block(timeout_s=0.2)
    ) as world:
        paid = world.pay(world.payload())
        assert paid.status_code == 402 and "route" not in paid.text
        failed = decode_header(
            paid.headers["PAYMENT-RESPONSE"], SettlementResponse, header="PAYMENT-RESPONSE"
        )
        assert failed.success is False and failed.errorReason == C.TRANSACTION_STATE
        assert "not included" in (failed.errorMessage or "")
        # the payer was refused the call, so it must never pay for it: the settlement
        # was withdrawn, and blocks sealed later do not carry it
        assert world.agents is not None and world.node is not None
        for _ in range(3):
            world.agents.build_block()
        assert world.tokens(PAYER) == DEPOSIT and world.tokens(PAYEE) == 0
        assert not any(
            tx.method == "receiveWithAuthorization"
            for block in world.node.device.blocks
            for tx in block.transactions
        )
        world.backed()


def test_a_settlement_sealed_while_it_is_withdrawn_is_served(tmp_path: Path) -> None:
    """The settlement lands after ``next_block``'s timeout, just before its withdrawal
    reaches the node: the replacement is refused (nonce used), the payer has paid, so
    the call is served (200, success), never refused after payment."""
    with node_world(
        tmp_path / "node", facilitator_token=None, produce=next_block(timeout_s=0.05)
    ) as world:
        payee, agents = world.payee, world.agents
        assert payee is not None and agents is not None
        real = payee.submit
        raced: list[bytes] = []

        def submit(tx: Any, **kw: Any) -> bytes:
            if tx.sender == PAYEE and tx.method == "":  # the withdrawal: seal first
                agents.build_block()
                raced.append(tx.hash)
            return real(tx, **kw)

        payee.submit = submit  # type: ignore[method-assign]
        paid = world.pay(world.payload())
        assert raced and paid.status_code == 200, paid.text
        ok = decode_header(
            paid.headers["PAYMENT-RESPONSE"], SettlementResponse, header="PAYMENT-RESPONSE"
        )
        assert ok.success is True
        assert world.tokens(PAYER) == DEPOSIT - PRICE and world.tokens(PAYEE) == PRICE
        agents.build_block()  # the refused withdrawal is nowhere
        assert world.node is not None
        assert all(tx.hash != raced[0] for b in world.node.device.blocks for tx in b.transactions)


def test_the_simulation_runs_on_the_node(world: NodeWorld) -> None:
    """A payee that cannot pay the settlement's gas fails verify's dry run (the node's
    accord_simulate), and nothing changes."""
    payee, node = world.payee, world.node
    assert payee is not None and node is not None
    simulated: list[Any] = []
    real = payee.simulate
    payee.simulate = lambda tx: simulated.append(tx) or real(tx)  # type: ignore[method-assign]
    assert world.pay(world.payload()).status_code == 200
    assert len(simulated) == 2  # verify, then settle's re-check
    left = node.device.balance(PAYEE, "ETH")
    fee = payee.default_max_fee() * 60_000
    payee.call(payee.account(PAYEE), THIEF, value={"ETH": left - fee}, gas_limit=60_000)
    world.calls.clear()
    refused = flow.refused(world, encode_header(world.payload()), 402, C.TRANSACTION_STATE)
    # the node's refusal, as the embedded dry run words it (field, then reason)
    assert refused.startswith(f"{C.TRANSACTION_STATE}: simulation: rejected: sender: ")
    assert f"{PAYEE} holds" in refused


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
    | JSON.map(lambda v: base64.b64encode(json.dumps(v).encode()).decode()),
    body=JSON,
)
def test_hostile_headers_and_facilitator_bodies_change_nothing_on_the_node(
    world: NodeWorld, header: str, body: Any
) -> None:
    before = world.fingerprint()
    response = world.pay(header)
    assert response.status_code in (400, 402)
    assert "\n" not in (
        decode_header(
            response.headers["PAYMENT-REQUIRED"], PaymentRequired, header="PAYMENT-REQUIRED"
        ).error
        or ""
    )
    for path in ("/verify", "/settle"):
        answer = world.facilitator_http.post(path, json=body)
        assert answer.status_code in (200, 400)
        reply = answer.json()
        assert reply.get("isValid", reply.get("success")) is False
    assert world.fingerprint() == before and world.calls == []
