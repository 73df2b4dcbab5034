"""Liveness: no transaction, bundle or contract makes ``build_block`` raise.

Hostile contracts (``tests/device/hostile_contracts.py``, metered) are mixed with
ordinary transfers and bundles by Hypothesis, under every ordering rule and both fee
markets. After every block: ``build_block`` returned, conservation and non-negative
balances hold (the installed ``check_every_block`` hook), every balance is an int,
``state_hash()`` equals the head's and the one recomputed from scratch; at the end the
log replays to the same hashes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.device import (
    Bundle,
    Device,
    DeviceConfig,
    Genesis,
    Rejected,
    Transaction,
    checks,
)
from accord.device import gas as G
from tests.device import hostile_contracts
from tests.device.conftest import USERS, make_genesis
from tests.device.hostile_contracts import Hostile

METERED = (hostile_contracts.__name__,)
ORDERINGS = ("fcfs", "priority", "random", "batch")
MARKETS = ("eip1559", "first_price")


def metered_genesis() -> Genesis:
    """The standard test genesis, with the hostile module metered."""
    return make_genesis().model_copy(update={"metered_modules": METERED})


def hostile_device(seed: int = 0, **config: Any) -> tuple[Device, str, str]:
    """A device with two hostile contracts deployed (A and B, for re-entrancy)."""
    device = Device(DeviceConfig(**config), metered_genesis(), seed=seed)
    checks.check_every_block(device)
    alice = device.account("alice")
    return device, device.deploy(alice, Hostile), device.deploy(alice, Hostile)


def assert_healthy(device: Device) -> None:
    """The state is the head's, recomputed or not, and every amount is a sane int."""
    assert device.state_hash() == device.head.state_hash
    assert checks.state_hash_matches(device) == device.head.state_hash
    for table in (device.ledger.balances, device.ledger.locked, device.ledger.supply):
        assert all(type(v) is int and v > 0 for v in table.values())
    checks.block_invariants(device)


# -- one call of each kind, alone: its receipt ------------------------------------------
OUT_OF_GAS_CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("spin", ()),
    ("spin_writing", ()),
    ("recurse", (0,)),
    ("exit", ()),
    ("base_exception", ("generator_exit",)),
    ("base_exception", ("custom",)),
    ("exhaust", ("memory",)),
    ("exhaust", ("recursion",)),
    ("swallow", ()),
    ("swallow_once", ()),
]


@pytest.mark.parametrize(("method", "args"), OUT_OF_GAS_CALLS)
def test_exhaustion_and_foreign_base_exceptions_are_out_of_gas(
    method: str, args: tuple[Any, ...]
) -> None:
    device, a, _ = hostile_device()
    alice = device.account("alice")
    before = device.balance("alice", "ETH")
    receipt = device.call(alice, a, method, *args, gas_limit=300_000)
    assert receipt.status == "out_of_gas", receipt.error
    assert receipt.gas_used == 300_000  # the whole limit
    assert receipt.error is not None and receipt.error.startswith("out of gas")
    assert device.contract_at(a).storage().get("counter", 0) == 0  # its writes were undone
    assert before - device.balance("alice", "ETH") == receipt.fee_paid
    assert_healthy(device)


def test_the_step_meter_charges_a_deterministic_figure_per_line() -> None:
    # Two runs of the same call use the same gas, a multiple of STEP beyond the schedule.
    used = []
    for _ in range(2):
        device, a, _ = hostile_device()
        receipt = device.call(device.account("alice"), a, "bump")
        assert receipt.ok
        used.append(receipt.gas_used)
        calldata = G.intrinsic_gas("bump", (), ())
        steps = receipt.gas_used - calldata - 2 * G.READ - G.WRITE_NEW
        assert steps > 0 and steps % G.STEP == 0
    assert used[0] == used[1]
    # bump's body is two lines: ``self.counter += 1`` and ``return self.counter``
    assert steps == 2 * G.STEP


def test_trusted_contracts_run_unmetered() -> None:
    # The same class, not listed in metered_modules: no step is charged.
    device = Device(DeviceConfig(), make_genesis(), seed=0)
    alice = device.account("alice")
    a = device.deploy(alice, Hostile)
    receipt = device.call(alice, a, "bump")
    assert receipt.gas_used == G.intrinsic_gas("bump", (), ()) + 2 * G.READ + G.WRITE_NEW
    assert device.executor.meter.prefixes == ()


