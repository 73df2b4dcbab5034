"""Generated hostile input against every x402 entry point and every PaymentToken method.

* the middleware: any ``PAYMENT-SIGNATURE`` (text, base64 of bytes, of any JSON, of a
  valid payload with one field replaced by junk) is a 400 or a 402 with a one-line
  error and changes nothing, or, if what is left is still a valid payment, settles
  exactly the price;
* the facilitator: any body to ``/verify`` or ``/settle`` is answered with the
  schema's response, never a 500, and changes nothing (nothing is verified, so
  nothing settles);
* the token: sequences of hostile calls of every method, by any user, with real
  signatures for the right or wrong signer, window, payee, value and nonce, with the
  shared checks of :class:`~tests.contracts.hostile_args.Hostile` and the token's
  backing after every call.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.payments import (
    RECEIVE,
    TRANSFER,
    PaymentToken,
    authorization_message,
    cancel_message,
)
from accord.device import Device
from accord.x402 import PaymentRequired, decode_header, encode_header
from tests.contracts.hostile_args import (
    USERS,
    Hostile,
    amounts,
    call,
    hostile_device,
    mixed,
    names,
    steps,
)
from tests.x402.world import PAYEE, PRICE, World, make_world

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**300), 2**300) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
JUNK_JSON = st.one_of(
    JSON,
    st.sampled_from(["", "0x", "-1", "1e3", "1000.0", " 1000", "0x" + "00" * 32 + "00", "a" * 300]),
    st.integers(-(2**256), 2**257),
)
PATHS = (
    ("x402Version",),
    ("accepted",),
    ("accepted", "scheme"),
    ("accepted", "network"),
    ("accepted", "amount"),
    ("accepted", "asset"),
    ("accepted", "payTo"),
    ("accepted", "maxTimeoutSeconds"),
    ("accepted", "extra"),
    ("payload",),
    ("payload", "signature"),
    ("payload", "authorization"),
    ("payload", "authorization", "from"),
    ("payload", "authorization", "to"),
    ("payload", "authorization", "value"),
    ("payload", "authorization", "validAfter"),
    ("payload", "authorization", "validBefore"),
    ("payload", "authorization", "nonce"),
    ("resource",),
    ("extensions",),
    ("unknown",),
)


@lru_cache(maxsize=1)
def shared() -> World:
    return make_world()


def mutated(world: World, path: tuple[str, ...], junk_value: Any) -> str:
    data = json.loads(base64.b64decode(encode_header(world.payload())))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = junk_value
    return base64.b64encode(json.dumps(data).encode()).decode()


HEADERS = st.one_of(
    st.text(max_size=200).filter(lambda s: "\n" not in s and "\r" not in s and s.isascii()),
    st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
    JSON.map(lambda v: base64.b64encode(json.dumps(v).encode()).decode()),
)


def check_answer(world: World, response: Any, before: tuple[Any, ...], payee: int) -> None:
    assert response.status_code in (200, 400, 402), response.status_code
    if response.status_code == 200:  # what is left was still a valid payment
        assert world.tokens(PAYEE) == payee + PRICE
        world.calls.clear()
        return
    required = decode_header(
        response.headers["PAYMENT-REQUIRED"], PaymentRequired, header="PAYMENT-REQUIRED"
    )
    assert required.error and "\n" not in required.error
    assert world.fingerprint() == before
    assert world.calls == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=HEADERS)
def test_any_header_is_refused_in_one_line_and_changes_nothing(header: str) -> None:
    world = shared()
    before, payee = world.fingerprint(), world.tokens(PAYEE)
    check_answer(world, world.pay(header), before, payee)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), junk_value=JUNK_JSON)
def test_a_payload_with_one_junk_field_is_refused_or_pays_exactly(
    path: tuple[str, ...], junk_value: Any
) -> None:
    world = shared()
    before, payee = world.fingerprint(), world.tokens(PAYEE)
    check_answer(world, world.pay(mutated(world, path, junk_value)), before, payee)
    world.backed()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    endpoint=st.sampled_from(("/verify", "/settle")),
    body=st.one_of(
        JSON,
        st.builds(
            lambda p, j: {"x402Version": 2, "paymentPayload": p, "paymentRequirements": j},
            JSON,
            JSON,
        ),
    ),
    path=st.sampled_from(PATHS),
    junk_value=JUNK_JSON,
    whole=st.booleans(),
)
def test_any_facilitator_body_gets_the_schemas_answer_and_changes_nothing(
    endpoint: str, body: Any, path: tuple[str, ...], junk_value: Any, whole: bool
) -> None:
    world = shared()
    if not whole:  # a real request with one junk field in its payload
        payload = json.loads(base64.b64decode(mutated(world, path, junk_value)))
        requirements = world.requirements.model_dump(mode="json", exclude_none=True)
        body = {"x402Version": 2, "paymentPayload": payload, "paymentRequirements": requirements}
    before = world.fingerprint()
    response = world.facilitator_http.post(endpoint, json=body)
    assert response.status_code in (200, 400), response.text
    answer = response.json()
    if endpoint == "/verify":
        assert set(answer) <= {"isValid", "invalidReason", "invalidMessage", "payer"}
    else:  # nothing was verified, so nothing settles
        assert answer["success"] is False and answer["transaction"] == ""
    assert world.fingerprint() == before


# -- the token under hostile calls ---------------------------------------------------------
NONCES = mixed(st.integers(0, 3).map(lambda n: n.to_bytes(32, "big")))
TIMES = mixed(st.integers(0, 200), st.sampled_from((0, 2**256 - 1, 2**256)))
SIGNERS = st.sampled_from(("alice", "alice", "mallory", "junk"))


def auth_args() -> Any:
    """(from, to, value, validAfter, validBefore, nonce, signer): the signer is
    replaced by a real signature at send time (or junk). One draw in two is a valid
    authorization of alice's (to anyone, within the window, from a small nonce pool, so
    nonces repeat), the rest hostile."""
    valid = st.tuples(
        st.tuples(
            st.just("alice"),
            st.sampled_from(USERS),
            st.integers(1, 100),
            st.integers(0, 100),
            st.integers(10**6, 10**7),
            st.integers(0, 3).map(lambda n: n.to_bytes(32, "big")),
            st.sampled_from(("alice", "alice", "alice", "mallory")),
        ),
        st.none(),
    )
    hostile = call(names("alice"), names("bob"), amounts(2_000), TIMES, TIMES, NONCES, SIGNERS)
    return st.one_of(valid, hostile)


USD = st.builds(lambda n: {"USD": n}, st.integers(1, 5_000))
METHODS = {
    "deposit": st.one_of(
        st.tuples(st.tuples(st.sampled_from(("", "bob"))), USD),
        call(
            names("bob", ""),
            value=st.one_of(st.none(), USD, st.just({"TOK": 5}), st.just({"USD": 1, "TOK": 1})),
        ),
    ),
    "withdraw": st.one_of(
        st.tuples(st.tuples(st.integers(0, 50)), st.none()), call(amounts(5_000))
    ),
    "transfer": st.one_of(
        st.tuples(st.tuples(st.sampled_from(USERS), st.integers(0, 50)), st.none()),
        call(names("bob"), amounts(5_000)),
    ),
    "transferWithAuthorization": auth_args(),
    "receiveWithAuthorization": auth_args(),
    "cancelAuthorization": st.one_of(
        st.tuples(
            st.tuples(
                st.just("alice"),
                st.integers(0, 3).map(lambda n: n.to_bytes(32, "big")),
                st.sampled_from(("alice", "mallory")),
            ),
            st.none(),
        ),
        call(names("alice"), NONCES, SIGNERS),
    ),
    "balanceOf": call(names("alice")),
    "authorizationState": call(names("alice"), NONCES),
    "authorizationStatus": call(names("alice"), NONCES),
    "totalSupply": call(),
    "name": call(),
}
WRITES = (
    "deposit",
    "withdraw",
    "transfer",
    "transferWithAuthorization",
    "receiveWithAuthorization",
    "cancelAuthorization",
)


def sign_step(device: Device, token: str, method: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Replace the drawn signer (last argument) by its real signature of the drawn
    fields, when the fields allow one; junk stays junk."""
    if method not in (
        "transferWithAuthorization",
        "receiveWithAuthorization",
        "cancelAuthorization",
    ):
        return args
    if not args or args[-1] not in ("alice", "mallory"):
        return args
    signer = device.account(args[-1])
    try:
        if method == "cancelAuthorization":
            message = cancel_message(
                token=token, name="Accord USD", version="1", authorizer=args[0], nonce=args[1]
            )
        else:
            kind = TRANSFER if method == "transferWithAuthorization" else RECEIVE
            message = authorization_message(
                kind,
                token=token,
                name="Accord USD",
                version="1",
                from_=args[0],
                to=args[1],
                value=args[2],
                valid_after=args[3],
                valid_before=args[4],
                nonce=args[5],
            )
    except (TypeError, ValueError, IndexError):
        return args
    return (*args[:-1], signer.sign_message(message))


