"""The facilitator against an oracle: generated authorizations are verified exactly when
EIP-3009's rules and the requirements say they should be, and settle exactly the price.

Each draw picks the signer, payer, payee, value, window and nonce independently (each
right most of the time), so most draws break one rule and some break none. The oracle
is the rules written out, in the facilitator's order; its reason code must be the one
the facilitator gives, and ``/settle`` after a valid ``/verify`` must move exactly the
price from the payer to the payee, once.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.x402 import SettleRequest, VerifyRequest
from accord.x402 import codes as C
from tests.x402.world import OTHER, PAYEE, PAYER, PRICE, THIEF, World, make_world


@lru_cache(maxsize=1)
def shared() -> World:
    world = make_world()
    device = world.device
    assert device.call(device.account(THIEF), world.token, "deposit", value={"USD": 500}).ok
    return world


def expected(world: World, d: dict[str, Any]) -> str | None:
    """The oracle: the reason code the rules give, or None for a valid payment."""
    at = (world.device.head.timestamp + world.device.config.block_time_ms) // 1000
    if d["to"] != PAYEE:
        return C.RECIPIENT_MISMATCH
    if d["value"] != PRICE:
        return C.VALUE_MISMATCH
    if at <= d["after"]:
        return C.VALID_AFTER
    if at >= d["before"]:
        return C.VALID_BEFORE
    if d["signer"] != d["from_"]:
        return C.SIGNATURE
    if world.device.view(world.token, "authorizationState", d["from_"], d["nonce"]):
        return C.NONCE_USED
    if world.tokens(d["from_"]) < d["value"]:
        return C.INSUFFICIENT_FUNDS
    return None


DRAWS = st.fixed_dictionaries(
    {
        "signer": st.sampled_from((PAYER, PAYER, PAYER, THIEF)),
        "from_": st.sampled_from((PAYER, PAYER, PAYER, THIEF, OTHER)),
        "to": st.sampled_from((PAYEE, PAYEE, PAYEE, OTHER)),
        "value": st.sampled_from((PRICE, PRICE, PRICE, PRICE - 1, PRICE + 1, 0)),
        "after_offset": st.sampled_from((-600, -600, -1, 0, 1, 12, 13)),
        "before_offset": st.sampled_from((60, 60, 13, 12, 11, 0)),
        "nonce": st.integers(0, 40),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(draw=DRAWS)
def test_verify_and_settle_agree_with_the_rules(draw: dict[str, Any]) -> None:
    world = shared()
    now = world.now()
    d = dict(draw)
    d["after"], d["before"] = now + d.pop("after_offset"), now + d.pop("before_offset")
    n = d["nonce"]
    d["nonce"] = n.to_bytes(32, "big")
    payload = world.payload(
        signer=d["signer"],
        from_=d["from_"],
        to=d["to"],
        value=d["value"],
        after=d["after"],
        before=d["before"],
        n=n,
    )
    request = VerifyRequest(
        x402Version=2, paymentPayload=payload, paymentRequirements=world.requirements
    )
    want = expected(world, d)
    before = world.fingerprint()
    verdict = world.facilitator.verify(request)
    assert world.fingerprint() == before
    assert verdict.invalidReason == want, (verdict, d)
    assert verdict.isValid is (want is None)
    payer, payee = world.tokens(d["from_"]), world.tokens(PAYEE)
    settled = world.facilitator.settle(SettleRequest(**dict(request)))
    if want is None:
        assert settled.success, settled
        assert world.tokens(d["from_"]) == payer - PRICE
        assert world.tokens(PAYEE) == payee + PRICE
        again = world.facilitator.settle(SettleRequest(**dict(request)))
        assert again.errorReason == C.NONCE_USED
    else:  # nothing verified, nothing settles (a nonce it settled itself: named as used)
        used = world.device.view(world.token, "authorizationState", d["from_"], d["nonce"])
        allowed = {C.PAYMENT_NOT_VERIFIED} | ({C.NONCE_USED} if used else set())
        assert settled.success is False and settled.errorReason in allowed, settled
        assert world.fingerprint() == before
    world.backed()


def test_concurrent_settles_of_one_payment_settle_it_once() -> None:
    world = make_world()
    request = VerifyRequest(
        x402Version=2, paymentPayload=world.payload(), paymentRequirements=world.requirements
    )
    assert world.facilitator.verify(request).isValid
    results: list[Any] = []

    def settle() -> None:
        results.append(world.facilitator.settle(SettleRequest(**dict(request))))

    threads = [threading.Thread(target=settle) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.success for r in results) == [False] * 7 + [True]
    assert {r.errorReason for r in results if not r.success} == {C.NONCE_USED}
    assert world.tokens(PAYEE) == PRICE


def test_another_protocol_version_is_refused() -> None:
    world = make_world()
    payload = world.payload().model_copy(update={"x402Version": 1})
    request = VerifyRequest(
        x402Version=2, paymentPayload=payload, paymentRequirements=world.requirements
    )
    assert world.facilitator.verify(request).invalidReason == C.INVALID_VERSION
    request = VerifyRequest(
        x402Version=3, paymentPayload=world.payload(), paymentRequirements=world.requirements
    )
    assert world.facilitator.verify(request).invalidReason == C.INVALID_VERSION


def test_the_facilitators_memory_is_bounded_and_forgets_the_oldest(monkeypatch: Any) -> None:
    from accord.x402 import facilitator as F

    monkeypatch.setattr(F, "MAX_VERIFIED", 2)
    world = make_world()
    requests = [
        VerifyRequest(
            x402Version=2, paymentPayload=world.payload(), paymentRequirements=world.requirements
        )
        for _ in range(3)
    ]
    for request in requests:
        assert world.facilitator.verify(request).isValid
    assert len(world.facilitator.verified) == 2
    first = world.facilitator.settle(SettleRequest(**dict(requests[0])))
    assert first.errorReason == C.PAYMENT_NOT_VERIFIED  # forgotten: verify it again
    for request in requests[1:]:
        assert world.facilitator.settle(SettleRequest(**dict(request))).success
    assert world.facilitator.verify(requests[0]).isValid
    assert world.facilitator.settle(SettleRequest(**dict(requests[0]))).success
    assert len(world.facilitator.settled) == 2
    assert world.tokens(PAYEE) == 3 * PRICE