def test_reentrancy_stops_at_the_call_depth_limit() -> None:
    device, a, b = hostile_device()
    alice = device.account("alice")
    receipt = device.call(alice, a, "ping", b, 0, gas_limit=30_000_000)
    assert receipt.status in ("reverted", "out_of_gas")
    if receipt.status == "reverted":
        assert receipt.error is not None and "call depth" in receipt.error
    assert device.contract_at(a).storage().get("counter", 0) == 0
    assert_healthy(device)


def test_call_depth_limit_reverts_deterministically_with_enough_gas() -> None:
    # Unmetered (no step cost): only the depth limit stops A -> B -> A ...
    device = Device(DeviceConfig(), make_genesis(), seed=0)
    alice = device.account("alice")
    a, b = device.deploy(alice, Hostile), device.deploy(alice, Hostile)
    receipt = device.call(alice, a, "ping", b, 0, gas_limit=30_000_000)
    assert receipt.status == "reverted"
    assert receipt.error == f"call depth: more than {G.MAX_CALL_DEPTH} nested calls"


def test_a_caught_out_of_gas_still_fails_and_writes_nothing() -> None:
    device, a, _ = hostile_device()
    receipt = device.call(device.account("alice"), a, "swallow_once", gas_limit=200_000)
    assert receipt.status == "out_of_gas" and receipt.result is None
    assert device.contract_at(a).storage().get("counter", 0) == 0


def test_out_of_gas_is_not_an_exception() -> None:
    from accord.device import OutOfGas, Revert

    assert issubclass(OutOfGas, BaseException)
    assert not issubclass(OutOfGas, Exception) and not issubclass(OutOfGas, Revert)


def test_keyboard_interrupt_rolls_the_block_back_drops_the_item_and_propagates() -> None:
    device, a, _ = hostile_device()
    alice, bob = device.account("alice"), device.account("bob")
    honest = device.sign(bob, "carol", value={"ETH": 5})
    interrupting = device.sign(alice, a, "base_exception", "keyboard")
    device.submit(honest)
    device.submit(interrupting)
    head = device.head
    with pytest.raises(KeyboardInterrupt):
        device.build_block()
    assert device.head == head  # nothing sealed
    assert device.state_hash() == head.state_hash
    assert device.mempool.get(interrupting.hash) is None  # dropped
    assert device.mempool.get(honest.hash) is not None  # kept
    block = device.build_block()
    assert block.transactions == (honest,)
    assert_healthy(device)


def test_calldata_costs_16_per_nonzero_and_4_per_zero_byte_but_bytes_pay_16_each() -> None:
    import marshal

    for method, args, value, in_bytes in [
        ("", (), (("ETH", 1),), 0),
        ("move", ("alice", "bob", 0), (), 0),
        ("m", (b"\x00" * 100, b"\x01" * 100), (), 100),
        ("m", ("x", (b"\x00\x07\x00", (b"\x00",))), (), 3),
    ]:
        data = marshal.dumps((method, args, value), 0)
        zeros = data.count(0) - in_bytes  # a bytes value's zero bytes pay 16, not 4
        expected = 21_000 + 16 * (len(data) - zeros) + 4 * zeros
        assert G.intrinsic_gas(method, args, value) == expected
    # the content of a bytes argument does not move the gas, only its length
    assert G.intrinsic_gas("m", (b"\x00" * 64,), ()) == G.intrinsic_gas("m", (b"\xff" * 64,), ())
    # not encodable: no gas limit covers it
    assert G.intrinsic_gas("m", (object(),), ()) == G.UNPAYABLE


def test_a_gas_limit_below_the_intrinsic_gas_is_refused_naming_it() -> None:
    device, a, _ = hostile_device()
    alice = device.account("alice")
    big = "y" * 10_000
    need = G.intrinsic_gas("hoard", (big,), ())
    assert need > 21_000 + 16 * len(big)  # every "y" is a non-zero byte
    tx = device.sign(alice, a, "hoard", big, gas_limit=need - 1)
    with pytest.raises(Rejected) as info:
        device.execute(tx)
    assert info.value.field == "gas_limit" and f"intrinsic gas {need}" in str(info.value)
    assert device.state_hash() == device.head.state_hash
    ok = device.call(alice, a, "bump", gas_limit=G.intrinsic_gas("bump", (), ()) + 100_000)
    assert ok.ok


