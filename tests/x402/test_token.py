"""PaymentToken: EIP-3009's rules as exact assertions, and the front-runner."""

from __future__ import annotations

from typing import Any

import pytest

from accord.contracts.payments import (
    RECEIVE,
    TRANSFER,
    PaymentToken,
    authorization_message,
    cancel_message,
)
from accord.device import Receipt
from tests.x402.world import (
    DEPOSIT,
    GENESIS_MS,
    OTHER,
    PAYEE,
    PAYER,
    PRICE,
    THIEF,
    World,
    make_world,
    nonce,
)


@pytest.fixture
def world() -> World:
    return make_world()


def signed(
    world: World,
    kind: str,
    *,
    to: str = PAYEE,
    n: int = 1,
    after: int = 0,
    before: int | None = None,
    value: int = PRICE,
    signer: str = PAYER,
) -> tuple[Any, ...]:
    before = world.now() + 3600 if before is None else before
    message = authorization_message(
        kind,  # type: ignore[arg-type]
        token=world.token,
        name="Accord USD",
        version="1",
        from_=PAYER,
        to=to,
        value=value,
        valid_after=after,
        valid_before=before,
        nonce=nonce(n),
    )
    signature = world.device.account(signer).sign_message(message)
    return (PAYER, to, value, after, before, nonce(n), signature)


def call(world: World, who: str, method: str, *args: Any, **kw: Any) -> Receipt:
    return world.device.call(world.device.account(who), world.token, method, *args, **kw)


def test_setup_deposit_withdraw_keep_the_token_fully_backed(world: World) -> None:
    device = world.device
    assert device.view(world.token, "name") == "Accord USD"
    assert device.view(world.token, "version") == "1"
    assert device.view(world.token, "asset") == "USD"
    assert device.view(world.token, "totalSupply") == DEPOSIT
    usd = device.balance(PAYER, "USD")
    receipt = call(world, PAYER, "withdraw", 1_000)
    assert receipt.ok and device.balance(PAYER, "USD") == usd + 1_000
    assert world.tokens(PAYER) == DEPOSIT - 1_000
    assert call(world, PAYER, "deposit", OTHER, value={"USD": 7}).result == 7
    assert world.tokens(OTHER) == 7
    world.backed()
    for bad, reason in (
        (("withdraw", DEPOSIT), "insufficient balance: 'alice' holds 499000, needs 500000"),
        (("withdraw", -1), "value must be in [0, 2**256 - 1], got -1"),
        (("transfer", PAYEE, True), "value must be an int in base units, got bool"),
        (("deposit",), "deposit needs a positive value of USD sent with the call"),
        (("balanceOf", ""), "account must be a non-empty str, got str"),
    ):
        before = device.contract_at(world.token).storage()
        receipt = call(world, PAYER, *bad)
        assert receipt.status == "reverted" and receipt.error is not None
        assert receipt.error.endswith(reason), receipt.error
        assert device.contract_at(world.token).storage() == before
    receipt = call(world, PAYER, "transfer", PAYEE, 1, value={"USD": 1})
    assert receipt.error is not None and "takes no value" in receipt.error
    with pytest.raises(Exception, match="does not exist"):
        device.deploy(device.account(PAYER), PaymentToken, "NOPE", "x", "1")


def test_transfer_with_authorization_moves_once(world: World) -> None:
    args = signed(world, TRANSFER)
    receipt = call(world, OTHER, "transferWithAuthorization", *args)
    assert receipt.ok, receipt.error
    assert [(e.name, e.as_dict()) for e in receipt.events] == [
        ("AuthorizationUsed", {"authorizer": PAYER, "nonce": nonce(1)}),
        ("Transfer", {"from": PAYER, "to": PAYEE, "value": PRICE}),
    ]
    assert world.tokens(PAYEE) == PRICE
    assert world.device.view(world.token, "authorizationState", PAYER, nonce(1)) is True
    assert world.device.view(world.token, "authorizationStatus", PAYER, nonce(1)) == "used"
    again = call(world, OTHER, "transferWithAuthorization", *args)
    assert again.error == f"authorization is used: nonce 0x{nonce(1).hex()} of 'alice'"
    assert world.tokens(PAYEE) == PRICE


