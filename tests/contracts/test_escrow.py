"""Escrow: conditional release, arbitration, timeout refunds, static-call conditions.

Adversarial cases: a stranger arbitrating, double release, release after refund, early
refund, a "view" that writes or re-enters the escrow, a deadline race. Every scenario
asserts exact integer balances and runs the device's invariant checks after each block.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contracts.escrow import Escrow
from accord.device import (
    AssetSpec,
    Context,
    Contract,
    Device,
    DeviceConfig,
    Genesis,
    Map,
    Revert,
    Var,
    checks,
    public,
)

USD = "USD"
START = 1_000_000
USERS = ("alice", "bob", "carol", "mallory")


class Flag(Contract):
    """A stand-in for another contract's state: a settable value and a reverting view."""

    value: Var[int] = Var(0)

    @public
    def set(self, ctx: Context, value: int) -> None:
        self.value = value

    @public
    def get(self, ctx: Context) -> int:
        return self.value

    @public
    def broken(self, ctx: Context) -> int:
        raise Revert("oracle offline")


class Sneaky(Contract):
    """A "view" that writes, moves funds and re-enters the escrow: all must be undone."""

    calls: Var[int] = Var(0)
    seen: Map[int] = Map(0)

    @public
    def get(self, ctx: Context, escrow: str, deal: int) -> int:
        self.calls = self.calls + 1
        self.seen[deal] = 1
        ctx.emit("Sneaked", deal=deal)
        with suppress(Revert):  # re-enter: try to pay the same deal while it is being read
            ctx.call(escrow, "pay", deal)
        return 1


def make_device() -> Device:
    alloc = {u: 10**18 for u in (*USERS, "arbiter")}
    genesis = Genesis(
        assets={
            "ETH": AssetSpec(issuer="treasury", alloc=alloc),
            USD: AssetSpec(issuer="fed", alloc=dict.fromkeys(USERS, START)),
            "GOLD": AssetSpec(issuer="mint", alloc={"alice": 50}),
        },
        accounts=["arbiter"],
        contract_modules=("accord.contracts", "tests"),  # the test's own contracts too
    )
    device = Device(DeviceConfig(), genesis, seed=3)
    checks.check_every_block(device)
    return device


@pytest.fixture
def device() -> Device:
    return make_device()


def setup_escrow(device: Device) -> str:
    return device.deploy(device.account("alice"), Escrow)


def usd(device: Device) -> dict[str, int]:
    return {u: device.balance(u, USD) for u in USERS}


def call(device: Device, who: str, to: str, method: str, *args: Any) -> Any:
    receipt = device.call(device.account(who), to, method, *args)
    if not receipt.ok:
        raise AssertionError(f"{method} reverted: {receipt.error}")
    return receipt.result


def reverts(device: Device, who: str, to: str, method: str, *args: Any, match: str) -> None:
    """The call reverts with ``match`` in its reason, and nothing but the fee changes."""
    before_usd, storage = usd(device), device.contract_at(to).storage()
    locks = dict(device.ledger.locked)
    receipt = device.call(device.account(who), to, method, *args)
    assert receipt.status == "reverted", f"{method} should revert, got {receipt.status}"
    assert receipt.error is not None and match in receipt.error, receipt.error
    assert usd(device) == before_usd
    assert device.contract_at(to).storage() == storage
    assert device.ledger.locked == locks


def open_deal(
    device: Device,
    escrow: str,
    amount: int = 300,
    condition: Any = None,
    timeout: tuple[str, int] = ("block", 100),
    arbiter: str = "arbiter",
    payer: str = "alice",
    payee: str = "bob",
) -> int:
    deal: int = call(device, payer, escrow, "open", payee, USD, amount, arbiter, condition, timeout)
    return deal


# -- the happy paths --------------------------------------------------------------------
def test_open_locks_funds_visibly(device: Device) -> None:
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 300, ("block", 5))
    assert deal == 0
    assert device.balance("alice", USD) == START - 300
    assert device.locked("alice", USD, escrow) == 300
    assert device.balance(escrow, USD) == 0  # locked under the escrow, not paid to it
    terms = call(device, "carol", escrow, "deal", 0)
    assert terms == ("alice", "bob", "arbiter", USD, 300, ("block", 5), ("block", 100), "open")