# -- hostile fields that reach the executor without admission ---------------------------
def raw(sender: str, nonce: Any, to: Any, method: Any, args: Any, value: Any, **kw: Any) -> Any:
    """A transaction with arbitrary fields (no hash check: it goes straight into the
    mempool, as a buggy builder or a future admission gap would put it)."""
    fields = {"gas_limit": 500_000, "max_fee": 10_000, "priority_fee": 0, **kw}
    tag = repr((sender, nonce, to, method, args, value, fields)).encode()
    import hashlib

    digest = hashlib.blake2b(tag, digest_size=32).digest()
    return Transaction(
        sender,
        nonce,
        to,
        method,
        args,
        value,
        fields["gas_limit"],
        fields["max_fee"],
        fields["priority_fee"],
        digest,
        b"",
    )


def hostile_fields(device: Device, a: str) -> list[Any]:
    n = device.nonce("alice")
    return [
        raw("alice", n, "", ".x:Y", (), ()),  # a deploy path that cannot be imported
        raw("alice", n, ["bob"], "", (), (("ETH", 1),)),  # unhashable target
        raw("alice", "0", "bob", "", (), (("ETH", 1),)),  # a str nonce
        raw("alice", n, "bob", "", (), (("ETH", 1),), gas_limit=1e6),  # a float gas limit
        raw("alice", n, "bob", "", (), (("ETH", 1),), max_fee=float("nan")),
        raw("alice", n, "bob", "", (), (("ETH", -5),)),  # a negative value
        raw("alice", n, a, "bid", ("ok",), (("USD", 600), ("USD", 600))),  # listed twice
        raw("alice", n, a, "bump", [1.5], ()),  # non-canonical args
        raw("alice", n, a, 7, (), ()),  # a method that is not a str
        raw(("x",), n, "bob", "", (), (("ETH", 1),)),  # a tuple sender
        raw("alice", n, "bob", "", (), 5),  # a value that is not a tuple
    ]


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("market", MARKETS)
def test_hostile_fields_in_the_mempool_never_halt_production(ordering: str, market: str) -> None:
    device, a, _ = hostile_device(ordering=ordering, fee_market=market)
    bob = device.account("bob")
    supply = device.supply("USD")
    for tx in hostile_fields(device, a):
        device.mempool.add(tx, device.now)
    honest = device.sign(bob, "carol", value={"ETH": 7})
    device.submit(honest)
    for _ in range(3):
        block = device.build_block()
        assert_healthy(device)
    assert device.receipt(honest.hash).ok
    assert not device.mempool.txs  # every hostile one was dropped
    assert device.supply("USD") == supply
    assert device.balance("alice", "USD") + device.locked("alice", "USD", a) <= 1_000
    del block


# -- Hypothesis: hostile mixes under every rule -------------------------------------------
HOSTILE_CALLS: list[tuple[str, tuple[Any, ...]]] = [
    *OUT_OF_GAS_CALLS,
    ("bump", ()),
    ("hoard", (100_000,)),
    ("mutate_class", ()),
    ("act_for", ("bob", 10)),
    ("bid", ("ok",)),
    ("bid", ("spin",)),
    ("bid", ("exit",)),
    ("bid", ("memory",)),
    ("bid", ("revert",)),
    ("bid", ("short",)),
]

action = st.one_of(
    st.tuples(st.just("transfer"), st.sampled_from(USERS), st.integers(0, 10**6)),
    st.tuples(
        st.just("hostile"),
        st.sampled_from(USERS),
        st.sampled_from(range(len(HOSTILE_CALLS))),
        st.sampled_from([60_000, 250_000, 1_000_000]),
    ),
    st.tuples(st.just("ping"), st.sampled_from(USERS)),
    st.tuples(
        st.just("bundle"),
        st.sampled_from(USERS),
        st.sampled_from(range(len(HOSTILE_CALLS))),
        st.booleans(),
    ),
)


def play(device: Device, a: str, b: str, blocks: list[list[Any]]) -> None:
    for actions in blocks:
        for act in actions:
            kind, who = act[0], device.account(act[1])
            try:
                if kind == "transfer":
                    device.submit(device.sign(who, "carol", value={"ETH": act[2]}))
                elif kind == "hostile":
                    method, args = HOSTILE_CALLS[act[2]]
                    device.submit(device.sign(who, a, method, *args, gas_limit=act[3]))
                elif kind == "ping":
                    device.submit(device.sign(who, a, "ping", b, 0, gas_limit=2_000_000))
                else:
                    method, args = HOSTILE_CALLS[act[2]]
                    first = device.sign(who, "dave", value={"ETH": 1})
                    second = device.sign(
                        who, a, method, *args, gas_limit=300_000, nonce=first.nonce + 1
                    )
                    reverting = frozenset({second.hash}) if act[3] else frozenset()
                    device.submit_bundle(
                        Bundle((first, second), reverting=reverting), sender=act[1]
                    )
            except Rejected:
                pass  # refused at admission: also fine
        device.build_block()  # must not raise
        assert_healthy(device)


