"""The incremental state hash: equal to the hash recomputed from scratch, always.

The device folds only the keys a block touched into its multiset hash
(:mod:`accord.device.state`). These tests drive random transactions (storage of mixed
key and value types, reverts, nested calls, failed deployments, bundles, transfers)
and compare, after every block, the incremental hash with :func:`full_state_hash`,
which reads the whole state; then they replay the log to the same hashes.
"""

from __future__ import annotations

import marshal
from hashlib import blake2b
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.device import (
    AssetSpec,
    Bundle,
    Device,
    DeviceConfig,
    Genesis,
    Transaction,
    checks,
)
from accord.device.state import dict_key, entry_hash, full_state_hash, state_entries
from tests.device import sample_contracts
from tests.device.conftest import USERS, make_device
from tests.device.sample_contracts import Scratch

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

atom = st.one_of(
    st.integers(-3, 3), st.booleans(), st.text(max_size=2), st.binary(max_size=2), st.none()
)
canonical = st.recursive(atom, lambda inner: st.tuples(inner, inner), max_leaves=4)
user = st.sampled_from(USERS)
put = st.tuples(st.just("put"), user, canonical, canonical, st.booleans())
put_via = st.tuples(st.just("put_via"), user, canonical, canonical)
transfer = st.tuples(
    st.just("transfer"), user, user, st.sampled_from(["ETH", "USD"]), st.integers(0, 1_500)
)
deploy = st.tuples(st.just("deploy"), user, st.booleans())
bundle = st.tuples(st.just("bundle"), user, st.lists(put, min_size=1, max_size=3), st.booleans())
ops_strategy = st.lists(
    st.one_of(put, put, put_via, transfer, deploy, bundle, st.just(("block",))), max_size=30
)


def sign(device: Device, addrs: list[str], op: tuple[Any, ...], nonce: int) -> Transaction:
    account = device.account(op[1])
    if op[0] == "put":
        _, _, key, value, fail = op
        return device.sign(account, addrs[0], "put", key, value, fail, nonce=nonce)
    if op[0] == "put_via":
        _, _, key, value = op
        return device.sign(account, addrs[0], "put_via", addrs[1], key, value, nonce=nonce)
    if op[0] == "transfer":
        _, _, to, asset, amount = op
        return device.sign(account, to, value={asset: amount}, nonce=nonce)
    if op[0] == "deploy":
        _, _, fail = op
        args = ("fail",) if fail else ()
        return device.sign(account, "", Scratch.class_path(), *args, gas_limit=500_000, nonce=nonce)
    raise AssertionError(op)


def run(ops: list[tuple[Any, ...]], seed: int = 0, **config: Any) -> Device:
    device = make_device(seed=seed, **config)
    hashes: list[bytes] = []

    def compare(dev: Device, _: object) -> None:
        hashes.append(checks.state_hash_matches(dev))

    device.block_hooks.append(compare)
    alice = device.account("alice")
    addrs = [device.deploy(alice, Scratch), device.deploy(alice, Scratch)]
    for op in ops:
        if op[0] == "block":
            device.build_block()
        elif op[0] == "bundle":
            _, sender, inner, allow = op
            start = device.next_nonce(sender)
            txs = tuple(
                sign(device, addrs, ("put", sender, *o[2:]), start + i) for i, o in enumerate(inner)
            )
            reverting = frozenset(tx.hash for tx in txs) if allow else frozenset()
            device.submit_bundle(
                Bundle(txs, max_block=device.number + 1, reverting=reverting), sender=sender
            )
        else:
            device.submit(sign(device, addrs, op, device.next_nonce(op[1])))
    device.build_blocks(2)
    assert len(hashes) == device.number  # compared after every block
    return device


@SETTINGS
@given(ops=ops_strategy, seed=st.integers(0, 2), ordering=st.sampled_from(["priority", "random"]))
def test_incremental_hash_equals_full_recompute_after_every_block(
    ops: list[tuple[Any, ...]], seed: int, ordering: str
) -> None:
    device = run(ops, seed, ordering=ordering)
    assert checks.replay_equality(device) == device.state_hash()
    assert device.state_hash() == full_state_hash(
        device.ledger, device.contracts, device.number, device.base_fee
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops_strategy)
def test_same_operations_same_incremental_hash(ops: list[tuple[Any, ...]]) -> None:
    first, second = run(ops), run(ops)
    assert [h.state_hash for h in first.headers] == [h.state_hash for h in second.headers]


