"""Acting for another account takes its signed authorization: allowances and permits.

Pins ``accord/device/permits.py`` and the allowance operations of ``Context``
(``approve``, ``permit``, ``transfer_from``): a spender takes at most what the owner
allowed, by a call of its own or a permit it signed for this spender, asset, amount,
nonce, deadline and chain; everything else reverts and changes nothing, and money is
conserved whatever a hostile caller sends.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import Device, checks
from accord.device.errors import InvalidValue
from accord.device.permits import MAX_AMOUNT, permit_message
from tests.device.capability_contracts import Spender
from tests.device.conftest import USERS, make_device

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chain(device: Device) -> int:
    return int(getattr(device.config, "chain_id", 0))


def sign_permit(
    device: Device,
    signer: str,
    owner: str,
    spender: str,
    asset: str,
    amount: int,
    deadline: int,
    *,
    nonce: int | None = None,
    chain_id: int | None = None,
) -> bytes:
    nonce = device.ledger.permit_nonces.get(owner, 0) if nonce is None else nonce
    chain_id = chain(device) if chain_id is None else chain_id
    message = permit_message(owner, spender, asset, amount, nonce, deadline, chain_id)
    return device.account(signer).sign_message(message)


def usd_total(device: Device) -> int:
    ledger = device.ledger
    free = sum(v for (_, a), v in ledger.balances.items() if a == "USD")
    locked = sum(v for (_, a, _), v in ledger.locked.items() if a == "USD")
    return free + locked


def setup() -> tuple[Device, str]:
    device = make_device()
    spender = device.deploy(device.account("carol"), Spender)
    return device, spender


def send(device: Device, who: str, to: str, method: str, *args: Any) -> tuple[str, str | None]:
    """A call's status and error; ``"refused"`` if the client cannot even sign it (a
    float or an object among the arguments: refused before it reaches the device)."""
    try:
        tx = device.sign(device.account(who), to, method, *args)
    except InvalidValue as exc:
        return "refused", str(exc)
    receipt = device.execute(tx)
    return receipt.status, receipt.error


def pull(device: Device, spender: str, owner: Any, amount: Any, to: str = "carol") -> str:
    return send(device, "carol", spender, "pull", owner, "USD", to, amount)[0]


def test_an_approval_lets_the_spender_take_up_to_it_and_no_more() -> None:
    device, spender = setup()
    alice = device.account("alice")
    assert device.call(alice, spender, "approve_me", "USD", 300).ok
    assert device.ledger.allowance("alice", spender, "USD") == 300
    assert pull(device, spender, "alice", 200) == "success"
    assert device.balance("alice", "USD") == 800 and device.balance("carol", "USD") == 1_200
    assert device.ledger.allowance("alice", spender, "USD") == 100
    assert pull(device, spender, "alice", 101) == "reverted"  # above what is left
    assert pull(device, spender, "alice", 100) == "success"
    assert pull(device, spender, "alice", 1) == "reverted"
    assert device.balance("alice", "USD") == 700
    assert device.ledger.allowances == {}  # spent allowances leave no entry
    assert checks.state_hash_matches(device) == device.head.state_hash


def test_no_allowance_no_transfer_and_approvals_are_per_owner_and_asset() -> None:
    device, spender = setup()
    assert pull(device, spender, "alice", 1) == "reverted"
    device.call(device.account("bob"), spender, "approve_me", "TOK", 5)
    assert pull(device, spender, "bob", 1) == "reverted"  # USD was not approved, TOK was
    assert pull(device, spender, "alice", 1) == "reverted"  # bob's approval is not alice's
    assert device.balance("alice", "USD") == 1_000 and device.balance("bob", "USD") == 1_000


def test_an_allowance_beyond_the_balance_takes_only_what_is_there() -> None:
    device, spender = setup()
    device.call(device.account("alice"), spender, "approve_me", "USD", 5_000)
    assert pull(device, spender, "alice", 1_001) == "reverted"
    assert device.ledger.allowance("alice", spender, "USD") == 5_000  # unchanged by the revert
    assert pull(device, spender, "alice", 1_000) == "success"


def test_a_permit_sets_the_allowance_once_for_its_spender() -> None:
    device, spender = setup()
    deadline = device.number + 5
    sig = sign_permit(device, "alice", "alice", spender, "USD", 250, deadline)
    relay = device.call(
        device.account("dave"), spender, "relay", "alice", spender, "USD", 250, deadline, sig
    )
    assert relay.ok, relay.error
    assert device.ledger.allowance("alice", spender, "USD") == 250
    assert device.ledger.permit_nonces == {"alice": 1}
    again = device.call(
        device.account("dave"), spender, "relay", "alice", spender, "USD", 250, deadline, sig
    )
    assert again.status == "reverted"  # replayed: the nonce was consumed
    assert pull(device, spender, "alice", 250) == "success"
    assert device.balance("alice", "USD") == 750


def relay(device: Device, spender: str, *fields: Any) -> tuple[str, str | None]:
    return send(device, "dave", spender, "relay", *fields)


def test_hostile_permits_are_refused_and_change_nothing() -> None:
    device, spender = setup()
    other = device.deploy(device.account("carol"), Spender)
    d = device.number + 3
    sign = partial(sign_permit, device)
    alice_ = ("alice", spender, "USD")  # the fields a relay names: owner, spender, asset
    x32 = b"x" * 32
    cases = {
        "wrong signer": (*alice_, 10, d, sign("bob", "alice", spender, "USD", 10, d)),
        "other spender": (*alice_, 10, d, sign("alice", "alice", other, "USD", 10, d)),
        "other asset": (*alice_, 10, d, sign("alice", "alice", spender, "TOK", 10, d)),
        "more than signed": (*alice_, 11, d, sign("alice", "alice", spender, "USD", 10, d)),
        "other chain": (
            *alice_,
            10,
            d,
            sign("alice", "alice", spender, "USD", 10, d, chain_id=chain(device) + 1),
        ),
        "future nonce": (*alice_, 10, d, sign("alice", "alice", spender, "USD", 10, d, nonce=1)),
        "expired": (*alice_, 10, 0, sign("alice", "alice", spender, "USD", 10, 0)),
        "negative": (*alice_, -1, d, sign("alice", "alice", spender, "USD", -1, d)),
        "huge": (*alice_, MAX_AMOUNT + 1, d, sign("alice", "alice", spender, "USD", 2**256, d)),
        "bool amount": (*alice_, True, d, x32),
        "str deadline": (*alice_, 10, "soon", x32),
        "empty signature": (*alice_, 10, d, b""),
        "signature not bytes": (*alice_, 10, d, "sig"),
        "owner not str": (("alice",), spender, "USD", 10, d, x32),
    }
    for name, fields in cases.items():
        status, error = relay(device, spender, *fields)
        assert status in ("reverted", "refused"), (name, error)
    assert device.ledger.allowances == {} and device.ledger.permit_nonces == {}
    assert pull(device, spender, "alice", 1) == "reverted"


HOSTILE_AMOUNTS = st.one_of(
    st.integers(min_value=-(10**6), max_value=1_500),
    st.sampled_from([0, -1, MAX_AMOUNT, MAX_AMOUNT + 1, 2**4096, -(2**300)]),
    st.floats(allow_nan=True),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
    st.tuples(st.integers()),
)
OPS = st.lists(
    st.tuples(
        st.sampled_from(["approve", "pull", "permit"]),
        st.sampled_from(USERS),
        HOSTILE_AMOUNTS,
        st.sampled_from(["USD", "TOK", "NOPE", ""]),
    ),
    max_size=12,
)


@SETTINGS
@given(ops=OPS)
def test_allowances_under_hostile_sequences_conserve_money_and_bound_what_is_taken(
    ops: list[tuple[str, str, Any, str]],
) -> None:
    device, spender = setup()
    start = {u: device.balance(u, "USD") for u in USERS}
    supply = usd_total(device)
    granted = dict.fromkeys(USERS, 0)  # the most each owner allowed so far (USD)
    taken = dict.fromkeys(USERS, 0)
    for op, owner, amount, asset in ops:
        if op == "approve":
            ok = send(device, owner, spender, "approve_me", asset, amount)[0] == "success"
            if ok and asset == "USD":
                granted[owner] += amount
        elif op == "permit":
            d = device.number + 2
            try:
                sig = sign_permit(device, owner, owner, spender, asset, amount, d)
            except Exception:
                sig = b"\0" * 32
            status, _ = relay(device, spender, owner, spender, asset, amount, d, sig)
            if status == "success" and asset == "USD":
                granted[owner] += amount
        else:
            before = device.balance(owner, "USD")
            receiver = "dave" if owner != "dave" else "bob"
            status = pull(device, spender, owner, amount, receiver)
            if status == "success":
                assert type(amount) is int and amount >= 0
                assert device.balance(owner, "USD") == before - amount
                taken[owner] += amount
            else:
                assert device.balance(owner, "USD") == before
        assert usd_total(device) == supply
        for (who, asset_), value in device.ledger.balances.items():
            assert type(value) is int and value > 0, (who, asset_)
        for key, value in device.ledger.allowances.items():
            assert type(value) is int and 0 < value <= MAX_AMOUNT, key
    for owner in USERS:
        assert taken[owner] <= granted[owner]
        if owner not in ("dave", "bob"):  # only dave and bob receive pulled funds
            assert device.balance(owner, "USD") == start[owner] - taken[owner]
    assert checks.state_hash_matches(device) == device.head.state_hash