def test_release_on_block_condition(device: Device) -> None:
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 300, ("block", 6))
    while device.number < 5:
        reverts(device, "carol", escrow, "release", deal, match="does not hold")
    call(device, "carol", escrow, "release", deal)  # block 6: anyone may trigger
    assert usd(device) == {
        "alice": START - 300,
        "bob": START + 300,
        "carol": START,
        "mallory": START,
    }
    assert device.locked("alice", USD, escrow) == 0
    assert call(device, "carol", escrow, "state", deal) == "released"


def test_release_on_view_condition(device: Device) -> None:
    escrow = setup_escrow(device)
    flag = device.deploy(device.account("carol"), Flag)
    deal = open_deal(device, escrow, 250, ("view", flag, "get", (), ">=", 10))
    reverts(device, "bob", escrow, "release", deal, match="does not hold")
    assert call(device, "bob", escrow, "condition_holds", deal) is False
    call(device, "carol", flag, "set", 10)
    assert call(device, "bob", escrow, "condition_holds", deal) is True
    call(device, "bob", escrow, "release", deal)
    assert device.balance("bob", USD) == START + 250
    assert device.balance("alice", USD) == START - 250


def test_all_and_any_conditions(device: Device) -> None:
    escrow = setup_escrow(device)
    flag = device.deploy(device.account("carol"), Flag)
    both = ("all", ("block", 8), ("view", flag, "get", (), "==", 1))
    either = ("any", ("block", 50), ("view", flag, "get", (), "==", 1))
    d_all = open_deal(device, escrow, 10, both)
    d_any = open_deal(device, escrow, 20, either)
    call(device, "carol", flag, "set", 1)
    call(device, "bob", escrow, "release", d_any)  # the view alone suffices
    reverts(device, "bob", escrow, "release", d_all, match="does not hold")  # block < 8
    while device.number < 7:
        device.build_block()
    call(device, "bob", escrow, "release", d_all)
    assert device.balance("bob", USD) == START + 30


def test_strict_equality_tells_bool_from_int(device: Device) -> None:
    escrow = setup_escrow(device)
    flag = device.deploy(device.account("carol"), Flag)
    call(device, "carol", flag, "set", 1)
    deal = open_deal(device, escrow, 10, ("view", flag, "get", (), "==", True))
    reverts(device, "bob", escrow, "release", deal, match="does not hold")


def test_arbiter_releases_or_refunds(device: Device) -> None:
    escrow = setup_escrow(device)
    to_bob = open_deal(device, escrow, 100)
    to_alice = open_deal(device, escrow, 40)
    call(device, "arbiter", escrow, "arbitrate", to_bob, True)
    call(device, "arbiter", escrow, "arbitrate", to_alice, False)
    assert device.balance("alice", USD) == START - 100
    assert device.balance("bob", USD) == START + 100
    assert device.ledger.locked == {}


def test_payer_pays_and_payee_waives(device: Device) -> None:
    escrow = setup_escrow(device)
    paid = open_deal(device, escrow, 70)
    waived = open_deal(device, escrow, 30)
    reverts(device, "bob", escrow, "pay", paid, match="only the payer alice")
    call(device, "alice", escrow, "pay", paid)
    call(device, "bob", escrow, "refund", waived)  # the payee may give it back any time
    assert usd(device)["alice"] == START - 70
    assert usd(device)["bob"] == START + 70


def test_refund_only_after_block_timeout(device: Device) -> None:
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 500, ("block", 1000), timeout=("block", 6))
    while device.number < 5:
        reverts(device, "alice", escrow, "refund", deal, match="times out at ('block', 6)")
    call(device, "mallory", escrow, "refund", deal)  # anyone may trigger; the payer gets it
    assert usd(device) == dict.fromkeys(USERS, START)
    assert call(device, "carol", escrow, "state", deal) == "refunded"


def test_refund_after_timestamp_timeout(device: Device) -> None:
    escrow = setup_escrow(device)  # block n has timestamp n * 12_000 ms
    deal = open_deal(device, escrow, 5, timeout=("time", 48_000))
    assert device.now == 24_000
    reverts(device, "alice", escrow, "refund", deal, match="times out")  # block 3
    device.build_block()  # block 4 at 48_000 ms
    call(device, "alice", escrow, "refund", deal)  # block 5
    assert device.balance("alice", USD) == START