def backed_by(token: str) -> Any:
    def invariant(device: Device) -> None:
        storage = device.contract_at(token).storage()
        supply = storage.get("supply", 0)
        assert sum(storage.get("balances", {}).values()) == supply
        assert device.balance(token, "USD") == supply

    return invariant


def play(sequence: Any, wins: dict[str, int] | None = None) -> None:
    device = hostile_device(genesis_time_ms=100_000)
    token = device.deploy(device.account("alice"), PaymentToken, "USD", "Accord USD", "1")
    assert device.call(device.account("alice"), token, "deposit", value={"USD": 10_000}).ok
    hostile = Hostile(device, watch=[token], invariant=backed_by(token))
    for step in sequence:
        if step.method == "mine":
            hostile.mine(step.blocks)
            continue
        args = sign_step(device, token, step.method, step.args)
        receipt = hostile.send(step.who, token, step.method, *args, value=step.value)
        if receipt is None or not receipt.ok:
            continue
        if wins is not None:
            wins[step.method] = wins.get(step.method, 0) + 1
        if step.method.endswith("WithAuthorization"):
            assert device.view(token, "authorizationStatus", args[0], args[5]) == "used"
            if step.method == "receiveWithAuthorization":
                assert step.who == args[1]  # only the payee received
            assert args[-1] == device.account(args[0]).sign_message(
                authorization_message(
                    TRANSFER if step.method.startswith("transfer") else RECEIVE,
                    token=token,
                    name="Accord USD",
                    version="1",
                    from_=args[0],
                    to=args[1],
                    value=args[2],
                    valid_after=args[3],
                    valid_before=args[4],
                    nonce=args[5],
                )
            )  # only the authorizer's own signature moved its tokens
        if step.method == "cancelAuthorization":
            assert device.view(token, "authorizationStatus", args[0], args[1]) == "canceled"


SEQUENCES = steps(METHODS, focus=WRITES, max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=SEQUENCES)
def test_hostile_token_calls_revert_clearly_and_keep_the_backing(sequence: Any) -> None:
    play(sequence)


def test_the_hostile_draws_reach_every_writes_success_path() -> None:
    wins: dict[str, int] = {}

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(sequence=SEQUENCES)
    def draw(sequence: Any) -> None:
        play(sequence, wins)

    draw()
    assert {m for m in WRITES if wins.get(m, 0) > 0} == set(WRITES), wins