@pytest.mark.parametrize("ordering", ORDERINGS)
@pytest.mark.parametrize("market", MARKETS)
@settings(max_examples=20, deadline=None)
@given(blocks=st.lists(st.lists(action, max_size=6), min_size=1, max_size=3))
def test_hostile_mixes_never_halt_and_replay(
    ordering: str, market: str, blocks: list[list[Any]]
) -> None:
    # mutate_class keeps a counter on the class, outside the device, and returns it: its
    # receipts (committed by each header's receipts root) replay alike only from the same
    # class state, so the replay starts from the state the run started from.
    before = Hostile.__dict__.get("mutations")
    device, a, b = hostile_device(ordering=ordering, fee_market=market)
    play(device, a, b, blocks)
    device.build_block()  # what is left
    assert_healthy(device)
    after = Hostile.__dict__.get("mutations")
    if before is None:
        if "mutations" in vars(Hostile):
            delattr(Hostile, "mutations")
    else:
        Hostile.mutations = before  # type: ignore[attr-defined]
    checks.replay_equality(device)
    assert Hostile.__dict__.get("mutations") == after
    # nobody acted for another: a contract holds none of anyone's ETH, free or locked
    assert device.balance(a, "ETH") == 0 and device.balance(b, "ETH") == 0
    assert not [k for k in device.ledger.locked if k[2] in (a, b) and k[1] == "ETH"]
    for block in device.blocks:
        for receipt in block.receipts:
            assert receipt.result != "acted for another"


# -- whole-block rollback: a bug in the device ------------------------------------------
def test_an_internal_error_on_a_bundle_rolls_back_drops_it_and_rebuilds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    device, a, _ = hostile_device()
    alice, bob = device.account("alice"), device.account("bob")
    first = device.sign(bob, "carol", value={"ETH": 3}, priority_fee=5)  # runs first
    device.submit(first)
    b1 = device.sign(alice, "dave", value={"ETH": 1})
    bundle = Bundle((b1,))
    device.submit_bundle(bundle, sender="alice")
    later = device.sign(bob, a, "bump", nonce=first.nonce + 1)
    device.submit(later)
    executor = type(device.executor)
    original = executor.apply_bundle

    def buggy(self: Any, bundle: Bundle, env: Any) -> Any:
        original(self, bundle, env)  # half-applies, then fails like a bug would
        raise ZeroDivisionError("device bug")

    monkeypatch.setattr(executor, "apply_bundle", buggy)
    head = device.head
    block = device.build_block()
    assert block.number == head.number + 1
    assert set(block.transactions) == {first, later}  # rebuilt without the bundle
    (skip,) = [s for s in block.skipped if s.field == "internal"]
    assert skip.hash == bundle.hash and skip.kind == "bundle" and skip.dropped
    assert "ZeroDivisionError: device bug" in skip.reason
    assert device.mempool.bundle(bundle.hash) is None
    assert device.balance("dave", "ETH") == 10**18  # nothing of the bundle remains
    assert_healthy(device)
    monkeypatch.undo()
    checks.replay_equality(device)


def test_an_internal_error_with_no_item_to_blame_seals_an_empty_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    device, a, _ = hostile_device()
    alice = device.account("alice")
    tx = device.sign(alice, a, "bump")
    device.submit(tx)
    executor = type(device.executor)
    calls = []

    def buggy(self: Any, *args: Any) -> int:
        calls.append(1)
        raise RuntimeError("fee accounting bug")

    monkeypatch.setattr(executor, "end_block", buggy)
    block = device.build_block()
    assert calls == [1]
    assert block.transactions == () and block.header.gas_used == 0
    assert device.state_hash() == block.header.state_hash
    assert device.contract_at(a).storage().get("counter", 0) == 0  # rolled back
    assert device.nonce("alice") == tx.nonce  # the nonce bump too
    assert device.mempool.get(tx.hash) is not None  # nothing to blame: kept
    monkeypatch.undo()
    device.build_block()
    assert device.receipt(tx.hash).ok
    assert_healthy(device)