def test_time_is_split_not_raced(device: Device) -> None:
    """The condition releases only before the timeout; after it, only refund (or the
    arbiter). At no block are both the condition release and the refund open."""
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 9, ("block", 3), timeout=("block", 6))
    while device.number < 5:
        device.build_block()
    reverts(device, "bob", escrow, "release", deal, match="timed out")  # block 6
    call(device, "arbiter", escrow, "arbitrate", deal, True)  # the arbiter still may
    assert device.balance("bob", USD) == START + 9


def test_multiple_concurrent_deals_and_assets(device: Device) -> None:
    escrow = setup_escrow(device)
    a = open_deal(device, escrow, 100, payer="alice", payee="bob")
    b = open_deal(device, escrow, 200, payer="carol", payee="alice", arbiter="")
    g = call(device, "alice", escrow, "open", "carol", "GOLD", 50, "", None, ("block", 50))
    assert (a, b, g) == (0, 1, 2)
    assert device.locked("alice", "GOLD", escrow) == 50
    call(device, "carol", escrow, "pay", b)
    call(device, "arbiter", escrow, "arbitrate", a, False)
    call(device, "alice", escrow, "pay", g)
    assert usd(device) == {
        "alice": START + 200,
        "bob": START,
        "carol": START - 200,
        "mallory": START,
    }
    assert device.balance("carol", "GOLD") == 50 and device.balance("alice", "GOLD") == 0
    assert device.ledger.locked == {}
    checks.replay_equality(device)  # the event log replays to the same state hash


# -- adversarial ------------------------------------------------------------------------
def test_only_the_arbiter_arbitrates(device: Device) -> None:
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 100)
    for who in ("alice", "bob", "mallory"):
        reverts(device, who, escrow, "arbitrate", deal, True, match="only the arbiter arbiter")
    no_arbiter = open_deal(device, escrow, 1, arbiter="")
    reverts(device, "arbiter", escrow, "arbitrate", no_arbiter, True, match="has no arbiter")
    reverts(device, "arbiter", escrow, "arbitrate", deal, 1, match="must be a bool")


def test_no_double_release_and_no_release_after_refund(device: Device) -> None:
    escrow = setup_escrow(device)
    released = open_deal(device, escrow, 100, ("block", 0))
    refunded = open_deal(device, escrow, 50, ("block", 0))
    call(device, "bob", escrow, "release", released)
    call(device, "arbiter", escrow, "arbitrate", refunded, False)
    reverts(device, "bob", escrow, "release", released, match="deal 0 is already released")
    reverts(device, "arbiter", escrow, "arbitrate", released, False, match="already released")
    reverts(device, "alice", escrow, "pay", released, match="already released")
    reverts(device, "bob", escrow, "release", refunded, match="deal 1 is already refunded")
    reverts(device, "bob", escrow, "refund", refunded, match="already refunded")
    reverts(device, "bob", escrow, "release", 7, match="no deal 7")
    assert usd(device)["bob"] == START + 100 and usd(device)["alice"] == START - 100


def test_no_condition_means_no_public_release(device: Device) -> None:
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 100, None)
    reverts(device, "bob", escrow, "release", deal, match="has no condition")


def test_reverting_view_is_a_revert(device: Device) -> None:
    escrow = setup_escrow(device)
    flag = device.deploy(device.account("carol"), Flag)
    deal = open_deal(device, escrow, 100, ("view", flag, "broken", (), "==", 1))
    reverts(device, "bob", escrow, "release", deal, match="reverted: oracle offline")


def test_condition_view_is_a_static_call(device: Device) -> None:
    """A view that writes, emits and re-enters the escrow to pay itself: none of it stays."""
    escrow = setup_escrow(device)
    sneaky = device.deploy(device.account("mallory"), Sneaky)
    deal = open_deal(device, escrow, 100, ("view", sneaky, "get", (escrow, 0), "==", 1))
    receipt = device.call(device.account("bob"), escrow, "release", deal)
    assert receipt.ok, receipt.error
    assert [e.name for e in receipt.events] == ["Released"]
    assert device.contract_at(sneaky).storage() == {"seen": {}}
    assert device.balance("bob", USD) == START + 100
    assert call(device, "bob", escrow, "state", deal) == "released"