def test_state_hash_follows_the_documented_formula() -> None:
    genesis = Genesis(assets={"ETH": AssetSpec(issuer="t", alloc={"a": 5})})
    device = Device(DeviceConfig(initial_base_fee=7), genesis)
    entries = {
        ("balances", ("a", "ETH"), 5),
        ("supply", "ETH", 5),
        ("issuers", "ETH", "t"),
    }
    entries |= {e for e in state_entries(device.ledger, device.contracts) if e[0] != "balances"}
    assert set(state_entries(device.ledger, device.contracts)) == entries
    total = 0
    for entry in entries:
        digest = blake2b(marshal.dumps(entry, 0), digest_size=64).digest()
        total += int.from_bytes(digest, "little")
    data = marshal.dumps(("head", 0, 7), 0) + (total % 2**512).to_bytes(64, "little")
    expected = blake2b(data, digest_size=32, person=b"accord.state").digest()
    assert device.state_hash() == expected == device.head.state_hash


def test_a_bool_replacing_an_equal_int_changes_the_hash() -> None:
    # True == 1 in Python, but they are different canonical values (repr differs).
    device = make_device()
    alice = device.account("alice")
    scratch = device.deploy(alice, Scratch)
    device.call(alice, scratch, "put", "k", 1, False)
    before = device.state_hash()
    device.call(alice, scratch, "put", "k", True, False)
    assert device.contract_at(scratch).storage()["slots"] == {"k": True}
    assert device.state_hash() != before
    assert checks.state_hash_matches(device) == device.state_hash()
    assert entry_hash(("map", scratch, "slots", "k", True)) != entry_hash(
        ("map", scratch, "slots", "k", 1)
    )


def test_failed_deployment_and_swallowed_revert_leave_no_trace_in_the_hash() -> None:
    device, control = make_device(), make_device()
    alice = device.account("alice")
    target = device.deploy(alice, Scratch)
    control.deploy(control.account("alice"), Scratch)
    receipt = device.call(alice, "", Scratch.class_path(), "fail", gas_limit=500_000)
    assert receipt.status == "reverted" and receipt.error == "setup refused"
    control.call(control.account("alice"), "bob", value={"ETH": 0})  # same nonce, no state
    # Equal ledgers apart from fees: compare the storage-only parts of the two states.
    mine = {e for e in state_entries(device.ledger, device.contracts) if e[0] != "balances"}
    theirs = {e for e in state_entries(control.ledger, control.contracts) if e[0] != "balances"}
    assert {e for e in mine if e[0] != "supply"} == {e for e in theirs if e[0] != "supply"}
    assert len(device.contracts) == len(control.contracts)
    other = device.deploy(alice, Scratch)
    device.call(alice, other, "put_via", target, "x", 3)
    assert device.contract_at(other).storage()["slots"] == {("via", "x"): 3}
    assert device.contract_at(target).storage()["slots"] == {}
    assert checks.state_hash_matches(device) == device.state_hash()


def test_keys_equal_as_dict_keys_hash_alike_whatever_object_the_dict_kept() -> None:
    # A dict keeps m[False] and m[0] in one slot, under the first key object written.
    first, second = make_device(), make_device()
    for device, keys in ((first, (0, False)), (second, (False, False))):
        alice = device.account("alice")
        scratch = device.deploy(alice, Scratch)
        device.call(alice, scratch, "put", keys[0], 5, False)
        device.call(alice, scratch, "put", keys[1], 1, False)
        assert device.contract_at(scratch).storage()["slots"] == {0: 1}
        assert checks.state_hash_matches(device) == device.state_hash()
    # The calls' calldata differ (0 and False encode differently), so their fees do:
    # compare everything but the fee asset's balances and supply.
    parts = [
        {
            e
            for e in state_entries(d.ledger, d.contracts)
            if e[0] not in ("balances", "supply") or "ETH" not in repr(e[1])
        }
        for d in (first, second)
    ]
    assert parts[0] == parts[1]
    assert entry_hash(("map", "0x1", "m", dict_key((True, "a")), 1)) == entry_hash(
        ("map", "0x1", "m", (1, "a"), 1)
    )


def test_a_state_hash_taken_during_a_block_does_not_disturb_the_block() -> None:
    device = make_device()
    alice = device.account("alice")
    scratch = device.deploy(alice, Scratch)
    sample_contracts.STATE_HASH.append(device.state_hash)
    for i in range(3):  # one sender, several calls in one block, each peeking mid-call
        device.submit(device.sign(alice, scratch, "peek_then_put", f"k{i}", i + 1))
    block = device.build_block()
    assert [r.status for r in block.receipts] == ["success"] * 3
    assert all(len(r.result) == 32 for r in block.receipts)  # type: ignore[arg-type]
    assert device.contract_at(scratch).storage()["slots"] == {"k0": 1, "k1": 2, "k2": 3}
    assert checks.state_hash_matches(device) == device.head.state_hash