def test_a_settlement_bug_drops_the_batch_and_keeps_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    device, a, _ = hostile_device(ordering="batch")
    alice, bob = device.account("alice"), device.account("bob")
    batched = device.sign(alice, a, "bid", "ok")
    plain = device.sign(bob, "carol", value={"ETH": 2})
    device.submit(batched)
    device.submit(plain)
    executor = type(device.executor)

    def buggy(self: Any, *args: Any) -> Any:
        raise KeyError("settlement bug")

    monkeypatch.setattr(executor, "_settle", buggy)
    block = device.build_block()
    assert block.transactions == (plain,)
    assert [s.hash for s in block.skipped if s.field == "internal"] == [batched.hash]
    assert device.nonce("alice") == batched.nonce  # its prepayment was rolled back
    assert device.locked("alice", "ETH", a) == 0
    assert_healthy(device)


def test_strict_execution_rolls_back_and_raises() -> None:
    device, _, _ = hostile_device()
    alice = device.account("alice")
    stale = device.sign(alice, "bob", value={"ETH": 1}, nonce=5)
    head = device.head
    with pytest.raises(Rejected):
        device.execute(stale)
    assert device.head == head and device.state_hash() == head.state_hash


def test_commitments_survive_views_and_actions_that_run_out_of_gas() -> None:
    # OutOfGas is a BaseException now: the resolver must still treat it as a failure
    # of the view (atom false) or of the action (group fails), not as a device error.
    from accord.device.commitments.build import call, commitment, transfer, view

    device, a, _ = hostile_device()
    alice, bob = device.account("alice"), device.account("bob")
    never = commitment(
        "alice",
        "view-oog",
        expiry=device.number + 3,
        condition=view(a, "burn", 10**9).eq(1),  # more than VIEW_GAS: out of gas
        actions=[transfer("USD", "bob", 5)],
    )
    failing = commitment(
        "bob",
        "action-oog",
        expiry=device.number + 3,
        actions=[call(a, "burn", 10**9, gas=100_000), transfer("USD", "alice", 7)],
    )
    device.commit(alice, never)
    device.commit(bob, failing)
    for _ in range(4):
        device.build_block()
        assert_healthy(device)
    assert device.balance("bob", "USD") == 1_000 and device.balance("alice", "USD") == 1_000
    fired = [r for r in device.resolutions if r.groups]
    assert fired and all(not g.ok for r in fired for g in r.groups)
    assert all("bob/action-oog" not in r.settled for r in device.resolutions)


def test_metered_constructor_and_callee_of_a_trusted_caller_are_metered() -> None:
    from accord.device import DEPLOY

    device, a, _ = hostile_device()
    alice = device.account("alice")
    # setup runs under the meter: one line (``if args == ("spin",)``) without args ...
    receipt = device.call(alice, DEPLOY, Hostile.class_path(), gas_limit=2_000_000)
    assert receipt.ok
    intrinsic = G.intrinsic_gas(Hostile.class_path(), (), ())
    assert receipt.gas_used == intrinsic + G.DEPLOY + G.STEP
    # ... and a constructor that spins runs out of gas, deploying nothing
    spun = device.call(alice, DEPLOY, Hostile.class_path(), "spin", gas_limit=500_000)
    assert spun.status == "out_of_gas" and spun.contract_address is None
    assert len(device.contracts) == 4  # the registry, A, B and the first deployment
    # a trusted (unmetered) contract calling a metered one: the callee is metered
    from tests.contracts.hostile_args import Relay

    relay = device.deploy(alice, Relay)
    through = device.call(alice, relay, "relay", a, "spin", (), gas_limit=500_000)
    assert through.status == "out_of_gas" and through.gas_used == 500_000
    assert_healthy(device)


def test_a_view_of_a_metered_contract_is_metered() -> None:
    from accord.device import OutOfGas

    device, a, _ = hostile_device()
    with pytest.raises(OutOfGas):
        device.view(a, "spin")
    assert device.state_hash() == device.head.state_hash


def test_a_contract_cannot_act_for_another() -> None:
    # bob never calls the contract: no handle a context offers may take his funds.
    device, a, _ = hostile_device()
    before = device.balance("bob", "ETH")
    receipt = device.call(device.account("alice"), a, "act_for", "bob", 10)
    assert receipt.status == "reverted", receipt.result
    assert device.balance("bob", "ETH") == before
    assert device.locked("bob", "ETH", a) == 0