def test_bad_open_arguments_revert_and_change_nothing(device: Device) -> None:
    escrow = setup_escrow(device)
    flag = device.deploy(device.account("carol"), Flag)
    bad: list[tuple[tuple[Any, ...], str]] = [
        (("bob", USD, 0, "", None, ("block", 99)), "amount must be a positive int"),
        (("bob", USD, -5, "", None, ("block", 99)), "amount must be a positive int"),
        (("bob", USD, True, "", None, ("block", 99)), "amount must be a positive int"),
        (("alice", USD, 5, "", None, ("block", 99)), "payee must differ"),
        (("", USD, 5, "", None, ("block", 99)), "payee must be a non-empty"),
        (("bob", USD, 5, "bob", None, ("block", 99)), "arbiter must be a third party"),
        (("bob", USD, 5, "", ("soon",), ("block", 99)), "unknown kind 'soon'"),
        (("bob", USD, 5, "", ("block", -1), ("block", 99)), "non-negative int"),
        (("bob", USD, 5, "", None, ("epoch", 99)), "timeout must be"),
        (("bob", USD, 5, "", None, ("block", 1)), "has already passed"),
        (("bob", USD, 5, "", ("view", flag, "get", (), "~", 1), ("block", 99)), "op must be"),
        (("bob", USD, 5, "", ("view", flag, "get", (), "<", "x"), ("block", 99)), "compares ints"),
        (("bob", USD, 5, "", ("view", "0xabc", "get", (), "==", 1), ("block", 99)), "no contract"),
        (
            ("bob", USD, 5, "", ("view", flag, "nope", (), "==", 1), ("block", 99)),
            "no public 'nope'",
        ),
        (("bob", USD, START + 1, "", None, ("block", 99)), "holds 1000000 USD, needs 1000001"),
        (("bob", "XYZ", 5, "", None, ("block", 99)), "cannot lock 5 XYZ"),
    ]
    for args, message in bad:
        reverts(device, "alice", escrow, "open", *args, match=message)
    assert device.contract_at(escrow).storage() == {"deals": {}}


def test_payee_front_running_refund_is_its_own_loss(device: Device) -> None:
    """Nobody but the payee can cut the payee out before the timeout; the payer cannot
    pull funds back early, even with the arbiter's address in hand."""
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 100, ("block", 50))
    reverts(device, "alice", escrow, "refund", deal, match="only the payee or arbiter")
    reverts(device, "mallory", escrow, "refund", deal, match="only the payee or arbiter")
    assert device.locked("alice", USD, escrow) == 100


def test_deadline_race_in_one_block_settles_once(device: Device) -> None:
    """After the timeout, the arbiter's ruling for the payee and a refund race in one
    block: the ordering rule (here: priority fee) picks the winner, the loser reverts,
    and the funds move exactly once. This race is MEV the experiments can measure."""
    escrow = setup_escrow(device)
    deal = open_deal(device, escrow, 100, None, timeout=("block", 4))
    device.build_block()  # block 4: timed out
    rule = device.sign(device.account("arbiter"), escrow, "arbitrate", deal, True, priority_fee=1)
    back = device.sign(device.account("alice"), escrow, "refund", deal, priority_fee=50)
    device.submit(rule)
    device.submit(back)
    block = device.build_block()
    statuses = {r.tx_hash: r.status for r in block.receipts}
    assert statuses == {back.hash: "success", rule.hash: "reverted"}
    assert device.receipt(rule.hash).error == "deal 0 is already refunded"
    assert usd(device) == dict.fromkeys(USERS, START)