def test_the_window_is_strict_on_block_seconds(world: World) -> None:
    device = world.device
    nxt = (GENESIS_MS + (device.number + 1) * device.config.block_time_ms) // 1000
    r = call(world, OTHER, "transferWithAuthorization", *signed(world, TRANSFER, after=nxt))
    assert r.error == f"authorization is not yet valid: now {nxt} <= validAfter {nxt}"
    nxt += 12
    r = call(world, OTHER, "transferWithAuthorization", *signed(world, TRANSFER, n=2, before=nxt))
    assert r.error == f"authorization is expired: now {nxt} >= validBefore {nxt}"
    nxt += 12
    r = call(
        world,
        OTHER,
        "transferWithAuthorization",
        *signed(world, TRANSFER, n=3, after=nxt - 1, before=nxt + 1),
    )
    assert r.ok, r.error


def test_wrong_signer_type_payee_or_value_is_an_invalid_signature(world: World) -> None:
    for args in (
        signed(world, TRANSFER, signer=THIEF),
        signed(world, RECEIVE),  # a receive authorization is not a transfer authorization
        (*signed(world, TRANSFER)[:2], PRICE + 1, *signed(world, TRANSFER)[3:]),
    ):
        r = call(world, OTHER, "transferWithAuthorization", *args)
        assert r.error is not None and r.error.startswith("invalid signature: not 'alice'")
    assert world.tokens(PAYEE) == 0


def test_only_the_payee_may_receive(world: World) -> None:
    args = signed(world, RECEIVE)
    r = call(world, THIEF, "receiveWithAuthorization", *args)
    assert r.error == "caller must be the payee: 'mallory' is not 'svc'"
    assert call(world, PAYEE, "receiveWithAuthorization", *args).ok
    assert world.tokens(PAYEE) == PRICE


def front_run(world: World, method: str, args: tuple[Any, ...]) -> tuple[Receipt, Receipt]:
    """The payee submits ``method(args)``; the thief sees it in the public mempool and
    sends a copy with a higher tip; one block includes both."""
    device = world.device
    honest = device.sign(device.account(PAYEE), world.token, method, *args, priority_fee=1)
    device.submit(honest)
    (seen,) = [p for p in device.pending_view(THIEF) if p.tx.sender == PAYEE]
    copy = device.sign(
        device.account(THIEF), world.token, seen.tx.method, *seen.tx.args, priority_fee=50
    )
    device.submit(copy)
    block = device.build_block()
    assert [tx.sender for tx in block.transactions] == [THIEF, PAYEE]  # the copy runs first
    return device.receipt(copy.hash), device.receipt(honest.hash)


def test_a_front_runner_takes_a_transfer_authorization_from_its_relayer(world: World) -> None:
    thief, honest = front_run(world, "transferWithAuthorization", signed(world, TRANSFER))
    assert thief.ok  # the money still goes to the payee, but the relayer's call fails
    assert honest.error is not None and honest.error.startswith("authorization is used")
    assert world.tokens(PAYEE) == PRICE


def test_a_front_runner_cannot_take_a_receive_authorization(world: World) -> None:
    args = signed(world, RECEIVE)
    thief, honest = front_run(world, "receiveWithAuthorization", args)
    assert thief.error == "caller must be the payee: 'mallory' is not 'svc'"
    assert honest.ok
    copy = call(world, THIEF, "transferWithAuthorization", *args)  # nor by the other door
    assert copy.error is not None and copy.error.startswith("authorization is used")
    assert world.tokens(PAYEE) == PRICE and world.tokens(THIEF) == 0


def test_cancel_needs_the_authorizers_signature_and_is_final(world: World) -> None:
    message = cancel_message(
        token=world.token, name="Accord USD", version="1", authorizer=PAYER, nonce=nonce(9)
    )
    forged = world.device.account(THIEF).sign_message(message)
    r = call(world, THIEF, "cancelAuthorization", PAYER, nonce(9), forged)
    assert r.error == "invalid signature: not 'alice''s cancellation of this nonce"
    good = world.device.account(PAYER).sign_message(message)
    r = call(world, THIEF, "cancelAuthorization", PAYER, nonce(9), good)
    assert r.ok and [e.name for e in r.events] == ["AuthorizationCanceled"]
    assert world.device.view(world.token, "authorizationStatus", PAYER, nonce(9)) == "canceled"
    r = call(world, PAYEE, "receiveWithAuthorization", *signed(world, RECEIVE, n=9))
    assert r.error == f"authorization is canceled: nonce 0x{nonce(9).hex()} of 'alice'"
    r = call(world, THIEF, "cancelAuthorization", PAYER, nonce(9), good)
    assert r.error is not None and "is canceled" in r.error