# -- property: random actions conserve funds and nobody gets more than is owed ----------
RECENT = st.integers(-1, 3)
"""Which deal an action targets: 0 the latest, 1 the one before...; -1 one not opened."""
ROLE = st.sampled_from(("payer", "payee", "arbiter", "mallory"))
"""Who acts on a deal: one of its parties, or an outsider (mallory may be a party too)."""
ACTIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("open"),
            st.sampled_from(USERS),
            st.sampled_from(USERS),
            st.integers(-5, 400_000),
            st.integers(0, 12),
            st.integers(1, 14),
        ),
        st.tuples(st.sampled_from(("release", "refund", "pay")), ROLE, RECENT),
        st.tuples(st.just("arbitrate"), ROLE, RECENT, st.booleans()),
        st.tuples(st.just("block")),
    ),
    max_size=30,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_actions_match_a_model(actions: list[tuple[Any, ...]]) -> None:
    """A model of the escrow predicts every call's outcome and every exact balance."""
    device = make_device()
    escrow = setup_escrow(device)
    model: dict[int, list[Any]] = {}  # id -> [payer, payee, amount, cond_block, timeout, state]
    expect = dict.fromkeys(USERS, START)
    preamble = [("open", "alice", "bob", 100, 3, 9), ("open", "carol", "mallory", 50, 0, 6)]
    for action in preamble + actions:
        kind = action[0]
        if kind == "block":
            device.build_block()
            continue
        head = device.number  # the call executes in block head + 1
        n = head + 1
        if kind == "open":
            _, payer, payee, amount, cond, tmo = action
            condition, timeout = ("block", head + cond), ("block", head + tmo)
            receipt = device.call(
                device.account(payer),
                escrow,
                "open",
                payee,
                USD,
                amount,
                "arbiter",
                condition,
                timeout,
            )
            ok = payer != payee and 0 < amount <= expect[payer] and head + tmo > n
            assert receipt.ok == ok, (action, receipt.error)
            if ok:
                model[receipt.result] = [payer, payee, amount, head + cond, head + tmo, "open"]
                expect[payer] -= amount
        else:
            deal = device.contract_at(escrow).storage().get("next_id", 0) - 1 - action[2]
            m = model.get(deal)
            role = action[1]
            if role in ("payer", "payee"):
                who = m[0 if role == "payer" else 1] if m is not None else "mallory"
            else:
                who = role
            receipt = device.call(device.account(who), escrow, kind, deal, *action[3:])
            if m is None or m[5] != "open":
                assert not receipt.ok, action
                continue
            if kind == "release":
                ok, outcome = m[3] <= n < m[4], "released"
            elif kind == "refund":
                ok, outcome = who == m[1] or n >= m[4], "refunded"
            elif kind == "pay":
                ok, outcome = who == m[0], "released"
            else:
                ok, outcome = who == "arbiter", "released" if action[3] else "refunded"
            assert receipt.ok == ok, (action, receipt.error, m, n)
            if ok:
                m[5] = outcome
                expect[m[1] if outcome == "released" else m[0]] += m[2]
        assert usd(device) == expect
    locked = sum(m[2] for m in model.values() if m[5] == "open")
    assert sum(device.ledger.locked.values()) == locked
    assert sum(expect.values()) + locked == START * len(USERS)
    checks.block_invariants(device)
    checks.state_hash_matches(device)  # the incremental state hash equals a full recompute


def test_a_wide_condition_pays_per_byte_each_time_it_is_walked(device: Device) -> None:
    """A condition nests at most 8 deep but may be wide, and every ``condition_holds``
    (or ``release``) walks it again: each walk is charged ``CONDITION_BYTE_GAS`` per byte
    of its encoding before it runs, so two deals differing only in width differ in a
    walk's gas by exactly that."""
    from marshal import dumps

    from accord.contracts.escrow import CONDITION_BYTE_GAS
    from accord.device.gas import intrinsic_gas

    escrow = setup_escrow(device)
    narrow = ("any", *([("block", 10**6)] * 10))
    wide = ("any", *([("block", 10**6)] * 2_000))
    gas = []
    for condition in (narrow, wide):
        opened = device.call(
            device.account("alice"), escrow, "open", "bob", USD, 300, "arbiter", condition,
            ("block", 100), gas_limit=10_000_000,
        )  # fmt: skip
        assert opened.ok, opened.error
        deal = opened.result
        tx = device.sign(
            device.account("carol"), escrow, "condition_holds", deal, gas_limit=1_000_000
        )
        receipt = device.execute(tx)
        assert receipt.ok and receipt.result is False, receipt.error
        gas.append(receipt.gas_used - intrinsic_gas(tx.method, tx.args, tx.value))
    extra = len(dumps(wide, 0)) - len(dumps(narrow, 0))
    assert gas[1] - gas[0] == CONDITION_BYTE_GAS * extra
